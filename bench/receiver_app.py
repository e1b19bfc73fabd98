"""The webhook receiver of ``bench/delivery.py``: a raw ASGI app that counts POSTs.

Every ``POST`` (any path) has its body read and is answered ``204 No Content``; nothing is
verified or stored. ``GET /count`` returns ``{"count", "bytes", "first", "last"}``: the POSTs
received since the last ``GET /reset`` and the ``time.monotonic()`` of the first and last one
(``CLOCK_MONOTONIC`` is system-wide on Linux, so the bench process can compare it with its own
clock). Serve with::

    uvicorn receiver_app:app --app-dir bench --loop uvloop --http httptools --no-access-log
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_state: dict[str, Any] = {"count": 0, "bytes": 0, "first": None, "last": None}

_NO_CONTENT = {"type": "http.response.start", "status": 204, "headers": []}
_EMPTY = {"type": "http.response.body", "body": b""}


def _reset() -> None:
    _state.update(count=0, bytes=0, first=None, last=None)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    if scope["method"] == "POST":
        size = 0
        more = True
        while more:
            message = await receive()
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
        now = time.monotonic()
        if _state["first"] is None:
            _state["first"] = now
        _state["last"] = now
        _state["count"] += 1
        _state["bytes"] += size
        await send(_NO_CONTENT)
        await send(_EMPTY)
        return
    if scope["path"] == "/reset":
        _reset()
    body = orjson.dumps(_state)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})
