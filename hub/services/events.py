"""Events: the immutable record every state change writes, in the same transaction.

An event's ``data`` is what webhooks and the ``events`` feed carry. It holds no customer
PII (that stays encrypted in the customers table); receivers fetch it through the API.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.auth.tokens import Principal
from hub.domain.time import rfc3339
from hub.services.visibility import event_clause
from hub.store import feed_horizon
from hub.store.ids import new_id
from hub.store.tables import events, webhook_messages, webhook_subscriptions

Row = Mapping[Any, Any]


def account_snapshot(account: Row) -> dict[str, Any]:
    """The account as events show it (ids are the API's global ids)."""
    return {
        "id": account["id"],
        "reference": account["reference"],
        "status": account["status"],
        "product": account["product"],
        "country": account["country"],
        "customerId": account["customer_id"],
        "creditorId": account["creditor_id"],
        "agencyId": account["agency_id"],
        "originalAmount": {
            "amountMinor": account["original_amount_minor"],
            "currency": account["currency"],
        },
        "balance": {"amountMinor": account["balance_minor"], "currency": account["currency"]},
        "dueDate": account["due_date"].isoformat(),
        "placedAt": rfc3339(account["placed_at"]),
    }


def account_event(
    type_: str, account: Row, sequence: int, now: dt.datetime, **extra: Any
) -> dict[str, Any]:
    """An event row about ``account``, visible to its creditor and its current agency."""
    return {
        "id": new_id("evt"),
        "type": type_,
        "account_id": account["id"],
        "sequence": sequence,
        "creditor_id": account["creditor_id"],
        "agency_id": account["agency_id"],
        "data": {"account": account_snapshot(account), **extra},
        "occurred_at": now,
    }


def organization_event(
    type_: str, organization_id: str, kind: str, now: dt.datetime, data: dict[str, Any]
) -> dict[str, Any]:
    """An event about an organization itself (not an account), visible to it alone.

    The audience columns say who sees an event: ``creditor_id`` for a creditor,
    ``agency_id`` for an agency (``creditor_id`` then names the agency too, as it must not
    be empty; no creditor has that id, so no creditor sees it).
    """
    return {
        "id": new_id("evt"),
        "type": type_,
        "account_id": None,
        "sequence": None,
        "creditor_id": organization_id,
        "agency_id": organization_id if kind == "AGENCY" else None,
        "data": data,
        "occurred_at": now,
    }


#: Where a reader is in the feed: the (txid, position) of the last event it has seen.
#:
#: Positions come from a sequence, so concurrent transactions may commit out of position
#: order; a reader resuming after the last position it saw could skip an event that
#: commits late. Instead of making writers take turns, the feed is ordered by the writing
#: transaction's id first (``events.txid``), and a reader only takes events below a
#: horizon that every event still to commit is at or above: the oldest transaction of the
#: hub still open in this database, if it had its id when the reader's snapshot was
#: taken, else the snapshot's upper bound (``hub.store.feed_horizon`` says why that
#: skips nothing). Whatever commits later sorts after the reader's cursor. Events of a
#: transaction that commits while an older one of the hub is still open wait, committed
#: but not yet readable, until that one ends; transactions of other programs, in this
#: database or another of the cluster, hold nothing back. On SQLite txid is 0 (writers
#: are serialized, so positions are in commit order already).
EventKey = tuple[int, int]


@dataclass(frozen=True)
class EventBatch:
    """Events in feed order, and whether more are committed but not yet readable."""

    rows: list[Row]
    #: Committed events the caller may see that wait for an older transaction to end;
    #: read again shortly (they carry no NOTIFY of their own when that one ends).
    waiting: bool = False


#: An UPDATE built once (its values are bind parameters) and the parameters to run it with.
Guard = tuple[sa.Update, Mapping[str, Any]]
#: A row to insert into a table along with the events.
Insert = tuple[sa.Table, Mapping[str, Any]]


async def append(
    conn: AsyncConnection,
    rows: Sequence[dict[str, Any]],
    *,
    guard: Guard | None = None,
    inserts: Sequence[Insert] = (),
) -> bool:
    """Write events and, in the same transaction, their outbox rows (webhook messages).

    Each event becomes a pending message for every enabled endpoint of its audience that
    subscribes to its type. On PostgreSQL one statement does both and notifies the
    delivery workers (NOTIFY is delivered at commit); on SQLite it takes two statements.

    The state change the events record can ride along: ``guard`` (an UPDATE that must match
    exactly one row, e.g. the account at the version read) and ``inserts`` are written in
    that same statement on PostgreSQL, sparing a round trip each. Returns whether the guard
    matched one row; if not, the caller must roll back (the events may be written).
    """
    if not rows and guard is None and not inserts:
        return True
    if conn.dialect.name != "postgresql":
        return await _append_in_steps(conn, rows, guard, inserts)
    if rows:
        conn.info["events_written"] = True
    parameters = {
        f"e{i}_{column}": row[column] for i, row in enumerate(rows) for column in _EVENT_COLUMNS
    }
    for j, (_, row) in enumerate(inserts):
        parameters.update({f"i{j}_{column}": value for column, value in row.items()})
    if guard is not None:
        parameters.update(guard[1])
    shape = tuple((table, tuple(row)) for table, row in inserts)
    statement = _append_with_outbox(len(rows), guard[0] if guard else None, shape)
    written = (await conn.execute(statement, parameters)).one()
    guarded, queued = written[0], written[1]
    if queued:
        conn.info["outbox_written"] = True
    return guard is None or guarded == 1


async def _append_in_steps(
    conn: AsyncConnection,
    rows: Sequence[dict[str, Any]],
    guard: Guard | None,
    inserts: Sequence[Insert],
) -> bool:
    """SQLite: ``append`` one statement at a time."""
    if guard is not None and (await conn.execute(*guard)).rowcount != 1:
        return False
    for table, row in inserts:
        await conn.execute(table.insert(), dict(row))
    if rows:
        conn.info["events_written"] = True
        await conn.execute(events.insert(), list(rows))
        fanned = await conn.execute(
            _outbox_for_events(), {"event_ids": [row["id"] for row in rows]}
        )
        if fanned.rowcount > 0:
            conn.info["outbox_written"] = True
    return True


_EVENT_COLUMNS = (
    "id",
    "type",
    "account_id",
    "sequence",
    "creditor_id",
    "agency_id",
    "data",
    "occurred_at",
)
_MESSAGE_COLUMNS = [
    "endpoint_id",
    "event_id",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
]
OUTBOX_CHANNEL = "evenly_outbox"
#: NOTIFY channel of every event append; the payload is the number of outbox rows queued,
#: so delivery workers skip wake-ups that queued nothing while subscriptions take them all.
EVENTS_CHANNEL = "evenly_events"


def _messages_for(source: Any) -> sa.Select[Any]:
    """Pending messages for the events in ``source``: one per subscribed endpoint."""
    subs = webhook_subscriptions
    audience = sa.or_(
        subs.c.organization_id == source.c.creditor_id,
        subs.c.organization_id == source.c.agency_id,
    )
    # Constants are SQL literals, not parameters: the statement below is rendered once.
    subscribed = subs.c.event_type.in_([source.c.type, sa.literal_column("'*'")])
    return sa.select(
        subs.c.endpoint_id,
        source.c.id,
        sa.literal_column("'PENDING'"),
        sa.literal_column("0"),
        source.c.occurred_at,
        source.c.occurred_at,
    ).select_from(source.join(subs, sa.and_(audience, subscribed)))


@functools.lru_cache(maxsize=512)
def _append_with_outbox(
    count: int, guard: sa.Update | None, inserts: tuple[tuple[sa.Table, tuple[str, ...]], ...]
) -> sa.TextClause:
    """PostgreSQL: one statement that runs ``guard``, inserts the rows of ``inserts`` and
    ``count`` events, fans the events out to the outbox and NOTIFYs listeners; it returns
    the number of rows the guard matched and of outbox rows queued. With a guard, nothing
    is inserted unless it matched (the statement may commit on its own).

    SQLAlchemy cannot cache a multi-row INSERT inside a CTE and would compile it on every
    call (25 ms for 200 events); so it is rendered to SQL once per shape here.
    """
    values: list[dict[str, Any]] = [
        {column: sa.bindparam(f"e{i}_{column}") for column in _EVENT_COLUMNS} for i in range(count)
    ]
    guarded: Any = None
    if guard is not None:
        guarded = guard.returning(sa.literal_column("1")).cte("guarded")
    rows_written: list[Any] = []
    for j, (table, columns) in enumerate(inserts):
        # Written only if the guard matched: the statement may commit on its own.
        row = sa.select(
            *(sa.bindparam(f"i{j}_{c}", type_=table.c[c].type).label(c) for c in columns)
        )
        if guarded is not None:
            row = row.where(sa.exists(sa.select(sa.literal_column("1")).select_from(guarded)))
        insert = table.insert().from_select(list(columns), row)
        rows_written.append(insert.returning(sa.literal_column("1")).cte(f"i{j}"))
    if count:
        inserted = (
            events.insert()
            .values(values)
            .returning(
                events.c.id,
                events.c.type,
                events.c.creditor_id,
                events.c.agency_id,
                events.c.occurred_at,
            )
            .cte("inserted_events")
        )
        messages = (
            webhook_messages.insert()
            .from_select(_MESSAGE_COLUMNS, _messages_for(inserted))
            .returning(webhook_messages.c.id)
            .cte("inserted_messages")
        )
        queued: Any = sa.select(sa.func.count()).select_from(messages).cte("queued")
    # The guard comes first: the CTEs render in the order they are met, and the events'
    # insert refers to it.
    statement = sa.select(
        (
            sa.select(sa.func.count()).select_from(guarded).scalar_subquery()
            if guarded is not None
            else sa.literal_column("0")
        ),
        queued.c[0] if count else sa.literal_column("0"),
    )
    # Inserts nothing reads from still run: a CTE is executed once it is attached.
    for written in rows_written:
        statement = statement.add_cte(written)
    if count:
        notified = sa.func.pg_notify(
            sa.literal_column(f"'{EVENTS_CHANNEL}'"), sa.cast(queued.c[0], sa.String)
        )
        statement = statement.add_columns(notified)
    # Render with pyformat placeholders, then as text() binds with explicit casts.
    compiled = statement.compile(dialect=postgresql.dialect())
    sql = re.sub(
        r"%\((\w+)\)s::(TIMESTAMP WITH(?:OUT)? TIME ZONE|[A-Z]+)", r"CAST(:\1 AS \2)", str(compiled)
    )
    sql = re.sub(r"%\((\w+)\)s", r":\1", sql)  # later rows: typed by the first row
    if guard is not None and count:
        # The events too are written only if the guard matched.
        sql, found = re.subn(
            r"VALUES (.*?) RETURNING events\.",
            lambda m: (
                f"SELECT v.* FROM (VALUES {m.group(1)}) AS v({', '.join(_EVENT_COLUMNS)}) "
                "WHERE EXISTS (SELECT 1 FROM guarded) RETURNING events."
            ),
            sql,
            count=1,
            flags=re.S,
        )
        assert found == 1, "unexpected rendering of the events insert"
    binds = [
        sa.bindparam(f"e{i}_{column}", type_=events.c[column].type)
        for i in range(count)
        for column in _EVENT_COLUMNS
    ]
    binds += [
        sa.bindparam(f"i{j}_{column}", type_=table.c[column].type)
        for j, (table, columns) in enumerate(inserts)
        for column in columns
    ]
    if guard is not None:
        binds += [
            sa.bindparam(name, type_=bind.type)
            for name, bind in compiled.binds.items()
            if not re.fullmatch(r"[ei]\d+_.*", name)
        ]
    return sa.text(sql).bindparams(*binds)


@functools.cache
def _outbox_for_events() -> Any:
    """SQLite: the outbox rows for events already inserted in this transaction."""
    chosen = (
        sa.select(
            events.c.id,
            events.c.type,
            events.c.creditor_id,
            events.c.agency_id,
            events.c.occurred_at,
        )
        .where(events.c.id.in_(sa.bindparam("event_ids", expanding=True)))
        .subquery()
    )
    return webhook_messages.insert().from_select(_MESSAGE_COLUMNS, _messages_for(chosen))


async def notify_outbox(conn: AsyncConnection) -> None:
    """Messages were queued outside ``append``: wake the delivery workers at commit."""
    conn.info["outbox_written"] = True
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.select(sa.func.pg_notify(OUTBOX_CHANNEL, "queued")))


