"""Test clocks' rules: durations, where an advance ends, the limits, and the halts."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.domain.errors import DomainError
from hub.domain.test_clocks import MAX_CLOCKS, advance_target, check_new_clock, parse_duration
from hub.services.clock_advance import next_halt

T0 = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P7D", dt.timedelta(days=7)),
        ("p1w2d", dt.timedelta(days=9)),
        ("PT36H", dt.timedelta(hours=36)),
        ("P1DT2H3M4S", dt.timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("P0D", dt.timedelta(0)),
    ],
)
def test_durations_of_weeks_days_and_time_are_read(text: str, expected: dt.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "P1M", "P1Y", "7D", "P1DT", "P-1D", "P1.5D"])
def test_other_durations_are_refused(text: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse_duration(text)
    assert refused.value.code == "INVALID_TEST_CLOCK_ADVANCE"


def test_an_advance_ends_at_to_or_after_by_within_two_years() -> None:
    assert advance_target(T0, None, "P731D") == T0 + dt.timedelta(days=731)
    assert advance_target(T0, T0, None) == T0  # staying put is not backwards
    for to, by, code in [
        (None, "P732D", "TEST_CLOCK_ADVANCE_TOO_LONG"),
        (T0 + dt.timedelta(days=731, seconds=1), None, "TEST_CLOCK_ADVANCE_TOO_LONG"),
        (T0 - dt.timedelta(seconds=1), None, "TEST_CLOCK_BACKWARDS"),
        (None, None, "INVALID_TEST_CLOCK_ADVANCE"),
        (T0, "P1D", "INVALID_TEST_CLOCK_ADVANCE"),
    ]:
        with pytest.raises(DomainError) as refused:
            advance_target(T0, to, by)
        assert refused.value.code == code


def test_the_clock_limit() -> None:
    check_new_clock(T0, "ok", MAX_CLOCKS - 1)
    with pytest.raises(DomainError) as refused:
        check_new_clock(T0, "one too many", MAX_CLOCKS)
    assert refused.value.code == "TEST_CLOCK_LIMIT"


def test_halts_fall_at_midnight_utc_and_at_the_target() -> None:
    target = T0 + dt.timedelta(days=2)
    assert next_halt(T0, target) == dt.datetime(2026, 1, 6, tzinfo=dt.UTC)
    assert next_halt(dt.datetime(2026, 1, 7, tzinfo=dt.UTC), target) == target
    assert next_halt(T0, T0 + dt.timedelta(hours=1)) == T0 + dt.timedelta(hours=1)
