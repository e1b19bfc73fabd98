"""The real server while its PostgreSQL really goes away and comes back.

A cluster of the test's own is stopped (``pg_ctl stop -m fast``) under a stream of
placements: every endpoint answers JSON 503 ``SERVICE_UNAVAILABLE`` with ``Retry-After``
(over HTTP and the websocket), never a plain 500, a stack trace or SQL; once the cluster is
back the same process serves again and no acknowledged placement is lost.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import IN_CI, PLACE, placement
from tests.e2e.conftest import HubServer
from tests.e2e.ws_client import Subscriber, subscriber
from tests.postgres_cluster import PostgresCluster

LEAKS = ("Traceback", "asyncpg", "sqlalchemy", "SELECT", "INSERT", "Errno", "postgres")
PLACED = 'subscription($after: String) { organizationEvents(types: ["account.placed"], after: $after) { id data } }'


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    try:
        pg = PostgresCluster()
    except (FileNotFoundError, KeyError, subprocess.CalledProcessError) as error:
        message = f"cannot make a PostgreSQL cluster: {error}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    try:
        pg.start()
        yield pg
    finally:
        pg.destroy()


@pytest.fixture
def hub(cluster: PostgresCluster, tmp_path: Path) -> Iterator[HubServer]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENLY_")}
    env.update(
        EVENLY_DATA_DIR=str(tmp_path),
        EVENLY_DATABASE_URL=cluster.url,
        EVENLY_ENCRYPTION_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        # The creditor's client stays trusted from cache (its requests reach the resolvers);
        # the agency's is never cached (its requests fail in authentication).
        EVENLY_CLIENT_CACHE_SECONDS="3600",
        EVENLY_RATE_LIMIT_PER_SECOND="10000",
        EVENLY_RATE_LIMIT_BURST="10000",
        EVENLY_DATABASE_POOL_SIZE="5",
    )
    server = HubServer(env=env, data_dir=tmp_path)
    server.start("--demo")
    try:
        yield server
    finally:
        server.stop()


def assert_coded_503(response: httpx.Response) -> dict[str, Any]:
    """A 503 in JSON with Retry-After and SERVICE_UNAVAILABLE, leaking nothing."""
    assert response.status_code == 503, (response.status_code, response.text)
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"].startswith("application/json")
    for leak in LEAKS:
        assert leak not in response.text, response.text
    body: dict[str, Any] = response.json()
    code = body.get("code") or body["errors"][0]["extensions"]["code"]
    assert code == "SERVICE_UNAVAILABLE", body
    return body


class Session:
    def __init__(self, http: httpx.AsyncClient, creditor: str, agency: str) -> None:
        self.http = http
        self.creditor = creditor
        self.agency = agency

    async def graphql(
        self, token: str, query: str, variables: dict[str, Any] | None = None
    ) -> httpx.Response:
        return await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token}"},
        )

    async def place(self, item: dict[str, Any]) -> httpx.Response:
        return await self.graphql(self.creditor, PLACE, {"input": item})


async def token(http: httpx.AsyncClient, client: dict[str, str]) -> httpx.Response:
    return await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
    )


@pytest.fixture
async def session(hub: HubServer) -> AsyncIterator[Session]:
    creds = hub.demo_credentials()
    async with httpx.AsyncClient(base_url=hub.url, timeout=30) as http:
        creditor = (await token(http, creds["creditor"])).json()["access_token"]
        agency = (await token(http, creds["agency"])).json()["access_token"]
        yield Session(http, creditor, agency)


class Placer:
    """Places accounts one after another (each with its idempotency key) until stopped,
    keeping every answer."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.items: list[dict[str, Any]] = []
        self.acknowledged: dict[str, str] = {}  # reference -> account id
        self.unavailable: list[dict[str, Any]] = []
        self.other: list[str] = []
        self.stop = asyncio.Event()

    async def run(self) -> None:
        while not self.stop.is_set():
            item = placement(idempotencyKey=f"outage-{uuid.uuid4().hex}")
            self.items.append(item)
            try:
                response = await self.session.place(item)
            except httpx.HTTPError as error:  # a dropped connection
                self.other.append(repr(error))
                continue
            if response.status_code == 503:
                assert_coded_503(response)
                self.unavailable.append(item)
            elif response.status_code == 200 and "errors" not in response.json():
                payload = response.json()["data"]["placeAccount"]
                self.acknowledged[item["reference"]] = payload["account"]["id"]
            else:
                self.other.append(f"{response.status_code} {response.text[:300]}")
            await asyncio.sleep(0.02)


