"""Root query fields."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from hub.api.compliance import ComplianceQuery
from hub.api.context import RequestContext, request_context
from hub.api.errors import ApiError
from hub.api.help_contact import HelpContactQuery
from hub.api.inputs import AccountFilter
from hub.api.items import ContactAttempt, Dispute, Hold, Payment, PaymentPlan
from hub.api.objects import Organization
from hub.api.performance import PerformanceQuery
from hub.api.plan_offers import PlanOfferQuery
from hub.api.portal_branding import PortalBrandingQuery
from hub.api.rehabilitation import Rehabilitation, RehabilitationQuery
from hub.api.relay import After, First, Node
from hub.api.sandbox import SandboxQuery
from hub.api.test_clocks import TestClockQuery
from hub.api.types import (
    Account,
    AccountConnection,
    Customer,
    Event,
    EventConnection,
    load_account_page,
    load_event_page,
)
from hub.api.webhooks import WebhookEndpoint, WebhookQuery
from hub.auth.scopes import Scope
from hub.domain.collection_state import ItemKind
from hub.domain.contact import is_country
from hub.services import accounts as account_service
from hub.services import endpoints as endpoint_service
from hub.services import events as event_service
from hub.services import items as item_service

MAX_NODES = 100


@strawberry.type(description="The authenticated caller.")
class Viewer:
    client_id: str = strawberry.field(
        description="The API client (OAuth client_id) making the call."
    )
    scopes: list[str] = strawberry.field(description="Scopes the access token holds.")
    organization_id: strawberry.Private[str]

    @strawberry.field(description="The caller's organization.")
    async def organization(self, info: Info) -> Organization:
        found = await request_context(info).organizations.load(self.organization_id)
        if found is None:
            raise ApiError("NOT_FOUND", "organization not found")
        return Organization.from_record(found)


#: How each kind of account item shows as a node.
_ITEM_TYPES: dict[ItemKind, Any] = {
    ItemKind.CONTACT: ContactAttempt,
    ItemKind.PLAN: PaymentPlan,
    ItemKind.PAYMENT: Payment,
    ItemKind.DISPUTE: Dispute,
    ItemKind.HOLD: Hold,
    ItemKind.REHABILITATION: Rehabilitation,
}


async def _resolve_item(ctx: RequestContext, node_id: str) -> Node | None:
    """``node(id:)`` for the objects of an account's collection history."""
    kind = ItemKind.of_id(node_id)
    if kind is None:
        return None
    principal = ctx.require(Scope.ACCOUNTS_READ)
    found = await item_service.visible_item(ctx.services, principal, node_id)
    node: Node | None = _ITEM_TYPES[kind].from_record(found) if found is not None else None
    return node


async def _resolve_node(info: Info, node_id: str) -> Node | None:
    """Any object the caller may see, by global ID; anything else is null (not found)."""
    ctx = request_context(info)
    prefix = node_id.partition("_")[0]
    if prefix == "acc":
        ctx.require(Scope.ACCOUNTS_READ)
        account = await ctx.accounts.load(node_id)
        return Account.from_record(account) if account is not None else None
    if prefix == "cus":
        ctx.require(Scope.ACCOUNTS_READ)
        customer = await ctx.customers.load(node_id)
        return Customer.from_record(customer) if customer is not None else None
    if prefix == "org":
        organization = await ctx.organizations.load(node_id)
        return Organization.from_record(organization) if organization is not None else None
    if prefix == "we":
        principal = ctx.require(Scope.WEBHOOKS_MANAGE)
        endpoint = await endpoint_service.get_endpoint(ctx.services, principal, node_id)
        return WebhookEndpoint.from_record(endpoint) if endpoint is not None else None
    if prefix == "evt":
        principal = ctx.require(Scope.EVENTS_READ)
        event = await event_service.get_event(ctx.services, principal, node_id)
        return Event.from_record(event) if event is not None else None
    return await _resolve_item(ctx, node_id)


@strawberry.type(description="Reads.")
class Query(
    ComplianceQuery,
    RehabilitationQuery,
    PerformanceQuery,
    WebhookQuery,
    SandboxQuery,
    TestClockQuery,
    PlanOfferQuery,
    HelpContactQuery,
    PortalBrandingQuery,
):
    @strawberry.field(
        description="Fetch any object by its global ID; null if it does not exist or is not yours."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global ID.")],
    ) -> Node | None:
        return await _resolve_node(info, str(id))

    @strawberry.field(
        description="Fetch up to 100 objects by global ID, in the order asked; null where not found."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="Up to 100 global IDs.")
        ],
    ) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise ApiError("TOO_MANY_IDS", f"ask for at most {MAX_NODES} ids at a time")
        return list(await asyncio.gather(*(_resolve_node(info, str(i)) for i in ids)))

    @strawberry.field(description="The authenticated API client and its organization.")
    def viewer(self, info: Info) -> Viewer:
        principal = request_context(info).principal
        return Viewer(
            client_id=principal.client_id,
            scopes=sorted(principal.scopes),
            organization_id=principal.organization_id,
        )

    @strawberry.field(
        description="One account, by global ID or by the creditor's reference. Needs `accounts:read`."
    )
    async def account(
        self,
        info: Info,
        id: Annotated[strawberry.ID | None, strawberry.argument(description="Global ID.")] = None,
        reference: Annotated[
            str | None,
            strawberry.argument(
                description="The creditor's reference, normalized as on placement (NFKC, trimmed)."
            ),
        ] = None,
    ) -> Account | None:
        ctx = request_context(info)
        principal = ctx.require(Scope.ACCOUNTS_READ)
        if (id is None) == (reference is None):
            raise ApiError("BAD_USER_INPUT", "give exactly one of id and reference")
        if id is not None:
            found = await ctx.accounts.load(str(id))
        else:
            found = await account_service.account_by_reference(
                ctx.services, principal, str(reference)
            )
        return Account.from_record(found) if found is not None else None

    @strawberry.field(
        description="Your accounts (a creditor's placed, an agency's assigned), newest first. Needs `accounts:read`."
    )
    async def accounts(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        filter: Annotated[
            AccountFilter | None, strawberry.argument(description="Conditions.")
        ] = None,
    ) -> AccountConnection:
        ctx = request_context(info)
        principal = ctx.require(Scope.ACCOUNTS_READ)
        f = filter or AccountFilter()
        if f.country is not None and not is_country(f.country):
            raise ApiError("INVALID_COUNTRY", "not an ISO 3166-1 alpha-2 country code")
        query_filter = account_service.AccountFilter(
            statuses=[s.value for s in f.status] if f.status else None,
            agency_id=str(f.agency_id) if f.agency_id is not None else None,
            country=f.country,
            placed_after=f.placed_after,
            placed_before=f.placed_before,
            reference=f.reference,
        )
        return await load_account_page(ctx, principal, query_filter, first, after)

    @strawberry.field(
        description=(
            "Your events in global order, oldest first: exactly what webhooks deliver. "
            "Resume after the last one you processed with `after` (a cursor or an event id). "
            "Needs `events:read`."
        )
    )
    async def events(
        self,
        info: Info,
        first: First = 20,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="A cursor, or the id of the last event you processed (`evt_…`)."
            ),
        ] = None,
        types: Annotated[
            list[str] | None,
            strawberry.argument(description='Only these event types, e.g. `["account.placed"]`.'),
        ] = None,
    ) -> EventConnection:
        ctx = request_context(info)
        principal = ctx.require(Scope.EVENTS_READ)
        return await load_event_page(ctx, principal, first, after, types)
