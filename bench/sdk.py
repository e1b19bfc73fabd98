"""SDK benchmark: ``accounts.place_many`` against raw httpx, and its memory on a huge file.

Run from the repository root::

    .venv/bin/python bench/sdk.py [--accounts 100000] [--concurrency 4] [--rounds 4]
                                  [--memory-lines 1000000] [--memory-against hub|stub]

It creates a database ``evenly_bench_<random>`` on PostgreSQL, migrates it, starts the hub
(``evenly-hub serve --no-worker``, rate limit out of the way; a routing rule sends every
placement to an agency), and drops everything at the end. It measures

(1) throughput. The SDK (``Evenly.accounts.place_many`` over a generator of dicts, batches
    of 500, ``--concurrency`` in flight, ``keep_placed=False``) against raw httpx: one
    ``httpx.Client`` and a thread pool of the same size POSTing the same ``placeAccounts``
    document with the same items (camelCase, the same ``place:<reference>`` idempotency
    keys), prebuilt, and counting the items with an account. Each side places ``--accounts`` fresh
    accounts, in ``--rounds`` alternating rounds (raw, SDK, SDK, raw, …) so the growing
    tables weigh on both alike. Ratio SDK/raw of accounts per second (target >= 0.9).
(2) memory. A JSONL file of ``--memory-lines`` accounts is written to a temporary directory
    and placed by a separate SDK process (``evenly._files.read_accounts`` → ``place_many``,
    what ``evenly accounts place --file`` runs); the process reports its RSS after start-up
    (imports, token; the kernel's peak is reset there, as imports peak briefly higher) and
    its peak RSS (``VmHWM``) at the end: growth target <= 100 MB.
    ``--memory-against stub`` points it at ``bench/sdk_stub_app.py`` (a bare endpoint that
    answers ``placeAccounts`` without storing anything) to measure the SDK alone quickly.
"""

# ruff: noqa: E402  (imports after the sys.path set-up that finds bench/ modules)

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import evenly
from evenly._operations import PLACE_ACCOUNTS
from placement import (
    analyze,
    create_database,
    drop_database,
    free_port,
    prepare,
    running,
    start,
    wait_healthy,
)

from hub.settings import Settings

BATCH = 500
RATIO_TARGET = 0.9
MEMORY_TARGET_MB = 100.0

MEMORY_JOB = """
import json, sys
from pathlib import Path
import evenly
from evenly._files import read_accounts

def status_mb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(field)

with evenly.Evenly() as client:
    client.viewer()                       # imports done, token fetched: the baseline
    # Forget the peak so far (imports briefly peak well above where they settle).
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    start = status_mb("VmRSS")
    report = client.accounts.place_many(
        read_accounts(Path(sys.argv[1])), keep_placed=False, concurrency=int(sys.argv[2])
    )
peak = status_mb("VmHWM")
print(json.dumps({"start_mb": start, "peak_mb": peak, "placed": report.placed_count,
                  "failed": report.failed_count, "seconds": report.elapsed}))
"""


def account(prefix: str, i: int) -> dict[str, Any]:
    """One account in the SDK's snake_case form (what a creditor's code would pass)."""
    return {
        "reference": f"{prefix}-{i:08d}",
        "customer": {
            "reference": f"{prefix}C-{i:08d}",
            "name": "Astrid Lindqvist",
            "email": "astrid@example.com",
            "phone": "+46701234567",
            "country": "SE",
            "language": "sv-SE",
            "timezone": "Europe/Stockholm",
        },
        "original_amount": {"amount_minor": 125000, "currency": "SEK"},
        "balance": {"amount_minor": 100000, "currency": "SEK"},
        "due_date": "2026-01-31",
        "product": "BNPL_INVOICE",
        "metadata": {"order": f"ORD-{i}"},
    }


def wire_item(prefix: str, i: int) -> dict[str, Any]:
    """The same account as the GraphQL input the SDK sends (camelCase, idempotency key)."""
    a = account(prefix, i)
    return {
        "reference": a["reference"],
        "customer": a["customer"],
        "originalAmount": {"amountMinor": 125000, "currency": "SEK"},
        "balance": {"amountMinor": 100000, "currency": "SEK"},
        "dueDate": a["due_date"],
        "product": a["product"],
        "metadata": a["metadata"],
        "idempotencyKey": evenly.placement_key(a["reference"]),
    }


