"""The agency's first steps on an account in GraphQL: acknowledging it, and contacts."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.api.changes import (
    AccountChangePayload,
    account_of,
    changed_item,
    errors_field,
    idempotency_field,
)
from hub.api.context import request_context, run_write
from hub.api.enums import ContactChannel, ContactDirection, ContactOutcome
from hub.api.errors import UserError
from hub.api.items import ContactAttempt
from hub.api.scalars import DateTime
from hub.api.types import Account
from hub.auth.scopes import Scope
from hub.domain.collection_state import ItemKind
from hub.services import accounts as account_service
from hub.services import contacts as service


@strawberry.input(description="Take on a placed account.")
class AcknowledgePlacementInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    agency_reference: str | None = strawberry.field(
        default=None, description="The agency's own reference for the account (≤ 128 characters)."
    )
    idempotency_key: str | None = idempotency_field()


@strawberry.input(description="Record one contact with the customer.")
class LogContactAttemptInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    channel: ContactChannel = strawberry.field(description="How.")
    direction: ContactDirection = strawberry.field(description="Who started it.")
    outcome: ContactOutcome = strawberry.field(description="What came of it.")
    occurred_at: DateTime = strawberry.field(description="When it happened; not in the future.")
    idempotency_key: str | None = idempotency_field()


@strawberry.type(description="Result of `logContactAttempt`.")
class LogContactAttemptPayload:
    contact_attempt: ContactAttempt | None = strawberry.field(description="The recorded contact.")
    account: Account | None = strawberry.field(description="The account after the change.")
    user_errors: list[UserError] = errors_field()


@strawberry.type(description="Writes.")
class ContactMutation:
    @strawberry.mutation(
        description="Take on a placed account (PLACED → ACKNOWLEDGED). Needs `agency:write`."
    )
    async def acknowledge_placement(
        self,
        info: Info,
        input: Annotated[
            AcknowledgePlacementInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> AccountChangePayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: account_service.acknowledge_placement(
                ctx.services,
                p,
                str(input.account_id),
                agency_reference=input.agency_reference,
                idempotency_key=input.idempotency_key,
            ),
        )
        return AccountChangePayload(account=account_of(applied), user_errors=errors)

    @strawberry.mutation(
        description="Record a contact with the customer; outbound contact is refused during a dispute or hold (`CONTACT_NOT_PERMITTED`). Needs `agency:write`."
    )
    async def log_contact_attempt(
        self,
        info: Info,
        input: Annotated[
            LogContactAttemptInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> LogContactAttemptPayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.log_contact_attempt(
                ctx.services,
                p,
                str(input.account_id),
                channel=input.channel,
                direction=input.direction,
                outcome=input.outcome,
                occurred_at=input.occurred_at,
                idempotency_key=input.idempotency_key,
            ),
        )
        found = await changed_item(request_context(info), applied, ItemKind.CONTACT)
        return LogContactAttemptPayload(
            contact_attempt=ContactAttempt.from_record(found) if found else None,
            account=account_of(applied),
            user_errors=errors,
        )
