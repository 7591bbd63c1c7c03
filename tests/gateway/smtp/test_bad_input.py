"""Bad input gets a clear reply with an enhanced status code; the server keeps serving."""

from __future__ import annotations

import re
import smtplib
import socket
import time
from pathlib import Path

import pytest

from tests.support import REPO
from tests.support.gateway import make_settings, port_of, running_gateway

OK = 250
CORPUS = sorted((REPO / "tests" / "data" / "cpython_email").glob("msg_*.txt"))


def _crlf(data: bytes) -> bytes:
    return re.sub(rb"\r?\n", b"\r\n", data)


def _still_serving(port: int) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        assert s.noop()[0] == OK


def test_the_corpus_is_there():
    """All 48 messages of CPython's email test corpus are present."""
    assert len(CORPUS) == 48


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_malformed_mime_corpus_gets_a_clear_answer(gateway, sink, path: Path):
    """Each corpus message is relayed (250) or refused as unparseable (554 5.6.0), never a crash."""
    handler, _ = sink
    data = _crlf(path.read_bytes())
    with smtplib.SMTP("127.0.0.1", port_of(gateway), timeout=30) as s:
        s.ehlo()
        s.mail("desk@practice.example")
        s.rcpt("a@partner.example")
        code, text = s.data(data)
    assert (code == OK and len(handler.messages) == 1) or (
        code == 554 and text.startswith(b"5.6.0") and not handler.messages
    ), (code, text)
    if code == OK:
        # smtplib ends the data with CRLF when the file does not
        assert handler.messages[0].content == (data if data.endswith(b"\r\n") else data + b"\r\n")
    _still_serving(port_of(gateway))


def _session(client_for, port: int):
    c = client_for(port)
    c.greet()
    c.start_data()
    return c


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"Subject: x\r\n\r\nnul \x00 byte\r\n", "554 5.6.0"),
        (b"Subject: x\n\nbare LF line endings\n", "554 5.6.0"),
        (b"Subject: x\r\n\r\n" + b"A" * 2000 + b"\r\n", "554 5.6.0"),
        (b"\r\n\r\n\r\n", "554 5.6.0"),
        (b"no header here, just words\r\n", "554 5.6.0"),
    ],
    ids=["nul", "bare-lf", "long-line", "empty", "no-headers"],
)
def test_bad_content_is_refused_clearly(gateway, sink, client_for, body, expected):
    """NUL bytes, bare LFs, over-long lines and header-less content get 554 5.6.0."""
    c = _session(client_for, port_of(gateway))
    c.send_raw(body + b".\r\n" if body.endswith(b"\r\n") else body + b"\r\n.\r\n")
    assert c.reply()[0].startswith(expected)
    assert sink[0].messages == []
    assert c.cmd("NOOP")[0].startswith("250")


def test_bare_lf_is_normalised_when_configured(tmp_path: Path, sink, client_for):
    """With bare_newlines: normalize, LF-only content is relayed with CRLF line endings."""
    settings = make_settings(tmp_path, sink[1], smtp={"bare_newlines": "normalize"})
    with running_gateway(settings) as gw:
        c = _session(client_for, port_of(gw))
        c.send_raw(b"Subject: x\n\nhello\n\r\n.\r\n")
        assert c.reply()[0].startswith("250 2.0.0")
    assert sink[0].messages[0].content == b"Subject: x\r\n\r\nhello\r\n\r\n"


def test_oversize_message_gets_552(tmp_path: Path, sink, client_for):
    """A message over the size limit gets 552 5.3.4, and a SIZE= over it is refused at MAIL."""
    settings = make_settings(tmp_path, sink[1], smtp={"max_message_size": 4096})
    with running_gateway(settings) as gw:
        c = client_for(port_of(gw))
        c.greet()
        assert c.cmd("MAIL FROM:<a@practice.example> SIZE=999999")[0].startswith("552 5.3.4")
        c.start_data()
        c.send_raw(b"Subject: big\r\n\r\n" + (b"x" * 70 + b"\r\n") * 200 + b".\r\n")
        assert c.reply()[0].startswith("552 5.3.4")
        assert c.cmd("NOOP")[0].startswith("250")
    assert sink[0].messages == []


