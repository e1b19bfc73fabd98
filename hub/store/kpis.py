"""KPI reads: agency performance and the shared portfolio view, computed in SQL.

``agency_performance`` reads the event log (the audit record both sides received): the
cohort is the accounts a creditor's routing assigned to each agency in a period, and every
figure is an aggregate over those accounts' later events. ``portfolio_status`` reads the
current accounts and payments, through the same visibility rules as every other query, so
a creditor and an agency asking about their shared accounts get the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.auth.tokens import Principal
from hub.domain import events as E
from hub.domain.account import OPEN
from hub.store.dialect import Dialect
from hub.store.tables import accounts, events, payments
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


def _json(path: Sequence[str]) -> Any:
    return events.c.data[tuple(path)]


def _count_if(condition: Any) -> Any:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _ratio(part: int | None, whole: int | None) -> float | None:
    return float(part or 0) / whole if whole else None


async def agency_performance(
    conn: AsyncConnection,
    dialect: Dialect,
    creditor_id: str,
    *,
    start: dt.datetime,
    end: dt.datetime,
    country: str | None,
) -> list[AgencyFigures]:
    """Per agency and currency, over the accounts assigned to it in [start, end)."""
    cohort = _cohort(creditor_id, start, end, country)
    facts = _facts(cohort)
    joined = cohort.join(facts, facts.c.account_id == cohort.c.account_id)
    group = (cohort.c.agency_id, cohort.c.currency)
    totals = await conn.execute(_totals(cohort, facts, joined, group))
    # Median of days to first payment, portably: rank within each group, average the middle.
    days = dialect.days_between(facts.c.first_paid_at, cohort.c.assigned_at)
    ranked = (
        sa.select(
            *group,
            days.label("days"),
            sa.func.row_number().over(partition_by=group, order_by=days).label("rank"),
            sa.func.count().over(partition_by=group).label("n"),
        )
        .select_from(joined)
        .where(facts.c.first_paid_at.is_not(None))
        .subquery()
    )
    medians = await conn.execute(
        sa.select(ranked.c.agency_id, ranked.c.currency, sa.func.avg(ranked.c.days))
        .where(
            ranked.c.rank.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]),
        )
        .group_by(ranked.c.agency_id, ranked.c.currency)
    )
    median_of = {(a, c): float(m) for a, c, m in medians}
    return [_figures(r, median_of.get((r.agency_id, r.currency))) for r in totals]


def _cohort(creditor_id: str, start: dt.datetime, end: dt.datetime, country: str | None) -> Any:
    """The accounts the creditor's routing assigned in the period, as assigned."""
    assigned = [
        events.c.type == E.ACCOUNT_ASSIGNED,
        events.c.creditor_id == creditor_id,
        events.c.occurred_at >= start,
        events.c.occurred_at < end,
    ]
    if country is not None:
        assigned.append(_json(["account", "country"]).as_string() == country)
    return (
        sa.select(
            events.c.account_id,
            events.c.agency_id,
            events.c.occurred_at.label("assigned_at"),
            _json(["account", "balance", "currency"]).as_string().label("currency"),
            _json(["account", "balance", "amountMinor"]).as_integer().label("placed"),
        )
        .where(*assigned)
        .cte("cohort")
    )


