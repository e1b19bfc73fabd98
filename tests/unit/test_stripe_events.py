"""What Stripe's webhook events mean for a portal payment (``hub.domain.stripe_events``)."""

from __future__ import annotations

from typing import Any

import pytest

from hub.domain.errors import DomainError
from hub.domain.money import Money
from hub.domain.portal_payment import PaymentRequest, ProviderEventKind
from hub.domain.stripe_events import PaymentTag, change_of, tag_metadata, tag_of

REQUEST = PaymentRequest("pay_1", "acc_1", "org_1", Money(25050, "SEK"), None, "https://h/p/t")
TAG = tag_metadata(REQUEST)


def session(**changes: Any) -> dict[str, Any]:
    found = {"metadata": TAG, "payment_status": "paid", "amount_total": 25050, "currency": "sek"}
    return {**found, **changes}


def test_the_tag_reads_back_what_the_session_carried() -> None:
    assert tag_of(TAG) == PaymentTag("pay_1", "acc_1", "org_1")
    assert tag_of({**TAG, "evenly_payment_id": ""}) is None
    assert tag_of({**TAG, "evenly_account_id": 7}) is None
    assert tag_of("not a mapping") is None


def test_a_paid_completed_session_confirms_for_the_amount_stripe_took() -> None:
    change = change_of("checkout.session.completed", session())
    assert change is not None and change.kind is ProviderEventKind.CONFIRMED
    assert change.taken == Money(25050, "SEK")
    event = change.event("evt_1", PaymentTag("pay_1", "acc_1", "org_1"))
    assert event.event_id == "stripe_evt_1" and event.payment_id == "pay_1"


def test_a_session_completed_but_not_yet_paid_changes_nothing() -> None:
    assert change_of("checkout.session.completed", session(payment_status="unpaid")) is None


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [
        ("checkout.session.async_payment_succeeded", ProviderEventKind.CONFIRMED),
        ("checkout.session.async_payment_failed", ProviderEventKind.DECLINED),
        ("checkout.session.expired", ProviderEventKind.DECLINED),
    ],
)
def test_async_outcomes_and_expiry(event_type: str, kind: ProviderEventKind) -> None:
    change = change_of(event_type, session(payment_status="unpaid"))
    assert change is not None and change.kind is kind


def test_a_full_refund_reverses_and_a_partial_one_does_not() -> None:
    full = change_of("charge.refunded", {"refunded": True, "metadata": TAG, "payment_intent": "pi"})
    assert full is not None and full.kind is ProviderEventKind.REVERSED and full.tag is not None
    assert change_of("charge.refunded", {"refunded": False, "metadata": TAG}) is None


def test_a_dispute_reverses_by_its_payment_intent() -> None:
    change = change_of("charge.dispute.created", {"payment_intent": "pi_1", "reason": "fraudulent"})
    assert change is not None and change.kind is ProviderEventKind.REVERSED
    assert change.tag is None and change.payment_intent == "pi_1"
    assert "fraudulent" in change.reason


def test_other_types_are_ignored() -> None:
    assert change_of("customer.created", {"id": "cus_1"}) is None
    assert change_of("payment_intent.succeeded", None) is None


@pytest.mark.parametrize(
    ("event_type", "obj"),
    [
        ("checkout.session.completed", None),
        ("checkout.session.completed", session(metadata={})),
        ("checkout.session.completed", session(amount_total="250")),
        ("checkout.session.completed", session(currency="xxx")),
        ("charge.dispute.created", {"reason": "fraudulent"}),
        ("charge.refunded", {"refunded": True}),
    ],
)
def test_a_known_type_with_a_broken_object_is_malformed(event_type: str, obj: Any) -> None:
    with pytest.raises(DomainError) as refused:
        change_of(event_type, obj)
    assert refused.value.code == "STRIPE_EVENT_MALFORMED"
