"""What accounts hold, read for the API: payments, plans, disputes, holds, contacts and
rehabilitations, by account or by id, only through accounts the reader may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.auth.tokens import Principal
from hub.domain.collection_state import Item, ItemKind
from hub.domain.payment_plan import PaymentPlan
from hub.domain.rehabilitation import Rehabilitation
from hub.store import records
from hub.store.pii import FieldCipher
from hub.store.session import Session
from hub.store.tables import (
    accounts,
    contact_attempts,
    disputes,
    holds,
    payment_plans,
    payments,
    rehabilitations,
)
from hub.store.visibility import account_clause

Kind = ItemKind
_TABLES = {
    Kind.CONTACT: contact_attempts,
    Kind.PLAN: payment_plans,
    Kind.PAYMENT: payments,
    Kind.DISPUTE: disputes,
    Kind.HOLD: holds,
    Kind.REHABILITATION: rehabilitations,
}
#: The order of an account's items: oldest first.
_ORDER = {
    Kind.CONTACT: "occurred_at",
    Kind.PLAN: "created_at",
    Kind.PAYMENT: "received_at",
    Kind.DISPUTE: "opened_at",
    Kind.HOLD: "placed_at",
    Kind.REHABILITATION: "rehabilitated_at",
}


def _reader(kind: Kind, cipher: FieldCipher) -> Callable[[Any], Item]:
    readers: dict[Kind, Callable[[Any], Item]] = {
        Kind.CONTACT: records.contact_of,
        Kind.PLAN: records.plan_of,
        Kind.PAYMENT: records.payment_of,
        Kind.DISPUTE: lambda row: records.dispute_of(row, cipher),
        Kind.HOLD: lambda row: records.hold_of(row, cipher),
        Kind.REHABILITATION: records.rehabilitation_of,
    }
    return readers[kind]


@dataclass(frozen=True, slots=True)
class DuePlan:
    """A running plan the sweep looks at: what was paid toward it, and whose it is."""

    plan: PaymentPlan
    paid_minor: int
    agency_id: str | None


@dataclass(frozen=True, slots=True)
class ExpiredHold:
    hold_id: str
    account_id: str
    agency_id: str | None


class Items:
    """The account items repository of a unit of work."""

    def __init__(self, uow: Session) -> None:
        self._uow = uow

    async def of_accounts(self, kind: Kind, account_ids: Sequence[str]) -> dict[str, list[Item]]:
        """Items of one kind of accounts already checked visible, oldest first."""
        table = _TABLES[kind]
        rows = await self._uow.conn.execute(
            sa.select(table)
            .where(table.c.account_id.in_(list(account_ids)))
            .order_by(table.c.account_id, table.c[_ORDER[kind]], table.c.id)
        )
        read = _reader(kind, self._uow.cipher)
        grouped: dict[str, list[Item]] = {i: [] for i in account_ids}
        for row in rows.mappings():
            grouped[row["account_id"]].append(read(row))
        return grouped

    async def get(self, kind: Kind, id_: str) -> Item | None:
        """An item a use case just created or changed for the caller (checked visible)."""
        table = _TABLES[kind]
        row = (await self._uow.conn.execute(sa.select(table).where(table.c.id == id_))).mappings()
        found = row.first()
        return _reader(kind, self._uow.cipher)(found) if found is not None else None

    async def get_visible(self, principal: Principal, kind: Kind, id_: str) -> Item | None:
        """An item by id if the principal can see its account (``node(id:)``); a
        rehabilitation only for its creditor."""
        table = _TABLES[kind]
        if kind is Kind.REHABILITATION:
            if not principal.is_creditor:
                return None
            query = sa.select(table).where(
                table.c.id == id_, table.c.creditor_id == principal.organization_id
            )
        else:
            query = (
                sa.select(table)
                .join(accounts, accounts.c.id == table.c.account_id)
                .where(table.c.id == id_, account_clause(principal))
            )
        found = (await self._uow.conn.execute(query)).mappings().first()
        return _reader(kind, self._uow.cipher)(found) if found is not None else None

    # --- rehabilitations --------------------------------------------------------------------

    async def latest_rehabilitation(
        self, principal: Principal, customer_id: str
    ) -> Rehabilitation | None:
        """The creditor's latest rehabilitation of its customer."""
        row = (
            await self._uow.conn.execute(
                sa.select(rehabilitations)
                .where(
                    rehabilitations.c.customer_id == customer_id,
                    rehabilitations.c.creditor_id == principal.organization_id,
                )
                .order_by(rehabilitations.c.rehabilitated_at.desc())
                .limit(1)
            )
        ).mappings()
        found = row.first()
        return records.rehabilitation_of(found) if found is not None else None

    async def rehabilitations(
        self,
        creditor_id: str,
        *,
        since: dt.datetime | None,
        before_id: str | None,
        limit: int,
    ) -> tuple[list[Rehabilitation], int]:
        """A creditor's rehabilitated customers, newest first, and how many match ``since``."""
        where = [rehabilitations.c.creditor_id == creditor_id]
        if since is not None:
            where.append(rehabilitations.c.rehabilitated_at >= since)
        total = await self._uow.conn.execute(
            sa.select(sa.func.count()).select_from(rehabilitations).where(*where)
        )
        if before_id is not None:
            where.append(rehabilitations.c.id < before_id)
        rows = await self._uow.conn.execute(
            sa.select(rehabilitations)
            .where(*where)
            .order_by(rehabilitations.c.id.desc())
            .limit(limit)
        )
        return [records.rehabilitation_of(r) for r in rows.mappings()], int(total.scalar_one())

    # --- what the maintenance sweep looks at -----------------------------------------------

    async def running_plans(
        self, account_id: str | None = None, clock_id: str | None = None
    ) -> list[DuePlan]:
        """Every running, unpaused plan with what was paid toward it: of one account, if
        given; else of the accounts on test clock ``clock_id``, or (None) on no clock."""
        paid = (
            sa.select(sa.func.coalesce(sa.func.sum(payments.c.amount_minor), 0))
            .where(payments.c.plan_id == payment_plans.c.id, payments.c.status == "SUCCEEDED")
            .scalar_subquery()
        )
        rows = await self._uow.conn.execute(
            sa.select(payment_plans, paid.label("paid_minor"), accounts.c.agency_id)
            .join(accounts, accounts.c.id == payment_plans.c.account_id)
            .where(payment_plans.c.status == "ACTIVE", payment_plans.c.paused_since.is_(None))
            .where(
                payment_plans.c.account_id == account_id
                if account_id is not None
                else _on_clock(clock_id)
            )
        )
        return [
            DuePlan(records.plan_of(r), int(r["paid_minor"]), r["agency_id"])
            for r in rows.mappings()
        ]

    async def expired_holds(
        self, now: dt.datetime, clock_id: str | None = None
    ) -> list[ExpiredHold]:
        """Active holds whose ``until`` passed by ``now``, of the accounts on test clock
        ``clock_id`` (None: on no clock)."""
        rows = await self._uow.conn.execute(
            sa.select(holds.c.id, holds.c.account_id, accounts.c.agency_id)
            .join(accounts, accounts.c.id == holds.c.account_id)
            .where(holds.c.status == "ACTIVE", holds.c.until <= now, _on_clock(clock_id))
        )
        return [ExpiredHold(r.id, r.account_id, r.agency_id) for r in rows]


def _on_clock(clock_id: str | None) -> sa.ColumnElement[bool]:
    """Accounts on test clock ``clock_id``, or on none: time-driven changes of a clock's
    accounts happen as it advances (``hub.services.clock_advance``), not on the hub's time."""
    column = accounts.c.test_clock_id
    return column.is_(None) if clock_id is None else column == clock_id