async def list_events(
    conn: AsyncConnection,
    principal: Principal,
    *,
    after: EventKey | None,
    types: Sequence[str] | None,
    account_id: str | None = None,
    limit: int,
) -> EventBatch:
    """Readable events the principal may see, in feed order, after the key ``after``.

    On PostgreSQL one statement reads them with a flag saying which are readable yet: the
    readable ones sort first, and any that follow are committed but wait (``waiting``).
    """
    postgres = conn.dialect.name == "postgresql"
    flag = feed_horizon.readable(events.c.txid).label("readable")
    columns = [*events.c, flag] if postgres else [*events.c]
    query = sa.select(*columns).where(event_clause(principal))
    if after is not None:
        query = query.where(sa.tuple_(events.c.txid, events.c.position) > sa.tuple_(*after))
    if types:
        query = query.where(events.c.type.in_(list(types)))
    if account_id is not None:
        query = query.where(events.c.account_id == account_id)
    found = await conn.execute(query.order_by(events.c.txid, events.c.position).limit(limit))
    rows: list[Row] = [r._mapping for r in found]
    if not postgres:
        return EventBatch(rows)
    readable = [r for r in rows if r["readable"]]
    return EventBatch(readable, waiting=len(readable) < len(rows))


def key_of(row: Row) -> EventKey:
    return (row["txid"], row["position"])


