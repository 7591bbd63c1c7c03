"""The quarantine master key ring: a 0600 JSON key file kept apart from the database.

Format, as for the audit key (see gateway.keyring):
``{"active": "q1", "keys": {"q1": "<64 hex digits>"}}``. Master keys only wrap per-message
data keys (AES key wrap, RFC 3394); they never touch message bytes themselves.
"""

from __future__ import annotations

from pathlib import Path

from gateway.quarantine.errors import QuarantineKeyError
from gateway.storage.keyfiles import KeyFile, KeyKind

__all__ = ["QUARANTINE_MASTER_KEY", "MasterKeyFile"]

QUARANTINE_MASTER_KEY = KeyKind(
    name="quarantine master key", id_prefix="q", error=QuarantineKeyError, exact_length=True
)


class MasterKeyFile(KeyFile):
    """The quarantine master key file: ids q1, q2, ..., 32-byte keys, QuarantineKeyError when bad."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, QUARANTINE_MASTER_KEY)
