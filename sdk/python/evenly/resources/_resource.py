"""What every resource service holds: the client that runs its calls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from evenly._base_client import Call, new_idempotency_key, raise_user_errors
from evenly._models import Money

if TYPE_CHECKING:
    from evenly._client import AsyncEvenly, Evenly

M = TypeVar("M", bound=BaseModel)
#: An amount: a ``Money`` or its fields (``{"amountMinor": 1250, "currency": "SEK"}``).
MoneyLike = Money | Mapping[str, Any]
#: A moment: a timezone-aware datetime or an ISO 8601 string the hub parses.
Instant = dt.datetime | str


class SyncResource:
    def __init__(self, client: Evenly) -> None:
        self._client = client


class AsyncResource:
    def __init__(self, client: AsyncEvenly) -> None:
        self._client = client


def payload(field: str) -> Callable[[dict[str, Any], str | None], dict[str, Any]]:
    """A parser returning a mutation's payload after raising its ``userErrors``."""

    def parse(data: dict[str, Any], request_id: str | None) -> dict[str, Any]:
        result: dict[str, Any] = data[field]
        raise_user_errors(result, request_id)
        return result

    return parse


def payload_object(
    field: str, key: str, model: type[M]
) -> Callable[[dict[str, Any], str | None], M]:
    """A parser returning ``model`` from ``data[field][key]`` after raising ``userErrors``."""
    read = payload(field)

    def parse(data: dict[str, Any], request_id: str | None) -> M:
        return model.model_validate(read(data, request_id)[key])

    return parse


def drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def money_input(value: MoneyLike | None) -> dict[str, Any] | None:
    return None if value is None else Money.model_validate(value).model_dump(by_alias=True)


def instant(value: Instant | None) -> str | None:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("datetimes must be timezone-aware")
        return value.isoformat()
    return value


def date_input(value: dt.date | str) -> str:
    return value.isoformat() if isinstance(value, dt.date) else value


def keyed_mutation(
    document: str,
    field: str,
    fields: Mapping[str, Any],
    idempotency_key: str | None,
    read: Callable[[dict[str, Any]], M],
) -> Call[M]:
    """A mutation with an idempotency key (the caller's, else a new random one) whose payload (after its ``userErrors``) is read by ``read``."""
    check = payload(field)
    variables = {
        "input": {**drop_none(fields), "idempotencyKey": idempotency_key or new_idempotency_key()}
    }
    return Call(document, variables, lambda data, rid: read(check(data, rid)))
