"""Placement benchmark: the hub's ``placeAccount(s)`` against a raw baseline, on PostgreSQL.

Run from the repository root::

    .venv/bin/python bench/placement.py [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/DB]
                                        [--n 300] [--batches 20]

Without ``--database-url`` it creates a database ``evenly_bench_<random>``, migrates it, runs
and drops it. It starts two real servers (uvicorn, uvloop, httptools):

* the hub, ``evenly-hub serve --no-migrate`` (rate limit raised out of the way);
* ``bench/baseline_app.py``, a bare Starlette endpoint that takes the same JSON and inserts
  the same rows (customer + account + 2 events) with SQLAlchemy Core, nothing else.

A routing rule sends every placement to an agency, so each hub placement writes customer +
account + ``account.placed`` + ``account.assigned``, like the baseline. It measures

(a) sequential single placements, one keep-alive httpx client per target, requests
    interleaved hub/bare: p50 and p95 latency, ratio hub/bare of the p50s (target <= 1.5);
(b) batches of 100: ``placeAccounts`` vs the bare endpoint vs the same ``executemany``
    called in-process (no HTTP): accounts/s, ratio hub/bare (target >= 0.45), hub/direct.

After each warm-up the tables are ANALYZEd (``--no-analyze`` to skip): they grow from empty
during the run, and without statistics PostgreSQL finds the hub's customers and duplicate
references by creditor alone, filtering every row of the creditor. ``--lean`` also times a
``placeAccount`` that selects only ``account { id }`` (no customer/agency resolution).
``bench/placement_profile.py`` breaks the hub's time down by phase and SQL round trip.

What a single placement costs (found with ``placement_profile.py`` and py-spy): round trips,
more than Python. On this kind of machine a statement's send alone costs some 0.3 ms (the
kernel wakes the database's process), so the hub, which sent six (BEGIN, the organization,
the customer upsert, the account insert, the write, COMMIT) against the bare endpoint's
five, was at 1.7-1.9x. It now sends two (``docs/architecture.md``, "A placement"): the
creditor's sandbox mode comes from the organization cache, and the customer upsert and
account insert ride at the head of the write's statement, which commits on its own; the
ratio went to 1.3-1.45x (main 1.74-1.82x, interleaved, load average 4-5). Rollups and
counts are not the cost (``EXPLAIN ANALYZE`` of a 100-account write: 5 ms, counts 0.02 ms,
rollups 0.03 ms, facts 0.75 ms). A batch's cost is Python: graphql-core's variable
coercion (~3.5 ms a 100), the HTTP and GraphQL layer (~11 ms), the service (~19 ms, of
which ids were 4 ms before their encoding took pairs of characters) and SQL (~22 ms).

``--profile-hub FILE`` attaches ``py-spy record`` (``--py-spy``, default found on PATH or in
/tmp/pyspy-venv) to the hub server during (a); the latencies of that run are then perturbed.
"""

# ruff: noqa: E402  (imports after the sys.path set-up that finds bench/ modules)

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from baseline_app import insert_placements, make_engine

from hub.auth.scopes import OrganizationKind
from hub.services import organizations as organization_service
from hub.services.context import ServiceContext
from hub.settings import Settings
from hub.store.migrate import upgrade

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BATCH_SIZE = 100
SINGLE_TARGET = 1.5
BATCH_TARGET = 0.45

# The mutations of tests/conftest.py (PLACE, PLACE_MANY): what a creditor integration sends.
PLACE = """
mutation Place($input: PlaceAccountInput!) {
  placeAccount(input: $input) {
    account { id reference status balance { amountMinor currency } agency { id } customer { id name } }
    userErrors { field code message }
    warnings { field code message }
    replayed
  }
}
"""

PLACE_MANY = """
mutation PlaceMany($input: PlaceAccountsInput!) {
  placeAccounts(input: $input) {
    placedCount failedCount
    results { index account { id reference } userErrors { field code } warnings { code } replayed }
    userErrors { field code message }
  }
}
"""


def placement(prefix: str) -> dict[str, Any]:
    """A valid PlaceAccountInput (as in tests/conftest.py) with unique references."""
    tag = uuid.uuid4().hex
    return {
        "reference": f"{prefix}-{tag}",
        "customer": {
            "reference": f"{prefix}C-{tag}",
            "name": "Astrid Lindqvist",
            "email": "astrid@example.com",
            "phone": "+46701234567",
            "country": "SE",
            "language": "sv-SE",
            "timezone": "Europe/Stockholm",
        },
        "originalAmount": {"amountMinor": 125000, "currency": "SEK"},
        "balance": {"amountMinor": 100000, "currency": "SEK"},
        "dueDate": "2026-09-30",
        "product": "BNPL_INVOICE",
        "metadata": {"order": "ORD-1"},
    }


