"""Two processes opening a new SQLite database together: the second waits, it does not fail.

SQLite answers `PRAGMA journal_mode=WAL` with "database is locked" at once, without calling its
busy handler, while another connection holds the write lock of a database still in rollback
mode. Two workers whose first messages both opened the patient roster hit exactly that (seen in
tests/gateway/ops/test_operations.py as a 451 on one message in about fifty runs). Here the
other process is a plain sqlite3 connection in a write transaction on a new file, released after
a moment from a thread.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import sqlalchemy as sa

from gateway.patients.db import open_store
from gateway.storage.database import make_engine

HOLD_S = 0.6


def _held(path: Path) -> tuple[sqlite3.Connection, threading.Thread]:
    """A connection holding the write lock of a new rollback-mode database, released later."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE placeholder (x)")
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(HOLD_S, lambda: other.execute("COMMIT"))
    release.start()
    return other, release


def test_connecting_waits_for_another_process_holding_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    other, release = _held(path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    finally:
        release.join()
        engine.dispose()
        other.close()
    assert mode == "wal"


def test_the_patient_roster_opens_beside_another_process_creating_it(tmp_path: Path) -> None:
    path = tmp_path / "patients.db"
    other, release = _held(path)
    try:
        engine = open_store(f"sqlite:///{path}")
    finally:
        release.join()
        other.close()
    try:
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert "patient_roster" in tables
