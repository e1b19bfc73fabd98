"""Placing accounts in storage: the customers upserted, the accounts inserted and routed.

A batch's customers are inserted or updated in one statement (the latest details sent for a
customer win; opt-outs are replaced only when the placement gives them, so they outlive
placements); its accounts in another, which assigns each its agency by the routing rules
(``hub.store.routing``) in the same statement when the batch is small.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.domain.account import Account, AccountStatus
from hub.domain.customer import Customer
from hub.domain.ids import new_id
from hub.domain.placement import CustomerDetails, Placement
from hub.domain.vocabulary import ContactChannel
from hub.store import counts, json_rows, records, routing, writes
from hub.store import customer_knowledge as knowledge
from hub.store.customers import customer_key
from hub.store.dialect import Dialect
from hub.store.session import Session
from hub.store.tables import accounts, customers
from hub.store.writes import Write, WriteConflict

# Up to this many rows of one (country, product), the INSERT routes the rows itself.
_INLINE_ROUTING_ROWS = 5
#: What a placement sets of its customer, and what it changes of a known one.
_CUSTOMER_CHANGED = ("name_enc", "email_enc", "phone_enc", "country", "language", "timezone")
_CUSTOMER_COLUMNS = frozenset(
    {"id", "creditor_id", "reference", *_CUSTOMER_CHANGED, "opted_out_channels"}
    | {"created_at", "updated_at"}
)
#: The account's columns a placement sets from what was sent (``_account_row``, beside
#: its customer; routing gives agency, version and experiment).
_ACCOUNT_COLUMNS = frozenset(
    {"id", "creditor_id", "reference", "product", "currency", "original_amount_minor"}
    | {"balance_minor", "due_date", "status", "resume_status", "country", "metadata"}
    | {"sandbox_tag", "placed_at", "updated_at", "agency_reference", "acknowledged_at"}
    | {"closed_at", "test_clock_id"}
)


class ReferenceTaken(WriteConflict):
    """An insert met a reference already placed (by a concurrent placement, or one that was
    not checked first); the caller rolls back and places again, checking references first."""


@dataclass(frozen=True, slots=True)
class Placed:
    """A placed account (with the agency it was routed to) and its customer, as placed."""

    account: Account
    customer: Customer
    #: The experiment of the split rule that chose the agency, if one did.
    experiment_id: str | None = None


class NotInOneStatement(Exception):
    """This placement cannot be written in one statement (a split rule routes it, its
    reference is taken, or its customer was placed meanwhile): nothing was written, so
    the caller places it in a transaction instead."""


@dataclass(frozen=True, slots=True)
class Planned:
    """A single placement read ahead of its one-statement write: the account routed, its
    customer's id (the stored one, or a new one), and the rows to write."""

    placed: Placed
    customer_row: dict[str, Any]
    account_row: dict[str, Any]


