"""KPIs and the shared portfolio view.

``agency_performance`` is computed from the event log (the audit record both sides
received): the cohort is the accounts a creditor's routing assigned to each agency in a
period. ``portfolio_status`` reads the current accounts and payments through the same
visibility rules as every other query, so a creditor and an agency asking about their
shared accounts get the same numbers. The SQL is ``hub.store.kpis``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hub.auth.tokens import Principal
from hub.domain.confidence import Difference
from hub.domain.errors import DomainError
from hub.domain.kpi_rates import Rate, versus
from hub.services.context import ServiceContext
from hub.store import kpis, routing
from hub.store.kpis import AgencyFigures, Portfolio

__all__ = [
    "AgencyFigures",
    "ArmFigures",
    "Portfolio",
    "agency_performance",
    "experiment_performance",
    "portfolio_status",
]


@dataclass(frozen=True)
class ArmFigures:
    """An agency's figures; in an experiment, each rate against the champion arm's in the
    same currency (empty for the champion itself)."""

    figures: AgencyFigures
    champion_agency_id: str | None = None
    versus_champion: dict[Rate, Difference | None] | None = None


async def agency_performance(
    ctx: ServiceContext,
    principal: Principal,
    *,
    start: dt.datetime,
    end: dt.datetime,
    country: str | None,
) -> list[AgencyFigures]:
    """Per agency and currency, over the creditor's accounts assigned on the UTC days
    of [start, end), in whole days (``kpis.whole_days``)."""
    async with ctx.store.read() as uow:
        return await kpis.agency_performance(
            uow.conn, principal.organization_id, start=start, end=end, country=country
        )


async def experiment_performance(
    ctx: ServiceContext,
    principal: Principal,
    experiment_id: str,
    *,
    start: dt.datetime,
    end: dt.datetime,
    country: str | None,
) -> list[ArmFigures]:
    """Per arm (agency) and currency, over the accounts the split rule ``experiment_id``
    routed on the UTC days of [start, end), each challenger's rates against the champion's (the rule's
    first arm) in the same currency."""
    creditor = principal.organization_id
    async with ctx.store.read() as uow:
        split = (await routing.splits(uow.conn, creditor, [experiment_id])).get(experiment_id)
        if split is None:
            raise DomainError.of("NOT_FOUND", "no such experiment", "experimentId")
        rows = await kpis.agency_performance(
            uow.conn,
            creditor,
            start=start,
            end=end,
            country=country,
            experiment_id=experiment_id,
        )
    champion = split.agency_id
    first = {r.currency: r for r in rows if r.agency_id == champion}
    return [
        ArmFigures(
            r,
            champion,
            versus(r.tallies, first[r.currency].tallies)
            if r.currency in first and r.agency_id != champion
            else None,
        )
        for r in rows
    ]


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
