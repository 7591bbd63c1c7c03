"""The roster's HMAC key: one 0600 file kept apart from the database (e.g. var/keys/roster.key).

Every stored identifier is HMAC-SHA256(key, kind || 0x00 || normalised value). The key cannot
be rotated in place: a new key means re-importing the roster and re-recording consents, so
losing the file makes the stored hashes useless (that is the point: a stolen database alone
cannot be matched against a list of names).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from gateway.patients.errors import RosterKeyError
from gateway.storage.keyfiles import KEY_BYTES, MIN_KEY_BYTES, create_private_file


def load_or_create_key(path: Path) -> bytes:
    """Read the key from `path`, creating the file (0600, directory 0700) when it is missing."""
    path = Path(path)
    create_private_file(path, lambda: (secrets.token_hex(KEY_BYTES) + "\n").encode())
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RosterKeyError(f"roster key file {path} is unreadable or malformed: {exc}") from None
    if len(key) < MIN_KEY_BYTES:
        raise RosterKeyError(f"roster key file {path} holds fewer than {MIN_KEY_BYTES} bytes")
    if os.stat(path).st_mode & 0o077:
        raise RosterKeyError(f"roster key file {path} is readable by group or others; chmod 600")
    return key


class IdentifierHasher:
    """Keyed hashes of normalised identifiers, separated by kind (name, dob, mrn, email)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def digest(self, kind: str, normalised: str) -> str:
        """The hex HMAC-SHA256 of one normalised identifier of the given kind."""
        msg = kind.encode() + b"\x00" + normalised.encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()
