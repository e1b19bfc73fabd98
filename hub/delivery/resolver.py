"""Connection-time address checks for webhook deliveries.

Checking a URL when it is saved is not enough: a name can later resolve to a private
address (DNS rebinding), and the rules may have become stricter since the URL was saved.
Two gates, both deciding with ``hub.domain.webhook_urls.is_public_address``:

- ``PublicOnlyResolver`` refuses a name when any address it resolves to is not public;
- ``public_socket_factory`` refuses every socket whose peer is not public, so IP literals
  (which aiohttp never hands to a resolver) and cached answers are checked too.

Both raise ``UnsafeAddress``; ``refusal_of`` finds it inside aiohttp's connection errors, and
the delivery log records it as ``REFUSED_ADDRESS``. Loopback addresses pass only with
``allow_loopback`` (``Settings.webhooks_may_reach_loopback``: either development setting).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from hub.domain.webhook_urls import is_public_address, refusal_reason


class UnsafeAddress(OSError):
    """The host resolved to an address webhooks may not reach."""


def _check(host: str, allow_loopback: bool) -> None:
    address = ipaddress.ip_address(host.split("%")[0])
    if not is_public_address(address, allow_loopback=allow_loopback):
        raise UnsafeAddress(refusal_reason(address))


class PublicOnlyResolver(AbstractResolver):
    def __init__(self, *, allow_loopback: bool) -> None:
        self._inner = ThreadedResolver()
        self._allow_loopback = allow_loopback

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            _check(result["host"], self._allow_loopback)
        return results

    async def close(self) -> None:
        await self._inner.close()


def public_socket_factory(*, allow_loopback: bool) -> Callable[[Any], socket.socket]:
    """An aiohttp ``socket_factory``: a socket for a public peer, else ``UnsafeAddress``."""

    def create(addr_info: Any) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        _check(str(sockaddr[0]), allow_loopback)
        return socket.socket(family=family, type=type_, proto=proto)

    return create


def refusal_of(error: BaseException) -> UnsafeAddress | None:
    """The ``UnsafeAddress`` behind a connection error, if that is why it failed."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, UnsafeAddress):
            return current
        seen.add(id(current))
        os_error = getattr(current, "os_error", None)
        if isinstance(os_error, UnsafeAddress):
            return os_error
        current = current.__cause__ or current.__context__
    return None
