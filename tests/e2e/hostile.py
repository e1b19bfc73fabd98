"""A hostile webhook receiver: a raw TCP server on 127.0.0.1 that answers with what no HTTP
library would send. Each path is one behaviour; every request fully read is counted."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
from collections import Counter
from dataclasses import dataclass, field

from tests.e2e.conftest import free_port

_NUL_BODY = gzip.compress(b'{"status": "accepted"}' * 20) + b"\x00\x01\x02\xff\xfe"


def _response(status: str, headers: list[bytes], body: bytes = b"") -> bytes:
    head = [
        f"HTTP/1.1 {status}".encode("latin-1"),
        *headers,
        b"Content-Length: %d" % len(body),
        b"Connection: close",  # one request a connection: each one it reads is one attempt
    ]
    return b"\r\n".join([*head, b"", b""]) + body


#: path -> what the receiver sends back (bytes), or None for the slowloris behaviour.
BEHAVIOURS: dict[str, bytes | None] = {
    # A 200 with a gzip body and NUL bytes: delivered, and the body is kept as text.
    "/binary-ok": _response("200 OK", [b"Content-Encoding: gzip"], _NUL_BODY),
    "/binary-error": _response("500 Oops", [b"Content-Type: application/octet-stream"], _NUL_BODY),
    "/huge-header": _response("503 Busy", [b"X-Junk: " + b"\x01x" * 40_000]),
    "/retry-after-seconds": _response("503 Busy", [b"Retry-After: " + b"9" * 30]),
    "/retry-after-date": _response(
        "429 Slow Down", [b"Retry-After: Fri, 31 Dec 9999 23:59:59 GMT"]
    ),
    "/retry-after-binary": _response("503 Busy", [b"Retry-After: \xff\xfe\x00\x01"]),
    "/bad-status-line": b"\x00\xff\xfeHTTP/9.9 \x00 garbage\r\n\r\n",
    "/bad-reason": _response("500 \xff\xfe bad \x7f reason", [b"X-Note: \xc3\x28"]),
    # Sends the status line, then a byte of a header every half second, forever.
    "/slowloris": None,
}


@dataclass
class HostileReceiver:
    port: int = field(default_factory=free_port)
    requests: Counter[str] = field(default_factory=Counter)
    _server: asyncio.Server | None = None
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *lines = head.decode("latin-1").split("\r\n")
            path = request_line.split(" ")[1]
            length = next(
                (
                    int(v)
                    for k, _, v in (ln.partition(":") for ln in lines)
                    if k.lower() == "content-length"
                ),
                0,
            )
            await reader.readexactly(length)
            self.requests[path] += 1
            answer = BEHAVIOURS[path]
            if answer is not None:
                writer.write(answer)
                await writer.drain()
                return
            writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\nX-Slow: ")
            while True:
                await writer.drain()
                await asyncio.sleep(0.5)
                writer.write(b"z")
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._handlers.discard(task)
            writer.close()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._handlers):
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None
