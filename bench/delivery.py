"""Webhook delivery benchmark: the hub's outbox worker against a raw aiohttp loop, on PostgreSQL.

Run from the repository root::

    .venv/bin/python bench/delivery.py [--events 20000] [--concurrency 32] [--placements 200]

It creates a database ``evenly_bench_<random>``, migrates it, runs and drops it, and stops
every process it started, also on errors. It measures

(1) throughput. ``bench/receiver_app.py`` (raw ASGI under uvicorn, uvloop, httptools, in its
    own process) answers 204 to every POST and counts them with their ``time.monotonic()``.
    - raw: an aiohttp ``ClientSession`` in this process (uvloop; also the default asyncio
      loop, which is what ``evenly-hub worker`` runs on) with ``--concurrency`` coroutines
      POSTing the same bodies the hub sends (``body_of``), signed in the loop like the hub
      (HMAC ``whsec_`` secret + Ed25519 key), to the receiver; no database.
    - hub: N ``account.placed`` events for one creditor with one endpoint are written with
      the event log's ``append`` (events + outbox rows, batches of 1,000 per transaction)
      while no worker runs, then ANALYZEd; then ONE ``evenly-hub worker`` process (concurrency and per-endpoint
      concurrency = ``--concurrency``) is started and timed until the receiver counted N
      deliveries, and until the N messages are recorded DELIVERED.
    Rates are deliveries/s over the receiver's window (first to last POST received), the same
    clock for both; ratio hub/raw (target >= 0.6).
(2) latency. An aiohttp.web receiver runs in this process. A second creditor has an endpoint
    subscribed to ``account.placed`` pointing at it and places accounts one at a time with
    ``placeAccount`` over HTTP. The delay is from the moment the placeAccount response has been
    read to the moment the receiver's handler runs (both ``time.perf_counter()`` here); it is
    negative when the webhook arrives before the response. Interleaved with each placement,
    one raw POST round trip (aiohttp client -> the same receiver) is timed. Two set-ups, one
    after the other: ``evenly-hub serve`` with its in-process worker, and ``serve --no-worker``
    plus one ``evenly-hub worker`` process (woken by LISTEN/NOTIFY). Ratio hub p50 / raw p50
    (target <= 10). Every webhook received is verified (``evenly_webhooks.verify``). Before
    (2) the database is ``VACUUM ANALYZE``d (``--no-analyze`` to skip): the throughput run left
    dead tuples and statistics that say every message is PENDING, so autovacuum would run
    during (2) and the planner would keep scanning every message to claim one.

``--profile-worker FILE`` attaches ``py-spy record`` to the worker during (1) (``--py-spy``,
default found on PATH or in /tmp/pyspy-venv); its rate is then perturbed. ``raw`` output is
collapsed stacks (``.json``: speedscope). ``--worker-cmd "CMD ARGS"`` runs another worker
process in place of ``evenly-hub worker`` (in (1) and the second set-up of (2)), to compare a
variant of the worker on the same set-up.
"""

# ruff: noqa: E402  (imports after the sys.path set-up that finds bench/ modules)

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import os
import secrets
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx
import orjson
import uvloop
from aiohttp import web
from evenly_webhooks import WebhookVerificationError, verify
from evenly_webhooks import headers as signed_headers
from sqlalchemy.engine import make_url

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from placement import (
    PLACE,
    _asyncpg_dsn,
    create_database,
    drop_database,
    free_port,
    percentile,
    placement,
    running,
    start,
    stop,
    wait_healthy,
)

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.delivery.keys import WebhookSigningKey
from hub.delivery.sender import body_of
from hub.domain.account import Account, AccountStatus, Product
from hub.domain.events import ACCOUNT_PLACED
from hub.domain.ids import new_id
from hub.domain.payloads import account_snapshot
from hub.services import endpoints as endpoint_service
from hub.services import organizations as organization_service
from hub.services.context import ServiceContext
from hub.settings import Settings
from hub.store.migrate import upgrade

