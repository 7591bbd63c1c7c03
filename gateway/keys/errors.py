"""Certificate store errors, each with a stable code and naming the file it concerns."""

from __future__ import annotations

from pathlib import Path

from gateway.model import PhigateError


class CertStoreError(PhigateError):
    """The certificate store cannot do what was asked."""

    code = "certstore-error"


class CertFileError(CertStoreError):
    """A certificate, key or PKCS#12 file cannot be used; `path` names it."""

    code = "cert-file-error"

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason} [{self.code}]")


class CertFileUnreadable(CertFileError):
    """The file cannot be read at all (missing, permissions)."""

    code = "cert-file-unreadable"


class CertFileCorrupt(CertFileError):
    """The file looks like PEM, DER or PKCS#12 but does not parse."""

    code = "cert-file-corrupt"


class CertFileWrongType(CertFileError):
    """The file parses, but holds no certificate (a CRL, a lone key, a CSR, ...)."""

    code = "cert-file-wrong-type"


class WeakCertificateKey(CertFileError):
    """The file holds a certificate whose key is too weak (RSA < 2048 bits, curve below P-256)."""

    code = "cert-key-too-weak"


class PasswordRequired(CertFileError):
    """The file is encrypted and no password was given."""

    code = "cert-password-required"


class WrongPassword(CertFileError):
    """The password given does not open the file."""

    code = "cert-password-wrong"


class CrlError(CertStoreError):
    """A configured CRL source cannot be read or parsed."""

    code = "crl-unavailable"

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason} [{self.code}]")
