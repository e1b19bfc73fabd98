"""Test clocks: a sandbox organization's own simulated time (``createTestClock``).

A clock starts at a ``frozen_time`` and stays there until it is advanced; accounts placed on
it live at its time: the simulated agency's steps, plan due dates and breaking after the
grace period, hold expiry, compliance windows and the ``occurredAt`` of what is written
while it advances all follow it (``hub.services.clock_advance``). Advancing is
asynchronous, like Stripe's: the clock is ``ADVANCING`` until the worker has moved it, then
``READY``, with a ``test_clock.ready`` event.

The limits, each refused with its code:

- a clock moves only forward (``TEST_CLOCK_BACKWARDS``);
- at most ``MAX_ADVANCE`` (731 days, two years) per advance (``TEST_CLOCK_ADVANCE_TOO_LONG``);
- at most ``MAX_CLOCKS`` clocks per organization (``TEST_CLOCK_LIMIT``; a deleted clock no
  longer counts);
- not while it is advancing (``TEST_CLOCK_ADVANCING``);
- exactly one of ``to`` and ``by``, ``by`` an ISO 8601 duration in weeks, days, hours,
  minutes and seconds such as ``P7D`` or ``P1W2DT12H`` (``INVALID_TEST_CLOCK_ADVANCE``).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping

from hub.domain.errors import DomainError, Problem

MAX_CLOCKS = 10
MAX_ADVANCE = dt.timedelta(days=731)
MAX_NAME_LENGTH = 100

TEST_CLOCK_BACKWARDS = "TEST_CLOCK_BACKWARDS"
TEST_CLOCK_ADVANCE_TOO_LONG = "TEST_CLOCK_ADVANCE_TOO_LONG"
TEST_CLOCK_LIMIT = "TEST_CLOCK_LIMIT"
TEST_CLOCK_ADVANCING = "TEST_CLOCK_ADVANCING"
INVALID_TEST_CLOCK_ADVANCE = "INVALID_TEST_CLOCK_ADVANCE"
INVALID_TEST_CLOCK = "INVALID_TEST_CLOCK"


class ClockStatus(enum.StrEnum):
    ADVANCING = "ADVANCING"
    READY = "READY"


_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)


def _bad_advance(message: str, field: str = "by") -> DomainError:
    return DomainError.of(INVALID_TEST_CLOCK_ADVANCE, message, field)


def parse_duration(text: str) -> dt.timedelta:
    """An ISO 8601 duration of weeks, days, hours, minutes and seconds (``P7D``,
    ``PT36H``, ``P1W2D``); years and months, whose length varies, are refused."""
    found = _DURATION.fullmatch(text.strip().upper())
    if found is None or text.strip().upper().endswith("T") or not any(found.groupdict().values()):
        raise _bad_advance(
            f"{text!r} is not an ISO 8601 duration of weeks, days, hours, minutes or seconds "
            "(e.g. P7D, PT12H, P1W2D)"
        )
    parts = {k: int(v) for k, v in found.groupdict().items() if v is not None}
    try:
        return dt.timedelta(**parts)
    except OverflowError:
        raise _bad_advance(f"{text!r} is too long") from None


def advance_target(frozen_time: dt.datetime, to: dt.datetime | None, by: str | None) -> dt.datetime:
    """Where an advance from ``frozen_time`` ends: ``to``, or ``frozen_time + by``; refused
    with the codes above."""
    if (to is None) == (by is None):
        raise _bad_advance("give exactly one of to and by", "to")
    if by is not None:
        delta = parse_duration(by)
        if delta > MAX_ADVANCE:
            raise too_long()
        target = frozen_time + delta
    else:
        assert to is not None
        if to.tzinfo is None:
            raise _bad_advance("to needs a time zone (e.g. 2026-01-01T00:00:00Z)", "to")
        target = to.astimezone(dt.UTC)
    if target < frozen_time:
        raise DomainError.of(
            TEST_CLOCK_BACKWARDS,
            f"a test clock moves only forward; it is at {frozen_time.isoformat()}",
            "to",
        )
    if target - frozen_time > MAX_ADVANCE:
        raise too_long()
    return target


def too_long() -> DomainError:
    return DomainError.of(
        TEST_CLOCK_ADVANCE_TOO_LONG,
        f"a test clock advances at most {MAX_ADVANCE.days} days (two years) at a time",
        "by",
    )


def check_new_clock(frozen_time: dt.datetime, name: str | None, existing: int) -> None:
    """A new clock's checks: an aware time, a short name, fewer than ``MAX_CLOCKS``."""
    if frozen_time.tzinfo is None:
        raise DomainError.of(
            INVALID_TEST_CLOCK, "frozenTime needs a time zone (e.g. …T00:00:00Z)", "frozenTime"
        )
    if name is not None and len(name) > MAX_NAME_LENGTH:
        raise DomainError.of(
            INVALID_TEST_CLOCK, f"a clock's name is at most {MAX_NAME_LENGTH} characters", "name"
        )
    if existing >= MAX_CLOCKS:
        raise DomainError.of(
            TEST_CLOCK_LIMIT,
            f"an organization has at most {MAX_CLOCKS} test clocks; delete one first",
        )


def clock_not_found() -> DomainError:
    return DomainError.of("NOT_FOUND", "no such test clock", "id")


def clock_problems(
    clock_id: str | None, sandbox: bool, known: Mapping[str, object]
) -> list[Problem]:
    """A placement's ``testClockId``: none without one; ``SANDBOX_ONLY`` for a live
    creditor; ``NOT_FOUND`` unless it is one of the creditor's clocks (``known``)."""
    if clock_id is None:
        return []
    if not sandbox:
        return [
            Problem(
                "SANDBOX_ONLY", "testClockId is only for sandbox organizations", ("testClockId",)
            )
        ]
    if clock_id not in known:
        return [Problem("NOT_FOUND", "no such test clock", ("testClockId",))]
    return []
