"""Webhook URL safety: https only, public addresses only (loopback only in development)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from hub.delivery.urls import check_url, parse_url
from hub.domain.errors import DomainError

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
