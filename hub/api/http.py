"""``POST /graphql``: the GraphQL-over-HTTP endpoint, tuned for the hub.

The request is authenticated and rate limited before anything is parsed. The body must be
``application/json``: ``{"query", "variables"?, "operationName"?}``. Results are JSON with
HTTP 200, including GraphQL errors (each with ``extensions.code``); transport problems get
4xx with the same error shape: 400 ``MALFORMED_JSON``/``BAD_REQUEST``, 401
``UNAUTHENTICATED``/``INVALID_TOKEN``/``TOKEN_EXPIRED``/``CLIENT_REVOKED``, 413
``BODY_TOO_LARGE``, 415 ``UNSUPPORTED_MEDIA_TYPE``, 429 ``RATE_LIMITED``.
"""

from __future__ import annotations

import logging
import math
import time
from functools import lru_cache
from typing import Any

import orjson
from graphql import ExecutionResult, GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.http.ides import get_graphql_ide_html

from hub.api.authentication import BearerAuthenticator
from hub.api.context import RequestContext
from hub.api.errors import format_error, http_status
from hub.api.schema import HubSchema, operation_type
from hub.auth.ratelimit import RateLimiter
from hub.auth.tokens import InvalidToken
from hub.observability import Metrics
from hub.services.context import ServiceContext

log = logging.getLogger("hub.api")


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    return Response(body, status_code=status, media_type="application/json", headers=headers)


@lru_cache(maxsize=512)
def operation_label(query: str, operation_name: str | None) -> str:
    """``mutation placeAccount``: a bounded metrics label from the operation's root fields."""
    try:
        document = parse(query)
    except GraphQLError:
        return "invalid"
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if operation_name is not None and (
            definition.name is None or definition.name.value != operation_name
        ):
            continue
        fields = sorted(
            {s.name.value for s in definition.selection_set.selections if hasattr(s, "name")}
        )
        return f"{definition.operation.value} {','.join(fields[:3]) or '-'}"
    return "invalid"


class GraphQLEndpoint:
    def __init__(
        self,
        schema: HubSchema,
        services: ServiceContext,
        authenticator: BearerAuthenticator,
        rate_limiter: RateLimiter,
        metrics: Metrics,
    ) -> None:
        self.schema = schema
        self.services = services
        self.authenticator = authenticator
        self.rate_limiter = rate_limiter
        self.metrics = metrics
        self.graphiql = services.settings.graphiql

    async def handle(self, request: Request) -> Response:
        if request.method == "GET":
            return self._ide(request)
        try:
            principal = await self.authenticator.authenticate(request.headers.get("authorization"))
        except InvalidToken as error:
            challenge = 'Bearer realm="evenly"'
            if error.code != "UNAUTHENTICATED":
                challenge += f', error="invalid_token", error_description="{error.message}"'
            return error_response(401, error.code, error.message, {"WWW-Authenticate": challenge})
        wait = self.rate_limiter.take(principal.client_id)
        if wait > 0:
            return error_response(
                429,
                "RATE_LIMITED",
                "too many requests for this API client; retry after the delay in Retry-After",
                {"Retry-After": str(max(1, math.ceil(wait)))},
            )
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return error_response(
                415, "UNSUPPORTED_MEDIA_TYPE", "send the request as Content-Type: application/json"
            )
        try:
            payload = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return error_response(400, "MALFORMED_JSON", "the request body is not valid JSON")
        problem = _check_payload(payload)
        if problem:
            return error_response(400, "BAD_REQUEST", problem)
        if _has_nul(payload):
            # PostgreSQL text and JSONB cannot hold U+0000; refuse it for every backend alike.
            return error_response(
                400, "BAD_USER_INPUT", "text values must not contain the NUL character (U+0000)"
            )
        query: str = payload["query"]
        variables = payload.get("variables")
        operation_name = payload.get("operationName")
        request_id: str = request.scope.get("state", {}).get("request_id", "-")
        context = RequestContext(self.services, principal, request_id)
        label = operation_label(query, operation_name)
        if not query.strip():
            return error_response(400, "BAD_REQUEST", "the request has no query")
        started = time.perf_counter()
        prepared = self.schema.prepare(query)
        if prepared.document is None:
            result = ExecutionResult(data=None, errors=list(prepared.errors))
        else:
            kind = operation_type(prepared.document, operation_name)
            if kind is None:
                return error_response(
                    400, "BAD_REQUEST", "operationName does not match an operation"
                )
            if kind is OperationType.SUBSCRIPTION:
                return error_response(
                    400,
                    "BAD_REQUEST",
                    "only queries and mutations over HTTP; subscribe over websocket",
                )
            result = await self.schema.run(
                prepared.document,
                variables=variables,
                context=context,
                operation_name=operation_name,
            )
        self.metrics.graphql_latency.labels(label).observe(time.perf_counter() - started)
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [format_error(e, request_id) for e in result.errors]
        self.metrics.graphql_operations.labels(label, "error" if result.errors else "ok").inc()
        status, headers = http_status(result.errors)
        return Response(
            orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
        )

    def _ide(self, request: Request) -> Response:
        if self.graphiql and "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(get_graphql_ide_html(graphql_ide="graphiql"))
        return error_response(
            405, "METHOD_NOT_ALLOWED", "send GraphQL operations with POST", {"Allow": "POST"}
        )


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _check_payload(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return "the body must be a JSON object with a query (batches are not supported)"
    unknown = set(payload) - {"query", "variables", "operationName", "extensions"}
    if unknown:
        return f"unknown request fields: {', '.join(sorted(unknown))}"
    if not isinstance(payload.get("query"), str):
        return "query must be a string"
    if not isinstance(payload.get("variables") or {}, dict):
        return "variables must be a JSON object"
    if not isinstance(payload.get("operationName") or "", str):
        return "operationName must be a string"
    return None
