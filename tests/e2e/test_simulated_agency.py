"""The simulated sandbox agency in real processes: a sandbox creditor routed to a simulated
agency places one account, and the server's worker plays the default scenario to
``customer.rehabilitated`` on the creditor's feed, with no one playing the agency."""

from __future__ import annotations

import asyncio
import json
import time

import httpx

from hub.domain.sandbox_scenarios import DEFAULT_SCENARIO, scenarios
from tests.conftest import PLACE, placement
from tests.e2e.conftest import HubServer
from tests.e2e.test_webhooks import _gql

FEED = "{ events(first: 100) { nodes { type } } }"


def _organization(hub: HubServer, *args: str) -> dict[str, str]:
    out = hub.cli("admin", "create-organization", "--country", "SE", "--sandbox", "--json", *args)
    created: dict[str, str] = json.loads(out.stdout)
    return created


async def test_the_default_scenario_reaches_rehabilitation_on_its_own(
    hub_server: HubServer,
) -> None:
    hub_server.start()
    creditor = _organization(hub_server, "--kind", "creditor", "--name", "Sim Creditor")
    agency = _organization(hub_server, "--kind", "agency", "--name", "Sim Agency", "--simulated")
    hub_server.cli(
        "admin",
        "create-routing-rule",
        "--creditor",
        creditor["organization_id"],
        "--agency",
        agency["organization_id"],
    )
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{hub_server.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(creditor["client_id"], creditor["client_secret"]),
        )
    token = response.json()["access_token"]
    placed = await _gql(hub_server, token, PLACE, {"input": placement()})
    assert placed["placeAccount"]["userErrors"] == []
    expected = list(scenarios()[DEFAULT_SCENARIO].events)
    started = time.monotonic()
    deadline = started + 60
    types: list[str] = []
    while time.monotonic() < deadline:
        types = [n["type"] for n in (await _gql(hub_server, token, FEED))["events"]["nodes"]]
        if types == expected:
            break
        await asyncio.sleep(0.5)
    assert types == expected
    print(f"placement to customer.rehabilitated: {time.monotonic() - started:.1f} s")
