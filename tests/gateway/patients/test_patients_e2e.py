"""Issue 5 end to end on loopback: consent exceptions, portal instead of clear text outside the
consent's scope, the misdirection check, and the accounting of disclosures."""

from __future__ import annotations

import email.policy
import json
import smtplib
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.patients.consent import ConsentRegistry
from gateway.patients.roster import PatientRoster
from tests.support import POLICIES, REPO
from tests.support.gateway import make_settings, port_of, running_gateway
from tests.support.mail import text_mail

MARIBEL = "maribel.oyelaran@gmail.com"
OTHER_PATIENT_MRN = "5521870"


def _message(to: str, subject: str, body: str) -> bytes:
    m = text_mail("Nurse Line <nurse@practice.example>", to, subject, body)
    return m.as_bytes(policy=email.policy.SMTP)


REMINDER = _message(
    f"Maribel Oyelaran <{MARIBEL}>",
    "Appointment reminder",
    "Dear Maribel,\n\nThis is a reminder of your appointment with Dr. Park in cardiology on "
    "December 3 at 10:30 AM.\nPlease call 555-201-0100 if you need to reschedule.\n\nNurse Line\n",
)
RESULTS = _message(
    f"Maribel Oyelaran <{MARIBEL}>",
    "Your recent visit",
    "Dear Maribel,\n\nYour A1c came back at 8.2%, which is above target. Dr. Park would like to "
    "increase your\nmetformin to 1000 mg twice daily.\n\nNurse Line\n",
)
MISDIRECTED = _message(
    f"Maribel Oyelaran <{MARIBEL}>",
    "Records",
    f"Hello,\n\nAttached are the notes for Tobias Lindqvist, MRN {OTHER_PATIENT_MRN}: atrial "
    "fibrillation, apixaban 5 mg.\n",
)


@pytest.fixture
def world(tmp_path: Path, sink):
    settings = make_settings(
        tmp_path,
        sink[1],
        policy_file=str(POLICIES / "default.yaml"),
        groups={"internal": {"domains": ["practice.example"]}},
        portal={
            "enabled": True,
            "url": "https://portal.practice.example",
            "store_url": f"sqlite:///{tmp_path}/portal.db",
            "master_key_file": str(tmp_path / "portal.key"),
            "from_address": "secure@practice.example",
            "practice_name": "Test Practice",
        },
    )
    roster_csv = tmp_path / "roster.csv"
    roster_csv.write_text(
        "roster_id,name,dob,mrn,email\n"
        f"R-000001,Maribel Oyelaran,1979-05-02,7734102,{MARIBEL}\n"
        f"R-000002,Tobias Lindqvist,1958-09-30,{OTHER_PATIENT_MRN},tobias.l@yahoo.com\n"
    )
    roster = PatientRoster(settings.patients.url, settings.patients.key_file)
    report = roster.import_csv(roster_csv)
    assert not report.errors
    consents = ConsentRegistry(settings.patients.url, roster)
    consent_id = consents.add(
        MARIBEL,
        "R-000001",
        obtained_at=datetime.now(UTC) - timedelta(days=1),
        method="signed-form",
        recorded_by="front desk",
        disclosure_version="unencrypted-email-v1",
        scope=["appointment_reminders"],
        expires=(datetime.now(UTC) + timedelta(days=365)).date(),
    )
    consents.close()
    roster.close()
    with running_gateway(settings) as gw:
        yield settings, gw, consent_id


def _send(port: int, raw: bytes, rcpt: str = MARIBEL) -> str:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
        s.ehlo()
        s.mail("nurse@practice.example")
        assert s.rcpt(rcpt)[0] == 250
        code, text = s.data(raw)
    assert code == 250, text
    return text.decode().rsplit("ref ", 1)[1].rstrip(")")


def _audit(settings) -> list[dict]:
    with sqlite3.connect(settings.audit.url.removeprefix("sqlite:///")) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM audit_records ORDER BY seq")]


def test_consent_allows_clear_delivery_within_scope_and_leaves_its_event(world, sink):
    """An appointment reminder covered by the consent goes out as sent, and the use is logged."""
    settings, gw, consent_id = world
    ref = _send(port_of(gw), REMINDER)
    assert [(m.rcpt_tos, m.content) for m in sink[0].messages] == [([MARIBEL], REMINDER)]
    events = [r for r in _audit(settings) if r["action"] == "consent-exception"]
    assert len(events) == 1
    stage = json.loads(events[0]["stages"])[0]
    assert stage["consent_id"] == consent_id and stage["ref"] == ref
    assert stage["rule"] == "phi-to-patients" and "PATIENT_NAME" in stage["entities"]


