"""Alembic migrations for the four stores (audit, patients, quarantine, portal).

Layout: one Alembic environment, `gateway/storage/migrations/env.py`, and one linear history
per store in `gateway/storage/migrations/versions/<store>/`. Each store records its revision
in a version table of its own, `<store>_alembic_version` (`audit_alembic_version`,
`patients_alembic_version`, `quarantine_alembic_version`, `portal_alembic_version`; the
audit log's name predates this package and existing logs keep it). So the stores may each
live in a database of their own or share one, in any combination: a store sees only its
own tables and its own history.

A store describes itself with a `StoreSchema` in its schema module (tables, history name,
advisory-lock key, baselines) and opens through `prepare`, which runs `upgrade head` in one
write transaction under the store's advisory lock (`database.prepare_schema`), so processes
that start at once take turns.

Adoption: before these histories, the patients, quarantine and portal stores made their
tables with `create_all`. Such a database has the tables but no version table. `upgrade`
then looks for the newest of the store's `baselines` whose tables are exactly the ones
present, checks that those tables have the columns (names, nullability, primary keys) that
the baseline revisions make, stamps the database at that revision and upgrades from there.
Tables that match no baseline raise ConfigError: nothing is re-created or dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from gateway.model import ConfigError
from gateway.storage.database import prepare_schema

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where a migration runs, not with this module: the detection processes'
# fork server loads the stores' schemas (to read the patient roster) but never migrates, and
# importing Alembic cost it 0.12 s of every start (docs/performance.md).

_log = logging.getLogger("phigate.storage")

# Per table: column name -> (nullable, part of the primary key).
TableShape = dict[str, dict[str, tuple[bool, bool]]]


def migrations_dir() -> Path:
    """The installed `gateway/storage/migrations` folder, found through the package, not the CWD."""
    return Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True)
class StoreSchema:
    """One store's tables and migration history."""

    name: str
    """The history's name: its folder under `migrations/versions` and its ini section."""
    metadata: sa.MetaData
    """The tables as the code uses them; `upgrade head` must produce exactly these."""
    lock_key: int
    """The PostgreSQL advisory-lock key every process migrating this store takes."""
    baselines: tuple[str, ...] = ()
    """Revisions a database made by `create_all` may stand at, oldest first (see adoption)."""

    @property
    def version_table(self) -> str:
        """The table that records this store's revision."""
        return f"{self.name}_alembic_version"

    def include_name(self, name: str | None, type_: str, _parents: Any) -> bool:
        """Alembic filter: of the tables in a database, only this store's count."""
        return type_ != "table" or name in self.metadata.tables


def alembic_config(store: StoreSchema, connection: Connection | None = None) -> Config:
    """An Alembic configuration for `store`'s history, running on `connection` if given."""
    from alembic.config import Config

    here = migrations_dir()
    cfg = Config(str(here / "alembic.ini"), ini_section=store.name)
    cfg.set_section_option(store.name, "script_location", str(here))
    cfg.set_section_option(store.name, "version_locations", str(here / "versions" / store.name))
    cfg.attributes["store"] = store
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def prepare(engine: Engine, store: StoreSchema) -> None:
    """Create or migrate `store`'s tables at start-up (one transaction, the store's lock)."""
    prepare_schema(engine, store.lock_key, lambda conn: upgrade(conn, store))


def upgrade(conn: Connection, store: StoreSchema) -> None:
    """Adopt a database made by `create_all` if need be, then `upgrade head`, on `conn`."""
    from alembic import command

    cfg = alembic_config(store, conn)
    if not current_revisions(conn, store):
        baseline = _baseline_to_adopt(conn, store)
        if baseline is not None:
            command.stamp(cfg, baseline)
            _log.info("store adopted", extra={"store": store.name, "revision": baseline})
    command.upgrade(cfg, "head")


def current_revisions(conn: Connection, store: StoreSchema) -> tuple[str, ...]:
    """The revisions `store`'s version table records (empty when it has none)."""
    from alembic.migration import MigrationContext

    ctx = MigrationContext.configure(conn, opts={"version_table": store.version_table})
    return tuple(ctx.get_current_heads())


def _baseline_to_adopt(conn: Connection, store: StoreSchema) -> str | None:
    """The baseline a versionless database with tables stands at; None if it has no tables."""
    present = set(sa.inspect(conn).get_table_names()) & set(store.metadata.tables)
    if not present:
        return None
    where = f"{store.name} store in {conn.engine.url.render_as_string(hide_password=True)}"
    for revision in reversed(store.baselines):
        expected = baseline_shape(store, revision)
        if set(expected) != present:
            continue
        found = table_shape(conn, sorted(present))
        if found != expected:
            bad = sorted(t for t in expected if found.get(t) != expected[t])
            raise ConfigError(
                f"{where}: tables {bad} differ from revision {revision}; "
                "not adopting them (compare them with the migration, or restore a backup)"
            )
        return revision
    raise ConfigError(
        f"{where}: has tables {sorted(present)} but no {store.version_table} "
        "and they match no known revision; not adopting them"
    )


def baseline_shape(store: StoreSchema, revision: str) -> TableShape:
    """The tables `store`'s history has made at `revision`, built in a scratch SQLite database."""
    from alembic import command

    scratch = sa.create_engine("sqlite://")
    try:
        with scratch.begin() as conn:
            command.upgrade(alembic_config(store, conn), revision)
            names = set(sa.inspect(conn).get_table_names()) & set(store.metadata.tables)
            return table_shape(conn, sorted(names))
    finally:
        scratch.dispose()


def table_shape(conn: Connection, tables: Sequence[str]) -> TableShape:
    """Column names, nullability and primary-key membership of `tables`, as the database has them."""
    inspector = sa.inspect(conn)
    shape: TableShape = {}
    for table in tables:
        pk = set(inspector.get_pk_constraint(table).get("constrained_columns") or ())
        shape[table] = {
            str(c["name"]): (bool(c["nullable"]) and c["name"] not in pk, c["name"] in pk)
            for c in inspector.get_columns(table)
        }
    return shape
