"""Recipient certificates with weak keys (RSA below 2048 bits, curves below P-256 or outside
the NIST set) are refused at import, naming the file, and never used to encrypt PHI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.crypto.smime import WeakKey, encrypt_message
from gateway.keys import CertStore, WeakCertificateKey
from gateway.keys.store import CertEntry, cert_addresses, fingerprint
from tests.support.pki import Issued, Pki

MESSAGE = (
    b"From: a@practice.example\r\nTo: b@heart.example\r\nSubject: s\r\n"
    b"Content-Type: text/plain\r\n\r\nMRN 4471203\r\n"
)


WEAK = {
    "rsa-1024": {"key_size": 1024},
    "secp224r1": {"curve": ec.SECP224R1()},
    "secp256k1": {"curve": ec.SECP256K1()},
    "brainpool": {"curve": ec.BrainpoolP256R1()},
}


@pytest.fixture(scope="module", params=sorted(WEAK))
def weak(request: pytest.FixtureRequest, pki: Pki) -> Issued:
    """A recipient certificate with a weak or unsupported key."""
    name = request.param
    return pki.issue(f"{name}@heart.example", stem=name, **WEAK[name])  # type: ignore[arg-type]


def test_import_refuses_a_weak_key_and_names_the_file(
    tmp_path: Path, pki: Pki, weak: Issued
) -> None:
    """Importing the certificate fails with cert-key-too-weak and the file's path."""
    store = CertStore(tmp_path / "store", [pki.root.cert_path])
    with pytest.raises(WeakCertificateKey) as caught:
        store.import_file(weak.cert_path)
    assert str(weak.cert_path) in str(caught.value)
    assert caught.value.code == "cert-key-too-weak"
    assert store.entries() == ()


def test_weak_certificate_already_in_the_store_is_not_used(
    tmp_path: Path, pki: Pki, weak: Issued
) -> None:
    """A weak certificate that got into the store earlier is refused at lookup as weak-key."""
    directory = tmp_path / "store"
    store = CertStore(directory, [pki.root.cert_path])
    store.import_certificates([pki.intermediate.cert], source="test")
    cert = weak.cert
    fp = fingerprint(cert)
    (directory / "certs").mkdir(parents=True, exist_ok=True)
    (directory / "certs" / f"{fp}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    entry = CertEntry(
        fingerprint=fp,
        addresses=cert_addresses(cert),
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        file=f"certs/{fp}.pem",
    )
    (directory / "index.json").write_text(json.dumps({"version": 1, "certs": [entry.as_json()]}))
    found = store.lookup(cert_addresses(cert)[0])
    assert found.cert is None
    assert found.problem == "weak-key"


def test_encryptor_refuses_a_weak_recipient_key(weak: Issued) -> None:
    """encrypt_message raises rather than wrap PHI for a weak key."""
    with pytest.raises(WeakKey):
        encrypt_message(MESSAGE, [weak.cert], prefer_gcm=False, oaep=False)
