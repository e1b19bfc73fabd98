"""Wake-ups when events or webhook messages commit, in this process or another.

Subscriptions read events from the table (``events(after:)`` order, tenant clauses and
all) and delivery workers claim messages from the queue; the bus only tells them when to
look. In-process commits reach it directly (the database's listeners); on PostgreSQL one
LISTEN connection per process brings the commits of every other hub process, on both
channels: ``EVENTS_CHANNEL`` (every event append; its payload counts the messages it
queued) and ``OUTBOX_CHANNEL`` (messages queued outside an append: replays, retries). The
connection reconnects when it drops, and everyone looks again then. A subscriber also looks
on its own every ``fallback_seconds``, so a lost notification delays an event, never loses
it; workers sleep at most until the queue's next due moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from hub.store.database import Database
from hub.store.outbox import EVENTS_CHANNEL, OUTBOX_CHANNEL

log = logging.getLogger("hub.store")
_RECONNECT_SECONDS = 1.0


class EventBus:
    def __init__(self, db: Database, *, fallback_seconds: float = 5.0) -> None:
        self.db = db
        self.fallback_seconds = fallback_seconds
        self._waiters: set[asyncio.Future[None]] = set()
        self._outbox_listeners: list[Callable[[], None]] = []
        db.event_listeners.append(self.notify)
        db.outbox_listeners.append(self._outbox_queued)

    @property
    def hears_other_processes(self) -> bool:
        """Whether other processes' commits are announced here (else: poll for them)."""
        return self.db.dialect.notifies

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

    def on_outbox(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` whenever webhook messages may have been queued (a delivery
        worker's wake-up); returns the function that stops it."""
        self._outbox_listeners.append(listener)
        return lambda: self._outbox_listeners.remove(listener)

    def _outbox_queued(self, *_: Any) -> None:
        for listener in list(self._outbox_listeners):
            listener()

    def _events_appended(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.notify()
        if payload != "0":  # an append that queued no message gives workers nothing to do
            self._outbox_queued()

    async def run(self, stop: asyncio.Event) -> None:
        """Where other processes' commits are announced (PostgreSQL): LISTEN on both channels
        until ``stop``, reconnecting whenever the connection drops."""
        if not self.hears_other_processes:
            return
        url = make_url(self.db.url).set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        listening = True
        while not stop.is_set():
            try:
                conn = await asyncpg.connect(dsn)
                listening = True
                try:
                    await self._listen(conn, stop)
                finally:
                    with contextlib.suppress(Exception):
                        await conn.close()
            except Exception as error:  # the database is restarting, say: connect again
                if listening:  # once per outage, not once a second
                    log.warning("event bus: not listening", extra={"error": type(error).__name__})
                listening = False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), _RECONNECT_SECONDS)

    async def _listen(self, conn: Any, stop: asyncio.Event) -> None:
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(EVENTS_CHANNEL, self._events_appended)
        await conn.add_listener(OUTBOX_CHANNEL, self._outbox_queued)
        # Look again: what committed while not listening was announced to no one here.
        self.notify()
        self._outbox_queued()
        ended = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
        try:
            await asyncio.wait(ended, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in ended:
                task.cancel()
