"""Root mutation fields: parse the input, call one service, shape the payload."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.api.closing import ClosingMutation
from hub.api.compliance import ComplianceMutation
from hub.api.contacts import ContactMutation
from hub.api.context import request_context, run_write
from hub.api.disputes import DisputeMutation
from hub.api.errors import UserError, UserWarning, user_errors, user_warnings
from hub.api.help_contact import HelpContactMutation
from hub.api.holds import HoldMutation
from hub.api.inputs import (
    AdjustBalanceInput,
    PlaceAccountInput,
    PlaceAccountsInput,
    RecallAccountInput,
)
from hub.api.payments import PaymentMutation
from hub.api.plan_offers import PlanOfferMutation
from hub.api.plans import PlanMutation
from hub.api.portal import PortalMutation
from hub.api.portal_branding import PortalBrandingMutation
from hub.api.rehabilitation import RehabilitationMutation
from hub.api.sandbox import SandboxMutation
from hub.api.test_clocks import TestClockMutation
from hub.api.types import Account
from hub.api.webhooks import WebhookMutation
from hub.auth.scopes import Scope
from hub.domain.errors import DomainError
from hub.services import accounts as account_service
from hub.services import placement as placement_service


@strawberry.type(description="Result of `placeAccount`.")
class PlaceAccountPayload:
    account: Account | None = strawberry.field(description="The placed account; null if it failed.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the placement failed, if it did."
    )
    warnings: list[UserWarning] = strawberry.field(description="Notes, e.g. `ROUTING_NO_AGENCY`.")
    replayed: bool = strawberry.field(
        description="True when an idempotency key returned an earlier result."
    )


@strawberry.type(description="Outcome of one item of `placeAccounts`.")
class PlaceAccountsItemResult:
    index: int = strawberry.field(description="Position of the item in `input.items`, from 0.")
    account: Account | None = strawberry.field(
        description="The placed account; null if this item failed."
    )
    user_errors: list[UserError] = strawberry.field(
        description="This item's errors; `field` starts with `items`, index."
    )
    warnings: list[UserWarning] = strawberry.field(description="This item's warnings.")
    replayed: bool = strawberry.field(
        description="True when an idempotency key returned an earlier result."
    )


@strawberry.type(
    description="Result of `placeAccounts`: good items are placed, bad ones reported by index."
)
class PlaceAccountsPayload:
    results: list[PlaceAccountsItemResult] = strawberry.field(
        description="One result per input item, in order."
    )
    placed_count: int = strawberry.field(description="Items placed (replays included).")
    failed_count: int = strawberry.field(description="Items that failed.")
    user_errors: list[UserError] = strawberry.field(
        description="Every error: the batch's own, and each item's with `field` [\"items\", index, …]."
    )


@strawberry.type(description="Result of `recallAccount`.")
class RecallAccountPayload:
    account: Account | None = strawberry.field(description="The recalled account.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the recall was refused, if it was."
    )


@strawberry.type(description="Result of `adjustBalance`.")
class AdjustBalancePayload:
    account: Account | None = strawberry.field(description="The account with its new balance.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the adjustment was refused, if it was."
    )


@strawberry.type(description="Writes.")
class Mutation(
    ComplianceMutation,
    ContactMutation,
    PlanMutation,
    PaymentMutation,
    DisputeMutation,
    HoldMutation,
    ClosingMutation,
    RehabilitationMutation,
    WebhookMutation,
    SandboxMutation,
    TestClockMutation,
    PortalMutation,
    PlanOfferMutation,
    HelpContactMutation,
    PortalBrandingMutation,
):
    @strawberry.mutation(
        description="Place one delinquent account in collection. Needs `accounts:write`."
    )
    async def place_account(
        self,
        info: Info,
        input: Annotated[
            PlaceAccountInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> PlaceAccountPayload:
        ctx = request_context(info)
        principal = ctx.require(Scope.ACCOUNTS_WRITE)
        try:
            [outcome] = await placement_service.place_accounts(
                ctx.services, principal, [input.to_domain()]
            )
        except DomainError as error:
            return PlaceAccountPayload(
                account=None, user_errors=user_errors(error.problems), warnings=[], replayed=False
            )
        ctx.prime_customers([outcome])
        return PlaceAccountPayload(
            account=Account.from_record(outcome.account)
            if outcome.account and not outcome.problems
            else None,
            user_errors=user_errors(outcome.problems),
            warnings=user_warnings(outcome.warnings),
            replayed=outcome.replayed,
        )

    @strawberry.mutation(
        description="Place 1-500 accounts at once; each item succeeds or fails on its own. Needs `accounts:write`."
    )
    async def place_accounts(
        self,
        info: Info,
        input: Annotated[
            PlaceAccountsInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> PlaceAccountsPayload:
        ctx = request_context(info)
        principal = ctx.require(Scope.ACCOUNTS_WRITE)
        try:
            outcomes = await placement_service.place_accounts(
                ctx.services, principal, [item.to_domain() for item in input.items]
            )
        except DomainError as error:
            return PlaceAccountsPayload(
                results=[],
                placed_count=0,
                failed_count=len(input.items),
                user_errors=user_errors(error.problems),
            )
        ctx.prime_customers(outcomes)
        results = []
        all_errors: list[UserError] = []
        for index, outcome in enumerate(outcomes):
            errors = user_errors(outcome.problems, "items", str(index))
            all_errors.extend(errors)
            placed = outcome.account is not None and not outcome.problems
            results.append(
                PlaceAccountsItemResult(
                    index=index,
                    account=Account.from_record(outcome.account)
                    if placed and outcome.account
                    else None,
                    user_errors=errors,
                    warnings=user_warnings(outcome.warnings, "items", str(index)),
                    replayed=outcome.replayed,
                )
            )
        placed_count = sum(1 for r in results if r.account is not None)
        return PlaceAccountsPayload(
            results=results,
            placed_count=placed_count,
            failed_count=len(results) - placed_count,
            user_errors=all_errors,
        )

    @strawberry.mutation(
        description="Take an account back from collection (status RECALLED). Needs `accounts:write`."
    )
    async def recall_account(
        self,
        info: Info,
        input: Annotated[
            RecallAccountInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> RecallAccountPayload:
        applied, errors = await run_write(
            info,
            Scope.ACCOUNTS_WRITE,
            lambda ctx, p: account_service.recall_account(
                ctx.services,
                p,
                str(input.account_id),
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            ),
        )
        account = Account.from_record(applied.account) if applied is not None else None
        return RecallAccountPayload(account=account, user_errors=errors)

    @strawberry.mutation(
        description="Correct an account's balance, with a reason. Needs `accounts:write`."
    )
    async def adjust_balance(
        self,
        info: Info,
        input: Annotated[
            AdjustBalanceInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> AdjustBalancePayload:
        adjusted, errors = await run_write(
            info,
            Scope.ACCOUNTS_WRITE,
            lambda ctx, p: account_service.adjust_balance(
                ctx.services,
                p,
                str(input.account_id),
                amount=input.amount.to_domain(),
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            ),
        )
        account = Account.from_record(adjusted) if adjusted is not None else None
        return AdjustBalancePayload(account=account, user_errors=errors)
