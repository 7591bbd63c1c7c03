"""The SMTP front: extensions, enhanced status codes, relaying, and no internals in errors."""

from __future__ import annotations

import re
import smtplib
import time
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP

from gateway.model import Detection
from gateway.smtp.front import GatewaySMTP
from tests.support.gateway import make_settings, port_of, running_gateway

OK = 250
TEMPFAIL = 451
ENHANCED = re.compile(r"^\d{3}[ -][245]\.\d{1,3}\.\d{1,3}( |$)")

MESSAGE = (
    b"From: Front Desk <desk@practice.example>\r\n"
    b"To: Partner <p@partner.example>\r\n"
    b"Subject: Office hours\r\n"
    b"Message-ID: <front-1@practice.example>\r\n"
    b"\r\n"
    b"We are closed on Friday.\r\n"
    b"..a line that starts with a dot\r\n"
)


def test_ehlo_advertises_the_required_extensions(gateway, client_for):
    """EHLO lists SIZE, 8BITMIME, SMTPUTF8, PIPELINING and ENHANCEDSTATUSCODES."""
    c = client_for(port_of(gateway))
    lines = c.greet()
    keywords = {line[4:].split()[0] for line in lines[1:]}
    assert {"SIZE", "8BITMIME", "SMTPUTF8", "PIPELINING", "ENHANCEDSTATUSCODES"} <= keywords
    size_line = next(line for line in lines if line[4:].startswith("SIZE"))
    assert int(size_line.split()[1]) == gateway.settings.smtp.max_message_size
    assert not any(line[4:].startswith("AUTH") for line in lines), "AUTH is off without credentials"


def test_every_reply_after_ehlo_carries_an_enhanced_status_code(gateway, client_for):
    """Replies to MAIL, RCPT, DATA, RSET, NOOP, VRFY, bad commands and QUIT all have X.Y.Z."""
    c = client_for(port_of(gateway))
    c.greet()
    replies = [
        c.cmd("NOOP"),
        c.cmd("RCPT TO:<early@partner.example>"),
        c.cmd("DATA"),
        c.cmd("MAIL FROM:<desk@practice.example>"),
        c.cmd("MAIL FROM:<again@practice.example>"),
        c.cmd("RCPT TO:<p@partner.example>"),
        c.cmd("RCPT TO:bad address"),
        c.cmd("RSET"),
        c.cmd("VRFY someone"),
        c.cmd("BOGUS"),
        c.cmd("AUTH PLAIN"),
        c.cmd("MAIL FROM:<desk@practice.example>"),
        c.cmd("RCPT TO:<p@partner.example>"),
    ]
    go_ahead = c.cmd("DATA")
    assert go_ahead[0].startswith("354")
    c.send_raw(MESSAGE + b".\r\n")
    replies.append(c.reply())
    replies.append(c.cmd("QUIT"))
    for lines in replies:
        for line in lines:
            assert ENHANCED.match(line), f"no enhanced status code in {line!r}"


def test_message_is_relayed_byte_for_byte_and_250_comes_after_the_next_hop(gateway, sink):
    """The next hop gets the original bytes (dot-unstuffed), and our 250 follows its 250."""
    handler, _ = sink
    handler.data_delay = 0.3
    with smtplib.SMTP("127.0.0.1", port_of(gateway), timeout=20) as s:
        s.ehlo()
        s.mail("desk@practice.example")
        s.rcpt("p@partner.example")
        code, text = s.data(MESSAGE)
        answered = time.monotonic()
    assert code == OK
    assert b"ref PG-" in text
    assert len(handler.messages) == 1
    got = handler.messages[0]
    assert got.content == MESSAGE
    assert got.rcpt_tos == ["p@partner.example"]
    assert got.mail_from == "desk@practice.example"
    assert got.at <= answered


