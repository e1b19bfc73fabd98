"""Writing what deliveries gave back to the queue and the delivery log.

Outcomes are written in batches, one transaction each. When a batch fails, its outcomes are
written one by one, and one that still fails is written without its response snippet and
error text: so one bad row never fails, loses or repeats another endpoint's deliveries.
Only messages the worker still holds are updated (their lease unchanged), so a worker that
lost a lease never overwrites the worker that took the message over.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from hub.delivery.claims import Delivery, give_back
from hub.domain.events import ENDPOINT_DISABLED
from hub.services import events as event_log
from hub.store.database import Database
from hub.store.tables import organizations, webhook_attempts, webhook_endpoints, webhook_messages
from hub.store.tables import webhook_subscriptions as subscriptions

log = logging.getLogger("hub.delivery")

#: What the delivery log says when an attempt's own text could not be stored.
UNRECORDABLE = "the response could not be recorded"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt gave, and when to try again (None: delivered, or given up)."""

    delivery: Delivery
    at: dt.datetime
    duration_ms: int
    status_code: int | None
    snippet: str | None
    error: str | None
    retry_after: float | None
    next_at: dt.datetime | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410

    @property
    def status(self) -> str:
        if self.delivered:
            return "DELIVERED"
        return "PENDING" if self.next_at is not None and not self.gone else "FAILED"


@dataclass(frozen=True, slots=True)
class Release:
    """A claimed message given back unsent, due again at ``due`` (None: where it was)."""

    delivery: Delivery
    due: dt.datetime | None


Record = Outcome | Release


async def record(
    db: Database, records: Sequence[Record], *, now: dt.datetime, disable_after: dt.timedelta
) -> list[Record]:
    """Write ``records``; returns those that could not be written (the database is down)."""
    if await _written(db, records, now, disable_after, alone=False):
        return []
    unwritten: list[Record] = []
    for item in records:
        if len(records) > 1 and await _written(db, [item], now, disable_after, alone=True):
            continue
        if isinstance(item, Outcome) and (item.snippet is not None or item.error is not None):
            bare = replace(item, snippet=None, error=UNRECORDABLE)
            if await _written(db, [bare], now, disable_after, alone=True):
                continue
        unwritten.append(item)
    return unwritten


async def _written(
    db: Database,
    records: Sequence[Record],
    now: dt.datetime,
    disable_after: dt.timedelta,
    *,
    alone: bool,
) -> bool:
    try:
        async with db.transaction() as conn:
            await _write(conn, records, now, disable_after, alone=alone)
    except Exception:
        log.exception("recording %d webhook outcome(s) failed", len(records))
        return False
    return True


async def _write(
    conn: Any,
    records: Sequence[Record],
    now: dt.datetime,
    disable_after: dt.timedelta,
    *,
    alone: bool,
) -> None:
    outcomes = [r for r in records if isinstance(r, Outcome)]
    await give_back(conn, [(r.delivery, r.due) for r in records if isinstance(r, Release)])
    if not outcomes:
        return
    m = webhook_messages
    await conn.execute(
        m.update()
        .where(m.c.id == sa.bindparam("b_id"), m.c.locked_until == sa.bindparam("b_lease"))
        .values(
            status=sa.bindparam("b_status"),
            next_attempt_at=sa.bindparam("b_next"),
            delivered_at=sa.bindparam("b_delivered"),
            last_status_code=sa.bindparam("b_code"),
            last_error=sa.bindparam("b_error"),
            locked_until=None,
        ),
        [
            {
                "b_id": o.delivery.message_id,
                "b_lease": o.delivery.lease_until,
                "b_status": o.status,
                "b_next": o.next_at or o.at,
                "b_delivered": o.at if o.delivered else None,
                "b_code": o.status_code,
                "b_error": o.error,
            }
            for o in outcomes
        ],
    )
    if alone:  # written one by one after a failed batch: skip messages deleted meanwhile
        ids = {o.delivery.message_id for o in outcomes}
        ids = set((await conn.execute(sa.select(m.c.id).where(m.c.id.in_(ids)))).scalars())
        outcomes = [o for o in outcomes if o.delivery.message_id in ids]
    attempts = [
        {
            "message_id": o.delivery.message_id,
            "at": o.at,
            "status_code": o.status_code,
            "duration_ms": o.duration_ms,
            "response_snippet": o.snippet,
            "error": o.error,
        }
        for o in outcomes
    ]
    if attempts:
        await conn.execute(webhook_attempts.insert(), attempts)
    gone = {o.delivery.endpoint_id for o in outcomes if o.gone}
    for endpoint_id in gone:
        await disable_endpoint(conn, endpoint_id, "the receiver answered 410 Gone", now)
    failed = {o.delivery.endpoint_id for o in outcomes if o.status == "FAILED"} - gone
    for endpoint_id in failed:
        if await _failing_too_long(conn, endpoint_id, now, disable_after):
            reason = f"every delivery failed for {_duration(disable_after)}"
            await disable_endpoint(conn, endpoint_id, reason, now)


def _duration(span: dt.timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("days", 86_400), ("hours", 3_600), ("minutes", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


async def _failing_too_long(
    conn: Any, endpoint_id: str, now: dt.datetime, window: dt.timedelta
) -> bool:
    """True when nothing reached the endpoint for ``window`` while its deliveries failed."""
    m = webhook_messages
    last_success = await conn.scalar(
        sa.select(sa.func.max(m.c.delivered_at)).where(m.c.endpoint_id == endpoint_id)
    )
    first_failure = sa.select(sa.func.min(m.c.created_at)).where(
        m.c.endpoint_id == endpoint_id, m.c.status == "FAILED"
    )
    if last_success is not None:
        first_failure = first_failure.where(m.c.created_at > last_success)
    oldest = await conn.scalar(first_failure)
    if oldest is None:
        return False
    if isinstance(oldest, str):  # SQLite aggregates lose the column type
        oldest = dt.datetime.fromisoformat(oldest).replace(tzinfo=dt.UTC)
    return bool(oldest <= now - window)


async def disable_endpoint(conn: Any, endpoint_id: str, reason: str, now: dt.datetime) -> None:
    """Disable an endpoint, stop queueing for it, and tell its organization (an event)."""
    endpoint = (
        await conn.execute(
            sa.select(webhook_endpoints.c.organization_id, organizations.c.kind)
            .join(organizations, organizations.c.id == webhook_endpoints.c.organization_id)
            .where(webhook_endpoints.c.id == endpoint_id, webhook_endpoints.c.enabled.is_(True))
        )
    ).first()
    if endpoint is None:
        return  # already disabled (or deleted)
    await conn.execute(
        webhook_endpoints.update()
        .where(webhook_endpoints.c.id == endpoint_id)
        .values(enabled=False, disabled_reason=reason, updated_at=now)
    )
    await conn.execute(subscriptions.delete().where(subscriptions.c.endpoint_id == endpoint_id))
    await event_log.append(
        conn,
        [
            event_log.organization_event(
                ENDPOINT_DISABLED,
                endpoint.organization_id,
                endpoint.kind,
                now,
                {"endpointId": endpoint_id, "reason": reason},
            )
        ],
    )
