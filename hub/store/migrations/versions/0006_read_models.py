"""read models: indexed account filters, the KPI projection, counts as delta rows

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 03:30:00

Each filter of the accounts page is an equality prefix before the id, so a filtered page is
an index scan in newest-first order that stops after the page (``hub.store.accounts``).

``account_facts`` holds one row of collection facts per assigned account, which the event
writes keep from now on (``hub.store.account_facts``); the upgrade builds the rows of the
accounts assigned so far from their events, by the same rules.

``account_counts`` and ``payment_totals`` hold the counts, open balances and succeeded
payments as delta rows (``hub.store.counts``); the upgrade starts them with one row per
group of the accounts and payments there are.
"""

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from hub.domain.collection_facts import COUNTS, assignment_of, delta_of
from hub.store.tables import NullableJSONType, UTCDateTime, account_facts

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACCOUNT_INDEXES = {
    "ix_accounts_creditor_status_id": ["creditor_id", "status", "id"],
    "ix_accounts_creditor_country_status_id": ["creditor_id", "country", "status", "id"],
    "ix_accounts_creditor_agency_status_id": ["creditor_id", "agency_id", "status", "id"],
    "ix_accounts_agency_status_id": ["agency_id", "status", "id"],
    "ix_accounts_agency_country_status_id": ["agency_id", "country", "status", "id"],
    "ix_accounts_agency_id_reference": ["agency_id", "reference"],
}


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        for name, columns in _ACCOUNT_INDEXES.items():
            batch_op.create_index(name, columns)
        batch_op.add_column(sa.Column("experiment_id", sa.String(length=40), nullable=True))
    with op.batch_alter_table("routing_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("experiment_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("weights", NullableJSONType, nullable=True))
    op.create_table(
        "account_facts",
        sa.Column("account_id", sa.String(length=40), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("creditor_id", sa.String(length=40), nullable=False),
        sa.Column("agency_id", sa.String(length=40), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("placed_minor", sa.BigInteger(), nullable=False),
        sa.Column("recovered_minor", sa.BigInteger(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS[1:]),
        sa.Column("first_payment_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("experiment_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("account_id"),
    )
    op.create_index(
        "ix_account_facts_creditor_assigned", "account_facts", ["creditor_id", "assigned_at"]
    )
    _build_facts()
    _create_counts()


def _create_counts() -> None:
    op.create_table(
        "account_counts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("creditor_id", sa.String(length=40), nullable=False),
        sa.Column("agency_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_account_counts_creditor", "account_counts", ["creditor_id"])
    op.create_index("ix_account_counts_agency", "account_counts", ["agency_id"])
    op.create_table(
        "payment_totals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("creditor_id", sa.String(length=40), nullable=False),
        sa.Column("agency_id", sa.String(length=40), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("payments", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_payment_totals_creditor_day", "payment_totals", ["creditor_id", "day"])
    op.create_index("ix_payment_totals_agency_day", "payment_totals", ["agency_id", "day"])
    op.create_index("ix_payments_received_at", "payments", ["received_at"])
    group = "creditor_id, agency_id, status, country, currency"
    op.execute(
        f"INSERT INTO account_counts ({group}, accounts, balance_minor) "
        f"SELECT {group}, count(*), sum(balance_minor) FROM accounts GROUP BY {group}"
    )
    day = (
        "date(p.received_at)"
        if op.get_bind().dialect.name == "sqlite"
        else "CAST(p.received_at AT TIME ZONE 'UTC' AS date)"
    )
    op.execute(
        "INSERT INTO payment_totals (creditor_id, agency_id, currency, day, payments, amount_minor) "
        f"SELECT a.creditor_id, a.agency_id, p.currency, {day}, count(*), sum(p.amount_minor) "
        "FROM payments p JOIN accounts a ON a.id = p.account_id WHERE p.status = 'SUCCEEDED' "
        f"GROUP BY a.creditor_id, a.agency_id, p.currency, {day}"
    )


def _build_facts() -> None:
    """The facts of the accounts assigned so far, from their events (a batch at a time)."""
    events = sa.table(
        "events",
        *(sa.column(name) for name in ("type", "account_id", "sequence", "creditor_id")),
        sa.column("agency_id"),
        sa.column("occurred_at", UTCDateTime()),
        sa.column("data", sa.JSON()),
    )
    conn = op.get_bind()
    ordered = (
        sa.select(events)
        .where(events.c.account_id.is_not(None))
        .order_by(events.c.account_id, events.c.sequence)
        .execution_options(yield_per=5000)
    )
    rows = conn.execute(ordered)
    batch: list[dict[str, Any]] = []
    for _, group in itertools.groupby(rows.mappings(), key=lambda r: r["account_id"]):
        row = _facts_of(list(group))
        if row is not None:
            batch.append(row)
        if len(batch) >= 1000:
            conn.execute(account_facts.insert(), batch)
            batch = []
    if batch:
        conn.execute(account_facts.insert(), batch)


def _facts_of(events: Iterable[Any]) -> dict[str, Any] | None:
    events = list(events)
    starts = [a for a in map(assignment_of, events) if a is not None]
    if not starts:
        return None
    start = starts[-1]
    delta = delta_of(events)
    return {
        "account_id": start.account_id,
        "creditor_id": start.creditor_id,
        "agency_id": start.agency_id,
        "assigned_at": start.assigned_at,
        "currency": start.currency,
        "country": start.country,
        "placed_minor": start.placed_minor,
        **delta.counts(),
        "first_payment_at": delta.first_payment_at,
        "experiment_id": start.experiment_id,
    }


def downgrade() -> None:
    op.drop_index("ix_payments_received_at", table_name="payments")
    for table, indexes in (
        ("payment_totals", ("ix_payment_totals_agency_day", "ix_payment_totals_creditor_day")),
        ("account_counts", ("ix_account_counts_agency", "ix_account_counts_creditor")),
    ):
        for index in indexes:
            op.drop_index(index, table_name=table)
        op.drop_table(table)
    op.drop_index("ix_account_facts_creditor_assigned", table_name="account_facts")
    op.drop_table("account_facts")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch would copy the accounts
    # table, which the other tables' foreign keys do not let go.
    op.drop_column("routing_rules", "weights")
    op.drop_column("routing_rules", "experiment_id")
    op.drop_column("accounts", "experiment_id")
    for name in reversed(_ACCOUNT_INDEXES):
        op.drop_index(name, table_name="accounts")