# --- database -----------------------------------------------------------------------------


def _asyncpg_dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def create_database() -> tuple[str, str]:
    """Create ``evenly_bench_<random>``; return (its SQLAlchemy URL, its name)."""
    name = f"evenly_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(DEFAULT_ADMIN_URL, timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = DEFAULT_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}", name


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(DEFAULT_ADMIN_URL, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@dataclass
class Orgs:
    creditor_id: str
    client_id: str
    client_secret: str
    agency_id: str


async def prepare(settings: Settings) -> Orgs:
    """Migrate; create a creditor, an agency and a rule routing all placements to it."""
    ctx = ServiceContext.from_settings(settings)
    try:
        await upgrade(ctx.db.engine)
        tag = uuid.uuid4().hex[:6]
        creditor = await organization_service.create_organization(
            ctx, kind=OrganizationKind.CREDITOR, name=f"Bench creditor {tag}", country="SE"
        )
        agency = await organization_service.create_organization(
            ctx, kind=OrganizationKind.AGENCY, name=f"Bench agency {tag}", country="SE"
        )
        await organization_service.create_routing_rule(
            ctx, creditor_id=creditor.organization_id, agency_id=agency.organization_id
        )
    finally:
        await ctx.db.dispose()
    return Orgs(
        creditor.organization_id, creditor.client_id, creditor.client_secret, agency.organization_id
    )


async def analyze(url: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=5)
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def rows_written(url: str, prefixes: list[str]) -> dict[str, tuple[int, int, int]]:
    """Per reference prefix: (accounts, customers, events) stored."""
    conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=5)
    try:
        found = {}
        for prefix in prefixes:
            n_acc = await conn.fetchval(
                "SELECT count(*) FROM accounts WHERE reference LIKE $1", f"{prefix}-%"
            )
            n_cus = await conn.fetchval(
                "SELECT count(*) FROM customers WHERE reference LIKE $1", f"{prefix}C-%"
            )
            n_evt = await conn.fetchval(
                "SELECT count(*) FROM events e JOIN accounts a ON a.id = e.account_id "
                "WHERE a.reference LIKE $1",
                f"{prefix}-%",
            )
            found[prefix] = (n_acc, n_cus, n_evt)
        return found
    finally:
        await conn.close()


# --- servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def tail(self, lines: int = 30) -> str:
        with suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


def start(name: str, argv: list[str], env: dict[str, str], port: int, log_dir: Path) -> Server:
    log = log_dir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Server(name, process, f"http://127.0.0.1:{port}", log)


def wait_healthy(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited ({server.process.returncode}):\n{server.tail()}"
            )
        with suppress(httpx.HTTPError):
            if httpx.get(f"{server.base_url}/healthz", timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} not healthy after {timeout:.0f}s:\n{server.tail()}")


def stop(process: subprocess.Popen[Any], timeout: float = 5.0) -> None:
    """Terminate the process we started (and its own process group), then kill if needed."""
    if process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)


@contextmanager
def running(processes: list[subprocess.Popen[Any]]) -> Iterator[None]:
    """Stop every process in ``processes`` when the block ends, whatever happens."""
    try:
        yield
    finally:
        for process in reversed(processes):
            with suppress(Exception):
                stop(process)


