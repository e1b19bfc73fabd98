"""The kinds of rule a pack can state, compiled for evaluation.

Each rule answers two questions about one channel: does it refuse a contact at an instant,
and if so, what is the earliest later instant at which it would not. A *global* rule reads
only the account (dispute, hold, opt-out, rolling windows); a *zonal* rule reads the
debtor's local clock and is asked once per candidate time zone.

Instants are integer microseconds since the epoch (see ``_calendar``).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from zoneinfo import ZoneInfo

from hub.domain.compliance._calendar import (
    US_PER_DAY,
    UTC_ZONE,
    HolidayCalendar,
    at_local_time,
    clock,
    day_start,
    to_us,
)
from hub.domain.compliance._history import Selector
from hub.domain.compliance._model import Channel, ContactContext, HoldReason, Refusal


class GlobalRule:
    """A rule that does not depend on the debtor's local clock.

    A rule with ``on_state`` refuses only an account with an open dispute, a hold or an
    opt-out, so an account with none skips them all at once; once such a rule allows a
    moment it allows every later one.
    """

    __slots__ = ("channels", "refusal")
    on_state = True

    def __init__(self, refusal: Refusal, channels: frozenset[Channel]) -> None:
        self.refusal = refusal
        self.channels = channels

    def refuses(
        self, us: int, ctx: ContactContext, channel: Channel, offers_opt_out: bool | None
    ) -> bool:
        raise NotImplementedError

    def next_allowed(self, us: int, ctx: ContactContext) -> int | None:
        """The earliest instant after ``us`` at which this rule stops refusing, or None."""
        raise NotImplementedError


class ZonalRule:
    """A rule that reads the local clock of one of the debtor's candidate zones."""

    __slots__ = ("channels", "refusal")

    def __init__(self, refusal: Refusal, channels: frozenset[Channel]) -> None:
        self.refusal = refusal
        self.channels = channels

    def refuses_local(
        self,
        us: int,
        zone: ZoneInfo,
        second_of_day: int,
        weekday: int,
        ordinal: int,
        ctx: ContactContext,
    ) -> bool:
        raise NotImplementedError

    def next_allowed(self, us: int, zone: ZoneInfo, ctx: ContactContext) -> int | None:
        raise NotImplementedError


# --- the account's state -------------------------------------------------------------


class DisputeRule(GlobalRule):
    """An open dispute stops outbound contact until it is resolved."""

    __slots__ = ()

    def refuses(
        self, us: int, ctx: ContactContext, channel: Channel, offers_opt_out: bool | None
    ) -> bool:
        return ctx.open_dispute

    def next_allowed(self, us: int, ctx: ContactContext) -> int | None:
        return None


class HoldRule(GlobalRule):
    """A hold whose reason is one of ``reasons`` stops outbound contact until it ends."""

    __slots__ = ("reasons",)

    def __init__(
        self, refusal: Refusal, channels: frozenset[Channel], reasons: frozenset[HoldReason]
    ) -> None:
        super().__init__(refusal, channels)
        self.reasons = reasons

    def refuses(
        self, us: int, ctx: ContactContext, channel: Channel, offers_opt_out: bool | None
    ) -> bool:
        hold = ctx.hold
        if hold is None or hold.reason not in self.reasons:
            return False
        return hold.until is None or us < to_us(hold.until)

    def next_allowed(self, us: int, ctx: ContactContext) -> int | None:
        hold = ctx.hold
        return None if hold is None or hold.until is None else to_us(hold.until)


class OptOutRule(GlobalRule):
    """The debtor refused this channel: no contact on it, ever (until consent is given)."""

    __slots__ = ()

    def refuses(
        self, us: int, ctx: ContactContext, channel: Channel, offers_opt_out: bool | None
    ) -> bool:
        return channel in ctx.opted_out

    def next_allowed(self, us: int, ctx: ContactContext) -> int | None:
        return None


class OptOutNoticeRule(GlobalRule):
    """An electronic message must tell the debtor how to opt out of the channel.

    Refuses only when the caller states that the message offers no opt-out
    (``offers_opt_out=False``); an unstated content is not presumed non-compliant.
    """

    __slots__ = ()
    on_state = False

    def refuses(
        self, us: int, ctx: ContactContext, channel: Channel, offers_opt_out: bool | None
    ) -> bool:
        return offers_opt_out is False

    def next_allowed(self, us: int, ctx: ContactContext) -> int | None:
        return None


