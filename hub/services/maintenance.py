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

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain.collection_state import Item
from hub.domain.errors import DomainError
from hub.domain.hold import Hold
from hub.services.account_changes import change_account
from hub.services.context import ServiceContext
from hub.store import counts
from hub.store.accounts import Loaded, Target
from hub.store.unit_of_work import UnitOfWork

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
    async with ctx.store.read() as uow:
        plans = await uow.items.running_plans()
        holds = await uow.items.expired_holds(now)
    grace = ctx.settings.plan_grace_days
    for due in plans:
        if due.plan.broken_by(due.paid_minor, today=now.date(), grace_days=grace):
            plan_id = due.plan.id

            async def break_plan(
                _uow: UnitOfWork, loaded: Loaded, at: dt.datetime, plan_id: str = plan_id
            ) -> Item:
                return loaded.collection.break_plan(plan_id, at)

            if await _system_change(ctx, due.agency_id, due.plan.account_id, now, break_plan):
                report.plans_broken += 1
    for expired in holds:

        async def release(_uow: UnitOfWork, loaded: Loaded, at: dt.datetime) -> Item:
            hold = loaded.target
            assert isinstance(hold, Hold)
            return loaded.collection.release_hold(hold, at)

        if await _system_change(
            ctx, expired.agency_id, expired.hold_id, now, release, target=Target.HOLD
        ):
            report.holds_released += 1
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


async def _system_change(
    ctx: ServiceContext,
    agency_id: str | None,
    id_: str,
    now: dt.datetime,
    move: object,
    target: Target | None = None,
) -> bool:
    """A change the hub makes itself, acting for the account's agency; False if moot."""
    if agency_id is None:
        return False
    system = Principal(
        client_id="hub", organization_id=agency_id, kind=OrganizationKind.AGENCY, scopes=frozenset()
    )
    try:
        await change_account(
            dataclasses.replace(ctx, clock=lambda: now),
            system,
            None,
            None,
            id_,
            move,  # type: ignore[arg-type]
            operation="sweep",
            target=target,
        )
    except DomainError:
        return False
    return True


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
    every ``sandbox_interval_seconds`` until ``stop`` is set."""
    from hub.services.sandbox_agency import run_due

    while not stop.is_set():
        try:
            await run_due(ctx)
        except Exception:  # like the sweep, the loop outlives one failed run
            log.exception("sandbox agency run failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=ctx.settings.sandbox_interval_seconds)
