"""What the creditor learns about how a customer paid, from the account's facts alone."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.domain.errors import DomainError
from hub.domain.rehabilitation import (
    ContactFact,
    PaymentFact,
    Rehabilitation,
    summarize,
    summary_json,
)
from hub.domain.vocabulary import ContactChannel, ContactDirection, ContactOutcome, PaymentChannel

PLACED = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)
Out, In = ContactDirection.OUTBOUND, ContactDirection.INBOUND


def _paid(
    days: float, amount: int, channel: PaymentChannel, *, on_plan: bool = False
) -> PaymentFact:
    return PaymentFact(amount, channel, PLACED + dt.timedelta(days=days), on_plan)


def test_the_summary_counts_days_money_and_the_channels_that_reached_the_customer() -> None:
    summary = summarize(
        placed_at=PLACED,
        closed_at=PLACED + dt.timedelta(days=20, hours=5),
        paid_in_full=True,
        payments=[
            _paid(12.5, 3_000, PaymentChannel.AGENCY, on_plan=True),
            _paid(4.2, 2_000, PaymentChannel.PORTAL),
        ],
        contacts=[
            ContactFact(ContactChannel.SMS, Out, ContactOutcome.DELIVERED),
            ContactFact(ContactChannel.CALL, Out, ContactOutcome.PROMISE_TO_PAY),
            ContactFact(ContactChannel.EMAIL, In, ContactOutcome.DELIVERED),
        ],
    )
    assert summary.amount_recovered_minor == 5_000
    assert (summary.days_to_pay, summary.days_to_first_payment) == (20, 4)
    assert summary.paid_on_plan and summary.paid_in_full
    # An SMS merely delivered did not reach the customer; the order is the enum's.
    assert summary.contact_channels == (ContactChannel.EMAIL, ContactChannel.CALL)
    assert summary.payment_channels == (PaymentChannel.AGENCY, PaymentChannel.PORTAL)
    assert not summary.self_served


def test_a_payment_dated_before_the_placement_counts_as_day_zero() -> None:
    summary = summarize(
        placed_at=PLACED,
        closed_at=PLACED + dt.timedelta(days=1),
        paid_in_full=True,
        payments=[_paid(-3, 1_000, PaymentChannel.CREDITOR_DIRECT)],
        contacts=[],
    )
    assert summary.days_to_first_payment == 0
    assert summary.self_served and not summary.paid_on_plan


def test_no_payment_is_never_self_served() -> None:
    summary = summarize(
        placed_at=PLACED,
        closed_at=PLACED + dt.timedelta(days=2),
        paid_in_full=False,
        payments=[],
        contacts=[],
    )
    assert (summary.amount_recovered_minor, summary.days_to_first_payment) == (0, None)
    assert not summary.self_served


def test_the_published_summary_keeps_its_key_order_and_money_shape() -> None:
    summary = summarize(
        placed_at=PLACED,
        closed_at=PLACED + dt.timedelta(days=3),
        paid_in_full=True,
        payments=[_paid(1, 700, PaymentChannel.PORTAL)],
        contacts=[],
    )
    published = summary_json(summary, "SEK")
    assert list(published) == [
        "amountRecovered",
        "daysToPay",
        "daysToFirstPayment",
        "paidOnPlan",
        "paidInFull",
        "contactChannels",
        "paymentChannels",
        "selfServed",
    ]
    assert published["amountRecovered"] == {"amountMinor": 700, "currency": "SEK"}
    assert published["paymentChannels"] == ["PORTAL"]


def _rehabilitation() -> Rehabilitation:
    summary = summarize(
        placed_at=PLACED, closed_at=PLACED, paid_in_full=True, payments=[], contacts=[]
    )
    return Rehabilitation(
        id="rhb_1",
        account_id="acc_1",
        customer_id="cus_1",
        creditor_id="org_1",
        agency_id=None,
        currency="EUR",
        summary=summary,
        rehabilitated_at=PLACED + dt.timedelta(days=10),
    )


def test_a_return_is_recorded_once_within_the_rehabilitation_and_now() -> None:
    rehab = _rehabilitation()
    now = PLACED + dt.timedelta(days=30)
    back = rehab.returned(PLACED + dt.timedelta(days=12), "ord_9", now)
    assert (back.returned_at, back.order_reference) == (PLACED + dt.timedelta(days=12), "ord_9")
    with pytest.raises(DomainError) as again:
        back.returned(PLACED + dt.timedelta(days=13), "ord_10", now)
    assert again.value.code == "ALREADY_RETURNED"
    for when in (PLACED, now + dt.timedelta(hours=1)):
        with pytest.raises(DomainError) as out_of_range:
            rehab.returned(when, "ord_9", now)
        assert out_of_range.value.code == "INVALID_TIME"
