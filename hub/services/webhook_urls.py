"""Checking a webhook URL when it is saved: its form, then every address its host resolves to.

The rules are ``hub.domain.webhook_urls``; this adds the DNS lookup. Deliveries check every
connection again (``hub.delivery.resolver``), since a name may resolve elsewhere later.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from hub.domain.webhook_urls import IPAddress, Target, check_address, ip_literal, parse_url, refuse


async def resolve(target: Target, *, allow_loopback: bool) -> list[IPAddress]:
    """Every address the target's host resolves to, all of them checked."""
    literal = ip_literal(target.host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(
            target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except OSError as error:
        raise refuse(
            f"the host {target.host} does not resolve", "WEBHOOK_URL_UNRESOLVABLE"
        ) from error
    addresses = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        check_address(address, allow_insecure=allow_loopback)
        addresses.append(address)
    if not addresses:
        raise refuse(f"the host {target.host} does not resolve", "WEBHOOK_URL_UNRESOLVABLE")
    return addresses


async def check_url(url: str, *, allow_insecure: bool, allow_loopback: bool = False) -> Target:
    """Parse and resolve ``url``; raise a DomainError if the hub must not call it.

    ``allow_insecure`` and ``allow_loopback`` are the two development settings (see
    ``hub.domain.webhook_urls``).
    """
    target = parse_url(url, allow_insecure=allow_insecure, allow_loopback=allow_loopback)
    await resolve(target, allow_loopback=allow_insecure or allow_loopback)
    return target
