"""A customer's preferred contact hours: the part of the day they want to be contacted in.

A preference, not the law: ``contactPermission`` honours it on top of a rule pack's hours
(``hub.domain.compliance``, rule ``HUB-CONTACT-HOURS``), in the customer's local time (the
zones the rules take them to be in). Hours are whole minutes, ``start`` before ``end``, on
the same day; a letter is not refused by them (it is not delivered at an hour).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from hub.domain.errors import DomainError

_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
#: The shortest window a customer may choose.
MIN_MINUTES = 60


@dataclass(frozen=True, slots=True)
class ContactHours:
    """From ``start`` (inclusive) to ``end`` (exclusive), local time, every day."""

    start: dt.time
    end: dt.time

    @property
    def seconds(self) -> tuple[int, int]:
        """(start, end) as seconds after local midnight, as the compliance rules read them."""
        return _seconds(self.start), _seconds(self.end)

    def text(self) -> str:
        """``09:00-17:00``: how it is stored."""
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def json(self) -> dict[str, str]:
        """How events publish it."""
        return {"start": f"{self.start:%H:%M}", "end": f"{self.end:%H:%M}"}


def _seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60


def _time(value: str, field: str) -> dt.time:
    found = _CLOCK.fullmatch(value.strip())
    if found is None:
        raise DomainError.of("INVALID_CONTACT_HOURS", "give a time such as 09:00", field)
    return dt.time(int(found.group(1)), int(found.group(2)))


def contact_hours(start: str, end: str) -> ContactHours:
    """Hours from their ``HH:MM`` texts, or ``INVALID_CONTACT_HOURS`` on the field at fault."""
    hours = ContactHours(_time(start, "start"), _time(end, "end"))
    first, last = hours.seconds
    if last - first < MIN_MINUTES * 60:
        raise DomainError.of(
            "INVALID_CONTACT_HOURS",
            f"the end must be at least {MIN_MINUTES} minutes after the start",
            "end",
        )
    return hours


def stored_hours(value: str | None) -> ContactHours | None:
    """Hours as ``ContactHours.text`` stored them (None: no preference)."""
    if not value:
        return None
    start, _, end = value.partition("-")
    return ContactHours(_time(start, "start"), _time(end, "end"))
