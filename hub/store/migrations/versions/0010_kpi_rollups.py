"""the KPIs' daily rollups

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 13:00:00

``kpi_rollups`` holds the sums of ``account_facts`` per (creditor, agency, currency,
country, experiment, UTC day assigned, days to the first payment) as delta rows
(``hub.store.kpi_rollups``); the upgrade starts it with one row per group of the facts
there are.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hub.store.kpi_rollups import COLUMNS, days_between, utc_day

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_FACTS = (
    "placed_minor",
    "recovered_minor",
    "plans_completed",
    "plans_broken",
    "payments",
    "portal_payments",
    "recovered_closures",
    "disputes",
    "rehabilitations",
    "returns",
)


def upgrade() -> None:
    op.create_table(
        "kpi_rollups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("creditor_id", sa.String(length=40), nullable=False),
        sa.Column("agency_id", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("experiment_id", sa.String(length=40), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("first_payment_days", sa.Float(), nullable=True),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("placed_minor", sa.BigInteger(), nullable=False),
        sa.Column("recovered_minor", sa.BigInteger(), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in COLUMNS[10:]  # the counts after the two amounts
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kpi_rollups_creditor_day", "kpi_rollups", ["creditor_id", "day"])
    _backfill()


def _backfill() -> None:
    """One row per group of the facts there are, by the rules of the writes."""
    postgres = op.get_bind().dialect.name == "postgresql"
    f = sa.table(
        "account_facts",
        *(sa.column(name) for name in (*COLUMNS[:5], *_FACTS)),
        sa.column("assigned_at", sa.DateTime(timezone=True)),
        sa.column("first_payment_at", sa.DateTime(timezone=True)),
    )

    rows = sa.select(
        *(f.c[name] for name in COLUMNS[:5]),
        utc_day(f.c.assigned_at, postgres).label("day"),
        sa.case(
            (
                f.c.first_payment_at.is_not(None),
                days_between(f.c.first_payment_at, f.c.assigned_at, postgres),
            ),
            else_=sa.null(),
        ).label("first_payment_days"),
        *(f.c[name] for name in _FACTS),
        f.c.first_payment_at,
    ).subquery()

    def accounts_with(name: str) -> sa.ColumnElement[int]:
        return sa.func.sum(sa.case((rows.c[name] > 0, 1), else_=0))

    key = [rows.c[name] for name in COLUMNS[:7]]
    sums = [
        sa.func.count(),
        sa.func.sum(rows.c.placed_minor),
        sa.func.sum(rows.c.recovered_minor),
        accounts_with("recovered_closures"),
        accounts_with("disputes"),
        sa.func.sum(rows.c.plans_completed),
        sa.func.sum(rows.c.plans_broken),
        sa.func.sum(rows.c.payments),
        sa.func.sum(rows.c.portal_payments),
        accounts_with("rehabilitations"),
        accounts_with("returns"),
        sa.func.count(rows.c.first_payment_at),
    ]
    rollups = sa.table("kpi_rollups", *(sa.column(name) for name in COLUMNS))
    op.execute(rollups.insert().from_select(list(COLUMNS), sa.select(*key, *sums).group_by(*key)))


def downgrade() -> None:
    op.drop_index("ix_kpi_rollups_creditor_day", table_name="kpi_rollups")
    op.drop_table("kpi_rollups")
