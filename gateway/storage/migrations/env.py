"""Alembic environment for the audit log; runs on a connection handed in by AuditLog."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

# Kept apart from any other Alembic history that may share the database.
VERSION_TABLE = "audit_alembic_version"

config = context.config


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it."""
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    context.configure(url=url, literal_binds=True, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run on the caller's connection (AuditLog), or on one made from the URL (alembic CLI)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, version_table=VERSION_TABLE)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            context.configure(connection=conn, version_table=VERSION_TABLE)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
