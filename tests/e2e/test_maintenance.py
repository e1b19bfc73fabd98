"""The maintenance sweep runs in every worker process, beside webhook delivery: a hold whose
``until`` passes ends without anyone releasing it, whether ``serve`` delivers in-process or an
``evenly-hub worker`` runs beside ``serve --no-worker``."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest

from tests.e2e.conftest import HubServer
from tests.e2e.test_webhooks import _gql

ACCOUNTS = "{ accounts(first: 1) { nodes { id } } }"
PLACE_HOLD = """mutation($input: PlaceOnHoldInput!) {
  placeOnHold(input: $input) { hold { id active } userErrors { code message } } }"""
HOLD = "query($id: ID!) { node(id: $id) { ... on Hold { active } } }"


def _agency_token(hub: HubServer) -> str:
    creds = hub.demo_credentials()["agency"]
    response = httpx.post(
        f"{hub.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(creds["client_id"], creds["client_secret"]),
    )
    token: str = response.json()["access_token"]
    return token


@pytest.mark.parametrize("worker", ["in-process", "worker process"])
async def test_a_hold_ends_on_its_own_once_its_until_passes(
    hub_server: HubServer, worker: str
) -> None:
    hub_server.env.update(EVENLY_MAINTENANCE_INTERVAL_SECONDS="0.2")
    if worker == "in-process":
        hub_server.start("--demo")
    else:
        hub_server.start("--demo", "--no-worker")
        hub_server.start_worker()
    token = _agency_token(hub_server)
    [account] = (await _gql(hub_server, token, ACCOUNTS))["accounts"]["nodes"]
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)).isoformat()
    placed = await _gql(
        hub_server,
        token,
        PLACE_HOLD,
        {"input": {"accountId": account["id"], "reason": "HARDSHIP", "until": until}},
    )
    assert placed["placeOnHold"]["userErrors"] == []
    hold = placed["placeOnHold"]["hold"]
    assert hold["active"] is True
    for _ in range(150):  # the hold ends 2 s from now; the sweep looks five times a second
        if not (await _gql(hub_server, token, HOLD, {"id": hold["id"]}))["node"]["active"]:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the hold is still active 15 s after its until passed")
