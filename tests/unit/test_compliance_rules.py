"""Contact rules per jurisdiction, on real calendars: the shipped packs, evaluated.

Every row is one question — may this debtor be contacted on this channel at this instant
(UTC)? — with the answer, the rule ids that refuse, and the next allowed instant. Local
times are worked out in the comments; daylight saving changes in 2026: America/New_York on
8 March and 1 November, Europe on 29 March and 25 October.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from hub.compliance import RuleRegistry
from hub.domain.compliance import (
    Channel,
    ContactContext,
    ContactHistory,
    ContactRecord,
    Decision,
    Direction,
    Hold,
    HoldReason,
    Outcome,
    debtor_timezones,
    evaluate,
)

C = Channel
REGISTRY = RuleRegistry()
ZONE = {
    "US": "America/New_York",
    "GB": "Europe/London",
    "SE": "Europe/Stockholm",
    "DE": "Europe/Berlin",
    "ES": "Europe/Madrid",
    "FR": "Europe/Paris",
    "NL": "Europe/Amsterdam",
}


def utc(text: str) -> dt.datetime:
    """``2026-03-06 12:59:59`` as an aware UTC datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def call(at: str, outcome: Outcome = Outcome.NO_ANSWER, **kw: object) -> ContactRecord:
    direction = kw.get("direction", Direction.OUTBOUND)
    assert isinstance(direction, Direction)
    return ContactRecord(utc(at), Channel.CALL, direction, outcome)


@dataclass
class Case:
    country: str
    channel: Channel
    at: str
    refused_by: tuple[str, ...] = ()
    next_at: str | None = "same"  # "same": allowed at ``at``; None: never
    history: tuple[ContactRecord, ...] = ()
    zones: tuple[str, ...] | None = None
    opted_out: frozenset[Channel] = frozenset()
    dispute: bool = False
    hold: Hold | None = None
    placed_at: str = "2025-01-01 00:00:00"
    offers_opt_out: bool | None = None
    version: str | None = None
    name: str = field(default="")


def decide(case: Case) -> Decision:
    context = ContactContext(
        country=case.country,
        placed_at=utc(case.placed_at),
        history=ContactHistory(case.history),
        timezones=case.zones or (ZONE[case.country],),
        opted_out=case.opted_out,
        open_dispute=case.dispute,
        hold=case.hold,
    )
    return REGISTRY.evaluate(
        context, case.channel, utc(case.at), offers_opt_out=case.offers_opt_out
    )


