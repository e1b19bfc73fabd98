"""The agency side of an account, and what flows back to the creditor.

Acknowledge, contact, payment plans, payments (pending, received, failed, reversed),
disputes, holds, closing; the creditor's direct payments and customer returns; and the
maintenance sweep that breaks overdue plans and ends expired holds. Each use case is one
``change_account`` call: one transaction that moves the account, writes the detail rows and
emits the events (which webhooks, the feed and subscriptions carry).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain import events as E
from hub.domain import payment_plan as plans
from hub.domain.account import AccountStatus, Action, transition
from hub.domain.collection import (
    CloseReason,
    ContactChannel,
    ContactDirection,
    ContactOutcome,
    DisputeOutcome,
    DisputeReason,
    HoldReason,
    PaymentChannel,
    PaymentMethod,
    PaymentStatus,
    check_payment,
    check_text,
)
from hub.domain.errors import DomainError
from hub.domain.money import Money
from hub.domain.rehabilitation import ContactFact, PaymentFact, summarize
from hub.domain.time import rfc3339
from hub.services import accounts as account_service
from hub.services import compliance
from hub.services.accounts import Applied, Change, change_account, resume_of
from hub.services.context import ServiceContext
from hub.store.ids import new_id
from hub.store.tables import (
    accounts,
    contact_attempts,
    disputes,
    holds,
    payment_plans,
    payments,
    rehabilitations,
)

Row = Mapping[Any, Any]
#: Reports may be stamped a little ahead of the hub's clock (clock skew), not more.
_CLOCK_SKEW = dt.timedelta(minutes=5)


# --- event payloads -------------------------------------------------------------------------


def _money(amount_minor: int, currency: str) -> dict[str, Any]:
    return {"amountMinor": amount_minor, "currency": currency}


def _opt_time(value: dt.datetime | None) -> str | None:
    return rfc3339(value) if value is not None else None


def payment_view(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "amount": _money(row["amount_minor"], row["currency"]),
        "method": row["method"],
        "channel": row["channel"],
        "status": row["status"],
        "paymentPlanId": row["plan_id"],
        "receivedAt": rfc3339(row["received_at"]),
        "reversedAt": _opt_time(row["reversed_at"]),
        "reversalReason": row["reversal_reason"],
    }


def plan_view(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "status": row["status"],
        "cadence": row["cadence"],
        "startDate": row["start_date"].isoformat(),
        "total": _money(row["total_minor"], row["currency"]),
        "installments": [
            {"dueDate": i["dueDate"], "amount": _money(i["amountMinor"], row["currency"])}
            for i in row["installments"]
        ],
        "pausedDays": row["paused_days"],
    }


def dispute_view(row: Row) -> dict[str, Any]:
    """Without details or notes: those may hold PII and stay behind the API."""
    return {
        "id": row["id"],
        "reason": row["reason"],
        "status": row["status"],
        "outcome": row["outcome"],
        "openedAt": rfc3339(row["opened_at"]),
        "resolvedAt": _opt_time(row["resolved_at"]),
    }


def hold_view(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "reason": row["reason"],
        "status": row["status"],
        "until": _opt_time(row["until"]),
        "placedAt": rfc3339(row["placed_at"]),
        "releasedAt": _opt_time(row["released_at"]),
    }


def rehabilitation_summary(row: Row) -> dict[str, Any]:
    """A rehabilitation's stored summary (``summarize``), as events and the API show it."""
    summary = dict(row["summary"])
    # Summaries written before payments dated before the placement counted as day 0 may
    # hold a negative day; they read as 0, as a new summary would say.
    days = summary.get("daysToFirstPayment")
    if days is not None and days < 0:
        summary["daysToFirstPayment"] = 0
    return summary


def rehabilitation_view(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "customerId": row["customer_id"],
        **rehabilitation_summary(row),
        "rehabilitatedAt": rfc3339(row["rehabilitated_at"]),
        "returnedAt": _opt_time(row["returned_at"]),
        "orderReference": row["order_reference"],
    }


# --- shared steps ---------------------------------------------------------------------------


async def _one(conn: AsyncConnection, query: sa.Select[Any]) -> Row | None:
    found = (await conn.execute(query)).first()
    return found._mapping if found is not None else None


async def _active_plan(conn: AsyncConnection, account_id: str) -> Row | None:
    return await _one(
        conn,
        sa.select(payment_plans).where(
            payment_plans.c.account_id == account_id, payment_plans.c.status == "ACTIVE"
        ),
    )


async def _active_hold(conn: AsyncConnection, account_id: str) -> Row | None:
    return await _one(
        conn,
        sa.select(holds).where(holds.c.account_id == account_id, holds.c.status == "ACTIVE"),
    )


async def _sum_payments(conn: AsyncConnection, *conditions: sa.ColumnElement[bool]) -> int:
    total = await conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(payments.c.amount_minor), 0)).where(*conditions)
    )
    return int(total.scalar_one())


def _require_open(account: Row) -> AccountStatus:
    status = AccountStatus(account["status"])
    if status.is_terminal:
        raise DomainError.of("ACCOUNT_CLOSED", f"the account is {status}", "accountId")
    return status


def _check_reported_time(value: dt.datetime, account: Row, now: dt.datetime, field: str) -> None:
    if value > now + _CLOCK_SKEW:
        raise DomainError.of("INVALID_TIME", f"{field} is in the future", field)
    if value < account["placed_at"] - dt.timedelta(days=365):
        raise DomainError.of("INVALID_TIME", f"{field} is long before the placement", field)


async def _pause_plan(conn: AsyncConnection, account_id: str, now: dt.datetime) -> None:
    """A dispute or hold stops the plan clock (once, however many side states stack)."""
    await conn.execute(
        payment_plans.update()
        .where(
            payment_plans.c.account_id == account_id,
            payment_plans.c.status == "ACTIVE",
            payment_plans.c.paused_since.is_(None),
        )
        .values(paused_since=now)
    )


