"""The outbox: every event becomes a pending webhook message for every enabled endpoint of
its audience that subscribes to its type, in the transaction that appends the event.

``hub.store.writes`` puts these pieces into the statement that writes a change; the
delivery worker claims the messages (``hub.store.delivery_queue``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

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


def append_ctes(rows: Sequence[sa.Select[Any]]) -> tuple[Any, Any]:
    """PostgreSQL: the events of ``rows`` (one SELECT of the event columns each) inserted,
    fanned out to the outbox, and announced. Returns the count of outbox rows queued and
    the NOTIFY column, to select in the statement that carries them."""
    source = sa.union_all(*rows) if len(rows) > 1 else rows[0]
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