THROUGHPUT_TARGET = 0.6
LATENCY_TARGET = 10.0
APPEND_BATCH = 1000
RAW_WARMUP = 1000
USER_AGENT = "Evenly-Webhooks/1"


# --- set-up -------------------------------------------------------------------------------


@dataclass
class Creditor:
    organization_id: str
    client_id: str
    client_secret: str
    endpoint_id: str
    endpoint_secret: str


async def new_creditor(ctx: ServiceContext, name: str, url: str) -> Creditor:
    """A creditor with one endpoint at ``url`` subscribed to ``account.placed``."""
    creds = await organization_service.create_organization(
        ctx, kind=OrganizationKind.CREDITOR, name=name, country="SE"
    )
    principal = Principal(
        creds.client_id, creds.organization_id, OrganizationKind.CREDITOR, creds.scopes
    )
    endpoint, secret = await endpoint_service.create_endpoint(
        ctx, principal, url=url, event_types=[ACCOUNT_PLACED], description="bench"
    )
    return Creditor(
        creds.organization_id, creds.client_id, creds.client_secret, endpoint.id, secret
    )


async def prepare(settings: Settings, bulk_url: str, live_url: str) -> tuple[Creditor, Creditor]:
    """Migrate; a creditor for the throughput run and one for the latency run."""
    ctx = ServiceContext.from_settings(settings)
    try:
        await upgrade(ctx.db.engine)
        tag = uuid.uuid4().hex[:6]
        bulk = await new_creditor(ctx, f"Bench bulk {tag}", bulk_url)
        live = await new_creditor(ctx, f"Bench live {tag}", live_url)
    finally:
        await ctx.db.dispose()
    return bulk, live


def event_rows(creditor_id: str, n: int) -> list[dict[str, Any]]:
    """N ``account.placed`` events as the event log's ``append`` takes them (data as the hub
    writes it).

    No accounts rows: ``events.account_id`` is nullable, and the worker reads only the event.
    """
    now = dt.datetime.now(dt.UTC)
    rows = []
    for i in range(n):
        account = Account(
            id=new_id("acc"),
            creditor_id=creditor_id,
            reference=f"INV-{i:07d}",
            customer_id=new_id("cus"),
            product=Product.BNPL_INVOICE,
            currency="SEK",
            original_amount_minor=125000,
            balance_minor=100000,
            due_date=dt.date(2026, 9, 30),
            status=AccountStatus.PLACED,
            resume_status=None,
            agency_id=None,
            country="SE",
            metadata={},
            placed_at=now,
            updated_at=now,
            version=1,
        )
        rows.append(
            {
                "id": new_id("evt"),
                "type": ACCOUNT_PLACED,
                "account_id": None,
                "sequence": None,
                "creditor_id": creditor_id,
                "agency_id": None,
                "data": {"account": account_snapshot(account)},
                "occurred_at": now,
            }
        )
    return rows


async def produce(settings: Settings, rows: list[dict[str, Any]]) -> float:
    """Write the events and their outbox rows, ``APPEND_BATCH`` per transaction; seconds."""
    ctx = ServiceContext.from_settings(settings)
    try:
        started = time.perf_counter()
        for i in range(0, len(rows), APPEND_BATCH):
            async with ctx.store.transaction() as uow:
                await uow.events.append(rows[i : i + APPEND_BATCH])
        return time.perf_counter() - started
    finally:
        await ctx.db.dispose()


async def db_scalar(url: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=5)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


# --- (1) throughput -----------------------------------------------------------------------


@dataclass
class Window:
    """What the receiver counted since its last reset."""

    count: int
    first: float | None
    last: float | None

    @property
    def rate(self) -> float:
        if self.first is None or self.last is None or self.last <= self.first:
            return 0.0
        return (self.count - 1) / (self.last - self.first)


def receiver_window(counter: httpx.Client, reset: bool = False) -> Window:
    """The receiver's count (``counter``: a client with the receiver's base URL)."""
    state = counter.get("/reset" if reset else "/count").json()
    return Window(state["count"], state["first"], state["last"])


