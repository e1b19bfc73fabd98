"""graphql-transport-ws on the real server: the same checks, limits and errors as HTTP, and
subscriptions that end when their token stops being valid."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import asyncpg
import httpx
import pytest
import websockets

from tests.conftest import PLACE, placement
from tests.e2e.conftest import HubServer
from tests.e2e.ws_client import Subscriber, subscriber

ORGANIZATION_EVENTS = "subscription { organizationEvents { id type } }"


async def demo_token(hub: HubServer, who: str = "creditor") -> str:
    creds = hub.demo_credentials()[who]
    async with httpx.AsyncClient(base_url=hub.url) as http:
        response = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(creds["client_id"], creds["client_secret"]),
        )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def answer(live: Subscriber, query: str, variables: dict[str, Any] | None = None) -> Any:
    """The first message answering one operation sent over ``live``."""
    await live.subscribe(query, variables)
    return await live.receive()


def codes(message: dict[str, Any]) -> list[str]:
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    return [e["extensions"]["code"] for e in errors]


async def test_websocket_operations_get_the_checks_and_codes_of_http(
    hub_server: HubServer,
) -> None:
    hub_server.start("--demo")
    token = await demo_token(hub_server)
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    doubling = "{ ...F20 } fragment F0 on Query { __typename } " + " ".join(
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 21)
    )
    nul_name = {"input": placement(customer={"name": "Astrid\u0000Lindqvist"})}
    cases: list[tuple[str, dict[str, Any] | None, str]] = [
        (PLACE, nul_name, "BAD_USER_INPUT"),
        (
            "query($t: [String!]) { events(types: $t) { nodes { id } } }",
            {"t": ["account.placed"] * 40_000},
            "LIST_TOO_LONG",
        ),
        ("{ nope }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("{ viewer ", None, "GRAPHQL_PARSE_FAILED"),
        (aliases, None, "TOO_MANY_ALIASES"),
        (doubling, None, "TOO_MANY_FIELDS"),  # and QUERY_TOO_COMPLEX: __typename repeated
        ("query($x: Int) { __typename }", None, "BAD_USER_INPUT"),
        ("{ __typename }" + " " * 100_001, None, "QUERY_TOO_LARGE"),
    ]
    async with subscriber(hub_server.url, token) as live:
        for query, variables, code in cases:
            message = await answer(live, query, variables)
            assert message["type"] == "error", message
            expected = {code, "QUERY_TOO_COMPLEX"} if query is doubling else {code}
            assert set(codes(message)) == expected, message
            text = json.dumps(message)
            for leak in ("SQL", "asyncpg", "sqlite", "INSERT", "Traceback"):
                assert leak not in text, message
        ok = await answer(live, "{ viewer { clientId } }")
        assert ok["type"] == "next" and "errors" not in ok["payload"], ok
        assert (await live.receive())["type"] == "complete"
        # Nothing of the refused placement was written.
        accounts = await answer(live, "{ accounts { totalCount } }")
        assert accounts["payload"]["data"]["accounts"]["totalCount"] == 5  # the demo's


async def test_websocket_operations_take_from_the_http_rate_limit(hub_server: HubServer) -> None:
    hub_server.env.update(EVENLY_RATE_LIMIT_PER_SECOND="1", EVENLY_RATE_LIMIT_BURST="20")
    hub_server.start("--demo")
    token = await demo_token(hub_server)  # the token endpoint has its own throttle
    answered, limited = 0, []
    async with subscriber(hub_server.url, token) as live:
        for _ in range(40):
            message = await answer(live, "{ __typename }")
            if message["type"] == "next":
                answered += 1
                assert (await live.receive())["type"] == "complete"
            else:
                limited.append(message)
    assert 20 <= answered <= 23, answered
    assert limited and all(codes(m) == ["RATE_LIMITED"] for m in limited)
    assert limited[0]["payload"][0]["extensions"]["retryAfter"] >= 1
    async with httpx.AsyncClient(base_url=hub_server.url) as http:
        response = await http.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 429  # the same bucket


async def test_the_operation_over_the_limit_of_a_connection_gets_a_code(
    hub_server: HubServer,
) -> None:
    hub_server.start("--demo")
    token = await demo_token(hub_server)
    async with subscriber(hub_server.url, token) as live:
        for _ in range(20):
            await live.subscribe(ORGANIZATION_EVENTS)
        await asyncio.sleep(0.5)
        message = await answer(live, ORGANIZATION_EVENTS)
    assert message["type"] == "error" and codes(message) == ["TOO_MANY_OPERATIONS"], message


async def closed_while_streaming(live: Subscriber, seconds: float) -> websockets.ConnectionClosed:
    """Wait for the server to close ``live`` (events may arrive meanwhile)."""
    deadline = time.monotonic() + seconds
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while time.monotonic() < deadline:
            try:
                await live.receive(seconds=1)
            except TimeoutError:
                continue
    return closed.value


async def test_a_revoked_clients_subscription_is_closed(hub_server: HubServer) -> None:
    hub_server.env["EVENLY_CLIENT_CACHE_SECONDS"] = "1"
    hub_server.start("--demo")
    token = await demo_token(hub_server)
    client_id = hub_server.demo_credentials()["creditor"]["client_id"]
    async with subscriber(hub_server.url, token) as live:
        await live.subscribe(ORGANIZATION_EVENTS)
        await asyncio.sleep(0.5)
        revoked = time.monotonic()
        await asyncio.to_thread(hub_server.cli, "admin", "revoke-client", client_id)
        closed = await closed_while_streaming(live, seconds=15)
    elapsed = time.monotonic() - revoked
    assert closed.rcvd is not None and closed.rcvd.code == 4403
    assert closed.rcvd.reason.startswith("CLIENT_REVOKED"), closed.rcvd.reason
    # The cache interval (1 s) and one re-check interval (1 s), with room for a busy machine.
    assert elapsed < 8, elapsed


@pytest.mark.slow
async def test_a_subscription_ends_when_its_token_expires(hub_server: HubServer) -> None:
    hub_server.env["EVENLY_TOKEN_TTL_SECONDS"] = "2"
    hub_server.start("--demo")
    token = await demo_token(hub_server)
    issued = time.monotonic()
    async with subscriber(hub_server.url, token) as live:
        await live.subscribe(ORGANIZATION_EVENTS)
        # Tokens are accepted up to 30 s past their expiry (clock leeway), over HTTP alike.
        closed = await closed_while_streaming(live, seconds=60)
    elapsed = time.monotonic() - issued
    assert closed.rcvd is not None and closed.rcvd.code == 4403
    assert closed.rcvd.reason.startswith("TOKEN_EXPIRED"), closed.rcvd.reason
    assert 2 < elapsed < 2 + 30 + 10, elapsed


async def test_faults_over_the_websocket_are_masked_with_a_request_id(
    pg_hub_server: HubServer,
) -> None:
    pg_hub_server.start("--demo")
    token = await demo_token(pg_hub_server)
    url = pg_hub_server.env["EVENLY_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(url)
    try:
        async with subscriber(pg_hub_server.url, token) as live:
            # A real fault under the resolvers: the table they read is gone.
            await admin.execute("ALTER TABLE accounts RENAME TO accounts_away")
            query = await answer(live, "{ accounts { totalCount } }")
            assert (await live.receive())["type"] == "complete"
            stream = await answer(
                live,
                "subscription($id: ID!) { accountEvents(accountId: $id) { id } }",
                {"id": "acc_00000000000000000000000000"},
            )
            await admin.execute("ALTER TABLE accounts_away RENAME TO accounts")
    finally:
        await admin.close()
    for message in (query, stream):
        assert message["type"] == "next", message
        [error] = message["payload"]["errors"]
        assert error["message"] == "Internal server error"
        assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        assert error["extensions"]["requestId"].startswith("req_")
        assert "accounts_away" not in json.dumps(message) and "SQL" not in json.dumps(message)
    assert query["payload"]["errors"][0]["extensions"]["requestId"] in pg_hub_server.log()
