"""Availability: a message being scanned holds no next-hop connection, so other mail flows."""

from __future__ import annotations

import smtplib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.support.availability import MESSAGE, hold_detection
from tests.support.gateway import make_settings, port_of, running_gateway

OK = 250


def _send(port: int, rcpt: str) -> int:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
        s.ehlo()
        s.mail("desk@practice.example")
        code, _ = s.rcpt(rcpt)
        assert code == OK
        code, _ = s.data(MESSAGE)
        return code


def test_recipients_get_the_next_hops_answer_while_another_message_is_scanned(
    tmp_path: Path, sink, client_for
):
    """With a pool of one and a scan in progress, a second session's RCPT still gets 250 or 550."""
    handler, _ = sink
    handler.rcpt_replies["gone@partner.example"] = "550 5.1.1 No such user"
    settings = make_settings(tmp_path, sink[1], delivery={"pool_size": 1})
    with running_gateway(settings) as gw, ThreadPoolExecutor(1) as pool:
        held = hold_detection(gw)
        first = pool.submit(_send, port_of(gw), "a@partner.example")
        assert held.entered.wait(20), "the first message reached the scan"
        c = client_for(port_of(gw))
        c.reply()
        c.cmd("EHLO client.example")
        assert c.cmd("MAIL FROM:<desk@practice.example>")[0].startswith("250")
        assert c.cmd("RCPT TO:<b@partner.example>")[0].startswith("250 2.1.5")
        assert c.cmd("RCPT TO:<gone@partner.example>")[0].startswith("550 5.1.1")
        held.release.set()
        assert first.result(60) == OK
        assert c.cmd("DATA")[0].startswith("354")
        c.send_raw(MESSAGE + b".\r\n")
        assert c.reply()[0].startswith("250 2.0.0")
    assert sorted(m.rcpt_tos[0] for m in handler.messages) == [
        "a@partner.example",
        "b@partner.example",
    ]
    assert [m.rcpt_tos for m in handler.messages if m.rcpt_tos[0] == "b@partner.example"] == [
        ["b@partner.example"]
    ]
