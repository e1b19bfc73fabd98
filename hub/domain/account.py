"""The account: its states, the moves between them, and the rules on balances.

States (DESIGN.md): PLACED → ACKNOWLEDGED → IN_COLLECTION ⇄ PAYMENT_PLAN; the side states
DISPUTED and ON_HOLD pause contact and return to the state they interrupted; PAID, SETTLED,
RECALLED, RETURNED and UNCOLLECTABLE are terminal. Every move is named by an ``Action`` and
checked here, so no other module decides whether a move is legal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hub.domain.errors import DomainError


class AccountStatus(StrEnum):
    PLACED = "PLACED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    IN_COLLECTION = "IN_COLLECTION"
    PAYMENT_PLAN = "PAYMENT_PLAN"
    DISPUTED = "DISPUTED"
    ON_HOLD = "ON_HOLD"
    PAID = "PAID"
    SETTLED = "SETTLED"
    RECALLED = "RECALLED"
    RETURNED = "RETURNED"
    UNCOLLECTABLE = "UNCOLLECTABLE"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset(
    {
        AccountStatus.PAID,
        AccountStatus.SETTLED,
        AccountStatus.RECALLED,
        AccountStatus.RETURNED,
        AccountStatus.UNCOLLECTABLE,
    }
)
# States a side state (dispute, hold) may interrupt and later resume.
WORKING = frozenset(
    {
        AccountStatus.PLACED,
        AccountStatus.ACKNOWLEDGED,
        AccountStatus.IN_COLLECTION,
        AccountStatus.PAYMENT_PLAN,
    }
)
OPEN = WORKING | {AccountStatus.DISPUTED, AccountStatus.ON_HOLD}


class Product(StrEnum):
    BNPL_INVOICE = "BNPL_INVOICE"
    INSTALLMENT = "INSTALLMENT"
    CARD = "CARD"
    LOAN = "LOAN"
    OTHER = "OTHER"


class Action(StrEnum):
    ACKNOWLEDGE = "ACKNOWLEDGE"
    START_COLLECTION = "START_COLLECTION"
    START_PLAN = "START_PLAN"
    END_PLAN = "END_PLAN"
    OPEN_DISPUTE = "OPEN_DISPUTE"
    RESOLVE_DISPUTE = "RESOLVE_DISPUTE"
    PLACE_HOLD = "PLACE_HOLD"
    RELEASE_HOLD = "RELEASE_HOLD"
    PAY_OFF = "PAY_OFF"
    SETTLE = "SETTLE"
    RECALL = "RECALL"
    RETURN = "RETURN"
    WRITE_OFF = "WRITE_OFF"


S = AccountStatus
# Moves to a fixed target, from the states listed.
_MOVES: dict[Action, tuple[frozenset[AccountStatus], AccountStatus]] = {
    Action.ACKNOWLEDGE: (frozenset({S.PLACED}), S.ACKNOWLEDGED),
    Action.START_COLLECTION: (frozenset({S.ACKNOWLEDGED}), S.IN_COLLECTION),
    Action.START_PLAN: (frozenset({S.ACKNOWLEDGED, S.IN_COLLECTION}), S.PAYMENT_PLAN),
    Action.END_PLAN: (frozenset({S.PAYMENT_PLAN}), S.IN_COLLECTION),
    Action.OPEN_DISPUTE: (WORKING | {S.ON_HOLD}, S.DISPUTED),
    Action.PLACE_HOLD: (WORKING, S.ON_HOLD),
    Action.PAY_OFF: (OPEN, S.PAID),
    Action.SETTLE: (OPEN - {S.DISPUTED}, S.SETTLED),
    Action.RECALL: (OPEN, S.RECALLED),
    Action.RETURN: (OPEN, S.RETURNED),
    Action.WRITE_OFF: (OPEN - {S.DISPUTED}, S.UNCOLLECTABLE),
}
# Moves back to the state the side state interrupted.
_RESUMES: dict[Action, AccountStatus] = {
    Action.RESOLVE_DISPUTE: S.DISPUTED,
    Action.RELEASE_HOLD: S.ON_HOLD,
}


@dataclass(frozen=True, slots=True)
class Transition:
    """The outcome of a legal move: the new status and the state to resume later, if any."""

    status: AccountStatus
    resume_status: AccountStatus | None


def transition(
    status: AccountStatus, action: Action, resume_status: AccountStatus | None = None
) -> Transition:
    """Apply ``action`` to an account in ``status``; raise ``INVALID_STATE_TRANSITION`` if illegal.

    ``resume_status`` is the state a side state (DISPUTED, ON_HOLD) returns to when it ends.
    """
    if action in _RESUMES:
        if status is not _RESUMES[action] or resume_status is None:
            raise _illegal(status, action)
        return Transition(resume_status, None)
    sources, target = _MOVES[action]
    if status not in sources:
        raise _illegal(status, action)
    if target in (S.DISPUTED, S.ON_HOLD):
        # A dispute on top of a hold keeps the state the hold interrupted.
        keep = resume_status if status is S.ON_HOLD else status
        return Transition(target, keep)
    return Transition(target, None)


def allowed_actions(status: AccountStatus) -> frozenset[Action]:
    """Every action legal from ``status`` (side-state resumes included)."""
    moves = {action for action, (sources, _) in _MOVES.items() if status in sources}
    resumes = {action for action, side in _RESUMES.items() if status is side}
    return frozenset(moves | resumes)


def _illegal(status: AccountStatus, action: Action) -> DomainError:
    return DomainError.of(
        "INVALID_STATE_TRANSITION",
        f"an account in status {status} cannot {action.lower().replace('_', ' ')}",
    )


def check_adjusted_balance(
    balance: int, delta: int, original: int, paid: int = 0, in_flight: int = 0
) -> int:
    """The balance after an adjustment of ``delta`` minor units, or a refusal.

    An adjustment corrects a balance (fee waived, interest added); it never closes an
    account, so the result stays above zero. Nor may it rise above the original amount
    less the ``paid`` payments received: otherwise reversing those payments later would
    push the balance above the original amount. Nor may it fall below the ``in_flight``
    pending payments: settling them must not leave a negative balance.
    """
    if delta == 0:
        raise DomainError.of("INVALID_AMOUNT", "an adjustment must change the balance", "amount")
    new_balance = balance + delta
    if new_balance <= 0:
        raise DomainError.of(
            "BALANCE_NOT_POSITIVE",
            "an adjustment must leave a positive balance; close the account instead",
            "amount",
        )
    if new_balance < in_flight:
        raise DomainError.of(
            "BALANCE_BELOW_PENDING",
            f"an adjustment cannot lower the balance below the {in_flight} in pending payments",
            "amount",
        )
    if new_balance + paid > original:
        raise DomainError.of(
            "BALANCE_ABOVE_ORIGINAL",
            "an adjustment cannot raise the balance above the original amount"
            + (" less the payments received" if paid else ""),
            "amount",
        )
    return new_balance


@dataclass(frozen=True, slots=True)
class Account:
    """An account as the hub keeps it. ``version`` is the sequence number of its last event,
    and the optimistic lock of every change."""

    id: str
    creditor_id: str
    reference: str
    customer_id: str
    product: Product
    currency: str
    original_amount_minor: int
    balance_minor: int
    due_date: dt.date
    status: AccountStatus
    resume_status: AccountStatus | None
    agency_id: str | None
    country: str
    metadata: Any
    placed_at: dt.datetime
    updated_at: dt.datetime
    version: int
    agency_reference: str | None = None
    acknowledged_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
