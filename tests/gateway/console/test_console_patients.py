"""The patients pages: consents searched, recorded and revoked (audited; auditors refused),
roster import all-or-nothing with errors by line, and the accounting of disclosures."""

from __future__ import annotations

from datetime import timedelta

import httpx

from gateway.audit import AuditLog
from gateway.patients.consent import ConsentRegistry
from tests.gateway.console.conftest import Console, csrf_of
from tests.support.reports import ALICE, at, fill_month, message_entry, smime_to_lab

FORBIDDEN = 403
NOT_FOUND = 404
UNPROCESSABLE = 422


def _csrf(client: httpx.Client) -> str:
    return csrf_of(client.get("/patients").text)


def _add(client: httpx.Client, console: Console, **changes: str) -> httpx.Response:
    data = {
        "csrf": _csrf(client),
        "address": "jose@example.org",
        "roster_id": "R-101",
        "method": "signed-form",
        "scope": "appointment_reminders",
        "expires": (console.clock().date() + timedelta(days=365)).isoformat(),
        **changes,
    }
    return client.post("/patients/consent", data=data)


def test_record_search_and_revoke_a_consent(
    console: Console, registry: ConsentRegistry, audit_log: AuditLog
) -> None:
    """An officer records a consent, finds it by the patient's address, and revokes it."""
    client = console.signed_in("olga")
    resp = _add(client, console)
    assert resp.status_code == 200 and "recorded" in resp.text
    (consent,) = registry.list()
    assert consent.roster_id == "R-101" and consent.recorded_by == "olga"
    found = client.get("/patients", params={"q": "jose@example.org"})
    table = found.text.split("<tbody>", 1)[1]
    assert consent.consent_id in table and "jose@example.org" not in table
    assert consent.consent_id not in client.get("/patients", params={"q": "R-100"}).text
    revoked = client.post(
        "/patients/revoke",
        data={"csrf": _csrf(client), "consent_id": consent.consent_id, "reason": "asked by phone"},
    )
    assert revoked.status_code == 200 and "revoked" in revoked.text
    assert registry.get(consent.consent_id).revoked_by == "olga"
    actions = [r["action"] for r in audit_log.records(200)]
    assert "consent-granted" in actions and "consent-revoked" in actions


def test_address_not_on_the_entry_is_refused(console: Console, registry: ConsentRegistry) -> None:
    """A consent for an address that is not the patient's is refused and nothing is recorded."""
    client = console.signed_in("ann")
    resp = _add(client, console, address="someone@else.example")
    assert resp.status_code == UNPROCESSABLE
    assert registry.list() == []


def test_auditor_cannot_record_revoke_or_import(
    console: Console, registry: ConsentRegistry
) -> None:
    """An auditor reads the consents but recording, revoking and importing are 403."""
    client = console.signed_in("aud")
    page = client.get("/patients")
    assert page.status_code == 200 and "Record a consent" not in page.text
    assert _add(client, console).status_code == FORBIDDEN
    resp = client.post(
        "/patients/import",
        data={"csrf": csrf_of(page.text), "kind": "roster"},
        files={
            "file": ("r.csv", b"roster_id,name,dob,mrn,email\nR-200,A B,2000-01-01,9,a@b.example\n")
        },
    )
    assert resp.status_code == FORBIDDEN
    assert registry.list() == [] and not registry.roster.exists("R-200")


def test_roster_import_all_or_nothing(console: Console, registry: ConsentRegistry) -> None:
    """A roster CSV with a bad row imports nothing and names the line; a good one imports."""
    client = console.signed_in("olga")
    header = "roster_id,name,dob,mrn,email\n"
    bad = (
        header
        + "R-200,Mia Roe,2001-02-03,901,mia@example.com\nR-201,Tom Roe,not-a-date,902,tom@example.com\n"
    )
    resp = client.post(
        "/patients/import",
        data={"csrf": _csrf(client), "kind": "roster"},
        files={"file": ("roster.csv", bad.encode())},
    )
    assert resp.status_code == UNPROCESSABLE and "line 3" in resp.text
    assert not registry.roster.exists("R-200")
    good = header + "R-200,Mia Roe,2001-02-03,901,mia@example.com\n"
    resp = client.post(
        "/patients/import",
        data={"csrf": _csrf(client), "kind": "roster"},
        files={"file": ("roster.csv", good.encode())},
    )
    assert resp.status_code == 200 and registry.roster.exists("R-200")


def test_disclosures_of_a_patient_and_an_unknown_id(
    console: Console, registry: ConsentRegistry, audit_log: AuditLog
) -> None:
    """A rostered patient's disclosures list the messages that carried their PHI; an id not
    on the roster says so instead of showing an empty list."""
    fill_month(audit_log)
    client = console.signed_in("aud")
    unknown = client.get("/disclosures", params={"patient": "P-100"})
    assert unknown.status_code == NOT_FOUND and "No patient with roster id P-100" in unknown.text
    audit_log.append(message_entry(audit_log, smime_to_lab("D1", at(20), ALICE, "R-100")))
    known = client.get("/disclosures", params={"patient": "R-100"})
    assert known.status_code == 200 and "1 message carried R-100" in known.text
    assert "/trace/D1" in known.text and "lab.example" in known.text
    assert "/trace/M1" not in known.text  # another patient's message
