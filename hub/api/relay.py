"""Relay's shapes: the ``Node`` interface, pages, edges and opaque cursors."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Annotated, Generic, TypeVar

import strawberry

from hub.api.errors import ApiError

T = TypeVar("T")
R = TypeVar("R")
NodeT = TypeVar("NodeT")

#: The paging arguments every connection takes.
First = Annotated[
    int, strawberry.argument(description="Page size, 0-100 (0: an empty page with its pageInfo).")
]
After = Annotated[str | None, strawberry.argument(description="`endCursor` of the previous page.")]


@strawberry.interface(description="An object with a globally unique, opaque ID (Relay).")
class Node:
    id: strawberry.ID = strawberry.field(description="Global ID; pass it to `node(id:)`.")


@strawberry.type(description="Relay page information.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow `endCursor`.")
    has_previous_page: bool = strawberry.field(
        description="Always false: connections page forward only."
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(description="Cursor to pass as `after`.")


@strawberry.type(description="An edge in a connection.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Opaque cursor of this item.")
    node: NodeT = strawberry.field(description="The item.")


def encode_cursor(kind: str, value: str | int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    prefix, _, value = raw.partition(":")
    if prefix != kind or not value:
        raise ApiError("INVALID_CURSOR", "the cursor is not valid for this connection")
    return value


def page_size(first: int) -> int:
    """``first`` checked: 0 (an empty page, as Relay allows) to 100."""
    if not 0 <= first <= 100:
        raise ApiError("INVALID_PAGE_SIZE", "first must be between 0 and 100")
    return first


def _page_info(cursors: Sequence[str], has_next: bool) -> PageInfo:
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=False,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )


def page_of(
    rows: Sequence[R],
    limit: int,
    kind: str,
    key: Callable[[R], str | int],
    make: Callable[[R], T],
) -> tuple[list[Edge[T]], list[T], PageInfo]:
    """Edges, nodes and page info for ``rows`` (fetched with ``limit + 1`` to see a next page)."""
    page = rows[:limit]
    nodes = [make(r) for r in page]
    cursors = [encode_cursor(kind, key(r)) for r in page]
    edges = [Edge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)]
    return edges, nodes, _page_info(cursors, len(rows) > limit)
