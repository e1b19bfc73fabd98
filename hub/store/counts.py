"""Counts and portfolio sums as read models kept by the writes: delta rows, summed on read.

Every write that changes an account's group (creditor, agency, status, country, currency)
or balance appends what it changed to ``account_counts`` (``-1`` and its old balance in the
old group, ``+1`` and its new balance in the new one); every payment that starts or stops
counting as succeeded appends to ``payment_totals`` (by the UTC day it was received). The
rows join the write itself (``Write.inserts``, under its version guard), and are never
updated: one counter row per group would make concurrent writers of a group wait for each
other, delta rows do not. Reads sum a group's rows: O(groups + rows not yet folded), not
O(accounts). The maintenance sweep folds each group's rows into one (``fold``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.auth.tokens import Principal
from hub.domain.account import Account
from hub.domain.payment import Payment
from hub.domain.vocabulary import PaymentStatus
from hub.store import kpi_rollups
from hub.store.dialect import Dialect
from hub.store.tables import account_counts, payment_totals

Insert = tuple[sa.Table, dict[str, Any]]
_GROUP = ("creditor_id", "agency_id", "status", "country", "currency")
_PAYMENT_GROUP = ("creditor_id", "agency_id", "currency", "day")
#: Delta rows folded per statement: each fold is short, whatever the backlog.
FOLD_BATCH = 20_000


def _group(a: Account) -> tuple[str, str | None, str, str, str]:
    return (a.creditor_id, a.agency_id, a.status.value, a.country, a.currency)


def _count_row(group: tuple[Any, ...], accounts: int, balance: int) -> Insert:
    return (
        account_counts,
        {**dict(zip(_GROUP, group, strict=True)), "accounts": accounts, "balance_minor": balance},
    )


def placed(accounts: Iterable[Account]) -> list[Insert]:
    """The delta rows of newly placed accounts: one per group."""
    n: Counter[tuple[Any, ...]] = Counter()
    balance: Counter[tuple[Any, ...]] = Counter()
    for a in accounts:
        n[_group(a)] += 1
        balance[_group(a)] += a.balance_minor
    return [_count_row(group, n[group], balance[group]) for group in n]


def moved(before: Account, after: Account) -> list[Insert]:
    """The delta rows of an account changed from ``before`` to ``after`` (none if neither its
    group nor its balance changed)."""
    if _group(before) == _group(after):
        change = after.balance_minor - before.balance_minor
        return [_count_row(_group(after), 0, change)] if change else []
    return [
        _count_row(_group(before), -1, -before.balance_minor),
        _count_row(_group(after), 1, after.balance_minor),
    ]


def paid(before: Payment | None, after: Payment, account: Account) -> list[Insert]:
    """The delta row of a payment that started or stopped counting as succeeded."""
    was = before is not None and before.status is PaymentStatus.SUCCEEDED
    now = after.status is PaymentStatus.SUCCEEDED
    if was == now:
        return []
    sign = 1 if now else -1
    return [
        (
            payment_totals,
            {
                "creditor_id": account.creditor_id,
                "agency_id": account.agency_id,
                "currency": after.amount.currency,
                "day": after.received_at.astimezone(dt.UTC).date(),
                "payments": sign,
                "amount_minor": sign * after.amount.amount_minor,
            },
        )
    ]


def _owner(table: sa.Table, principal: Principal) -> sa.ColumnElement[bool]:
    column = table.c.creditor_id if principal.is_creditor else table.c.agency_id
    return column == principal.organization_id


async def count(
    conn: AsyncConnection,
    principal: Principal,
    *,
    statuses: Sequence[str] | None,
    agency_id: str | None,
    country: str | None,
) -> int:
    """How many of the principal's accounts are in these states, of this agency, in this
    country (None: any)."""
    c = account_counts
    where = [_owner(c, principal)]
    if statuses:
        where.append(c.c.status.in_(list(statuses)))
    if agency_id is not None:
        where.append(c.c.agency_id == agency_id)
    if country is not None:
        where.append(c.c.country == country)
    total = await conn.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(c.c.accounts), 0)).where(*where)
    )
    return int(total or 0)


@dataclass(frozen=True, slots=True)
class GroupSum:
    creditor_id: str
    agency_id: str
    currency: str
    status: str
    accounts: int
    balance_minor: int


async def by_status(conn: AsyncConnection, principal: Principal) -> list[GroupSum]:
    """The principal's assigned accounts and their balances by (creditor, agency, currency,
    status), in that order; empty groups left out."""
    c = account_counts
    key = (c.c.creditor_id, c.c.agency_id, c.c.currency, c.c.status)
    rows = await conn.execute(
        sa.select(*key, sa.func.sum(c.c.accounts), sa.func.sum(c.c.balance_minor))
        .where(_owner(c, principal), c.c.agency_id.is_not(None))
        .group_by(*key)
        .having(sa.func.sum(c.c.accounts) != 0)
        .order_by(*key)
    )
    return [GroupSum(*row[:4], int(row[4]), int(row[5] or 0)) for row in rows]


async def payments_on_days(
    conn: AsyncConnection, principal: Principal, first: dt.date | None, last: dt.date | None
) -> list[tuple[str, str, str, int, int]]:
    """(creditor, agency, currency, payments, amount) of payments received on the days
    [first, last) (None: unbounded) that succeeded."""
    t = payment_totals
    where = [_owner(t, principal), t.c.agency_id.is_not(None)]
    if first is not None:
        where.append(t.c.day >= first)
    if last is not None:
        where.append(t.c.day < last)
    key = (t.c.creditor_id, t.c.agency_id, t.c.currency)
    rows = await conn.execute(
        sa.select(*key, sa.func.sum(t.c.payments), sa.func.sum(t.c.amount_minor))
        .where(*where)
        .group_by(*key)
    )
    return [(r[0], r[1], r[2], int(r[3] or 0), int(r[4] or 0)) for r in rows]


async def fold(conn: AsyncConnection, dialect: Dialect) -> int:
    """Fold the delta rows of each group into one (the KPIs' rollups' too), a batch at a time (each batch its own
    short transaction on ``conn``, which must be in autocommit or be committed by the
    caller per call); the number of rows folded."""
    folded = 0
    for table, group, sums in (
        (account_counts, _GROUP, ("accounts", "balance_minor")),
        (payment_totals, _PAYMENT_GROUP, ("payments", "amount_minor")),
        (kpi_rollups.kpi_rollups, kpi_rollups.KEY, kpi_rollups.SUMS),
    ):
        folded += await _fold_table(conn, dialect, table, group, sums)
    return folded


async def _fold_table(
    conn: AsyncConnection,
    dialect: Dialect,
    table: sa.Table,
    group: Sequence[str],
    sums: Sequence[str],
) -> int:
    lowest, highest = (
        await conn.execute(sa.select(sa.func.min(table.c.id), sa.func.max(table.c.id)))
    ).one()
    if lowest is None or lowest == highest:
        return 0
    folded = 0
    # Up to the highest id seen now: the folded rows come back above it.
    for start in range(int(lowest), int(highest) + 1, FOLD_BATCH):
        chosen = sa.and_(
            table.c.id >= start, table.c.id < min(start + FOLD_BATCH, int(highest) + 1)
        )
        folded += await _fold_batch(conn, dialect, table, group, sums, chosen)
    return folded


async def _fold_batch(
    conn: AsyncConnection,
    dialect: Dialect,
    table: sa.Table,
    group: Sequence[str],
    sums: Sequence[str],
    chosen: sa.ColumnElement[bool],
) -> int:
    columns = [*group, *sums]
    if dialect.is_sqlite:  # writers take turns: sum, then delete, in one transaction
        source: Any = sa.select(*(table.c[c] for c in columns)).where(chosen).subquery()
    else:  # one statement: what it deletes is what it sums, whoever commits meanwhile
        source = (
            sa.delete(table).where(chosen).returning(*(table.c[c] for c in columns)).cte("folded")
        )
    summed = (
        sa.select(*(source.c[c] for c in group), *(sa.func.sum(source.c[c]) for c in sums))
        .group_by(*(source.c[c] for c in group))
        .having(sa.or_(*(sa.func.sum(source.c[c]) != 0 for c in sums)))
    )
    insert = table.insert().from_select(columns, summed)
    if dialect.is_sqlite:
        n = await conn.scalar(sa.select(sa.func.count()).select_from(table).where(chosen))
        await conn.execute(insert)
        await conn.execute(sa.delete(table).where(chosen))
        return int(n or 0)
    n = await conn.scalar(
        sa.select(sa.func.count()).select_from(source).add_cte(insert.cte("kept"))
    )
    return int(n or 0)
