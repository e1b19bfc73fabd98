"""Closing an account: paid, settled, uncollectable or returned to the creditor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hub.auth.tokens import Principal
from hub.domain.collection_state import Item
from hub.domain.money import Money
from hub.domain.vocabulary import CloseReason
from hub.services.account_changes import Applied, change_account
from hub.services.context import ServiceContext
from hub.store.accounts import Loaded
from hub.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class CloseAccount:
    account_id: str
    reason: CloseReason
    settlement_amount: Money | None


async def close_account(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    *,
    reason: CloseReason,
    settlement_amount: Money | None,
    idempotency_key: str | None = None,
) -> Applied:
    """Close: PAID (balance zero), SETTLED (the customer paid the agreed settlement amount,
    the rest is forgiven), UNCOLLECTABLE, or RETURNED to the creditor.

    Refused while a payment is in flight. PAID and SETTLED without an open dispute
    rehabilitate the customer (``customer.rehabilitated`` to the creditor).
    """
    command = CloseAccount(account_id, reason, settlement_amount)

    async def move(uow: UnitOfWork, loaded: Loaded, now: dt.datetime) -> Item | None:
        if loaded.collection.needs_history(close=command.reason):
            await uow.accounts.load_history(loaded)
        return loaded.collection.close(command.reason, command.settlement_amount, now)

    return await change_account(ctx, principal, command, idempotency_key, command.account_id, move)
