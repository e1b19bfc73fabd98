"""SQLModel tables. Alembic migrations in ``store/migrations`` must match these exactly."""

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.store.columns import BigIntPK, JSONType, NullableJSONType, UTCDateTime, timestamp
from hub.store.portal_tables import (
    customer_knowledge,
    help_contacts,
    portal_links,
    portal_plan_offers,
)
from hub.store.read_model_tables import (
    account_counts,
    account_facts,
    kpi_rollups,
    payment_totals,
)
from hub.store.sandbox_tables import deleted_events, sandbox_steps, test_clocks

# Where the migrations find them, and the read models' tables beside the others.
__all__ = [
    "NullableJSONType",
    "UTCDateTime",
    "account_counts",
    "account_facts",
    "customer_knowledge",
    "deleted_events",
    "help_contacts",
    "kpi_rollups",
    "payment_totals",
    "portal_links",
    "portal_plan_offers",
    "sandbox_steps",
    "test_clocks",
]


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"

    id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=16)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2)
    created_at: dt.datetime = timestamp()
    #: A test organization (``hub/domain/sandbox.py``): it never meets live ones.
    sandbox: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false(), "nullable": False}
    )
    #: A simulated sandbox agency (``hub/domain/sandbox_scenarios.py``): the hub plays it.
    simulated: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false(), "nullable": False}
    )


class ApiClient(SQLModel, table=True):
    __tablename__ = "api_clients"

    id: str = Field(primary_key=True, max_length=40)
    organization_id: str = Field(foreign_key="organizations.id", index=True, max_length=40)
    name: str = Field(max_length=200)
    secret_hash: str = Field(max_length=256)
    scopes: str = Field(max_length=500)
    created_at: dt.datetime = timestamp()
    revoked_at: dt.datetime | None = timestamp(nullable=True)


class RoutingRule(SQLModel, table=True):
    __tablename__ = "routing_rules"

    id: str = Field(primary_key=True, max_length=40)
    creditor_id: str = Field(foreign_key="organizations.id", index=True, max_length=40)
    agency_id: str = Field(foreign_key="organizations.id", max_length=40)
    country: str | None = Field(default=None, max_length=2)
    product: str | None = Field(default=None, max_length=32)
    priority: int = Field(default=100)
    created_at: dt.datetime = timestamp()
    #: A split rule (champion/challenger): its experiment, and its arms
    #: ``[{"agencyId": ..., "percent": n}]``, the first being ``agency_id``; null otherwise.
    experiment_id: str | None = Field(default=None, max_length=40)
    weights: list[dict[str, Any]] | None = Field(
        default=None, sa_column=sa.Column(NullableJSONType, nullable=True)
    )


class Customer(SQLModel, table=True):
    __tablename__ = "customers"
    __table_args__ = (
        sa.UniqueConstraint("creditor_id", "reference", name="uq_customer_reference"),
    )

    id: str = Field(primary_key=True, max_length=40)
    creditor_id: str = Field(foreign_key="organizations.id", max_length=40)
    reference: str = Field(max_length=128)
    # PII: AES-GCM ciphertexts (see store/pii.py), never plaintext.
    name_enc: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    email_enc: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary()))
    phone_enc: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary()))
    country: str = Field(max_length=2)
    language: str | None = Field(default=None, max_length=35)
    timezone: str | None = Field(default=None, max_length=64)
    #: Channels the customer refused (``["EMAIL", "SMS"]``); null or empty: none.
    opted_out_channels: list[str] | None = Field(
        default=None, sa_column=sa.Column(NullableJSONType, nullable=True)
    )
    #: Preferred contact hours, ``09:00-17:00`` (``hub.domain.contact_hours``); null: none.
    contact_hours: str | None = Field(default=None, max_length=11)
    created_at: dt.datetime = timestamp()
    updated_at: dt.datetime = timestamp()


