"""Claiming due webhook messages: a lease per message, so one worker sends it at a time.

On PostgreSQL the claim is one round trip with ``FOR UPDATE SKIP LOCKED``, so many workers
share the queue; on SQLite writes are serialized, so one worker is the model there. A claim
sets ``locked_until`` (the lease): a dead worker's messages are claimed again once it passes,
and a worker only writes back what it still holds (``locked_until`` unchanged).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from hub.store.tables import events, webhook_endpoints, webhook_messages


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed message with what it takes to send it."""

    message_id: int
    endpoint_id: str
    url: str
    event_id: str
    event_type: str
    occurred_at: dt.datetime
    data: Any
    attempts: int
    #: The lease: this worker holds the message until then.
    lease_until: dt.datetime
    #: When the endpoint last changed (a rotated secret among it): newer means re-read secrets.
    endpoint_version: dt.datetime


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
           event.id AS event_id, event.type, event.occurred_at, event.data
    FROM claimed
    JOIN webhook_endpoints AS endpoint ON endpoint.id = claimed.endpoint_id
    JOIN events AS event ON event.id = claimed.event_id
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


async def _claim_sqlite(
    conn: Any, limit: int, closed: Sequence[str], now: dt.datetime, until: dt.datetime
) -> Any:
    """SQLite (one writer at a time): the same claim, as UPDATE … RETURNING then a join."""
    m = webhook_messages
    due = sa.or_(
        sa.and_(m.c.status == "PENDING", m.c.next_attempt_at <= now),
        sa.and_(m.c.status == "SENDING", m.c.locked_until < now),
    )
    if closed:
        due = sa.and_(due, m.c.endpoint_id.not_in(list(closed)))
    chosen = sa.select(m.c.id).where(due).order_by(m.c.next_attempt_at, m.c.id).limit(limit)
    ids = list(
        (
            await conn.execute(
                m.update()
                .where(m.c.id.in_(chosen.scalar_subquery()))
                .values(status="SENDING", locked_until=until, attempts=m.c.attempts + 1)
                .returning(m.c.id)
            )
        ).scalars()
    )
    return await conn.execute(
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
        )
        .join(webhook_endpoints, webhook_endpoints.c.id == m.c.endpoint_id)
        .join(events, events.c.id == m.c.event_id)
        .where(m.c.id.in_(ids))
    )


async def claim(
    conn: Any, *, limit: int, closed: Sequence[str], now: dt.datetime, lease: dt.timedelta
) -> list[Delivery]:
    """Claim up to ``limit`` due messages, none of the ``closed`` endpoints', oldest first."""
    until = now + lease
    if conn.dialect.name == "postgresql":
        rows = await conn.execute(
            _CLAIM_POSTGRESQL, {"now": now, "until": until, "limit": limit, "closed": closed}
        )
    else:
        rows = await _claim_sqlite(conn, limit, closed, now, until)
    return sorted(
        (
            Delivery(
                message_id=r.id,
                endpoint_id=r.endpoint_id,
                url=r.url,
                event_id=r.event_id,
                event_type=r.type,
                occurred_at=r.occurred_at,
                data=r.data,
                attempts=r.attempts,
                lease_until=until,
                endpoint_version=r.endpoint_version,
            )
            for r in rows
        ),
        key=lambda d: d.message_id,
    )


async def give_back(conn: Any, deliveries: Sequence[tuple[Delivery, dt.datetime | None]]) -> None:
    """Unclaim messages that were not sent: pending again at the given time (None: where
    they were in the queue), the attempt their claim counted taken back; only those this
    worker still holds."""
    if not deliveries:
        return
    m = webhook_messages
    await conn.execute(
        m.update()
        .where(m.c.id == sa.bindparam("b_id"), m.c.locked_until == sa.bindparam("b_lease"))
        .values(
            status="PENDING",
            next_attempt_at=sa.func.coalesce(
                sa.bindparam("b_next", type_=m.c.next_attempt_at.type), m.c.next_attempt_at
            ),
            locked_until=None,
            attempts=m.c.attempts - 1,
        ),
        [{"b_id": d.message_id, "b_lease": d.lease_until, "b_next": due} for d, due in deliveries],
    )
