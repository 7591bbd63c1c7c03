"""`phigate policy test` and the gateway decide alike: the same messages through the real CLI and
through a real gateway on loopback (issue 11).

The gateway's outcome is read from what it did, not from what it says it decided: what reached
the next hop, what the portal and the quarantine hold, and then the audit record's decision.
"""

from __future__ import annotations

import csv
import email.policy
import io
import json
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.config import Settings, load_settings
from gateway.patients.consent import ConsentRegistry
from gateway.patients.roster import PatientRoster
from gateway.quarantine import QuarantineStore
from tests.support import POLICIES
from tests.support.deploy import run_phigate
from tests.support.gateway import GatewayThread, free_port, port_of, running_gateway, short_tempdir
from tests.support.mail import text_mail

SENDER = "nurse@practice.example"
MARIBEL = "maribel.oyelaran@gmail.com"
TOBIAS = "tobias.l@yahoo.com"
TOBIAS_MRN = "5521870"


def _message(to: str, subject: str, body: str) -> bytes:
    return text_mail(f"Nurse Line <{SENDER}>", to, subject, body).as_bytes(policy=email.policy.SMTP)


@dataclass(frozen=True)
class Case:
    """One message and the one recipient it goes to, with the outcome a reader would expect."""

    name: str
    to: str
    raw: bytes
    expected: str  # what the default policy should do (so a both-wrong parity cannot pass)


CASES = (
    Case(
        "misdirected",
        MARIBEL,
        _message(
            MARIBEL,
            "Records",
            f"Hello,\n\nAttached are the notes for Tobias Lindqvist, MRN {TOBIAS_MRN}: atrial "
            "fibrillation, apixaban 5 mg.\n",
        ),
        "quarantine",
    ),
    Case(
        "portal",
        MARIBEL,
        _message(
            MARIBEL,
            "Your recent visit",
            "Dear Maribel,\n\nYour A1c came back at 8.2%, which is above target. Dr. Park would "
            "like to increase your\nmetformin to 1000 mg twice daily.\n\nNurse Line\n",
        ),
        "portal",
    ),
    Case(
        # The recipient is in the roster only: no configured group names yahoo.com.
        "patient-in-roster",
        TOBIAS,
        _message(
            TOBIAS,
            "Your results",
            f"Dear Tobias,\n\nYour MRN is {TOBIAS_MRN}. Your INR came back at 2.4 on apixaban; "
            "the atrial fibrillation is well controlled.\n\nNurse Line\n",
        ),
        "portal",
    ),
    Case(
        "clean",
        "office@supplier.example",
        _message(
            "office@supplier.example",
            "Office hours",
            "Hello,\n\nWe are closed on Friday for the holiday. Please deliver the paper order "
            "on Monday.\n\nThanks\n",
        ),
        "deliver",
    ),
    Case(
        "consent",
        MARIBEL,
        _message(
            MARIBEL,
            "Appointment reminder",
            "Dear Maribel,\n\nThis is a reminder of your appointment with Dr. Park in cardiology "
            "on December 3 at 10:30 AM.\nPlease call 555-201-0100 if you need to reschedule.\n\n"
            "Nurse Line\n",
        ),
        "consent_allow",
    ),
)


def _config(tmp: Path, next_hop_port: int) -> dict[str, Any]:
    return {
        "listen": f"127.0.0.1:{free_port()}",
        "next_hop": f"127.0.0.1:{next_hop_port}",
        "policy_file": str(POLICIES / "default.yaml"),
        "groups": {"internal": {"domains": ["practice.example"]}},
        "audit": {"url": f"sqlite:///{tmp}/audit.db", "key_file": str(tmp / "audit.key")},
        "quarantine": {
            "url": f"sqlite:///{tmp}/quarantine.db",
            "master_key_file": str(tmp / "quarantine.key"),
        },
        "smime": {"store_dir": str(tmp / "certs")},
        "pgp": {"home": short_tempdir()},
        "patients": {"url": f"sqlite:///{tmp}/patients.db", "key_file": str(tmp / "roster.key")},
        "portal": {
            "enabled": True,
            "url": "https://portal.practice.example",
            "store_url": f"sqlite:///{tmp}/portal.db",
            "master_key_file": str(tmp / "portal.key"),
            "from_address": "secure@practice.example",
            "practice_name": "Test Practice",
        },
        "notices": {"postmaster": "postmaster@practice.example"},
        "metrics": {"listen": None},
        "delivery": {"connect_timeout": 3, "command_timeout": 10},
    }


