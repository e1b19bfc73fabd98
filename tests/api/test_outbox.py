"""The outbox: every event becomes a pending message for each subscribed endpoint, atomically."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa

from hub.store.tables import events, webhook_messages
from tests.api.test_webhook_endpoints import CREATE, UPDATE
from tests.conftest import PLACE, Backend, Caller, place, placement


async def _endpoint(caller: Caller, event_types: list[str]) -> str:
    payload = (
        await caller.data(
            CREATE, {"input": {"url": "https://8.8.8.8/hooks", "eventTypes": event_types}}
        )
    )["createWebhookEndpoint"]
    assert payload["userErrors"] == []
    endpoint_id: str = payload["webhookEndpoint"]["id"]
    return endpoint_id


async def _messages(backend: Backend, endpoint_ids: list[str]) -> Counter[tuple[str, str]]:
    async with backend.services.db.read() as conn:
        rows = await conn.execute(
            sa.select(webhook_messages.c.endpoint_id, events.c.type, webhook_messages.c.status)
            .join(events, events.c.id == webhook_messages.c.event_id)
            .where(webhook_messages.c.endpoint_id.in_(endpoint_ids))
        )
        found = rows.all()
    assert {status for _, _, status in found} <= {"PENDING"}
    return Counter((endpoint, type_) for endpoint, type_, _ in found)


async def test_events_fan_out_to_the_subscribed_endpoints_of_their_audience(
    routed: tuple[Caller, Caller], make_caller: Any, backend: Backend
) -> None:
    creditor, agency = routed
    placed_only = await _endpoint(creditor, ["account.placed"])
    everything = await _endpoint(agency, [])
    outsider = await _endpoint(await make_caller(), [])
    await place(creditor)
    await place(creditor)
    assert await _messages(backend, [placed_only, everything, outsider]) == Counter(
        {
            (placed_only, "account.placed"): 2,
            (everything, "account.placed"): 2,
            (everything, "account.assigned"): 2,
        }
    )


async def test_changing_the_event_types_changes_what_is_queued(
    creditor: Caller, backend: Backend
) -> None:
    endpoint = await _endpoint(creditor, ["account.placed"])
    await place(creditor)
    await creditor.data(UPDATE, {"input": {"id": endpoint, "eventTypes": ["account.recalled"]}})
    account = (await place(creditor))["account"]
    await creditor.data(
        "mutation($id: ID!) { recallAccount(input: {accountId: $id}) { userErrors { code } } }",
        {"id": account["id"]},
    )
    assert await _messages(backend, [endpoint]) == Counter(
        {(endpoint, "account.placed"): 1, (endpoint, "account.recalled"): 1}
    )


async def test_a_refused_write_queues_nothing(creditor: Caller, backend: Backend) -> None:
    endpoint = await _endpoint(creditor, [])
    first = placement()
    await creditor.data(PLACE, {"input": first})
    duplicate = (await creditor.data(PLACE, {"input": placement(reference=first["reference"])}))[
        "placeAccount"
    ]
    assert [e["code"] for e in duplicate["userErrors"]] == ["DUPLICATE_REFERENCE"]
    assert await _messages(backend, [endpoint]) == Counter({(endpoint, "account.placed"): 1})


async def test_deleting_an_endpoint_drops_its_queue(creditor: Caller, backend: Backend) -> None:
    endpoint = await _endpoint(creditor, [])
    await place(creditor)
    await creditor.data(
        "mutation($id: ID!) { deleteWebhookEndpoint(input: {id: $id}) { userErrors { code } } }",
        {"id": endpoint},
    )
    await place(creditor)
    assert await _messages(backend, [endpoint]) == Counter()
