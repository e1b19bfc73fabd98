"""sandbox placements may carry a run's tag

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 18:30:00

``accounts.sandbox_tag`` names the test run a sandbox placement belongs to
(``hub/domain/sandbox.py``), so ``deleteSandboxData(tag)`` can find that run's accounts
(``hub/store/sandbox_cleanup.py``) by the creditor and the tag. Live accounts never have one.
``deleted_events`` keeps the feed key and audience of each event such a deletion removes, so
a reader resuming ``after`` one of them by id resumes at its place.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from hub.store.tables import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sandbox_tag", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    op.create_index("ix_accounts_creditor_sandbox_tag", "accounts", ["creditor_id", "sandbox_tag"])
    string = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "deleted_events",
        sa.Column("id", string(length=40), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("creditor_id", string(length=40), nullable=False),
        sa.Column("agency_id", string(length=40), nullable=True),
        sa.Column("deleted_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("deleted_events")
    op.drop_index("ix_accounts_creditor_sandbox_tag", table_name="accounts")
    # ALTER TABLE … DROP COLUMN on both backends (SQLite 3.35+), as in 0007.
    op.drop_column("accounts", "sandbox_tag")