class ValidationPeriodRule(GlobalRule):
    """A dispute raised within the validation period stops collection until verified.

    The period is counted from placement (taken as the day the validation notice is sent):
    the debtor is assumed to receive it ``receipt_business_days`` business days later
    (weekends and the pack's public holidays excluded), and it ends ``days`` days after that.
    """

    __slots__ = ("calendar", "days", "receipt_business_days")

    def __init__(
        self,
        refusal: Refusal,
        channels: frozenset[Channel],
        days: int,
        receipt_business_days: int,
        calendar: HolidayCalendar | None,
    ) -> None:
        super().__init__(refusal, channels)
        self.days = days
        self.receipt_business_days = receipt_business_days
        self.calendar = calendar

    def period_end(self, placed_at: dt.datetime) -> int:
        day = placed_at.astimezone(dt.UTC).date()
        remaining = self.receipt_business_days
        while remaining:
            day += dt.timedelta(days=1)
            holiday = self.calendar is not None and self.calendar.is_holiday(day.toordinal())
            if day.weekday() < 5 and not holiday:
                remaining -= 1
        return day_start(UTC_ZONE, day.toordinal() + self.days + 1)

    def refuses(
        self, us: int, ctx: ContactContext, channel: Channel, offers_opt_out: bool | None
    ) -> bool:
        return ctx.open_dispute and us < self.period_end(ctx.placed_at)

    def next_allowed(self, us: int, ctx: ContactContext) -> int | None:
        return None


# --- the local clock -----------------------------------------------------------------


class HoursRule(ZonalRule):
    """Contact only between ``start`` (inclusive) and ``end`` (exclusive) local time,
    on the weekdays listed (every day when ``weekdays`` is None)."""

    __slots__ = ("end", "start", "weekdays")

    def __init__(
        self,
        refusal: Refusal,
        channels: frozenset[Channel],
        start: int,
        end: int,
        weekdays: frozenset[int] | None,
    ) -> None:
        super().__init__(refusal, channels)
        self.start = start
        self.end = end
        self.weekdays = weekdays

    def refuses_local(
        self,
        us: int,
        zone: ZoneInfo,
        second_of_day: int,
        weekday: int,
        ordinal: int,
        ctx: ContactContext,
    ) -> bool:
        if self.weekdays is not None and weekday not in self.weekdays:
            return False
        return not self.start <= second_of_day < self.end

    def next_allowed(self, us: int, zone: ZoneInfo, ctx: ContactContext) -> int | None:
        second_of_day, _, ordinal = clock(us, zone)
        if second_of_day < self.start:
            candidate = at_local_time(zone, ordinal, self.start)
        elif self.weekdays is not None and weekday_of(ordinal + 1) not in self.weekdays:
            candidate = day_start(zone, ordinal + 1)  # tomorrow is not a day this rule covers
        else:
            candidate = at_local_time(zone, ordinal + 1, self.start)
        return max(candidate, us + 1)


class RestDaysRule(ZonalRule):
    """No contact on the listed weekdays nor (if a calendar is given) on public holidays."""

    __slots__ = ("calendar", "weekdays")

    def __init__(
        self,
        refusal: Refusal,
        channels: frozenset[Channel],
        weekdays: frozenset[int],
        calendar: HolidayCalendar | None,
    ) -> None:
        super().__init__(refusal, channels)
        self.weekdays = weekdays
        self.calendar = calendar

    def _rests(self, ordinal: int) -> bool:
        if weekday_of(ordinal) in self.weekdays:
            return True
        return self.calendar is not None and self.calendar.is_holiday(ordinal)

    def refuses_local(
        self,
        us: int,
        zone: ZoneInfo,
        second_of_day: int,
        weekday: int,
        ordinal: int,
        ctx: ContactContext,
    ) -> bool:
        if weekday in self.weekdays:
            return True
        return self.calendar is not None and self.calendar.is_holiday(ordinal)

    def next_allowed(self, us: int, zone: ZoneInfo, ctx: ContactContext) -> int | None:
        ordinal = clock(us, zone)[2]
        for _ in range(366):
            ordinal += 1
            if not self._rests(ordinal):
                return day_start(zone, ordinal)
        return None


