"""The simulated sandbox agency in real processes: a server and a separate worker process, on
SQLite and PostgreSQL, play every scenario to its end. Each account's events on the
creditor's feed are exactly the ones its scenario promises, in order, and every one of them
reaches a real webhook receiver on this machine with a body that validates against
``schema/webhooks/<type>.json``. And ``serve --demo`` (what ``make run`` starts) routes its
sandbox creditor to a simulated agency: one placement plays out to ``customer.rehabilitated``
with no one playing the agency."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

from hub.domain.sandbox_scenarios import DEFAULT_SCENARIO, scenarios
from tests.api.test_event_schemas import FEED, check_event, problems
from tests.conftest import PLACE, placement
from tests.e2e.conftest import HubServer
from tests.e2e.receiver import Receiver, json_of
from tests.e2e.test_webhooks import _endpoint, _gql

#: A scenario day lasts this long here, so the longest scenario (``plan_breaks``: 20 days)
#: takes five seconds.
SECONDS_PER_DAY = 0.25
#: Placed with no ``sandboxScenario``: the customer's email tag chooses the scenario.
EMAIL_TAGGED = "unreachable"


def _organization(hub: HubServer, *args: str) -> dict[str, str]:
    out = hub.cli("admin", "create-organization", "--country", "SE", "--sandbox", "--json", *args)
    created: dict[str, str] = json.loads(out.stdout)
    return created


async def _token(hub: HubServer, creds: dict[str, str]) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{hub.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(creds["client_id"], creds["client_secret"]),
        )
    token: str = response.json()["access_token"]
    return token


async def _feed(hub: HubServer, token: str) -> list[dict[str, Any]]:
    """Every event on the token's feed, in order."""
    events: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await _gql(hub, token, FEED, {"after": after}))["events"]
        events += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return events
        after = page["pageInfo"]["endCursor"]


def _by_account(feed: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for event in feed:
        account = event["data"].get("account") or {}
        if account.get("id"):
            found.setdefault(account["id"], []).append(event)
    return found


async def _simulated_creditor(hub: HubServer) -> dict[str, str]:
    creditor = _organization(hub, "--kind", "creditor", "--name", "Scenario Creditor")
    agency = _organization(hub, "--kind", "agency", "--name", "Scenario Agency", "--simulated")
    hub.cli(
        "admin",
        "create-routing-rule",
        "--creditor",
        creditor["organization_id"],
        "--agency",
        agency["organization_id"],
    )
    return creditor


async def _place_every_scenario(hub: HubServer, token: str) -> dict[str, str]:
    """One account per scenario (by metadata), and one chosen by its email tag: the
    scenario each account id is to play."""
    expected: dict[str, str] = {}
    for name in sorted(scenarios()):
        item = placement(metadata={"sandboxScenario": name})
        placed = (await _gql(hub, token, PLACE, {"input": item}))["placeAccount"]
        assert placed["userErrors"] == [], placed
        expected[placed["account"]["id"]] = name
    tagged = placement(customer={"email": f"ada+{EMAIL_TAGGED}@example.com"})
    placed = (await _gql(hub, token, PLACE, {"input": tagged}))["placeAccount"]
    assert placed["userErrors"] == [], placed
    expected[placed["account"]["id"]] = EMAIL_TAGGED
    return expected


async def _until_played(
    hub: HubServer, token: str, expected: dict[str, str], within: float = 90
) -> dict[str, list[dict[str, Any]]]:
    """Each account's events, once every account shows what its scenario promises."""
    want = {account: list(scenarios()[name].events) for account, name in expected.items()}
    deadline = time.monotonic() + within
    while True:
        found = _by_account(await _feed(hub, token))
        types = {account: [e["type"] for e in found.get(account, [])] for account in want}
        if types == want or time.monotonic() > deadline:
            assert types == want
            return {account: found[account] for account in want}
        await asyncio.sleep(0.25)


@pytest.mark.slow  # about 20 s on SQLite, 40 s on PostgreSQL (organizations made by the CLI)
async def test_every_scenario_plays_its_promised_events_through_real_processes(
    hub_server: HubServer,
) -> None:
    hub_server.env.update(
        EVENLY_SANDBOX_SECONDS_PER_DAY=str(SECONDS_PER_DAY),
        EVENLY_SANDBOX_INTERVAL_SECONDS="0.1",
        EVENLY_ALLOW_LOOPBACK_WEBHOOKS="1",
    )
    hub_server.start("--no-worker")
    hub_server.start_worker()
    receiver = Receiver()
    await receiver.start()
    try:
        creditor = await _simulated_creditor(hub_server)
        token = await _token(hub_server, creditor)
        await _endpoint(hub_server, token, receiver.url)  # every event type
        expected = await _place_every_scenario(hub_server, token)
        played = await _until_played(hub_server, token, expected)
        # Nothing more comes: four scenario days later each account has the same events.
        await asyncio.sleep(4 * SECONDS_PER_DAY)
        assert await _until_played(hub_server, token, expected, within=0) == played
        events = {e["id"]: e for account in played.values() for e in account}
        await receiver.wait_for(lambda: set(receiver.delivered_ids()) >= set(events))
        delivered = [r for r in receiver.received if r.headers["webhook-id"] in events]
        assert sorted(r.headers["webhook-id"] for r in delivered) == sorted(events)
        for received in delivered:
            body = json_of(received)
            assert problems(received.body) == [], (body["type"], body)
            check_event(body, creditor["organization_id"])
            event = events[received.headers["webhook-id"]]
            assert body == {
                "type": event["type"],
                "timestamp": event["occurredAt"],
                "livemode": False,
                "data": event["data"],
            }
    finally:
        await receiver.stop()


async def test_the_demo_hub_plays_a_sandbox_placement_to_rehabilitation_on_its_own(
    hub_server: HubServer,
) -> None:
    """``make run``: the ``EVENLY_*`` credentials of ``.evenly/demo.env`` are the sandbox
    creditor's, routed to the simulated agency; the default scenario ends with
    ``customer.rehabilitated`` within a minute, at the default day length."""
    hub_server.start("--demo")
    demo = hub_server.demo_credentials()
    exports = (hub_server.data_dir / "demo.env").read_text()
    assert f"EVENLY_CLIENT_ID={demo['sandbox_creditor']['client_id']}" in exports
    token = await _token(hub_server, demo["sandbox_creditor"])
    placed = await _gql(hub_server, token, PLACE, {"input": placement()})
    assert placed["placeAccount"]["userErrors"] == []
    account_id = placed["placeAccount"]["account"]["id"]
    started = time.monotonic()
    played = await _until_played(hub_server, token, {account_id: DEFAULT_SCENARIO}, within=60)
    assert played[account_id][-1]["type"] == "customer.rehabilitated"
    print(f"placement to customer.rehabilitated: {time.monotonic() - started:.1f} s")
