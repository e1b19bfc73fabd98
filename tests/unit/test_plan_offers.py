"""The portal plan offer rules on their own: which offer binds, what each check refuses."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from hub.domain.account import AccountStatus
from hub.domain.errors import DomainError
from hub.domain.money import Money
from hub.domain.payment_plan import MAX_INSTALLMENTS, Cadence, Installment, build_schedule
from hub.domain.plan_offers import (
    DEFAULT_OFFERS,
    FALLBACK_OFFERS,
    FIRST_DATE_WINDOW_DAYS,
    PlanOffers,
    check_cadence,
    check_first_date,
    check_installment,
    check_length,
    check_offers,
    check_plannable,
    default_for,
    effective,
    parse_amount,
)
from tests.unit.test_portal_code_and_overview import account

TODAY = dt.date(2026, 3, 10)
WEEKLY_ONLY = PlanOffers(
    cadences=frozenset({Cadence.WEEKLY}),
    minimum_installment=Money(200_00, "SEK"),
    max_installments=4,
    max_days=30,
)


def code_of(check: object, *args: object) -> str:
    with pytest.raises(DomainError) as refused:
        check(*args)  # type: ignore[operator]
    return refused.value.code


def test_the_creditors_offer_binds_over_the_agencys_over_the_countrys() -> None:
    debt = account()
    agency_wide = dataclasses.replace(WEEKLY_ONLY, max_days=90)
    assert effective(debt, agency_wide, WEEKLY_ONLY) is WEEKLY_ONLY
    assert effective(debt, agency_wide, None) is agency_wide
    assert effective(debt, None, None) is DEFAULT_OFFERS["SE"]
    assert default_for("se").minimum_installment == Money(100_00, "SEK")
    assert default_for("JP") is FALLBACK_OFFERS and FALLBACK_OFFERS.minimum_installment is None
    for offers in DEFAULT_OFFERS.values():
        assert offers.cadences == frozenset(Cadence) and check_offers(offers) is offers


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cadences": frozenset()}, "cadences"),
        ({"minimum_installment": Money(0, "SEK")}, "minimumInstallment"),
        ({"max_installments": 0}, "maxInstallments"),
        ({"max_installments": MAX_INSTALLMENTS + 1}, "maxInstallments"),
        ({"max_days": -1}, "maxDays"),
    ],
)
def test_offers_that_make_no_sense_are_refused(change: dict[str, object], field: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_offers(dataclasses.replace(WEEKLY_ONLY, **change))  # type: ignore[arg-type]
    assert refused.value.code == "INVALID_PLAN_OFFERS"
    assert refused.value.problems[0].field == (field,)


def test_only_a_debt_in_collection_without_a_plan_may_get_one() -> None:
    check_plannable(account(AccountStatus.IN_COLLECTION))
    check_plannable(account(AccountStatus.ACKNOWLEDGED))
    assert code_of(check_plannable, account(AccountStatus.PAYMENT_PLAN)) == "PLAN_ALREADY_RUNNING"
    for status in (AccountStatus.PLACED, AccountStatus.DISPUTED, AccountStatus.ON_HOLD):
        assert code_of(check_plannable, account(status)) == "ACCOUNT_NOT_OPEN"


def test_a_cadence_not_offered_is_refused() -> None:
    check_cadence(WEEKLY_ONLY, Cadence.WEEKLY)
    assert code_of(check_cadence, WEEKLY_ONLY, Cadence.MONTHLY) == "CADENCE_NOT_OFFERED"


def test_the_minimum_installment_binds_its_currency_and_yields_to_a_small_balance() -> None:
    check_installment(WEEKLY_ONLY, Money(200_00, "SEK"), Money(1000_00, "SEK"))
    assert (
        code_of(check_installment, WEEKLY_ONLY, Money(199_99, "SEK"), Money(1000_00, "SEK"))
        == "BELOW_MINIMUM_INSTALLMENT"
    )
    check_installment(WEEKLY_ONLY, Money(150_00, "SEK"), Money(150_00, "SEK"))  # all of it
    check_installment(WEEKLY_ONLY, Money(10_00, "EUR"), Money(1000_00, "EUR"))  # other currency


def _weekly(balance: int, amount: int) -> list[Installment]:
    return build_schedule(
        balance,
        "SEK",
        cadence=Cadence.WEEKLY,
        start=TODAY,
        today=TODAY,
        installment_minor=amount,
        installments=None,
    )


def test_a_plan_longer_than_offered_is_refused_by_count_and_by_days() -> None:
    check_length(WEEKLY_ONLY, _weekly(800_00, 200_00))  # 4 installments over 21 days
    assert code_of(check_length, WEEKLY_ONLY, _weekly(1000_00, 200_00)) == "PLAN_TOO_LONG"
    by_days = dataclasses.replace(WEEKLY_ONLY, max_installments=None, max_days=20)
    assert code_of(check_length, by_days, _weekly(800_00, 200_00)) == "PLAN_TOO_LONG"
    unlimited = dataclasses.replace(WEEKLY_ONLY, max_installments=None, max_days=None)
    check_length(unlimited, _weekly(10_000_00, 100_00))


def test_the_first_date_is_within_the_window() -> None:
    check_first_date(TODAY, TODAY)
    check_first_date(TODAY + dt.timedelta(days=FIRST_DATE_WINDOW_DAYS), TODAY)
    for day in (TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(FIRST_DATE_WINDOW_DAYS + 1)):
        assert code_of(check_first_date, day, TODAY) == "INVALID_START_DATE"


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [
        ("250", "SEK", 250_00),
        ("250.5", "SEK", 250_50),
        ("1 250,50", "SEK", 1250_50),
        ("1\u202f250.00", "SEK", 1250_00),
        ("300", "JPY", 300),
        ("1.250", "KWD", 1250),
    ],
)
def test_amounts_are_read_as_debtors_type_them(typed: str, currency: str, minor: int) -> None:
    assert parse_amount(typed, currency) == Money(minor, currency)


@pytest.mark.parametrize("typed", ["", "lots", "-5", "1.234", "1,2,3", "12.5.1", "1e3"])
def test_anything_else_is_not_an_amount(typed: str) -> None:
    assert code_of(parse_amount, typed, "SEK") == "INVALID_AMOUNT"
