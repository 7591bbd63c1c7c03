"""Availability: a bad sender address can never use up the next-hop connection pool."""

from __future__ import annotations

import asyncio
import smtplib
from pathlib import Path

import pytest

from tests.support.gateway import make_settings, port_of, running_gateway

OK = 250
POOL = 2
BAD_SENDERS = [
    # non-ASCII without SMTPUTF8, and bytes that are not UTF-8 with it
    (b"MAIL FROM:<z\xc3\xb6e@practice.example>", "553 5.6.7"),
    (b"MAIL FROM:<bad\xff\xfe@practice.example> SMTPUTF8", "501 5.1.7"),
]


def test_bad_sender_addresses_are_refused_at_mail_and_leak_no_pool_slot(
    tmp_path: Path, sink, client_for
):
    """Each bad MAIL FROM gets 553 5.6.7 or 501 5.1.7; after many, mail still flows."""
    settings = make_settings(tmp_path, sink[1], delivery={"pool_size": POOL})
    with running_gateway(settings) as gw:
        for _round in range(POOL * 3):
            for command, expected in BAD_SENDERS:
                c = client_for(port_of(gw))
                c.reply()
                c.cmd("EHLO client.example")
                assert c.cmd(command)[0].startswith(expected)
                # a client that goes on regardless must not reach the next hop either
                c.cmd("RCPT TO:<p@partner.example>")
                c.close()
        assert sink[0].connections <= 1, "no bad address touched the next hop"
        with smtplib.SMTP("127.0.0.1", port_of(gw), timeout=30) as s:
            s.ehlo()
            s.mail("desk@practice.example")
            code, text = s.rcpt("p@partner.example")
            assert (code, text[:5]) == (OK, b"2.1.5"), text
            code, _ = s.data(b"Subject: after\r\n\r\nstill flowing\r\n")
            assert code == OK
    assert [m.content for m in sink[0].messages] == [b"Subject: after\r\n\r\nstill flowing\r\n"]


def test_an_exception_inside_a_pool_checkout_returns_the_slot(tmp_path: Path, sink):
    """Relay.begin gives the slot back whatever goes wrong, even an error it does not expect."""
    settings = make_settings(tmp_path, sink[1], delivery={"pool_size": 1})
    with running_gateway(settings) as gw:
        relay = gw.gateway.relay

        async def run() -> str:
            for _ in range(3):
                with pytest.raises(Exception):  # noqa: B017, PT011 - any error at all
                    await relay.begin("zo\udcffe@practice.example", smtputf8=True)
            tx = await asyncio.wait_for(relay.begin("desk@practice.example"), 5)
            await tx.abort()
            return "ok"

        assert gw.call(run()) == "ok"
