"""Reads of what accounts hold (contacts, plans, payments, disputes, holds,
rehabilitations), for accounts the reader may see."""

from __future__ import annotations

from collections.abc import Sequence

from hub.auth.tokens import Principal
from hub.domain.collection_state import Item, ItemKind
from hub.services.context import ServiceContext


async def items_of(
    ctx: ServiceContext, kind: ItemKind, account_ids: Sequence[str]
) -> dict[str, list[Item]]:
    """Items of one kind of accounts already checked visible, oldest first, by account."""
    async with ctx.store.read() as uow:
        return await uow.items.of_accounts(kind, account_ids)


async def item(ctx: ServiceContext, kind: ItemKind, id_: str) -> Item | None:
    """An item a use case just created or changed for the caller."""
    async with ctx.store.read() as uow:
        return await uow.items.get(kind, id_)


async def visible_item(ctx: ServiceContext, principal: Principal, id_: str) -> Item | None:
    """Any item by id if the principal may see its account (a rehabilitation: only its
    creditor)."""
    kind = ItemKind.of_id(id_)
    if kind is None:
        return None
    async with ctx.store.read() as uow:
        return await uow.items.get_visible(principal, kind, id_)
