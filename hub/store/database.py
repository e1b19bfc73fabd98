"""The async engine and transactions, on SQLite (default) or PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from hub.store.availability import unavailable_as_error
from hub.store.dialect import Dialect, dialect_named


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class Database:
    """Owns the engine. Services get a connection inside one transaction from ``transaction()``.

    Inside every block these methods open, a failure that means the database cannot be
    reached raises ``hub.store.availability.DatabaseUnavailable``.
    """

    def __init__(
        self, url: str, *, echo: bool = False, pool_size: int = 20, **engine_options: Any
    ) -> None:
        self.url = url
        parsed = make_url(url)
        #: What differs between the backends, chosen here once (``hub.store.dialect``).
        self.dialect: Dialect = dialect_named(parsed.get_backend_name())
        kwargs: dict[str, Any] = {
            "echo": echo,
            "json_serializer": _json_dumps,
            "json_deserializer": orjson.loads,
        }
        kwargs.update(self.dialect.engine_options(parsed, pool_size))
        kwargs.update(engine_options)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        self.dialect.configure(self.engine)
        #: Called after a transaction that wrote outbox rows commits (in-process workers).
        self.outbox_listeners: list[Callable[[], None]] = []
        #: Called after a transaction that wrote events commits (live subscriptions).
        self.event_listeners: list[Callable[[], None]] = []

    @property
    def is_sqlite(self) -> bool:
        return self.dialect.is_sqlite

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with unavailable_as_error():
            async with self.engine.begin() as conn:
                self._written(conn)  # flags left over by a rolled-back transaction: dropped
                yield conn
                written = self._written(conn)
        self._tell_listeners(*written)

    @asynccontextmanager
    async def optimistic(self) -> AsyncIterator[AsyncConnection]:
        """A read-then-write unit whose write is one statement checked by a version guard.

        On PostgreSQL every statement commits on its own (no BEGIN or COMMIT round trips):
        the reads need no transaction, since the write checks the version they read, and the
        write is a single statement (``hub.store.writes``). On SQLite the whole block is one
        transaction, as ``transaction()``.
        """
        if not self.dialect.writes_in_one_statement:
            async with self.transaction() as conn:
                yield conn
            return
        with unavailable_as_error():
            async with self.engine.connect() as conn:
                self._written(conn)  # flags left over by a rolled-back transaction: dropped
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                try:
                    yield conn
                    await conn.commit()
                except BaseException:
                    await conn.rollback()
                    raise
                written = self._written(conn)
        self._tell_listeners(*written)

    @staticmethod
    def _written(conn: AsyncConnection) -> tuple[bool, bool]:
        """Whether the connection wrote outbox rows and events since last asked."""
        return conn.info.pop("outbox_written", False), conn.info.pop("events_written", False)

    def _tell_listeners(self, wrote_outbox: bool, wrote_events: bool) -> None:
        if wrote_outbox:
            for listener in self.outbox_listeners:
                listener()
        if wrote_events:
            for listener in self.event_listeners:
                listener()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads (no write lock on SQLite)."""
        with unavailable_as_error():
            async with self.engine.connect() as conn:
                await conn.execution_options(**self.dialect.read_options)
                yield conn

    async def ping(self) -> None:
        """One trivial query; raises ``DatabaseUnavailable`` if the database does not answer."""
        async with self.read() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
