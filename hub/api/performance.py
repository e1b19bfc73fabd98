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
from hub.domain import confidence, kpi_rates
from hub.services import performance as service


@strawberry.type(description="A 95 % confidence interval.")
class Interval:
    low: float = strawberry.field(description="Lower bound.")
    high: float = strawberry.field(description="Upper bound.")

    @classmethod
    def of(cls, interval: confidence.Interval | None) -> Interval | None:
        return cls(low=interval.low, high=interval.high) if interval is not None else None


_RATES = strawberry.enum(
    kpi_rates.Rate,
    name="KpiRate",
    description="A KPI that is a proportion (so it has an interval, and a difference has one).",
)
for _value in _RATES.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _value.description = {
        "RECOVERY_RATE_BY_COUNT": "`recoveryRateByCount`: accounts recovered / assigned.",
        "DISPUTE_RATE": "`disputeRate`: accounts with a dispute / assigned.",
        "PAYMENT_PLAN_COMPLETION_RATE": "`paymentPlanCompletionRate`: completed / ended plans.",
        "SELF_SERVE_SHARE": "`selfServeShare`: portal payments / payments.",
        "CUSTOMER_RETURN_RATE": "`customerReturnRate`: returned / rehabilitated customers.",
    }[_value.name]


@strawberry.type(
    description=(
        "A challenger arm's rate minus the champion's, with its 95 % interval (Newcombe's "
        "hybrid score): an interval that does not include 0 is a difference, not noise."
    )
)
class RateDifference:
    rate: kpi_rates.Rate = strawberry.field(description="The rate compared.")
    difference: float = strawberry.field(description="This arm's rate minus the champion's.")
    interval: Interval = strawberry.field(description="Its 95 % confidence interval.")


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
    median_days_to_first_payment_interval: Interval | None = strawberry.field(
        description=(
            "95 % interval of the median (distribution-free, between two order statistics); "
            "null with fewer than six accounts that paid."
        )
    )
    experiment_id: strawberry.ID | None = strawberry.field(
        description="With `experimentId`: the experiment this agency is an arm of."
    )
    champion_agency_id: strawberry.ID | None = strawberry.field(
        description="With `experimentId`: the champion arm (the split rule's first agency)."
    )
    versus_champion: list[RateDifference] = strawberry.field(
        description=(
            "With `experimentId`, for a challenger arm: each rate minus the champion's in the "
            "same currency, with its interval (rates without trials on either side left out)."
        )
    )
    agency_id: strawberry.Private[str]
    tallies: strawberry.Private[kpi_rates.Tallies]

    @strawberry.field(
        description=(
            "The 95 % Wilson interval of a rate (null if its whole is zero): a wide one means "
            "too few accounts to tell."
        )
    )
    def interval(
        self, rate: Annotated[kpi_rates.Rate, strawberry.argument(description="The rate.")]
    ) -> Interval | None:
        return Interval.of(kpi_rates.interval(self.tallies, rate))

    @classmethod
    def from_arm(cls, arm: service.ArmFigures) -> AgencyPerformance:
        differences = [
            RateDifference(
                rate=rate,
                difference=d.estimate,
                interval=Interval(low=d.interval.low, high=d.interval.high),
            )
            for rate, d in (arm.versus_champion or {}).items()
            if d is not None
        ]
        return cls.from_figures(
            arm.figures,
            champion=arm.champion_agency_id,
            versus_champion=differences,
        )

    @classmethod
    def from_figures(
        cls,
        r: service.AgencyFigures,
        *,
        champion: str | None = None,
        versus_champion: list[RateDifference] | None = None,
    ) -> AgencyPerformance:
        return cls(
            agency_id=r.agency_id,
            tallies=r.tallies,
            median_days_to_first_payment_interval=Interval.of(r.median_interval),
            experiment_id=strawberry.ID(r.experiment_id) if r.experiment_id else None,
            champion_agency_id=strawberry.ID(champion) if champion else None,
            versus_champion=versus_champion or [],
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
        description="Per agency and currency: how the accounts you assigned in [from, to) are doing, counted in whole UTC days (from the day of `from` to the day of `to`, that day included unless `to` is its midnight). Creditors only; needs `accounts:read`."
    )
    async def agency_performance(
        self,
        info: Info,
        from_: Annotated[
            DateTime,
            strawberry.argument(
                name="from", description="Assigned on this UTC day (from its midnight) or after."
            ),
        ],
        to: Annotated[
            DateTime,
            strawberry.argument(
                description="Assigned before this instant rounded up to the next UTC midnight."
            ),
        ],
        country: Annotated[
            CountryCode | None, strawberry.argument(description="Only accounts of this country.")
        ] = None,
        experiment_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description=(
                    "Only the accounts this split routing rule (champion/challenger) routed: "
                    "each agency is an arm, compared with the champion in `versusChampion`."
                )
            ),
        ] = None,
    ) -> list[AgencyPerformance]:
        ctx = request_context(info)
        principal = ctx.require(Scope.ACCOUNTS_READ)
        if not principal.is_creditor:
            raise ApiError("FORBIDDEN", "agencyPerformance is for creditors")
        if to <= from_:
            raise ApiError("BAD_USER_INPUT", "`to` must be after `from`")
        if experiment_id is not None:
            arms = await service.experiment_performance(
                ctx.services, principal, str(experiment_id), start=from_, end=to, country=country
            )
            return [AgencyPerformance.from_arm(a) for a in arms]
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
