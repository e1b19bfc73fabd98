"""Recording outcomes: one bad row never fails another endpoint's, and a lost lease is left
to the worker that holds the message now."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
import sqlalchemy as sa

from hub.delivery import recording
from hub.store.delivery_queue import Delivery, Outcome, Release
from hub.store.tables import webhook_messages
from tests.api.conftest import GraphQL, OwnHub

CREATE = """mutation($url: String!) { createWebhookEndpoint(input: {url: $url}) {
  webhookEndpoint { id } } }"""
SEND_TEST = "mutation($id: ID!) { sendTestWebhook(input: {id: $id}) { eventId } }"
DELIVERIES = """query($id: ID!) { webhookEndpoint(id: $id) { deliveries(first: 10) {
  nodes { status attempts { statusCode error responseSnippet } } } } }"""
LEASE = dt.timedelta(seconds=60)
DISABLE_AFTER = dt.timedelta(days=5)


async def _queued(gql: GraphQL) -> str:
    """An endpoint with one message queued for it; the endpoint's id."""
    created = await gql(CREATE, {"url": "https://93.184.216.34/hook"})
    endpoint_id: str = created["createWebhookEndpoint"]["webhookEndpoint"]["id"]
    await gql(SEND_TEST, {"id": endpoint_id})
    return endpoint_id


async def _claim(hub: OwnHub, now: dt.datetime) -> dict[str, Delivery]:
    async with hub.services.store.transaction() as uow:
        claimed = await uow.delivery_queue.claim(limit=10, closed=[], now=now, lease=LEASE)
    return {d.endpoint_id: d for d in claimed}


def _outcome(delivery: Delivery, status: int, snippet: str, at: dt.datetime) -> Outcome:
    retry = None if 200 <= status < 300 else at + dt.timedelta(hours=1)
    return Outcome(delivery, at, 12, status, snippet, None, None, retry)


async def _deliveries(gql: GraphQL, endpoint_id: str) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = (await gql(DELIVERIES, {"id": endpoint_id}))["webhookEndpoint"][
        "deliveries"
    ]["nodes"]
    return nodes


async def test_an_outcome_that_cannot_be_stored_fails_no_other_endpoints_outcome(
    own_hub: OwnHub,
) -> None:
    hostile, healthy = await own_hub.tenant(), await own_hub.tenant()
    bad_endpoint, good_endpoint = await _queued(hostile), await _queued(healthy)
    now = own_hub.services.clock()
    claimed = await _claim(own_hub, now)
    # A lone surrogate: neither database encoding takes it (the worker's own text never has
    # one; this stands for whatever else a batch might choke on).
    bad = _outcome(claimed[bad_endpoint], 500, "\udcff\x00", now)
    good = _outcome(claimed[good_endpoint], 204, "", now)
    unwritten = await recording.record(
        own_hub.services.store, [bad, good], now=now, disable_after=DISABLE_AFTER
    )
    assert unwritten == []
    [delivered] = await _deliveries(healthy, good_endpoint)
    assert delivered == {
        "status": "DELIVERED",
        "attempts": [{"statusCode": 204, "error": None, "responseSnippet": ""}],
    }
    [retried] = await _deliveries(hostile, bad_endpoint)
    assert retried == {
        "status": "PENDING",
        "attempts": [{"statusCode": 500, "error": recording.UNRECORDABLE, "responseSnippet": None}],
    }


async def test_a_worker_that_lost_its_lease_overwrites_nothing(own_hub: OwnHub) -> None:
    gql = await own_hub.tenant()
    first, second = await _queued(gql), await _queued(gql)
    now = own_hub.services.clock()
    stale = await _claim(own_hub, now)
    # Both leases run out and another worker claims the messages again.
    later = now + LEASE + dt.timedelta(seconds=1)
    current = await _claim(own_hub, later)
    assert set(current) == {first, second}
    written = await recording.record(
        own_hub.services.store,
        [_outcome(stale[first], 204, "", now), Release(stale[second], None)],
        now=later,
        disable_after=DISABLE_AFTER,
    )
    assert written == []
    # The attempt happened, so it is in the log; the message stays the other worker's.
    [delivery] = await _deliveries(gql, first)
    assert delivery["status"] == "SENDING" and len(delivery["attempts"]) == 1
    [unsent] = await _deliveries(gql, second)
    assert unsent == {"status": "SENDING", "attempts": []}
    # The worker that holds them now records normally.
    await recording.record(
        own_hub.services.store,
        [_outcome(current[first], 204, "", later), Release(current[second], None)],
        now=later,
        disable_after=DISABLE_AFTER,
    )
    assert (await _deliveries(gql, first))[0]["status"] == "DELIVERED"
    assert (await _deliveries(gql, second))[0]["status"] == "PENDING"


async def test_a_message_deleted_while_out_for_delivery_drops_only_its_outcome(
    own_hub: OwnHub, caplog: pytest.LogCaptureFixture
) -> None:
    gql = await own_hub.tenant()
    kept, gone = await _queued(gql), await _queued(gql)
    now = own_hub.services.clock()
    claimed = await _claim(own_hub, now)
    # A sandbox reset deletes one message while the worker holds both.
    async with own_hub.services.store.transaction() as uow:
        await uow.conn.execute(
            sa.delete(webhook_messages).where(webhook_messages.c.id == claimed[gone].message_id)
        )
    with caplog.at_level(logging.ERROR, logger="hub.delivery"):
        unwritten = await recording.record(
            own_hub.services.store,
            [_outcome(claimed[kept], 204, "", now), _outcome(claimed[gone], 204, "", now)],
            now=now,
            disable_after=DISABLE_AFTER,
        )
    assert unwritten == []
    assert [r.getMessage() for r in caplog.records if r.name == "hub.delivery"] == []
    [delivered] = await _deliveries(gql, kept)
    assert delivered["status"] == "DELIVERED" and len(delivered["attempts"]) == 1
    assert await _deliveries(gql, gone) == []
