"""The consent registry: recording, validity, scope coverage, append-only history."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

import gateway.patients
from gateway.patients import ConsentRegistry
from gateway.patients.errors import (
    ConsentError,
    ConsentNotFound,
    ConsentStateError,
    InvalidIdentifier,
    RosterNotFound,
    UnknownAddress,
)
from tests.support.patients import stored_cells, write_csv
from tests.support.tables import table

OBTAINED = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
EXPIRES = date(2027, 2, 28)
DISCLOSURE = Path(gateway.patients.__file__).parent / "disclosures" / "unencrypted-email-v1.txt"


def grant(registry: ConsentRegistry, **changes: Any) -> str:
    """Record a consent for John Smith's Gmail address; keyword arguments replace fields."""
    fields: dict[str, Any] = {
        "address": "john.smith@gmail.com",
        "roster_id": "R-100",
        "obtained_at": OBTAINED,
        "method": "signed-form",
        "recorded_by": "front-desk-amy",
        "disclosure_version": "unencrypted-email-v1",
        "scope": ["appointment_reminders"],
        "expires": EXPIRES,
    }
    fields.update(changes)
    return registry.add(fields.pop("address"), fields.pop("roster_id"), **fields)


def test_add_records_the_documented_facts(registry: ConsentRegistry) -> None:
    """A consent keeps method, recorder, disclosure version and hash, scope, expiry and a masked address."""
    cid = grant(registry, address="John.Smith@GMAIL.com")
    c = registry.get(cid)
    assert c.roster_id == "R-100"
    assert c.address_masked == "j***@gmail.com"
    assert (c.method, c.recorded_by) == ("signed-form", "front-desk-amy")
    assert c.disclosure_version == "unencrypted-email-v1"
    assert c.disclosure_sha256 == hashlib.sha256(DISCLOSURE.read_bytes()).hexdigest()
    assert c.scopes == ("appointment_reminders",)
    assert (c.obtained_at, c.expires) == (OBTAINED, EXPIRES)
    assert c.status(OBTAINED + timedelta(days=1)) == "active"


def test_address_is_stored_only_as_hash_and_mask(registry: ConsentRegistry) -> None:
    """No consent column holds the address in clear."""
    grant(registry)
    cells = stored_cells(registry.engine, "patient_consents", "patient_consent_events")
    assert not any("john.smith" in c or "smith@" in c for c in cells)


@pytest.mark.parametrize(
    ("address", "roster_id", "error"),
    [
        ("stranger@example.com", "R-100", UnknownAddress),
        ("jose@example.org", "R-100", UnknownAddress),
        ("john.smith@gmail.com", "R-999", RosterNotFound),
        ("not an address", "R-100", InvalidIdentifier),
    ],
)
def test_consent_needs_an_address_of_that_entry(
    registry: ConsentRegistry, address: str, roster_id: str, error: type[Exception]
) -> None:
    """An address on no entry, or on another entry, or an unknown entry, is a clear error."""
    with pytest.raises(error):
        grant(registry, address=address, roster_id=roster_id)
    assert registry.list() == []


def test_unknown_address_message_says_so(registry: ConsentRegistry) -> None:
    """The error for an address off the roster says it is unknown without echoing it."""
    with pytest.raises(UnknownAddress, match="unknown address") as info:
        grant(registry, address="stranger@example.com")
    assert "stranger" not in str(info.value)


@pytest.mark.parametrize(
    "changes",
    [
        {"method": "email"},
        {"recorded_by": "  "},
        {"disclosure_version": "unencrypted-email-v9"},
        {"scope": ["everything"]},
        {"scope": []},
        {"exclude": ["NOT_A_TYPE"]},
        {"include": ["US_SSN"], "exclude": ["US_SSN"]},
        {"expires": date(2026, 3, 1)},
        {"obtained_at": datetime.now(UTC) + timedelta(days=2)},
    ],
)
def test_invalid_consents_are_refused(registry: ConsentRegistry, changes: dict[str, Any]) -> None:
    """Bad method, recorder, disclosure, scope, types, expiry or a future grant raise ConsentError."""
    with pytest.raises(ConsentError):
        grant(registry, **changes)


def test_validity_over_time(registry: ConsentRegistry) -> None:
    """Not yet valid before it was obtained, valid through the expiry day, expired after."""
    cid = grant(registry)
    addr = "john.smith@gmail.com"
    assert registry.valid_for(addr, OBTAINED - timedelta(minutes=1)) is None
    assert registry.get(cid).status(OBTAINED - timedelta(minutes=1)) == "pending"
    last_day = datetime(2027, 2, 28, 23, 59, tzinfo=UTC)
    found = registry.valid_for(addr.upper(), last_day)
    assert found is not None and found.consent_id == cid
    assert registry.valid_for(addr, datetime(2027, 3, 1, 0, 0, tzinfo=UTC)) is None
    assert registry.get(cid).status(datetime(2027, 3, 1, tzinfo=UTC)) == "expired"
    assert registry.valid_for("jsmith@work.example", OBTAINED + timedelta(days=1)) is None


