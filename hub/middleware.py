"""ASGI middleware: request ids, access logs and metrics; coded errors for whatever escapes
a route; request body size limit."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.domain.errors import RETRY_AFTER_SECONDS, DatabaseUnavailable
from hub.domain.portal import logged_path
from hub.observability import Metrics, new_request_id, request_id_var

access_log = logging.getLogger("hub.access")
log = logging.getLogger("hub")
_ROUTES = frozenset(
    {"/graphql", "/oauth/token", "/healthz", "/metrics", "/.well-known/webhook-keys"}
)


class RequestContextMiddleware:
    """Gives every request an id (``X-Request-Id``), logs it and counts it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1") or None
        request_id = new_request_id(incoming)
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            path = logged_path(scope["path"])
            route = path if path in _ROUTES else "other"
            method = scope["method"]
            self.metrics.http_requests.labels(method, route, str(status)).inc()
            self.metrics.http_latency.labels(method, route).observe(elapsed)
            access_log.info(
                "request",
                extra={
                    "method": method,
                    "path": path,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id_var.reset(token)


async def send_json_error(
    send: Send,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> None:
    """An HTTP error in the API's shape: ``{"errors": [{"message", "extensions": {"code"}}]}``."""
    body = orjson.dumps(
        {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    )
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((name.lower().encode(), value.encode()) for name, value in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def send_unavailable(send: Send) -> None:
    """503 ``SERVICE_UNAVAILABLE`` with ``Retry-After``: the database cannot be reached."""
    await send_json_error(
        send,
        503,
        "SERVICE_UNAVAILABLE",
        "the service is unavailable for a moment; retry after the delay in Retry-After",
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
        retryAfter=RETRY_AFTER_SECONDS,
    )


class ErrorResponseMiddleware:
    """Whatever exception escapes a route is answered in JSON with a code, never plain text:
    503 ``SERVICE_UNAVAILABLE`` with ``Retry-After`` while the database is unavailable, else
    500 ``INTERNAL_SERVER_ERROR`` with the request id (the traceback goes to the log only)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception as error:
            if started:
                raise  # too late for an error response; the server closes the connection
            if isinstance(error, DatabaseUnavailable):
                log.warning("database unavailable: %r", error.__cause__)
                await send_unavailable(send)
                return
            request_id = scope.get("state", {}).get("request_id", "-")
            log.exception("unhandled error", extra={"path": logged_path(scope.get("path", ""))})
            await send_json_error(
                send, 500, "INTERNAL_SERVER_ERROR", "Internal server error", requestId=request_id
            )


class BodySizeLimitMiddleware:
    """Refuses bodies over ``max_bytes`` with 413 ``BODY_TOO_LARGE``, before or while reading."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > self.max_bytes:
                    await self._refuse(send)
                    return
        received = 0
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        await send_json_error(
            send, 413, "BODY_TOO_LARGE", f"request body is larger than {self.max_bytes} bytes"
        )


class _BodyTooLarge(Exception):
    pass
