"""The maintenance sweep: time-driven changes no request triggers.

Plans whose installment is overdue past the grace period break, holds whose ``until``
passed end, the counts read models' delta rows are folded (``hub.store.counts``), and
delivered webhook messages older than ``delivery_retention_days`` are removed with their
attempts, a short transaction per batch (the events stay: they are the record). The worker process runs ``run_maintenance`` beside delivery (``evenly-hub
worker``, and ``serve`` unless ``--no-worker``); several may run at once, as each change is
a versioned account change that a second sweeper finds already done.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging

from hub.services import holds, plans
from hub.services.context import ServiceContext
from hub.store import counts

log = logging.getLogger("evenly.maintenance")


@dataclasses.dataclass
class SweepReport:
    plans_broken: int = 0
    holds_released: int = 0
    count_rows_folded: int = 0
    deliveries_removed: int = 0


async def sweep(ctx: ServiceContext, now: dt.datetime | None = None) -> SweepReport:
    """Break plans past their grace period, end holds whose ``until`` passed, fold the
    counts' delta rows, remove deliveries past their retention."""
    now = now or ctx.clock()
    report = SweepReport()
    report.plans_broken = await plans.break_overdue_plans(ctx, now)
    report.holds_released = await holds.release_expired_holds(ctx, now)
    async with ctx.store.change() as uow:  # each batch of the fold commits on its own
        report.count_rows_folded = await counts.fold(uow.conn, uow.dialect)
    report.deliveries_removed = await remove_old_deliveries(ctx, now)
    return report


#: Messages removed per transaction: each holds its row locks for a few milliseconds.
RETENTION_BATCH = 1_000


async def remove_old_deliveries(
    ctx: ServiceContext, now: dt.datetime, batch_size: int = RETENTION_BATCH
) -> int:
    """Remove the messages delivered more than ``delivery_retention_days`` before ``now``,
    ``batch_size`` per transaction; how many."""
    before = now - dt.timedelta(days=ctx.settings.delivery_retention_days)
    removed = 0
    while True:
        async with ctx.store.transaction() as uow:
            batch = await uow.delivery_log.remove_delivered(before, batch_size)
        removed += batch
        if batch < batch_size:
            return removed


async def run_maintenance(ctx: ServiceContext, stop: asyncio.Event) -> None:
    """Sweep every ``maintenance_interval_seconds`` until ``stop`` is set."""
    interval = ctx.settings.maintenance_interval_seconds
    while not stop.is_set():
        try:
            report = await sweep(ctx)
            if report.plans_broken or report.holds_released or report.deliveries_removed:
                log.info("maintenance sweep", extra=dataclasses.asdict(report))
        except Exception:  # the loop outlives one failed sweep (e.g. the database restarting)
            log.exception("maintenance sweep failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


async def run_sandbox_agency(ctx: ServiceContext, stop: asyncio.Event) -> None:
    """Perform the simulated sandbox agency's due steps (``hub.services.sandbox_agency``)
    and advance the test clocks waiting for a runner (``hub.services.clock_advance``) every
    ``sandbox_interval_seconds`` until ``stop`` is set."""
    from hub.services.clock_advance import run_advancing
    from hub.services.sandbox_agency import run_due

    while not stop.is_set():
        try:
            await run_due(ctx)
            await run_advancing(ctx)
        except Exception:  # like the sweep, the loop outlives one failed run
            log.exception("sandbox agency run failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=ctx.settings.sandbox_interval_seconds)
