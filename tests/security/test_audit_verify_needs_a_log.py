"""Regression: `audit verify` on a missing log is an error naming what is missing, and creates nothing.

Before, verify opened the log for writing: a mistyped path or `--url` created an empty database
(and an anchor directory) and reported "intact: 0 records".
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.support.audit import audit_cli, made_log
from tests.support.db import PG_DSN, database_url


def test_missing_database_is_an_error_and_is_not_created(tmp_path: Path):
    """A URL naming a database file that does not exist fails, naming the file, and creates none."""
    _url, key = made_log(tmp_path)
    missing = tmp_path / "typo" / "audit.db"
    for command in ("verify", "show"):
        done = audit_cli(command, "--url", f"sqlite:///{missing}", "--key-file", str(key))
        assert done.returncode != 0
        assert "intact" not in done.stdout
        assert str(missing) in done.stderr and "does not exist" in done.stderr
        assert "Traceback" not in done.stderr
    assert not missing.parent.exists()


def test_missing_anchor_is_an_error(tmp_path: Path):
    """A log whose anchor file is gone fails verify, naming the anchor file."""
    url, key = made_log(tmp_path)
    anchor = key.with_name("audit.anchor")
    anchor.unlink()
    done = audit_cli("verify", "--url", url, "--key-file", str(key))
    assert done.returncode != 0
    assert str(anchor) in done.stderr and "intact" not in done.stdout
    assert not anchor.exists()


@pytest.mark.postgres
def test_postgresql_schema_without_a_log_is_an_error_and_stays_empty(tmp_path: Path):
    """A PostgreSQL URL with no audit tables fails and gets no tables."""
    _url, key = made_log(tmp_path)
    with database_url("postgresql", tmp_path, "audit") as url:
        done = audit_cli("verify", "--url", url, "--key-file", str(key))
        assert done.returncode != 0 and "Traceback" not in done.stderr
        assert "no audit log" in done.stderr
        schema = url.rsplit("%3D", 1)[1]
        with psycopg.connect(PG_DSN) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", (schema,)
            ).fetchone()
        assert tables == (0,)


@pytest.mark.postgres
def test_postgresql_database_that_does_not_exist_is_one_line(tmp_path: Path):
    """A `--url` naming a PostgreSQL database that does not exist ends in one line, not a traceback."""
    _url, key = made_log(tmp_path)
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/no_such_database_phigate"
    done = audit_cli("verify", "--url", url, "--key-file", str(key))
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "no_such_database_phigate" in done.stderr
