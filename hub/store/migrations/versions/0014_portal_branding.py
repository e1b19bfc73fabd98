"""portal branding

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 12:00:00

A creditor's branding of the debtor portal (``portal_branding``: display name, primary and
accent colours; ``hub.domain.portal_branding``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from hub.store.tables import UTCDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    string = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "portal_branding",
        sa.Column("creditor_id", string(length=40), nullable=False),
        sa.Column("display_name", string(length=80), nullable=True),
        sa.Column("primary_color", string(length=7), nullable=True),
        sa.Column("accent_color", string(length=7), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["creditor_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("creditor_id"),
    )


def downgrade() -> None:
    op.drop_table("portal_branding")
