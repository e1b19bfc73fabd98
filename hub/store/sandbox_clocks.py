"""Test clocks in storage (``hub.domain.test_clocks``), and the time of a clocked account.

A clock row is the organization's until it is deleted (``deleted_at``: then it is not found,
and no longer counts toward the limit); its accounts stay on it, at its last time. While a
clock advances, the runner that moves it holds a lease (``lease_until``), taken by a
conditional UPDATE only one runner can win, and renewed at each halt; a runner that stops
leaves the lease to run out, and another takes the clock up where it was left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from hub.domain.test_clocks import ClockStatus
from hub.store.session import Session
from hub.store.tables import (
    accounts,
    events,
    holds,
    organizations,
    payment_plans,
    sandbox_steps,
    test_clocks,
    webhook_messages,
)


@dataclass(frozen=True)
class StoredClock:
    id: str
    organization_id: str
    name: str | None
    status: ClockStatus
    frozen_time: dt.datetime
    advancing_to: dt.datetime | None
    created_at: dt.datetime


def _clock(r: sa.Row) -> StoredClock:
    return StoredClock(
        r.id,
        r.organization_id,
        r.name,
        ClockStatus(r.status),
        r.frozen_time,
        r.advancing_to,
        r.created_at,
    )


_c = test_clocks.c
_live = _c.deleted_at.is_(None)


class SandboxClocks:
    def __init__(self, uow: Session) -> None:
        self._uow = uow

    async def add(self, clock: StoredClock) -> None:
        await self._uow.conn.execute(
            sa.insert(test_clocks).values(
                id=clock.id,
                organization_id=clock.organization_id,
                name=clock.name,
                status=clock.status.value,
                frozen_time=clock.frozen_time,
                advancing_to=None,
                lease_until=None,
                created_at=clock.created_at,
                deleted_at=None,
            )
        )

    async def count(self, organization_id: str) -> int:
        """The organization's live clocks, its row locked first (``FOR UPDATE`` on
        PostgreSQL; SQLite's writers take turns) so creates racing each other count one
        after the other and the limit holds."""
        await self._uow.conn.execute(
            sa.select(organizations.c.id)
            .where(organizations.c.id == organization_id)
            .with_for_update()
        )
        found = await self._uow.conn.execute(
            sa.select(sa.func.count())
            .select_from(test_clocks)
            .where(_c.organization_id == organization_id, _live)
        )
        return int(found.scalar_one())

    async def get(self, organization_id: str, clock_id: str) -> StoredClock | None:
        """The organization's clock, unless deleted."""
        found = await self.get_many(organization_id, [clock_id])
        return found.get(clock_id)

    async def get_many(self, organization_id: str, ids: Sequence[str]) -> dict[str, StoredClock]:
        rows = await self._uow.conn.execute(
            sa.select(test_clocks).where(
                _c.organization_id == organization_id, _c.id.in_(list(ids)), _live
            )
        )
        return {r.id: _clock(r) for r in rows}

    async def by_id(self, clock_id: str) -> StoredClock | None:
        """A clock whatever its organization (the runner's), unless deleted."""
        row = (
            await self._uow.conn.execute(sa.select(test_clocks).where(_c.id == clock_id, _live))
        ).first()
        return None if row is None else _clock(row)

    async def delete(self, organization_id: str, clock_id: str, now: dt.datetime) -> bool:
        result = await self._uow.conn.execute(
            sa.update(test_clocks)
            .where(_c.organization_id == organization_id, _c.id == clock_id, _live)
            .values(deleted_at=now, lease_until=None)
        )
        return bool(result.rowcount == 1)

    async def start_advance(self, clock_id: str, target: dt.datetime) -> bool:
        """Mark a READY clock ``ADVANCING`` to ``target``; False if it is advancing already."""
        result = await self._uow.conn.execute(
            sa.update(test_clocks)
            .where(_c.id == clock_id, _live, _c.status == ClockStatus.READY.value)
            .values(status=ClockStatus.ADVANCING.value, advancing_to=target, lease_until=None)
        )
        return bool(result.rowcount == 1)

    async def waiting(self, now: dt.datetime, limit: int) -> list[str]:
        """Advancing clocks no runner holds (or whose runner's lease ran out)."""
        rows = await self._uow.conn.execute(
            sa.select(_c.id)
            .where(_live, _c.status == ClockStatus.ADVANCING.value)
            .where(sa.or_(_c.lease_until.is_(None), _c.lease_until < now))
            .order_by(_c.created_at)
            .limit(limit)
        )
        return [r.id for r in rows]

    async def take_lease(
        self, clock_id: str, now: dt.datetime, until: dt.datetime
    ) -> StoredClock | None:
        """Hold an advancing clock until ``until``; None if another runner holds it (or it
        is not advancing, or deleted)."""
        result = await self._uow.conn.execute(
            sa.update(test_clocks)
            .where(_c.id == clock_id, _live, _c.status == ClockStatus.ADVANCING.value)
            .where(sa.or_(_c.lease_until.is_(None), _c.lease_until < now))
            .values(lease_until=until)
        )
        if result.rowcount != 1:
            return None
        return await self.by_id(clock_id)

    async def move(self, clock_id: str, frozen_time: dt.datetime, lease_until: dt.datetime) -> bool:
        """Move an advancing clock to ``frozen_time`` and renew the lease; False if it was
        deleted meanwhile."""
        result = await self._uow.conn.execute(
            sa.update(test_clocks)
            .where(_c.id == clock_id, _live, _c.status == ClockStatus.ADVANCING.value)
            .values(frozen_time=frozen_time, lease_until=lease_until)
        )
        return bool(result.rowcount == 1)

    async def finish(self, clock_id: str, frozen_time: dt.datetime) -> bool:
        result = await self._uow.conn.execute(
            sa.update(test_clocks)
            .where(_c.id == clock_id, _live, _c.status == ClockStatus.ADVANCING.value)
            .values(
                status=ClockStatus.READY.value,
                frozen_time=frozen_time,
                advancing_to=None,
                lease_until=None,
            )
        )
        return bool(result.rowcount == 1)

    async def time_of(self, clock_id: str) -> dt.datetime | None:
        """A clock's time (deleted or not: its accounts stay at its last time), or None."""
        found = await self._uow.conn.execute(sa.select(_c.frozen_time).where(_c.id == clock_id))
        at: dt.datetime | None = found.scalar_one_or_none()
        return at

    async def deliver_now(self, clock_id: str, now: dt.datetime) -> int:
        """Make the first attempt of the pending webhook messages of the clock's accounts
        due at ``now`` (their events are dated at the clock's time, which may be ahead of
        the hub's), and wake the delivery workers at commit; how many were moved."""
        m = webhook_messages.c
        on_clock = sa.select(accounts.c.id).where(accounts.c.test_clock_id == clock_id)
        result = await self._uow.conn.execute(
            sa.update(webhook_messages)
            .where(
                m.status == "PENDING",
                m.attempts == 0,
                m.next_attempt_at > now,
                m.event_id.in_(sa.select(events.c.id).where(events.c.account_id.in_(on_clock))),
            )
            .values(next_attempt_at=now)
        )
        moved = int(result.rowcount or 0)
        if moved:
            await self._uow.dialect.announce_outbox(self._uow.conn)
        return moved

    async def runs_daily(self, clock_id: str) -> bool:
        """Whether the clock must halt every day: one of its accounts has a running plan
        (which may break) or a hold with an end (which may pass)."""
        on_clock = sa.select(accounts.c.id).where(accounts.c.test_clock_id == clock_id)
        plan = sa.exists().where(
            payment_plans.c.account_id.in_(on_clock), payment_plans.c.status == "ACTIVE"
        )
        hold = sa.exists().where(
            holds.c.account_id.in_(on_clock), holds.c.status == "ACTIVE", holds.c.until.is_not(None)
        )
        found = await self._uow.conn.execute(sa.select(sa.or_(plan, hold)))
        return bool(found.scalar_one())

    async def next_step(self, clock_id: str) -> dt.datetime | None:
        """When the clock's next unclaimed scenario step acts, if it has one."""
        s = sandbox_steps.c
        found = await self._uow.conn.execute(
            sa.select(sa.func.min(s.acts_at))
            .join(accounts, accounts.c.id == s.account_id)
            .where(s.claimed_at.is_(None), accounts.c.test_clock_id == clock_id)
        )
        at: dt.datetime | None = found.scalar_one_or_none()
        return at
