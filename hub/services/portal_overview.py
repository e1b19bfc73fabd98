"""The portal's overview: every open debt of the link's customer that its issuer collects."""

from __future__ import annotations

from hub.domain.collection_state import ItemKind
from hub.domain.payment import Payment
from hub.domain.payment_plan import PaymentPlan
from hub.domain.portal import PortalLink
from hub.domain.portal_overview import Debt, debt_of
from hub.services.context import ServiceContext


async def overview(ctx: ServiceContext, link: PortalLink) -> list[Debt]:
    """The debts a verified debtor sees on the link's page, oldest placement first."""
    async with ctx.store.read() as uow:
        accounts = await uow.portal_links.open_accounts(link)
        ids = [a.id for a in accounts]
        plans = await uow.items.of_accounts(ItemKind.PLAN, ids) if ids else {}
        payments = await uow.items.of_accounts(ItemKind.PAYMENT, ids) if ids else {}
    names = await ctx.organizations.get_many(
        sorted({a.agency_id or a.creditor_id for a in accounts})
    )
    debts = []
    for account in accounts:
        collector = names[account.agency_id or account.creditor_id].name
        own_plans = [p for p in plans.get(account.id, []) if isinstance(p, PaymentPlan)]
        own_payments = [p for p in payments.get(account.id, []) if isinstance(p, Payment)]
        debts.append(debt_of(account, collector, own_plans, own_payments))
    return debts
