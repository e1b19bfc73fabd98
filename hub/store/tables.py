"""SQLModel tables. Alembic migrations in ``store/migrations`` must match these exactly."""

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(nullable: bool = False) -> Any:
    return Field(sa_column=sa.Column(UTCDateTime(), nullable=nullable))


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"

    id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=16)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2)
    created_at: dt.datetime = _ts()


class ApiClient(SQLModel, table=True):
    __tablename__ = "api_clients"

    id: str = Field(primary_key=True, max_length=40)
    organization_id: str = Field(foreign_key="organizations.id", index=True, max_length=40)
    name: str = Field(max_length=200)
    secret_hash: str = Field(max_length=256)
    scopes: str = Field(max_length=500)
    created_at: dt.datetime = _ts()
    revoked_at: dt.datetime | None = _ts(nullable=True)


class RoutingRule(SQLModel, table=True):
    __tablename__ = "routing_rules"

    id: str = Field(primary_key=True, max_length=40)
    creditor_id: str = Field(foreign_key="organizations.id", index=True, max_length=40)
    agency_id: str = Field(foreign_key="organizations.id", max_length=40)
    country: str | None = Field(default=None, max_length=2)
    product: str | None = Field(default=None, max_length=32)
    priority: int = Field(default=100)
    created_at: dt.datetime = _ts()


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
    created_at: dt.datetime = _ts()
    updated_at: dt.datetime = _ts()


class Account(SQLModel, table=True):
    __tablename__ = "accounts"
    __table_args__ = (
        sa.UniqueConstraint("creditor_id", "reference", name="uq_account_reference"),
        sa.Index("ix_accounts_creditor_id_id", "creditor_id", "id"),
        sa.Index("ix_accounts_agency_id_id", "agency_id", "id"),
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
    country: str = Field(max_length=2)
    metadata_: dict[str, Any] | None = Field(
        default=None, sa_column=sa.Column("metadata", JSONType, nullable=True)
    )
    placed_at: dt.datetime = _ts()
    updated_at: dt.datetime = _ts()
    #: Sequence number of the account's last event; also the optimistic-lock version.
    version: int = Field(default=0)


class Event(SQLModel, table=True):
    """An immutable record of one state change; the feed and the webhooks carry these."""

    __tablename__ = "events"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "sequence", name="uq_event_account_sequence"),
        sa.Index("ix_events_creditor_id_position", "creditor_id", "position"),
        sa.Index("ix_events_agency_id_position", "agency_id", "position"),
    )

    position: int | None = Field(
        default=None, sa_column=sa.Column(BigIntPK, primary_key=True, autoincrement=True)
    )
    id: str = Field(unique=True, max_length=40)
    type: str = Field(max_length=64)
    account_id: str | None = Field(default=None, foreign_key="accounts.id", max_length=40)
    sequence: int | None = None
    #: The organizations that may see this event: the creditor always, the agency if set.
    creditor_id: str = Field(foreign_key="organizations.id", max_length=40)
    agency_id: str | None = Field(default=None, foreign_key="organizations.id", max_length=40)
    data: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    occurred_at: dt.datetime = _ts()


class IdempotencyKey(SQLModel, table=True):
    """The first result of a write made with an idempotency key, per organization."""

    __tablename__ = "idempotency_keys"

    organization_id: str = Field(primary_key=True, foreign_key="organizations.id", max_length=40)
    key: str = Field(primary_key=True, max_length=255)
    operation: str = Field(max_length=64)
    request_hash: str = Field(max_length=64)
    result: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    created_at: dt.datetime = _ts()


metadata = SQLModel.metadata
organizations = Organization.__table__  # type: ignore[attr-defined]
api_clients = ApiClient.__table__  # type: ignore[attr-defined]
routing_rules = RoutingRule.__table__  # type: ignore[attr-defined]
customers = Customer.__table__  # type: ignore[attr-defined]
accounts = Account.__table__  # type: ignore[attr-defined]
events = Event.__table__  # type: ignore[attr-defined]
idempotency_keys = IdempotencyKey.__table__  # type: ignore[attr-defined]