async def raw_post_loop(
    url: str,
    rows: list[dict[str, Any]],
    n: int,
    concurrency: int,
    secret: str,
    signing_key: str,
) -> tuple[float, int]:
    """POST ``n`` signed bodies with ``concurrency`` coroutines; (seconds, non-2xx count).

    Same per-request work as the worker's ``_post``: body, signature, POST, read <= 1 KiB.
    """
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=15, connect=5)
    failures = 0
    indexes = iter(range(n))

    async def send_all(session: aiohttp.ClientSession) -> None:
        nonlocal failures
        for i in indexes:
            row = rows[i % len(rows)]
            body = body_of(row["type"], row["occurred_at"], row["data"], True)
            sent = signed_headers(
                body,
                msg_id=row["id"],
                timestamp=int(time.time()),
                secrets=[secret],
                signing_keys=[signing_key],
            )
            async with session.post(
                url,
                data=body,
                headers={**sent, "content-type": "application/json", "user-agent": USER_AGENT},
                allow_redirects=False,
            ) as response:
                await response.content.read(1024)
                if not 200 <= response.status < 300:
                    failures += 1

    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, auto_decompress=False
    ) as session:
        started = time.perf_counter()
        await asyncio.gather(*(send_all(session) for _ in range(concurrency)))
        return time.perf_counter() - started, failures


def raw_on_default_loop(*args: Any) -> tuple[float, int]:
    """``raw_post_loop`` on a default asyncio loop, in a thread (this thread waits)."""
    result: list[tuple[float, int]] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(raw_post_loop(*args)))
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=target, name="raw-asyncio")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


@dataclass
class HubRun:
    window: Window
    spawn_to_received: float
    spawn_to_recorded: float
    first_after_spawn: float
    delivered: int
    attempts: int


def run_hub_worker(
    args: argparse.Namespace,
    runner: asyncio.Runner,
    url: str,
    counter: httpx.Client,
    env: dict[str, str],
    tmp: Path,
    processes: list[subprocess.Popen[Any]],
) -> HubRun:
    n = args.events
    receiver_window(counter, reset=True)
    spawned = time.monotonic()
    worker = start("worker", worker_argv(args), env, 0, tmp)
    processes.append(worker.process)
    profiler = None
    if args.profile_worker:
        profiler = start_profiler(args, worker.process.pid)
        processes.append(profiler)
    deadline = spawned + args.timeout
    window = receiver_window(counter)
    while window.count < n:
        if worker.process.poll() is not None:
            raise RuntimeError(f"the worker exited ({worker.process.returncode}):\n{worker.tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"the receiver counted {window.count}/{n} after {args.timeout:.0f}s:\n"
                f"{worker.tail()}"
            )
        time.sleep(0.05)
        window = receiver_window(counter)
    received = time.monotonic()
    delivered = 0
    while delivered < n and time.monotonic() < deadline:
        delivered = runner.run(
            db_scalar(url, "SELECT count(*) FROM webhook_messages WHERE status = 'DELIVERED'")
        )
        if delivered < n:
            time.sleep(0.02)
    recorded = time.monotonic()
    if profiler is not None:
        stop_profiler(profiler, args.profile_worker)
    stop(worker.process)
    attempts = runner.run(db_scalar(url, "SELECT count(*) FROM webhook_attempts"))
    window = receiver_window(counter)  # late duplicates, if any
    assert window.first is not None
    return HubRun(
        window,
        received - spawned,
        recorded - spawned,
        window.first - spawned,
        delivered,
        attempts,
    )


def worker_argv(args: argparse.Namespace) -> list[str]:
    if args.worker_cmd:
        return shlex.split(args.worker_cmd)
    return [str(Path(sys.executable).parent / "evenly-hub"), "worker"]


# --- (2) latency --------------------------------------------------------------------------