async def _resume_plan(conn: AsyncConnection, account_id: str, now: dt.datetime) -> None:
    """Restart the plan clock: every due date moves by the whole days spent paused."""
    plan = await _active_plan(conn, account_id)
    if plan is None or plan["paused_since"] is None:
        return
    paused = (now.date() - plan["paused_since"].date()).days
    await conn.execute(
        payment_plans.update()
        .where(payment_plans.c.id == plan["id"])
        .values(paused_since=None, paused_days=plan["paused_days"] + paused)
    )


@functools.cache
def _open_items_query() -> sa.Select[Any]:
    """Whether the account has an active plan, an active hold, an open dispute: one trip."""
    account_id = sa.bindparam("account_id", type_=sa.String())

    def first_id(table: sa.Table, status: str) -> Any:
        return (
            sa.select(table.c.id)
            .where(table.c.account_id == account_id, table.c.status == status)
            .limit(1)
            .scalar_subquery()
        )

    return sa.select(
        first_id(payment_plans, "ACTIVE").label("plan"),
        first_id(holds, "ACTIVE").label("hold"),
        first_id(disputes, "OPEN").label("dispute"),
    )


async def _open_items(conn: AsyncConnection, account_id: str) -> Row:
    return (await conn.execute(_open_items_query(), {"account_id": account_id})).one()._mapping


async def _wind_down(
    conn: AsyncConnection, account: Row, now: dt.datetime, done: Change, open_items: Row
) -> None:
    """An account leaving collection cancels its plan and ends its hold, each an event."""
    plan = await _active_plan(conn, account["id"]) if open_items["plan"] else None
    if plan is not None:
        ended = {**plan, "status": "CANCELLED", "ended_at": now}
        await conn.execute(
            payment_plans.update()
            .where(payment_plans.c.id == plan["id"])
            .values(status="CANCELLED", ended_at=now)
        )
        done.emit(E.PAYMENT_PLAN_CANCELLED, paymentPlan=plan_view(ended))
    hold = await _active_hold(conn, account["id"]) if open_items["hold"] else None
    if hold is not None:
        done.emit(E.HOLD_RELEASED, hold=hold_view(await _end_hold(conn, hold, now)))


async def _end_hold(conn: AsyncConnection, hold: Row, now: dt.datetime) -> Row:
    await conn.execute(
        holds.update().where(holds.c.id == hold["id"]).values(status="RELEASED", released_at=now)
    )
    return {**hold, "status": "RELEASED", "released_at": now}


async def _close(
    conn: AsyncConnection,
    account: Row,
    now: dt.datetime,
    done: Change,
    reason: CloseReason,
    *,
    settlement: Money | None = None,
) -> None:
    """Move to the terminal state of ``reason``; rehabilitate the customer if they paid."""
    status = AccountStatus(account["status"])
    moved = transition(status, reason.action, resume_of(account))
    open_items = await _open_items(conn, account["id"])
    await _wind_down(conn, account, now, done, open_items)
    done.values.update(status=moved.status.value, resume_status=None, closed_at=now)
    done.emit(
        E.ACCOUNT_CLOSED,
        reason=reason.value,
        settlementAmount=_money(settlement.amount_minor, settlement.currency)
        if settlement
        else None,
    )
    if reason.rehabilitates and open_items["dispute"] is None:
        await _rehabilitate(conn, {**account, **done.values}, now, done, reason)


async def _rehabilitate(
    conn: AsyncConnection, account: Row, now: dt.datetime, done: Change, reason: CloseReason
) -> None:
    paid = await conn.execute(
        sa.select(
            payments.c.amount_minor,
            payments.c.channel,
            payments.c.received_at,
            payments.c.plan_id,
        ).where(payments.c.account_id == account["id"], payments.c.status == "SUCCEEDED")
    )
    contacts = await conn.execute(
        sa.select(
            contact_attempts.c.channel, contact_attempts.c.direction, contact_attempts.c.outcome
        ).where(contact_attempts.c.account_id == account["id"])
    )
    # The payment that closes the account is written with the change: not in ``paid`` yet.
    succeeded = [r._mapping for r in paid] + [
        r for r in done.pending(payments) if r["status"] == PaymentStatus.SUCCEEDED.value
    ]
    summary = summarize(
        placed_at=account["placed_at"],
        closed_at=now,
        paid_in_full=reason is CloseReason.PAID,
        payments=[
            PaymentFact(
                r["amount_minor"],
                PaymentChannel(r["channel"]),
                r["received_at"],
                r["plan_id"] is not None,
            )
            for r in succeeded
        ],
        contacts=[
            ContactFact(
                ContactChannel(r.channel), ContactDirection(r.direction), ContactOutcome(r.outcome)
            )
            for r in contacts
        ],
    )
    row = {
        "id": new_id("reh"),
        "account_id": account["id"],
        "customer_id": account["customer_id"],
        "creditor_id": account["creditor_id"],
        "agency_id": account["agency_id"],
        "summary": {
            "amountRecovered": _money(summary.amount_recovered_minor, account["currency"]),
            "daysToPay": summary.days_to_pay,
            "daysToFirstPayment": summary.days_to_first_payment,
            "paidOnPlan": summary.paid_on_plan,
            "paidInFull": summary.paid_in_full,
            "contactChannels": [c.value for c in summary.contact_channels],
            "paymentChannels": [c.value for c in summary.payment_channels],
            "selfServed": summary.self_served,
        },
        "rehabilitated_at": now,
        "returned_at": None,
        "order_reference": None,
    }
    done.insert(rehabilitations, row)
    done.emit(E.CUSTOMER_REHABILITATED, rehabilitation=rehabilitation_view(row))
    done.creditor_only = done.creditor_only | {E.CUSTOMER_REHABILITATED}
    done.result["rehabilitation_id"] = row["id"]


@dataclasses.dataclass(frozen=True)
class _PaymentState:
    """What a payment needs to know of its account, read in one round trip."""

    in_flight: int
    plan: Row | None
    #: Succeeded payments toward ``plan`` so far (not counting the payment at hand).
    paid_on_plan: int