def raw_round(base_url: str, token: str, prefix: str, n: int, concurrency: int) -> float:
    """Place ``n`` accounts with raw httpx and a thread pool; seconds taken."""
    batches = [
        {
            "query": PLACE_ACCOUNTS,
            "variables": {
                "input": {"items": [wire_item(prefix, i) for i in range(s, min(n, s + BATCH))]}
            },
        }
        for s in range(0, n, BATCH)
    ]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, timeout=120) as http:

        def post(body: dict[str, Any]) -> None:
            response = http.post("/graphql", json=body, headers=headers)
            results = response.json()["data"]["placeAccounts"]["results"]
            placed = sum(1 for r in results if r["account"] is not None)
            if placed != len(body["variables"]["input"]["items"]):
                raise RuntimeError(f"raw batch placed {placed}: {response.text[:500]}")

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(post, batches))
        return time.perf_counter() - started


def sdk_round(client: evenly.Evenly, prefix: str, n: int, concurrency: int) -> float:
    started = time.perf_counter()
    report = client.accounts.place_many(
        (account(prefix, i) for i in range(n)), concurrency=concurrency, keep_placed=False
    )
    seconds = time.perf_counter() - started
    if report.placed_count != n or report.failed_count:
        raise RuntimeError(f"SDK placed {report.placed_count} of {n}: {report.errors[:3]}")
    return seconds


def write_jsonl(path: Path, lines: int) -> None:
    prefix = f"MEM{uuid.uuid4().hex[:6]}"
    with path.open("w") as out:
        for i in range(lines):
            out.write(json.dumps(account(prefix, i), separators=(",", ":")) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000, help="accounts per side")
    parser.add_argument("--concurrency", type=int, default=4, help="batches in flight")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per side")
    parser.add_argument("--memory-lines", type=int, default=1_000_000)
    parser.add_argument("--memory-against", choices=["hub", "stub"], default="hub")
    parser.add_argument("--only", choices=["throughput", "memory"], help="run one part")
    parser.add_argument("--hub-log-level", default="WARNING")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    with asyncio.Runner() as runner, tempfile.TemporaryDirectory(prefix="evenly-bench-") as tmp:
        url, database = runner.run(create_database())
        processes: list[subprocess.Popen[Any]] = []
        try:
            with running(processes):
                return measure(args, runner, url, Path(tmp), processes)
        finally:
            runner.run(drop_database(database))


def measure(
    args: argparse.Namespace,
    runner: asyncio.Runner,
    url: str,
    tmp: Path,
    processes: list[subprocess.Popen[Any]],
) -> int:
    encryption_key = base64.b64encode(secrets.token_bytes(32)).decode()
    settings = Settings(data_dir=tmp, database_url=url, encryption_key=encryption_key)
    orgs = runner.run(prepare(settings))
    venv_bin = Path(sys.executable).parent
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENLY_")}
    hub_env = {
        **env,
        "EVENLY_DATABASE_URL": url,
        "EVENLY_DATA_DIR": str(tmp),
        "EVENLY_ENCRYPTION_KEY": encryption_key,
        "EVENLY_RATE_LIMIT_PER_SECOND": "1000000",
        "EVENLY_RATE_LIMIT_BURST": "1000000",
        "EVENLY_LOG_LEVEL": args.hub_log_level,
    }
    argv = [str(venv_bin / "evenly-hub"), "serve", "--no-migrate", "--no-worker"]
    hub = start("hub", [*argv, "--port", str(port)], hub_env, port, tmp)
    processes.append(hub.process)
    wait_healthy(hub)
    print("SDK benchmark on PostgreSQL")
    print(f"  hub: {' '.join(argv[1:])} (pid {hub.process.pid}); routing rule to an agency")

    # Warm-up, then planner statistics: the tables grew from empty, and without statistics
    # PostgreSQL looks placements up by creditor alone (see bench/placement.py).
    with evenly.Evenly(orgs.client_id, orgs.client_secret, base_url=hub.base_url) as client:
        sdk_round(client, "WARM", 2 * BATCH, args.concurrency)
    runner.run(analyze(url))

    ratio = growth = None
    if args.only != "memory":
        ratio = throughput(args, runner, url, hub.base_url, orgs)
    failed = 0
    if args.only != "throughput":
        growth, failed = memory(args, tmp, env, hub.base_url, orgs, processes)

    print("\nsummary")
    if ratio is not None:
        print(
            f"sdk place_many  ratio={ratio:.2f} (target >= {RATIO_TARGET})"
            + ("  ok" if ratio >= RATIO_TARGET else "  MISSED")
        )
    if growth is not None:
        print(
            f"sdk memory      growth={growth:.1f}MB over {args.memory_lines:,} lines "
            f"(target <= {MEMORY_TARGET_MB:.0f}MB)"
            + ("  ok" if growth <= MEMORY_TARGET_MB else "  MISSED")
        )
    return 0 if failed == 0 else 1


