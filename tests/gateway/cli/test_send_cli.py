"""`phigate send FILE` addresses the message to the file's To: and Cc: when no --to is given, and
prints the gateway's reply and the reference to look the message up by (issue 11)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.cli.exits import EXIT_OK
from tests.support.cli import phigate
from tests.support.gateway import make_settings, port_of, running_gateway

MESSAGE = (
    "From: Front Desk <desk@practice.example>\n"
    "To: Ann <ann@partner.example>, bob@partner.example\n"
    "Cc: carol@lab.example\n"
    "Subject: Opening hours\n"
    "\n"
    "We are closed on Friday.\n"
)


@pytest.fixture
def gw(tmp_path: Path, sink):
    """A gateway that relays everything (no scanning) to the sink."""
    with running_gateway(
        make_settings(tmp_path, sink[1], detection={"detector": "null"})
    ) as gateway:
        yield gateway


def test_send_uses_the_files_recipients_and_prints_the_reference(
    gw, sink, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """To: and Cc: become the envelope, From: the sender, and the printed reference is the
    one the audit log keeps for the message."""
    eml = tmp_path / "hours.eml"
    eml.write_text(MESSAGE)
    assert phigate(["send", str(eml), "--server", f"127.0.0.1:{port_of(gw)}"]) == EXIT_OK
    out = capsys.readouterr().out
    [received] = sink[0].messages
    assert sorted(received.rcpt_tos) == [
        "ann@partner.example",
        "bob@partner.example",
        "carol@lab.example",
    ]
    assert received.mail_from == "desk@practice.example"
    assert "sent to 3 recipient(s)" in out and "reply: 250" in out
    found = re.search(r"^reference: (\S+)", out, re.M)
    assert found, out
    records = gw.gateway.audit.records(ref_id=found.group(1))
    assert records and all(r["ref_id"] == found.group(1) for r in records)


def test_to_on_the_command_line_wins_over_the_file(
    gw, sink, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--to replaces the file's recipients."""
    eml = tmp_path / "hours.eml"
    eml.write_text(MESSAGE)
    port = port_of(gw)
    argv = ["send", str(eml), "--server", f"127.0.0.1:{port}", "--to", "only@partner.example"]
    assert phigate(argv) == EXIT_OK
    assert [m.rcpt_tos for m in sink[0].messages] == [["only@partner.example"]]


def test_a_file_without_recipients_is_refused_by_name(
    gw, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No To:, no Cc: and no --to: the error names the file and says what to pass."""
    eml = tmp_path / "nobody.eml"
    eml.write_text("From: desk@practice.example\nSubject: x\n\nhello\n")
    assert phigate(["send", str(eml), "--server", f"127.0.0.1:{port_of(gw)}"]) != EXIT_OK
    err = capsys.readouterr().err
    assert str(eml) in err and "--to" in err
