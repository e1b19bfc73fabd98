"""portal plan offers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 13:00:00

What each agency lets debtors set up in the portal (``hub.domain.plan_offers``): one row
for all its creditors (``creditor_id`` empty) and one per creditor it set apart.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from hub.store.tables import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    string = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "portal_plan_offers",
        sa.Column("agency_id", string(length=40), nullable=False),
        sa.Column("creditor_id", string(length=40), nullable=False),
        sa.Column("cadences", string(length=64), nullable=False),
        sa.Column("minimum_minor", sa.BigInteger(), nullable=True),
        sa.Column("minimum_currency", string(length=3), nullable=True),
        sa.Column("max_installments", sa.Integer(), nullable=True),
        sa.Column("max_days", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("agency_id", "creditor_id"),
    )


def downgrade() -> None:
    op.drop_table("portal_plan_offers")
