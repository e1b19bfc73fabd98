"""Paying from the debtor portal: what a debtor may type, and how a payment provider is met.

A portal payment is a pending ``recordPayment`` (channel ``PORTAL``) that a provider later
confirms, declines or reverses. Providers meet the hub through ``PaymentProvider``: starting
a payment answers either at once (an event, as the sandbox does) or with a page to send the
debtor to (as Stripe Checkout does, whose signed webhook then brings the event). Every
provider event has the provider's own id, so a repeated event changes nothing.

The sandbox provider (sandbox organizations only) decides by test card number: 4242 4242 4242
4242 succeeds, 4000 0000 0000 0002 is declined, 4000 0000 0000 0077 stays pending until
``SandboxProvider.confirm``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from hub.domain.errors import DomainError
from hub.domain.money import MINOR_UNITS, Money

#: The longest amount a debtor may type (digits, separators and a decimal mark).
_MAX_AMOUNT_CHARS = 24
_AMOUNT = re.compile(r"(?P<major>\d{1,15})(?:[.,](?P<minor>\d*))?")
_SPACES = re.compile(r"[ \u00a0\u202f]")
_CARD_SEPARATORS = re.compile(r"[ \-\u00a0\u202f]")


class ProviderEventKind(StrEnum):
    CONFIRMED = "CONFIRMED"
    DECLINED = "DECLINED"
    REVERSED = "REVERSED"


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    """What a provider says about a payment it was asked to take."""

    #: The provider's id of the event: the same event twice is the same change.
    event_id: str
    kind: ProviderEventKind
    payment_id: str
    account_id: str
    #: The organization collecting the account (the payment's tag at the provider).
    collector_id: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """A payment the hub asks a provider to take; ``payment_id`` is its key there."""

    payment_id: str
    account_id: str
    collector_id: str
    amount: Money
    #: The card number typed in the portal (sandbox), None for providers with their own page.
    card: str | None
    #: Where the provider sends the debtor back to.
    return_url: str


@dataclass(frozen=True, slots=True)
class Started:
    """A started payment: an outcome now (``event``) or a page to send the debtor to."""

    event: ProviderEvent | None = None
    redirect_url: str | None = None


class PaymentProvider(Protocol):
    """A way for debtors to pay. ``start`` must be idempotent by ``payment_id`` (a retried
    form starts the same payment again)."""

    #: Whether the portal asks for a card number (the sandbox) or sends the debtor away.
    asks_for_card: bool

    def serves(self, sandbox: bool) -> bool:
        """Whether it takes payments for an organization of that mode."""
        ...

    def check_card(self, card: str) -> str:
        """The card as the provider wants it, or a ``DomainError`` on field ``card``."""
        ...

    async def start(self, request: PaymentRequest) -> Started: ...


def amount_error(code: str, message: str) -> DomainError:
    return DomainError.of(code, message, "amount")


def parse_amount(text: str, balance: Money) -> Money:
    """The amount a debtor typed (``250``, ``250.50``, ``1 250,5``) in ``balance``'s currency:
    more than zero, no more decimals than the currency has, at most the balance."""
    cleaned = _SPACES.sub("", text.strip())
    digits = MINOR_UNITS.get(balance.currency, 2)
    found = _AMOUNT.fullmatch(cleaned) if len(text) <= _MAX_AMOUNT_CHARS else None
    if found is None:
        raise amount_error("INVALID_AMOUNT", "Enter an amount as a number, such as 250.00.")
    minor = found.group("minor") or ""
    if len(minor) > digits:
        raise amount_error(
            "INVALID_AMOUNT",
            f"{balance.currency} amounts have at most {digits} decimals."
            if digits
            else f"{balance.currency} amounts have no decimals.",
        )
    amount = int(found.group("major")) * 10**digits + int(minor.ljust(digits, "0") or 0)
    if amount <= 0:
        raise amount_error("INVALID_AMOUNT", "Enter an amount more than zero.")
    if amount > balance.amount_minor:
        raise amount_error("AMOUNT_OVER_BALANCE", "That is more than you owe.")
    return Money(amount, balance.currency)


def amount_input(value: Money) -> str:
    """``1250.00``: an amount as the pay form's field holds it (and ``parse_amount`` reads)."""
    digits = MINOR_UNITS.get(value.currency, 2)
    major, minor = divmod(value.amount_minor, 10**digits)
    return f"{major}.{minor:0{digits}d}" if digits else str(major)


def card_digits(card: str) -> str:
    """A card number without its spaces or dashes; a ``DomainError`` unless it has 12 to 19
    digits and passes the Luhn check."""
    digits = _CARD_SEPARATORS.sub("", card.strip())
    if not digits.isascii() or not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise DomainError.of("INVALID_CARD", "Enter the card number: 12 to 19 digits.", "card")
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    if total % 10:
        raise DomainError.of("INVALID_CARD", "That card number is not right. Check it.", "card")
    return digits


class SandboxCard(StrEnum):
    SUCCEEDS = "4242424242424242"
    DECLINED = "4000000000000002"
    PENDING = "4000000000000077"


class SandboxProvider:
    """The hub's own provider for sandbox organizations: outcomes by test card number."""

    asks_for_card = True

    def serves(self, sandbox: bool) -> bool:
        return sandbox

    def check_card(self, card: str) -> str:
        digits = card_digits(card)
        if digits not in set(SandboxCard):
            raise DomainError.of(
                "NOT_A_TEST_CARD",
                "This is a test organization: use a test card, such as 4242 4242 4242 4242.",
                "card",
            )
        return digits

    async def start(self, request: PaymentRequest) -> Started:
        card = SandboxCard(request.card or "")
        if card is SandboxCard.PENDING:
            return Started()
        kind = (
            ProviderEventKind.CONFIRMED
            if card is SandboxCard.SUCCEEDS
            else ProviderEventKind.DECLINED
        )
        return Started(event=self.event(request, kind))

    def event(self, request: PaymentRequest, kind: ProviderEventKind) -> ProviderEvent:
        """The sandbox's event of ``kind`` for a payment: one id per payment and kind."""
        return sandbox_event(request.payment_id, request.account_id, request.collector_id, kind)

    def confirm(self, payment_id: str, account_id: str, collector_id: str) -> ProviderEvent:
        """The event confirming a payment left pending (test card 4000 0000 0000 0077)."""
        return sandbox_event(payment_id, account_id, collector_id, ProviderEventKind.CONFIRMED)


def sandbox_event(
    payment_id: str, account_id: str, collector_id: str, kind: ProviderEventKind
) -> ProviderEvent:
    reason = "declined by the sandbox test card" if kind is ProviderEventKind.DECLINED else ""
    return ProviderEvent(
        event_id=f"sbx_{kind.value.lower()}_{payment_id}",
        kind=kind,
        payment_id=payment_id,
        account_id=account_id,
        collector_id=collector_id,
        reason=reason,
    )
