"""The simulated sandbox agency's pending steps in storage (``hub.domain.sandbox_scenarios``).

Each step is a row, so a stopped worker loses none; a runner takes a due one by setting its
``claimed_at`` where it is still null, a conditional UPDATE that only one runner can win on
PostgreSQL and SQLite alike, so every step runs at most once. A step the account cannot take
yet (a contact outside the compliance windows) is put back with the account's later steps
moved by the same delay (``defer``), so the scenario keeps its order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from hub.store.customers import customer_key
from hub.store.session import Session
from hub.store.tables import (
    accounts,
    customers,
    events,
    organizations,
    sandbox_steps,
    webhook_messages,
)


@dataclass(frozen=True)
class StoredStep:
    id: str
    account_id: str
    agency_id: str
    scenario: str
    position: int
    due_at: dt.datetime
    acts_at: dt.datetime
    #: The test clock of the account, if it lives on one: then ``due_at`` is ``acts_at``,
    #: and the step runs when the clock passes it (``due_on_clock``), not on the wall clock.
    clock_id: str | None = None


def _step(r: sa.Row) -> StoredStep:
    return StoredStep(
        r.id, r.account_id, r.agency_id, r.scenario, r.position, r.due_at, r.acts_at, r.clock_id
    )


@dataclass(frozen=True)
class Unscheduled:
    """An account routed to a simulated agency that has no steps yet."""

    account_id: str
    agency_id: str
    creditor_id: str
    placed_at: dt.datetime
    metadata: dict[str, object] | None
    #: The customer's email (decrypted), whose ``+tag`` may name the scenario.
    email: str | None = None
    test_clock_id: str | None = None


class SandboxSteps:
    def __init__(self, uow: Session) -> None:
        self._uow = uow

    async def add(self, steps: Sequence[StoredStep]) -> None:
        if not steps:
            return
        await self._uow.conn.execute(
            sa.insert(sandbox_steps),
            [
                {
                    "id": s.id,
                    "account_id": s.account_id,
                    "agency_id": s.agency_id,
                    "scenario": s.scenario,
                    "position": s.position,
                    "due_at": s.due_at,
                    "acts_at": s.acts_at,
                    "claimed_at": None,
                }
                for s in steps
            ],
        )

    async def due(self, now: dt.datetime, limit: int) -> list[StoredStep]:
        """Unclaimed steps due by ``now``, oldest first, each account's in order (of
        accounts on no test clock: a clock's steps run as it advances)."""
        c = sandbox_steps.c
        rows = await self._uow.conn.execute(
            sa.select(sandbox_steps, accounts.c.test_clock_id.label("clock_id"))
            .join(accounts, accounts.c.id == c.account_id)
            .where(c.claimed_at.is_(None), c.due_at <= now, accounts.c.test_clock_id.is_(None))
            .order_by(c.due_at, c.account_id, c.position)
            .limit(limit)
        )
        return [_step(r) for r in rows]

    async def due_on_clock(self, clock_id: str, until: dt.datetime, limit: int) -> list[StoredStep]:
        """Unclaimed steps of the clock's accounts that act by ``until`` on it, in order."""
        c = sandbox_steps.c
        rows = await self._uow.conn.execute(
            sa.select(sandbox_steps, accounts.c.test_clock_id.label("clock_id"))
            .join(accounts, accounts.c.id == c.account_id)
            .where(c.claimed_at.is_(None), c.acts_at <= until, accounts.c.test_clock_id == clock_id)
            .order_by(c.acts_at, c.account_id, c.position)
            .limit(limit)
        )
        return [_step(r) for r in rows]

    async def claim(self, step_id: str, now: dt.datetime) -> bool:
        """Take one step that is due at ``now``; False if another runner took it first (or
        it was deferred meanwhile)."""
        c = sandbox_steps.c
        result = await self._uow.conn.execute(
            sa.update(sandbox_steps)
            .where(c.id == step_id, c.claimed_at.is_(None), c.due_at <= now)
            .values(claimed_at=now)
        )
        return bool(result.rowcount == 1)

    async def pending(self, account_id: str) -> int:
        c = sandbox_steps.c
        found = await self._uow.conn.execute(
            sa.select(sa.func.count())
            .select_from(sandbox_steps)
            .where(c.account_id == account_id, c.claimed_at.is_(None))
        )
        return int(found.scalar_one())

    async def defer(self, step: StoredStep, acts_at: dt.datetime, due_at: dt.datetime) -> None:
        """Put a claimed ``step`` back, to act at ``acts_at`` (due at ``due_at``), and move
        the account's later unclaimed steps by the same delays."""
        c = sandbox_steps.c
        by_acts, by_due = acts_at - step.acts_at, due_at - step.due_at
        later = await self._uow.conn.execute(
            sa.select(c.id, c.due_at, c.acts_at).where(
                c.account_id == step.account_id,
                c.position > step.position,
                c.claimed_at.is_(None),
            )
        )
        moves = [(step.id, due_at, acts_at)]
        moves += [(r.id, r.due_at + by_due, r.acts_at + by_acts) for r in later]
        for id_, due, acts in moves:
            await self._uow.conn.execute(
                sa.update(sandbox_steps)
                .where(c.id == id_)
                .values(due_at=due, acts_at=acts, claimed_at=None)
            )

    async def deliver_now(self, account_id: str, now: dt.datetime) -> int:
        """Make the first attempt of the account's pending webhook messages due at ``now``
        (and wake the delivery workers at commit): a step writes its events at the account's
        clock, days ahead of the wall clock, and a message is first due at its event's
        time. Retries keep their schedule. How many were moved."""
        m = webhook_messages.c
        result = await self._uow.conn.execute(
            sa.update(webhook_messages)
            .where(
                m.status == "PENDING",
                m.attempts == 0,
                m.next_attempt_at > now,
                m.event_id.in_(sa.select(events.c.id).where(events.c.account_id == account_id)),
            )
            .values(next_attempt_at=now)
        )
        moved = int(result.rowcount or 0)
        if moved:
            await self._uow.dialect.announce_outbox(self._uow.conn)
        return moved

    async def unscheduled(self, limit: int) -> list[Unscheduled]:
        """Accounts of simulated agencies with no step rows at all (a scenario without steps
        leaves one claimed marker row, so each account is scheduled once), with their
        customer's email."""
        a, o, s, cu = accounts.c, organizations.c, sandbox_steps.c, customers.c
        rows = await self._uow.conn.execute(
            sa.select(
                a.id,
                a.agency_id,
                a.creditor_id,
                a.placed_at,
                a.metadata,
                a.test_clock_id,
                cu.creditor_id.label("customer_creditor"),
                cu.reference,
                cu.email_enc,
            )
            .join(organizations, o.id == a.agency_id)
            .join(customers, cu.id == a.customer_id)
            .where(
                o.simulated.is_(True),
                ~sa.exists().where(s.account_id == a.id),
            )
            .order_by(a.placed_at)
            .limit(limit)
        )
        cipher = self._uow.cipher
        return [
            Unscheduled(
                r.id,
                r.agency_id,
                r.creditor_id,
                r.placed_at,
                r.metadata,
                cipher.decrypt(
                    r.email_enc, customer_key(r.customer_creditor, r.reference), "email"
                ),
                r.test_clock_id,
            )
            for r in rows
        ]
