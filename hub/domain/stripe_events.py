"""What Stripe's webhook events mean for a portal payment taken by Stripe Checkout.

Each portal payment is one Checkout Session tagged (in its metadata and its PaymentIntent's)
with the hub's payment id, the account id and the collecting organization (``tag_metadata``).
A verified event is read here into a ``StripeChange``:

- ``checkout.session.completed`` with ``payment_status`` ``paid``, and
  ``checkout.session.async_payment_succeeded``, confirm the payment (after the amount and
  currency Stripe took are checked against the payment's);
- ``checkout.session.async_payment_failed`` and ``checkout.session.expired`` decline it;
- ``charge.refunded`` (refunded in full) and ``charge.dispute.created`` reverse it;
- every other type, a session completed but not yet paid (a bank debit still on its way),
  and a partial refund, change nothing (``None``).

A known type whose object is not what Stripe sends is ``STRIPE_EVENT_MALFORMED``. Which
organization and which payment an event is about is only ever read from the hub's own tag.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.domain.errors import DomainError
from hub.domain.money import MINOR_UNITS, Money
from hub.domain.portal_payment import PaymentRequest, ProviderEvent, ProviderEventKind

EVENT_MALFORMED = "STRIPE_EVENT_MALFORMED"
_PAYMENT, _ACCOUNT, _COLLECTOR = "evenly_payment_id", "evenly_account_id", "evenly_collector_id"
_ID_CHARS = 100


def malformed(message: str) -> DomainError:
    return DomainError.of(EVENT_MALFORMED, message)


@dataclass(frozen=True, slots=True)
class PaymentTag:
    """The hub's payment a Stripe object is about (from its metadata)."""

    payment_id: str
    account_id: str
    collector_id: str


def tag_metadata(request: PaymentRequest) -> dict[str, str]:
    """The metadata a Checkout Session (and its PaymentIntent) carries for ``request``."""
    return {
        _PAYMENT: request.payment_id,
        _ACCOUNT: request.account_id,
        _COLLECTOR: request.collector_id,
    }


def tag_of(metadata: object) -> PaymentTag | None:
    """The hub's tag in a Stripe object's metadata; None if it has none (or a broken one)."""
    if not isinstance(metadata, Mapping):
        return None
    values = [metadata.get(key) for key in (_PAYMENT, _ACCOUNT, _COLLECTOR)]
    if not all(isinstance(v, str) and 0 < len(v) <= _ID_CHARS for v in values):
        return None
    return PaymentTag(*values)  # type: ignore[arg-type]


def stripe_amount(amount: Money) -> int:
    """The amount as Stripe's ``unit_amount``: the currency's minor units."""
    return amount.amount_minor


@dataclass(frozen=True, slots=True)
class StripeChange:
    """What a verified Stripe event asks of a portal payment."""

    kind: ProviderEventKind
    #: The hub's tag, when the object carries it (a Checkout Session, most charges).
    tag: PaymentTag | None
    #: The PaymentIntent whose metadata holds the tag when the object does not (a dispute).
    payment_intent: str | None
    #: What Stripe took (a Checkout Session's total), checked against the payment.
    taken: Money | None
    reason: str = ""

    def event(self, event_id: str, tag: PaymentTag) -> ProviderEvent:
        return ProviderEvent(
            event_id=f"stripe_{event_id}",
            kind=self.kind,
            payment_id=tag.payment_id,
            account_id=tag.account_id,
            collector_id=tag.collector_id,
            reason=self.reason,
        )


_SESSION_KINDS = {
    "checkout.session.completed": (ProviderEventKind.CONFIRMED, ""),
    "checkout.session.async_payment_succeeded": (ProviderEventKind.CONFIRMED, ""),
    "checkout.session.async_payment_failed": (
        ProviderEventKind.DECLINED,
        "the payment failed at Stripe",
    ),
    "checkout.session.expired": (
        ProviderEventKind.DECLINED,
        "the Stripe Checkout Session expired unpaid",
    ),
}

_REVERSALS = frozenset({"charge.refunded", "charge.dispute.created"})


def change_of(event_type: str, obj: object) -> StripeChange | None:
    """What an event of ``event_type`` about ``obj`` (its ``data.object``) asks; None when
    the hub does nothing about it."""
    if event_type not in _SESSION_KINDS and event_type not in _REVERSALS:
        return None
    if not isinstance(obj, Mapping):
        raise malformed("The event has no object.")
    if event_type in _SESSION_KINDS:
        return _session_change(event_type, obj)
    if event_type == "charge.refunded":
        if obj.get("refunded") is not True:
            return None  # a partial refund: the hub reverses whole payments only
        return StripeChange(
            ProviderEventKind.REVERSED,
            tag_of(obj.get("metadata")),
            _intent(obj, required=tag_of(obj.get("metadata")) is None),
            None,
            "refunded at Stripe",
        )
    if event_type == "charge.dispute.created":
        reason = obj.get("reason")
        return StripeChange(
            ProviderEventKind.REVERSED,
            tag_of(obj.get("metadata")),
            _intent(obj, required=tag_of(obj.get("metadata")) is None),
            None,
            f"disputed at Stripe ({reason})" if isinstance(reason, str) else "disputed at Stripe",
        )
    return None


def _session_change(event_type: str, session: Mapping[str, Any]) -> StripeChange | None:
    kind, reason = _SESSION_KINDS[event_type]
    if event_type == "checkout.session.completed" and session.get("payment_status") != "paid":
        return None  # paid later (async_payment_succeeded) or never (async_payment_failed)
    tag = tag_of(session.get("metadata"))
    if tag is None:
        raise malformed("The Checkout Session is not one of the hub's.")
    taken = None
    if kind is ProviderEventKind.CONFIRMED:
        total, currency = session.get("amount_total"), session.get("currency")
        if not isinstance(total, int) or not isinstance(currency, str):
            raise malformed("The Checkout Session has no amount.")
        if currency.upper() not in MINOR_UNITS:
            raise malformed("The Checkout Session's currency is unknown.")
        taken = Money(total, currency.upper())
    return StripeChange(kind, tag, None, taken, reason)


def _intent(obj: Mapping[str, Any], *, required: bool) -> str | None:
    intent = obj.get("payment_intent")
    if isinstance(intent, Mapping):
        intent = intent.get("id")
    if isinstance(intent, str) and 0 < len(intent) <= _ID_CHARS:
        return intent
    if required:
        raise malformed("The event names no payment of the hub's.")
    return None
