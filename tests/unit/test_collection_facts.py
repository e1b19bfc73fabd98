"""The KPI projection's rules: what each event adds to an account's collection facts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub.domain import events as E
from hub.domain.collection_facts import FactsDelta, assignment_of, delta_of

AT = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _event(kind: str, days: float = 0, **data: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "account_id": "acc_1",
        "creditor_id": "org_c",
        "agency_id": "org_a",
        "data": {"account": {"country": "SE", "balance": {"amountMinor": 500, "currency": "SEK"}}}
        | data,
        "occurred_at": AT + dt.timedelta(days=days),
    }


def _payment(amount: int, channel: str = "AGENCY") -> dict[str, Any]:
    return {"amount": {"amountMinor": amount, "currency": "SEK"}, "channel": channel}


def test_an_assignment_starts_the_facts_with_the_placed_balance() -> None:
    start = assignment_of(_event(E.ACCOUNT_ASSIGNED))
    assert start is not None
    assert (start.agency_id, start.currency, start.country, start.placed_minor) == (
        "org_a",
        "SEK",
        "SE",
        500,
    )
    assert start.assigned_at == AT
    assert assignment_of(_event(E.ACCOUNT_PLACED)) is None


def test_payments_add_what_they_recovered_and_reversals_take_it_back() -> None:
    delta = delta_of(
        [
            _event(E.PAYMENT_RECEIVED, 2, payment=_payment(200, "PORTAL")),
            _event(E.PAYMENT_RECEIVED, 5, payment=_payment(100)),
            _event(E.PAYMENT_REVERSED, 6, payment=_payment(100)),
        ]
    )
    assert (delta.recovered_minor, delta.payments, delta.portal_payments) == (200, 2, 1)
    assert delta.first_payment_at == AT + dt.timedelta(days=2)


def test_only_paid_and_settled_closures_count_as_recovered() -> None:
    closures = [_event(E.ACCOUNT_CLOSED, reason=r) for r in ("PAID", "SETTLED", "RETURNED")]
    assert delta_of(closures).recovered_closures == 2


def test_plans_disputes_and_rehabilitation_are_counted() -> None:
    delta = delta_of(
        [
            _event(E.PAYMENT_PLAN_COMPLETED),
            _event(E.PAYMENT_PLAN_BROKEN),
            _event(E.PAYMENT_PLAN_BROKEN),
            _event(E.DISPUTE_OPENED),
            _event(E.CUSTOMER_REHABILITATED),
            _event(E.CUSTOMER_RETURNED),
        ]
    )
    assert (delta.plans_completed, delta.plans_broken, delta.disputes) == (1, 2, 1)
    assert (delta.rehabilitations, delta.returns) == (1, 1)


def test_events_that_say_nothing_about_collection_move_nothing() -> None:
    delta = delta_of([_event(E.ACCOUNT_ACKNOWLEDGED), _event(E.ACCOUNT_ASSIGNED)])
    assert delta == FactsDelta() and delta.is_empty
