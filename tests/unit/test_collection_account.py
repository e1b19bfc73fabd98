"""The account aggregate: each move's rules, events and effects, without a database.

The property test at the end drives random sequences of every move and checks the books
and the links between the account's status and its open items after each one.
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from hub.domain import events as E
from hub.domain.account import Account, AccountStatus, Product
from hub.domain.collection_account import CollectionAccount
from hub.domain.collection_state import History
from hub.domain.compliance import Decision, PackRef, Refusal
from hub.domain.errors import DomainError
from hub.domain.money import Money
from hub.domain.payment import Payment
from hub.domain.payment_plan import Cadence, PlanStatus
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
    PaymentStatus,
)

PLACED_AT = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
S = AccountStatus


def _account(status: AccountStatus = S.IN_COLLECTION, balance: int = 100_000) -> Account:
    return Account(
        id="acc_1",
        creditor_id="org_creditor",
        reference="INV-1",
        customer_id="cus_1",
        product=Product.BNPL_INVOICE,
        currency="SEK",
        original_amount_minor=100_000,
        balance_minor=balance,
        due_date=PLACED_AT.date() - dt.timedelta(days=30),
        status=status,
        resume_status=None,
        agency_id="org_agency",
        country="SE",
        metadata=None,
        placed_at=PLACED_AT,
        updated_at=PLACED_AT,
        version=2,
    )


def _collection(
    status: AccountStatus = S.IN_COLLECTION, balance: int = 100_000
) -> CollectionAccount:
    return CollectionAccount(_account(status, balance), history=History())


def _sek(amount: int) -> Money:
    return Money(amount, "SEK")


def _pay(c: CollectionAccount, amount: int, at: dt.datetime, *, pending: bool = False) -> Payment:
    return c.record_payment(
        amount=_sek(amount),
        method=PaymentMethod.CARD,
        channel=PaymentChannel.PORTAL,
        received_at=at,
        pending=pending,
        now=at,
    )


def _types(c: CollectionAccount) -> list[str]:
    return [event.type for event in c.events]


def test_the_last_installment_completes_the_plan_closes_the_account_and_rehabilitates() -> None:
    c = _collection()
    day = PLACED_AT + dt.timedelta(days=10)
    plan = c.create_plan(
        cadence=Cadence.WEEKLY,
        start_date=day.date(),
        installment_amount=_sek(50_000),
        installments=None,
        now=day,
    )
    assert [i.amount_minor for i in plan.installments] == [50_000, 50_000]
    assert c.status is S.PAYMENT_PLAN
    _pay(c, 50_000, day)
    _pay(c, 50_000, day + dt.timedelta(days=7))

    assert c.status is S.PAID and c.account.balance_minor == 0 and c.plan is None
    assert _types(c) == [
        E.PAYMENT_PLAN_CREATED,
        E.PAYMENT_RECEIVED,
        E.PAYMENT_RECEIVED,
        E.PAYMENT_PLAN_COMPLETED,
        E.ACCOUNT_CLOSED,
        E.CUSTOMER_REHABILITATED,
    ]
    rehabilitated = c.events[-1]
    assert isinstance(rehabilitated, E.RehabilitationChanged)
    summary = rehabilitated.rehabilitation.summary
    assert (summary.amount_recovered_minor, summary.days_to_first_payment, summary.days_to_pay) == (
        100_000,
        10,
        17,
    )
    assert summary.paid_on_plan and summary.paid_in_full and summary.self_served
    assert c.written[plan.id].status is PlanStatus.COMPLETED  # type: ignore[union-attr]


def test_a_payment_refuses_to_exceed_what_is_owed_after_payments_in_flight() -> None:
    c = _collection(balance=10_000)
    _pay(c, 6_000, PLACED_AT, pending=True)
    with pytest.raises(DomainError) as refused:
        _pay(c, 5_000, PLACED_AT)
    assert refused.value.code == "OVERPAYMENT"
    assert "after 6000 in flight" in refused.value.problems[0].message


def test_a_refused_move_changes_nothing() -> None:
    c = _collection()
    _pay(c, 1_000, PLACED_AT, pending=True)
    before = copy.deepcopy(c)
    for move in (
        lambda: c.close(CloseReason.UNCOLLECTABLE, None, PLACED_AT),
        lambda: c.recall(None, PLACED_AT),
        lambda: c.adjust_balance(_sek(-99_500), "waive", PLACED_AT),
        lambda: c.create_plan(
            cadence=Cadence.DAILY,
            start_date=PLACED_AT.date(),
            installment_amount=_sek(1_000),
            installments=None,
            now=PLACED_AT,
        ),
    ):
        with pytest.raises(DomainError):
            move()
        assert c == before


def test_a_dispute_on_a_hold_returns_to_the_hold_and_the_plan_clock_counts_whole_days() -> None:
    c = _collection()
    start = PLACED_AT + dt.timedelta(days=1)
    c.create_plan(
        cadence=Cadence.WEEKLY,
        start_date=start.date(),
        installment_amount=_sek(25_000),
        installments=None,
        now=start,
    )
    hold = c.place_on_hold(HoldReason.HARDSHIP, None, "lost job", start)
    dispute = c.open_dispute(DisputeReason.WRONG_AMOUNT, None, start + dt.timedelta(days=1))
    assert (c.status, c.account.resume_status) == (S.DISPUTED, S.PAYMENT_PLAN)
    c.resolve_dispute(dispute, DisputeOutcome.REJECTED, None, start + dt.timedelta(days=2))
    assert c.status is S.ON_HOLD and c.plan is not None and c.plan.paused_since == start
    c.release_hold(hold, start + dt.timedelta(days=5, hours=3))
    assert (c.status, c.account.resume_status) == (S.PAYMENT_PLAN, None)
    assert c.plan is not None and (c.plan.paused_since, c.plan.paused_days) == (None, 5)


def test_recalling_cancels_the_plan_and_ends_the_hold_each_with_its_event() -> None:
    c = _collection()
    c.create_plan(
        cadence=Cadence.MONTHLY,
        start_date=PLACED_AT.date(),
        installment_amount=_sek(10_000),
        installments=None,
        now=PLACED_AT,
    )
    c.place_on_hold(HoldReason.BEREAVEMENT, None, None, PLACED_AT)
    c.recall("paid at checkout", PLACED_AT)
    assert c.status is S.RECALLED and c.account.closed_at == PLACED_AT
    assert _types(c)[-3:] == [E.PAYMENT_PLAN_CANCELLED, E.HOLD_RELEASED, E.ACCOUNT_RECALLED]
    assert c.plan is None and c.hold is None


def test_a_plan_completed_during_a_dispute_resumes_collection_not_the_plan() -> None:
    c = _collection(balance=80_000)
    c.create_plan(
        cadence=Cadence.WEEKLY,
        start_date=PLACED_AT.date(),
        installment_amount=_sek(40_000),
        installments=None,
        now=PLACED_AT,
    )
    dispute = c.open_dispute(DisputeReason.OTHER, None, PLACED_AT)
    c.adjust_balance(_sek(20_000), "interest", PLACED_AT)
    _pay(c, 80_000, PLACED_AT)  # the plan's total: the plan completes, 20,000 remain owed
    assert c.plan is None and _types(c)[-1] == E.PAYMENT_PLAN_COMPLETED
    assert (c.status, c.account.resume_status) == (S.DISPUTED, S.IN_COLLECTION)
    c.resolve_dispute(dispute, DisputeOutcome.WITHDRAWN, None, PLACED_AT)
    assert c.status is S.IN_COLLECTION


def _decision(allowed: bool) -> Decision:
    reasons = () if allowed else (Refusal("US-REGF-HOURS", "outside hours", "12 CFR", False),)
    return Decision(allowed, reasons, None, PackRef("US", "2021-11-30"), ("America/New_York",))


def test_an_outbound_contact_is_recorded_only_with_a_decision_that_allows_it() -> None:
    c = _collection(status=S.ACKNOWLEDGED)
    kwargs = {
        "channel": ContactChannel.CALL,
        "direction": ContactDirection.OUTBOUND,
        "outcome": ContactOutcome.NO_ANSWER,
        "occurred_at": PLACED_AT,
        "now": PLACED_AT,
    }
    with pytest.raises(DomainError) as refused:
        c.log_contact(**kwargs, decision=_decision(False))  # type: ignore[arg-type]
    assert [p.code for p in refused.value.problems] == ["CONTACT_NOT_PERMITTED"]
    assert refused.value.problems[0].message.startswith("US-REGF-HOURS: outside hours")
    contact = c.log_contact(**kwargs, decision=_decision(True))  # type: ignore[arg-type]
    assert contact.rule_pack is not None and contact.rule_pack.version == "2021-11-30"
    assert c.status is S.IN_COLLECTION


def test_no_outbound_contact_before_the_acknowledgement_or_after_closing() -> None:
    for status, code in ((S.PLACED, "NOT_ACKNOWLEDGED"), (S.PAID, "CONTACT_NOT_PERMITTED")):
        c = _collection(status=status)
        with pytest.raises(DomainError) as refused:
            c.check_contact(ContactDirection.OUTBOUND, PLACED_AT, PLACED_AT)
        assert refused.value.code == code
        assert not c.check_contact(ContactDirection.INBOUND, PLACED_AT, PLACED_AT)


def test_reports_dated_in_the_future_are_refused() -> None:
    c = _collection()
    with pytest.raises(DomainError, match="receivedAt is in the future"):
        c.record_payment(
            amount=_sek(100),
            method=PaymentMethod.CASH,
            channel=PaymentChannel.AGENCY,
            received_at=PLACED_AT + dt.timedelta(minutes=6),
            pending=False,
            now=PLACED_AT,
        )


def test_a_settlement_closes_only_once_the_agreed_amount_is_paid() -> None:
    c = _collection()
    _pay(c, 40_000, PLACED_AT)
    with pytest.raises(DomainError, match="SETTLEMENT_NOT_PAID"):
        c.close(CloseReason.SETTLED, _sek(50_000), PLACED_AT)
    c.close(CloseReason.SETTLED, _sek(40_000), PLACED_AT)
    assert c.status is S.SETTLED and _types(c)[-1] == E.CUSTOMER_REHABILITATED


class Lifecycle(RuleBasedStateMachine):
    """Random moves on one account; after each, the books balance and the status agrees
    with the open items."""

    def __init__(self) -> None:
        super().__init__()
        self.c = _collection(status=S.ACKNOWLEDGED, balance=60_000)
        self.now = PLACED_AT
        self.adjusted = 0
        self.payments: dict[str, Payment] = {}

    def _try(self, move: object) -> None:
        before = copy.deepcopy(self.c)
        try:
            move()  # type: ignore[operator]
        except DomainError:
            assert self.c == before, "a refused move changed the account"
        for item in self.c.written.values():
            if isinstance(item, Payment):
                self.payments[item.id] = item

    @rule(days=st.integers(0, 20))
    def time_passes(self, days: int) -> None:
        self.now += dt.timedelta(days=days, hours=1)

    @rule(amount=st.integers(1, 70_000), pending=st.booleans())
    def pay(self, amount: int, pending: bool) -> None:
        self._try(lambda: _pay(self.c, amount, self.now, pending=pending))

    @rule(data=st.data(), succeeded=st.booleans())
    def settle(self, data: st.DataObject, succeeded: bool) -> None:
        pending = [p for p in self.payments.values() if p.status is PaymentStatus.PENDING]
        if pending:
            payment = data.draw(st.sampled_from(pending))
            self._try(lambda: self.c.settle_payment(payment, succeeded, self.now))

    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        done = [p for p in self.payments.values() if p.status is PaymentStatus.SUCCEEDED]
        if done:
            payment = data.draw(st.sampled_from(done))
            self._try(lambda: self.c.reverse_payment(payment, "chargeback", self.now))

    @rule(delta=st.integers(-70_000, 70_000))
    def adjust(self, delta: int) -> None:
        def move() -> None:
            self.c.adjust_balance(_sek(delta), "correction", self.now)
            self.adjusted += delta

        self._try(move)

    @rule(amount=st.integers(100, 40_000))
    def plan(self, amount: int) -> None:
        self._try(
            lambda: self.c.create_plan(
                cadence=Cadence.WEEKLY,
                start_date=self.now.date(),
                installment_amount=_sek(amount),
                installments=None,
                now=self.now,
            )
        )

    @rule()
    def contact(self) -> None:
        self._try(
            lambda: self.c.log_contact(
                channel=ContactChannel.SMS,
                direction=ContactDirection.OUTBOUND,
                outcome=ContactOutcome.DELIVERED,
                occurred_at=self.now,
                now=self.now,
                decision=_decision(True),
            )
        )

    @rule()
    def dispute(self) -> None:
        self._try(lambda: self.c.open_dispute(DisputeReason.OTHER, None, self.now))

    @precondition(lambda self: self.c.dispute is not None)
    @rule()
    def resolve(self) -> None:
        dispute = self.c.dispute
        assert dispute is not None
        self._try(lambda: self.c.resolve_dispute(dispute, DisputeOutcome.REJECTED, None, self.now))

    @rule(days=st.none() | st.integers(1, 30))
    def hold(self, days: int | None) -> None:
        until = self.now + dt.timedelta(days=days) if days else None
        self._try(lambda: self.c.place_on_hold(HoldReason.HARDSHIP, until, None, self.now))

    @precondition(lambda self: self.c.hold is not None)
    @rule()
    def release(self) -> None:
        hold = self.c.hold
        assert hold is not None
        self._try(lambda: self.c.release_hold(hold, self.now))

    @precondition(lambda self: self.c.plan is not None)
    @rule()
    def break_plan(self) -> None:
        plan = self.c.plan
        assert plan is not None
        self._try(lambda: self.c.break_plan(plan.id, self.now))

    @rule(reason=st.sampled_from(CloseReason))
    def close(self, reason: CloseReason) -> None:
        settlement = _sek(self.c.paid_minor) if reason is CloseReason.SETTLED else None
        self._try(lambda: self.c.close(reason, settlement, self.now))

    @rule()
    def recall(self) -> None:
        self._try(lambda: self.c.recall(None, self.now))

    @invariant()
    def the_books_balance(self) -> None:
        c, account = self.c, self.c.account
        succeeded = sum(
            p.amount.amount_minor
            for p in self.payments.values()
            if p.status is PaymentStatus.SUCCEEDED
        )
        pending = sum(
            p.amount.amount_minor
            for p in self.payments.values()
            if p.status is PaymentStatus.PENDING
        )
        assert (c.paid_minor, c.pending_minor) == (succeeded, pending)
        assert account.balance_minor == 60_000 + self.adjusted - succeeded
        assert 0 <= account.balance_minor <= account.original_amount_minor
        assert (account.balance_minor == 0) == (c.status is S.PAID)

    @invariant()
    def the_status_agrees_with_the_open_items(self) -> None:
        c = self.c
        if c.status.is_terminal:
            assert c.plan is None and c.hold is None
            return
        on_plan = c.status is S.PAYMENT_PLAN or c.account.resume_status is S.PAYMENT_PLAN
        assert (c.plan is not None) == on_plan
        assert (c.dispute is not None) == (c.status is S.DISPUTED)
        if c.status is S.ON_HOLD:
            assert c.hold is not None
        if c.hold is not None:
            assert c.status in (S.ON_HOLD, S.DISPUTED)


TestLifecycle = Lifecycle.TestCase
TestLifecycle.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
