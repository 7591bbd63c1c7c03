"""SQLAlchemy Core tables for the audit log; its Alembic history (`versions/audit`) creates them."""

from __future__ import annotations

import sqlalchemy as sa

from gateway.storage.migrate import StoreSchema

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
    sa.Column("ref_id", sa.String(64), nullable=False, index=True),
    sa.Column("ts", sa.DateTime(timezone=True), nullable=False, index=True),
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

SCHEMA = StoreSchema(
    name="audit",
    metadata=metadata,
    lock_key=0x70686967617465,  # "phigate"; any constant shared by every process opening the log
    baselines=("0001_audit_initial",),
)
