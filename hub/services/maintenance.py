"""The maintenance loop: time-driven changes no request triggers.

Plans whose installment is overdue past the grace period break, and holds whose ``until``
passed end. Every delivery worker runs this loop (``evenly-hub worker``, and ``serve``
unless ``--no-worker``); several may run at once, as each change is a versioned account
change that a second sweeper finds already done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from hub.services.collection import sweep
from hub.services.context import ServiceContext

log = logging.getLogger("evenly.maintenance")


async def run_maintenance(ctx: ServiceContext, stop: asyncio.Event) -> None:
    """Sweep every ``maintenance_interval_seconds`` until ``stop`` is set."""
    interval = ctx.settings.maintenance_interval_seconds
    while not stop.is_set():
        try:
            report = await sweep(ctx)
            if report.plans_broken or report.holds_released:
                log.info(
                    "maintenance sweep",
                    extra={
                        "plans_broken": report.plans_broken,
                        "holds_released": report.holds_released,
                    },
                )
        except Exception:  # the loop outlives one failed sweep (e.g. the database restarting)
            log.exception("maintenance sweep failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
