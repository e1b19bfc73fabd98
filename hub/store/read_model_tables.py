"""The read models' tables: kept by the writes, so that counts and KPIs are O(groups) or
one row per account (``hub.store.account_facts``, ``hub.store.counts``)."""

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.store.columns import BigIntPK, timestamp


class AccountFacts(SQLModel, table=True):
    """Per assigned account, what its events say about collecting it: the KPIs' projection
    (``hub.store.account_facts``), written by the same statement as the events."""

    __tablename__ = "account_facts"
    # No index but the key: ``agencyPerformance`` reads the daily rollups
    # (``hub.store.kpi_rollups``), and only the rollups' check reads these rows by creditor.

    account_id: str = Field(
        sa_column=sa.Column(sa.String(40), sa.ForeignKey("accounts.id"), primary_key=True)
    )
    # No foreign keys to the organizations: the account's own rows carry those, and a
    # placement batch writes hundreds of these.
    creditor_id: str = Field(max_length=40)
    agency_id: str = Field(max_length=40)
    assigned_at: dt.datetime = timestamp()
    currency: str = Field(max_length=3)
    country: str = Field(max_length=2)
    placed_minor: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    recovered_minor: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    payments: int
    portal_payments: int
    plans_completed: int
    plans_broken: int
    disputes: int
    recovered_closures: int
    rehabilitations: int
    returns: int
    first_payment_at: dt.datetime | None = timestamp(nullable=True)
    #: The experiment of the split routing rule that assigned it (the arm is the agency).
    experiment_id: str | None = Field(default=None, max_length=40)


class AccountCount(SQLModel, table=True):
    """The account counts and open balances per (creditor, agency, status, country, currency)
    as delta rows: each write that changes accounts appends what it changed (never updates
    a shared row, so concurrent writers do not wait for each other); reads sum a group's
    rows; the maintenance sweep folds them (``hub.store.counts``)."""

    __tablename__ = "account_counts"
    __table_args__ = (
        sa.Index("ix_account_counts_creditor", "creditor_id"),
        sa.Index("ix_account_counts_agency", "agency_id"),
    )

    id: int | None = Field(
        default=None, sa_column=sa.Column(BigIntPK, primary_key=True, autoincrement=True)
    )
    creditor_id: str = Field(max_length=40)
    agency_id: str | None = Field(default=None, max_length=40)
    status: str = Field(max_length=32)
    country: str = Field(max_length=2)
    currency: str = Field(max_length=3)
    accounts: int
    balance_minor: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))


class PaymentTotal(SQLModel, table=True):
    """Succeeded payments per (creditor, agency, currency, day received, UTC) as delta rows,
    like ``account_counts``."""

    __tablename__ = "payment_totals"
    __table_args__ = (
        sa.Index("ix_payment_totals_creditor_day", "creditor_id", "day"),
        sa.Index("ix_payment_totals_agency_day", "agency_id", "day"),
    )

    id: int | None = Field(
        default=None, sa_column=sa.Column(BigIntPK, primary_key=True, autoincrement=True)
    )
    creditor_id: str = Field(max_length=40)
    agency_id: str | None = Field(default=None, max_length=40)
    currency: str = Field(max_length=3)
    day: dt.date
    payments: int
    amount_minor: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))


class KpiRollup(SQLModel, table=True):
    """The sums of ``account_facts`` per (creditor, agency, currency, country, experiment,
    UTC day assigned) and, for the accounts with a first payment, per days to it (the
    median's histogram), as delta rows like ``account_counts`` (``hub.store.kpi_rollups``)."""

    __tablename__ = "kpi_rollups"
    __table_args__ = (sa.Index("ix_kpi_rollups_creditor_day", "creditor_id", "day"),)

    id: int | None = Field(
        default=None, sa_column=sa.Column(BigIntPK, primary_key=True, autoincrement=True)
    )
    creditor_id: str = Field(max_length=40)
    agency_id: str = Field(max_length=40)
    currency: str = Field(max_length=3)
    country: str = Field(max_length=2)
    experiment_id: str | None = Field(default=None, max_length=40)
    day: dt.date
    #: Days from assignment to the first payment of the ``paid`` accounts; None on the rest.
    first_payment_days: float | None = Field(
        default=None, sa_column=sa.Column(sa.Float(), nullable=True)
    )
    accounts: int
    placed_minor: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    recovered_minor: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    accounts_recovered: int
    disputed: int
    plans_completed: int
    plans_broken: int
    payments: int
    portal_payments: int
    rehabilitated: int
    returned: int
    paid: int


account_facts = AccountFacts.__table__  # type: ignore[attr-defined]
account_counts = AccountCount.__table__  # type: ignore[attr-defined]
payment_totals = PaymentTotal.__table__  # type: ignore[attr-defined]
kpi_rollups = KpiRollup.__table__  # type: ignore[attr-defined]
