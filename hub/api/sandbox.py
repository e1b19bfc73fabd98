"""Sandbox mutations: what only sandbox organizations may do (``hub.services.sandbox``).

Asked by a live organization, each is a GraphQL error ``FORBIDDEN`` whose ``reason`` is
``SANDBOX_ONLY``, like a missing scope: the caller may not do it at all. Other refusals are
``userErrors``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from hub.api.context import RequestContext, request_context
from hub.api.enums import AdvanceStep, AdvanceTarget
from hub.api.errors import ApiError, UserError, user_errors
from hub.api.items import Payment
from hub.api.types import Account
from hub.auth.scopes import Scope
from hub.auth.tokens import Principal
from hub.domain.errors import DomainError
from hub.domain.sandbox import SANDBOX_ONLY
from hub.domain.sandbox_scenarios import scenarios
from hub.services import portal_payments, sandbox_advance, sandbox_cleanup
from hub.services import sandbox as sandbox_service


async def sandbox_write(
    info: Info,
    scope: Scope,
    work: Callable[[RequestContext, Principal], Awaitable[Any]],
) -> tuple[Any, list[UserError]]:
    """A sandbox use case's result, or its userErrors; ``FORBIDDEN`` for a live organization."""
    ctx = request_context(info)
    principal = ctx.require(scope)
    try:
        return await work(ctx, principal), []
    except DomainError as error:
        if error.code == SANDBOX_ONLY:
            raise ApiError("FORBIDDEN", error.problems[0].message, reason=SANDBOX_ONLY) from None
        return None, user_errors(error.problems)


@strawberry.input(description="Send a sample event of one type to one webhook endpoint.")
class SendTestEventInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint's ID.")
    type: str = strawberry.field(
        description="The event type, e.g. `payment.received`: any type of `schema/webhooks/`."
    )


