"""Paying from the portal: a debtor's payment is the collector's ``recordPayment`` (channel
``PORTAL``, pending), settled by its provider's events (``hub.domain.portal_payment``).

Idempotency: the pay form carries a signed attempt (``new_attempt``); the payment is
recorded under it, so a form sent twice records one payment. A provider event settles or
reverses under its own event id, so an event delivered twice changes the account once, and
an event about a payment already settled is ignored.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain.account import Account
from hub.domain.collection_state import ItemKind
from hub.domain.errors import DomainError
from hub.domain.money import Money
from hub.domain.payloads import portal_payment_started_row
from hub.domain.payment import Payment
from hub.domain.portal import PortalLink
from hub.domain.portal_payment import (
    PaymentProvider,
    PaymentRequest,
    ProviderEvent,
    ProviderEventKind,
    parse_amount,
    sandbox_event,
)
from hub.domain.vocabulary import PaymentChannel, PaymentMethod, PaymentStatus
from hub.services import payments
from hub.services.context import ServiceContext
from hub.services.sandbox import require_sandbox_organization

_ATTEMPT_KEY = b"evenly portal payment attempt v1"
#: How long a pay form stays good to send.
ATTEMPT_LIFETIME = dt.timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class PortalPayment:
    """A payment started from the portal, as it stands after starting it."""

    payment: Payment
    #: A page at the provider to send the debtor to, if the provider has one.
    redirect_url: str | None = None


def unknown_debt() -> DomainError:
    """The one refusal for a debt that is not the link's (or not open): nothing more said."""
    return DomainError.of("NOT_FOUND", "This debt cannot be paid here.", "accountId")


def _mac(ctx: ServiceContext, message: str) -> str:
    digest = hmac.new(ctx.cipher.derive_key(_ATTEMPT_KEY), message.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:18]).decode()


def new_attempt(ctx: ServiceContext, link: PortalLink) -> str:
    """A payment attempt for a pay form of ``link``: ``<time>.<random>.<mac>``."""
    body = f"{int(ctx.clock().timestamp())}.{secrets.token_urlsafe(12)}"
    return f"{body}.{_mac(ctx, f'{link.id}.{body}')}"


def attempt_time(ctx: ServiceContext, link: PortalLink, attempt: str) -> dt.datetime:
    """When the attempt's form was made (the payment's ``receivedAt``), if it is one of this
    link's and still fresh; else ``PORTAL_FORM_EXPIRED``."""
    stamp, _, rest = attempt.partition(".")
    nonce, _, mac = rest.partition(".")
    expired = DomainError.of("PORTAL_FORM_EXPIRED", "This form has expired. Reload the page.")
    if not stamp.isdigit() or not nonce or len(attempt) > 100:
        raise expired
    if not hmac.compare_digest(mac, _mac(ctx, f"{link.id}.{stamp}.{nonce}")):
        raise expired
    made = dt.datetime.fromtimestamp(int(stamp), dt.UTC)
    if not made <= ctx.clock() < made + ATTEMPT_LIFETIME:
        raise expired
    return made


def collector_principal(organization_id: str, kind: str) -> Principal:
    """The collecting organization, acting for its debtor in the portal."""
    return Principal(
        client_id="portal",
        organization_id=organization_id,
        kind=OrganizationKind(kind),
        scopes=frozenset(),
    )


async def _principal(ctx: ServiceContext, organization_id: str) -> Principal:
    found = await ctx.organizations.get_many([organization_id])
    return collector_principal(organization_id, found[organization_id].kind)


async def payable_debt(ctx: ServiceContext, link: PortalLink, account_id: str) -> Account:
    """One of the link's open debts, or ``unknown_debt``."""
    async with ctx.store.read() as uow:
        accounts = await uow.portal_links.open_accounts(link)
    account = next((a for a in accounts if a.id == account_id), None)
    if account is None:
        raise unknown_debt()
    return account


async def provider_serves(ctx: ServiceContext, provider: PaymentProvider, collector: str) -> bool:
    """Whether ``provider`` takes payments for the collector (by its mode, sandbox or live);
    a link's debts all have its collector (``PortalLinks.open_accounts``)."""
    found = await ctx.organizations.get_many([collector])
    return provider.serves(found[collector].sandbox)


