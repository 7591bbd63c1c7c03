"""Regression: restoring an older audit database together with its older anchor is caught.

Before, the anchor (rewritten in place) was the only tail check, so an older copy of both
verified intact; the append-only witness file now remembers how far the log once reached.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from gateway.audit import AuditLog
from tests.support.audit import fill, make_entry
from tests.support.deploy import run_phigate


def _verify(url: str, key: Path) -> subprocess.CompletedProcess[str]:
    return run_phigate("audit", "verify", "--url", url, "--key-file", str(key))


def _backup(tmp_path: Path, key: Path) -> Path:
    saved = tmp_path / "backup"
    saved.mkdir()
    for f in (tmp_path / "audit.db", key.with_name("audit.anchor")):
        shutil.copy2(f, saved / f.name)
    return saved


def _two_records_backed_up(tmp_path: Path) -> tuple[str, Path, Path]:
    """A SQLite log under tmp_path holding records 1 and 2, and the backup of it and its anchor."""
    url, key = f"sqlite:///{tmp_path}/audit.db", tmp_path / "keys" / "audit.key"
    with AuditLog(url, key) as log:
        fill(log, 2)
    return url, key, _backup(tmp_path, key)


def _restore(tmp_path: Path, key: Path, saved: Path) -> None:
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"audit.db{suffix}").unlink(missing_ok=True)
    shutil.copy2(saved / "audit.db", tmp_path / "audit.db")
    shutil.copy2(saved / "audit.anchor", key.with_name("audit.anchor"))


def test_restored_older_database_and_anchor_is_a_rollback(tmp_path: Path):
    """An older database with its own older anchor fails verify: the witness saw a later seq."""
    url, key, saved = _two_records_backed_up(tmp_path)
    with AuditLog(url, key) as log:
        log.append(make_entry(log, 3))
        log.append(make_entry(log, 4))
    assert _verify(url, key).returncode == 0
    _restore(tmp_path, key, saved)
    done = _verify(url, key)
    assert done.returncode != 0
    assert "rolled back: the log ends at seq 2 but the witness saw seq 4" in done.stdout


def test_restored_and_appended_again_is_a_rollback(tmp_path: Path):
    """Appending to a restored copy until it is as long as before still fails verify."""
    url, key, saved = _two_records_backed_up(tmp_path)
    with AuditLog(url, key) as log:
        log.append(make_entry(log, 3))
    _restore(tmp_path, key, saved)
    with AuditLog(url, key) as log:
        log.append(make_entry(log, 30))
    done = _verify(url, key)
    assert done.returncode != 0
    assert "seq 3 " in done.stdout and "rolled-back" in done.stdout
