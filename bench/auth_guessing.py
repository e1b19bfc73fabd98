"""Secret guessing benchmark: another tenant's latency while one client guesses, on PostgreSQL.

Run from the repository root::

    .venv/bin/python bench/auth_guessing.py [--requests 300] [--guessers 4]

It creates a database ``evenly_bench_<random>`` on 127.0.0.1:5432, migrates it, starts the
real server (``evenly-hub serve --no-migrate --no-worker``) and two creditors: tenant A,
whose client secret is guessed, and tenant B, who sends ``{ viewer { clientId } }`` one
request after another. It prints tenant B's p50 and p95 latency

(a) with nobody guessing;
(b) while ``--guessers`` connections send wrong secrets for A's client id as fast as the hub
    answers, from one address (what the per-client and per-address throttles stop);
(c) while as many connections guess with made-up client ids from a new address each time
    (``X-Forwarded-For``, which the server trusts from loopback): no throttle applies, so
    only the bound on concurrent secret checks keeps B's requests flowing;

with the guesses answered per second and their statuses. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import asyncpg
import httpx

from hub.auth.scopes import OrganizationKind
from hub.services import organizations as organization_service
from hub.services.context import ServiceContext
from hub.settings import Settings
from hub.store.migrate import upgrade

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
HUB = str(Path(sys.executable).with_name("evenly-hub"))
VIEWER = {"query": "{ viewer { clientId } }"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def prepare(settings: Settings) -> tuple[tuple[str, str], tuple[str, str]]:
    services = ServiceContext.from_settings(settings)
    await upgrade(services.db.engine)
    try:
        pair = []
        for name in ("Tenant A", "Tenant B"):
            creds = await organization_service.create_organization(
                services, kind=OrganizationKind.CREDITOR, name=name, country="SE"
            )
            pair.append((creds.client_id, creds.client_secret))
        return pair[0], pair[1]
    finally:
        await services.db.dispose()


async def viewer_latencies(http: httpx.AsyncClient, token: str, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        response = await http.post(
            "/graphql", json=VIEWER, headers={"Authorization": f"Bearer {token}"}
        )
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return latencies


async def guess(
    url: str, client_id: str | None, stop: asyncio.Event, statuses: Counter[int]
) -> None:
    """Wrong secrets until ``stop``: for ``client_id`` from this address, or (None) for a
    made-up client id from a made-up address each time."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        while not stop.is_set():
            headers = {}
            target = client_id
            if target is None:
                target = f"cli_{uuid.uuid4().hex[:26].upper()}"
                headers["X-Forwarded-For"] = (
                    f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
                )
            response = await http.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(target, "sk_" + secrets.token_urlsafe(32)),
                headers=headers,
            )
            statuses[response.status_code] += 1


def summary(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {statistics.median(ordered) * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms"


async def measure(
    args: argparse.Namespace, url: str, a: tuple[str, str], b: tuple[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        response = await http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=b
        )
        token = response.json()["access_token"]
        await viewer_latencies(http, token, 50)  # warm-up
        print(
            f"(a) nobody guessing:                     viewer {summary(await viewer_latencies(http, token, args.requests))}"
        )
        for label, target in (
            ("(b) one client guessing, one address:  ", a[0]),
            ("(c) made-up clients, a new address each:", None),
        ):
            stop = asyncio.Event()
            statuses: Counter[int] = Counter()
            guessers = [
                asyncio.create_task(guess(url, target, stop, statuses))
                for _ in range(args.guessers)
            ]
            await asyncio.sleep(1.0)
            started, before = time.perf_counter(), sum(statuses.values())
            latencies = await viewer_latencies(http, token, args.requests)
            rate = (sum(statuses.values()) - before) / (time.perf_counter() - started)
            stop.set()
            await asyncio.gather(*guessers)
            answered = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
            print(f"{label} viewer {summary(latencies)}  guesses {rate:6.1f}/s ({answered})")
            await asyncio.sleep(2.5)  # let the guessed client's budget refill a little


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--guessers", type=int, default=4)
    args = parser.parse_args()

    name = f"evenly_bench_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    tmp = Path(tempfile.mkdtemp(prefix="evenly-bench-auth-"))
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENLY_")}
    env.update(
        EVENLY_DATABASE_URL=url,
        EVENLY_DATA_DIR=str(tmp),
        EVENLY_ENCRYPTION_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        EVENLY_RATE_LIMIT_PER_SECOND="100000",
        EVENLY_RATE_LIMIT_BURST="100000",
        EVENLY_LOG_LEVEL="ERROR",
    )
    process = None
    try:
        settings = Settings.from_env(env)
        a, b = asyncio.run(prepare(settings))
        port = free_port()
        with (tmp / "hub.log").open("wb") as log:
            process = subprocess.Popen(
                [HUB, "serve", "--no-migrate", "--no-worker", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        hub_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{hub_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError((tmp / "hub.log").read_text())
            time.sleep(0.1)
        print(f"{args.guessers} guessing connections, {args.requests} viewer requests each run")
        asyncio.run(measure(args, hub_url, a, b))
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=15)
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