@functools.cache
def _payment_state_query() -> sa.Select[Any]:
    account_id = sa.bindparam("account_id", type_=sa.String())
    pending = (
        sa.select(sa.func.coalesce(sa.func.sum(payments.c.amount_minor), 0))
        .where(payments.c.account_id == account_id, payments.c.status == "PENDING")
        .scalar_subquery()
    )
    one = sa.select(pending.label("in_flight")).subquery("state")
    on_plan = (
        sa.select(sa.func.coalesce(sa.func.sum(payments.c.amount_minor), 0))
        .where(payments.c.plan_id == payment_plans.c.id, payments.c.status == "SUCCEEDED")
        .scalar_subquery()
    )
    return sa.select(one.c.in_flight, on_plan.label("paid_on_plan"), payment_plans).select_from(
        one.outerjoin(
            payment_plans,
            sa.and_(payment_plans.c.account_id == account_id, payment_plans.c.status == "ACTIVE"),
        )
    )


async def _payment_state(conn: AsyncConnection, account_id: str) -> _PaymentState:
    row = (await conn.execute(_payment_state_query(), {"account_id": account_id})).one()._mapping
    return _payment_state_of(row, prefix="")


def _payment_state_of(row: Row, prefix: str = "along_") -> _PaymentState:
    """From the columns of ``_payment_state_query``: named with ``prefix`` when read along
    with the account (``change_account``'s ``read_along``)."""
    plan = {c.name: row[prefix + c.name] for c in payment_plans.c} if row[prefix + "id"] else None
    return _PaymentState(
        int(row[prefix + "in_flight"]), plan, int(row[prefix + "paid_on_plan"] or 0)
    )


async def _payment_succeeded(
    conn: AsyncConnection,
    account: Row,
    payment: Row,
    now: dt.datetime,
    done: Change,
    state: _PaymentState,
) -> None:
    """Lower the balance; complete the plan and close the account when it is all paid."""
    balance = account["balance_minor"] - payment["amount_minor"]
    done.values["balance_minor"] = balance
    done.emit(E.PAYMENT_RECEIVED, payment=payment_view(payment))
    plan = state.plan
    if plan is not None and payment["plan_id"] == plan["id"]:
        on_plan = state.paid_on_plan + payment["amount_minor"]
        if on_plan >= plan["total_minor"] or balance == 0:
            await conn.execute(
                payment_plans.update()
                .where(payment_plans.c.id == plan["id"])
                .values(status="COMPLETED", ended_at=now)
            )
            done.emit(
                E.PAYMENT_PLAN_COMPLETED,
                paymentPlan=plan_view({**plan, "status": "COMPLETED", "ended_at": now}),
            )
            if AccountStatus(account["status"]) is AccountStatus.PAYMENT_PLAN and balance:
                moved = transition(AccountStatus.PAYMENT_PLAN, Action.END_PLAN)
                done.values["status"] = moved.status.value
    if balance == 0:
        await _close(conn, {**account, **done.values}, now, done, CloseReason.PAID)


# --- agency use cases -----------------------------------------------------------------------


async def acknowledge_placement(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    *,
    agency_reference: str | None,
    idempotency_key: str | None = None,
) -> Applied:
    """The agency takes the account on (PLACED → ACKNOWLEDGED) under its own reference."""
    check_text(agency_reference, "agencyReference", limit=128)

    async def change(conn: AsyncConnection, account: Row, now: dt.datetime) -> Change:
        moved = transition(AccountStatus(account["status"]), Action.ACKNOWLEDGE)
        done = Change(
            values={
                "status": moved.status.value,
                "agency_reference": agency_reference,
                "acknowledged_at": now,
            }
        )
        done.emit(E.ACCOUNT_ACKNOWLEDGED, agencyReference=agency_reference)
        return done

    payload = {"accountId": account_id, "agencyReference": agency_reference}
    return await change_account(
        ctx, principal, account_id, "acknowledgePlacement", payload, idempotency_key, change
    )


async def log_contact_attempt(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    *,
    channel: ContactChannel,
    direction: ContactDirection,
    outcome: ContactOutcome,
    occurred_at: dt.datetime,
    idempotency_key: str | None = None,
) -> Applied:
    """Record a contact. The first one starts collection (ACKNOWLEDGED → IN_COLLECTION).

    Outbound contact must be allowed by the compliance rules in force at ``occurred_at``
    (``CONTACT_NOT_PERMITTED``, one problem per refusing rule: disputes, holds, opt-outs,
    hours, rest days, frequency) and comes after the acknowledgement; the rule pack that
    allowed it is kept with it. Inbound contact is always recorded.
    """

    async def change(conn: AsyncConnection, account: Row, now: dt.datetime) -> Change:
        status = AccountStatus(account["status"])
        _check_reported_time(occurred_at, account, now, "occurredAt")
        pack = None
        if direction is ContactDirection.OUTBOUND:
            closed = compliance.closed_refusal(account)
            if closed is not None:
                raise DomainError.of(
                    "CONTACT_NOT_PERMITTED", f"{closed.rule_id}: {closed.message}", "direction"
                )
            if status is AccountStatus.PLACED:
                raise DomainError.of(
                    "NOT_ACKNOWLEDGED", "acknowledge the placement before contacting", "accountId"
                )
            # The rules in force at the contact's moment decide (disputes, holds, opt-outs,
            # hours, rest days, frequency); a refused contact is not recorded.
            context = await compliance.contact_context(ctx, conn, account, occurred_at)
            decision = compliance.decide(ctx, context, channel, occurred_at)
            if not decision.allowed:
                raise DomainError(compliance.refusal_problems(decision))
            pack = decision.pack
        attempt = {
            "id": new_id("cta"),
            "account_id": account["id"],
            "channel": channel.value,
            "direction": direction.value,
            "outcome": outcome.value,
            "occurred_at": occurred_at,
            "recorded_at": now,
            "rule_pack_jurisdiction": pack.jurisdiction if pack is not None else None,
            "rule_pack_version": pack.version if pack is not None else None,
        }
        await conn.execute(contact_attempts.insert().values(**attempt))
        done = Change(
            result={"contact_attempt_id": attempt["id"]}, rows={"contact_attempts": attempt}
        )
        if status is AccountStatus.ACKNOWLEDGED:
            done.values["status"] = transition(status, Action.START_COLLECTION).status.value
        done.emit(E.CONTACT_ATTEMPTED, contactAttempt=contact_view(attempt))
        return done

    payload = {
        "accountId": account_id,
        "channel": channel.value,
        "direction": direction.value,
        "outcome": outcome.value,
        "occurredAt": occurred_at.isoformat(),
    }
    return await change_account(
        ctx, principal, account_id, "logContactAttempt", payload, idempotency_key, change
    )


