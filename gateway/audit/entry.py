"""The audit entry a caller hands in, and its canonical, MACed row form."""

from __future__ import annotations

import hmac
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import orjson

from gateway.audit.errors import AuditEntryRejected
from gateway.ops.logs import is_forbidden

GENESIS_MAC = "0" * 64
# The action of the record written before a message is handed on or stored; the final record
# of the same ref id completes it. It reads as an event ("family-verb") to reports.
PENDING_ACTION = "message-pending"
RECORD_DOMAIN = "phigate-audit-record-v1"
# Records that name their node: the node id is MACed too. A record's node_id column picks
# the form (NULL: v1), so moving a record between the forms breaks its MAC.
RECORD_DOMAIN_V2 = "phigate-audit-record-v2"
# How verify and status name the writer of records made before node ids existed.
LEGACY_NODE = "default"

_HEX64 = re.compile(r"[0-9a-f]{64}")
_DOMAIN = re.compile(r"[^\s@<>\"',;]{1,255}")


@dataclass(frozen=True)
class AuditEntry:
    """One message's audit record as the gateway supplies it; it never holds raw PHI."""

    ref_id: str
    ts: datetime
    message_id: str | None
    sender_hash: str
    recipient_domains: tuple[str, ...]
    size: int
    stages: tuple[Mapping[str, Any], ...]
    action: str
    next_hop_reply: str | None
    timings: Mapping[str, float]
    findings_summary: Mapping[str, Any] = field(default_factory=dict)


def canonical_json(value: Any) -> str:
    """Serialise deterministically: sorted keys, no spaces, no NaN (the reference form)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def canonical_bytes(value: Any) -> bytes:
    """`canonical_json(value)` as UTF-8, in C (orjson) for the values the audit log stores.

    Only for values with no float and no int outside orjson's 64-bit range, or that `_plain`
    copied and found ordinary (see `_Plain.odd`): orjson writes floats below 1e-4 in another
    notation and NaN as null. What orjson refuses (a str subclass as a key, a lone surrogate,
    a float subclass) takes the reference path, so the bytes are the same either way.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return canonical_json(value).encode()


def canonical_ts(ts: datetime) -> str:
    """Render a timestamp as UTC with microseconds; naive values (SQLite) are UTC."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})
# orjson writes these ints and floats exactly as json.dumps does (floats: the shortest repr,
# which it only spells differently below 1e-4).
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
_FLOAT_EXACT_MIN = 1e-4
# Keys already found allowed (exact str only): the forbidden-key check once per distinct key.
_ALLOWED_KEYS: set[str] = set()
_ALLOWED_KEYS_MAX = 4096


class _Plain:
    """One entry's copy into plain JSON types; `odd` says orjson might not match json.dumps."""

    __slots__ = ("odd",)

    def __init__(self) -> None:
        self.odd = False

    def scalar(self, value: Any, where: str) -> Any:
        """Check a scalar: refuse NaN and infinity, and note what orjson would spell otherwise."""
        kind = type(value)
        if kind is str or value is None or kind is bool:
            return value
        if kind is int:
            if not _INT_MIN <= value <= _INT_MAX:
                self.odd = True
            return value
        if kind is float:
            if value != value or value in (math.inf, -math.inf):
                raise AuditEntryRejected(f"entry is not canonical JSON: {where} is not finite")
            if value and -_FLOAT_EXACT_MIN < value < _FLOAT_EXACT_MIN:
                self.odd = True
            return value
        # Subclasses of str, int or float: the reference serialiser decides.
        if isinstance(value, float) and not math.isfinite(value):
            raise AuditEntryRejected(f"entry is not canonical JSON: {where} is not finite")
        self.odd = True
        return value

    def copy(self, value: Any, where: str) -> Any:
        """Copy mappings and sequences into plain JSON types, refusing content-bearing keys."""
        # Exact-type checks first: this runs for every message, and ABC isinstance checks are
        # slow.
        kind = type(value)
        if kind in _SCALAR_TYPES:
            return self.scalar(value, where)
        if kind is dict or isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for k, v in value.items():
                if type(k) is str:
                    if k not in _ALLOWED_KEYS:
                        _check_key(k, where)
                elif isinstance(k, str):
                    _check_key(k, where)
                    self.odd = True
                else:
                    raise AuditEntryRejected(f"{where}: keys must be strings")
                out[k] = v if _ordinary(v) else self.copy(v, f"{where}.{k}")
            return out
        if kind is list or kind is tuple or isinstance(value, list | tuple):
            return [v if _ordinary(v) else self.copy(v, where) for v in value]
        if isinstance(value, str | int | float | bool):
            return self.scalar(value, where)
        raise AuditEntryRejected(f"{where}: {type(value).__name__} is not JSON-serialisable")


