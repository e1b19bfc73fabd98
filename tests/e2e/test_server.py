"""End to end against the real server process: the README's quickstart, over HTTP."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from tests.conftest import PLACE, PLACE_MANY, placement
from tests.e2e.conftest import HubServer


def token(hub: HubServer, client_id: str, secret: str) -> str:
    response = httpx.post(
        f"{hub.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )
    assert response.status_code == 200, response.text
    value: str = response.json()["access_token"]
    return value


def gql(
    hub: HubServer, bearer: str, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = httpx.post(
        f"{hub.url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def test_demo_quickstart_over_http(demo_hub: HubServer) -> None:
    creds = demo_hub.demo_credentials()
    creditor = token(demo_hub, creds["creditor"]["client_id"], creds["creditor"]["client_secret"])
    agency = token(demo_hub, creds["agency"]["client_id"], creds["agency"]["client_secret"])

    seeded = gql(demo_hub, creditor, "{ accounts { totalCount } }")["accounts"]["totalCount"]
    assert seeded == 5

    one = gql(demo_hub, creditor, PLACE, {"input": placement()})["placeAccount"]
    assert (
        one["userErrors"] == []
        and one["account"]["agency"]["id"] == creds["agency"]["organization_id"]
    )

    batch = gql(
        demo_hub, creditor, PLACE_MANY, {"input": {"items": [placement() for _ in range(100)]}}
    )
    assert batch["placeAccounts"]["placedCount"] == 100

    listing = gql(
        demo_hub,
        creditor,
        '{ accounts(first: 100, filter: {country: "SE"}) { totalCount nodes { id } } }',
    )
    assert listing["accounts"]["totalCount"] == 1 + 100 + 1  # one seeded demo account is Swedish

    recall = gql(
        demo_hub,
        creditor,
        "mutation($id: ID!) { recallAccount(input: {accountId: $id}) { account { status } userErrors { code } } }",
        {"id": one["account"]["id"]},
    )
    assert recall["recallAccount"]["account"]["status"] == "RECALLED"
    target = batch["placeAccounts"]["results"][0]["account"]["id"]
    adjust = gql(
        demo_hub,
        creditor,
        """mutation($id: ID!) { adjustBalance(input: {accountId: $id, amount: {amountMinor: -100, currency: "SEK"},
           reason: "goodwill"}) { account { balance { amountMinor } } userErrors { code } } }""",
        {"id": target},
    )
    assert adjust["adjustBalance"]["userErrors"] == []

    feed = gql(
        demo_hub,
        agency,
        '{ events(first: 100, types: ["account.recalled", "account.balance_adjusted"]) { nodes { type data } } }',
    )
    assert [e["type"] for e in feed["events"]["nodes"]] == [
        "account.recalled",
        "account.balance_adjusted",
    ]

    page = httpx.get(f"{demo_hub.url}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    metrics = demo_hub.metrics()
    assert 'operation="mutation placeAccounts"' in metrics


def test_serve_demo_again_reuses_the_demo_organizations(hub_server: HubServer) -> None:
    hub_server.start("--demo")
    first = hub_server.demo_credentials()
    hub_server.stop()
    hub_server.start("--demo")
    second = hub_server.demo_credentials()
    assert first == second
    bearer = token(hub_server, second["creditor"]["client_id"], second["creditor"]["client_secret"])
    assert gql(hub_server, bearer, "{ accounts { totalCount } }")["accounts"]["totalCount"] == 5
    # The demo organizations are sandbox organizations.
    assert all(second[role]["client_id"].startswith("cli_test_") for role in ("creditor", "agency"))
    viewer = gql(hub_server, bearer, "{ viewer { organization { sandbox } } }")["viewer"]
    assert viewer["organization"]["sandbox"] is True
    feed = gql(hub_server, bearer, "{ events(first: 100) { nodes { livemode } } }")["events"]
    assert feed["nodes"] and {n["livemode"] for n in feed["nodes"]} == {False}


def test_admin_cli_organizations_clients_and_routing(hub_server: HubServer) -> None:
    hub_server.start()
    creditor = json.loads(
        hub_server.cli(
            "admin",
            "create-organization",
            "--kind",
            "creditor",
            "--name",
            "Klarna-ish",
            "--country",
            "se",
            "--json",
        ).stdout
    )
    assert set(creditor) == {"organization_id", "client_id", "client_secret"}
    agency = json.loads(
        hub_server.cli(
            "admin",
            "create-organization",
            "--kind",
            "agency",
            "--name",
            "Collecto",
            "--country",
            "SE",
            "--json",
        ).stdout
    )
    rule = json.loads(
        hub_server.cli(
            "admin",
            "create-routing-rule",
            "--creditor",
            creditor["organization_id"],
            "--agency",
            agency["organization_id"],
            "--country",
            "SE",
            "--product",
            "BNPL_INVOICE",
            "--priority",
            "5",
            "--json",
        ).stdout
    )
    assert rule["routing_rule_id"].startswith("rr_")
    bearer = token(hub_server, creditor["client_id"], creditor["client_secret"])
    placed = gql(hub_server, bearer, PLACE, {"input": placement()})["placeAccount"]
    assert placed["account"]["agency"]["id"] == agency["organization_id"]

    reader = json.loads(
        hub_server.cli(
            "admin",
            "create-client",
            "--organization",
            creditor["organization_id"],
            "--scope",
            "accounts:read",
            "--json",
        ).stdout
    )
    reader_token = token(hub_server, reader["client_id"], reader["client_secret"])
    assert gql(hub_server, reader_token, "{ viewer { scopes } }")["viewer"]["scopes"] == [
        "accounts:read"
    ]
    hub_server.cli("admin", "revoke-client", reader["client_id"])
    refused = httpx.post(
        f"{hub_server.url}/graphql",
        json={"query": "{ viewer { scopes } }"},
        headers={"Authorization": f"Bearer {reader_token}"},
    )
    assert (
        refused.status_code == 401
        and refused.json()["errors"][0]["extensions"]["code"] == "CLIENT_REVOKED"
    )

    bad = hub_server.cli(
        "admin",
        "create-organization",
        "--kind",
        "creditor",
        "--name",
        "X",
        "--country",
        "XX",
        "--json",
        check=False,
    )
    assert bad.returncode == 1 and json.loads(bad.stderr)["error"] == "INVALID_COUNTRY"
    bad_rule = hub_server.cli(
        "admin",
        "create-routing-rule",
        "--creditor",
        agency["organization_id"],
        "--agency",
        agency["organization_id"],
        check=False,
    )
    assert bad_rule.returncode == 1 and json.loads(bad_rule.stderr)["error"] == "NOT_FOUND"


def test_admin_cli_sandbox_organizations_have_test_credentials(hub_server: HubServer) -> None:
    hub_server.start()

    def organization(kind: str, *flags: str) -> dict[str, str]:
        made = hub_server.cli(
            "admin", "create-organization", "--kind", kind, "--name", "Try", "--country", "SE",
            *flags, "--json",
        )  # fmt: skip
        found: dict[str, str] = json.loads(made.stdout)
        return found

    sandbox = organization("creditor", "--sandbox")
    live_agency = organization("agency")
    assert sandbox["client_id"].startswith("cli_test_")
    assert sandbox["client_secret"].startswith("sk_test_")
    assert not live_agency["client_id"].startswith("cli_test_")
    bearer = token(hub_server, sandbox["client_id"], sandbox["client_secret"])
    viewer = gql(hub_server, bearer, "{ viewer { organization { sandbox } } }")["viewer"]
    assert viewer["organization"]["sandbox"] is True
    mixed = hub_server.cli(
        "admin", "create-routing-rule", "--creditor", sandbox["organization_id"],
        "--agency", live_agency["organization_id"], check=False,
    )  # fmt: skip
    assert mixed.returncode == 1 and json.loads(mixed.stderr)["error"] == "SANDBOX_MISMATCH"


def test_server_logs_are_json_lines_with_request_ids(hub_server: HubServer) -> None:
    hub_server.start()
    request_id = f"e2e-{uuid.uuid4().hex[:8]}"
    response = httpx.get(f"{hub_server.url}/healthz", headers={"X-Request-Id": request_id})
    assert response.headers["x-request-id"] == request_id
    hub_server.stop()
    lines = [json.loads(line) for line in hub_server.log().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("request_id") == request_id]
    assert access and access[0]["path"] == "/healthz" and access[0]["status"] == 200
