"""S/MIME-signed mail through the gateway on its default policy, over SMTP on loopback.

A practice whose staff sign their mail (Outlook with a certificate, openssl) must be able to send
signed business mail: it is relayed, and its signature still verifies at the next hop (`openssl
smime -verify`). Signed mail that carries a patient's details is protected like any other; a
signature is no envelope.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.leak import MRN, OUTSIDER, SENDER, DefaultPolicyGateway, default_policy_gateway
from tests.support.pki import openssl_self_signed

CLEAN = (
    b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    b"Purchase order 5512: 6 boxes of nitrile gloves, 2 sharps bins. Deliver by Friday.\r\n"
)
PATIENT = (
    b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    b"Patient Jane Roe, DOB 03/04/1961, MRN " + MRN.encode() + b": HbA1c 9.1%, start metformin.\r\n"
)


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the signer's key (k.pem) and self-signed certificate (c.pem)."""
    d = tmp_path_factory.mktemp("signer")
    openssl_self_signed(d, SENDER)
    return d


def _signed(signer: Path, content: bytes, subject: str) -> bytes:
    (signer / "in.txt").write_bytes(content)
    made = subprocess.run(
        ["openssl", "smime", "-sign", "-in", signer / "in.txt", "-signer", signer / "c.pem",
         "-inkey", signer / "k.pem"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    head = f"From: {SENDER}\r\nTo: {OUTSIDER}\r\nSubject: {subject}\r\n".encode()
    return head + made.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DefaultPolicyGateway]:
    """One running gateway on the default policy for the module."""
    with default_policy_gateway(tmp_path_factory.mktemp("gw")) as gw:
        yield gw


def test_signed_business_mail_is_relayed_and_still_verifies(
    gateway: DefaultPolicyGateway, signer: Path, tmp_path: Path
) -> None:
    """250 after the next hop took it, and the delivered signature verifies."""
    outcome = gateway.send(_signed(signer, CLEAN, "Purchase order 5512"))
    assert outcome.code == 250, outcome.reply
    delivered = outcome.to(OUTSIDER)
    assert len(delivered) == 1
    (tmp_path / "got.eml").write_bytes(delivered[0])
    verify = subprocess.run(
        ["openssl", "smime", "-verify", "-in", tmp_path / "got.eml", "-CAfile", signer / "c.pem",
         "-out", tmp_path / "content.txt"],
        capture_output=True, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stderr.decode(errors="replace")
    assert b"nitrile gloves" in (tmp_path / "content.txt").read_bytes()


def test_signed_mail_with_a_patient_is_not_delivered_in_clear(
    gateway: DefaultPolicyGateway, signer: Path
) -> None:
    """A signature protects nothing: the patient's record number never reaches the outsider."""
    outcome = gateway.send(_signed(signer, PATIENT, "Results"))
    assert outcome.code == 250, outcome.reply  # accepted and protected (or a notice sent)
    assert outcome.leaked(OUTSIDER, MRN) == []
