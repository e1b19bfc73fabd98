"""An aiohttp resolver that refuses non-public addresses at connection time.

Checking a URL when it is saved is not enough: a name can later resolve to a private
address (DNS rebinding). Every delivery connects only to addresses this resolver returned,
after ``hub.delivery.urls.check_address`` accepted each of them.
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from hub.delivery.urls import check_address
from hub.domain.errors import DomainError


class UnsafeAddress(OSError):
    """The host resolved to an address webhooks may not reach."""


class PublicOnlyResolver(AbstractResolver):
    def __init__(self, *, allow_insecure: bool) -> None:
        self._inner = ThreadedResolver()
        self._allow_insecure = allow_insecure

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            try:
                check_address(
                    ipaddress.ip_address(result["host"]), allow_insecure=self._allow_insecure
                )
            except DomainError as error:
                raise UnsafeAddress(str(error)) from error
        return results

    async def close(self) -> None:
        await self._inner.close()
