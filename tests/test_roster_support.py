"""Shared fixtures for the roster and consent tests (no tests of its own).

Tests that take `patients_url` run twice: on SQLite in a temp dir, and on the PostgreSQL
server at 127.0.0.1:5432 in a fresh schema (via `search_path`) that is dropped afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.patients import ConsentRegistry, PatientRoster
from tests.support.db import BACKENDS, database_url

__all__ = ["patients_url", "roster_key", "roster", "registry", "write_csv", "ROSTER_CSV"]

# Four patients; Ana and Ben share their parent's mailbox.
ROSTER_CSV = """roster_id,name,dob,mrn,email
R-100,"Smith, John Quincy",1961-04-12,00012345,John.Smith@Gmail.com;jsmith@work.example
R-101,José Núñez-García,4/12/1961,A-77,jose@example.org
R-102,Ana Lee,2015-09-03,555,lee.family@example.net
R-103,Ben Lee,2017-01-30,556,lee.family@example.net
"""


def write_csv(directory: Path, text: str, name: str = "in.csv") -> Path:
    """Write `text` as a CSV file in `directory` and return its path."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(params=BACKENDS)
def patients_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL for an empty patients database, on SQLite and on PostgreSQL."""
    with database_url(request.param, tmp_path, "patients") as url:
        yield url


@pytest.fixture
def roster_key(tmp_path: Path) -> Path:
    """Where the test's roster key lives (created by PatientRoster)."""
    return tmp_path / "keys" / "roster.key"


@pytest.fixture
def roster(patients_url: str, roster_key: Path) -> Iterator[PatientRoster]:
    """An empty roster on each backend."""
    r = PatientRoster(patients_url, roster_key)
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
def registry(patients_url: str, roster: PatientRoster, tmp_path: Path) -> Iterator[ConsentRegistry]:
    """A consent registry over a roster holding ROSTER_CSV."""
    report = roster.import_csv(write_csv(tmp_path, ROSTER_CSV, "roster.csv"))
    assert report.ok and report.applied
    reg = ConsentRegistry(patients_url, roster)
    try:
        yield reg
    finally:
        reg.close()
