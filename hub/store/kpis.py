"""KPI reads: agency performance and the shared portfolio view, computed in SQL.

``agency_performance`` reads the daily rollups of the KPI projection
(``hub.store.kpi_rollups``, kept by the events' own writes): the cohort is the accounts a
creditor's routing assigned to each agency on the days of a period, and every figure is a
sum over those days (``agency_performance_from_facts``: the same over one row per account). ``portfolio_status`` reads the counts
read models (``hub.store.counts``), through the same owner columns as every other query,
so a creditor and an agency asking about their shared accounts get the same numbers.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.auth.tokens import Principal
from hub.domain.account import OPEN
from hub.domain.confidence import Interval, median_ranks
from hub.domain.kpi_rates import Tallies
from hub.store import counts, kpi_rollups
from hub.store.dialect import Dialect
from hub.store.tables import account_facts, accounts, payments
from hub.store.visibility import account_clause


@dataclass(frozen=True)
class AgencyFigures:
    agency_id: str
    currency: str
    accounts_placed: int
    amount_placed: int
    amount_recovered: int
    recovery_rate: float
    accounts_recovered: int
    recovery_rate_by_count: float
    median_days_to_first_payment: float | None
    payment_plan_completion_rate: float | None
    dispute_rate: float
    self_serve_share: float | None
    customer_return_rate: float | None
    #: The counts behind the proportions (their intervals: ``hub.domain.kpi_rates``).
    tallies: Tallies
    #: The distribution-free 95 % interval of the median; None with too few payers.
    median_interval: Interval | None = None
    #: With an experiment: the experiment whose arm this agency is.
    experiment_id: str | None = None


def _count_if(condition: Any) -> Any:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _ratio(part: int | None, whole: int | None) -> float | None:
    return float(part or 0) / whole if whole else None


def whole_days(start: dt.datetime, end: dt.datetime) -> tuple[dt.date, dt.date]:
    """The UTC days [first, last) a range [start, end) covers, in whole days: from the day
    of ``start`` to the day of ``end``, that day included unless ``end`` is its midnight."""
    first = start.astimezone(dt.UTC).date()
    last = end.astimezone(dt.UTC).date()
    return first, last if end == _midnight(end) else last + _DAY


async def agency_performance(
    conn: AsyncConnection,
    creditor_id: str,
    *,
    start: dt.datetime,
    end: dt.datetime,
    country: str | None,
    experiment_id: str | None = None,
) -> list[AgencyFigures]:
    """Per agency and currency, over the accounts assigned to it on the UTC days
    ``whole_days(start, end)`` (only those the split rule ``experiment_id`` routed, if
    given: then each agency is an arm).

    From the daily rollups (``hub.store.kpi_rollups``): O(groups x days) rows, whatever the
    number of accounts; the median and its interval from the days-to-first-payment
    histogram. The same figures as ``agency_performance_from_facts`` over those days.
    """
    first, last = whole_days(start, end)
    chosen = {"country": country, "experiment_id": experiment_id}
    totals = await kpi_rollups.totals(conn, creditor_id, first, last, **chosen)
    histograms = await kpi_rollups.histogram(conn, creditor_id, first, last, **chosen)
    out = []
    for r in totals:
        median, bounds = _median(histograms.get((r.agency_id, r.currency), []))
        out.append(_figures(r, median, bounds, experiment_id))
    return out


def _median(counted: list[tuple[float, int]]) -> tuple[float | None, Interval | None]:
    """The median of values given as (value, how many) by value ascending, and the
    distribution-free interval of ``median_ranks``."""
    n = sum(k for _, k in counted)
    if n == 0:
        return None, None
    ends = list(itertools.accumulate(k for _, k in counted))

    def at(rank: int) -> float:  # the value of 1-based rank ``rank``
        return counted[bisect.bisect_left(ends, rank)][0]

    median = (at((n + 1) // 2) + at((n + 2) // 2)) / 2
    ranks = median_ranks(n)
    return median, Interval(at(ranks[0]), at(ranks[1])) if ranks is not None else None


async def agency_performance_from_facts(
    conn: AsyncConnection,
    dialect: Dialect,
    creditor_id: str,
    *,
    start: dt.datetime,
    end: dt.datetime,
    country: str | None,
    experiment_id: str | None = None,
) -> list[AgencyFigures]:
    """``agency_performance`` by its definition, over the accounts assigned in [start,
    end): one row per account (``account_facts``, read whole: no index serves it, as no
    request does). O(accounts): what the rollups are checked against.
    """
    f = account_facts
    chosen = [f.c.creditor_id == creditor_id, f.c.assigned_at >= start, f.c.assigned_at < end]
    if country is not None:
        chosen.append(f.c.country == country)
    if experiment_id is not None:
        chosen.append(f.c.experiment_id == experiment_id)
    group = (f.c.agency_id, f.c.currency)
    totals = (await conn.execute(_totals(chosen, group))).all()
    days = dialect.days_between(f.c.first_payment_at, f.c.assigned_at)
    paid = [*chosen, f.c.first_payment_at.is_not(None)]
    medians = await conn.execute(dialect.medians(days, group, paid))
    median_of = {(a, c): float(m) for a, c, m in medians}
    ranks = {(r.agency_id, r.currency): median_ranks(int(r.paid or 0)) for r in totals}
    bounds = await _order_statistics(conn, days, group, paid, ranks)
    return [
        _figures(r, median_of.get(key := (r.agency_id, r.currency)), bounds.get(key), experiment_id)
        for r in totals
    ]


def _totals(chosen: list[Any], group: tuple[Any, Any]) -> sa.Select[Any]:
    f = account_facts
    return (
        sa.select(
            *group,
            sa.func.count().label("accounts"),
            sa.func.sum(f.c.placed_minor).label("placed"),
            sa.func.sum(f.c.recovered_minor).label("recovered"),
            _count_if(f.c.recovered_closures > 0).label("accounts_recovered"),
            _count_if(f.c.disputes > 0).label("disputed"),
            sa.func.sum(f.c.plans_completed).label("plans_completed"),
            sa.func.sum(f.c.plans_broken).label("plans_broken"),
            sa.func.sum(f.c.payments).label("payments"),
            sa.func.sum(f.c.portal_payments).label("portal"),
            _count_if(f.c.rehabilitations > 0).label("rehabilitated"),
            _count_if(f.c.returns > 0).label("returned"),
            sa.func.count(f.c.first_payment_at).label("paid"),
        )
        .where(*chosen)
        .group_by(*group)
        .order_by(*group)
    )


async def _order_statistics(
    conn: AsyncConnection,
    value: Any,
    group: tuple[Any, Any],
    where: list[Any],
    ranks: dict[tuple[str, str], tuple[int, int] | None],
) -> dict[tuple[str, str], Interval]:
    """Per group, the values at its two ranks (the median's interval bounds)."""
    wanted = {rank for pair in ranks.values() if pair is not None for rank in pair}
    if not wanted:
        return {}
    ranked = (
        sa.select(
            *group,
            value.label("value"),
            sa.func.row_number().over(partition_by=group, order_by=value).label("rank"),
        )
        .where(*where)
        .subquery()
    )
    rows = await conn.execute(
        sa.select(ranked.c.agency_id, ranked.c.currency, ranked.c.rank, ranked.c.value).where(
            ranked.c.rank.in_(sorted(wanted))
        )
    )
    at = {(a, c, int(k)): float(v) for a, c, k, v in rows}
    out = {}
    for key, pair in ranks.items():
        if pair is not None and (*key, pair[0]) in at and (*key, pair[1]) in at:
            out[key] = Interval(at[(*key, pair[0])], at[(*key, pair[1])])
    return out


def _figures(
    r: Any, median: float | None, bounds: Interval | None, experiment_id: str | None
) -> AgencyFigures:
    placed, recovered = int(r.placed or 0), int(r.recovered or 0)
    ended_plans = int(r.plans_completed or 0) + int(r.plans_broken or 0)
    tallies = Tallies(
        accounts=int(r.accounts),
        recovered_accounts=int(r.accounts_recovered or 0),
        disputed_accounts=int(r.disputed or 0),
        plans_completed=int(r.plans_completed or 0),
        plans_ended=ended_plans,
        payments=int(r.payments or 0),
        portal_payments=int(r.portal or 0),
        rehabilitated=int(r.rehabilitated or 0),
        returned=int(r.returned or 0),
    )
    return AgencyFigures(
        tallies=tallies,
        median_interval=bounds,
        experiment_id=experiment_id,
        agency_id=r.agency_id,
        currency=r.currency,
        accounts_placed=int(r.accounts),
        amount_placed=placed,
        amount_recovered=recovered,
        recovery_rate=recovered / placed if placed else 0.0,
        accounts_recovered=int(r.accounts_recovered or 0),
        recovery_rate_by_count=int(r.accounts_recovered or 0) / int(r.accounts),
        median_days_to_first_payment=median,
        payment_plan_completion_rate=_ratio(r.plans_completed, ended_plans),
        dispute_rate=int(r.disputed or 0) / int(r.accounts),
        self_serve_share=_ratio(r.portal, int(r.payments or 0)),
        customer_return_rate=_ratio(r.returned, int(r.rehabilitated or 0)),
    )


@dataclass
class Portfolio:
    creditor_id: str
    agency_id: str
    currency: str
    by_status: list[tuple[str, int]] = field(default_factory=list)
    outstanding: int = 0
    payments_count: int = 0
    payments_amount: int = 0


async def portfolio_status(
    conn: AsyncConnection,
    principal: Principal,
    *,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> list[Portfolio]:
    """Per (creditor, agency, currency): accounts by state, open balances, payments received
    (and not reversed) in [start, end). Unassigned accounts have no counterparty: left out.

    From the counts read models (``hub.store.counts``): O(groups), whatever the number of
    accounts. The payments of whole UTC days come from the daily totals; a bound inside a
    day reads that day's payments up to the bound (the part of a day outside the totals).
    """
    portfolios: dict[tuple[str, str, str], Portfolio] = {}
    open_states = {s.value for s in OPEN}
    for g in await counts.by_status(conn, principal):
        p = portfolios.setdefault(
            (g.creditor_id, g.agency_id, g.currency),
            Portfolio(g.creditor_id, g.agency_id, g.currency),
        )
        p.by_status.append((g.status, g.accounts))
        if g.status in open_states:
            p.outstanding += g.balance_minor
    for creditor, agency, currency, n, total in await _payments(conn, principal, start, end):
        p = portfolios.setdefault(
            (creditor, agency, currency), Portfolio(creditor, agency, currency)
        )
        p.payments_count += n
        p.payments_amount += total
    return list(portfolios.values())


def _midnight(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


async def _payments(
    conn: AsyncConnection,
    principal: Principal,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> list[tuple[str, str, str, int, int]]:
    """Succeeded payments received in [start, end): the whole days from the daily totals,
    the parts of days at either end from the payments themselves."""
    first = start if start is None or start == _midnight(start) else _midnight(start) + _DAY
    last = end if end is None else _midnight(end)
    if first is not None and last is not None and first >= last:
        return await _payments_between(conn, principal, start, end)  # within a day or two
    out = await counts.payments_on_days(
        conn,
        principal,
        first.date() if first is not None else None,
        last.date() if last is not None else None,
    )
    if start is not None and first is not None and start < first:
        out += await _payments_between(conn, principal, start, first)
    if end is not None and last is not None and last < end:
        out += await _payments_between(conn, principal, last, end)
    return out


_DAY = dt.timedelta(days=1)


async def _payments_between(
    conn: AsyncConnection,
    principal: Principal,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> list[tuple[str, str, str, int, int]]:
    key = (accounts.c.creditor_id, accounts.c.agency_id, accounts.c.currency)
    paid = [
        account_clause(principal),
        accounts.c.agency_id.is_not(None),
        payments.c.status == "SUCCEEDED",
    ]
    if start is not None:
        paid.append(payments.c.received_at >= start)
    if end is not None:
        paid.append(payments.c.received_at < end)
    sums = await conn.execute(
        sa.select(*key, sa.func.count(), sa.func.sum(payments.c.amount_minor))
        .select_from(payments.join(accounts, accounts.c.id == payments.c.account_id))
        .where(*paid)
        .group_by(*key)
    )
    return [(c, a, cur, int(n), int(total or 0)) for c, a, cur, n, total in sums]
