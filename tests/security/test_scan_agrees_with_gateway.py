"""`phigate scan --json` and the gateway reach the same verdict on every bypass of issue 8.

Each case hides one patient's PHI in one place a mail client shows (or a look-alike envelope).
The gateway, on the shipped default policy, must not hand that PHI in clear to an outside
recipient, and the scanner must report the same message as PHI or as unscannable. A clean
control message proves the test can tell the two apart.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from functools import partial

import pytest

from tests.support.leak import (
    BENIGN,
    HEADER_PHI,
    MRN,
    OUTSIDER,
    SENDER,
    SURNAME,
    DefaultPolicyGateway,
    b64,
    by_name,
    flagged,
    head,
)

# This file's own wording of the patient's note (the other leak tests share tests/support/leak.PHI).
PHI = (
    f"Patient: Marisol {SURNAME}, DOB 03/14/1962, MRN {MRN}. "
    "Assessment: type 2 diabetes mellitus without complications (E11.9); "
    "metformin 500 mg twice daily."
)


def fake_smime() -> bytes:
    return (
        head("Encrypted message")
        + "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + b64(PHI.encode())
    ).encode()


def fake_smime_without_type() -> bytes:
    return (
        head("Encrypted message") + "Content-Type: application/pkcs7-mime; name=smime.p7m\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + b64(PHI.encode())
    ).encode()


def fake_pgp_mime() -> bytes:
    return (
        head("Encrypted message")
        + 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; '
        'boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n"
        "--b1\r\nContent-Type: application/octet-stream\r\n\r\n" + PHI + "\r\n--b1--\r\n"
    ).encode()


def fake_inline_pgp() -> bytes:
    return (
        head("Encrypted message") + "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "-----BEGIN PGP MESSAGE-----\r\n\r\n" + PHI + "\r\n-----END PGP MESSAGE-----\r\n"
    ).encode()


def _html(body: str) -> bytes:
    return (
        head() + "Content-Type: text/html; charset=utf-8\r\n\r\n"
        f"<html><body><p>{BENIGN}</p>{body}</body></html>\r\n"
    ).encode()


#: The HTML each case hides the PHI in, after a benign paragraph, by case name.
HIDDEN_HTML = {
    "html_svg_text": f'<svg width="600" height="40"><text x="0" y="20">{PHI}</text></svg>',
    "html_alt_attribute": f'<img src="cid:chart" alt="{PHI}">',
    "html_template": f"<template><p>{PHI}</p></template>",
    "html_iframe_srcdoc": f'<iframe srcdoc="&lt;p&gt;{PHI}&lt;/p&gt;"></iframe>',
}


def punycode_charset() -> bytes:
    return (head() + "Content-Type: text/plain; charset=punycode\r\n\r\n" + PHI + "\r\n").encode()


def _plain(extra_headers: str) -> bytes:
    return (
        head() + extra_headers + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + BENIGN + "\r\n"
    ).encode()


#: The header each case carries the PHI in, above a benign plain-text body, by case name.
HIDDEN_HEADERS = {
    "thread_topic_header": f"Thread-Topic: {HEADER_PHI}\r\n",
    "x_header": f"X-Patient: {HEADER_PHI}\r\n",
}


def part_description() -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Dr. Helen Park <{SENDER}>"
    msg["To"] = OUTSIDER
    msg["Subject"] = "Follow-up"
    msg.set_content(BENIGN)
    msg.add_attachment(BENIGN.encode(), maintype="text", subtype="plain", filename="notes.txt")
    attachment = msg.get_payload()[1]
    attachment["Content-Description"] = HEADER_PHI
    return msg.as_bytes(policy=SMTP)


def clean_control() -> bytes:
    return _plain("")


BYPASSES: dict[str, Callable[[], bytes]] = {
    **by_name(fake_smime, fake_smime_without_type, fake_pgp_mime, fake_inline_pgp),
    **{case: partial(_html, body) for case, body in HIDDEN_HTML.items()},
    **by_name(punycode_charset),
    **{case: partial(_plain, header) for case, header in HIDDEN_HEADERS.items()},
    **by_name(part_description),
}


# What the scanner is run over: every bypass and the clean control.
CASES = {**BYPASSES, "clean_control": clean_control}


@pytest.mark.parametrize("case", sorted(BYPASSES))
def test_bypass_is_caught_by_gateway_and_scanner(
    case: str, leak_gateway: DefaultPolicyGateway, scanned: dict[str, dict]
) -> None:
    """The hidden PHI never reaches the outsider in clear, and the scanner flags the message."""
    outcome = leak_gateway.send(BYPASSES[case](), [OUTSIDER])
    assert outcome.code == 250, outcome.reply
    assert outcome.leaked(OUTSIDER, MRN, SURNAME) == []
    assert flagged(scanned[case]), scanned[case]


def test_clean_control_is_delivered_unchanged_and_not_flagged(
    leak_gateway: DefaultPolicyGateway, scanned: dict[str, dict]
) -> None:
    """A harmless message goes out as it came and the scanner agrees it holds nothing."""
    raw = clean_control()
    outcome = leak_gateway.send(raw, [OUTSIDER])
    assert outcome.code == 250
    assert outcome.to(OUTSIDER) and BENIGN.encode() in outcome.to(OUTSIDER)[0]
    assert not flagged(scanned["clean_control"]), scanned["clean_control"]
