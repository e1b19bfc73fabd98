"""What a webhook receiver sends back, made safe to keep.

Everything a receiver answers is untrusted: its body may be binary (gzip, NUL bytes, invalid
UTF-8), its headers huge or absurd, its errors full of its bytes. The worker keeps only
values parsed here: text without control characters, of bounded length, that any database
stores, and a ``Retry-After`` within ``MAX_RETRY_AFTER``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math

#: How much of a response body is read and kept (the delivery log's ``responseSnippet``).
SNIPPET_BYTES = 1024
#: The longest error text kept for an attempt.
MAX_ERROR_CHARS = 500
#: The longest pause a ``Retry-After`` can ask for (one hour); longer asks are cut to it.
MAX_RETRY_AFTER = 3600.0
_REPLACEMENT = "\ufffd"
_KEPT = frozenset("\t\n\r")


def safe_text(value: str, limit: int) -> str:
    """``value``, at most ``limit`` characters, each unprintable one (controls, NUL, lone
    surrogates that no database encoding takes, format and separator characters) but tab and
    line breaks replaced by U+FFFD."""
    value = value[:limit]
    if value.isprintable():
        return value
    return "".join(c if c.isprintable() or c in _KEPT else _REPLACEMENT for c in value)


def snippet_of(raw: bytes) -> str:
    """The start of a response body as text: UTF-8, anything else shown as U+FFFD."""
    return safe_text(raw[:SNIPPET_BYTES].decode("utf-8", "replace"), SNIPPET_BYTES)


def error_text(error: BaseException) -> str:
    """An attempt's error: the exception's type and message, made safe and bounded."""
    return safe_text(f"{type(error).__name__}: {error}", MAX_ERROR_CHARS)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date).

    Between 0 and ``MAX_RETRY_AFTER``; None when the header is missing or unreadable.
    """
    if not value:
        return None
    value = value.strip()[:64]
    if value.isascii() and value.isdigit():
        # A digit string of any length: compare as text before converting.
        seconds = float(value) if len(value) < 16 else math.inf
        return min(seconds, MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:  # "-0000": a date with no known zone; HTTP dates are GMT
            when = when.replace(tzinfo=dt.UTC)
        delay = when.timestamp() - now
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return min(max(0.0, delay), MAX_RETRY_AFTER)
