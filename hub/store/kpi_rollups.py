"""The KPIs' daily rollups: ``account_facts`` summed per group and UTC day of assignment.

A row's group is (creditor, agency, currency, country, experiment, day assigned) and, for
the accounts whose first payment it counts (``paid``), the days from assignment to that
payment (``first_payment_days``): the median's histogram, so the median and the order
statistics of its interval come exactly from counts. The rows are delta rows like
``hub.store.counts``: each write that starts or moves facts appends what it changed, in
the same statement (PostgreSQL) or transaction (SQLite), and never updates a shared row;
reads sum a group's rows; the maintenance sweep folds them (``counts.fold``).

A move's row is an ``INSERT ... SELECT`` from the account's facts as they were before the
write (the statement's snapshot on PostgreSQL; run before the facts' update on SQLite),
so the "accounts with ..." counts add 1 exactly when a count leaves 0 and ``paid`` exactly
when the first payment arrives. ``agencyPerformance`` then reads O(groups x days) rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.domain.collection_facts import Assignment
from hub.store.tables import account_facts, kpi_rollups

#: The group of a row (a day of one agency's accounts, and the histogram's bucket).
KEY = (
    "creditor_id",
    "agency_id",
    "currency",
    "country",
    "experiment_id",
    "day",
    "first_payment_days",
)
#: The sums a row carries.
SUMS = (
    "accounts",
    "placed_minor",
    "recovered_minor",
    "accounts_recovered",
    "disputed",
    "plans_completed",
    "plans_broken",
    "payments",
    "portal_payments",
    "rehabilitated",
    "returned",
    "paid",
)
COLUMNS = (*KEY, *SUMS)
#: Sums that add the facts' delta as it is.
_ADDED = ("recovered_minor", "plans_completed", "plans_broken", "payments", "portal_payments")
#: Counts of accounts whose fact (the value) is above 0.
_BECAME = {
    "accounts_recovered": "recovered_closures",
    "disputed": "disputes",
    "rehabilitated": "rehabilitations",
    "returned": "returns",
}


def start_rows(starts: Sequence[Assignment]) -> list[dict[str, Any]]:
    """The delta rows of newly assigned accounts: one per group."""
    groups: dict[tuple[Any, ...], tuple[int, int]] = {}
    for a in starts:
        day = a.assigned_at.astimezone(dt.UTC).date()
        key = (a.creditor_id, a.agency_id, a.currency, a.country, a.experiment_id, day)
        n, placed = groups.get(key, (0, 0))
        groups[key] = (n + 1, placed + a.placed_minor)
    return [
        {
            **dict(zip(KEY[:6], key, strict=True)),
            "first_payment_days": None,
            **dict.fromkeys(SUMS, 0),
            "accounts": n,
            "placed_minor": placed,
        }
        for key, (n, placed) in groups.items()
    ]


def days_between(later: Any, earlier: Any, postgres: bool) -> Any:
    """Days (fractional) between two instants: the expression ``hub.store.dialect`` uses."""
    if postgres:
        return sa.extract("epoch", later - earlier) / 86400.0
    return sa.func.julianday(later) - sa.func.julianday(earlier)


def utc_day(at: Any, postgres: bool) -> Any:
    """The UTC day of an instant."""
    if postgres:
        return sa.cast(sa.func.timezone("UTC", at), sa.Date())
    return sa.func.date(at)


def move_rows(j: int, postgres: bool) -> sa.Select[Any]:
    """The delta row of move ``j`` (binds ``d{j}_...`` of ``FactsChanges.parameters``),
    from the account's facts before the move; no row for an account without facts."""
    f = account_facts
    first: Any = sa.bindparam(f"d{j}_first_payment_at", type_=f.c.first_payment_at.type)
    if postgres:  # a typed parameter (SQLite's CAST would make the text a number)
        first = sa.cast(first, sa.DateTime(timezone=True))

    def delta(name: str) -> Any:
        return sa.bindparam(f"d{j}_{name}", type_=f.c[name].type)

    became_paid = sa.and_(f.c.first_payment_at.is_(None), first.is_not(None))
    zero: Any = sa.literal_column("0")
    values: dict[str, Any] = {
        **{name: f.c[name] for name in KEY[:5]},
        "day": utc_day(f.c.assigned_at, postgres),
        "first_payment_days": sa.case(
            (became_paid, days_between(first, f.c.assigned_at, postgres)), else_=sa.null()
        ),
        "accounts": zero,
        "placed_minor": zero,
        **{name: delta(name) for name in _ADDED},
        **{
            name: sa.case((sa.and_(f.c[fact] == 0, delta(fact) > 0), 1), else_=0)
            for name, fact in _BECAME.items()
        },
        "paid": sa.case((became_paid, 1), else_=0),
    }
    return sa.select(*(values[name].label(name) for name in COLUMNS)).where(
        f.c.account_id == sa.bindparam(f"d{j}__id", type_=sa.String())
    )


