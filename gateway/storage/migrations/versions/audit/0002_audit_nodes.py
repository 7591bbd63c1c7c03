"""Several gateway nodes on one log: each record names its node, and each node has a row
saying where its appends ended and when it last reported alive.

Records written before keep node_id NULL: their MACs were made without it (the v1 form).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_audit_nodes"
down_revision = "0001_audit_initial"


def upgrade() -> None:
    with op.batch_alter_table("audit_records") as batch:
        batch.add_column(sa.Column("node_id", sa.String(64), nullable=True))
    op.create_table(
        "audit_nodes",
        sa.Column("node_id", sa.String(64), primary_key=True, autoincrement=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=True),
        sa.Column("last_mac", sa.String(64), nullable=True),
        sa.Column("last_ref_id", sa.String(64), nullable=True),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("node_mac", sa.String(64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("policy_hash", sa.String(64), nullable=True),
        sa.Column("policy_loaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("listen", sa.String(300), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("audit_nodes")
    with op.batch_alter_table("audit_records") as batch:
        batch.drop_column("node_id")
