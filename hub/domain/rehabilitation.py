"""Rehabilitation: a customer who paid is handed back to the creditor to be won back.

An account that closes PAID or SETTLED with no open dispute rehabilitates its customer.
The summary tells the creditor how the customer paid, so it can decide how to re-engage.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hub.domain.errors import DomainError
from hub.domain.time import CLOCK_SKEW
from hub.domain.vocabulary import ContactChannel, ContactDirection, ContactOutcome, PaymentChannel


@dataclass(frozen=True, slots=True)
class PaymentFact:
    amount_minor: int
    channel: PaymentChannel
    received_at: dt.datetime
    on_plan: bool


@dataclass(frozen=True, slots=True)
class ContactFact:
    channel: ContactChannel
    direction: ContactDirection
    outcome: ContactOutcome


@dataclass(frozen=True, slots=True)
class Summary:
    amount_recovered_minor: int
    days_to_pay: int
    days_to_first_payment: int | None
    paid_on_plan: bool
    paid_in_full: bool
    contact_channels: tuple[ContactChannel, ...]
    payment_channels: tuple[PaymentChannel, ...]
    self_served: bool


def summarize(
    *,
    placed_at: dt.datetime,
    closed_at: dt.datetime,
    paid_in_full: bool,
    payments: Iterable[PaymentFact],
    contacts: Iterable[ContactFact],
) -> Summary:
    """The collection summary of a closed account from its successful payments and contacts.

    - ``days_to_first_payment``: whole days from placement to the first payment received.
      A payment may be dated before the placement (received before the account reached
      collection and reported later); it counts as day 0, never as a negative day.
    - ``paid_on_plan``: some payment was made under a payment plan.
    - ``contact_channels``: channels the customer used, i.e. inbound contacts and outbound
      ones that reached them (conversation, promise or refusal), in a fixed order.
    - ``self_served``: every payment came through the self-serve portal or straight to the
      creditor, none through the agency's staff.
    """
    paid = sorted(payments, key=lambda p: p.received_at)
    used = {
        c.channel
        for c in contacts
        if c.direction is ContactDirection.INBOUND or c.outcome.reached_customer
    }
    channels = {p.channel for p in paid}
    return Summary(
        amount_recovered_minor=sum(p.amount_minor for p in paid),
        days_to_pay=(closed_at - placed_at).days,
        days_to_first_payment=max(0, (paid[0].received_at - placed_at).days) if paid else None,
        paid_on_plan=any(p.on_plan for p in paid),
        paid_in_full=paid_in_full,
        contact_channels=tuple(c for c in ContactChannel if c in used),
        payment_channels=tuple(c for c in PaymentChannel if c in channels),
        self_served=bool(paid) and PaymentChannel.AGENCY not in channels,
    )


@dataclass(frozen=True, slots=True)
class Rehabilitation:
    """A customer who paid, handed back to the creditor (``summary`` in ``currency``);
    ``returned_at`` once the creditor reports that they bought again."""

    id: str
    account_id: str
    customer_id: str
    creditor_id: str
    agency_id: str | None
    currency: str
    summary: Summary
    rehabilitated_at: dt.datetime
    returned_at: dt.datetime | None = None
    order_reference: str | None = None

    def returned(
        self, returned_at: dt.datetime, order_reference: str, now: dt.datetime
    ) -> Rehabilitation:
        """The customer bought again at ``returned_at`` (between the rehabilitation and now,
        give or take clock skew: a return stamped by another system's clock still counts)."""
        if self.returned_at is not None:
            raise DomainError.of(
                "ALREADY_RETURNED", "this customer's return is already recorded", "customerId"
            )
        if returned_at > now + CLOCK_SKEW or returned_at < self.rehabilitated_at - CLOCK_SKEW:
            raise DomainError.of(
                "INVALID_TIME", "returnedAt is between the rehabilitation and now", "returnedAt"
            )
        return dataclasses.replace(self, returned_at=returned_at, order_reference=order_reference)


def summary_json(summary: Summary, currency: str) -> dict[str, Any]:
    """The summary as stored and published (``customer.rehabilitated``), in that key order."""
    return {
        "amountRecovered": {"amountMinor": summary.amount_recovered_minor, "currency": currency},
        "daysToPay": summary.days_to_pay,
        "daysToFirstPayment": summary.days_to_first_payment,
        "paidOnPlan": summary.paid_on_plan,
        "paidInFull": summary.paid_in_full,
        "contactChannels": [c.value for c in summary.contact_channels],
        "paymentChannels": [c.value for c in summary.payment_channels],
        "selfServed": summary.self_served,
    }
