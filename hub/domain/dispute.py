"""A dispute: the customer contests the debt; outbound contact and the plan clock pause."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from hub.domain.errors import DomainError
from hub.domain.lifecycle import Lifecycle
from hub.domain.vocabulary import DisputeOutcome, DisputeReason


class DisputeStatus(StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


class DisputeAction(StrEnum):
    RESOLVE = "RESOLVE"


DISPUTE_LIFECYCLE: Lifecycle[DisputeStatus, DisputeAction] = Lifecycle(
    moves={DisputeAction.RESOLVE: (frozenset({DisputeStatus.OPEN}), DisputeStatus.RESOLVED)},
    refuse=lambda _action, _status: DomainError.of(
        "DISPUTE_NOT_OPEN", "the dispute is already resolved", "disputeId"
    ),
)


@dataclass(frozen=True, slots=True)
class Dispute:
    """``details`` and ``notes`` may hold personal data: they are stored encrypted and never
    published in events."""

    id: str
    account_id: str
    reason: DisputeReason
    details: str | None
    status: DisputeStatus
    opened_at: dt.datetime
    outcome: DisputeOutcome | None = None
    notes: str | None = None
    resolved_at: dt.datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status is DisputeStatus.OPEN

    def resolve(self, outcome: DisputeOutcome, notes: str | None, now: dt.datetime) -> Dispute:
        status = DISPUTE_LIFECYCLE.apply(self.status, DisputeAction.RESOLVE)
        return dataclasses.replace(
            self, status=status, outcome=outcome, notes=notes, resolved_at=now
        )
