"""graphql-transport-ws on ``/graphql``: subscriptions, queries and mutations over a websocket.

The client authenticates in ``connection_init`` with ``{"authorization": "Bearer <token>"}``
(or ``{"accessToken": "<token>"}``); a missing or bad token closes the socket with 4403.
Every ``subscribe`` message then goes the way an HTTP request goes: it takes a token from
the API client's rate limit (the same bucket as HTTP: ``RATE_LIMITED`` with ``retryAfter``),
its payload is checked as a request body is (``hub.api.request``), its document is prepared
with the same limits and rules (``HubSchema.prepare``) and its errors are formatted by
``hub.api.errors``: coded, unexpected ones masked with a request id. At most
``MAX_OPERATIONS`` run at once on one connection (``TOO_MANY_OPERATIONS``).

The connection's token is checked again every ``client_cache_seconds`` (at least every
second or so when that is 0): once an HTTP request with it would be refused (its client
revoked, the token expired), the socket is closed with 4403 and the reason's code.

A token that cannot be checked in ``connection_init`` because the database is unavailable
closes the socket with 1013 (try again later). Once connected, an operation that meets an
unavailable database ends with a ``SERVICE_UNAVAILABLE`` error (a subscription: then
``complete``); the socket stays open, and a re-check of the token that cannot reach the
database is tried again at the next interval.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing, suppress
from typing import Any, cast

from graphql import DocumentNode, ExecutionResult, OperationType, get_operation_ast, located_error
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)

from hub.api.authentication import BearerAuthenticator
from hub.api.context import RequestContext
from hub.api.errors import format_error
from hub.api.http import response_body
from hub.api.request import GraphQLRequest, RequestRefused, read_request
from hub.api.schema import HubSchema, operation_type
from hub.auth.ratelimit import RateLimiter
from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import InvalidToken, Principal
from hub.domain.errors import DatabaseUnavailable
from hub.observability import new_request_id, request_id_var
from hub.services.context import ServiceContext
from hub.services.events import EventBus

log = logging.getLogger("hub.api")

#: Operations (subscriptions, queries, mutations) running at once on one connection.
MAX_OPERATIONS = 20
#: How often a connection's token is checked when client_cache_seconds is 0.
_MIN_RECHECK_SECONDS = 1.0
#: The caller before ``connection_init``: no organization, no scopes.
_NOBODY = Principal(
    client_id="", organization_id="", kind=OrganizationKind.AGENCY, scopes=frozenset()
)


def _authorization(params: Mapping[str, Any] | None) -> str | None:
    """The ``Authorization`` value of a ``connection_init`` payload."""
    params = params or {}
    token = params.get("authorization") or params.get("Authorization")
    if token is None and isinstance(params.get("accessToken"), str):
        token = f"Bearer {params['accessToken']}"
    return token if isinstance(token, str) else None


def _refusal(operation_id: str, errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": operation_id, "type": "error", "payload": errors}


async def _send(operation: Operation[RequestContext, None], kind: str, payload: Any = None) -> None:
    """A ``next``, ``error`` or ``complete`` message of ``operation`` (the last two end it)."""
    message: dict[str, Any] = {"id": operation.id, "type": kind}
    if payload is not None:
        message["payload"] = payload
    await operation.send_operation_message(cast("Message", message))


class _HubTransportWSHandler(BaseGraphQLTransportWSHandler[RequestContext, None]):
    """strawberry's protocol handling; operations run the hub's way (see the module)."""

    view: SubscriptionEndpoint

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._watch: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except DatabaseUnavailable:
            # No operation to send an error to yet: RFC 6455's "try again later".
            await self.websocket.close(code=1013, reason="SERVICE_UNAVAILABLE")
            return
        if self.connection_acknowledged and self._watch is None:
            self._watch = asyncio.create_task(self._watch_token())

    async def shutdown(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with suppress(asyncio.CancelledError):
                await self._watch
        await super().shutdown()

    async def _watch_token(self) -> None:
        view = self.view
        authorization = _authorization(self.context.connection_params)
        while True:
            await asyncio.sleep(view.recheck_seconds)
            try:
                await view.authenticator.authenticate(authorization)
            except InvalidToken as error:
                reason = f"{error.code}: {error.message}"
                await self.websocket.close(code=4403, reason=reason[:120])
                return
            except Exception:
                # The database may be away for a moment; the next check decides.
                log.warning("could not check a websocket's token again", exc_info=True)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if not self.connection_acknowledged:
            await self.websocket.close(code=4401, reason="Unauthorized")
            return
        operation_id = message["id"]
        if operation_id in self.operations:
            await self.websocket.close(
                code=4409, reason=f"Subscriber for {operation_id} already exists"
            )
            return
        if len(self.operations) >= MAX_OPERATIONS:
            refused = RequestRefused(
                "TOO_MANY_OPERATIONS",
                f"at most {MAX_OPERATIONS} operations at once on one connection",
            )
            await self.send_message(cast("Message", _refusal(operation_id, [refused.formatted()])))
            return
        wait = self.view.rate_limiter.take(self.context.principal.client_id)
        if wait > 0:
            error = RequestRefused(
                "RATE_LIMITED", "too many requests for this API client; retry after retryAfter"
            ).formatted()
            error["extensions"]["retryAfter"] = max(1, math.ceil(wait))
            await self.send_message(cast("Message", _refusal(operation_id, [error])))
            return
        operation: Operation[RequestContext, None] = Operation(self, operation_id, "", None, None)
        operation.task = asyncio.create_task(self._run(operation, message.get("payload")))
        operation.task.add_done_callback(self._task_done)
        self.operations[operation_id] = operation

    async def _run(self, operation: Operation[RequestContext, None], payload: Any) -> None:
        request_id = new_request_id()
        token = request_id_var.set(request_id)
        try:
            await self._execute(operation, payload, request_id)
        except Exception as error:  # a bug: mask it like any other unexpected error
            masked = format_error(located_error(error, None, []), request_id)
            await _send(operation, "error", [masked])
        finally:
            request_id_var.reset(token)

    async def _execute(
        self, operation: Operation[RequestContext, None], payload: Any, request_id: str
    ) -> None:
        view = self.view
        try:
            request = read_request(payload, view.schema.limits)
        except RequestRefused as refused:
            await _send(operation, "error", [refused.formatted()])
            return
        prepared = view.schema.prepare(request.query)
        if prepared.document is None:
            errors = [format_error(e, request_id) for e in prepared.errors]
            await _send(operation, "error", errors)
            return
        kind = operation_type(prepared.document, request.operation_name)
        if kind is None:
            unknown = RequestRefused("BAD_REQUEST", "operationName does not match an operation")
            await _send(operation, "error", [unknown.formatted()])
            return
        context = RequestContext(view.services, self.context.principal, request_id)
        context.event_bus = view.bus
        if kind is OperationType.SUBSCRIPTION:
            source = await view.schema.subscribe(
                prepared.document,
                variables=request.variables,
                context=context,
                operation_name=request.operation_name,
            )
            if isinstance(source, ExecutionResult):
                body, _ = response_body(source, request_id)
                await _send(operation, "error", body["errors"])
                return
            await self._stream(operation, source, _root_key(prepared.document, request), request_id)
        else:
            result = await view.schema.run(
                prepared.document,
                variables=request.variables,
                context=context,
                operation_name=request.operation_name,
            )
            body, executed = response_body(result, request_id)
            if not executed:
                await _send(operation, "error", body["errors"])
                return
            await _send(operation, "next", body)
        await _send(operation, "complete")

    async def _stream(
        self,
        operation: Operation[RequestContext, None],
        source: AsyncIterator[ExecutionResult],
        root_key: str,
        request_id: str,
    ) -> None:
        try:
            async with aclosing(source):  # type: ignore[type-var]
                async for result in source:
                    body, _ = response_body(result, request_id)
                    await _send(operation, "next", body)
        except Exception as error:
            # The subscription's resolver failed (a missing scope, an unknown account, a
            # fault): one last result with the error, formatted like any other.
            located = located_error(error, None, [root_key])
            body = {"errors": [format_error(located, request_id)]}
            await _send(operation, "next", body)


def _root_key(document: DocumentNode, request: GraphQLRequest) -> str:
    """The response key of the subscription's field (a subscription has exactly one)."""
    operation = get_operation_ast(document, request.operation_name)
    selection = operation.selection_set.selections[0] if operation else None
    name = getattr(selection, "alias", None) or getattr(selection, "name", None)
    return name.value if name is not None else "subscription"


