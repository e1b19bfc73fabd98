"""Stripe Checkout as the portal's ``PaymentProvider``, and Stripe's webhook events applied.

One Checkout Session per portal payment (``StripeProvider.start``): one line item of the
amount in the currency's minor units, tagged in its metadata and its PaymentIntent's with
the hub's payment id, the account id and the collector (``hub.domain.stripe_events``); the
debtor is sent to its page. Creating it is idempotent by the payment id (Stripe's
``Idempotency-Key``), so a form sent twice gets the same session. The payment stays pending
until Stripe's signed webhook says otherwise (``handle_webhook``).

The secret key's mode decides whom the provider serves: ``sk_test_``/``rk_test_`` keys
sandbox organizations, live keys live ones (``providers``: Stripe first when it serves the
collector's mode, then the built-in sandbox provider).

Webhooks are verified with ``stripe.Webhook.construct_event`` (Stripe's ``t=…,v1=…``
HMAC-SHA256 signature, within ``TOLERANCE_SECONDS``); a refusal is a ``StripeRefusal`` with
a stable code. A verified event is applied under its Stripe event id, so a repeat changes
nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import stripe
from stripe._base_address import BaseAddresses

from hub.domain.errors import DomainError
from hub.domain.payment import Payment
from hub.domain.portal_payment import (
    PaymentProvider,
    PaymentRequest,
    SandboxProvider,
    Started,
)
from hub.domain.stripe_events import (
    EVENT_MALFORMED,
    PaymentTag,
    StripeChange,
    change_of,
    malformed,
    stripe_amount,
    tag_metadata,
    tag_of,
)
from hub.domain.vocabulary import PaymentChannel
from hub.services import portal_payments as paying
from hub.services.context import ServiceContext
from hub.settings import Settings

log = logging.getLogger("hub.stripe")

SIGNATURE_MISSING = "STRIPE_SIGNATURE_MISSING"
SIGNATURE_INVALID = "STRIPE_SIGNATURE_INVALID"
SIGNATURE_EXPIRED = "STRIPE_SIGNATURE_EXPIRED"
#: How old a signed webhook may be (Stripe's own default): older is a replay.
TOLERANCE_SECONDS = 300
#: How long a debtor has to pay on Stripe's page; the payment is declined after it
#: (``checkout.session.expired``), so a pending amount is not held for a day.
SESSION_LIFETIME = dt.timedelta(hours=1)
_TEST_KEYS = ("sk_test_", "rk_test_")
CHECKOUT_ORIGIN = "https://checkout.stripe.com"


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL; empty for an empty one."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def is_test_key(key: str) -> bool:
    return key.startswith(_TEST_KEYS)


class StripeProvider:
    """Stripe Checkout, through the official ``stripe`` library."""

    asks_for_card = False

    def __init__(self, settings: Settings, clock: Any = None) -> None:
        self.sandbox = is_test_key(settings.stripe_secret_key)
        #: Where the debtor pays: the pay form's redirect ends there (``form-action``).
        self.form_origin = _origin(settings.stripe_api_base) or CHECKOUT_ORIGIN
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        base: BaseAddresses | None = (
            {"api": settings.stripe_api_base} if settings.stripe_api_base else None
        )
        self.client = stripe.StripeClient(
            settings.stripe_secret_key, base_addresses=base, max_network_retries=2
        )

    def serves(self, sandbox: bool) -> bool:
        return sandbox is self.sandbox

    def check_card(self, card: str) -> str:
        return ""  # the debtor types it on Stripe's page

    async def start(self, request: PaymentRequest) -> Started:
        tag = tag_metadata(request)
        expires = self.clock() + SESSION_LIFETIME
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": request.payment_id,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.amount.currency.lower(),
                        "unit_amount": stripe_amount(request.amount),
                        "product_data": {"name": "Payment towards your debt"},
                    },
                }
            ],
            "metadata": tag,
            "payment_intent_data": {"metadata": tag},
            "success_url": f"{request.return_url}/payments/{request.payment_id}",
            "cancel_url": request.return_url,
            "expires_at": int(expires.timestamp()),
        }
        try:
            session = await self.client.v1.checkout.sessions.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": f"evenly-portal-{request.payment_id}"},
            )
        except stripe.StripeError as error:
            log.warning("stripe checkout session not created", extra={"error": repr(error)})
            raise DomainError.of(
                "PAYMENTS_UNAVAILABLE", "Paying here is not available just now."
            ) from None
        return Started(redirect_url=session.url)

    async def intent_tag(self, intent_id: str) -> PaymentTag | None:
        """The hub's tag on a PaymentIntent (for events whose object has none)."""
        intent = await self.client.v1.payment_intents.retrieve_async(intent_id)
        metadata = intent.metadata
        return tag_of(metadata.to_dict() if metadata is not None else None)