def start_parameters(starts: Sequence[Assignment]) -> dict[str, Any]:
    """PostgreSQL: the bind parameters of the started accounts' rows (``ctes``)."""
    rows = start_rows(starts)
    return {f"r_{name}": [row[name] for row in rows] for name in COLUMNS}


def ctes(starts: bool, moves: int, condition: sa.ColumnElement[bool] | None) -> list[Any]:
    """PostgreSQL: the rollups' CTEs of a write (each only where ``condition`` holds)."""
    out: list[Any] = []
    selects: list[sa.Select[Any]] = []
    if starts:
        r = kpi_rollups
        selects.append(
            sa.select(
                *(
                    sa.func.unnest(
                        sa.bindparam(f"r_{name}", type_=postgresql.ARRAY(r.c[name].type))
                    ).label(name)
                    for name in COLUMNS
                )
            )
        )
    selects += [move_rows(j, postgres=True) for j in range(moves)]
    for k, rows in enumerate(selects):
        if condition is not None:
            rows = rows.where(condition)
        insert = kpi_rollups.insert().from_select(list(COLUMNS), rows)
        out.append(insert.returning(sa.literal_column("1")).cte(f"rolled{k}"))
    return out


async def write_starts(conn: AsyncConnection, starts: Sequence[Assignment]) -> None:
    """SQLite: the started accounts' rows, in the caller's transaction."""
    if starts:
        await conn.execute(kpi_rollups.insert(), start_rows(starts))


async def write_move(conn: AsyncConnection, j: int, parameters: dict[str, Any]) -> None:
    """SQLite: move ``j``'s row; before the facts' update, in the caller's transaction."""
    insert = kpi_rollups.insert().from_select(list(COLUMNS), move_rows(j, postgres=False))
    await conn.execute(insert, parameters)


def _chosen(
    creditor_id: str,
    first: dt.date,
    last: dt.date,
    country: str | None,
    experiment_id: str | None,
) -> list[Any]:
    r = kpi_rollups
    chosen = [r.c.creditor_id == creditor_id, r.c.day >= first, r.c.day < last]
    if country is not None:
        chosen.append(r.c.country == country)
    if experiment_id is not None:
        chosen.append(r.c.experiment_id == experiment_id)
    return chosen


async def totals(
    conn: AsyncConnection,
    creditor_id: str,
    first: dt.date,
    last: dt.date,
    *,
    country: str | None,
    experiment_id: str | None,
) -> Sequence[Any]:
    """Per (agency, currency), in that order, the sums of the accounts assigned on the days
    [first, last), labelled as ``hub.store.kpis`` reads them."""
    r = kpi_rollups
    group = (r.c.agency_id, r.c.currency)
    labels = {
        "accounts": "accounts",
        "placed_minor": "placed",
        "recovered_minor": "recovered",
        "accounts_recovered": "accounts_recovered",
        "disputed": "disputed",
        "plans_completed": "plans_completed",
        "plans_broken": "plans_broken",
        "payments": "payments",
        "portal_payments": "portal",
        "rehabilitated": "rehabilitated",
        "returned": "returned",
        "paid": "paid",
    }
    rows = await conn.execute(
        sa.select(*group, *(sa.func.sum(r.c[c]).label(label) for c, label in labels.items()))
        .where(*_chosen(creditor_id, first, last, country, experiment_id))
        .group_by(*group)
        .having(sa.func.sum(r.c.accounts) > 0)
        .order_by(*group)
    )
    return rows.all()


async def histogram(
    conn: AsyncConnection,
    creditor_id: str,
    first: dt.date,
    last: dt.date,
    *,
    country: str | None,
    experiment_id: str | None,
) -> dict[tuple[str, str], list[tuple[float, int]]]:
    """Per (agency, currency), the (days to first payment, accounts) of those days' accounts
    with a first payment, by days ascending."""
    r = kpi_rollups
    key = (r.c.agency_id, r.c.currency, r.c.first_payment_days)
    rows = await conn.execute(
        sa.select(*key, sa.func.sum(r.c.paid))
        .where(
            *_chosen(creditor_id, first, last, country, experiment_id),
            r.c.first_payment_days.is_not(None),
        )
        .group_by(*key)
        .having(sa.func.sum(r.c.paid) > 0)
        .order_by(*key)
    )
    out: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for agency, currency, days, n in rows:
        out.setdefault((agency, currency), []).append((float(days), int(n)))
    return out
