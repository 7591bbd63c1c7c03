"""End to end: every message leaves one audit record, with no PHI in it or in the logs."""

from __future__ import annotations

import email
import email.policy
import json
import smtplib
import sqlite3
import subprocess
import sys
import tempfile
from email.message import EmailMessage
from pathlib import Path

from gateway.audit import AuditLog
from tests.support.gateway import free_port
from tests.support.process import PhigateProcess, serve_args

PATIENT = "Marguerite Oyelaran-Quist"
SSN = "512-44-7731"
SUBJECT = f"Labs for {PATIENT}"
MESSAGE = (
    f"From: Dr Lee <lee@practice.example>\r\nTo: Lab <lab@partner.example>\r\n"
    f"Subject: {SUBJECT}\r\nMessage-ID: <audit-e2e@practice.example>\r\n\r\n"
    f"Patient {PATIENT}, SSN {SSN}, HbA1c 9.1%.\r\n"
).encode()


def test_audit_record_per_message_without_phi_and_verify_catches_an_edit(tmp_path: Path, sink):
    """PHI with no key is blocked with a notice; the audit record and logs hold no PHI; edits are caught."""
    port = free_port()
    cfg = tmp_path / "c.yaml"
    pgp_home = tempfile.mkdtemp(prefix="pg", dir="/tmp")
    cfg.write_text(
        f'audit: {{url: "sqlite:///{tmp_path}/audit.db", key_file: "{tmp_path}/audit.key"}}\n'
        f"pgp: {{home: {pgp_home}}}\n"
        "notices: {postmaster: postmaster@practice.example}\n"
        "metrics: {listen: null}\nlogging: {level: debug}\n"
    )
    p = PhigateProcess(serve_args(port, sink[1], cfg), cwd=tmp_path)
    try:
        p.wait_port(port)
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
            s.ehlo()
            s.mail("lee@practice.example")
            s.rcpt("lab@partner.example")
            s.rcpt("second@other.example")
            code, text = s.data(MESSAGE)
        assert code == 250, "\n".join(p.lines[-20:])
        ref = text.decode().rsplit("ref ", 1)[1].rstrip(")")
        p.wait_event("message")
    finally:
        assert p.stop() == 0

    log = AuditLog(f"sqlite:///{tmp_path}/audit.db", tmp_path / "audit.key")
    try:
        records = log.records()
        # A pending record made durable before anything left, then the final one completing it.
        assert [(r["ref_id"], r["action"]) for r in records] == [
            (ref, "block"),
            (ref, "message-pending"),
        ]
        assert records[1]["stages"][0]["decided"] == records[0]["stages"][2]["outcome"]
        assert records[1]["message_id"] is None and records[1]["next_hop_reply"] is None
        rec = records[0]
        # The Message-ID is kept as a keyed hash (it can hold PHI), findable by that hash.
        assert rec["message_id"] == log.keyed_hash("<audit-e2e@practice.example>")
        assert log.records(message_id="<audit-e2e@practice.example>")[0]["ref_id"] == ref
        assert rec["recipient_domains"] == ["other.example", "partner.example"]
        assert rec["sender_hash"] == log.keyed_hash("lee@practice.example")
        assert rec["size"] == len(MESSAGE)
        # The shipped policy: PHI to an unknown partner, no certificate or key, no portal: block.
        assert rec["action"] == "block"
        assert rec["stages"][3]["reason"] == "block:2"
        assert rec["next_hop_reply"].startswith("250")
        assert [st["stage"] for st in rec["stages"]] == [
            "parse",
            "detect",
            "decide",
            "act",
            "deliver",
        ]
        assert set(rec["timings"]) == {"parse", "detect", "decide", "act", "deliver"}
        summary = rec["findings_summary"]
        assert summary["phi"] is True
        assert {"US_SSN", "LAB_RESULT"} <= set(summary["entities"])
        assert "US_SSN" in next(p for p in summary["parts"] if p["part"] == "body")["entities"]
        assert log.verify().ok
    finally:
        log.close()

    # The sender got a notice (null reverse-path, so it can never bounce) and the partners nothing.
    assert [(m.mail_from, m.rcpt_tos) for m in sink[0].messages] == [
        ("<>", ["lee@practice.example"])
    ]
    notice = sink[0].messages[0].content.decode()
    plain = email.message_from_string(notice, policy=email.policy.default).get_body(("plain",))
    assert isinstance(plain, EmailMessage)
    words = " ".join(plain.get_content().split())
    # Plain words, no entity code and no preview (a masked SSN still shows its last digits).
    assert ref in notice and "phi-elsewhere" in notice and "Social Security number" in words
    assert "US_SSN" not in words and "7731" not in words

    everything = json.dumps(rec) + "\n".join(p.lines)
    for secret in (PATIENT, "Oyelaran", SSN, "512-44", "HbA1c", "lee@practice.example"):
        assert secret not in everything, f"{secret!r} leaked into the logs or audit record"
        if secret != "lee@practice.example":  # the notice is addressed to the sender
            assert secret not in notice, f"{secret!r} leaked into the notice"

    with sqlite3.connect(tmp_path / "audit.db") as db:
        db.execute("UPDATE audit_records SET action = 'deliver' WHERE ref_id = ?", (ref,))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway.cli.main",
            "audit",
            "verify",
            "--url",
            f"sqlite:///{tmp_path}/audit.db",
            "--key-file",
            str(tmp_path / "audit.key"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert ref in out.stdout + out.stderr and "edited" in out.stdout + out.stderr
