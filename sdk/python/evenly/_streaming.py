"""Live events: the ``organizationEvents`` subscription, or polling ``events(after:)``.

The subscription speaks graphql-transport-ws on ``/graphql`` (the access token goes in the
``connection_init`` payload). A hub without it (no websocket route, or no such field)
refuses the connection or the subscription; the stream then polls the feed instead, from
the same ``after``, so no event is skipped either way.

When the hub cannot be reached (it restarts, the network drops), the stream waits and tries
again, 0.5 s, 1 s, 2 s, … up to 30 s apart, for as long as it takes, and resumes after the
last event it yielded: no event twice, none skipped. ``on_disconnect(error, delay)`` hears
of each failed attempt, ``on_reconnect(after)`` of the hub answering again.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from evenly._exceptions import (
    APIConnectionError,
    AuthenticationError,
    EvenlyError,
    PermissionError,
    ServerError,
)
from evenly._models import Event
from evenly._operations import ACCOUNT_EVENTS, ORGANIZATION_EVENTS

SUBPROTOCOL = "graphql-transport-ws"
DEFAULT_POLL_INTERVAL = 1.0
FIRST_RECONNECT_DELAY = 0.5
MAX_RECONNECT_DELAY = 30.0

# The hub is not there, or not well: wait and try again (the SDK's own retries are spent).
HUB_LOST = (APIConnectionError, ServerError)

DisconnectCallback = Callable[[Exception, float], None]
ReconnectCallback = Callable[[str | None], None]


class Reconnection:
    """How long to wait before reaching for the hub again, and who to tell."""

    def __init__(
        self,
        on_disconnect: DisconnectCallback | None = None,
        on_reconnect: ReconnectCallback | None = None,
    ) -> None:
        self.on_disconnect = on_disconnect
        self.on_reconnect = on_reconnect
        self.failures = 0

    def lost(self, error: Exception) -> float:
        """Seconds to wait after ``error`` (doubling from 0.5 s to 30 s, ±10 %)."""
        self.failures += 1
        delay = min(MAX_RECONNECT_DELAY, FIRST_RECONNECT_DELAY * 2.0 ** (self.failures - 1))
        delay *= random.uniform(0.9, 1.1)
        if self.on_disconnect is not None:
            self.on_disconnect(error, delay)
        return delay

    def answered(self, after: str | None) -> None:
        """The hub answered: if it had been lost, say so once."""
        if self.failures:
            self.failures = 0
            if self.on_reconnect is not None:
                self.on_reconnect(after)


class SubscriptionUnavailable(Exception):
    """The hub does not offer the subscription; poll instead."""


@dataclass
class SubscriptionSession:
    """The client side of one graphql-transport-ws subscription, without the socket."""

    token: str
    types: Sequence[str] | None
    after: str | None
    #: Only this account's events (``accountEvents``), else the organization's.
    account_id: str | None = None

    def __post_init__(self) -> None:
        self.id = uuid.uuid4().hex
        self.field = "organizationEvents" if self.account_id is None else "accountEvents"

    def init_message(self) -> str:
        return json.dumps(
            {"type": "connection_init", "payload": {"authorization": f"Bearer {self.token}"}}
        )

    def subscribe_message(self) -> str:
        variables: dict[str, Any] = {
            "types": list(self.types) if self.types else None,
            "after": self.after,
        }
        query, name = ORGANIZATION_EVENTS, "OrganizationEvents"
        if self.account_id is not None:
            query, name = ACCOUNT_EVENTS, "AccountEvents"
            variables["accountId"] = self.account_id
        return json.dumps(
            {
                "id": self.id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables, "operationName": name},
            }
        )

    def check_ack(self, raw: str | bytes) -> None:
        message = _load(raw)
        if message.get("type") != "connection_ack":
            raise SubscriptionUnavailable(f"no connection_ack: {message}")

    def read(self, raw: str | bytes) -> Event | str | None:
        """An event; ``"ping"`` when the server pings (answer ``pong_message``); None when done."""
        message = _load(raw)
        kind = message.get("type")
        if kind == "ping":
            return "ping"
        if kind == "pong":
            return "pong"
        if kind == "complete":
            return None
        if kind == "error":
            errors = message.get("payload") or [{}]
            raise _subscription_error(errors[0] if isinstance(errors, list) else errors)
        if kind == "next":
            body = message.get("payload") or {}
            if body.get("errors"):
                raise _subscription_error(body["errors"][0])
            event = Event.model_validate(body["data"][self.field])
            self.after = event.id
            return event
        return "ignored"

    @staticmethod
    def pong_message() -> str:
        return json.dumps({"type": "pong"})


def websocket_url(base_url: str) -> str:
    if base_url.startswith("https://"):
        return "wss://" + base_url.removeprefix("https://") + "/graphql"
    return "ws://" + base_url.removeprefix("http://") + "/graphql"


def _load(raw: str | bytes) -> dict[str, Any]:
    message = json.loads(raw)
    if not isinstance(message, dict):
        raise SubscriptionUnavailable(f"unexpected message: {message!r}")
    return message


def _subscription_error(error: dict[str, Any]) -> Exception:
    code = (error.get("extensions") or {}).get("code")
    message = error.get("message", "subscription failed")
    if code in ("UNAUTHENTICATED", "INVALID_TOKEN", "TOKEN_EXPIRED"):
        return AuthenticationError(message, code=code)
    if code == "FORBIDDEN":
        return PermissionError(message, code=code)
    if code in (None, "GRAPHQL_VALIDATION_FAILED"):
        # The hub does not know the field: it predates subscriptions.
        return SubscriptionUnavailable(message)
    return EvenlyError(message, code=code)
