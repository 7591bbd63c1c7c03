"""A part phigate cannot read never leaves in clear for an outsider, whatever else the message
looks like: the shipped policy decides on unreadable mail before any rule that can let mail out."""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP

import pypdf
import pytest

from tests.support.leak import OUTSIDER, SENDER, DefaultPolicyGateway, default_policy_gateway

COLLEAGUE = "nurse@practice.example"


@functools.cache
def _locked_pdf() -> bytes:
    """A PDF that needs a password: phigate cannot see what is in it (made once: its ID is random)."""
    writer = pypdf.PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Title": "Labs"})
    writer.encrypt("s3cret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _with_locked_attachment(subject: str = "Files") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Dr. Helen Park <{SENDER}>"
    msg["To"] = OUTSIDER
    msg["Subject"] = subject
    msg.set_content("The file you asked for.")
    msg.add_attachment(_locked_pdf(), maintype="application", subtype="pdf", filename="labs.pdf")
    return msg.as_bytes(policy=SMTP)


def _dressed_as_envelope() -> bytes:
    """An unreadable PDF labelled as an S/MIME envelope: it looks encrypted but is not."""
    body = base64.encodebytes(_locked_pdf()).decode().replace("\n", "\r\n")
    return (
        f"From: Dr. Helen Park <{SENDER}>\r\nTo: {OUTSIDER}\r\nSubject: Encrypted message\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + body
    ).encode()


def _pdf_marker() -> bytes:
    # The first line of the attachment's base64: present in anything that carries it unchanged.
    return base64.b64encode(_locked_pdf()[:48])


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DefaultPolicyGateway]:
    """One default-policy gateway for the module."""
    with default_policy_gateway(tmp_path_factory.mktemp("gw")) as gw:
        yield gw


@pytest.mark.parametrize(
    "build",
    [
        _with_locked_attachment,
        lambda: _with_locked_attachment("[secure] files"),
        _dressed_as_envelope,
    ],
    ids=["attachment", "sender-asked-to-encrypt", "dressed-as-envelope"],
)
def test_unreadable_part_does_not_reach_outsider(build, gateway: DefaultPolicyGateway) -> None:
    """Mail with a part phigate could not read is held (or encrypted), never handed over in clear."""
    outcome = gateway.send(build(), [OUTSIDER])
    assert outcome.code == 250, outcome.reply
    assert not any(_pdf_marker() in c for c in outcome.to(OUTSIDER))


def test_unreadable_part_to_colleague_stays_inside(gateway: DefaultPolicyGateway) -> None:
    """The practice's own staff still get such mail (it never leaves the practice)."""
    outcome = gateway.send(_with_locked_attachment(), [COLLEAGUE])
    assert outcome.code == 250, outcome.reply
    assert any(_pdf_marker() in c for c in outcome.to(COLLEAGUE))
