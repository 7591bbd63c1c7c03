"""Key files with key ids: 0600 JSON files kept apart from the data their keys protect.

Format: ``{"active": "k1", "keys": {"k1": "<hex>", ...}}``. Rows and records name the key
id they were made under, so a rotation adds a key and makes it active while older ones
stay to verify or open what they made. The audit log, the quarantine and the portal each
keep such a file; a `KeyKind` says what a file is called in errors, how its key ids are
spelled and how long its keys must be.

Keys for one use are derived from a master key with `derive_subkey` and a purpose label,
so a MAC or hash made for one use can never stand in for another; `keyed_hash` is the hex
HMAC-SHA256 of a value under such a subkey (the sender hash of the audit log, the recipient
and code hashes of the portal).
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from gateway.model import PhigateError

KEY_BYTES = 32
MIN_KEY_BYTES = 16


def derive_subkey(master: bytes, purpose: bytes) -> bytes:
    """Derive a purpose-bound subkey from a master key (HMAC-SHA256 of the purpose label)."""
    return hmac.new(master, purpose, hashlib.sha256).digest()


def keyed_hash(master: bytes, purpose: bytes, value: str) -> str:
    """The hex HMAC-SHA256 of `value` (UTF-8) under the subkey of `master` for `purpose`."""
    return hmac.new(derive_subkey(master, purpose), value.encode(), hashlib.sha256).hexdigest()


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


def lock_path(path: Path) -> Path:
    """The lock file that serialises writers of `path` (`<name>.lock` beside it)."""
    return path.with_name(path.name + ".lock")


def create_private_file(path: Path, content: Callable[[], bytes]) -> None:
    """Create `path` (0600, in a 0700 directory) from `content()` unless it exists.

    Processes that start at once take turns on the lock file, so exactly one creates it and
    the others then find it.
    """
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with file_lock(lock_path(path)):
        if not path.exists():
            write_private_file(path, content())


@dataclass(frozen=True)
class KeyRing:
    """Keys by id, with the id new data is made under."""

    active: str
    keys: Mapping[str, bytes]

    def key(self, key_id: str) -> bytes | None:
        """The key for `key_id`, or None when the ring does not hold it."""
        return self.keys.get(key_id)

    @property
    def active_key(self) -> bytes:
        """The key new data is made under."""
        return self.keys[self.active]

    def to_json(self) -> bytes:
        """Serialise in the key-file format."""
        doc = {"active": self.active, "keys": {k: v.hex() for k, v in self.keys.items()}}
        return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


@dataclass(frozen=True)
class KeyKind:
    """One kind of key file: its name in errors, its key-id prefix and its key-length rule."""

    name: str
    """What errors call it, e.g. "audit key" (they then say "audit key file <path> ...")."""
    id_prefix: str
    """Key ids are this prefix and a number: k1, k2, ..."""
    error: type[PhigateError]
    """The exception raised for a missing, unreadable or malformed file."""
    exact_length: bool = False
    """Every key must be KEY_BYTES long; otherwise at least MIN_KEY_BYTES."""

    @property
    def label(self) -> str:
        """How errors name a file of this kind."""
        return f"{self.name} file"

    def parse(self, data: bytes, source: Path) -> KeyRing:
        """Parse a key file's bytes; raise `error` naming `source` when malformed."""
        try:
            doc = json.loads(data)
            active = doc["active"]
            raw = doc["keys"]
            if not isinstance(active, str) or not isinstance(raw, dict) or active not in raw:
                raise ValueError("'active' must name one of 'keys'")
            keys = {str(k): bytes.fromhex(v) for k, v in raw.items()}
        except (ValueError, KeyError, TypeError) as exc:
            raise self.error(f"{self.label} {source} is malformed: {exc}") from None
        if self.exact_length:
            bad = sorted(k for k, v in keys.items() if len(v) != KEY_BYTES)
            if bad:
                raise self.error(f"{self.label} {source}: keys {bad} are not {KEY_BYTES} bytes")
        else:
            short = [k for k, v in keys.items() if len(v) < MIN_KEY_BYTES]
            if short:
                raise self.error(
                    f"{self.label} {source}: keys {short} are shorter than {MIN_KEY_BYTES} bytes"
                )
        return KeyRing(active=active, keys=MappingProxyType(keys))

    def fresh(self, ring: KeyRing | None = None) -> KeyRing:
        """`ring` plus a new random key under the next free id, made active (a first one if None)."""
        keys = dict(ring.keys) if ring is not None else {}
        n = len(keys) + 1
        while f"{self.id_prefix}{n}" in keys:
            n += 1
        new_id = f"{self.id_prefix}{n}"
        keys[new_id] = secrets.token_bytes(KEY_BYTES)
        return KeyRing(active=new_id, keys=keys)


class KeyFile:
    """Loads, creates, rotates and retires keys, re-reading the file when another process changed it."""

    def __init__(self, path: Path, kind: KeyKind) -> None:
        self.path = Path(path)
        self.kind = kind
        self._lock = threading.Lock()
        self._ring: KeyRing | None = None
        self._stamp: tuple[int, int, int] | None = None

    def ensure(self) -> KeyRing:
        """Create the key file (0600) with one fresh key if it does not exist, then load it."""
        create_private_file(self.path, lambda: self.kind.fresh().to_json())
        return self.ring()

    def ring(self) -> KeyRing:
        """The current key ring, re-read if the file changed since the last read."""
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_ino, st.st_size)
            with self._lock:
                if self._ring is None or stamp != self._stamp:
                    self._ring = self.kind.parse(self.path.read_bytes(), self.path)
                    self._stamp = stamp
                return self._ring
        except FileNotFoundError:
            raise self.kind.error(f"{self.kind.label} {self.path} does not exist") from None
        except PermissionError:
            raise self.kind.error(f"{self.kind.label} {self.path} is not readable") from None

    def rotate(self) -> str:
        """Add a fresh key, make it active and return its id; old keys stay for what they made."""
        with file_lock(lock_path(self.path)):
            ring = self.kind.fresh(self.kind.parse(self.path.read_bytes(), self.path))
            write_private_file(self.path, ring.to_json())
        self.ring()
        return ring.active

    def retire(self, key_id: str) -> None:
        """Remove a non-active key from the file (the caller checks that nothing uses it)."""
        with file_lock(lock_path(self.path)):
            ring = self.kind.parse(self.path.read_bytes(), self.path)
            if key_id == ring.active:
                raise self.kind.error(f"{self.kind.name} {key_id} is active and cannot be retired")
            if key_id not in ring.keys:
                raise self.kind.error(f"{self.kind.name} {key_id} is not in {self.path}")
            keys = {k: v for k, v in ring.keys.items() if k != key_id}
            write_private_file(self.path, KeyRing(active=ring.active, keys=keys).to_json())
        self.ring()
