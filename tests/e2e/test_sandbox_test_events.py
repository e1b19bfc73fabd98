"""sendTestEvent: a sample of every event type, through the real worker to a real receiver,
each body signed, valid against the schema of its type and marked ``livemode: false``."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.domain.events import EVENT_TYPES
from tests.api.test_event_schemas import check_event, problems
from tests.e2e.conftest import HubServer
from tests.e2e.receiver import Receiver, json_of
from tests.e2e.test_demo_webhooks import _verifies
from tests.e2e.test_webhooks import _endpoint, _gql, _start
from tests.e2e.ws_client import subscriber

SEND = """mutation($input: SendTestEventInput!) {
  sendTestEvent(input: $input) { eventId userErrors { field code message } } }"""
DELIVERIES = """query($id: ID!) { webhookEndpoint(id: $id) {
  deliveries(first: 100) { nodes { eventId eventType status attempts { statusCode } } } } }"""


async def test_every_event_type_can_be_sent_as_a_sample_to_a_real_receiver(
    hub_server: HubServer,
) -> None:
    receiver = Receiver()
    await receiver.start()
    try:
        token = _start(hub_server)["token"]
        creditor_id = hub_server.demo_credentials()["creditor"]["organization_id"]
        # Subscribed to one type: a sample goes to its endpoint whatever the types.
        endpoint_id, secret = await _endpoint(hub_server, token, receiver.url, ["account.placed"])
        sent: dict[str, str] = {}
        for event_type in sorted(EVENT_TYPES):
            data = await _gql(
                hub_server, token, SEND, {"input": {"endpointId": endpoint_id, "type": event_type}}
            )
            payload: dict[str, Any] = data["sendTestEvent"]
            assert payload["userErrors"] == [], (event_type, payload)
            sent[payload["eventId"]] = event_type
        await receiver.wait_for(lambda: set(receiver.delivered_ids()) >= set(sent), within=60)
        for received in receiver.received:
            body = json_of(received)
            event_id = received.headers["webhook-id"]
            assert body["type"] == sent[event_id]
            assert problems(body) == [], (body["type"], problems(body))
            assert body["livemode"] is False
            check_event(body, creditor_id)
            assert _verifies(secret, received.body, received.headers)
        logged = (await _gql(hub_server, token, DELIVERIES, {"id": endpoint_id}))[
            "webhookEndpoint"
        ]["deliveries"]["nodes"]
        assert {d["eventId"]: d["eventType"] for d in logged} == sent
        assert {d["status"] for d in logged} == {"DELIVERED"}
    finally:
        await receiver.stop()


async def test_a_subscription_carries_livemode_false_for_a_sandbox_organization(
    hub_server: HubServer,
) -> None:
    token = _start(hub_server)["token"]
    endpoint_id, _ = await _endpoint(hub_server, token, "sink://ok")
    async with subscriber(hub_server.url, token) as live:
        await live.subscribe(
            'subscription { organizationEvents(types: ["hold.placed"]) { id type livemode } }'
        )
        await asyncio.sleep(0.5)
        data = await _gql(
            hub_server, token, SEND, {"input": {"endpointId": endpoint_id, "type": "hold.placed"}}
        )
        [event] = await live.events(1)
    assert event == {
        "id": data["sendTestEvent"]["eventId"],
        "type": "hold.placed",
        "livemode": False,
    }
