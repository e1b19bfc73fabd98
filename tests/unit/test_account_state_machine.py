"""The account state machine, specified by an explicit table of legal moves.

The table below is written from the product rules, not copied from ``hub.domain.account``:
if the module and this table ever disagree, one of them has changed a public rule.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.account import (
    AccountStatus,
    Action,
    allowed_actions,
    check_adjusted_balance,
    transition,
)
from hub.domain.errors import DomainError

S = AccountStatus
A = Action

WORKING_STATES: tuple[AccountStatus, ...] = (
    S.PLACED,
    S.ACKNOWLEDGED,
    S.IN_COLLECTION,
    S.PAYMENT_PLAN,
)
SIDE_STATES: tuple[AccountStatus, ...] = (S.DISPUTED, S.ON_HOLD)
OPEN_STATES: tuple[AccountStatus, ...] = (*WORKING_STATES, *SIDE_STATES)
TERMINAL_STATES: tuple[AccountStatus, ...] = (
    S.PAID,
    S.SETTLED,
    S.RECALLED,
    S.RETURNED,
    S.UNCOLLECTABLE,
)

# Marker target: the move returns to the state the side state interrupted.
RESUME = "RESUME"
Target = AccountStatus | str


def _legal_moves() -> dict[tuple[AccountStatus, Action], Target]:
    """(status, action) -> resulting status, for every legal move and nothing else."""
    moves: dict[tuple[AccountStatus, Action], Target] = {
        (S.PLACED, A.ACKNOWLEDGE): S.ACKNOWLEDGED,
        (S.ACKNOWLEDGED, A.START_COLLECTION): S.IN_COLLECTION,
        (S.ACKNOWLEDGED, A.START_PLAN): S.PAYMENT_PLAN,
        (S.IN_COLLECTION, A.START_PLAN): S.PAYMENT_PLAN,
        (S.PAYMENT_PLAN, A.END_PLAN): S.IN_COLLECTION,
        (S.DISPUTED, A.RESOLVE_DISPUTE): RESUME,
        (S.ON_HOLD, A.RELEASE_HOLD): RESUME,
    }
    for status in (*WORKING_STATES, S.ON_HOLD):
        moves[(status, A.OPEN_DISPUTE)] = S.DISPUTED
    for status in WORKING_STATES:
        moves[(status, A.PLACE_HOLD)] = S.ON_HOLD
    for status in OPEN_STATES:
        moves[(status, A.PAY_OFF)] = S.PAID
        moves[(status, A.RECALL)] = S.RECALLED
        moves[(status, A.RETURN)] = S.RETURNED
    for status in OPEN_STATES:
        if status is not S.DISPUTED:
            moves[(status, A.SETTLE)] = S.SETTLED
            moves[(status, A.WRITE_OFF)] = S.UNCOLLECTABLE
    return moves


LEGAL_MOVES = _legal_moves()


def _cases() -> list[tuple[AccountStatus, Action, AccountStatus | None]]:
    """Every (status, action) pair; side states are tried with every state they can interrupt."""
    cases: list[tuple[AccountStatus, Action, AccountStatus | None]] = []
    for status, action in itertools.product(AccountStatus, Action):
        resumes: tuple[AccountStatus | None, ...] = (
            WORKING_STATES if status in SIDE_STATES else (None,)
        )
        cases.extend((status, action, resume) for resume in resumes)
    return cases


ALL_CASES = _cases()
LEGAL_CASES = [c for c in ALL_CASES if (c[0], c[1]) in LEGAL_MOVES]
ILLEGAL_CASES = [c for c in ALL_CASES if (c[0], c[1]) not in LEGAL_MOVES]


def _case_id(case: tuple[AccountStatus, Action, AccountStatus | None]) -> str:
    status, action, resume = case
    return f"{status}-{action}" + (f"-resume-{resume}" if resume else "")


def test_the_table_covers_the_whole_cross_product() -> None:
    assert len(ALL_CASES) == len(LEGAL_CASES) + len(ILLEGAL_CASES)
    statuses = {status for status, _ in LEGAL_MOVES}
    assert statuses == set(OPEN_STATES), "every open state has a way out; no terminal one does"


@pytest.mark.parametrize("case", LEGAL_CASES, ids=_case_id)
def test_legal_move_reaches_the_expected_status(
    case: tuple[AccountStatus, Action, AccountStatus | None],
) -> None:
    status, action, resume = case
    expected = LEGAL_MOVES[(status, action)]

    moved = transition(status, action, resume)

    assert moved.status == (resume if expected == RESUME else expected)


@pytest.mark.parametrize("case", ILLEGAL_CASES, ids=_case_id)
def test_illegal_move_is_refused_with_invalid_state_transition(
    case: tuple[AccountStatus, Action, AccountStatus | None],
) -> None:
    status, action, resume = case

    with pytest.raises(DomainError) as refused:
        transition(status, action, resume)

    assert refused.value.code == "INVALID_STATE_TRANSITION"


@pytest.mark.parametrize("terminal", TERMINAL_STATES)
@pytest.mark.parametrize("action", list(Action))
def test_terminal_account_refuses_every_action(terminal: AccountStatus, action: Action) -> None:
    with pytest.raises(DomainError) as refused:
        transition(terminal, action)
    assert refused.value.code == "INVALID_STATE_TRANSITION"
    assert terminal.is_terminal


def test_recalled_account_refuses_payment_plan() -> None:
    with pytest.raises(DomainError) as refused:
        transition(S.RECALLED, A.START_PLAN)
    assert refused.value.code == "INVALID_STATE_TRANSITION"


def test_disputed_account_cannot_be_settled_or_written_off() -> None:
    for action in (A.SETTLE, A.WRITE_OFF):
        with pytest.raises(DomainError):
            transition(S.DISPUTED, action, S.IN_COLLECTION)


@pytest.mark.parametrize("working", WORKING_STATES)
@pytest.mark.parametrize(
    ("pause", "side", "unpause"),
    [
        (A.OPEN_DISPUTE, S.DISPUTED, A.RESOLVE_DISPUTE),
        (A.PLACE_HOLD, S.ON_HOLD, A.RELEASE_HOLD),
    ],
)
def test_side_state_remembers_and_returns_to_the_state_it_interrupted(
    working: AccountStatus, pause: Action, side: AccountStatus, unpause: Action
) -> None:
    paused = transition(working, pause)
    assert paused.status == side
    assert paused.resume_status == working

    resumed = transition(paused.status, unpause, paused.resume_status)
    assert resumed.status == working
    assert resumed.resume_status is None


@pytest.mark.parametrize("working", WORKING_STATES)
def test_dispute_on_top_of_a_hold_keeps_the_state_the_hold_interrupted(
    working: AccountStatus,
) -> None:
    held = transition(working, A.PLACE_HOLD)

    disputed = transition(held.status, A.OPEN_DISPUTE, held.resume_status)
    assert disputed.status == S.DISPUTED
    assert disputed.resume_status == working

    resolved = transition(disputed.status, A.RESOLVE_DISPUTE, disputed.resume_status)
    assert resolved.status == working


@pytest.mark.parametrize("case", LEGAL_CASES, ids=_case_id)
def test_only_side_states_carry_a_resume_status(
    case: tuple[AccountStatus, Action, AccountStatus | None],
) -> None:
    status, action, resume = case
    moved = transition(status, action, resume)
    if moved.status in SIDE_STATES:
        assert moved.resume_status in WORKING_STATES
    else:
        assert moved.resume_status is None


@pytest.mark.parametrize("status", list(AccountStatus))
def test_allowed_actions_are_exactly_the_legal_moves(status: AccountStatus) -> None:
    expected = {action for (source, action) in LEGAL_MOVES if source is status}
    assert allowed_actions(status) == expected


@pytest.mark.parametrize("terminal", TERMINAL_STATES)
def test_terminal_account_allows_no_action(terminal: AccountStatus) -> None:
    assert allowed_actions(terminal) == frozenset()


# --- balance adjustments -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("balance", "delta", "original"),
    [(5_000, -1_000, 10_000), (5_000, 5_000, 10_000), (5_000, -4_999, 10_000), (1, 1, 2)],
)
def test_adjustment_within_bounds_gives_the_new_balance(
    balance: int, delta: int, original: int
) -> None:
    assert check_adjusted_balance(balance, delta, original) == balance + delta


def test_adjustment_of_zero_is_refused_as_invalid_amount() -> None:
    with pytest.raises(DomainError) as refused:
        check_adjusted_balance(5_000, 0, 10_000)
    assert refused.value.code == "INVALID_AMOUNT"
    assert refused.value.problems[0].field == ("amount",)


@pytest.mark.parametrize("delta", [-5_000, -5_001, -1_000_000])
def test_adjustment_to_zero_or_below_is_refused(delta: int) -> None:
    with pytest.raises(DomainError) as refused:
        check_adjusted_balance(5_000, delta, 10_000)
    assert refused.value.code == "BALANCE_NOT_POSITIVE"
    assert refused.value.problems[0].field == ("amount",)


@pytest.mark.parametrize("delta", [5_001, 1_000_000])
def test_adjustment_above_the_original_amount_is_refused(delta: int) -> None:
    with pytest.raises(DomainError) as refused:
        check_adjusted_balance(5_000, delta, 10_000)
    assert refused.value.code == "BALANCE_ABOVE_ORIGINAL"
    assert refused.value.problems[0].field == ("amount",)


# --- property: random walks through the machine --------------------------------------------


@given(st.lists(st.sampled_from(list(Action)), max_size=60))
def test_random_walk_never_leaves_a_terminal_state_nor_loses_the_resume_status(
    actions: list[Action],
) -> None:
    status, resume = S.PLACED, None
    for action in actions:
        try:
            moved = transition(status, action, resume)
        except DomainError as refused:
            assert refused.code == "INVALID_STATE_TRANSITION"
            assert (status, action) not in LEGAL_MOVES
            continue
        assert not status.is_terminal, f"{action} moved a terminal account out of {status}"
        assert (status, action) in LEGAL_MOVES
        status, resume = moved.status, moved.resume_status
        if status in SIDE_STATES:
            assert resume in WORKING_STATES
        else:
            assert resume is None


def test_an_adjustment_cannot_make_room_for_reversed_payments_above_the_original() -> None:
    # 10,000 owed originally, 4,000 paid: the balance may rise back to 6,000, not above,
    # so reversing the 4,000 later lands exactly on the original amount.
    assert check_adjusted_balance(5_000, 1_000, 10_000, paid=4_000) == 6_000
    with pytest.raises(DomainError) as refused:
        check_adjusted_balance(5_000, 1_001, 10_000, paid=4_000)
    assert refused.value.code == "BALANCE_ABOVE_ORIGINAL"


def test_an_adjustment_cannot_lower_the_balance_below_pending_payments() -> None:
    # 8,500 of a 10,000 balance is in flight: settling it must not leave the balance negative.
    assert check_adjusted_balance(10_000, -1_500, 10_000, in_flight=8_500) == 8_500
    with pytest.raises(DomainError) as refused:
        check_adjusted_balance(10_000, -1_501, 10_000, in_flight=8_500)
    assert refused.value.code == "BALANCE_BELOW_PENDING"
