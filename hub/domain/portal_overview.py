"""What the portal shows of one debt: who collects it, what is owed, what is due next, how
far a plan has come, the latest payments, and the one thing to do now.

The action is chosen by the account's state: a dispute or hold means waiting (nothing is
asked of the debtor meanwhile), a plan means paying its next installment, anything else
means paying the balance or agreeing a plan with the collector.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from hub.domain.account import Account, AccountStatus
from hub.domain.money import MINOR_UNITS, Money
from hub.domain.payment import Payment
from hub.domain.payment_plan import PaymentPlan
from hub.domain.vocabulary import PaymentStatus

#: How many payments the overview lists per debt, newest first.
LATEST_PAYMENTS = 3


class NextStep(StrEnum):
    PAY_INSTALLMENT = "PAY_INSTALLMENT"
    PAY_OR_AGREE_PLAN = "PAY_OR_AGREE_PLAN"
    WAIT_DISPUTE = "WAIT_DISPUTE"
    WAIT_HOLD = "WAIT_HOLD"


@dataclass(frozen=True, slots=True)
class Due:
    amount: Money
    date: dt.date


@dataclass(frozen=True, slots=True)
class PlanProgress:
    installments_paid: int
    installments: int
    paid: Money
    total: Money


@dataclass(frozen=True, slots=True)
class Debt:
    account_id: str
    reference: str
    collector: str
    balance: Money
    next_due: Due | None
    plan: PlanProgress | None
    latest_payments: tuple[Payment, ...]
    next_step: NextStep


def format_money(value: Money) -> str:
    """``1 250.00 SEK``: the amount in major units, thousands apart, then the currency."""
    digits = MINOR_UNITS.get(value.currency, 2)
    major = value.amount_minor / 10**digits
    return f"{major:,.{digits}f} {value.currency}".replace(",", "\u202f")


def _plan_paid(plan: PaymentPlan, payments: Sequence[Payment]) -> int:
    return sum(
        p.amount.amount_minor
        for p in payments
        if p.plan_id == plan.id and p.status is PaymentStatus.SUCCEEDED
    )


def _progress(plan: PaymentPlan, paid_minor: int) -> tuple[PlanProgress, Due | None]:
    covered, due_so_far, next_due = 0, 0, None
    for item in plan.installments:
        due_so_far += item.amount_minor
        if paid_minor >= due_so_far:
            covered += 1
        elif next_due is None:
            date = item.due_date + dt.timedelta(days=plan.paused_days)
            next_due = Due(Money(due_so_far - paid_minor, plan.currency), date)
    progress = PlanProgress(
        covered,
        len(plan.installments),
        Money(paid_minor, plan.currency),
        Money(plan.total_minor, plan.currency),
    )
    return progress, next_due


def debt_of(
    account: Account, collector: str, plans: Sequence[PaymentPlan], payments: Sequence[Payment]
) -> Debt:
    """The overview of one open account (``plans`` and ``payments`` are its own)."""
    running = next((p for p in plans if p.is_active), None)
    progress, next_due = (
        _progress(running, _plan_paid(running, payments)) if running else (None, None)
    )
    if running is None:
        next_due = Due(Money(account.balance_minor, account.currency), account.due_date)
    if account.status is AccountStatus.DISPUTED:
        step = NextStep.WAIT_DISPUTE
    elif account.status is AccountStatus.ON_HOLD:
        step = NextStep.WAIT_HOLD
    elif running is not None:
        step = NextStep.PAY_INSTALLMENT
    else:
        step = NextStep.PAY_OR_AGREE_PLAN
    latest = sorted(
        (p for p in payments if p.status is not PaymentStatus.FAILED),
        key=lambda p: p.received_at,
        reverse=True,
    )[:LATEST_PAYMENTS]
    return Debt(
        account_id=account.id,
        reference=account.reference,
        collector=collector,
        balance=Money(account.balance_minor, account.currency),
        next_due=next_due,
        plan=progress,
        latest_payments=tuple(latest),
        next_step=step,
    )
