"""Agencies' portal plan offers in storage (``hub.domain.plan_offers``): one row per agency
and creditor, the agency-wide offer under an empty ``creditor_id``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from hub.domain.money import Money
from hub.domain.payment_plan import Cadence
from hub.domain.plan_offers import PlanOffers
from hub.store.session import Session
from hub.store.tables import portal_plan_offers as table

_ALL = ""


def _offers(row: Mapping[Any, Any]) -> PlanOffers:
    minimum = (
        Money(row["minimum_minor"], row["minimum_currency"])
        if row["minimum_minor"] is not None
        else None
    )
    return PlanOffers(
        cadences=frozenset(Cadence(c) for c in row["cadences"].split(",") if c),
        minimum_installment=minimum,
        max_installments=row["max_installments"],
        max_days=row["max_days"],
        agency_id=row["agency_id"],
        creditor_id=row["creditor_id"] or None,
    )


class PlanOfferStore:
    """The portal plan offers repository of a unit of work."""

    def __init__(self, uow: Session) -> None:
        self._uow = uow

    async def put(self, offers: PlanOffers, now: dt.datetime) -> None:
        """Replace the agency's offer for ``offers.creditor_id`` (None: all creditors)."""
        assert offers.agency_id is not None
        creditor = offers.creditor_id or _ALL
        conn = self._uow.conn
        await conn.execute(
            table.delete().where(
                table.c.agency_id == offers.agency_id, table.c.creditor_id == creditor
            )
        )
        minimum = offers.minimum_installment
        await conn.execute(
            table.insert().values(
                agency_id=offers.agency_id,
                creditor_id=creditor,
                cadences=",".join(sorted(c.value for c in offers.cadences)),
                minimum_minor=minimum.amount_minor if minimum else None,
                minimum_currency=minimum.currency if minimum else None,
                max_installments=offers.max_installments,
                max_days=offers.max_days,
                updated_at=now,
            )
        )

    async def of_agency(self, agency_id: str) -> list[PlanOffers]:
        """Every offer the agency set, the agency-wide one first."""
        rows = await self._uow.conn.execute(
            sa.select(table).where(table.c.agency_id == agency_id).order_by(table.c.creditor_id)
        )
        return [_offers(row) for row in rows.mappings()]

    async def binding(
        self, agency_id: str, creditor_id: str
    ) -> tuple[PlanOffers | None, PlanOffers | None]:
        """The agency-wide offer and the one for ``creditor_id``, each None if not set."""
        rows = await self._uow.conn.execute(
            sa.select(table).where(
                table.c.agency_id == agency_id, table.c.creditor_id.in_([_ALL, creditor_id])
            )
        )
        found = {row["creditor_id"]: _offers(row) for row in rows.mappings()}
        return found.get(_ALL), found.get(creditor_id)
