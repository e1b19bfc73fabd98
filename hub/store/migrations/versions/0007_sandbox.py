"""organizations may be sandbox organizations

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 04:00:00

``organizations.sandbox`` marks a test organization (``hub/domain/sandbox.py``). Every
organization that exists before this revision is live.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sandbox", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN on both backends (SQLite 3.35+): a batch would copy the
    # table, and dropping the referenced original fails while foreign keys are enforced.
    op.drop_column("organizations", "sandbox")
