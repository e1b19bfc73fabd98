"""A rule pack: one jurisdiction's contact rules as of a date, read from its data file.

``RulePack.from_document`` takes the pack's document (a TOML file read into plain data and
already checked against ``hub/compliance/pack.schema.json``), checks what a schema cannot
(unique rule ids, known sources, time zones, holiday calendars, hours in order) and compiles
the rules per channel, once, so that evaluating a contact only runs the rules that apply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from hub.domain.compliance._calendar import HolidayCalendar, day_start, from_us
from hub.domain.compliance._history import Selector
from hub.domain.compliance._model import (
    ALL_CHANNELS,
    Channel,
    Direction,
    HoldReason,
    Outcome,
    PackRef,
    Refusal,
)
from hub.domain.compliance._rules import (
    ClockRule,
    DisputeRule,
    GlobalRule,
    HoldRule,
    HoursRule,
    OptOutNoticeRule,
    OptOutRule,
    RestDaysRule,
    ValidationPeriodRule,
    WindowCapRule,
    ZonalRule,
)
from hub.domain.contact import is_timezone

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
KINDS = (
    "hours",
    "rest_days",
    "attempt_cap",
    "cooldown",
    "opt_out",
    "opt_out_notice",
    "dispute",
    "hold",
    "validation_period",
)


class InvalidRulePack(ValueError):
    """A pack document that cannot be used; ``problems`` says every reason."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True)
class Source:
    """A text a pack's rules come from: a law, a regulator's rulebook, an industry code."""

    id: str
    title: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """One rule as the pack states it (for listing and reports)."""

    id: str
    kind: str
    channels: tuple[Channel, ...]
    source: str
    citation: str
    convention: bool
    message: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelRules:
    """The compiled rules that apply to one channel.

    ``state_rules`` read only the account's dispute, hold and opt-outs; ``global_rules``
    are the other rules that ignore the local clock; ``zonal_rules`` read it: first the
    hours and rest days folded into one ``ClockRule`` (they refuse most often and cost
    least), then the windows over the history.
    """

    state_rules: tuple[GlobalRule, ...]
    global_rules: tuple[GlobalRule, ...]
    zonal_rules: tuple[ZonalRule, ...]


@dataclass(frozen=True, slots=True)
class RulePack:
    """One version of a jurisdiction's rules, in force from ``effective_from``.

    ``effective_at`` is the start of that day in the pack's first time zone. ``timezones``
    are the zones a debtor is taken to be in when neither the customer record nor the
    phone number says (several: the stricter result of all).
    """

    jurisdiction: str
    version: str
    effective_from: dt.date
    title: str
    timezones: tuple[str, ...]
    sources: tuple[Source, ...]
    rules: tuple[RuleInfo, ...]
    holidays: HolidayCalendar | None = field(default=None, repr=False, compare=False)
    document: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    effective_at: dt.datetime = field(init=False, repr=False, compare=False)
    ref: PackRef = field(init=False, repr=False, compare=False)
    by_channel: Mapping[Channel, ChannelRules] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        start = day_start(ZoneInfo(self.timezones[0]), self.effective_from.toordinal())
        object.__setattr__(self, "effective_at", from_us(start))
        object.__setattr__(self, "ref", PackRef(self.jurisdiction, self.version))
        object.__setattr__(
            self, "by_channel", compile_rules(self.document.get("rules", ()), self.holidays)
        )

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> RulePack:
        """A pack from its schema-valid document; ``InvalidRulePack`` lists what else is wrong."""
        problems = check_document(document)
        if problems:
            raise InvalidRulePack(problems)
        holidays = document.get("holidays")
        calendar = (
            HolidayCalendar(holidays["country"], holidays.get("subdivisions", ()))
            if holidays
            else None
        )
        return cls(
            jurisdiction=document["jurisdiction"],
            version=document["version"],
            effective_from=dt.date.fromisoformat(document["effective_from"]),
            title=document["title"],
            timezones=tuple(document["timezones"]),
            sources=tuple(Source(s["id"], s["title"], s.get("url")) for s in document["sources"]),
            rules=tuple(
                RuleInfo(
                    id=r["id"],
                    kind=r["kind"],
                    channels=_channels(r.get("channels")),
                    source=r["source"],
                    citation=r["citation"],
                    convention=r.get("convention", False),
                    message=r["message"],
                    note=r.get("note"),
                )
                for r in document["rules"]
            ),
            holidays=calendar,
            document=document,
        )