def on_a_new_database(
    measure: Callable[[str, Path, list[subprocess.Popen[Any]]], Awaitable[int]],
) -> int:
    """Run ``measure(url, tmp, processes)`` on a fresh PostgreSQL database in a temporary
    directory; the processes it starts are stopped and the database dropped afterwards,
    also on Ctrl-C or SIGTERM."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    processes: list[subprocess.Popen[Any]] = []
    with asyncio.Runner() as runner, tempfile.TemporaryDirectory(prefix="evenly-bench-") as tmp:
        url, name = runner.run(create_database())
        try:
            with running(processes):
                return runner.run(measure(url, Path(tmp), processes))
        finally:
            runner.run(drop_database(name))


# --- measurement --------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def check_hub_single(response: httpx.Response) -> None:
    body = response.json()
    payload = (body.get("data") or {}).get("placeAccount")
    if response.status_code != 200 or "errors" in body or payload is None:
        raise RuntimeError(f"hub placeAccount failed: {response.status_code} {response.text}")
    if payload["userErrors"] or payload["account"]["agency"] is None:
        raise RuntimeError(f"hub placement not placed and assigned: {payload}")


def check_hub_batch(response: httpx.Response) -> None:
    body = response.json()
    payload = (body.get("data") or {}).get("placeAccounts")
    if response.status_code != 200 or "errors" in body or payload is None:
        raise RuntimeError(
            f"hub placeAccounts failed: {response.status_code} {response.text[:2000]}"
        )
    if payload["placedCount"] != BATCH_SIZE or payload["userErrors"]:
        raise RuntimeError(f"hub placed {payload['placedCount']}: {payload['userErrors'][:3]}")
    if any(r["warnings"] for r in payload["results"]):
        raise RuntimeError("hub placements were not routed to the agency")


def check_bare(response: httpx.Response) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"bare endpoint failed: {response.status_code} {response.text[:2000]}")


@dataclass
class Target:
    name: str
    prefix: str
    send: Callable[[dict[str, Any]], httpx.Response]
    check: Callable[[httpx.Response], None]


BatchTarget = tuple[str, str, Callable[[list[dict[str, Any]]], Any]]


def run_single(
    targets: list[Target], warmup: int, n: int, after_warmup: Callable[[], None]
) -> dict[str, list[float]]:
    """Sequential requests, interleaved across targets; latencies in ms per target."""
    for _ in range(warmup):
        for t in targets:
            t.check(t.send(placement(t.prefix)))
    after_warmup()
    latencies: dict[str, list[float]] = {t.name: [] for t in targets}
    for _ in range(n):
        for t in targets:
            item = placement(t.prefix)
            started = time.perf_counter()
            response = t.send(item)
            latencies[t.name].append((time.perf_counter() - started) * 1000)
            t.check(response)
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="postgresql+asyncpg://… (default: a fresh database)")
    parser.add_argument("--n", type=int, default=300, help="sequential single placements")
    parser.add_argument("--batches", type=int, default=20, help="batches of 100 per target")
    parser.add_argument("--warmup", type=int, default=30, help="warm-up single requests")
    parser.add_argument("--hub-log-level", default="WARNING", help="EVENLY_LOG_LEVEL of the hub")
    parser.add_argument(
        "--lean", action="store_true", help="also time placeAccount selecting only account { id }"
    )
    parser.add_argument(
        "--no-analyze", action="store_true", help="do not ANALYZE the tables after warm-ups"
    )
    parser.add_argument("--profile-hub", type=Path, help="py-spy record of the hub during (a)")
    parser.add_argument("--py-spy", default=None, help="py-spy executable")
    args = parser.parse_args()

    # A SIGTERM runs the clean-up below (servers stopped, database dropped) like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    owned_db: str | None = None
    processes: list[subprocess.Popen[Any]] = []
    with asyncio.Runner() as runner, tempfile.TemporaryDirectory(prefix="evenly-bench-") as tmp:
        try:
            if args.database_url:
                url = args.database_url
            else:
                url, owned_db = runner.run(create_database())
            if make_url(url).get_backend_name() != "postgresql":
                raise SystemExit("this benchmark runs on PostgreSQL only")
            with running(processes):
                return measure(args, runner, url, Path(tmp), processes)
        finally:
            if owned_db is not None:
                runner.run(drop_database(owned_db))


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
    hub_port, bare_port = free_port(), free_port()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("EVENLY_")}
    hub_env = {
        **base_env,
        "EVENLY_DATABASE_URL": url,
        "EVENLY_DATA_DIR": str(tmp),
        "EVENLY_ENCRYPTION_KEY": encryption_key,
        "EVENLY_RATE_LIMIT_PER_SECOND": "1000000",
        "EVENLY_RATE_LIMIT_BURST": "1000000",
        "EVENLY_LOG_LEVEL": args.hub_log_level,
    }
    hub_argv = [str(venv_bin / "evenly-hub"), "serve", "--no-migrate", "--port", str(hub_port)]
    bare_env = {
        **base_env,
        "BENCH_DATABASE_URL": url,
        "BENCH_CREDITOR_ID": orgs.creditor_id,
        "BENCH_AGENCY_ID": orgs.agency_id,
    }
    bare_argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "baseline_app:create_app",
        "--factory",
        "--app-dir",
        str(BENCH_DIR),
        "--host",
        "127.0.0.1",
        "--port",
        str(bare_port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    hub = start("hub", hub_argv, hub_env, hub_port, tmp)
    processes.append(hub.process)
    bare = start("bare", bare_argv, bare_env, bare_port, tmp)
    processes.append(bare.process)
    try:
        wait_healthy(hub)
        wait_healthy(bare)
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 2

    print("placement benchmark on PostgreSQL")
    print(f"  database: {make_url(url).render_as_string(hide_password=True)}")
    print(
        f"  hub:  {' '.join(hub_argv[1:])} (pid {hub.process.pid}, log level {args.hub_log_level})"
    )
    print(f"  bare: uvicorn baseline_app:create_app (pid {bare.process.pid})")
    print(
        f"  each placement writes customer + account + 2 events "
        f"(routing rule creditor {orgs.creditor_id} -> agency {orgs.agency_id})"
    )

    def after_warmup() -> None:
        # Steady state: planner statistics of tables that grew from empty (autovacuum's
        # analyze would come within a minute or so). Without them PostgreSQL looks customers
        # and accounts up by creditor only and filters every row of the creditor.
        if not args.no_analyze:
            runner.run(analyze(url))

    if args.no_analyze:
        print("  --no-analyze: tables are not analyzed after the warm-ups")
    timeout = httpx.Timeout(60.0)
    with (
        httpx.Client(base_url=hub.base_url, timeout=timeout) as hub_http,
        httpx.Client(base_url=bare.base_url, timeout=timeout) as bare_http,
    ):
        token_response = hub_http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(orgs.client_id, orgs.client_secret),
        )
        token_response.raise_for_status()
        auth = {"Authorization": f"Bearer {token_response.json()['access_token']}"}

        def hub_gql(query: str, variables: dict[str, Any]) -> httpx.Response:
            return hub_http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=auth
            )

        # --- (a) single placements ---
        targets = [
            Target("hub", "HUB", lambda item: hub_gql(PLACE, {"input": item}), check_hub_single),
            Target("bare", "BARE", lambda item: bare_http.post("/place", json=item), check_bare),
        ]
        if args.lean:
            lean = "mutation P($input: PlaceAccountInput!) { placeAccount(input: $input) { account { id } userErrors { code } } }"

            def check_lean(response: httpx.Response) -> None:
                body = response.json()
                if "errors" in body or body["data"]["placeAccount"]["userErrors"]:
                    raise RuntimeError(f"hub (lean) failed: {response.text}")

            targets.append(
                Target("hub-lean", "LEAN", lambda item: hub_gql(lean, {"input": item}), check_lean)
            )
        print(
            f"\n(a) sequential single placements: {args.warmup} warm-up + {args.n} measured "
            f"per target, interleaved {'/'.join(t.name for t in targets)}"
        )
        profiler = None
        if args.profile_hub:
            profiler = start_profiler(args, hub.process.pid)
            processes.append(profiler)
        started = time.perf_counter()
        latencies = run_single(targets, args.warmup, args.n, after_warmup)
        single_seconds = time.perf_counter() - started
        if profiler is not None:
            stop_profiler(profiler, args.profile_hub)
        stats = {
            name: (statistics.median(v), percentile(v, 0.95), statistics.fmean(v))
            for name, v in latencies.items()
        }
        for name, (p50, p95, mean) in stats.items():
            print(f"  {name:<9} p50={p50:7.2f} ms  p95={p95:7.2f} ms  mean={mean:7.2f} ms")
        single_ratio = stats["hub"][0] / stats["bare"][0]
        print(f"  ratio hub/bare p50 = {single_ratio:.2f}  (target <= {SINGLE_TARGET})")
        print(f"  ratio hub/bare p95 = {stats['hub'][1] / stats['bare'][1]:.2f}")
        if args.lean:
            print(f"  ratio hub-lean/bare p50 = {stats['hub-lean'][0] / stats['bare'][0]:.2f}")
        print(f"  ({single_seconds:.1f}s)")

        # --- (b) batches of 100 ---
        direct_engine = make_engine(url)

        def direct(items: list[dict[str, Any]]) -> list[str]:
            return runner.run(
                insert_placements(direct_engine, items, orgs.creditor_id, orgs.agency_id)
            )

        def hub_batch(items: list[dict[str, Any]]) -> None:
            check_hub_batch(hub_gql(PLACE_MANY, {"input": {"items": items}}))

        def bare_batch(items: list[dict[str, Any]]) -> None:
            check_bare(bare_http.post("/place-many", json=items))

        batch_targets: list[BatchTarget] = [
            ("hub", "HUBB", hub_batch),
            ("bare", "BAREB", bare_batch),
            ("direct", "DIRECT", direct),
        ]
        print(
            f"\n(b) batches of {BATCH_SIZE}: 2 warm-up + {args.batches} measured per target, "
            "interleaved hub/bare/direct (items built before each timed call)"
        )
        try:
            batch_times = run_batches(batch_targets, args.batches, after_warmup)
        finally:
            runner.run(direct_engine.dispose())
        throughput = {}
        for name, seconds in batch_times.items():
            throughput[name] = BATCH_SIZE * len(seconds) / sum(seconds)
            ms = [s * 1000 for s in seconds]
            print(
                f"  {name:<7} {throughput[name]:8.0f} accounts/s  "
                f"batch p50={statistics.median(ms):7.1f} ms  p95={percentile(ms, 0.95):7.1f} ms"
            )
        batch_ratio = throughput["hub"] / throughput["bare"]
        direct_ratio = throughput["hub"] / throughput["direct"]
        print(f"  ratio hub/bare    = {batch_ratio:.2f}  (target >= {BATCH_TARGET})")
        print(f"  ratio hub/direct  = {direct_ratio:.2f}")
        print(f"  ratio bare/direct = {throughput['bare'] / throughput['direct']:.2f}")

    # --- the rows really written ---
    prefixes = ["HUB", "BARE", "HUBB", "BAREB", "DIRECT"] + (["LEAN"] if args.lean else [])
    written = runner.run(rows_written(url, prefixes))
    print("\nrows written (accounts, customers, events; events per account):")
    for prefix, (n_acc, n_cus, n_evt) in written.items():
        per = n_evt / n_acc if n_acc else 0.0
        print(f"  {prefix:<7} {n_acc:6d} {n_cus:6d} {n_evt:6d}  {per:.2f}")
    bad = [p for p, (a, c, e) in written.items() if not a or c != a or e != 2 * a]
    if bad:
        print(f"  MISMATCH: {bad} did not write 1 customer + 2 events per account")

    hub_p50, bare_p50 = stats["hub"][0], stats["bare"][0]
    print("\nsummary")
    print(
        f"placement single  p50 hub={hub_p50:.2f}ms bare={bare_p50:.2f}ms "
        f"ratio={single_ratio:.2f}  (target <= {SINGLE_TARGET})"
        + ("  MISSED" if single_ratio > SINGLE_TARGET else "  ok")
    )
    print(
        f"placement batch   hub={throughput['hub']:.0f}acc/s bare={throughput['bare']:.0f}acc/s "
        f"ratio={batch_ratio:.2f}  (target >= {BATCH_TARGET})  "
        f"direct={throughput['direct']:.0f}acc/s ratio_to_direct={direct_ratio:.2f}"
        + ("  MISSED" if batch_ratio < BATCH_TARGET else "  ok")
    )
    return 1 if bad else 0


def run_batches(
    targets: list[BatchTarget], batches: int, after_warmup: Callable[[], None]
) -> dict[str, list[float]]:
    """Warm up twice, then ``batches`` rounds of one batch per target; seconds per batch.

    Each batch's items (fresh references) are built before its timed call.
    """
    for _ in range(2):
        for _, prefix, call in targets:
            call([placement(prefix) for _ in range(BATCH_SIZE)])
    after_warmup()
    times: dict[str, list[float]] = {name: [] for name, _, _ in targets}
    for _ in range(batches):
        for name, prefix, call in targets:
            items = [placement(prefix) for _ in range(BATCH_SIZE)]
            started = time.perf_counter()
            call(items)
            times[name].append(time.perf_counter() - started)
    return times


def start_profiler(args: argparse.Namespace, pid: int) -> subprocess.Popen[bytes]:
    exe = args.py_spy or shutil.which("py-spy") or "/tmp/pyspy-venv/bin/py-spy"
    fmt = "speedscope" if str(args.profile_hub).endswith(".json") else "raw"
    argv = [exe, "record", "--pid", str(pid), "--rate", "250", "--format", fmt]
    argv += ["--output", str(args.profile_hub), "--nonblocking"]
    process = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    time.sleep(1.0)
    if process.poll() is not None:
        raise RuntimeError(
            f"py-spy failed: {process.stderr.read().decode() if process.stderr else ''}"
        )
    return process


def stop_profiler(process: subprocess.Popen[bytes], output: Path) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    print(f"  py-spy profile of the hub written to {output} (latencies above include its overhead)")


if __name__ == "__main__":
    sys.exit(main())