@dataclass
class LiveReceiver:
    """The in-process receiver: resolves a waiter per account reference when its hook runs."""

    secret: str
    public_key: str
    waiting: dict[str, asyncio.Future[float]] = field(default_factory=dict)
    received: int = 0
    unverified: int = 0
    unexpected: int = 0

    async def hook(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        body = await request.read()
        self.received += 1
        try:
            verify(body, request.headers, secrets=[self.secret], public_keys=[self.public_key])
        except WebhookVerificationError:
            self.unverified += 1
        reference = orjson.loads(body)["data"]["account"]["reference"]
        waiter = self.waiting.pop(reference, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(arrived)
        else:
            self.unexpected += 1
        return web.Response(status=204)

    async def raw(self, request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=204)


@dataclass
class LatencyRun:
    name: str
    delays_ms: list[float]  # placeAccount response read -> receiver handler runs
    from_request_ms: list[float]  # placeAccount request sent -> receiver handler runs
    place_ms: list[float]  # placeAccount round trip
    raw_ms: list[float]  # raw POST round trip to the same receiver


async def measure_latency(
    name: str,
    hub_url: str,
    creditor: Creditor,
    receiver: LiveReceiver,
    receiver_url: str,
    raw_body: bytes,
    raw_headers: dict[str, str],
    warmup: int,
    n: int,
) -> LatencyRun:
    loop = asyncio.get_running_loop()
    timeout = aiohttp.ClientTimeout(total=30)
    run = LatencyRun(name, [], [], [], [])
    async with (
        aiohttp.ClientSession(base_url=hub_url, timeout=timeout) as hub,
        aiohttp.ClientSession(timeout=timeout) as raw,
    ):
        basic = base64.b64encode(f"{creditor.client_id}:{creditor.client_secret}".encode())
        async with hub.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic.decode()}"},
        ) as response:
            response.raise_for_status()
            token = (await response.json())["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        for i in range(warmup + n):
            item = placement("LAT")
            waiter: asyncio.Future[float] = loop.create_future()
            receiver.waiting[item["reference"]] = waiter
            payload = {"query": PLACE, "variables": {"input": item}}
            sent = time.perf_counter()
            async with hub.post("/graphql", json=payload, headers=auth) as response:
                body = await response.read()
            answered = time.perf_counter()
            result = orjson.loads(body)
            placed = (result.get("data") or {}).get("placeAccount")
            if response.status != 200 or "errors" in result or not placed or placed["userErrors"]:
                raise RuntimeError(f"placeAccount failed: {response.status} {body[:2000]!r}")
            try:
                arrived = await asyncio.wait_for(waiter, 15.0)
            except TimeoutError:
                raise RuntimeError(f"no webhook for {item['reference']} within 15 s") from None
            started = time.perf_counter()
            async with raw.post(f"{receiver_url}/raw", data=raw_body, headers=raw_headers) as r:
                await r.read()
            raw_ms = (time.perf_counter() - started) * 1000
            if r.status != 204:
                raise RuntimeError(f"raw POST answered {r.status}")
            if i >= warmup:
                run.delays_ms.append((arrived - answered) * 1000)
                run.from_request_ms.append((arrived - sent) * 1000)
                run.place_ms.append((answered - sent) * 1000)
                run.raw_ms.append(raw_ms)
    return run


def run_latency_mode(
    name: str,
    args: argparse.Namespace,
    runner: asyncio.Runner,
    hub_argv_tail: list[str],
    with_worker: bool,
    env: dict[str, str],
    tmp: Path,
    processes: list[subprocess.Popen[Any]],
    measure: Any,
) -> LatencyRun:
    venv_bin = Path(sys.executable).parent
    port = free_port()
    argv = [str(venv_bin / "evenly-hub"), "serve", "--no-migrate", "--port", str(port)]
    hub = start(f"hub-{name}", argv + hub_argv_tail, env, port, tmp)
    started = [hub.process]
    processes.append(hub.process)
    if with_worker:
        worker = start(f"worker-{name}", worker_argv(args), env, 0, tmp)
        started.append(worker.process)
        processes.append(worker.process)
    try:
        wait_healthy(hub)
        return runner.run(measure(name, hub.base_url))
    except Exception:
        print(hub.tail(), file=sys.stderr)
        raise
    finally:
        for process in reversed(started):
            stop(process)


# --- profiling ----------------------------------------------------------------------------


def start_profiler(args: argparse.Namespace, pid: int) -> subprocess.Popen[bytes]:
    exe = args.py_spy or shutil.which("py-spy") or "/tmp/pyspy-venv/bin/py-spy"
    fmt = "speedscope" if str(args.profile_worker).endswith(".json") else "raw"
    argv = [exe, "record", "--pid", str(pid), "--rate", "200", "--format", fmt]
    argv += ["--output", str(args.profile_worker), "--nonblocking", "--idle"]
    process = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    return process


def stop_profiler(process: subprocess.Popen[bytes], output: Path) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    print(f"  py-spy profile of the worker written to {output} (its rate is perturbed)")


# --- main ---------------------------------------------------------------------------------


def ms(values: list[float]) -> str:
    return (
        f"p50={statistics.median(values):6.2f} ms  p90={percentile(values, 0.90):6.2f} ms  "
        f"p99={percentile(values, 0.99):6.2f} ms  min={min(values):6.2f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="events for the throughput run")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent POSTs")
    parser.add_argument("--placements", type=int, default=200, help="measured placements per mode")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up placements per mode")
    parser.add_argument(
        "--modes",
        default="inprocess,separate",
        help="latency set-ups: inprocess (serve) and/or separate (serve --no-worker + worker)",
    )
    parser.add_argument("--timeout", type=float, default=150.0, help="max seconds for the hub run")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="no ANALYZE after writing the outbox, no VACUUM ANALYZE before (2)",
    )
    parser.add_argument("--hub-log-level", default="WARNING", help="EVENLY_LOG_LEVEL of the hub")
    parser.add_argument("--profile-worker", type=Path, help="py-spy record of the worker in (1)")
    parser.add_argument("--py-spy", default=None, help="py-spy executable")
    parser.add_argument(
        "--worker-cmd",
        help="command line of the worker process (default: evenly-hub worker), to compare variants",
    )
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not set(modes) <= {"inprocess", "separate"}:
        parser.error("--modes takes inprocess and/or separate")

    # A SIGTERM runs the clean-up below (processes stopped, database dropped) like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    owned_db: str | None = None
    processes: list[subprocess.Popen[Any]] = []
    with (
        asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
        tempfile.TemporaryDirectory(prefix="evenly-bench-") as tmp,
        ExitStack() as stack,
    ):
        try:
            url, owned_db = runner.run(create_database())
            with running(processes):
                return measure(args, modes, runner, url, Path(tmp), processes, stack)
        finally:
            if owned_db is not None:
                runner.run(drop_database(owned_db))


