"""An endpoint's deliveries as its organization and the operator see them, and messages
queued for one endpoint on request: replays of past events and retries of failed ones.

Queueing announces itself (``EventLog.announce_outbox``), so delivery workers wake at commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.auth.tokens import Principal
from hub.domain.events import WEBHOOK_TEST
from hub.store.endpoints import Endpoint
from hub.store.event_log import EventLog
from hub.store.session import Session
from hub.store.tables import events, webhook_attempts, webhook_endpoints, webhook_messages
from hub.store.visibility import event_clause

_m, _e = webhook_messages, webhook_endpoints


@dataclass(frozen=True, slots=True)
class LoggedAttempt:
    """One try at delivering a message."""

    at: dt.datetime
    status_code: int | None
    duration_ms: int
    response_snippet: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class LoggedDelivery:
    """One event's delivery to one endpoint (a queued message), with its attempts."""

    id: int
    event_id: str
    event_type: str
    #: PENDING, SENDING, DELIVERED or FAILED.
    status: str
    next_attempt_at: dt.datetime
    delivered_at: dt.datetime | None
    #: Every attempt, oldest first.
    attempts: tuple[LoggedAttempt, ...]


@dataclass(frozen=True, slots=True)
class EndpointQueue:
    """An endpoint with its message counts by status (the operator's view)."""

    endpoint_id: str
    organization_id: str
    url: str
    enabled: bool
    #: Messages by status (PENDING, SENDING, DELIVERED, FAILED); statuses with none left out.
    messages: dict[str, int]


def _attempt(row: Any) -> LoggedAttempt:
    return LoggedAttempt(row.at, row.status_code, row.duration_ms, row.response_snippet, row.error)


