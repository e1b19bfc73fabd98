"""Which webhook URLs the hub will call (SSRF protection).

Only ``https`` URLs whose host resolves to public addresses are allowed. Private, loopback,
link-local (the cloud metadata service at 169.254.169.254 among them), shared, reserved and
multicast addresses are refused, for IP literals and for every address a name resolves to.
An IPv6 address that carries an IPv4 address (IPv4-mapped, -compatible and -translated,
NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``) is judged by the IPv4 address it carries; the
local-use NAT64 prefix ``64:ff9b:1::/48``, Teredo and site-local addresses are refused
outright. ``is_public_address`` is the one rule: the check runs when an endpoint is saved
(``hub.services.webhook_urls`` resolves the name) and again at every connection
(``hub.delivery.resolver``), so a name that later resolves somewhere private (DNS
rebinding) is still refused.

Two development settings widen the rule, and a refusal names the one that would allow the
URL (none allows a private, link-local or metadata address):

- ``EVENLY_ALLOW_LOOPBACK_WEBHOOKS=1`` (``allow_loopback``; ``evenly-hub serve --demo``
  turns it on): receivers on this machine, ``http`` or ``https``: ``localhost``,
  ``*.localhost`` and loopback literals (127.0.0.0/8, ``[::1]``). ``http`` to any other
  host stays refused.
- ``EVENLY_ALLOW_INSECURE_WEBHOOKS=1`` (``allow_insecure``; tests): ``http`` to any host,
  and loopback addresses.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from hub.domain.errors import DomainError

MAX_URL_LENGTH = 2048
LOOPBACK_SETTING = "EVENLY_ALLOW_LOOPBACK_WEBHOOKS"
INSECURE_SETTING = "EVENLY_ALLOW_INSECURE_WEBHOOKS"
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL's parts: where a delivery will connect."""

    url: str
    scheme: str
    host: str
    port: int


def refuse(message: str, code: str = "INVALID_WEBHOOK_URL") -> DomainError:
    """A refused webhook URL, on the input's ``url`` field."""
    return DomainError.of(code, message, "url")


def parse_url(url: str, *, allow_insecure: bool, allow_loopback: bool = False) -> Target:
    """The URL's target, or ``INVALID_WEBHOOK_URL`` / ``WEBHOOK_URL_NOT_ALLOWED``.

    Checks the form and any IP literal (``localhost`` names count as 127.0.0.1); other
    names are checked where they are resolved. ``allow_insecure`` implies ``allow_loopback``.
    """
    if len(url) > MAX_URL_LENGTH or not url.isprintable() or any(c.isspace() for c in url):
        raise refuse(f"a webhook URL is at most {MAX_URL_LENGTH} printable characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise refuse(f"not a valid URL: {error}") from error
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise refuse("a webhook URL must use https")
    if parts.username is not None or parts.password is not None:
        raise refuse("a webhook URL may not contain credentials")
    if parts.fragment:
        raise refuse("a webhook URL may not contain a fragment")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise refuse("a webhook URL needs a host")
    address = ip_literal(host)
    if address is None and (host == "localhost" or host.endswith(".localhost")):
        address = ipaddress.ip_address("127.0.0.1")
    loopback_allowed = allow_insecure or allow_loopback
    if address is not None:
        check_address(address, allow_insecure=loopback_allowed)
    if scheme == "http" and not allow_insecure:
        if address is None or not is_loopback(address):
            raise refuse(
                f"a webhook URL must use https (http only to this machine with "
                f"{LOOPBACK_SETTING}=1, or anywhere with {INSECURE_SETTING}=1: development "
                "and tests only)",
                "WEBHOOK_URL_NOT_ALLOWED",
            )
        if not loopback_allowed:
            raise refuse(
                f"a webhook URL must use https; http to this machine is allowed with "
                f"{LOOPBACK_SETTING}=1 (development only; on under `evenly-hub serve --demo`)",
                "WEBHOOK_URL_NOT_ALLOWED",
            )
    return Target(url, scheme, host, port or (443 if scheme == "https" else 80))


# IPv6 ranges Python's ``is_global`` may still call global (it depends on the Python
# version) that no webhook may reach: local-use NAT64 (RFC 8215; where the IPv4 address sits
# depends on the operator's prefix length), site-local (deprecated, RFC 3879), documentation
# (RFC 9637) and SRv6 segment identifiers (RFC 9602).
_NOT_PUBLIC_V6 = tuple(
    ipaddress.IPv6Network(n) for n in ("64:ff9b:1::/48", "fec0::/10", "3fff::/20", "5f00::/16")
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix
_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # RFC 2765 IPv4-translated
_COMPATIBLE = ipaddress.IPv6Network("::/96")  # RFC 4291 IPv4-compatible (deprecated)


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 transition address stands for, if it is one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    if address in _NAT64 or address in _TRANSLATED:
        return low32
    if address in _COMPATIBLE and int(address) > 1:  # not :: nor ::1
        return low32
    return None


def is_public_address(address: IPAddress, *, allow_loopback: bool = False) -> bool:
    """Whether webhooks may connect to ``address``: the one rule, at save and connect time.

    An IPv6 address carrying an IPv4 address is judged by the IPv4 address.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            return False
        embedded = embedded_ipv4(address)
        if embedded is not None:
            address = embedded
        elif any(address in network for network in _NOT_PUBLIC_V6):
            return False
    if address.is_loopback:
        return allow_loopback
    return address.is_global and not address.is_multicast


def is_loopback(address: IPAddress) -> bool:
    """Whether ``address`` is this machine (an IPv6 form carrying 127.x counts)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = embedded_ipv4(address)
        if embedded is not None:
            return embedded.is_loopback
    return address.is_loopback


def refusal_reason(address: IPAddress) -> str:
    """Why webhooks may not reach ``address``, naming the setting that would allow it."""
    if is_loopback(address):
        return (
            f"webhooks may not target the loopback address {address} unless "
            f"{LOOPBACK_SETTING}=1 (development only; on under `evenly-hub serve --demo`)"
        )
    return (
        f"webhooks may not target the non-public address {address} (no setting allows "
        "private, link-local or metadata addresses)"
    )


def check_address(address: IPAddress, *, allow_insecure: bool) -> None:
    """Refuse an address that is not public (loopback only with ``allow_insecure``)."""
    if not is_public_address(address, allow_loopback=allow_insecure):
        raise refuse(refusal_reason(address), "WEBHOOK_URL_NOT_ALLOWED")


def ip_literal(host: str) -> IPAddress | None:
    """The address a host names literally (``[…]`` for IPv6), if it is one."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
