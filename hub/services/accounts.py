"""Accounts: the agency's acknowledgement, the creditor's recall and balance adjustments,
and account reads (each through ``visibility``: another organization's are not found)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from hub.auth.tokens import Principal
from hub.domain.account import Account
from hub.domain.errors import DomainError
from hub.domain.money import Money
from hub.domain.vocabulary import check_text
from hub.services.account_changes import Applied, change_account
from hub.services.context import ServiceContext
from hub.store.accounts import AccountFilter, Count, Loaded
from hub.store.unit_of_work import UnitOfWork

__all__ = ["AccountFilter", "Count"]


@dataclass(frozen=True, slots=True)
class AcknowledgePlacement:
    account_id: str
    agency_reference: str | None


@dataclass(frozen=True, slots=True)
class RecallAccount:
    account_id: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class AdjustBalance:
    account_id: str
    amount: Money
    reason: str


async def acknowledge_placement(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    *,
    agency_reference: str | None,
    idempotency_key: str | None = None,
) -> Applied:
    """The agency takes the account on (PLACED → ACKNOWLEDGED) under its own reference."""
    check_text(agency_reference, "agencyReference", limit=128)
    command = AcknowledgePlacement(account_id, agency_reference)

    async def move(_uow: UnitOfWork, loaded: Loaded, now: dt.datetime) -> None:
        loaded.collection.acknowledge(command.agency_reference, now)

    return await change_account(ctx, principal, command, idempotency_key, command.account_id, move)


async def recall_account(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    *,
    reason: str | None,
    idempotency_key: str | None = None,
) -> Applied:
    """The creditor takes the account back from collection (status RECALLED).

    The agency hears of it through ``account.recalled``; a running plan is cancelled and a
    hold ended. A recall waits until no payment is in flight (``PAYMENT_IN_FLIGHT``), so no
    money arrives on a recalled account.
    """
    if reason is not None and (len(reason) > 500 or not reason.isprintable()):
        raise DomainError.of(
            "INVALID_REASON", "a reason is at most 500 printable characters", "reason"
        )
    command = RecallAccount(account_id, reason)

    async def move(_uow: UnitOfWork, loaded: Loaded, now: dt.datetime) -> None:
        loaded.collection.recall(reason, now)

    return await change_account(ctx, principal, command, idempotency_key, command.account_id, move)


async def adjust_balance(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    *,
    amount: Money,
    reason: str,
    idempotency_key: str | None = None,
) -> Account:
    """Correct the balance by ``amount`` (signed minor units), with a reason on record."""
    command = AdjustBalance(account_id, amount, reason)
    if not reason.strip() or len(reason) > 500:
        raise DomainError.of("REASON_REQUIRED", "give a reason of 1-500 characters", "reason")

    async def move(_uow: UnitOfWork, loaded: Loaded, now: dt.datetime) -> None:
        loaded.collection.adjust_balance(command.amount, command.reason, now)

    applied = await change_account(
        ctx, principal, command, idempotency_key, command.account_id, move
    )
    return applied.account


# --- reads --------------------------------------------------------------------------------


async def get_account(ctx: ServiceContext, principal: Principal, id_: str) -> Account | None:
    async with ctx.store.read() as uow:
        return await uow.accounts.get(principal, id_)


async def get_accounts(
    ctx: ServiceContext, principal: Principal, ids: Sequence[str]
) -> dict[str, Account]:
    async with ctx.store.read() as uow:
        return await uow.accounts.get_many(principal, ids)


async def account_by_reference(
    ctx: ServiceContext, principal: Principal, reference: str
) -> Account | None:
    async with ctx.store.read() as uow:
        return await uow.accounts.by_reference(principal, reference)


async def list_accounts(
    ctx: ServiceContext,
    principal: Principal,
    f: AccountFilter,
    *,
    before_id: str | None,
    limit: int,
) -> list[Account]:
    """A page of accounts, newest first; ``before_id`` is the cursor (the last id of the
    previous page)."""
    async with ctx.store.read() as uow:
        return await uow.accounts.page(principal, f, before_id=before_id, limit=limit)


async def count_accounts(ctx: ServiceContext, principal: Principal, f: AccountFilter) -> Count:
    """How many accounts match ``f`` (``Accounts.count`` says which filters are exact)."""
    async with ctx.store.read() as uow:
        return await uow.accounts.count(principal, f)