def check_document(document: Mapping[str, Any]) -> list[str]:
    """What a schema cannot check: references, zones, calendars, the order of hours."""
    problems: list[str] = []
    for zone in document["timezones"]:
        if not is_timezone(zone):
            problems.append(f"timezones: {zone!r} is not an IANA time zone")
    holidays = document.get("holidays")
    if holidays:
        problems += [
            f"holidays: {p}"
            for p in HolidayCalendar.check(holidays["country"], holidays.get("subdivisions", ()))
        ]
    source_ids = [s["id"] for s in document["sources"]]
    if len(set(source_ids)) != len(source_ids):
        problems.append("sources: ids must be unique")
    seen: set[str] = set()
    for index, rule in enumerate(document["rules"]):
        where = f"rules[{index}] ({rule['id']})"
        if rule["id"] in seen:
            problems.append(f"{where}: duplicate rule id")
        seen.add(rule["id"])
        if rule["source"] not in source_ids:
            problems.append(f"{where}: source {rule['source']!r} is not among the pack's sources")
        if rule["kind"] == "hours" and _seconds(rule["start"]) >= _seconds(rule["end"]):
            problems.append(f"{where}: start must be before end")
        needs_calendar = rule["kind"] == "validation_period" or (
            rule["kind"] == "rest_days" and rule.get("public_holidays", False)
        )
        if needs_calendar and not holidays:
            problems.append(f"{where}: uses public holidays, but the pack names no calendar")
    return problems


# --- compiling -----------------------------------------------------------------------

_HUB = "Evenly hub policy"
HUB_DISPUTE = Refusal(
    "HUB-DISPUTE", "an open dispute stops outbound contact until it is resolved", _HUB, True
)
HUB_HOLD = Refusal("HUB-HOLD", "a hold on the account stops outbound contact", _HUB, True)
HUB_OPT_OUT = Refusal("HUB-OPT-OUT", "the debtor opted out of this channel", _HUB, True)


def compile_rules(
    rules: Sequence[Mapping[str, Any]], calendar: HolidayCalendar | None
) -> dict[Channel, ChannelRules]:
    """Each channel's rules, the hub's own (dispute, hold, opt-out) where the pack has none.

    The hub's rules stand in for a pack rule of the same kind: a pack that cites the law
    on disputes for a channel replaces HUB-DISPUTE there; hold reasons a pack's hold rules
    do not cover still fall to HUB-HOLD.
    """
    compiled = [(set(_channels(r.get("channels"))), _compile(r, calendar)) for r in rules]
    result: dict[Channel, ChannelRules] = {}
    for channel in ALL_CHANNELS:
        mine = [rule for channels, rule in compiled if channel in channels]
        global_rules = [r for r in mine if isinstance(r, GlobalRule)]
        zonal_rules = [r for r in mine if isinstance(r, ZonalRule)]
        hub: list[GlobalRule] = []
        everything = frozenset(ALL_CHANNELS)
        if not any(isinstance(r, DisputeRule) for r in global_rules):
            hub.append(DisputeRule(HUB_DISPUTE, everything))
        held = set().union(*(r.reasons for r in global_rules if isinstance(r, HoldRule)))
        if len(held) < len(HoldReason):
            hub.append(HoldRule(HUB_HOLD, everything, frozenset(HoldReason) - held))
        if not any(isinstance(r, OptOutRule) for r in global_rules):
            hub.append(OptOutRule(HUB_OPT_OUT, everything))
        state = [r for r in hub + global_rules if r.on_state]
        other = [r for r in global_rules if not r.on_state]
        clock_parts = tuple(r for r in zonal_rules if isinstance(r, (HoursRule, RestDaysRule)))
        others = [r for r in zonal_rules if not isinstance(r, (HoursRule, RestDaysRule))]
        zonal_rules = ([ClockRule(clock_parts)] if clock_parts else []) + others
        result[channel] = ChannelRules(tuple(state), tuple(other), tuple(zonal_rules))
    return result


HUB_ONLY = compile_rules((), None)


