"""Send a message through a real gateway running the shipped default policy, on loopback, and
see what reached the next hop: the harness every leak regression test under tests/security uses."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.gateway import (
    GatewayThread,
    Received,
    SinkHandler,
    gateway_port,
    make_settings,
    running_gateway,
    running_sink,
)

REPO = Path(__file__).resolve().parents[2]
SENDER = "hpark@practice.example"
OUTSIDER = "frontdesk@other-clinic.example"
GROUPS = {
    "internal": {"domains": ["practice.example"]},
    "business_associates": {"domains": ["heart.example", "billing-partner.example"]},
}


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
        "policy_file": str(REPO / "policies" / "default.yaml"),
        "groups": GROUPS,
    }
    settings.update(overrides)
    with running_sink() as (handler, port, _ctl):
        with running_gateway(make_settings(tmp_path, port, **settings)) as gw:
            yield DefaultPolicyGateway(gw, handler)