class Account(SQLModel, table=True):
    __tablename__ = "accounts"
    __table_args__ = (
        sa.UniqueConstraint("creditor_id", "reference", name="uq_account_reference"),
        # The pages, newest first: each filter is an equality prefix before the id, so a
        # page is index scans that stop after the page (one per status when it names none
        # or several, merged: ``hub.store.accounts``).
        sa.Index("ix_accounts_creditor_status_id", "creditor_id", "status", "id"),
        sa.Index(
            "ix_accounts_creditor_country_status_id", "creditor_id", "country", "status", "id"
        ),
        sa.Index(
            "ix_accounts_creditor_agency_status_id", "creditor_id", "agency_id", "status", "id"
        ),
        sa.Index("ix_accounts_agency_status_id", "agency_id", "status", "id"),
        sa.Index("ix_accounts_agency_country_status_id", "agency_id", "country", "status", "id"),
        sa.Index("ix_accounts_agency_id_reference", "agency_id", "reference"),
        # A sandbox run's accounts (``deleteSandboxData``, ``hub.store.sandbox_cleanup``) and
        # the accounts on a test clock: partial, so a live account (no tag, no clock) adds
        # nothing to them when it is placed or changes state.
        sa.Index(
            "ix_accounts_creditor_sandbox_tag",
            "creditor_id",
            "sandbox_tag",
            postgresql_where=sa.text("sandbox_tag IS NOT NULL"),
            sqlite_where=sa.text("sandbox_tag IS NOT NULL"),
        ),
        sa.Index(
            "ix_accounts_test_clock_id",
            "test_clock_id",
            postgresql_where=sa.text("test_clock_id IS NOT NULL"),
            sqlite_where=sa.text("test_clock_id IS NOT NULL"),
        ),
    )

    id: str = Field(primary_key=True, max_length=40)
    creditor_id: str = Field(foreign_key="organizations.id", max_length=40)
    reference: str = Field(max_length=128)
    customer_id: str = Field(foreign_key="customers.id", index=True, max_length=40)
    product: str = Field(max_length=32)
    currency: str = Field(max_length=3)
    original_amount_minor: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    balance_minor: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    due_date: dt.date
    status: str = Field(max_length=32)
    resume_status: str | None = Field(default=None, max_length=32)
    agency_id: str | None = Field(default=None, foreign_key="organizations.id", max_length=40)
    #: The customer's country at placement, on the account so its filters can be indexed.
    country: str = Field(max_length=2)
    metadata_: dict[str, Any] | None = Field(
        default=None, sa_column=sa.Column("metadata", JSONType, nullable=True)
    )
    placed_at: dt.datetime = timestamp()
    updated_at: dt.datetime = timestamp()
    #: Sequence number of the account's last event; also the optimistic-lock version.
    version: int = Field(default=0)
    #: The agency's own reference, given when it acknowledges the placement.
    agency_reference: str | None = Field(default=None, max_length=128)
    acknowledged_at: dt.datetime | None = timestamp(nullable=True)
    closed_at: dt.datetime | None = timestamp(nullable=True)
    #: The experiment of the split routing rule that assigned it, if one did.
    experiment_id: str | None = Field(default=None, max_length=40)
    #: A sandbox placement's test run (``hub.domain.sandbox``); null on live accounts.
    sandbox_tag: str | None = Field(default=None, max_length=64)
    #: The test clock a sandbox account lives on (``hub.domain.test_clocks``), if any.
    test_clock_id: str | None = Field(default=None, foreign_key="test_clocks.id", max_length=40)


