"""GraphQL for webhook endpoints (scope ``webhooks:manage``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from hub.api.context import RequestContext, request_context
from hub.api.errors import UserError, user_errors
from hub.api.scalars import DateTime
from hub.api.types import Edge, Node, PageInfo, decode_cursor, encode_cursor, page_size
from hub.auth.scopes import Scope
from hub.auth.tokens import Principal
from hub.domain.errors import DomainError
from hub.services import webhook_endpoints as endpoint_service

_ONCE = "The signing secret (`whsec_…`). Shown only in this response: store it now."


@strawberry.type(
    description="A URL that receives your events as signed webhooks (Standard Webhooks)."
)
class WebhookEndpoint(Node):
    url: str = strawberry.field(description="Where deliveries are POSTed (https).")
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

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> WebhookEndpoint:
        return cls(
            id=strawberry.ID(row["id"]),
            url=row["url"],
            description=row["description"],
            event_types=list(row["event_types"]),
            enabled=row["enabled"],
            disabled_reason=row["disabled_reason"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@strawberry.type(description="A page of webhook endpoints, oldest first.")
class WebhookEndpointConnection:
    edges: list[Edge[WebhookEndpoint]] = strawberry.field(description="Endpoints with cursors.")
    nodes: list[WebhookEndpoint] = strawberry.field(description="The endpoints of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")


@strawberry.input(description="A new webhook endpoint.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(description="https URL that receives POSTs.")
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
    ctx = request_context(info)
    principal = ctx.require(Scope.WEBHOOKS_MANAGE)
    try:
        return await work(ctx, principal), []
    except DomainError as error:
        return None, user_errors(error.problems)


_Input = "The mutation's input."


@strawberry.type(description="Webhook endpoint reads.")
class WebhookQuery:
    @strawberry.field(description="Your webhook endpoints, oldest first. Needs `webhooks:manage`.")
    async def webhook_endpoints(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, 1-100.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the previous page.")
        ] = None,
    ) -> WebhookEndpointConnection:
        ctx = request_context(info)
        principal = ctx.require(Scope.WEBHOOKS_MANAGE)
        limit = page_size(first)
        after_id = decode_cursor("webhook_endpoint", after) if after is not None else None
        async with ctx.services.db.read() as conn:
            rows = await endpoint_service.list_endpoints(
                conn, principal, after_id=after_id, limit=limit + 1
            )
        nodes = [WebhookEndpoint.from_row(r) for r in rows[:limit]]
        cursors = [encode_cursor("webhook_endpoint", str(n.id)) for n in nodes]
        return WebhookEndpointConnection(
            edges=[Edge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)],
            nodes=nodes,
            page_info=PageInfo(
                has_next_page=len(rows) > limit,
                has_previous_page=False,
                start_cursor=cursors[0] if cursors else None,
                end_cursor=cursors[-1] if cursors else None,
            ),
        )

    @strawberry.field(description="One of your webhook endpoints. Needs `webhooks:manage`.")
    async def webhook_endpoint(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The endpoint's ID.")],
    ) -> WebhookEndpoint | None:
        ctx = request_context(info)
        principal = ctx.require(Scope.WEBHOOKS_MANAGE)
        async with ctx.services.db.read() as conn:
            row = await endpoint_service.get_endpoint(conn, principal, str(id))
        return WebhookEndpoint.from_row(row) if row is not None else None


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
        row, secret = result if result is not None else (None, None)
        return WebhookEndpointSecretPayload(
            webhook_endpoint=WebhookEndpoint.from_row(row) if row is not None else None,
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
        row, errors = await _managed(
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
            webhook_endpoint=WebhookEndpoint.from_row(row) if row is not None else None,
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
        row, errors = await _managed(
            info,
            lambda ctx, principal: endpoint_service.enable_endpoint(
                ctx.services, principal, str(input.id)
            ),
        )
        return WebhookEndpointPayload(
            webhook_endpoint=WebhookEndpoint.from_row(row) if row is not None else None,
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
        description="Start signing with a new secret; current secrets keep signing for the overlap. Needs `webhooks:manage`."
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
        row, secret = result if result is not None else (None, None)
        return WebhookEndpointSecretPayload(
            webhook_endpoint=WebhookEndpoint.from_row(row) if row is not None else None,
            secret=secret,
            user_errors=errors,
        )
