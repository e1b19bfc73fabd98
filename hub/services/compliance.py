"""Compliance at the edges: the context of an account's debtor, and permission to contact.

The rules themselves are data (``hub/compliance/packs``) evaluated by the pure functions of
``hub.domain.compliance``; this module gathers what they need from storage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hub.auth.tokens import Principal
from hub.domain.account import Account, AccountStatus
from hub.domain.collection_account import CollectionAccount
from hub.domain.collection_state import closed_refusal
from hub.domain.compliance import (
    ContactContext,
    ContactHistory,
    ContactRecord,
    Decision,
    Hold,
    debtor_timezones,
)
from hub.domain.contact_attempt import ContactAttempt
from hub.domain.vocabulary import ContactChannel
from hub.services.account_changes import account_now, not_found
from hub.services.context import ServiceContext
from hub.store.unit_of_work import UnitOfWork

#: Where a debtor is taken to be when no pack covers the country and nothing else says.
_FALLBACK_ZONES = ("UTC",)


async def contact_context(
    ctx: ServiceContext, uow: UnitOfWork, collection: CollectionAccount, at: dt.datetime
) -> ContactContext:
    """Everything the rules read about the account's debtor, as of now."""
    account = collection.account
    contacts = await uow.accounts.contacts(account.id)
    debtor = await uow.customers.debtor(account.customer_id)
    hold = collection.hold
    pack = ctx.rules().pack_for(account.country, at)
    zones = debtor_timezones(
        debtor.timezone, debtor.phone, pack.timezones if pack is not None else _FALLBACK_ZONES
    )
    return ContactContext(
        country=account.country,
        placed_at=account.placed_at,
        history=ContactHistory(
            ContactRecord(c.occurred_at, c.channel, c.direction, c.outcome) for c in contacts
        ),
        timezones=zones or _FALLBACK_ZONES,
        opted_out=debtor.opted_out,
        open_dispute=account.status is AccountStatus.DISPUTED,
        hold=Hold(hold.reason, hold.until) if hold is not None else None,
        contact_hours=debtor.contact_hours.seconds if debtor.contact_hours is not None else None,
    )


async def contact_permission(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    channel: ContactChannel,
    at: dt.datetime | None,
) -> Decision:
    """May the agency contact this account's debtor on ``channel`` at ``at``? (and if not,
    why, and when next). ``None`` is the account's now (its test clock's time, if it lives
    on one). Terminal accounts are never to be contacted."""
    async with ctx.store.read() as uow:
        loaded = await uow.accounts.load(principal, account_id)
        if loaded is None:
            raise not_found()
        if at is None:
            at = await account_now(ctx, uow, loaded)
        context = await contact_context(ctx, uow, loaded.collection, at)
    decision = ctx.rules().evaluate(context, channel, at)
    status = loaded.collection.status
    if status.is_terminal:
        closed = closed_refusal(status)
        return Decision(False, (closed, *decision.reasons), None, decision.pack, context.timezones)
    return decision


async def compliance_report(
    ctx: ServiceContext, principal: Principal, account_id: str
) -> Sequence[ContactAttempt]:
    """Every contact of the account, oldest first, with the rule pack that allowed it."""
    async with ctx.store.read() as uow:
        account: Account | None = await uow.accounts.get(principal, account_id)
        if account is None:
            raise not_found()
        return await uow.accounts.contacts(account_id)
