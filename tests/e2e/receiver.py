"""A real webhook receiver for tests: an aiohttp server on 127.0.0.1 that records deliveries."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.e2e.conftest import free_port


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    """Answers each POST with ``respond()`` (a status) and ``headers`` after recording it."""

    respond: Callable[[], int] = lambda: 204
    hang_probability: float = 0.0
    hang_seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.hang_probability and random.random() < self.hang_probability:
            await asyncio.sleep(self.hang_seconds)
        status = self.respond()
        self.received.append(
            Received({k.lower(): v for k, v in request.headers.items()}, body, status)
        )
        return web.Response(status=status, headers=self.headers)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/webhooks", self._handle)
        # Stopping does not wait for hanging answers to finish.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def delivered_ids(self) -> list[str]:
        """Ids of the deliveries answered with 2xx, in arrival order."""
        return [r.headers["webhook-id"] for r in self.received if 200 <= r.status < 300]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 30) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while not predicate():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out; received {len(self.received)} deliveries")
            await asyncio.sleep(0.05)


def json_of(received: Received) -> Any:
    import json

    return json.loads(received.body)
