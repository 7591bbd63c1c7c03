"""The audit HMAC key ring: a 0600 JSON key file kept apart from the log (see gateway.storage.keyfiles)."""

from __future__ import annotations

from pathlib import Path

from gateway.audit.errors import AuditKeyError
from gateway.storage.keyfiles import KEY_BYTES, KeyKind, KeyRing, derive_subkey
from gateway.storage.keyfiles import KeyFile as _KeyFile

__all__ = [
    "ANCHOR_PURPOSE",
    "AUDIT_KEY",
    "KEY_BYTES",
    "SENDER_HASH_PURPOSE",
    "KeyFile",
    "KeyRing",
    "derive_subkey",
]

AUDIT_KEY = KeyKind(name="audit key", id_prefix="k", error=AuditKeyError)

# Purpose labels for keys derived from a master key, so a MAC made for one use can
# never stand in for another (record MACs use the master key itself).
SENDER_HASH_PURPOSE = b"phigate/audit/sender-hash/v1"
ANCHOR_PURPOSE = b"phigate/audit/anchor/v1"


class KeyFile(_KeyFile):
    """The audit key file: ids k1, k2, ..., keys of at least 16 bytes, AuditKeyError when bad."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, AUDIT_KEY)
