"""The agency side (``client.agency``) and the creditor's reads of it (``payments``,
``customers``, ``rehabilitation``, ``performance``), against a real hub."""

from __future__ import annotations

import datetime as dt
from typing import Any

import evenly
import pytest
from conftest import Parties, collect, new_account, resolve
from evenly import AccountStatus, PaymentStatus, UserError


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def sek(amount_minor: int) -> evenly.Money:
    return evenly.Money(amount_minor=amount_minor, currency="SEK")


async def placed(creditor: Any, balance: int = 100000) -> evenly.Account:
    placement = await resolve(
        creditor.accounts.place(**new_account(balance={"amount_minor": balance, "currency": "SEK"}))
    )
    account: evenly.Account = placement.account
    return account


async def test_plan_paid_in_full_rehabilitates_and_the_creditor_sees_it(
    pair: tuple[Any, Any], parties: Parties
) -> None:
    creditor, agency = pair
    started = now() - dt.timedelta(seconds=5)
    account = await placed(creditor)

    acknowledged = await resolve(agency.agency.acknowledge(account.id, agency_reference="AG-7"))
    assert acknowledged.status is AccountStatus.ACKNOWLEDGED
    assert acknowledged.agency_reference == "AG-7"

    contacted = await resolve(
        agency.agency.log_contact(
            account.id,
            channel="EMAIL",
            direction="INBOUND",
            outcome="PROMISE_TO_PAY",
            occurred_at=now(),
        )
    )
    assert contacted.contact_attempt.channel is evenly.ContactChannel.EMAIL
    assert contacted.account.status is AccountStatus.IN_COLLECTION

    planned = await resolve(
        agency.agency.create_payment_plan(
            account.id, cadence="WEEKLY", start_date=dt.date.today(), installment_amount=sek(50000)
        )
    )
    assert planned.account.status is AccountStatus.PAYMENT_PLAN
    assert [i.amount.amount_minor for i in planned.payment_plan.installments] == [50000, 50000]

    first = await resolve(
        agency.agency.record_payment(
            account.id, amount=sek(50000), method="CARD", received_at=now()
        )
    )
    assert first.payment.status is PaymentStatus.SUCCEEDED
    assert first.payment.payment_plan_id == planned.payment_plan.id
    assert first.account.balance.amount_minor == 50000

    pending = await resolve(
        agency.agency.record_payment(
            account.id,
            amount=sek(50000),
            method="DIRECT_DEBIT",
            channel="PORTAL",
            received_at=now(),
            pending=True,
        )
    )
    assert pending.payment.status is PaymentStatus.PENDING
    settled = await resolve(agency.agency.settle_payment(pending.payment.id, succeeded=True))
    assert settled.payment.status is PaymentStatus.SUCCEEDED
    assert settled.account.status is AccountStatus.PAID

    rehabilitations = await collect(creditor.rehabilitation.list(since=started))
    mine = [r for r in rehabilitations if r.account and r.account.id == account.id]
    assert len(mine) == 1
    rehab = mine[0]
    assert rehab.paid_in_full and rehab.paid_on_plan
    assert rehab.amount_recovered == sek(100000)
    assert rehab.agency is not None and rehab.agency.id == parties.agency.organization_id

    returned = await resolve(
        creditor.customers.record_return(
            account.customer.id, returned_at=now(), order_reference="ORD-BACK"
        )
    )
    assert returned.order_reference == "ORD-BACK" and returned.returned_at is not None
    with pytest.raises(UserError) as caught:
        await resolve(
            creditor.customers.record_return(
                account.customer.id, returned_at=now(), order_reference="ORD-AGAIN"
            )
        )
    assert caught.value.code == "ALREADY_RETURNED"

    rows = await resolve(
        creditor.performance.by_agency(start=started, end=now() + dt.timedelta(minutes=1))
    )
    row = next(r for r in rows if r.agency and r.agency.id == parties.agency.organization_id)
    assert row.currency == "SEK" and row.accounts_recovered >= 1
    assert 0 <= row.recovery_rate <= 1
    portfolio = await resolve(creditor.performance.portfolio())
    assert any(p.currency == "SEK" for p in portfolio)


