"""Closing an account in GraphQL."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.api.changes import AccountChangePayload, account_of, idempotency_field
from hub.api.context import run_write
from hub.api.enums import CloseReason
from hub.api.inputs import MoneyInput
from hub.auth.scopes import Scope
from hub.services import closing as service


@strawberry.input(description="Close an account.")
class CloseAccountInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    reason: CloseReason = strawberry.field(description="Why.")
    settlement_amount: MoneyInput | None = strawberry.field(
        default=None, description="For SETTLED: the agreed amount, which must be paid already."
    )
    idempotency_key: str | None = idempotency_field()


@strawberry.type(description="Writes.")
class ClosingMutation:
    @strawberry.mutation(
        description="Close an account: PAID, SETTLED, UNCOLLECTABLE or RETURNED. Refused while a payment is pending (`PAYMENT_IN_FLIGHT`). Needs `agency:write`."
    )
    async def close_account(
        self,
        info: Info,
        input: Annotated[
            CloseAccountInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> AccountChangePayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.close_account(
                ctx.services,
                p,
                str(input.account_id),
                reason=input.reason,
                settlement_amount=input.settlement_amount.to_domain()
                if input.settlement_amount
                else None,
                idempotency_key=input.idempotency_key,
            ),
        )
        return AccountChangePayload(account=account_of(applied), user_errors=errors)
