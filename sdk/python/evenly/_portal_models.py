"""Typed answers about debtor portal links (``client.portal_links``)."""

from __future__ import annotations

import datetime as dt

from evenly._models import EvenlyModel, Money

__all__ = ["HelpContact", "IssuedPortalLink", "PortalLink", "PortalPlanOffers"]


class PortalLink(EvenlyModel):
    """A link to the debtor portal for one customer of one creditor (its token is not kept)."""

    id: str
    account_id: str
    customer_id: str
    locale: str | None = None
    created_at: dt.datetime
    #: When it stops working if not used again (each use adds 24 h, up to 90 days from issue).
    valid_until: dt.datetime
    last_used_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    #: ``CODE``, ``DATE_OF_BIRTH`` or ``POSTCODE``: what the debtor confirms first.
    second_factor: str = "CODE"


class IssuedPortalLink(EvenlyModel):
    """A new link: ``url`` (``/p/<token>`` on the hub) is shown this once and never again."""

    url: str
    portal_link: PortalLink


class PortalPlanOffers(EvenlyModel):
    """What debtors may set up themselves in the portal: an agency's offer for all its
    creditors (``creditor_id`` None) or for one."""

    creditor_id: str | None = None
    #: Of ``DAILY``, ``WEEKLY``, ``BIWEEKLY``, ``MONTHLY``.
    cadences: list[str]
    #: The smallest installment, for accounts in its currency.
    minimum_installment: Money | None = None
    max_installments: int | None = None
    #: Days from the first due date to the last.
    max_days: int | None = None


class HelpContact(EvenlyModel):
    """How debtors reach you for help, shown on every portal page of your links."""

    email: str | None = None
    phone: str | None = None
    #: When someone answers, in your words.
    hours: str | None = None


class PortalBranding(EvenlyModel):
    """(Creditors) your name and colours on the debtor portal's pages of your debts."""

    display_name: str | None = None
    #: Buttons' colour, ``#rrggbb``, under white text.
    primary_color: str | None = None
    #: Links' colour, ``#rrggbb``, on the white page.
    accent_color: str | None = None
