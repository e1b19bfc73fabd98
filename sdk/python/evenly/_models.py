"""Typed objects of the hub's API: what the SDK returns, and the inputs it takes.

Field names are snake_case in Python and camelCase on the wire (``amount_minor`` is
``amountMinor``); inputs accept either spelling. ``tests/test_operations_schema.py`` checks
every operation the SDK sends, and these models' fields, against ``schema/schema.graphql``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = [
    "Account",
    "AccountStatus",
    "Customer",
    "DeliveryStatus",
    "Event",
    "Money",
    "NewAccount",
    "NewCustomer",
    "Organization",
    "OrganizationKind",
    "Placement",
    "Product",
    "UserErrorDetail",
    "UserWarning",
    "Viewer",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEndpointSecret",
]


class EvenlyModel(BaseModel):
    """Base of every model: camelCase on the wire, snake_case in Python, unknown fields kept out."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class AccountStatus(StrEnum):
    """Where an account stands in collection."""

    PLACED = "PLACED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    IN_COLLECTION = "IN_COLLECTION"
    PAYMENT_PLAN = "PAYMENT_PLAN"
    DISPUTED = "DISPUTED"
    ON_HOLD = "ON_HOLD"
    PAID = "PAID"
    SETTLED = "SETTLED"
    RECALLED = "RECALLED"
    RETURNED = "RETURNED"
    UNCOLLECTABLE = "UNCOLLECTABLE"


class Product(StrEnum):
    """The kind of credit a debt comes from."""

    BNPL_INVOICE = "BNPL_INVOICE"
    INSTALLMENT = "INSTALLMENT"
    CARD = "CARD"
    LOAN = "LOAN"
    OTHER = "OTHER"


class OrganizationKind(StrEnum):
    CREDITOR = "CREDITOR"
    AGENCY = "AGENCY"


class DeliveryStatus(StrEnum):
    """Where a webhook delivery stands."""

    PENDING = "PENDING"
    SENDING = "SENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class Money(EvenlyModel):
    """An amount in the currency's minor units: ``Money(amount_minor=1999, currency="EUR")``."""

    amount_minor: int
    currency: str


class UserErrorDetail(EvenlyModel):
    """One ``userErrors`` entry: why a mutation (or one item of a batch) was refused."""

    field: list[str] | None = None
    code: str
    message: str


class UserWarning(EvenlyModel):
    """Something to know about a mutation that still succeeded, e.g. ``ROUTING_NO_AGENCY``."""

    field: list[str] | None = None
    code: str
    message: str


class Organization(EvenlyModel):
    """A creditor or a collection agency."""

    id: str
    kind: OrganizationKind | None = None
    name: str | None = None
    country: str | None = None
    created_at: dt.datetime | None = None


class Customer(EvenlyModel):
    """The person who owes a debt."""

    id: str
    reference: str
    name: str
    email: str | None = None
    phone: str | None = None
    country: str
    language: str | None = None
    timezone: str | None = None


class Account(EvenlyModel):
    """A delinquent account placed in collection."""

    id: str
    reference: str
    status: AccountStatus
    product: Product
    country: str
    original_amount: Money
    balance: Money
    due_date: dt.date
    placed_at: dt.datetime
    updated_at: dt.datetime
    metadata: dict[str, Any] | None = None
    version: int
    customer: Customer
    creditor: Organization | None = None
    agency: Organization | None = None


class Placement(EvenlyModel):
    """The result of ``accounts.place``: the account, warnings, and whether it was a replay."""

    account: Account
    warnings: list[UserWarning] = Field(default_factory=list)
    replayed: bool = False


class Event(EvenlyModel):
    """An immutable record of one change, exactly what webhooks deliver."""

    id: str
    type: str
    sequence: int | None = None
    occurred_at: dt.datetime
    data: dict[str, Any]


class Viewer(EvenlyModel):
    """The API client the SDK is authenticated as."""

    client_id: str
    scopes: list[str]
    organization: Organization


class WebhookEndpoint(EvenlyModel):
    """A URL that receives your events as signed webhooks."""

    id: str
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime


class WebhookEndpointSecret(EvenlyModel):
    """An endpoint with its signing secret (``whsec_…``), shown once: store it now."""

    endpoint: WebhookEndpoint = Field(alias="webhookEndpoint")
    secret: str


class WebhookAttempt(EvenlyModel):
    """One try at delivering an event."""

    at: dt.datetime
    status_code: int | None = None
    duration_ms: int
    response_snippet: str | None = None
    error: str | None = None


class WebhookDelivery(EvenlyModel):
    """One event's delivery to one endpoint, with its attempts."""

    id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    next_attempt_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None
    attempts: list[WebhookAttempt] = Field(default_factory=list)


# --- inputs -------------------------------------------------------------------------------


class NewCustomer(EvenlyModel):
    """The customer of an account to place."""

    model_config = ConfigDict(frozen=False)

    reference: str
    name: str
    country: str
    email: str | None = None
    phone: str | None = None
    language: str | None = None
    timezone: str | None = None


class NewAccount(EvenlyModel):
    """One account to place (``PlaceAccountInput``). Formats are checked by the hub."""

    model_config = ConfigDict(frozen=False)

    reference: str
    customer: NewCustomer
    original_amount: Money
    balance: Money
    due_date: dt.date
    product: Product
    metadata: dict[str, Any] | None = None
    idempotency_key: str | None = None

    def to_input(self) -> dict[str, Any]:
        """The GraphQL input object."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
