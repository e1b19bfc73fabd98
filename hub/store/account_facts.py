"""The KPIs' projection: one row of collection facts per assigned account, kept by the write
of the events that change it.

``hub.store.writes`` asks ``changes_of`` what a write's events do to the projection (the
rules are ``hub.domain.collection_facts``): an ``account.assigned`` event inserts the
account's row, later events add their delta to it, and each appends its delta rows to the
daily rollups (``hub.store.kpi_rollups``). On PostgreSQL those are more CTEs of the
write's one statement, under the same version guard; on SQLite, more statements in the same
transaction. ``hub.store.kpis`` reads the rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.domain.collection_facts import COUNTS, Assignment, FactsDelta, assignment_of, delta_of
from hub.store import json_rows, kpi_rollups
from hub.store.tables import account_facts

_START = ("account_id", "creditor_id", "agency_id", "assigned_at", "currency", "country")
#: What a new row is given; its counts start at 0 (written as literals on PostgreSQL, so a
#: placement batch's JSON carries only these).
_GIVEN = (*_START, "placed_minor", "experiment_id")
INSERT_COLUMNS = (*_GIVEN, *COUNTS)


@dataclass(frozen=True, slots=True)
class FactsShape:
    """Which statements a write needs: whether it starts rows, how many rows it moves."""

    starts: bool = False
    moves: int = 0


#: A write that does not touch the projection.
NO_FACTS = FactsShape()


@dataclass(frozen=True, slots=True)
class FactsChanges:
    """What one write's events do to the projection."""

    starts: Sequence[Assignment] = ()
    #: (account id, delta), one per account with a non-empty delta
    moves: Sequence[tuple[str, FactsDelta]] = ()

    @property
    def shape(self) -> FactsShape:
        return FactsShape(bool(self.starts), len(self.moves))

    def parameters(self) -> dict[str, Any]:
        """The bind parameters of ``ctes(self.shape, ...)``."""
        out: dict[str, Any] = {}
        if self.starts:
            out["f_rows"] = json_rows.parameter([_given(a) for a in self.starts])
            out.update(kpi_rollups.start_parameters(self.starts))
        for j, (account_id, delta) in enumerate(self.moves):
            out[f"d{j}__id"] = account_id
            out[f"d{j}_first_payment_at"] = delta.first_payment_at
            out.update({f"d{j}_{name}": value for name, value in delta.counts().items()})
        return out


def changes_of(events: Sequence[Mapping[str, Any]]) -> FactsChanges:
    """The projection's part of a write of ``events``. An account's delta comes from its
    events after its assignment; a write does not assign an account and move it too."""
    starts = [a for a in map(assignment_of, events) if a is not None]
    moves = []
    of_accounts = [e for e in events if e.get("account_id") is not None]
    for account_id, group in itertools.groupby(of_accounts, key=lambda e: e["account_id"]):
        delta = delta_of(group)
        if not delta.is_empty:
            moves.append((account_id, delta))
    return FactsChanges(starts, moves)


def _given(a: Assignment) -> dict[str, Any]:
    row = {name: getattr(a, name) for name in _START}
    return {**row, "placed_minor": a.placed_minor, "experiment_id": a.experiment_id}


def _start_row(a: Assignment) -> dict[str, Any]:
    return {**_given(a), **dict.fromkeys(COUNTS, 0)}


def _move(j: int) -> sa.Update:
    f = account_facts
    first = sa.bindparam(f"d{j}_first_payment_at", type_=f.c.first_payment_at.type)
    return (
        f.update()
        .where(f.c.account_id == sa.bindparam(f"d{j}__id", type_=sa.String()))
        .values(
            {
                **{
                    name: f.c[name] + sa.bindparam(f"d{j}_{name}", type_=f.c[name].type)
                    for name in COUNTS
                },
                "first_payment_at": sa.func.coalesce(f.c.first_payment_at, first),
            }
        )
    )


def ctes(shape: FactsShape, condition: sa.ColumnElement[bool] | None) -> list[Any]:
    """PostgreSQL: the projection's CTEs of a write (each only where ``condition`` holds)."""
    out: list[Any] = []
    if shape.starts:
        given = json_rows.rows_of(account_facts, _GIVEN, "f_rows")
        rows = given.add_columns(*(sa.literal_column("0").label(name) for name in COUNTS))
        if condition is not None:
            rows = rows.where(condition)
        insert = account_facts.insert().from_select(list(INSERT_COLUMNS), rows)
        out.append(insert.returning(sa.literal_column("1")).cte("facts_started"))
    for j in range(shape.moves):
        move = _move(j)
        if condition is not None:
            move = move.where(condition)
        out.append(move.returning(sa.literal_column("1")).cte(f"facts_moved{j}"))
    return out + kpi_rollups.ctes(shape.starts, shape.moves, condition)


async def write_in_steps(conn: AsyncConnection, changes: FactsChanges) -> None:
    """SQLite: the projection's part of a write, in the caller's transaction."""
    if changes.starts:
        await conn.execute(account_facts.insert(), [_start_row(a) for a in changes.starts])
        await kpi_rollups.write_starts(conn, changes.starts)
    parameters = changes.parameters()
    for j in range(len(changes.moves)):
        await kpi_rollups.write_move(conn, j, parameters)  # from the facts before the move
        await conn.execute(_move(j), parameters)
