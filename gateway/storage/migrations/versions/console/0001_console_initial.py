"""Create the console's users, sessions and sender directory."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_console_initial"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "console_users",
        sa.Column("name", sa.String(64), primary_key=True, autoincrement=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("totp_secret", sa.String(64), nullable=False),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "console_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True, autoincrement=False),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
    )
    op.create_index("ix_console_sessions_user_name", "console_sessions", ["user_name"])
    op.create_index("ix_console_sessions_expires", "console_sessions", ["expires"])
    op.create_table(
        "console_senders",
        sa.Column("sender_hash", sa.String(64), primary_key=True, autoincrement=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("console_senders")
    op.drop_table("console_sessions")
    op.drop_table("console_users")
