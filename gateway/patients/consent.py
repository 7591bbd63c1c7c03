"""ConsentRegistry: patients' documented preferences for unencrypted email, append-only.

A consent binds an address (keyed hash plus a masked display form) to a roster entry that
lists it, and records when and how it was obtained, who recorded it, the exact disclosure
text accepted (version and SHA-256), the scope and the expiry date. Nothing is ever updated
or deleted: granting, amending, revoking and each use are rows in `patient_consent_events`
(database triggers refuse UPDATE and DELETE there), and a consent's state is derived from
them.

Validity at a time ``at`` (UTC): granted (``obtained_at <= at``), not revoked at or before
``at``, and ``at``'s UTC date not after ``expires`` (the expiry date is the last valid day),
for an address the roster still lists on that entry. `check_and_use` is stricter: any
committed revocation wins, whatever its date, and the use is recorded in the same
transaction that read the state (row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite), so a
use can never follow a committed revoke.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from detectors.masking import mask_address
from gateway.patients.db import aware, open_store, utc
from gateway.patients.disclosure import DEFAULT_DISCLOSURE_VERSION, load_disclosure
from gateway.patients.errors import (
    ConsentError,
    ConsentNotFound,
    ConsentStateError,
    InvalidIdentifier,
    PatientsError,
    RosterNotFound,
    UnknownAddress,
)
from gateway.patients.normalize import normalize_email
from gateway.patients.roster import PatientRoster, RowError, full_width, read_csv_records
from gateway.patients.schema import consent_events, consents
from gateway.patients.scopes import allowed_types, check_types, outside
from gateway.storage.database import typable_id, write_tx

METHODS = ("signed-form", "portal", "phone")
GRANTED, AMENDED, REVOKED, USED = "granted", "amended", "revoked", "used"
EVENT_KINDS = (GRANTED, AMENDED, REVOKED, USED)
# Clock skew tolerated between the operator's "now" and ours for obtained/revoked times.
FUTURE_TOLERANCE = timedelta(minutes=5)
CONSENT_COLUMNS = (
    "address",
    "roster_id",
    "method",
    "recorded_by",
    "disclosure_version",
    "scope",
    "include",
    "exclude",
    "expires",
    "obtained_at",
)


def new_consent_id() -> str:
    """A random consent id an officer can type: ``C-`` and 12 characters (60 bits)."""
    return typable_id("C-", 12)


def parse_when(value: str) -> datetime:
    """An ISO date (midnight UTC) or an ISO date-time with an offset (``Z`` allowed)."""
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConsentError("expected YYYY-MM-DD or an ISO date-time with an offset") from None
    if parsed.tzinfo is None:
        raise ConsentError("a date-time needs an offset (e.g. +00:00 or Z)")
    return parsed.astimezone(UTC)


def parse_day(value: str) -> date:
    """An ISO ``YYYY-MM-DD`` date."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ConsentError("expected a date as YYYY-MM-DD") from None


@dataclass(frozen=True)
class ConsentEvent:
    """One row of a consent's history."""

    consent_id: str
    seq: int
    kind: str
    at: datetime
    by: str
    recorded: datetime
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Consent:
    """A consent's current state, derived from its events."""

    consent_id: str
    roster_id: str
    address_hash: str
    address_masked: str
    method: str
    obtained_at: datetime
    recorded_by: str
    disclosure_version: str
    disclosure_sha256: str
    scopes: tuple[str, ...]
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    allowed_types: frozenset[str]
    expires: date
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None
    amendments: int = 0
    uses: int = 0
    last_seq: int = 1

    def status(self, at: datetime) -> str:
        """``pending`` (not yet obtained), ``revoked``, ``expired`` or ``active`` at `at`."""
        at = utc(at)
        if self.revoked_at is not None and self.revoked_at <= at:
            return "revoked"
        if at < self.obtained_at:
            return "pending"
        if at.date() > self.expires:
            return "expired"
        return "active"

    def is_valid(self, at: datetime) -> bool:
        """True when the consent is active at `at`."""
        return self.status(at) == "active"


@dataclass(frozen=True)
class ConsentUse:
    """A recorded use of a consent for one message: what the audit event needs."""

    consent_id: str
    roster_id: str
    seq: int
    at: datetime
    ref_id: str
    entity_types: tuple[str, ...]