def test_too_many_recipients_gets_452(tmp_path: Path, sink, client_for):
    """Past the recipient limit RCPT answers 452 4.5.3, and the accepted ones still get mail."""
    settings = make_settings(tmp_path, sink[1], smtp={"max_recipients": 3})
    with running_gateway(settings) as gw:
        c = client_for(port_of(gw))
        c.greet()
        c.cmd("MAIL FROM:<a@practice.example>")
        codes = [c.cmd(f"RCPT TO:<r{i}@partner.example>")[0][:9] for i in range(5)]
        assert codes == ["250 2.1.5"] * 3 + ["452 4.5.3"] * 2
        c.cmd("DATA")
        c.send_raw(b"Subject: x\r\n\r\nhi\r\n.\r\n")
        assert c.reply()[0].startswith("250")
    assert len(sink[0].messages[0].rcpt_tos) == 3


def test_client_disconnecting_mid_data_delivers_nothing(gateway, sink, client_for):
    """A client that hangs up inside DATA leaves nothing at the next hop, and serving goes on."""
    c = _session(client_for, port_of(gateway))
    c.send_raw(b"Subject: half\r\n\r\nonly half of the")
    c.close()
    time.sleep(0.3)
    assert sink[0].messages == []
    _still_serving(port_of(gateway))
    # The next hop connection went back to the pool: a normal message still flows.
    with smtplib.SMTP("127.0.0.1", port_of(gateway), timeout=10) as s:
        s.sendmail("a@practice.example", ["b@partner.example"], b"Subject: ok\r\n\r\nfine\r\n")
    assert len(sink[0].messages) == 1


@pytest.mark.parametrize(
    ("commands", "expected"),
    [
        (["RCPT TO:<b@partner.example>"], "503 5.5.1"),
        (["DATA"], "503 5.5.1"),
        (["MAIL FROM:<a@practice.example>", "DATA"], "503 5.5.1"),
        (["MAIL FROM:<a@practice.example>", "MAIL FROM:<a@practice.example>"], "503 5.5.1"),
        (["MAIL FROM:<a@practice.example>", "RCPT TO:<not an address>"], "501 5.1.3"),
        (["MAIL FROM:<a b@practice.example>"], "501 5.1.7"),
        (["XYZZY"], "500 5.5.2"),
        (["MAIL FROM:<a@practice.example> BODY=9BIT"], "501 5.5.4"),
    ],
    ids=[
        "rcpt-first",
        "data-first",
        "data-without-rcpt",
        "nested-mail",
        "bad-rcpt",
        "bad-sender",
        "unknown",
        "bad-param",
    ],
)
def test_commands_out_of_order_get_clear_replies(gateway, client_for, commands, expected):
    """Out-of-order or malformed commands get the right code and enhanced status."""
    c = client_for(port_of(gateway))
    c.greet()
    for line in commands[:-1]:
        c.cmd(line)
    assert c.cmd(commands[-1])[0].startswith(expected)
    assert c.cmd("NOOP")[0].startswith("250")


def test_commands_before_helo_are_refused(gateway, client_for):
    """MAIL before EHLO gets 503 5.5.1."""
    c = client_for(port_of(gateway))
    c.reply()
    assert c.cmd("MAIL FROM:<a@practice.example>")[0].startswith("503 5.5.1")


def test_a_pipelined_flood_is_answered_in_order(gateway, sink, client_for):
    """Hundreds of commands in one write all get answers, in order, and the session stays sane."""
    c = client_for(port_of(gateway))
    c.greet()
    n = 300
    c.send_raw(
        b"NOOP\r\n" * n
        + b"MAIL FROM:<a@practice.example>\r\nRCPT TO:<b@partner.example>\r\nDATA\r\n"
    )
    replies = [c.reply()[0] for _ in range(n + 3)]
    assert all(r.startswith("250 2.0.0") for r in replies[:n])
    assert replies[n].startswith("250 2.1.0") and replies[n + 1].startswith("250 2.1.5")
    assert replies[n + 2].startswith("354")
    c.send_raw(b"Subject: after flood\r\n\r\nok\r\n.\r\n")
    assert c.reply()[0].startswith("250 2.0.0")
    assert len(sink[0].messages) == 1


def test_garbage_bytes_do_not_crash_the_server(gateway, client_for):
    """Binary junk and an over-long command line get 5xx answers and the server stays up."""
    c = client_for(port_of(gateway))
    c.reply()
    assert c.cmd(b"\xff\xfe\x00\x01junk")[0][:1] == "5"
    assert c.cmd(b"EHLO " + b"x" * 5000)[0].startswith("500 5.5.6")
    assert c.cmd("NOOP")[0].startswith("250")
    s = socket.create_connection(("127.0.0.1", port_of(gateway)))
    s.close()
    _still_serving(port_of(gateway))