def contact_view(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "channel": row["channel"],
        "direction": row["direction"],
        "outcome": row["outcome"],
        "occurredAt": rfc3339(row["occurred_at"]),
        "rulePack": {
            "jurisdiction": row["rule_pack_jurisdiction"],
            "version": row["rule_pack_version"],
        }
        if row["rule_pack_version"] is not None
        else None,
    }


async def create_payment_plan(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    *,
    cadence: plans.Cadence,
    start_date: dt.date,
    installment_amount: Money | None,
    installments: Sequence[tuple[dt.date, Money]] | None,
    idempotency_key: str | None = None,
) -> Applied:
    """Agree a plan for the whole balance; the hub computes or checks the schedule."""

    async def change(conn: AsyncConnection, account: Row, now: dt.datetime) -> Change:
        status = AccountStatus(account["status"])
        currency = account["currency"]
        if installment_amount is not None and installment_amount.currency != currency:
            raise DomainError.of(
                "CURRENCY_MISMATCH",
                f"the account is in {currency}",
                "installmentAmount",
                "currency",
            )
        for i, (_, amount) in enumerate(installments or ()):
            if amount.currency != currency:
                raise DomainError.of(
                    "CURRENCY_MISMATCH",
                    f"the account is in {currency}",
                    "installments",
                    str(i),
                    "amount",
                    "currency",
                )
        moved = transition(status, Action.START_PLAN)
        await account_service.refuse_if_payment_in_flight(
            conn, account["id"], "settle pending payments before agreeing a plan"
        )
        schedule = plans.build_schedule(
            account["balance_minor"],
            currency,
            cadence=cadence,
            start=start_date,
            today=now.date(),
            installment_minor=installment_amount.amount_minor if installment_amount else None,
            installments=[plans.Installment(d, m.amount_minor) for d, m in installments]
            if installments is not None
            else None,
        )
        plan = {
            "id": new_id("pln"),
            "account_id": account["id"],
            "cadence": cadence.value,
            "currency": currency,
            "total_minor": account["balance_minor"],
            "start_date": start_date,
            "installments": [
                {"dueDate": i.due_date.isoformat(), "amountMinor": i.amount_minor} for i in schedule
            ],
            "status": "ACTIVE",
            "paused_since": None,
            "paused_days": 0,
            "created_at": now,
            "ended_at": None,
        }
        await conn.execute(payment_plans.insert().values(**plan))
        done = Change(
            values={"status": moved.status.value},
            result={"payment_plan_id": plan["id"]},
            rows={"payment_plans": plan},
        )
        done.emit(E.PAYMENT_PLAN_CREATED, paymentPlan=plan_view(plan))
        return done

    payload = {
        "accountId": account_id,
        "cadence": cadence.value,
        "startDate": start_date.isoformat(),
        "installmentAmount": dataclasses.asdict(installment_amount) if installment_amount else None,
        "installments": [[d.isoformat(), dataclasses.asdict(m)] for d, m in installments]
        if installments is not None
        else None,
    }
    return await change_account(
        ctx, principal, account_id, "createPaymentPlan", payload, idempotency_key, change
    )


async def record_payment(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    *,
    amount: Money,
    method: PaymentMethod,
    channel: PaymentChannel,
    received_at: dt.datetime,
    pending: bool = False,
    idempotency_key: str | None = None,
) -> Applied:
    """A payment for the account: the agency's (AGENCY, PORTAL) or the creditor's direct one.

    A pending payment holds its amount (no overpayment can slip past it) until
    ``settle_payment``; a received one lowers the balance at once, and one that clears it
    closes the account PAID.
    """
    if principal.kind is OrganizationKind.CREDITOR:
        channel = PaymentChannel.CREDITOR_DIRECT
    elif channel is PaymentChannel.CREDITOR_DIRECT:
        raise DomainError.of(
            "INVALID_CHANNEL", "CREDITOR_DIRECT payments are reported by the creditor", "channel"
        )

    async def change(conn: AsyncConnection, account: Row, now: dt.datetime) -> Change:
        _require_open(account)
        _check_reported_time(received_at, account, now, "receivedAt")
        state = _payment_state_of(account)  # read with the account
        check_payment(amount, account["currency"], account["balance_minor"], state.in_flight)
        plan = state.plan
        payment = {
            "id": new_id("pay"),
            "account_id": account["id"],
            "amount_minor": amount.amount_minor,
            "currency": amount.currency,
            "method": method.value,
            "channel": channel.value,
            "status": (PaymentStatus.PENDING if pending else PaymentStatus.SUCCEEDED).value,
            "plan_id": plan["id"] if plan is not None else None,
            "received_at": received_at,
            "recorded_at": now,
            "settled_at": None if pending else now,
            "reversed_at": None,
            "reversal_reason": None,
        }
        done = Change(result={"payment_id": payment["id"]}, rows={"payments": payment})
        done.insert(payments, payment)
        if pending:
            done.emit(E.PAYMENT_PENDING, payment=payment_view(payment))
        else:
            await _payment_succeeded(conn, account, payment, now, done, state)
        return done

    operation = "reportDirectPayment" if principal.is_creditor else "recordPayment"
    payload = {
        "accountId": account_id,
        "amount": dataclasses.asdict(amount),
        "method": method.value,
        "channel": channel.value,
        "receivedAt": received_at.isoformat(),
        "pending": pending,
    }
    return await change_account(
        ctx,
        principal,
        account_id,
        operation,
        payload,
        idempotency_key,
        change,
        read_along=_payment_state_query(),
    )


