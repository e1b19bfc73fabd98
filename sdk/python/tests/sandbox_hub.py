"""A sandbox world in real processes: ``evenly-hub serve --no-worker`` beside an
``evenly-hub worker``, on SQLite, with a sandbox creditor routed to a simulated sandbox
agency and scenario days shortened (``EVENLY_SANDBOX_SECONDS_PER_DAY``), so a scenario
plays out in seconds. The ``sandbox_world`` fixture of the CLI's and the examples' tests."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import HUB, Credentials, Hub, hub_env, stop_hub

#: Seconds a scenario day lasts here, and between the simulated agency's runs.
SECONDS_PER_DAY = "0.2"
INTERVAL = "0.2"


@dataclass
class SandboxWorld:
    hub: Hub
    creditor: Credentials
    agency: Credentials
    worker: subprocess.Popen[bytes]


def _start(data_dir: Path) -> SandboxWorld:
    env = {
        **hub_env(data_dir, None),
        "EVENLY_SANDBOX_SECONDS_PER_DAY": SECONDS_PER_DAY,
        "EVENLY_SANDBOX_INTERVAL_SECONDS": INTERVAL,
    }
    hub = Hub("sqlite", env, data_dir)
    log = (data_dir / "server.log").open("wb")
    hub.process = subprocess.Popen(
        [HUB, "serve", "--no-worker", "--port", str(hub.port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    _wait_healthy(hub)
    worker_log = (data_dir / "worker.log").open("wb")
    worker = subprocess.Popen([HUB, "worker"], env=env, stdout=worker_log, stderr=subprocess.STDOUT)
    creditor = hub.organization("creditor", sandbox=True)
    created = hub.admin(
        "create-organization",
        "--kind",
        "agency",
        "--name",
        "Simulated Agency",
        "--country",
        "SE",
        "--sandbox",
        "--simulated",
    )
    agency = Credentials(created["organization_id"], created["client_id"], created["client_secret"])
    hub.route(creditor, agency)
    return SandboxWorld(hub, creditor, agency, worker)


def _wait_healthy(hub: Hub) -> None:
    assert hub.process is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            raise RuntimeError(f"hub exited early:\n{hub.log()}")
        try:
            if httpx.get(f"{hub.url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"hub did not become healthy:\n{hub.log()}")


@pytest.fixture(scope="module")
async def sandbox_world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SandboxWorld]:
    world = await asyncio.to_thread(_start, tmp_path_factory.mktemp("sandbox"))
    try:
        yield world
    finally:
        world.worker.terminate()
        try:
            world.worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            world.worker.kill()
            world.worker.wait()
        await stop_hub(world.hub, None)