async def key_of_event(
    conn: AsyncConnection, principal: Principal, event_id: str
) -> EventKey | None:
    """The feed key of a visible event, by its ``evt_`` id."""
    row = await conn.execute(
        sa.select(events.c.txid, events.c.position).where(
            events.c.id == event_id, event_clause(principal)
        )
    )
    found = row.first()
    return key_of(found._mapping) if found is not None else None


async def get_event(conn: AsyncConnection, principal: Principal, event_id: str) -> Row | None:
    row = await conn.execute(
        sa.select(events).where(events.c.id == event_id, event_clause(principal))
    )
    found = row.first()
    return found._mapping if found is not None else None


async def current_key(conn: AsyncConnection) -> EventKey:
    """A key that every readable event is at or before, and every later one after: where a
    reader starts that wants only what is new."""
    if conn.dialect.name == "postgresql":
        horizon = await conn.scalar(sa.select(feed_horizon.horizon()))
        return (int(horizon or 0), 0)
    found = await conn.scalar(sa.select(sa.func.max(events.c.position)))
    return (0, int(found or 0))


@dataclass(frozen=True)
class FeedBacklog:
    """What the feed holds back right now (on SQLite, never anything)."""

    #: Committed events that are not readable yet: they wait for an older transaction.
    waiting: int = 0
    #: How long the oldest open transaction of the hub (one with an id) has run, 0 if none.
    oldest_writer_seconds: float = 0.0


async def feed_backlog(conn: AsyncConnection) -> FeedBacklog:
    """The feed's backlog, for the metrics."""
    if conn.dialect.name != "postgresql":
        return FeedBacklog()
    row = (await conn.execute(feed_horizon.backlog())).one()
    return FeedBacklog(int(row.waiting), float(row.oldest_writer_seconds))
