"""Accounts in storage: the aggregate loaded for a change in one query, and account reads.

``load`` reads an account the caller may see with everything a change needs (its running
plan and what was paid toward it, the payments in flight, what was paid in all, the open
dispute, the active hold) and, when the change is about one of its items (a payment to
settle, a dispute to resolve, a hold to release, a rehabilitation to mark returned), that
item too: one round trip. ``history`` adds what a rehabilitation summary needs, for the
changes that may close the account.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.auth.tokens import Principal
from hub.domain.account import OPEN, Account, AccountStatus
from hub.domain.collection_account import CollectionAccount
from hub.domain.collection_state import History, Item
from hub.domain.contact_attempt import ContactAttempt
from hub.domain.payment import Payment
from hub.domain.placement import normalize_reference
from hub.domain.vocabulary import PaymentStatus
from hub.store import counts, records
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
from hub.store.visibility import account_clause, account_owner
from hub.store.writes import Guard, Write


class Target(StrEnum):
    """An item a change is about, loaded with its account (by the item's id)."""

    PAYMENT = "payments"
    DISPUTE = "disputes"
    HOLD = "holds"
    REHABILITATION = "rehabilitations"


_TARGET_TABLES = {
    Target.PAYMENT: payments,
    Target.DISPUTE: disputes,
    Target.HOLD: holds,
    Target.REHABILITATION: rehabilitations,
}


@dataclass
class Loaded:
    """An account loaded for a change: the aggregate to change, the item the change is
    about, and what was read (the store compares against it when saving)."""

    collection: CollectionAccount
    target: Item | None = None
    #: The account and items as read, by id: the baseline of ``save``.
    read: dict[str, Account | Item] = field(default_factory=dict)
    #: The sandbox test clock the account lives on, if any (``hub.domain.test_clocks``).
    test_clock_id: str | None = None


def _columns(table: sa.Table, prefix: str) -> list[sa.Label[Any]]:
    return [column.label(f"{prefix}{column.name}") for column in table.c]


def _sum(status: PaymentStatus, *where: sa.ColumnElement[bool]) -> sa.ScalarSelect[Any]:
    return (
        sa.select(sa.func.coalesce(sa.func.sum(payments.c.amount_minor), 0))
        .where(payments.c.status == status.value, *where)
        .scalar_subquery()
    )


@functools.cache
def _load_query(as_creditor: bool, target: Target | None) -> sa.Select[Any]:
    """The account (by id, or by the id of ``target``) with its open items and sums."""
    a = accounts
    plan = payment_plans.alias("plan")
    dispute = disputes.alias("open_dispute")
    hold = holds.alias("active_hold")
    joined = (
        a.outerjoin(plan, sa.and_(plan.c.account_id == a.c.id, plan.c.status == "ACTIVE"))
        .outerjoin(dispute, sa.and_(dispute.c.account_id == a.c.id, dispute.c.status == "OPEN"))
        .outerjoin(hold, sa.and_(hold.c.account_id == a.c.id, hold.c.status == "ACTIVE"))
    )
    columns: list[Any] = [
        *a.c,
        *_columns(plan, "plan_"),
        *_columns(dispute, "dispute_"),
        *_columns(hold, "hold_"),
        _sum(PaymentStatus.PENDING, payments.c.account_id == a.c.id).label("pending_minor"),
        _sum(PaymentStatus.SUCCEEDED, payments.c.account_id == a.c.id).label("paid_minor"),
        _sum(PaymentStatus.SUCCEEDED, payments.c.plan_id == plan.c.id).label("paid_on_plan"),
    ]
    owner = account_owner(as_creditor) == sa.bindparam("organization_id", type_=sa.String())
    if target is None:
        where = a.c.id == sa.bindparam("id", type_=sa.String())
    else:
        item = _TARGET_TABLES[target].alias("target")
        joined = joined.join(item, item.c.account_id == a.c.id)
        columns += _columns(item, "target_")
        where = item.c.id == sa.bindparam("id", type_=sa.String())
    return sa.select(*columns).select_from(joined).where(where, owner)


def _prefixed(row: Mapping[str, Any], table: sa.Table, prefix: str) -> dict[str, Any] | None:
    if row[f"{prefix}id"] is None:
        return None
    return {column.name: row[f"{prefix}{column.name}"] for column in table.c}


def _item(table: sa.Table, row: Mapping[str, Any], cipher: FieldCipher) -> Item:
    if table is payments:
        return records.payment_of(row)
    if table is disputes:
        return records.dispute_of(row, cipher)
    if table is holds:
        return records.hold_of(row, cipher)
    return records.rehabilitation_of(row)


class Accounts:
    """The accounts repository of a unit of work."""

    def __init__(self, uow: Session) -> None:
        self._uow = uow

    async def load(
        self, principal: Principal, id_: str, target: Target | None = None
    ) -> Loaded | None:
        """The caller's account ``id_`` (or the account of the ``target`` item ``id_``) ready
        for a change; None if the caller may not see it (not found, never forbidden)."""
        return await _load(self._uow.conn, self._uow.cipher, principal, id_, target)

    async def load_history(self, loaded: Loaded) -> None:
        """Add the account's succeeded payments and contacts (what a rehabilitation summary
        is made of) to a loaded aggregate."""
        await _load_history(self._uow.conn, loaded)

    async def save(
        self,
        loaded: Loaded,
        event_rows: Sequence[Mapping[str, Any]],
        now: dt.datetime,
        *,
        inserts: Sequence[tuple[sa.Table, Mapping[str, Any]]] = (),
    ) -> Account | None:
        """Write what changed on a loaded aggregate with its events (and ``inserts``, such
        as an idempotency key), all at once and only if the account is still at the version
        read. Returns the account as written, or None when another change came first
        (nothing is written: load again and retry)."""
        write, after = _write_of(loaded, event_rows, now, self._uow.cipher, inserts)
        return after if await self._uow.dialect.write(self._uow.conn, write) else None

    # --- reads --------------------------------------------------------------------------

    async def get(self, principal: Principal, id_: str) -> Account | None:
        """The account if the principal may see it (``visibility.account_clause``)."""
        row = await self._uow.conn.execute(
            _by_id(principal.is_creditor),
            {"id": id_, "organization_id": principal.organization_id},
        )
        found = row.mappings().first()
        return records.account_of(found) if found is not None else None

    async def get_many(self, principal: Principal, ids: Sequence[str]) -> dict[str, Account]:
        rows = await self._uow.conn.execute(
            sa.select(accounts).where(accounts.c.id.in_(list(ids)), account_clause(principal))
        )
        return {r["id"]: records.account_of(r) for r in rows.mappings()}

    async def by_reference(self, principal: Principal, reference: str) -> Account | None:
        """By the creditor's reference: the caller's own for a creditor; any assigned for an
        agency. The reference is normalized as on placement; an account stored under the
        normal form wins over one stored under the exact form given. None when several
        accounts match (an agency may hold the same reference from two creditors)."""
        forms = _reference_forms(reference)
        normal_first = sa.case((accounts.c.reference == forms[0], 0), else_=1)
        rows = await self._uow.conn.execute(
            sa.select(accounts)
            .where(accounts.c.reference.in_(forms), account_clause(principal))
            .order_by(normal_first, accounts.c.id)
            .limit(2)
        )
        found = rows.mappings().all()
        if not found or (len(found) == 2 and found[0]["reference"] == found[1]["reference"]):
            return None
        return records.account_of(found[0])

    async def page(
        self, principal: Principal, f: AccountFilter, *, before_id: str | None, limit: int
    ) -> list[Account]:
        """Newest first; ``before_id`` is the cursor (the last id of the previous page)."""
        rows = await self._uow.conn.execute(_page_query(principal, f, before_id, limit))
        return [records.account_of(r) for r in rows.mappings()]

    async def count(self, principal: Principal, f: AccountFilter) -> Count:
        """How many accounts match ``f``. By status, agency and country: summed from the
        counts read model (``hub.store.counts``), exact, in time independent of the number
        of accounts. With a reference: exact (at most two match). With a placed-at range:
        the matching accounts counted up to ``COUNT_CAP``, and ``capped`` if there are more.
        """
        if f.placed_after is None and f.placed_before is None and f.reference is None:
            total = await counts.count(
                self._uow.conn,
                principal,
                statuses=f.statuses,
                agency_id=f.agency_id,
                country=f.country,
            )
            return Count(total, capped=False)
        sub = _filtered(principal, f).with_only_columns(accounts.c.id).limit(COUNT_CAP + 1)
        found = await self._uow.conn.scalar(sa.select(sa.func.count()).select_from(sub.subquery()))
        return Count(min(int(found or 0), COUNT_CAP), capped=int(found or 0) > COUNT_CAP)

    async def contacts(self, account_id: str) -> list[ContactAttempt]:
        """Every contact of the account, oldest first."""
        rows = await self._uow.conn.execute(
            sa.select(contact_attempts)
            .where(contact_attempts.c.account_id == account_id)
            .order_by(contact_attempts.c.occurred_at, contact_attempts.c.id)
        )
        return [records.contact_of(r) for r in rows.mappings()]

    async def open_of_customer(self, principal: Principal, customer_id: str) -> list[str]:
        """The ids of the customer's open accounts that the principal sees."""
        ids = await self._uow.conn.scalars(
            sa.select(accounts.c.id)
            .where(
                accounts.c.customer_id == customer_id,
                accounts.c.status.in_([s.value for s in OPEN]),
                account_clause(principal),
            )
            .order_by(accounts.c.id)
        )
        return list(ids)


#: A count the read model cannot answer (a placed-at range) stops here.
COUNT_CAP = 10_000


@dataclass(frozen=True, slots=True)
class Count:
    """A number of accounts; ``capped``: at least this many (``COUNT_CAP``), maybe more."""

    value: int
    capped: bool


@dataclass(frozen=True, slots=True)
class AccountFilter:
    statuses: Sequence[str] | None = None
    agency_id: str | None = None
    country: str | None = None
    placed_after: dt.datetime | None = None
    placed_before: dt.datetime | None = None
    reference: str | None = None


@functools.cache
def _by_id(as_creditor: bool) -> sa.Select[Any]:
    """The caller's account by id, built once (no per-call statement construction)."""
    return sa.select(accounts).where(
        accounts.c.id == sa.bindparam("id", type_=sa.String()),
        account_owner(as_creditor) == sa.bindparam("organization_id", type_=sa.String()),
    )


def _reference_forms(reference: str) -> list[str]:
    """What a reference lookup matches: the normal form, and the reference exactly as given
    (accounts placed before references were normalized keep the form they were sent in)."""
    return list(dict.fromkeys((normalize_reference(reference), reference)))


_ALL_STATUSES = tuple(status.value for status in AccountStatus)


def _page_query(
    principal: Principal, f: AccountFilter, before_id: str | None, limit: int
) -> sa.Select[Any]:
    """A page, newest first, as index scans that stop after the page.

    Every filter but the placed-at range is an equality on an index before the id
    (``tables.Account``): the owner, then the agency or the country, then the status. A
    page without a status filter, or with several states, is read as one scan per state
    (each at most a page, ids only), merged, and the page's rows read by id: so the status
    always completes the index's prefix and the rows come out in id order, and the owner
    needs no index of its own on (owner, id). A placed-at range is a filter on those scans:
    it reads the newer accounts outside the range too. A reference is one or two rows of the
    owner's reference index.
    """
    statuses = list(f.statuses) if f.statuses else list(_ALL_STATUSES)
    if len(statuses) == 1 or f.reference is not None:
        return _newest(_filtered(principal, f), before_id, limit)
    parts = [
        sa.select(
            _newest(_filtered(principal, f, [status]), before_id, limit)
            .with_only_columns(accounts.c.id)
            .subquery()
        )
        for status in statuses
    ]
    merged = sa.union_all(*parts).subquery()
    page = sa.select(merged.c.id).order_by(merged.c.id.desc()).limit(limit).subquery()
    return sa.select(accounts).join(page, page.c.id == accounts.c.id).order_by(accounts.c.id.desc())


def _newest(query: sa.Select[Any], before_id: str | None, limit: int) -> sa.Select[Any]:
    if before_id is not None:
        query = query.where(accounts.c.id < before_id)
    return query.order_by(accounts.c.id.desc()).limit(limit)


def _filtered(
    principal: Principal, f: AccountFilter, statuses: Sequence[str] | None = None
) -> sa.Select[Any]:
    query = sa.select(accounts).where(account_clause(principal))
    statuses = statuses or f.statuses
    if statuses:
        query = query.where(accounts.c.status.in_(list(statuses)))
    if f.agency_id is not None:
        query = query.where(accounts.c.agency_id == f.agency_id)
    if f.country is not None:
        query = query.where(accounts.c.country == f.country)
    if f.placed_after is not None:
        query = query.where(accounts.c.placed_at >= f.placed_after)
    if f.placed_before is not None:
        query = query.where(accounts.c.placed_at < f.placed_before)
    if f.reference is not None:
        query = query.where(accounts.c.reference.in_(_reference_forms(f.reference)))
    return query


async def _load(
    conn: AsyncConnection,
    cipher: FieldCipher,
    principal: Principal,
    id_: str,
    target: Target | None,
) -> Loaded | None:
    found = await conn.execute(
        _load_query(principal.is_creditor, target),
        {"id": id_, "organization_id": principal.organization_id},
    )
    row = found.mappings().first()
    if row is None:
        return None
    account = records.account_of(row)
    plan_row = _prefixed(row, payment_plans, "plan_")
    dispute_row = _prefixed(row, disputes, "dispute_")
    hold_row = _prefixed(row, holds, "hold_")
    collection = CollectionAccount(
        account,
        plan=records.plan_of(plan_row) if plan_row else None,
        paid_on_plan_minor=int(row["paid_on_plan"] or 0),
        pending_minor=int(row["pending_minor"]),
        paid_minor=int(row["paid_minor"]),
        dispute=records.dispute_of(dispute_row, cipher) if dispute_row else None,
        hold=records.hold_of(hold_row, cipher) if hold_row else None,
    )
    loaded = Loaded(collection, read={account.id: account}, test_clock_id=row.get("test_clock_id"))
    for item in (collection.plan, collection.dispute, collection.hold):
        if item is not None:
            loaded.read[item.id] = item
    if target is not None:
        table = _TARGET_TABLES[target]
        target_row = _prefixed(row, table, "target_")
        assert target_row is not None
        known = loaded.read.get(target_row["id"])
        target_item: Item = (
            known
            if known is not None and not isinstance(known, Account)
            else _item(table, target_row, cipher)
        )
        loaded.target = target_item
        loaded.read[target_item.id] = target_item
    return loaded


@functools.cache
def _history_queries() -> tuple[sa.Select[Any], sa.Select[Any]]:
    account_id = sa.bindparam("account_id", type_=sa.String())
    paid = sa.select(payments).where(
        payments.c.account_id == account_id, payments.c.status == PaymentStatus.SUCCEEDED.value
    )
    contacts = sa.select(contact_attempts).where(contact_attempts.c.account_id == account_id)
    return paid, contacts


async def _load_history(conn: AsyncConnection, loaded: Loaded) -> None:
    paid, contacts = _history_queries()
    parameters = {"account_id": loaded.collection.account.id}
    payment_rows = (await conn.execute(paid, parameters)).mappings()
    contact_rows = (await conn.execute(contacts, parameters)).mappings()
    loaded.collection.history = History(
        payments=[records.payment_of(r) for r in payment_rows],
        contacts=[records.contact_of(r) for r in contact_rows],
    )


def _write_of(
    loaded: Loaded,
    event_rows: Sequence[Mapping[str, Any]],
    now: dt.datetime,
    cipher: FieldCipher,
    inserts: Sequence[tuple[sa.Table, Mapping[str, Any]]],
) -> tuple[Write, Account]:
    """The rows a change writes (the account's changed columns under its version guard,
    the items it added and the changed columns of those it changed, its events), and the
    account as it will be."""
    collection = loaded.collection
    before = loaded.read[collection.account.id]
    assert isinstance(before, Account)
    after = dataclasses.replace(
        collection.account, version=before.version + len(event_rows), updated_at=now
    )
    values = records.changed_columns(before, after, records.account_row(after))
    rows: list[tuple[sa.Table, Mapping[str, Any]]] = [*counts.moved(before, after)]
    updates: list[tuple[sa.Table, str, Mapping[str, Any]]] = []
    for item in collection.written.values():
        row = records.row_of(item, cipher)
        old = loaded.read.get(item.id)
        if old is None:
            rows.append((records.table_of(item), row))
        elif changed := records.changed_columns(old, item, row):
            updates.append((records.table_of(item), item.id, changed))
        if isinstance(item, Payment):
            rows += counts.paid(old if isinstance(old, Payment) else None, item, after)
    guard = Guard(after.id, before.version, values)
    return Write(guard, [*rows, *inserts], updates, event_rows), after