class Placements:
    """The placements repository of a unit of work."""

    def __init__(self, uow: Session) -> None:
        self._uow = uow

    async def taken_references(self, creditor_id: str, references: set[str]) -> set[str]:
        """References among ``references`` that the creditor already placed."""
        rows = await self._uow.conn.execute(
            _taken_references_query(self._uow.dialect),
            {"creditor_id": creditor_id, "references": list(references)},
        )
        return set(rows.scalars())

    async def insert(
        self, creditor_id: str, placements: Sequence[Placement], now: dt.datetime
    ) -> list[Placed]:
        """Insert the accounts of ``placements`` (references already checked in the
        batch) and their customers; raises ``ReferenceTaken`` if a reference was placed
        before (then the caller rolls back)."""
        customer_of = await self._upsert_customers(creditor_id, placements, now)
        await knowledge.remember(
            self._uow,
            [
                (
                    customer_of[p.customer.reference].id,
                    p.customer.date_of_birth,
                    p.customer.postcode,
                )
                for p in placements
                if p.customer.date_of_birth is not None or p.customer.postcode is not None
            ],
            now,
        )
        rows = [
            _account_row(creditor_id, p, customer_of[p.customer.reference].id, now)
            for p in placements
        ]
        routed = await self._insert_accounts(creditor_id, rows)
        if len(routed) != len(rows):
            raise ReferenceTaken()
        placed = []
        for row, p in zip(rows, placements, strict=True):
            agency, experiment = routed[row["id"]]
            row.update(agency_id=agency, version=1 if agency is None else 2)
            account = records.account_of(row)
            placed.append(Placed(account, customer_of[p.customer.reference], experiment))
        return placed

    async def plan_one(self, creditor_id: str, p: Placement, now: dt.datetime) -> Planned:
        """PostgreSQL, outside a transaction: read what a single placement's one-statement
        write needs (its customer's id if known, its agency); raises ``NotInOneStatement``
        if it cannot be written so."""
        parameters = {
            "pl_creditor_id": creditor_id,
            "pl_customer": p.customer.reference,
            "pl_reference": p.reference,
            **routing.route_parameters(creditor_id, p.customer.country, p.product.value, "pr"),
            **routing.route_parameters(creditor_id, p.customer.country, p.product.value, "pe"),
        }
        found = (await self._uow.conn.execute(_plan_query(), parameters)).one()
        customer_id, agency, experiment, taken = found
        if taken or experiment is not None:
            raise NotInOneStatement()
        customer = self._customer_row(creditor_id, p.customer, now)
        if customer_id is not None:
            customer["id"] = customer_id
        row = _account_row(creditor_id, p, customer["id"], now)
        row.update(agency_id=agency, version=1 if agency is None else 2, experiment_id=None)
        stored = _customer_of(creditor_id, p.customer, customer["id"], now, None, now)
        return Planned(Placed(records.account_of(row), stored), customer, row)

    async def write_one(self, planned: Planned, write: Write) -> Customer:
        """The planned customer upsert and account insert, and ``write`` (its events and
        read model rows), in one statement that commits on its own; the customer as
        stored. ``NotInOneStatement`` (nothing written) if the reference or the customer
        was placed since ``plan_one`` read them."""
        parameters = {
            **{f"pc_{name}": value for name, value in planned.customer_row.items()},
            **{f"pa_{name}": value for name, value in planned.account_row.items()},
        }
        try:
            created_at, channels = await writes.write_led(
                self._uow.conn, write, _one_statement_lead, parameters
            )
        except writes.LeadRefused:
            raise NotInOneStatement() from None
        c = planned.placed.customer
        return dataclasses.replace(
            c,
            created_at=created_at,
            opted_out_channels=tuple(ContactChannel(x) for x in channels or ()),
        )

    def counted(self, placed: Sequence[Placed]) -> list[tuple[sa.Table, dict[str, Any]]]:
        """The rows that add placed accounts to the counts read model, for their write."""
        return counts.placed(p.account for p in placed)

    async def _upsert_customers(
        self, creditor_id: str, placements: Sequence[Placement], now: dt.datetime
    ) -> dict[str, Customer]:
        details = {p.customer.reference: p.customer for p in placements}
        rows = [self._customer_row(creditor_id, c, now) for c in details.values()]
        conn, dialect = self._uow.conn, self._uow.dialect
        upsert = functools.partial(_customer_upsert, dialect)
        stored = await _write_rows(conn, dialect, upsert, _customer_rows_upsert, "c_rows", rows)
        return {
            ref: _customer_of(creditor_id, details[ref], id_, created_at, channels, now)
            for ref, id_, created_at, channels in stored
        }

    def _customer_row(
        self, creditor_id: str, c: CustomerDetails, now: dt.datetime
    ) -> dict[str, Any]:
        cipher = self._uow.cipher
        key = customer_key(creditor_id, c.reference)
        return {
            "id": new_id("cus"),
            "creditor_id": creditor_id,
            "reference": c.reference,
            "name_enc": cipher.encrypt(c.name, key, "name"),
            "email_enc": cipher.encrypt_optional(c.email, key, "email"),
            "phone_enc": cipher.encrypt_optional(c.phone, key, "phone"),
            "country": c.country,
            "language": c.language,
            "timezone": c.timezone,
            "opted_out_channels": list(c.opted_out_channels)
            if c.opted_out_channels is not None
            else None,
            "created_at": now,
            "updated_at": now,
        }

    async def _insert_accounts(
        self, creditor_id: str, rows: list[dict[str, Any]]
    ) -> dict[str, tuple[str | None, str | None]]:
        """Insert the rows, routed; the (agency, experiment) of each row written, by id."""
        conn, dialect = self._uow.conn, self._uow.dialect
        combinations = {(row["country"], row["product"]) for row in rows}
        if len(combinations) == 1 and len(rows) <= _INLINE_ROUTING_ROWS:
            # Few rows: let the INSERT route them itself, saving the round trip of a lookup.
            parameters = [
                {
                    **row,
                    **{
                        key: value
                        for name in ("route", "route_v", "route_e")
                        for key, value in routing.route_parameters(
                            creditor_id, row["country"], row["product"], name
                        ).items()
                    },
                }
                for row in rows
            ]
            inserted = await conn.execute(_account_insert(dialect, True), parameters)
            routed = {id_: (agency, experiment) for id_, agency, experiment in inserted}
            if any(experiment for _, experiment in routed.values()):
                await self._choose_arms(creditor_id, rows, routed)
            return routed
        # Many rows: route each (country, product) combination once, then insert.
        routes = await routing.routes_many(conn, creditor_id, sorted(combinations))
        for row in rows:
            route = routes[(row["country"], row["product"])]
            agency_id = route.agency_for(creditor_id, row["customer_id"])
            row.update(
                agency_id=agency_id,
                version=1 if agency_id is None else 2,
                experiment_id=route.experiment_id,
            )
        insert = functools.partial(_account_insert, dialect, False)
        inserted = await _write_rows(conn, dialect, insert, _account_rows_insert, "a_rows", rows)
        return {id_: (agency, experiment) for id_, agency, experiment in inserted}

    async def _choose_arms(
        self,
        creditor_id: str,
        rows: list[dict[str, Any]],
        routed: dict[str, tuple[str | None, str | None]],
    ) -> None:
        """Rows a split rule routed (to its first arm, in SQL) go to their customer's arm."""
        conn = self._uow.conn
        experiments = {e for _, e in routed.values() if e is not None}
        split = await routing.splits(conn, creditor_id, sorted(experiments))
        moved: dict[str, list[str]] = {}
        for row in rows:
            agency, experiment = routed.get(row["id"], (None, None))
            if experiment is None or experiment not in split:
                continue
            arm = split[experiment].agency_for(creditor_id, row["customer_id"])
            routed[row["id"]] = (arm, experiment)
            if arm != agency and arm is not None:
                moved.setdefault(arm, []).append(row["id"])
        for arm, ids in moved.items():
            await conn.execute(
                accounts.update().where(accounts.c.id.in_(ids)).values(agency_id=arm)
            )


