"""A hand-made month of audit records for the report tests.

The figures the tests expect were worked out by hand from the table below, not from
the report code. Period: 2026-11-01 to 2026-11-30 inclusive (until 2026-12-01T00:00Z).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from gateway.audit import AuditEntry, AuditLog
from gateway.audit.entry import prepare_entry
from gateway.audit.events import event_entry
from gateway.reports import AuditRecord

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 12, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ALICE = "alice@clinic.example"
BOB = "bob@clinic.example"


def at(day: int, hour: int = 9, minute: int = 0, second: int = 0, month: int = 11) -> datetime:
    """A UTC time in 2026."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


@dataclass(frozen=True)
class Msg:
    """One message record as the pipeline would have written it."""

    ref: str
    ts: datetime
    sender: str
    domains: tuple[str, ...]
    action: str
    rules: tuple[str, ...]
    act: str
    patients: tuple[str, ...] = ()
    misdirected: bool = False
    monitor: bool = False
    phi: bool = True
    entities: tuple[tuple[str, int], ...] = (("PERSON", 1),)
    rejected: bool = False


def smime_to_lab(ref: str, ts: datetime, sender: str, patient: str, **kw: Any) -> Msg:
    """A message to lab.example that rule phi-external encrypted with S/MIME."""
    return Msg(
        ref,
        ts,
        sender,
        ("lab.example",),
        "encrypt",
        ("phi-external",),
        "encrypt(smime):1",
        (patient,),
        **kw,
    )


MESSAGES = [
    # Appended out of time order on purpose: reports must sort by time, not by seq.
    Msg(
        "M5",
        at(13),
        ALICE,
        ("family.example",),
        "consent_allow",
        ("consent-family",),
        "consent_allow:1",
        ("P-100",),
        entities=(("MEDICAL_CONDITION", 1), ("PERSON", 1)),
    ),
    Msg(
        "M3",
        at(11),
        ALICE,
        ("insurer.example", "lab.example"),
        "split",
        ("phi-external", "insurer-portal"),
        "encrypt(pgp):1, portal:1",
        ("P-100", "P-200"),
    ),
    smime_to_lab("M1", at(10), ALICE, "P-100", entities=(("PERSON", 1), ("US_SSN", 1))),
    Msg(
        "M2",
        at(10, 10),
        BOB,
        ("other.example",),
        "deliver",
        ("no-phi",),
        "deliver:1",
        phi=False,
        entities=(),
    ),
    Msg(
        "M4",
        at(12),
        BOB,
        ("gmail.example",),
        "block",
        ("misdirect-block",),
        "block:1",
        ("P-200",),
        misdirected=True,
    ),
    Msg(
        "M6",
        at(14),
        ALICE,
        ("lab.example",),
        "quarantine",
        ("suspicious",),
        "quarantine:2",
        ("P-200",),
        misdirected=True,
    ),
    Msg(
        "M7", at(15), BOB, ("lab.example",), "encrypt", ("phi-external",), "deliver:1", monitor=True
    ),
    Msg(
        "M8", at(16), ALICE, ("lab.example",), "none", (), "", phi=False, entities=(), rejected=True
    ),
    smime_to_lab("M10", at(17), BOB, "P-1000"),
    Msg(
        "M11",
        at(18),
        BOB,
        ("family.example",),
        "consent_allow",
        ("consent-family",),
        "consent_allow:1",
        ("P-300",),
    ),
    # Outside the period: one second before it, and exactly at its (exclusive) end.
    smime_to_lab("M0", at(31, 23, 59, 59, month=10), ALICE, "P-100"),
    Msg(
        "M9",
        at(1, 0, month=12),
        BOB,
        ("lab.example",),
        "deliver",
        ("no-phi",),
        "deliver:1",
        ("P-100",),
    ),
]

# (action, details, ts)
EVENTS: list[tuple[str, dict[str, Any], datetime]] = [
    (
        "consent-exception",
        {
            "consent_id": "C-7",
            "entities": ["MEDICAL_CONDITION", "PERSON"],
            "rule": "consent-family",
            "ref": "M5",
        },
        at(13, 9, 0, 1),
    ),
    (
        "consent-exception",
        {"consent_id": "C-9", "entities": ["PERSON"], "rule": "consent-family", "ref": "M11"},
        at(18, 9, 0, 1),
    ),
    ("portal-stored", {"item": "I1", "ref": "M3", "roster_id": "P-100"}, at(11, 9, 0, 2)),
    ("portal-stored", {"item": "I2", "ref": "X2", "roster_id": "P-200"}, at(11, 10)),
    ("portal-stored", {"item": "I3", "ref": "X3", "roster_id": "P-300"}, at(12, 10)),
    ("portal-stored", {"item": "I4", "ref": "X4", "roster_id": "P-300"}, at(29, 10)),
    ("portal-view", {"item": "I1", "ref": "M3", "roster_id": "P-100"}, at(11, 12)),
    ("portal-view", {"item": "I1", "ref": "M3", "roster_id": "P-100"}, at(11, 13)),
    ("portal-download", {"item": "I1", "ref": "M3", "roster_id": "P-100"}, at(11, 13, 5)),
    ("portal-expired", {"item": "I2", "ref": "X2", "roster_id": "P-200"}, at(25, 0)),
    ("portal-view", {"item": "I0", "ref": "X0", "roster_id": "P-300"}, at(2)),
    ("portal-code-failed", {"item": "I3", "ref": "X3", "roster_id": "P-300"}, at(13, 8)),
    # I4 is read only after the period: still unread in it.
    ("portal-view", {"item": "I4", "ref": "X4", "roster_id": "P-300"}, at(2, month=12)),
    ("quarantine-reveal", {"entry": "Q1", "by": "officer"}, at(20, 8)),
    ("quarantine-show", {"entry": "Q1", "by": "officer"}, at(20, 8, 30)),
    ("quarantine-release", {"entry": "Q1", "by": "officer"}, at(20)),
    # A release is audited before it is tried; Q3's attempt failed and it is still held.
    ("quarantine-release", {"entry": "Q3", "by": "officer"}, at(22)),
    ("quarantine-release-failed", {"entry": "Q3", "by": "officer"}, at(22, 9, 0, 5)),
    ("quarantine-delete", {"entry": "Q2", "by": "officer"}, at(21)),
]


