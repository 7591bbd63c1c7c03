"""Bad certificate files are refused with a coded error that names the file and leaks nothing."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from gateway.keys import CertFileError, CertStore
from tests.support.pki import Pki


def corrupt_pem(pki: Pki, path: Path) -> tuple[Path, bytes | None]:
    """A certificate PEM whose base64 body was damaged."""
    pem = pki.root.cert_path.read_bytes().splitlines(keepends=True)
    pem[3] = b"!!!!" + pem[3][4:]
    path.write_bytes(b"".join(pem))
    return path, None


def truncated_pem(pki: Pki, path: Path) -> tuple[Path, bytes | None]:
    """A certificate PEM cut off before its END line."""
    path.write_bytes(pki.root.cert_path.read_bytes()[:300])
    return path, None


def der_crl(pki: Pki, path: Path) -> tuple[Path, bytes | None]:
    """A DER CRL where a certificate was expected."""
    path.write_bytes(pki.crl([], stem="empty").read_bytes())
    return path, None


def der_key(pki: Pki, path: Path) -> tuple[Path, bytes | None]:
    """A DER private key alone."""
    path.write_bytes(
        pki.root.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path, None


def pem_csr(pki: Pki, path: Path) -> tuple[Path, bytes | None]:
    """A PEM certificate request."""
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "csr")]))
        .sign(pki.root.key, hashes.SHA256())  # type: ignore[arg-type]
    )
    path.write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    return path, None


def random_bytes(pki: Pki, path: Path) -> tuple[Path, bytes | None]:
    """Bytes that are neither PEM nor DER."""
    path.write_bytes(bytes(range(7, 200)))
    return path, None


def empty_file(pki: Pki, path: Path) -> tuple[Path, bytes | None]:
    """An empty file."""
    path.write_bytes(b"")
    return path, None


def p12_wrong_password(pki: Pki, path: Path) -> tuple[Path, bytes | None]:
    """A PKCS#12 file opened with the wrong password."""
    leaf = pki.issue("p12@example.org", stem="p12-wrong")
    return pki.pkcs12(leaf, b"right", stem="p12-wrong"), b"Tr0ub4dor&3"


def p12_no_password(pki: Pki, path: Path) -> tuple[Path, bytes | None]:
    """A password-protected PKCS#12 file opened without a password."""
    leaf = pki.issue("p12@example.org", stem="p12-none")
    return pki.pkcs12(leaf, b"right", stem="p12-none"), None


def encrypted_key_no_password(pki: Pki, path: Path) -> tuple[Path, bytes | None]:
    """A PEM bundle with a certificate and an encrypted private key, no password given."""
    leaf = pki.issue("bundle@example.org", stem="bundle-none")
    key = leaf.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    path.write_bytes(leaf.cert_path.read_bytes() + key)
    return path, None


def encrypted_key_wrong_password(pki: Pki, path: Path) -> tuple[Path, bytes | None]:
    """A PEM bundle with an encrypted private key and the wrong password."""
    path, _ = encrypted_key_no_password(pki, path)
    return path, b"not-pw"


def missing_file(pki: Pki, path: Path) -> tuple[Path, bytes | None]:
    """A path that does not exist."""
    return path, None


def b64_garbage_p12(pki: Pki, path: Path) -> tuple[Path, bytes | None]:
    """A truncated PKCS#12 file."""
    leaf = pki.issue("p12@example.org", stem="p12-cut")
    path.write_bytes(pki.pkcs12(leaf, b"pw", stem="p12-cut").read_bytes()[:200])
    return path, b"pw"


Maker = Callable[[Pki, Path], tuple[Path, bytes | None]]


@pytest.mark.parametrize(
    ("maker", "code"),
    [
        (corrupt_pem, "cert-file-corrupt"),
        (truncated_pem, "cert-file-corrupt"),
        (der_crl, "cert-file-wrong-type"),
        (der_key, "cert-file-wrong-type"),
        (pem_csr, "cert-file-wrong-type"),
        (random_bytes, "cert-file-corrupt"),
        (empty_file, "cert-file-corrupt"),
        (p12_wrong_password, "cert-password-wrong"),
        (p12_no_password, "cert-password-required"),
        (encrypted_key_no_password, "cert-password-required"),
        (encrypted_key_wrong_password, "cert-password-wrong"),
        (missing_file, "cert-file-unreadable"),
        (b64_garbage_p12, "cert-file-corrupt"),
    ],
    ids=lambda v: v.__name__ if callable(v) else str(v),
)
def test_bad_file_is_refused(tmp_path: Path, pki: Pki, maker: Maker, code: str) -> None:
    """Each kind of bad file raises CertFileError with its stable code and the file's name, and stores nothing."""
    path, password = maker(pki, tmp_path / "input.bin")
    store = CertStore(tmp_path / "store", [pki.root.cert_path], [])
    with pytest.raises(CertFileError) as info:
        store.import_file(path, password)
    assert info.value.code == code
    assert str(path) in str(info.value)
    if password:
        assert password.decode() not in str(info.value)
    assert store.entries() == ()
    assert base64.b64encode(
        pki.root.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )[:40].decode() not in str(info.value)
