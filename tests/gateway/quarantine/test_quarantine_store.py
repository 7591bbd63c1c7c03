"""The encrypted quarantine: nothing readable at rest, fail closed on any key or data mismatch."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from gateway.quarantine import (
    DELETED,
    HELD,
    RELEASED,
    QuarantineError,
    QuarantineIntegrityError,
    QuarantineKeyError,
    QuarantineNotFound,
    QuarantineStateError,
    QuarantineStore,
)
from tests.support.quarantine import (
    PLANTED,
    RAW,
    RECIPIENT,
    RECIPIENTS,
    SENDER,
    T0,
    put,
    row,
    update_row,
)

REPO = Path(__file__).resolve().parents[3]


def test_round_trip(store: QuarantineStore) -> None:
    """get() returns the original bytes, sender and full recipients, plus the metadata."""
    entry_id = put(store)
    held = store.get(entry_id)
    assert held.raw == RAW
    assert held.mail_from == SENDER
    assert held.recipients == RECIPIENTS
    meta = held.meta
    assert meta["id"] == entry_id
    assert meta["ref_id"] == "PG-20261128-TESTREF1"
    assert meta["status"] == HELD
    assert meta["created"] == T0
    assert meta["expires"] == T0 + timedelta(days=30)
    assert meta["recipient_domains"] == ["gmail.example", "lab.example"]
    assert meta["recipient_count"] == 2
    assert meta["entities"] == {"US_SSN": 1, "PERSON": 2}
    assert meta["size"] == len(RAW)
    assert meta["rule"] == "phi-to-external"
    assert meta["key_id"] == "q1"


def test_ciphertext_at_rest_holds_no_plaintext(store: QuarantineStore) -> None:
    """No stored column, encrypted or not, contains the message, its PHI or the recipient."""
    entry_id = put(store)
    stored = row(store, entry_id)
    assert stored["ciphertext"] is not None and len(stored["ciphertext"]) > len(RAW)
    assert len(stored["wrapped_key"]) == 40  # RFC 3394: a 32-byte key plus 8 bytes of IV
    for column, value in stored.items():
        blob = value if isinstance(value, bytes) else str(value).encode()
        for secret in (*PLANTED, "potassium"):
            assert secret.encode() not in blob, column
    assert b"Content-Type" not in stored["ciphertext"]


def test_sqlite_files_hold_no_plaintext(tmp_path: Path, master_key_file: Path) -> None:
    """On SQLite, the database and its WAL on disk contain none of the planted values."""
    store = QuarantineStore(f"sqlite:///{tmp_path}/q.db", master_key_file)
    try:
        put(store)
        on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("q.db*"))
    finally:
        store.close()
    assert len(on_disk) > len(RAW)
    for secret in PLANTED:
        assert secret.encode() not in on_disk


def test_metadata_listing_has_no_phi(store: QuarantineStore) -> None:
    """list() shows domains, counts and entity types, never addresses, subject or values."""
    put(store)
    [meta] = store.list()
    dumped = json.dumps(meta, default=str)
    for secret in PLANTED:
        assert secret not in dumped
    assert "lab@lab.example" not in dumped


def test_summary_with_text_keys_refused(store: QuarantineStore) -> None:
    """A summary carrying a key like matched_text is refused before anything is stored."""
    with pytest.raises(QuarantineError, match="matched_text"):
        put(store, summary={"entities": {"US_SSN": 1}, "hits": [{"matched_text": "x"}]})
    assert store.list() == []


def test_master_key_file_created_private(store: QuarantineStore, master_key_file: Path) -> None:
    """The master key file is created 0600 in the audit key's JSON format."""
    assert stat.S_IMODE(master_key_file.stat().st_mode) == 0o600
    doc = json.loads(master_key_file.read_text())
    assert doc["active"] == "q1"
    assert len(bytes.fromhex(doc["keys"]["q1"])) == 32


@pytest.mark.parametrize(
    ("key_id", "names"),
    [
        # Another key under the same id: it does not unwrap the entry's data key.
        ("q1", "{entry_id}.*does not unwrap"),
        # Only a key under another id: the error names the missing id and the file.
        ("q2", "master key q1.*{key_file}"),
    ],
    ids=["wrong-key", "missing-key-id"],
)
def test_a_master_key_that_does_not_open_fails_closed(
    store: QuarantineStore, quarantine_db_url: str, tmp_path: Path, key_id: str, names: str
) -> None:
    """A key file without the entry's master key is a clear QuarantineKeyError, no plaintext."""
    entry_id = put(store)
    other_file = tmp_path / f"{key_id}.key"
    other_file.write_text(json.dumps({"active": key_id, "keys": {key_id: os.urandom(32).hex()}}))
    other = QuarantineStore(quarantine_db_url, other_file)
    try:
        with pytest.raises(
            QuarantineKeyError, match=names.format(entry_id=entry_id, key_file=other_file)
        ) as info:
            other.get(entry_id)
    finally:
        other.close()
    assert info.value.code == "quarantine-key-invalid"


