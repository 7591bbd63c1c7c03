"""The audit HMAC key ring: a 0600 JSON key file kept apart from the log."""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from gateway.audit.errors import AuditKeyError

KEY_BYTES = 32

# Purpose labels for keys derived from a master key, so a MAC made for one use can
# never stand in for another (record MACs use the master key itself).
SENDER_HASH_PURPOSE = b"phigate/audit/sender-hash/v1"
ANCHOR_PURPOSE = b"phigate/audit/anchor/v1"


def derive_subkey(master: bytes, purpose: bytes) -> bytes:
    """Derive a purpose-bound subkey from a master key."""
    return hmac.new(master, purpose, hashlib.sha256).digest()


def write_private_file(path: Path, data: bytes) -> None:
    """Replace `path` atomically (temp file, fsync, rename) with a 0600 file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on `path` (created if missing) for the block."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@dataclass(frozen=True)
class KeyRing:
    """Audit keys by id, with the id new records are MACed under."""

    active: str
    keys: Mapping[str, bytes]

    def key(self, key_id: str) -> bytes | None:
        """The key for `key_id`, or None when the ring does not hold it."""
        return self.keys.get(key_id)

    @property
    def active_key(self) -> bytes:
        """The key new records are MACed under."""
        return self.keys[self.active]

    def to_json(self) -> bytes:
        """Serialise in the key-file format."""
        doc = {"active": self.active, "keys": {k: v.hex() for k, v in self.keys.items()}}
        return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def parse(cls, data: bytes, source: Path) -> KeyRing:
        """Parse a key file's bytes; raise AuditKeyError naming `source` when malformed."""
        try:
            doc = json.loads(data)
            active = doc["active"]
            raw = doc["keys"]
            if not isinstance(active, str) or not isinstance(raw, dict) or active not in raw:
                raise ValueError("'active' must name one of 'keys'")
            keys = {str(k): bytes.fromhex(v) for k, v in raw.items()}
        except (ValueError, KeyError, TypeError) as exc:
            raise AuditKeyError(f"audit key file {source} is malformed: {exc}") from None
        short = [k for k, v in keys.items() if len(v) < 16]
        if short:
            raise AuditKeyError(f"audit key file {source}: keys {short} are shorter than 16 bytes")
        return cls(active=active, keys=MappingProxyType(keys))


class KeyFile:
    """Loads, creates and rotates the key file, reloading it when another process changed it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._ring: KeyRing | None = None
        self._stamp: tuple[int, int] | None = None

    @property
    def _lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def ensure(self) -> KeyRing:
        """Create the key file with one fresh key if it does not exist, then load it."""
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with file_lock(self._lock_path):
                if not self.path.exists():
                    ring = KeyRing(active="k1", keys={"k1": secrets.token_bytes(KEY_BYTES)})
                    write_private_file(self.path, ring.to_json())
        return self.ring()

    def ring(self) -> KeyRing:
        """The current key ring, re-read if the file changed since the last read."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            raise AuditKeyError(f"audit key file {self.path} does not exist") from None
        stamp = (st.st_mtime_ns, st.st_ino)
        with self._lock:
            if self._ring is None or stamp != self._stamp:
                self._ring = KeyRing.parse(self.path.read_bytes(), self.path)
                self._stamp = stamp
            return self._ring

    def rotate(self) -> str:
        """Add a fresh key, make it active and return its id; old keys stay for verification."""
        with file_lock(self._lock_path):
            ring = KeyRing.parse(self.path.read_bytes(), self.path)
            n = len(ring.keys) + 1
            while f"k{n}" in ring.keys:
                n += 1
            new_id = f"k{n}"
            keys = dict(ring.keys)
            keys[new_id] = secrets.token_bytes(KEY_BYTES)
            write_private_file(self.path, KeyRing(active=new_id, keys=keys).to_json())
        self.ring()
        return new_id
