"""The feed never lets a reader skip an event that commits late (commit order vs positions)."""

from __future__ import annotations

import datetime as dt

from hub.services import events as event_log
from tests.conftest import Backend, Caller, place

FEED = "query($after: String) { events(first: 100, after: $after) { nodes { id } pageInfo { endCursor } } }"


async def test_an_event_committed_late_is_not_skipped_by_a_resuming_reader(
    creditor: Caller, backend: Backend
) -> None:
    await place(creditor)
    seen = (await creditor.data(FEED))["events"]
    cursor = seen["pageInfo"]["endCursor"]
    late = {
        "id": "evt_late_" + dt.datetime.now(dt.UTC).strftime("%H%M%S%f"),
        "type": "account.placed",
        "account_id": None,
        "sequence": None,
        "creditor_id": creditor.organization_id,
        "agency_id": None,
        "data": {"note": "written by a transaction that commits last"},
        "occurred_at": dt.datetime.now(dt.UTC),
    }
    async with backend.services.db.engine.connect() as slow:
        transaction = await slow.begin()
        await event_log.append(slow, [late])  # takes its position now, commits later
        if backend.name == "sqlite":
            # SQLite serializes writers: nothing else can commit meanwhile; the order holds.
            await transaction.commit()
            after = (await creditor.data(FEED, {"after": cursor}))["events"]["nodes"]
            assert [n["id"] for n in after] == [late["id"]]
            return
        quick = (await place(creditor))["account"]["id"]
        # The quick placement committed, but a reader must not see past the late event yet.
        hidden = (await creditor.data(FEED, {"after": cursor}))["events"]["nodes"]
        assert hidden == []
        await transaction.commit()
    after = (await creditor.data(FEED, {"after": cursor}))["events"]
    ids = [n["id"] for n in after["nodes"]]
    assert ids[0] == late["id"] and len(ids) == 2  # the late event, then the quick placement
    account_events = await creditor.data(
        "query($id: ID!) { node(id: $id) { ... on Account { events { nodes { type } } } } }",
        {"id": quick},
    )
    assert [e["type"] for e in account_events["node"]["events"]["nodes"]] == ["account.placed"]
