"""Payment plans: the schedule the hub computes, and when a plan is broken.

A plan covers the account's whole balance when it starts. The agency gives either an
installment amount (the hub cuts the balance into installments on the cadence) or the
installments themselves (the hub checks them). Installments never fall below a floor of
one major currency unit, except a single installment covering a smaller balance.

A plan is BROKEN once an installment is missed by more than the grace period: the payments
made since the plan started fall short of what was due by then. Disputes and holds pause
the plan clock: every due date moves later by the days the account spent paused.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from hub.domain.errors import DomainError
from hub.domain.lifecycle import Lifecycle
from hub.domain.money import MINOR_UNITS

MAX_INSTALLMENTS = 120
#: How far ahead a plan may start.
MAX_START_DAYS = 90


class Cadence(StrEnum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    BIWEEKLY = "BIWEEKLY"
    MONTHLY = "MONTHLY"


class PlanStatus(StrEnum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    BROKEN = "BROKEN"
    CANCELLED = "CANCELLED"


class PlanAction(StrEnum):
    #: Every installment paid (or the balance cleared).
    COMPLETE = "COMPLETE"
    #: An installment missed past the grace period.
    BREAK = "BREAK"
    #: The account left collection with the plan running.
    CANCEL = "CANCEL"


_P = PlanStatus
PLAN_LIFECYCLE: Lifecycle[PlanStatus, PlanAction] = Lifecycle(
    moves={
        PlanAction.COMPLETE: (frozenset({_P.ACTIVE}), _P.COMPLETED),
        PlanAction.BREAK: (frozenset({_P.ACTIVE}), _P.BROKEN),
        PlanAction.CANCEL: (frozenset({_P.ACTIVE}), _P.CANCELLED),
    },
    refuse=lambda _action, _status: DomainError.of("PLAN_NOT_ACTIVE", "the plan changed meanwhile"),
)


@dataclass(frozen=True, slots=True)
class Installment:
    due_date: dt.date
    amount_minor: int


@dataclass(frozen=True, slots=True)
class PaymentPlan:
    """Installments agreed for the whole balance. While a dispute or hold pauses the plan,
    ``paused_since`` is set; when it resumes, every due date moves by the whole days paused
    (``paused_days``)."""

    id: str
    account_id: str
    cadence: Cadence
    currency: str
    total_minor: int
    start_date: dt.date
    installments: tuple[Installment, ...]
    status: PlanStatus
    created_at: dt.datetime
    paused_since: dt.datetime | None = None
    paused_days: int = 0
    ended_at: dt.datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status is PlanStatus.ACTIVE

    def pause(self, now: dt.datetime) -> PaymentPlan:
        """Stop the plan clock (once, however many side states stack up)."""
        if self.paused_since is not None:
            return self
        return dataclasses.replace(self, paused_since=now)

    def resume(self, now: dt.datetime) -> PaymentPlan:
        """Restart the plan clock: due dates move by the whole days spent paused."""
        if self.paused_since is None:
            return self
        paused = (now.date() - self.paused_since.date()).days
        return dataclasses.replace(self, paused_since=None, paused_days=self.paused_days + paused)

    def end(self, action: PlanAction, now: dt.datetime) -> PaymentPlan:
        """The plan completed, broken or cancelled at ``now``."""
        status = PLAN_LIFECYCLE.apply(self.status, action)
        return dataclasses.replace(self, status=status, ended_at=now)

    def broken_by(self, paid_minor: int, *, today: dt.date, grace_days: int) -> bool:
        """True when the running plan counts as broken today (see ``is_broken``); a paused
        plan never breaks."""
        return (
            self.is_active
            and self.paused_since is None
            and is_broken(
                self.installments,
                paid_minor,
                today=today,
                grace_days=grace_days,
                paused_days=self.paused_days,
            )
        )


def floor_minor(currency: str) -> int:
    """The smallest installment: one major unit of the currency (1 EUR, 1 JPY, 1 KWD)."""
    return int(10 ** MINOR_UNITS.get(currency, 2))


def due_dates(start: dt.date, cadence: Cadence, count: int) -> list[dt.date]:
    """``count`` due dates from ``start`` on ``cadence``; monthly keeps the start's day,
    clamped to shorter months (31 Jan → 28/29 Feb → 31 Mar)."""
    if cadence is Cadence.MONTHLY:
        dates = []
        for i in range(count):
            month_index = start.month - 1 + i
            year, month = start.year + month_index // 12, month_index % 12 + 1
            day = min(start.day, calendar.monthrange(year, month)[1])
            dates.append(dt.date(year, month, day))
        return dates
    step = {Cadence.DAILY: 1, Cadence.WEEKLY: 7, Cadence.BIWEEKLY: 14}[cadence]
    return [start + dt.timedelta(days=step * i) for i in range(count)]


def build_schedule(
    balance_minor: int,
    currency: str,
    *,
    cadence: Cadence,
    start: dt.date,
    today: dt.date,
    installment_minor: int | None,
    installments: Sequence[Installment] | None,
) -> list[Installment]:
    """The plan's installments, summing to ``balance_minor``, or a refusal with a code."""
    if (installment_minor is None) == (installments is None):
        raise DomainError.of(
            "PLAN_TERMS_REQUIRED", "give either installmentAmount or installments, not both"
        )
    if start < today or start > today + dt.timedelta(days=MAX_START_DAYS):
        raise DomainError.of(
            "INVALID_START_DATE",
            f"a plan starts between today and {MAX_START_DAYS} days ahead",
            "startDate",
        )
    floor = min(floor_minor(currency), balance_minor)
    if installment_minor is not None:
        return _cut(balance_minor, installment_minor, floor, start, cadence)
    assert installments is not None
    return _checked(balance_minor, list(installments), floor, start)


