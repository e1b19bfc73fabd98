"""Webhook delivery end to end: real hub process with its worker, real receivers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import httpx
import pytest
import standardwebhooks
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from evenly_webhooks import WebhookVerificationError, verify

from tests.conftest import PLACE, placement
from tests.e2e.conftest import HubServer
from tests.e2e.receiver import Receiver, json_of

CREATE = """mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { webhookEndpoint { id } secret userErrors { code message } }
}"""
FAST_RETRIES = "0,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3"


def _start(hub: HubServer, schedule: str = FAST_RETRIES, *serve_args: str) -> dict[str, Any]:
    hub.env.update(EVENLY_ALLOW_INSECURE_WEBHOOKS="1", EVENLY_WEBHOOK_RETRY_SCHEDULE=schedule)
    hub.start("--demo", *serve_args)
    creds = hub.demo_credentials()["creditor"]
    response = httpx.post(
        f"{hub.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(creds["client_id"], creds["client_secret"]),
    )
    return {"token": response.json()["access_token"]}


async def _gql(
    hub: HubServer, token: str, query: str, variables: dict[str, Any] | None = None
) -> Any:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{hub.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token}"},
        )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def _endpoint(
    hub: HubServer, token: str, url: str, types: list[str] | None = None
) -> tuple[str, str]:
    data = await _gql(hub, token, CREATE, {"input": {"url": url, "eventTypes": types or []}})
    payload = data["createWebhookEndpoint"]
    assert payload["userErrors"] == [], payload
    return payload["webhookEndpoint"]["id"], payload["secret"]


async def _feed_ids(hub: HubServer, token: str, types: list[str]) -> list[str]:
    data = await _gql(
        hub,
        token,
        "query($t: [String!]) { events(first: 100, types: $t) { nodes { id } } }",
        {"t": types},
    )
    return [n["id"] for n in data["events"]["nodes"]]


async def test_a_delivery_verifies_with_the_official_library_and_the_published_key(
    hub_server: HubServer,
) -> None:
    receiver = Receiver()
    await receiver.start()
    try:
        session = _start(hub_server)
        _, secret = await _endpoint(hub_server, session["token"], receiver.url, ["account.placed"])
        placed = (await _gql(hub_server, session["token"], PLACE, {"input": placement()}))[
            "placeAccount"
        ]
        await receiver.wait_for(lambda: len(receiver.received) >= 1)
        delivery = receiver.received[0]
        # The official Standard Webhooks library accepts the HMAC signature (v1).
        standardwebhooks.Webhook(secret).verify(delivery.body, delivery.headers)
        body = json_of(delivery)
        assert body["type"] == "account.placed"
        assert body["data"]["account"]["id"] == placed["account"]["id"]
        assert delivery.headers["webhook-id"] in await _feed_ids(
            hub_server, session["token"], ["account.placed"]
        )
        # cryptography verifies the v1a (Ed25519) signature with the key the hub publishes.
        async with httpx.AsyncClient() as client:
            keys = (await client.get(f"{hub_server.url}/.well-known/webhook-keys")).json()["keys"]
        x = keys[0]["x"]
        public = Ed25519PublicKey.from_public_bytes(
            base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
        )
        signed = (
            f"{delivery.headers['webhook-id']}.{delivery.headers['webhook-timestamp']}.".encode()
            + delivery.body
        )
        v1a = [
            p.split(",", 1)[1]
            for p in delivery.headers["webhook-signature"].split()
            if p.startswith("v1a,")
        ]
        assert v1a, delivery.headers["webhook-signature"]
        public.verify(base64.b64decode(v1a[0]), signed)
        # A receiver that re-serializes the JSON before verifying fails: verify the raw body.
        reserialized = json.dumps(json.loads(delivery.body), indent=2).encode()
        with pytest.raises(WebhookVerificationError):
            verify(reserialized, delivery.headers, secrets=[secret])
    finally:
        await receiver.stop()


async def test_a_receiver_that_was_down_gets_every_event_once_up(hub_server: HubServer) -> None:
    receiver = Receiver()
    session = _start(hub_server)
    await _endpoint(hub_server, session["token"], receiver.url)
    before = set(await _feed_ids(hub_server, session["token"], []))
    for _ in range(5):
        await _gql(hub_server, session["token"], PLACE, {"input": placement()})
    await asyncio.sleep(1.5)  # several attempts fail: nothing listens on the port yet
    await receiver.start()
    try:
        expected = set(await _feed_ids(hub_server, session["token"], [])) - before
        assert len(expected) == 5 * 2  # placed + assigned for each new account
        await receiver.wait_for(lambda: set(receiver.delivered_ids()) >= expected, within=30)
        ids = receiver.delivered_ids()
        assert set(ids) == expected
    finally:
        await receiver.stop()


async def test_a_flaky_receiver_gets_everything_eventually(hub_server: HubServer) -> None:
    import random

    # Half the requests fail; a fifth hang past the (1 s) delivery timeout.
    receiver = Receiver(
        respond=lambda: 204 if random.random() < 0.5 else 500,
        hang_probability=0.2,
        hang_seconds=1.5,
    )
    await receiver.start()
    try:
        hub_server.env["EVENLY_WEBHOOK_TIMEOUT_SECONDS"] = "1"
        session = _start(hub_server)
        await _endpoint(hub_server, session["token"], receiver.url, ["account.placed"])
        before = set(await _feed_ids(hub_server, session["token"], ["account.placed"]))
        for _ in range(10):
            await _gql(hub_server, session["token"], PLACE, {"input": placement()})
        expected = set(await _feed_ids(hub_server, session["token"], ["account.placed"])) - before
        assert len(expected) == 10
        await receiver.wait_for(lambda: set(receiver.delivered_ids()) >= expected, within=30)
        assert len(receiver.received) > len(expected)  # some were retried
    finally:
        await receiver.stop()


async def test_410_gone_disables_the_endpoint(hub_server: HubServer) -> None:
    receiver = Receiver(respond=lambda: 410)
    await receiver.start()
    try:
        session = _start(hub_server)
        endpoint_id, _ = await _endpoint(
            hub_server, session["token"], receiver.url, ["account.placed"]
        )
        await _gql(hub_server, session["token"], PLACE, {"input": placement()})
        await receiver.wait_for(lambda: len(receiver.received) >= 1)
        for _ in range(100):
            data = await _gql(
                hub_server,
                session["token"],
                "query($id: ID!) { webhookEndpoint(id: $id) { enabled disabledReason } }",
                {"id": endpoint_id},
            )
            if not data["webhookEndpoint"]["enabled"]:
                break
            await asyncio.sleep(0.05)
        assert data["webhookEndpoint"] == {
            "enabled": False,
            "disabledReason": "the receiver answered 410 Gone",
        }
        await _gql(hub_server, session["token"], PLACE, {"input": placement()})
        await asyncio.sleep(1.0)
        assert len(receiver.received) == 1
    finally:
        await receiver.stop()


DELIVERIES = """query($id: ID!) { webhookEndpoint(id: $id) { deliveries(first: 10) {
  nodes { eventId eventType status deliveredAt attempts { statusCode durationMs error } } } } }"""
REPLAY = """mutation($input: ReplayEventsInput!) { replayEvents(input: $input) { queuedCount userErrors { field code } } }"""


async def test_deliveries_show_every_attempt_and_a_replay_delivers_again(
    hub_server: HubServer,
) -> None:
    answers = iter([500, 503, 204])
    receiver = Receiver(respond=lambda: next(answers, 204))
    await receiver.start()
    try:
        session = _start(hub_server)
        token = session["token"]
        endpoint_id, secret = await _endpoint(hub_server, token, receiver.url, ["account.placed"])
        await _gql(hub_server, token, PLACE, {"input": placement()})
        await receiver.wait_for(lambda: len(receiver.delivered_ids()) == 1)
        for _ in range(100):
            node = (await _gql(hub_server, token, DELIVERIES, {"id": endpoint_id}))[
                "webhookEndpoint"
            ]
            delivery = node["deliveries"]["nodes"][0]
            if delivery["status"] == "DELIVERED":
                break
            await asyncio.sleep(0.05)
        assert delivery["status"] == "DELIVERED" and delivery["deliveredAt"]
        assert [a["statusCode"] for a in delivery["attempts"]] == [500, 503, 204]
        event_id = delivery["eventId"]
        assert receiver.delivered_ids() == [event_id]
        metrics = hub_server.metrics()
        assert 'evenly_webhook_attempts_total{outcome="retry"} 2.0' in metrics
        assert 'evenly_webhook_attempts_total{outcome="delivered"} 1.0' in metrics
        # Failures by kind, naming no endpoint: /metrics reveals no tenant.
        assert 'evenly_webhook_failures_total{reason="http_5xx"} 2.0' in metrics
        assert endpoint_id not in metrics

        replay = await _gql(
            hub_server,
            token,
            REPLAY,
            {"input": {"endpointId": endpoint_id, "eventIds": [event_id]}},
        )
        assert replay["replayEvents"] == {"queuedCount": 1, "userErrors": []}
        await receiver.wait_for(lambda: len(receiver.delivered_ids()) == 2)
        assert receiver.delivered_ids() == [event_id, event_id]  # same webhook-id: receivers dedupe
        standardwebhooks.Webhook(secret).verify(
            receiver.received[-1].body, receiver.received[-1].headers
        )
    finally:
        await receiver.stop()


async def test_operators_see_failed_deliveries_and_retry_them(hub_server: HubServer) -> None:
    status = {"code": 500}
    receiver = Receiver(respond=lambda: status["code"])
    await receiver.start()
    try:
        session = _start(hub_server, "0,0.2")  # two attempts, then FAILED
        endpoint_id, _ = await _endpoint(
            hub_server, session["token"], receiver.url, ["account.placed"]
        )
        await _gql(hub_server, session["token"], PLACE, {"input": placement()})
        await receiver.wait_for(lambda: len(receiver.received) >= 2)

        def summary() -> dict[str, Any]:
            lines = hub_server.cli("admin", "webhooks", "status").stdout.splitlines()
            entries = {e["endpoint_id"]: e for e in map(json.loads, lines)}
            return entries[endpoint_id]

        for _ in range(100):
            if summary()["messages"] == {"FAILED": 1}:
                break
            await asyncio.sleep(0.1)
        assert summary()["messages"] == {"FAILED": 1}
        status["code"] = 204
        retried = json.loads(hub_server.cli("admin", "webhooks", "retry", endpoint_id).stdout)
        assert retried == {"endpoint_id": endpoint_id, "queued": 1}
        await receiver.wait_for(lambda: len(receiver.delivered_ids()) == 1)
    finally:
        await receiver.stop()


async def test_an_endpoint_failing_for_the_whole_window_is_disabled_with_an_event(
    hub_server: HubServer,
) -> None:
    receiver = Receiver(respond=lambda: 500)
    await receiver.start()
    try:
        hub_server.env["EVENLY_WEBHOOK_DISABLE_AFTER_SECONDS"] = "1"
        session = _start(hub_server, "0,0.1")  # two attempts, then FAILED
        token = session["token"]
        endpoint_id, _ = await _endpoint(hub_server, token, receiver.url, ["account.placed"])
        await _gql(hub_server, token, PLACE, {"input": placement()})
        await receiver.wait_for(lambda: len(receiver.received) >= 2)
        state = "query($id: ID!) { webhookEndpoint(id: $id) { enabled disabledReason } }"
        assert (await _gql(hub_server, token, state, {"id": endpoint_id}))["webhookEndpoint"][
            "enabled"
        ]
        await asyncio.sleep(1.2)
        await _gql(hub_server, token, PLACE, {"input": placement()})
        for _ in range(100):
            endpoint = (await _gql(hub_server, token, state, {"id": endpoint_id}))[
                "webhookEndpoint"
            ]
            if not endpoint["enabled"]:
                break
            await asyncio.sleep(0.05)
        assert endpoint == {
            "enabled": False,
            "disabledReason": "every delivery failed for 1 second",
        }
        feed = await _gql(
            hub_server,
            token,
            '{ events(first: 100, types: ["endpoint.disabled"]) { nodes { data } } }',
        )
        assert [n["data"]["endpointId"] for n in feed["events"]["nodes"]] == [endpoint_id]
    finally:
        await receiver.stop()


async def test_a_test_send_reaches_only_that_endpoint(hub_server: HubServer) -> None:
    chosen, other = Receiver(), Receiver()
    await chosen.start()
    await other.start()
    try:
        session = _start(hub_server)
        token = session["token"]
        endpoint_id, secret = await _endpoint(hub_server, token, chosen.url, ["account.recalled"])
        await _endpoint(hub_server, token, other.url, [])
        sent = await _gql(
            hub_server,
            token,
            "mutation($id: ID!) { sendTestWebhook(input: {id: $id}) { eventId userErrors { code } } }",
            {"id": endpoint_id},
        )
        event_id = sent["sendTestWebhook"]["eventId"]
        await chosen.wait_for(lambda: chosen.delivered_ids() == [event_id])
        body = json_of(chosen.received[0])
        assert body["type"] == "webhook.test" and body["data"]["endpointId"] == endpoint_id
        standardwebhooks.Webhook(secret).verify(chosen.received[0].body, chosen.received[0].headers)
        await asyncio.sleep(0.5)
        assert other.received == []
    finally:
        await chosen.stop()
        await other.stop()


async def test_a_slow_endpoint_does_not_delay_the_others(hub_server: HubServer) -> None:
    slow = Receiver(hang_probability=1.0, hang_seconds=3)
    fast = Receiver()
    await slow.start()
    await fast.start()
    try:
        hub_server.env.update(
            EVENLY_WEBHOOK_CONCURRENCY="4", EVENLY_WEBHOOK_ENDPOINT_CONCURRENCY="2"
        )
        session = _start(hub_server)
        token = session["token"]
        await _endpoint(hub_server, token, slow.url, ["account.placed"])
        await _endpoint(hub_server, token, fast.url, ["account.placed"])
        await _burst(hub_server, token, 12)
        started = asyncio.get_running_loop().time()
        await fast.wait_for(lambda: len(fast.delivered_ids()) == 12, within=10)
        # The slow endpoint holds at most its own two slots: the fast one got everything in
        # well under one slow round (3 s), though twelve slow deliveries were queued first.
        assert asyncio.get_running_loop().time() - started < 2.5
        assert len(slow.received) <= 2
    finally:
        await slow.stop()
        await fast.stop()


async def test_during_rotation_both_secrets_verify_and_after_it_only_the_new_one(
    hub_server: HubServer,
) -> None:
    receiver = Receiver()
    await receiver.start()
    try:
        session = _start(hub_server)
        token = session["token"]
        endpoint_id, old = await _endpoint(hub_server, token, receiver.url, ["account.placed"])
        rotated = await _gql(
            hub_server,
            token,
            "mutation($id: ID!) { rotateWebhookSecret(input: {id: $id, overlapSeconds: 2}) { secret } }",
            {"id": endpoint_id},
        )
        new = rotated["rotateWebhookSecret"]["secret"]
        await _gql(hub_server, token, PLACE, {"input": placement()})
        await receiver.wait_for(lambda: len(receiver.received) == 1)
        during = receiver.received[0]
        for secret in (old, new):
            standardwebhooks.Webhook(secret).verify(during.body, during.headers)
        await asyncio.sleep(2.2)  # the overlap (2 s) is over
        await _gql(hub_server, token, PLACE, {"input": placement()})
        await receiver.wait_for(lambda: len(receiver.received) == 2)
        after = receiver.received[1]
        standardwebhooks.Webhook(new).verify(after.body, after.headers)
        with pytest.raises(standardwebhooks.WebhookVerificationError):
            standardwebhooks.Webhook(old).verify(after.body, after.headers)
    finally:
        await receiver.stop()


async def _burst(hub: HubServer, token: str, accounts: int) -> None:
    from tests.conftest import PLACE_MANY

    items = [placement() for _ in range(accounts)]
    data = await _gql(hub, token, PLACE_MANY, {"input": {"items": items}})
    assert data["placeAccounts"]["failedCount"] == 0


def _v1_signatures(received: Any) -> list[str]:
    return [p for p in received.headers["webhook-signature"].split() if p.startswith("v1,")]


async def test_a_rotated_secret_signs_the_next_delivery_and_three_at_most_sign(
    hub_server: HubServer,
) -> None:
    receiver = Receiver()
    await receiver.start()
    try:
        session = _start(hub_server)
        token = session["token"]
        endpoint_id, first = await _endpoint(hub_server, token, receiver.url, ["account.placed"])
        await _gql(hub_server, token, PLACE, {"input": placement()})
        await receiver.wait_for(lambda: len(receiver.received) == 1)  # the worker knows `first`
        rotate = "mutation($id: ID!) { rotateWebhookSecret(input: {id: $id}) { secret } }"
        issued = [first]
        issued.append(
            (await _gql(hub_server, token, rotate, {"id": endpoint_id}))["rotateWebhookSecret"][
                "secret"
            ]
        )
        # At once: a receiver that switched to the new secret accepts the next delivery.
        await _gql(hub_server, token, PLACE, {"input": placement()})
        await receiver.wait_for(lambda: len(receiver.received) == 2)
        standardwebhooks.Webhook(issued[-1]).verify(
            receiver.received[1].body, receiver.received[1].headers
        )
        for _ in range(4):
            issued.append(
                (await _gql(hub_server, token, rotate, {"id": endpoint_id}))["rotateWebhookSecret"][
                    "secret"
                ]
            )
        await _gql(hub_server, token, PLACE, {"input": placement()})
        await receiver.wait_for(lambda: len(receiver.received) == 3)
        last = receiver.received[2]
        # Six secrets issued; the newest three sign (each rotation ended the oldest overlap).
        assert len(_v1_signatures(last)) == 3
        for secret in issued[-3:]:
            standardwebhooks.Webhook(secret).verify(last.body, last.headers)
        for secret in issued[:-3]:
            with pytest.raises(standardwebhooks.WebhookVerificationError):
                standardwebhooks.Webhook(secret).verify(last.body, last.headers)
    finally:
        await receiver.stop()
