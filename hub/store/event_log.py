"""The event log: appending events with their outbox rows, and reading the feed in order.

All of event ordering lives here. Every state change appends its events in the same
transaction as the change; each event becomes a pending webhook message for every enabled
endpoint of its audience that subscribes to its type (the outbox), and the append tells
listeners (NOTIFY on PostgreSQL, at commit).

Where a reader is in the feed is the (txid, position) of the last event it has seen
(``EventKey``). Positions come from a sequence, so concurrent transactions may commit out
of position order; a reader resuming after the last position it saw could skip an event
that commits late. Instead of making writers take turns, the feed is ordered by the writing
transaction's id first (``events.txid``), and a reader only takes events below a horizon
that every event still to commit is at or above: the oldest transaction of the hub still
open in this database, if it had its id when the reader's snapshot was taken, else the
snapshot's upper bound (``hub.store.feed_horizon`` says why that skips nothing). Whatever
commits later sorts after the reader's cursor. Events of a transaction that commits while
an older one of the hub is still open wait, committed but not yet readable, until that one
ends; transactions of other programs, in this database or another of the cluster, hold
nothing back. On SQLite txid is 0 (writers are serialized, so positions are in commit order
already).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.auth.tokens import Principal
from hub.domain.events import EventKey, RecordedEvent
from hub.store.feed_horizon import FeedBacklog
from hub.store.session import Session
from hub.store.tables import deleted_events, events, organizations, webhook_messages
from hub.store.visibility import event_clause
from hub.store.writes import Write


@dataclass(frozen=True)
class EventBatch:
    """Events in feed order, and whether more are committed but not yet readable."""

    events: list[RecordedEvent]
    #: Committed events the caller may see that wait for an older transaction of the hub
    #: to end; read again shortly (they carry no NOTIFY of their own when that one ends).
    waiting: bool = False


def _recorded(row: Mapping[Any, Any]) -> RecordedEvent:
    return RecordedEvent(
        id=row["id"],
        type=row["type"],
        account_id=row["account_id"],
        sequence=row["sequence"],
        creditor_id=row["creditor_id"],
        agency_id=row["agency_id"],
        data=row["data"],
        occurred_at=row["occurred_at"],
        position=row["position"],
        txid=row["txid"],
        livemode=row["livemode"],
    )


def _with_livemode(*columns: Any) -> sa.Select[Any]:
    """``columns`` of events with their ``livemode``: that of the organization the event is
    of (its creditor, or the organization itself); both sides of an account share it."""
    livemode = sa.not_(sa.func.coalesce(organizations.c.sandbox, sa.false())).label("livemode")
    return sa.select(*columns, livemode).select_from(
        events.outerjoin(organizations, organizations.c.id == events.c.creditor_id)
    )


class EventLog:
    """The event log of a unit of work: appends and feed reads."""

    def __init__(self, uow: Session) -> None:
        self._uow = uow

    async def append(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Append events (with their outbox rows) outside an account change."""
        await self._uow.dialect.write(self._uow.conn, Write(events=rows))

    async def append_for_endpoint(
        self, rows: Sequence[Mapping[str, Any]], endpoint_id: str, now: dt.datetime
    ) -> None:
        """Append events queued for one endpoint alone, whatever it and others subscribe to
        (test deliveries), and wake the delivery workers at commit."""
        self._uow.conn.info["events_written"] = True
        await self._uow.conn.execute(events.insert(), [dict(row) for row in rows])
        await self._uow.conn.execute(
            webhook_messages.insert(),
            [
                {
                    "endpoint_id": endpoint_id,
                    "event_id": row["id"],
                    "status": "PENDING",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for row in rows
            ],
        )
        await self.announce_outbox()

    async def announce_outbox(self) -> None:
        """Messages were queued outside an append (replays, retries): wake the delivery
        workers at commit."""
        await self._uow.dialect.announce_outbox(self._uow.conn)

    async def read(
        self,
        principal: Principal,
        *,
        after: EventKey | None,
        types: Sequence[str] | None,
        account_id: str | None = None,
        limit: int,
    ) -> EventBatch:
        """Readable events the principal may see, in feed order, after the key ``after``.

        One statement reads them with a flag saying which are readable yet (``Dialect.
        readable``): the readable ones sort first, and any that follow are committed but
        wait (``waiting``).
        """
        flag = self._uow.dialect.readable(events.c.txid).label("readable")
        query = _with_livemode(*events.c, flag).where(event_clause(principal))
        if after is not None:
            query = query.where(sa.tuple_(events.c.txid, events.c.position) > sa.tuple_(*after))
        if types:
            query = query.where(events.c.type.in_(list(types)))
        if account_id is not None:
            query = query.where(events.c.account_id == account_id)
        found = await self._uow.conn.execute(
            query.order_by(events.c.txid, events.c.position).limit(limit)
        )
        rows = list(found.mappings())
        readable = [_recorded(r) for r in rows if r["readable"]]
        return EventBatch(readable, waiting=len(readable) < len(rows))

    async def get(self, principal: Principal, event_id: str) -> RecordedEvent | None:
        found = await self._uow.conn.execute(
            _with_livemode(*events.c).where(events.c.id == event_id, event_clause(principal))
        )
        row = found.mappings().first()
        return _recorded(row) if row is not None else None

    async def key_of(self, principal: Principal, event_id: str) -> EventKey | None:
        """The feed key of a visible event, by its ``evt_`` id."""
        found = await self._uow.conn.execute(
            sa.select(events.c.txid, events.c.position).where(
                events.c.id == event_id, event_clause(principal)
            )
        )
        row = found.first()
        if row is None:  # an event of a deleted sandbox run: its place in the feed
            found = await self._uow.conn.execute(
                sa.select(deleted_events.c.txid, deleted_events.c.position).where(
                    deleted_events.c.id == event_id, event_clause(principal, deleted_events)
                )
            )
            row = found.first()
        return (row.txid, row.position) if row is not None else None

    async def current_key(self) -> EventKey:
        """A key that every readable event is at or before, and every later one after:
        where a reader starts that wants only what is new (the ``latestCursor`` of the
        ``events`` feed). The newest readable key under the snapshot rule above: on
        PostgreSQL the horizon itself, ``(horizon, 0)``, since every event of a transaction
        at or past it is still to become readable; on SQLite the largest position. One
        indexed read, whatever the feed's length."""
        return await self._uow.dialect.current_key(self._uow.conn)

    async def backlog(self) -> FeedBacklog:
        """The feed's backlog, for the metrics."""
        return await self._uow.dialect.feed_backlog(self._uow.conn)