async def _write_rows(
    conn: AsyncConnection,
    dialect: Dialect,
    by_row: Callable[[], Any],
    as_json: Callable[[], Any],
    name: str,
    rows: list[dict[str, Any]],
) -> Any:
    """Execute a batch's write: ``by_row()`` with the rows on SQLite; on PostgreSQL
    ``as_json()`` with the rows as one JSON parameter ``name`` (``hub.store.json_rows``)."""
    if dialect.is_sqlite:
        return await conn.execute(by_row(), rows)
    return await conn.execute(as_json(), {name: json_rows.parameter(rows)})


def _customer_of(
    creditor_id: str,
    c: CustomerDetails,
    id_: str,
    created_at: dt.datetime,
    channels: Sequence[str] | None,
    now: dt.datetime,
) -> Customer:
    """The customer as placed (plaintext), with what the database kept or gave it."""
    return Customer(
        id=id_,
        creditor_id=creditor_id,
        reference=c.reference,
        name=c.name,
        email=c.email,
        phone=c.phone,
        country=c.country,
        language=c.language,
        timezone=c.timezone,
        opted_out_channels=tuple(ContactChannel(x) for x in channels or ()),
        created_at=created_at,
        updated_at=now,
    )


def _account_row(
    creditor_id: str, p: Placement, customer_id: str, now: dt.datetime
) -> dict[str, Any]:
    return {
        "id": new_id("acc"),
        "creditor_id": creditor_id,
        "reference": p.reference,
        "customer_id": customer_id,
        "product": p.product.value,
        "currency": p.balance.currency,
        "original_amount_minor": p.original_amount.amount_minor,
        "balance_minor": p.balance.amount_minor,
        "due_date": p.due_date,
        "status": AccountStatus.PLACED.value,
        "resume_status": None,
        "country": p.customer.country,
        "metadata": p.metadata,
        "sandbox_tag": p.sandbox_tag,
        "test_clock_id": p.test_clock_id,
        "placed_at": now,
        "updated_at": now,
        "agency_reference": None,
        "acknowledged_at": None,
        "closed_at": None,
    }


@functools.cache
def _taken_references_query(dialect: Dialect) -> sa.Select[Any]:
    """References a creditor already placed, among some. Built once per dialect."""
    return sa.select(accounts.c.reference).where(
        accounts.c.creditor_id == sa.bindparam("creditor_id"),
        dialect.one_of(accounts.c.reference, "references"),
    )


@functools.cache
def _account_insert(dialect: Dialect, inline_routing: bool) -> Any:
    """Insert accounts; returns the id and agency of each row written.

    A reference that already exists is skipped, not an error: the rows that come back are
    the ones written, so the caller sees duplicates without a failed statement. With
    ``inline_routing`` the statement assigns each row its agency by the routing rules;
    otherwise the rows carry ``agency_id``, ``version`` and ``experiment_id``.
    """
    statement = dialect.insert(accounts)
    if inline_routing:
        agency = routing.agency_for_account("route")
        # The version is the account's event count: placed, and assigned if an agency
        # matched. (Each use of the rule needs its own parameters in a batched insert.)
        version = sa.case((routing.agency_for_account("route_v").is_(None), 1), else_=2)
        experiment = routing.experiment_for_account("route_e")
        statement = statement.values(agency_id=agency, version=version, experiment_id=experiment)
    return _routed_insert(statement)