async def receive_for(socket: Subscriber, op_id: str, seconds: float) -> list[dict[str, Any]]:
    """The messages of one operation up to its ``complete`` or ``error`` (others dropped)."""
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while True:
        message = await socket.receive(max(0.1, deadline - time.monotonic()))
        if message.get("id") != op_id:
            continue
        messages.append(message)
        if message["type"] in ("complete", "error"):
            return messages


def unavailable_error(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The one coded error in an operation's messages (``next`` with errors, or ``error``)."""
    text = json.dumps(messages)
    for leak in LEAKS:
        assert leak not in text, text
    first = messages[0]
    errors = first["payload"]["errors"] if first["type"] == "next" else first["payload"]
    assert errors[0]["extensions"]["code"] == "SERVICE_UNAVAILABLE", messages
    error: dict[str, Any] = errors[0]
    return error


@pytest.mark.slow
async def test_every_endpoint_answers_503_while_the_database_is_down_then_recovers(
    cluster: PostgresCluster, hub: HubServer, session: Session
) -> None:
    creds = hub.demo_credentials()
    viewer = await session.graphql(session.creditor, "{ viewer { clientId } }")
    assert viewer.status_code == 200  # the creditor's client is now trusted from cache
    async with subscriber(hub.url, session.creditor) as socket:
        await socket.subscribe(PLACED)  # operation "1"
        await asyncio.sleep(0.5)
        first = placement()
        assert (await session.place(first)).status_code == 200
        [event] = await socket.events(1)
        last_seen = event["id"]

        placer = Placer(session)
        placing = asyncio.create_task(placer.run())
        await asyncio.sleep(0.5)
        cluster.stop("fast")
        down_at = time.monotonic()

        # Over HTTP: a mutation and a query past authentication, a request failing in
        # authentication, the token endpoint and the health check.
        assert_coded_503(await session.place(placement()))
        assert_coded_503(await session.graphql(session.creditor, "{ accounts { totalCount } }"))
        assert_coded_503(await session.graphql(session.agency, "{ accounts { totalCount } }"))
        oauth = assert_coded_503(await token(session.http, creds["creditor"]))
        assert oauth["error"] == "temporarily_unavailable"
        assert_coded_503(await session.http.get("/healthz"))

        # Over the websocket: a query and a mutation end with the coded error ...
        query_id = await socket.subscribe("{ accounts(first: 1) { totalCount } }")
        error = unavailable_error(await receive_for(socket, query_id, 10))
        assert error["extensions"]["retryAfter"] == 1
        mutation_id = await socket.subscribe(PLACE, {"input": placement()})
        unavailable_error(await receive_for(socket, mutation_id, 10))
        # ... and so does the live subscription when it next reads (at the latest after the
        # event bus's fallback interval, 5 s).
        unavailable_error(await receive_for(socket, "1", 15))
        # A new connection whose token cannot be checked is told to try again later.
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with subscriber(hub.url, session.agency):
                pass
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013

        assert hub.process is not None and hub.process.poll() is None
        outage = time.monotonic() - down_at
        cluster.start()
        up_at = time.monotonic()
        while True:
            response = await session.place(placement())
            if response.status_code == 200 and "errors" not in response.json():
                break
            assert_coded_503(response)
            assert time.monotonic() - up_at < 30, "the hub did not serve again"
            await asyncio.sleep(0.05)
        recovered_after = time.monotonic() - up_at
        await asyncio.sleep(0.5)
        placer.stop.set()
        await placing
        print(
            f"outage {outage:.1f} s: {len(placer.acknowledged)} placements acknowledged, "
            f"{len(placer.unavailable)} answered 503; first success {recovered_after:.2f} s "
            "after the database came back"
        )

        assert placer.other == [], placer.other[:5]
        assert placer.unavailable, "no placement met the outage"
        # Nothing acknowledged is lost, and a 503'd placement sent again is placed once.
        for reference, account_id in placer.acknowledged.items():
            found = await session.graphql(
                session.creditor,
                "query($r: String) { account(reference: $r) { id } }",
                {"r": reference},
            )
            assert found.json()["data"]["account"] == {"id": account_id}, reference
        for item in placer.unavailable:
            again = (await session.place(item)).json()
            assert again["data"]["placeAccount"]["userErrors"] == [], again
        total = await session.graphql(session.creditor, "{ accounts { totalCount } }")
        placed = len(placer.acknowledged) + len(placer.unavailable)
        assert total.json()["data"]["accounts"]["totalCount"] == 5 + 1 + 1 + placed

        # The same socket subscribes again from the last event it saw and goes live.
        await socket.subscribe(PLACED, {"after": last_seen})
        events = await socket.events(placed + 1, seconds=30)
        assert len({e["id"] for e in events}) == placed + 1
