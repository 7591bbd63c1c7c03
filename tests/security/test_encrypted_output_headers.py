"""Encrypted output carries no PHI outside the encryption: S/MIME, PGP/MIME and inline PGP.

Free-text header fields (Thread-Topic, Keywords, Comments, X-*) and the subject move inside;
only addressing, date and threading identifiers stay outside. Real openssl and gpg show the
moved fields inside. The message goes through a real gateway on the shipped default policy.
"""

from __future__ import annotations

import email
import email.policy
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.crypto.pgp import PgpKeyring
from gateway.keys import CertStore
from tests.support.encrypted import delivered_once, gpg_decrypt_armored
from tests.support.leak import SENDER, default_policy_gateway
from tests.support.pgp import gen_key, gpg
from tests.support.pki import Pki

SMIME_RCPT = "intake@heart.example"
PGP_RCPT = "claims@billing-partner.example"
INLINE_RCPT = "legacy@billing-partner.example"
SURNAME = "Quintero-Abbott"
MRN = "4471203"
TOPIC = f"Marisol {SURNAME} MRN {MRN}"


def _message(to: str) -> bytes:
    return (
        f"From: Dr. Helen Park <{SENDER}>\r\n"
        f"To: {to}\r\n"
        f"Subject: Labs for {SURNAME}\r\n"
        f"Thread-Topic: {TOPIC}\r\n"
        f"Keywords: diabetes, {SURNAME}\r\n"
        f"Comments: about MRN {MRN}\r\n"
        f"X-Patient: {TOPIC}\r\n"
        "Message-ID: <labs-1@practice.example>\r\n"
        "In-Reply-To: <labs-0@practice.example>\r\n"
        "Date: Mon, 16 Nov 2026 09:30:00 -0500\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Patient Marisol {SURNAME}, DOB 03/14/1962, MRN {MRN}.\r\n"
        "HbA1c 8.1%; type 2 diabetes (E11.9), metformin 500 mg twice daily.\r\n"
    ).encode()


def _outside(content: bytes) -> bytes:
    return content.split(b"\r\n\r\n", 1)[0]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A gateway with an S/MIME certificate for one partner and PGP keys for two others."""
    base = tmp_path_factory.mktemp("keys")
    pki = Pki(base / "pki")
    cert = pki.issue(SMIME_RCPT, stem="intake")
    store = CertStore(base / "certs", [pki.root.cert_path], [])
    store.import_certificates([cert.cert, pki.intermediate.cert], source="test")
    recipient_home = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    gateway_home = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    with PgpKeyring(gateway_home) as ring:
        for address in (PGP_RCPT, INLINE_RCPT):
            fpr = gen_key(recipient_home, address)
            ring.import_keys(gpg(recipient_home, "--armor", "--export", fpr))
            ring.trust(fpr, address)
    overrides = {
        "smime": {"store_dir": str(base / "certs"), "trust_anchors": [str(pki.root.cert_path)]},
        "pgp": {"home": str(gateway_home), "inline_addresses": [INLINE_RCPT]},
    }
    with default_policy_gateway(tmp_path_factory.mktemp("gw"), **overrides) as gw:
        yield {"gw": gw, "cert": cert, "recipient_home": recipient_home}
    for home in (recipient_home, gateway_home):
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)


def _send(world: dict, to: str) -> bytes:
    return delivered_once(world["gw"], _message(to), to)


def _gpg_decrypt(world: dict, data: bytes) -> bytes:
    return gpg_decrypt_armored(world["recipient_home"], data)


def _assert_nothing_outside(content: bytes) -> None:
    head = _outside(content)
    for needle in (SURNAME.encode(), MRN.encode(), b"diabetes"):
        assert needle not in head, f"{needle!r} in the outer headers"
    assert b"<labs-1@practice.example>" in head  # threading survives
    assert b"In-Reply-To: <labs-0@practice.example>" in head


def test_smime_moves_free_text_headers_inside(world: dict, tmp_path: Path) -> None:
    """S/MIME output keeps only the allow-listed fields outside; openssl finds the rest inside."""
    content = _send(world, SMIME_RCPT)
    _assert_nothing_outside(content)
    assert email.message_from_bytes(content).get_content_type() == "application/pkcs7-mime"
    (tmp_path / "out.eml").write_bytes(content)
    inner = subprocess.run(
        ["openssl", "cms", "-decrypt", "-in", str(tmp_path / "out.eml"), "-recip",
         str(world["cert"].cert_path), "-inkey", str(world["cert"].key_path)],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    assert f"Thread-Topic: {TOPIC}".encode() in inner
    assert f"X-Patient: {TOPIC}".encode() in inner


def test_pgp_mime_moves_free_text_headers_inside(world: dict) -> None:
    """PGP/MIME output keeps only the allow-listed fields outside; gpg finds the rest inside,
    in an entity marked protected-headers="v1"."""
    content = _send(world, PGP_RCPT)
    _assert_nothing_outside(content)
    inner = _gpg_decrypt(world, content)
    head = _outside(inner)
    assert f"Thread-Topic: {TOPIC}".encode() in head
    assert f"Subject: Labs for {SURNAME}".encode() in head
    assert b'protected-headers="v1"' in head


def test_inline_pgp_neutralises_the_subject(world: dict) -> None:
    """Inline PGP output has a neutral subject; the real one is the first line inside."""
    content = _send(world, INLINE_RCPT)
    _assert_nothing_outside(content)
    inner = _gpg_decrypt(world, content)
    assert inner.startswith(b"Subject: Labs for " + SURNAME.encode())
    assert f"Thread-Topic: {TOPIC}".encode() in inner
