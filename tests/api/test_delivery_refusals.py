"""The worker connects only to public addresses, whatever the URL resolved to when saved.

The worker runs in this process on a database of its own (so it delivers only this test's
messages); the event loop's resolver answers for the names, since this machine has no DNS
to control.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
import sqlalchemy as sa
from evenly_webhooks import generate_signing_key
from prometheus_client import generate_latest

from hub.delivery.keys import WebhookSigningKey
from hub.delivery.worker import DeliveryWorker
from hub.observability import Metrics
from hub.store.event_bus import EventBus
from hub.store.tables import webhook_endpoints
from tests.api.conftest import GraphQL, OwnHub

CREATE = """mutation($url: String!) { createWebhookEndpoint(input: {url: $url}) {
  webhookEndpoint { id } userErrors { code message } } }"""
SEND_TEST = "mutation($id: ID!) { sendTestWebhook(input: {id: $id}) { eventId } }"
ATTEMPTS = """query($id: ID!) { webhookEndpoint(id: $id) {
  deliveries(first: 10) { nodes { status attempts { statusCode error } } } } }"""


class Listener:
    """A TCP port on 127.0.0.1 that counts who connects to it."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def _accept(self, _: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()

    async def __aenter__(self) -> Listener:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()


async def _one_attempt(hub: OwnHub, gql: GraphQL, endpoint_id: str) -> tuple[dict[str, Any], str]:
    """Send a test webhook with a worker running; its first attempt and the worker's metrics."""
    metrics = Metrics()
    key = WebhookSigningKey(generate_signing_key())
    services = hub.services
    worker = DeliveryWorker(
        services.store,
        services.settings,
        key,
        EventBus(services.db),
        clock=services.clock,
        metrics=metrics,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        await gql(SEND_TEST, {"id": endpoint_id})
        for _ in range(200):
            node = (await gql(ATTEMPTS, {"id": endpoint_id}))["webhookEndpoint"]
            attempts = [a for d in node["deliveries"]["nodes"] for a in d["attempts"]]
            if attempts:
                return attempts[0], generate_latest(metrics.registry).decode()
            await asyncio.sleep(0.05)
        raise AssertionError("no attempt was recorded")
    finally:
        stop.set()
        await running


async def test_a_name_rebound_to_loopback_is_refused_at_connect_time(
    own_hub: OwnHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = {"address": "93.184.216.34"}
    real_getaddrinfo = asyncio.BaseEventLoop.getaddrinfo

    async def rebinding(self: Any, host: str, port: Any, **kwargs: Any) -> Any:
        if host != "hooks.example.com":
            return await real_getaddrinfo(self, host, port, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer["address"], int(port)))]

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", rebinding)
    gql = await own_hub.tenant()
    async with Listener() as listener:
        url = f"https://hooks.example.com:{listener.port}/hook"
        created = (await gql(CREATE, {"url": url}))["createWebhookEndpoint"]
        assert created["userErrors"] == []  # public when saved
        endpoint_id = created["webhookEndpoint"]["id"]
        answer["address"] = "127.0.0.1"  # and loopback when delivered
        attempt, metrics = await _one_attempt(own_hub, gql, endpoint_id)
    assert attempt["statusCode"] is None
    assert attempt["error"].startswith("REFUSED_ADDRESS: "), attempt
    assert "127.0.0.1" in attempt["error"]
    assert listener.connections == 0
    assert 'evenly_webhook_failures_total{reason="refused_address"} 1.0' in metrics
    assert endpoint_id not in metrics


@pytest.mark.parametrize("literal", ["64:ff9b::7f00:1", "::127.0.0.1", "2002:7f00:1::1"])
async def test_an_address_saved_under_older_rules_is_refused_at_connect_time(
    own_hub: OwnHub, literal: str
) -> None:
    gql = await own_hub.tenant()
    created = (await gql(CREATE, {"url": "https://93.184.216.34/hook"}))["createWebhookEndpoint"]
    endpoint_id = created["webhookEndpoint"]["id"]
    # A URL saved before the save-time check knew these forms (aiohttp never resolves an IP
    # literal, so only the connect-time gate sees it).
    async with own_hub.services.db.transaction() as conn:
        await conn.execute(
            sa.update(webhook_endpoints)
            .where(webhook_endpoints.c.id == endpoint_id)
            .values(url=f"https://[{literal}]:9/hook")
        )
    attempt, _ = await _one_attempt(own_hub, gql, endpoint_id)
    assert attempt["error"].startswith("REFUSED_ADDRESS: "), attempt
