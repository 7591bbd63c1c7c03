"""Sealed message copies: AES-256-GCM under a fresh data key, wrapped by a master key with a key id.

The quarantine and the portal store each message this way. The plaintext that gets
encrypted is a small envelope, so the full recipient addresses needed to deliver it never
sit in clear metadata::

    b"PGQ1" | u32 length of JSON header | JSON {"mail_from": ..., "recipients": [...]} | raw bytes

The data key is wrapped with AES key wrap (RFC 3394) under the master key named by the row's
key id (see gateway.storage.keyfiles), so a rotation leaves older rows readable. The GCM
associated data binds the ciphertext to its row (a binding such as the entry id) and its
reference id, so a ciphertext copied onto another row does not open. The format, including
the `phigate/quarantine/v1` label of the associated data, is fixed: rows sealed by earlier
releases must keep opening.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from sqlalchemy.engine import Engine

from gateway.model import PhigateError
from gateway.storage.database import make_engine

DATA_KEY_BYTES = 32
NONCE_BYTES = 12
_MAGIC = b"PGQ1"
_AAD_LABEL = b"phigate/quarantine/v1"
# The row columns a sealed copy occupies; all are NULL once the row is crypto-shredded.
SEALED_COLUMNS = ("key_id", "wrapped_key", "nonce", "ciphertext")
SHREDDED: Mapping[str, None] = {name: None for name in SEALED_COLUMNS}


class SealedError(PhigateError):
    """A sealed copy cannot be opened."""

    code = "sealed-error"


class SealedKeyError(SealedError):
    """The master key does not unwrap the data key (wrong key, or the wrapped key was altered)."""

    code = "sealed-key-invalid"


class SealedIntegrityError(SealedError):
    """The ciphertext, nonce or binding was altered, or the envelope is not one we wrote."""

    code = "sealed-integrity"


@dataclass(frozen=True)
class Sealed:
    """What is stored at rest for one message: the wrapped data key, nonce and ciphertext."""

    key_id: str
    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes

    @classmethod
    def from_row(cls, row: Any) -> Sealed:
        """The sealed copy held in a row's `SEALED_COLUMNS`."""
        return cls(row.key_id, row.wrapped_key, row.nonce, row.ciphertext)

    def columns(self) -> dict[str, Any]:
        """The row values of `SEALED_COLUMNS` (the fields, by name)."""
        return asdict(self)


@dataclass(frozen=True)
class Opened:
    """A decrypted copy: the original bytes and the envelope needed to deliver them."""

    raw: bytes
    mail_from: str
    recipients: tuple[str, ...]


def sealed_columns() -> list[sa.Column[Any]]:
    """Fresh `SEALED_COLUMNS` for a store's table (nullable, so a row can be shredded)."""
    return [
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("nonce", sa.LargeBinary(), nullable=True),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
    ]


def make_sealed_store_engine(url: str) -> Engine:
    """The engine for a store of sealed messages (the quarantine, the portal).

    On SQLite, `synchronous=FULL` puts a commit on disk before a store's `put()` returns
    (the gateway then answers 250), and `secure_delete` overwrites freed pages, so shredded
    wrapped keys and ciphertext do not linger.
    """
    return make_engine(url, synchronous="FULL", secure_delete=True)


def associated_data(binding: str, ref_id: str) -> bytes:
    """The GCM associated data that ties a ciphertext to one row."""
    return b"\x00".join((_AAD_LABEL, binding.encode(), ref_id.encode()))


def seal(
    raw: bytes,
    *,
    mail_from: str,
    recipients: Sequence[str],
    binding: str,
    ref_id: str,
    key_id: str,
    master_key: bytes,
) -> Sealed:
    """Encrypt `raw` and its envelope under a fresh data key, and wrap that key."""
    header = json.dumps(
        {"mail_from": mail_from, "recipients": list(recipients)}, separators=(",", ":")
    ).encode()
    plaintext = b"".join((_MAGIC, struct.pack(">I", len(header)), header, raw))
    data_key = AESGCM.generate_key(bit_length=DATA_KEY_BYTES * 8)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, associated_data(binding, ref_id))
    return Sealed(key_id, aes_key_wrap(master_key, data_key), nonce, ciphertext)


def unwrap(wrapped_key: bytes, master_key: bytes, key_id: str) -> bytes:
    """The data key inside `wrapped_key`; SealedKeyError if `master_key` does not unwrap it."""
    try:
        return aes_key_unwrap(master_key, wrapped_key)
    except (InvalidUnwrap, ValueError):
        raise SealedKeyError(
            f"master key {key_id} does not unwrap its data key "
            "(wrong master key file, or the wrapped key was altered)"
        ) from None


def rewrap(wrapped_key: bytes, *, old_key: bytes, old_id: str, new_key: bytes) -> bytes:
    """`wrapped_key` moved from `old_key` to `new_key`; the ciphertext stays as it is."""
    return aes_key_wrap(new_key, unwrap(wrapped_key, old_key, old_id))


def open_sealed(sealed: Sealed, *, binding: str, ref_id: str, master_key: bytes) -> Opened:
    """Unwrap the data key and decrypt; fail closed (SealedKeyError, SealedIntegrityError)."""
    data_key = unwrap(sealed.wrapped_key, master_key, sealed.key_id)
    try:
        plaintext = AESGCM(data_key).decrypt(
            sealed.nonce, sealed.ciphertext, associated_data(binding, ref_id)
        )
    except (InvalidTag, ValueError):
        raise SealedIntegrityError(
            "authentication failed (ciphertext, nonce or entry binding was altered); "
            "refusing to open it"
        ) from None
    if plaintext[:4] != _MAGIC or len(plaintext) < 8:
        raise SealedIntegrityError("unknown envelope format")
    (length,) = struct.unpack(">I", plaintext[4:8])
    header = json.loads(plaintext[8 : 8 + length])
    return Opened(
        raw=plaintext[8 + length :],
        mail_from=str(header["mail_from"]),
        recipients=tuple(str(r) for r in header["recipients"]),
    )
