"""Wake-ups for live subscriptions when events commit, in this process or another.

Subscriptions read events from the table (``events(after:)`` order, tenant clauses and
all); the bus only tells them when to look. In-process commits call ``notify`` directly
(the database's event listeners); on PostgreSQL a LISTEN connection on the events channel
brings the commits of every other hub process. A subscriber also looks on its own every
``fallback_seconds``, so a lost notification delays an event, never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from hub.store.database import Database
from hub.store.outbox import EVENTS_CHANNEL


class EventBus:
    def __init__(self, db: Database, *, fallback_seconds: float = 5.0) -> None:
        self.db = db
        self.fallback_seconds = fallback_seconds
        self._waiters: set[asyncio.Future[None]] = set()
        db.event_listeners.append(self.notify)

    def notify(self, *_: Any) -> None:
        """Events committed: wake every waiting subscriber."""
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def waiter(self) -> asyncio.Future[None]:
        """A future the next ``notify`` completes. Take it *before* reading, then wait on it
        if the read found nothing: a commit between the read and the wait is not missed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(future)
        return future

    async def wait(self, waiter: asyncio.Future[None], at_most: float | None = None) -> None:
        """Until ``waiter`` completes or ``at_most`` seconds (the fallback interval) pass."""
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout=at_most or self.fallback_seconds)
        except TimeoutError:
            self._waiters.discard(waiter)

    async def run(self, stop: asyncio.Event) -> None:
        """PostgreSQL: LISTEN for other processes' commits until ``stop``; reconnects."""
        if self.db.is_sqlite:
            return
        dsn = (
            make_url(self.db.url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        while not stop.is_set():
            try:
                conn = await asyncpg.connect(dsn)
            except (OSError, asyncpg.PostgresError):
                await asyncio.sleep(1)
                continue
            lost = asyncio.Event()
            try:
                conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
                await conn.add_listener(EVENTS_CHANNEL, self.notify)
                self.notify()  # look again: commits while not listening were not announced
                ended = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
                _, pending = await asyncio.wait(ended, return_when=asyncio.FIRST_COMPLETED)
                for task in pending:
                    task.cancel()
            finally:
                with contextlib.suppress(Exception):
                    await conn.close()
