"""Webhook URL safety: https only, public addresses only (loopback only in development)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest

from hub.delivery.resolver import UnsafeAddress, public_socket_factory
from hub.domain.errors import DomainError
from hub.domain.webhook_urls import embedded_ipv4, is_public_address, parse_url
from hub.services.webhook_urls import check_url

REFUSED = [
    ("http://example.com/hook", False, "WEBHOOK_URL_NOT_ALLOWED"),
    ("ftp://example.com/hook", False, "INVALID_WEBHOOK_URL"),
    ("https://user:pw@example.com/hook", False, "INVALID_WEBHOOK_URL"),
    ("https:///hook", False, "INVALID_WEBHOOK_URL"),
    ("https://example.com:99999/hook", False, "INVALID_WEBHOOK_URL"),
    ("https://example.com/hook#frag", False, "INVALID_WEBHOOK_URL"),
    ("https://exa mple.com/hook", False, "INVALID_WEBHOOK_URL"),
    ("https://10.0.0.1/hook", False, "WEBHOOK_URL_NOT_ALLOWED"),
    ("https://172.16.5.4/hook", False, "WEBHOOK_URL_NOT_ALLOWED"),
    ("https://192.168.1.1/hook", False, "WEBHOOK_URL_NOT_ALLOWED"),
    ("https://169.254.169.254/latest/meta-data", False, "WEBHOOK_URL_NOT_ALLOWED"),
    ("https://100.64.0.1/hook", False, "WEBHOOK_URL_NOT_ALLOWED"),
    ("https://0.0.0.0/hook", False, "WEBHOOK_URL_NOT_ALLOWED"),
    ("https://224.0.0.1/hook", False, "WEBHOOK_URL_NOT_ALLOWED"),
    ("https://[::1]/hook", False, "WEBHOOK_URL_NOT_ALLOWED"),
    ("https://[fe80::1]/hook", False, "WEBHOOK_URL_NOT_ALLOWED"),
    ("https://[fd00::1]/hook", False, "WEBHOOK_URL_NOT_ALLOWED"),
    ("https://[::ffff:10.0.0.1]/hook", False, "WEBHOOK_URL_NOT_ALLOWED"),
    ("https://127.0.0.1/hook", False, "WEBHOOK_URL_NOT_ALLOWED"),
    ("https://localhost/hook", False, "WEBHOOK_URL_NOT_ALLOWED"),
    ("https://api.localhost/hook", False, "WEBHOOK_URL_NOT_ALLOWED"),
    # The development flag opens loopback, never other private ranges.
    ("http://10.0.0.1/hook", True, "WEBHOOK_URL_NOT_ALLOWED"),
    ("https://169.254.169.254/", True, "WEBHOOK_URL_NOT_ALLOWED"),
    ("https://" + "a" * 2050 + ".com/", False, "INVALID_WEBHOOK_URL"),
    # IPv6 forms that carry a non-public IPv4 address are judged by it.
    *(
        (f"https://[{host}]/hook", False, "WEBHOOK_URL_NOT_ALLOWED")
        for host in (
            "::127.0.0.1",  # IPv4-compatible
            "::10.0.0.1",
            "::ffff:0:127.0.0.1",  # IPv4-translated
            "::ffff:0:169.254.169.254",
            "64:ff9b::127.0.0.1",  # NAT64
            "64:ff9b::10.0.0.1",
            "64:ff9b::169.254.169.254",
            "64:ff9b:1::127.0.0.1",  # local-use NAT64: refused whatever it carries
            "64:ff9b:1::8.8.8.8",
            "2002:7f00:1::1",  # 6to4 of 127.0.0.1
            "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
            "2002:a00:1::",  # 6to4 of 10.0.0.1
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
            "fec0::1",  # site-local
            "::ffff:100.64.0.1",
        )
    ),
    ("https://[64:ff9b::a9fe:a9fe]/latest/meta-data", True, "WEBHOOK_URL_NOT_ALLOWED"),
]


@pytest.mark.parametrize(("url", "insecure", "code"), REFUSED)
def test_unsafe_urls_are_refused_with_a_code(url: str, insecure: bool, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        asyncio.run(check_url(url, allow_insecure=insecure))
    assert refused.value.code == code
    assert refused.value.problems[0].field == ("url",)


@pytest.mark.parametrize(
    "url",
    [
        "https://93.184.216.34/hook",
        "https://[2606:4700::1111]/hooks?x=1",
        "https://8.8.8.8:8443/a/b",
        # Transition addresses carrying a public IPv4 address reach that address.
        "https://[64:ff9b::8.8.8.8]/hook",
        "https://[2002:808:808::1]/hook",
        "https://[::ffff:8.8.8.8]/hook",
    ],
)
def test_public_https_urls_are_allowed(url: str) -> None:
    target = asyncio.run(check_url(url, allow_insecure=False))
    assert target.scheme == "https"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "http://localhost:4242/webhooks", "http://[::1]:9/x"]
)
def test_loopback_is_allowed_only_with_the_development_flag(url: str) -> None:
    target = asyncio.run(check_url(url, allow_insecure=True))
    assert target.port in (8080, 4242, 9)
    with pytest.raises(DomainError):
        asyncio.run(check_url(url, allow_insecure=False))


def test_localhost_names_are_loopback() -> None:
    target = parse_url("https://localhost.:8443/x", allow_insecure=True)
    assert target.host == "localhost"
    with pytest.raises(DomainError) as refused:
        asyncio.run(check_url("https://localhost./x", allow_insecure=False))
    assert refused.value.code == "WEBHOOK_URL_NOT_ALLOWED"


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.7", "169.254.169.254", "::1"])
def test_a_public_name_resolving_to_a_private_address_is_refused(
    address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name looks public, the resolver answers with a private address.

    This machine has no DNS to control, so the event loop's resolver answers for the name.
    """
    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    async def rebinding(self: Any, host: str, port: Any, **kwargs: Any) -> list[Any]:
        assert host == "hooks.example.com"
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", rebinding)
    with pytest.raises(DomainError) as refused:
        asyncio.run(check_url("https://hooks.example.com/x", allow_insecure=False))
    assert refused.value.code == "WEBHOOK_URL_NOT_ALLOWED"


