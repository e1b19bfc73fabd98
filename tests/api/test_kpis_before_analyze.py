"""agencyPerformance right after a first big placement, before PostgreSQL has analysed
anything: one pass over the daily rollups' rows (not one per account), whatever the
planner guesses."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hub.auth.scopes import OrganizationKind
from hub.domain.account import Product
from hub.domain.money import Money
from hub.domain.placement import CustomerDetails, Placement
from hub.domain.vocabulary import PaymentChannel, PaymentMethod
from hub.services import accounts as account_service
from hub.services import payments as payments_service
from hub.services import placement as placement_service
from hub.services.context import ServiceContext
from hub.services.performance import agency_performance
from hub.store.migrate import upgrade
from tests.conftest import Backend, explain_analyze, statements_of
from tests.conftest import test_settings as settings_for
from tests.scenario import Scenario

ACCOUNTS = 4_000
PAID = 9


@pytest.fixture
async def fresh(other_database: str, tmp_path: Path) -> AsyncIterator[Backend]:
    """A hub on a database just migrated, its projection never analysed (nor to be)."""
    url = other_database.replace("postgresql://", "postgresql+asyncpg://")
    settings = settings_for(tmp_path, url)
    services = ServiceContext.from_settings(settings)
    await upgrade(services.db.engine)
    async with services.db.engine.begin() as conn:
        for table in ("account_facts", "kpi_rollups"):
            await conn.exec_driver_sql(f"ALTER TABLE {table} SET (autovacuum_enabled = off)")
    try:
        yield Backend("postgresql", url, settings, services)
    finally:
        await services.db.dispose()


def _placement(n: int) -> Placement:
    return Placement(
        reference=f"INV-{n}-{uuid.uuid4().hex[:8]}",
        customer=CustomerDetails(
            reference=f"CUST-{n}-{uuid.uuid4().hex[:8]}", name="Test Customer", country="SE"
        ),
        original_amount=Money(10_000, "SEK"),
        balance=Money(10_000, "SEK"),
        due_date=dt.date(2026, 1, 1),
        product=Product.BNPL_INVOICE,
    )


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def test_agency_performance_reads_each_account_once_before_analyze(
    fresh: Backend,
) -> None:
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    s = Scenario(fresh.services, start)
    creditor = await s.organization(OrganizationKind.CREDITOR)
    agency = await s.organization(OrganizationKind.AGENCY)
    await s.route(creditor, agency, "SE")
    placed: list[str] = []
    for first in range(0, ACCOUNTS, 500):
        outcomes = await placement_service.place_accounts(
            s.at(0), creditor, [_placement(n) for n in range(first, first + 500)]
        )
        placed += [o.account.id for o in outcomes if o.account is not None]
    for n, account_id in enumerate(placed[:PAID]):
        await account_service.acknowledge_placement(
            s.at(0), agency, account_id, agency_reference=None
        )
        await payments_service.record_payment(
            s.at(n + 1),
            agency,
            account_id,
            amount=Money(10_000, "SEK"),
            method=PaymentMethod.CARD,
            channel=PaymentChannel.AGENCY,
            received_at=s.now,
        )
    async with fresh.services.db.read() as conn:
        analysed = await conn.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stats WHERE tablename IN ('account_facts', 'kpi_rollups')"
            )
        )
    assert analysed == 0

    with statements_of(fresh) as seen:
        [row] = await agency_performance(
            fresh.services,
            creditor,
            start=start - dt.timedelta(hours=1),
            end=start + dt.timedelta(days=1),
            country=None,
        )
    assert (row.accounts_placed, row.amount_placed) == (ACCOUNTS, ACCOUNTS * 10_000)
    assert (row.amount_recovered, row.accounts_recovered) == (PAID * 10_000, PAID)
    assert row.median_days_to_first_payment == pytest.approx((PAID + 1) / 2)

    assert not [q for q, _ in seen if "account_facts" in q]  # never one row per account
    reads = [(q, p) for q, p in seen if "kpi_rollups" in q]
    assert len(reads) == 2  # the totals, the histogram of days to first payment
    # Unfolded: a delta row per placement batch and per first payment.
    rows = ACCOUNTS // 500 + PAID
    for statement, parameters in reads:
        nodes = list(_nodes(await explain_analyze(fresh, statement, parameters)))
        scans = [n for n in nodes if n.get("Relation Name") == "kpi_rollups"]
        # One pass over the rows, no join (nothing a wrong estimate could multiply).
        assert len(scans) == 1 and scans[0]["Actual Loops"] == 1, scans
        assert not [n for n in nodes if "Join" in n["Node Type"] or "Loop" in n["Node Type"]]
        assert scans[0]["Actual Rows"] + scans[0].get("Rows Removed by Filter", 0) <= rows
