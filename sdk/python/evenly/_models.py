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
    "AgencyPerformance",
    "Cadence",
    "CloseReason",
    "ContactAttempt",
    "ContactAttemptResult",
    "ContactChannel",
    "ContactDirection",
    "ContactOutcome",
    "Customer",
    "DeliveryStatus",
    "Dispute",
    "DisputeOutcome",
    "DisputeReason",
    "DisputeResult",
    "Event",
    "Hold",
    "HoldReason",
    "HoldResult",
    "Installment",
    "Money",
    "NewAccount",
    "NewCustomer",
    "Organization",
    "OrganizationKind",
    "Payment",
    "PaymentChannel",
    "PaymentMethod",
    "PaymentPlan",
    "PaymentPlanResult",
    "PaymentResult",
    "PaymentStatus",
    "Placement",
    "PlanStatus",
    "PortfolioStatus",
    "Product",
    "Rehabilitation",
    "StatusCount",
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
    """The person who owes a debt.

    An agency reads the name, email and phone only while it collects one of the customer's
    accounts; afterwards they are None and ``personal_data_visible`` is False.
    """

    id: str
    reference: str
    personal_data_visible: bool = True
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    country: str
    language: str | None = None
    timezone: str | None = None
    #: ``ContactChannel`` values the customer refused (``compliance.set_channel_consent``).
    opted_out_channels: list[str] = Field(default_factory=list)


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
    agency_reference: str | None = None
    acknowledged_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
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


# --- the agency side ------------------------------------------------------------------------


class ContactChannel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    CALL = "CALL"
    LETTER = "LETTER"
    PUSH = "PUSH"
    IN_APP = "IN_APP"


class ContactDirection(StrEnum):
    OUTBOUND = "OUTBOUND"
    INBOUND = "INBOUND"


class ContactOutcome(StrEnum):
    DELIVERED = "DELIVERED"
    UNDELIVERED = "UNDELIVERED"
    NO_ANSWER = "NO_ANSWER"
    VOICEMAIL = "VOICEMAIL"
    CONVERSATION = "CONVERSATION"
    PROMISE_TO_PAY = "PROMISE_TO_PAY"
    REFUSED_TO_PAY = "REFUSED_TO_PAY"
    WRONG_PARTY = "WRONG_PARTY"


