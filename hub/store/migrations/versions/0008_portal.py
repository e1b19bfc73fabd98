"""debtor portal links

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 04:00:00

A portal link keeps a keyed hash of its token, never the token (``hub.store.portal_links``),
and of its pending one-time code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from hub.store.tables import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    string = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "portal_links",
        sa.Column("id", string(length=40), nullable=False),
        sa.Column("token_hash", string(length=64), nullable=False),
        sa.Column("issuer_id", string(length=40), nullable=False),
        sa.Column("creditor_id", string(length=40), nullable=False),
        sa.Column("agency_id", string(length=40), nullable=True),
        sa.Column("customer_id", string(length=40), nullable=False),
        sa.Column("account_id", string(length=40), nullable=False),
        sa.Column("locale", string(length=35), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("code_hash", string(length=64), nullable=True),
        sa.Column("code_expires_at", UTCDateTime(), nullable=True),
        sa.Column("code_tries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["agency_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["creditor_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.ForeignKeyConstraint(["issuer_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("portal_links", schema=None) as batch_op:
        batch_op.create_index("ix_portal_links_customer_id", ["customer_id"], unique=False)
        batch_op.create_index("ix_portal_links_issuer_id", ["issuer_id"], unique=False)
        batch_op.create_index("ix_portal_links_token_hash", ["token_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("portal_links", schema=None) as batch_op:
        batch_op.drop_index("ix_portal_links_token_hash")
        batch_op.drop_index("ix_portal_links_issuer_id")
        batch_op.drop_index("ix_portal_links_customer_id")
    op.drop_table("portal_links")
