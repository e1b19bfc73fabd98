"""advanceTestAccount's paths: from anywhere an account can be, every state its machine can
reach is reached, by legal moves only, and the account aggregate agrees with each move."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.account import Account, AccountStatus, Product
from hub.domain.collection_account import CollectionAccount
from hub.domain.collection_state import History
from hub.domain.errors import DomainError
from hub.domain.money import Money
from hub.domain.payment_plan import Cadence
from hub.domain.sandbox_paths import AdvanceStep, AdvanceTarget, Position, after, path_to
from hub.domain.vocabulary import (
    CloseReason,
    ContactChannel,
    ContactDirection,
    ContactOutcome,
    DisputeOutcome,
    DisputeReason,
    HoldReason,
    PaymentChannel,
    PaymentMethod,
)

S = AccountStatus
NOW = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
PLACED = Position(S.PLACED)


def _reachable(start: Position) -> set[AccountStatus]:
    """Every status some sequence of legal steps takes ``start`` to (an exhaustive search)."""
    seen, todo = {start}, [start]
    while todo:
        here = todo.pop()
        for step in AdvanceStep:
            try:
                there = after(here, step)
            except DomainError:
                continue
            if there not in seen:
                seen.add(there)
                todo.append(there)
    return {position.status for position in seen}


@st.composite
def positions(draw: st.DrawFn) -> Position:
    """Where a random walk of legal steps from PLACED leaves an account."""
    position = PLACED
    for step in draw(st.lists(st.sampled_from(list(AdvanceStep)), max_size=8)):
        try:
            position = after(position, step)
        except DomainError:
            continue
    return position


@settings(max_examples=400, deadline=None)
@given(positions(), st.sampled_from(list(AdvanceTarget)))
def test_every_reachable_target_is_reached_by_legal_moves_only(
    start: Position, target: AdvanceTarget
) -> None:
    if target.status not in _reachable(start) - {start.status} and start.status != target.status:
        with pytest.raises(DomainError) as refused:
            path_to(start, target)
        assert refused.value.problems[0].code == "INVALID_STATE_TRANSITION"
        return
    position = start
    for step in path_to(start, target):
        position = after(position, step)  # raises if a step is not legal there
        assert not position.status.is_terminal or position.status is target.status
    assert position.status is target.status


def test_the_state_the_account_is_in_is_the_empty_path() -> None:
    for target in AdvanceTarget:
        assert path_to(Position(target.status), target) == ()


def test_a_placed_account_is_worked_before_it_ends() -> None:
    assert path_to(PLACED, AdvanceTarget.PAID) == (
        AdvanceStep.ACKNOWLEDGE,
        AdvanceStep.LOG_CONTACT,
        AdvanceStep.PAY_IN_FULL,
    )
    assert path_to(PLACED, AdvanceTarget.PAYMENT_PLAN) == (
        AdvanceStep.ACKNOWLEDGE,
        AdvanceStep.CREATE_PLAN,
    )
    held = Position(S.ON_HOLD, S.PAYMENT_PLAN, held=True)
    assert path_to(held, AdvanceTarget.SETTLED) == (AdvanceStep.RELEASE_HOLD, AdvanceStep.SETTLE)


def test_closed_accounts_and_a_running_plan_refuse_what_the_machine_cannot_reach() -> None:
    for closed in (S.PAID, S.SETTLED, S.UNCOLLECTABLE, S.RECALLED, S.RETURNED):
        with pytest.raises(DomainError):
            path_to(Position(closed), AdvanceTarget.IN_COLLECTION)
    with pytest.raises(DomainError):
        path_to(Position(S.PAYMENT_PLAN), AdvanceTarget.IN_COLLECTION)
    with pytest.raises(DomainError):
        path_to(Position(S.IN_COLLECTION), AdvanceTarget.ACKNOWLEDGED)


def _collection() -> CollectionAccount:
    account = Account(
        id="acc_1",
        creditor_id="org_creditor",
        reference="INV-1",
        customer_id="cus_1",
        product=Product.BNPL_INVOICE,
        currency="SEK",
        original_amount_minor=100_000,
        balance_minor=100_000,
        due_date=NOW.date() - dt.timedelta(days=30),
        status=S.PLACED,
        resume_status=None,
        agency_id="org_agency",
        country="SE",
        metadata=None,
        placed_at=NOW,
        updated_at=NOW,
        version=2,
    )
    return CollectionAccount(account, history=History())


def _apply(c: CollectionAccount, step: AdvanceStep) -> None:
    """A step made on the aggregate the way the sandbox's use cases make it."""
    balance = c.account.balance_minor
    if step is AdvanceStep.ACKNOWLEDGE:
        c.acknowledge(None, NOW)
    elif step is AdvanceStep.LOG_CONTACT:
        c.log_contact(
            channel=ContactChannel.CALL,
            direction=ContactDirection.INBOUND,
            outcome=ContactOutcome.CONVERSATION,
            occurred_at=NOW,
            now=NOW,
            decision=None,
        )
    elif step is AdvanceStep.CREATE_PLAN:
        c.create_plan(
            cadence=Cadence.MONTHLY,
            start_date=NOW.date(),
            installment_amount=Money(balance, "SEK"),
            installments=None,
            now=NOW,
        )
    elif step in (AdvanceStep.PAY_IN_FULL, AdvanceStep.SETTLE):
        amount = balance if step is AdvanceStep.PAY_IN_FULL else balance // 2
        c.record_payment(
            amount=Money(amount, "SEK"),
            method=PaymentMethod.CARD,
            channel=PaymentChannel.AGENCY,
            received_at=NOW,
            pending=False,
            now=NOW,
        )
        if step is AdvanceStep.SETTLE:
            c.close(CloseReason.SETTLED, Money(c.paid_minor, "SEK"), NOW)
    elif step is AdvanceStep.WRITE_OFF:
        c.close(CloseReason.UNCOLLECTABLE, None, NOW)
    elif step is AdvanceStep.OPEN_DISPUTE:
        c.open_dispute(DisputeReason.OTHER, None, NOW)
    elif step is AdvanceStep.RESOLVE_DISPUTE:
        assert c.dispute is not None
        c.resolve_dispute(c.dispute, DisputeOutcome.REJECTED, None, NOW)
    elif step is AdvanceStep.PLACE_HOLD:
        c.place_on_hold(HoldReason.HARDSHIP, None, None, NOW)
    else:
        assert c.hold is not None
        c.release_hold(c.hold, NOW)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list(AdvanceTarget)), min_size=1, max_size=4))
def test_the_aggregate_follows_every_path_move_for_move(targets: list[AdvanceTarget]) -> None:
    c, position = _collection(), PLACED
    for target in targets:
        try:
            path = path_to(position, target)
        except DomainError:
            continue
        for step in path:
            _apply(c, step)
            position = after(position, step)
            assert (c.status, c.account.resume_status) == (
                position.status,
                None if position.status.is_terminal else position.resume_status,
            )
            assert (c.hold is not None) == position.held
        assert c.status is target.status
