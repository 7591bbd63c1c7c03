"""SQLAlchemy Core tables of the pickup portal; its Alembic history (`versions/portal`) makes them.

The portal keeps its own tables (prefix `portal_`) and its revision in its own version
table (`portal_alembic_version`), see gateway.storage.migrate.
"""

from __future__ import annotations

import sqlalchemy as sa

from gateway.storage.migrate import StoreSchema
from gateway.storage.sealed import sealed_columns

metadata = sa.MetaData()

items = sa.Table(
    "portal_items",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True, autoincrement=False),
    sa.Column("ref_id", sa.String(64), nullable=False, index=True),
    # SHA-256 of the link token; the token itself is never stored.
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("recipient_hash", sa.String(64), nullable=False, index=True),
    sa.Column("recipient_masked", sa.String(320), nullable=False),
    sa.Column("roster_id", sa.String(64), nullable=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("views", sa.Integer(), nullable=False),
    sa.Column("first_read", sa.DateTime(timezone=True), nullable=True),
    sa.Column("size", sa.BigInteger(), nullable=False),
    # Verification lock-out, per item so that new sessions do not reset it.
    sa.Column("failed_codes", sa.Integer(), nullable=False),
    sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    *sealed_columns(),  # NULL once the item expires (crypto-shred)
)

codes = sa.Table(
    "portal_codes",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.String(32), nullable=False, index=True),
    # Keyed hash of the six digits (a plain hash of 10^6 values is no protection).
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used", sa.Boolean(), nullable=False),
)

sessions = sa.Table(
    "portal_sessions",
    metadata,
    # SHA-256 of the session cookie value.
    sa.Column("id_hash", sa.String(64), primary_key=True, autoincrement=False),
    sa.Column("item_id", sa.String(32), nullable=False, index=True),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("verified", sa.Boolean(), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
)

SCHEMA = StoreSchema(
    name="portal",
    metadata=metadata,
    lock_key=0x706869706F7274,  # any constant shared by every process opening the portal
    baselines=("0001_portal_initial",),
)