def providers(settings: Settings) -> list[PaymentProvider]:
    """The portal's providers, in the order they are chosen: Stripe if a key is set, then
    the built-in sandbox provider (for sandbox organizations Stripe does not serve)."""
    found: list[PaymentProvider] = []
    if settings.stripe_secret_key:
        found.append(StripeProvider(settings))
    found.append(SandboxProvider())
    return found


async def provider_for(
    ctx: ServiceContext, available: list[PaymentProvider], collector: str
) -> PaymentProvider | None:
    """The first provider that serves ``collector``'s mode (sandbox or live), if any."""
    found = await ctx.organizations.get_many([collector])
    if collector not in found:
        return None
    return next((p for p in available if p.serves(found[collector].sandbox)), None)


@dataclass(frozen=True, slots=True)
class StripeRefusal(Exception):
    """A webhook the hub does not accept: its stable code and what is wrong."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Handled:
    """A verified event: its id and type, and whether it changed a payment."""

    event_id: str
    type: str
    changed: bool
    #: The account's refusal of the change (``ACCOUNT_CLOSED``…), if it refused: the event
    #: was received (Stripe need not send it again), the collector has to act on it.
    refused: str | None = None


def verify(settings: Settings, payload: bytes, header: str | None) -> dict[str, Any]:
    """The event Stripe signed, as JSON; a ``StripeRefusal`` unless the signature is
    Stripe's over this body, made within ``TOLERANCE_SECONDS``."""
    if not header:
        raise StripeRefusal(SIGNATURE_MISSING, "The Stripe-Signature header is missing.")
    secret = settings.stripe_webhook_secret
    try:
        stripe.Webhook.construct_event(payload, header, secret, tolerance=TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError:
        try:  # the same check without the clock: a good signature made too long ago
            stripe.WebhookSignature.verify_header(payload.decode("utf-8"), header, secret)
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError):
            raise StripeRefusal(SIGNATURE_INVALID, "The signature is not Stripe's.") from None
        raise StripeRefusal(
            SIGNATURE_EXPIRED, "The signature is too old: a replayed event is refused."
        ) from None
    except ValueError:
        raise StripeRefusal(EVENT_MALFORMED, "The event is not JSON.") from None
    event = json.loads(payload)
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise StripeRefusal(EVENT_MALFORMED, "The event has no id.")
    if not isinstance(event.get("type"), str) or not isinstance(event.get("data"), dict):
        raise StripeRefusal(EVENT_MALFORMED, "The event has no type or data.")
    return event


async def handle_webhook(
    ctx: ServiceContext, provider: StripeProvider | None, payload: bytes, header: str | None
) -> Handled:
    """Verify a webhook from Stripe and apply what it says to its portal payment."""
    event = verify(ctx.settings, payload, header)
    event_id, event_type = event["id"], event["type"]
    try:
        change = change_of(event_type, event["data"].get("object"))
        if change is None:
            return Handled(event_id, event_type, False)
        tag = await _tag(provider, change)
        await _check(ctx, event, tag, change)
    except DomainError as error:
        raise StripeRefusal(EVENT_MALFORMED, error.problems[0].message) from None
    try:
        changed = await paying.apply_provider_event(ctx, change.event(event_id, tag))
    except DomainError as error:
        if error.code == "CONCURRENT_CHANGE":
            raise
        log.warning(
            "stripe event refused by the account",
            extra={"event_id": event_id, "type": event_type, "code": error.code},
        )
        return Handled(event_id, event_type, False, error.code)
    return Handled(event_id, event_type, changed)


async def _tag(provider: StripeProvider | None, change: StripeChange) -> PaymentTag:
    if change.tag is not None:
        return change.tag
    if provider is None or change.payment_intent is None:
        raise malformed("The event names no payment of the hub's.")
    try:
        tag = await provider.intent_tag(change.payment_intent)
    except stripe.InvalidRequestError:
        tag = None
    if tag is None:
        raise malformed("The event's PaymentIntent is not one of the hub's.")
    return tag


async def _check(
    ctx: ServiceContext, event: dict[str, Any], tag: PaymentTag, change: StripeChange
) -> Payment:
    """The tagged payment, if it is a portal payment of that account, of an organization
    of the event's mode, for the amount Stripe took."""
    found = await ctx.organizations.get_many([tag.collector_id])
    organization = found.get(tag.collector_id)
    if organization is None or organization.sandbox is (event.get("livemode") is True):
        raise malformed("The event's payment is not one of the hub's.")
    principal = paying.collector_principal(tag.collector_id, organization.kind)
    payment = await paying.payment_of(ctx, principal, tag.payment_id)
    if (
        payment is None
        or payment.channel is not PaymentChannel.PORTAL
        or payment.account_id != tag.account_id
    ):
        raise malformed("The event's payment is not one of the hub's.")
    if change.taken is not None and change.taken != payment.amount:
        raise malformed("Stripe took another amount than the payment's.")
    return payment
