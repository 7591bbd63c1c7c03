"""Mail shaped like an envelope but readable without a key never reaches an outsider in clear.

Each case has a real envelope's structure made from real openssl and gpg output (a real
recipient, real session-key packets), with the patient's text where the ciphertext belongs, or
is a PGP message that is only signed: `gpg --decrypt` (or an ASN.1 dump) shows the text to
anyone, so the gateway must not deliver it as "already encrypted" or as harmless base64.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from asn1crypto import cms

from detectors.extract.envelope import _packet_header
from tests.support.gateway import Received
from tests.support.leak import (
    MRN,
    OUTSIDER,
    PHI,
    SENDER,
    NotInClear,
    Outcome,
    b64,
    scan_cases,
)
from tests.support.pgp import gen_key, gpg
from tests.support.pki import openssl_self_signed
from tests.support.readable import readable


def _head(content_type: str, subject: str = "Encrypted message") -> str:
    return (
        f"From: Dr. Helen Park <{SENDER}>\r\nTo: {OUTSIDER}\r\nSubject: {subject}\r\n"
        "Date: Mon, 16 Nov 2026 09:30:00 -0500\r\nMessage-ID: <fake@practice.example>\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n"
    )


def _armor(packets: bytes) -> str:
    return "-----BEGIN PGP MESSAGE-----\r\n\r\n" + b64(packets) + "-----END PGP MESSAGE-----\r\n"


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Each look-alike, built from what openssl and gpg really produce."""
    d = tmp_path_factory.mktemp("fake")
    openssl_self_signed(d, "frontdesk@other-clinic.example")
    (d / "in.txt").write_bytes(b"placeholder")
    subprocess.run(
        ["openssl", "cms", "-encrypt", "-aes256", "-in", d / "in.txt", "-outform", "DER",
         "-out", d / "env.der", d / "c.pem"],
        check=True, capture_output=True,
    )  # fmt: skip
    info = cms.ContentInfo.load((d / "env.der").read_bytes())
    enveloped = info["content"]
    enveloped["encrypted_content_info"]["encrypted_content"] = PHI.encode()
    cms_clear = cms.ContentInfo({"content_type": "enveloped_data", "content": enveloped}).dump(
        force=True
    )

    home = Path(tempfile.mkdtemp(prefix="fk", dir="/tmp"))
    try:
        fpr = gen_key(home, OUTSIDER)
        encrypted = gpg(home, "--trust-model", "always", "--encrypt", "--recipient", fpr, data=b"x")
        signed = gpg(home, "--armor", "--sign", data=PHI.encode())
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)
    header = _packet_header(encrypted, 0)
    assert header is not None and header[0] == 1  # gpg starts with a PKESK packet
    pkesk = encrypted[: header[2]]
    seipd_clear = b"\x01" + PHI.encode()
    assert len(seipd_clear) < 192
    pgp_clear = pkesk + bytes([0xC0 | 18, len(seipd_clear)]) + seipd_clear

    return {
        "cms_with_clear_content": (
            _head("application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m")
            + "Content-Transfer-Encoding: base64\r\n\r\n"
            + b64(cms_clear)
        ).encode(),
        "pgp_mime_with_clear_content": (
            _head('multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b1"')
            + "\r\n--b1\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n"
            "--b1\r\nContent-Type: application/octet-stream\r\n\r\n"
            + _armor(pgp_clear)
            + "\r\n--b1--\r\n"
        ).encode(),
        "inline_pgp_with_clear_content": (
            _head("text/plain; charset=us-ascii") + "\r\n" + _armor(pgp_clear)
        ).encode(),
        "inline_pgp_signed_only": (
            _head("text/plain; charset=us-ascii", "Signed")
            + "\r\n"
            + signed.decode().replace("\n", "\r\n")
        ).encode(),
    }


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory, cases: dict[str, bytes]) -> dict[str, dict]:
    """`phigate scan --json` over every case."""
    return scan_cases(
        tmp_path_factory.mktemp("scan"), {k: (lambda v=v: v) for k, v in cases.items()}
    )


CASES = [
    "cms_with_clear_content",
    "pgp_mime_with_clear_content",
    "inline_pgp_with_clear_content",
    "inline_pgp_signed_only",
]


@pytest.mark.parametrize("case", CASES)
def test_look_alike_envelope_is_not_delivered_readable(
    case: str, cases: dict[str, bytes], not_in_clear: NotInClear
) -> None:
    """The outsider cannot read the patient's text, and the scanner flags the message."""
    not_in_clear(case, cases[case])


def test_the_yardstick_sees_through_each_look_alike(cases: dict[str, bytes]) -> None:
    """Delivered unchanged, each case would expose the text (so the test above can fail)."""
    for case in CASES:
        sent = Outcome(250, b"", [Received(SENDER, [OUTSIDER], cases[case], 0.0)])
        assert MRN in readable(sent, OUTSIDER), case
