"""Audit events that are not messages: consent exceptions, portal views, officer access.

They go into the same HMAC-chained audit log as message records, with an `action` that names
the event and one stage record that carries its PHI-free details. Reports read them back.

Conventions (`action`: details):
- `consent-exception`: consent_id, entities (types sent), rule, ref (the message's ref_id)
- `consent-granted`, `consent-revoked`: consent_id, roster_id, method (recorded by the CLI)
- `portal-stored`, `portal-view`, `portal-download`, `portal-reply`, `portal-consent`,
  `portal-code-failed`, `portal-locked`, `portal-expired`: item (portal item id), ref, roster_id
- `quarantine-show|reveal|release|release-failed|delete`: entry, by (operator)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from gateway.audit import AuditEntry, AuditLog
from gateway.model import new_ref_id


def event_entry(
    log: AuditLog,
    action: str,
    details: Mapping[str, Any],
    *,
    actor: str = "",
    domains: Sequence[str] = (),
    ref_id: str | None = None,
    message_id: str | None = None,
) -> AuditEntry:
    """An audit entry for one event; `actor` and `message_id` are hashed, never stored in clear."""
    return AuditEntry(
        ref_id=ref_id or new_ref_id(),
        ts=datetime.now(UTC),
        # A Message-ID can hold PHI: kept as the same keyed hash message records use.
        message_id=log.keyed_hash(message_id.strip()) if message_id else None,
        sender_hash=log.keyed_hash(actor or "phigate"),
        recipient_domains=tuple(sorted({d.lower() for d in domains if d})),
        size=0,
        stages=({"stage": action.split("-", 1)[0], "outcome": action, **dict(details)},),
        action=action,
        next_hop_reply=None,
        timings={},
    )


def record_event(log: AuditLog, action: str, details: Mapping[str, Any], **kw: Any) -> int:
    """Append one event to the audit log and return its sequence number."""
    return log.append(event_entry(log, action, details, **kw))
