"""Disputes in GraphQL."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.api.changes import account_of, changed_item, errors_field, idempotency_field
from hub.api.context import request_context, run_write
from hub.api.enums import DisputeOutcome, DisputeReason
from hub.api.errors import UserError
from hub.api.items import Dispute
from hub.api.types import Account
from hub.auth.scopes import Scope
from hub.domain.collection_state import ItemKind
from hub.domain.vocabulary import MAX_TEXT
from hub.services import disputes as service
from hub.services.account_changes import Applied


@strawberry.input(description="Record that the customer disputes the debt.")
class OpenDisputeInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    reason: DisputeReason = strawberry.field(description="Why.")
    details: str | None = strawberry.field(
        default=None, description=f"The customer's account of it (≤ {MAX_TEXT} characters)."
    )
    idempotency_key: str | None = idempotency_field()


@strawberry.input(description="End a dispute.")
class ResolveDisputeInput:
    dispute_id: strawberry.ID = strawberry.field(description="The dispute's global ID.")
    outcome: DisputeOutcome = strawberry.field(description="How it ended.")
    notes: str | None = strawberry.field(default=None, description="Notes on the resolution.")
    idempotency_key: str | None = idempotency_field()


@strawberry.type(description="Result of a dispute mutation.")
class DisputePayload:
    dispute: Dispute | None = strawberry.field(description="The dispute.")
    account: Account | None = strawberry.field(description="The account after the change.")
    user_errors: list[UserError] = errors_field()


async def _payload(info: Info, applied: Applied | None, errors: list[UserError]) -> DisputePayload:
    found = await changed_item(request_context(info), applied, ItemKind.DISPUTE)
    return DisputePayload(
        dispute=Dispute.from_record(found) if found else None,
        account=account_of(applied),
        user_errors=errors,
    )


@strawberry.type(description="Writes.")
class DisputeMutation:
    @strawberry.mutation(
        description="Record a dispute (→ DISPUTED): outbound contact stops, the plan clock pauses. Needs `agency:write`."
    )
    async def open_dispute(
        self,
        info: Info,
        input: Annotated[
            OpenDisputeInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> DisputePayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.open_dispute(
                ctx.services,
                p,
                str(input.account_id),
                reason=input.reason,
                details=input.details,
                idempotency_key=input.idempotency_key,
            ),
        )
        return await _payload(info, applied, errors)

    @strawberry.mutation(
        description="End a dispute; the account resumes what it was doing. Needs `agency:write`."
    )
    async def resolve_dispute(
        self,
        info: Info,
        input: Annotated[
            ResolveDisputeInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> DisputePayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.resolve_dispute(
                ctx.services,
                p,
                str(input.dispute_id),
                outcome=input.outcome,
                notes=input.notes,
                idempotency_key=input.idempotency_key,
            ),
        )
        return await _payload(info, applied, errors)
