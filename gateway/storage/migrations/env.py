"""Alembic environment for every store; the ini section (`-n STORE`) picks the store's history.

The gateway hands in the store's StoreSchema and an open connection inside its start-up
transaction (gateway.storage.migrate); the alembic command line names the StoreSchema in the
section's `store_schema` option and connects to `-x url=...` (or `sqlalchemy.url`).
Only the store's own tables are compared for autogenerate, and its revision lives in its own
version table, so several stores can share one database.
"""

from __future__ import annotations

import importlib

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from gateway.storage.migrate import StoreSchema

config = context.config


def _store() -> StoreSchema:
    given = config.attributes.get("store")
    if isinstance(given, StoreSchema):
        return given
    module, _, name = str(config.get_main_option("store_schema")).partition(":")
    store = getattr(importlib.import_module(module), name)
    assert isinstance(store, StoreSchema), f"{module}:{name} is not a StoreSchema"
    return store


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    return url or str(config.get_main_option("sqlalchemy.url"))


def _run(connection: Connection, store: StoreSchema) -> None:
    context.configure(
        connection=connection,
        target_metadata=store.metadata,
        version_table=store.version_table,
        include_name=store.include_name,
        compare_type=True,
        render_as_batch=True,  # SQLite alters a table by copying it
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it."""
    store = _store()
    context.configure(url=_url(), literal_binds=True, version_table=store.version_table)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run on the caller's connection (the gateway), or on one made from the URL (alembic CLI)."""
    store = _store()
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection, store)
        return
    engine = create_engine(_url())
    try:
        with engine.begin() as conn:
            _run(conn, store)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
