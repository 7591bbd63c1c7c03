"""What lookups found and did not find, remembered in one JSON file.

    {"version": 1,
     "found": {"pgp:HASH": {"source": "wkd", "detail": URL, "fingerprint": ..., "at": iso}},
     "missing": {"smime:HASH": {"until": iso, "reason": "..."}}}

HASH is the SHA-256 of the lower-cased address (recipients may be patients; the file never
names them).

Found material itself lives where imported material lives (the certificate store, the gateway
keyring); this file records where it came from, and which addresses have nothing usable, so a
miss is not looked up again before `negative_ttl` runs out. A lookup that failed (timeout,
transport, DNSSEC bogus) is never recorded as missing. Written atomically (temp file, fsync,
rename, under an flock shared with the other worker processes); an unreadable file is treated as empty and rewritten, since it only saves lookups.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Clock = Callable[[], dt.datetime]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class FoundRecord:
    """Where one looked-up key or certificate came from, and when."""

    kind: str
    address: str
    source: str
    detail: str
    fingerprint: str
    at: str


class LookupCache:
    """The found/missing records of key lookups, in one JSON file."""

    def __init__(self, path: Path, *, clock: Clock = _utcnow) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Exclusive use of the file among threads and the gateway's worker processes."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {"version": 1, "found": {}, "missing": {}}
        if not isinstance(doc, dict):
            return {"version": 1, "found": {}, "missing": {}}
        doc.setdefault("found", {})
        doc.setdefault("missing", {})
        return doc

    def _write(self, doc: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".key-lookup.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=2, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @staticmethod
    def _key(kind: str, address: str) -> str:
        # Recipients may be patients: the file names them only by a hash of kind and address.
        digest = hashlib.sha256(f"phigate-key-lookup\0{address.strip().lower()}".encode())
        return f"{kind}:{digest.hexdigest()}"

    def missing(self, kind: str, address: str) -> str | None:
        """Why `address` has no `kind` key, while the negative entry lasts; else None."""
        entry = self._read()["missing"].get(self._key(kind, address))
        if not isinstance(entry, dict):
            return None
        try:
            until = dt.datetime.fromisoformat(str(entry["until"]))
        except (KeyError, ValueError):
            return None
        return str(entry.get("reason", "")) if self._clock() < until else None

    def remember_missing(self, kind: str, address: str, reason: str, ttl: float) -> None:
        """Record that nothing usable was found, for `ttl` seconds."""
        if ttl <= 0:
            return
        until = self._clock() + dt.timedelta(seconds=ttl)
        with self._locked():
            doc = self._read()
            doc["missing"][self._key(kind, address)] = {
                "until": until.isoformat(timespec="seconds"),
                "reason": reason,
            }
            self._write(doc)

    def remember_found(self, record: FoundRecord) -> None:
        """Record where a key now in the store or keyring came from (drops a negative entry)."""
        with self._locked():
            doc = self._read()
            key = self._key(record.kind, record.address)
            doc["missing"].pop(key, None)
            doc["found"][key] = {
                "source": record.source,
                "detail": record.detail,
                "fingerprint": record.fingerprint,
                "at": record.at,
            }
            self._write(doc)

    def found(self, kind: str, address: str) -> FoundRecord | None:
        """Where the looked-up `kind` key of `address` came from, if one was found."""
        entry = self._read()["found"].get(self._key(kind, address))
        if not isinstance(entry, dict):
            return None
        return FoundRecord(
            kind,
            address.strip().lower(),
            str(entry.get("source", "")),
            str(entry.get("detail", "")),
            str(entry.get("fingerprint", "")),
            str(entry.get("at", "")),
        )

    def forget(self, kind: str, address: str) -> None:
        """Drop the negative entry of `address` (the CLI's fresh lookup)."""
        with self._locked():
            doc = self._read()
            if doc["missing"].pop(self._key(kind, address), None) is not None:
                self._write(doc)

    def now(self) -> dt.datetime:
        """The cache's clock."""
        return self._clock()