SEVEN_CALLS = tuple(call(f"2026-06-0{1 + i // 3} {14 + i % 3}:00:00") for i in range(7))
CASES = [
    # --- US, Regulation F: 8:00-21:00 debtor-local, around the March DST change ---
    Case(
        "US",
        C.CALL,
        "2026-03-06 12:59:59",
        ("US-REGF-HOURS",),
        "2026-03-06 13:00:00",
        name="07:59:59 EST is too early; 08:00 EST is 13:00Z",
    ),
    Case("US", C.CALL, "2026-03-06 13:00:00", name="08:00 EST"),
    Case("US", C.CALL, "2026-03-09 12:30:00", name="08:30 EDT: the same UTC time is now allowed"),
    Case("US", C.CALL, "2026-03-07 01:59:59", name="20:59:59 EST on Friday"),
    Case(
        "US",
        C.SMS,
        "2026-03-08 02:00:00",
        ("US-REGF-HOURS",),
        "2026-03-08 12:00:00",
        name="21:00 EST Saturday; the next 08:00 is already EDT (12:00Z)",
    ),
    Case(
        "US",
        C.EMAIL,
        "2026-11-01 01:00:00",
        ("US-REGF-HOURS",),
        "2026-11-01 13:00:00",
        name="21:00 EDT Saturday; the next 08:00 is EST again (13:00Z)",
    ),
    Case("US", C.LETTER, "2026-03-07 06:00:00", name="letters are not timed"),
    # A debtor in Los Angeles while the agency works New York hours.
    Case(
        "US",
        C.CALL,
        "2026-06-10 13:00:00",
        ("US-REGF-HOURS",),
        "2026-06-10 15:00:00",
        zones=("America/Los_Angeles",),
        name="09:00 in New York is 06:00 in Los Angeles",
    ),
    # Unknown location: the four contiguous zones, the stricter answer.
    Case(
        "US",
        C.CALL,
        "2026-06-10 12:30:00",
        ("US-REGF-HOURS",),
        "2026-06-10 15:00:00",
        zones=("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"),
        name="08:30 EDT but 05:30 PDT",
    ),
    Case(
        "US",
        C.CALL,
        "2026-06-11 01:30:00",
        ("US-REGF-HOURS",),
        "2026-06-11 15:00:00",
        zones=("America/New_York", "America/Los_Angeles"),
        name="18:30 PDT but 21:30 EDT; next: 08:00 PDT",
    ),
    # --- US: the 7-in-7 call cap and the conversation cool-down ---
    Case(
        "US",
        C.CALL,
        "2026-06-04 14:00:00",
        ("US-REGF-CALL-CAP",),
        "2026-06-08 12:00:00",
        history=SEVEN_CALLS,
        name="8th call in 7 days; the 1 June call leaves the window on 8 June (08:00 EDT)",
    ),
    Case(
        "US",
        C.CALL,
        "2026-06-04 14:00:00",
        history=(*SEVEN_CALLS[:6], call("2026-06-03 16:00:00", direction=Direction.INBOUND)),
        name="an inbound call does not count",
    ),
    Case("US", C.SMS, "2026-06-04 14:00:00", history=SEVEN_CALLS, name="the cap is on calls"),
    Case(
        "US",
        C.CALL,
        "2026-06-04 15:00:00",
        ("US-REGF-CALL-AFTER-CONVERSATION",),
        "2026-06-08 12:00:00",
        history=(call("2026-06-01 15:00:00", Outcome.CONVERSATION),),
        name="3 days after a conversation; the day of it is day 1 of 7",
    ),
    Case(
        "US",
        C.CALL,
        "2026-06-04 15:00:00",
        ("US-REGF-CALL-AFTER-CONVERSATION",),
        "2026-06-08 12:00:00",
        history=(call("2026-06-01 15:00:00", Outcome.PROMISE_TO_PAY, direction=Direction.INBOUND),),
        name="the debtor called in and promised to pay",
    ),
    Case(
        "US",
        C.CALL,
        "2026-06-04 15:00:00",
        history=(call("2026-06-01 15:00:00", Outcome.VOICEMAIL),),
        name="a voicemail is not a conversation",
    ),
    Case(
        "US",
        C.EMAIL,
        "2026-06-04 15:00:00",
        history=(call("2026-06-01 15:00:00", Outcome.CONVERSATION),),
        name="an email after a conversation",
    ),
    # --- US: opt-outs, the opt-out notice, disputes and the older pack ---
    Case(
        "US",
        C.EMAIL,
        "2026-06-04 15:00:00",
        ("US-REGF-MEDIUM-OPT-OUT",),
        None,
        opted_out=frozenset({C.EMAIL}),
        name="email opt-out",
    ),
    Case(
        "US",
        C.SMS,
        "2026-06-04 15:00:00",
        opted_out=frozenset({C.EMAIL}),
        name="the opt-out is per channel",
    ),
    Case(
        "US",
        C.SMS,
        "2026-06-04 15:00:00",
        ("US-REGF-OPT-OUT-NOTICE",),
        None,
        offers_opt_out=False,
        name="a text message without an opt-out",
    ),
    Case(
        "US",
        C.CALL,
        "2026-06-04 15:00:00",
        ("HUB-DISPUTE", "US-REGF-VALIDATION-DISPUTE"),
        None,
        dispute=True,
        placed_at="2026-05-20 10:00:00",
        name="disputed within the validation period",
    ),
    Case(
        "US",
        C.LETTER,
        "2026-06-04 15:00:00",
        ("HUB-DISPUTE",),
        None,
        dispute=True,
        name="disputed after the validation period: the hub's own rule",
    ),
    Case(
        "US",
        C.CALL,
        "2021-06-03 15:00:00",
        history=tuple(call(f"2021-06-0{1 + i // 3} {14 + i % 3}:00:00") for i in range(7)),
        version="1978-03-20",
        name="before Regulation F there was no call cap",
    ),
    Case(
        "US",
        C.CALL,
        "2021-11-30 15:00:00",
        ("US-REGF-CALL-CAP",),
        "2021-12-02 13:00:00",
        history=tuple(call(f"2021-11-2{5 + i // 3} {14 + i % 3}:00:00") for i in range(7)),
        version="2021-11-30",
        name="from 30 November 2021 it applies",
    ),
    # --- GB: CONC 7 defaults, bank holidays of every nation, holds ---
    Case(
        "GB",
        C.CALL,
        "2026-06-07 12:00:00",
        ("GB-NO-SUNDAY-CALLS",),
        "2026-06-08 07:00:00",
        name="Sunday; Monday 08:00 BST",
    ),
    Case("GB", C.EMAIL, "2026-06-07 12:00:00", name="emails on Sunday are fine"),
    Case(
        "GB",
        C.CALL,
        "2026-05-25 12:00:00",
        ("GB-NO-SUNDAY-CALLS",),
        "2026-05-26 07:00:00",
        name="Spring bank holiday",
    ),
    Case(
        "GB",
        C.CALL,
        "2026-08-03 12:00:00",
        ("GB-NO-SUNDAY-CALLS",),
        "2026-08-04 07:00:00",
        name="Scotland's summer bank holiday: the debtor's nation is unknown",
    ),
    Case(
        "GB",
        C.CALL,
        "2026-06-09 12:00:00",
        ("GB-CALLS-PER-DAY",),
        "2026-06-09 13:00:00",
        history=(
            call("2026-06-08 13:00:00"),
            call("2026-06-08 15:00:00"),
            call("2026-06-09 09:00:00"),
        ),
        name="a 4th call within 24 hours",
    ),
    Case(
        "GB",
        C.SMS,
        "2026-06-09 12:00:00",
        ("GB-BREATHING-SPACE",),
        "2026-07-01 07:00:00",
        hold=Hold(HoldReason.OTHER, utc("2026-07-01 00:00:00")),
        name="breathing space until 1 July (then 08:00 BST)",
    ),
    Case(
        "GB",
        C.SMS,
        "2021-01-05 12:00:00",
        ("HUB-HOLD",),
        None,
        hold=Hold(HoldReason.OTHER),
        version="2014-04-01",
        name="before the Breathing Space regulations the hub's hold rule applies",
    ),
    Case(
        "GB",
        C.LETTER,
        "2026-06-09 12:00:00",
        ("GB-FORBEARANCE",),
        None,
        hold=Hold(HoldReason.HARDSHIP),
        name="financial difficulty, no end date",
    ),
    Case(
        "GB",
        C.CALL,
        "2026-06-09 12:00:00",
        ("GB-DISPUTE",),
        None,
        dispute=True,
        name="a disputed debt",
    ),
    # --- SE: weekdays 08:00-20:00, around the EU DST change, public holidays ---
    Case(
        "SE",
        C.CALL,
        "2026-03-27 06:30:00",
        ("SE-HOURS",),
        "2026-03-27 07:00:00",
        name="07:30 CET Friday",
    ),
    Case(
        "SE",
        C.CALL,
        "2026-03-30 05:30:00",
        ("SE-HOURS",),
        "2026-03-30 06:00:00",
        name="07:30 CEST Monday: 08:00 is now 06:00Z",
    ),
    Case("SE", C.CALL, "2026-03-30 06:30:00", name="08:30 CEST"),
    Case(
        "SE",
        C.SMS,
        "2026-03-28 10:00:00",
        ("SE-REST-DAYS",),
        "2026-03-30 06:00:00",
        name="Saturday before the change; Monday 08:00 CEST",
    ),
    Case(
        "SE",
        C.CALL,
        "2026-05-14 10:00:00",
        ("SE-REST-DAYS",),
        "2026-05-15 06:00:00",
        name="Ascension Day",
    ),
    Case(
        "SE",
        C.CALL,
        "2026-04-03 10:00:00",
        ("SE-REST-DAYS",),
        "2026-04-07 06:00:00",
        name="Good Friday to Easter Monday",
    ),
    Case(
        "SE", C.CALL, "2026-06-10 18:00:00", ("SE-HOURS",), "2026-06-11 06:00:00", name="20:00 CEST"
    ),
    Case("SE", C.EMAIL, "2026-06-13 21:00:00", name="emails are not timed in Sweden"),
    # --- DE, ES, FR, NL ---
    Case(
        "DE",
        C.CALL,
        "2026-06-04 10:00:00",
        ("DE-SUNDAY-HOLIDAY",),
        "2026-06-05 06:00:00",
        name="Corpus Christi is a holiday in some Länder: the stricter reading",
    ),
    Case("DE", C.CALL, "2026-06-06 10:00:00", name="Saturday"),
    Case(
        "DE",
        C.SMS,
        "2026-06-07 10:00:00",
        ("DE-SUNDAY-HOLIDAY",),
        "2026-06-08 06:00:00",
        name="Sunday",
    ),
    Case(
        "ES", C.CALL, "2026-06-10 06:30:00", ("ES-HOURS",), "2026-06-10 07:00:00", name="08:30 CEST"
    ),
    Case(
        "ES",
        C.CALL,
        "2026-10-12 10:00:00",
        ("ES-SUNDAY-HOLIDAY",),
        "2026-10-13 07:00:00",
        name="Fiesta Nacional",
    ),
    Case(
        "FR",
        C.CALL,
        "2026-07-14 10:00:00",
        ("FR-SUNDAY-HOLIDAY",),
        "2026-07-15 06:00:00",
        name="14 July",
    ),
    Case(
        "FR",
        C.CALL,
        "2026-06-10 15:00:00",
        ("FR-NO-REPEATED-SOLICITATION",),
        "2026-06-11 06:00:00",
        history=(call("2026-06-10 07:00:00"), call("2026-06-10 12:00:00")),
        name="a third call the same day",
    ),
    Case("NL", C.CALL, "2026-06-06 08:30:00", name="Saturday 10:30"),
    Case(
        "NL",
        C.CALL,
        "2026-06-06 15:30:00",
        ("NL-SATURDAY-HOURS",),
        "2026-06-08 06:00:00",
        name="Saturday 17:30; Sunday is a rest day",
    ),
    Case(
        "NL",
        C.CALL,
        "2026-04-27 10:00:00",
        ("NL-SUNDAY-HOLIDAY",),
        "2026-04-28 06:00:00",
        name="King's Day",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.country}: {c.name}" for c in CASES])
def test_contact_permission(case: Case) -> None:
    decision = decide(case)
    assert {r.rule_id for r in decision.reasons} == set(case.refused_by)
    assert decision.allowed is not case.refused_by
    expected = utc(case.at) if case.next_at == "same" else case.next_at and utc(case.next_at)
    assert decision.next_allowed_at == expected
    assert decision.pack is not None and decision.pack.jurisdiction == case.country
    if case.version:
        assert decision.pack.version == case.version
    if decision.next_allowed_at is not None:
        again = decide(
            Case(**{**case.__dict__, "at": f"{decision.next_allowed_at:%Y-%m-%d %H:%M:%S}"})
        )
        assert again.allowed


def test_refusals_carry_citation_and_convention_flag() -> None:
    decision = decide(Case("SE", C.CALL, "2026-06-13 10:00:00"))
    (reason,) = decision.reasons
    assert reason.rule_id == "SE-REST-DAYS"
    assert "Inkassolag (1974:182)" in reason.citation
    assert reason.convention is True
    us = decide(Case("US", C.CALL, "2026-06-13 03:00:00"))
    assert us.reasons[0].citation.startswith("12 CFR 1006.6(b)(1)(i)")
    assert us.reasons[0].convention is False


def test_country_without_a_pack_applies_only_the_hub_rules() -> None:
    history = ContactHistory(())
    context = ContactContext("JP", utc("2026-01-01 00:00:00"), history, ("Asia/Tokyo",))
    at = utc("2026-06-10 18:00:00")  # 03:00 in Tokyo
    assert REGISTRY.pack_for("JP", at) is None
    decision = evaluate(None, context, C.CALL, at)
    assert decision.allowed and decision.pack is None
    held = ContactContext(
        "JP",
        utc("2026-01-01 00:00:00"),
        history,
        ("Asia/Tokyo",),
        hold=Hold(HoldReason.BEREAVEMENT, utc("2026-06-20 00:00:00")),
    )
    refused = evaluate(None, held, C.CALL, at)
    assert [r.rule_id for r in refused.reasons] == ["HUB-HOLD"]
    assert refused.next_allowed_at == utc("2026-06-20 00:00:00")


def test_a_hold_that_ended_no_longer_blocks() -> None:
    ended = Hold(HoldReason.HARDSHIP, utc("2026-06-01 00:00:00"))
    assert decide(Case("GB", C.CALL, "2026-06-09 12:00:00", hold=ended)).allowed


def test_timezone_comes_from_the_record_then_the_phone_then_the_country() -> None:
    country = ("America/New_York", "America/Chicago")
    assert debtor_timezones("America/Denver", "+14155550123", country) == ("America/Denver",)
    assert debtor_timezones(None, "+14155550123", country) == ("America/Los_Angeles",)
    assert debtor_timezones("Not/AZone", "+46701234567", country) == ("Europe/Stockholm",)
    assert debtor_timezones(None, "+15555550123", country) == country  # no region known
    assert debtor_timezones(None, "not a number", country) == country
    assert debtor_timezones(None, None, ("Europe/London",)) == ("Europe/London",)


def test_naive_moments_are_refused() -> None:
    context = ContactContext("US", utc("2026-01-01 00:00:00"), ContactHistory(()), ("UTC",))
    with pytest.raises(ValueError, match="naive"):
        REGISTRY.evaluate(context, C.CALL, dt.datetime(2026, 6, 1, 12))