class Event(SQLModel, table=True):
    """An immutable record of one state change; the feed and the webhooks carry these."""

    __tablename__ = "events"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "sequence", name="uq_event_account_sequence"),
        sa.Index("ix_events_creditor_id_txid_position", "creditor_id", "txid", "position"),
        sa.Index("ix_events_agency_id_txid_position", "agency_id", "txid", "position"),
    )

    position: int | None = Field(
        default=None, sa_column=sa.Column(BigIntPK, primary_key=True, autoincrement=True)
    )
    #: The writing transaction's id (PostgreSQL's ``pg_current_xact_id()``, a server default
    #: set by migration 0005; 0 on SQLite). The feed's order is (txid, position): see
    #: ``hub.store.event_log``.
    txid: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger, nullable=False, server_default=sa.text("0")),
    )
    id: str = Field(unique=True, max_length=40)
    type: str = Field(max_length=64)
    account_id: str | None = Field(default=None, foreign_key="accounts.id", max_length=40)
    sequence: int | None = None
    #: The organizations that may see this event: the creditor always, the agency if set.
    creditor_id: str = Field(foreign_key="organizations.id", max_length=40)
    agency_id: str | None = Field(default=None, foreign_key="organizations.id", max_length=40)
    data: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    occurred_at: dt.datetime = timestamp()


class IdempotencyKey(SQLModel, table=True):
    """The first result of a write made with an idempotency key, per organization."""

    __tablename__ = "idempotency_keys"

    organization_id: str = Field(primary_key=True, foreign_key="organizations.id", max_length=40)
    key: str = Field(primary_key=True, max_length=255)
    operation: str = Field(max_length=64)
    request_hash: str = Field(max_length=64)
    result: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    created_at: dt.datetime = timestamp()


class WebhookEndpoint(SQLModel, table=True):
    """Where an organization wants its events delivered."""

    __tablename__ = "webhook_endpoints"

    id: str = Field(primary_key=True, max_length=40)
    organization_id: str = Field(foreign_key="organizations.id", index=True, max_length=40)
    url: str = Field(max_length=2048)
    description: str = Field(default="", max_length=500)
    #: Event types delivered; an empty list means all.
    event_types: list[str] = Field(sa_column=sa.Column(JSONType, nullable=False))
    enabled: bool = Field(default=True)
    disabled_reason: str | None = Field(default=None, max_length=200)
    created_at: dt.datetime = timestamp()
    updated_at: dt.datetime = timestamp()


