"""portal knowledge check: a link's second factor, and what a customer may be asked

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 13:00:00

``customer_knowledge`` keeps keyed hashes of the date of birth and postcode a placement
gave (``hub/domain/portal_knowledge.py``); ``portal_links.second_factor`` is the factor the
issuer chose (null: a one-time code).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from hub.store.tables import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    string = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "customer_knowledge",
        sa.Column("customer_id", string(length=40), nullable=False),
        sa.Column("dob_hash", string(length=64), nullable=True),
        sa.Column("postcode_hash", string(length=64), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    # A nullable column without a default: ALTER TABLE … ADD COLUMN on both backends.
    op.add_column("portal_links", sa.Column("second_factor", string(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column("portal_links", "second_factor")
    op.drop_table("customer_knowledge")