async def _payment_change(
    ctx: ServiceContext,
    principal: Principal,
    payment_id: str,
    operation: str,
    payload: dict[str, Any],
    idempotency_key: str | None,
    step: Any,
) -> Applied:
    """A change to an existing payment, through its (visible) account."""
    async with ctx.db.read() as conn:
        found = await get_payment(conn, principal, payment_id)
    if found is None:
        raise DomainError.of("NOT_FOUND", "no such payment", "paymentId")

    async def change(conn: AsyncConnection, account: Row, now: dt.datetime) -> Change:
        payment = await _one(conn, sa.select(payments).where(payments.c.id == payment_id))
        assert payment is not None
        done = Change(result={"payment_id": payment_id})
        await step(conn, account, payment, now, done)
        return done

    return await change_account(
        ctx, principal, found["account_id"], operation, payload, idempotency_key, change
    )


async def settle_payment(
    ctx: ServiceContext,
    principal: Principal,
    payment_id: str,
    *,
    succeeded: bool,
    idempotency_key: str | None = None,
) -> Applied:
    """End a pending payment: it succeeded (the balance drops) or failed (nothing moves)."""

    async def step(
        conn: AsyncConnection, account: Row, payment: Row, now: dt.datetime, done: Change
    ) -> None:
        if payment["status"] != "PENDING":
            raise DomainError.of(
                "PAYMENT_NOT_PENDING", f"the payment is {payment['status']}", "paymentId"
            )
        status = PaymentStatus.SUCCEEDED if succeeded else PaymentStatus.FAILED
        state = await _payment_state(conn, account["id"]) if succeeded else None
        await conn.execute(
            payments.update()
            .where(payments.c.id == payment["id"])
            .values(status=status.value, settled_at=now)
        )
        settled = {**payment, "status": status.value, "settled_at": now}
        done.rows["payments"] = settled
        if state is not None:
            await _payment_succeeded(conn, account, settled, now, done, state)
        else:
            done.emit(E.PAYMENT_FAILED, payment=payment_view(settled))

    payload = {"paymentId": payment_id, "succeeded": succeeded}
    return await _payment_change(
        ctx, principal, payment_id, "settlePayment", payload, idempotency_key, step
    )


async def reverse_payment(
    ctx: ServiceContext,
    principal: Principal,
    payment_id: str,
    *,
    reason: str,
    idempotency_key: str | None = None,
) -> Applied:
    """Undo a received payment (chargeback, bounced transfer): the balance goes back up.

    Refused once the account is closed (``ACCOUNT_CLOSED``): a closed account's balance is
    final; the creditor handles a later chargeback outside collection.
    """
    check_text(reason, "reason", required=True)

    async def step(
        conn: AsyncConnection, account: Row, payment: Row, now: dt.datetime, done: Change
    ) -> None:
        _require_open(account)
        if payment["status"] != "SUCCEEDED":
            raise DomainError.of(
                "PAYMENT_NOT_REVERSIBLE",
                f"only a succeeded payment can be reversed; this one is {payment['status']}",
                "paymentId",
            )
        await conn.execute(
            payments.update()
            .where(payments.c.id == payment["id"])
            .values(status="REVERSED", reversed_at=now, reversal_reason=reason)
        )
        reversed_ = {**payment, "status": "REVERSED", "reversed_at": now, "reversal_reason": reason}
        done.rows["payments"] = reversed_
        done.values["balance_minor"] = account["balance_minor"] + payment["amount_minor"]
        done.emit(E.PAYMENT_REVERSED, payment=payment_view(reversed_))

    payload = {"paymentId": payment_id, "reason": reason}
    return await _payment_change(
        ctx, principal, payment_id, "reversePayment", payload, idempotency_key, step
    )


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

    async def change(conn: AsyncConnection, account: Row, now: dt.datetime) -> Change:
        moved = transition(
            AccountStatus(account["status"]), Action.OPEN_DISPUTE, resume_of(account)
        )
        dispute = {
            "id": new_id("dsp"),
            "account_id": account["id"],
            "reason": reason.value,
            "details_enc": ctx.cipher.encrypt_optional(details, account["id"], "dispute.details"),
            "status": "OPEN",
            "outcome": None,
            "notes_enc": None,
            "opened_at": now,
            "resolved_at": None,
        }
        await conn.execute(disputes.insert().values(**dispute))
        await _pause_plan(conn, account["id"], now)
        done = Change(
            values={"status": moved.status.value, "resume_status": _value(moved.resume_status)},
            result={"dispute_id": dispute["id"]},
            rows={"disputes": dispute},
        )
        done.emit(E.DISPUTE_OPENED, dispute=dispute_view(dispute))
        return done

    payload = {"accountId": account_id, "reason": reason.value, "details": details}
    return await change_account(
        ctx, principal, account_id, "openDispute", payload, idempotency_key, change
    )


