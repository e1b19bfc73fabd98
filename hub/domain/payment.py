"""A payment on an account: what it is, its lifecycle, and the rule against overpaying.

PENDING payments are in flight (a direct debit not yet settled): they hold their amount
against the balance but do not move it; SUCCEEDED ones moved it; a REVERSED one moved it
back; FAILED ones never moved it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from hub.domain.errors import DomainError
from hub.domain.lifecycle import Lifecycle
from hub.domain.money import Money
from hub.domain.vocabulary import PaymentChannel, PaymentMethod, PaymentStatus


class PaymentAction(StrEnum):
    SUCCEED = "SUCCEED"
    FAIL = "FAIL"
    REVERSE = "REVERSE"


def _refuse(action: PaymentAction, status: PaymentStatus) -> DomainError:
    if action is PaymentAction.REVERSE:
        return DomainError.of(
            "PAYMENT_NOT_REVERSIBLE",
            f"only a succeeded payment can be reversed; this one is {status}",
            "paymentId",
        )
    return DomainError.of("PAYMENT_NOT_PENDING", f"the payment is {status}", "paymentId")


_S = PaymentStatus
PAYMENT_LIFECYCLE: Lifecycle[PaymentStatus, PaymentAction] = Lifecycle(
    moves={
        PaymentAction.SUCCEED: (frozenset({_S.PENDING}), _S.SUCCEEDED),
        PaymentAction.FAIL: (frozenset({_S.PENDING}), _S.FAILED),
        PaymentAction.REVERSE: (frozenset({_S.SUCCEEDED}), _S.REVERSED),
    },
    refuse=_refuse,
)


@dataclass(frozen=True, slots=True)
class Payment:
    """Money received for an account (or in flight toward it)."""

    id: str
    account_id: str
    amount: Money
    method: PaymentMethod
    channel: PaymentChannel
    status: PaymentStatus
    #: The plan the payment counts toward, if one was running when it was recorded.
    plan_id: str | None
    received_at: dt.datetime
    recorded_at: dt.datetime
    settled_at: dt.datetime | None = None
    reversed_at: dt.datetime | None = None
    reversal_reason: str | None = None

    def settle(self, succeeded: bool, now: dt.datetime) -> Payment:
        """The pending payment, settled: SUCCEEDED (it moves the balance) or FAILED."""
        action = PaymentAction.SUCCEED if succeeded else PaymentAction.FAIL
        status = PAYMENT_LIFECYCLE.apply(self.status, action)
        return dataclasses.replace(self, status=status, settled_at=now)

    def reverse(self, reason: str, now: dt.datetime) -> Payment:
        """The succeeded payment, reversed (chargeback, bounced transfer)."""
        status = PAYMENT_LIFECYCLE.apply(self.status, PaymentAction.REVERSE)
        return dataclasses.replace(self, status=status, reversed_at=now, reversal_reason=reason)


def check_payment(amount: Money, currency: str, balance: int, in_flight: int) -> None:
    """A payment of ``amount`` on an account owing ``balance`` with ``in_flight`` pending.

    Payments are positive, in the account's currency, and never exceed what is still owed
    once the payments in flight are counted: the hub refuses overpayment.
    """
    if amount.currency != currency:
        raise DomainError.of(
            "CURRENCY_MISMATCH", f"the account is in {currency}", "amount", "currency"
        )
    if amount.amount_minor <= 0:
        raise DomainError.of("INVALID_AMOUNT", "a payment is a positive amount", "amount")
    owed = balance - in_flight
    if amount.amount_minor > owed:
        raise DomainError.of(
            "OVERPAYMENT",
            f"the payment exceeds what is owed ({owed} minor units"
            + (f" after {in_flight} in flight)" if in_flight else ")"),
            "amount",
            "amountMinor",
        )
