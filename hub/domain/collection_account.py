"""An account in collection: the aggregate that every agency and creditor move goes through.

``CollectionAccount`` holds an account and what is open on it: its running plan, the
payments in flight, an open dispute, an active hold. Each method checks one move against
the rules (the account's state machine, the lifecycles of payments, plans, disputes and
holds, the rules on money), changes the account and the things it holds, and records what
happened as typed domain events, in the order it happened. Nothing here reads or writes
storage: ``hub.store`` loads the aggregate and saves what changed (``account``, ``written``
and ``events``) at once, checked against the version it loaded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hub.domain import events as E
from hub.domain.account import AccountStatus, Action, check_adjusted_balance, transition
from hub.domain.collection_state import (
    CollectionState,
    closed_refusal,
    currency_mismatch,
)
from hub.domain.compliance import Decision
from hub.domain.contact_attempt import ContactAttempt, RulePackRef
from hub.domain.contact_hours import ContactHours
from hub.domain.dispute import Dispute, DisputeStatus
from hub.domain.errors import DomainError
from hub.domain.hold import Hold, HoldStatus
from hub.domain.ids import new_id
from hub.domain.money import Money
from hub.domain.payment import Payment, check_payment
from hub.domain.payment_plan import (
    Cadence,
    Installment,
    PaymentPlan,
    PlanAction,
    PlanStatus,
    build_schedule,
)
from hub.domain.rehabilitation import Rehabilitation
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


class CollectionAccount(CollectionState):
    """One account and its open items, with every move the agency and the creditor make on
    it; each either changes the account (recording its events) or refuses with a code and
    leaves it as it was."""

    def acknowledge(self, agency_reference: str | None, now: dt.datetime) -> None:
        """The agency takes the account on (PLACED → ACKNOWLEDGED) under its own reference."""
        moved = transition(self.status, Action.ACKNOWLEDGE)
        self._set(status=moved.status, agency_reference=agency_reference, acknowledged_at=now)
        self.events.append(E.AccountAcknowledged(agency_reference))

    def check_contact(
        self, direction: ContactDirection, occurred_at: dt.datetime, now: dt.datetime
    ) -> bool:
        """The checks on a contact that come before the compliance rules; True when the
        rules in force at ``occurred_at`` must decide (an outbound contact)."""
        self._check_reported_time(occurred_at, now, "occurredAt")
        if direction is not ContactDirection.OUTBOUND:
            return False
        if self.status.is_terminal:
            refusal = closed_refusal(self.status)
            raise DomainError.of(
                "CONTACT_NOT_PERMITTED", f"{refusal.rule_id}: {refusal.message}", "direction"
            )
        if self.status is AccountStatus.PLACED:
            raise DomainError.of(
                "NOT_ACKNOWLEDGED", "acknowledge the placement before contacting", "accountId"
            )
        return True

    def log_contact(
        self,
        *,
        channel: ContactChannel,
        direction: ContactDirection,
        outcome: ContactOutcome,
        occurred_at: dt.datetime,
        now: dt.datetime,
        decision: Decision | None,
    ) -> ContactAttempt:
        """Record a contact. An outbound one needs the compliance ``decision`` for its moment
        (refused with ``CONTACT_NOT_PERMITTED`` per refusing rule; the pack that allowed it
        is kept). The first contact starts collection (ACKNOWLEDGED → IN_COLLECTION)."""
        if self.check_contact(direction, occurred_at, now):
            if decision is None:
                raise ValueError("an outbound contact needs the compliance decision")
            if not decision.allowed:
                raise DomainError(decision.refusal_problems())
        pack = decision.pack if decision is not None else None
        contact = ContactAttempt(
            id=new_id("cta"),
            account_id=self.account.id,
            channel=channel,
            direction=direction,
            outcome=outcome,
            occurred_at=occurred_at,
            recorded_at=now,
            rule_pack=RulePackRef(pack.jurisdiction, pack.version) if pack is not None else None,
        )
        self._write(contact)
        if self.status is AccountStatus.ACKNOWLEDGED:
            self._set(status=transition(self.status, Action.START_COLLECTION).status)
        self.events.append(E.ContactAttempted(contact))
        return contact

    def create_plan(
        self,
        *,
        cadence: Cadence,
        start_date: dt.date,
        installment_amount: Money | None,
        installments: Sequence[tuple[dt.date, Money]] | None,
        now: dt.datetime,
    ) -> PaymentPlan:
        """Agree a plan for the whole balance; the schedule is cut (``installment_amount``)
        or checked (``installments``) by ``build_schedule``."""
        currency = self.account.currency
        if installment_amount is not None and installment_amount.currency != currency:
            raise currency_mismatch(currency, "installmentAmount", "currency")
        for i, (_, amount) in enumerate(installments or ()):
            if amount.currency != currency:
                raise currency_mismatch(currency, "installments", str(i), "amount", "currency")
        moved = transition(self.status, Action.START_PLAN)
        self._refuse_if_payment_in_flight("settle pending payments before agreeing a plan")
        schedule = build_schedule(
            self.account.balance_minor,
            currency,
            cadence=cadence,
            start=start_date,
            today=now.date(),
            installment_minor=installment_amount.amount_minor if installment_amount else None,
            installments=[Installment(d, m.amount_minor) for d, m in installments]
            if installments is not None
            else None,
        )
        plan = PaymentPlan(
            id=new_id("pln"),
            account_id=self.account.id,
            cadence=cadence,
            currency=currency,
            total_minor=self.account.balance_minor,
            start_date=start_date,
            installments=tuple(schedule),
            status=PlanStatus.ACTIVE,
            created_at=now,
        )
        self.plan, self.paid_on_plan_minor = plan, 0
        self._write(plan)
        self._set(status=moved.status)
        self.events.append(E.PlanChanged(E.PAYMENT_PLAN_CREATED, plan))
        return plan

    def record_payment(
        self,
        *,
        amount: Money,
        method: PaymentMethod,
        channel: PaymentChannel,
        received_at: dt.datetime,
        pending: bool,
        now: dt.datetime,
    ) -> Payment:
        """A payment: a pending one holds its amount until settled; a received one lowers the
        balance at once, and one that clears it closes the account PAID. Overpayment is
        refused, counting the payments in flight."""
        self._require_open()
        self._check_reported_time(received_at, now, "receivedAt")
        check_payment(amount, self.account.currency, self.account.balance_minor, self.pending_minor)
        payment = Payment(
            id=new_id("pay"),
            account_id=self.account.id,
            amount=amount,
            method=method,
            channel=channel,
            status=PaymentStatus.PENDING if pending else PaymentStatus.SUCCEEDED,
            plan_id=self.plan.id if self.plan is not None else None,
            received_at=received_at,
            recorded_at=now,
            settled_at=None if pending else now,
        )
        self._write(payment)
        if pending:
            self.pending_minor += amount.amount_minor
            self.events.append(E.PaymentChanged(E.PAYMENT_PENDING, payment))
        else:
            self._payment_succeeded(payment, now)
        return payment

    def settle_payment(self, payment: Payment, succeeded: bool, now: dt.datetime) -> Payment:
        """End a pending payment: it succeeded (the balance drops) or failed (nothing moves)."""
        settled = payment.settle(succeeded, now)
        self.pending_minor -= payment.amount.amount_minor
        self._write(settled)
        if succeeded:
            self._payment_succeeded(settled, now)
        else:
            self.events.append(E.PaymentChanged(E.PAYMENT_FAILED, settled))
        return settled

    def reverse_payment(self, payment: Payment, reason: str, now: dt.datetime) -> Payment:
        """Undo a received payment (chargeback, bounced transfer): the balance goes back up.
        A closed account's balance is final (``ACCOUNT_CLOSED``)."""
        self._require_open()
        reversed_ = payment.reverse(reason, now)
        self._write(reversed_)
        self.paid_minor -= payment.amount.amount_minor
        if self.plan is not None and payment.plan_id == self.plan.id:
            self.paid_on_plan_minor -= payment.amount.amount_minor
        self._set(balance_minor=self.account.balance_minor + payment.amount.amount_minor)
        self.events.append(E.PaymentChanged(E.PAYMENT_REVERSED, reversed_))
        return reversed_

    def open_dispute(self, reason: DisputeReason, details: str | None, now: dt.datetime) -> Dispute:
        """The customer disputes the debt: outbound contact stops and the plan clock pauses."""
        moved = transition(self.status, Action.OPEN_DISPUTE, self.account.resume_status)
        dispute = Dispute(
            id=new_id("dsp"),
            account_id=self.account.id,
            reason=reason,
            details=details,
            status=DisputeStatus.OPEN,
            opened_at=now,
        )
        self.dispute = dispute
        self._write(dispute)
        self._pause_plan(now)
        self._set(status=moved.status, resume_status=moved.resume_status)
        self.events.append(E.DisputeChanged(E.DISPUTE_OPENED, dispute))
        return dispute

    def resolve_dispute(
        self, dispute: Dispute, outcome: DisputeOutcome, notes: str | None, now: dt.datetime
    ) -> Dispute:
        """End the dispute; the account returns to what it was doing (or to its hold)."""
        resolved = dispute.resolve(outcome, notes, now)
        self._write(resolved)
        if self.dispute is not None and self.dispute.id == dispute.id:
            self.dispute = None
        if self.status is AccountStatus.DISPUTED:
            if self.hold is not None:
                self._set(status=AccountStatus.ON_HOLD)
            else:
                moved = transition(self.status, Action.RESOLVE_DISPUTE, self.account.resume_status)
                self._set(status=moved.status, resume_status=None)
                self._resume_plan(now)
        self.events.append(E.DisputeChanged(E.DISPUTE_RESOLVED, resolved))
        return resolved

    def place_on_hold(
        self, reason: HoldReason, until: dt.datetime | None, notes: str | None, now: dt.datetime
    ) -> Hold:
        """Pause collection until released or until ``until`` passes: no outbound contact,
        the plan clock stopped."""
        if until is not None and until <= now:
            raise DomainError.of("INVALID_TIME", "until is in the past", "until")
        moved = transition(self.status, Action.PLACE_HOLD, self.account.resume_status)
        hold = Hold(
            id=new_id("hld"),
            account_id=self.account.id,
            reason=reason,
            notes=notes,
            until=until,
            status=HoldStatus.ACTIVE,
            placed_at=now,
        )
        self.hold = hold
        self._write(hold)
        self._pause_plan(now)
        self._set(status=moved.status, resume_status=moved.resume_status)
        self.events.append(E.HoldChanged(E.HOLD_PLACED, hold))
        return hold

    def release_hold(self, hold: Hold, now: dt.datetime) -> Hold:
        """End a hold (released, or its ``until`` passed); the account resumes, or stays
        DISPUTED if a dispute opened meanwhile."""
        released = hold.release(now)
        if self.status is AccountStatus.ON_HOLD:
            moved = transition(self.status, Action.RELEASE_HOLD, self.account.resume_status)
            self._set(status=moved.status, resume_status=None)
            self._resume_plan(now)
        self._end_hold(released)
        return released

    def close(
        self, reason: CloseReason, settlement: Money | None, now: dt.datetime
    ) -> Rehabilitation | None:
        """Close: PAID (balance zero), SETTLED (the agreed ``settlement`` is paid, the rest
        forgiven), UNCOLLECTABLE or RETURNED. Refused while a payment is in flight. PAID and
        SETTLED without an open dispute rehabilitate the customer (returned)."""
        self._require_open()
        self._refuse_if_payment_in_flight()
        if reason is CloseReason.PAID and self.account.balance_minor != 0:
            raise DomainError.of(
                "BALANCE_NOT_ZERO", "record the payments first; the balance is not zero", "reason"
            )
        if reason is CloseReason.SETTLED:
            self._check_settlement(settlement)
        elif settlement is not None:
            raise DomainError.of(
                "SETTLEMENT_NOT_EXPECTED",
                "only SETTLED takes a settlementAmount",
                "settlementAmount",
            )
        return self._close(reason, now, settlement)

    def break_plan(self, plan_id: str, now: dt.datetime) -> PaymentPlan:
        """The hub breaks a plan whose installment was missed past the grace period."""
        plan = self.plan
        if plan is None or plan.id != plan_id or plan.paused_since is not None:
            raise DomainError.of("PLAN_NOT_ACTIVE", "the plan changed meanwhile")
        broken = plan.end(PlanAction.BREAK, now)
        self._write(broken)
        self._plan_ended()
        self.events.append(E.PlanChanged(E.PAYMENT_PLAN_BROKEN, broken))
        return broken

    def recall(self, reason: str | None, now: dt.datetime) -> None:
        """The creditor takes the account back (RECALLED); a running plan is cancelled and a
        hold ended. Waits until no payment is in flight."""
        moved = transition(self.status, Action.RECALL, self.account.resume_status)
        self._refuse_if_payment_in_flight()
        self._wind_down(now)
        self._set(status=moved.status, resume_status=None, closed_at=now)
        self.events.append(E.AccountRecalled(reason))

    def adjust_balance(self, amount: Money, reason: str, now: dt.datetime) -> None:
        """Correct the balance by ``amount`` (signed minor units), with a reason on record."""
        account = self.account
        if self.status.is_terminal:
            raise DomainError.of(
                "ACCOUNT_CLOSED", f"the account is {self.status}; its balance is final"
            )
        if amount.currency != account.currency:
            raise currency_mismatch(account.currency, "amount", "currency")
        new_balance = check_adjusted_balance(
            account.balance_minor,
            amount.amount_minor,
            account.original_amount_minor,
            self.paid_minor,
            self.pending_minor,
        )
        self._set(balance_minor=new_balance)
        previous = Money(account.balance_minor, account.currency)
        self.events.append(E.BalanceAdjusted(amount, previous, reason))

    def record_customer_return(
        self,
        rehabilitation: Rehabilitation,
        returned_at: dt.datetime,
        order_reference: str,
        now: dt.datetime,
    ) -> Rehabilitation:
        """A rehabilitated customer bought again: closes the loop (``customer.returned``)."""
        returned = rehabilitation.returned(returned_at, order_reference, now)
        self._write(returned)
        self.events.append(E.RehabilitationChanged(E.CUSTOMER_RETURNED, returned))
        return returned

    def note_consent(
        self,
        customer_id: str,
        channel: ContactChannel | None,
        granted: bool | None,
        opted_out: tuple[ContactChannel, ...],
        contact_hours: ContactHours | None = None,
    ) -> None:
        """The customer's consent or contact hours changed: both sides hear of it on each
        open account."""
        self.events.append(
            E.ConsentChanged(customer_id, channel, granted, opted_out, contact_hours)
        )
