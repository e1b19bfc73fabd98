"""the accounts' sandbox indexes cover sandbox accounts only

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 17:30:00

``ix_accounts_creditor_sandbox_tag`` and ``ix_accounts_test_clock_id`` become partial
(``WHERE sandbox_tag IS NOT NULL``, ``WHERE test_clock_id IS NOT NULL``): their queries
name a tag or a clock, and a live account, which has neither, no longer adds an entry to
each when it is placed or changes state (entries no query reads).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (
    ("ix_accounts_creditor_sandbox_tag", ["creditor_id", "sandbox_tag"], "sandbox_tag"),
    ("ix_accounts_test_clock_id", ["test_clock_id"], "test_clock_id"),
)


def upgrade() -> None:
    for name, columns, column in _INDEXES:
        op.drop_index(name, table_name="accounts")
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, "accounts", columns, postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for name, columns, _ in _INDEXES:
        op.drop_index(name, table_name="accounts")
        op.create_index(name, "accounts", columns)
