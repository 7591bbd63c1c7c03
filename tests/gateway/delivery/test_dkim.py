"""DKIM signing: dkimpy verifies our signatures against the published key, and edits break them."""

from __future__ import annotations

from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gateway.delivery.dkim import DkimError, DkimKeyError, DkimSigner
from tests.support.dkim import DOMAIN, SELECTOR, dns_for

MESSAGE = (
    b"From: Dr. Who <dr.who@clinic.example>\r\n"
    b"To: lab@lab.example\r\n"
    b"Subject: Results\r\n"
    b"Date: Sat, 28 Nov 2026 09:00:00 +0000\r\n"
    b"Message-ID: <1.test@clinic.example>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 7bit\r\n"
    b"\r\n"
    b"Please find the results attached.\r\n"
)


def signed_header(signed: bytes) -> bytes:
    """The DKIM-Signature header field, unfolded."""
    head = signed.split(b"\r\n\r\n", 1)[0]
    return head.split(b"\r\nFrom:", 1)[0].replace(b"\r\n", b"")


def test_signature_verifies_with_published_key(key_file: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    """A signed message verifies with dkimpy against the selector's public key record."""
    signed = DkimSigner(DOMAIN, SELECTOR, key_file).sign(MESSAGE)
    assert signed.startswith(b"DKIM-Signature:")
    assert signed.endswith(MESSAGE)
    assert dkim.verify(signed, dnsfunc=dns_for(rsa_key))


def test_signature_tags(key_file: Path) -> None:
    """The signature is relaxed/relaxed rsa-sha256 for our d= and s=, covering the listed headers."""
    header = signed_header(DkimSigner(DOMAIN, SELECTOR, key_file).sign(MESSAGE))
    tags = {
        k.strip(): v.strip()
        for k, _, v in (t.partition(b"=") for t in header.split(b":", 1)[1].split(b";"))
    }
    assert tags[b"a"] == b"rsa-sha256"
    assert tags[b"c"] == b"relaxed/relaxed"
    assert tags[b"d"] == DOMAIN.encode()
    assert tags[b"s"] == SELECTOR.encode()
    signed = set(tags[b"h"].replace(b" ", b"").lower().split(b":"))
    assert signed == {
        b"from",
        b"to",
        b"subject",
        b"date",
        b"message-id",
        b"mime-version",
        b"content-type",
        b"content-transfer-encoding",
    }


def test_modified_body_fails(key_file: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    """Changing one word of the body after signing makes verification fail."""
    signed = DkimSigner(DOMAIN, SELECTOR, key_file).sign(MESSAGE)
    tampered = signed.replace(b"results attached", b"results withheld")
    assert tampered != signed
    assert not dkim.verify(tampered, dnsfunc=dns_for(rsa_key))


def test_modified_subject_fails(key_file: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    """Changing a signed header (a subject tag added later) makes verification fail."""
    signed = DkimSigner(DOMAIN, SELECTOR, key_file).sign(MESSAGE)
    tampered = signed.replace(b"Subject: Results", b"Subject: [secure] Results")
    assert not dkim.verify(tampered, dnsfunc=dns_for(rsa_key))


def test_other_key_fails(key_file: Path) -> None:
    """A signature does not verify against a different published key."""
    signed = DkimSigner(DOMAIN, SELECTOR, key_file).sign(MESSAGE)
    other = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    assert not dkim.verify(signed, dnsfunc=dns_for(other))


def test_lf_only_message_verifies(key_file: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    """A message with bare LF line ends is signed with LF and verifies."""
    lf = MESSAGE.replace(b"\r\n", b"\n")
    signed = DkimSigner(DOMAIN, SELECTOR, key_file).sign(lf)
    assert b"\r\n" not in signed
    assert dkim.verify(signed, dnsfunc=dns_for(rsa_key))


def test_missing_key_file_names_it(tmp_path: Path) -> None:
    """A missing key file is a DkimKeyError naming the file."""
    missing = tmp_path / "nope.pem"
    with pytest.raises(DkimKeyError, match=str(missing)):
        DkimSigner(DOMAIN, SELECTOR, missing)


def test_garbage_key_file_names_it(tmp_path: Path) -> None:
    """A key file that is not PEM is a DkimKeyError naming the file."""
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n")
    with pytest.raises(DkimKeyError, match=str(bad)) as info:
        DkimSigner(DOMAIN, SELECTOR, bad)
    assert info.value.code == "dkim-key-invalid"


def test_non_rsa_key_refused(tmp_path: Path) -> None:
    """An EC key is refused with an error naming the file, not used for rsa-sha256."""
    path = tmp_path / "ec.pem"
    path.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(DkimKeyError, match=f"{path}.*not RSA"):
        DkimSigner(DOMAIN, SELECTOR, path)


def test_message_without_from_refused(key_file: Path) -> None:
    """A message without From cannot be signed (DKIM requires From in h=)."""
    with pytest.raises(DkimError, match="without a From"):
        DkimSigner(DOMAIN, SELECTOR, key_file).sign(b"To: a@b.example\r\n\r\nhi\r\n")
