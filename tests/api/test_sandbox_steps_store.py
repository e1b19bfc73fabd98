"""The simulated agency's pending steps are rows: a due one is claimed once, by one runner."""

from __future__ import annotations

import asyncio
import datetime as dt

from hub.domain.ids import new_id
from hub.store.sandbox_steps import StoredStep
from tests.conftest import Backend, Caller, place


async def test_a_due_step_is_claimed_once_and_a_later_one_waits(
    backend: Backend, routed: tuple[Caller, Caller]
) -> None:
    creditor, agency = routed
    account = await place(creditor)
    now = dt.datetime.now(dt.UTC)
    steps = [
        StoredStep(
            new_id("sst"), account["account"]["id"], agency.organization_id, "x", i, now + d, now
        )
        for i, d in enumerate((dt.timedelta(seconds=-1), dt.timedelta(hours=1)))
    ]
    store = backend.services.store
    async with store.transaction() as uow:
        await uow.sandbox_steps.add(steps)
    async with store.read() as uow:
        due = [
            s
            for s in await uow.sandbox_steps.due(now, 100)
            if s.account_id == account["account"]["id"]
        ]
    assert [s.position for s in due] == [0]

    async def claim() -> bool:
        async with store.transaction() as uow:
            return await uow.sandbox_steps.claim(due[0].id, now)

    won = await asyncio.gather(*(claim() for _ in range(4)))
    assert sorted(won) == [False, False, False, True]
    async with store.read() as uow:
        assert await uow.sandbox_steps.pending(account["account"]["id"]) == 1
        assert not [s for s in await uow.sandbox_steps.due(now, 100) if s.id == due[0].id]
