"""``client.events``: the ordered event feed, and a live stream of it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import websockets
from websockets.asyncio.client import connect as async_connect
from websockets.sync.client import connect as sync_connect

from evenly._base_client import Call
from evenly._models import Event
from evenly._operations import ACCOUNT_TIMELINE, EVENTS, LATEST_CURSOR
from evenly._pagination import MAX_PAGE_SIZE, AsyncPaginator, Page, SyncPaginator, connection
from evenly._streaming import (
    DEFAULT_POLL_INTERVAL,
    HUB_LOST,
    SUBPROTOCOL,
    DisconnectCallback,
    ReconnectCallback,
    Reconnection,
    SubscriptionSession,
    SubscriptionUnavailable,
    websocket_url,
)
from evenly.resources._resource import AsyncResource, SyncResource

__all__ = ["AsyncEvents", "Events"]

# The hub has no subscriptions (no websocket route, or no such field): poll from now on.
_UNSUPPORTED = (SubscriptionUnavailable, websockets.exceptions.InvalidHandshake)
# The connection failed or dropped: poll for the rest of this stream, try again next time.
_DROPPED = (websockets.exceptions.WebSocketException, OSError, TimeoutError)


_PageCalls = Callable[[str | None, int], Call[Page[Event]]]


def _hub_failing(error: Exception) -> bool:
    """A refused upgrade that says the hub is unwell (5xx, e.g. while it restarts), not that
    it has no subscriptions: poll for now, subscribe again next time."""
    status = getattr(getattr(error, "response", None), "status_code", None)
    return isinstance(status, int) and status >= 500


def _list_calls(types: Sequence[str] | None) -> _PageCalls:
    parse = connection(["events"], Event)
    type_list = list(types) if types else None

    def make(after: str | None, first: int) -> Call[Page[Event]]:
        return Call(EVENTS, {"first": first, "after": after, "types": type_list}, parse)

    return make


def timeline_calls(account_id: str) -> _PageCalls:
    """Pages of one account's events (``account { events }``), oldest first."""
    parse = connection(["account", "events"], Event)

    def make(after: str | None, first: int) -> Call[Page[Event]]:
        return Call(ACCOUNT_TIMELINE, {"id": account_id, "first": first, "after": after}, parse)

    return make


def _feed_calls(types: Sequence[str] | None, account_id: str | None) -> _PageCalls:
    """What a poll reads: the feed, or one account's events (its types kept by the hub's
    subscription, so filtered here when polling)."""
    if account_id is None:
        return _list_calls(types)
    make = timeline_calls(account_id)
    if not types:
        return make
    wanted = set(types)

    def filtered(after: str | None, first: int) -> Call[Page[Event]]:
        call = make(after, first)
        read = call.parse

        def parse(data: dict[str, Any], request_id: str | None) -> Page[Event]:
            page = read(data, request_id)
            items = [e for e in page.items if e.type in wanted]
            return Page(items, page.end_cursor, page.has_next_page)

        return Call(call.document, call.variables, parse)

    return filtered


def _latest_cursor_call() -> Call[str]:
    return Call(LATEST_CURSOR, {}, lambda data, _: str(data["events"]["latestCursor"]))


@dataclass(frozen=True)
class _Follow:
    """What one stream follows, and how."""

    types: Sequence[str] | None
    account_id: str | None
    interval: float
    subscribe: bool

    @property
    def pages(self) -> _PageCalls:
        return _feed_calls(self.types, self.account_id)

    def session(self, token: str, after: str | None) -> SubscriptionSession:
        return SubscriptionSession(token, self.types, after, self.account_id)


