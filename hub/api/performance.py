"""KPIs in GraphQL: agency performance for creditors, and the portfolio both sides share."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.api.context import request_context
from hub.api.enums import AccountStatus
from hub.api.errors import ApiError
from hub.api.objects import Money, Organization
from hub.api.scalars import CountryCode, CurrencyCode, DateTime
from hub.auth.scopes import Scope
from hub.services import performance as service


@strawberry.type(
    description="An agency's results on the accounts a creditor assigned to it in a period, in one currency."
)
class AgencyPerformance:
    currency: CurrencyCode = strawberry.field(description="Currency of the amounts.")
    accounts_placed: int = strawberry.field(description="Accounts assigned in the period.")
    amount_placed: Money = strawberry.field(description="Their balances when assigned.")
    amount_recovered: Money = strawberry.field(
        description="Payments received on them so far, net of reversals."
    )
    recovery_rate: float = strawberry.field(description="amountRecovered / amountPlaced.")
    accounts_recovered: int = strawberry.field(description="Accounts closed PAID or SETTLED.")
    recovery_rate_by_count: float = strawberry.field(
        description="accountsRecovered / accountsPlaced."
    )
    median_days_to_first_payment: float | None = strawberry.field(
        description="Median days from assignment to first payment, over accounts that paid."
    )
    payment_plan_completion_rate: float | None = strawberry.field(
        description="Completed plans / plans that ended completed or broken; null if none ended."
    )
    dispute_rate: float = strawberry.field(
        description="Share of accounts with at least one dispute."
    )
    self_serve_share: float | None = strawberry.field(
        description="Share of received payments taken in the self-serve portal."
    )
    customer_return_rate: float | None = strawberry.field(
        description="Share of rehabilitated customers who bought again."
    )
    agency_id: strawberry.Private[str]

    @classmethod
    def from_figures(cls, r: service.AgencyFigures) -> AgencyPerformance:
        return cls(
            agency_id=r.agency_id,
            currency=CurrencyCode(r.currency),
            accounts_placed=r.accounts_placed,
            amount_placed=Money.of(r.amount_placed, r.currency),
            amount_recovered=Money.of(r.amount_recovered, r.currency),
            recovery_rate=r.recovery_rate,
            accounts_recovered=r.accounts_recovered,
            recovery_rate_by_count=r.recovery_rate_by_count,
            median_days_to_first_payment=r.median_days_to_first_payment,
            payment_plan_completion_rate=r.payment_plan_completion_rate,
            dispute_rate=r.dispute_rate,
            self_serve_share=r.self_serve_share,
            customer_return_rate=r.customer_return_rate,
        )

    @strawberry.field(description="The agency.")
    async def agency(self, info: Info) -> Organization | None:
        found = await request_context(info).linked_organization(self.agency_id)
        return Organization.from_record(found) if found is not None else None


@strawberry.type(description="How many accounts are in one state.")
class StatusCount:
    status: AccountStatus = strawberry.field(description="The state.")
    count: int = strawberry.field(description="Accounts in it.")


@strawberry.type(
    description="The portfolio one creditor has with one agency, in one currency: the status both sides see."
)
class PortfolioStatus:
    currency: CurrencyCode = strawberry.field(description="Currency of the amounts.")
    accounts: list[StatusCount] = strawberry.field(description="Accounts by state.")
    outstanding: Money = strawberry.field(description="Balances of the open accounts.")
    payments_count: int = strawberry.field(
        description="Payments received in the period (net of those reversed)."
    )
    payments_amount: Money = strawberry.field(description="Their total.")
    creditor_id: strawberry.Private[str]
    agency_id: strawberry.Private[str]

    @classmethod
    def from_portfolio(cls, r: service.Portfolio) -> PortfolioStatus:
        return cls(
            creditor_id=r.creditor_id,
            agency_id=r.agency_id,
            currency=CurrencyCode(r.currency),
            accounts=[StatusCount(status=AccountStatus(s), count=n) for s, n in r.by_status],
            outstanding=Money.of(r.outstanding, r.currency),
            payments_count=r.payments_count,
            payments_amount=Money.of(r.payments_amount, r.currency),
        )

    @strawberry.field(description="The creditor.")
    async def creditor(self, info: Info) -> Organization | None:
        found = await request_context(info).linked_organization(self.creditor_id)
        return Organization.from_record(found) if found is not None else None

    @strawberry.field(description="The agency.")
    async def agency(self, info: Info) -> Organization | None:
        found = await request_context(info).linked_organization(self.agency_id)
        return Organization.from_record(found) if found is not None else None


@strawberry.type(description="Reads.")
class PerformanceQuery:
    @strawberry.field(
        description="Per agency and currency: how the accounts you assigned in [from, to) are doing. Creditors only; needs `accounts:read`."
    )
    async def agency_performance(
        self,
        info: Info,
        from_: Annotated[
            DateTime, strawberry.argument(name="from", description="Assigned at or after.")
        ],
        to: Annotated[DateTime, strawberry.argument(description="Assigned before.")],
        country: Annotated[
            CountryCode | None, strawberry.argument(description="Only accounts of this country.")
        ] = None,
    ) -> list[AgencyPerformance]:
        ctx = request_context(info)
        principal = ctx.require(Scope.ACCOUNTS_READ)
        if not principal.is_creditor:
            raise ApiError("FORBIDDEN", "agencyPerformance is for creditors")
        if to <= from_:
            raise ApiError("BAD_USER_INPUT", "`to` must be after `from`")
        figures = await service.agency_performance(
            ctx.services, principal, start=from_, end=to, country=country
        )
        return [AgencyPerformance.from_figures(r) for r in figures]

    @strawberry.field(
        description="The portfolio per counterparty and currency, as both sides see it: accounts by state, what is outstanding, payments in [from, to). Needs `accounts:read`."
    )
    async def portfolio_status(
        self,
        info: Info,
        from_: Annotated[
            DateTime | None,
            strawberry.argument(name="from", description="Payments received at or after."),
        ] = None,
        to: Annotated[
            DateTime | None, strawberry.argument(description="Payments received before.")
        ] = None,
    ) -> list[PortfolioStatus]:
        ctx = request_context(info)
        principal = ctx.require(Scope.ACCOUNTS_READ)
        found = await service.portfolio_status(ctx.services, principal, start=from_, end=to)
        return [PortfolioStatus.from_portfolio(r) for r in found]