class WindowCapRule(ZonalRule):
    """Refuses when more than ``max_prior`` matching contacts lie in the window before the
    moment asked (a cap of 7 calls is ``max_prior`` 6: the 8th is refused).

    The window is ``days`` local calendar days with the day asked as the last (``calendar``),
    or the ``days`` × 24 hours before the moment, that instant excluded (rolling). A cool-down after a kind of
    contact is the same rule with ``max_prior`` 0 over the contacts that start it.
    Only contacts strictly before the moment count: the history as it stood then.
    """

    __slots__ = ("calendar", "days", "max_prior", "selector")

    def __init__(
        self,
        refusal: Refusal,
        channels: frozenset[Channel],
        selector: Selector,
        max_prior: int,
        days: int,
        calendar: bool,
    ) -> None:
        super().__init__(refusal, channels)
        self.selector = selector
        self.max_prior = max_prior
        self.days = days
        self.calendar = calendar

    def _start(self, us: int, zone: ZoneInfo, ordinal: int) -> int:
        if self.calendar:
            return day_start(zone, ordinal - self.days + 1)
        return us - self.days * US_PER_DAY + 1  # a contact exactly W ago has left

    def _leaves(self, stamp: int, zone: ZoneInfo) -> int:
        """The first instant at which a contact at ``stamp`` is no longer in the window."""
        if self.calendar:
            return day_start(zone, clock(stamp, zone)[2] + self.days)
        return stamp + self.days * US_PER_DAY

    def refuses_local(
        self,
        us: int,
        zone: ZoneInfo,
        second_of_day: int,
        weekday: int,
        ordinal: int,
        ctx: ContactContext,
    ) -> bool:
        history = ctx.history
        stamps = history.index.get(self.selector)
        if stamps is None:
            stamps = history.stamps(self.selector)
        if not stamps:
            return False
        end = bisect_left(stamps, us)
        if end <= self.max_prior:
            return False
        start = self._start(us, zone, ordinal)
        return end - bisect_left(stamps, start) > self.max_prior

    def next_allowed(self, us: int, zone: ZoneInfo, ctx: ContactContext) -> int | None:
        stamps = ctx.history.stamps(self.selector)
        moment = us
        while True:
            ordinal = clock(moment, zone)[2]
            first = bisect_left(stamps, self._start(moment, zone, ordinal))
            counted = bisect_left(stamps, moment) - first
            if counted <= self.max_prior:
                return moment
            # Once the oldest (counted - max_prior) contacts leave, max_prior remain.
            moment = max(
                self._leaves(stamps[first + counted - self.max_prior - 1], zone), moment + 1
            )


def weekday_of(ordinal: int) -> int:
    """Monday 0 … Sunday 6 of a proleptic Gregorian ordinal (day 1 was a Monday)."""
    return (ordinal - 1) % 7


class ClockRule(ZonalRule):
    """A channel's clock rules (hours, rest days) folded into one check.

    For each local day it keeps the span of instants at which all of them allow contact
    (empty on a rest day), so the check is a lookup and two comparisons, and the next
    allowed moment is the start of the next non-empty span. ``parts`` still say which
    rules refused, for the reasons.
    """

    __slots__ = ("_spans", "parts")

    def __init__(self, parts: tuple[HoursRule | RestDaysRule, ...]) -> None:
        super().__init__(parts[0].refusal, frozenset().union(*(p.channels for p in parts)))
        self.parts = parts
        self._spans: dict[tuple[ZoneInfo, int], tuple[int, int]] = {}

    def span(self, zone: ZoneInfo, ordinal: int) -> tuple[int, int]:
        """[start, end) instants of the local day ``ordinal`` when contact is allowed."""
        key = (zone, ordinal)
        found = self._spans.get(key)
        if found is None:
            start, end = 0, 86_400
            weekday = weekday_of(ordinal)
            for part in self.parts:
                if isinstance(part, RestDaysRule):
                    if part._rests(ordinal):
                        start, end = 0, 0
                elif part.weekdays is None or weekday in part.weekdays:
                    start, end = max(start, part.start), min(end, part.end)
            if start >= end:
                found = (0, 0)
            else:
                found = (
                    at_local_time(zone, ordinal, start),
                    day_start(zone, ordinal + 1)
                    if end >= 86_400
                    else at_local_time(zone, ordinal, end),
                )
            if len(self._spans) > 200_000:
                self._spans.clear()
            self._spans[key] = found
        return found

    def refuses_local(
        self,
        us: int,
        zone: ZoneInfo,
        second_of_day: int,
        weekday: int,
        ordinal: int,
        ctx: ContactContext,
    ) -> bool:
        start, end = self.span(zone, ordinal)
        return not start <= us < end

    def next_allowed(self, us: int, zone: ZoneInfo, ctx: ContactContext) -> int | None:
        ordinal = clock(us, zone)[2]
        start, end = self.span(zone, ordinal)
        if us < start:
            return start
        for _ in range(366):
            ordinal += 1
            start, end = self.span(zone, ordinal)
            if start < end:
                return start
        return None
