"""Rehabilitation: customers who paid, handed back to the creditor, and their return."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from hub.auth.tokens import Principal
from hub.domain.collection_state import Item
from hub.domain.errors import DomainError
from hub.domain.rehabilitation import Rehabilitation
from hub.domain.vocabulary import check_text
from hub.services.account_changes import Applied, change_account
from hub.services.context import ServiceContext
from hub.store.accounts import Loaded, Target
from hub.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class RecordCustomerReturn:
    customer_id: str
    returned_at: dt.datetime
    order_reference: str


async def record_customer_return(
    ctx: ServiceContext,
    principal: Principal,
    customer_id: str,
    *,
    returned_at: dt.datetime,
    order_reference: str,
    idempotency_key: str | None = None,
) -> Applied:
    """A rehabilitated customer bought again: closes the loop (``customer.returned``)."""
    check_text(order_reference, "orderReference", required=True, limit=128)
    command = RecordCustomerReturn(customer_id, returned_at, order_reference)
    async with ctx.store.read() as uow:
        latest = await uow.items.latest_rehabilitation(principal, command.customer_id)
    if latest is None:
        raise DomainError.of(
            "CUSTOMER_NOT_REHABILITATED",
            "this customer has not been rehabilitated (or is not yours)",
            "customerId",
        )

    async def move(_uow: UnitOfWork, loaded: Loaded, now: dt.datetime) -> Item:
        rehabilitation = loaded.target
        assert isinstance(rehabilitation, Rehabilitation)
        return loaded.collection.record_customer_return(
            rehabilitation, command.returned_at, command.order_reference, now
        )

    return await change_account(
        ctx,
        principal,
        command,
        idempotency_key,
        latest.id,
        move,
        target=Target.REHABILITATION,
    )


async def list_rehabilitations(
    ctx: ServiceContext,
    principal: Principal,
    *,
    since: dt.datetime | None,
    before_id: str | None,
    limit: int,
) -> tuple[Sequence[Rehabilitation], int]:
    """The creditor's rehabilitated customers, newest first, and how many match ``since``.

    Agencies see none: rehabilitation is the creditor's win-back list.
    """
    if not principal.is_creditor:
        return [], 0
    async with ctx.store.read() as uow:
        return await uow.items.rehabilitations(
            principal.organization_id, since=since, before_id=before_id, limit=limit
        )