def _cut(
    balance: int, amount: int, floor: int, start: dt.date, cadence: Cadence
) -> list[Installment]:
    if amount < floor:
        raise DomainError.of(
            "INSTALLMENT_BELOW_FLOOR",
            f"an installment is at least {floor} minor units",
            "installmentAmount",
            "amountMinor",
        )
    amount = min(amount, balance)
    count, rest = divmod(balance, amount)
    amounts = [amount] * count
    if rest:
        # A remainder below the floor joins the last installment instead of standing alone.
        if rest < floor:
            amounts[-1] += rest
        else:
            amounts.append(rest)
    if len(amounts) > MAX_INSTALLMENTS:
        raise DomainError.of(
            "TOO_MANY_INSTALLMENTS",
            f"a plan has at most {MAX_INSTALLMENTS} installments; raise the amount",
            "installmentAmount",
        )
    dates = due_dates(start, cadence, len(amounts))
    return [Installment(d, a) for d, a in zip(dates, amounts, strict=True)]


def _checked(
    balance: int, installments: list[Installment], floor: int, start: dt.date
) -> list[Installment]:
    if not 1 <= len(installments) <= MAX_INSTALLMENTS:
        raise DomainError.of(
            "TOO_MANY_INSTALLMENTS",
            f"a plan has 1 to {MAX_INSTALLMENTS} installments",
            "installments",
        )
    previous: dt.date | None = None
    for i, item in enumerate(installments):
        if item.amount_minor < floor:
            raise DomainError.of(
                "INSTALLMENT_BELOW_FLOOR",
                f"an installment is at least {floor} minor units",
                "installments",
                str(i),
                "amount",
            )
        if item.due_date < start or (previous is not None and item.due_date <= previous):
            raise DomainError.of(
                "INVALID_DUE_DATE",
                "due dates are on or after startDate and strictly increasing",
                "installments",
                str(i),
                "dueDate",
            )
        previous = item.due_date
    total = sum(item.amount_minor for item in installments)
    if total != balance:
        raise DomainError.of(
            "PLAN_TOTAL_MISMATCH",
            f"installments sum to {total} but the balance is {balance}",
            "installments",
        )
    return installments


def first_missed(
    installments: Sequence[Installment], paid_minor: int, paused_days: int
) -> Installment | None:
    """The earliest installment not covered by ``paid_minor`` paid since the plan started."""
    due = 0
    for item in installments:
        due += item.amount_minor
        if paid_minor < due:
            return Installment(item.due_date + dt.timedelta(days=paused_days), item.amount_minor)
    return None


def is_broken(
    installments: Sequence[Installment],
    paid_minor: int,
    *,
    today: dt.date,
    grace_days: int,
    paused_days: int,
) -> bool:
    """True once an installment is unpaid more than ``grace_days`` past its (shifted) date."""
    missed = first_missed(installments, paid_minor, paused_days)
    return missed is not None and today > missed.due_date + dt.timedelta(days=grace_days)
