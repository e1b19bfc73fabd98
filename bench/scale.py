"""Scale benchmark: read latencies as the accounts grow to a million, on PostgreSQL.

Run from the repository root::

    .venv/bin/python bench/scale.py [--sizes 10000,100000,1000000] [--batch 500] [--concurrency 4]
                                    [--seed-only]

It creates a database ``evenly_bench_<random>``, migrates it, starts ``evenly-hub serve``
(no webhook endpoints: this measures the reads, not delivery) and drops everything
afterwards. One creditor and one agency (a routing rule takes every account); accounts are
placed through ``placeAccounts`` (``--batch`` accounts a request, ``--concurrency`` requests
at once), each customer in SE, FI or NO (17 : 2 : 1), two events per account.

At each size it prints the placement throughput of the seeding step, then the p50 (and p90)
of ``--requests`` requests over HTTP for each read: first ``agencyPerformance`` and
``portfolioStatus`` right after the seeding, before any ANALYZE (what a new creditor sees
after its first big placement), then every read after ``ANALYZE``. At the end: each read's
growth from the smallest size to the largest (target <= 2x), whether ``agencyPerformance``
and ``portfolioStatus`` stay within 50 ms at the largest, and the database size per million
accounts with the largest tables and indexes.
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

import asyncpg
import httpx

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from placement import (
    PLACE_MANY,
    free_port,
    on_a_new_database,
    percentile,
    prepare,
    start,
    wait_healthy,
)

from hub.settings import Settings

GROWTH_TARGET = 2.0
KPI_TARGET_MS = 50.0
COUNTRIES = ("SE",) * 17 + ("FI", "FI", "NO")

READS: dict[str, str] = {
    "accounts(first: 20)": "{ accounts(first: 20) { nodes { id } } }",
    "account(reference:)": "query($r: String!) { account(reference: $r) { id status } }",
    "events(first: 100)": "{ events(first: 100) { nodes { id } } }",
    "accounts(first: 20, status+country)": (
        '{ accounts(first: 20, filter: {status: [PLACED], country: "SE"}) { nodes { id } } }'
    ),
    "  ... with totalCount": (
        '{ accounts(first: 20, filter: {status: [PLACED], country: "SE"}) '
        "{ totalCount nodes { id } } }"
    ),
    "totalCount by agency": (
        "query($a: ID!) { accounts(first: 1, filter: {agencyId: $a}) { totalCount } }"
    ),
    "totalCount by status": (
        "{ accounts(first: 1, filter: {status: [PLACED, ACKNOWLEDGED]}) { totalCount } }"
    ),
    "portfolioStatus(from, to)": (
        "query($f: DateTime!, $t: DateTime!) { portfolioStatus(from: $f, to: $t) "
        "{ currency outstanding { amountMinor } paymentsCount accounts { status count } } }"
    ),
    "agencyPerformance(from, to)": (
        "query($f: DateTime!, $t: DateTime!) { agencyPerformance(from: $f, to: $t) "
        "{ accountsPlaced recoveryRate disputeRate medianDaysToFirstPayment } }"
    ),
}
KPIS = ("portfolioStatus(from, to)", "agencyPerformance(from, to)")


def item(n: int, tag: str) -> dict[str, Any]:
    return {
        "reference": f"S{tag}-{n}",
        "customer": {
            "reference": f"SC{tag}-{n}",
            "name": "Astrid Lindqvist",
            "email": "astrid@example.com",
            "country": COUNTRIES[n % len(COUNTRIES)],
        },
        # Small balances: a million of them must fit Money.amountMinor (a 32-bit Int).
        "originalAmount": {"amountMinor": 1250, "currency": "SEK"},
        "balance": {"amountMinor": 1000, "currency": "SEK"},
        "dueDate": "2026-09-30",
        "product": "BNPL_INVOICE",
    }


async def seed(http: httpx.AsyncClient, first: int, last: int, batch: int, workers: int) -> float:
    """Place accounts ``first`` .. ``last - 1``; accounts per second."""
    tag = uuid.uuid4().hex[:8]
    starts = iter(range(first, last, batch))

    async def worker() -> None:
        for start_at in starts:
            items = [item(n, tag) for n in range(start_at, min(last, start_at + batch))]
            response = await http.post(
                "/graphql", json={"query": PLACE_MANY, "variables": {"input": {"items": items}}}
            )
            body = response.json()
            placed = (body.get("data") or {}).get("placeAccounts") or {}
            if response.status_code != 200 or placed.get("placedCount") != len(items):
                raise RuntimeError(f"placeAccounts failed: {response.text[:1000]}")

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return (last - first) / (time.perf_counter() - began)


async def p50(http: httpx.AsyncClient, query: str, variables: dict[str, Any], n: int) -> float:
    """p50 in ms of ``n`` sequential requests (after one warm-up)."""
    times = []
    for i in range(n + 1):
        began = time.perf_counter()
        response = await http.post("/graphql", json={"query": query, "variables": variables})
        elapsed = (time.perf_counter() - began) * 1000
        body = response.json()
        if response.status_code != 200 or "errors" in body:
            raise RuntimeError(f"{query[:60]}: {response.text[:500]}")
        if i:
            times.append(elapsed)
    return percentile(times, 0.5)


async def database_size(dsn: str) -> tuple[int, list[tuple[str, int]]]:
    conn = await asyncpg.connect(dsn)
    try:
        total = await conn.fetchval("SELECT pg_database_size(current_database())")
        rows = await conn.fetch(
            "SELECT c.relname, pg_relation_size(c.oid) AS size FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
            "ORDER BY size DESC LIMIT 10"
        )
        return int(total), [(r["relname"], int(r["size"])) for r in rows]
    finally:
        await conn.close()


async def analyze(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def measure(args: argparse.Namespace, url: str, tmp: Path, processes: list[Any]) -> int:
    settings = Settings(
        data_dir=tmp,
        database_url=url,
        encryption_key=base64.b64encode(secrets.token_bytes(32)).decode(),
    )
    orgs = await prepare(settings)
    venv_bin = Path(sys.executable).parent
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENLY_")}
    env.update(
        EVENLY_DATABASE_URL=url,
        EVENLY_DATA_DIR=str(tmp),
        EVENLY_ENCRYPTION_KEY=settings.encryption_key,
        EVENLY_LOG_LEVEL="WARNING",
        EVENLY_RATE_LIMIT_PER_SECOND="1000000",
        EVENLY_RATE_LIMIT_BURST="1000000",
    )
    hub = start(
        "hub",
        [str(venv_bin / "evenly-hub"), "serve", "--no-migrate", "--port", str(port)],
        env,
        port,
        tmp,
    )
    processes.append(hub.process)
    wait_healthy(hub)
    async with httpx.AsyncClient() as anonymous:
        granted = await anonymous.post(
            f"{hub.base_url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(orgs.client_id, orgs.client_secret),
        )
    token = granted.json()["access_token"]
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    sizes = [int(s) for s in args.sizes.split(",")]
    began = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    results: dict[int, dict[str, float]] = {}
    async with httpx.AsyncClient(
        base_url=hub.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=600
    ) as http:
        done = 0
        for size in sizes:
            rate = await seed(http, done, size, args.batch, args.concurrency)
            done = size
            print(f"\nscale {size:>9,} accounts  seeded at {rate:,.0f} accounts/s (this step)")
            if args.seed_only:
                continue
            window = {
                "f": began.isoformat(),
                "t": (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat(),
            }
            variables = {**window, "a": orgs.agency_id, "r": f"S-{size // 2}"}
            found = await http.post(
                "/graphql", json={"query": "{ accounts(first: 1) { nodes { reference } } }"}
            )
            variables["r"] = found.json()["data"]["accounts"]["nodes"][0]["reference"]
            row: dict[str, float] = {}
            for name in KPIS:  # right after seeding: no ANALYZE yet
                row[f"{name} before ANALYZE"] = await p50(
                    http, READS[name], variables, args.requests
                )
            await analyze(dsn)
            for name, query in READS.items():
                row[name] = await p50(http, query, variables, args.requests)
            for name, ms in row.items():
                print(f"  {name:<48} p50 {ms:8.1f} ms")
            results[size] = row
        total, largest = await database_size(dsn)
    if args.seed_only:
        return 0
    return report(sizes, results, total, largest)


def report(
    sizes: list[int],
    results: dict[int, dict[str, float]],
    total: int,
    largest: list[tuple[str, int]],
) -> int:
    first, last = sizes[0], sizes[-1]
    print(f"\ngrowth {first:,} -> {last:,} accounts (target <= {GROWTH_TARGET:.0f}x)")
    missed = 0
    for name in results[first]:
        growth = results[last][name] / results[first][name]
        ok = growth <= GROWTH_TARGET
        missed += not ok
        print(f"  {name:<48} {growth:6.2f}x  {'ok' if ok else 'MISSED'}")
    print(f"\nKPIs at {last:,} accounts (target <= {KPI_TARGET_MS:.0f} ms p50)")
    for name, ms in results[last].items():
        if name.startswith(KPIS):
            ok = ms <= KPI_TARGET_MS
            missed += not ok
            print(f"  {name:<48} {ms:8.1f} ms  {'ok' if ok else 'MISSED'}")
    per_million = total / last * 1_000_000
    print(
        f"\ndatabase {total / 2**30:.2f} GiB at {last:,} accounts: {per_million / 2**30:.2f} GiB per million"
    )
    for name, size in largest:
        print(f"  {name:<48} {size / 2**20:9.0f} MiB")
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 1 if missed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument(
        "--seed-only", action="store_true", help="Seed and print the throughput; no reads."
    )
    args = parser.parse_args()
    return on_a_new_database(lambda url, tmp, processes: measure(args, url, tmp, processes))


if __name__ == "__main__":
    raise SystemExit(main())
