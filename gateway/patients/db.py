"""Engines and transactions shared by the roster and the consent registry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from gateway.patients.errors import PatientsError

SQLITE_BUSY_TIMEOUT_S = 30.0
_WRITE = "phigate_patients_write"


def make_engine(url: str) -> Engine:
    """An engine for `url`; on SQLite, WAL and full sync, with write transactions IMMEDIATE."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    db = parsed.database
    if db and db != ":memory:" and not db.startswith("file:"):
        Path(db).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would defer BEGIN; we issue it ourselves.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        finally:
            cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the database lock up front, so a read-then-write transaction cannot
        # act on a state another writer is about to change (readers stay unblocked in WAL).
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get(_WRITE) else "BEGIN")

    return engine


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A read-write transaction: BEGIN IMMEDIATE on SQLite, a plain one on PostgreSQL."""
    with engine.connect() as conn:
        conn.info[_WRITE] = True
        try:
            with conn.begin():
                yield conn
        finally:
            conn.info.pop(_WRITE, None)


def pg_lock(conn: Connection, key: int) -> None:
    """Take a transaction-scoped advisory lock on PostgreSQL (no-op elsewhere)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def utc(ts: datetime) -> datetime:
    """`ts` in UTC; naive timestamps are refused rather than guessed."""
    if ts.tzinfo is None:
        raise PatientsError("timestamps must be timezone-aware")
    return ts.astimezone(UTC)


def aware(ts: datetime) -> datetime:
    """A stored timestamp as aware UTC (SQLite hands back naive ones)."""
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)
