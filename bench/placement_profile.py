"""Where a hub ``placeAccount`` spends its time: a diagnostic companion to ``placement.py``.

Runs the hub app in-process (``httpx.ASGITransport``, no network) on a fresh PostgreSQL
database, places ``--n`` accounts one by one (routed to an agency, as in ``placement.py``)
and reports, per request:

* the SQL round trips it makes (statements, BEGIN, COMMIT/ROLLBACK), next to the baseline's;
* a wall-time breakdown: authentication, the placement service (its transaction, split into
  statements and commit), the dataloaders resolving ``customer``/``agency``, and the rest
  (HTTP, middleware, GraphQL parsing/validation/execution, serialization);
* with ``--cprofile``, the top functions by own time.

    .venv/bin/python bench/placement_profile.py [--n 300] [--cprofile]

The wrappers are installed at run time around hub objects; no hub file is changed.
"""

# ruff: noqa: E402  (imports after the sys.path set-up that finds bench/ modules)

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import io
import pstats
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from graphql.execution import executor as graphql_executor
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.schema import schema_converter

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from baseline_app import insert_placements, make_engine
from placement import (
    BATCH_SIZE,
    PLACE,
    PLACE_MANY,
    analyze,
    create_database,
    drop_database,
    placement,
    prepare,
)

from hub.api.context import RequestContext
from hub.app import create_app
from hub.services import placement as placement_service
from hub.services.context import ServiceContext
from hub.settings import Settings

LEAN = "mutation P($input: PlaceAccountInput!) { placeAccount(input: $input) { account { id } userErrors { code } } }"


