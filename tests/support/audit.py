"""Helpers for the audit-log tests: realistic entries, filling a log, tampering with rows.

The `audit_db_url`, `audit_key_file` and `audit_log` fixtures are in tests/conftest.py.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gateway.audit import AuditEntry, AuditLog
from gateway.audit.schema import records
from tests.support.process import PHIGATE, REPO

BASE_TS = datetime(2026, 11, 28, 9, 0, 0, 123456, tzinfo=UTC)


def audit_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """Run `python -m gateway.cli.main audit ARGS` as a real process in cwd."""
    return subprocess.run(
        [*PHIGATE, "audit", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def made_log(tmp_path: Path) -> tuple[str, Path]:
    """The URL and key file of a fresh, empty SQLite audit log under tmp_path."""
    url, key = f"sqlite:///{tmp_path}/audit.db", tmp_path / "keys" / "audit.key"
    AuditLog(url, key).close()
    return url, key


def ref(i: int) -> str:
    """The reference id the tests give record number `i`."""
    return f"PG-20261128-T{i:05d}"


def make_entry(log: AuditLog, i: int, **changes: Any) -> AuditEntry:
    """A realistic entry for message number `i`; keyword arguments replace fields."""
    fields: dict[str, Any] = {
        "ref_id": ref(i),
        "ts": BASE_TS + timedelta(seconds=i),
        "message_id": f"<{i}.test@clinic.example>",
        "sender_hash": log.keyed_hash("Dr.Who@Clinic.Example"),
        "recipient_domains": ("lab.example", "insurer.example"),
        "size": 1000 + i,
        "stages": (
            {"stage": "parse", "outcome": "ok", "defects": []},
            {"stage": "detect", "outcome": "findings", "reason": "2 entity types"},
            {"stage": "policy", "outcome": "encrypt", "reason": "rule phi-external"},
        ),
        "action": "encrypt",
        "next_hop_reply": f"250 2.0.0 Ok: queued as Q{i}",
        "timings": {"parse": 0.5, "detect": 12.25, "policy": 0.125},
        "findings_summary": {"US_SSN": 1, "PERSON": 2},
    }
    fields.update(changes)
    return AuditEntry(**fields)


def fill(log: AuditLog, n: int) -> None:
    """Append records 1..n."""
    for i in range(1, n + 1):
        assert log.append(make_entry(log, i)) == i


def run_sql(log: AuditLog, sql: str, **params: Any) -> None:
    """Tamper with the database directly, as an attacker with DB access would."""
    with log.engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def swap_seqs(log: AuditLog, a: int, b: int) -> None:
    """Swap the stored seq numbers of records a and b (the tampering a reordering attack does)."""
    run_sql(log, "UPDATE audit_records SET seq = 100 WHERE seq = :a", a=a)
    run_sql(log, "UPDATE audit_records SET seq = :a WHERE seq = :b", a=a, b=b)
    run_sql(log, "UPDATE audit_records SET seq = :b WHERE seq = 100", b=b)


def fetch_row(log: AuditLog, seq: int) -> dict[str, Any]:
    """One stored row, every column, typed as SQLAlchemy reads it."""
    with log.engine.connect() as conn:
        row = conn.execute(sa.select(records).where(records.c.seq == seq)).one()
    return dict(row._mapping)


def summary(log: AuditLog) -> list[tuple[int, str | None, str]]:
    """The verify report reduced to (seq, ref id, kind) per problem."""
    return [(p.seq, p.ref_id, p.kind) for p in log.verify().problems]


class CommitCounter:
    """Counts the transactions committed on an engine (through SQLAlchemy's commit event)."""

    def __init__(self) -> None:
        self.commits = 0

    def __call__(self, _conn: Any) -> None:
        self.commits += 1


@contextmanager
def counting_commits(log: AuditLog) -> Iterator[CommitCounter]:
    """Count the transactions committed through `log`'s engine inside the block."""
    counter = CommitCounter()
    sa.event.listen(log.engine, "commit", counter)
    try:
        yield counter
    finally:
        sa.event.remove(log.engine, "commit", counter)
