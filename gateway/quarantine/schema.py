"""SQLAlchemy Core table for the quarantine; its Alembic history (`versions/quarantine`) makes it.

The quarantine keeps its own table (`quarantine_entries`) and its revision in its own
version table (`quarantine_alembic_version`), see gateway.storage.migrate.
"""

from __future__ import annotations

import sqlalchemy as sa

from gateway.storage.migrate import StoreSchema
from gateway.storage.sealed import sealed_columns

metadata = sa.MetaData()

entries = sa.Table(
    "quarantine_entries",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True, autoincrement=False),
    sa.Column("ref_id", sa.String(64), nullable=False, index=True),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("sender_hash", sa.String(128), nullable=False),
    sa.Column("recipient_domains", sa.Text(), nullable=False),  # JSON list
    sa.Column("recipient_count", sa.Integer(), nullable=False),
    sa.Column("rule", sa.String(128), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("summary", sa.Text(), nullable=False),  # JSON: entity types and counts, parts
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("status_changed", sa.DateTime(timezone=True), nullable=True),
    *sealed_columns(),  # NULL once the entry is shredded
)

SCHEMA = StoreSchema(
    name="quarantine",
    metadata=metadata,
    lock_key=0x7068697161726E,  # any constant shared by every process opening the quarantine
    baselines=("0001_quarantine_initial",),
)
