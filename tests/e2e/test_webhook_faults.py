"""Delivery under faults: a worker killed mid-burst, several workers sharing one queue,
hostile, paused and slow receivers beside healthy ones."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.conftest import PLACE_MANY, placement
from tests.e2e.conftest import HubServer
from tests.e2e.hostile import BEHAVIOURS, HostileReceiver
from tests.e2e.receiver import Receiver
from tests.e2e.test_webhooks import _endpoint, _gql, _start

FAST_RETRIES = ",".join(["0"] + ["0.3"] * 30)


async def _burst(hub: HubServer, token: str, accounts: int) -> None:
    for start in range(0, accounts, 100):
        items = [placement() for _ in range(min(100, accounts - start))]
        data = await _gql(hub, token, PLACE_MANY, {"input": {"items": items}})
        assert data["placeAccounts"]["failedCount"] == 0


async def _placed_event_ids(hub: HubServer, token: str) -> set[str]:
    ids: set[str] = set()
    after = None
    while True:
        data = await _gql(
            hub,
            token,
            'query($a: String) { events(first: 100, after: $a, types: ["account.placed"]) { nodes { id } pageInfo { hasNextPage endCursor } } }',
            {"a": after},
        )
        ids |= {n["id"] for n in data["events"]["nodes"]}
        if not data["events"]["pageInfo"]["hasNextPage"]:
            return ids
        after = data["events"]["pageInfo"]["endCursor"]


def _external_workers(hub: HubServer) -> dict[str, str]:
    hub.env.update(EVENLY_WEBHOOK_LEASE_SECONDS="2", EVENLY_WEBHOOK_ENDPOINT_CONCURRENCY="32")
    return _start(hub, FAST_RETRIES, "--no-worker")


@pytest.mark.slow
async def test_a_worker_killed_mid_burst_loses_nothing(hub_server: HubServer) -> None:
    receiver = Receiver()
    await receiver.start()
    try:
        session = _external_workers(hub_server)
        token = session["token"]
        await _endpoint(hub_server, token, receiver.url, ["account.placed"])
        before = await _placed_event_ids(hub_server, token)
        await _burst(hub_server, token, 2000)
        expected = await _placed_event_ids(hub_server, token) - before
        assert len(expected) == 2000
        worker = hub_server.start_worker()
        await receiver.wait_for(lambda: len(receiver.delivered_ids()) >= 300, within=60)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        await asyncio.sleep(0.5)
        stopped_at = len(receiver.delivered_ids())
        assert stopped_at < 2000, "the worker finished before it could be killed"
        hub_server.start_worker()
        await receiver.wait_for(lambda: set(receiver.delivered_ids()) >= expected, within=120)
        delivered = Counter(receiver.delivered_ids())
        assert set(delivered) == expected
        # At least once: only what the killed worker had claimed (concurrency 32 + a batch of
        # 100 ahead) or delivered without recording yet (at most two batches) may repeat.
        assert sum(n - 1 for n in delivered.values()) <= 32 + 100 + 2 * 100
    finally:
        await receiver.stop()


@pytest.mark.slow
async def test_two_workers_share_the_queue_without_delivering_twice(
    pg_hub_server: HubServer,
) -> None:
    receiver = Receiver()
    await receiver.start()
    try:
        session = _external_workers(pg_hub_server)
        token = session["token"]
        await _endpoint(pg_hub_server, token, receiver.url, ["account.placed"])
        before = await _placed_event_ids(pg_hub_server, token)
        await _burst(pg_hub_server, token, 1000)
        expected = await _placed_event_ids(pg_hub_server, token) - before
        pg_hub_server.start_worker()
        pg_hub_server.start_worker()
        await receiver.wait_for(lambda: set(receiver.delivered_ids()) >= expected, within=120)
        await asyncio.sleep(0.5)
        delivered = Counter(receiver.delivered_ids())
        assert set(delivered) == expected
        assert max(delivered.values()) == 1, [i for i, n in delivered.items() if n > 1][:5]
    finally:
        await receiver.stop()


# --- one tenant's misbehaving receivers never hurt another tenant ----------------------------

ATTEMPTS = """query($id: ID!, $after: String) { webhookEndpoint(id: $id) {
  deliveries(first: 100, after: $after) { nodes { status attempts { statusCode error responseSnippet } }
  pageInfo { hasNextPage endCursor } } } }"""


def _tenant(hub: HubServer, name: str) -> str:
    """A new creditor organization of its own; its access token."""
    created = json.loads(
        hub.cli(
            "admin",
            "create-organization",
            "--kind",
            "creditor",
            "--name",
            name,
            "--country",
            "SE",
            "--json",
        ).stdout
    )
    response = httpx.post(
        f"{hub.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(created["client_id"], created["client_secret"]),
    )
    token: str = response.json()["access_token"]
    return token


async def _deliveries(hub: HubServer, token: str, endpoint_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after = None
    while True:
        data = await _gql(hub, token, ATTEMPTS, {"id": endpoint_id, "after": after})
        page = data["webhookEndpoint"]["deliveries"]
        found += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def _healthy_gets_everything_once(
    hub: HubServer,
    token: str,
    receiver: Receiver,
    accounts: int,
    within: float,
    between: Callable[[], Awaitable[None]] | None = None,
    settle: float = 1.0,
) -> None:
    """The tenant places ``accounts`` (by tens, calling ``between`` after each ten); its
    receiver gets every one of them within ``within`` seconds, and ``settle`` seconds later
    still exactly once."""
    before = await _placed_event_ids(hub, token)
    started = asyncio.get_running_loop().time()
    for _ in range(accounts // 10):
        await _burst(hub, token, 10)
        if between is not None:
            await between()
    for _ in range(100):  # an event is in the feed once older transactions have ended
        expected = await _placed_event_ids(hub, token) - before
        if len(expected) >= accounts:
            break
        await asyncio.sleep(0.05)
    assert len(expected) == accounts
    await receiver.wait_for(lambda: set(receiver.delivered_ids()) >= expected, within=within)
    took = asyncio.get_running_loop().time() - started
    await asyncio.sleep(settle)  # anything delivered twice would arrive by now
    delivered = Counter(receiver.delivered_ids())
    assert set(delivered) == expected, f"{len(set(delivered) - expected)} unexpected"
    assert max(delivered.values()) == 1, f"{sum(n - 1 for n in delivered.values())} repeated"
    assert took < within


@pytest.mark.slow
async def test_hostile_receivers_never_fail_or_repeat_another_tenants_deliveries(
    hub_server: HubServer,
) -> None:
    """Binary bodies, huge headers, absurd Retry-After, broken HTTP and slowloris, beside a
    healthy tenant: it gets every event once and on time; every hostile attempt is recorded."""
    hostile, healthy = HostileReceiver(), Receiver()
    await hostile.start()
    await healthy.start()
    try:
        # Short leases: a claim whose outcome was lost is sent again within seconds.
        hub_server.env.update(EVENLY_WEBHOOK_TIMEOUT_SECONDS="2", EVENLY_WEBHOOK_LEASE_SECONDS="5")
        _start(hub_server, "0,0.5")  # two attempts, then FAILED
        attacker = _tenant(hub_server, "Hostile receivers")
        victim = _tenant(hub_server, "Healthy receiver")
        endpoints = {
            path: (await _endpoint(hub_server, attacker, hostile.url(path), ["account.placed"]))[0]
            for path in BEHAVIOURS
        }
        await _endpoint(hub_server, victim, healthy.url, ["account.placed"])

        async def attack() -> None:  # the attacker's events interleave with the victim's
            await _burst(hub_server, attacker, 1)

        await _burst(hub_server, attacker, 4)
        await _healthy_gets_everything_once(
            hub_server, victim, healthy, 200, 30, attack, settle=7.0
        )

        async def recorded() -> dict[str, int]:
            counts = {}
            for path, endpoint_id in endpoints.items():
                deliveries = await _deliveries(hub_server, attacker, endpoint_id)
                counts[path] = sum(len(d["attempts"]) for d in deliveries)
            return counts

        # Every request a hostile receiver read is an attempt in its delivery log.
        deadline = asyncio.get_running_loop().time() + 60
        while (counts := await recorded()) != dict(hostile.requests):
            assert asyncio.get_running_loop().time() < deadline, (counts, dict(hostile.requests))
            await asyncio.sleep(0.5)
        for path, endpoint_id in endpoints.items():
            for delivery in await _deliveries(hub_server, attacker, endpoint_id):
                for attempt in delivery["attempts"]:
                    assert attempt["statusCode"] is not None or attempt["error"], (path, attempt)
                    assert "\x00" not in (attempt["responseSnippet"] or "") + (
                        attempt["error"] or ""
                    )
        assert hostile.requests["/binary-ok"] == 24  # delivered once each, body and all
        # An absurd Retry-After pauses its endpoint (for at most an hour): the attempts in
        # flight when the answers came, no more.
        for path in ("/retry-after-seconds", "/retry-after-date"):
            assert 1 <= hostile.requests[path] <= 8, (path, hostile.requests[path])
    finally:
        await hostile.stop()
        await healthy.stop()


@pytest.mark.slow
async def test_paused_and_slow_endpoints_leave_other_tenants_their_deliveries(
    hub_server: HubServer,
) -> None:
    """One tenant's receiver answers 503 with Retry-After: 120, another's takes 14 s to answer
    (on five endpoints: more than the worker's 32 slots at 8 a endpoint), each with a backlog
    of 100 messages an endpoint; a third tenant still gets its 80 events at once."""
    paused = Receiver(respond=lambda: 503, headers={"Retry-After": "120"})
    slow = Receiver(hang_probability=1.0, hang_seconds=14)
    healthy = Receiver()
    for receiver in (paused, slow, healthy):
        await receiver.start()
    try:
        _start(hub_server)
        for name, receiver, endpoints in (("Paused", paused, 1), ("Slow", slow, 5)):
            token = _tenant(hub_server, name)
            for _ in range(endpoints):
                await _endpoint(hub_server, token, receiver.url, ["account.placed"])
            await _burst(hub_server, token, 100)
        await asyncio.sleep(2)  # the paused endpoint has answered; the slow ones hold on
        victim = _tenant(hub_server, "Healthy")
        await _endpoint(hub_server, victim, healthy.url, ["account.placed"])
        await _healthy_gets_everything_once(hub_server, victim, healthy, 80, within=10)
        # The paused endpoint got the attempts in flight when it answered, then rest.
        assert len(paused.received) <= 8
    finally:
        for receiver in (paused, slow, healthy):
            await receiver.stop()