def test_outside_the_consents_scope_the_patient_gets_a_portal_notice(world, sink):
    """Lab results are not in an appointment-reminder consent: a portal notice goes instead."""
    settings, gw, _ = world
    _send(port_of(gw), RESULTS)
    # The patient gets the pickup link; the sender a short note that it went to the portal.
    [notice] = [m for m in sink[0].messages if m.rcpt_tos == [MARIBEL]]
    [told] = [m for m in sink[0].messages if m.rcpt_tos != [MARIBEL]]
    assert told.rcpt_tos == ["nurse@practice.example"]
    assert b"secure patient portal" in told.content and b"A1c" not in told.content
    text = notice.content.decode()
    assert "https://portal.practice.example/p/" in text
    assert "A1c" not in text and "metformin" not in text and "Maribel" not in text
    assert not [r for r in _audit(settings) if r["action"] == "consent-exception"]
    assert [r for r in _audit(settings) if r["action"] == "portal-stored"]


def test_mail_about_one_patient_to_another_is_caught_as_misdirected(world, sink):
    """Another patient's MRN to Maribel's address is held in quarantine, not delivered."""
    settings, gw, _ = world
    _send(port_of(gw), MISDIRECTED)
    assert [m.rcpt_tos for m in sink[0].messages] == [["nurse@practice.example"]], "only a notice"
    record = [r for r in _audit(settings) if r["action"] == "quarantine"][0]
    summary = json.loads(record["findings_summary"])
    assert summary["misdirected"] == 1 and summary["patients"] == ["R-000002"]


def test_the_disclosures_report_lists_exactly_the_patients_messages(world, sink, tmp_path: Path):
    """report disclosures names Maribel's two messages (consent, portal) and not the others'."""
    settings, gw, consent_id = world
    refs = [_send(port_of(gw), raw) for raw in (REMINDER, RESULTS, MISDIRECTED)]
    _send(
        port_of(gw), _message("x@partner.example", "Hours", "Closed Friday.\n"), "x@partner.example"
    )
    cfg = tmp_path / "report.yaml"
    cfg.write_text(
        f"audit: {{url: '{settings.audit.url}', key_file: '{settings.audit.key_file}'}}\n"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway.cli.main",
            "report",
            "disclosures",
            "--patient",
            "R-000001",
            "--config",
            str(cfg),
            "--format",
            "csv",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert out.returncode == 0, out.stderr
    assert refs[0] in out.stdout and refs[1] in out.stdout
    assert refs[2] not in out.stdout
    assert consent_id in out.stdout
    assert "portal" in out.stdout.lower()


def test_a_portal_webhook_that_is_down_gives_451_and_nothing_leaves(tmp_path: Path, sink):
    """With an external portal unreachable, the message temp-fails (451) so the MTA retries."""
    from tests.support.gateway import free_port

    secret = tmp_path / "hook.secret"
    secret.write_text("s" * 40)
    settings = make_settings(
        tmp_path,
        sink[1],
        policy_file=str(POLICIES / "default.yaml"),
        portal={
            "webhook_url": f"https://127.0.0.1:{free_port()}/inbox",
            "webhook_secret_file": str(secret),
            "webhook_retries": 0,
            "webhook_timeout": 2,
        },
    )
    with running_gateway(settings) as gw:
        with smtplib.SMTP("127.0.0.1", port_of(gw), timeout=60) as s:
            s.ehlo()
            s.mail("nurse@practice.example")
            assert s.rcpt(MARIBEL)[0] == 250
            code, text = s.data(RESULTS)
    assert code == 451 and text.startswith(b"4.")
    assert sink[0].messages == []


def test_consent_grants_and_revocations_from_the_cli_are_audited(tmp_path: Path, capsys):
    """`phigate consent add` and `revoke` each leave an audit event naming the consent."""
    from gateway.cli.main import main

    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"patients: {{url: 'sqlite:///{tmp_path}/p.db', key_file: '{tmp_path}/roster.key'}}\n"
        f"audit: {{url: 'sqlite:///{tmp_path}/audit.db', key_file: '{tmp_path}/audit.key'}}\n"
    )
    roster = tmp_path / "roster.csv"
    roster.write_text(
        f"roster_id,name,dob,mrn,email\nR-000001,Maribel Oyelaran,1979-05-02,7734102,{MARIBEL}\n"
    )
    assert main(["patients", "import", str(roster), "--config", str(cfg)]) == 0
    assert (
        main(
            [
                "consent",
                "add",
                "--config",
                str(cfg),
                "--address",
                MARIBEL,
                "--roster-id",
                "R-000001",
                "--method",
                "phone",
                "--recorded-by",
                "front desk",
                "--disclosure-version",
                "unencrypted-email-v1",
                "--scope",
                "appointment_reminders",
                "--expires",
                "2030-01-01",
            ]
        )
        == 0
    )
    consent_id = capsys.readouterr().out.strip().splitlines()[-1]
    assert (
        main(["consent", "revoke", consent_id, "--reason", "patient asked", "--config", str(cfg)])
        == 0
    )
    with sqlite3.connect(tmp_path / "audit.db") as db:
        rows = db.execute("SELECT action, stages FROM audit_records ORDER BY seq").fetchall()
    events = [(a, json.loads(st)[0]["consent_id"]) for a, st in rows]
    assert events == [("consent-granted", consent_id), ("consent-revoked", consent_id)]
    assert MARIBEL not in json.dumps(rows)
