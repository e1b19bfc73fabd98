"""A real hub for the SDK's tests: ``evenly-hub serve`` on SQLite and on PostgreSQL.

One server per backend for the whole session; organizations are created with
``evenly-hub admin create-organization --json`` as an operator would. Every test that talks
to the hub runs against both backends and, through ``client``, with ``Evenly`` and
``AsyncEvenly``. PostgreSQL (``EVENLY_TEST_POSTGRES_URL``, default the local server) is
skipped when unreachable, and a failure under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from evenly import AsyncEvenly, Evenly

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_ADMIN_URL = os.environ.get(
    "EVENLY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
HUB = str(Path(sys.executable).with_name("evenly-hub"))
SDK_ROOT = Path(__file__).resolve().parents[1]
REPO_ROOT = SDK_ROOT.parents[1]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if IN_CI or config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: runs in CI, or locally with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Credentials:
    organization_id: str
    client_id: str
    client_secret: str


@dataclass
class Hub:
    """A running ``evenly-hub serve`` and an operator's access to it."""

    backend: str
    env: dict[str, str]
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def admin(self, *args: str) -> dict[str, Any]:
        done = subprocess.run(
            [HUB, "admin", *args, "--json"],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    def organization(self, kind: str, country: str = "SE", *, sandbox: bool = False) -> Credentials:
        created = self.admin(
            "create-organization",
            "--kind",
            kind,
            "--name",
            f"{kind.title()} {uuid.uuid4().hex[:6]}",
            "--country",
            country,
            *(["--sandbox"] if sandbox else []),
        )
        return Credentials(
            created["organization_id"], created["client_id"], created["client_secret"]
        )

    def route(self, creditor: Credentials, agency: Credentials) -> None:
        self.admin(
            "create-routing-rule",
            "--creditor",
            creditor.organization_id,
            "--agency",
            agency.organization_id,
        )

    def start(self) -> None:
        log = (self.data_dir / "server.log").open("wb")
        self.process = subprocess.Popen(
            [HUB, "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"hub exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"hub did not become healthy:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        path = self.data_dir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def client_env(self, creds: Credentials) -> dict[str, str]:
        """The environment of a process that uses the SDK with ``creds``."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("EVENLY_")}
        env.update(
            EVENLY_CLIENT_ID=creds.client_id,
            EVENLY_CLIENT_SECRET=creds.client_secret,
            EVENLY_BASE_URL=self.url,
        )
        return env


async def _postgres(sql: str) -> None:
    import asyncpg  # the hub's driver: present wherever evenly-hub is

    try:
        conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def hub_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENLY_")}
    env.update(
        EVENLY_DATA_DIR=str(data_dir),
        EVENLY_ENCRYPTION_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        EVENLY_CLIENT_CACHE_SECONDS="0",
        EVENLY_RATE_LIMIT_PER_SECOND="100000",
        EVENLY_RATE_LIMIT_BURST="100000",
        EVENLY_ALLOW_INSECURE_WEBHOOKS="1",
        EVENLY_LOG_LEVEL="WARNING",
    )
    if database_url:
        env["EVENLY_DATABASE_URL"] = database_url
    return env


async def start_hub(backend: str, data_dir: Path) -> tuple[Hub, str | None]:
    database = None
    url = None
    if backend == "postgresql":
        database = f"evenly_sdk_{uuid.uuid4().hex[:10]}"
        await _postgres(f'CREATE DATABASE "{database}"')
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
        url = f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{database}"
    hub = Hub(backend, hub_env(data_dir, url), data_dir)
    await asyncio.to_thread(hub.start)
    return hub, database


async def stop_hub(hub: Hub, database: str | None) -> None:
    hub.stop()
    if database is not None:
        await _postgres(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@dataclass
class Parties:
    """A creditor whose placements go to an agency, on one hub."""

    hub: Hub
    creditor: Credentials
    agency: Credentials


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def parties(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Parties]:
    hub, database = await start_hub(request.param, tmp_path_factory.mktemp(request.param))
    try:
        creditor = await asyncio.to_thread(hub.organization, "creditor")
        agency = await asyncio.to_thread(hub.organization, "agency")
        await asyncio.to_thread(hub.route, creditor, agency)
        yield Parties(hub, creditor, agency)
    finally:
        await stop_hub(hub, database)


@pytest.fixture
def hub(parties: Parties) -> Hub:
    return parties.hub


def make_client(kind: str, hub: Hub, creds: Credentials, **options: Any) -> Any:
    cls = Evenly if kind == "sync" else AsyncEvenly
    return cls(creds.client_id, creds.client_secret, base_url=hub.url, **options)


@pytest.fixture(params=["sync", "async"])
async def client(request: pytest.FixtureRequest, parties: Parties) -> AsyncIterator[Any]:
    """The creditor's ``Evenly`` or ``AsyncEvenly``: use ``await resolve(...)`` on results."""
    sdk = make_client(request.param, parties.hub, parties.creditor)
    try:
        yield sdk
    finally:
        await resolve(sdk.close())


@pytest.fixture(params=["sync", "async"])
async def pair(request: pytest.FixtureRequest, parties: Parties) -> AsyncIterator[tuple[Any, Any]]:
    """The creditor's and the agency's clients, both sync or both async."""
    creditor = make_client(request.param, parties.hub, parties.creditor)
    agency = make_client(request.param, parties.hub, parties.agency)
    try:
        yield creditor, agency
    finally:
        await resolve(creditor.close())
        await resolve(agency.close())


@pytest.fixture(params=["sync", "async"])
async def agency_client(request: pytest.FixtureRequest, parties: Parties) -> AsyncIterator[Any]:
    sdk = make_client(request.param, parties.hub, parties.agency)
    try:
        yield sdk
    finally:
        await resolve(sdk.close())


async def resolve(value: Any) -> Any:
    """The value of a sync call, or of an async one once awaited."""
    if inspect.isawaitable(value):
        return await value
    return value


async def collect(items: Any, limit: int | None = None) -> list[Any]:
    """A sync or async iterable as a list (at most ``limit`` items)."""
    out: list[Any] = []
    if hasattr(items, "__aiter__"):
        async for item in items:
            out.append(item)
            if limit is not None and len(out) >= limit:
                break
    else:
        for item in items:
            out.append(item)
            if limit is not None and len(out) >= limit:
                break
    return out


def new_account(**overrides: Any) -> dict[str, Any]:
    """A valid account to place, with a fresh reference."""
    tag = uuid.uuid4().hex[:12]
    account: dict[str, Any] = {
        "reference": f"INV-{tag}",
        "customer": {
            "reference": f"CUST-{tag}",
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
        "metadata": {"order": f"ORD-{tag}"},
    }
    account.update(overrides)
    return account


@pytest.fixture
def tmp_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private user config dir for CLI tests."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    yield tmp_path / "config"
