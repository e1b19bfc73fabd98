"""What a webhook receiver answers is untrusted: bodies, headers and errors made safe to keep."""

from __future__ import annotations

import datetime as dt
import gzip
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.delivery.responses import (
    MAX_ERROR_CHARS,
    MAX_RETRY_AFTER,
    SNIPPET_BYTES,
    error_text,
    parse_retry_after,
    snippet_of,
)


def _storable(text: str) -> bool:
    """PostgreSQL text takes it: valid UTF-8 without NUL."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


@given(st.binary(max_size=4 * SNIPPET_BYTES))
def test_any_body_gives_a_bounded_storable_snippet(raw: bytes) -> None:
    snippet = snippet_of(raw)
    assert len(snippet) <= SNIPPET_BYTES
    assert _storable(snippet)
    assert all(c.isprintable() or c in "\t\n\r" for c in snippet)


def test_a_gzip_body_is_kept_as_replacement_characters_not_nul_bytes() -> None:
    raw = gzip.compress(b'{"ok": true}' * 10)
    snippet = snippet_of(raw)
    assert "\x00" not in snippet and "\ufffd" in snippet
    assert snippet_of(b'{"error": "busy"}\n') == '{"error": "busy"}\n'
    assert snippet_of("Grüße".encode()) == "Grüße"


@given(st.text(max_size=2000))
def test_any_error_text_is_bounded_and_storable(message: str) -> None:
    text = error_text(ValueError(message))
    assert len(text) <= MAX_ERROR_CHARS and _storable(text)
    assert text.startswith("ValueError: ")


def test_surrogates_from_undecodable_headers_are_replaced() -> None:
    header = b"bad \xff\x00 value".decode("utf-8", "surrogateescape")
    assert _storable(error_text(ValueError(header)))


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 30 ", 30.0),
        ("0", 0.0),
        ("99999999999999999999999999", MAX_RETRY_AFTER),
        ("9" * 5000, MAX_RETRY_AFTER),
        ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER),
        ("Mon, 01 Jan 0001 00:00:00 GMT", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("-5", None),
        ("1e10", None),
        ("soon", None),
        ("²", None),
        ("Sun, 06 Nov 1994 08:49:37 +2400", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_and_clamped(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, time.time()) == seconds


def test_retry_after_as_an_http_date_counts_from_now() -> None:
    now = time.time()
    when = dt.datetime.fromtimestamp(now + 90, dt.UTC)
    for zone in ("GMT", "-0000"):
        header = when.strftime(f"%a, %d %b %Y %H:%M:%S {zone}")
        assert parse_retry_after(header, now) == pytest.approx(90, abs=1.5)


@given(st.text(max_size=200))
def test_any_retry_after_header_is_none_or_within_bounds(header: str) -> None:
    seconds = parse_retry_after(header, time.time())
    assert seconds is None or 0.0 <= seconds <= MAX_RETRY_AFTER
