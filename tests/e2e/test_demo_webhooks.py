"""Under ``serve --demo`` a receiver on this machine gets signed webhooks with no setting to
find; private and metadata addresses stay refused, and a refusal names the setting that
would allow the URL."""

from __future__ import annotations

import json
from typing import Any

import httpx
import standardwebhooks

from tests.conftest import PLACE, placement
from tests.e2e.conftest import HubServer
from tests.e2e.receiver import Receiver, json_of

CREATE = """mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { secret userErrors { code message } }
}"""


async def _creditor_token(hub: HubServer) -> str:
    creds = hub.demo_credentials()["creditor"]
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{hub.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(creds["client_id"], creds["client_secret"]),
        )
    return str(response.json()["access_token"])


async def _graphql(hub: HubServer, token: str, query: str, variables: dict[str, Any]) -> Any:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{hub.url}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def _create_endpoint(hub: HubServer, token: str, url: str) -> dict[str, Any]:
    variables = {"input": {"url": url, "eventTypes": ["account.placed"]}}
    payload: dict[str, Any] = (await _graphql(hub, token, CREATE, variables))[
        "createWebhookEndpoint"
    ]
    return payload


async def test_a_demo_hub_delivers_signed_webhooks_to_a_receiver_on_this_machine(
    hub_server: HubServer,
) -> None:
    assert not any(name.startswith("EVENLY_ALLOW") for name in hub_server.env)
    receiver = Receiver()
    await receiver.start()
    try:
        hub_server.start("--demo")
        assert "EVENLY_ALLOW_LOOPBACK_WEBHOOKS=1" in hub_server.log()  # the banner says so
        token = await _creditor_token(hub_server)
        for private in (
            "http://10.0.0.5/hook",
            "http://192.168.1.10/hook",
            "http://172.16.0.1/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://[fd00::1]/hook",
        ):
            refused = await _create_endpoint(hub_server, token, private)
            assert [e["code"] for e in refused["userErrors"]] == ["WEBHOOK_URL_NOT_ALLOWED"]
            assert "no setting allows" in refused["userErrors"][0]["message"]
        public_http = await _create_endpoint(hub_server, token, "http://93.184.216.34/hook")
        assert "EVENLY_ALLOW_INSECURE_WEBHOOKS=1" in public_http["userErrors"][0]["message"]

        created = await _create_endpoint(hub_server, token, receiver.url)
        assert created["userErrors"] == []
        localhost = receiver.url.replace("127.0.0.1", "localhost")
        assert (await _create_endpoint(hub_server, token, localhost))["userErrors"] == []
        placed = await _graphql(hub_server, token, PLACE, {"input": placement()})
        await receiver.wait_for(lambda: len(receiver.received) >= 2)
        for delivery in receiver.received[:2]:
            body = json_of(delivery)
            assert body["data"]["account"]["id"] == placed["placeAccount"]["account"]["id"]
        signed_with_first_secret = [
            r for r in receiver.received if _verifies(created["secret"], r.body, r.headers)
        ]
        assert len(signed_with_first_secret) == 1
    finally:
        await receiver.stop()


def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        standardwebhooks.Webhook(secret).verify(body, headers)
    except standardwebhooks.WebhookVerificationError:
        return False
    return True


async def test_outside_demo_mode_a_loopback_refusal_names_the_setting(
    hub_server: HubServer,
) -> None:
    hub_server.start()
    assert "EVENLY_ALLOW_LOOPBACK_WEBHOOKS" not in hub_server.log()
    created = hub_server.cli(
        "admin", "create-organization", "--kind", "creditor", "--name", "C", "--country", "SE",
        "--json",
    )  # fmt: skip
    creds = json.loads(created.stdout)
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{hub_server.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(creds["client_id"], creds["client_secret"]),
        )
    token = response.json()["access_token"]
    refused = await _create_endpoint(hub_server, token, "http://127.0.0.1:9/hook")
    assert [e["code"] for e in refused["userErrors"]] == ["WEBHOOK_URL_NOT_ALLOWED"]
    assert "EVENLY_ALLOW_LOOPBACK_WEBHOOKS=1" in refused["userErrors"][0]["message"]