class Hasher(Protocol):
    """Anything with AuditLog's keyed_hash."""

    def keyed_hash(self, value: str) -> str: ...


class FixedKeyHasher:
    """keyed_hash under a fixed test key, for tests that need no database."""

    def keyed_hash(self, value: str) -> str:
        """HMAC-SHA256 of the lower-cased value, as hex."""
        return hmac.new(b"test-key", value.lower().encode(), hashlib.sha256).hexdigest()


def message_entry(log: Hasher, m: Msg) -> AuditEntry:
    """The audit entry the gateway would write for `m`."""
    if m.rejected:
        stages: list[dict[str, Any]] = [
            {"stage": "parse", "outcome": "rejected", "reason": "unparseable"}
        ]
    else:
        decide: dict[str, Any] = {
            "stage": "decide",
            "outcome": ("monitor:" if m.monitor else "") + m.action,
            "reason": f"rule {m.rules[0]}: matched",
        }
        if len(m.rules) > 1:
            decide["routes"] = [
                {"rule": r, "action": a, "recipients": 1, "domains": [d]}
                for r, a, d in zip(m.rules, ("encrypt", "portal"), m.domains, strict=False)
            ]
        stages = [
            {"stage": "parse", "outcome": "ok", "reason": "clean"},
            {
                "stage": "detect",
                "outcome": "phi" if m.phi else "no-phi",
                "reason": "x",
                "summary": dict(m.entities),
                "score": 0.9,
            },
            decide,
            {"stage": "act", "outcome": m.action, "reason": m.act},
            {"stage": "deliver", "outcome": "accepted", "reason": "250 ok"},
        ]
    return AuditEntry(
        ref_id=m.ref,
        ts=m.ts,
        message_id=f"<{m.ref}@clinic.example>",
        sender_hash=log.keyed_hash(m.sender),
        recipient_domains=m.domains,
        size=1234,
        stages=tuple(stages),
        action=m.action,
        next_hop_reply="250 ok",
        timings={"parse": 0.1},
        findings_summary={
            "entities": dict(m.entities),
            "parts": 1,
            "phi": m.phi,
            "score": 0.9,
            "patients": list(m.patients),
            # As the gateway writes it (gateway/app.py): the number of misdirected recipients,
            # and no key at all when there were none.
            **({"misdirected": 1} if m.misdirected else {}),
        },
    )


def month_entries(log: Hasher) -> list[AuditEntry]:
    """Every message and event above, in the order they go into the log."""
    entries = [message_entry(log, m) for m in MESSAGES]
    for action, details, ts in EVENTS:
        # event_entry only needs keyed_hash from the log.
        entry = event_entry(cast(AuditLog, log), action, details, actor="officer")
        entries.append(replace(entry, ts=ts))
    return entries


def fill_month(log: AuditLog) -> None:
    """Append every message and event above to the log."""
    for e in month_entries(log):
        log.append(e)


def month_records(log: Hasher) -> list[AuditRecord]:
    """The same entries as stored rows would read back, without a database."""
    return [
        AuditRecord.from_row({**prepare_entry(e).columns, "seq": i})
        for i, e in enumerate(month_entries(log), start=1)
    ]


def _key_row(
    kind: str, address: str, fingerprint: str, status: str, date_key: str, lasts: timedelta | None
) -> dict[str, Any]:
    expiry = None if lasts is None else (NOW + lasts).isoformat()
    return {
        "address": address,
        "kind": kind,
        "fingerprint": fingerprint,
        date_key: expiry,
        "status": status,
    }


def key_rows_smime() -> list[dict[str, Any]]:
    """S/MIME rows as gateway.keys.cli.smime_rows gives them."""
    rows = [
        ("dr.jones@lab.example", "AA", "valid", timedelta(days=10, hours=1)),
        ("far@lab.example", "BB", "valid", timedelta(days=100)),
        ("old@insurer.example", "CC", "expired", timedelta(days=-2)),
        ("gone@insurer.example", "DD", "revoked", timedelta(days=3)),
    ]
    return [
        _key_row("smime", address, fpr * 32, status, "not_after", lasts)
        for address, fpr, status, lasts in rows
    ]


def key_rows_pgp() -> list[dict[str, Any]]:
    """OpenPGP rows as gateway.keys.pgp_cli.pgp_rows gives them."""
    return [
        _key_row("pgp", "lab@lab.example", "EE" * 20, "ok", "expires", timedelta(days=5, hours=1)),
        _key_row("pgp", "forever@lab.example", "FF" * 20, "ok", "expires", None),
    ]
