"""Holds in GraphQL."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.api.changes import account_of, changed_item, errors_field, idempotency_field
from hub.api.context import request_context, run_write
from hub.api.enums import HoldReason
from hub.api.errors import UserError
from hub.api.items import Hold
from hub.api.scalars import DateTime
from hub.api.types import Account
from hub.auth.scopes import Scope
from hub.domain.collection_state import ItemKind
from hub.services import holds as service
from hub.services.account_changes import Applied


@strawberry.input(description="Pause collection.")
class PlaceOnHoldInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    reason: HoldReason = strawberry.field(description="Why.")
    until: DateTime | None = strawberry.field(
        default=None, description="When the hold ends by itself; omit for open-ended."
    )
    notes: str | None = strawberry.field(default=None, description="Notes.")
    idempotency_key: str | None = idempotency_field()


@strawberry.input(description="End a hold.")
class ReleaseHoldInput:
    hold_id: strawberry.ID = strawberry.field(description="The hold's global ID.")
    idempotency_key: str | None = idempotency_field()


@strawberry.type(description="Result of a hold mutation.")
class HoldPayload:
    hold: Hold | None = strawberry.field(description="The hold.")
    account: Account | None = strawberry.field(description="The account after the change.")
    user_errors: list[UserError] = errors_field()


async def _payload(info: Info, applied: Applied | None, errors: list[UserError]) -> HoldPayload:
    found = await changed_item(request_context(info), applied, ItemKind.HOLD)
    return HoldPayload(
        hold=Hold.from_record(found) if found else None,
        account=account_of(applied),
        user_errors=errors,
    )


@strawberry.type(description="Writes.")
class HoldMutation:
    @strawberry.mutation(
        description="Pause collection (→ ON_HOLD), open-ended or until a time. Needs `agency:write`."
    )
    async def place_on_hold(
        self,
        info: Info,
        input: Annotated[
            PlaceOnHoldInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> HoldPayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.place_on_hold(
                ctx.services,
                p,
                str(input.account_id),
                reason=input.reason,
                until=input.until,
                notes=input.notes,
                idempotency_key=input.idempotency_key,
            ),
        )
        return await _payload(info, applied, errors)

    @strawberry.mutation(description="End a hold; the account resumes. Needs `agency:write`.")
    async def release_hold(
        self,
        info: Info,
        input: Annotated[
            ReleaseHoldInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> HoldPayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.release_hold(
                ctx.services,
                p,
                str(input.hold_id),
                idempotency_key=input.idempotency_key,
            ),
        )
        return await _payload(info, applied, errors)
