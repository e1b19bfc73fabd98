"""GraphQL for webhook endpoints (scope ``webhooks:manage``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from hub.api.context import RequestContext, request_context, run_write
from hub.api.errors import ApiError, UserError
from hub.api.relay import After, Edge, First, Node, PageInfo, decode_cursor, page_of, page_size
from hub.api.scalars import DateTime
from hub.auth.scopes import Scope
from hub.auth.tokens import Principal
from hub.services import endpoints as endpoint_service

_ONCE = "The signing secret (`whsec_…`). Shown only in this response: store it now."


@strawberry.enum(description="Where a delivery stands.")
class DeliveryStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Waiting for its next attempt.")
    SENDING = strawberry.enum_value("SENDING", description="Claimed by a worker, in flight.")
    DELIVERED = strawberry.enum_value("DELIVERED", description="The receiver answered 2xx.")
    FAILED = strawberry.enum_value(
        "FAILED", description="Given up: retries used up, or the endpoint answered 410."
    )


@strawberry.type(description="One try at delivering an event to an endpoint.")
class WebhookAttempt:
    at: DateTime = strawberry.field(description="When the attempt started.")
    status_code: int | None = strawberry.field(description="HTTP status; null if none came back.")
    duration_ms: int = strawberry.field(description="How long the attempt took.")
    response_snippet: str | None = strawberry.field(
        description="The first 1 KiB of the response body, as text (bytes that are not UTF-8 "
        "and control characters show as U+FFFD)."
    )
    error: str | None = strawberry.field(
        description="Why no response came (timeout, connection refused, …); "
        "`REFUSED_ADDRESS: …` when the hub would not connect to a non-public address."
    )

    @classmethod
    def from_record(cls, attempt: endpoint_service.LoggedAttempt) -> WebhookAttempt:
        return cls(
            at=attempt.at,
            status_code=attempt.status_code,
            duration_ms=attempt.duration_ms,
            response_snippet=attempt.response_snippet,
            error=attempt.error,
        )


@strawberry.type(description="One event's delivery to one endpoint, with its attempts.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="Delivery ID.")
    event_id: strawberry.ID = strawberry.field(
        description="The event delivered (also the `webhook-id` header)."
    )
    event_type: str = strawberry.field(description="The event's type.")
    status: DeliveryStatus = strawberry.field(description="Where the delivery stands.")
    next_attempt_at: DateTime | None = strawberry.field(
        description="When the next attempt is due, if pending."
    )
    delivered_at: DateTime | None = strawberry.field(description="When the receiver accepted it.")
    attempts: list[WebhookAttempt] = strawberry.field(description="Every attempt, oldest first.")

    @classmethod
    def from_record(cls, delivery: endpoint_service.LoggedDelivery) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(f"whm_{delivery.id}"),
            event_id=strawberry.ID(delivery.event_id),
            event_type=delivery.event_type,
            status=DeliveryStatus(delivery.status),
            next_attempt_at=delivery.next_attempt_at if delivery.status == "PENDING" else None,
            delivered_at=delivery.delivered_at,
            attempts=[WebhookAttempt.from_record(a) for a in delivery.attempts],
        )


@strawberry.type(description="A page of deliveries, newest first.")
class WebhookDeliveryConnection:
    edges: list[Edge[WebhookDelivery]] = strawberry.field(description="Deliveries with cursors.")
    nodes: list[WebhookDelivery] = strawberry.field(description="The deliveries of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")


@strawberry.type(
    description="A URL that receives your events as signed webhooks (Standard Webhooks)."
)
class WebhookEndpoint(Node):
    url: str = strawberry.field(
        description="Where deliveries are POSTed (https), or the hub's sink (`sink://…`, sandbox only)."
    )
    description: str = strawberry.field(description="Your note about this endpoint.")
    event_types: list[str] = strawberry.field(
        description="Event types delivered here; empty means every type."
    )
    enabled: bool = strawberry.field(
        description="False once disabled (by you, a 410, or failures)."
    )
    disabled_reason: str | None = strawberry.field(description="Why the endpoint was disabled.")
    created_at: DateTime = strawberry.field(description="When the endpoint was created.")
    updated_at: DateTime = strawberry.field(description="When the endpoint last changed.")

    @strawberry.field(description="Deliveries to this endpoint, newest first, with their attempts.")
    async def deliveries(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        status: Annotated[
            DeliveryStatus | None, strawberry.argument(description="Only deliveries in this state.")
        ] = None,
    ) -> WebhookDeliveryConnection:
        ctx = request_context(info)
        principal = ctx.require(Scope.WEBHOOKS_MANAGE)
        limit = page_size(first)
        before = decode_cursor("delivery", after) if after is not None else None
        if before is not None and not before.isdigit():
            raise ApiError("INVALID_CURSOR", "the cursor is not valid for this connection")
        found = await endpoint_service.list_deliveries(
            ctx.services,
            principal,
            str(self.id),
            status=status.name if status is not None else None,
            before_id=int(before) if before is not None else None,
            limit=limit + 1,
        )
        edges, nodes, page = page_of(
            found, limit, "delivery", lambda d: d.id, WebhookDelivery.from_record
        )
        return WebhookDeliveryConnection(edges=edges, nodes=nodes, page_info=page)

    @classmethod
    def from_record(cls, endpoint: endpoint_service.Endpoint) -> WebhookEndpoint:
        return cls(
            id=strawberry.ID(endpoint.id),
            url=endpoint.url,
            description=endpoint.description,
            event_types=list(endpoint.event_types),
            enabled=endpoint.enabled,
            disabled_reason=endpoint.disabled_reason,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
        )


@strawberry.type(description="A page of webhook endpoints, oldest first.")
class WebhookEndpointConnection:
    edges: list[Edge[WebhookEndpoint]] = strawberry.field(description="Endpoints with cursors.")
    nodes: list[WebhookEndpoint] = strawberry.field(description="The endpoints of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")


@strawberry.input(description="A new webhook endpoint.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(
        description=(
            "https URL that receives POSTs. A sandbox organization may instead name the hub's "
            "own sink, which answers in-process: `sink://ok`, `sink://<status>` (e.g. "
            "`sink://500`, `sink://410`, `sink://429?retry-after=2`) or `sink://timeout`."
        )
    )
    event_types: list[str] = strawberry.field(
        default_factory=list, description="Event types to deliver; empty for all."
    )
    description: str = strawberry.field(default="", description="A note, up to 500 characters.")


@strawberry.input(description="Changes to a webhook endpoint; omitted fields stay as they are.")
class UpdateWebhookEndpointInput:
    id: strawberry.ID = strawberry.field(description="The endpoint's ID.")
    url: str | None = strawberry.field(default=None, description="New URL.")
    event_types: list[str] | None = strawberry.field(default=None, description="New event types.")
    description: str | None = strawberry.field(default=None, description="New note.")


@strawberry.input(description="Identifies one webhook endpoint.")
class WebhookEndpointIdInput:
    id: strawberry.ID = strawberry.field(description="The endpoint's ID.")


@strawberry.input(description="Rotate an endpoint's signing secret.")
class RotateWebhookSecretInput:
    id: strawberry.ID = strawberry.field(description="The endpoint's ID.")
    overlap_seconds: int | None = strawberry.field(
        default=None,
        description="How long current secrets keep signing beside the new one (default 24 h, at most 7 days).",
    )


@strawberry.input(description="Deliver past events to an endpoint again.")
class ReplayEventsInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint to deliver to.")
    since: DateTime | None = strawberry.field(
        default=None, description="Events that occurred at or after this time."
    )
    until: DateTime | None = strawberry.field(
        default=None, description="…and before this time (default: now)."
    )
    event_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Or exactly these events (instead of a time range)."
    )


@strawberry.type(description="Result of `sendTestWebhook`.")
class SendTestWebhookPayload:
    event_id: strawberry.ID | None = strawberry.field(
        description="The `webhook.test` event queued (the delivery's `webhook-id`)."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


@strawberry.type(description="Result of `replayEvents`.")
class ReplayEventsPayload:
    queued_count: int = strawberry.field(description="How many events were queued for delivery.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the replay was refused, if it was."
    )


@strawberry.type(description="Result of creating an endpoint or rotating its secret.")
class WebhookEndpointSecretPayload:
    webhook_endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint.")
    secret: str | None = strawberry.field(description=_ONCE)
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


@strawberry.type(description="Result of a change to a webhook endpoint.")
class WebhookEndpointPayload:
    webhook_endpoint: WebhookEndpoint | None = strawberry.field(
        description="The endpoint after the change."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


@strawberry.type(description="Result of `deleteWebhookEndpoint`.")
class DeleteWebhookEndpointPayload:
    deleted_webhook_endpoint_id: strawberry.ID | None = strawberry.field(
        description="The deleted endpoint's ID."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


async def _managed(
    info: Info, work: Callable[[RequestContext, Principal], Awaitable[Any]]
) -> tuple[Any, list[UserError]]:
    return await run_write(info, Scope.WEBHOOKS_MANAGE, work)


_Input = "The mutation's input."


def _endpoint_or_none(endpoint: endpoint_service.Endpoint | None) -> WebhookEndpoint | None:
    return WebhookEndpoint.from_record(endpoint) if endpoint is not None else None


@strawberry.type(description="Webhook endpoint reads.")
class WebhookQuery:
    @strawberry.field(description="Your webhook endpoints, oldest first. Needs `webhooks:manage`.")
    async def webhook_endpoints(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
    ) -> WebhookEndpointConnection:
        ctx = request_context(info)
        principal = ctx.require(Scope.WEBHOOKS_MANAGE)
        limit = page_size(first)
        after_id = decode_cursor("webhook_endpoint", after) if after is not None else None
        found = await endpoint_service.list_endpoints(
            ctx.services, principal, after_id=after_id, limit=limit + 1
        )
        edges, nodes, page = page_of(
            found, limit, "webhook_endpoint", lambda e: e.id, WebhookEndpoint.from_record
        )
        return WebhookEndpointConnection(edges=edges, nodes=nodes, page_info=page)

    @strawberry.field(description="One of your webhook endpoints. Needs `webhooks:manage`.")
    async def webhook_endpoint(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The endpoint's ID.")],
    ) -> WebhookEndpoint | None:
        ctx = request_context(info)
        principal = ctx.require(Scope.WEBHOOKS_MANAGE)
        found = await endpoint_service.get_endpoint(ctx.services, principal, str(id))
        return WebhookEndpoint.from_record(found) if found is not None else None


@strawberry.type(description="Webhook endpoint writes.")
class WebhookMutation:
    @strawberry.mutation(
        description="Create a webhook endpoint; the response carries its secret, once. Needs `webhooks:manage`."
    )
    async def create_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[CreateWebhookEndpointInput, strawberry.argument(description=_Input)],
    ) -> WebhookEndpointSecretPayload:
        result, errors = await _managed(
            info,
            lambda ctx, principal: endpoint_service.create_endpoint(
                ctx.services,
                principal,
                url=input.url,
                event_types=input.event_types,
                description=input.description,
            ),
        )
        endpoint, secret = result if result is not None else (None, None)
        return WebhookEndpointSecretPayload(
            webhook_endpoint=_endpoint_or_none(endpoint),
            secret=secret,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Change a webhook endpoint's URL, event types or description. Needs `webhooks:manage`."
    )
    async def update_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[UpdateWebhookEndpointInput, strawberry.argument(description=_Input)],
    ) -> WebhookEndpointPayload:
        endpoint, errors = await _managed(
            info,
            lambda ctx, principal: endpoint_service.update_endpoint(
                ctx.services,
                principal,
                str(input.id),
                url=input.url,
                event_types=input.event_types,
                description=input.description,
            ),
        )
        return WebhookEndpointPayload(
            webhook_endpoint=_endpoint_or_none(endpoint),
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Turn delivery back on for a disabled endpoint. Needs `webhooks:manage`."
    )
    async def enable_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[WebhookEndpointIdInput, strawberry.argument(description=_Input)],
    ) -> WebhookEndpointPayload:
        endpoint, errors = await _managed(
            info,
            lambda ctx, principal: endpoint_service.enable_endpoint(
                ctx.services, principal, str(input.id)
            ),
        )
        return WebhookEndpointPayload(
            webhook_endpoint=_endpoint_or_none(endpoint),
            user_errors=errors,
        )

    @strawberry.mutation(description="Delete a webhook endpoint. Needs `webhooks:manage`.")
    async def delete_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[WebhookEndpointIdInput, strawberry.argument(description=_Input)],
    ) -> DeleteWebhookEndpointPayload:
        _, errors = await _managed(
            info,
            lambda ctx, principal: endpoint_service.delete_endpoint(
                ctx.services, principal, str(input.id)
            ),
        )
        return DeleteWebhookEndpointPayload(
            deleted_webhook_endpoint_id=None if errors else input.id, user_errors=errors
        )

    @strawberry.mutation(
        description="Deliver a `webhook.test` event to this endpoint now. Needs `webhooks:manage`."
    )
    async def send_test_webhook(
        self,
        info: Info,
        input: Annotated[WebhookEndpointIdInput, strawberry.argument(description=_Input)],
    ) -> SendTestWebhookPayload:
        event_id, errors = await _managed(
            info,
            lambda ctx, principal: endpoint_service.send_test(
                ctx.services, principal, str(input.id)
            ),
        )
        return SendTestWebhookPayload(
            event_id=strawberry.ID(event_id) if event_id is not None else None, user_errors=errors
        )

    @strawberry.mutation(
        description=(
            "Queue past events (of the endpoint's types) for delivery again, by time range or ids; "
            "at most 10,000. Needs `webhooks:manage`."
        )
    )
    async def replay_events(
        self,
        info: Info,
        input: Annotated[ReplayEventsInput, strawberry.argument(description=_Input)],
    ) -> ReplayEventsPayload:
        count, errors = await _managed(
            info,
            lambda ctx, principal: endpoint_service.replay_events(
                ctx.services,
                principal,
                str(input.endpoint_id),
                since=input.since,
                until=input.until,
                event_ids=[str(i) for i in input.event_ids]
                if input.event_ids is not None
                else None,
            ),
        )
        return ReplayEventsPayload(queued_count=count or 0, user_errors=errors)

    @strawberry.mutation(
        description="Start signing with a new secret, from the next delivery on; current secrets keep signing for the overlap, at most three secrets at once (rotating again ends the oldest overlap). Needs `webhooks:manage`."
    )
    async def rotate_webhook_secret(
        self,
        info: Info,
        input: Annotated[RotateWebhookSecretInput, strawberry.argument(description=_Input)],
    ) -> WebhookEndpointSecretPayload:
        result, errors = await _managed(
            info,
            lambda ctx, principal: endpoint_service.rotate_secret(
                ctx.services, principal, str(input.id), overlap_seconds=input.overlap_seconds
            ),
        )
        endpoint, secret = result if result is not None else (None, None)
        return WebhookEndpointSecretPayload(
            webhook_endpoint=_endpoint_or_none(endpoint),
            secret=secret,
            user_errors=errors,
        )
