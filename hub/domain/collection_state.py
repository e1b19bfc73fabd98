"""An account in collection, as the aggregate holds it: its state and open items, and the
steps its moves share (see ``hub.domain.collection_account`` for the moves themselves).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from hub.domain import events as E
from hub.domain.account import Account, AccountStatus, Action, transition
from hub.domain.compliance import Refusal
from hub.domain.contact_attempt import ContactAttempt
from hub.domain.dispute import Dispute
from hub.domain.errors import DomainError
from hub.domain.hold import Hold
from hub.domain.ids import new_id
from hub.domain.money import Money
from hub.domain.payment import Payment
from hub.domain.payment_plan import (
    PaymentPlan,
    PlanAction,
)
from hub.domain.rehabilitation import ContactFact, PaymentFact, Rehabilitation, summarize
from hub.domain.time import CLOCK_SKEW, MAX_REPORT_AGE_BEFORE_PLACEMENT
from hub.domain.vocabulary import (
    CloseReason,
    PaymentStatus,
)

#: Anything an account holds that a change may create or change.
Item = Payment | PaymentPlan | Dispute | Hold | ContactAttempt | Rehabilitation


class ItemKind(StrEnum):
    """The kinds of item an account holds, named by the prefix of their ids."""

    CONTACT = "cta"
    PLAN = "pln"
    PAYMENT = "pay"
    DISPUTE = "dsp"
    HOLD = "hld"
    REHABILITATION = "reh"

    @classmethod
    def of_id(cls, id_: str) -> ItemKind | None:
        """The kind of the item with this id, or None if no item has such an id."""
        try:
            return cls(id_.partition("_")[0])
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class History:
    """What a rehabilitation summary is made of: the account's succeeded payments and its
    contacts, as they were before the change at hand."""

    payments: Sequence[Payment] = ()
    contacts: Sequence[ContactAttempt] = ()


@dataclass
class CollectionState:
    """One account and its open items. Moves change it; ``events`` and ``written`` say what
    to save (``written`` keeps the latest version of each item, in first-write order).
    """

    account: Account
    #: The running plan (status ACTIVE), if any.
    plan: PaymentPlan | None = None
    #: Succeeded payments toward ``plan`` so far.
    paid_on_plan_minor: int = 0
    #: Payments in flight (PENDING): they hold their amount against the balance.
    pending_minor: int = 0
    #: Succeeded payments in all (what the customer has paid and kept paid).
    paid_minor: int = 0
    #: The open dispute, if any.
    dispute: Dispute | None = None
    #: The active hold, if any.
    hold: Hold | None = None
    #: What the rehabilitation summary needs; loaded when a change may close the account.
    history: History | None = None
    events: list[E.DomainEvent] = field(default_factory=list)
    written: dict[str, Item] = field(default_factory=dict)

    # --- questions a use case asks before it loads more ----------------------------------

    def needs_history(
        self, *, payment_minor: int | None = None, close: CloseReason | None = None
    ) -> bool:
        """Whether a payment of ``payment_minor`` (which clears the balance if it is all
        that is owed), or closing for ``close``, may rehabilitate the customer: the change
        then needs the ``history`` its summary is made of."""
        if self.dispute is not None:
            return False
        if payment_minor is not None:
            return payment_minor == self.account.balance_minor
        return close is not None and close.rehabilitates

    @property
    def status(self) -> AccountStatus:
        return self.account.status

    def _set(self, **changes: object) -> None:
        self.account = dataclasses.replace(self.account, **changes)  # type: ignore[arg-type]

    def _write(self, item: Item) -> None:
        self.written[item.id] = item

    def _require_open(self) -> None:
        if self.status.is_terminal:
            raise DomainError.of("ACCOUNT_CLOSED", f"the account is {self.status}", "accountId")

    def _refuse_if_payment_in_flight(
        self, message: str = "a payment on this account is still pending; settle or fail it first"
    ) -> None:
        """Recall, close and a new plan wait for pending payments to settle or fail."""
        if self.pending_minor > 0:
            raise DomainError.of("PAYMENT_IN_FLIGHT", message, "accountId")

    def _check_reported_time(self, value: dt.datetime, now: dt.datetime, name: str) -> None:
        if value > now + CLOCK_SKEW:
            raise DomainError.of("INVALID_TIME", f"{name} is in the future", name)
        if value < self.account.placed_at - MAX_REPORT_AGE_BEFORE_PLACEMENT:
            raise DomainError.of("INVALID_TIME", f"{name} is long before the placement", name)

    def _check_settlement(self, amount: Money | None) -> None:
        if amount is None:
            raise DomainError.of(
                "SETTLEMENT_AMOUNT_REQUIRED",
                "SETTLED needs the agreed settlementAmount",
                "settlementAmount",
            )
        if amount.currency != self.account.currency:
            raise currency_mismatch(self.account.currency, "settlementAmount", "currency")
        paid = self.paid_minor
        if amount.amount_minor <= 0 or amount.amount_minor != paid:
            raise DomainError.of(
                "SETTLEMENT_NOT_PAID",
                f"a settlement closes an account once the agreed amount is paid; {paid} is paid",
                "settlementAmount",
                "amountMinor",
            )

    def _pause_plan(self, now: dt.datetime) -> None:
        """A dispute or hold stops the plan clock (once, however many side states stack)."""
        if self.plan is not None and self.plan.paused_since is None:
            self.plan = self.plan.pause(now)
            self._write(self.plan)

    def _resume_plan(self, now: dt.datetime) -> None:
        if self.plan is not None and self.plan.paused_since is not None:
            self.plan = self.plan.resume(now)
            self._write(self.plan)

    def _plan_ended(self) -> None:
        """The plan completed or broke with money still owed: collection goes on without
        it, now or (from a side state) when the side state ends."""
        self.plan = None
        if self.status is AccountStatus.PAYMENT_PLAN:
            self._set(status=transition(self.status, Action.END_PLAN).status)
        elif self.account.resume_status is AccountStatus.PAYMENT_PLAN:
            self._set(resume_status=AccountStatus.IN_COLLECTION)

    def _end_hold(self, released: Hold) -> None:
        if self.hold is not None and self.hold.id == released.id:
            self.hold = None
        self._write(released)
        self.events.append(E.HoldChanged(E.HOLD_RELEASED, released))

    def _payment_succeeded(self, payment: Payment, now: dt.datetime) -> None:
        """Lower the balance; complete the plan and close the account when it is all paid."""
        amount = payment.amount.amount_minor
        balance = self.account.balance_minor - amount
        self._set(balance_minor=balance)
        self.paid_minor += amount
        self.events.append(E.PaymentChanged(E.PAYMENT_RECEIVED, payment))
        plan = self.plan
        if plan is not None and payment.plan_id == plan.id:
            self.paid_on_plan_minor += amount
            if self.paid_on_plan_minor >= plan.total_minor or balance == 0:
                completed = plan.end(PlanAction.COMPLETE, now)
                self._write(completed)
                self.events.append(E.PlanChanged(E.PAYMENT_PLAN_COMPLETED, completed))
                if balance:
                    self._plan_ended()
                else:
                    self.plan = None
        if balance == 0:
            self._close(CloseReason.PAID, now, None)

    def _wind_down(self, now: dt.datetime) -> None:
        """An account leaving collection cancels its plan and ends its hold, each an event."""
        if self.plan is not None:
            cancelled = self.plan.end(PlanAction.CANCEL, now)
            self.plan = None
            self._write(cancelled)
            self.events.append(E.PlanChanged(E.PAYMENT_PLAN_CANCELLED, cancelled))
        if self.hold is not None:
            self._end_hold(self.hold.release(now))

    def _close(
        self, reason: CloseReason, now: dt.datetime, settlement: Money | None
    ) -> Rehabilitation | None:
        """Move to the terminal state of ``reason``; rehabilitate the customer if they paid."""
        moved = transition(self.status, reason.action, self.account.resume_status)
        self._wind_down(now)
        self._set(status=moved.status, resume_status=None, closed_at=now)
        self.events.append(E.AccountClosed(reason, settlement))
        if reason.rehabilitates and self.dispute is None:
            return self._rehabilitate(reason, now)
        return None

    def _rehabilitate(self, reason: CloseReason, now: dt.datetime) -> Rehabilitation:
        if self.history is None:
            raise ValueError("closing a paid account needs its history (load it first)")
        # Payments that succeeded in this change are not in the history loaded before it.
        changed = {p.id: p for p in self.written.values() if isinstance(p, Payment)}
        payments = [p for p in self.history.payments if p.id not in changed]
        payments += [p for p in changed.values() if p.status is PaymentStatus.SUCCEEDED]
        account = self.account
        summary = summarize(
            placed_at=account.placed_at,
            closed_at=now,
            paid_in_full=reason is CloseReason.PAID,
            payments=[
                PaymentFact(p.amount.amount_minor, p.channel, p.received_at, p.plan_id is not None)
                for p in payments
            ],
            contacts=[
                ContactFact(c.channel, c.direction, c.outcome) for c in self.history.contacts
            ],
        )
        rehabilitation = Rehabilitation(
            id=new_id("reh"),
            account_id=account.id,
            customer_id=account.customer_id,
            creditor_id=account.creditor_id,
            agency_id=account.agency_id,
            currency=account.currency,
            summary=summary,
            rehabilitated_at=now,
        )
        self._write(rehabilitation)
        self.events.append(E.RehabilitationChanged(E.CUSTOMER_REHABILITATED, rehabilitation))
        return rehabilitation


def closed_refusal(status: AccountStatus) -> Refusal:
    """The hub's rule that a closed account's debtor is never contacted again."""
    message = f"no outbound contact once the account is {status}"
    return Refusal("HUB-CLOSED", message, "hub policy", convention=False)


def currency_mismatch(currency: str, *path: str) -> DomainError:
    return DomainError.of("CURRENCY_MISMATCH", f"the account is in {currency}", *path)
