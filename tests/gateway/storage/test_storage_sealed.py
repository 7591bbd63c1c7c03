"""Sealed message copies keep the on-disk format: rows sealed by earlier releases still open.

The vectors are built here with the `cryptography` library alone, following the documented
format (AES key wrap of a data key, AES-256-GCM over ``PGQ1 | u32 | JSON | raw`` with the
associated data ``phigate/quarantine/v1 NUL binding NUL ref``), not copied from our output.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap

from gateway.portal.schema import items
from gateway.portal.store import PortalStore
from gateway.quarantine.errors import QuarantineIntegrityError
from gateway.quarantine.schema import entries
from gateway.quarantine.store import QuarantineStore
from gateway.storage.keyfiles import keyed_hash
from gateway.storage.sealed import Sealed, SealedIntegrityError, open_sealed, seal
from tests.support.db import BACKENDS, database_url

MASTER = bytes(range(32))
DATA_KEY = bytes(range(100, 132))
NONCE = bytes.fromhex("0102030405060708090a0b0c")
RAW = b"From: dr.who@clinic.example\r\nSubject: labs\r\n\r\npotassium 5.9\r\n"
SENDER = "dr.who@clinic.example"
RECIPIENTS = ["pat@gmail.example", "lab@lab.example"]
REF = "PG-20261201-VECTOR01"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ENTRY_ID = "QVECTOR000000001"
ITEM_ID = "PVECTOR000000001"

# The columns of the old rows besides the sealed message, as the old code wrote them.
OLD_QUARANTINE_COLUMNS: dict[str, Any] = {
    "id": ENTRY_ID,
    "created": T0,
    "expires": T0 + timedelta(days=30),
    "sender_hash": "0" * 64,
    "recipient_domains": '["gmail.example","lab.example"]',
    "recipient_count": 2,
    "rule": "vector",
    "reason": "vector",
    "summary": "{}",
    "status": "held",
    "status_changed": None,
}
OLD_PORTAL_COLUMNS: dict[str, Any] = {
    "id": ITEM_ID,
    "token_hash": "1" * 64,
    "created": T0,
    "expires": T0 + timedelta(days=14),
    "recipient_hash": "2" * 64,
    "recipient_masked": "p***@gmail.example",
    "roster_id": None,
    "status": "unread",
    "views": 0,
    "first_read": None,
    "failed_codes": 0,
    "locked_until": None,
}


def old_format(binding: str, recipients: list[str]) -> tuple[bytes, bytes]:
    """(wrapped key, ciphertext) of RAW as the quarantine's envelope code sealed it."""
    header = json.dumps({"mail_from": SENDER, "recipients": recipients}, separators=(",", ":"))
    plaintext = b"PGQ1" + struct.pack(">I", len(header)) + header.encode() + RAW
    aad = b"phigate/quarantine/v1\x00" + binding.encode() + b"\x00" + REF.encode()
    return aes_key_wrap(MASTER, DATA_KEY), AESGCM(DATA_KEY).encrypt(NONCE, plaintext, aad)


def insert_old_row(
    engine: sa.Engine, table: sa.Table, binding: str, recipients: list[str], **columns: Any
) -> None:
    """Insert a row of `table` whose message is RAW sealed the old way for `binding`."""
    wrapped, ciphertext = old_format(binding, recipients)
    with engine.begin() as conn:
        conn.execute(
            table.insert().values(
                ref_id=REF,
                size=len(RAW),
                key_id="q1",
                wrapped_key=wrapped,
                nonce=NONCE,
                ciphertext=ciphertext,
                **columns,
            )
        )


def write_key_file(path: Path, key_id: str, key: bytes) -> Path:
    """A key file in the documented JSON format holding one active key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"active": key_id, "keys": {key_id: key.hex()}}))
    path.chmod(0o600)
    return path


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on SQLite or in a throw-away PostgreSQL schema."""
    with database_url(request.param, tmp_path, "sealed") as url:
        yield url


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    """The master key file, holding MASTER as key q1."""
    return write_key_file(tmp_path / "keys" / "master.key", "q1", MASTER)


