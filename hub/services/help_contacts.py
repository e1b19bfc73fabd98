"""Help contacts: how debtors reach an organization, set by it and shown in the portal.

The rules are ``hub.domain.help_contact``; rows are kept by ``hub.store.help_contacts``.
"""

from __future__ import annotations

from hub.auth.tokens import Principal
from hub.domain.help_contact import HelpContact, check_help_contact
from hub.services.context import ServiceContext


async def set_help_contact(
    ctx: ServiceContext, principal: Principal, contact: HelpContact
) -> HelpContact:
    """Replace the caller's own help contact."""
    checked = check_help_contact(contact)
    async with ctx.store.transaction() as uow:
        await uow.help_contacts.put(principal.organization_id, checked, ctx.clock())
    return checked


async def help_contact(ctx: ServiceContext, organization_id: str) -> HelpContact:
    """The organization's help contact (all None when it set none)."""
    async with ctx.store.read() as uow:
        return await uow.help_contacts.of(organization_id)
