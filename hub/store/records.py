"""Rows and the domain's records: how each account item is stored, and read back.

The one place that knows column names of the account tables. Personal data (dispute
details and notes, hold notes) is encrypted here on the way in and decrypted on the way
out, bound to its account and column (``FieldCipher``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from hub.domain.account import Account, AccountStatus, Product
from hub.domain.contact_attempt import ContactAttempt, RulePackRef
from hub.domain.dispute import Dispute, DisputeStatus
from hub.domain.hold import Hold, HoldStatus
from hub.domain.money import Money
from hub.domain.payment import Payment
from hub.domain.payment_plan import Cadence, Installment, PaymentPlan, PlanStatus
from hub.domain.rehabilitation import Rehabilitation, Summary, summary_json
from hub.domain.vocabulary import (
    ContactChannel,
    ContactDirection,
    ContactOutcome,
    DisputeOutcome,
    DisputeReason,
    HoldReason,
    PaymentChannel,
    PaymentMethod,
    PaymentStatus,
)
from hub.store.pii import FieldCipher
from hub.store.tables import (
    contact_attempts,
    disputes,
    holds,
    payment_plans,
    payments,
    rehabilitations,
)

Row = Mapping[Any, Any]


def _status(value: str | None) -> AccountStatus | None:
    return AccountStatus(value) if value else None


def account_of(row: Row) -> Account:
    return Account(
        id=row["id"],
        creditor_id=row["creditor_id"],
        reference=row["reference"],
        customer_id=row["customer_id"],
        product=Product(row["product"]),
        currency=row["currency"],
        original_amount_minor=row["original_amount_minor"],
        balance_minor=row["balance_minor"],
        due_date=row["due_date"],
        status=AccountStatus(row["status"]),
        resume_status=_status(row["resume_status"]),
        agency_id=row["agency_id"],
        country=row["country"],
        metadata=row["metadata"],
        placed_at=row["placed_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        agency_reference=row["agency_reference"],
        acknowledged_at=row["acknowledged_at"],
        closed_at=row["closed_at"],
    )


def account_row(a: Account) -> dict[str, Any]:
    return {
        "id": a.id,
        "creditor_id": a.creditor_id,
        "reference": a.reference,
        "customer_id": a.customer_id,
        "product": a.product.value,
        "currency": a.currency,
        "original_amount_minor": a.original_amount_minor,
        "balance_minor": a.balance_minor,
        "due_date": a.due_date,
        "status": a.status.value,
        "resume_status": a.resume_status.value if a.resume_status else None,
        "agency_id": a.agency_id,
        "country": a.country,
        "metadata": a.metadata,
        "placed_at": a.placed_at,
        "updated_at": a.updated_at,
        "version": a.version,
        "agency_reference": a.agency_reference,
        "acknowledged_at": a.acknowledged_at,
        "closed_at": a.closed_at,
    }


def payment_of(row: Row) -> Payment:
    return Payment(
        id=row["id"],
        account_id=row["account_id"],
        amount=Money(row["amount_minor"], row["currency"]),
        method=PaymentMethod(row["method"]),
        channel=PaymentChannel(row["channel"]),
        status=PaymentStatus(row["status"]),
        plan_id=row["plan_id"],
        received_at=row["received_at"],
        recorded_at=row["recorded_at"],
        settled_at=row["settled_at"],
        reversed_at=row["reversed_at"],
        reversal_reason=row["reversal_reason"],
    )


def payment_row(p: Payment) -> dict[str, Any]:
    return {
        "id": p.id,
        "account_id": p.account_id,
        "amount_minor": p.amount.amount_minor,
        "currency": p.amount.currency,
        "method": p.method.value,
        "channel": p.channel.value,
        "status": p.status.value,
        "plan_id": p.plan_id,
        "received_at": p.received_at,
        "recorded_at": p.recorded_at,
        "settled_at": p.settled_at,
        "reversed_at": p.reversed_at,
        "reversal_reason": p.reversal_reason,
    }


def plan_of(row: Row) -> PaymentPlan:
    return PaymentPlan(
        id=row["id"],
        account_id=row["account_id"],
        cadence=Cadence(row["cadence"]),
        currency=row["currency"],
        total_minor=row["total_minor"],
        start_date=row["start_date"],
        installments=tuple(
            Installment(dt.date.fromisoformat(i["dueDate"]), i["amountMinor"])
            for i in row["installments"]
        ),
        status=PlanStatus(row["status"]),
        created_at=row["created_at"],
        paused_since=row["paused_since"],
        paused_days=row["paused_days"],
        ended_at=row["ended_at"],
    )


def plan_row(p: PaymentPlan) -> dict[str, Any]:
    return {
        "id": p.id,
        "account_id": p.account_id,
        "cadence": p.cadence.value,
        "currency": p.currency,
        "total_minor": p.total_minor,
        "start_date": p.start_date,
        "installments": [
            {"dueDate": i.due_date.isoformat(), "amountMinor": i.amount_minor}
            for i in p.installments
        ],
        "status": p.status.value,
        "paused_since": p.paused_since,
        "paused_days": p.paused_days,
        "created_at": p.created_at,
        "ended_at": p.ended_at,
    }


def dispute_of(row: Row, cipher: FieldCipher) -> Dispute:
    account_id = row["account_id"]
    return Dispute(
        id=row["id"],
        account_id=account_id,
        reason=DisputeReason(row["reason"]),
        details=cipher.decrypt(row["details_enc"], account_id, "dispute.details"),
        status=DisputeStatus(row["status"]),
        opened_at=row["opened_at"],
        outcome=DisputeOutcome(row["outcome"]) if row["outcome"] else None,
        notes=cipher.decrypt(row["notes_enc"], account_id, "dispute.notes"),
        resolved_at=row["resolved_at"],
    )


def dispute_row(d: Dispute, cipher: FieldCipher) -> dict[str, Any]:
    return {
        "id": d.id,
        "account_id": d.account_id,
        "reason": d.reason.value,
        "details_enc": cipher.encrypt_optional(d.details, d.account_id, "dispute.details"),
        "status": d.status.value,
        "outcome": d.outcome.value if d.outcome else None,
        "notes_enc": cipher.encrypt_optional(d.notes, d.account_id, "dispute.notes"),
        "opened_at": d.opened_at,
        "resolved_at": d.resolved_at,
    }


def hold_of(row: Row, cipher: FieldCipher) -> Hold:
    return Hold(
        id=row["id"],
        account_id=row["account_id"],
        reason=HoldReason(row["reason"]),
        notes=cipher.decrypt(row["notes_enc"], row["account_id"], "hold.notes"),
        until=row["until"],
        status=HoldStatus(row["status"]),
        placed_at=row["placed_at"],
        released_at=row["released_at"],
    )


def hold_row(h: Hold, cipher: FieldCipher) -> dict[str, Any]:
    return {
        "id": h.id,
        "account_id": h.account_id,
        "reason": h.reason.value,
        "notes_enc": cipher.encrypt_optional(h.notes, h.account_id, "hold.notes"),
        "until": h.until,
        "status": h.status.value,
        "placed_at": h.placed_at,
        "released_at": h.released_at,
    }


def contact_of(row: Row) -> ContactAttempt:
    pack = (
        RulePackRef(row["rule_pack_jurisdiction"], row["rule_pack_version"])
        if row["rule_pack_version"] is not None
        else None
    )
    return ContactAttempt(
        id=row["id"],
        account_id=row["account_id"],
        channel=ContactChannel(row["channel"]),
        direction=ContactDirection(row["direction"]),
        outcome=ContactOutcome(row["outcome"]),
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        rule_pack=pack,
    )


def contact_row(c: ContactAttempt) -> dict[str, Any]:
    return {
        "id": c.id,
        "account_id": c.account_id,
        "channel": c.channel.value,
        "direction": c.direction.value,
        "outcome": c.outcome.value,
        "occurred_at": c.occurred_at,
        "recorded_at": c.recorded_at,
        "rule_pack_jurisdiction": c.rule_pack.jurisdiction if c.rule_pack else None,
        "rule_pack_version": c.rule_pack.version if c.rule_pack else None,
    }


def _summary_of(data: Row) -> Summary:
    # Summaries written before payments dated before the placement counted as day 0 may
    # hold a negative day; they read as 0, as a new summary would say.
    first = data["daysToFirstPayment"]
    return Summary(
        amount_recovered_minor=data["amountRecovered"]["amountMinor"],
        days_to_pay=data["daysToPay"],
        days_to_first_payment=max(0, first) if first is not None else None,
        paid_on_plan=data["paidOnPlan"],
        paid_in_full=data["paidInFull"],
        contact_channels=tuple(ContactChannel(c) for c in data["contactChannels"]),
        payment_channels=tuple(PaymentChannel(c) for c in data["paymentChannels"]),
        self_served=data["selfServed"],
    )


def rehabilitation_of(row: Row) -> Rehabilitation:
    summary = row["summary"]
    return Rehabilitation(
        id=row["id"],
        account_id=row["account_id"],
        customer_id=row["customer_id"],
        creditor_id=row["creditor_id"],
        agency_id=row["agency_id"],
        currency=summary["amountRecovered"]["currency"],
        summary=_summary_of(summary),
        rehabilitated_at=row["rehabilitated_at"],
        returned_at=row["returned_at"],
        order_reference=row["order_reference"],
    )


def rehabilitation_row(r: Rehabilitation) -> dict[str, Any]:
    return {
        "id": r.id,
        "account_id": r.account_id,
        "customer_id": r.customer_id,
        "creditor_id": r.creditor_id,
        "agency_id": r.agency_id,
        "summary": summary_json(r.summary, r.currency),
        "rehabilitated_at": r.rehabilitated_at,
        "returned_at": r.returned_at,
        "order_reference": r.order_reference,
    }


# --- any item -------------------------------------------------------------------------------

Item = Payment | PaymentPlan | Dispute | Hold | ContactAttempt | Rehabilitation
_TABLES: dict[type, sa.Table] = {
    Payment: payments,
    PaymentPlan: payment_plans,
    Dispute: disputes,
    Hold: holds,
    ContactAttempt: contact_attempts,
    Rehabilitation: rehabilitations,
}
#: Fields stored in columns of another name (the default is the field's own name).
_FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "amount": ("amount_minor", "currency"),
    "details": ("details_enc",),
    "notes": ("notes_enc",),
    "rule_pack": ("rule_pack_jurisdiction", "rule_pack_version"),
    "currency": ("currency", "summary"),
}


def table_of(item: Item) -> sa.Table:
    return _TABLES[type(item)]


def row_of(item: Item, cipher: FieldCipher) -> dict[str, Any]:
    """The row that stores ``item``."""
    match item:
        case Payment():
            return payment_row(item)
        case PaymentPlan():
            return plan_row(item)
        case Dispute():
            return dispute_row(item, cipher)
        case Hold():
            return hold_row(item, cipher)
        case ContactAttempt():
            return contact_row(item)
        case Rehabilitation():
            return rehabilitation_row(item)


def changed_columns(old: Any, new: Any, row: Mapping[str, Any]) -> dict[str, Any]:
    """The columns of ``row`` (the row of ``new``) that store a field ``new`` changed."""
    changed: dict[str, Any] = {}
    for f in dataclasses.fields(new):
        if getattr(old, f.name) != getattr(new, f.name):
            for column in _FIELD_COLUMNS.get(f.name, (f.name,)):
                if column in row:
                    changed[column] = row[column]
    return changed
