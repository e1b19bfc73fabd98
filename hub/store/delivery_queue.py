"""The delivery queue: webhook messages claimed, given back, and what their attempts gave.

The outbox (``hub.store.outbox``) queues a message per event and subscribed endpoint. A worker
claims due messages with a lease (``locked_until``), so one worker sends a message at a time:
on PostgreSQL many workers share the queue (``FOR UPDATE SKIP LOCKED``), and a dead worker's
messages are claimed again once its leases pass. A worker only writes back what it still
holds (``locked_until`` unchanged), so one that lost a lease never overwrites the worker that
took the message over.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.store.session import Session
from hub.store.tables import webhook_attempts, webhook_messages

_m = webhook_messages


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
    #: Attempts so far, the one this claim is for included.
    attempts: int
    #: The lease: this worker holds the message until then.
    lease_until: dt.datetime
    #: When the endpoint last changed (a rotated secret among it): newer means re-read secrets.
    endpoint_version: dt.datetime
    #: False for an event of a sandbox organization.
    livemode: bool = True


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt gave, and when to try again (None: delivered, or given up)."""

    delivery: Delivery
    at: dt.datetime
    duration_ms: int
    status_code: int | None
    snippet: str | None
    error: str | None
    #: The pause the receiver asked for (``Retry-After``), in seconds, if heeded.
    retry_after: float | None
    next_at: dt.datetime | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        """The receiver answered 410 Gone: the endpoint is to be disabled."""
        return self.status_code == 410

    @property
    def status(self) -> str:
        """The message's status once this outcome is written."""
        if self.delivered:
            return "DELIVERED"
        return "PENDING" if self.next_at is not None and not self.gone else "FAILED"


@dataclass(frozen=True, slots=True)
class Release:
    """A claimed message given back unsent, due again at ``due`` (None: where it was)."""

    delivery: Delivery
    due: dt.datetime | None


Record = Outcome | Release


def _delivery(row: Any, lease_until: dt.datetime) -> Delivery:
    return Delivery(
        message_id=row.id,
        endpoint_id=row.endpoint_id,
        url=row.url,
        event_id=row.event_id,
        event_type=row.type,
        occurred_at=row.occurred_at,
        data=row.data,
        attempts=row.attempts,
        lease_until=lease_until,
        endpoint_version=row.endpoint_version,
        livemode=bool(row.livemode),
    )


_GIVE_BACK = (
    _m.update()
    .where(_m.c.id == sa.bindparam("b_id"), _m.c.locked_until == sa.bindparam("b_lease"))
    .values(
        status="PENDING",
        next_attempt_at=sa.func.coalesce(
            sa.bindparam("b_next", type_=_m.c.next_attempt_at.type), _m.c.next_attempt_at
        ),
        locked_until=None,
        attempts=_m.c.attempts - 1,
    )
)

_SETTLE = (
    _m.update()
    .where(_m.c.id == sa.bindparam("b_id"), _m.c.locked_until == sa.bindparam("b_lease"))
    .values(
        status=sa.bindparam("b_status"),
        next_attempt_at=sa.bindparam("b_next"),
        delivered_at=sa.bindparam("b_delivered"),
        last_status_code=sa.bindparam("b_code"),
        last_error=sa.bindparam("b_error"),
        locked_until=None,
    )
)


def _settled(outcome: Outcome) -> dict[str, Any]:
    return {
        "b_id": outcome.delivery.message_id,
        "b_lease": outcome.delivery.lease_until,
        "b_status": outcome.status,
        "b_next": outcome.next_at or outcome.at,
        "b_delivered": outcome.at if outcome.delivered else None,
        "b_code": outcome.status_code,
        "b_error": outcome.error,
    }


def _attempt(outcome: Outcome) -> dict[str, Any]:
    return {
        "message_id": outcome.delivery.message_id,
        "at": outcome.at,
        "status_code": outcome.status_code,
        "duration_ms": outcome.duration_ms,
        "response_snippet": outcome.snippet,
        "error": outcome.error,
    }


class DeliveryQueue:
    """The delivery queue of a unit of work."""

    def __init__(self, uow: Session) -> None:
        self._uow = uow

    async def claim(
        self, *, limit: int, closed: Sequence[str], now: dt.datetime, lease: dt.timedelta
    ) -> list[Delivery]:
        """Claim up to ``limit`` due messages, none of the ``closed`` endpoints', oldest
        first, leased for ``lease``; in message order."""
        until = now + lease
        rows = await self._uow.dialect.claim(
            self._uow.conn, limit=limit, closed=closed, now=now, until=until
        )
        return sorted((_delivery(r, until) for r in rows), key=lambda d: d.message_id)

    async def give_back(self, deliveries: Sequence[tuple[Delivery, dt.datetime | None]]) -> None:
        """Unclaim messages that were not sent: pending again at the given time (None: where
        they were in the queue), the attempt their claim counted taken back; only those this
        worker still holds."""
        if deliveries:
            await self._uow.conn.execute(
                _GIVE_BACK,
                [
                    {"b_id": d.message_id, "b_lease": d.lease_until, "b_next": due}
                    for d, due in deliveries
                ],
            )

    async def write(self, records: Sequence[Record]) -> list[Outcome]:
        """Write what deliveries gave: releases given back, outcomes on their messages (those
        still held) and in the delivery log. A message deleted while it was out for delivery
        (a sandbox reset, ``deleteSandboxData``) gets no attempt: its outcome is dropped.
        Returns the outcomes logged."""
        await self.give_back([(r.delivery, r.due) for r in records if isinstance(r, Release)])
        outcomes = [r for r in records if isinstance(r, Outcome)]
        if not outcomes:
            return []
        await self._uow.conn.execute(_SETTLE, [_settled(o) for o in outcomes])
        ids = [o.delivery.message_id for o in outcomes]
        found = await self._uow.conn.execute(sa.select(_m.c.id).where(_m.c.id.in_(ids)))
        kept = set(found.scalars())
        outcomes = [o for o in outcomes if o.delivery.message_id in kept]
        if outcomes:
            await self._uow.conn.execute(webhook_attempts.insert(), [_attempt(o) for o in outcomes])
        return outcomes

    async def failing_since(self, endpoint_id: str) -> dt.datetime | None:
        """When the oldest message that FAILED since the endpoint's last delivery was
        queued; None if none failed since."""
        last_success = await self._uow.conn.scalar(
            sa.select(sa.func.max(_m.c.delivered_at)).where(_m.c.endpoint_id == endpoint_id)
        )
        first_failure = sa.select(sa.func.min(_m.c.created_at)).where(
            _m.c.endpoint_id == endpoint_id, _m.c.status == "FAILED"
        )
        if last_success is not None:
            first_failure = first_failure.where(_m.c.created_at > last_success)
        found: dt.datetime | None = await self._uow.conn.scalar(first_failure)
        return found

    async def depth(self) -> int:
        """Messages waiting or in flight, for the metrics."""
        found = await self._uow.conn.scalar(
            sa.select(sa.func.count()).where(_m.c.status.in_(["PENDING", "SENDING"]))
        )
        return int(found or 0)

    async def next_due(self) -> dt.datetime | None:
        """The soonest moment a message falls due, or a lease runs out; None if neither."""
        due = await self._uow.conn.scalar(
            sa.select(sa.func.min(_m.c.next_attempt_at)).where(_m.c.status == "PENDING")
        )
        leased = await self._uow.conn.scalar(
            sa.select(sa.func.min(_m.c.locked_until)).where(_m.c.status == "SENDING")
        )
        moments: list[dt.datetime] = [m for m in (due, leased) if m is not None]
        return min(moments) if moments else None
