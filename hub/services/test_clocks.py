"""Test clocks' use cases (``createTestClock``, ``testClock``, ``advanceTestClock``,
``deleteTestClock``): sandbox organizations only (``SANDBOX_ONLY``); another organization's
clock, or a deleted one, is ``NOT_FOUND``. The rules and limits are
``hub.domain.test_clocks``'s; the advance itself is ``hub.services.clock_advance``'s.
"""

from __future__ import annotations

import datetime as dt

from hub.auth.tokens import Principal
from hub.domain.errors import DomainError
from hub.domain.ids import new_id
from hub.domain.test_clocks import (
    TEST_CLOCK_ADVANCING,
    ClockStatus,
    advance_target,
    check_new_clock,
    clock_not_found,
)
from hub.services import clock_advance
from hub.services.context import ServiceContext
from hub.services.sandbox import require_sandbox_organization
from hub.store.sandbox_clocks import StoredClock

#: How long ``advanceTestClock(wait: true)`` waits for the clock to be ready (below the
#: SDK's 30 s request timeout; the SDK then polls ``testClock``).
WAIT_SECONDS = 25.0


async def create_test_clock(
    ctx: ServiceContext, principal: Principal, frozen_time: dt.datetime, name: str | None
) -> StoredClock:
    """A new clock at ``frozen_time`` (``TEST_CLOCK_LIMIT`` past ``MAX_CLOCKS``)."""
    org = principal.organization_id
    async with ctx.store.transaction() as uow:
        await require_sandbox_organization(uow, principal, "createTestClock")
        check_new_clock(frozen_time, name, await uow.sandbox_clocks.count(org))
        clock = StoredClock(
            new_id("clk"),
            org,
            name,
            ClockStatus.READY,
            frozen_time.astimezone(dt.UTC),
            None,
            ctx.clock(),
        )
        await uow.sandbox_clocks.add(clock)
    return clock


async def get_test_clock(ctx: ServiceContext, principal: Principal, clock_id: str) -> StoredClock:
    async with ctx.store.read() as uow:
        await require_sandbox_organization(uow, principal, "testClock")
        clock = await uow.sandbox_clocks.get(principal.organization_id, clock_id)
    if clock is None:
        raise clock_not_found()
    return clock


async def delete_test_clock(ctx: ServiceContext, principal: Principal, clock_id: str) -> None:
    """Delete the clock: it is not found any more and no longer counts toward the limit;
    its accounts stay where it stopped (nothing time-driven happens to them again; delete
    them with ``deleteSandboxData``)."""
    async with ctx.store.transaction() as uow:
        await require_sandbox_organization(uow, principal, "deleteTestClock")
        if not await uow.sandbox_clocks.delete(principal.organization_id, clock_id, ctx.clock()):
            raise clock_not_found()


async def advance_test_clock(
    ctx: ServiceContext,
    principal: Principal,
    clock_id: str,
    *,
    to: dt.datetime | None,
    by: str | None,
    wait: bool,
    wait_seconds: float = WAIT_SECONDS,
) -> StoredClock:
    """Mark the clock ``ADVANCING`` to ``to`` (or its time ``+ by``); the worker moves it.
    With ``wait``, advance it here (or wait for the runner that holds it) and return once
    it is ``READY``, or after ``wait_seconds`` with the clock still ``ADVANCING`` (the
    advance goes on; read ``testClock`` later)."""
    async with ctx.store.transaction() as uow:
        await require_sandbox_organization(uow, principal, "advanceTestClock")
        clock = await uow.sandbox_clocks.get(principal.organization_id, clock_id)
        if clock is None:
            raise clock_not_found()
        if clock.status is ClockStatus.ADVANCING:
            raise _advancing()
        target = advance_target(clock.frozen_time, to, by)
        if not await uow.sandbox_clocks.start_advance(clock_id, target):
            raise _advancing()
    if wait:
        await clock_advance.wait_ready(ctx, clock_id, wait_seconds)
    return await get_test_clock(ctx, principal, clock_id)


def _advancing() -> DomainError:
    return DomainError.of(
        TEST_CLOCK_ADVANCING, "the clock is advancing; wait until it is READY", "id"
    )
