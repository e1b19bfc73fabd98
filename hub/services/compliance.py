"""Compliance at the edges: the context of an account's debtor, permission to contact them,
channel consent, and the record of which rule pack allowed each contact.

The rules themselves are data (``hub/compliance/packs``) evaluated by the pure functions of
``hub.domain.compliance``; this module gathers what they need from storage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.auth.tokens import Principal
from hub.domain import events as E
from hub.domain.account import OPEN, AccountStatus
from hub.domain.collection import ContactChannel
from hub.domain.compliance import (
    ContactContext,
    ContactHistory,
    ContactRecord,
    Decision,
    Hold,
    Refusal,
    debtor_timezones,
)
from hub.domain.errors import DomainError, Problem
from hub.services import accounts as account_service
from hub.services.accounts import Change, change_account
from hub.services.context import ServiceContext
from hub.services.customers import customer_key, get_customers
from hub.services.visibility import account_clause, customer_clause
from hub.store.tables import accounts, contact_attempts, customers, holds

Row = Mapping[Any, Any]
#: Where a debtor is taken to be when no pack covers the country and nothing else says.
_FALLBACK_ZONES = ("UTC",)


async def contact_context(
    ctx: ServiceContext, conn: AsyncConnection, account: Row, at: dt.datetime
) -> ContactContext:
    """Everything the rules read about ``account``'s debtor, as of now."""
    history = await conn.execute(
        sa.select(
            contact_attempts.c.occurred_at,
            contact_attempts.c.channel,
            contact_attempts.c.direction,
            contact_attempts.c.outcome,
        ).where(contact_attempts.c.account_id == account["id"])
    )
    customer = (
        await conn.execute(
            sa.select(
                customers.c.creditor_id,
                customers.c.reference,
                customers.c.timezone,
                customers.c.phone_enc,
                customers.c.opted_out_channels,
            ).where(customers.c.id == account["customer_id"])
        )
    ).one()
    status = AccountStatus(account["status"])
    hold = None
    if status is AccountStatus.ON_HOLD or account["resume_status"] is not None:
        found = (
            await conn.execute(
                sa.select(holds.c.reason, holds.c.until).where(
                    holds.c.account_id == account["id"], holds.c.status == "ACTIVE"
                )
            )
        ).first()
        if found is not None:
            hold = Hold(found.reason, found.until)
    phone = ctx.cipher.decrypt(
        customer.phone_enc, customer_key(customer.creditor_id, customer.reference), "phone"
    )
    pack = ctx.rules().pack_for(account["country"], at)
    zones = debtor_timezones(
        customer.timezone, phone, pack.timezones if pack is not None else _FALLBACK_ZONES
    )
    return ContactContext(
        country=account["country"],
        placed_at=account["placed_at"],
        history=ContactHistory(
            ContactRecord(r.occurred_at, r.channel, r.direction, r.outcome) for r in history
        ),
        timezones=zones or _FALLBACK_ZONES,
        opted_out=frozenset(ContactChannel(c) for c in customer.opted_out_channels or ()),
        open_dispute=status is AccountStatus.DISPUTED,
        hold=hold,
    )


def decide(
    ctx: ServiceContext, context: ContactContext, channel: ContactChannel, at: dt.datetime
) -> Decision:
    return ctx.rules().evaluate(context, channel, at)


def refusal_problems(decision: Decision) -> tuple[Problem, ...]:
    """``CONTACT_NOT_PERMITTED``, once per refusing rule, naming it and when it is allowed."""
    when = (
        f"; allowed again at {decision.next_allowed_at.isoformat()}"
        if decision.next_allowed_at is not None
        else "; not allowed until the reason is lifted"
    )
    return tuple(
        Problem("CONTACT_NOT_PERMITTED", f"{r.rule_id}: {r.message}{when}", ("occurredAt",))
        for r in decision.reasons
    )


async def contact_permission(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    channel: ContactChannel,
    at: dt.datetime,
) -> Decision:
    """May the agency contact this account's debtor on ``channel`` at ``at``? (and if not,
    why, and when next). Terminal accounts are never to be contacted."""
    async with ctx.db.read() as conn:
        account = await account_service.get_account(conn, principal, account_id)
        if account is None:
            raise account_service.not_found()
        context = await contact_context(ctx, conn, account, at)
    decision = decide(ctx, context, channel, at)
    closed = closed_refusal(account)
    if closed is not None:
        return Decision(False, (closed, *decision.reasons), None, decision.pack, context.timezones)
    return decision


