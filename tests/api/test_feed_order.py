"""The feed never lets a reader skip an event that commits late (positions in commit order)."""

from __future__ import annotations

import asyncio
import datetime as dt

from hub.services import events as event_log
from tests.conftest import Backend, Caller, place

FEED = "query($after: String) { events(first: 100, after: $after) { nodes { id } pageInfo { endCursor } } }"


async def test_events_take_positions_in_commit_order(creditor: Caller, backend: Backend) -> None:
    await place(creditor)
    cursor = (await creditor.data(FEED))["events"]["pageInfo"]["endCursor"]
    late = {
        "id": "evt_late_" + dt.datetime.now(dt.UTC).strftime("%H%M%S%f"),
        "type": "account.placed",
        "account_id": None,
        "sequence": None,
        "creditor_id": creditor.organization_id,
        "agency_id": None,
        "data": {"note": "written by a transaction that is slow to commit"},
        "occurred_at": dt.datetime.now(dt.UTC),
    }
    async with backend.services.db.engine.connect() as slow:
        transaction = await slow.begin()
        if backend.name == "sqlite":
            await slow.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE: the write lock is held
        await event_log.append(slow, [late])  # draws its position now, commits later
        quick = asyncio.create_task(place(creditor))
        await asyncio.sleep(0.3)
        # Another writer cannot commit events meanwhile, so nothing passes the late event.
        assert not quick.done()
        assert (await creditor.data(FEED, {"after": cursor}))["events"]["nodes"] == []
        await transaction.commit()
    quick_account = (await quick)["account"]["id"]
    ids = [n["id"] for n in (await creditor.data(FEED, {"after": cursor}))["events"]["nodes"]]
    assert ids[0] == late["id"] and len(ids) == 2
    account_events = await creditor.data(
        "query($id: ID!) { node(id: $id) { ... on Account { events { nodes { id } } } } }",
        {"id": quick_account},
    )
    assert [e["id"] for e in account_events["node"]["events"]["nodes"]] == ids[1:]
