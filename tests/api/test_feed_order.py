"""The feed never lets a reader skip an event that commits late.

The feed is ordered by (writing transaction id, position) and a reader only takes events
whose transaction is older than every one still open (see ``hub.services.events``).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from hub.services import events as event_log
from tests.conftest import Backend, Caller, place

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


async def _feed_ids(creditor: Caller, cursor: str) -> list[str]:
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
        await event_log.append(slow, [late])  # draws its position now, commits later
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
        await event_log.append(older, [late])
        await transaction.commit()
    ids = await _feed_ids(creditor, cursor)
    assert len(ids) == 2 and ids[0] == late["id"]
    async with backend.services.db.read() as conn:
        rows = await conn.execute(
            sa.select(event_log.events.c.id, event_log.events.c.position).where(
                event_log.events.c.id.in_(ids)
            )
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