def _value(status: AccountStatus | None) -> str | None:
    return status.value if status is not None else None


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
    async with ctx.db.read() as conn:
        found = await get_dispute(conn, principal, dispute_id)
    if found is None:
        raise DomainError.of("NOT_FOUND", "no such dispute", "disputeId")

    async def change(conn: AsyncConnection, account: Row, now: dt.datetime) -> Change:
        dispute = await _one(conn, sa.select(disputes).where(disputes.c.id == dispute_id))
        assert dispute is not None
        if dispute["status"] != "OPEN":
            raise DomainError.of("DISPUTE_NOT_OPEN", "the dispute is already resolved", "disputeId")
        await conn.execute(
            disputes.update()
            .where(disputes.c.id == dispute_id)
            .values(
                status="RESOLVED",
                outcome=outcome.value,
                notes_enc=ctx.cipher.encrypt_optional(notes, account["id"], "dispute.notes"),
                resolved_at=now,
            )
        )
        done = Change(result={"dispute_id": dispute_id})
        status = AccountStatus(account["status"])
        if status is AccountStatus.DISPUTED:
            if await _active_hold(conn, account["id"]) is not None:
                done.values["status"] = AccountStatus.ON_HOLD.value
            else:
                moved = transition(status, Action.RESOLVE_DISPUTE, resume_of(account))
                done.values.update(status=moved.status.value, resume_status=None)
                await _resume_plan(conn, account["id"], now)
        resolved = {**dispute, "status": "RESOLVED", "outcome": outcome.value, "resolved_at": now}
        done.emit(E.DISPUTE_RESOLVED, dispute=dispute_view(resolved))
        return done

    payload = {"disputeId": dispute_id, "outcome": outcome.value, "notes": notes}
    return await change_account(
        ctx, principal, found["account_id"], "resolveDispute", payload, idempotency_key, change
    )


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
    """Pause collection (hardship, vulnerability, bereavement): no outbound contact, plan
    clock stopped, until released or until ``until`` passes (the maintenance sweep ends it)."""
    check_text(notes, "notes", limit=2000)

    async def change(conn: AsyncConnection, account: Row, now: dt.datetime) -> Change:
        if until is not None and until <= now:
            raise DomainError.of("INVALID_TIME", "until is in the past", "until")
        moved = transition(AccountStatus(account["status"]), Action.PLACE_HOLD, resume_of(account))
        hold = {
            "id": new_id("hld"),
            "account_id": account["id"],
            "reason": reason.value,
            "notes_enc": ctx.cipher.encrypt_optional(notes, account["id"], "hold.notes"),
            "until": until,
            "status": "ACTIVE",
            "placed_at": now,
            "released_at": None,
        }
        await conn.execute(holds.insert().values(**hold))
        await _pause_plan(conn, account["id"], now)
        done = Change(
            values={"status": moved.status.value, "resume_status": _value(moved.resume_status)},
            result={"hold_id": hold["id"]},
            rows={"holds": hold},
        )
        done.emit(E.HOLD_PLACED, hold=hold_view(hold))
        return done

    payload = {
        "accountId": account_id,
        "reason": reason.value,
        "until": until.isoformat() if until else None,
        "notes": notes,
    }
    return await change_account(
        ctx, principal, account_id, "placeOnHold", payload, idempotency_key, change
    )


async def release_hold(
    ctx: ServiceContext,
    principal: Principal,
    hold_id: str,
    *,
    idempotency_key: str | None = None,
) -> Applied:
    """End a hold; the account resumes (or stays DISPUTED if a dispute opened meanwhile)."""
    async with ctx.db.read() as conn:
        found = await get_hold(conn, principal, hold_id)
    if found is None:
        raise DomainError.of("NOT_FOUND", "no such hold", "holdId")
    return await change_account(
        ctx,
        principal,
        found["account_id"],
        "releaseHold",
        {"holdId": hold_id},
        idempotency_key,
        lambda conn, account, now: _release(conn, account, hold_id, now),
    )


async def _release(conn: AsyncConnection, account: Row, hold_id: str, now: dt.datetime) -> Change:
    hold = await _one(conn, sa.select(holds).where(holds.c.id == hold_id))
    assert hold is not None
    if hold["status"] != "ACTIVE":
        raise DomainError.of("HOLD_NOT_ACTIVE", "the hold has already ended", "holdId")
    done = Change(result={"hold_id": hold_id})
    status = AccountStatus(account["status"])
    if status is AccountStatus.ON_HOLD:
        moved = transition(status, Action.RELEASE_HOLD, resume_of(account))
        done.values.update(status=moved.status.value, resume_status=None)
        await _resume_plan(conn, account["id"], now)
    done.emit(E.HOLD_RELEASED, hold=hold_view(await _end_hold(conn, hold, now)))
    return done


async def close_account(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    *,
    reason: CloseReason,
    settlement_amount: Money | None,
    idempotency_key: str | None = None,
) -> Applied:
    """Close: PAID (balance zero), SETTLED (the customer paid the agreed ``settlement_amount``,
    the rest is forgiven), UNCOLLECTABLE, or RETURNED to the creditor.

    Refused while a payment is in flight. PAID and SETTLED without an open dispute
    rehabilitate the customer (``customer.rehabilitated`` to the creditor).
    """

    async def change(conn: AsyncConnection, account: Row, now: dt.datetime) -> Change:
        _require_open(account)
        await account_service.refuse_if_payment_in_flight(conn, account["id"])
        if reason is CloseReason.PAID and account["balance_minor"] != 0:
            raise DomainError.of(
                "BALANCE_NOT_ZERO", "record the payments first; the balance is not zero", "reason"
            )
        if reason is CloseReason.SETTLED:
            await _check_settlement(conn, account, settlement_amount)
        elif settlement_amount is not None:
            raise DomainError.of(
                "SETTLEMENT_NOT_EXPECTED",
                "only SETTLED takes a settlementAmount",
                "settlementAmount",
            )
        done = Change()
        await _close(conn, account, now, done, reason, settlement=settlement_amount)
        return done

    payload = {
        "accountId": account_id,
        "reason": reason.value,
        "settlementAmount": dataclasses.asdict(settlement_amount) if settlement_amount else None,
    }
    return await change_account(
        ctx, principal, account_id, "closeAccount", payload, idempotency_key, change
    )


