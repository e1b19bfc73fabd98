"""The account's GraphQL objects: customers, accounts and their events, with their pages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from hub.api.context import RequestContext, request_context
from hub.api.enums import AccountStatus, ContactChannel, Product
from hub.api.errors import ApiError
from hub.api.items import ContactAttempt, Dispute, Hold, Payment, PaymentPlan
from hub.api.objects import Money, Organization
from hub.api.relay import (
    After,
    Edge,
    First,
    Node,
    PageInfo,
    decode_cursor,
    encode_cursor,
    page_of,
    page_size,
)
from hub.api.scalars import CountryCode, DateTime, Email, PhoneNumber
from hub.auth.scopes import Scope
from hub.auth.tokens import Principal
from hub.domain import account as domain_account
from hub.domain import customer as domain_customer
from hub.domain.collection_state import ItemKind
from hub.domain.events import EventKey, RecordedEvent
from hub.services import accounts as account_service
from hub.services import events as event_service
from hub.services.context import ServiceContext

_PII_HIDDEN = (
    "null for an agency that no longer collects any of the customer's accounts "
    "(`personalDataVisible` false)"
)


@strawberry.type(description="The hours of the day a customer wants to be contacted in.")
class ContactHours:
    start: str = strawberry.field(description="From this local time (`HH:MM`, inclusive).")
    end: str = strawberry.field(description="Until this local time (`HH:MM`, exclusive).")


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
    contact_hours: ContactHours | None = strawberry.field(
        default=None,
        description="The hours the customer asked to be contacted in (in the portal); outbound contact outside them is refused (`HUB-CONTACT-HOURS`). Null: no preference.",
    )

    @classmethod
    def from_record(cls, c: domain_customer.Customer) -> Customer:
        return cls(
            id=strawberry.ID(c.id),
            reference=c.reference,
            personal_data_visible=c.personal_data_visible,
            name=c.name,
            email=Email(c.email) if c.email is not None else None,
            phone=PhoneNumber(c.phone) if c.phone is not None else None,
            country=CountryCode(c.country),
            language=c.language,
            timezone=c.timezone,
            opted_out_channels=list(c.opted_out_channels),
            contact_hours=ContactHours(**c.contact_hours.json())
            if c.contact_hours is not None
            else None,
        )


async def _items(info: Info, kind: ItemKind, account_id: str) -> list[Any]:
    """One kind of an account's items, batched across the accounts of a request."""
    return await request_context(info).items(kind).load(account_id)


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
    def from_record(cls, a: domain_account.Account) -> Account:
        return cls(
            id=strawberry.ID(a.id),
            reference=a.reference,
            status=a.status,
            product=a.product,
            country=CountryCode(a.country),
            original_amount=Money.of(a.original_amount_minor, a.currency),
            balance=Money.of(a.balance_minor, a.currency),
            due_date=a.due_date,
            placed_at=a.placed_at,
            updated_at=a.updated_at,
            metadata=a.metadata,
            version=a.version,
            agency_reference=a.agency_reference,
            acknowledged_at=a.acknowledged_at,
            closed_at=a.closed_at,
            customer_id=a.customer_id,
            creditor_id=a.creditor_id,
            agency_id=a.agency_id,
        )

    @strawberry.field(description="The customer who owes the debt.")
    async def customer(self, info: Info) -> Customer:
        found = await request_context(info).customers.load(self.customer_id)
        if found is None:
            raise ApiError("NOT_FOUND", "customer not found")
        return Customer.from_record(found)

    @strawberry.field(description="The creditor that placed the account.")
    async def creditor(self, info: Info) -> Organization | None:
        found = await request_context(info).linked_organization(self.creditor_id)
        return Organization.from_record(found) if found is not None else None

    @strawberry.field(description="The agency the account is assigned to; null while unassigned.")
    async def agency(self, info: Info) -> Organization | None:
        if self.agency_id is None:
            return None
        found = await request_context(info).linked_organization(self.agency_id)
        return Organization.from_record(found) if found is not None else None

    @strawberry.field(description="Contacts with the customer, oldest first.")
    async def contact_attempts(self, info: Info) -> list[ContactAttempt]:
        found = await _items(info, ItemKind.CONTACT, str(self.id))
        return [ContactAttempt.from_record(c) for c in found]

    @strawberry.field(description="Payment plans, oldest first; at most one is ACTIVE.")
    async def payment_plans(self, info: Info) -> list[PaymentPlan]:
        return [PaymentPlan.from_record(p) for p in await _items(info, ItemKind.PLAN, str(self.id))]

    @strawberry.field(description="The latest payment plan, whatever its status; null if none.")
    async def payment_plan(self, info: Info) -> PaymentPlan | None:
        found = await _items(info, ItemKind.PLAN, str(self.id))
        return PaymentPlan.from_record(found[-1]) if found else None

    @strawberry.field(description="Payments, oldest first, whatever their status.")
    async def payments(self, info: Info) -> list[Payment]:
        return [Payment.from_record(p) for p in await _items(info, ItemKind.PAYMENT, str(self.id))]

    @strawberry.field(description="Disputes, oldest first.")
    async def disputes(self, info: Info) -> list[Dispute]:
        return [Dispute.from_record(d) for d in await _items(info, ItemKind.DISPUTE, str(self.id))]

    @strawberry.field(description="Holds, oldest first.")
    async def holds(self, info: Info) -> list[Hold]:
        return [Hold.from_record(h) for h in await _items(info, ItemKind.HOLD, str(self.id))]

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
    livemode: bool = strawberry.field(
        description=(
            "False for events of sandbox (test) organizations, true for live ones; the "
            "webhook body's `livemode`."
        )
    )
    account_id: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, e: RecordedEvent) -> Event:
        return cls(
            id=strawberry.ID(e.id),
            type=e.type,
            sequence=e.sequence,
            occurred_at=e.occurred_at,
            data=JSON(e.data),
            livemode=e.livemode,
            account_id=e.account_id,
        )

    @strawberry.field(description="The account the event is about, if any.")
    async def account(self, info: Info) -> Account | None:
        if self.account_id is None:
            return None
        found = await request_context(info).accounts.load(self.account_id)
        return Account.from_record(found) if found is not None else None


