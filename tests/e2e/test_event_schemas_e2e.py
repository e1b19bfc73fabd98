"""Delivered webhooks fit the published schemas: real hub process, real receivers on 127.0.0.1."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import yaml
from jsonschema import Draft7Validator

from hub.domain.events import EVENT_TYPES
from tests.api.test_event_schemas import (
    ACCOUNT_EVENTS,
    ASYNCAPI,
    FEED,
    check_event,
    problems,
    produce_account_events,
    send_test_webhook,
)
from tests.collection_ops import produce_collection_events
from tests.conftest import PLACE, placement
from tests.e2e.conftest import HubServer
from tests.e2e.receiver import Receiver, json_of
from tests.e2e.test_webhooks import _endpoint, _gql, _start


def _token(hub: HubServer, role: str) -> str:
    creds = hub.demo_credentials()[role]
    response = httpx.post(
        f"{hub.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(creds["client_id"], creds["client_secret"]),
    )
    token: str = response.json()["access_token"]
    return token


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


# A plan breaks only days after a missed installment (the maintenance sweep); the in-process
# feed test writes that one with a sweep at a later clock. A portal code goes to the link's
# issuer alone, an agency here: tests/e2e/test_portal_browser.py receives it on the
# agency's webhook endpoint; so does a portal payment's start (tests/api/test_portal_pay.py
# reads it on the agency's feed, tests/api/test_event_schemas.py validates it), and so do a
# portal visit and a debtor's hold request (tests/api/test_portal_prefs.py reads them on the
# issuer's feed; tests/e2e/test_portal_browser.py receives them). test_clock.ready is a
# sandbox creditor's: tests/e2e/test_simulated_agency.py receives it from its clock.
DELIVERED_TYPES = set(EVENT_TYPES) - {
    "test_clock.ready",
    "hold.requested",
    "payment_plan.broken",
    "portal.code_requested",
    "portal.payment_started",
    "portal.visited",
}


async def _until_every_type(hub: HubServer, token: str, before: set[str]) -> dict[str, Any]:
    """The new events on the feed, once every catalogued type is among them."""
    for _ in range(300):
        new = {k: v for k, v in (await _feed(hub, token)).items() if k not in before}
        if {e["type"] for e in new.values()} == DELIVERED_TYPES:
            return new
        await asyncio.sleep(0.1)
    raise AssertionError(f"missing types: {DELIVERED_TYPES - {e['type'] for e in new.values()}}")


async def test_every_delivered_body_validates_against_the_schema_of_its_type(
    hub_server: HubServer,
) -> None:
    receiver = Receiver()  # every event type, answers 204
    gone = Receiver(respond=lambda: 410)  # its endpoint gets disabled: endpoint.disabled
    await receiver.start()
    await gone.start()
    try:
        session = _start(hub_server)
        token = session["token"]
        creditor_id = hub_server.demo_credentials()["creditor"]["organization_id"]

        async def run(query: str, variables: dict[str, Any]) -> dict[str, Any]:
            data: dict[str, Any] = await _gql(hub_server, token, query, variables)
            return data

        before = set(await _feed(hub_server, token))
        endpoint_id, _ = await _endpoint(hub_server, token, receiver.url)
        await _endpoint(hub_server, token, gone.url, ["account.placed"])
        await produce_account_events(run)
        agency_token = _token(hub_server, "agency")

        async def run_agency(query: str, variables: dict[str, Any]) -> dict[str, Any]:
            data: dict[str, Any] = await _gql(hub_server, agency_token, query, variables)
            return data

        async def place() -> str:
            placed = await run(PLACE, {"input": placement()})
            account_id: str = placed["placeAccount"]["account"]["id"]
            return account_id

        collected = await produce_collection_events(run, run_agency, place)
        await send_test_webhook(run, endpoint_id)
        feed = await _until_every_type(hub_server, token, before)
        account_feed = [e for e in feed.values() if e["data"].get("account", {}).get("id")]
        assert len(account_feed) - ACCOUNT_EVENTS == len(
            [e for e in account_feed if e["data"]["account"]["id"] in collected.values()]
        )
        await receiver.wait_for(lambda: set(receiver.delivered_ids()) >= set(feed))

        headers_schema = yaml.safe_load(ASYNCAPI.read_text())["components"]["schemas"][
            "StandardWebhookHeaders"
        ]
        delivered = [r for r in receiver.received if r.headers["webhook-id"] in feed]
        assert {json_of(r)["type"] for r in delivered} == DELIVERED_TYPES
        for received in delivered:
            body = json_of(received)
            assert problems(received.body) == [], (body["type"], body)
            check_event(body, creditor_id)
            # The headers are the ones asyncapi.yaml describes.
            errors = [
                e.message for e in Draft7Validator(headers_schema).iter_errors(received.headers)
            ]
            assert errors == [], received.headers
            # The body carries the feed's event: same type, time, livemode and data (the demo
            # organizations are sandbox ones: livemode false).
            event = feed[received.headers["webhook-id"]]
            assert body == {
                "type": event["type"],
                "timestamp": event["occurredAt"],
                "livemode": event["livemode"],
                "data": event["data"],
            }
            assert body["livemode"] is False
    finally:
        await receiver.stop()
        await gone.stop()