class Events(SyncResource):
    """Your organization's events, oldest first: ``client.events``."""

    def list(
        self,
        *,
        after: str | None = None,
        types: Sequence[str] | None = None,
        page_size: int = MAX_PAGE_SIZE,
        limit: int | None = None,
    ) -> SyncPaginator[Event]:
        """Events after ``after`` (an event id or a cursor) up to now, page by page.

        Resume a receiver that was down with the id of the last event it processed.
        """
        return SyncPaginator(
            self._client.execute, _list_calls(types), after=after, page_size=page_size, limit=limit
        )

    def latest_cursor(self, *, types: Sequence[str] | None = None) -> str:
        """The cursor after the newest readable event now: one request, however long the
        feed (the hub's ``events { latestCursor }``). The same for any ``types``."""
        return self._client.execute(_latest_cursor_call())

    def timeline(
        self,
        account_id: str,
        *,
        after: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        limit: int | None = None,
    ) -> SyncPaginator[Event]:
        """One account's events, oldest first (its history as the feed recorded it)."""
        return SyncPaginator(
            self._client.execute,
            timeline_calls(account_id),
            after=after,
            page_size=page_size,
            limit=limit,
        )

    def stream(
        self,
        *,
        after: str | None = None,
        types: Sequence[str] | None = None,
        from_start: bool = False,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        subscribe: bool = True,
        account_id: str | None = None,
        reconnect: bool = True,
        on_disconnect: DisconnectCallback | None = None,
        on_reconnect: ReconnectCallback | None = None,
    ) -> Iterator[Event]:
        """The events after ``after`` (default: from now; ``from_start``: the whole feed),
        then each new one as it happens; with ``account_id``, only that account's.

        Never ends by itself. Uses the ``organizationEvents`` (``accountEvents``)
        subscription when the hub has it (and ``subscribe``), else polls every
        ``poll_interval`` seconds; if the subscription drops, polling goes on from the last
        event yielded. When the hub cannot be reached it tries again with backoff
        (``reconnect=False``: raise instead) and resumes after the last event yielded;
        ``on_disconnect(error, delay)`` and ``on_reconnect(after)`` hear of it.
        """
        follow = _Follow(types, account_id, poll_interval, subscribe)
        link = Reconnection(on_disconnect, on_reconnect)
        while True:
            try:
                if after is None and not from_start:
                    # "From now" is where the feed ends now: a reconnection resumes there.
                    after = self.latest_cursor()
                for event in self._follow(after, follow, link):
                    after = event.id
                    yield event
            except HUB_LOST as error:
                if not reconnect:
                    raise
                time.sleep(link.lost(error))

    def _follow(self, after: str | None, follow: _Follow, link: Reconnection) -> Iterator[Event]:
        """The events after ``after`` (None: from the beginning) until the hub is lost."""
        while after is None:
            # Read from the beginning until there is an event to follow on from.
            for event in SyncPaginator(self._client.execute, follow.pages):
                link.answered(after)
                yield event
                after = event.id
            link.answered(after)
            if after is None:
                time.sleep(follow.interval)
        if follow.subscribe and self._client._subscriptions_available is not False:
            session = follow.session(self._client._access_token(), after)
            try:
                yield from self._subscribe(session, link)
            except _UNSUPPORTED as error:
                if not _hub_failing(error):
                    self._client._subscriptions_available = False
            except _DROPPED:
                pass
            after = session.after
        yield from self._poll(after, follow, link)

    def _subscribe(self, session: SubscriptionSession, link: Reconnection) -> Iterator[Event]:
        url = websocket_url(self._client.base_url)
        with sync_connect(url, subprotocols=[SUBPROTOCOL], open_timeout=10) as socket:  # type: ignore[list-item]
            socket.send(session.init_message())
            session.check_ack(socket.recv(timeout=10))
            link.answered(session.after)
            socket.send(session.subscribe_message())
            while True:
                got = session.read(socket.recv())
                if got is None:
                    return
                if got == "ping":
                    socket.send(session.pong_message())
                elif isinstance(got, Event):
                    self._client._subscriptions_available = True
                    yield got

    def _poll(self, after: str | None, follow: _Follow, link: Reconnection) -> Iterator[Event]:
        while True:
            paginator = SyncPaginator(self._client.execute, follow.pages, after=after)
            seen = False
            for event in paginator:
                link.answered(after)
                seen = True
                yield event
            link.answered(after)
            after = paginator.cursor
            if not seen:
                time.sleep(follow.interval)


