"""The anchor file beside the key: the latest seq and MAC, itself MACed, to catch truncation."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from gateway.audit.entry import canonical_json
from gateway.audit.keys import ANCHOR_PURPOSE, KeyRing, derive_subkey
from gateway.storage.keyfiles import file_lock, lock_path, write_private_file


@dataclass(frozen=True)
class Anchor:
    """The newest record this host appended, as the anchor file holds it."""

    seq: int
    mac: str
    ref_id: str
    key_id: str
    anchor_mac: str

    @staticmethod
    def compute_mac(key: bytes, seq: int, mac: str, ref_id: str, key_id: str) -> str:
        """MAC the anchor's fields under the anchor subkey of `key`."""
        payload = canonical_json(["phigate-audit-anchor-v1", seq, mac, ref_id, key_id])
        subkey = derive_subkey(key, ANCHOR_PURPOSE)
        return hmac.new(subkey, payload.encode(), hashlib.sha256).hexdigest()

    def is_authentic(self, ring: KeyRing) -> bool:
        """Whether the anchor's own MAC holds under the key it names."""
        key = ring.key(self.key_id)
        if key is None:
            return False
        expected = self.compute_mac(key, self.seq, self.mac, self.ref_id, self.key_id)
        return hmac.compare_digest(expected, self.anchor_mac)


class AnchorUnreadable(ValueError):
    """The anchor file exists but is not a well-formed anchor."""


def _read_if_present(path: Path) -> bytes | None:
    """The file's bytes, or None when it does not exist; raise AnchorUnreadable if unreadable."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AnchorUnreadable(exc.strerror or type(exc).__name__) from None


class AnchorFile:
    """Reads and advances the anchor file; it only ever moves forward."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> Anchor | None:
        """The anchor, or None when the file does not exist; raise AnchorUnreadable if garbled."""
        data = _read_if_present(self.path)
        if data is None:
            return None
        try:
            doc = json.loads(data)
            anchor = Anchor(
                seq=int(doc["seq"]),
                mac=str(doc["mac"]),
                ref_id=str(doc["ref_id"]),
                key_id=str(doc["key_id"]),
                anchor_mac=str(doc["anchor_mac"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise AnchorUnreadable(str(exc)) from None
        return anchor

    def advance(self, ring: KeyRing, seq: int, mac: str, ref_id: str) -> None:
        """Record `seq` as the newest unless a later seq is already anchored (concurrent writers)."""
        with file_lock(lock_path(self.path)):
            try:
                current = self.read()
            except AnchorUnreadable:
                current = None
            if current is not None and current.seq >= seq and current.is_authentic(ring):
                return
            key_id = ring.active
            anchor_mac = Anchor.compute_mac(ring.active_key, seq, mac, ref_id, key_id)
            doc = {
                "seq": seq,
                "mac": mac,
                "ref_id": ref_id,
                "key_id": key_id,
                "anchor_mac": anchor_mac,
            }
            write_private_file(self.path, (canonical_json(doc) + "\n").encode())


def default_witness_path(anchor_path: Path) -> Path:
    """The witness file's default place: beside the anchor, same stem, `.witness` suffix."""
    return anchor_path.with_name(anchor_path.stem + ".witness")


class WitnessFile:
    """An append-only record of every chain head this host committed: one JSON line per batch.

    The anchor is rewritten in place, so restoring an older database together with its older
    anchor passes every chain and anchor check. The witness only ever grows (make it
    `chattr +a`, or ship it off the host), so `verify` can tell that the log once reached a
    later seq than it holds now.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, seq: int, mac: str, ref_id: str) -> None:
        """Append the new head (O_APPEND and fsync, so concurrent workers never clobber)."""
        line = canonical_json({"seq": seq, "mac": mac, "ref_id": ref_id}) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> dict[int, set[str]] | None:
        """Every witnessed seq and the MACs it had (more than one: the log was rolled back and
        appended again), or None when the file does not exist.

        A torn last line (a crash mid-write) is skipped; any other garbled line raises
        AnchorUnreadable, since a witness that cannot be read cannot rule out a rollback.
        """
        data = _read_if_present(self.path)
        if data is None:
            return None
        seen: dict[int, set[str]] = {}
        lines = data.split(b"\n")
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
                seen.setdefault(int(doc["seq"]), set()).add(str(doc["mac"]))
            except (ValueError, KeyError, TypeError) as exc:
                if number == len(lines):  # no newline yet: a write cut short
                    continue
                raise AnchorUnreadable(f"line {number}: {exc}") from None
        return seen


NODE_ROW_DOMAIN = "phigate-audit-node-v1"


def node_row_mac(key: bytes, node: str, seq: int, mac: str, ref_id: str, key_id: str) -> str:
    """MAC of a node's row in `audit_nodes` (where its appends ended), under the anchor subkey."""
    payload = canonical_json([NODE_ROW_DOMAIN, node, seq, mac, ref_id, key_id])
    subkey = derive_subkey(key, ANCHOR_PURPOSE)
    return hmac.new(subkey, payload.encode(), hashlib.sha256).hexdigest()


NODE_PLACEHOLDER = "{node}"


def for_node(template: Path, node: str) -> Path:
    """An anchor or witness path with `{node}` replaced by the node id (unchanged without it)."""
    return Path(str(template).replace(NODE_PLACEHOLDER, node))
