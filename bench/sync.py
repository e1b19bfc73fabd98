"""Two-way sync benchmark: whole collection journeys against no-op mutations, on PostgreSQL.

Run from the repository root::

    .venv/bin/python bench/sync.py [--accounts 1000] [--concurrency 16]

It creates a database ``evenly_bench_<random>``, migrates it, starts ``evenly-hub serve``
(with its in-process delivery worker) and ``bench/receiver_app.py`` (a raw ASGI receiver
that counts POSTs), and drops and stops everything afterwards, also on errors.

- journeys: the creditor and the agency each have a webhook endpoint (all event types) at
  the receiver. ``--concurrency`` coroutines take accounts one at a time through
  ``placeAccount`` (creditor) → ``acknowledgePlacement`` → three ``recordPayment``s that
  clear the balance (agency; the third closes the account PAID and rehabilitates the
  customer): 5 GraphQL requests and 8 events (15 webhook deliveries) per account.
- no-op: the same number of GraphQL requests, with the same concurrency and the same
  clients, to a mutation that does no database work: ``recallAccount`` with a reason that
  fails input checks (``INVALID_REASON``) before any read — the full HTTP, auth, rate
  limit, parse, validate and execute path, and nothing else.

It prints requests/s of both and their ratio (target >= 0.5), the CPU time the hub's
processes (server, and worker if separate) spent per request in each phase (Linux /proc),
the journeys' end-to-end time, and how long after the last response the receiver had
every webhook. The measures
alternate in ``--rounds`` rounds so drift on a shared machine weighs on both alike.
``--separate-worker`` runs ``serve --no-worker`` plus an ``evenly-hub worker`` process;
``--no-webhooks`` creates no endpoints (to see what delivery costs).
"""

# ruff: noqa: E402  (imports after the sys.path set-up that finds bench/ modules)

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import os
import secrets
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from placement import (
    PLACE,
    free_port,
    on_a_new_database,
    placement,
    start,
    wait_healthy,
)

from hub.auth.scopes import OrganizationKind
from hub.services import organizations as organization_service
from hub.services.context import ServiceContext
from hub.settings import Settings
from hub.store.migrate import upgrade

TARGET = 0.5
EVENTS_PER_JOURNEY = 8
DELIVERIES_PER_JOURNEY = (
    15  # all 8 events to the creditor; all but the rehabilitation to the agency
)

ACKNOWLEDGE = """mutation($input: AcknowledgePlacementInput!) {
  acknowledgePlacement(input: $input) { account { id status } userErrors { code } }
}"""
PAY = """mutation($input: RecordPaymentInput!) {
  recordPayment(input: $input) { payment { id } account { id status balance { amountMinor } } userErrors { code } }
}"""
NOOP = """mutation($input: RecallAccountInput!) {
  recallAccount(input: $input) { account { id } userErrors { code } }
}"""
NOOP_AGENCY = """mutation($input: ReversePaymentInput!) {
  reversePayment(input: $input) { payment { id } userErrors { code } }
}"""
CREATE_ENDPOINT = """mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { webhookEndpoint { id } userErrors { code message } }
}"""


async def prepare(settings: Settings) -> dict[str, Any]:
    ctx = ServiceContext.from_settings(settings)
    try:
        await upgrade(ctx.db.engine)
        tag = uuid.uuid4().hex[:6]
        creditor = await organization_service.create_organization(
            ctx, kind=OrganizationKind.CREDITOR, name=f"Sync creditor {tag}", country="SE"
        )
        agency = await organization_service.create_organization(
            ctx, kind=OrganizationKind.AGENCY, name=f"Sync agency {tag}", country="SE"
        )
        await organization_service.create_routing_rule(
            ctx, creditor_id=creditor.organization_id, agency_id=agency.organization_id
        )
    finally:
        await ctx.db.dispose()
    return {"creditor": creditor, "agency": agency}


