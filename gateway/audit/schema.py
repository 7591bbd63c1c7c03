"""SQLAlchemy Core tables for the audit log; the Alembic revisions create them."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

chain_head = sa.Table(
    "audit_chain_head",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger(), nullable=False),
    sa.Column("mac", sa.String(64), nullable=False),
)

records = sa.Table(
    "audit_records",
    metadata,
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

# Columns that hold canonical JSON text.
JSON_COLUMNS = ("recipient_domains", "stages", "timings", "findings_summary")