async def start_payment(
    ctx: ServiceContext,
    link: PortalLink,
    provider: PaymentProvider,
    *,
    account_id: str,
    amount: str,
    card: str,
    attempt: str,
    return_url: str,
) -> PortalPayment:
    """Pay ``amount`` (as typed) of one of the link's debts: the payment is recorded
    pending, then the provider is asked to take it; an outcome it gives at once is applied.
    Form errors are ``DomainError`` on fields ``amount`` and ``card``."""
    received_at = attempt_time(ctx, link, attempt)
    account = await payable_debt(ctx, link, account_id)
    collector = account.agency_id or account.creditor_id
    if not await provider_serves(ctx, provider, collector):
        raise DomainError.of("PAYMENTS_UNAVAILABLE", "Paying here is not available yet.")
    money = parse_amount(amount, Money(account.balance_minor, account.currency))
    card_number = provider.check_card(card) if provider.asks_for_card else None
    principal = await _principal(ctx, collector)
    applied = await payments.record_payment(
        ctx,
        principal,
        account.id,
        amount=money,
        method=PaymentMethod.CARD,
        channel=PaymentChannel.PORTAL,
        received_at=received_at,
        pending=True,
        idempotency_key=f"portal:{attempt.split('.')[1]}",
    )
    payment_id = applied.result["payment_id"]
    if not applied.replayed:
        row = portal_payment_started_row(link, account.id, payment_id, money, ctx.clock())
        async with ctx.store.transaction() as uow:
            await uow.events.append([row])
    request = PaymentRequest(payment_id, account.id, collector, money, card_number, return_url)
    started = await provider.start(request)
    if started.event is not None:
        await apply_provider_event(ctx, started.event)
    payment = await payment_of(ctx, principal, payment_id)
    assert payment is not None
    return PortalPayment(payment, started.redirect_url)


async def payment_of(ctx: ServiceContext, principal: Principal, payment_id: str) -> Payment | None:
    async with ctx.store.read() as uow:
        item = await uow.items.get_visible(principal, ItemKind.PAYMENT, payment_id)
    return item if isinstance(item, Payment) else None


async def link_payment(ctx: ServiceContext, link: PortalLink, payment_id: str) -> Payment | None:
    """A payment on one of the link's customer's debts with its issuer (open or since
    closed), else None."""
    principal = await _principal(ctx, link.issuer_id)
    payment = await payment_of(ctx, principal, payment_id)
    if payment is None or payment.channel is not PaymentChannel.PORTAL:
        return None
    async with ctx.store.read() as uow:
        account = await uow.accounts.get(principal, payment.account_id)
    if (
        account is None
        or account.customer_id != link.customer_id
        or account.creditor_id != link.creditor_id
    ):
        return None
    return payment


async def apply_provider_event(ctx: ServiceContext, event: ProviderEvent) -> bool:
    """Apply what a provider says about a portal payment; False when it changed nothing
    (a repeated event, or one about a payment already settled the other way)."""
    principal = await _principal(ctx, event.collector_id)
    key = f"provider:{event.event_id}"
    try:
        if event.kind is ProviderEventKind.REVERSED:
            applied = await payments.reverse_payment(
                ctx,
                principal,
                event.payment_id,
                reason=event.reason or "reversed by the payment provider",
                idempotency_key=key,
            )
        else:
            applied = await payments.settle_payment(
                ctx,
                principal,
                event.payment_id,
                succeeded=event.kind is ProviderEventKind.CONFIRMED,
                idempotency_key=key,
            )
    except DomainError as error:
        if error.code in {"PAYMENT_NOT_PENDING", "PAYMENT_NOT_REVERSIBLE", "NOT_FOUND"}:
            return False
        raise
    return not applied.replayed


def settled(payment: Payment) -> bool:
    return payment.status is not PaymentStatus.PENDING


async def confirm_sandbox_payment(
    ctx: ServiceContext, principal: Principal, payment_id: str, succeeded: bool
) -> tuple[Payment, bool]:
    """Sandbox organizations only (``SANDBOX_ONLY``): settle a pending portal payment as
    the sandbox provider would (test card 4000 0000 0000 0077), under the sandbox's event id;
    the payment and whether it changed. Asking again for the same outcome changes nothing;
    the other outcome of a settled payment is ``PAYMENT_NOT_PENDING``."""
    async with ctx.store.read() as uow:
        await require_sandbox_organization(uow, principal, "confirmSandboxPayment")
    payment = await payment_of(ctx, principal, payment_id)
    if payment is None or payment.channel is not PaymentChannel.PORTAL:
        raise DomainError.of("NOT_FOUND", "no such portal payment", "paymentId")
    wanted = PaymentStatus.SUCCEEDED if succeeded else PaymentStatus.FAILED
    if payment.status is not PaymentStatus.PENDING:
        if payment.status is wanted:
            return payment, False
        raise DomainError.of(
            "PAYMENT_NOT_PENDING", f"the payment is {payment.status.value}", "paymentId"
        )
    async with ctx.store.read() as uow:
        account = await uow.accounts.get(principal, payment.account_id)
    if account is None:
        raise DomainError.of("NOT_FOUND", "no such portal payment", "paymentId")
    kind = ProviderEventKind.CONFIRMED if succeeded else ProviderEventKind.DECLINED
    collector = account.agency_id or account.creditor_id
    changed = await apply_provider_event(
        ctx, sandbox_event(payment.id, account.id, collector, kind)
    )
    after = await payment_of(ctx, principal, payment_id)
    return after or payment, changed
