"""Live events: the schema's subscriptions (served over websocket by ``hub.api.websocket``).

Subscriptions stream the same events, in the same order and with the same tenant rules,
as the ``events`` query: each reads the table after its last position whenever the event
bus says something committed. ``after`` (an event id or cursor) replays what a
reconnecting client missed before going live.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.api.context import request_context
from hub.api.errors import ApiError
from hub.api.types import Event, event_key
from hub.auth.scopes import Scope
from hub.services import accounts as account_service
from hub.services import events as event_service

Types = Annotated[
    list[str] | None,
    strawberry.argument(description="Only these event types; all when omitted."),
]
AfterEvent = Annotated[
    str | None,
    strawberry.argument(
        description="Replay events after this one (an `evt_` id or an `events` cursor) before going live; from now when omitted."
    ),
]


async def _stream(
    info: Info, types: Sequence[str] | None, after: str | None, account_id: str | None
) -> AsyncGenerator[Event, None]:
    ctx = request_context(info)
    principal = ctx.require(Scope.EVENTS_READ)
    if account_id is not None:
        ctx.require(Scope.ACCOUNTS_READ)
        if await account_service.get_account(ctx.services, principal, account_id) is None:
            raise ApiError("NOT_FOUND", "no such account")
    if after is not None:
        key = await event_key(ctx, principal, after)
    else:
        key = await event_service.current_key(ctx.services)
    events = event_service.follow(
        ctx.services, principal, ctx.event_bus, after=key, types=types, account_id=account_id
    )
    async for event in events:
        ctx.reset_loaders()  # nested fields read the account as it is now
        yield Event.from_record(event)


@strawberry.type(description="Live updates over graphql-transport-ws.")
class Subscription:
    @strawberry.subscription(
        description="Events of one account as they happen, in order. Needs `events:read` and `accounts:read`."
    )
    async def account_events(
        self,
        info: Info,
        account_id: Annotated[strawberry.ID, strawberry.argument(description="The account.")],
        types: Types = None,
        after: AfterEvent = None,
    ) -> AsyncGenerator[Event, None]:
        async for event in _stream(info, types, after, str(account_id)):
            yield event

    @strawberry.subscription(
        description="Every event your organization may see as it happens, in the order of the `events` feed. Needs `events:read`."
    )
    async def organization_events(
        self, info: Info, types: Types = None, after: AfterEvent = None
    ) -> AsyncGenerator[Event, None]:
        async for event in _stream(info, types, after, None):
            yield event
