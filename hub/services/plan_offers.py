"""Portal plan offers: an agency sets what debtors may set up themselves, and reads it back.

The rules (what an offer may say, which one binds an account, the country defaults) are in
``hub.domain.plan_offers``; offers are kept by ``hub.store.plan_offers``.
"""

from __future__ import annotations

import dataclasses

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain.account import Account
from hub.domain.errors import DomainError
from hub.domain.plan_offers import PlanOffers, check_offers, effective
from hub.domain.sandbox import check_same_mode
from hub.services.context import ServiceContext
from hub.store.unit_of_work import UnitOfWork


def _agency(principal: Principal) -> str:
    if principal.kind is not OrganizationKind.AGENCY:
        raise DomainError.of("FORBIDDEN", "only an agency sets portal plan offers")
    return principal.organization_id


async def set_portal_plan_offers(
    ctx: ServiceContext, principal: Principal, offers: PlanOffers
) -> PlanOffers:
    """Replace the caller's offer for ``offers.creditor_id`` (None: all its creditors)."""
    agency_id = _agency(principal)
    offers = dataclasses.replace(check_offers(offers), agency_id=agency_id)
    async with ctx.store.transaction() as uow:
        if offers.creditor_id is not None:
            found = await uow.organizations.get_many([offers.creditor_id, agency_id])
            creditor = found.get(offers.creditor_id)
            if creditor is None or creditor.kind != OrganizationKind.CREDITOR.value:
                raise DomainError.of("NOT_FOUND", "no such creditor", "creditorId")
            check_same_mode(creditor.sandbox, found[agency_id].sandbox)
        await uow.plan_offers.put(offers, ctx.clock())
    return offers


async def portal_plan_offers(ctx: ServiceContext, principal: Principal) -> list[PlanOffers]:
    """The offers the caller set, the agency-wide one first."""
    agency_id = _agency(principal)
    async with ctx.store.read() as uow:
        return await uow.plan_offers.of_agency(agency_id)


async def offers_for(uow: UnitOfWork, account: Account) -> PlanOffers:
    """The offer binding ``account``: its agency's, else its country's default."""
    if account.agency_id is None:
        return effective(account, None, None)
    agency_wide, for_creditor = await uow.plan_offers.binding(
        account.agency_id, account.creditor_id
    )
    return effective(account, agency_wide, for_creditor)
