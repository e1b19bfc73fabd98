"""``client.portal_links``: links to the debtor portal, issued and revoked by the
organization collecting an account, and the plans an agency lets debtors set up there."""

from __future__ import annotations

from typing import Any

from evenly._base_client import Call
from evenly._models import Money
from evenly._operations import (
    CREATE_PORTAL_LINK,
    HELP_CONTACT,
    PORTAL_BRANDING,
    PORTAL_PLAN_OFFERS,
    REVOKE_PORTAL_LINK,
    SET_HELP_CONTACT,
    SET_PORTAL_BRANDING,
    SET_PORTAL_PLAN_OFFERS,
)
from evenly._portal_models import (
    HelpContact,
    IssuedPortalLink,
    PortalBranding,
    PortalLink,
    PortalPlanOffers,
)
from evenly.resources._resource import AsyncResource, SyncResource, payload, payload_object

__all__ = ["AsyncPortalLinks", "PortalLinks"]


def _create(
    account_id: str, expires_in: int | None, locale: str | None, second_factor: str
) -> Call[IssuedPortalLink]:
    check = payload("createPortalLink")
    variables = {
        "input": {
            "accountId": account_id,
            "expiresIn": expires_in,
            "locale": locale,
            "secondFactor": second_factor,
        }
    }
    # Not idempotent: a repeated request would issue a second link, so it is never retried
    # once it may have reached the hub.
    return Call(
        CREATE_PORTAL_LINK,
        variables,
        lambda data, rid: IssuedPortalLink.model_validate(check(data, rid)),
        retry_safe=False,
    )


def _revoke(link_id: str) -> Call[PortalLink]:
    return Call(
        REVOKE_PORTAL_LINK,
        {"input": {"linkId": link_id}},
        payload_object("revokePortalLink", "portalLink", PortalLink),
    )


def _set_offers(
    cadences: list[str],
    creditor_id: str | None,
    minimum_installment: Money | None,
    max_installments: int | None,
    max_days: int | None,
) -> Call[PortalPlanOffers]:
    minimum: dict[str, Any] | None = (
        {"amountMinor": minimum_installment.amount_minor, "currency": minimum_installment.currency}
        if minimum_installment is not None
        else None
    )
    variables = {
        "input": {
            "cadences": [str(c) for c in cadences],
            "creditorId": creditor_id,
            "minimumInstallment": minimum,
            "maxInstallments": max_installments,
            "maxDays": max_days,
        }
    }
    return Call(
        SET_PORTAL_PLAN_OFFERS,
        variables,
        payload_object("setPortalPlanOffers", "offers", PortalPlanOffers),
    )


def _offers() -> Call[list[PortalPlanOffers]]:
    return Call(
        PORTAL_PLAN_OFFERS,
        {},
        lambda data, _: [PortalPlanOffers.model_validate(o) for o in data["portalPlanOffers"]],
    )


def _set_help(email: str | None, phone: str | None, hours: str | None) -> Call[HelpContact]:
    return Call(
        SET_HELP_CONTACT,
        {"input": {"email": email, "phone": phone, "hours": hours}},
        payload_object("setHelpContact", "helpContact", HelpContact),
    )


def _help() -> Call[HelpContact]:
    return Call(HELP_CONTACT, {}, lambda data, _: HelpContact.model_validate(data["helpContact"]))


def _set_branding(
    display_name: str | None, primary_color: str | None, accent_color: str | None
) -> Call[PortalBranding]:
    variables = {
        "input": {
            "displayName": display_name,
            "primaryColor": primary_color,
            "accentColor": accent_color,
        }
    }
    return Call(
        SET_PORTAL_BRANDING,
        variables,
        payload_object("setPortalBranding", "branding", PortalBranding),
    )


def _branding() -> Call[PortalBranding]:
    return Call(
        PORTAL_BRANDING, {}, lambda data, _: PortalBranding.model_validate(data["portalBranding"])
    )


