"""The portal's one-time code as typed, and what the overview says of one debt."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.domain import portal_code
from hub.domain.account import Account, AccountStatus, Product
from hub.domain.money import Money
from hub.domain.payment import Payment
from hub.domain.payment_plan import Cadence, Installment, PaymentPlan, PlanStatus
from hub.domain.portal import logged_path
from hub.domain.portal_overview import Due, NextStep, debt_of, format_money
from hub.domain.vocabulary import PaymentChannel, PaymentMethod, PaymentStatus

T0 = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize("typed", ["042317", "042 317", " 042-317 ", "04.23.17", "042\u00a0317"])
def test_pasted_and_autofilled_codes_are_read_without_separators(typed: str) -> None:
    assert portal_code.typed_code(typed) == "042317"


@pytest.mark.parametrize("typed", ["", "04231", "0423170", "abcdef", "٠٤٢٣١٧", "0" * 100])
def test_anything_but_six_digits_is_no_code(typed: str) -> None:
    assert portal_code.typed_code(typed) is None


def test_new_codes_are_six_digits() -> None:
    codes = {portal_code.new_code() for _ in range(500)}
    assert all(len(c) == 6 and c.isdigit() for c in codes) and len(codes) > 400


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/p/abc", "/p/…"),
        ("/p/abc/verify", "/p/…/verify"),
        ("/graphql", "/graphql"),
        ("/portal/static/portal.css", "/portal/static/portal.css"),
    ],
)
def test_logs_show_portal_paths_without_their_token(path: str, logged: str) -> None:
    assert logged_path(path) == logged


def account(status: AccountStatus = AccountStatus.IN_COLLECTION, balance: int = 90_000) -> Account:
    return Account(
        id="acc_1",
        creditor_id="org_c",
        reference="INV-1",
        customer_id="cus_1",
        product=Product.BNPL_INVOICE,
        currency="SEK",
        original_amount_minor=120_000,
        balance_minor=balance,
        due_date=dt.date(2026, 9, 30),
        status=status,
        resume_status=None,
        agency_id="org_a",
        country="SE",
        metadata=None,
        placed_at=T0,
        updated_at=T0,
        version=1,
    )


def plan(paused_days: int = 0) -> PaymentPlan:
    return PaymentPlan(
        id="pln_1",
        account_id="acc_1",
        cadence=Cadence.MONTHLY,
        currency="SEK",
        total_minor=120_000,
        start_date=dt.date(2026, 12, 1),
        installments=tuple(
            Installment(dt.date(2026, 12 if m == 0 else 1, 1) + dt.timedelta(days=31 * m), 30_000)
            for m in range(4)
        ),
        status=PlanStatus.ACTIVE,
        created_at=T0,
        paused_days=paused_days,
    )


def payment(
    id_: str, amount: int, days: int, status: PaymentStatus, plan_id: str | None
) -> Payment:
    return Payment(
        id=id_,
        account_id="acc_1",
        amount=Money(amount, "SEK"),
        method=PaymentMethod.CARD,
        channel=PaymentChannel.PORTAL,
        status=status,
        plan_id=plan_id,
        received_at=T0 + dt.timedelta(days=days),
        recorded_at=T0 + dt.timedelta(days=days),
    )


def test_a_plan_shows_its_progress_and_the_rest_of_the_next_installment() -> None:
    running = plan(paused_days=3)
    payments = [
        payment("pay_1", 30_000, 1, PaymentStatus.SUCCEEDED, "pln_1"),
        payment("pay_2", 10_000, 2, PaymentStatus.SUCCEEDED, "pln_1"),
        payment("pay_3", 50_000, 3, PaymentStatus.FAILED, "pln_1"),
        payment("pay_4", 5_000, 4, PaymentStatus.REVERSED, "pln_1"),
        payment("pay_5", 7_000, 0, PaymentStatus.SUCCEEDED, None),
    ]
    debt = debt_of(account(AccountStatus.PAYMENT_PLAN, 80_000), "Agency", [running], payments)
    assert debt.plan is not None
    assert (debt.plan.installments_paid, debt.plan.installments) == (1, 4)
    assert debt.plan.paid == Money(40_000, "SEK")
    second_due = running.installments[1].due_date + dt.timedelta(days=3)
    assert debt.next_due == Due(Money(20_000, "SEK"), second_due)
    assert debt.next_step is NextStep.PAY_INSTALLMENT
    assert [p.id for p in debt.latest_payments] == ["pay_4", "pay_2", "pay_1"]


def test_without_a_plan_the_balance_is_due() -> None:
    debt = debt_of(account(), "Agency", [], [])
    assert debt.plan is None
    assert debt.next_due == Due(Money(90_000, "SEK"), dt.date(2026, 9, 30))
    assert debt.next_step is NextStep.PAY_OR_AGREE_PLAN


@pytest.mark.parametrize(
    ("status", "step"),
    [(AccountStatus.DISPUTED, NextStep.WAIT_DISPUTE), (AccountStatus.ON_HOLD, NextStep.WAIT_HOLD)],
)
def test_a_dispute_or_hold_asks_nothing_of_the_debtor(
    status: AccountStatus, step: NextStep
) -> None:
    assert debt_of(account(status), "Agency", [plan()], []).next_step is step


def test_amounts_read_in_major_units_with_the_currency() -> None:
    assert format_money(Money(125_000, "SEK")) == "1\u202f250.00 SEK"
    assert format_money(Money(5_000, "JPY")) == "5\u202f000 JPY"
    assert format_money(Money(1_234, "KWD")) == "1.234 KWD"