def _roster_and_consent(settings: Settings, tmp: Path) -> None:
    csv = tmp / "roster.csv"
    csv.write_text(
        "roster_id,name,dob,mrn,email\n"
        f"R-000001,Maribel Oyelaran,1979-05-02,7734102,{MARIBEL}\n"
        f"R-000002,Tobias Lindqvist,1958-09-30,{TOBIAS_MRN},{TOBIAS}\n"
    )
    roster = PatientRoster(settings.patients.url, settings.patients.key_file)
    assert not roster.import_csv(csv).errors
    consents = ConsentRegistry(settings.patients.url, roster)
    consents.add(
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


@pytest.fixture
def world(tmp_path: Path, sink) -> Iterator[tuple[Path, Settings, GatewayThread]]:
    """A config file on disk with the default policy, a roster, a consent and the portal."""
    config = tmp_path / "phigate.yaml"
    config.write_text(yaml.safe_dump(_config(tmp_path, sink[1])), encoding="utf-8")
    settings = load_settings(config)
    _roster_and_consent(settings, tmp_path)
    with running_gateway(settings) as gw:
        yield config, settings, gw


def _cli(config: Path, messages: list[Path]) -> dict[str, dict[str, Any]]:
    """`phigate policy test` of every message in one run: its report by file name."""
    result = run_phigate(
        "policy", "test", *map(str, messages), "--config", str(config), "--from", SENDER, "--json"
    )
    assert result.returncode == 0, result.stderr
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    return {report.pop("message"): report for report in reports}


def _send(gw: GatewayThread, case: Case) -> str:
    with smtplib.SMTP("127.0.0.1", port_of(gw), timeout=120) as s:
        s.ehlo()
        s.mail(SENDER)
        assert s.rcpt(case.to)[0] == 250
        code, text = s.data(case.raw)
    assert code == 250, text
    return text.decode().rsplit("ref ", 1)[1].rstrip(")")


def _observed(settings: Settings, gw: GatewayThread, sink, case: Case, ref: str) -> str:
    """What the gateway did with the message, from its effects alone."""
    assert gw.gateway is not None
    records = gw.gateway.audit.records(ref_id=ref)
    store = QuarantineStore(settings.quarantine.url, settings.quarantine.master_key_file)
    try:
        quarantined = [e for e in store.list(limit=500) if e["ref_id"] == ref]
    finally:
        store.close()
    delivered = [m for m in sink.messages if m.content == case.raw and case.to in m.rcpt_tos]
    portal = [r for r in records if r["action"] == "portal-stored"]
    consent = [r for r in records if r["action"] == "consent-exception"]
    effects = [
        name
        for name, seen in (
            ("quarantine", quarantined),
            ("portal", portal),
            ("consent_allow", delivered and consent),
            ("deliver", delivered and not consent),
        )
        if seen
    ]
    assert len(effects) == 1, f"{case.name}: effects {effects}"
    return effects[0]


def _audit_decision(gw: GatewayThread, ref: str) -> tuple[str, str]:
    """The rule and final action the audit record of a message keeps."""
    assert gw.gateway is not None
    [final] = [
        r
        for r in gw.gateway.audit.records(ref_id=ref)
        if any(s.get("stage") == "decide" for s in r["stages"])
    ]
    [decide] = [s for s in final["stages"] if s["stage"] == "decide"]
    [route] = decide["routes"]
    return route["rule"], final["action"]


def test_policy_test_and_the_gateway_decide_every_case_alike(world, sink, tmp_path: Path):
    """Misdirected, portal, roster-only patient, clean and consent mail: CLI and gateway agree."""
    config, settings, gw = world
    got: dict[str, tuple[str, str]] = {}
    want: dict[str, tuple[str, str]] = {}
    refs: dict[str, str] = {}
    paths = {case.name: tmp_path / f"{case.name}.eml" for case in CASES}
    for case in CASES:
        paths[case.name].write_bytes(case.raw)
    reports = _cli(config, list(paths.values()))
    for case in CASES:
        report = reports[str(paths[case.name])]
        [row] = report["recipients"]
        assert row["address"] == case.to
        want[case.name] = (row["action"], row["rule"])

        ref = refs[case.name] = _send(gw, case)
        rule, audit_action = _audit_decision(gw, ref)
        observed = _observed(settings, gw, sink[0], case, ref)
        assert audit_action == observed, f"{case.name}: audit says {audit_action}"
        got[case.name] = (observed, rule)
    assert got == want
    assert {name: action for name, (action, _) in got.items()} == {
        c.name: c.expected for c in CASES
    }

    # The report reads the gateway's own records: the misdirected one is a catch, held (issue 11:
    # the report had looked for `True` where the gateway records a count).
    report = run_phigate("report", "--config", str(config), "--format", "csv")
    assert report.returncode == 0, report.stderr
    rows = list(csv.reader(io.StringIO(report.stdout)))
    assert [(r[1], r[2]) for r in rows if r[0] == "misdirected"] == [
        (refs["misdirected"], "quarantine")
    ]
    figures = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert figures[("quarantine", "held")] == "1"
