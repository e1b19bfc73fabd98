"""Portal branding: a creditor's display name and colours on the portal's pages of its debts.

The rules are ``hub.domain.portal_branding``; rows are kept by ``hub.store.portal_branding``;
the pages read it with the link (``hub.services.portal_prefs.help_for``), not on their own.
"""

from __future__ import annotations

from hub.auth.tokens import Principal
from hub.domain.errors import DomainError
from hub.domain.portal_branding import PortalBranding, check_branding
from hub.services.context import ServiceContext


async def set_portal_branding(
    ctx: ServiceContext, principal: Principal, branding: PortalBranding
) -> PortalBranding:
    """Replace the calling creditor's branding (``CREDITOR_ONLY`` for an agency)."""
    if not principal.is_creditor:
        raise DomainError.of("CREDITOR_ONLY", "only a creditor sets its portal branding")
    checked = check_branding(branding)
    async with ctx.store.transaction() as uow:
        await uow.portal_branding.put(principal.organization_id, checked, ctx.clock())
    return checked


async def portal_branding(ctx: ServiceContext, creditor_id: str) -> PortalBranding:
    """The creditor's branding (all None when it set none)."""
    async with ctx.store.read() as uow:
        return await uow.portal_branding.of(creditor_id)
