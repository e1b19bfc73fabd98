"""Counts and portfolio sums from the read models: equal to counting the accounts, through
placements, changes, concurrent writers and the sweep that folds the delta rows."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import Counter

import sqlalchemy as sa

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain.account import Product
from hub.domain.money import Money
from hub.domain.placement import CustomerDetails, Placement
from hub.domain.vocabulary import PaymentChannel, PaymentMethod
from hub.services import accounts as account_service
from hub.services import maintenance as maintenance_service
from hub.services import payments as payments_service
from hub.services import placement as placement_service
from hub.services.accounts import AccountFilter
from hub.services.performance import portfolio_status
from hub.store.tables import account_counts
from tests.conftest import Backend
from tests.scenario import Scenario

COUNTRIES = ("SE", "SE", "FI", "NO")


def _placement(n: int) -> Placement:
    return Placement(
        reference=f"INV-{n}-{uuid.uuid4().hex[:8]}",
        customer=CustomerDetails(
            reference=f"CUST-{uuid.uuid4().hex[:12]}",
            name="Test Customer",
            country=COUNTRIES[n % len(COUNTRIES)],
        ),
        original_amount=Money(1_000 + n, "SEK"),
        balance=Money(1_000 + n, "SEK"),
        due_date=dt.date(2026, 1, 1),
        product=Product.BNPL_INVOICE,
    )


async def _placed(s: Scenario, creditor: Principal, n: int) -> list[str]:
    outcomes = await placement_service.place_accounts(
        s.at(0), creditor, [_placement(i) for i in range(n)]
    )
    return [o.account.id for o in outcomes if o.account is not None]


async def _counted(backend: Backend, principal: Principal, f: AccountFilter) -> int:
    """The filter's count as the accounts themselves say (a whole page of them)."""
    found = await account_service.list_accounts(
        backend.services, principal, f, before_id=None, limit=10_000
    )
    return len(found)


async def _check_counts(backend: Backend, principals: list[Principal], agency: str) -> None:
    shapes = [
        AccountFilter(),
        AccountFilter(statuses=["PLACED"]),
        AccountFilter(statuses=["ACKNOWLEDGED", "PAID"]),
        AccountFilter(country="FI"),
        AccountFilter(agency_id=agency),
        AccountFilter(statuses=["ACKNOWLEDGED"], country="SE", agency_id=agency),
    ]
    for principal in principals:
        for f in shapes:
            count = await account_service.count_accounts(backend.services, principal, f)
            assert not count.capped
            assert count.value == await _counted(backend, principal, f), (principal.kind, f)


async def _account_rows(backend: Backend) -> int:
    async with backend.services.db.read() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(account_counts)) or 0)


async def test_counts_and_portfolio_follow_every_write_and_survive_the_fold(
    backend: Backend,
) -> None:
    s = Scenario(backend.services, dt.datetime.now(dt.UTC).replace(microsecond=0))
    creditor = await s.organization(OrganizationKind.CREDITOR)
    agency = await s.organization(OrganizationKind.AGENCY)
    await s.route(creditor, agency, "SE")
    await s.route(creditor, agency, "FI")
    ids = await _placed(s, creditor, 40)
    views = await account_service.get_accounts(backend.services, creditor, ids)
    routed = [i for i in ids if views[i].agency_id is not None]
    acknowledged = routed[:20]
    # Concurrent writers of the same groups: every delta lands once.
    await asyncio.gather(
        *(
            account_service.acknowledge_placement(s.ctx, agency, i, agency_reference=None)
            for i in acknowledged
        )
    )
    await asyncio.gather(
        *(
            payments_service.record_payment(
                s.at(1),
                agency,
                i,
                amount=Money(views[i].balance_minor if n % 2 else 300, "SEK"),
                method=PaymentMethod.CARD,
                channel=PaymentChannel.AGENCY,
                received_at=s.now,
            )
            for n, i in enumerate(acknowledged[:10])
        )
    )
    await _check_counts(backend, [creditor, agency], agency.organization_id)
    before = await portfolio_status(backend.services, creditor, start=None, end=None)
    [shared] = before
    now = await account_service.get_accounts(backend.services, creditor, ids)
    assigned = [a for a in now.values() if a.agency_id is not None]
    assert dict(shared.by_status) == dict(Counter(a.status.value for a in assigned))
    assert shared.outstanding == sum(a.balance_minor for a in assigned if a.status.value != "PAID")
    paid = sum(views[i].balance_minor if n % 2 else 300 for n, i in enumerate(acknowledged[:10]))
    assert (shared.payments_count, shared.payments_amount) == (10, paid)
    # Within the day, and from midnight on: the totals and the payments themselves agree.
    for start, end in (
        (s.now - dt.timedelta(minutes=1), s.now + dt.timedelta(minutes=1)),
        (s.now - dt.timedelta(days=3), s.now + dt.timedelta(days=3)),
        (s.now + dt.timedelta(minutes=1), None),
    ):
        [window] = await portfolio_status(backend.services, creditor, start=start, end=end)
        expected = (10, paid) if start < s.now else (0, 0)
        assert (window.payments_count, window.payments_amount) == expected, (start, end)

    rows = await _account_rows(backend)
    report = await maintenance_service.sweep(backend.services)
    assert report.count_rows_folded >= rows
    assert await _account_rows(backend) < rows
    assert await portfolio_status(backend.services, creditor, start=None, end=None) == before
    await _check_counts(backend, [creditor, agency], agency.organization_id)


async def test_a_placed_range_counts_up_to_the_cap(backend: Backend) -> None:
    s = Scenario(backend.services, dt.datetime.now(dt.UTC).replace(microsecond=0))
    creditor = await s.organization(OrganizationKind.CREDITOR)
    await _placed(s, creditor, 3)
    f = AccountFilter(placed_after=s.now - dt.timedelta(seconds=1))
    count = await account_service.count_accounts(backend.services, creditor, f)
    assert (count.value, count.capped) == (3, False)
