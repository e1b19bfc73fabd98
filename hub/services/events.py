"""The event feed: what every change recorded, in the order readers resume from.

An event's ``data`` is what webhooks and the ``events`` feed carry; ``hub.domain.payloads``
builds it. The log itself, its order and when an event becomes readable, is
``hub.store.event_log``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from hub.auth.tokens import Principal
from hub.domain.events import EventKey, RecordedEvent
from hub.services.context import ServiceContext
from hub.store.event_bus import EventBus
from hub.store.event_log import EventBatch
from hub.store.feed_horizon import FeedBacklog

__all__ = ["EventBatch", "EventBus", "FeedBacklog"]


async def read_feed(
    ctx: ServiceContext,
    principal: Principal,
    *,
    after: EventKey | None,
    types: Sequence[str] | None,
    account_id: str | None = None,
    limit: int,
) -> EventBatch:
    """Readable events the principal may see, in feed order, after the key ``after``."""
    async with ctx.store.read() as uow:
        return await uow.events.read(
            principal, after=after, types=types, account_id=account_id, limit=limit
        )


async def get_event(
    ctx: ServiceContext, principal: Principal, event_id: str
) -> RecordedEvent | None:
    async with ctx.store.read() as uow:
        return await uow.events.get(principal, event_id)


async def key_of_event(ctx: ServiceContext, principal: Principal, event_id: str) -> EventKey | None:
    """The feed key of a visible event, by its ``evt_`` id."""
    async with ctx.store.read() as uow:
        return await uow.events.key_of(principal, event_id)


async def current_key(ctx: ServiceContext) -> EventKey:
    """Where a reader starts that wants only what is new."""
    async with ctx.store.read() as uow:
        return await uow.events.current_key()


async def feed_backlog(ctx: ServiceContext) -> FeedBacklog:
    """What the feed holds back right now, for the metrics."""
    async with ctx.store.read() as uow:
        return await uow.events.backlog()


#: Events read at a time while following the feed.
_BATCH = 100
#: How soon to read again when committed events wait behind an older open transaction of
#: the hub; doubled while they keep waiting, up to the cap, so that a long transaction is
#: not polled twenty times a second.
_WAITING_RETRY_SECONDS = 0.05
_WAITING_RETRY_MAX_SECONDS = 0.4


async def follow(
    ctx: ServiceContext,
    principal: Principal,
    bus: EventBus,
    *,
    after: EventKey,
    types: Sequence[str] | None,
    account_id: str | None,
) -> AsyncIterator[RecordedEvent]:
    """The feed after ``after``, then every event as it becomes readable, forever: reads
    whenever the bus says something committed (and on its own now and then, so a lost
    notification only delays)."""
    key = after
    retry = _WAITING_RETRY_SECONDS
    while True:
        waiter = bus.waiter()
        batch = await read_feed(
            ctx, principal, after=key, types=types, account_id=account_id, limit=_BATCH
        )
        for event in batch.events:
            key = event.key
            yield event
        if batch.events or not batch.waiting:
            retry = _WAITING_RETRY_SECONDS
        if batch.waiting:
            # Committed behind an older open transaction, whose end may bring no NOTIFY.
            await bus.wait(waiter, at_most=retry)
            retry = min(retry * 2, _WAITING_RETRY_MAX_SECONDS)
        elif len(batch.events) < _BATCH:
            await bus.wait(waiter)
