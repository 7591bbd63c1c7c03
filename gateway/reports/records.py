"""A typed, read-only view of audit records, and the query that reads them by time range."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gateway.audit.schema import records
from gateway.storage.database import READ_ONLY

# Event actions (gateway/audit/events.py) name a family and a verb joined by "-"; message actions
# (deliver, encrypt, portal, block, quarantine, consent_allow, tag, split, none) never do.
EVENT_SEPARATOR = "-"


def as_utc(ts: datetime) -> datetime:
    """The timestamp as an aware UTC datetime; naive values (SQLite) are UTC already."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


@dataclass(frozen=True)
class AuditRecord:
    """One audit record as reports see it: the stored fields, JSON already decoded."""

    seq: int
    ref_id: str
    ts: datetime
    action: str
    sender_hash: str
    recipient_domains: tuple[str, ...] = ()
    stages: tuple[Mapping[str, Any], ...] = ()
    findings_summary: Mapping[str, Any] = field(default_factory=dict)
    message_id: str | None = None
    size: int = 0

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> AuditRecord:
        """Build from a stored row (JSON columns as text) or an already decoded dict."""
        stages = _json(row.get("stages")) or []
        findings = _json(row.get("findings_summary")) or {}
        return cls(
            seq=int(row["seq"]),
            ref_id=str(row["ref_id"]),
            ts=as_utc(row["ts"]) if isinstance(row["ts"], datetime) else _parse_ts(row["ts"]),
            action=str(row["action"]),
            sender_hash=str(row["sender_hash"]),
            recipient_domains=tuple(_json(row.get("recipient_domains")) or ()),
            stages=tuple(s for s in stages if isinstance(s, Mapping)),
            findings_summary=findings if isinstance(findings, Mapping) else {},
            message_id=row.get("message_id"),
            size=int(row.get("size") or 0),
        )

    @property
    def is_event(self) -> bool:
        """True for a non-message event (consent use, portal access, quarantine access)."""
        return EVENT_SEPARATOR in self.action

    def stage(self, name: str) -> Mapping[str, Any] | None:
        """The first stage record with this name, if any."""
        return next((s for s in self.stages if s.get("stage") == name), None)

    @property
    def details(self) -> Mapping[str, Any]:
        """An event's details (its one stage record); empty for messages."""
        return self.stages[0] if self.is_event and self.stages else {}

    @property
    def monitor(self) -> bool:
        """True when the policy ran in monitor mode: it decided, but the message went as before."""
        decide = self.stage("decide")
        return decide is not None and str(decide.get("outcome", "")).startswith("monitor:")

    @property
    def rules(self) -> tuple[str, ...]:
        """The policy rules that decided this message (one per route)."""
        decide = self.stage("decide")
        if decide is None:
            return ()
        routes = decide.get("routes")
        if isinstance(routes, list) and routes:
            names = [str(r.get("rule")) for r in routes if isinstance(r, Mapping) and r.get("rule")]
            return tuple(dict.fromkeys(names))
        # A single route: the pipeline writes "rule NAME: reason".
        reason = str(decide.get("reason", ""))
        if reason.startswith("rule "):
            name = reason[len("rule ") :].split(": ", 1)[0].strip()
            if name:
                return (name,)
        return ()

    @property
    def methods(self) -> dict[str, int]:
        """What the act stage did, by method, with recipient counts: {"encrypt(smime)": 1, ...}."""
        act = self.stage("act")
        if act is None:
            return {}
        out: dict[str, int] = {}
        for token in str(act.get("reason", "")).split(","):
            name, sep, count = token.strip().rpartition(":")
            if not sep or not name or not count.strip().isdigit():
                continue
            out[name] = out.get(name, 0) + int(count)
        return out

    @property
    def entities(self) -> dict[str, int]:
        """Entity types found and their counts (never the matched text)."""
        ents = self.findings_summary.get("entities")
        if not isinstance(ents, Mapping):
            return {}
        return {str(k): int(v) for k, v in ents.items() if isinstance(v, int)}

    @property
    def patients(self) -> tuple[str, ...]:
        """Roster ids of the patients whose PHI the message carried."""
        ids = self.findings_summary.get("patients")
        return tuple(str(p) for p in ids) if isinstance(ids, list) else ()

    @property
    def misdirected(self) -> bool:
        """True when the gateway judged the message to be going to the wrong recipient."""
        # The gateway records how many recipients were misdirected (an int); none: no key.
        count = self.findings_summary.get("misdirected")
        return isinstance(count, bool | int) and count > 0


def _parse_ts(value: Any) -> datetime:
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return as_utc(datetime.fromisoformat(text))


def _bound(engine: Engine, ts: datetime) -> datetime:
    # SQLite keeps naive UTC text; PostgreSQL compares aware timestamps.
    utc = as_utc(ts)
    return utc.replace(tzinfo=None) if engine.dialect.name == "sqlite" else utc


def fetch_records(
    engine: Engine,
    since: datetime | None,
    until: datetime | None,
    *,
    actions: Sequence[str] | None = None,
    findings_contain: str | None = None,
) -> list[AuditRecord]:
    """Records with since <= ts < until, in chain order; read-only, nothing is written.

    `actions` keeps only those actions; `findings_contain` keeps records whose findings
    summary text contains the string (a cheap pre-filter: callers still check the JSON).
    """
    query = sa.select(records).order_by(records.c.seq)
    if since is not None:
        query = query.where(records.c.ts >= _bound(engine, since))
    if until is not None:
        query = query.where(records.c.ts < _bound(engine, until))
    if actions is not None:
        query = query.where(records.c.action.in_(list(actions)))
    if findings_contain is not None:
        query = query.where(records.c.findings_summary.contains(findings_contain, autoescape=True))
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # A deferred BEGIN: reading must never take the write lock the gateway appends under.
            conn = conn.execution_options(**{READ_ONLY: True})
        with conn.begin():
            rows = conn.execution_options(yield_per=1000).execute(query)
            return [AuditRecord.from_row(dict(r._mapping)) for r in rows]


def in_range(
    recs: Iterable[AuditRecord], since: datetime | None, until: datetime | None
) -> list[AuditRecord]:
    """The records with since <= ts < until (either bound may be open)."""
    return [
        r
        for r in recs
        if (since is None or r.ts >= as_utc(since)) and (until is None or r.ts < as_utc(until))
    ]