class Client:
    def __init__(self, base_url: str, client_id: str, secret: str, concurrency: int) -> None:
        token = httpx.post(
            f"{base_url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
        ).json()["access_token"]
        self.http = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            timeout=60,
        )

    async def run(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        body = response.json()
        if response.status_code != 200 or "errors" in body:
            raise RuntimeError(f"{response.status_code}: {body}")
        [payload] = body["data"].values()
        result: dict[str, Any] = payload
        return result


async def journey(creditor: Client, agency: Client, prefix: str) -> None:
    placed = await creditor.run(PLACE, {"input": placement(prefix)})
    assert not placed["userErrors"], placed
    account_id = placed["account"]["id"]
    acknowledged = await agency.run(ACKNOWLEDGE, {"input": {"accountId": account_id}})
    assert not acknowledged["userErrors"], acknowledged
    now = dt.datetime.now(dt.UTC).isoformat()
    for amount in (40_000, 30_000, 30_000):
        paid = await agency.run(
            PAY,
            {
                "input": {
                    "accountId": account_id,
                    "amount": {"amountMinor": amount, "currency": "SEK"},
                    "method": "CARD",
                    "channel": "PORTAL",
                    "receivedAt": now,
                }
            },
        )
        assert not paid["userErrors"], paid
    assert paid["account"]["status"] == "PAID", paid


async def noop(creditor: Client, agency: Client, i: int) -> None:
    """One request as in the journey's mix: 1 in 5 the creditor's, the rest the agency's."""
    if i % 5 == 0:
        refused = await creditor.run(NOOP, {"input": {"accountId": "acc_0", "reason": "x" * 501}})
        assert refused["userErrors"][0]["code"] == "INVALID_REASON", refused
    else:
        refused = await agency.run(NOOP_AGENCY, {"input": {"paymentId": "pay_0", "reason": ""}})
        assert refused["userErrors"][0]["code"] == "REQUIRED", refused


async def pool(concurrency: int, jobs: int, make: Any) -> float:
    """Run ``jobs`` coroutines from ``make(i)`` with ``concurrency`` workers; seconds taken."""
    queue = iter(range(jobs))

    async def worker() -> None:
        for i in queue:
            await make(i)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) the processes used so far; 0 where /proc is unavailable."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


async def receiver_count(url: str) -> int:
    async with httpx.AsyncClient() as client:
        return int((await client.get(f"{url}/count")).json()["count"])


async def delivered(url: str, count: int, limit: float = 120) -> None:
    """Poll the receiver until it has counted ``count`` POSTs."""
    deadline = time.perf_counter() + limit
    for _ in iter(int, 1):
        if await receiver_count(url) >= count:
            return
        if time.perf_counter() > deadline:
            raise RuntimeError(f"webhooks did not all arrive within {limit:.0f} s")
        await asyncio.sleep(0.05)


