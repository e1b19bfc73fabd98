"""Advancing a test clock (``hub.domain.test_clocks``): the work behind ``ADVANCING``.

``advanceTestClock`` only marks a clock ``ADVANCING`` with its target; a runner (the worker's
sandbox loop, ``run_advancing``, or the request itself when it waits) takes the clock's
lease (``LEASE``, renewed at every halt, so two runners never move one clock, and a stopped
runner's clock is taken up by another once its lease runs out) and moves the clock forward
in halts: at the end of each day on the clock (midnight UTC) while one of its accounts has a
plan running or a hold with an end, else at its next scenario step, and at the target. Before
each halt it performs every simulated agency step of the clock's accounts that falls due by it,
each at its own instant; at each halt it breaks the plans overdue past the grace period and
ends the holds whose end passed, on that day. So a plan breaks, and a hold ends, on the
simulated day it would have, and every event written is dated at the clock's time. The
webhooks of those events go out at once (at the hub's time). At the target the clock is
``READY`` and its organization gets ``test_clock.ready``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable

from hub.auth.scopes import OrganizationKind
from hub.domain.payloads import test_clock_ready_row
from hub.services import holds, plans, sandbox_agency
from hub.services.context import ServiceContext
from hub.store.sandbox_clocks import StoredClock
from hub.store.unit_of_work import UnitOfWork

log = logging.getLogger("evenly.test_clocks")

#: How long a runner holds a clock between halts before another may take it over.
LEASE = dt.timedelta(seconds=120)
#: Clocks taken up per run of the worker's loop.
BATCH = 20
_DAY = dt.timedelta(days=1)


def next_halt(at: dt.datetime, target: dt.datetime) -> dt.datetime:
    """The next halt after ``at``: the next midnight UTC on the clock, or the target."""
    midnight = dt.datetime.combine(at.date(), dt.time(), tzinfo=dt.UTC) + _DAY
    return min(midnight, target)


async def run_advancing(ctx: ServiceContext) -> int:
    """Advance every clock that is waiting for a runner; how many became ready."""
    async with ctx.store.read() as uow:
        waiting = await uow.sandbox_clocks.waiting(ctx.clock(), BATCH)
    ready = 0
    for clock_id in waiting:
        if await advance_clock(ctx, clock_id):
            ready += 1
    return ready


async def advance_clock(ctx: ServiceContext, clock_id: str) -> bool:
    """Take the clock's lease and move it to its target; False if another runner holds it,
    it is not advancing, or it was deleted on the way."""
    wall = ctx.clock()
    async with ctx.store.transaction() as uow:
        clock = await uow.sandbox_clocks.take_lease(clock_id, wall, wall + LEASE)
    if clock is None or clock.advancing_to is None:
        return False
    await sandbox_agency.schedule_new(ctx, wall)  # accounts placed on it just now
    at, target = clock.frozen_time, clock.advancing_to
    while True:
        halt = await _halt_after(ctx, clock_id, at, target)
        await _steps_until(ctx, clock_id, halt)
        there = dataclasses.replace(ctx, clock=_fixed(halt), account_time=True)
        await plans.break_overdue_plans(there, halt, clock_id=clock_id)
        await holds.release_expired_holds(there, halt, clock_id)
        async with ctx.store.transaction() as uow:
            await uow.sandbox_clocks.deliver_now(clock_id, ctx.clock())
            if halt >= target:
                return await _finish(ctx, uow, clock, target)
            if not await uow.sandbox_clocks.move(clock_id, halt, ctx.clock() + LEASE):
                return False
        at = halt
        await asyncio.sleep(0)  # let the request or worker answer others between halts


async def _halt_after(
    ctx: ServiceContext, clock_id: str, at: dt.datetime, target: dt.datetime
) -> dt.datetime:
    """The next halt: the next midnight while a plan runs or a hold has an end on the
    clock (they change by the day); else straight to the next scenario step, or the target."""
    if at >= target:
        return target
    async with ctx.store.read() as uow:
        if await uow.sandbox_clocks.runs_daily(clock_id):
            return next_halt(at, target)
        step = await uow.sandbox_clocks.next_step(clock_id)
    if step is None or step >= target:
        return target
    # Halting right at the step: if it starts a plan, the halts after it are daily.
    return step if step > at else next_halt(at, target)


def _fixed(at: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: at


async def _steps_until(ctx: ServiceContext, clock_id: str, halt: dt.datetime) -> None:
    """Perform the clock's steps that act by ``halt``, in order (a step put off to a later
    time within the halt is performed in a later round)."""
    while True:
        async with ctx.store.read() as uow:
            due = await uow.sandbox_steps.due_on_clock(clock_id, halt, sandbox_agency.BATCH)
        if not due:
            return
        await sandbox_agency.perform_steps(ctx, due, ctx.clock())


async def _finish(
    ctx: ServiceContext, uow: UnitOfWork, clock: StoredClock, target: dt.datetime
) -> bool:
    if not await uow.sandbox_clocks.finish(clock.id, target):
        return False
    found = await ctx.organizations.get_many([clock.organization_id])
    organization = found.get(clock.organization_id)
    is_agency = organization is not None and organization.kind == OrganizationKind.AGENCY.value
    row = test_clock_ready_row(
        clock.organization_id, is_agency, clock.id, clock.name, target, ctx.clock()
    )
    await uow.events.append([row])
    log.info("test clock ready", extra={"clock": clock.id, "at": target.isoformat()})
    return True


async def wait_ready(ctx: ServiceContext, clock_id: str, seconds: float) -> None:
    """Advance the clock in this process if no runner holds it, else wait for the runner;
    return when it is ready or after ``seconds``, whichever comes first. The work
    goes on after a timeout (in this process or the worker's), so the clock becomes ready
    later anyway."""
    task = asyncio.create_task(advance_clock(ctx, clock_id))
    _running.add(task)
    task.add_done_callback(_running.discard)
    deadline = asyncio.get_running_loop().time() + seconds
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if done and task.exception() is None and task.result():
        return
    if done and task.exception() is not None:
        log.error("test clock advance failed", exc_info=task.exception())
    while asyncio.get_running_loop().time() < deadline:
        async with ctx.store.read() as uow:
            clock = await uow.sandbox_clocks.by_id(clock_id)
        if clock is None or clock.advancing_to is None:
            return
        await asyncio.sleep(0.2)


#: Advances started by waiting requests, kept until they end (a task nobody holds may be
#: collected before it is done).
_running: set[asyncio.Task[bool]] = set()
