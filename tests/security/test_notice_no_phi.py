"""The notice a sender gets when PHI is stopped names what was found in plain words, with counts
and places, and reveals no health information: no name or part of one, no birth year, no
diagnosis code or its chapter, no entity code, no attachment file name, and no subject that
holds a finding. Checked end to end: a real gateway on the shipped policy blocks mail to an
outsider with no key and no portal, and the notice is read where it lands, at the next hop."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from tests.support.leak import OUTSIDER, SENDER, DefaultPolicyGateway, default_policy_gateway

GIVEN = "Marisol"
SURNAME = "Quintero-Abbott"
BIRTH = "03/14/1962"
MRN = "4471203"
SSN = "536-22-8174"
ICD = "F32.1"
ATTACHMENT = f"{SURNAME}_referral.txt"
PHI_SUBJECT = f"Psych referral for {GIVEN} {SURNAME} DOB {BIRTH}"
HARMLESS_SUBJECT = "Paperwork for Thursday"

# Nothing of these may be in a notice: the values, the parts a masked preview keeps (a name's
# initials, the year, the ICD chapter letter with its mask) and the detectors' entity codes.
NEVER = (
    GIVEN,
    SURNAME,
    "Quintero",
    "Abbott",
    "1962",
    BIRTH,
    MRN,
    SSN,
    "8174",
    ICD,
    "F32",
    "F**",
    "M****",
    "Q****",
    "**/**/",
    "depress",
    "sertraline",
    "referral.txt",
    "Psych",
)
CODES = ("US_SSN", "PATIENT_NAME", "PERSON", "ICD10", "DOB", "MRN", "DIAGNOSIS", "MEDICATION")


def _message(subject: str, attachment_name: str | None = ATTACHMENT) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Dr. Helen Park <{SENDER}>"
    msg["To"] = f"Front Desk <{OUTSIDER}>"
    msg["Subject"] = subject
    msg.set_content(
        f"Patient: {GIVEN} {SURNAME}, DOB {BIRTH}, MRN {MRN}, SSN {SSN}.\n"
        f"Assessment: major depressive disorder, single episode, moderate ({ICD}); "
        "sertraline 50 mg daily.\n"
    )
    if attachment_name:
        msg.add_attachment(
            f"Referral for {GIVEN} {SURNAME}, DOB {BIRTH}. Dx {ICD} depression.\n".encode(),
            maintype="text",
            subtype="plain",
            filename=attachment_name,
        )
    return msg.as_bytes(policy=email.policy.SMTP)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DefaultPolicyGateway]:
    """One gateway on the shipped default policy for the whole module."""
    with default_policy_gateway(tmp_path_factory.mktemp("notice")) as gw:
        yield gw


def _notice(gw: DefaultPolicyGateway, raw: bytes) -> tuple[str, str, str]:
    """Send `raw` to the outsider; return the sender's notice as (Subject, text, HTML)."""
    out = gw.send(raw, rcpts=[OUTSIDER])
    assert out.code == 250, out.reply
    assert out.leaked(OUTSIDER, SURNAME, MRN, ICD) == [], "PHI reached the outsider in clear"
    [content] = out.to(SENDER)
    msg = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None and html is not None
    return str(msg["Subject"]), " ".join(text.get_content().split()), html.get_content()


def _assert_reveals_nothing(*parts: str) -> None:
    for part in parts:
        for value in (*NEVER, *CODES):
            assert value not in part, f"{value!r} is in the notice"


def test_notice_for_phi_everywhere_reveals_no_health_information(
    gateway: DefaultPolicyGateway,
) -> None:
    """PHI in subject, body and a patient-named attachment gives a notice without any of it."""
    subject, text, html = _notice(gateway, _message(PHI_SUBJECT))
    _assert_reveals_nothing(subject, text, html)
    assert (
        subject == "Your message was not sent: (subject withheld: it contains patient information)"
    )
    for words in (
        "a date of birth",
        "a diagnosis code",
        "a patient name",
        "a medical record number",
    ):
        assert words in text or words.removeprefix("a ") in text, words
    assert "the subject line" in text and "the message text" in text
    assert "an attachment" in text


def test_harmless_subject_is_shown_as_written(gateway: DefaultPolicyGateway) -> None:
    """With the PHI only in the body, the notice shows the subject verbatim so staff know it."""
    subject, text, html = _notice(gateway, _message(HARMLESS_SUBJECT, attachment_name=None))
    _assert_reveals_nothing(subject, text, html)
    assert subject == f"Your message was not sent: {HARMLESS_SUBJECT}"
    assert f"Subject: {HARMLESS_SUBJECT}" in text
    assert HARMLESS_SUBJECT in html
    assert "withheld" not in text