def _compile(rule: Mapping[str, Any], calendar: HolidayCalendar | None) -> GlobalRule | ZonalRule:
    refusal = Refusal(
        rule["id"], rule["message"], rule["citation"], bool(rule.get("convention", False))
    )
    channels = frozenset(_channels(rule.get("channels")))
    build = _BUILDERS.get(rule["kind"])
    if build is None:
        raise InvalidRulePack([f"rule {rule['id']}: unknown kind {rule['kind']!r}"])
    return build(rule, refusal, channels, calendar)


_Build = Callable[
    [Mapping[str, Any], Refusal, frozenset[Channel], "HolidayCalendar | None"],
    "GlobalRule | ZonalRule",
]


def _hours(rule: Mapping[str, Any], refusal: Refusal, channels: frozenset[Channel], _: Any) -> Any:
    weekdays = rule.get("weekdays")
    return HoursRule(
        refusal,
        channels,
        _seconds(rule["start"]),
        _seconds(rule["end"]),
        None if weekdays is None else frozenset(WEEKDAYS.index(d) for d in weekdays),
    )


def _rest_days(
    rule: Mapping[str, Any],
    refusal: Refusal,
    channels: frozenset[Channel],
    calendar: HolidayCalendar | None,
) -> Any:
    return RestDaysRule(
        refusal,
        channels,
        frozenset(WEEKDAYS.index(d) for d in rule.get("weekdays", ())),
        calendar if rule.get("public_holidays", False) else None,
    )


def _attempt_cap(
    rule: Mapping[str, Any], refusal: Refusal, channels: frozenset[Channel], _: Any
) -> Any:
    counted = rule.get("count_channels")
    selector = Selector(
        frozenset(_channels(counted)) if counted else channels,
        frozenset({Direction.OUTBOUND}),
    )
    calendar_days = rule.get("window", "calendar_days") == "calendar_days"
    return WindowCapRule(
        refusal, channels, selector, rule["max_attempts"] - 1, rule["days"], calendar_days
    )


def _cooldown(
    rule: Mapping[str, Any], refusal: Refusal, channels: frozenset[Channel], _: Any
) -> Any:
    after = rule["after"]
    selector = Selector(
        frozenset(_channels(after.get("channels"))),
        frozenset(Direction),
        frozenset(Outcome(o) for o in after["outcomes"]) if "outcomes" in after else None,
    )
    calendar_days = rule.get("window", "calendar_days") == "calendar_days"
    return WindowCapRule(refusal, channels, selector, 0, rule["days"], calendar_days)


def _hold(rule: Mapping[str, Any], refusal: Refusal, channels: frozenset[Channel], _: Any) -> Any:
    reasons = rule.get("reasons")
    return HoldRule(
        refusal,
        channels,
        frozenset(HoldReason(r) for r in reasons) if reasons else frozenset(HoldReason),
    )


def _validation_period(
    rule: Mapping[str, Any],
    refusal: Refusal,
    channels: frozenset[Channel],
    calendar: HolidayCalendar | None,
) -> Any:
    return ValidationPeriodRule(
        refusal, channels, rule["days"], rule["receipt_business_days"], calendar
    )


#: How each kind of rule in a pack file becomes a rule the engine evaluates.
_BUILDERS: dict[str, _Build] = {
    "hours": _hours,
    "rest_days": _rest_days,
    "attempt_cap": _attempt_cap,
    "cooldown": _cooldown,
    "opt_out": lambda _rule, refusal, channels, _calendar: OptOutRule(refusal, channels),
    "opt_out_notice": lambda _rule, refusal, channels, _calendar: OptOutNoticeRule(
        refusal, channels
    ),
    "dispute": lambda _rule, refusal, channels, _calendar: DisputeRule(refusal, channels),
    "hold": _hold,
    "validation_period": _validation_period,
}


def _channels(names: Sequence[str] | None) -> tuple[Channel, ...]:
    return ALL_CHANNELS if not names else tuple(Channel(n) for n in names)


def _seconds(clock: str) -> int:
    """Seconds after midnight of ``HH:MM`` (``24:00`` is the end of the day)."""
    hours, minutes = clock.split(":")[:2]
    return int(hours) * 3600 + int(minutes) * 60
