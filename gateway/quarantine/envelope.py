"""Sealing one quarantined message: AES-256-GCM under a fresh data key, wrapped by a master key.

The plaintext that gets encrypted is a small envelope, so the full recipient addresses
needed for release never sit in clear metadata::

    b"PGQ1" | u32 length of JSON header | JSON {"mail_from": ..., "recipients": [...]} | raw bytes

The GCM associated data binds the ciphertext to its entry id and reference id, so a
ciphertext copied onto another row does not open.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import (
    InvalidUnwrap,
    aes_key_unwrap,
    aes_key_wrap,
)

from gateway.quarantine.errors import QuarantineIntegrityError, QuarantineKeyError

DATA_KEY_BYTES = 32
NONCE_BYTES = 12
_MAGIC = b"PGQ1"
_AAD_LABEL = b"phigate/quarantine/v1"


@dataclass(frozen=True)
class Sealed:
    """What is stored at rest for one entry: the wrapped data key, nonce and ciphertext."""

    key_id: str
    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes


@dataclass(frozen=True)
class Opened:
    """A decrypted entry: the original bytes and the envelope needed to re-deliver them."""

    raw: bytes
    mail_from: str
    recipients: tuple[str, ...]


def associated_data(entry_id: str, ref_id: str) -> bytes:
    """The GCM associated data that ties a ciphertext to one entry."""
    return b"\x00".join((_AAD_LABEL, entry_id.encode(), ref_id.encode()))


def seal(
    raw: bytes,
    *,
    mail_from: str,
    recipients: Sequence[str],
    entry_id: str,
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
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, associated_data(entry_id, ref_id))
    return Sealed(key_id, aes_key_wrap(master_key, data_key), nonce, ciphertext)


def open_sealed(sealed: Sealed, *, entry_id: str, ref_id: str, master_key: bytes) -> Opened:
    """Unwrap the data key and decrypt; fail closed with a clear error on any mismatch."""
    try:
        data_key = aes_key_unwrap(master_key, sealed.wrapped_key)
    except (InvalidUnwrap, ValueError):
        raise QuarantineKeyError(
            f"quarantine entry {entry_id}: master key {sealed.key_id} does not unwrap its data key "
            "(wrong master key file, or the wrapped key was altered)"
        ) from None
    try:
        plaintext = AESGCM(data_key).decrypt(
            sealed.nonce, sealed.ciphertext, associated_data(entry_id, ref_id)
        )
    except (InvalidTag, ValueError):
        raise QuarantineIntegrityError(
            f"quarantine entry {entry_id}: authentication failed (ciphertext, nonce or entry "
            "binding was altered); refusing to open it"
        ) from None
    if plaintext[:4] != _MAGIC or len(plaintext) < 8:
        raise QuarantineIntegrityError(f"quarantine entry {entry_id}: unknown envelope format")
    (length,) = struct.unpack(">I", plaintext[4:8])
    header = json.loads(plaintext[8 : 8 + length])
    return Opened(
        raw=plaintext[8 + length :],
        mail_from=str(header["mail_from"]),
        recipients=tuple(str(r) for r in header["recipients"]),
    )
