"""Account use cases: place (one or a batch), recall, adjust the balance, and reads."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.auth.tokens import Principal
from hub.domain import events as events_catalogue
from hub.domain.account import AccountStatus, check_adjusted_balance
from hub.domain.errors import DomainError, Problem
from hub.domain.money import Money
from hub.domain.placement import (
    MAX_BATCH,
    Placement,
    normalize_placement,
    normalize_reference,
    validate_placement,
)
from hub.services import events as event_log
from hub.services import idempotency
from hub.services.context import ServiceContext
from hub.services.customers import customer_key
from hub.services.visibility import account_clause, account_owner
from hub.store import routing
from hub.store.ids import new_id
from hub.store.tables import accounts, customers, idempotency_keys, payments

Row = Mapping[Any, Any]
_T = TypeVar("_T")
_WRITE_ATTEMPTS = 6
#: The longest first pause before a retry; it doubles with each attempt (at most ~0.3 s in all).
_RETRY_PAUSE_SECONDS = 0.005
# Up to this many rows of one (country, product), the INSERT routes the rows itself.
_INLINE_ROUTING_ROWS = 5


@dataclass
class PlacementOutcome:
    """What happened to one placement: the account, or the problems that stopped it."""

    account: Row | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    replayed: bool = False
    #: The customer as placed (plaintext), so callers can show it without reading it back.
    customer: Row | None = None


@dataclass(frozen=True, slots=True)
class AccountFilter:
    statuses: Sequence[str] | None = None
    agency_id: str | None = None
    country: str | None = None
    placed_after: dt.datetime | None = None
    placed_before: dt.datetime | None = None
    reference: str | None = None


async def place_accounts(
    ctx: ServiceContext, principal: Principal, placements: Sequence[Placement]
) -> list[PlacementOutcome]:
    """Place 1-500 accounts; each item succeeds or fails on its own, in one transaction.

    Good items are committed together; bad items are reported by index and write nothing.
    """
    if not 1 <= len(placements) <= MAX_BATCH:
        raise DomainError.of(
            "BATCH_SIZE_OUT_OF_RANGE", f"a batch holds 1 to {MAX_BATCH} accounts", "items"
        )
    if not principal.is_creditor:
        raise DomainError.of("CREDITOR_ONLY", "only a creditor places accounts")

    # The first attempt inserts straight away and lets the unique index find duplicate
    # references; if it finds any, the transaction is rolled back (so nothing, not even a
    # customer update, is written for them) and the next attempt checks references first.
    check_first = False

    async def attempt(conn: AsyncConnection) -> list[PlacementOutcome]:
        nonlocal check_first
        try:
            return await _place(conn, ctx, principal, placements, check_first)
        except _ReferenceTaken:
            check_first = True
            raise

    return await _retrying(ctx, attempt)


async def _retrying(
    ctx: ServiceContext,
    work: Callable[[AsyncConnection], Awaitable[_T]],
    unit: Callable[[], AbstractAsyncContextManager[AsyncConnection]] | None = None,
) -> _T:
    """Run ``work`` in a transaction (or ``unit``); retry when a concurrent writer won a
    uniqueness race or changed the account first. The next attempt's reads see the
    winner's rows and report the conflict as a problem. Retries wait a random few
    milliseconds, longer each time, so writers racing for one account spread out; an
    account that keeps changing under every attempt is ``CONCURRENT_CHANGE``.
    """
    for attempt in range(_WRITE_ATTEMPTS):
        try:
            async with (unit or ctx.db.transaction)() as conn:
                return await work(conn)
        except _VersionConflict as error:
            if attempt == _WRITE_ATTEMPTS - 1:
                raise DomainError.of(
                    "CONCURRENT_CHANGE",
                    "the account kept changing while this was written; try again",
                    "accountId",
                ) from error
        except (IntegrityError, _ReferenceTaken):
            if attempt == _WRITE_ATTEMPTS - 1:
                raise
        await asyncio.sleep(random.uniform(0, _RETRY_PAUSE_SECONDS * 2**attempt))
    raise AssertionError("unreachable")


class _VersionConflict(Exception):
    """The account changed between read and write; the whole use case is retried."""


class _ReferenceTaken(Exception):
    """An insert met an existing reference; the placement is retried, checking first."""


def _request_payload(p: Placement) -> dict[str, Any]:
    payload = dataclasses.asdict(p)
    payload.pop("idempotency_key")
    return payload


def _unhashable(outcome: PlacementOutcome) -> bool:
    """Metadata that is not valid JSON cannot be hashed; such a request was never stored."""
    return any(problem.code == "INVALID_METADATA" for problem in outcome.problems)


async def _place(
    conn: AsyncConnection,
    ctx: ServiceContext,
    principal: Principal,
    sent: Sequence[Placement],
    check_first: bool,
) -> list[PlacementOutcome]:
    org = principal.organization_id
    now = ctx.clock()
    outcomes = [PlacementOutcome(problems=validate_placement(p, now.date())) for p in sent]
    # References are kept and compared in normal form; the idempotency hash covers the
    # request as sent, so a retry is recognised by what the client sends again.
    placements = [normalize_placement(p) for p in sent]

    # Idempotency: replays return the first result; a changed request is refused.
    hashes: dict[int, str] = {}
    replay_of: dict[int, str] = {}  # index -> account id placed by the first request
    same_as: dict[int, int] = {}  # index -> earlier index in this batch with the same key
    keyed = {
        i: p.idempotency_key
        for i, p in enumerate(sent)
        if p.idempotency_key and not _unhashable(outcomes[i])
    }
    if keyed:
        stored = await idempotency.find(conn, org, set(keyed.values()))
        first_index: dict[str, int] = {}
        for i, key in keyed.items():
            hashes[i] = ctx.request_hasher("placeAccount", _request_payload(sent[i]))
            previous = stored.get(key)
            earlier = first_index.setdefault(key, i)
            if previous is not None:
                if ctx.request_hasher.matches(previous["request_hash"], hashes[i]):
                    replay_of[i] = previous["result"]["account_id"]
                    outcomes[i].problems.clear()
                else:
                    outcomes[i].problems.append(idempotency.reused_problem())
            elif earlier != i:
                if hashes[earlier] == hashes[i]:
                    same_as[i] = earlier
                else:
                    outcomes[i].problems.append(idempotency.reused_problem())

    fresh = [
        i
        for i, o in enumerate(outcomes)
        if not o.problems and i not in replay_of and i not in same_as
    ]
    # A reference is placed once per creditor: within the batch and against stored accounts.
    seen: set[str] = set()
    for i in fresh:
        ref = placements[i].reference
        if ref in seen:
            outcomes[i].problems.append(_duplicate(ref))
        seen.add(ref)
    if seen and check_first:
        taken_refs = await _taken_references(conn, org, seen)
        for i in fresh:
            if placements[i].reference in taken_refs and not outcomes[i].problems:
                outcomes[i].problems.append(_duplicate(placements[i].reference))
    fresh = [i for i in fresh if not outcomes[i].problems]
    if fresh:
        await _insert_placements(conn, ctx, principal, placements, outcomes, fresh, hashes, now)

    if replay_of:
        rows = await conn.execute(
            sa.select(accounts).where(
                accounts.c.creditor_id == org, accounts.c.id.in_(set(replay_of.values()))
            )
        )
        by_id = {r.id: r._mapping for r in rows}
        for i, account_id in replay_of.items():
            outcomes[i].account = by_id.get(account_id)
            outcomes[i].replayed = True
    for i, earlier in same_as.items():
        outcomes[i] = dataclasses.replace(outcomes[earlier], replayed=True)
    return outcomes


@functools.cache
def _taken_references_query(dialect: str) -> sa.Select[Any]:
    """References a creditor already placed, among some. Built once per dialect.

    PostgreSQL gets ``= ANY(array)``, far cheaper to bind than an expanding ``IN``.
    """
    references: sa.ColumnElement[bool]
    if dialect == "postgresql":
        array = sa.bindparam("references", type_=postgresql.ARRAY(sa.String()))
        references = accounts.c.reference == sa.func.any(array)
    else:
        references = accounts.c.reference.in_(sa.bindparam("references", expanding=True))
    return sa.select(accounts.c.reference).where(
        accounts.c.creditor_id == sa.bindparam("creditor_id"), references
    )


async def _taken_references(
    conn: AsyncConnection, creditor_id: str, references: set[str]
) -> set[str]:
    rows = await conn.execute(
        _taken_references_query(conn.dialect.name),
        {"creditor_id": creditor_id, "references": list(references)},
    )
    return set(rows.scalars())


@functools.cache
def _account_insert(dialect: str, inline_routing: bool) -> Any:
    """Insert accounts; returns the id and agency of each row written.

    A reference that already exists is skipped, not an error: the rows that come back are
    the ones written, so the caller sees duplicates without a failed statement. With
    ``inline_routing`` the statement assigns each row its agency by the routing rules
    (hub.store.routing); otherwise the rows carry ``agency_id`` and ``version``.
    """
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(accounts)
    if inline_routing:
        agency = routing.agency_for_account("route")
        # The version is the account's event count: placed, and assigned if an agency
        # matched. (Each use of the rule needs its own parameters in a batched insert.)
        version = sa.case((routing.agency_for_account("route_v").is_(None), 1), else_=2)
        statement = statement.values(agency_id=agency, version=version)
    return statement.on_conflict_do_nothing(
        index_elements=[accounts.c.creditor_id, accounts.c.reference]
    ).returning(accounts.c.id, accounts.c.agency_id)


@functools.cache
def _customer_upsert(dialect: str) -> Any:
    """Insert new customers, update known ones (by creditor and reference), return their ids."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(customers)
    changed = (
        "name_enc",
        "email_enc",
        "phone_enc",
        "country",
        "language",
        "timezone",
        "updated_at",
    )
    # Opt-outs are only replaced when the placement gives them (they outlive placements).
    consent = sa.func.coalesce(
        statement.excluded["opted_out_channels"], customers.c.opted_out_channels
    )
    return statement.on_conflict_do_update(
        index_elements=[customers.c.creditor_id, customers.c.reference],
        set_={
            **{name: statement.excluded[name] for name in changed},
            "opted_out_channels": consent,
        },
    ).returning(
        customers.c.reference,
        customers.c.id,
        customers.c.created_at,
        customers.c.opted_out_channels,
    )