@strawberry.type(description="Result of `sendTestEvent`.")
class SendTestEventPayload:
    event_id: strawberry.ID | None = strawberry.field(
        description="The sample event queued (the delivery's `webhook-id`)."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


@strawberry.input(description="Take a sandbox account to a state through the real moves.")
class AdvanceTestAccountInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    to: AdvanceTarget = strawberry.field(description="The state to take it to.")


@strawberry.type(description="Result of `advanceTestAccount`.")
class AdvanceTestAccountPayload:
    account: Account | None = strawberry.field(description="The account after the moves.")
    changed: bool = strawberry.field(
        description="False when the account was in that state already (nothing was done)."
    )
    steps: list[AdvanceStep] = strawberry.field(
        description="The moves made, in order, each with its own events."
    )
    message: str | None = strawberry.field(description="What happened, in a sentence.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


@strawberry.input(description="Delete one sandbox test run: the accounts placed with its tag.")
class DeleteSandboxDataInput:
    tag: str = strawberry.field(description="The `sandboxTag` the run's placements carried.")


@strawberry.type(description="Result of `deleteSandboxData`: what was removed.")
class DeleteSandboxDataPayload:
    deleted_accounts: int = strawberry.field(description="Accounts deleted.")
    deleted_events: int = strawberry.field(description="Their events deleted from the feed.")
    deleted_deliveries: int = strawberry.field(
        description="Their webhook messages deleted (delivered or not), with the attempts."
    )
    deleted_customers: int = strawberry.field(
        description="Customers deleted because no other account of yours has them."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


@strawberry.enum(description="What `confirmSandboxPayment` makes of a pending payment.")
class SandboxPaymentOutcome(Enum):
    SUCCEEDED = strawberry.enum_value("SUCCEEDED", description="The money arrived.")
    DECLINED = strawberry.enum_value("DECLINED", description="The card was declined.")


@strawberry.input(description="Settle a pending sandbox portal payment as its provider would.")
class ConfirmSandboxPaymentInput:
    payment_id: strawberry.ID = strawberry.field(description="The payment's global ID.")
    outcome: SandboxPaymentOutcome = strawberry.field(description="Succeeded or declined.")


@strawberry.type(description="Result of `confirmSandboxPayment`.")
class ConfirmSandboxPaymentPayload:
    payment: Payment | None = strawberry.field(description="The payment after it.")
    changed: bool = strawberry.field(
        description="False when the payment had that outcome already (nothing was done)."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


@strawberry.type(description="Sandbox mutations.")
class SandboxMutation:
    @strawberry.mutation(
        description=(
            "Sandbox organizations only: deliver a sample event of `type` to this endpoint "
            "(whatever types it subscribes to), built as real events are and marked "
            "`livemode: false`; it is on your `events` feed too, about a sample account that "
            "is not stored. Needs `webhooks:manage`; a live organization gets `FORBIDDEN` "
            "(reason `SANDBOX_ONLY`)."
        )
    )
    async def send_test_event(
        self,
        info: Info,
        input: Annotated[
            SendTestEventInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> SendTestEventPayload:
        event_id, errors = await sandbox_write(
            info,
            Scope.WEBHOOKS_MANAGE,
            lambda ctx, principal: sandbox_service.send_test_event(
                ctx.services, principal, str(input.endpoint_id), input.type
            ),
        )
        return SendTestEventPayload(
            event_id=strawberry.ID(event_id) if event_id is not None else None, user_errors=errors
        )

    @strawberry.mutation(
        description=(
            "Sandbox agencies only: take an account you collect to `to` through the moves "
            "a real agency makes (acknowledge, an inbound contact, a plan, payments, a "
            "dispute, a hold, closing), each by its own mutation's use case with its own "
            "events and webhooks; `steps` lists them. Asking for the state the account is "
            "in changes nothing (`changed: false`); a state it cannot reach is "
            "`INVALID_STATE_TRANSITION`. Needs `agency:write`; a live organization gets "
            "`FORBIDDEN` (reason `SANDBOX_ONLY`)."
        )
    )
    async def advance_test_account(
        self,
        info: Info,
        input: Annotated[
            AdvanceTestAccountInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> AdvanceTestAccountPayload:
        advanced, errors = await sandbox_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, principal: sandbox_advance.advance_test_account(
                ctx.services, principal, str(input.account_id), input.to
            ),
        )
        if advanced is None:
            return AdvanceTestAccountPayload(
                account=None, changed=False, steps=[], message=None, user_errors=errors
            )
        steps = list(advanced.steps)
        if steps:
            message = f"{len(steps)} moves took the account to {input.to.value}"
        else:
            message = f"the account is {input.to.value} already; nothing changed"
        return AdvanceTestAccountPayload(
            account=Account.from_record(advanced.account),
            changed=advanced.changed,
            steps=steps,
            message=message,
            user_errors=errors,
        )

    @strawberry.mutation(
        description=(
            "Sandbox organizations only: settle a pending debtor portal payment (the "
            "sandbox provider's test card 4000 0000 0000 0077) as the provider's own event "
            "would: `SUCCEEDED` lowers the balance (`payment.succeeded`), `DECLINED` takes "
            "nothing (`payment.failed`). The same outcome asked again changes nothing "
            "(`changed: false`); the other one of a settled payment is "
            "`PAYMENT_NOT_PENDING`; a payment not from the portal is `NOT_FOUND`. Needs "
            "`agency:write`; a live organization gets `FORBIDDEN` (reason `SANDBOX_ONLY`)."
        )
    )
    async def confirm_sandbox_payment(
        self,
        info: Info,
        input: Annotated[
            ConfirmSandboxPaymentInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> ConfirmSandboxPaymentPayload:
        confirmed, errors = await sandbox_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, principal: portal_payments.confirm_sandbox_payment(
                ctx.services,
                principal,
                str(input.payment_id),
                input.outcome is SandboxPaymentOutcome.SUCCEEDED,
            ),
        )
        if confirmed is None:
            return ConfirmSandboxPaymentPayload(payment=None, changed=False, user_errors=errors)
        payment, changed = confirmed
        return ConfirmSandboxPaymentPayload(
            payment=Payment.from_record(payment), changed=changed, user_errors=errors
        )

    @strawberry.mutation(
        description=(
            "Sandbox creditors only: delete the test run `tag`, every account you placed "
            "with that `sandboxTag`, with its events, webhook messages and their attempts, "
            "plans, payments, disputes, holds, contacts, rehabilitations, portal links and "
            "idempotency keys, and its customers no other account has; counts, "
            "`portfolioStatus` and `agencyPerformance` no longer count them. One "
            "transaction. Events are immutable otherwise: this is the only deletion; a feed "
            "cursor past a deleted event still resumes where it was. A tag with no accounts "
            "of yours deletes nothing (zeros). Needs `accounts:write` (a creditor's); a live "
            "organization gets `FORBIDDEN` (reason `SANDBOX_ONLY`)."
        )
    )
    async def delete_sandbox_data(
        self,
        info: Info,
        input: Annotated[
            DeleteSandboxDataInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> DeleteSandboxDataPayload:
        deleted, errors = await sandbox_write(
            info,
            Scope.ACCOUNTS_WRITE,
            lambda ctx, principal: sandbox_cleanup.delete_sandbox_data(
                ctx.services, principal, input.tag
            ),
        )
        return DeleteSandboxDataPayload(
            deleted_accounts=deleted.accounts if deleted else 0,
            deleted_events=deleted.events if deleted else 0,
            deleted_deliveries=deleted.deliveries if deleted else 0,
            deleted_customers=deleted.customers if deleted else 0,
            user_errors=errors,
        )


@strawberry.type(description="A scenario of the simulated sandbox agency.")
class SandboxScenario:
    name: str = strawberry.field(
        description="Its name, for `metadata.sandboxScenario` or an email tag `name+<it>@…`."
    )
    description: str = strawberry.field(description="What the simulated customer does.")
    events: list[str] = strawberry.field(
        description="The event types it produces on the creditor's feed, in order."
    )


@strawberry.type(description="Sandbox reads.")
class SandboxQuery:
    @strawberry.field(
        description=(
            "The scenarios the simulated sandbox agency plays (`hub/sandbox_scenarios/`), "
            "by name, with the events each produces."
        )
    )
    async def sandbox_scenarios(self) -> list[SandboxScenario]:
        return [
            SandboxScenario(name=s.name, description=s.description, events=list(s.events))
            for s in scenarios().values()
        ]