class WebhookSecret(SQLModel, table=True):
    """A signing secret of an endpoint (encrypted); rotated ones sign until ``expires_at``."""

    __tablename__ = "webhook_secrets"

    id: str = Field(primary_key=True, max_length=40)
    endpoint_id: str = Field(
        sa_column=sa.Column(
            sa.String(40),
            sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    secret_enc: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    created_at: dt.datetime = timestamp()
    expires_at: dt.datetime | None = timestamp(nullable=True)


class WebhookSubscription(SQLModel, table=True):
    """Which event types an enabled endpoint receives ("*" for all): the outbox fans out on it."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (
        sa.Index("ix_webhook_subscriptions_org_type", "organization_id", "event_type"),
    )

    endpoint_id: str = Field(
        sa_column=sa.Column(
            sa.String(40),
            sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    event_type: str = Field(primary_key=True, max_length=64)
    organization_id: str = Field(foreign_key="organizations.id", max_length=40)


class WebhookMessage(SQLModel, table=True):
    """The outbox: one event to deliver to one endpoint, written with the event itself."""

    __tablename__ = "webhook_messages"
    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_message"),
        sa.Index("ix_webhook_messages_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(
        default=None, sa_column=sa.Column(BigIntPK, primary_key=True, autoincrement=True)
    )
    endpoint_id: str = Field(
        sa_column=sa.Column(
            sa.String(40), sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False
        )
    )
    event_id: str = Field(foreign_key="events.id", max_length=40, index=True)
    #: PENDING (due at next_attempt_at), SENDING (claimed until locked_until), DELIVERED, FAILED.
    status: str = Field(default="PENDING", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: dt.datetime = timestamp()
    locked_until: dt.datetime | None = timestamp(nullable=True)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: dt.datetime = timestamp()
    delivered_at: dt.datetime | None = timestamp(nullable=True)


class WebhookAttempt(SQLModel, table=True):
    """One try at delivering a message, kept for the endpoint's delivery log."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (sa.Index("ix_webhook_attempts_message", "message_id", "id"),)

    id: int | None = Field(
        default=None, sa_column=sa.Column(BigIntPK, primary_key=True, autoincrement=True)
    )
    message_id: int = Field(
        sa_column=sa.Column(
            sa.BigInteger(),
            sa.ForeignKey("webhook_messages.id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    at: dt.datetime = timestamp()
    status_code: int | None = None
    duration_ms: int = 0
    response_snippet: str | None = Field(default=None, max_length=1024)
    error: str | None = Field(default=None, max_length=500)


def _account_fk() -> Any:
    return Field(sa_column=sa.Column(sa.String(40), sa.ForeignKey("accounts.id"), nullable=False))


class ContactAttempt(SQLModel, table=True):
    """One contact between the agency and the customer, as the agency logged it."""

    __tablename__ = "contact_attempts"
    __table_args__ = (sa.Index("ix_contact_attempts_account", "account_id", "occurred_at"),)

    id: str = Field(primary_key=True, max_length=40)
    account_id: str = _account_fk()
    channel: str = Field(max_length=16)
    direction: str = Field(max_length=16)
    outcome: str = Field(max_length=32)
    occurred_at: dt.datetime = timestamp()
    recorded_at: dt.datetime = timestamp()
    #: The compliance rule pack that allowed an outbound contact (null: inbound, or no pack).
    rule_pack_jurisdiction: str | None = Field(default=None, max_length=8)
    rule_pack_version: str | None = Field(default=None, max_length=32)


class PaymentPlan(SQLModel, table=True):
    """Installments agreed with the customer; ``paused_days`` shift every due date."""

    __tablename__ = "payment_plans"
    __table_args__ = (sa.Index("ix_payment_plans_account", "account_id", "created_at"),)

    id: str = Field(primary_key=True, max_length=40)
    account_id: str = _account_fk()
    cadence: str = Field(max_length=16)
    currency: str = Field(max_length=3)
    total_minor: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    start_date: dt.date
    #: [{"dueDate": "YYYY-MM-DD", "amountMinor": n}, ...]
    installments: list[dict[str, Any]] = Field(sa_column=sa.Column(JSONType, nullable=False))
    #: ACTIVE, COMPLETED, BROKEN or CANCELLED.
    status: str = Field(max_length=16, index=True)
    paused_since: dt.datetime | None = timestamp(nullable=True)
    paused_days: int = Field(default=0)
    created_at: dt.datetime = timestamp()
    ended_at: dt.datetime | None = timestamp(nullable=True)


class Payment(SQLModel, table=True):
    """Money received for an account; only SUCCEEDED payments moved the balance."""

    __tablename__ = "payments"
    __table_args__ = (
        sa.Index("ix_payments_account", "account_id", "received_at"),
        # Payments of part of a day (``hub.store.counts``: whole days are in payment_totals).
        sa.Index("ix_payments_received_at", "received_at"),
    )

    id: str = Field(primary_key=True, max_length=40)
    account_id: str = _account_fk()
    amount_minor: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    currency: str = Field(max_length=3)
    method: str = Field(max_length=32)
    channel: str = Field(max_length=32)
    #: PENDING, SUCCEEDED, FAILED or REVERSED.
    status: str = Field(max_length=16)
    plan_id: str | None = Field(default=None, max_length=40)
    received_at: dt.datetime = timestamp()
    recorded_at: dt.datetime = timestamp()
    settled_at: dt.datetime | None = timestamp(nullable=True)
    reversed_at: dt.datetime | None = timestamp(nullable=True)
    reversal_reason: str | None = Field(default=None, max_length=500)


class Dispute(SQLModel, table=True):
    """The customer contests the debt. ``details`` may hold PII: encrypted like customers'."""

    __tablename__ = "disputes"
    __table_args__ = (sa.Index("ix_disputes_account", "account_id", "opened_at"),)

    id: str = Field(primary_key=True, max_length=40)
    account_id: str = _account_fk()
    reason: str = Field(max_length=32)
    details_enc: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary()))
    #: OPEN or RESOLVED.
    status: str = Field(max_length=16)
    outcome: str | None = Field(default=None, max_length=16)
    notes_enc: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary()))
    opened_at: dt.datetime = timestamp()
    resolved_at: dt.datetime | None = timestamp(nullable=True)


class Hold(SQLModel, table=True):
    """A pause on collection (hardship, vulnerability, bereavement), open-ended or until a time."""

    __tablename__ = "holds"
    __table_args__ = (
        sa.Index("ix_holds_account", "account_id", "placed_at"),
        sa.Index("ix_holds_status_until", "status", "until"),
    )

    id: str = Field(primary_key=True, max_length=40)
    account_id: str = _account_fk()
    reason: str = Field(max_length=32)
    notes_enc: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary()))
    until: dt.datetime | None = timestamp(nullable=True)
    #: ACTIVE or RELEASED.
    status: str = Field(max_length=16)
    placed_at: dt.datetime = timestamp()
    released_at: dt.datetime | None = timestamp(nullable=True)


