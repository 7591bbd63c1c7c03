"""`phigate scan --json` and the gateway reach the same verdict on every bypass of issue 8.

Each case hides one patient's PHI in one place a mail client shows (or a look-alike envelope).
The gateway, on the shipped default policy, must not hand that PHI in clear to an outside
recipient, and the scanner must report the same message as PHI or as unscannable. A clean
control message proves the test can tell the two apart.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest

from tests.support.leak import OUTSIDER, SENDER, DefaultPolicyGateway, default_policy_gateway

REPO = Path(__file__).resolve().parents[2]
SURNAME = "Quintero-Abbott"
MRN = "4471203"
PHI = (
    f"Patient: Marisol {SURNAME}, DOB 03/14/1962, MRN {MRN}. "
    "Assessment: type 2 diabetes mellitus without complications (E11.9); "
    "metformin 500 mg twice daily."
)
HEADER_PHI = f"Lab results for Marisol {SURNAME} DOB 1962-03-14 MRN {MRN}"
BENIGN = "Please see the note below and let us know if Thursday still works."


def _head(subject: str = "Follow-up") -> str:
    return (
        f"From: Dr. Helen Park <{SENDER}>\r\n"
        f"To: Front Desk <{OUTSIDER}>\r\n"
        f"Subject: {subject}\r\n"
        "Date: Mon, 16 Nov 2026 09:30:00 -0500\r\n"
        "Message-ID: <case@practice.example>\r\n"
        "MIME-Version: 1.0\r\n"
    )


def _b64(text: str) -> str:
    return base64.encodebytes(text.encode()).decode().replace("\n", "\r\n")


def fake_smime() -> bytes:
    return (
        _head("Encrypted message")
        + "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + _b64(PHI)
    ).encode()


def fake_smime_without_type() -> bytes:
    return (
        _head("Encrypted message") + "Content-Type: application/pkcs7-mime; name=smime.p7m\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + _b64(PHI)
    ).encode()


def fake_pgp_mime() -> bytes:
    return (
        _head("Encrypted message")
        + 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; '
        'boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n"
        "--b1\r\nContent-Type: application/octet-stream\r\n\r\n" + PHI + "\r\n--b1--\r\n"
    ).encode()


def fake_inline_pgp() -> bytes:
    return (
        _head("Encrypted message") + "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "-----BEGIN PGP MESSAGE-----\r\n\r\n" + PHI + "\r\n-----END PGP MESSAGE-----\r\n"
    ).encode()


def _html(body: str) -> bytes:
    return (
        _head() + "Content-Type: text/html; charset=utf-8\r\n\r\n"
        f"<html><body><p>{BENIGN}</p>{body}</body></html>\r\n"
    ).encode()


def html_svg_text() -> bytes:
    return _html(f'<svg width="600" height="40"><text x="0" y="20">{PHI}</text></svg>')


def html_alt_attribute() -> bytes:
    return _html(f'<img src="cid:chart" alt="{PHI}">')


def html_template() -> bytes:
    return _html(f"<template><p>{PHI}</p></template>")


def html_iframe_srcdoc() -> bytes:
    return _html(f'<iframe srcdoc="&lt;p&gt;{PHI}&lt;/p&gt;"></iframe>')


def punycode_charset() -> bytes:
    return (_head() + "Content-Type: text/plain; charset=punycode\r\n\r\n" + PHI + "\r\n").encode()


def _plain(extra_headers: str) -> bytes:
    return (
        _head()
        + extra_headers
        + "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        + BENIGN
        + "\r\n"
    ).encode()


def thread_topic_header() -> bytes:
    return _plain(f"Thread-Topic: {HEADER_PHI}\r\n")


def x_header() -> bytes:
    return _plain(f"X-Patient: {HEADER_PHI}\r\n")


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
    f.__name__: f
    for f in (
        fake_smime,
        fake_smime_without_type,
        fake_pgp_mime,
        fake_inline_pgp,
        html_svg_text,
        html_alt_attribute,
        html_template,
        html_iframe_srcdoc,
        punycode_charset,
        thread_topic_header,
        x_header,
        part_description,
    )
}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DefaultPolicyGateway]:
    """One default-policy gateway for every case."""
    with default_policy_gateway(tmp_path_factory.mktemp("gw")) as gw:
        yield gw


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """`phigate scan --json` over a folder holding every case, run once, by case name."""
    folder = tmp_path_factory.mktemp("cases")
    for name, build in {**BYPASSES, "clean_control": clean_control}.items():
        (folder / f"{name}.eml").write_bytes(build())
    run = subprocess.run(
        [str(REPO / ".venv" / "bin" / "phigate"), "scan", "--json", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode in (0, 1), run.stderr[-2000:]
    records = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    return {Path(r["path"]).stem: r for r in records}


def _flagged(record: dict) -> bool:
    return bool(record["phi"] or record["unscannable"])


@pytest.mark.parametrize("case", sorted(BYPASSES))
def test_bypass_is_caught_by_gateway_and_scanner(
    case: str, gateway: DefaultPolicyGateway, scanned: dict[str, dict]
) -> None:
    """The hidden PHI never reaches the outsider in clear, and the scanner flags the message."""
    outcome = gateway.send(BYPASSES[case](), [OUTSIDER])
    assert outcome.code == 250, outcome.reply
    assert outcome.leaked(OUTSIDER, MRN, SURNAME) == []
    assert _flagged(scanned[case]), scanned[case]


def test_clean_control_is_delivered_unchanged_and_not_flagged(
    gateway: DefaultPolicyGateway, scanned: dict[str, dict]
) -> None:
    """A harmless message goes out as it came and the scanner agrees it holds nothing."""
    raw = clean_control()
    outcome = gateway.send(raw, [OUTSIDER])
    assert outcome.code == 250
    assert outcome.to(OUTSIDER) and BENIGN.encode() in outcome.to(OUTSIDER)[0]
    assert not _flagged(scanned["clean_control"]), scanned["clean_control"]
