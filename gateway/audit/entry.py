"""The audit entry a caller hands in, and its canonical, MACed row form."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

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
    """Serialise deterministically: sorted keys, no spaces, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def canonical_ts(ts: datetime) -> str:
    """Render a timestamp as UTC with microseconds; naive values (SQLite) are UTC."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any, where: str) -> Any:
    """Copy mappings and sequences into plain JSON types, refusing content-bearing keys."""
    # Exact-type checks first: this runs for every message, and ABC isinstance checks are slow.
    kind = type(value)
    if kind in _SCALAR_TYPES:
        return value
    if kind is dict or isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if type(k) is not str and not isinstance(k, str):
                raise AuditEntryRejected(f"{where}: keys must be strings")
            # Keys that could carry raw message content (the logs' one list): refused anywhere
            # in stages or the findings summary, so PHI cannot slip into the log by accident.
            if is_forbidden(k):
                raise AuditEntryRejected(f"{where}: key {k!r} is not allowed in the audit log")
            out[k] = v if type(v) in _SCALAR_TYPES else _plain(v, f"{where}.{k}")
        return out
    if kind is list or kind is tuple or isinstance(value, list | tuple):
        return [v if type(v) in _SCALAR_TYPES else _plain(v, where) for v in value]
    if isinstance(value, str | int | float | bool):
        return value
    raise AuditEntryRejected(f"{where}: {type(value).__name__} is not JSON-serialisable")


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
    timings = _plain(entry.timings, "timings")
    for stage, ms in timings.items():
        if isinstance(ms, bool) or not isinstance(ms, int | float):
            raise AuditEntryRejected(f"timings.{stage} must be a number of milliseconds")
    try:
        stages = canonical_json([_plain(s, "stages") for s in entry.stages])
        findings = canonical_json(_plain(entry.findings_summary, "findings_summary"))
        timings_json = canonical_json(timings)
    except ValueError as exc:  # NaN or infinity
        raise AuditEntryRejected(f"entry is not canonical JSON: {exc}") from None
    return {
        "ref_id": entry.ref_id,
        "ts": entry.ts.astimezone(UTC),
        "message_id": entry.message_id,
        "sender_hash": entry.sender_hash,
        "recipient_domains": canonical_json(list(entry.recipient_domains)),
        "size": entry.size,
        "stages": stages,
        "action": entry.action,
        "next_hop_reply": entry.next_hop_reply,
        "timings": timings_json,
        "findings_summary": findings,
    }


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
    payload = canonical_json(fields)
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
