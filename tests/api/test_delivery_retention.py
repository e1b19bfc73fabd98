"""Retention: delivered messages and their attempts go after the retention period, in
batches; undelivered ones, recent ones and the events themselves stay."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from hub.delivery import recording
from hub.services import maintenance as maintenance_service
from hub.store.delivery_queue import Delivery, Outcome
from hub.store.tables import events, webhook_attempts, webhook_messages
from tests.api.conftest import GraphQL, OwnHub

CREATE = """mutation($url: String!) { createWebhookEndpoint(input: {url: $url}) {
  webhookEndpoint { id } } }"""
SEND_TEST = "mutation($id: ID!) { sendTestWebhook(input: {id: $id}) { eventId } }"
LEASE = dt.timedelta(seconds=60)
DISABLE_AFTER = dt.timedelta(days=5)
DAYS = dt.timedelta(days=1)


async def _endpoint(gql: GraphQL) -> str:
    created = await gql(CREATE, {"url": "https://93.184.216.34/hook"})
    endpoint_id: str = created["createWebhookEndpoint"]["webhookEndpoint"]["id"]
    return endpoint_id


async def _claim(hub: OwnHub, now: dt.datetime) -> list[Delivery]:
    async with hub.services.store.transaction() as uow:
        return await uow.delivery_queue.claim(limit=50, closed=[], now=now, lease=LEASE)


async def _record(hub: OwnHub, claimed: list[Delivery], status: int, at: dt.datetime) -> None:
    retry = None if status < 300 else at + 80 * DAYS
    outcomes = [Outcome(d, at, 5, status, "", None, None, retry) for d in claimed]
    await recording.record(hub.services.store, outcomes, now=at, disable_after=DISABLE_AFTER)


async def _left(hub: OwnHub) -> tuple[dict[str, int], int, int]:
    m = webhook_messages
    async with hub.services.db.read() as conn:
        by_status = dict(
            (await conn.execute(sa.select(m.c.status, sa.func.count()).group_by(m.c.status))).all()
        )
        attempts = await conn.scalar(sa.select(sa.func.count()).select_from(webhook_attempts))
        kept = await conn.scalar(sa.select(sa.func.count()).select_from(events))
    return by_status, int(attempts or 0), int(kept or 0)


async def test_old_deliveries_are_removed_in_batches_and_the_events_stay(
    own_hub: OwnHub,
) -> None:
    gql = await own_hub.tenant()
    endpoint = await _endpoint(gql)
    for _ in range(5):
        await gql(SEND_TEST, {"id": endpoint})
    now = own_hub.services.clock()
    claimed = await _claim(own_hub, now)
    assert len(claimed) == 5
    # Three delivered now; two fail and are delivered 80 days later.
    await _record(own_hub, claimed[:3], 204, now)
    await _record(own_hub, claimed[3:], 500, now)
    await _record(own_hub, await _claim(own_hub, now + 80 * DAYS), 204, now + 80 * DAYS)
    before, attempts, kept = await _left(own_hub)
    assert before == {"DELIVERED": 5} and attempts == 7

    # 91 days on: the three delivered first are past the 90 days, one message a batch.
    removed = await maintenance_service.remove_old_deliveries(
        own_hub.services, now + 91 * DAYS, batch_size=1
    )
    assert removed == 3
    assert await _left(own_hub) == ({"DELIVERED": 2}, 4, kept)
    # The sweep finds nothing more until the others are 90 days old too.
    report = await maintenance_service.sweep(own_hub.services, now + 100 * DAYS)
    assert report.deliveries_removed == 0
    report = await maintenance_service.sweep(own_hub.services, now + 171 * DAYS)
    assert report.deliveries_removed == 2
    assert await _left(own_hub) == ({}, 0, kept)
