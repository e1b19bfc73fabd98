"""three indexes fewer to keep per placed account

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 19:00:00

``ix_accounts_creditor_id_id`` and ``ix_accounts_agency_id_id`` go: a page without a status
filter is read as one scan per status of the (owner, status, id) indexes, merged, as a
page of several statuses already was (``hub.store.accounts``), and every other query by
owner has those indexes' prefix. ``ix_account_facts_creditor_assigned`` goes:
``agencyPerformance`` reads the daily rollups, not the facts by creditor and day. Each
placed account then adds three index entries fewer to its write.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DROPPED = (
    ("ix_accounts_creditor_id_id", "accounts", ["creditor_id", "id"]),
    ("ix_accounts_agency_id_id", "accounts", ["agency_id", "id"]),
    ("ix_account_facts_creditor_assigned", "account_facts", ["creditor_id", "assigned_at"]),
)


def upgrade() -> None:
    for name, table, _ in _DROPPED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, columns in _DROPPED:
        op.create_index(name, table, columns)
