"""Debtor portal links: issued and revoked by the collecting organization, opened by token.

The rules (who may issue, lifetimes, one refusal for every dead token) are in
``hub.domain.portal``; links are stored by ``hub.store.portal_links``. Issuing a link is not
idempotent: a retried request makes a second link, and both work until they expire or are
revoked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from hub.auth.tokens import Principal
from hub.domain import portal as rules
from hub.domain import portal_knowledge as knowledge
from hub.domain.errors import DomainError
from hub.domain.ids import new_id
from hub.domain.portal import PortalLink
from hub.services.context import ServiceContext


@dataclass(frozen=True, slots=True)
class IssuedLink:
    """A new link with its token: the only time the token exists outside the debtor's hands."""

    link: PortalLink
    token: str

    @property
    def path(self) -> str:
        """The link's path, with its knowledge check's factor (``?f=dob``) if it has one."""
        return rules.link_path(self.token) + knowledge.url_suffix(self.link.second_factor)


def _not_found(field_: str, what: str) -> DomainError:
    return DomainError.of("NOT_FOUND", f"no such {what}", field_)


async def create_portal_link(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    *,
    expires_in: dt.timedelta | None = None,
    locale: str | None = None,
    second_factor: str = knowledge.CODE,
) -> IssuedLink:
    """A link for the customer of ``account_id``, issued by the organization collecting it,
    asking ``second_factor`` first (``hub.domain.portal_knowledge``); a knowledge check needs
    its fact placed for the customer, else ``SECOND_FACTOR_UNAVAILABLE``."""
    lifetime = rules.check_lifetime(expires_in)
    locale = rules.check_locale(locale)
    token = rules.new_token()
    now = ctx.clock()
    async with ctx.store.transaction() as uow:
        account = await uow.accounts.get(principal, account_id)
        if account is None:
            raise _not_found("accountId", "account")
        rules.check_issuer(account, principal.organization_id)
        if second_factor != knowledge.CODE and not await uow.portal_links.has_fact(
            account.customer_id, second_factor
        ):
            raise DomainError.of(
                "SECOND_FACTOR_UNAVAILABLE",
                "the customer has no such fact placed (customer.dateOfBirth or customer.postcode)",
                "secondFactor",
            )
        link = PortalLink(
            id=new_id("plk"),
            issuer_id=principal.organization_id,
            creditor_id=account.creditor_id,
            agency_id=account.agency_id,
            customer_id=account.customer_id,
            account_id=account.id,
            locale=locale,
            created_at=now,
            expires_at=now + lifetime,
            last_used_at=None,
            revoked_at=None,
            second_factor=second_factor,
        )
        await uow.portal_links.add(link, token)
    return IssuedLink(link, token)


async def revoke_portal_link(ctx: ServiceContext, principal: Principal, link_id: str) -> PortalLink:
    """Revoke a link the caller issued; revoking it again changes nothing."""
    async with ctx.store.transaction() as uow:
        if await uow.portal_links.of_issuer(principal.organization_id, link_id) is None:
            raise _not_found("linkId", "portal link")
        await uow.portal_links.revoke(link_id, ctx.clock())
        link = await uow.portal_links.of_issuer(principal.organization_id, link_id)
    assert link is not None
    return link


async def open_link(ctx: ServiceContext, token: str) -> PortalLink:
    """The usable link of ``token``, with this use recorded (the sliding window restarts); else
    ``PORTAL_LINK_INVALID``, the same for unknown, expired and revoked tokens."""
    if not rules.is_token_shaped(token):
        raise rules.invalid_link()
    now = ctx.clock()
    async with ctx.store.transaction() as uow:
        link = await uow.portal_links.by_token(token)
        if link is None or not link.usable_at(now):
            raise rules.invalid_link()
        await uow.portal_links.used(link.id, now)
    return dataclasses.replace(link, last_used_at=now)
