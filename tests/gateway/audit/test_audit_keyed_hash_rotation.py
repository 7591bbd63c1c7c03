"""The keyed hash keeps its keyed HMACs between calls, and a key rotation replaces them."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from gateway.audit import AuditLog

SENDER = "Dr.Who@Clinic.Example"
PURPOSE = b"phigate/audit/sender-hash/v1"


def reference_hash(key_file: Path, key_id: str, value: str) -> str:
    """The sender hash as docs/audit.md defines it, computed from the key file's bytes."""
    master = bytes.fromhex(json.loads(key_file.read_text())["keys"][key_id])
    subkey = hmac.new(master, PURPOSE, hashlib.sha256).digest()
    return hmac.new(subkey, value.lower().encode(), hashlib.sha256).hexdigest()


def test_repeated_hashes_match_the_definition(audit_log: AuditLog, audit_key_file: Path) -> None:
    """Every call, not only the first, gives the HMAC under the active key's subkey."""
    expected = reference_hash(audit_key_file, "k1", SENDER)
    assert [audit_log.keyed_hash(SENDER) for _ in range(3)] == [expected] * 3
    other = "<123.abc@clinic.example>"
    assert audit_log.keyed_hash(other) == reference_hash(audit_key_file, "k1", other)


def test_rotation_switches_the_hash_to_the_new_subkey(
    audit_log: AuditLog, audit_key_file: Path
) -> None:
    """After rotate_key a hash made under the old subkey is never returned again."""
    before = audit_log.keyed_hash(SENDER)
    assert audit_log.rotate_key() == "k2"
    after = audit_log.keyed_hash(SENDER)
    assert after == reference_hash(audit_key_file, "k2", SENDER)
    assert after != before
    assert audit_log.keyed_hashes(SENDER) == {before, after}


def test_rotation_by_another_process_is_followed(
    audit_log: AuditLog, audit_key_file: Path, tmp_path: Path
) -> None:
    """A rotation written to the key file by another log (as `phigate audit rotate-key` does)
    changes this log's next hash, though this log had already hashed under the old key."""
    before = audit_log.keyed_hash(SENDER)
    with AuditLog(f"sqlite:///{tmp_path}/rotator.db", audit_key_file) as rotator:
        assert rotator.rotate_key() == "k2"
    after = audit_log.keyed_hash(SENDER)
    assert after == reference_hash(audit_key_file, "k2", SENDER)
    assert after != before
