"""What every resource service holds: the client that runs its calls."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from evenly._base_client import raise_user_errors

if TYPE_CHECKING:
    from evenly._client import AsyncEvenly, Evenly

M = TypeVar("M", bound=BaseModel)


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
