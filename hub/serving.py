"""How ``evenly-hub serve`` starts: the port is taken first, the banner is printed last.

The listening socket is opened before anything else happens (migrations, demo data), so a
second server on a port in use stops at once with a message that names a free port, instead
of printing credentials and then failing inside a log line. What the command prints for its
user (``--demo``'s credentials) comes once uvicorn serves, after every start-up log line.
With several worker processes it comes once the workers are started, as uvicorn has no
signal for "all of them serve".
"""

from __future__ import annotations

import contextlib
import errno
import socket
import sys
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.supervisors.multiprocess import Multiprocess

#: How many ports after a busy one are tried for the suggestion.
_SUGGESTION_RANGE = 100


class PortUnavailable(Exception):
    """The server cannot listen where it was asked to; the message says why and what to try."""


def open_listener(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port``, or ``PortUnavailable``.

    It listens at once (before migrations run), so a second server started meanwhile finds
    the port taken; connections arriving before the app serves wait in the backlog.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PortUnavailable(_in_use(host, port)) from error
        raise PortUnavailable(f"cannot listen on {host}:{port}: {error.strerror}") from error
    sock.set_inheritable(True)
    return sock


def _in_use(host: str, port: int) -> str:
    free = next((p for p in range(port + 1, port + _SUGGESTION_RANGE) if _is_free(host, p)), 0)
    if not free:
        return f"port {port} is in use on {host}; try another one with PORT=… (make run)"
    return (
        f"port {port} is in use on {host}; try PORT={free} "
        f"(`make run PORT={free}`, or `evenly-hub serve --port {free}`)"
    )


def _is_free(host: str, port: int) -> bool:
    if port > 65535:
        return False
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class _AnnouncingServer(uvicorn.Server):
    """A uvicorn server that calls ``announce`` once it serves."""

    def __init__(self, config: uvicorn.Config, announce: Callable[[], None]) -> None:
        super().__init__(config)
        self._announce = announce

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and not self.should_exit:
            self._announce()


def run_server(sock: socket.socket, announce: Callable[[], None], **options: Any) -> None:
    """Serve the hub on ``sock`` (``options`` as for ``uvicorn.Config``); ``announce`` once
    it serves. Exits with status 3, as uvicorn does, when the app did not start."""
    config = uvicorn.Config("hub.app:create_served_app", factory=True, **options)
    if config.workers > 1:
        announce()
        Multiprocess(config, sockets=[sock]).run()
        return
    server = _AnnouncingServer(config, announce)
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    if not server.started:
        sys.exit(3)
