"""Subscriptions never carry the other mode's events, in real processes: while a sandbox
creditor's account plays a scenario through the server's worker (the simulated agency) and
is then deleted with its run, a live creditor's and a live agency's ``organizationEvents``
receive nothing; the first events they get are their own account's."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.conftest import PLACE, placement
from tests.e2e.conftest import HubServer
from tests.e2e.test_webhooks import _gql
from tests.e2e.ws_client import subscriber

SUBSCRIPTION = "subscription { organizationEvents { id type livemode account { id } } }"
DELETE = """mutation($tag: String!) {
  deleteSandboxData(input: {tag: $tag}) { deletedAccounts userErrors { code } } }"""
PAYS_IN_FULL = 7


def _organization(hub: HubServer, *args: str) -> dict[str, str]:
    out = hub.cli("admin", "create-organization", "--country", "SE", "--json", *args)
    created: dict[str, str] = json.loads(out.stdout)
    return created


async def _token(hub: HubServer, org: dict[str, str]) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{hub.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(org["client_id"], org["client_secret"]),
        )
    return str(response.json()["access_token"])


def _route(hub: HubServer, creditor: dict[str, str], agency: dict[str, str]) -> None:
    hub.cli(
        "admin",
        "create-routing-rule",
        "--creditor",
        creditor["organization_id"],
        "--agency",
        agency["organization_id"],
    )


@pytest.mark.slow  # seven CLI processes and a scenario: about 45 s a backend
async def test_live_subscriptions_receive_nothing_of_a_sandbox_run(hub_server: HubServer) -> None:
    hub_server.env.update(
        EVENLY_SANDBOX_SECONDS_PER_DAY="0.3", EVENLY_SANDBOX_INTERVAL_SECONDS="0.2"
    )
    hub_server.start()
    orgs = {
        "live creditor": _organization(hub_server, "--kind", "creditor", "--name", "Live C"),
        "live agency": _organization(hub_server, "--kind", "agency", "--name", "Live A"),
        "sandbox creditor": _organization(
            hub_server, "--kind", "creditor", "--name", "Sbx C", "--sandbox"
        ),
        "sandbox agency": _organization(
            hub_server, "--kind", "agency", "--name", "Sbx A", "--sandbox", "--simulated"
        ),
    }
    _route(hub_server, orgs["live creditor"], orgs["live agency"])
    _route(hub_server, orgs["sandbox creditor"], orgs["sandbox agency"])
    tokens = {name: await _token(hub_server, org) for name, org in orgs.items()}
    async with (
        subscriber(hub_server.url, tokens["live creditor"]) as live_creditor,
        subscriber(hub_server.url, tokens["live agency"]) as live_agency,
        subscriber(hub_server.url, tokens["sandbox creditor"]) as sandbox,
    ):
        for socket in (live_creditor, live_agency, sandbox):
            await socket.subscribe(SUBSCRIPTION)
        await asyncio.sleep(0.5)
        sandboxed = placement(sandboxTag="iso-e2e", metadata={"sandboxScenario": "pays_in_full"})
        placed = await _gql(hub_server, tokens["sandbox creditor"], PLACE, {"input": sandboxed})
        sandbox_id = placed["placeAccount"]["account"]["id"]
        played = await sandbox.events(PAYS_IN_FULL, seconds=60)
        assert played[-1]["type"] == "customer.rehabilitated"
        assert {(e["account"]["id"], e["livemode"]) for e in played} == {(sandbox_id, False)}
        deleted = await _gql(hub_server, tokens["sandbox creditor"], DELETE, {"tag": "iso-e2e"})
        assert deleted["deleteSandboxData"] == {"deletedAccounts": 1, "userErrors": []}
        # Now a live account: the live subscriptions' first events are its own.
        live = await _gql(hub_server, tokens["live creditor"], PLACE, {"input": placement()})
        live_id = live["placeAccount"]["account"]["id"]
        for socket in (live_creditor, live_agency):
            first = await socket.events(2, seconds=20)
            assert [(e["type"], e["account"]["id"], e["livemode"]) for e in first] == [
                ("account.placed", live_id, True),
                ("account.assigned", live_id, True),
            ]
