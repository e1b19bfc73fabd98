"""What differs between SQLite and PostgreSQL, chosen once per database.

The rest of the store asks its database's ``Dialect`` instead of testing the backend's name:
how a change is written (one statement, or one step at a time), how inserts skip or update
rows that exist, how a column is matched against a list, how due webhook messages are
claimed, whether commits of other processes are announced (LISTEN/NOTIFY).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.domain.events import EventKey
from hub.store import claims, feed_horizon, writes
from hub.store.feed_horizon import FeedBacklog
from hub.store.outbox import OUTBOX_CHANNEL
from hub.store.tables import events


class Dialect:
    """SQLite: one writer at a time (``BEGIN IMMEDIATE``), no LISTEN/NOTIFY, no txid."""

    name = "sqlite"
    is_sqlite = True
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
