"""Sandbox: the moves that take one account to a state (``advanceTestAccount``).

An integrator asks for a state; ``path_to`` answers with the agency moves (``AdvanceStep``) that
get the account there from where it is, each one a legal move of the account's state
machine (``hub.domain.account.transition``), so the use cases that carry them out write
exactly the events a real agency's calls would. The path first works the account the way
an agency does (acknowledge, first contact, end a dispute or hold it is in) and only then
makes the move to the target, when such a path exists; otherwise it is the shortest legal
one. A state the machine cannot reach from where the account is (any other state once it
is closed; IN_COLLECTION from a running plan, which only the hub's sweep breaks) is
refused with ``INVALID_STATE_TRANSITION``; the state it is in is the empty path.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from enum import StrEnum

from hub.domain.account import AccountStatus, Action, transition
from hub.domain.errors import DomainError

S = AccountStatus


class AdvanceTarget(StrEnum):
    """The states ``advanceTestAccount`` takes an account to."""

    ACKNOWLEDGED = "ACKNOWLEDGED"
    IN_COLLECTION = "IN_COLLECTION"
    PAYMENT_PLAN = "PAYMENT_PLAN"
    PAID = "PAID"
    SETTLED = "SETTLED"
    DISPUTED = "DISPUTED"
    ON_HOLD = "ON_HOLD"
    UNCOLLECTABLE = "UNCOLLECTABLE"

    @property
    def status(self) -> AccountStatus:
        return AccountStatus(self.value)


class AdvanceStep(StrEnum):
    """One agency move, named by the use case that makes it."""

    ACKNOWLEDGE = "ACKNOWLEDGE"  # acknowledgePlacement
    LOG_CONTACT = "LOG_CONTACT"  # logContactAttempt (an inbound call: no compliance window)
    CREATE_PLAN = "CREATE_PLAN"  # createPaymentPlan (one installment of the whole balance)
    PAY_IN_FULL = "PAY_IN_FULL"  # recordPayment of the balance (closes PAID)
    SETTLE = "SETTLE"  # recordPayment of part of it if nothing is paid yet, closeAccount SETTLED
    WRITE_OFF = "WRITE_OFF"  # closeAccount UNCOLLECTABLE
    OPEN_DISPUTE = "OPEN_DISPUTE"  # openDispute
    RESOLVE_DISPUTE = "RESOLVE_DISPUTE"  # resolveDispute (REJECTED: the debt stands)
    PLACE_HOLD = "PLACE_HOLD"  # placeOnHold (HARDSHIP, no end)
    RELEASE_HOLD = "RELEASE_HOLD"  # releaseHold


#: The account-machine move each step makes.
STEP_ACTIONS: dict[AdvanceStep, Action] = {
    AdvanceStep.ACKNOWLEDGE: Action.ACKNOWLEDGE,
    AdvanceStep.LOG_CONTACT: Action.START_COLLECTION,
    AdvanceStep.CREATE_PLAN: Action.START_PLAN,
    AdvanceStep.PAY_IN_FULL: Action.PAY_OFF,
    AdvanceStep.SETTLE: Action.SETTLE,
    AdvanceStep.WRITE_OFF: Action.WRITE_OFF,
    AdvanceStep.OPEN_DISPUTE: Action.OPEN_DISPUTE,
    AdvanceStep.RESOLVE_DISPUTE: Action.RESOLVE_DISPUTE,
    AdvanceStep.PLACE_HOLD: Action.PLACE_HOLD,
    AdvanceStep.RELEASE_HOLD: Action.RELEASE_HOLD,
}
#: States an agency is working the account in: where a path's last move starts if it can.
_COLLECTING = frozenset({S.IN_COLLECTION, S.PAYMENT_PLAN})


@dataclass(frozen=True, slots=True)
class Position:
    """Where an account is: its status, the state a dispute or hold interrupted, and whether
    a hold is active (under a dispute opened during the hold, the status says DISPUTED)."""

    status: AccountStatus
    resume_status: AccountStatus | None = None
    held: bool = False


def after(position: Position, step: AdvanceStep) -> Position:
    """Where ``step`` leaves an account at ``position``; ``INVALID_STATE_TRANSITION`` if the
    account's state machine does not allow it there."""
    action = STEP_ACTIONS[step]
    moved = transition(position.status, action, position.resume_status)
    if step is AdvanceStep.RESOLVE_DISPUTE and position.held:
        # The dispute ends; the hold it interrupted is still on (``resolve_dispute``).
        return replace(position, status=S.ON_HOLD)
    held = {AdvanceStep.PLACE_HOLD: True, AdvanceStep.RELEASE_HOLD: False}.get(step, position.held)
    if moved.status.is_terminal:
        held = False
    return Position(moved.status, moved.resume_status, held)


def _search(
    start: Position, target: AccountStatus, last_from: frozenset[AccountStatus] | None
) -> tuple[AdvanceStep, ...] | None:
    """The shortest list of steps from ``start`` to ``target`` (whose last step starts in
    ``last_from``, if given), or None."""
    paths: dict[Position, tuple[AdvanceStep, ...]] = {start: ()}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        for step in AdvanceStep:
            try:
                there = after(here, step)
            except DomainError:
                continue
            path = (*paths[here], step)
            if there.status is target and (last_from is None or here.status in last_from):
                return path
            if there not in paths and not there.status.is_terminal:
                paths[there] = path
                queue.append(there)
    return None


def path_to(position: Position, target: AdvanceTarget) -> tuple[AdvanceStep, ...]:
    """The steps that take an account at ``position`` to ``target``: empty when it is there
    already; ``INVALID_STATE_TRANSITION`` when its state machine cannot get it there."""
    goal = target.status
    if position.status is goal:
        return ()
    worked = goal not in (S.ACKNOWLEDGED, *_COLLECTING)
    found = (_search(position, goal, _COLLECTING) if worked else None) or _search(
        position, goal, None
    )
    if found is None:
        raise DomainError.of(
            "INVALID_STATE_TRANSITION",
            f"an account in status {position.status} cannot reach {goal}",
            "to",
        )
    return found
