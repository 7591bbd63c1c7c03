"""Pipelined delivery to a real Postfix smtpd (the reinjection listener sites run behind
phigate): the message reaches Postfix's relayhost once, byte for byte."""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.gateway import make_settings, port_of, running_gateway
from tests.support.postfix import (
    LOOPBACK,
    CapturingSink,
    PostfixInstance,
    PostfixPorts,
    running_postfix,
    wait_until,
)

pytestmark = pytest.mark.postfix

OK = 250
SENDER = "frontdesk@practice.example"
# Lines a relay can damage: leading dots (doubled on the wire, undoubled by Postfix).
BODY = b"Hello,\r\n.one leading dot\r\n..two\r\n.\r\nend\r\n"


@pytest.fixture(scope="module")
def internet() -> Iterator[CapturingSink]:
    """Postfix's relayhost: a capturing SMTP server."""
    with CapturingSink() as server:
        yield server


@pytest.fixture(scope="module")
def postfix(internet: CapturingSink) -> Iterator[PostfixInstance]:
    """A private real Postfix built from deploy/postfix/."""
    with running_postfix(PostfixPorts.allocate(sink=internet.port)) as instance:
        yield instance


def test_postfix_offers_pipelining_and_gets_each_message_once(
    tmp_path: Path, postfix: PostfixInstance, internet: CapturingSink
) -> None:
    """Postfix's reinjection smtpd offers PIPELINING, so the gateway pipelines to it; two
    messages with two recipients each arrive once each at the relayhost with their bodies
    intact, and Postfix logged no protocol complaint."""
    with smtplib.SMTP(LOOPBACK, postfix.ports.reinject, timeout=30) as probe:
        probe.ehlo()
        assert probe.has_extn("pipelining")
    recipients = [f"office-{uuid.uuid4().hex[:8]}@partner.example" for _ in range(2)]
    ids = [f"<pipe-{uuid.uuid4().hex}@practice.example>" for _ in range(2)]
    with running_gateway(make_settings(tmp_path, postfix.ports.reinject)) as gw:
        for message_id in ids:
            message = f"From: {SENDER}\r\nMessage-ID: {message_id}\r\n\r\n".encode() + BODY
            with smtplib.SMTP(LOOPBACK, port_of(gw), timeout=30) as s:
                refused = s.sendmail(SENDER, recipients, message)
                assert refused == {}
    wait_until(
        lambda: all(internet.with_message_id(mid) for mid in ids) and not postfix.queue(),
        timeout=20,
        what="delivery through Postfix",
        context=postfix.describe,
    )
    for message_id in ids:
        copies = internet.with_message_id(message_id)
        assert sorted(r for c in copies for r in c.rcpt_tos) == sorted(recipients)
        assert all(c.body == BODY for c in copies)
    reinject = [line for line in postfix.log_text().splitlines() if "postfix/reinject" in line]
    assert any("commands=" in line for line in reinject)  # the gateway's session is logged
    # (the harness's own readiness checks connect and leave: "lost connection after CONNECT")
    complaints = [
        line
        for line in reinject
        if "improper" in line or ("lost connection" in line and "after CONNECT" not in line)
    ]
    assert complaints == []
