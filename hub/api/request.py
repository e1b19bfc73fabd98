"""A GraphQL request as a client sends it (over HTTP or websocket), checked at the edge.

``read_request`` turns the decoded JSON into a ``GraphQLRequest`` or refuses it with a
code: ``BAD_REQUEST`` (not the shape of a request), ``BAD_USER_INPUT`` (a NUL character
in the query or anywhere in the variables, which PostgreSQL text and JSONB cannot store, or variables
nested deeper than the limit) or ``LIST_TOO_LONG``. The variables' containers are walked
once, without recursion, whatever their nesting; their strings are looked at one by one
only when their JSON text shows an escaped NUL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hub.api.limits import Limits

_FIELDS = frozenset({"query", "variables", "operationName", "extensions"})
_CONTAINERS = (dict, list)
_NUL = "text values must not contain the NUL character (U+0000)"


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


class RequestRefused(Exception):
    """The request cannot run; ``code`` says why (the same over every transport)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def formatted(self) -> dict[str, Any]:
        return {"message": self.message, "extensions": {"code": self.code}}


def read_request(payload: Any, limits: Limits) -> GraphQLRequest:
    """The request in ``payload``, or ``RequestRefused``."""
    if not isinstance(payload, dict):
        raise RequestRefused(
            "BAD_REQUEST", "the body must be a JSON object with a query (batches are not supported)"
        )
    unknown = set(payload) - _FIELDS
    if unknown:
        raise RequestRefused("BAD_REQUEST", f"unknown request fields: {', '.join(sorted(unknown))}")
    query = payload.get("query")
    if not isinstance(query, str):
        raise RequestRefused("BAD_REQUEST", "query must be a string")
    if not query.strip():
        raise RequestRefused("BAD_REQUEST", "the request has no query")
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestRefused("BAD_REQUEST", "variables must be a JSON object")
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestRefused("BAD_REQUEST", "operationName must be a string")
    extensions = payload.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestRefused("BAD_REQUEST", "extensions must be a JSON object")
    if "\x00" in query:
        raise RequestRefused("BAD_USER_INPUT", _NUL)
    if variables:
        _check_variables(variables, limits)
    return GraphQLRequest(query, variables, operation_name or None)


def _check_variables(variables: dict[str, Any], limits: Limits) -> None:
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(variables, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limits.max_input_depth:
            raise RequestRefused(
                "BAD_USER_INPUT",
                f"variables are nested more than {limits.max_input_depth} levels deep",
            )
        if isinstance(value, list):
            if len(value) > limits.max_list_items:
                raise RequestRefused(
                    "LIST_TOO_LONG",
                    f"a list of {len(value)} items; the limit is {limits.max_list_items}",
                )
            items: Any = value
        else:
            items = value.values()
        # Only the containers are walked: strings and numbers end here.
        stack.extend((item, depth + 1) for item in items if type(item) in _CONTAINERS)
    # A NUL shows as ``\\u0000`` in the JSON text of the variables (C speed); only then are
    # the strings walked one by one, which also tells a NUL from an escaped backslash.
    if "\\u0000" in json.dumps(variables) and _has_nul(variables):
        raise RequestRefused("BAD_USER_INPUT", _NUL)


def _has_nul(variables: dict[str, Any]) -> bool:
    stack: list[Any] = [variables]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            stack.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False
