"""What the engine is told about an account, and what it answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from hub.domain.compliance._history import ContactHistory
from hub.domain.errors import Problem
from hub.domain.vocabulary import ContactChannel, ContactDirection, ContactOutcome, HoldReason

# The contact vocabularies are the collection domain's own (one definition, two names).
Channel = ContactChannel
Direction = ContactDirection
Outcome = ContactOutcome


#: Outcomes of a CALL that mean the debtor was spoken to (a "telephone conversation").
CONVERSATION_OUTCOMES = frozenset(
    {Outcome.CONVERSATION, Outcome.PROMISE_TO_PAY, Outcome.REFUSED_TO_PAY}
)
ALL_CHANNELS = tuple(Channel)


@dataclass(frozen=True, slots=True)
class Hold:
    """A hold on the account: no outbound contact while it lasts (``until`` None: open-ended)."""

    reason: HoldReason
    until: dt.datetime | None = None

    def active_at(self, at: dt.datetime) -> bool:
        return self.until is None or at < self.until


@dataclass(frozen=True, slots=True)
class ContactContext:
    """Everything about one account that decides whether its debtor may be contacted.

    ``timezones`` are the debtor's candidate IANA zones (``debtor_timezones`` resolves
    them); every rule that reads the local clock must pass in each of them.
    ``opted_out`` are the channels the debtor refused. ``hold`` is the hold in force, if any.
    ``contact_hours`` are the debtor's preferred hours (seconds after local midnight, start
    and end), a preference honoured on top of the pack (``HUB-CONTACT-HOURS``).
    """

    country: str
    placed_at: dt.datetime
    history: ContactHistory
    timezones: tuple[str, ...]
    opted_out: frozenset[Channel] = frozenset()
    open_dispute: bool = False
    hold: Hold | None = None
    contact_hours: tuple[int, int] | None = None
    zones: tuple[ZoneInfo, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.timezones:
            raise ValueError("a contact context needs at least one time zone")
        object.__setattr__(self, "zones", tuple(ZoneInfo(name) for name in self.timezones))


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a contact is refused: the rule's id, a message, and where the rule comes from.

    ``convention`` is True when the rule is an industry convention or hub policy, not law.
    """

    rule_id: str
    message: str
    citation: str
    convention: bool


@dataclass(frozen=True, slots=True)
class PackRef:
    """The rule pack a decision was taken under."""

    jurisdiction: str
    version: str


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to "may this debtor be contacted on this channel at this moment?".

    ``next_allowed_at`` is the earliest moment at or after the one asked at which the same
    contact would be allowed (the moment itself when allowed), or None when it never will be
    under the facts given (an opt-out, a dispute, an open-ended hold). ``pack`` is None when
    no rule pack covers the account's country (only the hub's own rules applied).
    """

    allowed: bool
    reasons: tuple[Refusal, ...]
    next_allowed_at: dt.datetime | None
    pack: PackRef | None
    timezones: tuple[str, ...]

    def refusal_problems(self) -> tuple[Problem, ...]:
        """``CONTACT_NOT_PERMITTED``, once per refusing rule, naming it and when the contact
        would be allowed."""
        when = (
            f"; allowed again at {self.next_allowed_at.isoformat()}"
            if self.next_allowed_at is not None
            else "; not allowed until the reason is lifted"
        )
        return tuple(
            Problem("CONTACT_NOT_PERMITTED", f"{r.rule_id}: {r.message}{when}", ("occurredAt",))
            for r in self.reasons
        )
