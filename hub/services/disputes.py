"""Disputes: the customer contests the debt; the agency resolves it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hub.auth.tokens import Principal
from hub.domain.collection_state import Item
from hub.domain.dispute import Dispute
from hub.domain.vocabulary import DisputeOutcome, DisputeReason, check_text
from hub.services.account_changes import Applied, change_account
from hub.services.context import ServiceContext
from hub.store.accounts import Loaded, Target
from hub.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class OpenDispute:
    account_id: str
    reason: DisputeReason
    details: str | None


@dataclass(frozen=True, slots=True)
class ResolveDispute:
    dispute_id: str
    outcome: DisputeOutcome
    notes: str | None


async def open_dispute(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    *,
    reason: DisputeReason,
    details: str | None,
    idempotency_key: str | None = None,
) -> Applied:
    """The customer disputes the debt: outbound contact stops and the plan clock pauses."""
    check_text(details, "details", limit=2000)
    command = OpenDispute(account_id, reason, details)

    async def move(_uow: UnitOfWork, loaded: Loaded, now: dt.datetime) -> Item:
        return loaded.collection.open_dispute(command.reason, command.details, now)

    return await change_account(ctx, principal, command, idempotency_key, command.account_id, move)


async def resolve_dispute(
    ctx: ServiceContext,
    principal: Principal,
    dispute_id: str,
    *,
    outcome: DisputeOutcome,
    notes: str | None,
    idempotency_key: str | None = None,
) -> Applied:
    """End the dispute; the account returns to what it was doing (or to its hold)."""
    check_text(notes, "notes", limit=2000)
    command = ResolveDispute(dispute_id, outcome, notes)

    async def move(_uow: UnitOfWork, loaded: Loaded, now: dt.datetime) -> Item:
        dispute = loaded.target
        assert isinstance(dispute, Dispute)
        return loaded.collection.resolve_dispute(dispute, command.outcome, command.notes, now)

    return await change_account(
        ctx, principal, command, idempotency_key, command.dispute_id, move, target=Target.DISPUTE
    )
