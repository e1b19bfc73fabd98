"""The claim of due webhook messages, as each backend runs it (``Dialect.claim``).

A claim marks messages SENDING with a lease (``locked_until``) and counts the attempt, and
returns them with their event and endpoint. On PostgreSQL it is one round trip with ``FOR
UPDATE SKIP LOCKED``, so many workers share the queue; on SQLite writes are serialized, so it
is an UPDATE … RETURNING then a join in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.store.tables import events, organizations, webhook_endpoints, webhook_messages

# Due messages in index order (status, next_attempt_at) and expired leases, locked with SKIP
# LOCKED so workers never claim the same message; then marked SENDING with a lease and
# returned with their event and endpoint.
_CLAIM_POSTGRESQL = (
    sa.text(
        """
    WITH due AS (
        SELECT id FROM webhook_messages
        WHERE status = 'PENDING' AND next_attempt_at <= :now AND endpoint_id <> ALL(:closed)
        ORDER BY next_attempt_at LIMIT :limit FOR UPDATE SKIP LOCKED
    ), expired AS (
        SELECT id FROM webhook_messages
        WHERE status = 'SENDING' AND locked_until < :now AND endpoint_id <> ALL(:closed)
        LIMIT :limit FOR UPDATE SKIP LOCKED
    ), claimed AS (
        UPDATE webhook_messages AS m
        SET status = 'SENDING', locked_until = :until, attempts = m.attempts + 1
        WHERE m.id IN (SELECT id FROM due UNION ALL SELECT id FROM expired LIMIT :limit)
        RETURNING m.id, m.endpoint_id, m.attempts, m.event_id
    )
    SELECT claimed.id, claimed.endpoint_id, claimed.attempts, endpoint.url,
           endpoint.updated_at AS endpoint_version,
           event.id AS event_id, event.type, event.occurred_at, event.data,
           NOT coalesce(organization.sandbox, false) AS livemode
    FROM claimed
    JOIN webhook_endpoints AS endpoint ON endpoint.id = claimed.endpoint_id
    JOIN events AS event ON event.id = claimed.event_id
    LEFT JOIN organizations AS organization ON organization.id = event.creditor_id
    """
    )
    .bindparams(
        sa.bindparam("now", type_=events.c.occurred_at.type),
        sa.bindparam("until", type_=events.c.occurred_at.type),
        sa.bindparam("limit", type_=sa.Integer()),
        sa.bindparam("closed", type_=ARRAY(sa.String())),
    )
    .columns(
        occurred_at=events.c.occurred_at.type,
        data=events.c.data.type,
        endpoint_version=webhook_endpoints.c.updated_at.type,
    )
)


async def claim_skipping_locked(
    conn: AsyncConnection, limit: int, closed: Sequence[str], now: dt.datetime, until: dt.datetime
) -> Sequence[Any]:
    """PostgreSQL: up to ``limit`` due messages, none of the ``closed`` endpoints', leased
    until ``until``; rows of the message, its endpoint's url and version, and its event."""
    rows = await conn.execute(
        _CLAIM_POSTGRESQL,
        {"now": now, "until": until, "limit": limit, "closed": list(closed)},
    )
    return rows.all()


async def claim_in_steps(
    conn: AsyncConnection, limit: int, closed: Sequence[str], now: dt.datetime, until: dt.datetime
) -> Sequence[Any]:
    """SQLite (one writer at a time): the same claim, as UPDATE … RETURNING then a join."""
    m = webhook_messages
    due = sa.or_(
        sa.and_(m.c.status == "PENDING", m.c.next_attempt_at <= now),
        sa.and_(m.c.status == "SENDING", m.c.locked_until < now),
    )
    if closed:
        due = sa.and_(due, m.c.endpoint_id.not_in(list(closed)))
    chosen = sa.select(m.c.id).where(due).order_by(m.c.next_attempt_at, m.c.id).limit(limit)
    claimed = await conn.execute(
        m.update()
        .where(m.c.id.in_(chosen.scalar_subquery()))
        .values(status="SENDING", locked_until=until, attempts=m.c.attempts + 1)
        .returning(m.c.id)
    )
    ids = list(claimed.scalars())
    rows = await conn.execute(
        sa.select(
            m.c.id,
            m.c.endpoint_id,
            m.c.attempts,
            webhook_endpoints.c.url,
            webhook_endpoints.c.updated_at.label("endpoint_version"),
            events.c.id.label("event_id"),
            events.c.type,
            events.c.occurred_at,
            events.c.data,
            sa.not_(sa.func.coalesce(organizations.c.sandbox, sa.false())).label("livemode"),
        )
        .join(webhook_endpoints, webhook_endpoints.c.id == m.c.endpoint_id)
        .join(events, events.c.id == m.c.event_id)
        .outerjoin(organizations, organizations.c.id == events.c.creditor_id)
        .where(m.c.id.in_(ids))
    )
    return rows.all()