def _ordinary(v: Any) -> bool:
    """A scalar orjson writes exactly as json.dumps does (finite floats from 1e-4 up)."""
    kind = type(v)
    return (
        kind is str
        or v is None
        or kind is bool
        or (kind is int and _INT_MIN <= v <= _INT_MAX)
        # v - v == 0 holds only for finite floats.
        or (kind is float and v - v == 0.0 and not -_FLOAT_EXACT_MIN < v < _FLOAT_EXACT_MIN)
        or (kind is float and v == 0.0)
    )


def _check_key(key: str, where: str) -> None:
    """Refuse keys that could carry raw message content (the logs' one list), anywhere in
    stages or the findings summary, so PHI cannot slip into the log by accident."""
    if is_forbidden(key):
        raise AuditEntryRejected(f"{where}: key {key!r} is not allowed in the audit log")
    if type(key) is str and len(_ALLOWED_KEYS) < _ALLOWED_KEYS_MAX:
        _ALLOWED_KEYS.add(key)


def _plain(value: Any, where: str) -> Any:
    """Copy mappings and sequences into plain JSON types, refusing content-bearing keys."""
    return _Plain().copy(value, where)


def entry_columns(entry: AuditEntry) -> dict[str, Any]:
    """Validate an entry and return its stored column values (JSON fields as canonical text)."""
    if not entry.ref_id or len(entry.ref_id) > 64:
        raise AuditEntryRejected("ref_id must be 1..64 characters")
    if entry.ts.tzinfo is None:
        raise AuditEntryRejected("ts must be timezone-aware")
    if not _HEX64.fullmatch(entry.sender_hash):
        raise AuditEntryRejected("sender_hash must be AuditLog.keyed_hash() output (64 hex)")
    if isinstance(entry.recipient_domains, str):
        raise AuditEntryRejected("recipient_domains must be a tuple of domains")
    for domain in entry.recipient_domains:
        if not isinstance(domain, str) or not _DOMAIN.fullmatch(domain):
            # Never echo the value: it might be a full address.
            raise AuditEntryRejected("recipient_domains must hold bare domains, not addresses")
    if isinstance(entry.size, bool) or not isinstance(entry.size, int) or entry.size < 0:
        raise AuditEntryRejected("size must be a non-negative int")
    if not entry.action or len(entry.action) > 64:
        raise AuditEntryRejected("action must be 1..64 characters")
    plain = _Plain()
    timings = plain.copy(entry.timings, "timings")
    for stage, ms in timings.items():
        if isinstance(ms, bool) or not isinstance(ms, int | float):
            raise AuditEntryRejected(f"timings.{stage} must be a number of milliseconds")
    stages = [plain.copy(s, "stages") for s in entry.stages]
    findings = plain.copy(entry.findings_summary, "findings_summary")
    domains = list(entry.recipient_domains)
    # The reference serialiser for the rare entry orjson would spell differently.
    dump = canonical_json if plain.odd else _fast_text
    try:
        return {
            "ref_id": entry.ref_id,
            "ts": entry.ts.astimezone(UTC),
            "message_id": entry.message_id,
            "sender_hash": entry.sender_hash,
            "recipient_domains": dump(domains),
            "size": entry.size,
            "stages": dump(stages),
            "action": entry.action,
            "next_hop_reply": entry.next_hop_reply,
            "timings": dump(timings),
            "findings_summary": dump(findings),
        }
    except UnicodeEncodeError:
        # A lone surrogate: no UTF-8 form, so no MAC either (this entry alone is refused).
        raise AuditEntryRejected("entry is not canonical JSON: text is not valid Unicode") from None


def _fast_text(value: Any) -> str:
    """canonical_bytes as text, for a value `_Plain` found ordinary."""
    return canonical_bytes(value).decode()


@dataclass(frozen=True)
class PreparedEntry:
    """An entry that passed `prepare_entry`: its stored column values, ready to be chained."""

    columns: Mapping[str, Any]

    @property
    def ref_id(self) -> str:
        """The entry's reference id."""
        return str(self.columns["ref_id"])


def prepare_entry(entry: AuditEntry) -> PreparedEntry:
    """Validate an entry (raising AuditEntryRejected) and fix its stored form."""
    return PreparedEntry(MappingProxyType(entry_columns(entry)))


def record_mac(key: bytes, seq: int, row: Mapping[str, Any]) -> str:
    """HMAC-SHA256 over the canonical JSON of (seq, every stored field, key id, prev MAC and,
    for records that name one, the node id)."""
    node_id = row.get("node_id")
    fields = [
        RECORD_DOMAIN if node_id is None else RECORD_DOMAIN_V2,
        seq,
        row["ref_id"],
        canonical_ts(row["ts"]),
        row["message_id"],
        row["sender_hash"],
        row["recipient_domains"],
        row["size"],
        row["stages"],
        row["action"],
        row["next_hop_reply"],
        row["timings"],
        row["findings_summary"],
        row["key_id"],
        row["prev_mac"],
    ]
    if node_id is not None:
        fields.append(node_id)
    # Every field is a str, an int or None, so orjson gives the reference bytes.
    return hmac.digest(key, canonical_bytes(fields), "sha256").hex()
