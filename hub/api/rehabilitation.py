"""Rehabilitated customers in GraphQL: the creditor's win-back list and customer returns."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.api.changes import changed_item, errors_field, idempotency_field
from hub.api.context import request_context, run_write
from hub.api.enums import ContactChannel, PaymentChannel
from hub.api.errors import UserError
from hub.api.objects import Money, Organization
from hub.api.relay import After, Edge, First, Node, PageInfo, decode_cursor, page_of, page_size
from hub.api.scalars import DateTime
from hub.api.types import Account
from hub.auth.scopes import Scope
from hub.domain import rehabilitation as domain
from hub.domain.collection_state import ItemKind
from hub.services import rehabilitation as service


@strawberry.type(
    description="A customer who paid, handed back to the creditor to be won back, with how they paid."
)
class Rehabilitation(Node):
    amount_recovered: Money = strawberry.field(description="Received payments, net of reversals.")
    days_to_pay: int = strawberry.field(description="Days from placement to closing.")
    days_to_first_payment: int | None = strawberry.field(
        description="Days from placement to the first payment; 0 for a payment received before the placement."
    )
    paid_on_plan: bool = strawberry.field(description="Some payment was made under a plan.")
    paid_in_full: bool = strawberry.field(
        description="Closed PAID (true) or SETTLED for less (false)."
    )
    contact_channels: list[ContactChannel] = strawberry.field(
        description="Channels the customer used: inbound contacts and outbound ones that reached them."
    )
    payment_channels: list[PaymentChannel] = strawberry.field(description="Who took the payments.")
    self_served: bool = strawberry.field(
        description="Every payment came through the portal or straight to the creditor."
    )
    rehabilitated_at: DateTime = strawberry.field(description="When the account closed.")
    returned_at: DateTime | None = strawberry.field(
        description="When the customer bought again (`recordCustomerReturn`)."
    )
    order_reference: str | None = strawberry.field(description="The returning order's reference.")
    account_id: strawberry.Private[str]
    agency_id: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, r: domain.Rehabilitation) -> Rehabilitation:
        s = r.summary
        return cls(
            id=strawberry.ID(r.id),
            amount_recovered=Money.of(s.amount_recovered_minor, r.currency),
            days_to_pay=s.days_to_pay,
            days_to_first_payment=s.days_to_first_payment,
            paid_on_plan=s.paid_on_plan,
            paid_in_full=s.paid_in_full,
            contact_channels=list(s.contact_channels),
            payment_channels=list(s.payment_channels),
            self_served=s.self_served,
            rehabilitated_at=r.rehabilitated_at,
            returned_at=r.returned_at,
            order_reference=r.order_reference,
            account_id=r.account_id,
            agency_id=r.agency_id,
        )

    @strawberry.field(description="The account that was paid.")
    async def account(self, info: Info) -> Account | None:
        found = await request_context(info).accounts.load(self.account_id)
        return Account.from_record(found) if found is not None else None

    @strawberry.field(description="The agency that collected it.")
    async def agency(self, info: Info) -> Organization | None:
        if self.agency_id is None:
            return None
        found = await request_context(info).linked_organization(self.agency_id)
        return Organization.from_record(found) if found is not None else None


@strawberry.type(description="A page of rehabilitated customers, newest first.")
class RehabilitationConnection:
    edges: list[Edge[Rehabilitation]] = strawberry.field(description="Items with cursors.")
    nodes: list[Rehabilitation] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")
    total_count: int = strawberry.field(description="Items matching `since`.")


@strawberry.input(description="Record that a rehabilitated customer bought again.")
class RecordCustomerReturnInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global ID.")
    returned_at: DateTime = strawberry.field(description="When they bought again.")
    order_reference: str = strawberry.field(description="Your reference of the new order.")
    idempotency_key: str | None = idempotency_field()


@strawberry.type(description="Result of `recordCustomerReturn`.")
class RecordCustomerReturnPayload:
    rehabilitation: Rehabilitation | None = strawberry.field(
        description="The rehabilitation, with `returnedAt` set."
    )
    user_errors: list[UserError] = errors_field()


@strawberry.type(description="Writes.")
class RehabilitationMutation:
    @strawberry.mutation(
        description="A rehabilitated customer bought again: closes the win-back loop. Needs `accounts:write`."
    )
    async def record_customer_return(
        self,
        info: Info,
        input: Annotated[
            RecordCustomerReturnInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> RecordCustomerReturnPayload:
        applied, errors = await run_write(
            info,
            Scope.ACCOUNTS_WRITE,
            lambda ctx, p: service.record_customer_return(
                ctx.services,
                p,
                str(input.customer_id),
                returned_at=input.returned_at,
                order_reference=input.order_reference,
                idempotency_key=input.idempotency_key,
            ),
        )
        found = await changed_item(request_context(info), applied, ItemKind.REHABILITATION)
        return RecordCustomerReturnPayload(
            rehabilitation=Rehabilitation.from_record(found) if found else None,
            user_errors=errors,
        )


@strawberry.type(description="Reads.")
class RehabilitationQuery:
    @strawberry.field(
        description="Customers who paid (accounts closed PAID or SETTLED with no open dispute), newest first. Creditors only; needs `accounts:read`."
    )
    async def rehabilitated_customers(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        since: Annotated[
            DateTime | None, strawberry.argument(description="Only those rehabilitated since.")
        ] = None,
    ) -> RehabilitationConnection:
        ctx = request_context(info)
        principal = ctx.require(Scope.ACCOUNTS_READ)
        limit = page_size(first)
        before = decode_cursor("rehabilitation", after) if after is not None else None
        found, total = await service.list_rehabilitations(
            ctx.services, principal, since=since, before_id=before, limit=limit + 1
        )
        edges, nodes, page = page_of(
            found, limit, "rehabilitation", lambda r: r.id, Rehabilitation.from_record
        )
        return RehabilitationConnection(edges=edges, nodes=nodes, page_info=page, total_count=total)
