"""The delivery queue tells a worker how much waits and when it next has something to do."""

from __future__ import annotations

import datetime as dt

from tests.api.conftest import GraphQL, OwnHub

CREATE = """mutation($url: String!) { createWebhookEndpoint(input: {url: $url}) {
  webhookEndpoint { id } } }"""
SEND_TEST = "mutation($id: ID!) { sendTestWebhook(input: {id: $id}) { eventId } }"
LEASE = dt.timedelta(seconds=60)


async def _queued(gql: GraphQL) -> None:
    created = await gql(CREATE, {"url": "https://93.184.216.34/hook"})
    await gql(SEND_TEST, {"id": created["createWebhookEndpoint"]["webhookEndpoint"]["id"]})


async def test_the_next_due_moment_is_the_soonest_message_or_lease_end(own_hub: OwnHub) -> None:
    store = own_hub.services.store
    async with store.read() as uow:
        assert await uow.delivery_queue.depth() == 0
        assert await uow.delivery_queue.next_due() is None
    gql = await own_hub.tenant()
    before = own_hub.services.clock()
    await _queued(gql)
    async with store.read() as uow:
        assert await uow.delivery_queue.depth() == 1
        due = await uow.delivery_queue.next_due()
    # A moment, on either database (SQLite's aggregates would give text back untyped).
    assert isinstance(due, dt.datetime) and due.tzinfo is not None
    assert before <= due <= own_hub.services.clock()
    now = own_hub.services.clock()
    async with store.transaction() as uow:
        [claimed] = await uow.delivery_queue.claim(limit=10, closed=[], now=now, lease=LEASE)
    async with store.read() as uow:
        assert await uow.delivery_queue.depth() == 1  # in flight still counts
        assert await uow.delivery_queue.next_due() == claimed.lease_until == now + LEASE
    async with store.transaction() as uow:
        await uow.delivery_queue.give_back([(claimed, now + dt.timedelta(hours=1))])
    async with store.read() as uow:
        assert await uow.delivery_queue.next_due() == now + dt.timedelta(hours=1)
