"""simulated sandbox agency steps

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 13:00:00

The pending steps of the simulated sandbox agency (``hub.store.sandbox_steps``): rows, so
they survive a stopped worker, claimed once each.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from hub.store.tables import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("simulated", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    string = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "sandbox_steps",
        sa.Column("id", string(length=40), nullable=False),
        sa.Column("account_id", string(length=40), nullable=False),
        sa.Column("agency_id", string(length=40), nullable=False),
        sa.Column("scenario", string(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("acts_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["agency_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sandbox_steps", schema=None) as batch_op:
        batch_op.create_index("ix_sandbox_steps_account_id", ["account_id"], unique=False)
        batch_op.create_index("ix_sandbox_steps_due", ["claimed_at", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sandbox_steps", schema=None) as batch_op:
        batch_op.drop_index("ix_sandbox_steps_due")
        batch_op.drop_index("ix_sandbox_steps_account_id")
    op.drop_table("sandbox_steps")
    op.drop_column("organizations", "simulated")