@pytest.mark.parametrize(
    "content",
    ['{"active": "q1"}', "not json", '{"active": "q9", "keys": {"q1": "00"}}', ""],
)
def test_malformed_key_file_names_it(quarantine_db_url: str, tmp_path: Path, content: str) -> None:
    """A malformed master key file stops the store with an error naming the file."""
    bad = tmp_path / "bad.key"
    bad.write_text(content)
    with pytest.raises(QuarantineKeyError, match=str(bad)):
        QuarantineStore(quarantine_db_url, bad)


def flip(data: bytes, at: int) -> bytes:
    """`data` with one bit of byte `at` flipped."""
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


@pytest.mark.parametrize("where", [0, 100, -1])
def test_tampered_ciphertext_fails(store: QuarantineStore, where: int) -> None:
    """One flipped bit anywhere in the ciphertext (or its GCM tag) is an integrity error."""
    entry_id = put(store)
    ct = row(store, entry_id)["ciphertext"]
    update_row(store, entry_id, ciphertext=flip(ct, where % len(ct)))
    with pytest.raises(QuarantineIntegrityError, match=f"{entry_id}.*authentication failed"):
        store.get(entry_id)


def test_tampered_nonce_fails(store: QuarantineStore) -> None:
    """A changed nonce is an integrity error."""
    entry_id = put(store)
    update_row(store, entry_id, nonce=flip(row(store, entry_id)["nonce"], 0))
    with pytest.raises(QuarantineIntegrityError):
        store.get(entry_id)


def test_tampered_wrapped_key_fails(store: QuarantineStore) -> None:
    """A changed wrapped key does not unwrap (AES key wrap's own check)."""
    entry_id = put(store)
    update_row(store, entry_id, wrapped_key=flip(row(store, entry_id)["wrapped_key"], 5))
    with pytest.raises(QuarantineKeyError, match="does not unwrap"):
        store.get(entry_id)


def test_ciphertext_moved_to_other_entry_fails(store: QuarantineStore) -> None:
    """Copying one entry's key, nonce and ciphertext onto another row fails: the AAD binds the id."""
    a = put(store)
    b = put(store, raw=b"Subject: other\r\n\r\nharmless\r\n")
    stolen = row(store, a)
    update_row(
        store,
        b,
        wrapped_key=stolen["wrapped_key"],
        nonce=stolen["nonce"],
        ciphertext=stolen["ciphertext"],
    )
    with pytest.raises(QuarantineIntegrityError, match=b):
        store.get(b)
    assert store.get(a).raw == RAW


def test_changed_ref_id_fails(store: QuarantineStore) -> None:
    """Rewriting the entry's ref id in metadata breaks the binding too."""
    entry_id = put(store)
    update_row(store, entry_id, ref_id="PG-20261128-OTHER999")
    with pytest.raises(QuarantineIntegrityError):
        store.get(entry_id)


def test_rotation_keeps_old_entries_readable(store: QuarantineStore, master_key_file: Path) -> None:
    """After rotation new entries use the new key and old ones still open with the old one."""
    old = put(store)
    assert store.rotate_master_key() == "q2"
    new = put(store)
    assert row(store, old)["key_id"] == "q1"
    assert row(store, new)["key_id"] == "q2"
    assert store.get(old).raw == RAW
    assert store.get(new).raw == RAW
    assert json.loads(master_key_file.read_text())["active"] == "q2"


def test_rewrap_then_retire_old_key(store: QuarantineStore, master_key_file: Path) -> None:
    """Rewrapping moves live entries to the new key; only then can the old key be retired."""
    a = put(store)
    b = put(store)
    store.delete(b)
    assert store.rotate_master_key() == "q2"
    with pytest.raises(QuarantineKeyError, match="still wraps 1"):
        store.retire_master_key("q1")
    with pytest.raises(QuarantineKeyError, match="active"):
        store.retire_master_key("q2")
    assert store.rewrap_all() == 1
    assert row(store, a)["key_id"] == "q2"
    store.retire_master_key("q1")
    assert set(json.loads(master_key_file.read_text())["keys"]) == {"q2"}
    assert store.get(a).raw == RAW


def test_rotate_with_rewrap(store: QuarantineStore) -> None:
    """rotate_master_key(rewrap=True) leaves no live entry under the old key."""
    a = put(store)
    new_id = store.rotate_master_key(rewrap=True)
    assert row(store, a)["key_id"] == new_id
    store.retire_master_key("q1")
    assert store.get(a).raw == RAW


