"""Create the portal's items, codes and sessions, as `create_all` made them before this history."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_portal_initial"
down_revision = None

# Indexed columns, per table, under create_all's names (ix_<table>_<column>).
_INDEXED = {
    "portal_items": ("ref_id", "expires", "recipient_hash", "status"),
    "portal_codes": ("item_id",),
    "portal_sessions": ("item_id", "expires"),
}


def upgrade() -> None:
    op.create_table(
        "portal_items",
        sa.Column("id", sa.String(32), primary_key=True, autoincrement=False),
        sa.Column("ref_id", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipient_hash", sa.String(64), nullable=False),
        sa.Column("recipient_masked", sa.String(320), nullable=False),
        sa.Column("roster_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("first_read", sa.DateTime(timezone=True), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("failed_codes", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("nonce", sa.LargeBinary(), nullable=True),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
    )
    op.create_table(
        "portal_codes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.String(32), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "portal_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True, autoincrement=False),
        sa.Column("item_id", sa.String(32), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
    )
    for table, columns in _INDEXED.items():
        for column in columns:
            op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table in _INDEXED:
        op.drop_table(table)
