"""A minimal graphql-transport-ws client over a real websocket (the `websockets` package)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection


class Subscriber:
    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self._ids = 0

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._ids += 1
        op_id = str(self._ids)
        payload = {"query": query, "variables": variables or {}}
        await self.socket.send(json.dumps({"id": op_id, "type": "subscribe", "payload": payload}))
        return op_id

    async def receive(self, seconds: float = 10.0) -> dict[str, Any]:
        """The next message that is not a ping (pings are answered)."""
        while True:
            raw = await asyncio.wait_for(self.socket.recv(), timeout=seconds)
            message: dict[str, Any] = json.loads(raw)
            if message["type"] == "ping":
                await self.socket.send(json.dumps({"type": "pong"}))
                continue
            return message

    async def events(self, count: int, seconds: float = 20.0) -> list[dict[str, Any]]:
        """The next ``count`` events (``next`` payloads' first field), failing on errors."""
        found: list[dict[str, Any]] = []
        while len(found) < count:
            message = await self.receive(seconds)
            assert message["type"] == "next", message
            assert "errors" not in message["payload"], message
            [event] = message["payload"]["data"].values()
            found.append(event)
        return found


@asynccontextmanager
async def subscriber(
    base_url: str, token: str | None, params: dict[str, Any] | None = None
) -> AsyncIterator[Subscriber]:
    """Connect to ``/graphql`` and complete ``connection_init`` with the token."""
    url = base_url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        init = params if params is not None else {"authorization": f"Bearer {token}"}
        await socket.send(json.dumps({"type": "connection_init", "payload": init}))
        ack = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        assert ack["type"] == "connection_ack", ack
        yield Subscriber(socket)