def test_revocation_takes_effect_at_its_date(registry: ConsentRegistry) -> None:
    """After revoke the consent is invalid from the revocation time on, and valid before it."""
    cid = grant(registry)
    revoked_at = datetime.now(UTC) - timedelta(days=1)
    state = registry.revoke(cid, at=revoked_at, reason="patient asked by phone", by="amy")
    assert state.revoked_at is not None and state.revoke_reason == "patient asked by phone"
    assert registry.valid_for("john.smith@gmail.com", datetime.now(UTC)) is None
    assert registry.valid_for("john.smith@gmail.com", revoked_at - timedelta(days=1)) is not None
    assert registry.list(active_only=True) == []
    assert [c.consent_id for c in registry.list()] == [cid]
    with pytest.raises(ConsentStateError):
        registry.revoke(cid, at=datetime.now(UTC), reason="again", by="amy")
    with pytest.raises(ConsentNotFound):
        registry.revoke("C-NOPE", at=datetime.now(UTC), reason="x", by="amy")


def test_consent_is_void_once_the_roster_drops_the_address(
    registry: ConsentRegistry, tmp_path: Path
) -> None:
    """If a re-import removes the address from the entry, the consent no longer applies."""
    grant(registry)
    now = datetime.now(UTC)
    assert registry.valid_for("john.smith@gmail.com", now) is not None
    update = "roster_id,name,dob,email\nR-100,John Smith,1961-04-12,new@example.com\n"
    assert registry.roster.import_csv(write_csv(tmp_path, update, "u.csv")).ok
    assert registry.valid_for("john.smith@gmail.com", now) is None


@pytest.mark.parametrize(
    ("scope", "include", "exclude", "found", "outside"),
    table("consent.scope_coverage"),
)
def test_scope_coverage(
    registry: ConsentRegistry,
    scope: list[str],
    include: list[str],
    exclude: list[str],
    found: list[str],
    outside: list[str],
) -> None:
    """covers() lists the entity types outside the scope; SSNs need an explicit include."""
    cid = grant(registry, scope=scope, include=include, exclude=exclude)
    assert ConsentRegistry.covers(registry.get(cid), found) == (not outside, outside)


def test_check_explains_without_recording(registry: ConsentRegistry) -> None:
    """check() names the types outside the scope and writes no event."""
    cid = grant(registry)
    now = datetime.now(UTC)
    result = registry.check("john.smith@gmail.com", ["PERSON", "DIAGNOSIS"], now)
    assert not result.allowed and result.outside == ("DIAGNOSIS",)
    assert registry.check("john.smith@gmail.com", ["PERSON"], now).allowed
    assert not registry.check("stranger@example.com", ["PERSON"], now).allowed
    assert [e.kind for e in registry.history(cid)] == ["granted"]


def test_check_and_use_records_a_used_event(registry: ConsentRegistry) -> None:
    """A covered use appends a `used` event with the ref and entity types; an uncovered one does not."""
    cid = grant(registry)
    now = datetime.now(UTC)
    use = registry.check_and_use("John.Smith@gmail.com", ["PERSON", "DATE_TIME"], now, "PG-1")
    assert use is not None and (use.consent_id, use.roster_id, use.seq) == (cid, "R-100", 2)
    assert registry.check_and_use("john.smith@gmail.com", ["US_SSN"], now, "PG-2") is None
    assert registry.check_and_use("stranger@example.com", ["PERSON"], now, "PG-3") is None
    events = registry.history(cid)
    assert [(e.kind, dict(e.payload)) for e in events[1:]] == [
        ("used", {"ref": "PG-1", "entities": ["DATE_TIME", "PERSON"]})
    ]
    assert registry.get(cid).uses == 1


class StatementLog:
    """Captures every SQL statement an engine runs."""

    def __init__(self, engine: sa.Engine) -> None:
        self.statements: list[str] = []
        self.engine = engine
        sa.event.listen(engine, "before_cursor_execute", self._on)

    def _on(self, _conn: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        self.statements.append(" ".join(statement.split()).upper())

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._on)


@pytest.fixture
def statements(registry: ConsentRegistry) -> Iterator[StatementLog]:
    """Every statement the registry's engine runs during the test."""
    log = StatementLog(registry.engine)
    yield log
    log.close()


