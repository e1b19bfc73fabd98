"""The executor's short path for plain fields gives graphql-core's own responses: the same
data and the same errors, for ordinary values and for every odd one it must hand back."""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
from typing import Any, NewType

import pytest
import strawberry
from graphql import ExecutionResult, execute, parse
from strawberry.schema.config import StrawberryConfig

from hub.api.execution import executor_for, plain_fields
from hub.api.schema import build_schema


class Colour(enum.Enum):
    RED = "RED"
    BLUE = "BLUE"


Even = NewType("Even", int)
Anything = NewType("Anything", object)
#: A scalar that refuses odd numbers (its serializer returns null), and one that takes any
#: value as it is (as a JSON scalar does).
SCALARS: dict[object, Any] = {
    Even: strawberry.scalar(
        name="Even", serialize=lambda v: v if v % 2 == 0 else None, parse_value=int
    ),
    Anything: strawberry.scalar(name="Anything", serialize=lambda v: v, parse_value=lambda v: v),
}


class Broken:
    """A source whose ``name`` raises when read."""

    size = 1

    @property
    def name(self) -> str:
        raise RuntimeError("the attribute failed")


@strawberry.type
class Item:
    name: str
    label: str | None
    colour: Colour
    maybe_colour: Colour | None
    at: dt.datetime
    even: Even
    tags: list[str]
    notes: list[str] | None
    size: int
    data: Anything

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return ITEMS

    @strawberry.field
    def odd(self, kind: str) -> Item:
        # Values a resolver or a model could hand over by mistake: each must fail as
        # graphql-core makes it fail.
        values: dict[str, Any] = {
            "none": lambda: {"name": None},
            "exception": lambda: {"name": ValueError("an exception as a value")},
            "awaitable": lambda: {"label": _value("from an awaitable")},
            "refused": lambda: {"even": 3},
            "exception-data": lambda: {"data": ValueError("an exception as a value")},
            "awaitable-data": lambda: {"data": _value("from an awaitable")},
            "wrong-type": lambda: {"size": "not a number"},
            "tuple": lambda: {"tags": ("a", "b")},
            "empty-tuple": lambda: {"tags": ()},
        }
        return Item(**{**ITEMS[0].__dict__, **values[kind]()})

    @strawberry.field
    def broken(self) -> Item:
        return Broken()  # type: ignore[return-value]


async def _value(text: str) -> str:
    return text


ITEMS = [
    Item(
        name=f"item {n}",
        label=None if n % 2 else f"label {n}",
        colour=Colour.RED if n % 3 else Colour.BLUE,
        maybe_colour=None if n % 2 else Colour.BLUE,
        at=dt.datetime(2026, 12, 1, n, tzinfo=dt.UTC),
        even=2 * n,
        tags=[] if n % 2 else ["a", str(n)],
        notes=None if n % 3 else [],
        size=n,
        data={"n": n},
    )
    for n in range(6)
]

SCHEMA = strawberry.Schema(query=Query, config=StrawberryConfig(scalar_map=SCALARS))
FIELDS = "name label colour maybeColour at even tags notes size data shout"


async def _both(query: str) -> tuple[ExecutionResult, ExecutionResult]:
    document = parse(query)
    results = []
    for executor in (None, executor_for(SCHEMA._schema)):
        result = execute(SCHEMA._schema, document, executor_class=executor)
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            result = await result
        assert isinstance(result, ExecutionResult)
        results.append(result)
    return results[0], results[1]


def _formatted(result: ExecutionResult) -> dict[str, Any]:
    return result.formatted


async def test_ordinary_values_come_out_as_graphql_core_makes_them() -> None:
    plain, fast = await _both(f"{{ items {{ {FIELDS} }} }}")
    assert not plain.errors
    assert _formatted(fast) == _formatted(plain)
    assert fast.data is not None
    assert [i["colour"] for i in fast.data["items"]][:2] == ["BLUE", "RED"]


@pytest.mark.parametrize(
    "kind",
    [
        "none",
        "exception",
        "awaitable",
        "refused",
        "wrong-type",
        "tuple",
        "empty-tuple",
        "exception-data",
        "awaitable-data",
    ],
)
async def test_odd_values_fail_or_pass_as_graphql_core_decides(kind: str) -> None:
    plain, fast = await _both(f'{{ odd(kind: "{kind}") {{ {FIELDS} }} }}')
    assert _formatted(fast) == _formatted(plain)


async def test_an_attribute_that_raises_is_the_same_field_error() -> None:
    plain, fast = await _both("{ broken { size name } }")
    assert _formatted(fast) == _formatted(plain)


def test_only_fields_read_off_an_attribute_take_the_short_path() -> None:
    found = plain_fields(SCHEMA._schema)
    assert ("Item", "name") in found and ("Item", "tags") in found
    assert ("Item", "shout") not in found  # a resolver
    assert ("Query", "items") not in found  # a resolver, of objects
    assert found[("Item", "label")].nullable and not found[("Item", "name")].nullable
    hub = plain_fields(build_schema()._schema)
    assert ("PlaceAccountsItemResult", "index") in hub
    assert ("PlaceAccountsItemResult", "userErrors") in hub
    assert ("PlaceAccountsItemResult", "account") not in hub  # an object
    assert ("Account", "customer") not in hub  # a dataloader's resolver
