"""Roster key rotation with two processes open on one PostgreSQL and one key file (two nodes):
`phigate patients rotate-key` turns a one-line key file into a ring, both rosters keep matching
everything stored under the old key and store under the new one at once, and after `phigate
patients rehash` of the roster export the old key can leave the ring with nothing lost."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from gateway.cli.context import Hooks
from gateway.cli.exits import EXIT_ERROR, EXIT_OK
from gateway.cli.main import main
from gateway.patients import ConsentRegistry, PatientRoster
from gateway.patients.disclosure import DEFAULT_DISCLOSURE_VERSION
from gateway.patients.keys import ROSTER_KEY
from gateway.patients.schema import identifiers
from gateway.storage.keyfiles import KeyFile
from tests.support.db import database_url
from tests.support.patients import ROSTER_CSV, write_csv

pytestmark = pytest.mark.postgres

NEW_PATIENT = "roster_id,name,dob,mrn,email\nR-200,Cleo Park,1990-02-02,900,cleo@example.org\n"
WHEN = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL schema both nodes share."""
    with database_url("postgresql", tmp_path, "rosterrot") as url:
        yield url


@pytest.fixture
def legacy_key(tmp_path: Path) -> Path:
    """A roster key file as earlier versions wrote it: one hex line, 0600."""
    path = tmp_path / "keys" / "roster.key"
    path.parent.mkdir(mode=0o700)
    path.write_text(secrets.token_hex(32) + "\n")
    path.chmod(0o600)
    return path


def _cli(url: str, key: Path, events: list[Any] | None, *argv: str) -> int:
    hooks = Hooks(audit_event=None if events is None else lambda a, d: events.append((a, d)))
    return main(["patients", *argv, "--url", url, "--key-file", str(key)], hooks)


def _matches_everything(roster: PatientRoster, registry: ConsentRegistry) -> None:
    """Every kind of lookup finds the imported patients and the consent."""
    assert roster.by_mrn("00012345") == "R-100"
    assert roster.by_name_dob("John Quincy Smith", "1961-04-12") == "R-100"
    assert roster.ids_by_email("lee.family@example.net") == ("R-102", "R-103")
    assert roster.verify_dob("R-100", date(1961, 4, 12))
    assert not roster.verify_dob("R-100", date(1961, 4, 13))
    consent = registry.valid_for("john.smith@gmail.com", WHEN)
    assert consent is not None and consent.roster_id == "R-100"


def _stored_under(roster: PatientRoster, key: bytes, roster_id: str) -> bool:
    """Whether the entry's address hash is the one `key` makes."""
    digest = hmac.new(key, b"email\x00cleo@example.org", hashlib.sha256).hexdigest()
    with roster.engine.connect() as conn:
        stored = conn.execute(
            sa.select(identifiers.c.hash).where(
                identifiers.c.roster_id == roster_id, identifiers.c.kind == "email"
            )
        ).scalar_one()
    return stored == digest


def test_rotate_with_two_nodes_open_then_rehash_and_drop_the_old_key(
    tmp_path: Path, pg_url: str, legacy_key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Old hashes match after the rotation on both nodes; new ones are made under r2; after the
    rehash, r1 is retired and every lookup and the consent still match on both nodes."""
    events: list[tuple[str, Mapping[str, Any]]] = []
    roster_file = write_csv(tmp_path, ROSTER_CSV)
    with ExitStack() as stack:
        nodes = [stack.enter_context(closing(PatientRoster(pg_url, legacy_key))) for _ in "ab"]
        registries = [stack.enter_context(closing(ConsentRegistry(pg_url, r))) for r in nodes]
        assert nodes[0].import_csv(roster_file).applied
        registries[0].add(
            "John.Smith@gmail.com",
            "R-100",
            obtained_at=datetime(2026, 1, 5, tzinfo=UTC),
            method="signed-form",
            recorded_by="amy",
            disclosure_version=DEFAULT_DISCLOSURE_VERSION,
            scope=["appointment_reminders"],
            expires=date(2099, 1, 1),
        )
        old_key = KeyFile(legacy_key, ROSTER_KEY).ring().active_key

        assert _cli(pg_url, legacy_key, events, "rotate-key") == EXIT_OK
        assert capsys.readouterr().out.strip() == "r2"
        assert events[-1][0] == "patients-key-rotated" and events[-1][1]["key_id"] == "r2"
        ring = json.loads(legacy_key.read_text())
        assert ring["active"] == "r2" and bytes.fromhex(ring["keys"]["r1"]) == old_key
        new_key = bytes.fromhex(ring["keys"]["r2"])

        for roster, registry in zip(nodes, registries, strict=True):
            _matches_everything(roster, registry)
        # A node opened before the rotation stores under the new key and the other finds it.
        assert nodes[0].import_csv(write_csv(tmp_path, NEW_PATIENT, "new.csv")).applied
        assert _stored_under(nodes[1], new_key, "R-200")
        assert nodes[1].by_mrn("900") == "R-200"

        assert _cli(pg_url, legacy_key, events, "rehash", str(roster_file)) == EXIT_OK
        out = capsys.readouterr().out
        assert "4 entries hashed under r2, 1 consent(s) moved to it" in out
        assert "1 roster entries and 0 consent(s) on them were not in" in out
        assert events[-1] == (
            "patients-rehashed",
            {
                "key_id": "r2",
                "entries": 4,
                "consents_moved": 1,
                "entries_left": 1,
                "consents_left": 0,
            },
        )

        KeyFile(legacy_key, ROSTER_KEY).retire("r1")
        for roster, registry in zip(nodes, registries, strict=True):
            _matches_everything(roster, registry)
            assert roster.by_mrn("900") == "R-200"


def test_roster_key_changes_refused_without_audit(
    tmp_path: Path, pg_url: str, legacy_key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no audit hook to record them, neither rotate-key nor rehash changes anything."""
    before = legacy_key.read_bytes()
    assert _cli(pg_url, legacy_key, None, "rotate-key") == EXIT_ERROR
    assert "no audit hook" in capsys.readouterr().err
    roster_file = write_csv(tmp_path, ROSTER_CSV)
    assert _cli(pg_url, legacy_key, None, "rehash", str(roster_file)) == EXIT_ERROR
    assert "no audit hook" in capsys.readouterr().err
    assert legacy_key.read_bytes() == before
    with closing(PatientRoster(pg_url, legacy_key)) as roster:
        assert roster.count() == 0