class AsyncEvents(AsyncResource):
    """Your organization's events, oldest first: ``client.events`` of ``AsyncEvenly``."""

    def list(
        self,
        *,
        after: str | None = None,
        types: Sequence[str] | None = None,
        page_size: int = MAX_PAGE_SIZE,
        limit: int | None = None,
    ) -> AsyncPaginator[Event]:
        """Events after ``after`` (an event id or a cursor) up to now, page by page."""
        return AsyncPaginator(
            self._client.execute, _list_calls(types), after=after, page_size=page_size, limit=limit
        )

    async def latest_cursor(self, *, types: Sequence[str] | None = None) -> str:
        """The cursor after the newest readable event now; see ``Evenly.events.latest_cursor``."""
        return await self._client.execute(_latest_cursor_call())

    def timeline(
        self,
        account_id: str,
        *,
        after: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        limit: int | None = None,
    ) -> AsyncPaginator[Event]:
        """One account's events, oldest first."""
        return AsyncPaginator(
            self._client.execute,
            timeline_calls(account_id),
            after=after,
            page_size=page_size,
            limit=limit,
        )

    async def stream(
        self,
        *,
        after: str | None = None,
        types: Sequence[str] | None = None,
        from_start: bool = False,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        subscribe: bool = True,
        account_id: str | None = None,
        reconnect: bool = True,
        on_disconnect: DisconnectCallback | None = None,
        on_reconnect: ReconnectCallback | None = None,
    ) -> AsyncIterator[Event]:
        """The events after ``after`` (default: from now; ``from_start``: the whole feed),
        then each new one as it happens; see ``Evenly.events.stream``."""
        follow = _Follow(types, account_id, poll_interval, subscribe)
        link = Reconnection(on_disconnect, on_reconnect)
        while True:
            try:
                if after is None and not from_start:
                    after = await self.latest_cursor()
                async for event in self._follow(after, follow, link):
                    after = event.id
                    yield event
            except HUB_LOST as error:
                if not reconnect:
                    raise
                await asyncio.sleep(link.lost(error))

    async def _follow(
        self, after: str | None, follow: _Follow, link: Reconnection
    ) -> AsyncIterator[Event]:
        while after is None:
            async for event in AsyncPaginator(self._client.execute, follow.pages):
                link.answered(after)
                yield event
                after = event.id
            link.answered(after)
            if after is None:
                await asyncio.sleep(follow.interval)
        if follow.subscribe and self._client._subscriptions_available is not False:
            session = follow.session(await self._client._access_token(), after)
            try:
                async for event in self._subscribe(session, link):
                    yield event
            except _UNSUPPORTED as error:
                if not _hub_failing(error):
                    self._client._subscriptions_available = False
            except _DROPPED:
                pass
            after = session.after
        async for event in self._poll(after, follow, link):
            yield event

    async def _subscribe(
        self, session: SubscriptionSession, link: Reconnection
    ) -> AsyncIterator[Event]:
        url = websocket_url(self._client.base_url)
        async with async_connect(url, subprotocols=[SUBPROTOCOL], open_timeout=10) as socket:  # type: ignore[list-item]
            await socket.send(session.init_message())
            session.check_ack(await asyncio.wait_for(socket.recv(), 10))
            link.answered(session.after)
            await socket.send(session.subscribe_message())
            while True:
                got: Any = session.read(await socket.recv())
                if got is None:
                    return
                if got == "ping":
                    await socket.send(session.pong_message())
                elif isinstance(got, Event):
                    self._client._subscriptions_available = True
                    yield got

    async def _poll(
        self, after: str | None, follow: _Follow, link: Reconnection
    ) -> AsyncIterator[Event]:
        while True:
            paginator = AsyncPaginator(self._client.execute, follow.pages, after=after)
            seen = False
            async for event in paginator:
                link.answered(after)
                seen = True
                yield event
            link.answered(after)
            after = paginator.cursor
            if not seen:
                await asyncio.sleep(follow.interval)
