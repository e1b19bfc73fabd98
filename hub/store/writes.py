"""Writing a change all at once: the versioned account update, the rows the change adds and
changes, its events with their outbox rows and what they do to the KPI projection.

A ``Write`` describes the rows; ``Dialect.write`` puts them in the database. On PostgreSQL
that is one statement (data-modifying CTEs, every part conditional on the version guard,
so it may commit on its own); on SQLite, one statement after the other in the caller's
transaction. Statements are built once per shape of write (which tables, which columns,
how many events) and reused: only the parameters change.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.store import account_facts, outbox
from hub.store.tables import accounts, events

Values = Mapping[str, Any]


class WriteConflict(Exception):
    """A concurrent writer got there first (it wrote a row a unique key allows only once,
    or changed the account read): run the use case again on fresh state."""


@dataclass(frozen=True, slots=True)
class Guard:
    """The versioned update of one account: ``values`` are written only if the account is
    still at ``read_version`` (an optimistic lock)."""

    account_id: str
    read_version: int
    values: Values


@dataclass(frozen=True, slots=True)
class Write:
    """What one change writes, all or nothing."""

    guard: Guard | None = None
    inserts: Sequence[tuple[sa.Table, Values]] = ()
    #: (table, the row's id, new values)
    updates: Sequence[tuple[sa.Table, str, Values]] = ()
    events: Sequence[Values] = ()

    def shape(self) -> Shape:
        return Shape(
            tuple(sorted(self.guard.values)) if self.guard is not None else None,
            tuple((table, tuple(row)) for table, row in self.inserts),
            tuple((table, tuple(sorted(row))) for table, _, row in self.updates),
            outbox.event_shape(len(self.events)) if self.events else 0,
        )

    def parameters(self) -> dict[str, Any]:
        """The bind parameters of the statement ``one_statement(self.shape())``."""
        out: dict[str, Any] = {}
        if self.guard is not None:
            out.update({f"g_{name}": value for name, value in self.guard.values.items()})
            out.update(g__id=self.guard.account_id, g__version=self.guard.read_version)
        for j, (_, row) in enumerate(self.inserts):
            out.update({f"i{j}_{name}": value for name, value in row.items()})
        for j, (_, id_, row) in enumerate(self.updates):
            out.update({f"u{j}_{name}": value for name, value in row.items()})
            out[f"u{j}__id"] = id_
        if self.events:
            out.update(outbox.event_parameters(self.events))
        return out


@dataclass(frozen=True, slots=True)
class Shape:
    guard: tuple[str, ...] | None
    inserts: tuple[tuple[sa.Table, tuple[str, ...]], ...]
    updates: tuple[tuple[sa.Table, tuple[str, ...]], ...]
    #: How the events travel (``outbox.event_shape``); 0 without events.
    events: int


def _bind(name: str, column: sa.Column[Any]) -> sa.BindParameter[Any]:
    return sa.bindparam(name, type_=column.type)


def _guard_update(columns: tuple[str, ...]) -> sa.Update:
    return (
        accounts.update()
        .where(
            accounts.c.id == sa.bindparam("g__id", type_=sa.String()),
            accounts.c.version == sa.bindparam("g__version", type_=sa.Integer()),
        )
        .values({name: _bind(f"g_{name}", accounts.c[name]) for name in columns})
    )


def _row_update(j: int, table: sa.Table, columns: tuple[str, ...]) -> sa.Update:
    return (
        table.update()
        .where(table.c.id == sa.bindparam(f"u{j}__id", type_=sa.String()))
        .values({name: _bind(f"u{j}_{name}", table.c[name]) for name in columns})
    )


def _row_select(prefix: str, table: sa.Table, columns: Sequence[str]) -> sa.Select[Any]:
    return sa.select(*(_bind(f"{prefix}_{c}", table.c[c]).label(c) for c in columns))


#: Statements at the head of a write (PostgreSQL), built once: their CTEs, a check that
#: fails the whole statement unless it holds (a division by it, 0 or 1), and columns the
#: statement returns after its own. See ``write_led``.
Lead = Callable[[], tuple[Sequence[Any], Any, Sequence[Any]]]


class LeadRefused(Exception):
    """A led write's check did not hold: the statement failed, so nothing was written."""


