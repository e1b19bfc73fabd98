"""The plan rules on their own: schedules, due dates, when a plan counts as broken."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.errors import DomainError
from hub.domain.payment_plan import (
    MAX_INSTALLMENTS,
    MAX_START_DAYS,
    Cadence,
    Installment,
    PaymentPlan,
    PlanAction,
    PlanStatus,
    build_schedule,
    due_dates,
    first_missed,
    floor_minor,
    is_broken,
)

TODAY = dt.date(2026, 3, 10)
NOON = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)


def test_monthly_due_dates_keep_the_day_and_clamp_to_short_months() -> None:
    assert due_dates(dt.date(2028, 1, 31), Cadence.MONTHLY, 4) == [
        dt.date(2028, 1, 31),
        dt.date(2028, 2, 29),
        dt.date(2028, 3, 31),
        dt.date(2028, 4, 30),
    ]
    assert due_dates(dt.date(2026, 11, 15), Cadence.MONTHLY, 3)[-1] == dt.date(2027, 1, 15)


@pytest.mark.parametrize(
    ("cadence", "step"), [(Cadence.DAILY, 1), (Cadence.WEEKLY, 7), (Cadence.BIWEEKLY, 14)]
)
def test_fixed_cadences_step_by_whole_days(cadence: Cadence, step: int) -> None:
    dates = due_dates(TODAY, cadence, 5)
    assert [(b - a).days for a, b in itertools.pairwise(dates)] == [step] * 4


def test_floor_is_one_major_unit_of_the_currency() -> None:
    assert (floor_minor("EUR"), floor_minor("JPY"), floor_minor("KWD")) == (100, 1, 1000)


@given(
    balance=st.integers(1, 10_000_000),
    amount=st.integers(100, 10_000_000),
    cadence=st.sampled_from(Cadence),
)
def test_a_cut_schedule_sums_to_the_balance_with_no_installment_below_the_floor(
    balance: int, amount: int, cadence: Cadence
) -> None:
    try:
        schedule = build_schedule(
            balance,
            "EUR",
            cadence=cadence,
            start=TODAY,
            today=TODAY,
            installment_minor=amount,
            installments=None,
        )
    except DomainError as refused:
        assert refused.code == "TOO_MANY_INSTALLMENTS"
        assert balance // amount >= MAX_INSTALLMENTS
        return
    assert sum(i.amount_minor for i in schedule) == balance
    assert all(i.amount_minor >= min(100, balance) for i in schedule)
    assert len(schedule) <= MAX_INSTALLMENTS
    assert [i.due_date for i in schedule] == due_dates(TODAY, cadence, len(schedule))


def test_a_remainder_below_the_floor_joins_the_last_installment() -> None:
    schedule = build_schedule(
        10_050,
        "EUR",
        cadence=Cadence.WEEKLY,
        start=TODAY,
        today=TODAY,
        installment_minor=2_500,
        installments=None,
    )
    assert [i.amount_minor for i in schedule] == [2_500, 2_500, 2_500, 2_550]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"installment_minor": None, "installments": None}, "PLAN_TERMS_REQUIRED"),
        ({"installment_minor": 99, "installments": None}, "INSTALLMENT_BELOW_FLOOR"),
        ({"installment_minor": 1_000, "start": TODAY - dt.timedelta(days=1)}, "INVALID_START_DATE"),
        (
            {"installment_minor": 1_000, "start": TODAY + dt.timedelta(days=MAX_START_DAYS + 1)},
            "INVALID_START_DATE",
        ),
        (
            {"installment_minor": None, "installments": [Installment(TODAY, 9_000)]},
            "PLAN_TOTAL_MISMATCH",
        ),
        (
            {
                "installment_minor": None,
                "installments": [Installment(TODAY, 5_000), Installment(TODAY, 5_000)],
            },
            "INVALID_DUE_DATE",
        ),
        (
            {
                "installment_minor": None,
                "installments": [Installment(TODAY, 9_950), Installment(TODAY, 50)],
            },
            "INSTALLMENT_BELOW_FLOOR",
        ),
        ({"installment_minor": None, "installments": []}, "TOO_MANY_INSTALLMENTS"),
    ],
)
def test_terms_the_hub_refuses(kwargs: dict[str, object], code: str) -> None:
    terms: dict[str, object] = {
        "cadence": Cadence.MONTHLY,
        "start": TODAY,
        "today": TODAY,
        "installment_minor": None,
        "installments": None,
    } | kwargs
    with pytest.raises(DomainError) as excinfo:
        build_schedule(10_000, "EUR", **terms)  # type: ignore[arg-type]
    assert excinfo.value.code == code


PLAN = [Installment(TODAY, 3_000), Installment(TODAY + dt.timedelta(days=30), 3_000)]


def test_the_first_missed_installment_counts_payments_cumulatively() -> None:
    assert first_missed(PLAN, 0, 0) == PLAN[0]
    assert first_missed(PLAN, 3_000, 0) == PLAN[1]
    assert first_missed(PLAN, 6_000, 0) is None
    shifted = first_missed(PLAN, 3_000, 5)
    assert shifted is not None and shifted.due_date == PLAN[1].due_date + dt.timedelta(days=5)


@pytest.mark.parametrize(
    ("days_late", "paused_days", "broken"),
    [(3, 0, False), (4, 0, True), (4, 1, False), (9, 5, True)],
)
def test_a_plan_breaks_only_after_the_grace_days_past_its_shifted_date(
    days_late: int, paused_days: int, broken: bool
) -> None:
    today = TODAY + dt.timedelta(days=days_late)
    assert is_broken(PLAN, 0, today=today, grace_days=3, paused_days=paused_days) is broken


def _plan() -> PaymentPlan:
    return PaymentPlan(
        id="pln_1",
        account_id="acc_1",
        cadence=Cadence.MONTHLY,
        currency="EUR",
        total_minor=6_000,
        start_date=TODAY,
        installments=tuple(PLAN),
        status=PlanStatus.ACTIVE,
        created_at=NOON,
    )


def test_pausing_stops_the_clock_and_resuming_shifts_every_due_date() -> None:
    paused = _plan().pause(NOON)
    assert paused.pause(NOON + dt.timedelta(days=2)) == paused  # stacked side states
    late = TODAY + dt.timedelta(days=20)
    assert not paused.broken_by(0, today=late, grace_days=3)
    resumed = paused.resume(NOON + dt.timedelta(days=10))
    assert (resumed.paused_since, resumed.paused_days) == (None, 10)
    assert not resumed.broken_by(0, today=TODAY + dt.timedelta(days=13), grace_days=3)
    assert resumed.broken_by(0, today=TODAY + dt.timedelta(days=14), grace_days=3)


def test_an_ended_plan_never_breaks_and_cannot_end_twice() -> None:
    cancelled = _plan().end(PlanAction.CANCEL, NOON)
    assert cancelled.status is PlanStatus.CANCELLED and cancelled.ended_at == NOON
    assert not cancelled.broken_by(0, today=TODAY + dt.timedelta(days=90), grace_days=3)
    with pytest.raises(DomainError) as excinfo:
        cancelled.end(PlanAction.COMPLETE, NOON)
    assert excinfo.value.code == "PLAN_NOT_ACTIVE"