def _duplicate(reference: str) -> Problem:
    return Problem(
        "DUPLICATE_REFERENCE",
        f"an account with reference {reference!r} was already placed",
        ("reference",),
    )


async def _insert_placements(
    conn: AsyncConnection,
    ctx: ServiceContext,
    principal: Principal,
    placements: Sequence[Placement],
    outcomes: list[PlacementOutcome],
    fresh: list[int],
    hashes: dict[int, str],
    now: dt.datetime,
) -> None:
    org = principal.organization_id
    cipher = ctx.cipher
    # The latest details sent for a customer win; one customer may owe several accounts.
    details = {placements[i].customer.reference: placements[i].customer for i in fresh}
    customer_rows = []
    for ref, c in details.items():
        key = customer_key(org, ref)
        customer_rows.append(
            {
                "id": new_id("cus"),
                "creditor_id": org,
                "reference": ref,
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
        )
    # Insert new customers and update known ones in one statement; the ids come back.
    upsert = _customer_upsert(conn.dialect.name)
    stored = await conn.execute(upsert, customer_rows)
    customer_ids: dict[str, str] = {}
    created: dict[str, dt.datetime] = {}
    opted_out: dict[str, list[str]] = {}
    for ref, cid, created_at, channels in stored:
        customer_ids[ref] = cid
        created[ref] = created_at
        opted_out[ref] = channels or []

    account_rows: list[dict[str, Any]] = []
    for i in fresh:
        p = placements[i]
        account = {
            "id": new_id("acc"),
            "creditor_id": org,
            "reference": p.reference,
            "customer_id": customer_ids[p.customer.reference],
            "product": p.product.value,
            "currency": p.balance.currency,
            "original_amount_minor": p.original_amount.amount_minor,
            "balance_minor": p.balance.amount_minor,
            "due_date": p.due_date,
            "status": AccountStatus.PLACED.value,
            "resume_status": None,
            "country": p.customer.country,
            "metadata": p.metadata,
            "placed_at": now,
            "updated_at": now,
        }
        account_rows.append(account)
    combinations = {(row["country"], row["product"]) for row in account_rows}
    if len(combinations) == 1 and len(account_rows) <= _INLINE_ROUTING_ROWS:
        # Few rows: let the INSERT route them itself, saving the round trip of a lookup.
        inserted = await conn.execute(
            _account_insert(conn.dialect.name, inline_routing=True),
            [
                {
                    **row,
                    **routing.route_parameters(org, row["country"], row["product"], "route"),
                    **routing.route_parameters(org, row["country"], row["product"], "route_v"),
                }
                for row in account_rows
            ],
        )
    else:
        # Many rows: route each (country, product) combination once, then insert.
        routes = await routing.route_many(conn, org, sorted(combinations))
        for row in account_rows:
            agency_id = routes[(row["country"], row["product"])]
            row["agency_id"] = agency_id
            row["version"] = 1 if agency_id is None else 2
        inserted = await conn.execute(
            _account_insert(conn.dialect.name, inline_routing=False), account_rows
        )
    agencies: dict[str, str | None] = {row[0]: row[1] for row in inserted}
    if len(agencies) != len(account_rows):
        raise _ReferenceTaken()

    event_rows: list[dict[str, Any]] = []
    key_rows: list[dict[str, Any]] = []
    for i, account in zip(fresh, account_rows, strict=True):
        p = placements[i]
        agency = agencies[account["id"]]
        account["agency_id"] = None
        account["version"] = 1
        placed = event_log.account_event(events_catalogue.ACCOUNT_PLACED, account, 1, now)
        event_rows.append(placed)
        if agency is None:
            outcomes[i].warnings.append(
                Problem(
                    "ROUTING_NO_AGENCY",
                    "no routing rule matches this account; it stays unassigned",
                    (),
                )
            )
        else:
            account["agency_id"] = agency
            account["version"] = 2
            # The agency sees the account's whole history, placement included.
            placed["agency_id"] = agency
            event_rows.append(
                event_log.account_event(
                    events_catalogue.ACCOUNT_ASSIGNED, account, 2, now, agencyId=agency
                )
            )
        outcomes[i].account = account
        c = p.customer
        outcomes[i].customer = {
            "id": account["customer_id"],
            "creditor_id": org,
            "reference": c.reference,
            "pii_visible": True,  # the creditor placing it
            "name": c.name,
            "email": c.email,
            "phone": c.phone,
            "country": c.country,
            "language": c.language,
            "timezone": c.timezone,
            "opted_out_channels": opted_out[c.reference],
            "created_at": created[c.reference],
            "updated_at": now,
        }
        if p.idempotency_key:
            key_rows.append(
                idempotency.record(
                    org,
                    p.idempotency_key,
                    "placeAccount",
                    hashes[i],
                    {"account_id": account["id"]},
                    now,
                )
            )

    await event_log.append(conn, event_rows)
    await idempotency.save(conn, key_rows)


# --- changes to one account ---------------------------------------------------------------


@dataclass
class Change:
    """What a use case does to one account: new column values and the events it emits.

    Events are written in order, each taking the next per-account sequence; they all show
    the account as it is after the whole change. ``result`` names what the change created
    (e.g. ``{"payment_id": ...}``); it is kept with the idempotency key for replays.
    """

    values: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    #: Event types among ``events`` that only the creditor sees (e.g. rehabilitation).
    creditor_only: frozenset[str] = frozenset()
    #: Rows the change wrote, by table, so callers can show them without reading them back.
    rows: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    #: New rows written with the account and its events (one statement on PostgreSQL).
    #: Reads later in the same change do not see them: see ``pending``.
    inserts: list[tuple[sa.Table, Mapping[str, Any]]] = field(default_factory=list)

    def emit(self, type_: str, **extra: Any) -> None:
        self.events.append((type_, extra))

    def insert(self, table: sa.Table, row: Mapping[str, Any]) -> None:
        """Write ``row`` into ``table`` when the change is written."""
        self.inserts.append((table, row))

    def pending(self, table: sa.Table) -> list[Mapping[str, Any]]:
        """Rows of ``table`` this change will insert (not yet in the database)."""
        return [row for into, row in self.inserts if into is table]


@dataclass(frozen=True)
class Applied:
    """The account after a change, and what the change created."""

    account: Row
    result: Mapping[str, Any]
    #: The rows the change wrote (empty for an idempotent replay: read them by ``result``).
    rows: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


ChangeFn = Callable[[AsyncConnection, Row, dt.datetime], Awaitable[Change]]


async def change_account(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    operation: str,
    payload: dict[str, Any],
    idempotency_key: str | None,
    change: ChangeFn,
    *,
    read_along: sa.Select[Any] | None = None,
) -> Applied:
    """Load the caller's account, apply ``change``, write it with its events, atomically.

    The account must be the caller's own: the creditor's for a creditor, assigned to the
    agency for an agency (anything else is ``NOT_FOUND``). ``change`` may write other
    tables on ``conn``; a concurrent change of the same account retries the whole use case.

    ``read_along``: a one-row query of what ``change`` needs besides the account (with an
    ``account_id`` bind parameter), read in the same round trip; ``change`` finds its
    columns in the account row as ``along_<name>``.
    """
    org = principal.organization_id
    hash_ = ctx.request_hasher(operation, payload)

    async def attempt(conn: AsyncConnection) -> Applied:
        if idempotency_key:
            stored = (await idempotency.find(conn, org, [idempotency_key])).get(idempotency_key)
            if stored is not None:
                same = ctx.request_hasher.matches(stored["request_hash"], hash_)
                if not same or stored["operation"] != operation:
                    raise DomainError((idempotency.reused_problem(),))
                result = stored["result"]
                replay = await get_account(conn, principal, result["account_id"])
                if replay is None:
                    raise not_found()
                return Applied(replay, result)
        found = await conn.execute(
            _account_with(principal.is_creditor, read_along),
            {"account_id": account_id, "organization_id": principal.organization_id},
        )
        read = found.first()
        if read is None:
            raise not_found()
        # The version guard below checks what was read; what ``change`` reads or writes
        # itself, and the write, share one transaction (or the write is one statement).
        await ctx.db.writes_follow(conn)
        now = ctx.clock()
        done = await change(conn, read._mapping, now)
        account = {column.name: read._mapping[column.name] for column in accounts.c}
        version = account["version"] + len(done.events)
        values = {**done.values, "version": version, "updated_at": now}
        guard = (
            _versioned_update(tuple(sorted(values))),
            {**values, "_account_id": account["id"], "_read_version": account["version"]},
        )
        updated = {**account, **done.values, "version": version, "updated_at": now}
        rows = []
        for offset, (type_, extra) in enumerate(done.events, start=1):
            row = event_log.account_event(type_, updated, account["version"] + offset, now, **extra)
            if type_ in done.creditor_only:
                row["agency_id"] = None
            rows.append(row)
        result = {"account_id": account["id"], **done.result}
        inserts = list(done.inserts)
        if idempotency_key:
            record = idempotency.record(org, idempotency_key, operation, hash_, result, now)
            inserts.append((idempotency_keys, record))
        # The account at the version read, the change's rows and its events: one statement.
        await ctx.db.single_statement(conn)
        if not await event_log.append(conn, rows, guard=guard, inserts=inserts):
            raise _VersionConflict()
        return Applied(updated, result, done.rows)

    return await _retrying(ctx, attempt, unit=ctx.db.optimistic)


async def adjust_balance(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    *,
    amount: Money,
    reason: str,
    idempotency_key: str | None = None,
) -> Row:
    """Correct the balance by ``amount`` (signed minor units), with a reason on record."""
    if not reason.strip() or len(reason) > 500:
        raise DomainError.of("REASON_REQUIRED", "give a reason of 1-500 characters", "reason")

    async def change(conn: AsyncConnection, account: Row, now: dt.datetime) -> Change:
        if AccountStatus(account["status"]).is_terminal:
            raise DomainError.of(
                "ACCOUNT_CLOSED", f"the account is {account['status']}; its balance is final"
            )
        if amount.currency != account["currency"]:
            raise DomainError.of(
                "CURRENCY_MISMATCH",
                f"the account is in {account['currency']}",
                "amount",
                "currency",
            )

        def total(status: str) -> Any:
            amount_if = sa.case((payments.c.status == status, payments.c.amount_minor), else_=0)
            return sa.func.coalesce(sa.func.sum(amount_if), 0)

        paid, in_flight = (
            await conn.execute(
                sa.select(total("SUCCEEDED"), total("PENDING")).where(
                    payments.c.account_id == account["id"]
                )
            )
        ).one()
        new_balance = check_adjusted_balance(
            account["balance_minor"],
            amount.amount_minor,
            account["original_amount_minor"],
            int(paid),
            int(in_flight),
        )
        done = Change(values={"balance_minor": new_balance})
        done.emit(
            events_catalogue.ACCOUNT_BALANCE_ADJUSTED,
            adjustment={"amountMinor": amount.amount_minor, "currency": amount.currency},
            previousBalance={
                "amountMinor": account["balance_minor"],
                "currency": account["currency"],
            },
            reason=reason,
        )
        return done

    payload = {"accountId": account_id, "amount": dataclasses.asdict(amount), "reason": reason}
    applied = await change_account(
        ctx, principal, account_id, "adjustBalance", payload, idempotency_key, change
    )
    return applied.account


async def refuse_if_payment_in_flight(
    conn: AsyncConnection,
    account_id: str,
    message: str = "a payment on this account is still pending; settle or fail it first",
) -> None:
    """Recall, close and a new plan wait for pending payments to settle or fail."""
    pending = await conn.execute(
        sa.select(payments.c.id)
        .where(payments.c.account_id == account_id, payments.c.status == "PENDING")
        .limit(1)
    )
    if pending.first() is not None:
        raise DomainError.of("PAYMENT_IN_FLIGHT", message, "accountId")


def resume_of(account: Row) -> AccountStatus | None:
    value = account["resume_status"]
    return AccountStatus(value) if value else None


def not_found() -> DomainError:
    return DomainError.of("NOT_FOUND", "no such account", "accountId")


# --- reads --------------------------------------------------------------------------------


@functools.cache
def _account_by_id(as_creditor: bool) -> sa.Select[Any]:
    """The caller's account by id, built once (no per-call statement construction)."""
    return sa.select(accounts).where(
        accounts.c.id == sa.bindparam("account_id", type_=sa.String()),
        account_owner(as_creditor) == sa.bindparam("organization_id", type_=sa.String()),
    )


async def get_account(conn: AsyncConnection, principal: Principal, account_id: str) -> Row | None:
    """The account if the principal may see it (see ``visibility.account_clause``)."""
    row = await conn.execute(
        _account_by_id(principal.is_creditor),
        {"account_id": account_id, "organization_id": principal.organization_id},
    )
    found = row.first()
    return found._mapping if found is not None else None


@functools.lru_cache(maxsize=16)
def _account_with(as_creditor: bool, along: sa.Select[Any] | None) -> sa.Select[Any]:
    """The caller's account and, on the same row, the columns of ``along`` (``along_*``)."""
    query = _account_by_id(as_creditor)
    if along is None:
        return query
    extra = along.subquery("along")
    labelled = (column.label(f"along_{column.name}") for column in extra.c)
    return query.add_columns(*labelled).join(extra, sa.true())  # one row joins each


@functools.lru_cache(maxsize=64)
def _versioned_update(columns: tuple[str, ...]) -> Any:
    """UPDATE of ``columns`` guarded by the version read (optimistic lock), built once per
    column set."""
    return (
        accounts.update()
        .where(
            accounts.c.id == sa.bindparam("_account_id"),
            accounts.c.version == sa.bindparam("_read_version"),
        )
        .values({name: sa.bindparam(name) for name in columns})
    )


async def get_accounts(
    conn: AsyncConnection, principal: Principal, account_ids: Sequence[str]
) -> dict[str, Row]:
    rows = await conn.execute(
        sa.select(accounts).where(accounts.c.id.in_(list(account_ids)), account_clause(principal))
    )
    return {r.id: r._mapping for r in rows}


def _reference_forms(reference: str) -> list[str]:
    """What a reference lookup matches: the normal form, and the reference exactly as given
    (accounts placed before references were normalized keep the form they were sent in)."""
    return list(dict.fromkeys((normalize_reference(reference), reference)))


async def get_account_by_reference(
    conn: AsyncConnection, principal: Principal, reference: str
) -> Row | None:
    """By the creditor's reference: the caller's own for a creditor; any assigned for an agency.

    The reference is normalized as on placement; an account stored under the normal form
    wins over one stored under the exact form given. None when several accounts match
    (an agency may hold the same reference from two creditors).
    """
    forms = _reference_forms(reference)
    normal_first = sa.case((accounts.c.reference == forms[0], 0), else_=1)
    rows = await conn.execute(
        sa.select(accounts)
        .where(accounts.c.reference.in_(forms), account_clause(principal))
        .order_by(normal_first, accounts.c.id)
        .limit(2)
    )
    found = rows.all()
    if not found or (len(found) == 2 and found[0].reference == found[1].reference):
        return None
    return found[0]._mapping


def _filtered(principal: Principal, f: AccountFilter) -> sa.Select[Any]:
    query = sa.select(accounts).where(account_clause(principal))
    if f.statuses:
        query = query.where(accounts.c.status.in_(list(f.statuses)))
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


async def list_accounts(
    conn: AsyncConnection,
    principal: Principal,
    f: AccountFilter,
    *,
    before_id: str | None,
    limit: int,
) -> list[Row]:
    """Newest first; ``before_id`` is the cursor (the last id of the previous page)."""
    query = _filtered(principal, f)
    if before_id is not None:
        query = query.where(accounts.c.id < before_id)
    rows = await conn.execute(query.order_by(accounts.c.id.desc()).limit(limit))
    return [r._mapping for r in rows]


async def count_accounts(conn: AsyncConnection, principal: Principal, f: AccountFilter) -> int:
    sub = _filtered(principal, f).with_only_columns(accounts.c.id).subquery()
    return int((await conn.execute(sa.select(sa.func.count()).select_from(sub))).scalar_one())
