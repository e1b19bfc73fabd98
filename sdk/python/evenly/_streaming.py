"""Live events: the ``organizationEvents`` subscription, or polling ``events(after:)``.

The subscription speaks graphql-transport-ws on ``/graphql`` (the access token goes in the
``connection_init`` payload). A hub without it (no websocket route, or no such field)
refuses the connection or the subscription; the stream then polls the feed instead, from
the same ``after``, so no event is skipped either way.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evenly._exceptions import AuthenticationError, EvenlyError, PermissionError
from evenly._models import Event
from evenly._operations import ACCOUNT_EVENTS, ORGANIZATION_EVENTS

SUBPROTOCOL = "graphql-transport-ws"
DEFAULT_POLL_INTERVAL = 1.0


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
