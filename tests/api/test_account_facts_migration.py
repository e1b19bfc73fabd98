"""Upgrading a database with history: the KPI projection built from the events, and the
counts from the accounts, equal what the writes keep."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from hub.auth.scopes import OrganizationKind
from hub.domain.money import Money
from hub.domain.vocabulary import DisputeReason, PaymentChannel, PaymentMethod
from hub.services import accounts as account_service
from hub.services import disputes as disputes_service
from hub.services import payments as payments_service
from hub.services.context import ServiceContext
from hub.services.performance import agency_performance, portfolio_status
from hub.store.migrate import alembic_config, upgrade
from hub.store.tables import account_facts
from tests.conftest import test_settings as settings_for
from tests.scenario import Scenario


@pytest.fixture(params=["sqlite", "postgresql"])
async def services(
    request: pytest.FixtureRequest, tmp_path: Path, other_database: str
) -> AsyncIterator[ServiceContext]:
    """A hub on a fresh database of each backend (the PostgreSQL one is made either way)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'evenly.db'}"
    else:
        url = other_database.replace("postgresql://", "postgresql+asyncpg://")
    ctx = ServiceContext.from_settings(settings_for(tmp_path, url))
    await upgrade(ctx.db.engine)
    try:
        yield ctx
    finally:
        await ctx.db.dispose()


async def _facts(ctx: ServiceContext) -> list[tuple[object, ...]]:
    async with ctx.db.read() as conn:
        rows = await conn.execute(sa.select(account_facts).order_by(account_facts.c.account_id))
        return [tuple(row) for row in rows]


async def test_the_upgrade_builds_the_projection_the_writes_keep(
    services: ServiceContext,
) -> None:
    s = Scenario(services, dt.datetime.now(dt.UTC).replace(microsecond=0))
    creditor = await s.organization(OrganizationKind.CREDITOR)
    agency = await s.organization(OrganizationKind.AGENCY)
    await s.route(creditor, agency, "SE")
    paid, disputed, _ = [await s.place(creditor, 10_000) for _ in range(3)]
    await s.place(creditor, 5_000, country="NO")  # not routed: no facts
    for account in (paid, disputed):
        await account_service.acknowledge_placement(s.at(1), agency, account, agency_reference=None)
    await payments_service.record_payment(
        s.at(3),
        agency,
        paid,
        amount=Money(4_000, "SEK"),
        method=PaymentMethod.CARD,
        channel=PaymentChannel.PORTAL,
        received_at=s.now,
    )
    await disputes_service.open_dispute(
        s.at(4), agency, disputed, reason=DisputeReason.NOT_MY_DEBT, details=None
    )
    kept = await _facts(services)
    assert len(kept) == 3
    portfolio = await portfolio_status(services, creditor, start=None, end=None)

    def rebuild(connection: sa.Connection) -> None:
        config = alembic_config(services.db.engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
        command.upgrade(config, "0006")

    async with services.db.engine.begin() as conn:
        await conn.run_sync(rebuild)
    assert await _facts(services) == kept
    # The counts restart as one row per group, with the same sums.
    assert await portfolio_status(services, creditor, start=None, end=None) == portfolio


async def test_the_upgrade_builds_the_rollups_the_writes_keep(services: ServiceContext) -> None:
    s = Scenario(services, dt.datetime.now(dt.UTC).replace(microsecond=0))
    creditor = await s.organization(OrganizationKind.CREDITOR)
    agency = await s.organization(OrganizationKind.AGENCY)
    await s.route(creditor, agency, "SE")
    accounts = [await s.place(creditor, 10_000) for _ in range(4)]
    for n, account in enumerate(accounts[:3]):
        await account_service.acknowledge_placement(s.at(1), agency, account, agency_reference=None)
        await payments_service.record_payment(
            s.at(1.25 + n),
            agency,
            account,
            amount=Money(4_000, "SEK"),
            method=PaymentMethod.CARD,
            channel=PaymentChannel.PORTAL,
            received_at=s.now,
        )
    await disputes_service.open_dispute(
        s.at(4), agency, accounts[3], reason=DisputeReason.NOT_MY_DEBT, details=None
    )
    begin, end = s.start - dt.timedelta(days=1), s.now
    kept = await agency_performance(services, creditor, start=begin, end=end, country=None)
    assert kept and kept[0].median_days_to_first_payment == pytest.approx(2.25)

    def rebuild(connection: sa.Connection) -> None:
        config = alembic_config(services.db.engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")  # the revision before the rollups
        command.upgrade(config, "head")

    async with services.db.engine.begin() as conn:
        await conn.run_sync(rebuild)
    assert await agency_performance(services, creditor, start=begin, end=end, country=None) == kept