def _facts(cohort: Any) -> Any:
    """Per account of the cohort, what its later events say."""
    later = events.alias("later")
    kind = later.c.type
    amount = later.c.data[("payment", "amount", "amountMinor")].as_integer()
    channel = later.c.data[("payment", "channel")].as_string()
    close_reason = later.c.data[("reason",)].as_string()
    recovered = sa.case(
        (kind == E.PAYMENT_RECEIVED, amount), (kind == E.PAYMENT_REVERSED, -amount), else_=0
    )
    return (
        sa.select(
            cohort.c.account_id,
            sa.func.coalesce(sa.func.sum(recovered), 0).label("recovered"),
            sa.func.min(sa.case((kind == E.PAYMENT_RECEIVED, later.c.occurred_at))).label(
                "first_paid_at"
            ),
            _count_if(
                sa.and_(kind == E.ACCOUNT_CLOSED, close_reason.in_(["PAID", "SETTLED"]))
            ).label("recovered_closed"),
            _count_if(kind == E.DISPUTE_OPENED).label("disputes"),
            _count_if(kind == E.PAYMENT_PLAN_COMPLETED).label("plans_completed"),
            _count_if(kind == E.PAYMENT_PLAN_BROKEN).label("plans_broken"),
            _count_if(kind == E.PAYMENT_RECEIVED).label("payments"),
            _count_if(sa.and_(kind == E.PAYMENT_RECEIVED, channel == "PORTAL")).label("portal"),
            _count_if(kind == E.CUSTOMER_REHABILITATED).label("rehabilitated"),
            _count_if(kind == E.CUSTOMER_RETURNED).label("returned"),
        )
        .select_from(
            cohort.outerjoin(
                later,
                sa.and_(
                    later.c.account_id == cohort.c.account_id,
                    later.c.position > 0,
                    later.c.type != E.ACCOUNT_ASSIGNED,
                ),
            )
        )
        .group_by(cohort.c.account_id)
        .cte("facts")
    )


def _totals(cohort: Any, facts: Any, joined: Any, group: tuple[Any, Any]) -> sa.Select[Any]:
    return (
        sa.select(
            *group,
            sa.func.count().label("accounts"),
            sa.func.sum(cohort.c.placed).label("placed"),
            sa.func.sum(facts.c.recovered).label("recovered"),
            _count_if(facts.c.recovered_closed > 0).label("accounts_recovered"),
            _count_if(facts.c.disputes > 0).label("disputed"),
            sa.func.sum(facts.c.plans_completed).label("plans_completed"),
            sa.func.sum(facts.c.plans_broken).label("plans_broken"),
            sa.func.sum(facts.c.payments).label("payments"),
            sa.func.sum(facts.c.portal).label("portal"),
            _count_if(facts.c.rehabilitated > 0).label("rehabilitated"),
            _count_if(facts.c.returned > 0).label("returned"),
        )
        .select_from(joined)
        .group_by(*group)
        .order_by(*group)
    )


def _figures(r: Any, median: float | None) -> AgencyFigures:
    placed, recovered = int(r.placed or 0), int(r.recovered or 0)
    ended_plans = int(r.plans_completed or 0) + int(r.plans_broken or 0)
    return AgencyFigures(
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
    (and not reversed) in [start, end). Unassigned accounts have no counterparty: left out."""
    key = (accounts.c.creditor_id, accounts.c.agency_id, accounts.c.currency)
    visible = [account_clause(principal), accounts.c.agency_id.is_not(None)]
    counts = await conn.execute(
        sa.select(
            *key,
            accounts.c.status,
            sa.func.count(),
            sa.func.sum(accounts.c.balance_minor),
        )
        .where(*visible)
        .group_by(*key, accounts.c.status)
        .order_by(*key, accounts.c.status)
    )
    portfolios: dict[tuple[str, str, str], Portfolio] = {}
    open_states = {s.value for s in OPEN}
    for creditor, agency, currency, status, n, balance in counts:
        p = portfolios.setdefault(
            (creditor, agency, currency), Portfolio(creditor, agency, currency)
        )
        p.by_status.append((status, int(n)))
        if status in open_states:
            p.outstanding += int(balance or 0)
    paid = [payments.c.status == "SUCCEEDED"]
    if start is not None:
        paid.append(payments.c.received_at >= start)
    if end is not None:
        paid.append(payments.c.received_at < end)
    sums = await conn.execute(
        sa.select(*key, sa.func.count(), sa.func.sum(payments.c.amount_minor))
        .select_from(payments.join(accounts, accounts.c.id == payments.c.account_id))
        .where(*visible, *paid)
        .group_by(*key)
    )
    for creditor, agency, currency, n, total in sums:
        p = portfolios[(creditor, agency, currency)]
        p.payments_count, p.payments_amount = int(n), int(total or 0)
    return list(portfolios.values())
