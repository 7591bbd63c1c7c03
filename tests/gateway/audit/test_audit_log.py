"""AuditLog basics: keys, keyed hashes, append/records, migrations, anchor, PHI refusal."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import stat
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from gateway.audit import AuditEntryRejected, AuditLog
from gateway.audit.anchor import AnchorFile
from gateway.audit.keys import KeyFile
from gateway.storage.migrate import migrations_dir
from tests.support.audit import BASE_TS, fill, make_entry, ref, summary

SENDER = "Dr.Who@Clinic.Example"


def test_key_file_is_created_private_with_one_key(
    audit_log: AuditLog, audit_key_file: Path
) -> None:
    """Opening a log without a key file creates a 0600 JSON key file with one 32-byte key."""
    doc = json.loads(audit_key_file.read_text())
    assert doc["active"] == "k1"
    assert list(doc["keys"]) == ["k1"]
    assert len(bytes.fromhex(doc["keys"]["k1"])) == 32
    assert stat.S_IMODE(audit_key_file.stat().st_mode) == 0o600


def test_existing_key_file_is_kept(tmp_path: Path) -> None:
    """A second log on the same key file reuses the key rather than making a new one."""
    key_file = tmp_path / "k" / "audit.key"
    first = AuditLog(f"sqlite:///{tmp_path}/a.db", key_file)
    before = key_file.read_bytes()
    second = AuditLog(f"sqlite:///{tmp_path}/b.db", key_file)
    assert key_file.read_bytes() == before
    assert first.keyed_hash(SENDER) == second.keyed_hash(SENDER)
    first.close()
    second.close()


def test_keyed_hash_is_keyed_lowercased_and_uses_a_subkey(
    audit_log: AuditLog, audit_key_file: Path, tmp_path: Path
) -> None:
    """The sender hash ignores case, is not a plain or master-key HMAC, and depends on the key."""
    master = bytes.fromhex(json.loads(audit_key_file.read_text())["keys"]["k1"])
    h = audit_log.keyed_hash(SENDER)
    assert h == audit_log.keyed_hash(SENDER.lower())
    assert len(h) == 64 and int(h, 16) >= 0
    assert h != hashlib.sha256(SENDER.lower().encode()).hexdigest()
    assert h != hmac.new(master, SENDER.lower().encode(), hashlib.sha256).hexdigest()
    other = AuditLog(f"sqlite:///{tmp_path}/other.db", tmp_path / "other" / "audit.key")
    try:
        assert other.keyed_hash(SENDER) != h
    finally:
        other.close()


def test_append_returns_consecutive_seqs_and_records_round_trip(audit_log: AuditLog) -> None:
    """Appends number records 1, 2, 3 and records() returns them newest first, fields intact."""
    assert [audit_log.append(make_entry(audit_log, i)) for i in (1, 2, 3)] == [1, 2, 3]
    rows = audit_log.records(limit=2)
    assert [r["seq"] for r in rows] == [3, 2]
    newest = rows[0]
    assert newest["ref_id"] == ref(3)
    assert datetime.fromisoformat(newest["ts"]) == BASE_TS.replace(second=3)
    assert newest["message_id"] == "<3.test@clinic.example>"
    assert newest["recipient_domains"] == ["lab.example", "insurer.example"]
    assert newest["size"] == 1003
    assert newest["stages"][2] == {
        "stage": "policy",
        "outcome": "encrypt",
        "reason": "rule phi-external",
    }
    assert newest["action"] == "encrypt"
    assert newest["next_hop_reply"] == "250 2.0.0 Ok: queued as Q3"
    assert newest["timings"] == {"parse": 0.5, "detect": 12.25, "policy": 0.125}
    assert newest["findings_summary"] == {"US_SSN": 1, "PERSON": 2}
    assert newest["key_id"] == "k1"
    assert newest["prev_mac"] == rows[1]["mac"]


def test_records_hold_no_raw_sender(audit_log: AuditLog) -> None:
    """No stored column holds the sender address, in any case."""
    fill(audit_log, 3)
    with audit_log.engine.connect() as conn:
        dump = repr(conn.execute(sa.text("SELECT * FROM audit_records")).all()).lower()
    assert "dr.who" not in dump
    assert audit_log.keyed_hash(SENDER) in dump


@pytest.mark.parametrize(
    ("changes", "leak"),
    [
        ({"ts": datetime(2026, 11, 28, 9, 0)}, None),
        ({"sender_hash": "dr.who@clinic.example"}, "dr.who@clinic.example"),
        ({"recipient_domains": ("jane.doe@lab.example",)}, "jane.doe@lab.example"),
        ({"recipient_domains": "lab.example"}, None),
        ({"stages": ({"stage": "detect", "matched_text": "123-45-6789"},)}, "123-45-6789"),
        ({"findings_summary": {"US_SSN": {"text": "123-45-6789"}}}, "123-45-6789"),
        ({"timings": {"parse": math.nan}}, None),
        ({"timings": {"parse": "fast"}}, None),
        ({"size": -1}, None),
        ({"stages": ({"stage": "parse", "when": datetime(2026, 1, 1)},)}, None),
    ],
)
def test_unsafe_or_malformed_entries_are_refused(
    audit_log: AuditLog, changes: dict[str, object], leak: str | None
) -> None:
    """Entries that could carry PHI or break the canonical form are refused, without echoing it."""
    with pytest.raises(AuditEntryRejected) as info:
        audit_log.append(make_entry(audit_log, 1, **changes))
    assert info.value.code == "audit-entry-rejected"
    if leak is not None:
        assert leak not in str(info.value)
    assert audit_log.records() == []


def test_rotation_keeps_old_records_verifiable(audit_log: AuditLog, audit_key_file: Path) -> None:
    """After rotate_key, new records use the new key and records under the old one still verify."""
    fill(audit_log, 2)
    assert audit_log.rotate_key() == "k2"
    audit_log.append(make_entry(audit_log, 3))
    doc = json.loads(audit_key_file.read_text())
    assert doc["active"] == "k2" and set(doc["keys"]) == {"k1", "k2"}
    assert stat.S_IMODE(audit_key_file.stat().st_mode) == 0o600
    assert [r["key_id"] for r in audit_log.records()] == ["k2", "k1", "k1"]
    report = audit_log.verify()
    assert (report.ok, report.checked) == (True, 3)


def test_rotation_by_another_process_is_picked_up(
    audit_log: AuditLog, audit_key_file: Path
) -> None:
    """A rotation done through another handle on the key file applies to this log's next append."""
    fill(audit_log, 1)
    assert KeyFile(audit_key_file).rotate() == "k2"
    audit_log.append(make_entry(audit_log, 2))
    assert audit_log.records(limit=1)[0]["key_id"] == "k2"
    assert audit_log.verify().ok


