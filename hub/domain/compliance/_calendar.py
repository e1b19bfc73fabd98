"""Local clocks and calendars: day starts in a zone, public holidays, instants in microseconds.

The engine compares instants as integer microseconds since the POSIX epoch, so that window
edges computed from one another (a call's instant plus seven days, a local midnight) compare
exactly, and a "next allowed" moment asked again lands on the same side of every edge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MIDNIGHT = dt.time(0)
UTC_ZONE = ZoneInfo("UTC")


def to_us(moment: dt.datetime) -> int:
    """An aware datetime as integer microseconds since the epoch."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the compliance engine needs aware datetimes (UTC)")
    return round(moment.timestamp() * US_PER_SECOND)


def from_us(us: int) -> dt.datetime:
    """Microseconds since the epoch as an aware UTC datetime."""
    return _EPOCH + dt.timedelta(microseconds=us)


def local(us: int, zone: ZoneInfo) -> dt.datetime:
    return from_us(us).astimezone(zone)


#: Day 1970-01-01 as a proleptic Gregorian ordinal (``date.toordinal``).
EPOCH_ORDINAL = 719_163
# UTC offsets change at whole quarter hours (UTC) in every zone since the 1970s.
_BUCKET_US = 15 * 60 * US_PER_SECOND
_OFFSETS: dict[ZoneInfo, dict[int, int]] = {}


def utc_offset(us: int, zone: ZoneInfo) -> int:
    """The zone's UTC offset (µs) at instant ``us``, memoised per quarter hour."""
    bucket = us // _BUCKET_US
    offsets = _OFFSETS.get(zone)
    if offsets is None:
        offsets = _OFFSETS[zone] = {}
    found = offsets.get(bucket)
    if found is None:
        found = _offset(us, zone)
        start = bucket * _BUCKET_US
        if _offset(start, zone) == found == _offset(start + _BUCKET_US - 1, zone):
            if len(offsets) > 500_000:
                offsets.clear()
            offsets[bucket] = found
    return found


def _offset(us: int, zone: ZoneInfo) -> int:
    offset = local(us, zone).utcoffset()
    assert offset is not None
    return offset // dt.timedelta(microseconds=1)


def clock(us: int, zone: ZoneInfo) -> tuple[int, int, int]:
    """(second of the day, weekday Monday=0, day ordinal) of instant ``us`` in ``zone``."""
    days, rest = divmod(us + utc_offset(us, zone), US_PER_DAY)
    ordinal = days + EPOCH_ORDINAL
    return rest // US_PER_SECOND, (ordinal - 1) % 7, ordinal


_DAY_STARTS: dict[tuple[ZoneInfo, int], int] = {}


def day_start(zone: ZoneInfo, ordinal: int) -> int:
    """The instant (µs) at which the local day ``ordinal`` (proleptic Gregorian) begins."""
    key = (zone, ordinal)
    found = _DAY_STARTS.get(key)
    if found is None:
        if len(_DAY_STARTS) > 200_000:
            _DAY_STARTS.clear()
        moment = dt.datetime.combine(dt.date.fromordinal(ordinal), _MIDNIGHT, tzinfo=zone)
        found = _DAY_STARTS[key] = to_us(moment)
    return found


_WALL_TIMES: dict[tuple[ZoneInfo, int, int], int] = {}


def at_local_time(zone: ZoneInfo, ordinal: int, seconds: int) -> int:
    """The instant (µs) of a wall-clock time (seconds after midnight) on a local day."""
    key = (zone, ordinal, seconds)
    found = _WALL_TIMES.get(key)
    if found is None:
        if len(_WALL_TIMES) > 200_000:
            _WALL_TIMES.clear()
        wall = dt.datetime.combine(dt.date.fromordinal(ordinal), _MIDNIGHT) + dt.timedelta(
            seconds=seconds
        )
        found = _WALL_TIMES[key] = to_us(wall.replace(tzinfo=zone))
    return found


def local_ordinal(us: int, zone: ZoneInfo) -> int:
    return local(us, zone).toordinal()


class HolidayCalendar:
    """Public holidays of a country (the ``holidays`` package), as day ordinals per year.

    With ``subdivisions`` the calendar is their union: when the debtor's region is unknown,
    a holiday anywhere in the country counts (the stricter reading). Years are computed on
    first use and kept.
    """

    __slots__ = ("_days", "_first", "_last", "_years", "country", "subdivisions")

    def __init__(self, country: str, subdivisions: Sequence[str] = ()) -> None:
        self.country = country
        self.subdivisions = tuple(subdivisions)
        self._years: set[int] = set()
        self._days: set[int] = set()
        # Ordinals of the first and last day of the years computed (contiguous).
        self._first = self._last = 0

    def is_holiday(self, ordinal: int) -> bool:
        """Whether the local day ``ordinal`` (``date.toordinal``) is a public holiday."""
        if not self._first <= ordinal <= self._last:
            self._cover(dt.date.fromordinal(ordinal).year)
        return ordinal in self._days

    def _cover(self, year: int) -> None:
        years = range(min(self._years, default=year), max(self._years, default=year) + 1)
        wanted = set(years) | {year}
        for missing in range(min(wanted), max(wanted) + 1):
            if missing not in self._years:
                self._days |= self._compute(missing)
                self._years.add(missing)
        self._first = dt.date(min(self._years), 1, 1).toordinal()
        self._last = dt.date(max(self._years), 12, 31).toordinal()

    def name(self, day: dt.date) -> str | None:
        """The holiday's name on ``day``, or None (for messages and the operator)."""
        import holidays

        for subdivision in self.subdivisions or (None,):
            calendar = holidays.country_holidays(self.country, subdiv=subdivision, years=day.year)
            if day in calendar:
                return str(calendar[day])
        return None

    def _compute(self, year: int) -> frozenset[int]:
        import holidays  # heavy; only packs that use holidays pay for it

        days: set[int] = set()
        for subdivision in self.subdivisions or (None,):
            calendar = holidays.country_holidays(self.country, subdiv=subdivision, years=year)
            days.update(day.toordinal() for day in calendar)
        return frozenset(days)

    @staticmethod
    def check(country: str, subdivisions: Sequence[str]) -> list[str]:
        """Problems with a calendar's name: an unknown country or subdivision."""
        import holidays

        try:
            entity = holidays.country_holidays(country)
        except NotImplementedError:
            return [f"no public holiday calendar for country {country!r}"]
        known = set(entity.subdivisions)
        return [f"unknown subdivision {s!r} of {country}" for s in subdivisions if s not in known]
