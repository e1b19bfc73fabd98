"""``POST /graphql``: the GraphQL-over-HTTP endpoint, tuned for the hub.

The request is authenticated and rate limited before anything is parsed. The body must be
``application/json``: ``{"query", "variables"?, "operationName"?, "extensions"?}``. The
answer is ``application/json``, or ``application/graphql-response+json`` when the client's
``Accept`` prefers it. Results are HTTP 200, including GraphQL errors (each with
``extensions.code``); a request that fails before execution (parse, validation, limits,
variables) has no ``data`` entry, and under ``application/graphql-response+json`` it is a
400. Transport problems get 4xx with the same error shape: 400 ``MALFORMED_JSON``/
``BAD_REQUEST``/``BAD_USER_INPUT``/``LIST_TOO_LONG``, 401 ``UNAUTHENTICATED``/
``INVALID_TOKEN``/``TOKEN_EXPIRED``/``CLIENT_REVOKED``, 413 ``BODY_TOO_LARGE``, 415
``UNSUPPORTED_MEDIA_TYPE``, 429 ``RATE_LIMITED``.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import orjson
from graphql import DocumentNode, ExecutionResult, OperationType
from starlette.requests import Request
from starlette.responses import Response

from hub.api.authentication import BearerAuthenticator
from hub.api.context import RequestContext
from hub.api.errors import format_error, http_status
from hub.api.ide import graphiql_page
from hub.api.request import GraphQLRequest, RequestRefused, read_request
from hub.api.schema import HubSchema, operation_type
from hub.auth.ratelimit import RateLimiter
from hub.auth.tokens import InvalidToken, Principal
from hub.observability import Metrics
from hub.services.context import ServiceContext

log = logging.getLogger("hub.api")

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def error_response(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    media_type: str = JSON,
) -> Response:
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def response_media_type(accept: str) -> str:
    """``application/graphql-response+json`` if ``accept`` prefers it, else JSON."""
    best = {JSON: 0.0, GRAPHQL_RESPONSE: 0.0}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        for candidate in best:
            if media in (candidate, "*/*", "application/*"):
                # An exact type counts over a wildcard for the same media type.
                weight = quality + (0.001 if media == candidate else 0.0)
                best[candidate] = max(best[candidate], weight)
    if best[GRAPHQL_RESPONSE] > 0.001 and best[GRAPHQL_RESPONSE] > best[JSON]:
        return GRAPHQL_RESPONSE
    return JSON


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
        media_type = response_media_type(request.headers.get("accept", ""))
        try:
            principal = await self._admit(request, media_type)
            graphql_request = await self._read(request, media_type)
        except _Refused as refused:
            return refused.response
        request_id: str = request.scope.get("state", {}).get("request_id", "-")
        operation_name = graphql_request.operation_name
        started = time.perf_counter()
        prepared = self.schema.prepare(graphql_request.query)
        label = self.schema.operation_label(prepared.document, operation_name)
        if prepared.document is None:
            result = ExecutionResult(data=None, errors=list(prepared.errors))
        else:
            problem = _operation_problem(prepared.document, operation_name)
            if problem is not None:
                return error_response(400, "BAD_REQUEST", problem, media_type=media_type)
            context = RequestContext(self.services, principal, request_id)
            result = await self.schema.run(
                prepared.document,
                variables=graphql_request.variables,
                context=context,
                operation_name=operation_name,
            )
        self.metrics.graphql_latency.labels(label).observe(time.perf_counter() - started)
        self.metrics.graphql_operations.labels(label, "error" if result.errors else "ok").inc()
        body, executed = response_body(result, request_id)
        status, headers = http_status(result.errors)  # 503 when the database is away
        if status == 200 and not executed and media_type == GRAPHQL_RESPONSE:
            status = 400
        return Response(
            orjson.dumps(body), status_code=status, media_type=media_type, headers=headers
        )

    async def _admit(self, request: Request, media_type: str) -> Principal:
        """The caller, authenticated and within its rate limit."""
        try:
            principal = await self.authenticator.authenticate(request.headers.get("authorization"))
        except InvalidToken as error:
            challenge = 'Bearer realm="evenly"'
            if error.code != "UNAUTHENTICATED":
                challenge += f', error="invalid_token", error_description="{error.message}"'
            raise _Refused(
                error_response(
                    401, error.code, error.message, {"WWW-Authenticate": challenge}, media_type
                )
            ) from None
        wait = self.rate_limiter.take(principal.client_id)
        if wait > 0:
            raise _Refused(
                error_response(
                    429,
                    "RATE_LIMITED",
                    "too many requests for this API client; retry after the delay in Retry-After",
                    {"Retry-After": str(max(1, math.ceil(wait)))},
                    media_type,
                )
            )
        return principal

    async def _read(self, request: Request, media_type: str) -> GraphQLRequest:
        """The GraphQL request in the body: JSON, of the shape and within the limits."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != JSON:
            raise _Refused(
                error_response(
                    415,
                    "UNSUPPORTED_MEDIA_TYPE",
                    "send the request as Content-Type: application/json",
                    media_type=media_type,
                )
            )
        try:
            payload = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            raise _Refused(
                error_response(
                    400,
                    "MALFORMED_JSON",
                    "the request body is not valid JSON",
                    media_type=media_type,
                )
            ) from None
        try:
            return read_request(payload, self.schema.limits)
        except RequestRefused as refused:
            raise _Refused(
                error_response(400, refused.code, refused.message, media_type=media_type)
            ) from None

    def _ide(self, request: Request) -> Response:
        if self.graphiql and "text/html" in request.headers.get("accept", ""):
            return graphiql_page()
        return error_response(
            405, "METHOD_NOT_ALLOWED", "send GraphQL operations with POST", {"Allow": "POST"}
        )


def response_body(result: ExecutionResult, request_id: str) -> tuple[dict[str, Any], bool]:
    """The JSON of a result, and whether execution started (else there is no ``data``).

    A request that fails before execution (parse, validation, variable coercion) has only
    errors, none with a path; a field error that nulls the whole result keeps ``data``.
    """
    errors = [format_error(e, request_id) for e in result.errors or ()]
    executed = result.data is not None or any(e.path is not None for e in result.errors or ())
    body: dict[str, Any] = {"data": result.data} if executed else {}
    if errors:
        body["errors"] = errors
    return body, executed


class _Refused(Exception):
    """A request refused before it runs, with the response that says why."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _operation_problem(document: DocumentNode, operation_name: str | None) -> str | None:
    """Why the document's chosen operation cannot run over HTTP, if it cannot."""
    kind = operation_type(document, operation_name)
    if kind is None:
        return "operationName does not match an operation"
    if kind is OperationType.SUBSCRIPTION:
        return "only queries and mutations over HTTP; subscribe over websocket"
    return None