def test_anchor_holds_latest_seq_and_mac(audit_log: AuditLog, audit_key_file: Path) -> None:
    """Each append leaves the anchor file naming the newest record, 0600, with no temp files."""
    fill(audit_log, 3)
    anchor_path = audit_key_file.with_name("audit.anchor")
    doc = json.loads(anchor_path.read_text())
    newest = audit_log.records(limit=1)[0]
    assert (doc["seq"], doc["mac"], doc["ref_id"]) == (3, newest["mac"], ref(3))
    assert stat.S_IMODE(anchor_path.stat().st_mode) == 0o600
    assert not [p for p in anchor_path.parent.iterdir() if p.name.endswith(".tmp")]


def test_anchor_never_moves_backwards(audit_log: AuditLog, audit_key_file: Path) -> None:
    """A slower writer finishing an older seq does not pull the anchor back."""
    fill(audit_log, 3)
    anchor = AnchorFile(audit_key_file.with_name("audit.anchor"))
    ring = KeyFile(audit_key_file).ring()
    anchor.advance(ring, 2, "00" * 32, ref(2))
    current = anchor.read()
    assert current is not None and current.seq == 3
    assert audit_log.verify().ok


def test_anchor_failure_does_not_fail_a_committed_append(
    audit_db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """If the anchor cannot be written the append still returns its seq, logs it, and verify says so."""
    anchor_path = tmp_path / "anchor-is-a-dir"
    anchor_path.mkdir()
    log = AuditLog(audit_db_url, tmp_path / "audit.key", anchor_file=anchor_path)
    try:
        assert log.append(make_entry(log, 1)) == 1
        assert "audit anchor not updated (seq 1)" in caplog.text
        problems = log.verify().problems
    finally:
        log.close()
    assert [(p.seq, p.kind) for p in problems] == [(1, "truncated")]
    assert "cannot be trusted" in problems[0].detail


def test_migrations_are_idempotent(audit_db_url: str, audit_key_file: Path) -> None:
    """Opening the log again runs upgrade head without changes and keeps the records."""
    first = AuditLog(audit_db_url, audit_key_file)
    fill(first, 2)
    first.close()
    second = AuditLog(audit_db_url, audit_key_file)
    try:
        with second.engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT version_num FROM audit_alembic_version")).all()
        assert [v[0] for v in versions] == ["0002_audit_nodes"]
        assert second.append(make_entry(second, 3)) == 3
        assert second.verify().ok
    finally:
        second.close()


def test_migrations_are_found_through_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Alembic scripts are located from the package, so any working directory works."""
    assert (migrations_dir() / "alembic.ini").is_file()
    assert (migrations_dir() / "versions" / "audit" / "0001_audit_initial.py").is_file()
    monkeypatch.chdir(tmp_path)
    log = AuditLog("sqlite:///var/nested/audit.db", Path("var/keys/audit.key"))
    try:
        fill(log, 1)
    finally:
        log.close()
    assert (tmp_path / "var" / "nested" / "audit.db").is_file()


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    """The embedded SQLite database runs in WAL mode with a busy timeout."""
    log = AuditLog(f"sqlite:///{tmp_path}/var/audit.db", tmp_path / "audit.key")
    try:
        with log.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert (conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 1000
    finally:
        log.close()


def test_verify_reads_a_log_written_by_another_handle(
    audit_db_url: str, audit_key_file: Path
) -> None:
    """A fresh handle verifies what an earlier one wrote, and spots a tail cut made later."""
    writer = AuditLog(audit_db_url, audit_key_file)
    fill(writer, 4)
    writer.close()
    reader = AuditLog(audit_db_url, audit_key_file)
    try:
        assert reader.verify().ok
        with reader.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM audit_records WHERE seq = 4"))
        assert summary(reader) == [(4, ref(4), "truncated")]
    finally:
        reader.close()
