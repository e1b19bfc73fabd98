"""Verify the hub's webhooks and read them as typed events.

>>> from evenly import webhooks
>>> event = webhooks.verify(raw_body, request_headers, secret="whsec_…")  # doctest: +SKIP
>>> event.id, event.type, event.data  # doctest: +SKIP

``verify`` checks the Standard Webhooks signature (with ``evenly_webhooks``, the library
the hub signs with) over the **raw** body, then parses it. Framework helpers take the raw
body from the request for you: ``verify_starlette`` (also FastAPI), ``verify_flask`` and
``verify_django``; they only need the request object, not the framework.
Dedupe on ``event.id`` (the ``webhook-id`` header): a delivery may come more than once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from evenly_webhooks import DEFAULT_TOLERANCE, WebhookVerificationError
from evenly_webhooks import verify as _verify_signature

from evenly._models import EvenlyModel

__all__ = [
    "WebhookEvent",
    "WebhookVerificationError",
    "verify",
    "verify_django",
    "verify_flask",
    "verify_starlette",
]

Secrets = str | Sequence[str]


class WebhookEvent(EvenlyModel):
    """A verified delivery: ``id`` is its ``webhook-id`` (the event id), then the body."""

    id: str
    type: str
    timestamp: dt.datetime
    data: dict[str, Any]

    @property
    def account_id(self) -> str | None:
        """The id of the account the event is about, if any."""
        account = self.data.get("account")
        return account.get("id") if isinstance(account, dict) else None


def verify(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: Secrets = (),
    *,
    public_keys: Sequence[str] = (),
    tolerance: dt.timedelta = DEFAULT_TOLERANCE,
    now: dt.datetime | None = None,
) -> WebhookEvent:
    """The event of a delivery whose signature checks out; ``WebhookVerificationError`` if not.

    ``body`` must be the raw request body. ``secret`` is your endpoint's ``whsec_…`` secret
    (or a list of them during a rotation); ``public_keys`` (``whpk_…``, from
    ``/.well-known/webhook-keys``) verify the Ed25519 signatures instead or as well.
    """
    secrets = [secret] if isinstance(secret, str) else list(secret)
    received = {str(name).lower(): str(value) for name, value in headers.items()}
    _verify_signature(
        body, received, secrets=secrets, public_keys=public_keys, tolerance=tolerance, now=now
    )
    parsed = json.loads(body)
    return WebhookEvent.model_validate({"id": received["webhook-id"], **parsed})


class StarletteRequest(Protocol):
    """What ``verify_starlette`` uses of a Starlette or FastAPI ``Request``."""

    @property
    def headers(self) -> Any: ...

    async def body(self) -> bytes: ...


class FlaskRequest(Protocol):
    """What ``verify_flask`` uses of a Flask (Werkzeug) ``Request``."""

    @property
    def headers(self) -> Any: ...

    def get_data(self) -> bytes: ...


class DjangoRequest(Protocol):
    """What ``verify_django`` uses of a Django ``HttpRequest``."""

    @property
    def body(self) -> bytes: ...

    @property
    def headers(self) -> Any: ...


async def verify_starlette(
    request: StarletteRequest, secret: Secrets = (), **options: Any
) -> WebhookEvent:
    """``verify`` for a Starlette/FastAPI request: ``event = await verify_starlette(request, S)``."""
    return verify(await request.body(), dict(request.headers.items()), secret, **options)


def verify_flask(request: FlaskRequest, secret: Secrets = (), **options: Any) -> WebhookEvent:
    """``verify`` for a Flask request (the raw body, however Flask parsed it)."""
    return verify(request.get_data(), dict(request.headers.items()), secret, **options)


def verify_django(request: DjangoRequest, secret: Secrets = (), **options: Any) -> WebhookEvent:
    """``verify`` for a Django request (``request.body`` is the raw body)."""
    return verify(request.body, dict(request.headers.items()), secret, **options)
