"""A Message-ID that carries PHI is neither logged nor stored in clear, and stays findable.

Some clients build the Message-ID from the subject; the log line and the audit record keep a
keyed hash of it, and `phigate audit show --message-id ID` finds the record by that hash.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.leak import OUTSIDER, SENDER, default_policy_gateway

REPO = Path(__file__).resolve().parents[2]
SURNAME = "Quintero-Abbott"
SSN = "078-05-1120"
MESSAGE_ID = f"<labs.{SURNAME}.{SSN}@practice.example>"


def _message() -> bytes:
    return (
        f"From: {SENDER}\r\nTo: {OUTSIDER}\r\nSubject: Office hours\r\n"
        f"Message-ID: {MESSAGE_ID}\r\n"
        "Content-Type: text/plain\r\n\r\nWe are closed on Friday.\r\n"
    ).encode()


def _files_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("audit*")) if p.is_file())


def test_message_id_is_hashed_in_logs_and_audit(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Neither the surname nor the SSN of a Message-ID reaches the log or the audit database."""
    with default_policy_gateway(tmp_path) as gw:
        outcome = gw.send(_message(), [OUTSIDER])
        settings = gw.gw.settings
    assert outcome.code == 250, outcome.reply
    logged = capfd.readouterr()
    for needle in (SURNAME, SSN, SSN.replace("-", "")):
        assert needle not in logged.out + logged.err
        assert needle.encode() not in _files_bytes(tmp_path)
    config = tmp_path / "audit.yaml"
    config.write_text(
        json.dumps({"audit": {"url": settings.audit.url, "key_file": str(settings.audit.key_file)}})
    )
    shown = subprocess.run(
        [str(REPO / ".venv" / "bin" / "phigate"), "audit", "show", "--json",
         "--config", str(config), "--message-id", MESSAGE_ID],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    records = json.loads(shown.stdout)
    assert [r["ref_id"] for r in records] == [outcome.reply.decode().split("ref ")[1].rstrip(")")]
    assert SURNAME not in shown.stdout
