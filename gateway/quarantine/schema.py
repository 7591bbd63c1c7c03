"""SQLAlchemy Core table for the quarantine; `QuarantineStore` creates it with `create_all`.

The quarantine keeps its own table (`quarantine_entries`) and does not use the audit
log's Alembic history in `gateway/storage/migrations`. A later schema change would add an
Alembic folder of its own with a separate version table (`quarantine_alembic_version`).
"""

from __future__ import annotations

import sqlalchemy as sa

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
    # Crypto material; all three set to NULL when the entry is shredded.
    sa.Column("key_id", sa.String(32), nullable=True),
    sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
    sa.Column("nonce", sa.LargeBinary(), nullable=True),
    sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
)
