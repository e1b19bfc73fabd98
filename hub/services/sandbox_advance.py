"""advanceTestAccount: the agency collecting a sandbox account takes it to a state.

The path is the domain's (``hub.domain.sandbox_paths``); each of its steps is made by the
use case a real agency calls (``acknowledge_placement``, ``log_contact_attempt``,
``create_payment_plan``, ``record_payment``, ``close_account``, ``open_dispute``,
``resolve_dispute``, ``place_on_hold``, ``release_hold``), as its own change with its own
events, rules and webhooks. A step refused on the way (a payment in flight, a concurrent
change) ends the advance with that refusal, and the account stays where the steps before
it left it.

Only the agency may advance an account (the API asks for ``agency:write``): the moves are
the agency's reports. A live organization is refused (``SANDBOX_ONLY``).
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.auth.tokens import Principal
from hub.domain.account import Account
from hub.domain.collection_account import CollectionAccount
from hub.domain.errors import DomainError
from hub.domain.money import Money
from hub.domain.payment_plan import Cadence
from hub.domain.sandbox_paths import AdvanceStep, AdvanceTarget, Position, path_to
from hub.domain.vocabulary import (
    CloseReason,
    ContactChannel,
    ContactDirection,
    ContactOutcome,
    DisputeOutcome,
    DisputeReason,
    HoldReason,
    PaymentChannel,
    PaymentMethod,
)
from hub.services import accounts, closing, contacts, disputes, holds, payments, plans
from hub.services.account_changes import not_found
from hub.services.context import ServiceContext
from hub.services.sandbox import require_sandbox_organization


@dataclass(frozen=True, slots=True)
class Advanced:
    """An account after ``advance_test_account`` and the steps made to get it there."""

    account: Account
    steps: tuple[AdvanceStep, ...]

    @property
    def changed(self) -> bool:
        return bool(self.steps)


async def advance_test_account(
    ctx: ServiceContext, principal: Principal, account_id: str, to: AdvanceTarget
) -> Advanced:
    """Take the caller's account ``account_id`` to ``to`` through the real moves; nothing
    changes (no steps) when it is there already. Another organization's account is
    ``NOT_FOUND``; a state the account cannot reach, ``INVALID_STATE_TRANSITION``."""
    collection = await _load(ctx, principal, account_id)
    position = Position(
        collection.status, collection.account.resume_status, held=collection.hold is not None
    )
    path = path_to(position, to)
    for step in path:
        await _make(ctx, principal, account_id, step)
    account = await accounts.get_account(ctx, principal, account_id)
    if account is None:
        raise not_found()
    return Advanced(account, path)


async def _load(ctx: ServiceContext, principal: Principal, account_id: str) -> CollectionAccount:
    async with ctx.store.read() as uow:
        await require_sandbox_organization(uow, principal, "advanceTestAccount")
        loaded = await uow.accounts.load(principal, account_id)
    if loaded is None:
        raise not_found()
    return loaded.collection


async def _make(
    ctx: ServiceContext, principal: Principal, account_id: str, step: AdvanceStep
) -> None:
    """One step, by the use case a real agency calls, on the account as it is now."""
    c = await _load(ctx, principal, account_id)
    now = ctx.clock()
    balance = Money(c.account.balance_minor, c.account.currency)
    if step is AdvanceStep.ACKNOWLEDGE:
        await accounts.acknowledge_placement(ctx, principal, account_id, agency_reference=None)
    elif step is AdvanceStep.LOG_CONTACT:
        # An inbound call: the customer rang, so no compliance window can refuse it.
        await contacts.log_contact_attempt(
            ctx,
            principal,
            account_id,
            channel=ContactChannel.CALL,
            direction=ContactDirection.INBOUND,
            outcome=ContactOutcome.CONVERSATION,
            occurred_at=now,
        )
    elif step is AdvanceStep.CREATE_PLAN:
        await plans.create_payment_plan(
            ctx,
            principal,
            account_id,
            cadence=Cadence.MONTHLY,
            start_date=now.date(),
            installment_amount=balance,
            installments=None,
        )
    elif step is AdvanceStep.PAY_IN_FULL:
        await _pay(ctx, principal, account_id, balance)
    elif step is AdvanceStep.SETTLE:
        await _settle(ctx, principal, account_id, c)
    elif step is AdvanceStep.WRITE_OFF:
        await closing.close_account(
            ctx, principal, account_id, reason=CloseReason.UNCOLLECTABLE, settlement_amount=None
        )
    else:
        await _side_step(ctx, principal, account_id, step, c)


async def _side_step(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    step: AdvanceStep,
    c: CollectionAccount,
) -> None:
    if step is AdvanceStep.OPEN_DISPUTE:
        await disputes.open_dispute(
            ctx, principal, account_id, reason=DisputeReason.OTHER, details="sandbox advance"
        )
    elif step is AdvanceStep.RESOLVE_DISPUTE:
        assert c.dispute is not None
        await disputes.resolve_dispute(
            ctx, principal, c.dispute.id, outcome=DisputeOutcome.REJECTED, notes=None
        )
    elif step is AdvanceStep.PLACE_HOLD:
        await holds.place_on_hold(
            ctx, principal, account_id, reason=HoldReason.HARDSHIP, until=None, notes=None
        )
    else:
        assert step is AdvanceStep.RELEASE_HOLD and c.hold is not None
        await holds.release_hold(ctx, principal, c.hold.id)


async def _pay(ctx: ServiceContext, principal: Principal, account_id: str, amount: Money) -> None:
    await payments.record_payment(
        ctx,
        principal,
        account_id,
        amount=amount,
        method=PaymentMethod.CARD,
        channel=PaymentChannel.AGENCY,
        received_at=ctx.clock(),
    )


async def _settle(
    ctx: ServiceContext, principal: Principal, account_id: str, c: CollectionAccount
) -> None:
    """Settle for what is paid; with nothing paid yet, the customer pays half first."""
    paid, currency = c.paid_minor, c.account.currency
    if paid == 0:
        half = c.account.balance_minor // 2
        if half == 0:
            raise DomainError.of(
                "INVALID_STATE_TRANSITION",
                "a balance of one minor unit cannot be settled for less: advance it to PAID",
                "to",
            )
        await _pay(ctx, principal, account_id, Money(half, currency))
        paid = half
    await closing.close_account(
        ctx,
        principal,
        account_id,
        reason=CloseReason.SETTLED,
        settlement_amount=Money(paid, currency),
    )
