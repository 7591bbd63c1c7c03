"""The roster's HMAC keys: one 0600 file kept apart from the database (e.g. var/keys/roster.key).

Every stored identifier is HMAC-SHA256(key, kind || 0x00 || normalised value). Losing the
file makes the stored hashes useless; that is the point: a stolen database alone cannot be
matched against a list of names.

The file is a key ring (``{"active": "r2", "keys": {"r1": "<hex>", "r2": "<hex>"}}``, see
gateway.storage.keyfiles); a file of one hex line, as earlier versions wrote it, is a ring of
that one key, called r1. Rotation works with nodes running because nothing needs the old key
to be gone at once:

- `phigate patients rotate-key` adds a key and makes it active. Every process re-reads the
  file when it changes, so new imports and consents are hashed under the new key at once.
- Lookups hash the value under every key in the ring and match any of the digests, so a
  stored hash made under an older key still matches (a digest says nothing about its key,
  and HMAC digests under two keys do not collide).
- The stored hashes cannot be recomputed from the database (it holds no clear values), so
  `phigate patients rehash FILE` re-imports the roster export under the active key and moves
  the consents of every address in it to the active key's hash. An entry or a consent left
  out keeps matching through its old key, which therefore stays in the ring.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from gateway.patients.errors import RosterKeyError
from gateway.storage.keyfiles import MIN_KEY_BYTES, KeyFile, KeyKind, KeyRing

LEGACY_KEY_ID = "r1"


@dataclass(frozen=True)
class RosterKeyKind(KeyKind):
    """The roster's key file: a key ring, or one hex line (the ring of key r1)."""

    def parse(self, data: bytes, source: Path) -> KeyRing:
        """See KeyKind; a file that is not JSON is read as one hex key, id r1."""
        if data.lstrip().startswith(b"{"):
            try:
                json.loads(data)
            except ValueError:
                pass
            else:
                return super().parse(data, source)
        try:
            key = bytes.fromhex(data.decode("ascii").strip())
        except (UnicodeDecodeError, ValueError) as exc:
            raise self.error(f"{self.label} {source} is unreadable or malformed: {exc}") from None
        if len(key) < MIN_KEY_BYTES:
            raise self.error(f"{self.label} {source} holds fewer than {MIN_KEY_BYTES} bytes")
        return KeyRing(active=LEGACY_KEY_ID, keys=MappingProxyType({LEGACY_KEY_ID: key}))


ROSTER_KEY = RosterKeyKind(name="roster key", id_prefix="r", error=RosterKeyError)


def _check_private(path: Path) -> None:
    if os.stat(path).st_mode & 0o077:
        raise RosterKeyError(f"roster key file {path} is readable by group or others; chmod 600")


def roster_key_file(path: Path) -> KeyFile:
    """The roster key file at `path`, created (0600, directory 0700) with one key if missing."""
    keys = KeyFile(Path(path), ROSTER_KEY)
    keys.ensure()
    _check_private(keys.path)
    return keys


def load_or_create_key(path: Path) -> bytes:
    """The active roster key from `path`, creating the file when it is missing."""
    return roster_key_file(path).ring().active_key


def _keyed(key: bytes, kind: str) -> hmac.HMAC:
    """HMAC-SHA256 under ``key`` that has read the kind and its separator: update it with the
    normalised identifier (kinds are kept apart, so a name never hashes like an MRN)."""
    return hmac.new(key, kind.encode() + b"\x00", hashlib.sha256)


class IdentifierHasher:
    """Keyed hashes of normalised identifiers, separated by kind (name, dob, mrn, email).

    It reads the ring from its key file on each use (re-read only when the file changed), so a
    rotation reaches a running process at its next hash.
    """

    def __init__(self, keys: KeyFile) -> None:
        self._keys = keys

    def digest(self, kind: str, normalised: str) -> str:
        """The hex HMAC-SHA256 of one normalised identifier under the active key (for storing)."""
        return self._mac(self._keys.ring().active_key, kind, normalised)

    def digests(self, kind: str, normalised: str) -> tuple[str, ...]:
        """The identifier's digest under every key of the ring, the active one first (for
        matching what any of them stored)."""
        return self.digests_many(kind, (normalised,))[normalised]

    def digests_many(self, kind: str, values: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """`digests` of many normalised identifiers of one kind: the ring is read once and each
        key's HMAC state is made once (a message's names and dates of birth are hundreds of pairs
        in a table, and reading the ring and keying HMAC per pair was most of their cost)."""
        ring = self._keys.ring()
        others = [k for key_id, k in sorted(ring.keys.items()) if key_id != ring.active]
        keyed = [_keyed(k, kind) for k in (ring.active_key, *others)]
        out: dict[str, tuple[str, ...]] = {}
        for value in values:
            if value in out:
                continue
            data = value.encode()
            digests = []
            for mac in keyed:
                one = mac.copy()
                one.update(data)
                digests.append(one.hexdigest())
            out[value] = tuple(digests)
        return out

    @staticmethod
    def _mac(key: bytes, kind: str, normalised: str) -> str:
        mac = _keyed(key, kind)
        mac.update(normalised.encode())
        return mac.hexdigest()