class Cadence(StrEnum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    BIWEEKLY = "BIWEEKLY"
    MONTHLY = "MONTHLY"


class PlanStatus(StrEnum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    BROKEN = "BROKEN"
    CANCELLED = "CANCELLED"


class PaymentMethod(StrEnum):
    CARD = "CARD"
    BANK_TRANSFER = "BANK_TRANSFER"
    DIRECT_DEBIT = "DIRECT_DEBIT"
    MOBILE_WALLET = "MOBILE_WALLET"
    CASH = "CASH"
    OTHER = "OTHER"


class PaymentChannel(StrEnum):
    AGENCY = "AGENCY"
    PORTAL = "PORTAL"
    CREDITOR_DIRECT = "CREDITOR_DIRECT"


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    REVERSED = "REVERSED"


class DisputeReason(StrEnum):
    NOT_MY_DEBT = "NOT_MY_DEBT"
    WRONG_AMOUNT = "WRONG_AMOUNT"
    ALREADY_PAID = "ALREADY_PAID"
    GOODS_OR_SERVICES = "GOODS_OR_SERVICES"
    FRAUD = "FRAUD"
    OTHER = "OTHER"


class DisputeOutcome(StrEnum):
    UPHELD = "UPHELD"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


class HoldReason(StrEnum):
    HARDSHIP = "HARDSHIP"
    VULNERABILITY = "VULNERABILITY"
    BEREAVEMENT = "BEREAVEMENT"
    OTHER = "OTHER"


class CloseReason(StrEnum):
    PAID = "PAID"
    SETTLED = "SETTLED"
    UNCOLLECTABLE = "UNCOLLECTABLE"
    RETURNED = "RETURNED"


class ContactAttempt(EvenlyModel):
    """A contact the agency made or received."""

    id: str
    channel: ContactChannel
    direction: ContactDirection
    outcome: ContactOutcome
    occurred_at: dt.datetime
    recorded_at: dt.datetime


class Installment(EvenlyModel):
    due_date: dt.date
    amount: Money


class PaymentPlan(EvenlyModel):
    """Installments agreed with the customer."""

    id: str
    status: PlanStatus
    cadence: Cadence
    start_date: dt.date
    total: Money
    installments: list[Installment]
    paused_days: int
    created_at: dt.datetime
    ended_at: dt.datetime | None = None


class Payment(EvenlyModel):
    """A payment toward an account, by whatever channel."""

    id: str
    amount: Money
    method: PaymentMethod
    channel: PaymentChannel
    status: PaymentStatus
    payment_plan_id: str | None = None
    received_at: dt.datetime
    recorded_at: dt.datetime
    reversed_at: dt.datetime | None = None
    reversal_reason: str | None = None


class Dispute(EvenlyModel):
    """The customer contests the debt; contact pauses while it is open."""

    id: str
    reason: DisputeReason
    details: str | None = None
    open: bool
    outcome: DisputeOutcome | None = None
    notes: str | None = None
    opened_at: dt.datetime
    resolved_at: dt.datetime | None = None


class Hold(EvenlyModel):
    """A pause for hardship or vulnerability."""

    id: str
    reason: HoldReason
    notes: str | None = None
    until: dt.datetime | None = None
    active: bool
    placed_at: dt.datetime
    released_at: dt.datetime | None = None


class Rehabilitation(EvenlyModel):
    """A customer who paid: how collection went, and whether they came back."""

    id: str
    amount_recovered: Money
    days_to_pay: int
    days_to_first_payment: int | None = None
    paid_on_plan: bool
    paid_in_full: bool
    contact_channels: list[ContactChannel]
    payment_channels: list[PaymentChannel]
    self_served: bool
    rehabilitated_at: dt.datetime
    returned_at: dt.datetime | None = None
    order_reference: str | None = None
    account: Account | None = None
    agency: Organization | None = None


class AgencyPerformance(EvenlyModel):
    """One agency's KPIs in one currency over a period."""

    currency: str
    accounts_placed: int
    amount_placed: Money
    amount_recovered: Money
    recovery_rate: float
    accounts_recovered: int
    recovery_rate_by_count: float
    median_days_to_first_payment: float | None = None
    payment_plan_completion_rate: float | None = None
    dispute_rate: float
    self_serve_share: float | None = None
    customer_return_rate: float | None = None
    agency: Organization | None = None


class StatusCount(EvenlyModel):
    status: AccountStatus
    count: int


class PortfolioStatus(EvenlyModel):
    """Accounts by status, outstanding and payments, per counterparty and currency."""

    currency: str
    accounts: list[StatusCount]
    outstanding: Money
    payments_count: int
    payments_amount: Money
    creditor: Organization | None = None
    agency: Organization | None = None


class ContactAttemptResult(EvenlyModel):
    """``agency.log_contact``: the attempt recorded and the account after it."""

    contact_attempt: ContactAttempt
    account: Account


class PaymentPlanResult(EvenlyModel):
    """``agency.create_payment_plan``: the plan and the account (now ``PAYMENT_PLAN``)."""

    payment_plan: PaymentPlan
    account: Account


class PaymentResult(EvenlyModel):
    """A payment recorded, reported, settled or reversed, and the account after it."""

    payment: Payment
    account: Account


class DisputeResult(EvenlyModel):
    """A dispute opened or resolved, and the account after it."""

    dispute: Dispute
    account: Account


class HoldResult(EvenlyModel):
    """A hold placed or released, and the account after it."""

    hold: Hold
    account: Account


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
    #: For the portal's knowledge check (``portal_links.create(second_factor=...)``); the
    #: hub keeps only keyed hashes of them.
    date_of_birth: dt.date | None = None
    postcode: str | None = None


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
    #: Sandbox creditors only: the test run it belongs to (``client.sandbox.reset(tag)``).
    sandbox_tag: str | None = None
    #: Sandbox creditors only: the test clock it lives on (``client.sandbox.clocks``).
    test_clock_id: str | None = None

    def to_input(self) -> dict[str, Any]:
        """The GraphQL input object."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
