"""Portal plan offers in GraphQL: `setPortalPlanOffers` and `portalPlanOffers`."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.api.context import request_context, run_write
from hub.api.enums import Cadence
from hub.api.errors import ApiError, UserError
from hub.api.inputs import MoneyInput
from hub.api.objects import Money
from hub.auth.scopes import Scope
from hub.domain import plan_offers as domain
from hub.domain.errors import DomainError
from hub.services import plan_offers as service


@strawberry.type(
    description="What debtors may set up themselves in the portal: an agency's offer for all its creditors, or for one."
)
class PortalPlanOffers:
    creditor_id: strawberry.ID | None = strawberry.field(
        description="The creditor this offer is for; null: every creditor without its own."
    )
    cadences: list[Cadence] = strawberry.field(description="The cadences a debtor may choose.")
    minimum_installment: Money | None = strawberry.field(
        description="The smallest installment, for accounts in its currency (others: one major unit). A smaller balance is paid in one installment."
    )
    max_installments: int | None = strawberry.field(
        description="At most this many installments; null: the hub's limit of 120."
    )
    max_days: int | None = strawberry.field(
        description="At most this many days from the first due date to the last; null: no limit."
    )

    @classmethod
    def from_domain(cls, offers: domain.PlanOffers) -> PortalPlanOffers:
        minimum = offers.minimum_installment
        return cls(
            creditor_id=strawberry.ID(offers.creditor_id) if offers.creditor_id else None,
            cadences=sorted(offers.cadences, key=list(Cadence).index),
            minimum_installment=Money.from_domain(minimum) if minimum else None,
            max_installments=offers.max_installments,
            max_days=offers.max_days,
        )


@strawberry.input(
    description="Set what debtors may set up in the portal; it replaces the offer for the same creditor (or for all)."
)
class SetPortalPlanOffersInput:
    creditor_id: strawberry.ID | None = strawberry.field(
        default=None, description="One creditor's accounts; omit for all your creditors."
    )
    cadences: list[Cadence] = strawberry.field(
        description="At least one of DAILY, WEEKLY, BIWEEKLY, MONTHLY."
    )
    minimum_installment: MoneyInput | None = strawberry.field(
        default=None, description="The smallest installment; omit for one major unit."
    )
    max_installments: int | None = strawberry.field(
        default=None, description="1 to 120; omit for 120."
    )
    max_days: int | None = strawberry.field(
        default=None,
        description="0 to 3650 days from the first due date to the last; omit for no limit.",
    )


@strawberry.type(description="Result of `setPortalPlanOffers`.")
class SetPortalPlanOffersPayload:
    offers: PortalPlanOffers | None = strawberry.field(description="The offer as stored.")
    user_errors: list[UserError] = strawberry.field(description="Why it was not set.")


@strawberry.type(description="Writes.")
class PlanOfferMutation:
    @strawberry.mutation(
        description="Set the plans debtors may set up themselves in the portal for your accounts (without one: the defaults of the account's country). Needs `agency:write`."
    )
    async def set_portal_plan_offers(
        self,
        info: Info,
        input: Annotated[
            SetPortalPlanOffersInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> SetPortalPlanOffersPayload:
        offers = domain.PlanOffers(
            cadences=frozenset(input.cadences),
            minimum_installment=input.minimum_installment.to_domain()
            if input.minimum_installment
            else None,
            max_installments=input.max_installments,
            max_days=input.max_days,
            creditor_id=str(input.creditor_id) if input.creditor_id else None,
        )
        stored, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.set_portal_plan_offers(ctx.services, p, offers),
        )
        return SetPortalPlanOffersPayload(
            offers=PortalPlanOffers.from_domain(stored) if stored else None, user_errors=errors
        )


@strawberry.type(description="Reads.")
class PlanOfferQuery:
    @strawberry.field(
        description="The portal plan offers you set, the one for all creditors first. Needs `accounts:read` (agencies)."
    )
    async def portal_plan_offers(self, info: Info) -> list[PortalPlanOffers]:
        ctx = request_context(info)
        principal = ctx.require(Scope.ACCOUNTS_READ)
        try:
            found = await service.portal_plan_offers(ctx.services, principal)
        except DomainError as error:
            raise ApiError(error.code, error.problems[0].message) from None
        return [PortalPlanOffers.from_domain(o) for o in found]