class SubscriptionEndpoint(GraphQL[RequestContext, None]):
    """The websocket side of ``/graphql`` (HTTP requests go to ``GraphQLEndpoint``)."""

    graphql_transport_ws_handler_class = _HubTransportWSHandler

    def __init__(
        self,
        schema: HubSchema,
        services: ServiceContext,
        authenticator: BearerAuthenticator,
        rate_limiter: RateLimiter,
        bus: EventBus,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=dt.timedelta(seconds=10),
            max_subscriptions_per_connection=None,  # counted by the handler, with a code
        )
        self.schema: HubSchema = schema
        self.services = services
        self.authenticator = authenticator
        self.rate_limiter = rate_limiter
        self.bus = bus
        self.recheck_seconds = max(services.settings.client_cache_seconds, _MIN_RECHECK_SECONDS)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        context = RequestContext(self.services, _NOBODY, f"ws-{uuid.uuid4().hex[:16]}")
        context.event_bus = self.bus
        return context

    async def on_ws_connect(self, context: RequestContext) -> dict[str, object]:
        try:
            context.principal = await self.authenticator.authenticate(
                _authorization(context.connection_params)
            )
        except InvalidToken as error:
            raise ConnectionRejectionError({"code": error.code, "message": error.message}) from None
        return {"clientId": context.principal.client_id}
