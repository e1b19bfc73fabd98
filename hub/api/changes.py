"""What every mutation on an account shares: its payload's account and errors, and the item
it was about (as the change left it, or read back for a replay)."""

from __future__ import annotations

from typing import Any

import strawberry

from hub.api.context import RequestContext
from hub.api.errors import UserError
from hub.api.inputs import IDEMPOTENCY
from hub.api.types import Account
from hub.domain.collection_state import Item, ItemKind
from hub.services import items as item_service
from hub.services.account_changes import Applied, result_key


def idempotency_field() -> Any:
    return strawberry.field(default=None, description=IDEMPOTENCY)


def errors_field() -> Any:
    return strawberry.field(description="Why the change was refused, if it was.")


@strawberry.type(description="Result of a change to an account's state.")
class AccountChangePayload:
    account: Account | None = strawberry.field(description="The account after the change.")
    user_errors: list[UserError] = errors_field()


def account_of(applied: Applied | None) -> Account | None:
    return Account.from_record(applied.account) if applied is not None else None


async def changed_item(ctx: RequestContext, applied: Applied | None, kind: ItemKind) -> Any:
    """The item of ``kind`` a change was about, or None if the change was refused."""
    if applied is None:
        return None
    found: Item | None = applied.item
    if found is None or ItemKind.of_id(found.id) is not kind:
        id_ = applied.result.get(result_key(kind))
        found = await item_service.item(ctx.services, kind, id_) if id_ else None
    return found