def test_smtputf8_and_8bit_mail_pass_through(gateway, sink):
    """An internationalised address and an 8-bit body reach the next hop intact."""
    handler, _ = sink
    body = (
        "From: a@practice.example\r\nTo: b@partner.example\r\nSubject: Grüße\r\n\r\nZoë Ñandú\r\n"
    )
    with smtplib.SMTP("127.0.0.1", port_of(gateway), timeout=20) as s:
        s.ehlo()
        refused = s.sendmail(
            "desk@practice.example",
            ["zoë@partner.example"],
            body.encode("utf-8"),
            mail_options=["SMTPUTF8", "BODY=8BITMIME"],
        )
    assert refused == {}
    assert handler.messages[0].content == body.encode("utf-8")
    assert handler.messages[0].rcpt_tos == ["zoë@partner.example"]


def test_an_unexpected_error_is_a_451_without_internals(tmp_path: Path, sink, monkeypatch):
    """A crashing stage gives 451 4.3.0 and leaks neither the exception text nor its type."""

    class Exploding:
        name = "exploding"

        def detect(self, message, envelope) -> Detection:
            raise RuntimeError("secret-internal-detail")

    settings = make_settings(tmp_path, sink[1])
    with running_gateway(settings) as gw:
        gw.gateway.pipeline.detector = Exploding()
        with smtplib.SMTP("127.0.0.1", port_of(gw), timeout=20) as s:
            s.ehlo()
            s.mail("desk@practice.example")
            s.rcpt("p@partner.example")
            code, text = s.data(MESSAGE)
            assert code == TEMPFAIL
            assert text.startswith(b"4.3.0")
            assert b"secret" not in text and b"RuntimeError" not in text
            # the session goes on: the next message still works
            gw.gateway.pipeline.detector = type(
                "Null", (), {"name": "n", "detect": lambda *_: Detection()}
            )()
            s.mail("desk@practice.example")
            s.rcpt("p@partner.example")
            code, _ = s.data(MESSAGE)
            assert code == OK
    assert len(sink[0].messages) == 1


def test_protocol_level_exception_gets_451_not_500(gateway, client_for, monkeypatch):
    """aiosmtpd's own exception path answers 451 4.3.0 instead of '500 Error: (Type) text'."""
    handler = gateway.handler

    async def broken_mail(*_args, **_kwargs):
        raise ValueError("do-not-show-this")

    monkeypatch.setattr(handler, "handle_MAIL", broken_mail)
    c = client_for(port_of(gateway))
    c.greet()
    reply = c.cmd("MAIL FROM:<desk@practice.example>")
    assert reply[0].startswith("451 4.3.0")
    assert "do-not-show-this" not in reply[0] and "ValueError" not in reply[0]
    assert c.cmd("NOOP")[0].startswith("250")


@pytest.mark.parametrize(
    ("setting", "limit"),
    [("session_timeout", 2), ("idle_timeout", 1)],
    ids=["session-outlives-limit", "client-idle"],
)
def test_timeouts_close_the_session_with_421(tmp_path: Path, sink, client_for, setting, limit):
    """A session past its session timeout, or a client idle past the idle timeout, gets 421 4.4.2 and is closed."""
    settings = make_settings(tmp_path, sink[1], smtp={setting: limit})
    with running_gateway(settings) as gw:
        c = client_for(port_of(gw))
        c.greet()
        c.sock.settimeout(limit + 10)
        assert c.file.readline().startswith(b"421 4.4.2")
        assert c.file.readline() == b""


@pytest.mark.parametrize(
    "arg",
    [
        "<a@b.example>",
        "<a.b+c@sub.b.example> SIZE=100 BODY=8BITMIME",
        " <x@y.z>  X=1",
        "<>",
        '<"quoted local"@b.example>',
        "<zoë@x.example> SMTPUTF8",
        "<@route:a@b.example>",
        "<a@b.example>SIZE=1",
        "a@b.example",
    ],
)
def test_the_fast_address_parser_agrees_with_aiosmtpds(arg: str):
    """GatewaySMTP parses addresses exactly as aiosmtpd does (any fast path must agree)."""
    reference = SMTP.__new__(SMTP)
    reference.local_part_limit = 0
    ours = GatewaySMTP.__new__(GatewaySMTP)
    ours.local_part_limit = 0
    assert GatewaySMTP._getaddr(ours, arg) == SMTP._getaddr(reference, arg)