class Recorder:
    """Accumulates wall time per phase and SQL round trips per kind, per request."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.trips: Counter[str] = Counter()
        self.statements: list[str] = []
        self._started: dict[int, tuple[float, str]] = {}

    def reset(self) -> None:
        self.seconds.clear()
        self.trips.clear()
        self.statements.clear()

    def watch(self, engine: AsyncEngine) -> None:
        sync = engine.sync_engine

        @event.listens_for(sync, "before_cursor_execute")
        def before(
            conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool
        ) -> None:
            verb = statement.split(None, 1)[0].upper()
            found = re.search(r"\b(?:FROM|INTO)\s+(\w+)", statement)
            table = found.group(1) if found else ""
            label = f"{verb} {table}".strip() + (" (executemany)" if many else "")
            self.trips[label] += 1
            self.statements.append(label)
            self._started[id(cursor)] = (time.perf_counter(), label)

        @event.listens_for(sync, "after_cursor_execute")
        def after(
            conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool
        ) -> None:
            # Includes the lazy BEGIN the asyncpg dialect sends before the first statement.
            started, label = self._started.pop(id(cursor))
            elapsed = time.perf_counter() - started
            self.seconds["sql statements"] += elapsed
            self.seconds[f"sql: {label}"] += elapsed

        # An AUTOCOMMIT connection (a single placement on PostgreSQL) sends no BEGIN or
        # COMMIT, though SQLAlchemy still reports them: they are not counted.
        def autocommit(conn: Any) -> bool:
            return bool(conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT")

        @event.listens_for(sync, "begin")
        def begin(conn: Any) -> None:
            if autocommit(conn):
                return
            self.trips["BEGIN"] += 1
            self.statements.append("BEGIN")

        @event.listens_for(sync, "commit")
        def commit(conn: Any) -> None:
            if autocommit(conn):
                return
            self.trips["COMMIT"] += 1
            self.statements.append("COMMIT")

        @event.listens_for(sync, "rollback")
        def rollback(conn: Any) -> None:
            if autocommit(conn):
                return
            self.trips["ROLLBACK"] += 1
            self.statements.append("ROLLBACK")

    def timed(self, phase: str, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            sql_before = self.seconds["sql statements"]
            try:
                return await fn(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - started
                self.seconds[f"{phase} sql"] += self.seconds["sql statements"] - sql_before

        return wrapper

    def timed_sync(self, phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - started

        return wrapper


def instrument(app: Any, services: ServiceContext, rec: Recorder) -> None:
    rec.watch(services.db.engine)
    authenticator = app.state.authenticator
    authenticator.authenticate = rec.timed("authenticate", authenticator.authenticate)
    placement_service.place_accounts = rec.timed(  # type: ignore[assignment]
        "service place_accounts", placement_service.place_accounts
    )
    RequestContext._load_customers = rec.timed(  # type: ignore[method-assign]
        "dataloader customers", RequestContext._load_customers
    )
    RequestContext._load_organizations = rec.timed(  # type: ignore[method-assign]
        "dataloader organizations", RequestContext._load_organizations
    )
    # GraphQL input handling: graphql-core coerces the variables, strawberry converts them
    # into input objects (both modules imported these functions by name).
    graphql_executor.get_variable_values = rec.timed_sync(
        "graphql-core variable coercion", graphql_executor.get_variable_values
    )
    schema_converter.convert_arguments = rec.timed_sync(  # type: ignore[attr-defined]
        "strawberry convert_arguments", schema_converter.convert_arguments
    )
    original = services.db.transaction

    @asynccontextmanager
    async def transaction() -> AsyncIterator[Any]:
        context = original()
        conn = await context.__aenter__()
        try:
            yield conn
        except BaseException as error:
            if not await context.__aexit__(type(error), error, error.__traceback__):
                raise
        else:
            started = time.perf_counter()
            await context.__aexit__(None, None, None)
            rec.seconds["commit"] += time.perf_counter() - started

    services.db.transaction = transaction  # type: ignore[method-assign]


async def run(args: argparse.Namespace) -> None:
    url, name = await create_database()
    try:
        with tempfile.TemporaryDirectory(prefix="evenly-profile-") as tmp:
            key = base64.b64encode(secrets.token_bytes(32)).decode()
            settings = Settings(
                data_dir=Path(tmp),
                database_url=url,
                encryption_key=key,
                rate_limit_per_second=1e6,
                rate_limit_burst=1_000_000,
                log_level="WARNING",
            )
            orgs = await prepare(settings)
            services = ServiceContext.from_settings(settings)
            try:
                await profile(args, settings, services, orgs, url)
            finally:
                await services.db.dispose()
    finally:
        await drop_database(name)


async def profile(
    args: argparse.Namespace, settings: Settings, services: ServiceContext, orgs: Any, url: str
) -> None:
    app = create_app(settings, services)
    rec = Recorder()
    instrument(app, services, rec)
    bare_engine = make_engine(url)
    rec.watch(bare_engine)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
            token = await http.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(orgs.client_id, orgs.client_secret),
            )
            auth = {"Authorization": f"Bearer {token.json()['access_token']}"}

            def hub(query: str) -> Callable[[], Awaitable[None]]:
                async def place() -> None:
                    body = {"query": query, "variables": {"input": placement("PROF")}}
                    response = await http.post("/graphql", json=body, headers=auth)
                    data = response.json()
                    payload = data["data"]["placeAccount"]
                    assert "errors" not in data and not payload["userErrors"], data

                return place

            async def bare() -> None:
                await insert_placements(
                    bare_engine, [placement("PB")], orgs.creditor_id, orgs.agency_id
                )

            async def hub_batch() -> None:
                items = [placement("PROFB") for _ in range(BATCH_SIZE)]
                body = {"query": PLACE_MANY, "variables": {"input": {"items": items}}}
                response = await http.post("/graphql", json=body, headers=auth)
                data = response.json()
                assert data["data"]["placeAccounts"]["placedCount"] == BATCH_SIZE, data

            async def bare_batch() -> None:
                items = [placement("PBB") for _ in range(BATCH_SIZE)]
                await insert_placements(bare_engine, items, orgs.creditor_id, orgs.agency_id)

            paths = {
                "hub, PLACE of tests/conftest.py": hub(PLACE),
                "hub, lean selection account { id }": hub(LEAN),
                "baseline insert_placements, no HTTP": bare,
            }
            await measure_paths(args, rec, paths, args.n, url)
            batch_paths = {
                f"hub, placeAccounts x{BATCH_SIZE} (PLACE_MANY)": hub_batch,
                f"baseline insert_placements x{BATCH_SIZE}, no HTTP": bare_batch,
            }
            await measure_paths(args, rec, batch_paths, args.batches, url)
            if args.cprofile:
                single = paths["hub, PLACE of tests/conftest.py"]
                await cprofile(args.n, single, "PLACE", args.sort, args.top)
                await cprofile(args.batches, hub_batch, "PLACE_MANY x100", args.sort, args.top)
    finally:
        await bare_engine.dispose()


async def measure_paths(
    args: argparse.Namespace,
    rec: Recorder,
    paths: dict[str, Callable[[], Awaitable[None]]],
    n: int,
    url: str,
) -> None:
    """Warm up, show each path's round trips, then time them interleaved, by phase."""
    for _ in range(max(2, n // 10)):
        for call in paths.values():
            await call()
    await analyze(url)  # steady-state planner statistics, as in placement.py
    for label, call in paths.items():
        rec.reset()
        await call()
        print(f"\nround trips of one request, {label}: {len(rec.statements)}")
        print("  " + ", ".join(rec.statements))
    print("  (the hub's client-active check adds one SELECT every 5 s per client)")

    totals: dict[str, list[float]] = {label: [] for label in paths}
    phases: dict[str, Counter[str]] = {label: Counter() for label in paths}
    for _ in range(n):
        for label, call in paths.items():
            rec.reset()
            started = time.perf_counter()
            await call()
            totals[label].append(time.perf_counter() - started)
            phases[label].update(rec.seconds)

    print(f"\nin-process, {n} requests per path, interleaved; mean ms per request by phase")
    for label, seconds in totals.items():
        n = len(seconds)
        ph = {k: v / n * 1000 for k, v in phases[label].items()}
        total = sum(seconds) / n * 1000
        print(f"  {label}: p50 {statistics.median(seconds) * 1000:.2f} ms, mean {total:.2f} ms")
        if "service place_accounts" not in ph:
            print(f"    {'SQL statements (incl. BEGIN)':<66} {ph.get('sql statements', 0):6.2f}")
            print_statements(ph)
            continue
        service = ph["service place_accounts"]
        loaders = ph.get("dataloader customers", 0) + ph.get("dataloader organizations", 0)
        rows = [
            ("authenticate (JWT verify; cached client check)", ph["authenticate"]),
            ("service place_accounts (one transaction)", service),
            ("  of which SQL statements (incl. BEGIN)", ph["service place_accounts sql"]),
            ("  of which COMMIT", ph.get("commit", 0.0)),
            ("dataloaders customer + agency (sum; they run concurrently)", loaders),
            ("graphql-core variable coercion", ph.get("graphql-core variable coercion", 0)),
            (
                "strawberry input conversion (convert_arguments)",
                ph.get("strawberry convert_arguments", 0),
            ),
            (
                "rest: HTTP/ASGI, middleware, other GraphQL, JSON, httpx client",
                total
                - ph["authenticate"]
                - service
                - loaders
                - ph.get("graphql-core variable coercion", 0)
                - ph.get("strawberry convert_arguments", 0),
            ),
        ]
        for name, ms in rows:
            print(f"    {name:<66} {ms:6.2f}")
        print_statements(ph)


def print_statements(ph: dict[str, float]) -> None:
    """Mean ms per request spent in each kind of statement (the first one includes BEGIN)."""
    for key, ms in sorted(ph.items(), key=lambda kv: -kv[1]):
        if key.startswith("sql: "):
            print(f"      {key:<64} {ms:6.2f}")


async def cprofile(
    n: int, call: Callable[[], Awaitable[None]], label: str, sort: str, top: int
) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        await call()
    profiler.disable()
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats(sort).print_stats(top)
    print(f"\ncProfile of {n} {label} requests, top {top} by {sort} (httpx client included):")
    print("\n".join("  " + line for line in stream.getvalue().splitlines()[4:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="single placements per path")
    parser.add_argument("--batches", type=int, default=20, help="batches of 100 per path")
    parser.add_argument(
        "--cprofile", action="store_true", help="also cProfile PLACE and PLACE_MANY"
    )
    parser.add_argument("--sort", default="tottime", help="cProfile order: tottime, cumulative")
    parser.add_argument("--top", type=int, default=25, help="cProfile rows to print")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