def event_rows(registry: ConsentRegistry) -> list[tuple[Any, ...]]:
    """Every stored event row, every column, in key order."""
    with registry.engine.connect() as conn:
        result = conn.execute(
            sa.text("SELECT * FROM patient_consent_events ORDER BY consent_id, seq")
        )
        return [tuple(r) for r in result]


def test_history_is_append_only(registry: ConsentRegistry, statements: StatementLog) -> None:
    """Amend and revoke add rows and leave earlier rows byte-for-byte as they were."""
    cid = grant(registry)
    before = event_rows(registry)
    registry.amend(
        cid,
        at=datetime.now(UTC),
        by="amy",
        reason="added billing",
        scope=["appointment_reminders", "billing"],
    )
    registry.check_and_use("john.smith@gmail.com", ["CPT"], datetime.now(UTC), "PG-7")
    registry.revoke(cid, at=datetime.now(UTC), reason="moved away", by="amy")
    after = event_rows(registry)
    assert after[: len(before)] == before
    assert [r[2] for r in after] == ["granted", "amended", "used", "revoked"]
    assert [e.seq for e in registry.history(cid)] == [1, 2, 3, 4]
    writes = [s for s in statements.statements if "PATIENT_CONSENT_EVENTS" in s]
    assert writes and not any(s.startswith(("UPDATE", "DELETE")) for s in writes)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE patient_consent_events SET kind = 'granted' WHERE kind = 'revoked'",
        "DELETE FROM patient_consent_events WHERE kind = 'revoked'",
    ],
)
def test_database_refuses_rewriting_history(registry: ConsentRegistry, sql: str) -> None:
    """Triggers stop even a direct UPDATE or DELETE of an event row."""
    cid = grant(registry)
    registry.revoke(cid, at=datetime.now(UTC), reason="moved away", by="amy")
    before = event_rows(registry)
    with pytest.raises(DBAPIError, match="append-only"), registry.engine.begin() as conn:
        conn.execute(sa.text(sql))
    assert event_rows(registry) == before
    assert registry.get(cid).revoked_at is not None


def test_amendment_changes_scope_and_expiry(registry: ConsentRegistry) -> None:
    """An amendment widens the scope and moves the expiry; a revoked consent cannot be amended."""
    cid = grant(registry)
    state = registry.amend(
        cid, at=datetime.now(UTC), by="amy", reason="renewed", scope=["lab_results"],
        expires=date(2028, 1, 1),
    )  # fmt: skip
    assert state.expires == date(2028, 1, 1) and state.amendments == 1
    assert ConsentRegistry.covers(state, ["LAB_RESULT"]) == (True, [])
    registry.revoke(cid, at=datetime.now(UTC), reason="done", by="amy")
    with pytest.raises(ConsentStateError):
        registry.amend(cid, at=datetime.now(UTC), by="amy", reason="x", expires=date(2029, 1, 1))


CONSENT_CSV = (
    "address,roster_id,method,recorded_by,scope,exclude,expires,obtained_at\n"  # 1
    "john.smith@gmail.com,R-100,signed-form,amy,billing;appointment_reminders,,2027-01-01,2026-02-01\n"  # 2
    "jose@example.org,R-101,portal,portal,lab_results,MEDICATION,2027-01-01,2026-02-01T10:00:00Z\n"  # 3
)


def test_import_is_all_or_nothing(registry: ConsentRegistry, tmp_path: Path) -> None:
    """One bad row stops the whole import and is named by line and field."""
    bad = CONSENT_CSV + (
        "stranger@example.com,R-100,phone,amy,billing,,2027-01-01,\n"  # 4
        "lee.family@example.net,R-102,fax,amy,billing,,2027-01-01,\n"  # 5
        "lee.family@example.net,R-103,phone,amy,billing,,01/01/2027,\n"  # 6
        "lee.family@example.net,R-103,phone,amy,,,2027-01-01,\n"  # 7
    )
    report = registry.import_csv(write_csv(tmp_path, bad))
    assert [(e.line, e.field) for e in report.errors] == [
        (4, "address"),
        (5, "method"),
        (6, "expires"),
        (7, "scope"),
    ]
    assert report.added == () and registry.list() == []
    good = registry.import_csv(write_csv(tmp_path, CONSENT_CSV, "good.csv"))
    assert good.ok and len(good.added) == 2
    jose = registry.valid_for("jose@example.org", datetime(2026, 6, 1, tzinfo=UTC))
    assert jose is not None and jose.exclude == ("MEDICATION",)
