"""Alembic migrations of the four stores: fresh databases, adopted create_all databases, reruns."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from gateway.audit.schema import SCHEMA as AUDIT
from gateway.model import ConfigError
from gateway.patients.schema import SCHEMA as PATIENTS
from gateway.patients.schema import consent_events, consents, identifiers, roster
from gateway.portal.schema import SCHEMA as PORTAL
from gateway.quarantine.schema import SCHEMA as QUARANTINE
from gateway.quarantine.schema import entries
from gateway.storage.database import make_engine
from gateway.storage.migrate import (
    StoreSchema,
    alembic_config,
    current_revisions,
    migrations_dir,
    prepare,
    table_shape,
)
from tests.support.db import BACKENDS, database_url

STORES = [AUDIT, PATIENTS, QUARANTINE, PORTAL]
REPO = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on SQLite or in a throw-away PostgreSQL schema."""
    with database_url(request.param, tmp_path, "migrations") as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    """An engine on the empty database."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def head(store: StoreSchema) -> str:
    """The newest revision of the store's history, read from its scripts."""
    rev = ScriptDirectory.from_config(alembic_config(store)).get_current_head()
    assert rev is not None
    return rev


def model_differences(engine: sa.Engine, store: StoreSchema, metadata: sa.MetaData) -> list:
    """What alembic's compare_metadata finds between the store's tables and `metadata`."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _parents: (
                    kind != "table" or name in store.metadata.tables
                ),
            },
        )
        return list(compare_metadata(ctx, metadata))


def revisions(engine: sa.Engine, store: StoreSchema) -> tuple[str, ...]:
    """The revisions in the store's version table."""
    with engine.connect() as conn:
        return current_revisions(conn, store)


def tables(engine: sa.Engine) -> set[str]:
    """Every table in the database."""
    with engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names())


@pytest.mark.parametrize("store", STORES, ids=lambda s: s.name)
def test_fresh_database_reaches_head_and_matches_the_model(
    engine: sa.Engine, store: StoreSchema
) -> None:
    """An empty database is migrated to head, and its tables are exactly the store's model."""
    prepare(engine, store)
    assert revisions(engine, store) == (head(store),)
    assert set(store.metadata.tables) | {store.version_table} == tables(engine)
    assert model_differences(engine, store, store.metadata) == []


@pytest.mark.parametrize("store", STORES, ids=lambda s: s.name)
def test_a_model_changed_without_a_migration_is_caught(
    engine: sa.Engine, store: StoreSchema
) -> None:
    """A column added to the model but not to the history shows up as a difference."""
    prepare(engine, store)
    changed = sa.MetaData()
    for table in store.metadata.tables.values():
        table.to_metadata(changed)
    first = next(iter(changed.tables.values()))
    first.append_column(sa.Column("added_later", sa.Text(), nullable=True))
    found = model_differences(engine, store, changed)
    assert [d[0] for d in found] == ["add_column"]
    assert found[0][3].name == "added_later"


@pytest.mark.parametrize("store", STORES, ids=lambda s: s.name)
def test_migrating_twice_changes_nothing(engine: sa.Engine, store: StoreSchema) -> None:
    """A second start-up finds the database at head and leaves tables and version alone."""
    prepare(engine, store)
    with engine.connect() as conn:
        before = table_shape(conn, sorted(tables(engine)))
    prepare(engine, store)
    with engine.connect() as conn:
        assert table_shape(conn, sorted(tables(engine))) == before
    assert revisions(engine, store) == (head(store),)
    assert model_differences(engine, store, store.metadata) == []


@pytest.mark.parametrize("store", STORES, ids=lambda s: s.name)
def test_a_create_all_database_is_adopted(engine: sa.Engine, store: StoreSchema) -> None:
    """Tables made by create_all (no version table) are stamped, not re-created or refused."""
    with engine.begin() as conn:
        store.metadata.create_all(conn)
    assert store.version_table not in tables(engine)
    prepare(engine, store)
    assert revisions(engine, store) == (head(store),)
    assert model_differences(engine, store, store.metadata) == []


def test_adoption_keeps_the_rows(engine: sa.Engine) -> None:
    """Rows in an adopted quarantine table are still there after the migration."""
    with engine.begin() as conn:
        QUARANTINE.metadata.create_all(conn)
        conn.execute(entries.insert().values(**quarantine_row("QADOPTED00000001")))
    prepare(engine, QUARANTINE)
    with engine.connect() as conn:
        assert conn.execute(sa.select(entries.c.id)).scalars().all() == ["QADOPTED00000001"]


