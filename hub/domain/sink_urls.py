"""Sink URLs: a sandbox endpoint may point at the hub's own sink instead of a server.

``sink://ok`` answers 200; ``sink://<status>`` (200-599, e.g. ``sink://500``,
``sink://410``) answers that status, with ``?retry-after=<seconds>`` (0-3600) as its
``Retry-After`` header (``sink://429?retry-after=2``); ``sink://timeout`` never answers,
recorded as a timeout at once (the sink does not hold a connection open for the whole
timeout). The delivery worker answers them in-process (``hub.delivery.sink``), without
any network, so the retry, pause and disable policy and the delivery log apply as to any
receiver. Only sandbox organizations' endpoints may use them (``hub.domain.sandbox``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from hub.domain.errors import DomainError

SCHEME = "sink"
#: Refused: a ``sink://`` URL of no known form.
INVALID_SINK_URL = "INVALID_SINK_URL"
MAX_RETRY_AFTER_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class SinkAnswer:
    """What the sink does for a delivery: a status (with ``Retry-After``), or a timeout."""

    status: int | None
    retry_after_seconds: int | None = None

    @property
    def times_out(self) -> bool:
        return self.status is None


def is_sink_url(url: str) -> bool:
    return url[: len(SCHEME) + 3].lower() == f"{SCHEME}://"


def _refused(message: str) -> DomainError:
    return DomainError.of(
        INVALID_SINK_URL,
        f"{message}; a sink URL is sink://ok, sink://<status 200-599>[?retry-after=<0-3600>]"
        " or sink://timeout",
        "url",
    )


def parse_sink_url(url: str) -> SinkAnswer:
    """The answer a ``sink://`` URL stands for, or ``INVALID_SINK_URL``."""
    parts = urlsplit(url[:200])
    if len(url) > 200 or parts.path not in ("", "/") or parts.fragment:
        raise _refused("unknown sink")
    behaviour = parts.netloc.lower()
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if set(query) - {"retry-after"}:
        raise _refused("the only parameter is retry-after")
    retry_after = None
    if "retry-after" in query:
        value = query["retry-after"]
        if not value.isdigit() or int(value) > MAX_RETRY_AFTER_SECONDS:
            raise _refused("retry-after is whole seconds, 0-3600")
        retry_after = int(value)
    if behaviour == "timeout":
        if retry_after is not None:
            raise _refused("a timeout has no retry-after")
        return SinkAnswer(None)
    if behaviour == "ok":
        return SinkAnswer(200, retry_after)
    if behaviour.isdigit() and len(behaviour) == 3 and 200 <= int(behaviour) <= 599:
        return SinkAnswer(int(behaviour), retry_after)
    raise _refused(f"unknown sink {behaviour!r}")
