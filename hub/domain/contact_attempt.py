"""A contact between the agency and the customer, as the agency logged it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hub.domain.vocabulary import ContactChannel, ContactDirection, ContactOutcome


@dataclass(frozen=True, slots=True)
class RulePackRef:
    """A version of a jurisdiction's contact rules."""

    jurisdiction: str
    version: str


@dataclass(frozen=True, slots=True)
class ContactAttempt:
    id: str
    account_id: str
    channel: ContactChannel
    direction: ContactDirection
    outcome: ContactOutcome
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    #: The pack in force that allowed an outbound contact (None: inbound, or no pack).
    rule_pack: RulePackRef | None = None
