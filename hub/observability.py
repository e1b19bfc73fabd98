"""Request ids, structured JSON logs and Prometheus metrics."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
import sys
from contextvars import ContextVar
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def new_request_id(incoming: str | None = None) -> str:
    """The caller's ``X-Request-Id`` if it is sane, else a fresh ``req_…`` id."""
    if incoming and _SAFE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return "req_" + secrets.token_hex(8)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


class TextFormatter(logging.Formatter):
    """One readable line: time, level, logger, message, then the request id and ``extra``
    fields as ``key=value`` (for a terminal)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = {k: v for k, v in vars(record).items() if k not in _TEXT_SKIPPED}
        if request_id_var.get() != "-":
            extra = {"request_id": request_id_var.get(), **extra}
        if extra:
            first, newline, rest = line.partition("\n")  # a traceback stays below
            line = first + " " + " ".join(f"{k}={v}" for k, v in extra.items()) + newline + rest
        return line


# uvicorn's colored copy of a message is for its own formatter, not for these lines.
_TEXT_SKIPPED = _STANDARD_ATTRS | {"color_message"}
#: Loggers whose INFO lines are start-up noise: alembic's (plugins, "Context impl…",
#: each revision run). ``evenly-hub migrate`` says itself what it did.
_QUIET_LOGGERS = ("alembic",)


def resolve_log_format(fmt: str, stream: Any = None) -> str:
    """``json`` or ``text``: ``auto`` is text on a terminal and JSON anywhere else (a pipe,
    a file, a container's log collector)."""
    if fmt not in ("auto", "json", "text"):
        raise ValueError(f"EVENLY_LOG_FORMAT={fmt!r}: use auto, json or text")
    if fmt != "auto":
        return fmt
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return "text" if isatty is not None and isatty() else "json"


def configure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    """Log to stderr at ``level`` in ``fmt`` (``auto``, ``json`` or ``text``)."""
    handler = logging.StreamHandler(sys.stderr)
    if resolve_log_format(fmt) == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))


class Metrics:
    """The hub's Prometheus metrics, in a registry of their own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "evenly_http_requests",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "evenly_http_request_duration_seconds",
            "HTTP request latency by route.",
            ["method", "route"],
            registry=self.registry,
        )
        self.graphql_operations = Counter(
            "evenly_graphql_operations",
            "GraphQL operations by root field and outcome (ok, error).",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.graphql_latency = Histogram(
            "evenly_graphql_operation_duration_seconds",
            "GraphQL operation latency by root field.",
            ["operation"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self._declare_delivery()
        self._declare_feed()

    def _declare_delivery(self) -> None:
        self.webhook_attempts = Counter(
            "evenly_webhook_attempts",
            "Webhook delivery attempts by outcome (delivered, retry, failed, gone).",
            ["outcome"],
            registry=self.registry,
        )
        # By kind of failure, never by endpoint: metrics name no tenant.
        self.webhook_failures = Counter(
            "evenly_webhook_failures",
            "Failed webhook attempts by reason (http_4xx, http_5xx, timeout, connection, "
            "refused_address).",
            ["reason"],
            registry=self.registry,
        )
        self.webhook_latency = Histogram(
            "evenly_webhook_attempt_duration_seconds",
            "Duration of webhook delivery attempts.",
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15),
        )
        self.webhook_queue = Gauge(
            "evenly_webhook_queue_depth",
            "Webhook messages waiting for delivery (pending or in flight).",
            registry=self.registry,
        )

    def _declare_feed(self) -> None:
        self.feed_events_waiting = Gauge(
            "evenly_feed_events_waiting",
            "Committed events the feed does not hand out yet: they wait for an older open"
            " transaction of the hub to end.",
            registry=self.registry,
        )
        self.feed_oldest_writer = Gauge(
            "evenly_feed_oldest_writer_seconds",
            "Age of the oldest open write transaction of the hub in its database, 0 when"
            " none: events committed after it began writing wait for it.",
            registry=self.registry,
        )
