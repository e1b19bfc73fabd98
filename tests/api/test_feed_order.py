"""The feed never lets a reader skip an event that commits late, and only the hub's own
transactions hold it back.

The feed is ordered by (writing transaction id, position) and a reader only takes events
below a horizon that the hub's open transactions bound, not other programs' (see
``hub.store.feed_horizon``).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import random
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from hub.store import feed_horizon
from hub.store.tables import events
from tests.conftest import (
    Backend,
    Caller,
    append_events,
    asyncpg_dsn,
    foreign_write_transaction,
    place,
    scrape_metrics,
)

FEED = "query($after: String) { events(first: 100, after: $after) { nodes { id } pageInfo { endCursor } } }"


def _late_event(creditor: Caller) -> dict[str, Any]:
    return {
        "id": "evt_late_" + dt.datetime.now(dt.UTC).strftime("%H%M%S%f"),
        "type": "account.placed",
        "account_id": None,
        "sequence": None,
        "creditor_id": creditor.organization_id,
        "agency_id": None,
        "data": {"note": "written by a transaction that is slow to commit"},
        "occurred_at": dt.datetime.now(dt.UTC),
    }


async def _feed_ids(creditor: Caller, cursor: str | None) -> list[str]:
    return [n["id"] for n in (await creditor.data(FEED, {"after": cursor}))["events"]["nodes"]]


async def test_an_event_that_commits_late_is_not_skipped(
    creditor: Caller, backend: Backend
) -> None:
    await place(creditor)
    cursor = (await creditor.data(FEED))["events"]["pageInfo"]["endCursor"]
    late = _late_event(creditor)
    async with backend.services.db.engine.connect() as slow:
        transaction = await slow.begin()
        if backend.name == "sqlite":
            await slow.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE: the write lock is held
        await append_events(
            backend.services.db, slow, [late]
        )  # draws its position now, commits later
        quick = asyncio.create_task(place(creditor))
        await asyncio.sleep(0.3)
        if backend.name == "sqlite":
            assert not quick.done()  # writers take turns
        else:
            await quick  # commits at once, but its event waits for the older transaction
        assert await _feed_ids(creditor, cursor) == []
        await transaction.commit()
    quick_account = (await quick)["account"]["id"]
    ids = await _feed_ids(creditor, cursor)
    assert ids[0] == late["id"] and len(ids) == 2
    account_events = await creditor.data(
        "query($id: ID!) { node(id: $id) { ... on Account { events { nodes { id } } } } }",
        {"id": quick_account},
    )
    assert [e["id"] for e in account_events["node"]["events"]["nodes"]] == ids[1:]


async def test_an_older_transaction_writing_last_comes_first(
    creditor: Caller, backend: Backend
) -> None:
    """The older transaction's event takes a higher position than the younger one's, which
    commits first: the feed holds the younger one back, then shows both in txid order."""
    if backend.name == "sqlite":
        pytest.skip("SQLite has one writer at a time: no older transaction can be open")
    await place(creditor)
    cursor = (await creditor.data(FEED))["events"]["pageInfo"]["endCursor"]
    late = _late_event(creditor)
    async with backend.services.db.engine.connect() as older:
        transaction = await older.begin()
        await older.execute(sa.select(sa.func.pg_current_xact_id()))  # its id is taken now
        younger = (await place(creditor))["account"]["id"]
        assert await _feed_ids(creditor, cursor) == []
        await append_events(backend.services.db, older, [late])
        await transaction.commit()
    ids = await _feed_ids(creditor, cursor)
    assert len(ids) == 2 and ids[0] == late["id"]
    async with backend.services.db.read() as conn:
        rows = await conn.execute(
            sa.select(events.c.id, events.c.position).where(events.c.id.in_(ids))
        )
        position = {row.id: row.position for row in rows}
    assert position[late["id"]] > position[ids[1]]  # the feed is not in position order here
    account_events = await creditor.data(
        "query($id: ID!) { node(id: $id) { ... on Account { events { nodes { id } } } } }",
        {"id": younger},
    )
    assert [e["id"] for e in account_events["node"]["events"]["nodes"]] == ids[1:]


async def test_a_cursor_out_of_range_or_malformed_is_invalid(creditor: Caller) -> None:
    await place(creditor)
    cursor = (await creditor.data(FEED))["events"]["pageInfo"]["endCursor"]
    assert (await creditor.data(FEED, {"after": cursor}))["events"]["nodes"] == []
    for value in ["9" * 20, "1:" + "9" * 20, "9" * 20 + ":1", "-1", "1:", ":5", "²", "1:2:3"]:
        bad = base64.urlsafe_b64encode(f"event:{value}".encode()).decode().rstrip("=")
        body = await creditor.graphql(FEED, {"after": bad})
        assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR", value


async def _feed_metrics(http: httpx.AsyncClient) -> dict[str, float]:
    text = await scrape_metrics(http)
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("evenly_feed_")
    }


@pytest.fixture
def pg_backend(backend: Backend) -> Backend:
    """The PostgreSQL backend (asked for first, so SQLite skips before anything is set up)."""
    if backend.name == "sqlite":
        pytest.skip("SQLite has one writer at a time: no other transaction can be open")
    return backend


async def test_a_write_transaction_in_another_database_holds_nothing_back(
    pg_backend: Backend, creditor: Caller, operated: httpx.AsyncClient, other_database: str
) -> None:
    """The cluster's oldest open transaction is another database's: the feed does not wait
    for it (the hub's transactions are the only ones that write events)."""
    await place(creditor)
    cursor = (await creditor.data(FEED))["events"]["pageInfo"]["endCursor"]
    async with foreign_write_transaction(other_database):
        placed = [(await place(creditor))["account"]["id"] for _ in range(10)]
        ids = await _feed_ids(creditor, cursor)
        assert len(ids) == 10
        metrics = await _feed_metrics(operated)
    assert metrics["evenly_feed_events_waiting"] == 0
    assert metrics["evenly_feed_oldest_writer_seconds"] == 0
    feed = await creditor.data("{ events(first: 100) { nodes { id data } } }")
    by_id = {n["id"]: n["data"]["account"]["id"] for n in feed["events"]["nodes"]}
    assert [by_id[i] for i in ids] == placed


async def test_a_transaction_in_this_database_that_writes_no_events_holds_nothing_back(
    pg_backend: Backend, creditor: Caller
) -> None:
    """Another program's write transaction in the hub's own database (a report, a manual
    fix) writes no events, so the feed does not wait for it either."""
    await place(creditor)
    cursor = (await creditor.data(FEED))["events"]["pageInfo"]["endCursor"]
    async with foreign_write_transaction(asyncpg_dsn(pg_backend.database_url)):
        for _ in range(10):
            await place(creditor)
        assert len(await _feed_ids(creditor, cursor)) == 10


async def test_events_waiting_for_an_open_hub_transaction_show_in_the_metrics(
    pg_backend: Backend, creditor: Caller, operated: httpx.AsyncClient
) -> None:
    await place(creditor)
    cursor = (await creditor.data(FEED))["events"]["pageInfo"]["endCursor"]
    async with pg_backend.services.db.engine.connect() as older:
        transaction = await older.begin()
        await older.execute(sa.select(sa.func.pg_current_xact_id()))  # its id is taken now
        await place(creditor)
        await place(creditor)
        await asyncio.sleep(0.3)
        held = await _feed_metrics(operated)
        assert await _feed_ids(creditor, cursor) == []
        await transaction.rollback()
    assert held["evenly_feed_oldest_writer_seconds"] >= 0.3
    assert held["evenly_feed_events_waiting"] == len(await _feed_ids(creditor, cursor)) == 2
    assert await _feed_metrics(operated) == {
        "evenly_feed_events_waiting": 0,
        "evenly_feed_oldest_writer_seconds": 0,
    }


async def test_a_hub_transaction_that_ends_while_a_reader_reads_still_bounds_it(
    pg_backend: Backend, creditor: Caller
) -> None:
    """The hub's transaction is in progress in the reader's snapshot and commits before the
    reader looks at the lock table: the reader cannot see it running any more, and must
    still not read past it (its events are invisible to that snapshot)."""
    db = pg_backend.services.db
    async with db.engine.connect() as writer:
        transaction = await writer.begin()
        taken = await writer.execute(sa.select(sa.cast(sa.func.pg_current_xact_id(), sa.Text)))
        txid = int(taken.scalar_one())
        await place(creditor)  # a younger transaction ends: the writer is below the xmax
        async with db.read() as conn:
            # The snapshot is taken as the statement starts, the lock table read after
            # the pause (the select list is evaluated in order).
            reading = asyncio.create_task(
                conn.execute(sa.select(sa.func.pg_sleep(0.5), feed_horizon.horizon()))
            )
            await asyncio.sleep(0.2)
            await append_events(pg_backend.services.db, writer, [_late_event(creditor)])
            await transaction.commit()
            horizon = (await reading).one()[1]
    assert horizon <= txid


async def test_readers_racing_writers_and_other_programs_skip_nothing(
    pg_backend: Backend, creditor: Caller, other_database: str
) -> None:
    """Hub transactions that take their id early and commit late (or roll back), other
    programs' transactions coming and going in this database and another, and a reader
    paging after its cursor all the while: it reads every committed event exactly once, in
    the feed's final order."""
    cursor: str | None = None  # the creditor is new: its feed is empty
    chance = random.Random(7)
    committed: list[str] = []
    writing, settled = True, False

    async def hub_writer() -> None:
        for _ in range(6):
            async with pg_backend.services.db.engine.connect() as conn:
                transaction = await conn.begin()
                if chance.random() < 0.5:
                    await conn.execute(sa.select(sa.func.pg_current_xact_id()))
                await asyncio.sleep(chance.uniform(0, 0.05))
                rows = [_late_event(creditor) for _ in range(chance.randint(1, 3))]
                for row in rows:
                    row["id"] += f"_{chance.randrange(10**9)}"
                await append_events(pg_backend.services.db, conn, rows)
                await asyncio.sleep(chance.uniform(0, 0.05))
                if chance.random() < 0.2:
                    await transaction.rollback()
                else:
                    await transaction.commit()
                    committed.extend(row["id"] for row in rows)

    async def other_program(dsn: str) -> None:
        while writing:
            async with foreign_write_transaction(dsn):
                await asyncio.sleep(chance.uniform(0, 0.1))

    async def reader() -> list[str]:
        seen: list[str] = []
        after = cursor
        while True:
            done = settled  # then this read comes after every transaction has ended
            page = (await creditor.data(FEED, {"after": after}))["events"]
            seen += [n["id"] for n in page["nodes"]]
            after = page["pageInfo"]["endCursor"] or after
            if done and not page["nodes"]:
                return seen
            await asyncio.sleep(0.005)

    others = [
        asyncio.create_task(other_program(dsn))
        for dsn in (other_database, asyncpg_dsn(pg_backend.database_url))
    ]
    reading = asyncio.create_task(reader())
    await asyncio.gather(*(hub_writer() for _ in range(4)), place(creditor))
    writing = False
    await asyncio.gather(*others)
    settled = True
    seen = await asyncio.wait_for(reading, timeout=30)
    final = await _feed_ids(creditor, cursor)
    assert seen == final
    assert set(committed) <= set(final) and len(final) == len(committed) + 1
