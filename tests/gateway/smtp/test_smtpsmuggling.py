"""SMTP smuggling: no second message may hide inside one DATA (CVE-2023-51764 and friends)."""

from __future__ import annotations

import pytest

from tests.support.gateway import port_of

HEAD = b"From: a@practice.example\r\nTo: b@partner.example\r\nSubject: one\r\n\r\nfirst body\r\n"
SMUGGLED = (
    b"MAIL FROM:<ceo@practice.example>\r\nRCPT TO:<victim@partner.example>\r\nDATA\r\n"
    b"From: ceo@practice.example\r\nSubject: smuggled\r\n\r\nsecond\r\n"
)


@pytest.mark.parametrize(
    "fake_end",
    [b"\n.\n", b"\r.\n", b"\n.\r\n", b"\r\n.\r", b"\r\n.\n", b"\n.\r"],
    ids=["LF.LF", "CR.LF", "LF.CRLF", "CRLF.CR", "CRLF.LF", "LF.CR"],
)
def test_no_second_message_is_accepted_from_one_data(gateway, sink, client_for, fake_end):
    """A non-standard end-of-data sequence never ends DATA, and the whole message is refused."""
    handler, _ = sink
    c = client_for(port_of(gateway))
    c.greet("attacker.example")
    c.start_data()
    c.send_raw(HEAD + fake_end + SMUGGLED + b"\r\n.\r\n")
    reply = c.reply()
    assert reply[0].startswith("554 5.6.0"), reply
    assert c.cmd("NOOP")[0].startswith("250 2.0.0"), "the session stays in sync afterwards"
    assert handler.messages == []
