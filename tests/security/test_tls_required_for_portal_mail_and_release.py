"""delivery.tls: require holds for portal mail and quarantine releases, not only for relayed mail.

Before, the portal sent with aiosmtplib to the next hop ignoring `delivery.tls`, and a release
used blocking smtplib, which fell back to clear text when the next hop offered no STARTTLS.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gateway.delivery.outbox import Outbox
from gateway.delivery.sender import NotSent, mail_sender, release
from tests.support.gateway import make_settings, running_sink

RAW = (
    b"From: portal@practice.example\r\nTo: pat@home.example\r\nSubject: Your code\r\n\r\n123456\r\n"
)
FROM = "portal@practice.example"
TO = "pat@home.example"
TLS_NOT_OFFERED = 451


def test_portal_mail_is_not_sent_in_clear_when_tls_is_required(tmp_path: Path) -> None:
    """Against a next hop without STARTTLS the portal's sender refuses and nothing arrives."""
    with running_sink() as (sink, port, _ctl):
        settings = make_settings(tmp_path, port, delivery={"tls": "require"})
        with pytest.raises(NotSent) as refused:
            asyncio.run(mail_sender(settings, FROM)(TO, RAW))
        assert refused.value.reply.code == TLS_NOT_OFFERED
        assert refused.value.reply.status.startswith("4.7.")
        assert sink.messages == []


def test_release_is_not_sent_in_clear_when_tls_is_required(tmp_path: Path) -> None:
    """A quarantine release to a next hop without STARTTLS fails, and nothing arrives."""
    with running_sink() as (sink, port, _ctl):
        settings = make_settings(tmp_path, port, delivery={"tls": "require"})
        ok, reply = asyncio.run(release(settings, RAW, FROM, [TO]))
        assert not ok
        assert reply.startswith(f"{TLS_NOT_OFFERED} 4.7.")
        assert sink.messages == []


def test_a_domain_tls_policy_holds_for_portal_mail(tmp_path: Path) -> None:
    """A per-domain `tls_policy: require` holds for portal mail even when the default is lax."""
    with running_sink() as (sink, port, _ctl):
        settings = make_settings(
            tmp_path,
            port,
            delivery={"tls": "opportunistic", "tls_policy": {"home.example": "require"}},
        )
        with pytest.raises(NotSent):
            asyncio.run(mail_sender(settings, FROM)(TO, RAW))
        assert sink.messages == []


def test_the_portal_outbox_keeps_what_could_not_go_out_safely(tmp_path: Path) -> None:
    """With a demo outbox, mail refused for want of TLS is captured on disk, not sent in clear."""
    with running_sink() as (sink, port, _ctl):
        settings = make_settings(tmp_path, port, delivery={"tls": "require"})
        outbox = Outbox(tmp_path / "outbox")
        asyncio.run(mail_sender(settings, FROM, outbox)(TO, RAW))
        assert sink.messages == []
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_without_a_tls_requirement_both_deliver(tmp_path: Path) -> None:
    """The control: with opportunistic TLS the same senders do deliver, byte for byte."""
    with running_sink() as (sink, port, _ctl):
        settings = make_settings(tmp_path, port, delivery={"tls": "opportunistic"})
        asyncio.run(mail_sender(settings, FROM)(TO, RAW))
        ok, reply = asyncio.run(release(settings, RAW, FROM, [TO]))
        assert ok, reply
        assert [m.content for m in sink.messages] == [RAW, RAW]
        assert [m.rcpt_tos for m in sink.messages] == [[TO], [TO]]
