"""How errors leave the API.

Expected failures of mutations are ``userErrors`` in the payload. Everything else is a
GraphQL error whose ``extensions.code`` is stable: ``UNAUTHENTICATED``, ``FORBIDDEN``,
``NOT_FOUND``, ``BAD_USER_INPUT``, ``LIST_TOO_LONG``, ``GRAPHQL_VALIDATION_FAILED``, the
limits' codes (``hub.api.limits``), ``INTERNAL_SERVER_ERROR`` (with a ``requestId``, never a
stack trace), ``SERVICE_UNAVAILABLE`` (the database cannot be reached; with
``retryAfter``), and the domain's codes. ``format_error`` is the one way out, over HTTP and
websocket alike.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import strawberry
from graphql import GraphQLError

from hub.domain.errors import RETRY_AFTER_SECONDS, DatabaseUnavailable, DomainError, Problem

log = logging.getLogger("hub.api")


@strawberry.type(description="A problem with the input of a mutation; nothing was changed by it.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. `["items", "3", "customer", "email"]`.'
    )
    code: str = strawberry.field(description="Stable, machine-readable code, e.g. `INVALID_EMAIL`.")
    message: str = strawberry.field(description="Human-readable explanation.")


@strawberry.type(description="Something the caller should know; the mutation still succeeded.")
class UserWarning:
    field: list[str] | None = strawberry.field(description="Path to the input field concerned.")
    code: str = strawberry.field(
        description="Stable, machine-readable code, e.g. `ROUTING_NO_AGENCY`."
    )
    message: str = strawberry.field(description="Human-readable explanation.")


def user_errors(problems: Iterable[Problem], *prefix: str) -> list[UserError]:
    return [
        UserError(field=[*prefix, *p.field] or None, code=p.code, message=p.message)
        for p in problems
    ]


def user_warnings(problems: Iterable[Problem], *prefix: str) -> list[UserWarning]:
    return [
        UserWarning(field=[*prefix, *p.field] or None, code=p.code, message=p.message)
        for p in problems
    ]


class ApiError(GraphQLError):
    """A GraphQL error with a stable code in ``extensions``."""

    def __init__(self, code: str, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code, **extensions})


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """The JSON of one error, with a code; unexpected exceptions are masked and logged."""
    original = error.original_error
    extensions = dict(error.extensions or {})
    message = error.message
    if isinstance(original, DatabaseUnavailable):
        log.warning("database unavailable: %r", original.__cause__)
        unavailable: dict[str, Any] = {
            "message": "the service is unavailable for a moment; retry later",
            "extensions": {"code": "SERVICE_UNAVAILABLE", "retryAfter": RETRY_AFTER_SECONDS},
        }
        if error.path is not None:
            unavailable["path"] = error.path
        return unavailable
    if isinstance(original, DomainError):
        extensions["code"] = original.code
        message = original.problems[0].message
    elif isinstance(original, ApiError):
        extensions = dict(original.extensions or {})
        message = original.message
    elif (
        original is not None
        and not isinstance(original, GraphQLError)
        # A resolver's exception, or one a subscription's stream raised (strawberry passes it
        # on with its own text); coercion errors of input values have text of their own.
        and (error.path is not None or message == str(original))
    ):
        log.error(
            "unhandled error in resolver",
            exc_info=(type(original), original, original.__traceback__),
            extra={"path": list(error.path or ())},
        )
        masked: dict[str, Any] = {
            "message": "Internal server error",
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        }
        if error.path is not None:
            masked["path"] = error.path
        return masked
    elif "code" not in extensions and message.startswith("Syntax Error"):
        extensions["code"] = "GRAPHQL_PARSE_FAILED"
    elif "code" not in extensions:
        coercion = original is not None or message.startswith("Variable '$")
        extensions["code"] = "BAD_USER_INPUT" if coercion else "GRAPHQL_VALIDATION_FAILED"
    out: dict[str, Any] = {"message": message, "extensions": extensions}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path is not None:
        out["path"] = error.path
    return out


def http_status(errors: Sequence[GraphQLError] | None) -> tuple[int, dict[str, str] | None]:
    """The HTTP status of a GraphQL result: 200, or 503 with ``Retry-After`` when the
    database was unavailable (so clients and proxies retry as for any 503)."""
    if errors and any(isinstance(e.original_error, DatabaseUnavailable) for e in errors):
        return 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return 200, None


def domain_error_to_api(error: DomainError) -> ApiError:
    problem = error.problems[0]
    return ApiError(problem.code, problem.message)
