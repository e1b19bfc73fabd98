"""Payments: the agency's (AGENCY, PORTAL) and the creditor's direct ones, settling the ones
in flight, and reversing received ones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain.collection_state import Item
from hub.domain.errors import DomainError
from hub.domain.money import Money
from hub.domain.payment import Payment
from hub.domain.vocabulary import PaymentChannel, PaymentMethod, check_text
from hub.services.account_changes import Applied, change_account
from hub.services.context import ServiceContext
from hub.store.accounts import Loaded, Target
from hub.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class RecordPayment:
    account_id: str
    amount: Money
    method: PaymentMethod
    channel: PaymentChannel
    received_at: dt.datetime
    pending: bool = False


@dataclass(frozen=True, slots=True)
class SettlePayment:
    payment_id: str
    succeeded: bool


@dataclass(frozen=True, slots=True)
class ReversePayment:
    payment_id: str
    reason: str


async def record_payment(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    *,
    amount: Money,
    method: PaymentMethod,
    channel: PaymentChannel,
    received_at: dt.datetime,
    pending: bool = False,
    idempotency_key: str | None = None,
) -> Applied:
    """A payment for the account. A pending one holds its amount (no overpayment can slip
    past it) until ``settle_payment``; a received one lowers the balance at once, and one
    that clears it closes the account PAID. A creditor's payment is CREDITOR_DIRECT."""
    # A creditor's payment is its own report (CREDITOR_DIRECT), unless its debtor paid in
    # the portal of a link the creditor issued.
    if principal.kind is OrganizationKind.CREDITOR and channel is not PaymentChannel.PORTAL:
        channel = PaymentChannel.CREDITOR_DIRECT
    elif channel is PaymentChannel.CREDITOR_DIRECT:
        raise DomainError.of(
            "INVALID_CHANNEL", "CREDITOR_DIRECT payments are reported by the creditor", "channel"
        )
    command = RecordPayment(account_id, amount, method, channel, received_at, pending)

    async def move(uow: UnitOfWork, loaded: Loaded, now: dt.datetime) -> Item:
        collection = loaded.collection
        if not command.pending and collection.needs_history(
            payment_minor=command.amount.amount_minor
        ):
            await uow.accounts.load_history(loaded)
        return collection.record_payment(
            amount=command.amount,
            method=command.method,
            channel=command.channel,
            received_at=command.received_at,
            pending=command.pending,
            now=now,
        )

    operation = "reportDirectPayment" if principal.is_creditor else "recordPayment"
    return await change_account(
        ctx, principal, command, idempotency_key, command.account_id, move, operation=operation
    )


async def settle_payment(
    ctx: ServiceContext,
    principal: Principal,
    payment_id: str,
    *,
    succeeded: bool,
    idempotency_key: str | None = None,
) -> Applied:
    """End a pending payment: it succeeded (the balance drops) or failed (nothing moves)."""
    command = SettlePayment(payment_id, succeeded)

    async def move(uow: UnitOfWork, loaded: Loaded, now: dt.datetime) -> Item:
        payment = loaded.target
        assert isinstance(payment, Payment)
        collection = loaded.collection
        if command.succeeded and collection.needs_history(
            payment_minor=payment.amount.amount_minor
        ):
            await uow.accounts.load_history(loaded)
        return collection.settle_payment(payment, command.succeeded, now)

    return await change_account(
        ctx, principal, command, idempotency_key, command.payment_id, move, target=Target.PAYMENT
    )


async def reverse_payment(
    ctx: ServiceContext,
    principal: Principal,
    payment_id: str,
    *,
    reason: str,
    idempotency_key: str | None = None,
) -> Applied:
    """Undo a received payment (chargeback, bounced transfer): the balance goes back up.

    Refused once the account is closed (``ACCOUNT_CLOSED``): a closed account's balance is
    final; the creditor handles a later chargeback outside collection.
    """
    check_text(reason, "reason", required=True)
    command = ReversePayment(payment_id, reason)

    async def move(_uow: UnitOfWork, loaded: Loaded, now: dt.datetime) -> Item:
        payment = loaded.target
        assert isinstance(payment, Payment)
        return loaded.collection.reverse_payment(payment, command.reason, now)

    return await change_account(
        ctx, principal, command, idempotency_key, command.payment_id, move, target=Target.PAYMENT
    )