class PortalLinks(SyncResource):
    """Debtor portal links: ``client.portal_links``."""

    def create(
        self,
        account_id: str,
        *,
        expires_in: int | None = None,
        locale: str | None = None,
        second_factor: str = "CODE",
    ) -> IssuedPortalLink:
        """A link for the customer of an account you collect; ``expires_in`` in seconds
        (900 to 7776000, default 7 days). ``second_factor``: ``CODE`` (a one-time code),
        ``DATE_OF_BIRTH`` or ``POSTCODE`` (a fact placed for the customer; else
        ``SECOND_FACTOR_UNAVAILABLE``). Send ``.url`` to the debtor: it is shown once."""
        return self._client.execute(_create(account_id, expires_in, locale, second_factor))

    def revoke(self, link_id: str) -> PortalLink:
        """End a link you issued, at once (revoking it again changes nothing)."""
        return self._client.execute(_revoke(link_id))

    def set_plan_offers(
        self,
        cadences: list[str],
        *,
        creditor_id: str | None = None,
        minimum_installment: Money | None = None,
        max_installments: int | None = None,
        max_days: int | None = None,
    ) -> PortalPlanOffers:
        """(Agencies) the plans debtors may set up in the portal, for all your creditors or
        for ``creditor_id``'s accounts; it replaces the earlier offer for the same scope."""
        return self._client.execute(
            _set_offers(cadences, creditor_id, minimum_installment, max_installments, max_days)
        )

    def plan_offers(self) -> list[PortalPlanOffers]:
        """(Agencies) the portal plan offers you set, the one for all creditors first."""
        return self._client.execute(_offers())

    def set_help_contact(
        self, *, email: str | None = None, phone: str | None = None, hours: str | None = None
    ) -> HelpContact:
        """How debtors reach you for help (shown on every portal page of your links); it
        replaces the contact set before."""
        return self._client.execute(_set_help(email, phone, hours))

    def help_contact(self) -> HelpContact:
        """Your help contact as debtors see it."""
        return self._client.execute(_help())

    def set_branding(
        self,
        *,
        display_name: str | None = None,
        primary_color: str | None = None,
        accent_color: str | None = None,
    ) -> PortalBranding:
        """(Creditors) your name and colours on the portal's pages of your debts; colours
        ``#rrggbb`` with a WCAG AA contrast (``COLOR_CONTRAST_TOO_LOW``, ``INVALID_COLOR``)."""
        return self._client.execute(_set_branding(display_name, primary_color, accent_color))

    def branding(self) -> PortalBranding:
        """(Creditors) your portal branding."""
        return self._client.execute(_branding())


class AsyncPortalLinks(AsyncResource):
    """``client.portal_links`` of ``AsyncEvenly``: the same methods, awaited."""

    async def create(
        self,
        account_id: str,
        *,
        expires_in: int | None = None,
        locale: str | None = None,
        second_factor: str = "CODE",
    ) -> IssuedPortalLink:
        """A link for the customer of an account you collect; ``expires_in`` in seconds
        (900 to 7776000, default 7 days). ``second_factor``: ``CODE`` (a one-time code),
        ``DATE_OF_BIRTH`` or ``POSTCODE`` (a fact placed for the customer; else
        ``SECOND_FACTOR_UNAVAILABLE``). Send ``.url`` to the debtor: it is shown once."""
        return await self._client.execute(_create(account_id, expires_in, locale, second_factor))

    async def revoke(self, link_id: str) -> PortalLink:
        """End a link you issued, at once (revoking it again changes nothing)."""
        return await self._client.execute(_revoke(link_id))

    async def set_plan_offers(
        self,
        cadences: list[str],
        *,
        creditor_id: str | None = None,
        minimum_installment: Money | None = None,
        max_installments: int | None = None,
        max_days: int | None = None,
    ) -> PortalPlanOffers:
        """(Agencies) the plans debtors may set up in the portal, for all your creditors or
        for ``creditor_id``'s accounts; it replaces the earlier offer for the same scope."""
        return await self._client.execute(
            _set_offers(cadences, creditor_id, minimum_installment, max_installments, max_days)
        )

    async def plan_offers(self) -> list[PortalPlanOffers]:
        """(Agencies) the portal plan offers you set, the one for all creditors first."""
        return await self._client.execute(_offers())

    async def set_help_contact(
        self, *, email: str | None = None, phone: str | None = None, hours: str | None = None
    ) -> HelpContact:
        """How debtors reach you for help (shown on every portal page of your links); it
        replaces the contact set before."""
        return await self._client.execute(_set_help(email, phone, hours))

    async def help_contact(self) -> HelpContact:
        """Your help contact as debtors see it."""
        return await self._client.execute(_help())

    async def set_branding(
        self,
        *,
        display_name: str | None = None,
        primary_color: str | None = None,
        accent_color: str | None = None,
    ) -> PortalBranding:
        """(Creditors) your name and colours on the portal's pages of your debts; colours
        ``#rrggbb`` with a WCAG AA contrast (``COLOR_CONTRAST_TOO_LOW``, ``INVALID_COLOR``)."""
        return await self._client.execute(_set_branding(display_name, primary_color, accent_color))

    async def branding(self) -> PortalBranding:
        """(Creditors) your portal branding."""
        return await self._client.execute(_branding())
