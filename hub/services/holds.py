"""Holds: collection pauses for hardship, vulnerability or bereavement."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hub.auth.tokens import Principal
from hub.domain.collection_state import Item
from hub.domain.hold import Hold
from hub.domain.vocabulary import HoldReason, check_text
from hub.services.account_changes import Applied, change_account, system_change
from hub.services.context import ServiceContext
from hub.store.accounts import Loaded, Target
from hub.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class PlaceOnHold:
    account_id: str
    reason: HoldReason
    until: dt.datetime | None
    notes: str | None


@dataclass(frozen=True, slots=True)
class ReleaseHold:
    hold_id: str


async def place_on_hold(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    *,
    reason: HoldReason,
    until: dt.datetime | None,
    notes: str | None,
    idempotency_key: str | None = None,
) -> Applied:
    """Pause collection: no outbound contact, plan clock stopped, until released or until
    ``until`` passes (the maintenance sweep ends it)."""
    check_text(notes, "notes", limit=2000)
    command = PlaceOnHold(account_id, reason, until, notes)

    async def move(_uow: UnitOfWork, loaded: Loaded, now: dt.datetime) -> Item:
        return loaded.collection.place_on_hold(command.reason, command.until, command.notes, now)

    return await change_account(ctx, principal, command, idempotency_key, command.account_id, move)


async def release_hold(
    ctx: ServiceContext,
    principal: Principal,
    hold_id: str,
    *,
    idempotency_key: str | None = None,
) -> Applied:
    """End a hold; the account resumes (or stays DISPUTED if a dispute opened meanwhile)."""
    command = ReleaseHold(hold_id)

    async def move(_uow: UnitOfWork, loaded: Loaded, now: dt.datetime) -> Item:
        hold = loaded.target
        assert isinstance(hold, Hold)
        return loaded.collection.release_hold(hold, now)

    return await change_account(
        ctx, principal, command, idempotency_key, command.hold_id, move, target=Target.HOLD
    )


async def release_expired_holds(
    ctx: ServiceContext, now: dt.datetime, clock_id: str | None = None
) -> int:
    """End the holds whose ``until`` passed by ``now`` (of the accounts on test clock
    ``clock_id``, or on none), each with its ``hold.released``; how many."""
    async with ctx.store.read() as uow:
        holds = await uow.items.expired_holds(now, clock_id)
    released = 0
    for expired in holds:

        async def release(_uow: UnitOfWork, loaded: Loaded, at: dt.datetime) -> Item:
            hold = loaded.target
            assert isinstance(hold, Hold)
            return loaded.collection.release_hold(hold, at)

        if await system_change(
            ctx, expired.agency_id, expired.hold_id, now, release, target=Target.HOLD
        ):
            released += 1
    return released