@functools.lru_cache(maxsize=256)
def one_statement(
    shape: Shape, facts: account_facts.FactsShape = account_facts.NO_FACTS, lead: Lead | None = None
) -> sa.Select[Any]:
    """PostgreSQL: the whole write as one statement returning (rows the guard matched,
    outbox rows queued), with the KPI projection's part of it (``facts``). With a guard,
    nothing is written unless it matched. With a ``lead``, its statements run too, and
    its check and columns follow."""
    ctes: list[Any] = []
    matched: Any = sa.literal_column("1")
    condition: sa.ColumnElement[bool] | None = None
    if shape.guard is not None:
        guarded = _guard_update(shape.guard).returning(sa.literal_column("1")).cte("guarded")
        matched = sa.select(sa.func.count()).select_from(guarded).scalar_subquery()
        condition = sa.exists(sa.select(sa.literal_column("1")).select_from(guarded))
    for j, (table, columns) in enumerate(shape.inserts):
        row = _row_select(f"i{j}", table, columns)
        if condition is not None:
            row = row.where(condition)
        insert = table.insert().from_select(list(columns), row)
        ctes.append(insert.returning(sa.literal_column("1")).cte(f"i{j}"))
    for j, (table, columns) in enumerate(shape.updates):
        update = _row_update(j, table, columns)
        if condition is not None:
            update = update.where(condition)
        ctes.append(update.returning(sa.literal_column("1")).cte(f"u{j}"))
    ctes += account_facts.ctes(facts, condition)
    queued: Any = sa.literal_column("0")
    columns_out: list[Any] = []
    if shape.events:
        queued, notified = outbox.append_ctes(outbox.event_rows(shape.events, condition))
        columns_out.append(notified)
    if lead is not None:
        lead_ctes, check, returned = lead()
        ctes += lead_ctes
        columns_out = [*columns_out, sa.literal_column("1") / check, *returned]
    statement = sa.select(matched, queued, *columns_out)
    for cte in ctes:  # a data-modifying CTE runs once attached, whether read or not
        statement = statement.add_cte(cte)
    return statement


async def write_in_one_statement(conn: AsyncConnection, write: Write) -> bool:
    """PostgreSQL: ``write`` as one statement; False if its guard matched no account (then
    nothing was written)."""
    matched, _ = await _one(conn, write, None, {})
    return write.guard is None or matched == 1


async def write_led(
    conn: AsyncConnection, write: Write, lead: Lead, parameters: Mapping[str, Any]
) -> Sequence[Any]:
    """PostgreSQL: ``lead``'s statements and ``write`` as one statement (bound with
    ``parameters`` too); the lead's columns, or ``LeadRefused`` if its check failed (then
    the statement wrote nothing)."""
    try:
        _, row = await _one(conn, write, lead, parameters)
    except sa.exc.DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) == _DIVISION_BY_ZERO:
            raise LeadRefused() from None
        raise
    return row[(3 if write.events else 2) + 1 :]


_DIVISION_BY_ZERO = "22012"


async def _one(
    conn: AsyncConnection, write: Write, lead: Lead | None, extra: Mapping[str, Any]
) -> tuple[int, Sequence[Any]]:
    parameters = write.parameters()
    parameters.update(extra)
    facts = account_facts.NO_FACTS
    if write.events:
        conn.info["events_written"] = True
        changes = account_facts.changes_of(write.events)
        facts = changes.shape
        parameters.update(changes.parameters())
    row = (await conn.execute(one_statement(write.shape(), facts, lead), parameters)).one()
    if row[1]:
        conn.info["outbox_written"] = True
    return row[0], row


_EVENT_IDS: sa.BindParameter[Any] = sa.bindparam("event_ids", expanding=True)


async def write_in_steps(conn: AsyncConnection, write: Write) -> bool:
    """SQLite: ``write`` one statement at a time in the caller's transaction; False if its
    guard matched no account (the caller rolls back)."""
    parameters = write.parameters()
    if write.guard is not None:
        guarded = await conn.execute(_guard_update(tuple(sorted(write.guard.values))), parameters)
        if guarded.rowcount != 1:
            return False
    for table, row in write.inserts:
        await conn.execute(table.insert(), dict(row))
    for j, (table, _, row) in enumerate(write.updates):
        await conn.execute(_row_update(j, table, tuple(sorted(row))), parameters)
    if write.events:
        conn.info["events_written"] = True
        await conn.execute(events.insert(), [dict(row) for row in write.events])
        fanned = await conn.execute(
            outbox.outbox_for(_EVENT_IDS), {"event_ids": [row["id"] for row in write.events]}
        )
        if fanned.rowcount > 0:
            conn.info["outbox_written"] = True
        await account_facts.write_in_steps(conn, account_facts.changes_of(write.events))
    return True
