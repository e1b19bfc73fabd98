"""A plan the debtor sets up in the portal: chosen within the collecting agency's offer,
previewed, then agreed as a real ``createPaymentPlan`` made for the collector.

Every step looks the debt up among the link's own open accounts, so an account id of
another customer is "not found", exactly like one that does not exist. The schedule shown
is ``build_schedule``'s, the same function the plan is cut by when it is agreed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain import plan_offers as rules
from hub.domain.account import Account
from hub.domain.collection_state import ItemKind
from hub.domain.errors import DomainError
from hub.domain.money import Money
from hub.domain.payment_plan import Cadence, Installment, PaymentPlan, build_schedule
from hub.domain.plan_offers import PlanOffers
from hub.domain.portal import PortalLink
from hub.services.context import ServiceContext
from hub.services.plan_offers import offers_for
from hub.services.plans import create_payment_plan


@dataclass(frozen=True, slots=True)
class PlanChoice:
    """What the plan form offers for one debt."""

    account: Account
    offers: PlanOffers
    first_dates: tuple[dt.date, dt.date]

    @property
    def balance(self) -> Money:
        return Money(self.account.balance_minor, self.account.currency)


@dataclass(frozen=True, slots=True)
class PlanRequest:
    cadence: Cadence
    first_date: dt.date
    installment: Money


def _not_found() -> DomainError:
    return DomainError.of("NOT_FOUND", "no such debt", "account")


async def plan_choice(ctx: ServiceContext, link: PortalLink, account_id: str) -> PlanChoice:
    """The offer for one of the link's open debts; ``NOT_FOUND`` for any other id."""
    async with ctx.store.read() as uow:
        accounts = await uow.portal_links.open_accounts(link)
        account = next((a for a in accounts if a.id == account_id), None)
        if account is None:
            raise _not_found()
        offers = await offers_for(uow, account)
    return PlanChoice(account, offers, rules.first_date_window(ctx.clock().date()))


def schedule_of(choice: PlanChoice, request: PlanRequest, today: dt.date) -> list[Installment]:
    """The installments of ``request``, or the refusal of the agency's offer or the hub."""
    rules.check_plannable(choice.account)
    rules.check_cadence(choice.offers, request.cadence)
    rules.check_first_date(request.first_date, today)
    rules.check_installment(choice.offers, request.installment, choice.balance)
    schedule = build_schedule(
        choice.account.balance_minor,
        choice.account.currency,
        cadence=request.cadence,
        start=request.first_date,
        today=today,
        installment_minor=request.installment.amount_minor,
        installments=None,
    )
    rules.check_length(choice.offers, schedule)
    return schedule


async def preview(
    ctx: ServiceContext, link: PortalLink, account_id: str, request: PlanRequest
) -> tuple[PlanChoice, list[Installment]]:
    choice = await plan_choice(ctx, link, account_id)
    return choice, schedule_of(choice, request, ctx.clock().date())


async def confirm(
    ctx: ServiceContext, link: PortalLink, account_id: str, request: PlanRequest
) -> PaymentPlan:
    """Agree the plan for the collector, after the same checks as the preview."""
    choice, _ = await preview(ctx, link, account_id, request)
    account = choice.account
    collector = Principal(
        client_id="portal",
        organization_id=account.agency_id or account.creditor_id,
        kind=OrganizationKind.AGENCY if account.agency_id else OrganizationKind.CREDITOR,
        scopes=frozenset(),
    )
    applied = await create_payment_plan(
        ctx,
        collector,
        account.id,
        cadence=request.cadence,
        start_date=request.first_date,
        installment_amount=request.installment,
        installments=None,
    )
    assert isinstance(applied.item, PaymentPlan)
    return applied.item


async def choices(ctx: ServiceContext, link: PortalLink) -> dict[str, PlanChoice]:
    """The plan form of each of the link's debts where the debtor may set up a plan."""
    window = rules.first_date_window(ctx.clock().date())
    async with ctx.store.read() as uow:
        plannable = [
            a for a in await uow.portal_links.open_accounts(link) if a.status in rules.PLANNABLE
        ]
        # The link's debts share one creditor and one collector: one read of their offers.
        binding = (
            await uow.plan_offers.binding(link.agency_id, link.creditor_id)
            if plannable and link.agency_id is not None
            else (None, None)
        )
    return {a.id: PlanChoice(a, rules.effective(a, *binding), window) for a in plannable}


async def running_plan(
    ctx: ServiceContext, link: PortalLink, account_id: str
) -> tuple[Account, PaymentPlan] | None:
    """The running plan of one of the link's debts, if it has one."""
    async with ctx.store.read() as uow:
        accounts = await uow.portal_links.open_accounts(link)
        account = next((a for a in accounts if a.id == account_id), None)
        if account is None:
            return None
        items = await uow.items.of_accounts(ItemKind.PLAN, [account.id])
    plans = [p for p in items.get(account.id, []) if isinstance(p, PaymentPlan) and p.is_active]
    return (account, plans[-1]) if plans else None