def test_a_roster_only_database_is_adopted_and_gains_the_consent_tables(
    engine: sa.Engine,
) -> None:
    """A patients database where only the roster ran is stamped at the roster's revision,
    then upgraded: the consent tables and their append-only triggers are added."""
    with engine.begin() as conn:
        PATIENTS.metadata.create_all(conn, tables=[roster, identifiers])
        conn.execute(roster.insert().values(roster_id="R-000001", created=T0, updated=T0))
    prepare(engine, PATIENTS)
    assert revisions(engine, PATIENTS) == ("0002_patients_consents",)
    assert model_differences(engine, PATIENTS, PATIENTS.metadata) == []
    with engine.begin() as conn:
        assert conn.execute(sa.select(roster.c.roster_id)).scalars().all() == ["R-000001"]
        conn.execute(
            consents.insert().values(
                consent_id="C-1",
                address_hash="h",
                address_masked="m***@x.example",
                roster_id="R-000001",
                created=T0,
            )
        )
        conn.execute(
            consent_events.insert().values(
                consent_id="C-1", seq=1, kind="granted", at=T0, by="t", recorded=T0, payload="{}"
            )
        )
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(consent_events.delete())


def test_tables_that_differ_are_not_adopted(engine: sa.Engine) -> None:
    """A versionless table that lacks a column of the baseline is refused, and left as it was."""
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE quarantine_entries (id VARCHAR(32) PRIMARY KEY)"))
    with pytest.raises(ConfigError, match=r"quarantine store .*quarantine_entries.*differ"):
        prepare(engine, QUARANTINE)
    assert tables(engine) == {"quarantine_entries"}


def test_a_partial_store_is_not_adopted(engine: sa.Engine) -> None:
    """Consent tables without the roster's match no revision and are refused."""
    with engine.begin() as conn:
        PATIENTS.metadata.create_all(conn, tables=[consents, consent_events])
    with pytest.raises(ConfigError, match="match no known revision"):
        prepare(engine, PATIENTS)
    assert PATIENTS.version_table not in tables(engine)


def test_four_stores_share_one_database(engine: sa.Engine) -> None:
    """Each store keeps its own version table and sees only its own tables in a shared database."""
    for store in STORES:
        prepare(engine, store)
    for store in STORES:
        prepare(engine, store)
        assert revisions(engine, store) == (head(store),)
        assert model_differences(engine, store, store.metadata) == []
    assert {
        "audit_alembic_version",
        "patients_alembic_version",
        "quarantine_alembic_version",
        "portal_alembic_version",
    } <= tables(engine)


def test_the_audit_log_keeps_its_version_table(engine: sa.Engine) -> None:
    """An audit log migrated before this package (audit_alembic_version) stays where it is."""
    prepare(engine, AUDIT)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT version_num FROM audit_alembic_version")).all()
    assert [r[0] for r in rows] == ["0002_audit_nodes"]
    prepare(engine, AUDIT)
    assert revisions(engine, AUDIT) == ("0002_audit_nodes",)


def test_every_store_has_a_history_folder() -> None:
    """Each store's revisions sit in migrations/versions/<store>, found through the package."""
    for store in STORES:
        folder = migrations_dir() / "versions" / store.name
        assert sorted(p.name for p in folder.glob("*.py")), folder
    assert (migrations_dir() / "alembic.ini").is_file()


def test_the_alembic_command_line_migrates_and_checks_a_store(tmp_path: Path) -> None:
    """`alembic -n STORE -x url=...` upgrades a store, and `alembic check` finds the model met."""
    ini = str(migrations_dir() / "alembic.ini")
    url = f"sqlite:///{tmp_path}/portal.db"
    base = [sys.executable, "-m", "alembic", "-c", ini, "-n", "portal", "-x", f"url={url}"]
    up = subprocess.run([*base, "upgrade", "head"], capture_output=True, text=True, cwd=REPO)
    assert up.returncode == 0, up.stderr
    check = subprocess.run([*base, "check"], capture_output=True, text=True, cwd=REPO)
    assert check.returncode == 0, check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    eng = sa.create_engine(url)
    try:
        assert revisions(eng, PORTAL) == (head(PORTAL),)
    finally:
        eng.dispose()


def quarantine_row(entry_id: str) -> dict[str, object]:
    """A quarantine row as the store writes it, without sealed content."""
    return {
        "id": entry_id,
        "ref_id": "PG-20261201-ADOPTED1",
        "created": T0,
        "expires": T0,
        "sender_hash": "0" * 64,
        "recipient_domains": "[]",
        "recipient_count": 1,
        "rule": "r",
        "reason": "r",
        "summary": "{}",
        "size": 0,
        "status": "deleted",
        "status_changed": None,
    }
