"""Delivered webhooks fit the published schemas: real hub process, real receiver on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import yaml
from jsonschema import Draft7Validator

from hub.domain.events import EVENT_TYPES
from tests.api.test_event_schemas import ADJUST, ASYNCAPI, FEED, RECALL, problems
from tests.conftest import PLACE, placement
from tests.e2e.conftest import HubServer
from tests.e2e.receiver import Receiver, json_of
from tests.e2e.test_webhooks import _endpoint, _gql, _start


async def _feed(hub: HubServer, token: str) -> dict[str, dict[str, Any]]:
    """Every event the token's organization may see, by id."""
    events: dict[str, dict[str, Any]] = {}
    after = None
    while True:
        page = (await _gql(hub, token, FEED, {"after": after}))["events"]
        events.update((node["id"], node) for node in page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return events
        after = page["pageInfo"]["endCursor"]


async def _produce_every_event_type(hub: HubServer, token: str) -> None:
    """Place three routed accounts; recall one with a reason, one without; adjust one."""
    ids = []
    for _ in range(3):
        placed = (await _gql(hub, token, PLACE, {"input": placement()}))["placeAccount"]
        assert placed["userErrors"] == [], placed
        ids.append(placed["account"]["id"])
    for account_id, reason in ((ids[0], "paid at checkout"), (ids[1], None)):
        recalled = await _gql(
            hub, token, RECALL, {"input": {"accountId": account_id, "reason": reason}}
        )
        assert recalled["recallAccount"]["userErrors"] == [], recalled
    adjusted = await _gql(
        hub,
        token,
        ADJUST,
        {
            "input": {
                "accountId": ids[2],
                "amount": {"amountMinor": -2500, "currency": "SEK"},
                "reason": "late fee waived",
            }
        },
    )
    assert adjusted["adjustBalance"]["userErrors"] == [], adjusted


async def test_every_delivered_body_validates_against_the_schema_of_its_type(
    hub_server: HubServer,
) -> None:
    receiver = Receiver()
    await receiver.start()
    try:
        session = _start(hub_server)
        token = session["token"]
        await _endpoint(hub_server, token, receiver.url)  # every event type
        before = set(await _feed(hub_server, token))
        await _produce_every_event_type(hub_server, token)
        feed = {k: v for k, v in (await _feed(hub_server, token)).items() if k not in before}
        assert len(feed) == 3 * 2 + 3  # placed and assigned each, two recalls, one adjustment
        await receiver.wait_for(lambda: set(receiver.delivered_ids()) >= set(feed))

        headers_schema = yaml.safe_load(ASYNCAPI.read_text())["components"]["schemas"][
            "StandardWebhookHeaders"
        ]
        delivered = [r for r in receiver.received if r.headers["webhook-id"] in feed]
        assert {json_of(r)["type"] for r in delivered} == set(EVENT_TYPES)
        for received in delivered:
            body = json_of(received)
            assert problems(received.body) == [], (body["type"], body)
            # The headers are the ones asyncapi.yaml describes.
            header_errors = [
                e.message for e in Draft7Validator(headers_schema).iter_errors(received.headers)
            ]
            assert header_errors == [], received.headers
            # The body carries the feed's event: same type, time and data.
            event = feed[received.headers["webhook-id"]]
            assert body == {
                "type": event["type"],
                "timestamp": event["occurredAt"],
                "data": event["data"],
            }
    finally:
        await receiver.stop()
