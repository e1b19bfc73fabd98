"""Typed answers about debtor portal links (``client.portal_links``)."""

from __future__ import annotations

import datetime as dt

from evenly._models import EvenlyModel

__all__ = ["IssuedPortalLink", "PortalLink"]


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


class IssuedPortalLink(EvenlyModel):
    """A new link: ``url`` (``/p/<token>`` on the hub) is shown this once and never again."""

    url: str
    portal_link: PortalLink
