"""Payment plans in GraphQL."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.api.changes import account_of, changed_item, errors_field, idempotency_field
from hub.api.context import request_context, run_write
from hub.api.enums import Cadence
from hub.api.errors import UserError
from hub.api.inputs import MoneyInput
from hub.api.items import PaymentPlan
from hub.api.types import Account
from hub.auth.scopes import Scope
from hub.domain.collection_state import ItemKind
from hub.services import plans as service


@strawberry.input(description="One installment you set yourself.")
class InstallmentInput:
    due_date: dt.date = strawberry.field(description="When it falls due.")
    amount: MoneyInput = strawberry.field(description="How much; at least one major unit.")


@strawberry.input(
    description="Agree a plan for the whole balance: give `installmentAmount` (the hub cuts the schedule) or `installments`."
)
class CreatePaymentPlanInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    cadence: Cadence = strawberry.field(description="How often installments fall due.")
    start_date: dt.date = strawberry.field(description="First due date: today up to 90 days ahead.")
    installment_amount: MoneyInput | None = strawberry.field(
        default=None,
        description="Each installment's amount; the last takes the remainder (a remainder below one major unit joins the one before).",
    )
    installments: list[InstallmentInput] | None = strawberry.field(
        default=None,
        description="The schedule itself: due dates increasing from startDate, summing to the balance.",
    )
    idempotency_key: str | None = idempotency_field()


@strawberry.type(description="Result of `createPaymentPlan`.")
class CreatePaymentPlanPayload:
    payment_plan: PaymentPlan | None = strawberry.field(description="The plan.")
    account: Account | None = strawberry.field(description="The account after the change.")
    user_errors: list[UserError] = errors_field()


@strawberry.type(description="Writes.")
class PlanMutation:
    @strawberry.mutation(
        description="Agree a payment plan for the whole balance (→ PAYMENT_PLAN). Needs `agency:write`."
    )
    async def create_payment_plan(
        self,
        info: Info,
        input: Annotated[
            CreatePaymentPlanInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> CreatePaymentPlanPayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.create_payment_plan(
                ctx.services,
                p,
                str(input.account_id),
                cadence=input.cadence,
                start_date=input.start_date,
                installment_amount=input.installment_amount.to_domain()
                if input.installment_amount
                else None,
                installments=[(i.due_date, i.amount.to_domain()) for i in input.installments]
                if input.installments is not None
                else None,
                idempotency_key=input.idempotency_key,
            ),
        )
        found = await changed_item(request_context(info), applied, ItemKind.PLAN)
        return CreatePaymentPlanPayload(
            payment_plan=PaymentPlan.from_record(found) if found else None,
            account=account_of(applied),
            user_errors=errors,
        )