@dataclass(frozen=True)
class ConsentCheck:
    """Why an address may or may not receive these entity types unencrypted (read-only)."""

    consent: Consent | None
    outside: tuple[str, ...] = ()
    reason: str = ""

    @property
    def allowed(self) -> bool:
        """True when a valid consent covers every entity type."""
        return self.consent is not None and not self.outside


@dataclass(frozen=True)
class ConsentImportReport:
    """What a consent import did; all-or-nothing, so `added` is empty when `errors` is not."""

    rows: int
    added: tuple[str, ...] = ()
    errors: tuple[RowError, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every row was good and all were recorded."""
        return not self.errors


@dataclass(frozen=True)
class _NewConsent:
    consent_id: str
    roster_id: str
    address_hash: str
    address_masked: str
    obtained_at: datetime
    recorded_by: str
    payload: Mapping[str, Any] = field(default_factory=dict)


class _FieldError(PatientsError):
    def __init__(self, field_name: str, exc: PatientsError) -> None:
        super().__init__(str(exc))
        self.field = field_name
        self.inner = exc


def _fold(consent_id: str, head: Any, events: Sequence[ConsentEvent]) -> Consent:
    granted = events[0]
    if granted.kind != GRANTED:
        raise ConsentStateError(f"consent {consent_id}: first event is {granted.kind!r}")
    p = granted.payload
    c = Consent(
        consent_id=consent_id,
        roster_id=head.roster_id,
        address_hash=head.address_hash,
        address_masked=head.address_masked,
        method=p["method"],
        obtained_at=granted.at,
        recorded_by=granted.by,
        disclosure_version=p["disclosure_version"],
        disclosure_sha256=p["disclosure_sha256"],
        scopes=tuple(p["scopes"]),
        include=tuple(p["include"]),
        exclude=tuple(p["exclude"]),
        allowed_types=allowed_types(p["scopes"], p["include"], p["exclude"]),
        expires=date.fromisoformat(p["expires"]),
    )
    for ev in events[1:]:
        if ev.kind == AMENDED:
            q = {**{"scopes": c.scopes, "include": c.include, "exclude": c.exclude}, **ev.payload}
            c = replace(
                c,
                scopes=tuple(q["scopes"]),
                include=tuple(q["include"]),
                exclude=tuple(q["exclude"]),
                allowed_types=allowed_types(q["scopes"], q["include"], q["exclude"]),
                expires=date.fromisoformat(q["expires"]) if "expires" in ev.payload else c.expires,
                amendments=c.amendments + 1,
            )
        elif ev.kind == REVOKED and c.revoked_at is None:
            c = replace(
                c, revoked_at=ev.at, revoked_by=ev.by, revoke_reason=str(ev.payload["reason"])
            )
        elif ev.kind == USED:
            c = replace(c, uses=c.uses + 1)
    return replace(c, last_seq=events[-1].seq)


def _event(row: Any) -> ConsentEvent:
    return ConsentEvent(
        consent_id=row.consent_id,
        seq=int(row.seq),
        kind=row.kind,
        at=aware(row.at),
        by=row.by,
        recorded=aware(row.recorded),
        payload=MappingProxyType(json.loads(row.payload)),
    )


class ConsentRegistry:
    """Records, revokes and checks consents to unencrypted email, in an append-only history."""

    def __init__(
        self, url: str, roster: PatientRoster, *, disclosure_dir: Path | None = None
    ) -> None:
        self.roster = roster
        self.disclosure_dir = disclosure_dir
        self.engine = open_store(url)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    # -- recording ----------------------------------------------------------------------

    def _prepare(
        self,
        address: str,
        roster_id: str,
        *,
        obtained_at: datetime | None,
        method: str,
        recorded_by: str,
        disclosure_version: str,
        scope: Iterable[str],
        include: Iterable[str],
        exclude: Iterable[str],
        expires: date,
    ) -> _NewConsent:
        def step(name: str, exc: PatientsError) -> _FieldError:
            return _FieldError(name, exc)

        try:
            normalised = normalize_email(address)
        except InvalidIdentifier as exc:
            raise step("address", exc) from None
        if not self.roster.exists(roster_id):
            raise step("roster_id", RosterNotFound(f"no roster entry {roster_id!r}"))
        if not self.roster.is_address_of(roster_id, normalised):
            if self.roster.is_roster_address(normalised):
                msg = f"the address is on the roster, but not on entry {roster_id}"
            else:
                msg = "a consent for an unknown address: it is on no roster entry"
            raise step("address", UnknownAddress(msg))
        if method not in METHODS:
            raise step("method", ConsentError(f"method must be one of {list(METHODS)}"))
        if not recorded_by.strip():
            raise step("recorded_by", ConsentError("who recorded the consent is required"))
        try:
            disclosure = load_disclosure(disclosure_version, self.disclosure_dir)
        except ConsentError as exc:
            raise step("disclosure_version", exc) from None
        scopes = tuple(dict.fromkeys(s.strip() for s in scope if s.strip()))
        try:
            inc, exc_types = check_types(include, "include"), check_types(exclude, "exclude")
            allowed_types(scopes, inc, exc_types)
        except ConsentError as exc:
            raise step("scope", exc) from None
        now = datetime.now(UTC)
        when = now if obtained_at is None else utc(obtained_at)
        if when > now + FUTURE_TOLERANCE:
            raise step("obtained_at", ConsentError("consent cannot be obtained in the future"))
        if expires <= when.date():
            raise step("expires", ConsentError("expiry must be after the day consent was obtained"))
        payload = {
            "method": method,
            "disclosure_version": disclosure.version,
            "disclosure_sha256": disclosure.sha256,
            "scopes": list(scopes),
            "include": list(inc),
            "exclude": list(exc_types),
            "expires": expires.isoformat(),
        }
        return _NewConsent(
            consent_id=new_consent_id(),
            roster_id=roster_id,
            address_hash=self.roster.address_hash(normalised),
            address_masked=mask_address(normalised),
            obtained_at=when,
            recorded_by=recorded_by.strip(),
            payload=payload,
        )

    def _insert(self, conn: Connection, new: _NewConsent) -> None:
        now = datetime.now(UTC)
        conn.execute(
            consents.insert().values(
                consent_id=new.consent_id,
                address_hash=new.address_hash,
                address_masked=new.address_masked,
                roster_id=new.roster_id,
                created=now,
            )
        )
        self._append(
            conn, new.consent_id, 1, GRANTED, new.obtained_at, new.recorded_by, new.payload
        )

    @staticmethod
    def _append(
        conn: Connection,
        consent_id: str,
        seq: int,
        kind: str,
        at: datetime,
        by: str,
        payload: Mapping[str, Any],
    ) -> None:
        conn.execute(
            consent_events.insert().values(
                consent_id=consent_id,
                seq=seq,
                kind=kind,
                at=at,
                by=by,
                recorded=datetime.now(UTC),
                payload=json.dumps(dict(payload), sort_keys=True),
            )
        )

    def add(
        self,
        address: str,
        roster_id: str,
        *,
        obtained_at: datetime | None = None,
        method: str,
        recorded_by: str,
        disclosure_version: str,
        scope: Iterable[str],
        expires: date,
        include: Iterable[str] = (),
        exclude: Iterable[str] = (),
    ) -> str:
        """Record a granted consent and return its id; the address must be on that entry."""
        try:
            new = self._prepare(
                address,
                roster_id,
                obtained_at=obtained_at,
                method=method,
                recorded_by=recorded_by,
                disclosure_version=disclosure_version,
                scope=scope,
                include=include,
                exclude=exclude,
                expires=expires,
            )
        except _FieldError as exc:
            raise exc.inner from None
        with write_tx(self.engine) as conn:
            self._insert(conn, new)
        return new.consent_id

    def import_csv(self, path: Path) -> ConsentImportReport:
        """Record every consent in a CSV file, or none if any row is bad (errors by line)."""
        records = read_csv_records(Path(path), CONSENT_COLUMNS)
        errors: list[RowError] = []
        prepared: list[_NewConsent] = []
        for line, record in full_width(records, errors):
            cell = {k: (record.get(k) or "").strip() for k in CONSENT_COLUMNS}
            missing = [
                k
                for k in ("address", "roster_id", "method", "recorded_by", "scope", "expires")
                if not cell[k]
            ]
            if missing:
                errors.extend(RowError(line, k, "missing") for k in missing)
                continue
            try:
                try:
                    expires = parse_day(cell["expires"])
                except ConsentError as exc:
                    raise _FieldError("expires", exc) from None
                try:
                    obtained = parse_when(cell["obtained_at"]) if cell["obtained_at"] else None
                except ConsentError as exc:
                    raise _FieldError("obtained_at", exc) from None
                prepared.append(
                    self._prepare(
                        cell["address"],
                        cell["roster_id"],
                        obtained_at=obtained,
                        method=cell["method"],
                        recorded_by=cell["recorded_by"],
                        disclosure_version=cell["disclosure_version"] or DEFAULT_DISCLOSURE_VERSION,
                        scope=cell["scope"].split(";"),
                        include=cell["include"].split(";"),
                        exclude=cell["exclude"].split(";"),
                        expires=expires,
                    )
                )
            except _FieldError as exc:
                errors.append(RowError(line, exc.field, str(exc.inner)))
        if errors:
            return ConsentImportReport(rows=len(records), errors=tuple(errors))
        with write_tx(self.engine) as conn:
            for new in prepared:
                self._insert(conn, new)
        return ConsentImportReport(rows=len(records), added=tuple(n.consent_id for n in prepared))

    def _locked_state(self, conn: Connection, consent_id: str) -> Consent:
        head = conn.execute(
            sa.select(consents).where(consents.c.consent_id == consent_id).with_for_update()
        ).first()
        if head is None:
            raise ConsentNotFound(f"no consent {consent_id!r}")
        return _fold(consent_id, head, self._events(conn, [consent_id])[consent_id])

    def revoke(self, consent_id: str, *, at: datetime, reason: str, by: str) -> Consent:
        """Append a revocation effective at `at` and return the revoked state."""
        if not reason.strip():
            raise ConsentError("a revocation needs a reason")
        if not by.strip():
            raise ConsentError("who revokes the consent is required")
        when = utc(at)
        if when > datetime.now(UTC) + FUTURE_TOLERANCE:
            raise ConsentError("a revocation cannot be dated in the future")
        with write_tx(self.engine) as conn:
            state = self._locked_state(conn, consent_id)
            if state.revoked_at is not None:
                raise ConsentStateError(f"consent {consent_id} is already revoked")
            self._append(
                conn, consent_id, state.last_seq + 1, REVOKED, when, by.strip(),
                {"reason": reason.strip()},
            )  # fmt: skip
        return self.get(consent_id)

    def amend(
        self,
        consent_id: str,
        *,
        at: datetime,
        by: str,
        reason: str,
        scope: Iterable[str] | None = None,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        expires: date | None = None,
    ) -> Consent:
        """Append an amendment (scope, inclusions, exclusions or expiry) and return the state."""
        if not reason.strip() or not by.strip():
            raise ConsentError("an amendment needs a reason and who made it")
        with write_tx(self.engine) as conn:
            state = self._locked_state(conn, consent_id)
            if state.revoked_at is not None:
                raise ConsentStateError(f"consent {consent_id} is revoked; record a new one")
            payload: dict[str, Any] = {"reason": reason.strip()}
            scopes = tuple(scope) if scope is not None else state.scopes
            inc = check_types(include, "include") if include is not None else state.include
            exc = check_types(exclude, "exclude") if exclude is not None else state.exclude
            allowed_types(scopes, inc, exc)
            payload.update(scopes=list(scopes), include=list(inc), exclude=list(exc))
            if expires is not None:
                if expires <= state.obtained_at.date():
                    raise ConsentError("expiry must be after the day consent was obtained")
                payload["expires"] = expires.isoformat()
            self._append(conn, consent_id, state.last_seq + 1, AMENDED, utc(at), by, payload)
        return self.get(consent_id)

    # -- reading ------------------------------------------------------------------------

    @staticmethod
    def _events(conn: Connection, ids: Sequence[str]) -> dict[str, list[ConsentEvent]]:
        out: dict[str, list[ConsentEvent]] = {i: [] for i in ids}
        if not ids:
            return out
        rows = conn.execute(
            sa.select(consent_events)
            .where(consent_events.c.consent_id.in_(list(ids)))
            .order_by(consent_events.c.consent_id, consent_events.c.seq)
        )
        for row in rows:
            out[row.consent_id].append(_event(row))
        return out

    def _load(self, conn: Connection, where: Any = None, *, lock: bool = False) -> list[Consent]:
        query = sa.select(consents).order_by(consents.c.created, consents.c.consent_id)
        if where is not None:
            query = query.where(where)
        if lock:
            query = query.with_for_update()
        heads = conn.execute(query).all()
        events = self._events(conn, [h.consent_id for h in heads])
        return [_fold(h.consent_id, h, events[h.consent_id]) for h in heads]

    def get(self, consent_id: str) -> Consent:
        """The current state of one consent; raises ConsentNotFound."""
        with self.engine.connect() as conn:
            found = self._load(conn, consents.c.consent_id == consent_id)
        if not found:
            raise ConsentNotFound(f"no consent {consent_id!r}")
        return found[0]

    def list(self, active_only: bool = False, *, at: datetime | None = None) -> list[Consent]:
        """Every consent (or only those active at `at`, default now), oldest first."""
        with self.engine.connect() as conn:
            found = self._load(conn)
        when = at or datetime.now(UTC)
        return [c for c in found if c.is_valid(when)] if active_only else found

    def history(self, consent_id: str) -> builtins.list[ConsentEvent]:
        """Every event of one consent in order; raises ConsentNotFound."""
        with self.engine.connect() as conn:
            events = self._events(conn, [consent_id])[consent_id]
        if not events:
            raise ConsentNotFound(f"no consent {consent_id!r}")
        return events

    def _for_address(self, address: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """The address's hashes under every roster key, and the roster ids that list it."""
        try:
            normalised = normalize_email(address)
        except InvalidIdentifier:
            return None
        return self.roster.address_hashes(normalised), self.roster.ids_by_email(normalised)

    def rehash(self, addresses: Iterable[str]) -> int:
        """Move the consents of these addresses to their hash under the active roster key (after
        a key rotation, with the roster re-imported); return how many moved."""
        moved = 0
        with write_tx(self.engine) as conn:
            for address in addresses:
                try:
                    active, *older = self.roster.address_hashes(address)
                except InvalidIdentifier:
                    continue
                if not older:
                    continue
                result = conn.execute(
                    consents.update()
                    .where(consents.c.address_hash.in_(older))
                    .values(address_hash=active)
                )
                moved += int(result.rowcount or 0)
        return moved

    def valid_for(self, address: str, at: datetime) -> Consent | None:
        """The most recently obtained consent valid for `address` at `at`, or None."""
        found = self._for_address(address)
        if found is None:
            return None
        digests, roster_ids = found
        with self.engine.connect() as conn:
            candidates = self._load(conn, consents.c.address_hash.in_(digests))
        valid = [c for c in candidates if c.is_valid(at) and c.roster_id in roster_ids]
        return max(valid, key=lambda c: c.obtained_at, default=None)

    @staticmethod
    def covers(consent: Consent, entity_types: Iterable[str]) -> tuple[bool, builtins.list[str]]:
        """Whether every entity type lies within the consent's scope, and those that do not."""
        out = outside(consent.allowed_types, entity_types)
        return (not out, out)

    def check(self, address: str, entity_types: Iterable[str], at: datetime) -> ConsentCheck:
        """Explain, without recording anything, whether a consent would allow this message."""
        types = list(entity_types)
        consent = self.valid_for(address, at)
        if consent is None:
            return ConsentCheck(None, reason="no valid consent for this address")
        ok, out = self.covers(consent, types)
        if not ok:
            return ConsentCheck(consent, tuple(out), reason="entity types outside the scope")
        return ConsentCheck(consent, reason="covered")

    def check_and_use(
        self, address: str, entity_types: Iterable[str], at: datetime, ref_id: str
    ) -> ConsentUse | None:
        """Record and return a use of a valid, covering consent, or None; a committed revoke wins."""
        types = tuple(sorted(set(entity_types)))
        found = self._for_address(address)
        if found is None:
            return None
        digests, roster_ids = found
        when = utc(at)
        with write_tx(self.engine) as conn:
            # Locks the consent rows (FOR UPDATE), which revoke() also locks: whichever
            # commits first is seen by the other. SQLite's BEGIN IMMEDIATE does the same.
            candidates = self._load(conn, consents.c.address_hash.in_(digests), lock=True)
            usable = [
                c
                for c in candidates
                if c.revoked_at is None
                and c.is_valid(when)
                and c.roster_id in roster_ids
                and self.covers(c, types)[0]
            ]
            if not usable:
                return None
            chosen = max(usable, key=lambda c: c.obtained_at)
            seq = chosen.last_seq + 1
            self._append(
                conn, chosen.consent_id, seq, USED, when, "phigate",
                {"ref": ref_id, "entities": list(types)},
            )  # fmt: skip
        return ConsentUse(chosen.consent_id, chosen.roster_id, seq, when, ref_id, types)
