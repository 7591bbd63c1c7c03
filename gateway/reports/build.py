"""The pure layer: audit records in, report objects out (no I/O, no clock, no database)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import ClassVar

from detectors.masking import mask_address
from gateway.reports.records import AuditRecord, as_utc, in_range

# Characters of the keyed sender hash shown: enough to tell senders apart, not to brute-force.
SENDER_PREFIX = 12
NO_RULE = "(no rule)"

Tally = tuple[tuple[str, int], ...]


def tally(counter: Mapping[str, int]) -> Tally:
    """Counts as (name, count) pairs, largest first, then by name."""
    return tuple(sorted(((k, v) for k, v in counter.items() if v), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True)
class Integrity:
    """What chain verification said before the report read the log."""

    ok: bool
    checked: int = 0
    problems: tuple[str, ...] = ()

    @property
    def warning(self) -> str | None:
        """The line every format starts with when the chain failed verification."""
        if self.ok:
            return None
        n = len(self.problems)
        return (
            f"WARNING: audit chain failed verification ({n} problem{'' if n == 1 else 's'}); "
            "figures may be wrong"
        )


@dataclass(frozen=True)
class KeyRow:
    """A certificate or key that has expired or expires soon; the address is masked."""

    kind: str
    address: str
    fingerprint: str
    not_after: datetime
    status: str
    days_left: int


@dataclass(frozen=True)
class ReportExtras:
    """What the report needs beyond the records: integrity, key rows, and the report's clock."""

    integrity: Integrity
    generated_at: datetime
    key_rows: Sequence[Mapping[str, object]] = ()
    key_notes: Sequence[str] = ()
    expiring_within: timedelta = timedelta(days=30)


@dataclass(frozen=True)
class ConsentUse:
    """One consent exception: a message sent in clear under a recorded patient consent."""

    ts: datetime
    consent_id: str
    rule: str
    ref: str
    entities: tuple[str, ...]


@dataclass(frozen=True)
class Catch:
    """A message the gateway stopped or flagged (e.g. misdirection), by reference only."""

    ts: datetime
    ref_id: str
    domains: tuple[str, ...]
    action: str


@dataclass(frozen=True)
class Figures:
    """Named counts that a report shows as one table, in the order of the fields."""

    # How people read a figure, where its field name does not say it well enough.
    LABELS: ClassVar[Mapping[str, str]] = {}

    def counts(self) -> tuple[tuple[str, int], ...]:
        """(field name, count) pairs, as the CSV rows name them."""
        return tuple((f.name, getattr(self, f.name)) for f in fields(self))

    def labelled(self) -> tuple[tuple[str, int], ...]:
        """(label, count) pairs, as the text and HTML tables show them."""
        return tuple(
            (self.LABELS.get(name, name.replace("_", " ")), count) for name, count in self.counts()
        )


@dataclass(frozen=True)
class QuarantineFigures(Figures):
    """Messages held in quarantine, and what officers did with held messages."""

    held: int = 0
    released: int = 0
    deleted: int = 0
    release_failed: int = 0
    revealed: int = 0


@dataclass(frozen=True)
class PortalFigures(Figures):
    """Items stored on the portal in the period, and whether their recipients picked them up."""

    LABELS: ClassVar[Mapping[str, str]] = {
        "expired": "expired unread",
        "code_failed": "failed code entries",
        "locked": "lockouts",
    }

    stored: int = 0
    read: int = 0
    unread: int = 0
    expired: int = 0
    views: int = 0
    downloads: int = 0
    code_failed: int = 0
    locked: int = 0


@dataclass(frozen=True)
class Report:
    """The compliance report for one period."""

    since: datetime
    until: datetime
    generated_at: datetime
    integrity: Integrity
    messages: int
    messages_with_phi: int
    events: int
    by_action: Tally
    by_method: Tally
    by_rule: Tally
    by_sender: Tally
    by_domain: Tally
    consent_uses: tuple[ConsentUse, ...]
    consent_by_id: Tally
    misdirected: tuple[Catch, ...]
    quarantine: QuarantineFigures
    portal: PortalFigures
    keys: tuple[KeyRow, ...]
    key_notes: tuple[str, ...] = ()
    expiring_days: int = 30