@functools.cache
def _account_rows_insert() -> Any:
    """PostgreSQL: ``_account_insert`` of routed rows bound as one JSON parameter
    (``a_rows``, ``hub.store.json_rows``); an account without metadata keeps the JSON
    ``null`` the row-by-row insert stores."""
    names = [*sorted(_ACCOUNT_COLUMNS), "customer_id", "agency_id", "version", "experiment_id"]
    rows = json_rows.rows_of(accounts, names, "a_rows", json_null=("metadata",))
    return _routed_insert(postgresql.insert(accounts).from_select(names, rows))


def _routed_insert(statement: Any) -> Any:
    return statement.on_conflict_do_nothing(
        index_elements=[accounts.c.creditor_id, accounts.c.reference]
    ).returning(accounts.c.id, accounts.c.agency_id, accounts.c.experiment_id)


@functools.cache
def _customer_upsert(dialect: Dialect) -> Any:
    """Insert new customers, update known ones (by creditor and reference), return their ids."""
    return _upserted(dialect.insert(customers))


@functools.cache
def _customer_rows_upsert() -> Any:
    """PostgreSQL: ``_customer_upsert`` of rows bound as one JSON parameter (``c_rows``)."""
    names = sorted(_CUSTOMER_COLUMNS)
    rows = json_rows.rows_of(customers, names, "c_rows")
    return _upserted(postgresql.insert(customers).from_select(names, rows))


def _upserted(statement: Any) -> Any:
    changed = _CUSTOMER_CHANGED
    # Opt-outs are only replaced when the placement gives them (they outlive placements).
    consent = sa.func.coalesce(
        statement.excluded["opted_out_channels"], customers.c.opted_out_channels
    )
    return statement.on_conflict_do_update(
        index_elements=[customers.c.creditor_id, customers.c.reference],
        set_={
            **{name: statement.excluded[name] for name in (*changed, "updated_at")},
            "opted_out_channels": consent,
        },
    ).returning(
        customers.c.reference,
        customers.c.id,
        customers.c.created_at,
        customers.c.opted_out_channels,
    )


@functools.cache
def _plan_query() -> sa.Select[Any]:
    """A single placement's customer id (if known), agency and split experiment by the
    routing rules, and whether its reference is taken: one read."""
    creditor = sa.bindparam("pl_creditor_id", type_=sa.String())
    customer = (
        sa.select(customers.c.id)
        .where(
            customers.c.creditor_id == creditor,
            customers.c.reference == sa.bindparam("pl_customer", type_=sa.String()),
        )
        .scalar_subquery()
    )
    taken = sa.exists().where(
        accounts.c.creditor_id == creditor,
        accounts.c.reference == sa.bindparam("pl_reference", type_=sa.String()),
    )
    return sa.select(
        customer,
        routing.agency_for_account("pr"),
        routing.experiment_for_account("pe"),
        taken,
    )


@functools.cache
def _one_statement_lead() -> tuple[list[Any], Any, list[Any]]:
    """The head of a single placement's one statement (``writes.Lead``): the customer
    upserted (``pc_`` parameters), the account inserted (``pa_``); the check holds if the
    account was written and the customer is the one planned; returns the customer's
    creation time and opt-outs."""
    insert = postgresql.insert(customers).values(
        {
            c.name: sa.bindparam(f"pc_{c.name}", type_=c.type)
            for c in customers.c
            if c.name in _CUSTOMER_COLUMNS
        }
    )
    upsert = insert.on_conflict_do_update(
        index_elements=[customers.c.creditor_id, customers.c.reference],
        set_={
            **{name: insert.excluded[name] for name in (*_CUSTOMER_CHANGED, "updated_at")},
            "opted_out_channels": sa.func.coalesce(
                insert.excluded["opted_out_channels"], customers.c.opted_out_channels
            ),
        },
    ).returning(customers.c.id, customers.c.created_at, customers.c.opted_out_channels)
    customer = upsert.cte("placed_customer")
    names = [*_ACCOUNT_COLUMNS, "customer_id", "agency_id", "version", "experiment_id"]
    account = (
        postgresql.insert(accounts)
        .values({name: sa.bindparam(f"pa_{name}", type_=accounts.c[name].type) for name in names})
        .on_conflict_do_nothing(index_elements=[accounts.c.creditor_id, accounts.c.reference])
        .returning(accounts.c.id)
        .cte("placed_account")
    )
    planned = sa.bindparam("pa_customer_id", type_=sa.String())
    written = sa.select(sa.func.count()).select_from(account).scalar_subquery()
    same = (
        sa.select(sa.func.count())
        .select_from(customer)
        .where(customer.c.id == planned)
        .scalar_subquery()
    )
    returned = [
        sa.select(customer.c.created_at).scalar_subquery(),
        sa.select(customer.c.opted_out_channels).scalar_subquery(),
    ]
    return [customer, account], written * same, returned
