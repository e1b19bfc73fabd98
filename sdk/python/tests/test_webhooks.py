"""``evenly.webhooks``: verify deliveries into typed events, with framework helpers."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from evenly import WebhookEvent, WebhookVerificationError, webhooks
from evenly_webhooks import generate_secret, generate_signing_key, headers, public_key_of
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

BODY = (
    b'{"type":"account.placed","timestamp":"2026-03-01T09:30:00.123456Z",'
    b'"data":{"account":{"id":"acc_1","reference":"INV-1"}}}'
)


def signed(body: bytes = BODY, **keys: Any) -> dict[str, str]:
    return headers(body, msg_id="evt_42", timestamp=int(time.time()), **keys)


def test_verify_returns_a_typed_event() -> None:
    secret = generate_secret()
    event = webhooks.verify(BODY, signed(secrets=[secret]), secret)
    assert isinstance(event, WebhookEvent)
    assert event.id == "evt_42"
    assert event.type == "account.placed"
    assert event.timestamp == dt.datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=dt.UTC)
    assert event.account_id == "acc_1"


def test_headers_are_matched_whatever_their_case() -> None:
    secret = generate_secret()
    upper = {k.upper(): v for k, v in signed(secrets=[secret]).items()}
    assert webhooks.verify(BODY.decode(), upper, secret).id == "evt_42"


def test_a_changed_body_or_wrong_secret_is_refused() -> None:
    secret = generate_secret()
    sent = signed(secrets=[secret])
    with pytest.raises(WebhookVerificationError) as caught:
        webhooks.verify(BODY.replace(b"INV-1", b"INV-2"), sent, secret)
    assert caught.value.reason == "no_matching_signature"
    with pytest.raises(WebhookVerificationError):
        webhooks.verify(BODY, sent, generate_secret())


def test_an_old_delivery_is_refused() -> None:
    secret = generate_secret()
    sent = headers(BODY, msg_id="evt_1", timestamp=int(time.time()) - 3600, secrets=[secret])
    with pytest.raises(WebhookVerificationError) as caught:
        webhooks.verify(BODY, sent, secret)
    assert caught.value.reason == "timestamp_too_old"


def test_either_secret_verifies_during_a_rotation_and_ed25519_keys_work() -> None:
    old, new = generate_secret(), generate_secret()
    assert webhooks.verify(BODY, signed(secrets=[old]), [new, old]).id == "evt_42"
    key = generate_signing_key()
    event = webhooks.verify(BODY, signed(signing_keys=[key]), public_keys=[public_key_of(key)])
    assert event.type == "account.placed"


def test_starlette_helper_reads_the_raw_body() -> None:
    secret = generate_secret()

    async def receive(request: Request) -> Response:
        try:
            event = await webhooks.verify_starlette(request, secret)
        except WebhookVerificationError as error:
            return JSONResponse({"reason": error.reason}, status_code=400)
        return JSONResponse({"id": event.id, "type": event.type})

    app = Starlette(routes=[Route("/webhooks", receive, methods=["POST"])])
    with TestClient(app) as http:
        ok = http.post("/webhooks", content=BODY, headers=signed(secrets=[secret]))
        assert ok.json() == {"id": "evt_42", "type": "account.placed"}
        bad = http.post("/webhooks", content=BODY + b" ", headers=signed(secrets=[secret]))
        assert bad.status_code == 400


class FlaskLikeRequest:
    """What Flask's request offers: ``get_data()`` and ``headers``."""

    def __init__(self, body: bytes, sent: dict[str, str]) -> None:
        self._body = body
        self.headers = {k.title(): v for k, v in sent.items()}

    def get_data(self) -> bytes:
        return self._body


class DjangoLikeRequest:
    """What Django's HttpRequest offers: ``body`` and ``headers``."""

    def __init__(self, body: bytes, sent: dict[str, str]) -> None:
        self.body = body
        self.headers = {k.title(): v for k, v in sent.items()}


def test_flask_and_django_helpers() -> None:
    secret = generate_secret()
    sent = signed(secrets=[secret])
    assert webhooks.verify_flask(FlaskLikeRequest(BODY, sent), secret).id == "evt_42"
    assert webhooks.verify_django(DjangoLikeRequest(BODY, sent), secret).id == "evt_42"
    with pytest.raises(WebhookVerificationError):
        webhooks.verify_django(DjangoLikeRequest(BODY, {}), secret)