def test_delete_crypto_shreds(store: QuarantineStore) -> None:
    """delete() drops the wrapped key and ciphertext, keeps PHI-free metadata, and cannot be undone."""
    entry_id = put(store)
    store.delete(entry_id)
    stored = row(store, entry_id)
    assert stored["wrapped_key"] is None
    assert stored["ciphertext"] is None
    assert stored["nonce"] is None
    assert stored["status"] == DELETED
    with pytest.raises(QuarantineStateError, match="deleted"):
        store.get(entry_id)
    with pytest.raises(QuarantineStateError):
        store.delete(entry_id)
    assert [m["id"] for m in store.list(status=DELETED)] == [entry_id]


def test_release_state(store: QuarantineStore) -> None:
    """A held entry can be marked released once; it stays readable until it expires."""
    entry_id = put(store)
    store.mark_released(entry_id)
    assert store.meta(entry_id)["status"] == RELEASED
    with pytest.raises(QuarantineStateError, match="released, not held"):
        store.mark_released(entry_id)
    assert store.get(entry_id).raw == RAW


def test_unknown_entry(store: QuarantineStore) -> None:
    """An unknown id is QuarantineNotFound for every operation."""
    for op in (store.get, store.meta, store.delete, store.mark_released):
        with pytest.raises(QuarantineNotFound):
            op("QNOSUCHENTRY2345")


def test_purge_expired(store: QuarantineStore) -> None:
    """purge_expired() shreds exactly the entries past retention, released ones included."""
    early = put(store, now=T0)
    released = put(store, now=T0 + timedelta(hours=1))
    store.mark_released(released, now=T0 + timedelta(hours=2))
    late = put(store, now=T0 + timedelta(days=20))
    assert store.purge_expired(T0 + timedelta(days=30) - timedelta(seconds=1)) == 0
    assert store.purge_expired(T0 + timedelta(days=30, hours=1)) == 2
    assert row(store, early)["ciphertext"] is None
    assert row(store, released)["ciphertext"] is None
    assert store.get(late).raw == RAW
    assert store.purge_expired(T0 + timedelta(days=30, hours=1)) == 0


def test_retention_from_config(quarantine_db_url: str, master_key_file: Path) -> None:
    """retention_days sets the expiry; zero days is refused."""
    store = QuarantineStore(quarantine_db_url, master_key_file, retention_days=7)
    try:
        entry_id = put(store)
        assert store.meta(entry_id)["expires"] == T0 + timedelta(days=7)
        assert store.purge_expired(T0 + timedelta(days=7)) == 1
    finally:
        store.close()
    with pytest.raises(QuarantineError, match="retention_days"):
        QuarantineStore(quarantine_db_url, master_key_file, retention_days=0)


def test_list_filters_and_orders(store: QuarantineStore) -> None:
    """list() is newest first, filters by status and honours the limit."""
    ids = [put(store, now=T0 + timedelta(minutes=i)) for i in range(4)]
    store.mark_released(ids[1])
    assert [m["id"] for m in store.list()] == ids[::-1]
    assert [m["id"] for m in store.list(status=HELD)] == [ids[3], ids[2], ids[0]]
    assert [m["id"] for m in store.list(status=RELEASED)] == [ids[1]]
    assert len(store.list(limit=2)) == 2
    with pytest.raises(QuarantineError, match="unknown status"):
        store.list(status="gone")


def test_put_is_durable_for_another_process(
    store: QuarantineStore, quarantine_db_url: str, master_key_file: Path
) -> None:
    """Once put() returns, a separate process opens the entry (the transaction committed)."""
    entry_id = put(store)
    code = (
        "import sys; from pathlib import Path; from gateway.quarantine import QuarantineStore;"
        "s = QuarantineStore(sys.argv[1], Path(sys.argv[2]));"
        "h = s.get(sys.argv[3]); sys.stdout.write(','.join(h.recipients))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, quarantine_db_url, str(master_key_file), entry_id],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ",".join(RECIPIENTS)


def test_sqlite_commits_are_synchronous(tmp_path: Path, master_key_file: Path) -> None:
    """SQLite connections run in WAL with synchronous=FULL and secure_delete on."""
    store = QuarantineStore(f"sqlite:///{tmp_path}/q.db", master_key_file)
    try:
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 2
            assert conn.execute(sa.text("PRAGMA secure_delete")).scalar() == 1
    finally:
        store.close()


def test_recipients_need_the_key(store: QuarantineStore) -> None:
    """The full recipient address is only available through decryption."""
    entry_id = put(store)
    assert RECIPIENT in store.get(entry_id).recipients
    assert RECIPIENT not in json.dumps(store.meta(entry_id), default=str)
