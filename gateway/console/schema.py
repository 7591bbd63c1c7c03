"""SQLAlchemy Core tables of the compliance console; its Alembic history (`versions/console`)
makes them.

Console users, their server-side sessions (shared by every console node on one database)
and the sender directory live here, under the prefix `console_`, with the revision in
`console_alembic_version` (see gateway.storage.migrate).
"""

from __future__ import annotations

import sqlalchemy as sa

from gateway.storage.migrate import StoreSchema

metadata = sa.MetaData()

users = sa.Table(
    "console_users",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True, autoincrement=False),
    sa.Column("role", sa.String(16), nullable=False),
    # argon2id hash of the password; the password itself is never stored.
    sa.Column("password_hash", sa.String(256), nullable=False),
    # The RFC 6238 shared secret (base32), as an authenticator app holds it.
    sa.Column("totp_secret", sa.String(64), nullable=False),
    # The newest TOTP time step accepted: a code is good once (no replay within its window).
    sa.Column("totp_last_step", sa.BigInteger(), nullable=False),
    sa.Column("disabled", sa.Boolean(), nullable=False),
    sa.Column("failed_logins", sa.Integer(), nullable=False),
    sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
)

sessions = sa.Table(
    "console_sessions",
    metadata,
    # SHA-256 of the session cookie value.
    sa.Column("id_hash", sa.String(64), primary_key=True, autoincrement=False),
    sa.Column("user_name", sa.String(64), nullable=False, index=True),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("csrf", sa.String(64), nullable=False),
)

senders = sa.Table(
    "console_senders",
    metadata,
    # The audit log's keyed hash of a staff sender's address, and the address (workforce
    # data of the practice's own domains, not PHI).
    sa.Column("sender_hash", sa.String(64), primary_key=True, autoincrement=False),
    sa.Column("address", sa.String(320), nullable=False),
    sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
)

SCHEMA = StoreSchema(
    name="console",
    metadata=metadata,
    lock_key=0x7068636F6E736F,  # any constant shared by every process opening the console store
)