async def measure(args: argparse.Namespace, url: str, tmp: Path, processes: list[Any]) -> int:
    settings = Settings(
        data_dir=tmp,
        database_url=url,
        encryption_key=base64.b64encode(secrets.token_bytes(32)).decode(),
    )
    orgs = await prepare(settings)
    venv_bin = Path(sys.executable).parent
    hub_port, receiver_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENLY_")}
    env.update(
        EVENLY_DATABASE_URL=url,
        EVENLY_DATA_DIR=str(tmp),
        EVENLY_ENCRYPTION_KEY=settings.encryption_key,
        EVENLY_LOG_LEVEL="WARNING",
        EVENLY_RATE_LIMIT_PER_SECOND="1000000",
        EVENLY_RATE_LIMIT_BURST="1000000",
        EVENLY_ALLOW_INSECURE_WEBHOOKS="1",
    )
    serve = [str(venv_bin / "evenly-hub"), "serve", "--no-migrate", "--port", str(hub_port)]
    if args.separate_worker:
        serve.append("--no-worker")
    hub = start("hub", serve, env, hub_port, tmp)
    hub_pids = [hub.process.pid]  # whose CPU time is measured
    if args.separate_worker:
        worker = start("worker", [str(venv_bin / "evenly-hub"), "worker"], env, hub_port, tmp)
        processes.append(worker.process)
        hub_pids.append(worker.process.pid)
    receiver = start(
        "receiver",
        [
            str(venv_bin / "uvicorn"),
            "receiver_app:app",
            "--app-dir",
            str(BENCH_DIR),
            "--port",
            str(receiver_port),
            "--log-level",
            "warning",
        ],
        env,
        receiver_port,
        tmp,
    )
    processes += [hub.process, receiver.process]
    wait_healthy(hub)
    receiver_url = f"http://127.0.0.1:{receiver_port}"
    for _ in range(100):
        try:
            await receiver_count(receiver_url)
            break
        except httpx.HTTPError:
            await asyncio.sleep(0.1)

    c, a = orgs["creditor"], orgs["agency"]
    creditor = Client(hub.base_url, c.client_id, c.client_secret, args.concurrency)
    agency = Client(hub.base_url, a.client_id, a.client_secret, args.concurrency)
    for client in (creditor, agency) if args.webhooks else ():
        await client.run(
            CREATE_ENDPOINT, {"input": {"url": f"{receiver_url}/hooks", "eventTypes": []}}
        )
    # Warm up both paths (connections, caches, JIT of SQL statements), then measure.
    await pool(args.concurrency, 20, lambda i: journey(creditor, agency, "WARM"))
    await pool(args.concurrency, 100, lambda i: noop(creditor, agency, i))
    await delivered(receiver_url, 20 * DELIVERIES_PER_JOURNEY if args.webhooks else 0)
    delivered_before = await receiver_count(receiver_url)

    # Interleaved rounds, so drift on a shared machine weighs on both sides alike.
    requests = args.accounts * 5
    noop_seconds = journey_seconds = noop_cpu = journey_cpu = 0.0
    for round_ in range(args.rounds):
        accounts = args.accounts // args.rounds + (round_ < args.accounts % args.rounds)
        cpu = cpu_seconds(hub_pids)
        noop_seconds += await pool(
            args.concurrency, accounts * 5, lambda i: noop(creditor, agency, i)
        )
        noop_cpu += cpu_seconds(hub_pids) - cpu
        cpu = cpu_seconds(hub_pids)
        journey_seconds += await pool(
            args.concurrency, accounts, lambda i: journey(creditor, agency, "SYNC")
        )
        journey_cpu += cpu_seconds(hub_pids) - cpu
    expected = delivered_before + args.accounts * DELIVERIES_PER_JOURNEY * args.webhooks
    finished = time.perf_counter()
    await delivered(receiver_url, expected)
    drained = time.perf_counter() - finished

    hub_rate = requests / journey_seconds
    noop_rate = requests / noop_seconds
    ratio = hub_rate / noop_rate
    verdict = "ok" if ratio >= TARGET else "MISSED"
    print(
        f"sync journeys  {args.accounts} accounts x (place, acknowledge, 3 payments -> PAID), "
        f"concurrency {args.concurrency}, webhooks {'on' if args.webhooks else 'OFF'}"
        + (" (separate worker process)" if args.separate_worker else " (in-process worker)")
    )
    print(
        f"sync requests  hub={hub_rate:.0f}req/s noop={noop_rate:.0f}req/s "
        f"ratio={ratio:.2f} (target >= {TARGET})  {verdict}"
    )
    print(
        f"sync hub cpu  {journey_cpu / requests * 1000:.2f}ms/request (journeys, "
        f"webhook delivery included) {noop_cpu / requests * 1000:.2f}ms/request (no-op)"
    )
    print(
        f"sync end-to-end  {args.accounts} journeys in {journey_seconds:.2f}s "
        f"({args.accounts * EVENTS_PER_JOURNEY} events); every webhook "
        f"({args.accounts * DELIVERIES_PER_JOURNEY if args.webhooks else 0}) delivered "
        f"{drained:.2f}s after the last response"
    )
    await creditor.http.aclose()
    await agency.http.aclose()
    return 0 if ratio >= TARGET else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--no-webhooks", dest="webhooks", action="store_false", help="no endpoints (diagnosis)"
    )
    parser.add_argument(
        "--separate-worker",
        action="store_true",
        help="serve --no-worker plus one `evenly-hub worker` process (the scale-out set-up)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="interleaved measuring rounds")
    args = parser.parse_args()
    return on_a_new_database(lambda url, tmp, processes: measure(args, url, tmp, processes))


if __name__ == "__main__":
    raise SystemExit(main())
