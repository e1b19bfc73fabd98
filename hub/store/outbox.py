"""The outbox: every event becomes a pending webhook message for every enabled endpoint of
its audience that subscribes to its type, in the transaction that appends the event.

``hub.store.writes`` puts these pieces into the statement that writes a change; the
delivery worker claims the messages (``hub.store.delivery_queue``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from hub.store import json_rows
from hub.store.tables import events, webhook_messages, webhook_subscriptions

EVENT_COLUMNS = (
    "id",
    "type",
    "account_id",
    "sequence",
    "creditor_id",
    "agency_id",
    "data",
    "occurred_at",
)
MESSAGE_COLUMNS = ("endpoint_id", "event_id", "status", "attempts", "next_attempt_at", "created_at")
#: NOTIFY channel of messages queued outside an event append (replays, retries).
OUTBOX_CHANNEL = "evenly_outbox"
#: NOTIFY channel of every event append; the payload is the number of outbox rows queued,
#: so delivery workers skip wake-ups that queued nothing while subscriptions take them all.
EVENTS_CHANNEL = "evenly_events"


def messages_for(source: Any) -> sa.Select[Any]:
    """Pending messages for the events in ``source``: one per subscribed endpoint."""
    subs = webhook_subscriptions
    audience = sa.or_(
        subs.c.organization_id == source.c.creditor_id,
        subs.c.organization_id == source.c.agency_id,
    )
    # Constants are SQL literals, not parameters: the statements are built once.
    subscribed = subs.c.event_type.in_([source.c.type, sa.literal_column("'*'")])
    return sa.select(
        subs.c.endpoint_id,
        source.c.id,
        sa.literal_column("'PENDING'"),
        sa.literal_column("0"),
        source.c.occurred_at,
        source.c.occurred_at,
    ).select_from(source.join(subs, sa.and_(audience, subscribed)))


#: Up to this many events travel as one bound SELECT each: cheapest for the one to four
#: events of an account change. More (a placement batch) travel as one JSON parameter
#: (``hub.store.json_rows``), which PostgreSQL plans in a fraction of the time of hundreds
#: of SELECTs, but which costs a single event more. ``bench/placement_profile.py`` prints both.
BOUND_ROWS = 8
#: The events' shape when they travel as one JSON parameter.
JSON_ROWS = -1


def event_shape(count: int) -> int:
    """How ``count`` events travel: their number if bound row by row, else ``JSON_ROWS`` (one
    JSON parameter, ``hub.store.json_rows``)."""
    return count if count <= BOUND_ROWS else JSON_ROWS


def event_rows(shape: int, condition: sa.ColumnElement[bool] | None) -> Any:
    """PostgreSQL: the rows of the events to write (only where ``condition`` holds), bound
    as ``event_parameters`` gives them; set-returning functions in one SELECT list advance
    together."""
    if shape == JSON_ROWS:
        rows = [json_rows.rows_of(events, EVENT_COLUMNS, "e_rows")]
    else:
        rows = [
            sa.select(
                *(
                    sa.bindparam(f"e{i}_{name}", type_=events.c[name].type).label(name)
                    for name in EVENT_COLUMNS
                )
            )
            for i in range(shape)
        ]
    if condition is not None:
        rows = [row.where(condition) for row in rows]
    return sa.union_all(*rows) if len(rows) > 1 else rows[0]


def event_parameters(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The bind parameters of ``event_rows(event_shape(len(rows)))``."""
    if event_shape(len(rows)) == JSON_ROWS:
        return {"e_rows": json_rows.parameter(rows)}
    return {f"e{i}_{name}": row[name] for i, row in enumerate(rows) for name in EVENT_COLUMNS}


def append_ctes(source: Any) -> tuple[Any, Any]:
    """PostgreSQL: the events of ``source`` (rows of the event columns) inserted, fanned out
    to the outbox, and announced. Returns the count of outbox rows queued and the NOTIFY
    column, to select in the statement that carries them."""
    inserted = (
        events.insert()
        .from_select(list(EVENT_COLUMNS), source)
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
        .from_select(list(MESSAGE_COLUMNS), messages_for(inserted))
        .returning(webhook_messages.c.id)
        .cte("inserted_messages")
    )
    queued = sa.select(sa.func.count()).select_from(messages).scalar_subquery()
    notified = sa.func.pg_notify(
        sa.literal_column(f"'{EVENTS_CHANNEL}'"), sa.cast(queued, sa.String)
    )
    return queued, notified


def outbox_for(event_ids: sa.BindParameter[Any]) -> sa.Insert:
    """SQLite: the outbox rows of events already inserted in this transaction."""
    chosen = (
        sa.select(
            events.c.id,
            events.c.type,
            events.c.creditor_id,
            events.c.agency_id,
            events.c.occurred_at,
        )
        .where(events.c.id.in_(event_ids))
        .subquery()
    )
    return webhook_messages.insert().from_select(list(MESSAGE_COLUMNS), messages_for(chosen))
