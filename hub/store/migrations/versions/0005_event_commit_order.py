"""events are ordered by (txid, position): the feed needs no global lock

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 06:30:00

Each event records the id of the transaction that wrote it (``pg_current_xact_id()`` on
PostgreSQL; 0 on SQLite, whose writers are serialized anyway). Events written before this
revision keep 0, so they stay first and in their old order.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("txid", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.drop_index("ix_events_creditor_id_position")
        batch_op.drop_index("ix_events_agency_id_position")
        batch_op.create_index(
            "ix_events_creditor_id_txid_position", ["creditor_id", "txid", "position"]
        )
        batch_op.create_index(
            "ix_events_agency_id_txid_position", ["agency_id", "txid", "position"]
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE events ALTER COLUMN txid SET DEFAULT (pg_current_xact_id()::text)::bigint"
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_agency_id_txid_position")
        batch_op.drop_index("ix_events_creditor_id_txid_position")
        batch_op.create_index("ix_events_agency_id_position", ["agency_id", "position"])
        batch_op.create_index("ix_events_creditor_id_position", ["creditor_id", "position"])
        batch_op.drop_column("txid")
