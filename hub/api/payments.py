"""Payments in GraphQL: the agency's, the creditor's direct ones, settling and reversing."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.api.changes import account_of, changed_item, errors_field, idempotency_field
from hub.api.context import request_context, run_write
from hub.api.enums import PaymentChannel, PaymentMethod
from hub.api.errors import UserError
from hub.api.inputs import MoneyInput
from hub.api.items import Payment
from hub.api.scalars import DateTime
from hub.api.types import Account
from hub.auth.scopes import Scope
from hub.domain.collection_state import ItemKind
from hub.services import payments as service
from hub.services.account_changes import Applied


@strawberry.input(description="Record a payment taken by the agency or in its portal.")
class RecordPaymentInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    amount: MoneyInput = strawberry.field(
        description="Positive, in the account's currency, at most what is owed."
    )
    method: PaymentMethod = strawberry.field(description="How the customer paid.")
    channel: PaymentChannel = strawberry.field(
        description="AGENCY (your staff) or PORTAL (self-serve)."
    )
    received_at: DateTime = strawberry.field(description="When the money was received.")
    pending: bool = strawberry.field(
        default=False,
        description="In flight (e.g. a direct debit not yet settled): call `settlePayment` when it settles or fails.",
    )
    idempotency_key: str | None = idempotency_field()


@strawberry.input(description="Report that the customer paid the creditor directly.")
class ReportDirectPaymentInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    amount: MoneyInput = strawberry.field(
        description="Positive, in the account's currency, at most what is owed."
    )
    method: PaymentMethod = strawberry.field(description="How the customer paid.")
    received_at: DateTime = strawberry.field(description="When the money was received.")
    idempotency_key: str | None = idempotency_field()


@strawberry.input(description="End a pending payment.")
class SettlePaymentInput:
    payment_id: strawberry.ID = strawberry.field(description="The payment's global ID.")
    succeeded: bool = strawberry.field(
        description="True: the money arrived (the balance drops). False: it failed."
    )
    idempotency_key: str | None = idempotency_field()


@strawberry.input(description="Reverse a received payment.")
class ReversePaymentInput:
    payment_id: strawberry.ID = strawberry.field(description="The payment's global ID.")
    reason: str = strawberry.field(description="Why (chargeback, bounced transfer, …).")
    idempotency_key: str | None = idempotency_field()


@strawberry.type(description="Result of a payment mutation.")
class PaymentPayload:
    payment: Payment | None = strawberry.field(description="The payment.")
    account: Account | None = strawberry.field(description="The account after the change.")
    user_errors: list[UserError] = errors_field()


async def _payload(info: Info, applied: Applied | None, errors: list[UserError]) -> PaymentPayload:
    found = await changed_item(request_context(info), applied, ItemKind.PAYMENT)
    return PaymentPayload(
        payment=Payment.from_record(found) if found else None,
        account=account_of(applied),
        user_errors=errors,
    )


@strawberry.type(description="Writes.")
class PaymentMutation:
    @strawberry.mutation(
        description="Record a payment (overpayment is refused); clearing the balance closes the account PAID. Needs `agency:write`."
    )
    async def record_payment(
        self,
        info: Info,
        input: Annotated[
            RecordPaymentInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> PaymentPayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.record_payment(
                ctx.services,
                p,
                str(input.account_id),
                amount=input.amount.to_domain(),
                method=input.method,
                channel=input.channel,
                received_at=input.received_at,
                pending=input.pending,
                idempotency_key=input.idempotency_key,
            ),
        )
        return await _payload(info, applied, errors)

    @strawberry.mutation(
        description="The customer paid you directly: lowers the balance and tells the agency. Needs `accounts:write`."
    )
    async def report_direct_payment(
        self,
        info: Info,
        input: Annotated[
            ReportDirectPaymentInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> PaymentPayload:
        applied, errors = await run_write(
            info,
            Scope.ACCOUNTS_WRITE,
            lambda ctx, p: service.record_payment(
                ctx.services,
                p,
                str(input.account_id),
                amount=input.amount.to_domain(),
                method=input.method,
                channel=PaymentChannel.CREDITOR_DIRECT,
                received_at=input.received_at,
                idempotency_key=input.idempotency_key,
            ),
        )
        return await _payload(info, applied, errors)

    @strawberry.mutation(
        description="End a pending payment: succeeded (the balance drops) or failed. Needs `agency:write`."
    )
    async def settle_payment(
        self,
        info: Info,
        input: Annotated[
            SettlePaymentInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> PaymentPayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.settle_payment(
                ctx.services,
                p,
                str(input.payment_id),
                succeeded=input.succeeded,
                idempotency_key=input.idempotency_key,
            ),
        )
        return await _payload(info, applied, errors)

    @strawberry.mutation(
        description="Reverse a received payment; the balance goes back up. Refused once the account is closed. Needs `agency:write`."
    )
    async def reverse_payment(
        self,
        info: Info,
        input: Annotated[
            ReversePaymentInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> PaymentPayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.reverse_payment(
                ctx.services,
                p,
                str(input.payment_id),
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            ),
        )
        return await _payload(info, applied, errors)
