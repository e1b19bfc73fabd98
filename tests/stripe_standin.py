"""A local stand-in for the part of Stripe's HTTP API the portal's Stripe adapter uses, so
the real ``stripe`` library does the talking without internet.

It serves, on a real port (uvicorn in a thread): ``POST /v1/checkout/sessions`` (form
encoded, as the library sends it; ``Idempotency-Key`` honoured), ``GET
/v1/checkout/sessions/{id}``, ``GET /v1/payment_intents/{id}``, and the page a debtor is
sent to (``GET /checkout/{id}``). What Stripe's dashboard or a card would do (a payment
completed, failed, refunded, disputed) the test asks of ``StripeStandIn``, which answers
with the event Stripe would send; ``signed`` signs a body in Stripe's real format
(``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``), written here from Stripe's
documentation rather than taken from the library under test.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

_KEY = re.compile(r"[^\[\]]+")


def nested(form: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (``line_items[0][price_data][currency]=sek``) as a dict;
    list indexes stay string keys."""
    root: dict[str, Any] = {}
    for name, value in form:
        keys = _KEY.findall(name)
        node = root
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    return root


def signed(body: str, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``body``."""
    stamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


class StripeStandIn:
    """The stand-in's state and the events it would send."""

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.live = api_key.startswith("sk_live_")
        self.base = ""
        self.sessions: dict[str, dict[str, Any]] = {}
        self.intents: dict[str, dict[str, Any]] = {}
        self.by_idempotency: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/checkout/sessions", self._create, methods=["POST"]),
                Route("/v1/checkout/sessions/{id}", self._session, methods=["GET"]),
                Route("/v1/payment_intents/{id}", self._intent, methods=["GET"]),
                Route("/checkout/{id}", self._page, methods=["GET"]),
            ]
        )

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    @staticmethod
    def _error(status: int, message: str) -> Response:
        error = {"type": "invalid_request_error", "message": message}
        return JSONResponse({"error": error}, status_code=status)

    async def _create(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._error(401, "Invalid API Key provided")
        key = request.headers.get("idempotency-key", "")
        if key in self.by_idempotency:
            return JSONResponse(self.by_idempotency[key])
        params = nested(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        self.requests.append(params)
        item = params["line_items"]["0"]
        amount = int(item["price_data"]["unit_amount"]) * int(item["quantity"])
        session_id = f"cs_test_{secrets.token_hex(12)}"
        intent_id = f"pi_{secrets.token_hex(12)}"
        self.intents[intent_id] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "currency": item["price_data"]["currency"],
            "metadata": params.get("payment_intent_data", {}).get("metadata", {}),
            "livemode": self.live,
        }
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params["mode"],
            "url": f"{self.base}/checkout/{session_id}",
            "amount_total": amount,
            "currency": item["price_data"]["currency"],
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "payment_intent": intent_id,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params["success_url"],
            "cancel_url": params["cancel_url"],
            "expires_at": int(params["expires_at"]),
            "livemode": self.live,
        }
        self.sessions[session_id] = session
        self.by_idempotency[key] = session
        return JSONResponse(session)

    async def _session(self, request: Request) -> Response:
        found = self.sessions.get(request.path_params["id"])
        if not self._authorized(request) or found is None:
            return self._error(404, "No such checkout.session")
        return JSONResponse(found)

    async def _intent(self, request: Request) -> Response:
        found = self.intents.get(request.path_params["id"])
        if not self._authorized(request) or found is None:
            return self._error(404, "No such payment_intent")
        return JSONResponse(found)

    async def _page(self, request: Request) -> Response:
        found = self.sessions.get(request.path_params["id"])
        if found is None:
            return HTMLResponse("no such session", status_code=404)
        return HTMLResponse(f"<h1>Pay {found['amount_total']} {found['currency']}</h1>")

    # --- what happens at Stripe, and the event it sends -----------------------------------

    def event(self, event_type: str, obj: dict[str, Any]) -> str:
        """The JSON body of an event of ``event_type`` about ``obj``."""
        body = {
            "id": f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": "2025-01-01",
            "created": int(time.time()),
            "type": event_type,
            "livemode": self.live,
            "data": {"object": obj},
        }
        return json.dumps(body)

    def complete(self, session_id: str, payment_status: str = "paid") -> str:
        """The debtor paid on the page (or, ``unpaid``, started a bank debit)."""
        session = self.sessions[session_id]
        session.update(status="complete", payment_status=payment_status)
        return self.event("checkout.session.completed", dict(session))

    def async_outcome(self, session_id: str, succeeded: bool) -> str:
        session = self.sessions[session_id]
        session["payment_status"] = "paid" if succeeded else "unpaid"
        kind = "succeeded" if succeeded else "failed"
        return self.event(f"checkout.session.async_payment_{kind}", dict(session))

    def charge_of(self, session_id: str, **changes: Any) -> dict[str, Any]:
        """The charge of a session's PaymentIntent (its metadata as Stripe copies it)."""
        intent = self.intents[self.sessions[session_id]["payment_intent"]]
        charge = {
            "id": f"ch_{intent['id'][3:]}",
            "object": "charge",
            "amount": intent["amount"],
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "metadata": dict(intent["metadata"]),
            "refunded": False,
            "livemode": self.live,
        }
        charge.update(changes)
        return charge

    def refund(self, session_id: str, *, full: bool = True) -> str:
        charge = self.charge_of(session_id, refunded=full)
        charge["amount_refunded"] = charge["amount"] if full else 1
        return self.event("charge.refunded", charge)

    def dispute(self, session_id: str) -> str:
        charge = self.charge_of(session_id)
        dispute = {
            "id": f"dp_{secrets.token_hex(12)}",
            "object": "dispute",
            "amount": charge["amount"],
            "currency": charge["currency"],
            "charge": charge["id"],
            "payment_intent": charge["payment_intent"],
            "reason": "fraudulent",
            "status": "needs_response",
            "metadata": {},
            "livemode": self.live,
        }
        return self.event("charge.dispute.created", dispute)


@contextmanager
def serving(standin: StripeStandIn) -> Iterator[StripeStandIn]:
    """``standin`` served on a free port of 127.0.0.1 until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    standin.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(standin.app(), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the Stripe stand-in did not start")
        time.sleep(0.02)
    try:
        yield standin
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
