"""Read certificates (and keys) from PEM, DER and PKCS#12 files, with errors that name the file."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from asn1crypto import core
from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from gateway.crypto.smime import Signer, key_strength_problem
from gateway.keys.errors import (
    CertFileCorrupt,
    CertFileError,
    CertFileUnreadable,
    CertFileWrongType,
    PasswordRequired,
    WrongPassword,
)
from gateway.model import ConfigError

if TYPE_CHECKING:
    from gateway.config import SmimeSettings

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

#: Warn (log and the keys-expiring metric) this long before the signing certificate expires,
#: the same window the recipient certificates are counted in.
SIGNER_WARN_DAYS = 30

_Extension = TypeVar("_Extension", bound=x509.ExtensionType)

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.DOTALL)
_ENCRYPTED_KEY_LABELS = (b"ENCRYPTED PRIVATE KEY",)
_KEY_LABELS = (b"PRIVATE KEY", b"RSA PRIVATE KEY", b"EC PRIVATE KEY")
_IGNORED_LABELS = {
    b"X509 CRL": "a CRL",
    b"CERTIFICATE REQUEST": "a certificate request",
    b"NEW CERTIFICATE REQUEST": "a certificate request",
    b"PUBLIC KEY": "a bare public key",
    b"RSA PUBLIC KEY": "a bare public key",
    b"PGP PUBLIC KEY BLOCK": "an OpenPGP key",
}


@dataclass(frozen=True)
class Credentials:
    """What one file held: its certificates (in file order) and a private key if any."""

    path: Path
    certificates: tuple[x509.Certificate, ...]
    key: PrivateKey | None = None


def extension(cert: x509.Certificate, kind: type[_Extension]) -> _Extension | None:
    """The certificate's extension of this kind, or None when it carries none."""
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def read_credentials(path: Path, password: bytes | None = None) -> Credentials:
    """Load certificates and an optional private key from a PEM, DER or PKCS#12 file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CertFileUnreadable(
            path, f"cannot read ({exc.strerror or type(exc).__name__})"
        ) from exc
    if not data.strip():
        raise CertFileCorrupt(path, "file is empty")
    if b"-----BEGIN " in data:
        return _read_pem(path, data, password)
    return _read_der(path, data, password)


def _read_pem(path: Path, data: bytes, password: bytes | None) -> Credentials:
    certs: list[x509.Certificate] = []
    key: PrivateKey | None = None
    seen: list[str] = []
    blocks = list(_PEM_BLOCK.finditer(data))
    if not blocks:
        raise CertFileCorrupt(path, "PEM armor is incomplete (no matching END line)")
    for number, block in enumerate(blocks, start=1):
        label, pem = block.group(1), block.group(0)
        if label in (b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"):
            try:
                certs.append(x509.load_pem_x509_certificate(pem))
            except ValueError as exc:
                raise CertFileCorrupt(
                    path, f"PEM block {number} is not a valid certificate"
                ) from exc
        elif label == b"PKCS7":
            try:
                certs.extend(pkcs7.load_pem_pkcs7_certificates(pem))
            except ValueError as exc:
                raise CertFileCorrupt(path, f"PEM block {number} is not a valid PKCS#7") from exc
        elif label in _KEY_LABELS or label in _ENCRYPTED_KEY_LABELS:
            key = _load_pem_key(path, pem, password, encrypted=_is_encrypted_pem(label, pem))
        else:
            seen.append(_IGNORED_LABELS.get(label, f"a PEM '{label.decode('ascii', 'replace')}'"))
    if not certs:
        found = ", ".join(sorted(set(seen))) or ("only a private key" if key else "nothing usable")
        raise CertFileWrongType(path, f"no certificate in the file (found {found})")
    return Credentials(path, tuple(certs), key)


def _is_encrypted_pem(label: bytes, pem: bytes) -> bool:
    return label in _ENCRYPTED_KEY_LABELS or b"Proc-Type: 4,ENCRYPTED" in pem


def _load_pem_key(path: Path, pem: bytes, password: bytes | None, *, encrypted: bool) -> PrivateKey:
    if encrypted and not password:
        raise PasswordRequired(path, "the private key is encrypted and no password was given")
    try:
        key = serialization.load_pem_private_key(pem, password if encrypted else None)
    except ValueError as exc:
        if encrypted:
            raise WrongPassword(path, "the password does not decrypt the private key") from exc
        raise CertFileCorrupt(path, "the private key does not parse") from exc
    except TypeError as exc:
        raise CertFileCorrupt(path, "the private key does not parse") from exc
    return _supported_key(path, key)


def _supported_key(path: Path, key: object) -> PrivateKey:
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return key
    raise CertFileWrongType(path, f"unsupported private key type {type(key).__name__}")


def _read_der(path: Path, data: bytes, password: bytes | None) -> Credentials:
    try:
        return Credentials(path, (x509.load_der_x509_certificate(data),))
    except ValueError:
        pass  # not a single certificate; try the other DER shapes below
    if _looks_like_pkcs12(data):
        return _read_pkcs12(path, data, password)
    try:
        return Credentials(path, tuple(pkcs7.load_der_pkcs7_certificates(data)))
    except ValueError:
        pass  # not a PKCS#7 certificate bundle either
    what = _describe_der(data)
    if what is None:
        raise CertFileCorrupt(path, "not PEM, and not parseable DER or PKCS#12")
    raise CertFileWrongType(path, f"no certificate in the file (found {what})")


def _looks_like_pkcs12(data: bytes) -> bool:
    try:
        pfx = asn1_pkcs12.Pfx.load(data, strict=True)
        return pfx["auth_safe"]["content_type"].native in ("data", "signed_data")
    except (ValueError, TypeError, KeyError):
        return False


def _read_pkcs12(path: Path, data: bytes, password: bytes | None) -> Credentials:
    try:
        bundle = pkcs12.load_pkcs12(data, password)
    except ValueError as exc:
        if password is None:
            raise PasswordRequired(
                path, "the PKCS#12 file is encrypted and no password was given"
            ) from exc
        raise WrongPassword(path, "the password does not open the PKCS#12 file") from exc
    certs: list[x509.Certificate] = []
    if bundle.cert is not None:
        certs.append(bundle.cert.certificate)
    certs.extend(item.certificate for item in bundle.additional_certs)
    if not certs:
        raise CertFileWrongType(path, "the PKCS#12 file holds no certificate")
    key = _supported_key(path, bundle.key) if bundle.key is not None else None
    return Credentials(path, tuple(certs), key)


def _describe_der(data: bytes) -> str | None:
    try:
        x509.load_der_x509_crl(data)
        return "a CRL"
    except ValueError:
        pass  # keep guessing
    try:
        x509.load_der_x509_csr(data)
        return "a certificate request"
    except ValueError:
        pass  # keep guessing
    try:
        serialization.load_der_private_key(data, None)
        return "a private key"
    except (ValueError, TypeError):
        pass  # keep guessing
    try:
        serialization.load_der_public_key(data)
        return "a bare public key"
    except ValueError:
        pass  # keep guessing
    try:
        value = core.load(data, strict=True)
        value.native  # noqa: B018 - forces a full parse
    except ValueError:
        return None
    return "an unknown DER structure"


def load_signer(path: Path, password: bytes | None = None) -> Signer:
    """The signing identity in a PKCS#12 or PEM (certificate + key) file; CA certificates become its chain."""
    credentials = read_credentials(path, password)
    if credentials.key is None:
        raise CertFileWrongType(path, "no private key in the file; signing needs one")
    public = _spki(credentials.key.public_key())
    leaf = next((c for c in credentials.certificates if _spki(c.public_key()) == public), None)
    if leaf is None:
        raise CertFileWrongType(path, "no certificate in the file matches its private key")
    chain = tuple(c for c in credentials.certificates if c is not leaf)
    return Signer(leaf, credentials.key, chain)