async def _check_settlement(conn: AsyncConnection, account: Row, amount: Money | None) -> None:
    if amount is None:
        raise DomainError.of(
            "SETTLEMENT_AMOUNT_REQUIRED",
            "SETTLED needs the agreed settlementAmount",
            "settlementAmount",
        )
    if amount.currency != account["currency"]:
        raise DomainError.of(
            "CURRENCY_MISMATCH",
            f"the account is in {account['currency']}",
            "settlementAmount",
            "currency",
        )
    paid = await _sum_payments(
        conn, payments.c.account_id == account["id"], payments.c.status == "SUCCEEDED"
    )
    if amount.amount_minor <= 0 or amount.amount_minor != paid:
        raise DomainError.of(
            "SETTLEMENT_NOT_PAID",
            f"a settlement closes an account once the agreed amount is paid; {paid} is paid",
            "settlementAmount",
            "amountMinor",
        )


# --- creditor use cases ---------------------------------------------------------------------


async def record_customer_return(
    ctx: ServiceContext,
    principal: Principal,
    customer_id: str,
    *,
    returned_at: dt.datetime,
    order_reference: str,
    idempotency_key: str | None = None,
) -> Applied:
    """A rehabilitated customer bought again: closes the loop (``customer.returned``)."""
    check_text(order_reference, "orderReference", required=True, limit=128)
    async with ctx.db.read() as conn:
        latest = await _one(
            conn,
            sa.select(rehabilitations)
            .where(
                rehabilitations.c.customer_id == customer_id,
                rehabilitations.c.creditor_id == principal.organization_id,
            )
            .order_by(rehabilitations.c.rehabilitated_at.desc())
            .limit(1),
        )
    if latest is None:
        raise DomainError.of(
            "CUSTOMER_NOT_REHABILITATED",
            "this customer has not been rehabilitated (or is not yours)",
            "customerId",
        )

    async def change(conn: AsyncConnection, account: Row, now: dt.datetime) -> Change:
        row = await _one(
            conn, sa.select(rehabilitations).where(rehabilitations.c.id == latest["id"])
        )
        assert row is not None
        if row["returned_at"] is not None:
            raise DomainError.of(
                "ALREADY_RETURNED", "this customer's return is already recorded", "customerId"
            )
        # Clock skew either way: a return stamped by another system's clock still counts.
        if returned_at > now + _CLOCK_SKEW or returned_at < row["rehabilitated_at"] - _CLOCK_SKEW:
            raise DomainError.of(
                "INVALID_TIME", "returnedAt is between the rehabilitation and now", "returnedAt"
            )
        await conn.execute(
            rehabilitations.update()
            .where(rehabilitations.c.id == row["id"])
            .values(returned_at=returned_at, order_reference=order_reference)
        )
        updated = {**row, "returned_at": returned_at, "order_reference": order_reference}
        done = Change(
            result={"rehabilitation_id": row["id"]}, creditor_only=frozenset({E.CUSTOMER_RETURNED})
        )
        done.emit(E.CUSTOMER_RETURNED, rehabilitation=rehabilitation_view(updated))
        return done

    payload = {
        "customerId": customer_id,
        "returnedAt": returned_at.isoformat(),
        "orderReference": order_reference,
    }
    return await change_account(
        ctx,
        principal,
        latest["account_id"],
        "recordCustomerReturn",
        payload,
        idempotency_key,
        change,
    )


async def recall_account(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    *,
    reason: str | None,
    idempotency_key: str | None = None,
) -> Applied:
    """The creditor takes the account back from collection (status RECALLED).

    The agency hears of it through ``account.recalled``; a running plan is cancelled and a
    hold ended. A recall waits until no payment is in flight (``PAYMENT_IN_FLIGHT``), so no
    money arrives on a recalled account.
    """
    if reason is not None and (len(reason) > 500 or not reason.isprintable()):
        raise DomainError.of(
            "INVALID_REASON", "a reason is at most 500 printable characters", "reason"
        )

    async def change(conn: AsyncConnection, account: Row, now: dt.datetime) -> Change:
        moved = transition(AccountStatus(account["status"]), Action.RECALL, resume_of(account))
        await account_service.refuse_if_payment_in_flight(conn, account["id"])
        done = Change()
        await _wind_down(conn, account, now, done, await _open_items(conn, account["id"]))
        done.values.update(status=moved.status.value, resume_status=None, closed_at=now)
        done.emit(E.ACCOUNT_RECALLED, reason=reason)
        return done

    payload = {"accountId": account_id, "reason": reason}
    return await change_account(
        ctx, principal, account_id, "recallAccount", payload, idempotency_key, change
    )


# --- maintenance ----------------------------------------------------------------------------


@dataclasses.dataclass
class SweepReport:
    plans_broken: int = 0
    holds_released: int = 0


async def sweep(ctx: ServiceContext, now: dt.datetime | None = None) -> SweepReport:
    """Break plans past their grace period and end holds whose ``until`` passed.

    Safe to run in several workers at once: each change is a versioned account change, so
    a second sweeper finds the work done and skips it.
    """
    now = now or ctx.clock()
    report = SweepReport()
    async with ctx.db.read() as conn:
        active = await conn.execute(
            sa.select(payment_plans, accounts.c.agency_id)
            .join(accounts, accounts.c.id == payment_plans.c.account_id)
            .where(payment_plans.c.status == "ACTIVE", payment_plans.c.paused_since.is_(None))
        )
        candidates = [r._mapping for r in active]
        paid = await conn.execute(
            sa.select(payments.c.plan_id, sa.func.sum(payments.c.amount_minor))
            .where(payments.c.plan_id.is_not(None), payments.c.status == "SUCCEEDED")
            .where(payments.c.plan_id.in_([p["id"] for p in candidates]))
            .group_by(payments.c.plan_id)
        )
        paid_by_plan = {plan_id: int(total) for plan_id, total in paid}
        expired = await conn.execute(
            sa.select(holds.c.id, holds.c.account_id, accounts.c.agency_id)
            .join(accounts, accounts.c.id == holds.c.account_id)
            .where(holds.c.status == "ACTIVE", holds.c.until <= now)
        )
        expired_holds = [r._mapping for r in expired]
    grace = ctx.settings.plan_grace_days
    for plan in candidates:
        schedule = [
            plans.Installment(dt.date.fromisoformat(i["dueDate"]), i["amountMinor"])
            for i in plan["installments"]
        ]
        if plans.is_broken(
            schedule,
            paid_by_plan.get(plan["id"], 0),
            today=now.date(),
            grace_days=grace,
            paused_days=plan["paused_days"],
        ) and await _system_change(ctx, plan, now, _break_plan(plan["id"])):
            report.plans_broken += 1
    for hold in expired_holds:
        if await _system_change(
            ctx, hold, now, lambda conn, account, at, h=hold["id"]: _release(conn, account, h, at)
        ):
            report.holds_released += 1
    return report