def test_an_unresolvable_name_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        asyncio.run(check_url("https://no-such-host.invalid/hook", allow_insecure=False))
    assert refused.value.code == "WEBHOOK_URL_UNRESOLVABLE"


@pytest.mark.parametrize(
    ("address", "carried"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("::127.0.0.1", "127.0.0.1"),
        ("::ffff:0:10.0.0.1", "10.0.0.1"),
        ("64:ff9b::169.254.169.254", "169.254.169.254"),
        ("2002:a9fe:a9fe:1::1", "169.254.169.254"),
        ("::1", None),
        ("::", None),
        ("2606:4700::1111", None),
    ],
)
def test_an_ipv6_transition_address_stands_for_the_ipv4_address_it_carries(
    address: str, carried: str | None
) -> None:
    found = embedded_ipv4(ipaddress.IPv6Address(address))
    assert (str(found) if found is not None else None) == carried


def test_one_rule_decides_at_save_time_and_at_connect_time() -> None:
    """Every address the save-time check refuses, the connect-time gate refuses too."""
    create = public_socket_factory(allow_loopback=False)
    literals = 0
    for url, insecure, code in REFUSED:
        try:
            address = ipaddress.ip_address(urlsplit(url).hostname or "")
        except ValueError:
            continue  # a name, or not a URL at all
        if insecure or code != "WEBHOOK_URL_NOT_ALLOWED" or url.startswith("http:"):
            continue
        literals += 1
        host = str(address)
        assert not is_public_address(address), url
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        with pytest.raises(UnsafeAddress):
            create((family, socket.SOCK_STREAM, 6, "", (host, 443)))
    assert literals >= 25
    sock = create((socket.AF_INET, socket.SOCK_STREAM, 6, "", ("8.8.8.8", 443)))
    sock.close()


def test_loopback_is_public_only_for_development() -> None:
    for host in ("127.0.0.1", "::1", "::ffff:127.0.0.1", "::127.0.0.1"):
        assert is_public_address(ipaddress.ip_address(host), allow_loopback=True), host
        assert not is_public_address(ipaddress.ip_address(host)), host
    assert not is_public_address(ipaddress.ip_address("10.0.0.1"), allow_loopback=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://127.10.0.1/hook",
        "http://localhost:4242/webhooks",
        "http://[::1]:9/x",
        "https://127.0.0.1/hook",
    ],
)
def test_the_loopback_allowance_opens_receivers_on_this_machine(url: str) -> None:
    target = asyncio.run(check_url(url, allow_insecure=False, allow_loopback=True))
    assert target.url == url
    with pytest.raises(DomainError) as refused:
        asyncio.run(check_url(url, allow_insecure=False))
    assert "EVENLY_ALLOW_LOOPBACK_WEBHOOKS=1" in refused.value.problems[0].message


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/hook",
        "https://172.16.5.4/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00::1]/hook",
        "http://[fe80::1]/hook",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",
        "http://[::ffff:10.0.0.1]/hook",
        "http://100.64.0.1/hook",
    ],
)
def test_the_loopback_allowance_never_opens_private_or_metadata_addresses(url: str) -> None:
    with pytest.raises(DomainError) as refused:
        asyncio.run(check_url(url, allow_insecure=False, allow_loopback=True))
    assert refused.value.code == "WEBHOOK_URL_NOT_ALLOWED"
    assert "no setting allows" in refused.value.problems[0].message


def test_the_loopback_allowance_keeps_https_for_other_hosts() -> None:
    with pytest.raises(DomainError) as refused:
        asyncio.run(
            check_url("http://93.184.216.34/hook", allow_insecure=False, allow_loopback=True)
        )
    assert refused.value.code == "WEBHOOK_URL_NOT_ALLOWED"
    assert "EVENLY_ALLOW_INSECURE_WEBHOOKS=1" in refused.value.problems[0].message


@pytest.mark.parametrize(
    ("url", "setting"),
    [
        ("http://127.0.0.1:8000/hook", "EVENLY_ALLOW_LOOPBACK_WEBHOOKS=1"),
        ("http://localhost/hook", "EVENLY_ALLOW_LOOPBACK_WEBHOOKS=1"),
        ("https://[::1]/hook", "EVENLY_ALLOW_LOOPBACK_WEBHOOKS=1"),
        ("http://example.com/hook", "EVENLY_ALLOW_INSECURE_WEBHOOKS=1"),
    ],
)
def test_a_refusal_names_the_setting_that_would_allow_it(url: str, setting: str) -> None:
    with pytest.raises(DomainError) as refused:
        asyncio.run(check_url(url, allow_insecure=False))
    assert setting in refused.value.problems[0].message


def test_the_connect_time_gate_follows_the_loopback_allowance() -> None:
    loopback = (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 8000))
    with pytest.raises(UnsafeAddress, match="EVENLY_ALLOW_LOOPBACK_WEBHOOKS=1"):
        public_socket_factory(allow_loopback=False)(loopback)
    public_socket_factory(allow_loopback=True)(loopback).close()
    for host in ("10.0.0.1", "169.254.169.254", "192.168.0.1"):
        private = (socket.AF_INET, socket.SOCK_STREAM, 6, "", (host, 80))
        with pytest.raises(UnsafeAddress, match="no setting allows"):
            public_socket_factory(allow_loopback=True)(private)