async def test_disputes_holds_reversals_and_closing(pair: tuple[Any, Any]) -> None:
    creditor, agency = pair
    account = await placed(creditor)
    await resolve(agency.agency.acknowledge(account.id))

    disputed = await resolve(
        agency.agency.open_dispute(account.id, reason="WRONG_AMOUNT", details="says 900 SEK")
    )
    assert disputed.account.status is AccountStatus.DISPUTED and disputed.dispute.open
    resolved = await resolve(
        agency.agency.resolve_dispute(disputed.dispute.id, outcome="REJECTED", notes="invoice ok")
    )
    assert resolved.dispute.open is False
    assert resolved.dispute.outcome is evenly.DisputeOutcome.REJECTED
    assert resolved.account.status is not AccountStatus.DISPUTED

    held = await resolve(
        agency.agency.place_on_hold(
            account.id, reason="HARDSHIP", until=now() + dt.timedelta(days=14), notes="job loss"
        )
    )
    assert held.account.status is AccountStatus.ON_HOLD and held.hold.active
    released = await resolve(agency.agency.release_hold(held.hold.id))
    assert released.hold.active is False

    paid = await resolve(
        agency.agency.record_payment(
            account.id, amount=sek(10000), method="BANK_TRANSFER", received_at=now()
        )
    )
    reversed_ = await resolve(agency.agency.reverse_payment(paid.payment.id, reason="chargeback"))
    assert reversed_.payment.status is PaymentStatus.REVERSED
    assert reversed_.account.balance.amount_minor == 100000

    closed = await resolve(agency.agency.close(account.id, reason="UNCOLLECTABLE"))
    assert closed.status is AccountStatus.UNCOLLECTABLE and closed.closed_at is not None


async def test_direct_payment_and_settlement(pair: tuple[Any, Any]) -> None:
    creditor, agency = pair
    account = await placed(creditor, balance=50000)
    await resolve(agency.agency.acknowledge(account.id))
    direct = await resolve(
        creditor.payments.report_direct(
            account.id, amount=sek(30000), method="BANK_TRANSFER", received_at=now()
        )
    )
    assert direct.payment.channel is evenly.PaymentChannel.CREDITOR_DIRECT
    assert direct.account.balance.amount_minor == 20000
    with pytest.raises(UserError) as caught:
        await resolve(
            agency.agency.close(account.id, reason="SETTLED", settlement_amount=sek(25000))
        )
    assert caught.value.code == "SETTLEMENT_NOT_PAID"
    settled = await resolve(
        agency.agency.close(account.id, reason="SETTLED", settlement_amount=sek(30000))
    )
    assert settled.status is AccountStatus.SETTLED


async def test_agency_mutations_with_a_key_are_applied_once(pair: tuple[Any, Any]) -> None:
    creditor, agency = pair
    account = await placed(creditor)
    await resolve(agency.agency.acknowledge(account.id))
    key, received_at = f"pay-{account.id}", now()
    for _ in range(2):
        result = await resolve(
            agency.agency.record_payment(
                account.id,
                amount=sek(1000),
                method="CASH",
                received_at=received_at,
                idempotency_key=key,
            )
        )
    assert result.account.balance.amount_minor == 99000
    with pytest.raises(UserError) as caught:
        await resolve(
            agency.agency.record_payment(
                account.id,
                amount=sek(2000),
                method="CASH",
                received_at=received_at,
                idempotency_key=key,
            )
        )
    assert caught.value.code == "IDEMPOTENCY_KEY_REUSED"


async def test_a_creditor_cannot_report_for_the_agency(pair: tuple[Any, Any]) -> None:
    creditor, _ = pair
    account = await placed(creditor)
    with pytest.raises(evenly.PermissionError) as caught:
        await resolve(creditor.agency.acknowledge(account.id))
    assert caught.value.required_scope == "agency:write"