class DeliveryLog:
    """Endpoints' deliveries, replays and retries, in a unit of work."""

    def __init__(self, uow: Session) -> None:
        self._uow = uow

    async def deliveries(
        self,
        organization_id: str,
        endpoint_id: str,
        *,
        status: str | None,
        before_id: int | None,
        limit: int,
    ) -> list[LoggedDelivery]:
        """An endpoint's messages, newest first, with every attempt of each."""
        query = (
            sa.select(_m, events.c.type.label("event_type"))
            .join(events, events.c.id == _m.c.event_id)
            .join(_e, _e.c.id == _m.c.endpoint_id)
            .where(_m.c.endpoint_id == endpoint_id, _e.c.organization_id == organization_id)
        )
        if status is not None:
            query = query.where(_m.c.status == status)
        if before_id is not None:
            query = query.where(_m.c.id < before_id)
        messages = (await self._uow.conn.execute(query.order_by(_m.c.id.desc()).limit(limit))).all()
        attempts: dict[int, list[LoggedAttempt]] = {row.id: [] for row in messages}
        if messages:
            found = await self._uow.conn.execute(
                sa.select(webhook_attempts)
                .where(webhook_attempts.c.message_id.in_(list(attempts)))
                .order_by(webhook_attempts.c.id)
            )
            for row in found:
                attempts[row.message_id].append(_attempt(row))
        return [
            LoggedDelivery(
                id=row.id,
                event_id=row.event_id,
                event_type=row.event_type,
                status=row.status,
                next_attempt_at=row.next_attempt_at,
                delivered_at=row.delivered_at,
                attempts=tuple(attempts[row.id]),
            )
            for row in messages
        ]

    async def replayable(
        self,
        principal: Principal,
        endpoint: Endpoint,
        *,
        since: dt.datetime | None,
        until: dt.datetime | None,
        event_ids: Sequence[str] | None,
    ) -> int:
        """How many events a replay with this selection would queue (see ``replay``)."""
        chosen = _replayed(principal, endpoint, since, until, event_ids).subquery()
        found = await self._uow.conn.scalar(sa.select(sa.func.count()).select_from(chosen))
        return int(found or 0)

    async def replay(
        self,
        principal: Principal,
        endpoint: Endpoint,
        now: dt.datetime,
        *,
        since: dt.datetime | None,
        until: dt.datetime | None,
        event_ids: Sequence[str] | None,
    ) -> None:
        """Queue the principal's events again for the endpoint: those of its types (test
        deliveries excepted), in ``since`` ≤ occurred < ``until`` or among ``event_ids``. A
        message already queued or delivered is reset to pending, never duplicated."""
        chosen = _replayed(principal, endpoint, since, until, event_ids).subquery()
        rows = sa.select(
            sa.literal(endpoint.id),
            chosen.c.id,
            sa.literal("PENDING"),
            sa.literal(0),
            sa.literal(now, type_=_m.c.next_attempt_at.type),
            sa.literal(now, type_=_m.c.created_at.type),
        ).where(sa.true())  # SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT
        statement = (
            self._uow.dialect.insert(_m)
            .from_select(
                ["endpoint_id", "event_id", "status", "attempts", "next_attempt_at", "created_at"],
                rows,
            )
            .on_conflict_do_update(
                index_elements=[_m.c.endpoint_id, _m.c.event_id],
                set_={
                    "status": "PENDING",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "locked_until": None,
                },
            )
        )
        await self._uow.conn.execute(statement)
        await EventLog(self._uow).announce_outbox()

    # --- the operator's views (evenly-hub admin webhooks): across organizations -----------

    async def queue_summary(self, organization_id: str | None) -> list[EndpointQueue]:
        """Every endpoint (of one organization, or all) with its message counts by status."""
        query = (
            sa.select(
                _e.c.id,
                _e.c.organization_id,
                _e.c.url,
                _e.c.enabled,
                _m.c.status,
                sa.func.count(_m.c.id),
            )
            .select_from(_e.outerjoin(_m, _m.c.endpoint_id == _e.c.id))
            .group_by(_e.c.id, _e.c.organization_id, _e.c.url, _e.c.enabled, _m.c.status)
            .order_by(_e.c.id)
        )
        if organization_id is not None:
            query = query.where(_e.c.organization_id == organization_id)
        endpoints: dict[str, tuple[str, str, bool]] = {}
        counts: dict[str, dict[str, int]] = {}
        for endpoint_id, owner, url, enabled, status, count in await self._uow.conn.execute(query):
            endpoints[endpoint_id] = (owner, url, enabled)
            messages = counts.setdefault(endpoint_id, {})
            if status is not None:
                messages[status] = count
        return [EndpointQueue(i, *endpoints[i], counts[i]) for i in endpoints]

    async def retry_failed(self, endpoint_id: str, now: dt.datetime) -> int:
        """Queue an endpoint's FAILED messages again, from their first attempt; how many."""
        retried = await self._uow.conn.execute(
            _m.update()
            .where(_m.c.endpoint_id == endpoint_id, _m.c.status == "FAILED")
            .values(status="PENDING", attempts=0, next_attempt_at=now, locked_until=None)
        )
        if retried.rowcount:
            await EventLog(self._uow).announce_outbox()
        return int(retried.rowcount)

    async def remove_delivered(self, before: dt.datetime, limit: int) -> int:
        """Remove up to ``limit`` messages delivered before ``before``, oldest first, with
        their attempts; how many. The events stay (they are the record; a replay queues
        them again). Found by the queue's index (a delivered message's ``next_attempt_at``
        is its last attempt's, no later than its delivery)."""
        chosen = (
            sa.select(_m.c.id)
            .where(
                _m.c.status == "DELIVERED",
                _m.c.next_attempt_at < before,
                _m.c.delivered_at < before,
            )
            .order_by(_m.c.next_attempt_at)
            .limit(limit)
        )
        ids = list(await self._uow.conn.scalars(chosen))
        if not ids:
            return 0
        # Attempts first (their key needs the message); a message replayed meanwhile is
        # PENDING again and stays, attempts and all.
        still = sa.select(_m.c.id).where(_m.c.id.in_(ids), _m.c.status == "DELIVERED")
        await self._uow.conn.execute(
            webhook_attempts.delete().where(webhook_attempts.c.message_id.in_(still))
        )
        removed = await self._uow.conn.execute(
            _m.delete().where(_m.c.id.in_(ids), _m.c.status == "DELIVERED")
        )
        return int(removed.rowcount)


def _replayed(
    principal: Principal,
    endpoint: Endpoint,
    since: dt.datetime | None,
    until: dt.datetime | None,
    event_ids: Sequence[str] | None,
) -> sa.Select[Any]:
    # Another endpoint's test deliveries are not this endpoint's history.
    chosen = sa.select(events.c.id).where(event_clause(principal), events.c.type != WEBHOOK_TEST)
    if endpoint.event_types:
        chosen = chosen.where(events.c.type.in_(list(endpoint.event_types)))
    if event_ids is not None:
        chosen = chosen.where(events.c.id.in_(list(event_ids)))
    if since is not None:
        chosen = chosen.where(events.c.occurred_at >= since)
    if until is not None:
        chosen = chosen.where(events.c.occurred_at < until)
    return chosen
