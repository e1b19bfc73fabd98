"""``client.events``: the ordered event feed, and a live stream of it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
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
    SUBPROTOCOL,
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
    ) -> Iterator[Event]:
        """The events after ``after`` (default: from now; ``from_start``: the whole feed),
        then each new one as it happens; with ``account_id``, only that account's.

        Never ends by itself. Uses the ``organizationEvents`` (``accountEvents``)
        subscription when the hub has it (and ``subscribe``), else polls every
        ``poll_interval`` seconds; if the subscription drops, polling goes on from the last
        event yielded.
        """
        pages = _feed_calls(types, account_id)
        if after is None and from_start:
            # Read from the beginning until there is an event to follow on from.
            while after is None:
                for event in SyncPaginator(self._client.execute, pages):
                    yield event
                    after = event.id
                if after is None:
                    time.sleep(poll_interval)
        if subscribe and self._client._subscriptions_available is not False:
            session = SubscriptionSession(self._client._access_token(), types, after, account_id)
            try:
                yield from self._subscribe(session)
                return
            except _UNSUPPORTED:
                self._client._subscriptions_available = False
            except _DROPPED:
                pass
            after = session.after
        if after is None:
            after = self.latest_cursor()
        yield from self._poll(after, pages, poll_interval)

    def _subscribe(self, session: SubscriptionSession) -> Iterator[Event]:
        url = websocket_url(self._client.base_url)
        with sync_connect(url, subprotocols=[SUBPROTOCOL], open_timeout=10) as socket:  # type: ignore[list-item]
            socket.send(session.init_message())
            session.check_ack(socket.recv(timeout=10))
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

    def _poll(self, after: str | None, pages: _PageCalls, interval: float) -> Iterator[Event]:
        while True:
            paginator = SyncPaginator(self._client.execute, pages, after=after)
            seen = False
            for event in paginator:
                seen = True
                yield event
            after = paginator.cursor
            if not seen:
                time.sleep(interval)


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
    ) -> AsyncIterator[Event]:
        """The events after ``after`` (default: from now; ``from_start``: the whole feed),
        then each new one as it happens; see ``Evenly.events.stream``."""
        pages = _feed_calls(types, account_id)
        if after is None and from_start:
            while after is None:
                async for event in AsyncPaginator(self._client.execute, pages):
                    yield event
                    after = event.id
                if after is None:
                    await asyncio.sleep(poll_interval)
        if subscribe and self._client._subscriptions_available is not False:
            token = await self._client._access_token()
            session = SubscriptionSession(token, types, after, account_id)
            try:
                async for event in self._subscribe(session):
                    yield event
                return
            except _UNSUPPORTED:
                self._client._subscriptions_available = False
            except _DROPPED:
                pass
            after = session.after
        if after is None:
            after = await self.latest_cursor()
        async for event in self._poll(after, pages, poll_interval):
            yield event

    async def _subscribe(self, session: SubscriptionSession) -> AsyncIterator[Event]:
        url = websocket_url(self._client.base_url)
        async with async_connect(url, subprotocols=[SUBPROTOCOL], open_timeout=10) as socket:  # type: ignore[list-item]
            await socket.send(session.init_message())
            session.check_ack(await asyncio.wait_for(socket.recv(), 10))
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
        self, after: str | None, pages: _PageCalls, interval: float
    ) -> AsyncIterator[Event]:
        while True:
            paginator = AsyncPaginator(self._client.execute, pages, after=after)
            seen = False
            async for event in paginator:
                seen = True
                yield event
            after = paginator.cursor
            if not seen:
                await asyncio.sleep(interval)
