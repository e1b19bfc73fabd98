"""The lifecycles of what an account holds (payments, plans, disputes, holds), specified by
explicit tables written from the product rules and checked over every (status, action)."""

from __future__ import annotations

import datetime as dt
import itertools
from enum import StrEnum

import pytest

from hub.domain.dispute import DISPUTE_LIFECYCLE, Dispute, DisputeAction, DisputeStatus
from hub.domain.errors import DomainError
from hub.domain.hold import HOLD_LIFECYCLE, Hold, HoldAction, HoldStatus
from hub.domain.lifecycle import Lifecycle
from hub.domain.money import Money
from hub.domain.payment import PAYMENT_LIFECYCLE, Payment, PaymentAction
from hub.domain.payment_plan import (
    PLAN_LIFECYCLE,
    Cadence,
    Installment,
    PaymentPlan,
    PlanAction,
    PlanStatus,
)
from hub.domain.vocabulary import (
    DisputeOutcome,
    DisputeReason,
    HoldReason,
    PaymentChannel,
    PaymentMethod,
    PaymentStatus,
)

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)

PAYMENT_MOVES = {
    (PaymentStatus.PENDING, PaymentAction.SUCCEED): PaymentStatus.SUCCEEDED,
    (PaymentStatus.PENDING, PaymentAction.FAIL): PaymentStatus.FAILED,
    (PaymentStatus.SUCCEEDED, PaymentAction.REVERSE): PaymentStatus.REVERSED,
}
PLAN_MOVES = {
    (PlanStatus.ACTIVE, PlanAction.COMPLETE): PlanStatus.COMPLETED,
    (PlanStatus.ACTIVE, PlanAction.BREAK): PlanStatus.BROKEN,
    (PlanStatus.ACTIVE, PlanAction.CANCEL): PlanStatus.CANCELLED,
}
DISPUTE_MOVES = {(DisputeStatus.OPEN, DisputeAction.RESOLVE): DisputeStatus.RESOLVED}
HOLD_MOVES = {(HoldStatus.ACTIVE, HoldAction.RELEASE): HoldStatus.RELEASED}

TABLES: list[tuple[str, Lifecycle, type[StrEnum], type[StrEnum], dict, dict[StrEnum, str]]] = [  # type: ignore[type-arg]
    (
        "payment",
        PAYMENT_LIFECYCLE,
        PaymentStatus,
        PaymentAction,
        PAYMENT_MOVES,
        {
            PaymentAction.SUCCEED: "PAYMENT_NOT_PENDING",
            PaymentAction.FAIL: "PAYMENT_NOT_PENDING",
            PaymentAction.REVERSE: "PAYMENT_NOT_REVERSIBLE",
        },
    ),
    (
        "plan",
        PLAN_LIFECYCLE,
        PlanStatus,
        PlanAction,
        PLAN_MOVES,
        dict.fromkeys(PlanAction, "PLAN_NOT_ACTIVE"),
    ),
    (
        "dispute",
        DISPUTE_LIFECYCLE,
        DisputeStatus,
        DisputeAction,
        DISPUTE_MOVES,
        {DisputeAction.RESOLVE: "DISPUTE_NOT_OPEN"},
    ),
    (
        "hold",
        HOLD_LIFECYCLE,
        HoldStatus,
        HoldAction,
        HOLD_MOVES,
        {HoldAction.RELEASE: "HOLD_NOT_ACTIVE"},
    ),
]


def _cases() -> list[tuple[str, Lifecycle, StrEnum, StrEnum, StrEnum | None, str]]:  # type: ignore[type-arg]
    cases = []
    for name, lifecycle, statuses, actions, moves, codes in TABLES:
        for status, action in itertools.product(statuses, actions):
            cases.append(
                (name, lifecycle, status, action, moves.get((status, action)), codes[action])
            )
    return cases


@pytest.mark.parametrize(("name", "lifecycle", "status", "action", "target", "code"), _cases())
def test_every_status_and_action_of_each_lifecycle(
    name: str,
    lifecycle: Lifecycle,  # type: ignore[type-arg]
    status: StrEnum,
    action: StrEnum,
    target: StrEnum | None,
    code: str,
) -> None:
    if target is None:
        with pytest.raises(DomainError) as refused:
            lifecycle.apply(status, action)
        assert refused.value.code == code, name
        assert action not in lifecycle.allowed(status)
    else:
        assert lifecycle.apply(status, action) is target
        assert action in lifecycle.allowed(status)


