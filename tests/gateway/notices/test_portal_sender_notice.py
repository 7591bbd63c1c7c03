"""The sender of a message that went to the secure portal is told so (issue 11), in a short
notice that names the subject and reference, and can be switched off."""

from __future__ import annotations

import email
import email.policy
import smtplib
from email.message import EmailMessage
from pathlib import Path

from tests.support.gateway import SinkHandler, make_settings, port_of, running_gateway

SENDER = "nurse@practice.example"
PATIENT = "pat@gmail.example"
RAW = (
    b"From: Nurse <nurse@practice.example>\r\nTo: pat@gmail.example\r\n"
    b"Subject: Your visit\r\nMessage-ID: <p1@practice.example>\r\n\r\nSee you soon.\r\n"
)


def _run(tmp_path: Path, sink: tuple[SinkHandler, int], **notices: object) -> str:
    policy = tmp_path / "portal.yaml"
    policy.write_text(
        "version: 1\nrules:\n"
        "  - {name: to-patients, when: {recipient: {domain: [gmail.example]}}, action: portal}\n"
        "  - {name: rest, action: deliver}\n"
    )
    settings = make_settings(
        tmp_path,
        sink[1],
        policy_file=str(policy),
        detection={"detector": "null"},
        notices={"postmaster": "postmaster@practice.example", **notices},
        portal={
            "enabled": True,
            "url": "https://portal.practice.example",
            "from_address": "secure@practice.example",
            "practice_name": "Test Practice",
        },
    )
    with running_gateway(settings) as gw:
        with smtplib.SMTP("127.0.0.1", port_of(gw), timeout=60) as s:
            s.ehlo()
            s.mail(SENDER)
            assert s.rcpt(PATIENT)[0] == 250
            code, reply = s.data(RAW)
    assert code == 250, reply
    return reply.decode().rsplit("ref ", 1)[1].rstrip(")")


def _plain(content: bytes) -> tuple[EmailMessage, str]:
    msg = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    body = msg.get_body(("plain",))
    assert body is not None
    return msg, " ".join(str(body.get_content()).split())


def test_the_sender_is_told_the_message_went_to_the_portal(tmp_path: Path, sink) -> None:
    """Two messages leave: the patient's pickup link and a short note to the sender."""
    ref = _run(tmp_path, sink)
    by_rcpt = {tuple(m.rcpt_tos): m for m in sink[0].messages}
    assert set(by_rcpt) == {(PATIENT,), (SENDER,)}
    told = by_rcpt[(SENDER,)]
    assert told.mail_from == "<>"  # a notice never bounces into another notice
    msg, text = _plain(told.content)
    assert msg["Subject"] == "Sent through the secure portal: Your visit"
    assert "sent through the secure patient portal" in text
    assert "The recipient at gmail.example got an email with a link" in text
    assert f"Reference: {ref}" in text and "Rule: to-patients" in text
    assert "Contact postmaster@practice.example" in text
    assert "What to do next" not in text  # nothing was stopped
    assert b"See you soon" not in told.content  # never the message itself


def test_the_portal_sender_notice_can_be_switched_off(tmp_path: Path, sink) -> None:
    """notices.portal_sender_notice: false leaves only the patient's pickup notice."""
    _run(tmp_path, sink, portal_sender_notice=False)
    assert [m.rcpt_tos for m in sink[0].messages] == [[PATIENT]]