@strawberry.type(description="A page of accounts, newest first.")
class AccountConnection:
    edges: list[Edge[Account]] = strawberry.field(description="Accounts with their cursors.")
    nodes: list[Account] = strawberry.field(description="The accounts of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")
    count_query: strawberry.Private[Callable[[], Awaitable[account_service.Count]]]

    @strawberry.field(
        description=(
            "Number of accounts matching the filter (one extra query). Exact, and read from "
            "counts kept per status, agency and country, so it costs the same at any size; "
            "with a `reference`, exact. With a placed-at range it counts the matching "
            "accounts up to 10,000: `totalCountIsCapped` says when there are more."
        )
    )
    async def total_count(self) -> int:
        return (await self.count_query()).value

    @strawberry.field(
        description=(
            "Whether `totalCount` stopped at its cap (a placed-at range matching more than "
            "10,000 accounts): then there are at least that many."
        )
    )
    async def total_count_is_capped(self) -> bool:
        return (await self.count_query()).capped


@strawberry.type(description="A page of events in global order, oldest first.")
class EventConnection:
    edges: list[Edge[Event]] = strawberry.field(description="Events with their cursors.")
    nodes: list[Event] = strawberry.field(description="The events of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")
    services: strawberry.Private[ServiceContext]

    @strawberry.field(
        description=(
            "The cursor after the newest readable event of the whole feed, now: pass it as "
            "`after` to read (or subscribe to) only what happens from here on. Independent of "
            "this page and its filters; one indexed read, however long the feed."
        )
    )
    async def latest_cursor(self) -> str:
        return encode_cursor(
            "event", key_cursor_value(await event_service.current_key(self.services))
        )


async def load_event_page(
    ctx: RequestContext,
    principal: Principal,
    first: int,
    after: str | None,
    types: Sequence[str] | None,
    *,
    account_id: str | None = None,
) -> EventConnection:
    """A page of events after ``after``: an event cursor, or an event id (``evt_…``)."""
    limit = page_size(first)
    key = await event_key(ctx, principal, after) if after is not None else None
    batch = await event_service.read_feed(
        ctx.services, principal, after=key, types=types, account_id=account_id, limit=limit + 1
    )
    edges, nodes, info = page_of(
        batch.events, limit, "event", event_cursor_value, Event.from_record
    )
    return EventConnection(edges=edges, nodes=nodes, page_info=info, services=ctx.services)


def event_cursor_value(event: RecordedEvent) -> str:
    """``txid:position``, or just ``position`` when txid is 0 (SQLite, and events written
    before txids were kept: their older cursors stay valid)."""
    return key_cursor_value(event.key)


def key_cursor_value(key: EventKey) -> str:
    """The cursor value of a feed key (see ``event_cursor_value``)."""
    txid, position = key
    return f"{txid}:{position}" if txid else str(position)


async def event_key(ctx: RequestContext, principal: Principal, after: str) -> EventKey:
    """The feed key of ``after``: an ``evt_`` id or an ``events`` cursor."""
    if after.startswith("evt_"):
        found = await event_service.key_of_event(ctx.services, principal, after)
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
    ctx: RequestContext,
    principal: Principal,
    f: account_service.AccountFilter,
    first: int,
    after: str | None,
) -> AccountConnection:
    limit = page_size(first)
    before_id = decode_cursor("account", after) if after is not None else None
    found = await account_service.list_accounts(
        ctx.services, principal, f, before_id=before_id, limit=limit + 1
    )

    counted: list[account_service.Count] = []

    async def count() -> account_service.Count:
        if not counted:  # totalCount and totalCountIsCapped share one query
            counted.append(await account_service.count_accounts(ctx.services, principal, f))
        return counted[0]

    edges, nodes, info = page_of(found, limit, "account", lambda a: a.id, Account.from_record)
    return AccountConnection(edges=edges, nodes=nodes, page_info=info, count_query=count)