def throughput(
    args: argparse.Namespace, runner: asyncio.Runner, url: str, base_url: str, orgs: Any
) -> float:
    """(1): accounts per second of the SDK and of raw httpx; returns the ratio."""
    per_round = args.accounts // args.rounds
    print(
        f"\n(1) place_many vs raw httpx: {args.accounts:,} accounts each, batches of {BATCH}, "
        f"concurrency {args.concurrency}, {args.rounds} alternating rounds of {per_round:,}"
    )
    with evenly.Evenly(orgs.client_id, orgs.client_secret, base_url=base_url) as client:
        client.viewer()
        assert client._token is not None
        token = client._token.value
        # Warm-up on both paths, then planner statistics again.
        raw_round(base_url, token, "WRAW", 2 * BATCH, args.concurrency)
        sdk_round(client, "WSDK", 2 * BATCH, args.concurrency)
        runner.run(analyze(url))
        seconds = {"raw": 0.0, "sdk": 0.0}
        for r in range(args.rounds):
            order = ["raw", "sdk"] if r % 2 == 0 else ["sdk", "raw"]
            for side in order:
                prefix = f"{side.upper()}{r}-{uuid.uuid4().hex[:6]}"
                if side == "raw":
                    took = raw_round(base_url, token, prefix, per_round, args.concurrency)
                else:
                    took = sdk_round(client, prefix, per_round, args.concurrency)
                seconds[side] += took
                print(f"  round {r + 1} {side:<3} {per_round / took:8.0f} accounts/s ({took:.1f}s)")
    total = per_round * args.rounds
    raw_rate, sdk_rate = total / seconds["raw"], total / seconds["sdk"]
    ratio = sdk_rate / raw_rate
    print(f"  raw httpx  {raw_rate:8.0f} accounts/s")
    print(f"  SDK        {sdk_rate:8.0f} accounts/s")
    print(f"  ratio SDK/raw = {ratio:.2f}  (target >= {RATIO_TARGET})")
    return ratio


def memory(
    args: argparse.Namespace,
    tmp: Path,
    env: dict[str, str],
    base_url: str,
    orgs: Any,
    processes: list[subprocess.Popen[Any]],
) -> tuple[float | None, int]:
    """(2): peak RSS growth of an SDK process streaming a big file; (growth, failed)."""
    path = tmp / "accounts.jsonl"
    write_jsonl(path, args.memory_lines)
    target_url = base_url
    if args.memory_against == "stub":
        stub_port = free_port()
        stub_argv = [
            sys.executable,
            "-m",
            "uvicorn",
            "sdk_stub_app:app",
            "--app-dir",
            str(BENCH_DIR),
            "--port",
            str(stub_port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        stub = start("stub", stub_argv, env, stub_port, tmp)
        processes.append(stub.process)
        wait_healthy(stub)
        target_url = stub.base_url
    size_mb = path.stat().st_size / 2**20
    print(
        f"\n(2) memory: {args.memory_lines:,}-line JSONL ({size_mb:.0f} MB) streamed by a separate "
        f"SDK process into {'the hub' if args.memory_against == 'hub' else 'a stub endpoint'}"
    )
    job_env = {
        **env,
        "EVENLY_CLIENT_ID": orgs.client_id,
        "EVENLY_CLIENT_SECRET": orgs.client_secret,
        "EVENLY_BASE_URL": target_url,
    }
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_JOB, str(path), str(args.concurrency)],
        env=job_env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return None, 1
    memory = json.loads(done.stdout.splitlines()[-1])
    growth: float = memory["peak_mb"] - memory["start_mb"]
    print(
        f"  placed {memory['placed']:,} (failed {memory['failed']:,}) in {memory['seconds']:.0f}s, "
        f"{memory['placed'] / memory['seconds']:.0f} accounts/s"
    )
    print(
        f"  RSS after start-up {memory['start_mb']:.1f} MB, peak {memory['peak_mb']:.1f} MB, "
        f"growth {growth:.1f} MB  (target <= {MEMORY_TARGET_MB:.0f} MB)"
    )

    return growth, int(memory["failed"])


if __name__ == "__main__":
    sys.exit(main())
