"""Auto-paginating iterators over Relay connections (``first``/``after``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from evenly._base_client import Call

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a connection."""

    items: list[T]
    end_cursor: str | None
    has_next_page: bool


def connection(
    path: Sequence[str], model: type[M]
) -> Callable[[dict[str, Any], str | None], Page[M]]:
    """A parser for the connection at ``path`` in ``data`` (null anywhere on it: empty)."""

    def parse(data: dict[str, Any], request_id: str | None) -> Page[M]:
        node: Any = data
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            return Page([], None, False)
        info = node["pageInfo"]
        items = [model.model_validate(n) for n in node["nodes"]]
        return Page(items, info["endCursor"], info["hasNextPage"])

    return parse


PageCall = Callable[[str | None, int], Call[Page[T]]]


class _PaginatorBase(Generic[T]):
    def __init__(
        self, make_call: PageCall[T], *, after: str | None, page_size: int, limit: int | None
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1-{MAX_PAGE_SIZE}")
        self._make_call = make_call
        self._page_size = page_size
        self._limit = limit
        #: The cursor to resume after: the last page's ``endCursor`` once iteration started.
        self.cursor = after

    def _next_call(self, seen: int) -> Call[Page[T]]:
        size = self._page_size
        if self._limit is not None:
            size = max(1, min(size, self._limit - seen))
        return self._make_call(self.cursor, size)

    def _advance(self, page: Page[T]) -> None:
        if page.end_cursor is not None:
            self.cursor = page.end_cursor


class SyncPaginator(_PaginatorBase[T]):
    """Iterate over every item, fetching pages as needed: ``for account in client.accounts.list()``."""

    def __init__(
        self,
        run: Callable[[Call[Page[T]]], Page[T]],
        make_call: PageCall[T],
        *,
        after: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        limit: int | None = None,
    ) -> None:
        super().__init__(make_call, after=after, page_size=page_size, limit=limit)
        self._run = run

    def pages(self) -> Iterator[Page[T]]:
        """The pages themselves."""
        seen = 0
        while self._limit is None or seen < self._limit:
            page = self._run(self._next_call(seen))
            self._advance(page)
            seen += len(page.items)
            yield page
            if not page.has_next_page or not page.items:
                return

    def __iter__(self) -> Iterator[T]:
        seen = 0
        for page in self.pages():
            for item in page.items:
                if self._limit is not None and seen >= self._limit:
                    return
                seen += 1
                yield item

    def to_list(self) -> list[T]:
        return list(self)


class AsyncPaginator(_PaginatorBase[T]):
    """``async for account in client.accounts.list()``."""

    def __init__(
        self,
        run: Callable[[Call[Page[T]]], Awaitable[Page[T]]],
        make_call: PageCall[T],
        *,
        after: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        limit: int | None = None,
    ) -> None:
        super().__init__(make_call, after=after, page_size=page_size, limit=limit)
        self._run = run

    async def pages(self) -> AsyncIterator[Page[T]]:
        """The pages themselves."""
        seen = 0
        while self._limit is None or seen < self._limit:
            page = await self._run(self._next_call(seen))
            self._advance(page)
            seen += len(page.items)
            yield page
            if not page.has_next_page or not page.items:
                return

    async def __aiter__(self) -> AsyncIterator[T]:
        seen = 0
        async for page in self.pages():
            for item in page.items:
                if self._limit is not None and seen >= self._limit:
                    return
                seen += 1
                yield item

    async def to_list(self) -> list[T]:
        return [item async for item in self]
