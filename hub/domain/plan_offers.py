"""The plans a debtor may set up in the portal: what the collecting agency offers.

An agency sets its offer (``setPortalPlanOffers``) for all its accounts, or for one
creditor's; the offer for the account's creditor wins over the agency-wide one, and without
either the default of the account's country applies (``DEFAULT_OFFERS``). An offer names the
cadences allowed, the smallest installment (it binds accounts in its currency; others keep
the hub's floor of one major unit) and the longest plan, in installments and/or days from
the first due date to the last.

The defaults live here, not in the compliance packs: the packs carry the law of contact,
with a source for every rule, while these are commercial terms no statute sets. They are
conservative: every cadence, a minimum installment of about ten euros in the country's
currency, at most 24 monthly installments' worth of time (730 days) and 120 installments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from hub.domain.account import Account, AccountStatus
from hub.domain.errors import DomainError
from hub.domain.money import MINOR_UNITS, Money
from hub.domain.payment_plan import MAX_INSTALLMENTS, Cadence, Installment

#: The longest plan an offer may allow, in days from the first due date to the last.
MAX_DAYS = 3650
DEFAULT_MAX_DAYS = 730


@dataclass(frozen=True, slots=True)
class PlanOffers:
    """An agency's terms for self-service plans (``creditor_id`` None: all its creditors)."""

    cadences: frozenset[Cadence]
    minimum_installment: Money | None
    max_installments: int | None
    max_days: int | None
    agency_id: str | None = None
    creditor_id: str | None = None


def _default(currency: str, minimum_minor: int) -> PlanOffers:
    return PlanOffers(
        cadences=frozenset(Cadence),
        minimum_installment=Money(minimum_minor, currency),
        max_installments=MAX_INSTALLMENTS,
        max_days=DEFAULT_MAX_DAYS,
    )


#: The offer of an account's country when its agency set none (ISO 3166 alpha-2).
DEFAULT_OFFERS: dict[str, PlanOffers] = {
    "SE": _default("SEK", 100_00),
    "DE": _default("EUR", 10_00),
    "ES": _default("EUR", 10_00),
    "FR": _default("EUR", 10_00),
    "NL": _default("EUR", 10_00),
    "GB": _default("GBP", 10_00),
    "US": _default("USD", 10_00),
}
#: Any other country: every cadence, the hub's floor, the longest plan the hub allows.
FALLBACK_OFFERS = PlanOffers(
    cadences=frozenset(Cadence),
    minimum_installment=None,
    max_installments=MAX_INSTALLMENTS,
    max_days=DEFAULT_MAX_DAYS,
)

#: Account states in which the debtor may set up a plan themselves.
PLANNABLE = frozenset({AccountStatus.ACKNOWLEDGED, AccountStatus.IN_COLLECTION})


def default_for(country: str) -> PlanOffers:
    return DEFAULT_OFFERS.get(country.upper(), FALLBACK_OFFERS)


def check_offers(offers: PlanOffers) -> PlanOffers:
    """``offers`` if they make sense, else a refusal naming the field."""
    if not offers.cadences:
        raise DomainError.of("INVALID_PLAN_OFFERS", "offer at least one cadence", "cadences")
    minimum = offers.minimum_installment
    if minimum is not None and minimum.amount_minor <= 0:
        raise DomainError.of(
            "INVALID_PLAN_OFFERS", "the minimum installment is positive", "minimumInstallment"
        )
    if offers.max_installments is not None and not 1 <= offers.max_installments <= MAX_INSTALLMENTS:
        raise DomainError.of(
            "INVALID_PLAN_OFFERS",
            f"a plan has 1 to {MAX_INSTALLMENTS} installments",
            "maxInstallments",
        )
    if offers.max_days is not None and not 0 <= offers.max_days <= MAX_DAYS:
        raise DomainError.of("INVALID_PLAN_OFFERS", f"a plan lasts 0 to {MAX_DAYS} days", "maxDays")
    return offers


def effective(
    account: Account, agency_wide: PlanOffers | None, for_creditor: PlanOffers | None
) -> PlanOffers:
    """The offer that binds ``account``: its creditor's, else the agency's, else the default."""
    return for_creditor or agency_wide or default_for(account.country)


def check_plannable(account: Account) -> None:
    """Refuse a self-service plan for an account with a plan running or not in collection."""
    if account.status is AccountStatus.PAYMENT_PLAN:
        raise DomainError.of(
            "PLAN_ALREADY_RUNNING", "a payment plan is already running for this debt"
        )
    if account.status not in PLANNABLE:
        raise DomainError.of("ACCOUNT_NOT_OPEN", "a plan cannot be set up for this debt right now")


def check_cadence(offers: PlanOffers, cadence: Cadence) -> None:
    if cadence not in offers.cadences:
        raise DomainError.of("CADENCE_NOT_OFFERED", "this cadence is not offered", "cadence")


def check_installment(offers: PlanOffers, installment: Money, balance: Money) -> None:
    """Refuse an installment below the offer's minimum (a debt smaller than the minimum is
    paid in one installment of its whole balance)."""
    minimum = offers.minimum_installment
    if minimum is None or minimum.currency != installment.currency:
        return
    if installment.amount_minor < min(minimum.amount_minor, balance.amount_minor):
        raise DomainError.of(
            "BELOW_MINIMUM_INSTALLMENT",
            f"an installment is at least {minimum.amount_minor} minor units",
            "installmentAmount",
        )


def check_length(offers: PlanOffers, schedule: Sequence[Installment]) -> None:
    """Refuse a schedule with more installments, or lasting longer, than offered."""
    if offers.max_installments is not None and len(schedule) > offers.max_installments:
        raise DomainError.of(
            "PLAN_TOO_LONG",
            f"a plan has at most {offers.max_installments} installments",
            "installmentAmount",
        )
    if offers.max_days is not None and schedule:
        days = (schedule[-1].due_date - schedule[0].due_date).days
        if days > offers.max_days:
            raise DomainError.of(
                "PLAN_TOO_LONG", f"a plan lasts at most {offers.max_days} days", "installmentAmount"
            )


#: How far ahead the portal lets a debtor put the first due date.
FIRST_DATE_WINDOW_DAYS = 30


def first_date_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first due dates the portal offers: today up to ``FIRST_DATE_WINDOW_DAYS`` ahead."""
    return today, today + dt.timedelta(days=FIRST_DATE_WINDOW_DAYS)


def check_first_date(first: dt.date, today: dt.date) -> None:
    low, high = first_date_window(today)
    if not low <= first <= high:
        raise DomainError.of(
            "INVALID_START_DATE",
            f"the first payment is between today and {FIRST_DATE_WINDOW_DAYS} days ahead",
            "startDate",
        )


def parse_amount(text: str, currency: str) -> Money:
    """An amount as a debtor types it (``250``, ``250.50``, ``1 250,50``) in ``currency``'s
    minor units; ``INVALID_AMOUNT`` for anything else."""
    digits = MINOR_UNITS.get(currency, 2)
    cleaned = "".join(text.split()).replace("\u202f", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    whole, _, part = cleaned.partition(".")
    if (
        not whole.isdigit()
        or len(whole) > 12
        or (part and not part.isdigit())
        or len(part) > digits
    ):
        raise DomainError.of(
            "INVALID_AMOUNT", "enter an amount such as 250.00", "installmentAmount"
        )
    return Money(int(whole) * 10**digits + int(part.ljust(digits, "0") or 0), currency)
