"""An account's contact history, indexed once so that every rule counts with a bisect."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass

from hub.domain.compliance._calendar import to_us
from hub.domain.vocabulary import ContactChannel as Channel
from hub.domain.vocabulary import ContactDirection as Direction
from hub.domain.vocabulary import ContactOutcome as Outcome


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """One contact with the debtor as logged: when (aware), how, which way, and how it went."""

    occurred_at: dt.datetime
    channel: Channel
    direction: Direction
    outcome: Outcome


@dataclass(frozen=True, slots=True, eq=False)
class Selector:
    """Which records a rule counts. Compared by identity: each compiled rule owns one."""

    channels: frozenset[Channel]
    directions: frozenset[Direction]
    outcomes: frozenset[Outcome] | None = None

    def matches(self, record: ContactRecord) -> bool:
        return (
            record.channel in self.channels
            and record.direction in self.directions
            and (self.outcomes is None or record.outcome in self.outcomes)
        )


class ContactHistory:
    """The contacts of one account (one debt), oldest first.

    Build it once per account and reuse it for every question about that account: each
    rule's matching records are gathered on first use into a sorted list of instants
    (microseconds since the epoch), after which a window count is two bisects.
    """

    __slots__ = ("_stamps", "index", "records")

    def __init__(self, records: Iterable[ContactRecord] = ()) -> None:
        self.records: tuple[ContactRecord, ...] = tuple(
            sorted(records, key=lambda r: r.occurred_at)
        )
        self._stamps = [to_us(r.occurred_at) for r in self.records]
        #: Selector -> instants of its records, filled by ``stamps`` (rules read it directly).
        self.index: dict[Selector, list[int]] = {}

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        return f"ContactHistory({len(self.records)} records)"

    def stamps(self, selector: Selector) -> list[int]:
        """Instants (µs since the epoch, ascending) of the records ``selector`` matches."""
        found = self.index.get(selector)
        if found is None:
            found = [
                stamp
                for stamp, record in zip(self._stamps, self.records, strict=True)
                if selector.matches(record)
            ]
            self.index[selector] = found
        return found

    def count(self, selector: Selector, start: int, end: int) -> int:
        """How many matching records lie in ``[start, end)``."""
        stamps = self.stamps(selector)
        return bisect_left(stamps, end) - bisect_left(stamps, start)
