"""agencyPerformance on a hand-built scenario: every figure checked against hand counts."""

from __future__ import annotations

import datetime as dt

from hub.auth.scopes import OrganizationKind
from hub.domain.money import Money
from hub.domain.payment_plan import Cadence
from hub.domain.vocabulary import (
    ContactChannel,
    ContactDirection,
    ContactOutcome,
    DisputeReason,
    PaymentChannel,
    PaymentMethod,
)
from hub.services import accounts as account_service
from hub.services import contacts as contacts_service
from hub.services import disputes as disputes_service
from hub.services import maintenance as maintenance_service
from hub.services import payments as payments_service
from hub.services import plans as plans_service
from hub.services import rehabilitation as rehabilitation_service
from hub.services.performance import agency_performance, portfolio_status
from tests.conftest import Backend
from tests.scenario import Scenario

AGENCY = OrganizationKind.AGENCY


async def test_agency_performance_matches_a_hand_built_scenario(backend: Backend) -> None:
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=60)).replace(microsecond=0)
    s = Scenario(backend.services, start)
    creditor = await s.organization(OrganizationKind.CREDITOR)
    nordic = await s.organization(AGENCY)
    finnish = await s.organization(AGENCY, "FI")
    await s.route(creditor, nordic, "SE")
    await s.route(creditor, finnish, "FI")

    # Four SEK accounts to the Swedish agency, one EUR account to the Finnish one, at day 0.
    s.at(0)
    paid_at_once = await s.place(creditor, 100_000)
    paid_on_plan = await s.place(creditor, 50_000)
    disputed = await s.place(creditor, 40_000)
    broken = await s.place(creditor, 10_000)
    finnish_account = await s.place(creditor, 20_000, "EUR", "FI")

    async def pay(days: float, agency, account: str, amount: int, channel, currency="SEK"):  # type: ignore[no-untyped-def]
        return await payments_service.record_payment(
            s.at(days),
            agency,
            account,
            amount=Money(amount, currency),
            method=PaymentMethod.CARD,
            channel=channel,
            received_at=s.now,
        )

    for account in (paid_at_once, paid_on_plan, disputed, broken):
        await account_service.acknowledge_placement(
            s.at(0.5), nordic, account, agency_reference=None
        )
    await contacts_service.log_contact_attempt(
        s.at(1),
        nordic,
        paid_at_once,
        channel=ContactChannel.CALL,
        direction=ContactDirection.INBOUND,  # the customer called: no contact rules apply
        outcome=ContactOutcome.PROMISE_TO_PAY,
        occurred_at=s.now,
    )
    await pay(2, nordic, paid_at_once, 100_000, PaymentChannel.AGENCY)
    for account, installment in ((paid_on_plan, 25_000), (broken, 5_000)):
        await plans_service.create_payment_plan(
            s.at(1),
            nordic,
            account,
            cadence=Cadence.WEEKLY,
            start_date=s.now.date() + dt.timedelta(days=1),
            installment_amount=Money(installment, "SEK"),
            installments=None,
        )
    await pay(3, nordic, paid_on_plan, 25_000, PaymentChannel.PORTAL)
    await pay(10, nordic, paid_on_plan, 25_000, PaymentChannel.PORTAL)
    await disputes_service.open_dispute(
        s.at(1), nordic, disputed, reason=DisputeReason.NOT_MY_DEBT, details=None
    )
    report = await maintenance_service.sweep(s.at(20), now=s.now)
    assert report.plans_broken == 1
    await account_service.acknowledge_placement(
        s.at(0.5), finnish, finnish_account, agency_reference=None
    )
    await pay(5, finnish, finnish_account, 10_000, PaymentChannel.AGENCY, "EUR")
    # The customer who paid at once buys again.
    [rehab_customer] = [
        r.customer_id
        for r in (
            await rehabilitation_service.list_rehabilitations(
                backend.services, creditor, since=None, before_id=None, limit=10
            )
        )[0]
        if r.account_id == paid_at_once
    ]
    await rehabilitation_service.record_customer_return(
        s.at(30), creditor, rehab_customer, returned_at=s.now, order_reference="ORD-AGAIN"
    )
    # A placement outside the period does not count.
    s.at(45)
    await s.place(creditor, 99_000)

    rows = await agency_performance(
        backend.services,
        creditor,
        start=start - dt.timedelta(hours=1),
        end=start + dt.timedelta(days=40),
        country=None,
    )
    finnish_only = await agency_performance(
        backend.services,
        creditor,
        start=start - dt.timedelta(hours=1),
        end=start + dt.timedelta(days=40),
        country="FI",
    )
    by_agency = {r.agency_id: r for r in rows}
    assert set(by_agency) == {nordic.organization_id, finnish.organization_id}
    se = by_agency[nordic.organization_id]
    assert (se.currency, se.accounts_placed, se.amount_placed) == ("SEK", 4, 200_000)
    assert se.amount_recovered == 150_000 and se.recovery_rate == 0.75
    assert se.accounts_recovered == 2 and se.recovery_rate_by_count == 0.5
    # First payments 2.0 and 3.0 days after assignment.
    assert se.median_days_to_first_payment is not None
    assert abs(se.median_days_to_first_payment - 2.5) < 1e-6
    assert se.payment_plan_completion_rate == 0.5
    assert se.dispute_rate == 0.25
    assert abs((se.self_serve_share or 0) - 2 / 3) < 1e-9
    assert se.customer_return_rate == 0.5
    fi = by_agency[finnish.organization_id]
    assert (fi.currency, fi.accounts_placed, fi.amount_placed, fi.amount_recovered) == (
        "EUR",
        1,
        20_000,
        10_000,
    )
    assert fi.recovery_rate == 0.5 and fi.accounts_recovered == 0
    assert fi.median_days_to_first_payment is not None
    assert abs(fi.median_days_to_first_payment - 5.0) < 1e-6
    assert fi.payment_plan_completion_rate is None and fi.customer_return_rate is None
    assert fi.self_serve_share == 0.0 and fi.dispute_rate == 0.0
    assert [r.agency_id for r in finnish_only] == [finnish.organization_id]

    # Both sides of a pair read the same portfolio.
    mine = await portfolio_status(backend.services, creditor, start=None, end=None)
    theirs = await portfolio_status(backend.services, nordic, start=None, end=None)
    [shared] = [p for p in mine if p.agency_id == nordic.organization_id]
    assert [dataclass_tuple(p) for p in theirs] == [dataclass_tuple(shared)]
    assert dict(shared.by_status) == {"PAID": 2, "DISPUTED": 1, "IN_COLLECTION": 1, "PLACED": 1}
    assert shared.outstanding == 40_000 + 10_000 + 99_000
    assert (shared.payments_count, shared.payments_amount) == (3, 150_000)


def dataclass_tuple(p: object) -> tuple[object, ...]:
    return tuple(vars(p).values())
