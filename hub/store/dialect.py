"""What differs between SQLite and PostgreSQL, chosen once per database.

The rest of the store asks its database's ``Dialect`` instead of testing the backend's name:
how a change is written (one statement, or one step at a time), how inserts skip or update
rows that exist, how a column is matched against a list, how due webhook messages are
claimed, whether commits of other processes are announced (LISTEN/NOTIFY).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.domain.events import EventKey
from hub.store import claims, feed_horizon, writes
from hub.store.feed_horizon import FeedBacklog
from hub.store.outbox import OUTBOX_CHANNEL
from hub.store.tables import events


class Dialect:
    """SQLite: one writer at a time (``BEGIN IMMEDIATE``), no LISTEN/NOTIFY, no txid."""

    name = "sqlite"
    is_sqlite = True
    #: A change's write is one statement, so its reads need no transaction around them.
    writes_in_one_statement = False
    #: How a connection for reads alone is set up (no write lock on SQLite).
    read_options: Mapping[str, Any] = {"evenly_read_only": True}

    def engine_options(self, url: URL, pool_size: int) -> dict[str, Any]:
        """What the engine is created with, beside the hub's JSON functions."""
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        return {"connect_args": {"timeout": 30}}

    def configure(self, engine: AsyncEngine) -> None:
        """WAL, foreign keys, and ``BEGIN IMMEDIATE`` so concurrent writers wait instead of
        failing."""

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" hook below decide how transactions start.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            read_only = conn.get_execution_options().get("evenly_read_only", False)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    #: Whether other processes' commits are announced (NOTIFY); without it, poll.
    notifies = False

    async def write(self, conn: AsyncConnection, write: writes.Write) -> bool:
        """Write a change (see ``hub.store.writes``); False if its version guard missed."""
        return await writes.write_in_steps(conn, write)

    def insert(self, table: sa.Table) -> Any:
        """An INSERT that can say ``on_conflict_do_nothing``/``on_conflict_do_update``."""
        return sqlite.insert(table)

    def one_of(self, column: sa.ColumnElement[Any], name: str) -> sa.ColumnElement[bool]:
        """``column`` is one of the list bound to ``name``."""
        return column.in_(sa.bindparam(name, expanding=True))

    def days_between(self, later: Any, earlier: Any) -> Any:
        """Days (fractional) from the instant ``earlier`` to ``later``, in SQL."""
        return sa.func.julianday(later) - sa.func.julianday(earlier)

    def medians(self, value: Any, group: Sequence[Any], where: Sequence[Any]) -> sa.Select[Any]:
        """(group..., median of ``value``) of the rows ``where`` holds. Portably: rank within
        each group and average the middle one or two."""
        ranked = (
            sa.select(
                *group,
                value.label("value"),
                sa.func.row_number().over(partition_by=group, order_by=value).label("rank"),
                sa.func.count().over(partition_by=group).label("n"),
            )
            .where(*where)
            .subquery()
        )
        keys = [ranked.c[c.name] for c in group]
        middle = ranked.c.rank.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
        return sa.select(*keys, sa.func.avg(ranked.c.value)).where(middle).group_by(*keys)

    def readable(self, txid: Any) -> Any:
        """Whether an event (of the writing transaction ``txid``) may be read from the feed
        yet. SQLite's writers take turns, so every committed event may."""
        return sa.true()

    async def current_key(self, conn: AsyncConnection) -> EventKey:
        """The feed key every readable event is at or before (see ``hub.store.event_log``)."""
        found = await conn.scalar(sa.select(sa.func.max(events.c.position)))
        return (0, int(found or 0))

    async def feed_backlog(self, conn: AsyncConnection) -> FeedBacklog:
        """Committed events not readable yet, and the age of the oldest writer holding them."""
        return FeedBacklog()

    async def announce_outbox(self, conn: AsyncConnection) -> None:
        """Messages were queued outside an event append: wake the workers at commit."""
        conn.info["outbox_written"] = True

    async def claim(
        self,
        conn: AsyncConnection,
        *,
        limit: int,
        closed: Sequence[str],
        now: dt.datetime,
        until: dt.datetime,
    ) -> Sequence[Any]:
        """Lease up to ``limit`` due webhook messages until ``until`` (``hub.store.claims``)."""
        return await claims.claim_in_steps(conn, limit, closed, now, until)


class PostgreSQL(Dialect):
    """PostgreSQL: concurrent writers, a change in one statement, LISTEN/NOTIFY."""

    name = "postgresql"
    is_sqlite = False
    writes_in_one_statement = True
    # Single reads need no transaction: skip the BEGIN/ROLLBACK round trips.
    read_options: Mapping[str, Any] = {"isolation_level": "AUTOCOMMIT"}

    def engine_options(self, url: URL, pool_size: int) -> dict[str, Any]:
        return {
            "pool_size": pool_size,
            "max_overflow": max(pool_size // 2, 1),
            "pool_pre_ping": False,
        }

    def configure(self, engine: AsyncEngine) -> None:
        """Every connection announces itself as the hub's before its first transaction:
        feed readers wait for the transactions of such connections alone
        (``hub.store.feed_horizon``)."""

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Outside any transaction, so the session keeps the lock until it disconnects.
            dbapi_conn.run_async(lambda raw: raw.execute(feed_horizon.ANNOUNCE))

    notifies = True

    async def write(self, conn: AsyncConnection, write: writes.Write) -> bool:
        return await writes.write_in_one_statement(conn, write)

    def insert(self, table: sa.Table) -> Any:
        return postgresql.insert(table)

    def one_of(self, column: sa.ColumnElement[Any], name: str) -> sa.ColumnElement[bool]:
        # ``= ANY(array)`` binds one array parameter: far cheaper than an expanding IN.
        return column == sa.func.any(sa.bindparam(name, type_=postgresql.ARRAY(column.type)))

    def days_between(self, later: Any, earlier: Any) -> Any:
        return sa.extract("epoch", later - earlier) / 86400.0

    def medians(self, value: Any, group: Sequence[Any], where: Sequence[Any]) -> sa.Select[Any]:
        median = sa.func.percentile_cont(0.5).within_group(value)
        return sa.select(*group, median).where(*where).group_by(*group)

    def readable(self, txid: Any) -> Any:
        return feed_horizon.readable(txid)

    async def current_key(self, conn: AsyncConnection) -> EventKey:
        horizon = await conn.scalar(sa.select(feed_horizon.horizon()))
        return (int(horizon or 0), 0)

    async def feed_backlog(self, conn: AsyncConnection) -> FeedBacklog:
        row = (await conn.execute(feed_horizon.backlog())).one()
        return FeedBacklog(int(row.waiting), float(row.oldest_writer_seconds))

    async def announce_outbox(self, conn: AsyncConnection) -> None:
        conn.info["outbox_written"] = True
        await conn.execute(sa.select(sa.func.pg_notify(OUTBOX_CHANNEL, "queued")))

    async def claim(
        self,
        conn: AsyncConnection,
        *,
        limit: int,
        closed: Sequence[str],
        now: dt.datetime,
        until: dt.datetime,
    ) -> Sequence[Any]:
        return await claims.claim_skipping_locked(conn, limit, closed, now, until)


_KNOWN: Sequence[Dialect] = (Dialect(), PostgreSQL())


def dialect_named(name: str) -> Dialect:
    """The strategy of a backend by SQLAlchemy's name for it (one instance each, so
    statements built once per dialect are shared)."""
    for dialect in _KNOWN:
        if dialect.name == name:
            return dialect
    raise ValueError(f"unsupported database backend: {name}")