def _spki(key: object) -> bytes:
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return b""
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True)
class ConfiguredSigner:
    """The signing identity from `smime.sign_file`, checked, and how long it stays valid."""

    signer: Signer
    path: Path
    remaining: dt.timedelta

    @property
    def expiring(self) -> bool:
        """Within SIGNER_WARN_DAYS of its notAfter."""
        return self.remaining <= dt.timedelta(days=SIGNER_WARN_DAYS)

    def warning(self) -> str | None:
        """A one-line warning when the certificate expires soon."""
        if not self.expiring:
            return None
        return (
            f"smime.sign_file: {self.path}: the signing certificate expires "
            f"{self.signer.certificate.not_valid_after_utc.date().isoformat()} "
            f"(in {max(self.remaining.days, 0)} days); renew it before then"
        )


def signer_problem(signer: Signer, at: dt.datetime) -> str | None:
    """Why a signing identity must not be used at `at`, or None.

    Recipients' clients reject signatures from a certificate outside its validity period, without
    digitalSignature in its key usage or without emailProtection in its extended key usage, and a
    weak key protects nothing.
    """
    cert = signer.certificate
    if at < cert.not_valid_before_utc:
        return (
            f"the signing certificate is not valid before {cert.not_valid_before_utc.isoformat()}"
        )
    if at > cert.not_valid_after_utc:
        return f"the signing certificate expired {cert.not_valid_after_utc.isoformat()}"
    weak = key_strength_problem(signer.key)
    if weak is not None:
        return f"the signing key is too weak: {weak}"
    usage = extension(cert, x509.KeyUsage)
    if usage is not None and not usage.digital_signature:
        return "the signing certificate's key usage lacks digitalSignature"
    eku = extension(cert, x509.ExtendedKeyUsage)
    if eku is None or ExtendedKeyUsageOID.EMAIL_PROTECTION not in eku:
        return "the signing certificate's extended key usage lacks emailProtection"
    return None


def load_configured_signer(
    smime: SmimeSettings, *, at: dt.datetime | None = None
) -> ConfiguredSigner | None:
    """Load and check `smime.sign_file`; None when none is configured.

    Raises ConfigError (one line naming the setting and the file) when the file cannot be read or
    the certificate must not sign: the gateway refuses to start rather than send signatures that
    recipients reject, or none at all.
    """
    path = smime.sign_file
    if path is None:
        return None
    when = at or dt.datetime.now(dt.UTC)
    try:
        password = (
            smime.sign_password_file.read_bytes().strip() if smime.sign_password_file else None
        )
    except OSError as exc:
        raise ConfigError(
            f"smime.sign_password_file: {smime.sign_password_file}: cannot read "
            f"({exc.strerror or type(exc).__name__})"
        ) from None
    try:
        signer = load_signer(path, password)
    except CertFileError as exc:
        raise ConfigError(f"smime.sign_file: {exc}") from None
    problem = signer_problem(signer, when)
    if problem is not None:
        raise ConfigError(f"smime.sign_file: {path}: {problem}")
    return ConfiguredSigner(signer, path, signer.certificate.not_valid_after_utc - when)
