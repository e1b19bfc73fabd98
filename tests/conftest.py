"""Shared fixtures: a migrated database per backend (SQLite and PostgreSQL), the app, clients.

Every test that touches storage runs on both backends through the ``backend`` parameter.
PostgreSQL tests create their own database and drop it at the end, on the server at
``EVENLY_TEST_POSTGRES_URL`` (default ``127.0.0.1:5432``). Where nothing answers there, the
first of them starts a throwaway server for the session (``tests/postgres_cluster.py``);
under ``CI=true`` the running server is used, and an unreachable one fails the tests.
"""

from __future__ import annotations

import base64
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event as sa_event
from starlette.applications import Starlette

from hub.app import create_app
from hub.auth.scopes import OrganizationKind
from hub.services import organizations as organization_service
from hub.services.context import ServiceContext
from hub.settings import Settings
from hub.store.database import Database
from hub.store.migrate import upgrade
from hub.store.writes import Write
from tests.postgres_cluster import use_postgres_for_tests

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_ADMIN_URL = os.environ.get(
    "EVENLY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
_postgres_admin_url: str | None = None


def postgres_admin_url() -> str:
    """The PostgreSQL server the tests use: ``POSTGRES_ADMIN_URL``, or a throwaway server
    where nothing answers there (started on first use, stopped at exit)."""
    global _postgres_admin_url
    if _postgres_admin_url is None:
        _postgres_admin_url = use_postgres_for_tests(POSTGRES_ADMIN_URL, IN_CI)
    return _postgres_admin_url


BACKENDS = ["sqlite", "postgresql"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if IN_CI or config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: runs in CI, or locally with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


async def _create_postgres_database() -> str:
    name = f"evenly_test_{uuid.uuid4().hex[:12]}"
    admin_url = postgres_admin_url()
    try:
        conn = await asyncpg.connect(admin_url, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        message = f"PostgreSQL is not reachable at {admin_url}: {error}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def _drop_postgres_database(name: str) -> None:
    conn = await asyncpg.connect(postgres_admin_url(), timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def postgres_url(database: str) -> str:
    base = postgres_admin_url().rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{database}"


def asyncpg_dsn(url: str) -> str:
    """A ``postgresql+asyncpg://`` URL as a DSN for asyncpg itself."""
    return url.replace("postgresql+asyncpg://", "postgresql://")


@asynccontextmanager
async def foreign_write_transaction(dsn: str) -> AsyncIterator[int]:
    """Another program's write transaction, held open in the database at ``dsn``: it has
    written a row (so it has a transaction id, which it yields) and writes no events. It is
    rolled back at the end."""
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute("CREATE TEMPORARY TABLE report (n int)")
        await conn.execute("INSERT INTO report VALUES (1)")
        yield int(await conn.fetchval("SELECT pg_current_xact_id()::text::bigint"))
        await transaction.rollback()
    finally:
        await conn.close()


@pytest.fixture
async def other_database() -> AsyncIterator[str]:
    """The DSN of a fresh database in the same PostgreSQL cluster as the hub's; dropped at
    the end."""
    name = await _create_postgres_database()
    try:
        yield asyncpg_dsn(postgres_url(name))
    finally:
        await _drop_postgres_database(name)


def test_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "encryption_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        "client_cache_seconds": 0.0,
        "rate_limit_per_second": 10_000.0,
        "rate_limit_burst": 10_000,
        "log_format": "text",
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Backend:
    name: str
    database_url: str
    settings: Settings
    services: ServiceContext


@pytest.fixture(scope="session", params=BACKENDS)
async def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    data_dir = tmp_path_factory.mktemp(f"hub-{request.param}")
    pg_name = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{data_dir / 'evenly.db'}"
    else:
        pg_name = await _create_postgres_database()
        url = postgres_url(pg_name)
    settings = test_settings(data_dir, url)
    services = ServiceContext.from_settings(settings)
    await upgrade(services.db.engine)
    try:
        yield Backend(request.param, url, settings, services)
    finally:
        await services.db.dispose()
        if pg_name is not None:
            await _drop_postgres_database(pg_name)


@contextmanager
def statements_of(backend: Backend) -> Iterator[list[tuple[str, Any]]]:
    """The (SQL, parameters) the hub sends while the block runs, in order."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append((statement, parameters))

    engine = backend.services.db.engine.sync_engine
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)


async def explain_analyze(backend: Backend, statement: str, parameters: Any) -> dict[str, Any]:
    """PostgreSQL: the plan of a statement the hub sent, run (``EXPLAIN ANALYZE``)."""
    async with backend.services.db.read() as conn:
        explained = await conn.exec_driver_sql(
            f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters
        )
        [[plan]] = explained.all()
    root: dict[str, Any] = plan[0]["Plan"]
    return root


@pytest.fixture(scope="session")
def app(backend: Backend) -> Starlette:
    return create_app(backend.settings, backend.services)


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        yield client


METRICS_TOKEN = "metrics-token-for-tests"


@pytest.fixture
async def operated(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app on the backend whose operator set ``EVENLY_METRICS_TOKEN``."""
    settings = replace(backend.settings, metrics_token=METRICS_TOKEN)
    app = create_app(settings, replace(backend.services, settings=settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        yield client


async def scrape_metrics(http: httpx.AsyncClient) -> str:
    """``GET /metrics`` with the operator's token (of an ``operated`` app)."""
    response = await http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200, response.text
    return response.text


@dataclass
class Caller:
    """An organization's API client, with a token, talking to the hub."""

    http: httpx.AsyncClient
    organization_id: str
    client_id: str
    client_secret: str
    token: str
    kind: OrganizationKind

    async def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON body of a GraphQL request; fails the test on a non-200 status."""
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of a GraphQL request that must not have errors."""
        body = await self.graphql(query, variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


async def get_token(
    http: httpx.AsyncClient, client_id: str, secret: str, scope: str | None = None
) -> str:
    form = {"grant_type": "client_credentials"}
    if scope is not None:
        form["scope"] = scope
    response = await http.post("/oauth/token", data=form, auth=(client_id, secret))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture
def make_caller(http: httpx.AsyncClient, backend: Backend) -> Any:
    """Create an organization through the service layer and return a Caller for it."""

    async def make(
        kind: OrganizationKind = OrganizationKind.CREDITOR,
        country: str = "SE",
        *,
        sandbox: bool = False,
    ) -> Caller:
        creds = await organization_service.create_organization(
            backend.services,
            kind=kind,
            name=f"{kind.value.title()} {uuid.uuid4().hex[:6]}",
            country=country,
            sandbox=sandbox,
        )
        token = await get_token(http, creds.client_id, creds.client_secret)
        return Caller(
            http, creds.organization_id, creds.client_id, creds.client_secret, token, kind
        )

    return make


@pytest.fixture
async def creditor(make_caller: Any) -> Caller:
    caller: Caller = await make_caller(OrganizationKind.CREDITOR)
    return caller


@pytest.fixture
async def agency(make_caller: Any) -> Caller:
    caller: Caller = await make_caller(OrganizationKind.AGENCY)
    return caller


@pytest.fixture
async def routed(creditor: Caller, agency: Caller, backend: Backend) -> tuple[Caller, Caller]:
    """A creditor whose placements all go to an agency."""
    await organization_service.create_routing_rule(
        backend.services, creditor_id=creditor.organization_id, agency_id=agency.organization_id
    )
    return creditor, agency


_counter = iter(range(10**9))


def placement(**overrides: Any) -> dict[str, Any]:
    """A valid PlaceAccountInput with a fresh reference; override any field."""
    n = next(_counter)
    item: dict[str, Any] = {
        "reference": f"INV-{uuid.uuid4().hex[:10]}-{n}",
        "customer": {
            "reference": f"CUST-{uuid.uuid4().hex[:10]}",
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
    for key, value in overrides.items():
        if key == "customer":
            item["customer"] = {**item["customer"], **value}
        else:
            item[key] = value
    return item


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


async def place(caller: Caller, **overrides: Any) -> dict[str, Any]:
    """Place one account and return the payload; the test fails on userErrors."""
    data = await caller.data(PLACE, {"input": placement(**overrides)})
    payload: dict[str, Any] = data["placeAccount"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


@pytest.fixture
def tmp_data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


async def append_events(db: Database, conn: Any, rows: list[dict[str, Any]]) -> None:
    """Append event rows (with their outbox rows) on ``conn``, as a change does."""
    await db.dialect.write(conn, Write(events=rows))
