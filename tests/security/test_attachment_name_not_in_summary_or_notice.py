"""An attachment whose file name ends in a surname ("Marisol.Diaz") leaves neither the surname in
the detection summary and reasons that go to the Verdict and the audit log, nor in the sender's
notice: the part label keeps a file type only when it is a known one, such as pdf or docx."""

from __future__ import annotations

import email
import email.policy
import json
from email.message import EmailMessage
from pathlib import Path

from gateway.detect import PhiDetector
from gateway.message import RfcParser
from gateway.model import Envelope
from tests.support.leak import OUTSIDER, SENDER, default_policy_gateway

SURNAME = "Diaz"
FILE_NAME = f"Marisol.{SURNAME}"


def _message() -> bytes:
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = OUTSIDER
    msg["Subject"] = "Forms"
    msg.set_content("Forms attached.\n")
    msg.add_attachment(
        b"Patient: Lucia Ferreira-Montoya, DOB 07/22/1954, MRN 5518820. "
        b"Assessment: type 2 diabetes mellitus (E11.9); metformin 500 mg.\n",
        maintype="text",
        subtype="plain",
        filename=FILE_NAME,
    )
    return msg.as_bytes(policy=email.policy.SMTP)


def test_summary_and_reasons_hold_no_surname_from_the_file_name() -> None:
    """The summary labels the attachment by position only, without the name after the dot."""
    detection = PhiDetector().detect(RfcParser().parse(_message()), Envelope(SENDER, (OUTSIDER,)))
    assert detection.phi
    everything = json.dumps(dict(detection.summary)) + "\n".join(detection.reasons)
    assert "attachment:1" in everything
    assert SURNAME.lower() not in everything.lower()


def test_notice_holds_no_surname_from_the_file_name(tmp_path: Path) -> None:
    """The sender's notice says only "an attachment" for a file of no known type."""
    with default_policy_gateway(tmp_path) as gw:
        out = gw.send(_message(), rcpts=[OUTSIDER])
    assert out.code == 250 and out.leaked(OUTSIDER, "5518820") == []
    [content] = out.to(SENDER)
    notice = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(notice, EmailMessage)
    text, html = notice.get_body(("plain",)), notice.get_body(("html",))
    assert text is not None and html is not None
    shown = text.get_content() + html.get_content() + str(notice["Subject"])
    assert SURNAME.lower() not in shown.lower()
    assert "an attachment" in shown
