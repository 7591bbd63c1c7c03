"""A throw-away S/MIME PKI for the S/MIME and certificate store tests (the `pki` fixture is in
tests/conftest.py; tests/gateway/crypto/test_smime_pki.py checks it against openssl)."""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
DAY = dt.timedelta(days=1)

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass
class Issued:
    """A certificate with its private key and PEM files on disk."""

    cert: x509.Certificate
    key: PrivateKey
    cert_path: Path
    key_path: Path

    @property
    def fingerprint(self) -> str:
        """SHA-256 fingerprint in lower-case hex."""
        return self.cert.fingerprint(hashes.SHA256()).hex()


@dataclass
class Pki:
    """A root CA, an intermediate CA, and helpers to issue end-entity certificates."""

    directory: Path
    root: Issued = field(init=False)
    intermediate: Issued = field(init=False)
    _serial: int = 1000

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        root_name = _name("phigate test root CA")
        root_cert = (
            _builder(root_name, root_name, root_key.public_key(), 1, NOW - DAY, NOW + 3650 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(_ca_usage(), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
            )
            .sign(root_key, hashes.SHA256())
        )
        self.root = self._save("root", root_cert, root_key)
        int_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        int_cert = (
            _builder(
                _name("phigate test issuing CA"),
                root_name,
                int_key.public_key(),
                2,
                NOW - DAY,
                NOW + 1825 * DAY,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_ca_usage(), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(int_key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
                critical=False,
            )
            .sign(root_key, hashes.SHA256())
        )
        self.intermediate = self._save("intermediate", int_cert, int_key)

    def issue(
        self,
        address: str | None,
        *,
        stem: str,
        key_size: int = 2048,
        curve: ec.EllipticCurve | None = None,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        eku: list[x509.ObjectIdentifier] | None = None,
        key_encipherment: bool = True,
        digital_signature: bool = True,
        san: bool = True,
        subject_email: str | None = None,
        issuer: Issued | None = None,
    ) -> Issued:
        """Issue an end-entity certificate for `address` (defaults: valid, emailProtection)."""
        key: PrivateKey
        if curve is not None:
            key = ec.generate_private_key(curve)
        else:
            key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        signer = issuer or self.intermediate
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, stem)]
        if subject_email:
            attrs.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, subject_email))
        self._serial += 1
        builder = _builder(
            x509.Name(attrs),
            signer.cert.subject,
            key.public_key(),
            self._serial,
            not_before or NOW - DAY,
            not_after or NOW + 365 * DAY,
        )
        builder = builder.add_extension(
            x509.BasicConstraints(ca=False, path_length=None), critical=True
        )
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature,
                content_commitment=False,
                key_encipherment=key_encipherment and curve is None,
                data_encipherment=False,
                key_agreement=curve is not None,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(
                eku if eku is not None else [ExtendedKeyUsageOID.EMAIL_PROTECTION]
            ),
            critical=False,
        )
        if san and address:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.RFC822Name(address)]), critical=False
            )
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        cert = builder.sign(_issuer_key(signer), hashes.SHA256())
        return self._save(stem, cert, key)

    def crl(
        self,
        revoked: list[Issued],
        *,
        stem: str = "issuing",
        issuer: Issued | None = None,
        this_update: dt.datetime | None = None,
        next_update: dt.datetime | None = None,
    ) -> Path:
        """Write a CRL from `issuer` (default: the intermediate) revoking `revoked`.

        By default it was issued yesterday and is current for 30 days.
        """
        signer = issuer or self.intermediate
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(signer.cert.subject)
            .last_update(this_update or NOW - DAY)
            .next_update(next_update or NOW + 30 * DAY)
        )
        for item in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(item.cert.serial_number)
                .revocation_date(NOW - DAY)
                .build()
            )
        crl = builder.sign(_issuer_key(signer), hashes.SHA256())
        path = self.directory / f"{stem}.crl"
        path.write_bytes(crl.public_bytes(serialization.Encoding.DER))
        return path

    def pkcs12(self, item: Issued, password: bytes | None, *, stem: str) -> Path:
        """Write `item` (key, cert and the intermediate) as a PKCS#12 file."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        blob = pkcs12.serialize_key_and_certificates(
            stem.encode(), item.key, item.cert, [self.intermediate.cert], encryption
        )
        path = self.directory / f"{stem}.p12"
        path.write_bytes(blob)
        return path

    def chain_pem(self) -> Path:
        """The root and the intermediate in one PEM file (for openssl -CAfile)."""
        path = self.directory / "chain.pem"
        path.write_bytes(
            self.root.cert.public_bytes(serialization.Encoding.PEM)
            + self.intermediate.cert.public_bytes(serialization.Encoding.PEM)
        )
        return path

    def _save(self, stem: str, cert: x509.Certificate, key: PrivateKey) -> Issued:
        cert_path = self.directory / f"{stem}.pem"
        key_path = self.directory / f"{stem}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return Issued(cert, key, cert_path, key_path)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "phigate tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
    serial: int,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _issuer_key(item: Issued) -> CertificateIssuerPrivateKeyTypes:
    return item.key


def openssl_self_signed(directory: Path, common_name: str) -> None:
    """Write k.pem and c.pem in `directory`: an RSA key and a self-signed certificate for
    `common_name`, made by `openssl req` itself."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory / "k.pem",
         "-out", directory / "c.pem", "-days", "30", "-subj", f"/CN={common_name}"],
        check=True, capture_output=True,
    )  # fmt: skip