def _break_plan(plan_id: str) -> Any:
    async def change(conn: AsyncConnection, account: Row, now: dt.datetime) -> Change:
        plan = await _one(conn, sa.select(payment_plans).where(payment_plans.c.id == plan_id))
        assert plan is not None
        if plan["status"] != "ACTIVE" or plan["paused_since"] is not None:
            raise DomainError.of("PLAN_NOT_ACTIVE", "the plan changed meanwhile")
        await conn.execute(
            payment_plans.update()
            .where(payment_plans.c.id == plan_id)
            .values(status="BROKEN", ended_at=now)
        )
        done = Change()
        if AccountStatus(account["status"]) is AccountStatus.PAYMENT_PLAN:
            done.values["status"] = transition(
                AccountStatus.PAYMENT_PLAN, Action.END_PLAN
            ).status.value
        done.emit(
            E.PAYMENT_PLAN_BROKEN,
            paymentPlan=plan_view({**plan, "status": "BROKEN", "ended_at": now}),
        )
        return done

    return change


async def _system_change(ctx: ServiceContext, target: Row, now: dt.datetime, change: Any) -> bool:
    """A change the hub makes itself, acting for the account's agency; False if moot."""
    if target["agency_id"] is None:
        return False
    system = Principal(
        client_id="hub",
        organization_id=target["agency_id"],
        kind=OrganizationKind.AGENCY,
        scopes=frozenset(),
    )
    try:
        await change_account(
            dataclasses.replace(ctx, clock=lambda: now),
            system,
            target["account_id"],
            "sweep",
            {},
            None,
            change,
        )
    except DomainError:
        return False
    return True


# --- reads ----------------------------------------------------------------------------------


async def _visible(
    conn: AsyncConnection, principal: Principal, table: sa.Table, id_: str
) -> Row | None:
    """A row of ``table`` whose account the principal can see."""
    from hub.services.visibility import account_clause

    return await _one(
        conn,
        sa.select(table)
        .join(accounts, accounts.c.id == table.c.account_id)
        .where(table.c.id == id_, account_clause(principal)),
    )


async def get_payment(conn: AsyncConnection, principal: Principal, id_: str) -> Row | None:
    return await _visible(conn, principal, payments, id_)


async def get_dispute(conn: AsyncConnection, principal: Principal, id_: str) -> Row | None:
    return await _visible(conn, principal, disputes, id_)


async def get_hold(conn: AsyncConnection, principal: Principal, id_: str) -> Row | None:
    return await _visible(conn, principal, holds, id_)


_DETAIL_ORDER = {
    "contact_attempts": "occurred_at",
    "payment_plans": "created_at",
    "payments": "received_at",
    "disputes": "opened_at",
    "holds": "placed_at",
    "rehabilitations": "rehabilitated_at",
}


async def details_of(
    conn: AsyncConnection, table: str, account_ids: Sequence[str]
) -> dict[str, list[Row]]:
    """Rows of one detail table for accounts already checked visible, oldest first."""
    chosen = _DETAIL_TABLES[table]
    rows = await conn.execute(
        sa.select(chosen)
        .where(chosen.c.account_id.in_(list(account_ids)))
        .order_by(chosen.c.account_id, chosen.c[_DETAIL_ORDER[table]], chosen.c.id)
    )
    grouped: dict[str, list[Row]] = {i: [] for i in account_ids}
    for r in rows:
        grouped[r.account_id].append(r._mapping)
    return grouped


_DETAIL_TABLES = {
    t.name: t for t in (contact_attempts, payment_plans, payments, disputes, holds, rehabilitations)
}


async def get_detail(conn: AsyncConnection, table: str, id_: str) -> Row | None:
    """A row a use case just created or changed for the caller (already checked visible)."""
    chosen = _DETAIL_TABLES[table]
    return await _one(conn, sa.select(chosen).where(chosen.c.id == id_))


async def get_visible_detail(
    conn: AsyncConnection, principal: Principal, table: str, id_: str
) -> Row | None:
    """A detail row by id if the principal can see its account (``node(id:)``)."""
    chosen = _DETAIL_TABLES[table]
    if chosen is rehabilitations:
        if not principal.is_creditor:
            return None
        return await _one(
            conn,
            sa.select(rehabilitations).where(
                rehabilitations.c.id == id_,
                rehabilitations.c.creditor_id == principal.organization_id,
            ),
        )
    return await _visible(conn, principal, chosen, id_)


async def list_rehabilitations(
    conn: AsyncConnection,
    principal: Principal,
    *,
    since: dt.datetime | None,
    before_id: str | None,
    limit: int,
) -> tuple[list[Row], int]:
    """The creditor's rehabilitated customers, newest first, and how many match ``since``.

    Agencies see none: rehabilitation is the creditor's win-back list.
    """
    if not principal.is_creditor:
        return [], 0
    where = [rehabilitations.c.creditor_id == principal.organization_id]
    if since is not None:
        where.append(rehabilitations.c.rehabilitated_at >= since)
    total = await conn.execute(
        sa.select(sa.func.count()).select_from(rehabilitations).where(*where)
    )
    if before_id is not None:
        where.append(rehabilitations.c.id < before_id)
    rows = await conn.execute(
        sa.select(rehabilitations).where(*where).order_by(rehabilitations.c.id.desc()).limit(limit)
    )
    return [r._mapping for r in rows], int(total.scalar_one())