class Rehabilitation(SQLModel, table=True):
    """A customer who paid, handed back to the creditor; ``returned_at`` when they bought again."""

    __tablename__ = "rehabilitations"
    __table_args__ = (
        sa.Index("ix_rehabilitations_creditor", "creditor_id", "id"),
        sa.Index("ix_rehabilitations_customer", "customer_id", "rehabilitated_at"),
    )

    id: str = Field(primary_key=True, max_length=40)
    account_id: str = Field(
        sa_column=sa.Column(
            sa.String(40), sa.ForeignKey("accounts.id"), nullable=False, unique=True
        )
    )
    customer_id: str = Field(foreign_key="customers.id", max_length=40)
    creditor_id: str = Field(foreign_key="organizations.id", max_length=40)
    agency_id: str | None = Field(default=None, foreign_key="organizations.id", max_length=40)
    summary: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    rehabilitated_at: dt.datetime = timestamp()
    returned_at: dt.datetime | None = timestamp(nullable=True)
    order_reference: str | None = Field(default=None, max_length=128)


metadata = SQLModel.metadata
organizations = Organization.__table__  # type: ignore[attr-defined]
api_clients = ApiClient.__table__  # type: ignore[attr-defined]
routing_rules = RoutingRule.__table__  # type: ignore[attr-defined]
customers = Customer.__table__  # type: ignore[attr-defined]
accounts = Account.__table__  # type: ignore[attr-defined]
events = Event.__table__  # type: ignore[attr-defined]
idempotency_keys = IdempotencyKey.__table__  # type: ignore[attr-defined]
webhook_endpoints = WebhookEndpoint.__table__  # type: ignore[attr-defined]
webhook_secrets = WebhookSecret.__table__  # type: ignore[attr-defined]
webhook_subscriptions = WebhookSubscription.__table__  # type: ignore[attr-defined]
webhook_messages = WebhookMessage.__table__  # type: ignore[attr-defined]
webhook_attempts = WebhookAttempt.__table__  # type: ignore[attr-defined]
contact_attempts = ContactAttempt.__table__  # type: ignore[attr-defined]
payment_plans = PaymentPlan.__table__  # type: ignore[attr-defined]
payments = Payment.__table__  # type: ignore[attr-defined]
disputes = Dispute.__table__  # type: ignore[attr-defined]
holds = Hold.__table__  # type: ignore[attr-defined]
rehabilitations = Rehabilitation.__table__  # type: ignore[attr-defined]
