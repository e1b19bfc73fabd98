"""``POST /portal/stripe/webhook``: Stripe's events about portal payments.

Served only when ``EVENLY_STRIPE_WEBHOOK_SECRET`` is set. Answers are JSON:

- 200 ``{"received": true, "changed": …}`` for a verified event, applied or not (a repeat,
  a type the hub does not act on); with ``"refused": <code>`` when the account refused the
  change (a refund of a payment whose account has since closed: ``ACCOUNT_CLOSED``), which
  the collector has to act on (sending it again would change nothing);
- 400 ``STRIPE_SIGNATURE_MISSING``, ``STRIPE_SIGNATURE_INVALID``, ``STRIPE_SIGNATURE_EXPIRED``
  (signed longer ago than the tolerance: a replay), ``STRIPE_EVENT_MALFORMED`` (a good
  signature over a body that is not an event of the hub's payments);
- 413 ``STRIPE_EVENT_MALFORMED`` for a body over ``MAX_BODY_BYTES``;
- 503 ``SERVICE_UNAVAILABLE`` with ``Retry-After`` while the database cannot be reached or
  the account is changing under it, so Stripe sends the event again. Never a 500.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from hub.domain.errors import RETRY_AFTER_SECONDS, DatabaseUnavailable, DomainError
from hub.domain.portal_payment import PaymentProvider
from hub.domain.stripe_events import EVENT_MALFORMED
from hub.services import stripe_payments
from hub.services.context import ServiceContext

log = logging.getLogger("hub.stripe")
PATH = "/portal/stripe/webhook"
#: Stripe's events are a few kilobytes; anything much larger is not one.
MAX_BODY_BYTES = 256 * 1024


def _refusal(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


class StripeWebhook:
    """The endpoint Stripe posts its signed events to."""

    def __init__(self, services: ServiceContext, providers: list[PaymentProvider]) -> None:
        self.services = services
        self.provider = next(
            (p for p in providers if isinstance(p, stripe_payments.StripeProvider)), None
        )

    def routes(self) -> list[BaseRoute]:
        if not self.services.settings.stripe_webhook_secret:
            return []
        return [Route(PATH, self.receive, methods=["POST"])]

    async def receive(self, request: Request) -> Response:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            return _refusal(413, EVENT_MALFORMED, "The body is too large for a Stripe event.")
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _refusal(413, EVENT_MALFORMED, "The body is too large for a Stripe event.")
        try:
            handled = await stripe_payments.handle_webhook(
                self.services, self.provider, body, request.headers.get("stripe-signature")
            )
        except stripe_payments.StripeRefusal as refusal:
            log.info("stripe webhook refused", extra={"code": refusal.code})
            return _refusal(400, refusal.code, refusal.message)
        except (DatabaseUnavailable, DomainError) as error:
            # The database is down, or the account kept changing (CONCURRENT_CHANGE).
            log.warning("stripe webhook not applied yet", extra={"error": type(error).__name__})
            response = _refusal(
                503, "SERVICE_UNAVAILABLE", "The event cannot be applied just now: send it again."
            )
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        except Exception:
            log.exception("stripe webhook failed")
            response = _refusal(503, "SERVICE_UNAVAILABLE", "The event was not applied: retry.")
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        log.info(
            "stripe webhook received",
            extra={"event_id": handled.event_id, "type": handled.type, "changed": handled.changed},
        )
        answer: dict[str, object] = {"received": True, "changed": handled.changed}
        if handled.refused is not None:
            answer["refused"] = handled.refused
        return JSONResponse(answer)
