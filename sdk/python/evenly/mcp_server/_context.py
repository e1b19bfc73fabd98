"""What every tool of one server shares: the SDK client, how results are shown, and the
description of a tool (its name, annotations and who may call it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from evenly._client import AsyncEvenly
from evenly.mcp_server.masking import mask_personal_data

__all__ = ["ToolContext", "ToolSpec", "instant"]

#: The most items one list tool returns: a page an assistant can read.
MAX_ITEMS = 50


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its function (whose signature is its input schema) and honest hints."""

    name: str
    function: Callable[..., Awaitable[dict[str, Any]]]
    description: str
    read_only: bool
    destructive: bool = False
    idempotent: bool = True
    #: The organization kinds it makes sense for (None: both).
    kinds: frozenset[str] | None = None


@dataclass
class ToolContext:
    """The SDK client of the server's API client, and whether PII is shown."""

    client: AsyncEvenly
    show_pii: bool = False

    def show(self, value: Any) -> Any:
        """A model, list of models or JSON-like value as JSON, PII masked unless shown."""
        plain = _plain(value)
        return plain if self.show_pii else mask_personal_data(plain)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def instant(value: str | None) -> dt.datetime | None:
    """An RFC 3339 argument as a timezone-aware datetime (UTC when it names no zone)."""
    if value is None:
        return None
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
