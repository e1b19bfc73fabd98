"""read models: indexed account filters

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 03:30:00

Each filter of the accounts page is an equality prefix before the id, so a filtered page is
an index scan in newest-first order that stops after the page (``hub.store.accounts``).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACCOUNT_INDEXES = {
    "ix_accounts_creditor_status_id": ["creditor_id", "status", "id"],
    "ix_accounts_creditor_country_status_id": ["creditor_id", "country", "status", "id"],
    "ix_accounts_creditor_agency_status_id": ["creditor_id", "agency_id", "status", "id"],
    "ix_accounts_agency_status_id": ["agency_id", "status", "id"],
    "ix_accounts_agency_country_status_id": ["agency_id", "country", "status", "id"],
    "ix_accounts_agency_id_reference": ["agency_id", "reference"],
}


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        for name, columns in _ACCOUNT_INDEXES.items():
            batch_op.create_index(name, columns)


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        for name in reversed(_ACCOUNT_INDEXES):
            batch_op.drop_index(name)
