"""The audit append path as it was before issue 14 (json.dumps, hmac.new), for baselines.

`bench/audit_append.py` times it against today's path in the same run, and
tests/gateway/audit/test_audit_canonical.py checks that today's path writes the same bytes and
MACs. A copy of gateway/audit/entry.py and AuditLog.append_many at commit 32bafbc; do not
"improve" it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any

from gateway.audit.anchor import node_row_mac
from gateway.audit.entry import (
    _DOMAIN,
    _HEX64,
    RECORD_DOMAIN,
    RECORD_DOMAIN_V2,
    AuditEntry,
    canonical_ts,
)
from gateway.audit.errors import AuditEntryRejected
from gateway.audit.log import (
    _INSERT_NODE_END,
    _INSERT_RECORDS,
    _SELECT_HEAD_FOR_UPDATE,
    _UPDATE_HEAD,
    _UPDATE_NODE_END,
    AuditLog,
)
from gateway.ops.logs import is_forbidden


def canonical_json(value: Any) -> str:
    """Serialise deterministically: sorted keys, no spaces, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


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


def legacy_append_many(log: AuditLog, entries: Sequence[AuditEntry]) -> list[int]:
    """AuditLog.append_many(entries, anchor=False) as it was: same SQL, old validation and MAC."""
    prepared = [entry_columns(e) for e in entries]
    if not prepared:
        return []
    ring = log._keys.ring()
    key_id, key = ring.active, ring.active_key
    rows: list[dict[str, Any]] = []
    with log.engine.begin() as conn:
        head = conn.execute(_SELECT_HEAD_FOR_UPDATE).one()
        seq, mac = int(head.seq), str(head.mac)
        node = log.node_id
        for p in prepared:
            seq += 1
            row = {**p, "seq": seq, "key_id": key_id, "prev_mac": mac, "node_id": node}
            mac = row["mac"] = record_mac(key, seq, row)
            rows.append(row)
        conn.execute(_INSERT_RECORDS, rows)
        conn.execute(_UPDATE_HEAD, {"head_seq": seq, "head_mac": mac})
        ref = rows[-1]["ref_id"]
        end = {
            "n_id": node,
            "n_seq": seq,
            "n_mac": mac,
            "n_ref": ref,
            "n_key": key_id,
            "n_node_mac": node_row_mac(key, node, seq, mac, ref, key_id),
        }
        if conn.execute(_UPDATE_NODE_END, end).rowcount == 0:
            conn.execute(_INSERT_NODE_END, end)
    log._pending_anchor = (ring, seq, mac, ref)
    return [r["seq"] for r in rows]
