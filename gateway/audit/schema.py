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
    # The node that wrote the record (its MAC covers it); NULL for records written before
    # node ids existed, whose MAC is the v1 form (see entry.record_mac).
    sa.Column("node_id", sa.String(64), nullable=True),
)

# One row per gateway node: where its appends ended (the chain position of its newest record,
# MACed under the anchor subkey like the anchor file) and its heartbeat for `phigate status`.
nodes = sa.Table(
    "audit_nodes",
    metadata,
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

# Columns that hold canonical JSON text.
JSON_COLUMNS = ("recipient_domains", "stages", "timings", "findings_summary")

SCHEMA = StoreSchema(
    name="audit",
    metadata=metadata,
    lock_key=0x70686967617465,  # "phigate"; any constant shared by every process opening the log
    baselines=("0001_audit_initial", "0002_audit_nodes"),
)
