"""KPIs and the shared portfolio view.

``agency_performance`` is computed from the event log (the audit record both sides
received): the cohort is the accounts a creditor's routing assigned to each agency in a
period. ``portfolio_status`` reads the current accounts and payments through the same
visibility rules as every other query, so a creditor and an agency asking about their
shared accounts get the same numbers. The SQL is ``hub.store.kpis``.
"""

from __future__ import annotations

import datetime as dt

from hub.auth.tokens import Principal
from hub.services.context import ServiceContext
from hub.store import kpis
from hub.store.kpis import AgencyFigures, Portfolio

__all__ = ["AgencyFigures", "Portfolio", "agency_performance", "portfolio_status"]


async def agency_performance(
    ctx: ServiceContext,
    principal: Principal,
    *,
    start: dt.datetime,
    end: dt.datetime,
    country: str | None,
) -> list[AgencyFigures]:
    """Per agency and currency, over the creditor's accounts assigned in [start, end)."""
    async with ctx.store.read() as uow:
        return await kpis.agency_performance(
            uow.conn, uow.dialect, principal.organization_id, start=start, end=end, country=country
        )


async def portfolio_status(
    ctx: ServiceContext,
    principal: Principal,
    *,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> list[Portfolio]:
    """Per (creditor, agency, currency): accounts by state, open balances, payments received
    in [start, end)."""
    async with ctx.store.read() as uow:
        return await kpis.portfolio_status(uow.conn, principal, start=start, end=end)
