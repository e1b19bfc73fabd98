"""What an account's events say about collecting it: the facts the KPIs aggregate.

Each account assigned to an agency has one row of facts (``hub.store.account_facts``),
born with its ``account.assigned`` event and moved by each later event in that event's
own write, by the delta ``delta_of`` computes here. ``agencyPerformance`` then sums one
row per account; the rates it reports from those sums are ``hub.domain.kpi_rates``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from hub.domain import events as E
from hub.domain.vocabulary import PaymentChannel

#: Closing reasons that count as recovered.
RECOVERED_CLOSURES = frozenset({"PAID", "SETTLED"})


@dataclass(frozen=True, slots=True)
class Assignment:
    """The facts an account starts with when its creditor's routing assigns it."""

    account_id: str
    creditor_id: str
    agency_id: str
    assigned_at: dt.datetime
    currency: str
    country: str
    placed_minor: int
    #: The split routing rule's experiment that chose the agency (the arm), if any.
    experiment_id: str | None = None


@dataclass(frozen=True, slots=True)
class FactsDelta:
    """What some events add to an account's facts: counts and sums, and the first payment
    (kept if the account has one already)."""

    recovered_minor: int = 0
    payments: int = 0
    portal_payments: int = 0
    plans_completed: int = 0
    plans_broken: int = 0
    disputes: int = 0
    recovered_closures: int = 0
    rehabilitations: int = 0
    returns: int = 0
    first_payment_at: dt.datetime | None = None

    @property
    def is_empty(self) -> bool:
        return self == _NOTHING

    def counts(self) -> dict[str, int]:
        """The additive part, by name."""
        return {name: getattr(self, name) for name in COUNTS}


_NOTHING = FactsDelta()
#: The additive facts, in the order of ``FactsDelta``.
COUNTS = tuple(f.name for f in fields(FactsDelta) if f.name != "first_payment_at")


def assignment_of(event: Mapping[str, Any]) -> Assignment | None:
    """The facts an ``account.assigned`` event starts; None for any other event."""
    if event["type"] != E.ACCOUNT_ASSIGNED or event.get("account_id") is None:
        return None
    account = event["data"]["account"]
    return Assignment(
        account_id=event["account_id"],
        creditor_id=event["creditor_id"],
        agency_id=event["agency_id"],
        assigned_at=event["occurred_at"],
        currency=account["balance"]["currency"],
        country=account["country"],
        placed_minor=int(account["balance"]["amountMinor"]),
        experiment_id=event["data"].get("experimentId"),
    )


def delta_of(events: Iterable[Mapping[str, Any]]) -> FactsDelta:
    """What ``events`` (event rows: ``type``, ``data``, ``occurred_at``, in order) add to
    their account's facts."""
    counts = dict.fromkeys(COUNTS, 0)
    first_payment: dt.datetime | None = None
    for event in events:
        kind, data = event["type"], event["data"]
        if kind in (E.PAYMENT_RECEIVED, E.PAYMENT_REVERSED):
            amount = int(data["payment"]["amount"]["amountMinor"])
            counts["recovered_minor"] += amount if kind == E.PAYMENT_RECEIVED else -amount
        if kind == E.PAYMENT_RECEIVED:
            counts["payments"] += 1
            if data["payment"].get("channel") == PaymentChannel.PORTAL.value:
                counts["portal_payments"] += 1
            first_payment = first_payment or event["occurred_at"]
        elif kind == E.ACCOUNT_CLOSED and data.get("reason") in RECOVERED_CLOSURES:
            counts["recovered_closures"] += 1
        else:
            key = _COUNTED.get(kind)
            if key is not None:
                counts[key] += 1
    return FactsDelta(**counts, first_payment_at=first_payment)


_COUNTED = {
    E.PAYMENT_PLAN_COMPLETED: "plans_completed",
    E.PAYMENT_PLAN_BROKEN: "plans_broken",
    E.DISPUTE_OPENED: "disputes",
    E.CUSTOMER_REHABILITATED: "rehabilitations",
    E.CUSTOMER_RETURNED: "returns",
}