def _payment(status: PaymentStatus) -> Payment:
    return Payment(
        id="pay_1",
        account_id="acc_1",
        amount=Money(5000, "SEK"),
        method=PaymentMethod.CARD,
        channel=PaymentChannel.PORTAL,
        status=status,
        plan_id=None,
        received_at=NOW,
        recorded_at=NOW,
    )


def test_a_settled_payment_keeps_when_it_settled_and_a_reversed_one_why() -> None:
    settled = _payment(PaymentStatus.PENDING).settle(True, NOW)
    assert (settled.status, settled.settled_at) == (PaymentStatus.SUCCEEDED, NOW)
    later = NOW + dt.timedelta(days=2)
    reversed_ = settled.reverse("chargeback", later)
    assert (reversed_.status, reversed_.reversed_at, reversed_.reversal_reason) == (
        PaymentStatus.REVERSED,
        later,
        "chargeback",
    )
    with pytest.raises(DomainError, match="PAYMENT_NOT_PENDING"):
        settled.settle(False, later)


def _plan() -> PaymentPlan:
    return PaymentPlan(
        id="pln_1",
        account_id="acc_1",
        cadence=Cadence.WEEKLY,
        currency="SEK",
        total_minor=20000,
        start_date=NOW.date(),
        installments=(
            Installment(NOW.date(), 10000),
            Installment(NOW.date() + dt.timedelta(days=7), 10000),
        ),
        status=PlanStatus.ACTIVE,
        created_at=NOW,
    )


def test_a_plan_paused_twice_counts_its_pause_once_and_shifts_by_whole_days() -> None:
    paused = _plan().pause(NOW)
    assert paused.pause(NOW + dt.timedelta(days=1)).paused_since == NOW
    resumed = paused.resume(NOW + dt.timedelta(days=3, hours=5))
    assert (resumed.paused_since, resumed.paused_days) == (None, 3)
    assert resumed.resume(NOW + dt.timedelta(days=9)) is resumed


def test_a_paused_plan_never_breaks_and_a_running_one_breaks_after_the_grace_period() -> None:
    plan = _plan()
    late = NOW.date() + dt.timedelta(days=4)
    assert plan.broken_by(0, today=late, grace_days=3)
    assert not plan.broken_by(0, today=late - dt.timedelta(days=1), grace_days=3)
    assert not plan.broken_by(10000, today=late, grace_days=3)
    assert not plan.pause(NOW).broken_by(0, today=late, grace_days=3)
    assert not plan.end(PlanAction.COMPLETE, NOW).broken_by(0, today=late, grace_days=3)


def test_resolving_keeps_the_outcome_and_notes_and_a_second_resolution_is_refused() -> None:
    dispute = Dispute(
        "dsp_1", "acc_1", DisputeReason.WRONG_AMOUNT, "too much", DisputeStatus.OPEN, NOW
    )
    resolved = dispute.resolve(DisputeOutcome.REJECTED, "checked", NOW)
    assert (resolved.is_open, resolved.outcome, resolved.notes, resolved.resolved_at) == (
        False,
        DisputeOutcome.REJECTED,
        "checked",
        NOW,
    )
    with pytest.raises(DomainError, match="DISPUTE_NOT_OPEN"):
        resolved.resolve(DisputeOutcome.UPHELD, None, NOW)


def test_a_hold_expires_once_its_until_has_passed_and_ends_once() -> None:
    hold = Hold(
        "hld_1",
        "acc_1",
        HoldReason.HARDSHIP,
        None,
        NOW + dt.timedelta(days=1),
        HoldStatus.ACTIVE,
        NOW,
    )
    assert not hold.expired(NOW)
    assert hold.expired(NOW + dt.timedelta(days=1))
    released = hold.release(NOW)
    assert not released.expired(NOW + dt.timedelta(days=2))
    with pytest.raises(DomainError, match="HOLD_NOT_ACTIVE"):
        released.release(NOW)
