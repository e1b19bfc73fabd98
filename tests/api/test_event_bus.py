"""One listener per process: the event bus wakes live subscriptions when events commit and
delivery workers when messages are queued, for this process's commits and (PostgreSQL)
every other process's, and listens again when its connection drops."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from hub.domain.events import WEBHOOK_TEST
from hub.domain.ids import new_id
from hub.domain.organization import Organization
from hub.domain.payloads import organization_event_row
from hub.store.database import Database
from hub.store.event_bus import EventBus
from hub.store.migrate import upgrade
from hub.store.pii import FieldCipher
from hub.store.unit_of_work import Store
from tests.conftest import (
    BACKENDS,
    _create_postgres_database,
    _drop_postgres_database,
    asyncpg_dsn,
    postgres_url,
)

#: Ample for a NOTIFY to arrive on a loaded machine; a missed one would wait forever.
HEARD_WITHIN = 10.0


@dataclass
class Processes:
    """Two hub processes' storage on one database: the bus listens in ``here``."""

    url: str
    here: Store
    there: Store


@asynccontextmanager
async def _two_processes(backend: str, tmp_path: Path) -> AsyncIterator[Processes]:
    pg_name = None
    if backend == "postgresql":
        pg_name = await _create_postgres_database()
        url = postgres_url(pg_name)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'evenly.db'}"
    cipher = FieldCipher(b"k" * 32)
    here, there = Store(Database(url), cipher), Store(Database(url), cipher)
    await upgrade(here.db.engine)
    try:
        yield Processes(url, here, there)
    finally:
        await here.db.dispose()
        await there.db.dispose()
        if pg_name is not None:
            await _drop_postgres_database(pg_name)


@pytest.fixture(params=BACKENDS)
async def processes(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Processes]:
    async with _two_processes(request.param, tmp_path) as found:
        yield found


@pytest.fixture
async def pg_processes(tmp_path: Path) -> AsyncIterator[Processes]:
    """Only PostgreSQL announces commits to other processes (SQLite's workers poll)."""
    async with _two_processes("postgresql", tmp_path) as found:
        yield found


class Woken:
    """Counts a bus's wake-ups of delivery workers."""

    def __init__(self, bus: EventBus) -> None:
        self.count = 0
        self._changed = asyncio.Event()
        bus.on_outbox(self._wake)

    def _wake(self) -> None:
        self.count += 1
        self._changed.set()

    async def after(self, seen: int) -> int:
        """Until there were more wake-ups than ``seen``; how many there were then."""
        async with asyncio.timeout(HEARD_WITHIN):
            while self.count <= seen:
                self._changed.clear()
                await self._changed.wait()
        return self.count


async def _organization(store: Store) -> str:
    organization = Organization(new_id("org"), "CREDITOR", "Bus", "SE", dt.datetime.now(dt.UTC))
    async with store.transaction() as uow:
        await uow.organizations.add(organization)
    return organization.id


async def _append_event(store: Store, organization_id: str) -> None:
    """An event no endpoint subscribes to: it queues no message."""
    now = dt.datetime.now(dt.UTC)
    row = organization_event_row(WEBHOOK_TEST, organization_id, False, now, {})
    async with store.transaction() as uow:
        await uow.events.append([row])


async def _queue_messages(store: Store) -> None:
    """What a replay or a retry does after queueing: announce the queue."""
    async with store.transaction() as uow:
        await uow.events.announce_outbox()


async def test_this_process_commits_wake_subscribers_and_only_queues_wake_workers(
    processes: Processes,
) -> None:
    bus = EventBus(processes.here.db)
    woken = Woken(bus)
    organization_id = await _organization(processes.here)
    waiter = bus.waiter()
    await _append_event(processes.here, organization_id)
    assert waiter.done()
    assert woken.count == 0  # an append that queued no message gives workers nothing to do
    await _queue_messages(processes.here)
    assert woken.count == 1


@asynccontextmanager
async def _listening(bus: EventBus, woken: Woken) -> AsyncIterator[int]:
    """Run the bus for the block; once it listens (it wakes everyone then), the count."""
    stop = asyncio.Event()
    running = asyncio.create_task(bus.run(stop))
    try:
        yield await woken.after(0)
    finally:
        stop.set()
        await running


async def test_other_processes_commits_wake_subscribers_and_workers(
    pg_processes: Processes,
) -> None:
    bus = EventBus(pg_processes.here.db)
    woken = Woken(bus)
    async with _listening(bus, woken) as seen:
        organization_id = await _organization(pg_processes.there)
        waiter = bus.waiter()
        await _append_event(pg_processes.there, organization_id)
        async with asyncio.timeout(HEARD_WITHIN):
            await waiter
        assert woken.count == seen  # the append queued no message: nothing for workers
        await _queue_messages(pg_processes.there)
        assert await woken.after(seen) == seen + 1


async def test_the_bus_listens_again_after_its_connection_drops(pg_processes: Processes) -> None:
    bus = EventBus(pg_processes.here.db)
    woken = Woken(bus)
    async with _listening(bus, woken) as seen:
        admin = await asyncpg.connect(asyncpg_dsn(pg_processes.url), timeout=5)
        try:
            ended = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN %'"
            )
        finally:
            await admin.close()
        assert ended == 1  # one listener for everyone in the process
        # Listening again, it wakes everyone: what was queued meanwhile was announced to none.
        seen = await woken.after(seen)
        await _queue_messages(pg_processes.there)
        await woken.after(seen)