def test_a_quarantine_row_sealed_by_the_old_code_opens(db_url: str, key_file: Path) -> None:
    """A quarantine entry written in the old format is opened, and still opens after a rewrap."""
    with closing(QuarantineStore(db_url, key_file)) as store:
        insert_old_row(store.engine, entries, ENTRY_ID, RECIPIENTS, **OLD_QUARANTINE_COLUMNS)
        held = store.get(ENTRY_ID)
        assert (held.raw, held.mail_from, held.recipients) == (RAW, SENDER, tuple(RECIPIENTS))
        store.rotate_master_key(rewrap=True)
        assert store.get(ENTRY_ID).raw == RAW


def test_a_portal_row_sealed_by_the_old_code_opens(db_url: str, key_file: Path) -> None:
    """A portal item written in the old format (binding `portal/<id>`) is opened."""
    with closing(PortalStore(db_url, key_file)) as store:
        insert_old_row(
            store.engine, items, f"portal/{ITEM_ID}", RECIPIENTS[:1], **OLD_PORTAL_COLUMNS
        )
        opened = store.get(ITEM_ID, now=T0)
        assert (opened.raw, opened.mail_from, opened.recipient) == (RAW, SENDER, RECIPIENTS[0])


def test_new_seals_are_in_the_documented_format() -> None:
    """What `seal` writes opens with the cryptography library and the documented layout."""
    sealed = seal(
        RAW,
        mail_from=SENDER,
        recipients=RECIPIENTS,
        binding="QNEW000000000001",
        ref_id=REF,
        key_id="q7",
        master_key=MASTER,
    )
    assert sealed.key_id == "q7"
    data_key = aes_key_unwrap(MASTER, sealed.wrapped_key)
    aad = b"phigate/quarantine/v1\x00QNEW000000000001\x00" + REF.encode()
    plaintext = AESGCM(data_key).decrypt(sealed.nonce, sealed.ciphertext, aad)
    (length,) = struct.unpack(">I", plaintext[4:8])
    assert plaintext[:4] == b"PGQ1"
    assert json.loads(plaintext[8 : 8 + length]) == {"mail_from": SENDER, "recipients": RECIPIENTS}
    assert plaintext[8 + length :] == RAW


def test_a_copy_moved_to_another_row_does_not_open() -> None:
    """The binding is part of the authenticated data: another row's id fails closed."""
    wrapped, ciphertext = old_format("QROW000000000001", RECIPIENTS)
    sealed = Sealed("q1", wrapped, NONCE, ciphertext)
    assert open_sealed(sealed, binding="QROW000000000001", ref_id=REF, master_key=MASTER).raw == RAW
    with pytest.raises(SealedIntegrityError, match="authentication failed"):
        open_sealed(sealed, binding="QROW000000000002", ref_id=REF, master_key=MASTER)


def test_the_quarantine_names_its_own_entry_when_a_copy_is_altered(
    db_url: str, tmp_path: Path
) -> None:
    """The store turns the sealed module's error into its own, naming the entry."""
    key_file = write_key_file(tmp_path / "keys" / "quarantine.key", "q1", MASTER)
    store = QuarantineStore(db_url, key_file)
    try:
        entry_id = store.put(
            RAW,
            ref_id=REF,
            sender_hash="0" * 64,
            recipients=RECIPIENTS,
            recipient_domains=["gmail.example"],
            rule="r",
            reason="r",
            summary={},
            mail_from=SENDER,
        )
        with store.engine.begin() as conn:
            conn.execute(entries.update().values(nonce=bytes(12)))
        with pytest.raises(QuarantineIntegrityError, match=f"{entry_id}: authentication failed"):
            store.get(entry_id)
    finally:
        store.close()


def test_keyed_hash_is_hmac_under_a_purpose_subkey() -> None:
    """keyed_hash = HMAC-SHA256(HMAC-SHA256(master, purpose), value), as the stores used it."""
    subkey = hmac.new(MASTER, b"phigate/portal/recipient-hash/v1", hashlib.sha256).digest()
    expected = hmac.new(subkey, b"pat@gmail.example", hashlib.sha256).hexdigest()
    assert keyed_hash(MASTER, b"phigate/portal/recipient-hash/v1", "pat@gmail.example") == expected
