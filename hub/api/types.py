"""GraphQL object types: nodes, money, connections."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from hub.api.context import request_context
from hub.api.enums import AccountStatus, ContactChannel, OrganizationKind, Product
from hub.api.errors import ApiError
from hub.api.scalars import CountryCode, CurrencyCode, DateTime, Email, PhoneNumber
from hub.auth.scopes import Scope
from hub.services import accounts as account_service
from hub.services import events as event_service

if TYPE_CHECKING:
    from hub.api.collection import ContactAttempt, Dispute, Hold, Payment, PaymentPlan

Row = Mapping[Any, Any]


T = TypeVar("T")

#: The paging arguments every connection takes.
First = Annotated[
    int, strawberry.argument(description="Page size, 0-100 (0: an empty page with its pageInfo).")
]
After = Annotated[str | None, strawberry.argument(description="`endCursor` of the previous page.")]


@strawberry.interface(description="An object with a globally unique, opaque ID (Relay).")
class Node:
    id: strawberry.ID = strawberry.field(description="Global ID; pass it to `node(id:)`.")


@strawberry.type(description="An amount of money in the currency's minor units.")
class Money:
    amount_minor: int = strawberry.field(
        description="Amount in minor units (cents, öre; yen have none), e.g. 1999 for 19.99 EUR."
    )
    currency: CurrencyCode = strawberry.field(description="ISO 4217 currency code.")


@strawberry.type(description="Relay page information.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow `endCursor`.")
    has_previous_page: bool = strawberry.field(
        description="Always false: connections page forward only."
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(description="Cursor to pass as `after`.")


@strawberry.type(description="A creditor or a collection agency.")
class Organization(Node):
    kind: OrganizationKind = strawberry.field(description="Creditor or agency.")
    name: str = strawberry.field(description="Display name.")
    country: CountryCode = strawberry.field(description="Country of registration.")
    created_at: DateTime = strawberry.field(description="When the organization joined the hub.")

    @classmethod
    def from_row(cls, row: Row) -> Organization:
        return cls(
            id=strawberry.ID(row["id"]),
            kind=OrganizationKind(row["kind"]),
            name=row["name"],
            country=row["country"],
            created_at=row["created_at"],
        )


_PII_HIDDEN = (
    "null for an agency that no longer collects any of the customer's accounts "
    "(`personalDataVisible` false)"
)


@strawberry.type(
    description=(
        "The person who owes a debt, as the creditor knows them. PII (name, email, phone) is "
        "encrypted at rest. The creditor always reads it; an agency only while it collects one "
        "of the customer's accounts (an assigned account that is not PAID, SETTLED, "
        "UNCOLLECTABLE, RETURNED or RECALLED). Afterwards the agency keeps the customer's id, "
        "reference and the history it reported, without the PII."
    )
)
class Customer(Node):
    reference: str = strawberry.field(description="The creditor's own identifier of the customer.")
    personal_data_visible: bool = strawberry.field(
        description=(
            "Whether you may read the customer's name, email and phone: always for the "
            "creditor; for an agency, while one of the customer's accounts assigned to it is open."
        )
    )
    name: str | None = strawberry.field(description=f"Full name; {_PII_HIDDEN}.")
    email: Email | None = strawberry.field(description=f"Email address, if known; {_PII_HIDDEN}.")
    phone: PhoneNumber | None = strawberry.field(
        description=f"Phone number (E.164), if known; {_PII_HIDDEN}."
    )
    country: CountryCode = strawberry.field(description="Country of residence.")
    language: str | None = strawberry.field(
        description="Preferred language (BCP 47), e.g. `sv-SE`."
    )
    timezone: str | None = strawberry.field(description="IANA time zone, e.g. `Europe/Stockholm`.")
    opted_out_channels: list[ContactChannel] = strawberry.field(
        description="Channels the customer refused; outbound contact on them is refused."
    )

    @classmethod
    def from_row(cls, row: Row) -> Customer:
        return cls(
            id=strawberry.ID(row["id"]),
            reference=row["reference"],
            personal_data_visible=row["pii_visible"],
            name=row["name"],
            email=row["email"],
            phone=row["phone"],
            country=row["country"],
            language=row["language"],
            timezone=row["timezone"],
            opted_out_channels=[ContactChannel(c) for c in row.get("opted_out_channels") or ()],
        )


@strawberry.type(description="A delinquent account placed by a creditor for collection.")
class Account(Node):
    reference: str = strawberry.field(description="The creditor's reference, unique per creditor.")
    status: AccountStatus = strawberry.field(description="Current state.")
    product: Product = strawberry.field(description="Kind of credit.")
    country: CountryCode = strawberry.field(description="The customer's country at placement.")
    original_amount: Money = strawberry.field(description="Amount originally owed.")
    balance: Money = strawberry.field(description="Amount still owed.")
    due_date: dt.date = strawberry.field(description="When the debt fell due.")
    placed_at: DateTime = strawberry.field(description="When the account was placed.")
    updated_at: DateTime = strawberry.field(description="When the account last changed.")
    metadata: JSON | None = strawberry.field(description="The creditor's free-form metadata.")
    version: int = strawberry.field(description="Sequence number of the account's latest event.")
    agency_reference: str | None = strawberry.field(
        description="The agency's own reference, given when it acknowledged the placement."
    )
    acknowledged_at: DateTime | None = strawberry.field(
        description="When the agency acknowledged the placement."
    )
    closed_at: DateTime | None = strawberry.field(
        description="When the account reached a terminal state."
    )
    customer_id: strawberry.Private[str]
    creditor_id: strawberry.Private[str]
    agency_id: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: Row) -> Account:
        currency = row["currency"]
        return cls(
            id=strawberry.ID(row["id"]),
            reference=row["reference"],
            status=AccountStatus(row["status"]),
            product=Product(row["product"]),
            country=row["country"],
            original_amount=Money(amount_minor=row["original_amount_minor"], currency=currency),
            balance=Money(amount_minor=row["balance_minor"], currency=currency),
            due_date=row["due_date"],
            placed_at=row["placed_at"],
            updated_at=row["updated_at"],
            metadata=row["metadata"],
            version=row["version"],
            agency_reference=row.get("agency_reference"),
            acknowledged_at=row.get("acknowledged_at"),
            closed_at=row.get("closed_at"),
            customer_id=row["customer_id"],
            creditor_id=row["creditor_id"],
            agency_id=row["agency_id"],
        )

    @strawberry.field(description="The customer who owes the debt.")
    async def customer(self, info: Info) -> Customer:
        row = await request_context(info).customers.load(self.customer_id)
        if row is None:
            raise ApiError("NOT_FOUND", "customer not found")
        return Customer.from_row(row)

    @strawberry.field(description="The creditor that placed the account.")
    async def creditor(self, info: Info) -> Organization | None:
        row = await request_context(info).linked_organization(self.creditor_id)
        return Organization.from_row(row) if row is not None else None

    @strawberry.field(description="The agency the account is assigned to; null while unassigned.")
    async def agency(self, info: Info) -> Organization | None:
        if self.agency_id is None:
            return None
        row = await request_context(info).linked_organization(self.agency_id)
        return Organization.from_row(row) if row is not None else None

    @strawberry.field(description="Contacts with the customer, oldest first.")
    async def contact_attempts(
        self, info: Info
    ) -> list[Annotated[ContactAttempt, strawberry.lazy("hub.api.collection")]]:
        from hub.api.collection import ContactAttempt, account_details

        return [
            ContactAttempt.from_row(r)
            for r in await account_details(info, str(self.id), "contact_attempts")
        ]

    @strawberry.field(description="Payment plans, oldest first; at most one is ACTIVE.")
    async def payment_plans(
        self, info: Info
    ) -> list[Annotated[PaymentPlan, strawberry.lazy("hub.api.collection")]]:
        from hub.api.collection import PaymentPlan, account_details

        return [
            PaymentPlan.from_row(r)
            for r in await account_details(info, str(self.id), "payment_plans")
        ]

    @strawberry.field(description="The latest payment plan, whatever its status; null if none.")
    async def payment_plan(
        self, info: Info
    ) -> Annotated[PaymentPlan, strawberry.lazy("hub.api.collection")] | None:
        from hub.api.collection import PaymentPlan, account_details

        rows = await account_details(info, str(self.id), "payment_plans")
        return PaymentPlan.from_row(rows[-1]) if rows else None

    @strawberry.field(description="Payments, oldest first, whatever their status.")
    async def payments(
        self, info: Info
    ) -> list[Annotated[Payment, strawberry.lazy("hub.api.collection")]]:
        from hub.api.collection import Payment, account_details

        return [Payment.from_row(r) for r in await account_details(info, str(self.id), "payments")]

    @strawberry.field(description="Disputes, oldest first.")
    async def disputes(
        self, info: Info
    ) -> list[Annotated[Dispute, strawberry.lazy("hub.api.collection")]]:
        from hub.api.collection import Dispute, account_details

        ctx = request_context(info)
        rows = await account_details(info, str(self.id), "disputes")
        return [Dispute.from_row(r, ctx) for r in rows]

    @strawberry.field(description="Holds, oldest first.")
    async def holds(
        self, info: Info
    ) -> list[Annotated[Hold, strawberry.lazy("hub.api.collection")]]:
        from hub.api.collection import Hold, account_details

        ctx = request_context(info)
        return [Hold.from_row(r, ctx) for r in await account_details(info, str(self.id), "holds")]

    @strawberry.field(description="This account's events, oldest first. Needs `events:read`.")
    async def events(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
    ) -> EventConnection:
        ctx = request_context(info)
        principal = ctx.require(Scope.EVENTS_READ)
        return await load_event_page(ctx, principal, first, after, None, account_id=str(self.id))


@strawberry.type(description="An immutable record of one change; webhooks deliver the same events.")
class Event(Node):
    type: str = strawberry.field(description="Dotted event type, e.g. `account.placed`.")
    sequence: int | None = strawberry.field(
        description="Position in the account's own history (1, 2, …); null for events of no account."
    )
    occurred_at: DateTime = strawberry.field(description="When the change happened.")
    data: JSON = strawberry.field(
        description="Event payload, as in the webhook body's `data`; JSON Schema per type in schema/webhooks."
    )
    position: strawberry.Private[int]
    account_id: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: Row) -> Event:
        return cls(
            id=strawberry.ID(row["id"]),
            type=row["type"],
            sequence=row["sequence"],
            occurred_at=row["occurred_at"],
            data=row["data"],
            position=row["position"],
            account_id=row["account_id"],
        )

    @strawberry.field(description="The account the event is about, if any.")
    async def account(self, info: Info) -> Account | None:
        if self.account_id is None:
            return None
        row = await request_context(info).accounts.load(self.account_id)
        return Account.from_row(row) if row is not None else None


NodeT = TypeVar("NodeT")


@strawberry.type(description="An edge in a connection.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Opaque cursor of this item.")
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type(description="A page of accounts, newest first.")
class AccountConnection:
    edges: list[Edge[Account]] = strawberry.field(description="Accounts with their cursors.")
    nodes: list[Account] = strawberry.field(description="The accounts of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")
    count_query: strawberry.Private[Any]

    @strawberry.field(description="Number of accounts matching the filter (one extra query).")
    async def total_count(self) -> int:
        return int(await self.count_query())


@strawberry.type(description="A page of events in global order, oldest first.")
class EventConnection:
    edges: list[Edge[Event]] = strawberry.field(description="Events with their cursors.")
    nodes: list[Event] = strawberry.field(description="The events of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")


# --- cursors ------------------------------------------------------------------------------


def encode_cursor(kind: str, value: str | int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    prefix, _, value = raw.partition(":")
    if prefix != kind or not value:
        raise ApiError("INVALID_CURSOR", "the cursor is not valid for this connection")
    return value


def page_size(first: int) -> int:
    """``first`` checked: 0 (an empty page, as Relay allows) to 100."""
    if not 0 <= first <= 100:
        raise ApiError("INVALID_PAGE_SIZE", "first must be between 0 and 100")
    return first


def _page_info(cursors: Sequence[str], has_next: bool) -> PageInfo:
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=False,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )


def page_of(
    rows: Sequence[Row],
    limit: int,
    kind: str,
    key: Callable[[Row], str | int],
    make: Callable[[Row], T],
) -> tuple[list[Edge[T]], list[T], PageInfo]:
    """Edges, nodes and page info for ``rows`` (fetched with ``limit + 1`` to see a next page)."""
    page = rows[:limit]
    nodes = [make(r) for r in page]
    cursors = [encode_cursor(kind, key(r)) for r in page]
    edges = [Edge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)]
    return edges, nodes, _page_info(cursors, len(rows) > limit)


def account_connection(rows: Sequence[Row], limit: int, count_query: Any) -> AccountConnection:
    edges, nodes, info = page_of(rows, limit, "account", lambda r: r["id"], Account.from_row)
    return AccountConnection(edges=edges, nodes=nodes, page_info=info, count_query=count_query)


async def load_event_page(
    ctx: Any,
    principal: Any,
    first: int,
    after: str | None,
    types: Sequence[str] | None,
    *,
    account_id: str | None = None,
) -> EventConnection:
    """A page of events after ``after``: an event cursor, or an event id (``evt_…``)."""
    limit = page_size(first)
    async with ctx.services.db.read() as conn:
        key: event_service.EventKey | None = None
        if after is not None:
            key = await event_key(conn, principal, after)
        batch = await event_service.list_events(
            conn, principal, after=key, types=types, account_id=account_id, limit=limit + 1
        )
    edges, nodes, info = page_of(batch.rows, limit, "event", event_cursor_value, Event.from_row)
    return EventConnection(edges=edges, nodes=nodes, page_info=info)


def event_cursor_value(row: Row) -> str:
    """``txid:position``, or just ``position`` when txid is 0 (SQLite, and events written
    before txids were kept: their older cursors stay valid)."""
    txid, position = event_service.key_of(row)
    return f"{txid}:{position}" if txid else str(position)


async def event_key(conn: Any, principal: Any, after: str) -> event_service.EventKey:
    """The feed key of ``after``: an ``evt_`` id or an ``events`` cursor."""
    if after.startswith("evt_"):
        found = await event_service.key_of_event(conn, principal, after)
        if found is None:
            raise ApiError("INVALID_CURSOR", "no such event")
        return found
    parsed = _EVENT_CURSOR.fullmatch(decode_cursor("event", after))
    key = (int(parsed[1] or 0), int(parsed[2])) if parsed else None
    if key is None or max(key) > _BIGINT_MAX:
        raise ApiError("INVALID_CURSOR", "the cursor is not valid for this connection")
    return key


#: ``position`` or ``txid:position``, ASCII digits (``str.isdigit`` also takes "²").
_EVENT_CURSOR = re.compile(r"(?:([0-9]{1,19}):)?([0-9]{1,19})")
_BIGINT_MAX = 2**63 - 1


async def load_account_page(
    ctx: Any, principal: Any, f: account_service.AccountFilter, first: int, after: str | None
) -> AccountConnection:
    limit = page_size(first)
    before_id = decode_cursor("account", after) if after is not None else None
    async with ctx.services.db.read() as conn:
        rows = await account_service.list_accounts(
            conn, principal, f, before_id=before_id, limit=limit + 1
        )

    async def count() -> int:
        async with ctx.services.db.read() as conn:
            return await account_service.count_accounts(conn, principal, f)

    return account_connection(rows, limit, count)
