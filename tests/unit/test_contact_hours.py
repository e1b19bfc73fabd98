"""The debtor's preferred contact hours: what may be chosen, and ``HUB-CONTACT-HOURS`` on top
of a rule pack (refused outside them, the next moment allowed is their next start, in every
candidate zone; letters are not refused by them)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.compliance import RuleRegistry
from hub.domain.compliance import Channel, ContactContext, ContactHistory, evaluate
from hub.domain.contact_hours import ContactHours, contact_hours, stored_hours
from hub.domain.errors import DomainError

REGISTRY = RuleRegistry()
STOCKHOLM = ZoneInfo("Europe/Stockholm")
NINE_TO_FIVE = contact_hours("09:00", "17:00")


def context(
    hours: ContactHours | None, zones: tuple[str, ...] = ("Europe/Stockholm",)
) -> ContactContext:
    return ContactContext(
        country="SE",
        placed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        history=ContactHistory(()),
        timezones=zones,
        contact_hours=hours.seconds if hours is not None else None,
    )


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    # March 2026: 3 is a Tuesday; the clocks go forward on Sunday the 29th.
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=STOCKHOLM).astimezone(dt.UTC)


def rule_ids(at: dt.datetime, channel: Channel, hours: ContactHours | None) -> list[str]:
    pack = REGISTRY.pack_for("SE", at)
    return [r.rule_id for r in evaluate(pack, context(hours), channel, at).reasons]


def test_hours_are_whole_minutes_start_before_end_at_least_an_hour() -> None:
    assert NINE_TO_FIVE.seconds == (9 * 3600, 17 * 3600)
    assert NINE_TO_FIVE.json() == {"start": "09:00", "end": "17:00"}
    assert stored_hours(NINE_TO_FIVE.text()) == NINE_TO_FIVE and stored_hours(None) is None
    for start, end, field in (
        ("9", "17:00", "start"),
        ("09:00", "24:00", "end"),
        ("16:30", "17:00", "end"),
        ("17:00", "09:00", "end"),
    ):
        with pytest.raises(DomainError) as refused:
            contact_hours(start, end)
        assert refused.value.code == "INVALID_CONTACT_HOURS"
        assert refused.value.problems[0].field == (field,)


def test_a_contact_outside_the_hours_is_refused_on_top_of_the_law() -> None:
    early = local(3, 8, 30)
    assert "HUB-CONTACT-HOURS" not in rule_ids(early, Channel.EMAIL, None)
    assert "HUB-CONTACT-HOURS" in rule_ids(early, Channel.EMAIL, NINE_TO_FIVE)
    assert "HUB-CONTACT-HOURS" in rule_ids(local(3, 17), Channel.SMS, NINE_TO_FIVE)
    assert "HUB-CONTACT-HOURS" not in rule_ids(local(3, 9), Channel.SMS, NINE_TO_FIVE)
    assert "HUB-CONTACT-HOURS" not in rule_ids(local(3, 16, 59), Channel.CALL, NINE_TO_FIVE)
    assert "HUB-CONTACT-HOURS" not in rule_ids(early, Channel.LETTER, NINE_TO_FIVE)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 60 * 24 * 40).map(lambda m: local(1, 0) + dt.timedelta(minutes=m)),
    st.sampled_from([Channel.EMAIL, Channel.SMS, Channel.PUSH]),
    st.sampled_from([("Europe/Stockholm",), ("Europe/Stockholm", "Europe/London")]),
)
def test_the_next_moment_allowed_is_allowed_and_within_the_hours(
    at: dt.datetime, channel: Channel, zones: tuple[str, ...]
) -> None:
    pack = REGISTRY.pack_for("SE", at)
    wide = contact_hours("08:00", "20:00")
    ctx = context(wide, zones)
    decision = evaluate(pack, ctx, channel, at)
    later = decision.next_allowed_at
    if decision.allowed:
        for zone in zones:
            clock = at.astimezone(ZoneInfo(zone)).time()
            assert dt.time(8) <= clock < dt.time(20)
        return
    assert later is not None and later > at
    again = evaluate(pack, ctx, channel, later)
    assert again.allowed, (at, later, again.reasons)
    for zone in zones:
        assert dt.time(8) <= later.astimezone(ZoneInfo(zone)).time() < dt.time(20)
