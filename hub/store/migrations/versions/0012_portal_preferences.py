"""portal preferences and help contacts

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:30:00

A customer's preferred contact hours (``customers.contact_hours``, ``hub.domain.contact_hours``)
and how debtors reach an organization for help (``help_contacts``, shown in the portal).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from hub.store.tables import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    string = sqlmodel.sql.sqltypes.AutoString
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("contact_hours", string(length=11), nullable=True))
    op.create_table(
        "help_contacts",
        sa.Column("organization_id", string(length=40), nullable=False),
        sa.Column("email", string(length=254), nullable=True),
        sa.Column("phone", string(length=40), nullable=True),
        sa.Column("hours", string(length=200), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("organization_id"),
    )


def downgrade() -> None:
    op.drop_table("help_contacts")
    # ALTER TABLE … DROP COLUMN on both backends (SQLite 3.35+): a batch would copy the
    # table, which the accounts' foreign keys refuse.
    op.drop_column("customers", "contact_hours")
