"""The harness every leak regression test under tests/security uses: one patient's PHI and a
message head around it; a real gateway on the shipped default policy, on loopback, that shows what
reached the next hop; and `phigate scan --json` run over the same messages, as a user would."""

from __future__ import annotations

import base64
import json
import smtplib
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import POLICIES, REPO
from tests.support.gateway import (
    GatewayThread,
    Received,
    SinkHandler,
    gateway_port,
    make_settings,
    running_gateway,
    running_sink,
)

SENDER = "hpark@practice.example"
OUTSIDER = "frontdesk@other-clinic.example"
GROUPS = {
    "internal": {"domains": ["practice.example"]},
    "business_associates": {"domains": ["heart.example", "billing-partner.example"]},
}
SURNAME = "Quintero-Abbott"
MRN = "4471203"
PHI = (
    f"Patient: Marisol {SURNAME}, DOB 03/14/1962, MRN {MRN}. "
    "Assessment: type 2 diabetes mellitus without complications (E11.9); metformin 500 mg."
)
HEADER_PHI = f"Lab results for Marisol {SURNAME} DOB 1962-03-14 MRN {MRN}"
BENIGN = "Please see the note below and let us know if Thursday still works."


def head(subject: str = "Follow-up", extra: str = "") -> str:
    """From/To/Subject/Date/Message-ID/MIME-Version, then `extra` header lines."""
    return (
        f"From: Dr. Helen Park <{SENDER}>\r\nTo: Front Desk <{OUTSIDER}>\r\n"
        f"Subject: {subject}\r\nDate: Mon, 16 Nov 2026 09:30:00 -0500\r\n"
        f"Message-ID: <case@practice.example>\r\nMIME-Version: 1.0\r\n{extra}"
    )


def b64(data: bytes) -> str:
    """Base64 with CRLF line ends, as it goes on the wire."""
    return base64.encodebytes(data).decode().replace("\n", "\r\n")


@dataclass
class Outcome:
    """What the client was told and what the next hop received."""

    code: int
    reply: bytes
    received: list[Received]

    def to(self, address: str) -> list[bytes]:
        """The contents that reached the next hop for one recipient."""
        return [m.content for m in self.received if address in m.rcpt_tos]

    def leaked(self, address: str, *needles: str | bytes) -> list[str]:
        """Which of the needles reached `address` in clear (in any message it got)."""
        out = []
        for needle in needles:
            raw = needle.encode() if isinstance(needle, str) else needle
            if any(raw in content for content in self.to(address)):
                out.append(needle if isinstance(needle, str) else needle.decode(errors="replace"))
        return out


class DefaultPolicyGateway:
    """A gateway with policies/default.yaml, the demo groups and a capturing next hop."""

    def __init__(self, gw: GatewayThread, sink: SinkHandler) -> None:
        self.gw = gw
        self.sink = sink
        self.port = gateway_port(gw.settings)

    def send(self, raw: bytes, rcpts: list[str] | None = None, sender: str = SENDER) -> Outcome:
        """Send one message over SMTP and return what happened to it."""
        before = len(self.sink.messages)
        rcpts = rcpts or [OUTSIDER]
        with smtplib.SMTP("127.0.0.1", self.port, timeout=120) as s:
            s.ehlo()
            s.mail(sender)
            for r in rcpts:
                s.rcpt(r)
            try:
                code, reply = s.data(raw)
            except smtplib.SMTPDataError as exc:
                code, reply = exc.smtp_code, exc.smtp_error
        return Outcome(code, reply, list(self.sink.messages[before:]))


@contextmanager
def default_policy_gateway(tmp_path: Path, **overrides: Any) -> Iterator[DefaultPolicyGateway]:
    """A running gateway on the shipped default policy, relaying to a capturing sink."""
    settings: dict[str, Any] = {
        "policy_file": str(POLICIES / "default.yaml"),
        "groups": GROUPS,
    }
    settings.update(overrides)
    with running_sink() as (handler, port, _ctl):
        with running_gateway(make_settings(tmp_path, port, **settings)) as gw:
            yield DefaultPolicyGateway(gw, handler)


def by_name(*builders: Callable[[], bytes]) -> dict[str, Callable[[], bytes]]:
    """The message builders of a leak test, by function name (the case names)."""
    return {build.__name__: build for build in builders}


def scan_cases(folder: Path, cases: dict[str, Callable[[], bytes]]) -> dict[str, dict]:
    """Write each case to `folder` as NAME.eml, scan the folder once, return records by name."""
    for name, build in cases.items():
        (folder / f"{name}.eml").write_bytes(build())
    run = subprocess.run(
        [str(REPO / ".venv" / "bin" / "phigate"), "scan", "--json", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr[-2000:]
    records = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    return {Path(r["path"]).stem: r for r in records}


def flagged(record: dict) -> bool:
    """The scanner called the message PHI or found a part it could not read."""
    return bool(record["phi"] or record["unscannable"])


# What the `not_in_clear` fixture (tests/security/conftest.py) gives a test: send the case
# (name, raw message) to an outsider and return its Outcome after the in-the-clear checks.
NotInClear = Callable[[str, bytes], Outcome]