def measure(
    args: argparse.Namespace,
    modes: list[str],
    runner: asyncio.Runner,
    url: str,
    tmp: Path,
    processes: list[subprocess.Popen[Any]],
    stack: ExitStack,
) -> int:
    encryption_key = base64.b64encode(secrets.token_bytes(32)).decode()
    settings = Settings(
        data_dir=tmp,
        database_url=url,
        encryption_key=encryption_key,
        allow_insecure_webhooks=True,
    )
    # Created now in the data directory, so every hub process signs with this key.
    signing_key = WebhookSigningKey.from_settings(settings)

    receiver_port, live_port = free_port(), free_port()
    receiver_argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "receiver_app:app",
        "--app-dir",
        str(BENCH_DIR),
        "--host",
        "127.0.0.1",
        "--port",
        str(receiver_port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("EVENLY_")}
    receiver = start("receiver", receiver_argv, base_env, receiver_port, tmp)
    processes.append(receiver.process)
    bulk_url = f"{receiver.base_url}/hook"
    live_url = f"http://127.0.0.1:{live_port}"
    bulk, live = runner.run(prepare(settings, bulk_url, f"{live_url}/hook"))
    wait_healthy(receiver)
    counter = stack.enter_context(httpx.Client(base_url=receiver.base_url, timeout=5.0))

    hub_env = {
        **base_env,
        "EVENLY_DATABASE_URL": url,
        "EVENLY_DATA_DIR": str(tmp),
        "EVENLY_ENCRYPTION_KEY": encryption_key,
        "EVENLY_ALLOW_INSECURE_WEBHOOKS": "1",
        "EVENLY_LOG_LEVEL": args.hub_log_level,
    }
    n, concurrency = args.events, args.concurrency
    print("delivery benchmark on PostgreSQL")
    print(f"  database: {make_url(url).render_as_string(hide_password=True)}")
    print(
        f"  receiver: uvicorn receiver_app:app (raw ASGI, uvloop, httptools; pid "
        f"{receiver.process.pid}) at {bulk_url}"
    )
    print(f"  {os.cpu_count()} CPUs; concurrency {concurrency}")

    # --- (1) throughput ---
    rows = event_rows(bulk.organization_id, n)
    body_bytes = len(body_of(rows[0]["type"], rows[0]["occurred_at"], rows[0]["data"], True))
    print(
        f"\n(1) throughput: {n} account.placed deliveries ({body_bytes} B bodies, signed "
        "v1 HMAC + v1a Ed25519) to one endpoint"
    )
    raw_args = (bulk_url, rows, n, concurrency, bulk.endpoint_secret, signing_key.signing_key)
    runner.run(raw_post_loop(bulk_url, rows, RAW_WARMUP, *raw_args[3:]))
    raw_rates: dict[str, float] = {}

    def raw_run(label: str) -> None:
        receiver_window(counter, reset=True)
        if label == "asyncio":
            seconds, failures = raw_on_default_loop(*raw_args)
        else:
            seconds, failures = runner.run(raw_post_loop(*raw_args))
        window = receiver_window(counter)
        raw_rates[label] = window.rate
        print(
            f"  raw aiohttp ({label:<13}) {window.rate:6.0f} msg/s  "
            f"(client wall {n / seconds:6.0f} msg/s, {seconds:5.2f}s; received {window.count}, "
            f"non-2xx {failures})"
        )
        if window.count != n or failures:
            raise RuntimeError(f"raw loop: {window.count}/{n} received, {failures} non-2xx")

    raw_run("uvloop")
    raw_run("asyncio")

    produce_seconds = runner.run(produce(settings, rows))
    print(
        f"  outbox written: {n} events + messages via the event log's append in batches of "
        f"{APPEND_BATCH}: {produce_seconds:.2f}s ({n / produce_seconds:.0f} events/s)"
    )
    if not args.no_analyze:
        runner.run(db_scalar(url, "ANALYZE"))
    pending = runner.run(
        db_scalar(url, "SELECT count(*) FROM webhook_messages WHERE status = 'PENDING'")
    )
    if pending != n:
        raise RuntimeError(f"{pending} pending messages, expected {n}")
    worker_env = {
        **hub_env,
        "EVENLY_WEBHOOK_CONCURRENCY": str(concurrency),
        "EVENLY_WEBHOOK_ENDPOINT_CONCURRENCY": str(concurrency),
    }
    hub_run = run_hub_worker(args, runner, url, counter, worker_env, tmp, processes)
    hub_rate = hub_run.window.rate
    print(
        f"  hub worker                  {hub_rate:6.0f} msg/s  (receiver window; first POST "
        f"{hub_run.first_after_spawn:.2f}s after spawn)"
    )
    print(
        f"    from spawn: all received {hub_run.spawn_to_received:.2f}s "
        f"({n / hub_run.spawn_to_received:.0f} msg/s), all recorded DELIVERED "
        f"{hub_run.spawn_to_recorded:.2f}s; received {hub_run.window.count}, "
        f"DELIVERED {hub_run.delivered}, attempts {hub_run.attempts}"
    )
    # Again after the hub run: this machine's speed drifts; the fastest raw run is the baseline.
    raw_run("uvloop, after")
    raw_rate = max(raw_rates.values())
    throughput_ratio = hub_rate / raw_rate
    for label, rate in raw_rates.items():
        print(f"  ratio hub/raw({label}) = {hub_rate / rate:.2f}")
    print(f"  ratio hub/raw(fastest) = {throughput_ratio:.2f}  (target >= {THROUGHPUT_TARGET})")
    bad = hub_run.window.count != n or hub_run.delivered != n

    # --- (2) latency ---
    if not args.no_analyze:
        # Steady state: the throughput run left 2N dead tuples and stale statistics (all
        # messages PENDING); without this autovacuum runs during the latency run and the
        # planner keeps scanning every message to claim one.
        runner.run(db_scalar(url, "VACUUM ANALYZE"))
    live_receiver = LiveReceiver(live.endpoint_secret, signing_key.public_key)
    app = web.Application()
    app.router.add_post("/hook", live_receiver.hook)
    app.router.add_post("/raw", live_receiver.raw)
    app_runner = web.AppRunner(app, access_log=None)
    runner.run(app_runner.setup())
    runner.run(web.TCPSite(app_runner, "127.0.0.1", live_port).start())
    sample = rows[0]
    raw_body = body_of(sample["type"], sample["occurred_at"], sample["data"], True)
    raw_headers = {
        **signed_headers(
            raw_body,
            msg_id=sample["id"],
            timestamp=int(time.time()),
            secrets=[live.endpoint_secret],
            signing_keys=[signing_key.signing_key],
        ),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }

    def measure_mode(name: str, hub_url: str) -> Any:
        return measure_latency(
            name,
            hub_url,
            live,
            live_receiver,
            live_url,
            raw_body,
            raw_headers,
            args.warmup,
            args.placements,
        )

    print(
        f"\n(2) latency: {args.warmup} warm-up + {args.placements} sequential placeAccount per "
        f"set-up, receiver in this process at {live_url}/hook; each followed by one raw POST"
    )
    setups = {
        "inprocess": ("serve (in-process worker)", [], False),
        "separate": ("serve --no-worker + worker", ["--no-worker"], True),
    }
    latency: dict[str, LatencyRun] = {}
    try:
        for mode in modes:
            label, tail, with_worker = setups[mode]
            run = run_latency_mode(
                mode, args, runner, tail, with_worker, hub_env, tmp, processes, measure_mode
            )
            latency[mode] = run
            print(f"  {label}")
            print(f"    response -> webhook  {ms(run.delays_ms)}")
            print(f"    request  -> webhook  {ms(run.from_request_ms)}")
            print(f"    placeAccount         {ms(run.place_ms)}")
            print(f"    raw POST round trip  {ms(run.raw_ms)}")
            early = sum(1 for d in run.delays_ms if d < 0)
            ratio = statistics.median(run.delays_ms) / statistics.median(run.raw_ms)
            print(
                f"    ratio p50 = {ratio:.1f}  (target <= {LATENCY_TARGET:.0f}); "
                f"{early} webhooks arrived before the response"
            )
    finally:
        runner.run(app_runner.cleanup())
    print(
        f"  webhooks received {live_receiver.received}, failed verification "
        f"{live_receiver.unverified}, unexpected {live_receiver.unexpected}"
    )
    bad = bad or live_receiver.unverified > 0 or live_receiver.unexpected > 0

    print("\nsummary")
    print(
        f"delivery throughput  hub={hub_rate:.0f}msg/s raw={raw_rate:.0f}msg/s "
        f"ratio={throughput_ratio:.2f} (target >= {THROUGHPUT_TARGET})"
        + ("  MISSED" if throughput_ratio < THROUGHPUT_TARGET else "  ok")
    )
    for mode, run in latency.items():
        p50, raw_p50 = statistics.median(run.delays_ms), statistics.median(run.raw_ms)
        ratio = p50 / raw_p50
        print(
            f"delivery latency     p50 hub={p50:.2f}ms p99={percentile(run.delays_ms, 0.99):.2f}ms "
            f"raw_p50={raw_p50:.2f}ms ratio={ratio:.1f} (target <= {LATENCY_TARGET:.0f})"
            + ("  MISSED" if ratio > LATENCY_TARGET else "  ok")
            + f"  [{setups[mode][0]}]"
        )
    if bad:
        print("MISMATCH: deliveries lost, duplicated or unverified (see above)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
