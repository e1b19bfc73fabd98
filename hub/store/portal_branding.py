"""Creditors' portal branding in storage (``hub.domain.portal_branding``): one row each.

The portal's pages read it with the link, in the one query of ``PortalLinks.with_help``.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from hub.domain.portal_branding import PortalBranding
from hub.store.portal_tables import portal_branding as table
from hub.store.session import Session


def branding_of(row: RowMapping | None) -> PortalBranding:
    """The branding of a row with ``display_name``, ``primary_color``, ``accent_color``."""
    if row is None:
        return PortalBranding()
    return PortalBranding(row["display_name"], row["primary_color"], row["accent_color"])


class PortalBrandings:
    """The portal branding repository of a unit of work."""

    def __init__(self, uow: Session) -> None:
        self._uow = uow

    async def put(self, creditor_id: str, branding: PortalBranding, now: dt.datetime) -> None:
        """Replace the creditor's branding."""
        conn = self._uow.conn
        await conn.execute(table.delete().where(table.c.creditor_id == creditor_id))
        await conn.execute(
            table.insert().values(
                creditor_id=creditor_id,
                display_name=branding.display_name,
                primary_color=branding.primary_color,
                accent_color=branding.accent_color,
                updated_at=now,
            )
        )

    async def of(self, creditor_id: str) -> PortalBranding:
        """The creditor's branding (all None when it set none)."""
        result = await self._uow.conn.execute(
            sa.select(table.c.display_name, table.c.primary_color, table.c.accent_color).where(
                table.c.creditor_id == creditor_id
            )
        )
        return branding_of(result.mappings().first())
