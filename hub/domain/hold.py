"""A hold: collection pauses (hardship, vulnerability, bereavement) until released or until
its ``until`` passes; no outbound contact meanwhile and the plan clock stands still."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from hub.domain.errors import DomainError
from hub.domain.lifecycle import Lifecycle
from hub.domain.vocabulary import HoldReason


class HoldStatus(StrEnum):
    ACTIVE = "ACTIVE"
    RELEASED = "RELEASED"


class HoldAction(StrEnum):
    #: Released by the agency, or ended by the hub once ``until`` passed.
    RELEASE = "RELEASE"


HOLD_LIFECYCLE: Lifecycle[HoldStatus, HoldAction] = Lifecycle(
    moves={HoldAction.RELEASE: (frozenset({HoldStatus.ACTIVE}), HoldStatus.RELEASED)},
    refuse=lambda _action, _status: DomainError.of(
        "HOLD_NOT_ACTIVE", "the hold has already ended", "holdId"
    ),
)


@dataclass(frozen=True, slots=True)
class Hold:
    """``notes`` may hold personal data: stored encrypted, never published in events."""

    id: str
    account_id: str
    reason: HoldReason
    notes: str | None
    until: dt.datetime | None
    status: HoldStatus
    placed_at: dt.datetime
    released_at: dt.datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status is HoldStatus.ACTIVE

    def expired(self, now: dt.datetime) -> bool:
        """True once an active hold's ``until`` has passed."""
        return self.is_active and self.until is not None and self.until <= now

    def release(self, now: dt.datetime) -> Hold:
        status = HOLD_LIFECYCLE.apply(self.status, HoldAction.RELEASE)
        return dataclasses.replace(self, status=status, released_at=now)
