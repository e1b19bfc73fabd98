"""sandbox placements may carry a run's tag

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-02 18:30:00

``accounts.sandbox_tag`` names the test run a sandbox placement belongs to
(``hub/domain/sandbox.py``), so ``deleteSandboxData(tag)`` can find that run's accounts
(``hub/store/sandbox_cleanup.py``) by the creditor and the tag. Live accounts never have one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sandbox_tag", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    op.create_index("ix_accounts_creditor_sandbox_tag", "accounts", ["creditor_id", "sandbox_tag"])


def downgrade() -> None:
    op.drop_index("ix_accounts_creditor_sandbox_tag", table_name="accounts")
    # ALTER TABLE … DROP COLUMN on both backends (SQLite 3.35+), as in 0007.
    op.drop_column("accounts", "sandbox_tag")
