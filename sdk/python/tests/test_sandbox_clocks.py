"""``client.sandbox.clocks`` against a real hub on SQLite and PostgreSQL: create, advance
(waiting by default), get and delete; the limits' codes; a live organization is refused."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from conftest import Parties, make_client, resolve
from evenly._exceptions import NotFoundError, PermissionError, UserError

START = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_clock_is_created_advanced_read_and_deleted(parties: Parties, kind: str) -> None:
    creds = await asyncio.to_thread(parties.hub.organization, "creditor", sandbox=True)
    client: Any = make_client(kind, parties.hub, creds)
    try:
        clock = await resolve(client.sandbox.clocks.create(START, name=f"sdk-{kind}"))
        assert (clock.status, clock.frozen_time, clock.name) == ("READY", START, f"sdk-{kind}")
        placed = await resolve(
            client.accounts.place(
                reference=f"INV-CLK-{kind}",
                customer={"reference": f"CUST-CLK-{kind}", "name": "Nils Ek", "country": "SE"},
                original_amount={"amount_minor": 40000, "currency": "SEK"},
                balance={"amount_minor": 40000, "currency": "SEK"},
                due_date="2025-12-31",
                test_clock_id=clock.id,
            )
        )
        assert placed.account.placed_at == START
        ready = await resolve(client.sandbox.clocks.advance(clock.id, by="P7D"))
        assert (ready.status, ready.frozen_time) == ("READY", START + dt.timedelta(days=7))
        later = await resolve(
            client.sandbox.clocks.advance(clock.id, to=START + dt.timedelta(days=30))
        )
        assert later.frozen_time == START + dt.timedelta(days=30)
        read = await resolve(client.sandbox.clocks.get(clock.id))
        assert read.frozen_time == later.frozen_time
        with pytest.raises(UserError) as backwards:
            await resolve(client.sandbox.clocks.advance(clock.id, to=START))
        assert backwards.value.code == "TEST_CLOCK_BACKWARDS"
        with pytest.raises(UserError) as too_long:
            await resolve(client.sandbox.clocks.advance(clock.id, by="P732D"))
        assert too_long.value.code == "TEST_CLOCK_ADVANCE_TOO_LONG"
        with pytest.raises(UserError) as neither:
            await resolve(client.sandbox.clocks.advance(clock.id))
        assert neither.value.code == "INVALID_TEST_CLOCK_ADVANCE"
        started = await resolve(client.sandbox.clocks.advance(clock.id, by="P1D", wait=False))
        assert started.status in ("ADVANCING", "READY")  # a worker may be quick
        assert await resolve(client.sandbox.clocks.delete(clock.id)) is True
        with pytest.raises(NotFoundError):
            await resolve(client.sandbox.clocks.get(clock.id))
    finally:
        await resolve(client.close())


async def test_a_live_organization_may_not_use_clocks(parties: Parties) -> None:
    client = make_client("sync", parties.hub, parties.creditor)
    try:
        with pytest.raises(PermissionError) as refused:
            client.sandbox.clocks.create(START)
        assert refused.value.code == "FORBIDDEN"
    finally:
        client.close()
