"""Create the audit record table and the one-row chain head."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_audit_initial"
down_revision = None

# The chain starts from this MAC; it must match gateway.audit.entry.GENESIS_MAC.
GENESIS_MAC = "0" * 64


def upgrade() -> None:
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_audit_chain_head_single_row"),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "mac": GENESIS_MAC}])
    op.create_table(
        "audit_records",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("ref_id", sa.String(64), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=True),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        sa.Column("recipient_domains", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("stages", sa.Text(), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("next_hop_reply", sa.Text(), nullable=True),
        sa.Column("timings", sa.Text(), nullable=False),
        sa.Column("findings_summary", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("prev_mac", sa.String(64), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_records_ref_id", "audit_records", ["ref_id"])
    op.create_index("ix_audit_records_ts", "audit_records", ["ts"])


def downgrade() -> None:
    op.drop_index("ix_audit_records_ts", table_name="audit_records")
    op.drop_index("ix_audit_records_ref_id", table_name="audit_records")
    op.drop_table("audit_records")
    op.drop_table("audit_chain_head")
