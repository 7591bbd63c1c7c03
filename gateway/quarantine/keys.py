"""The quarantine master key ring: a 0600 JSON key file kept apart from the database.

Format, as for the audit key: ``{"active": "q1", "keys": {"q1": "<64 hex digits>"}}``.
Master keys only wrap per-message data keys (AES key wrap, RFC 3394); they never touch
message bytes themselves.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from gateway.keyring import file_lock, write_private_file
from gateway.quarantine.errors import QuarantineKeyError

MASTER_KEY_BYTES = 32


@dataclass(frozen=True)
class MasterKeyRing:
    """Master keys by id, with the id new entries are wrapped under."""

    active: str
    keys: Mapping[str, bytes]

    @property
    def active_key(self) -> bytes:
        """The key new data keys are wrapped under."""
        return self.keys[self.active]

    def to_json(self) -> bytes:
        """Serialise in the key-file format."""
        doc = {"active": self.active, "keys": {k: v.hex() for k, v in self.keys.items()}}
        return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def parse(cls, data: bytes, source: Path) -> MasterKeyRing:
        """Parse a key file's bytes; raise QuarantineKeyError naming `source` when malformed."""
        try:
            doc = json.loads(data)
            active = doc["active"]
            raw = doc["keys"]
            if not isinstance(active, str) or not isinstance(raw, dict) or active not in raw:
                raise ValueError("'active' must name one of 'keys'")
            keys = {str(k): bytes.fromhex(v) for k, v in raw.items()}
        except (ValueError, KeyError, TypeError) as exc:
            raise QuarantineKeyError(
                f"quarantine master key file {source} is malformed: {exc}"
            ) from None
        bad = sorted(k for k, v in keys.items() if len(v) != MASTER_KEY_BYTES)
        if bad:
            raise QuarantineKeyError(
                f"quarantine master key file {source}: keys {bad} are not {MASTER_KEY_BYTES} bytes"
            )
        return cls(active=active, keys=MappingProxyType(keys))


class MasterKeyFile:
    """Loads, creates, rotates and retires master keys, re-reading the file when it changed."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._ring: MasterKeyRing | None = None
        self._stamp: tuple[int, int, int] | None = None

    @property
    def _lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def ensure(self) -> MasterKeyRing:
        """Create the key file (0600) with one fresh key if it does not exist, then load it."""
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with file_lock(self._lock_path):
                if not self.path.exists():
                    ring = MasterKeyRing(
                        active="q1", keys={"q1": secrets.token_bytes(MASTER_KEY_BYTES)}
                    )
                    write_private_file(self.path, ring.to_json())
        return self.ring()

    def ring(self) -> MasterKeyRing:
        """The current key ring, re-read if the file changed since the last read."""
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_ino, st.st_size)
            with self._lock:
                if self._ring is None or stamp != self._stamp:
                    self._ring = MasterKeyRing.parse(self.path.read_bytes(), self.path)
                    self._stamp = stamp
                return self._ring
        except FileNotFoundError:
            raise QuarantineKeyError(
                f"quarantine master key file {self.path} does not exist"
            ) from None
        except PermissionError:
            raise QuarantineKeyError(
                f"quarantine master key file {self.path} is not readable"
            ) from None

    def rotate(self) -> str:
        """Add a fresh key, make it active and return its id; old keys stay to open old entries."""
        with file_lock(self._lock_path):
            ring = MasterKeyRing.parse(self.path.read_bytes(), self.path)
            n = len(ring.keys) + 1
            while f"q{n}" in ring.keys:
                n += 1
            new_id = f"q{n}"
            keys = dict(ring.keys)
            keys[new_id] = secrets.token_bytes(MASTER_KEY_BYTES)
            write_private_file(self.path, MasterKeyRing(active=new_id, keys=keys).to_json())
        self.ring()
        return new_id

    def retire(self, key_id: str) -> None:
        """Remove a non-active key from the file (the caller checks that nothing uses it)."""
        with file_lock(self._lock_path):
            ring = MasterKeyRing.parse(self.path.read_bytes(), self.path)
            if key_id == ring.active:
                raise QuarantineKeyError(f"master key {key_id} is active and cannot be retired")
            if key_id not in ring.keys:
                raise QuarantineKeyError(f"master key {key_id} is not in {self.path}")
            keys = {k: v for k, v in ring.keys.items() if k != key_id}
            write_private_file(self.path, MasterKeyRing(active=ring.active, keys=keys).to_json())
        self.ring()
