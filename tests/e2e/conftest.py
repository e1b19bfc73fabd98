"""The real hub: ``evenly-hub serve`` as a subprocess, on SQLite or PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import (
    BACKENDS,
    _create_postgres_database,
    _drop_postgres_database,
    postgres_url,
)

HUB = str(Path(sys.executable).with_name("evenly-hub"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class HubServer:
    """One ``evenly-hub serve`` process and how to reach it."""

    env: dict[str, str]
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [HUB, *args], env=self.env, capture_output=True, text=True, check=check, timeout=120
        )

    def start(self, *args: str) -> None:
        self.port = free_port()
        self.log_path = self.data_dir / f"server-{self.port}.log"
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [HUB, "serve", "--port", str(self.port), *args],
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

    def start_worker(self) -> subprocess.Popen[bytes]:
        """An ``evenly-hub worker`` process beside the server (which runs ``--no-worker``)."""
        log = (self.data_dir / f"worker-{len(self.workers)}.log").open("wb")
        worker = subprocess.Popen(
            [HUB, "worker"], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        return (
            self.log_path.read_text(errors="replace")
            if self.log_path and self.log_path.exists()
            else ""
        )

    def metrics(self) -> str:
        """``GET /metrics`` with the operator's metrics token."""
        token = self.env["EVENLY_METRICS_TOKEN"]
        response = httpx.get(f"{self.url}/metrics", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        return response.text

    def demo_credentials(self) -> dict[str, Any]:
        creds: dict[str, Any] = json.loads((self.data_dir / "demo-credentials.json").read_text())
        return creds


@pytest.fixture(params=BACKENDS)
async def hub_server(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[HubServer]:
    """An unstarted server with its own database and data directory."""
    async for server in _hub_server(request.param, tmp_path):
        yield server


@pytest.fixture
async def pg_hub_server(tmp_path: Path) -> AsyncIterator[HubServer]:
    """An unstarted server on PostgreSQL (for what only PostgreSQL does: several workers)."""
    async for server in _hub_server("postgresql", tmp_path):
        yield server


@pytest.fixture
async def sqlite_hub_server(tmp_path: Path) -> AsyncIterator[HubServer]:
    """An unstarted server on SQLite (for what does not depend on the backend: web pages)."""
    async for server in _hub_server("sqlite", tmp_path):
        yield server


async def _hub_server(backend: str, tmp_path: Path) -> AsyncIterator[HubServer]:
    pg_name = None
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENLY_")}
    env.update(
        EVENLY_DATA_DIR=str(tmp_path),
        EVENLY_ENCRYPTION_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        EVENLY_CLIENT_CACHE_SECONDS="0",
        EVENLY_RATE_LIMIT_PER_SECOND="10000",
        EVENLY_RATE_LIMIT_BURST="10000",
        EVENLY_METRICS_TOKEN=secrets.token_urlsafe(16),
    )
    if backend == "postgresql":
        pg_name = await _create_postgres_database()
        env["EVENLY_DATABASE_URL"] = postgres_url(pg_name)
    server = HubServer(env=env, data_dir=tmp_path)
    try:
        yield server
    finally:
        server.stop()
        for worker in server.workers:
            worker.kill()
            worker.wait()
        if pg_name is not None:
            await _drop_postgres_database(pg_name)


@pytest.fixture
def demo_hub(hub_server: HubServer) -> Iterator[HubServer]:
    hub_server.start("--demo")
    yield hub_server


def curl_available() -> bool:
    return shutil.which("curl") is not None
