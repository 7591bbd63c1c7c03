"""Create the quarantine's table, as `create_all` made it before this history."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_quarantine_initial"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "quarantine_entries",
        sa.Column("id", sa.String(32), primary_key=True, autoincrement=False),
        sa.Column("ref_id", sa.String(64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sender_hash", sa.String(128), nullable=False),
        sa.Column("recipient_domains", sa.Text(), nullable=False),
        sa.Column("recipient_count", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_changed", sa.DateTime(timezone=True), nullable=True),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("nonce", sa.LargeBinary(), nullable=True),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
    )
    for column in ("ref_id", "expires", "status"):
        op.create_index(f"ix_quarantine_entries_{column}", "quarantine_entries", [column])


def downgrade() -> None:
    op.drop_table("quarantine_entries")
