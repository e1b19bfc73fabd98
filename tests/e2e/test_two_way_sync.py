"""The two-way sync end to end: real server and worker processes, real receivers, a real
websocket subscriber, on PostgreSQL (and the subscription basics on SQLite too)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import asyncpg
import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families

from hub.store.feed_horizon import ANNOUNCE
from tests.collection_ops import (
    PERFORMANCE,
    RECORD_RETURN,
    REVERSE_PAYMENT,
    acknowledge,
    contact,
    now,
    ok,
    pay,
    sek,
    weekly_plan,
)
from tests.conftest import (
    PLACE,
    asyncpg_dsn,
    foreign_write_transaction,
    placement,
)
from tests.e2e.conftest import HubServer
from tests.e2e.receiver import Receiver, json_of
from tests.e2e.ws_client import subscriber

CREATE_ENDPOINT = """mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { webhookEndpoint { id } secret userErrors { code message } }
}"""
ORGANIZATION_EVENTS = """subscription($types: [String!], $after: String) {
  organizationEvents(types: $types, after: $after) { id type sequence data account { id status } }
}"""
ACCOUNT_EVENTS = """subscription($id: ID!, $after: String) {
  accountEvents(accountId: $id, after: $after) { id type sequence }
}"""
FEED = """query($after: String) {
  events(first: 100, after: $after) { nodes { id type } pageInfo { hasNextPage endCursor } }
}"""
PLACED_FEED = """query { events(first: 100, types: ["account.placed"]) { nodes { data } } }"""


class Session:
    """One organization's API client against the real server."""

    def __init__(self, hub: HubServer, role: str) -> None:
        creds = hub.demo_credentials()[role]
        response = httpx.post(
            f"{hub.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(creds["client_id"], creds["client_secret"]),
        )
        self.hub = hub
        self.token: str = response.json()["access_token"]
        self.organization_id: str = creds["organization_id"]
        self.client = httpx.AsyncClient(
            base_url=hub.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30
        )

    async def run(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post("/graphql", json={"query": query, "variables": variables})
        body = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def feed_ids(self) -> list[str]:
        ids: list[str] = []
        after = None
        while True:
            page = (await self.run(FEED, {"after": after}))["events"]
            ids += [n["id"] for n in page["nodes"]]
            if not page["pageInfo"]["hasNextPage"]:
                return ids
            after = page["pageInfo"]["endCursor"]


async def _endpoint(session: Session, url: str) -> None:
    created = await session.run(CREATE_ENDPOINT, {"input": {"url": url, "eventTypes": []}})
    assert created["createWebhookEndpoint"]["userErrors"] == []


async def _wait_for(receiver: Receiver, event_type: str, seconds: float = 20) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        for item in receiver.received:
            body = json_of(item)
            if body["type"] == event_type:
                return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {event_type} delivery within {seconds}s")


async def _wait_for_ids(receiver: Receiver, ids: list[str], seconds: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while set(ids) - set(receiver.delivered_ids()):
        assert asyncio.get_running_loop().time() < deadline, "deliveries missing"
        await asyncio.sleep(0.05)


async def test_the_whole_journey_with_webhooks_feed_and_subscription_in_step(
    pg_hub_server: HubServer,
) -> None:
    hub = pg_hub_server
    hub.env.update(EVENLY_ALLOW_INSECURE_WEBHOOKS="1")
    hub.start("--demo", "--no-worker")
    hub.start_worker()
    creditor, agency = Session(hub, "creditor"), Session(hub, "agency")
    creditor_hooks, agency_hooks = Receiver(), Receiver()
    await creditor_hooks.start()
    await agency_hooks.start()
    try:
        await _endpoint(creditor, creditor_hooks.url)
        await _endpoint(agency, agency_hooks.url)
        demo_events = await creditor.feed_ids()  # the demo's own placements
        async with subscriber(hub.url, creditor.token) as live:
            await live.subscribe(ORGANIZATION_EVENTS)
            await asyncio.sleep(0.3)  # the subscription is registered before anything happens

            # The KPI period is today's (whole UTC days): the demo's own placements (at
            # start-up) are in it, so the journey's account is what it adds to them.
            started = dt.datetime.now(dt.UTC)
            today = {
                "from": started.isoformat(),
                "to": (started + dt.timedelta(seconds=1)).isoformat(),
            }
            before = await creditor.run(PERFORMANCE, today)
            placed = await creditor.run(
                PLACE,
                {
                    "input": placement(
                        balance=sek(100000),
                        customer={"reference": "CUST-JOURNEY"},
                    )
                },
            )
            account_id = placed["placeAccount"]["account"]["id"]
            assigned = await _wait_for(agency_hooks, "account.assigned")
            assert assigned["data"]["account"]["id"] == account_id

            await acknowledge(agency.run, account_id, "AG-2026-1")
            await contact(agency.run, account_id, "SMS", "OUTBOUND", "PROMISE_TO_PAY")
            await weekly_plan(agency.run, account_id, 25000)
            first = await pay(agency.run, account_id, 25000, "PORTAL")
            await pay(agency.run, account_id, 25000, "PORTAL")
            await ok(
                agency.run,
                REVERSE_PAYMENT,
                {"paymentId": first["payment"]["id"], "reason": "card chargeback"},
            )
            for _ in range(3):
                last = await pay(agency.run, account_id, 25000, "PORTAL")
            assert last["account"]["status"] == "PAID"

            rehabilitated = await _wait_for(creditor_hooks, "customer.rehabilitated")
            summary = rehabilitated["data"]["rehabilitation"]
            assert summary["amountRecovered"] == sek(100000)
            assert summary["paidOnPlan"] is True and summary["paidInFull"] is True
            assert summary["selfServed"] is True
            assert summary["contactChannels"] == ["SMS"]
            assert summary["paymentChannels"] == ["PORTAL"]
            assert summary["daysToPay"] == 0 and summary["daysToFirstPayment"] == 0

            customer_id = rehabilitated["data"]["account"]["customerId"]
            await ok(
                creditor.run,
                RECORD_RETURN,
                {"customerId": customer_id, "returnedAt": now(), "orderReference": "ORD-BACK"},
            )
            await _wait_for(creditor_hooks, "customer.returned")

            feed = (await creditor.feed_ids())[len(demo_events) :]
            streamed = await live.events(len(feed))
            # The subscription carries the feed's events, in the feed's order.
            assert [e["id"] for e in streamed] == feed
            assert streamed[-1]["type"] == "customer.returned"
            assert streamed[-1]["account"]["status"] == "PAID"
        # Every event reached the creditor's receiver; the agency's got all but the
        # creditor-only win-back events.
        await _wait_for_ids(creditor_hooks, feed)
        assert sorted(creditor_hooks.delivered_ids()) == sorted(feed)
        agency_feed = [i for i in await agency.feed_ids() if i not in demo_events]
        await _wait_for_ids(agency_hooks, agency_feed)
        assert set(feed) - set(agency_feed) == {
            e["id"] for e in streamed if e["type"].startswith("customer.")
        }

        performance = await creditor.run(
            PERFORMANCE,
            {"from": started.isoformat(), "to": (dt.datetime.now(dt.UTC)).isoformat()},
        )
        [row] = [r for r in performance["agencyPerformance"] if r["currency"] == "SEK"]
        demo = {
            r["agency"]["id"]: r for r in before["agencyPerformance"] if r["currency"] == "SEK"
        }.get(agency.organization_id)
        placed = (demo["accountsPlaced"], demo["amountPlaced"]["amountMinor"]) if demo else (0, 0)
        recovered = demo["amountRecovered"]["amountMinor"] if demo else 0
        assert row["agency"]["id"] == agency.organization_id
        assert row["accountsPlaced"] == placed[0] + 1
        assert row["accountsRecovered"] == (demo["accountsRecovered"] if demo else 0) + 1
        assert row["amountPlaced"]["amountMinor"] == placed[1] + 100000
        assert row["amountRecovered"]["amountMinor"] == recovered + 100000
        assert row["paymentPlanCompletionRate"] == 1.0
        assert row["selfServeShare"] == 1.0 and row["customerReturnRate"] == 1.0
        assert row["disputeRate"] == 0.0
        assert row["medianDaysToFirstPayment"] < 0.01
    finally:
        await creditor_hooks.stop()
        await agency_hooks.stop()
        await creditor.client.aclose()
        await agency.client.aclose()


async def test_a_reconnecting_subscriber_gets_what_it_missed_and_nothing_of_others(
    hub_server: HubServer,
) -> None:
    hub_server.start("--demo")
    creditor, agency = Session(hub_server, "creditor"), Session(hub_server, "agency")
    try:
        ids = []
        for _ in range(2):
            placed = await creditor.run(PLACE, {"input": placement()})
            ids.append(placed["placeAccount"]["account"]["id"])
        async with subscriber(hub_server.url, creditor.token) as live:
            await live.subscribe(ACCOUNT_EVENTS, {"id": ids[0]})
            await asyncio.sleep(0.3)
            await acknowledge(agency.run, ids[0])
            [seen] = await live.events(1)
            assert seen["type"] == "account.acknowledged"
        # While disconnected: more happens to both accounts.
        await contact(agency.run, ids[0])
        await acknowledge(agency.run, ids[1])
        await pay(agency.run, ids[0], 1000)
        async with subscriber(hub_server.url, creditor.token) as live:
            await live.subscribe(ACCOUNT_EVENTS, {"id": ids[0], "after": seen["id"]})
            missed = await live.events(2)
            assert [e["type"] for e in missed] == ["contact.attempted", "payment.received"]
            assert [e["sequence"] for e in missed] == [seen["sequence"] + 1, seen["sequence"] + 2]
        # Another organization's token sees none of it; a foreign account is an error.
        async with subscriber(hub_server.url, agency.token) as theirs:
            await theirs.subscribe(ORGANIZATION_EVENTS, {"types": ["customer.rehabilitated"]})
            await theirs.subscribe(ACCOUNT_EVENTS, {"id": "acc_00000000000000000000000000"})
            message = await theirs.receive()
            assert message["type"] == "error" or "errors" in message.get("payload", {})
    finally:
        await creditor.client.aclose()
        await agency.client.aclose()


@pytest.mark.parametrize(
    "params",
    [{}, {"authorization": "Bearer not-a-token"}, {"authorization": 42}],
    ids=["no token", "bad token", "not a string"],
)
async def test_connection_init_without_a_valid_token_is_refused(
    hub_server: HubServer, params: dict[str, Any]
) -> None:
    hub_server.start("--demo")
    url = hub_server.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        await socket.send(json.dumps({"type": "connection_init", "payload": params}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_subscriber_on_one_server_hears_writes_made_through_another(
    pg_hub_server: HubServer,
) -> None:
    """Fan-out across processes: PostgreSQL NOTIFY wakes the subscriber's server at once,
    well before its own 5-second look."""
    hub = pg_hub_server
    hub.start("--demo")
    other = HubServer(env=hub.env, data_dir=hub.data_dir)
    other.start("--no-migrate", "--no-worker")
    creditor = Session(hub, "creditor")
    writer = Session(other, "creditor")
    try:
        async with subscriber(hub.url, creditor.token) as live:
            await live.subscribe(ORGANIZATION_EVENTS, {"types": ["account.placed"]})
            await asyncio.sleep(0.5)
            loop = asyncio.get_running_loop()
            for _ in range(3):
                sent = loop.time()
                placed = await writer.run(PLACE, {"input": placement()})
                [event] = await live.events(1, seconds=10)
                assert event["data"]["account"]["id"] == placed["placeAccount"]["account"]["id"]
                assert loop.time() - sent < 2.5
    finally:
        other.stop()
        await creditor.client.aclose()
        await writer.client.aclose()


async def test_an_event_held_back_by_an_older_transaction_arrives_when_it_ends(
    pg_hub_server: HubServer,
) -> None:
    """An event committed while an older transaction of the hub is open waits (the feed is
    in transaction order); when that transaction ends without writing events, and so
    without a NOTIFY, the subscriber still gets the event at once, not at its 5-second
    look."""
    hub = pg_hub_server
    hub.start("--demo")
    creditor = Session(hub, "creditor")
    older = await asyncpg.connect(asyncpg_dsn(hub.env["EVENLY_DATABASE_URL"]))
    await older.execute(ANNOUNCE)  # a connection of the hub's, as each of its own is
    try:
        async with subscriber(hub.url, creditor.token) as live:
            await live.subscribe(ORGANIZATION_EVENTS, {"types": ["account.placed"]})
            await asyncio.sleep(0.5)
            transaction = older.transaction()
            await transaction.start()
            await older.fetchval("SELECT pg_current_xact_id()")  # an open, older transaction
            placed = await creditor.run(PLACE, {"input": placement()})
            with pytest.raises(TimeoutError):
                await live.events(1, seconds=1)
            account_id = placed["placeAccount"]["account"]["id"]
            assert account_id not in json.dumps(await creditor.run(PLACED_FEED, {}))
            loop = asyncio.get_running_loop()
            ended = loop.time()
            await transaction.rollback()
            [event] = await live.events(1, seconds=10)
            assert event["data"]["account"]["id"] == account_id
            assert loop.time() - ended < 1.5
            assert account_id in json.dumps(await creditor.run(PLACED_FEED, {}))
    finally:
        await older.close()
        await creditor.client.aclose()


async def test_other_programs_open_transactions_hold_no_subscriber_back(
    pg_hub_server: HubServer, other_database: str
) -> None:
    """Write transactions of other programs stay open the whole time, one in another
    database of the cluster and one in the hub's own database: a subscriber that starts
    meanwhile gets every new event as it commits, the feed has them, and the metrics say
    nothing waits."""
    hub = pg_hub_server
    hub.start("--demo")
    creditor = Session(hub, "creditor")
    try:
        async with (
            foreign_write_transaction(other_database),
            foreign_write_transaction(asyncpg_dsn(hub.env["EVENLY_DATABASE_URL"])),
            subscriber(hub.url, creditor.token) as live,
        ):
            await live.subscribe(ORGANIZATION_EVENTS, {"types": ["account.placed"]})
            await asyncio.sleep(0.5)
            loop = asyncio.get_running_loop()
            streamed = []
            for _ in range(10):
                sent = loop.time()
                placed = await creditor.run(PLACE, {"input": placement()})
                [event] = await live.events(1, seconds=10)
                assert event["data"]["account"]["id"] == placed["placeAccount"]["account"]["id"]
                assert loop.time() - sent < 2.5
                streamed.append(event["id"])
            assert set(streamed) <= set(await creditor.feed_ids())
            await asyncio.sleep(1)  # the other programs' transactions are older than that
            text = creditor.hub.metrics()
        metrics = {
            sample.name: sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }
        assert metrics["evenly_feed_events_waiting"] == 0
        assert metrics["evenly_feed_oldest_writer_seconds"] < 1  # the hub's own, if any
    finally:
        await creditor.client.aclose()
