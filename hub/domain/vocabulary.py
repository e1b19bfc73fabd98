"""The words of what an agency reports while it works an account.

The vocabularies (enums) of contacts, payments, disputes, holds and closings, and the rule
on free text the hub stores. Each report's own record and lifecycle live in its module
(``payment``, ``dispute``, ``hold``, ``contact_attempt``); the moves between account states
stay in ``hub.domain.account``.
"""

from __future__ import annotations

from enum import StrEnum

from hub.domain.account import Action
from hub.domain.errors import DomainError


class ContactChannel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    CALL = "CALL"
    LETTER = "LETTER"
    PUSH = "PUSH"
    IN_APP = "IN_APP"


class ContactDirection(StrEnum):
    OUTBOUND = "OUTBOUND"
    INBOUND = "INBOUND"


class ContactOutcome(StrEnum):
    DELIVERED = "DELIVERED"
    UNDELIVERED = "UNDELIVERED"
    NO_ANSWER = "NO_ANSWER"
    VOICEMAIL = "VOICEMAIL"
    CONVERSATION = "CONVERSATION"
    PROMISE_TO_PAY = "PROMISE_TO_PAY"
    REFUSED_TO_PAY = "REFUSED_TO_PAY"
    WRONG_PARTY = "WRONG_PARTY"

    @property
    def reached_customer(self) -> bool:
        """The agency spoke with or heard from the customer (a right-party contact)."""
        return self in _REACHED


_REACHED = frozenset(
    {ContactOutcome.CONVERSATION, ContactOutcome.PROMISE_TO_PAY, ContactOutcome.REFUSED_TO_PAY}
)


class PaymentMethod(StrEnum):
    CARD = "CARD"
    BANK_TRANSFER = "BANK_TRANSFER"
    DIRECT_DEBIT = "DIRECT_DEBIT"
    MOBILE_WALLET = "MOBILE_WALLET"
    CASH = "CASH"
    OTHER = "OTHER"


class PaymentChannel(StrEnum):
    """Who took the payment: the agency's staff, the customer in a self-serve portal, or the
    creditor directly."""

    AGENCY = "AGENCY"
    PORTAL = "PORTAL"
    CREDITOR_DIRECT = "CREDITOR_DIRECT"


class PaymentStatus(StrEnum):
    """PENDING payments are in flight (a direct debit not yet settled): they hold their
    amount against the balance but do not move it; SUCCEEDED ones moved it; a REVERSED one
    moved it back; FAILED ones never moved it."""

    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    REVERSED = "REVERSED"


class DisputeReason(StrEnum):
    NOT_MY_DEBT = "NOT_MY_DEBT"
    WRONG_AMOUNT = "WRONG_AMOUNT"
    ALREADY_PAID = "ALREADY_PAID"
    GOODS_OR_SERVICES = "GOODS_OR_SERVICES"
    FRAUD = "FRAUD"
    OTHER = "OTHER"


class DisputeOutcome(StrEnum):
    """UPHELD: the customer was right (the creditor usually recalls or adjusts next);
    REJECTED: the debt stands; WITHDRAWN: the customer dropped it."""

    UPHELD = "UPHELD"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


class HoldReason(StrEnum):
    HARDSHIP = "HARDSHIP"
    VULNERABILITY = "VULNERABILITY"
    BEREAVEMENT = "BEREAVEMENT"
    OTHER = "OTHER"


class CloseReason(StrEnum):
    PAID = "PAID"
    SETTLED = "SETTLED"
    UNCOLLECTABLE = "UNCOLLECTABLE"
    RETURNED = "RETURNED"

    @property
    def action(self) -> Action:
        return _CLOSE_ACTIONS[self]

    @property
    def rehabilitates(self) -> bool:
        """Closing this way means the customer paid: a candidate for winning back."""
        return self in (CloseReason.PAID, CloseReason.SETTLED)


_CLOSE_ACTIONS = {
    CloseReason.PAID: Action.PAY_OFF,
    CloseReason.SETTLED: Action.SETTLE,
    CloseReason.UNCOLLECTABLE: Action.WRITE_OFF,
    CloseReason.RETURNED: Action.RETURN,
}

MAX_TEXT = 2000


def check_text(value: str | None, field: str, *, required: bool = False, limit: int = 500) -> None:
    """Free text the hub stores: printable, bounded, present when required."""
    if value is None or not value.strip():
        if required:
            raise DomainError.of("REQUIRED", f"give a {field} of 1-{limit} characters", field)
        return
    if len(value) > limit or not all(ch.isprintable() or ch in "\n\t" for ch in value):
        raise DomainError.of(
            "INVALID_TEXT", f"{field} is at most {limit} printable characters", field
        )
