"""test clocks: a sandbox organization's simulated time

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 12:00:00

``test_clocks`` holds each sandbox organization's test clocks (``hub/domain/test_clocks.py``):
the time, the status, and while it advances the target and the runner's lease.
``accounts.test_clock_id`` names the clock a sandbox account was placed on; live accounts
never have one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from hub.store.tables import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    string = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "test_clocks",
        sa.Column("id", string(length=40), nullable=False),
        sa.Column("organization_id", string(length=40), nullable=False),
        sa.Column("name", string(length=100), nullable=True),
        sa.Column("status", string(length=16), nullable=False),
        sa.Column("frozen_time", UTCDateTime(), nullable=False),
        sa.Column("advancing_to", UTCDateTime(), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_test_clocks_organization_id", "test_clocks", ["organization_id"])
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with an inline REFERENCES in place; a batch copy of the
        # table would have to drop ``accounts``, which the tables referring to it refuse.
        op.execute(
            "ALTER TABLE accounts ADD COLUMN test_clock_id VARCHAR(40) REFERENCES test_clocks (id)"
        )
    else:
        op.add_column("accounts", sa.Column("test_clock_id", string(length=40), nullable=True))
        op.create_foreign_key(
            "fk_accounts_test_clock_id", "accounts", "test_clocks", ["test_clock_id"], ["id"]
        )
    op.create_index("ix_accounts_test_clock_id", "accounts", ["test_clock_id"])


def downgrade() -> None:
    op.drop_index("ix_accounts_test_clock_id", table_name="accounts")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_accounts_test_clock_id", "accounts", type_="foreignkey")
    # ALTER TABLE … DROP COLUMN on both backends (SQLite 3.35+), as in 0007 and 0013.
    op.drop_column("accounts", "test_clock_id")
    op.drop_index("ix_test_clocks_organization_id", table_name="test_clocks")
    op.drop_table("test_clocks")
