"""The event feed: what every change recorded, in the order readers resume from.

An event's ``data`` is what webhooks and the ``events`` feed carry; ``hub.domain.payloads``
builds it. The log itself, its order and when an event becomes readable, is
``hub.store.event_log``.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.auth.tokens import Principal
from hub.domain.events import EventKey, RecordedEvent
from hub.services.context import ServiceContext
from hub.store.event_log import EventBatch
from hub.store.feed_horizon import FeedBacklog

__all__ = ["EventBatch", "FeedBacklog"]


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