def closed_refusal(account: Row) -> Refusal | None:
    """The hub's rule that a closed account's debtor is never contacted again."""
    status = AccountStatus(account["status"])
    if not status.is_terminal:
        return None
    message = f"no outbound contact once the account is {status}"
    return Refusal("HUB-CLOSED", message, "hub policy", convention=False)


async def set_channel_consent(
    ctx: ServiceContext,
    principal: Principal,
    customer_id: str,
    channel: ContactChannel,
    granted: bool,
    *,
    idempotency_key: str | None = None,
) -> Row:
    """Record that the customer accepts (or refuses) contact on ``channel``.

    The creditor may set it for its customers, an agency for the customers of accounts
    assigned to it. Every open account of the customer that the caller sees gets a
    ``customer.consent_changed`` event, so both sides learn of it.
    """
    async with ctx.db.read() as conn:
        found = (
            await conn.execute(
                sa.select(customers.c.id).where(
                    customers.c.id == customer_id, customer_clause(principal)
                )
            )
        ).first()
        affected = (
            await conn.scalars(
                sa.select(accounts.c.id)
                .where(
                    accounts.c.customer_id == customer_id,
                    accounts.c.status.in_([s.value for s in OPEN]),
                )
                .where(account_clause(principal))
                .order_by(accounts.c.id)
            )
        ).all()
    if found is None:
        raise DomainError.of("NOT_FOUND", "no such customer", "customerId")
    if not affected:
        # No open account to hang the event on: change the record alone, atomically.
        async with ctx.db.transaction() as conn:
            await _write_consent(conn, customer_id, channel, granted, ctx.clock())
        return await _customer_row(ctx, principal, customer_id)

    async def change(conn: AsyncConnection, account: Row, now: dt.datetime) -> Change:
        opted_out = await _write_consent(conn, customer_id, channel, granted, now)
        done = Change()
        done.emit(
            E.CUSTOMER_CONSENT_CHANGED,
            customerId=customer_id,
            channel=channel.value,
            granted=granted,
            optedOutChannels=opted_out,
        )
        return done

    payload = {"customerId": customer_id, "channel": channel.value, "granted": granted}
    for index, account_id in enumerate(affected):
        # One change per account (each its own event sequence); keys stay distinct per account.
        key = f"{idempotency_key}:{index}" if idempotency_key else None
        await change_account(ctx, principal, account_id, "setChannelConsent", payload, key, change)
    return await _customer_row(ctx, principal, customer_id)


async def _write_consent(
    conn: AsyncConnection, customer_id: str, channel: ContactChannel, granted: bool, now: Any
) -> list[str]:
    current = await conn.scalar(
        sa.select(customers.c.opted_out_channels).where(customers.c.id == customer_id)
    )
    opted_out = set(current or ())
    if granted:
        opted_out.discard(channel.value)
    else:
        opted_out.add(channel.value)
    ordered = [c.value for c in ContactChannel if c.value in opted_out]
    await conn.execute(
        customers.update()
        .where(customers.c.id == customer_id)
        .values(opted_out_channels=ordered, updated_at=now)
    )
    return ordered


async def _customer_row(ctx: ServiceContext, principal: Principal, customer_id: str) -> Row:
    async with ctx.db.read() as conn:
        found = await get_customers(conn, ctx, principal, [customer_id])
    return found[customer_id]


async def compliance_report(
    ctx: ServiceContext, principal: Principal, account_id: str
) -> Sequence[Row]:
    """Every contact of the account, oldest first, with the rule pack that allowed it."""
    async with ctx.db.read() as conn:
        account = await account_service.get_account(conn, principal, account_id)
        if account is None:
            raise account_service.not_found()
        rows = await conn.execute(
            sa.select(contact_attempts)
            .where(contact_attempts.c.account_id == account_id)
            .order_by(contact_attempts.c.occurred_at, contact_attempts.c.id)
        )
        return [r._mapping for r in rows]
