"""Organizations' help contacts in storage (``hub.domain.help_contact``): one row each."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from hub.domain.help_contact import HelpContact
from hub.store.session import Session
from hub.store.tables import help_contacts as table


class HelpContacts:
    """The help contacts repository of a unit of work."""

    def __init__(self, uow: Session) -> None:
        self._uow = uow

    async def put(self, organization_id: str, contact: HelpContact, now: dt.datetime) -> None:
        """Replace the organization's help contact."""
        conn = self._uow.conn
        await conn.execute(table.delete().where(table.c.organization_id == organization_id))
        await conn.execute(
            table.insert().values(
                organization_id=organization_id,
                email=contact.email,
                phone=contact.phone,
                hours=contact.hours,
                updated_at=now,
            )
        )

    async def of(self, organization_id: str) -> HelpContact:
        """The organization's help contact (all None when it set none)."""
        row = (
            (
                await self._uow.conn.execute(
                    sa.select(table.c.email, table.c.phone, table.c.hours).where(
                        table.c.organization_id == organization_id
                    )
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return HelpContact()
        return HelpContact(row["email"], row["phone"], row["hours"])