@dataclass(frozen=True)
class Disclosure:
    """One message that carried the patient's PHI: when, to which domains, and how protected."""

    ts: datetime
    ref_id: str
    domains: tuple[str, ...]
    entities: tuple[str, ...]
    protection: tuple[str, ...]
    consent_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class DisclosureReport:
    """An accounting of disclosures of one patient's PHI (by roster id) in a period."""

    roster_id: str
    since: datetime | None
    until: datetime | None
    generated_at: datetime
    integrity: Integrity
    disclosures: tuple[Disclosure, ...] = field(default_factory=tuple)


def _base(method: str) -> str:
    return method.split("(", 1)[0]


def protection_label(method: str) -> str:
    """A reader's word for an act-stage method: 'encrypt(smime)' -> 'encrypted (S/MIME)'."""
    base = _base(method)
    detail = method[len(base) :].strip("()")
    if base == "encrypt":
        names = {"smime": "S/MIME", "pgp": "PGP"}
        return f"encrypted ({names.get(detail, detail)})" if detail else "encrypted"
    return {
        "portal": "portal",
        "consent_allow": "consent exception",
        "deliver": "delivered in clear",
        "tag": "delivered in clear",
        "block": "blocked",
        "quarantine": "quarantined",
    }.get(base, base)


def _action_label(rec: AuditRecord) -> str:
    return f"monitor:{rec.action}" if rec.monitor else rec.action


def _successful_releases(events: Iterable[AuditRecord]) -> int:
    """Releases that were not followed by a failure: a release is audited before it is tried,
    and a failed attempt adds `quarantine-release-failed` for the same entry."""
    open_attempts: Counter[str] = Counter()
    for e in sorted(events, key=lambda r: r.ts):
        entry = str(e.details.get("entry", ""))
        if e.action == "quarantine-release":
            open_attempts[entry] += 1
        elif e.action == "quarantine-release-failed" and open_attempts[entry]:
            open_attempts[entry] -= 1
    return sum(open_attempts.values())


def _key_rows(extra: ReportExtras) -> tuple[KeyRow, ...]:
    now = as_utc(extra.generated_at)
    horizon = now + extra.expiring_within
    out: list[KeyRow] = []
    for row in extra.key_rows:
        raw = row.get("not_after") or row.get("expires")
        if not raw:
            continue  # never expires
        end = as_utc(raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw)))
        if end > horizon or row.get("status") == "revoked":
            continue
        out.append(
            KeyRow(
                kind=str(row.get("kind", "")),
                address=mask_address(str(row.get("address", ""))),
                fingerprint=str(row.get("fingerprint", ""))[:16],
                not_after=end,
                status=str(row.get("status", "")),
                days_left=(end - now).days,
            )
        )
    out.sort(key=lambda k: (k.not_after, k.kind, k.fingerprint, k.address))
    return tuple(out)


def build_report(
    records: Iterable[AuditRecord], since: datetime, until: datetime, extra: ReportExtras
) -> Report:
    """Work out every figure of the period [since, until) from the records."""
    recs = in_range(records, since, until)
    messages = [r for r in recs if not r.is_event]
    events = [r for r in recs if r.is_event]

    by_action: Counter[str] = Counter(_action_label(r) for r in messages)
    by_method: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    by_sender: Counter[str] = Counter(r.sender_hash[:SENDER_PREFIX] for r in messages)
    by_domain: Counter[str] = Counter()
    held = 0
    for r in messages:
        for method, n in r.methods.items():
            by_method[method] += n
        for rule in r.rules or (NO_RULE,):
            by_rule[rule] += 1
        for domain in set(r.recipient_domains):
            by_domain[domain] += 1
        if any(_base(m) == "quarantine" for m in r.methods):
            held += 1

    consent_uses = tuple(
        ConsentUse(
            ts=e.ts,
            consent_id=str(e.details.get("consent_id", "")),
            rule=str(e.details.get("rule", "")),
            ref=str(e.details.get("ref", "")),
            entities=tuple(str(x) for x in e.details.get("entities") or ()),
        )
        for e in events
        if e.action == "consent-exception"
    )
    misdirected = tuple(
        Catch(r.ts, r.ref_id, r.recipient_domains, _action_label(r))
        for r in messages
        if r.misdirected
    )

    event_counts: Counter[str] = Counter(e.action for e in events)
    quarantine = QuarantineFigures(
        held=held,
        released=_successful_releases(events),
        deleted=event_counts["quarantine-delete"],
        release_failed=event_counts["quarantine-release-failed"],
        revealed=event_counts["quarantine-reveal"],
    )

    def items(action: str) -> set[str]:
        return {
            str(e.details.get("item"))
            for e in events
            if e.action == action and e.details.get("item")
        }

    stored = items("portal-stored")
    read = stored & (items("portal-view") | items("portal-download"))
    expired = (stored & items("portal-expired")) - read
    portal = PortalFigures(
        stored=len(stored),
        read=len(read),
        unread=len(stored - read - expired),
        expired=len(expired),
        views=event_counts["portal-view"],
        downloads=event_counts["portal-download"],
        locked=event_counts["portal-locked"],
        code_failed=event_counts["portal-code-failed"],
    )

    return Report(
        since=as_utc(since),
        until=as_utc(until),
        generated_at=as_utc(extra.generated_at),
        integrity=extra.integrity,
        messages=len(messages),
        messages_with_phi=sum(1 for r in messages if r.findings_summary.get("phi") is True),
        events=len(events),
        by_action=tally(by_action),
        by_method=tally(by_method),
        by_rule=tally(by_rule),
        by_sender=tally(by_sender),
        by_domain=tally(by_domain),
        consent_uses=consent_uses,
        consent_by_id=tally(Counter(c.consent_id for c in consent_uses)),
        misdirected=misdirected,
        quarantine=quarantine,
        portal=portal,
        keys=_key_rows(extra),
        key_notes=tuple(extra.key_notes),
        expiring_days=extra.expiring_within.days,
    )


def _protection(rec: AuditRecord) -> tuple[str, ...]:
    methods = rec.methods
    if not methods:
        if rec.stage("error") is not None:
            return ("not sent (temporary failure)",)
        parse = rec.stage("parse")
        if parse is not None and parse.get("outcome") == "rejected":
            return ("not sent (rejected)",)
        return ("not sent",)
    out = [f"{protection_label(m)} x{n}" for m, n in methods.items()]
    deliver = rec.stage("deliver")
    if deliver is not None and deliver.get("outcome") == "refused":
        out.append("next hop refused (not delivered)")
    return tuple(out)


def build_disclosures(
    records: Iterable[AuditRecord],
    roster_id: str,
    since: datetime | None,
    until: datetime | None,
    extra: ReportExtras,
) -> DisclosureReport:
    """List the messages that carried `roster_id`'s PHI, oldest first, with their protection.

    Consent-exception events are matched by the message's ref id wherever they fall, since
    the event is written a moment after the message's own timestamp.
    """
    all_recs = list(records)
    consents: dict[str, list[str]] = {}
    for e in all_recs:
        if e.action == "consent-exception" and e.details.get("ref"):
            consents.setdefault(str(e.details["ref"]), []).append(
                str(e.details.get("consent_id", ""))
            )
    rows = [
        Disclosure(
            ts=r.ts,
            ref_id=r.ref_id,
            domains=r.recipient_domains,
            entities=tuple(sorted(r.entities)),
            protection=_protection(r),
            consent_ids=tuple(dict.fromkeys(consents.get(r.ref_id, ()))),
        )
        for r in in_range(all_recs, since, until)
        if not r.is_event and roster_id in r.patients
    ]
    rows.sort(key=lambda d: (d.ts, d.ref_id))
    return DisclosureReport(
        roster_id=roster_id,
        since=as_utc(since) if since else None,
        until=as_utc(until) if until else None,
        generated_at=as_utc(extra.generated_at),
        integrity=extra.integrity,
        disclosures=tuple(rows),
    )
