"""S/MIME certificates from an LDAP directory (health systems and the Direct trust community
publish them there): a KeySource for the lookup framework.

One search per address: `filter` (default `(mail={address})`, the address escaped per RFC 4515)
under `base_dn`, asking for `userCertificate;binary` (DER, RFC 4523) and
`userSMIMECertificate` (a PKCS#7 SignedData holding the certificate and, often, its chain).
Every end-entity certificate found becomes one Candidate (PEM, followed by the CA certificates
that came in the same PKCS#7); CA certificates alone are not candidates. Nothing here decides
whether a certificate may be used: the framework validates every candidate as an imported
certificate is validated (chain, EKU, dates, revocation, key size, the address).

A directory that cannot be reached, does not answer within `timeout`, or refuses the search
raises LookupFailed (never cached as "no certificate"); a search that finds no entry, or
entries without certificates, returns no candidates.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import ldap3
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from ldap3.core.exceptions import LDAPException, LDAPSocketReceiveError, LDAPStartTLSError
from ldap3.utils.conv import escape_filter_chars

from gateway.config import SmimeSettings
from gateway.keys.files import extension
from gateway.keys.lookup.base import Candidate, LookupFailed, LookupTimeout
from gateway.model import ConfigError

#: The attributes S/MIME certificates are published in, as ldap3 asks for them.
DEFAULT_ATTRIBUTES = ("userCertificate;binary", "userSMIMECertificate")
#: Entries read per search; a directory answering more for one address is misconfigured.
MAX_ENTRIES = 20


@dataclass(frozen=True)
class LdapDirectory:
    """Where and how to search: URL (ldap:// or ldaps://), base DN, filter template, attributes,
    StartTLS, timeout, CA bundle for TLS, optional simple bind."""

    url: str
    base_dn: str
    filter: str = "(mail={address})"
    attributes: tuple[str, ...] = DEFAULT_ATTRIBUTES
    start_tls: bool = False
    timeout: float = 5.0
    ca_file: Path | None = None
    bind_dn: str | None = None
    password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("ldap", "ldaps") or not parts.hostname:
            raise ValueError(
                f"LDAP url must be ldap://HOST[:PORT] or ldaps://..., not {self.url!r}"
            )
        if "{address}" not in self.filter:
            raise ValueError("the LDAP filter must contain {address}")
        if self.timeout <= 0:
            raise ValueError("the LDAP timeout must be positive")


def _strip_binary(name: str) -> str:
    return name.split(";", 1)[0].lower()


class LdapSource:
    """See KeySource: S/MIME certificates from one LDAP directory."""

    name = "ldap"

    def __init__(self, directory: LdapDirectory) -> None:
        self.directory = directory

    def find(self, address: str, *, timeout: float) -> Sequence[Candidate]:
        """See KeySource."""
        wanted = address.strip().lower()
        if "@" not in wanted or any(c in wanted for c in "\x00\r\n"):
            return ()
        limit = max(min(timeout, self.directory.timeout), 0.001)
        search_filter = self.directory.filter.replace("{address}", escape_filter_chars(wanted))
        try:
            conn = self._connect(limit)
        except LDAPSocketReceiveError as exc:
            raise LookupTimeout(self.name, f"{self._where()}: no answer within {limit:g}s") from exc
        except LDAPException as exc:
            tls = isinstance(exc, LDAPStartTLSError) or "ssl" in str(exc).lower()
            what = "TLS failed (certificate not verified?)" if tls else "unreachable"
            raise LookupFailed(
                self.name, f"{self._where()}: {what} ({type(exc).__name__})"
            ) from exc
        try:
            ok = conn.search(
                self.directory.base_dn,
                search_filter,
                search_scope=ldap3.SUBTREE,
                attributes=list(self.directory.attributes),
                size_limit=MAX_ENTRIES,
                time_limit=max(int(limit), 1),
            )
            result = conn.result or {}
            entries = [r for r in (conn.response or ()) if r.get("type") == "searchResEntry"]
        except LDAPSocketReceiveError as exc:
            raise LookupTimeout(self.name, f"{self._where()}: no answer within {limit:g}s") from exc
        except LDAPException as exc:
            raise LookupFailed(
                self.name, f"{self._where()}: search failed ({type(exc).__name__})"
            ) from exc
        finally:
            try:
                conn.unbind()
            except LDAPException:
                pass  # the answer is in; a failed goodbye changes nothing
        code = int(result.get("result", 0))
        # 0 success, 4 size limit (the entries read are still good), 32 no such object (base DN)
        if not ok and code not in (0, 4, 32):
            raise LookupFailed(
                self.name, f"{self._where()}: search refused ({result.get('description', code)})"
            )
        candidates: list[Candidate] = []
        for entry in entries:
            dn = str(entry.get("dn", ""))
            raw = entry.get("raw_attributes") or {}
            for name, values in raw.items():
                kind = _strip_binary(name)
                for value in values:
                    for pem in _certificates(kind, bytes(value)):
                        candidates.append(
                            Candidate(
                                kind="smime",
                                data=pem,
                                source=self.name,
                                detail=f"{self._where()} {dn} {kind}",
                            )
                        )
        return tuple(candidates)

    def _where(self) -> str:
        parts = urlsplit(self.directory.url)
        return f"{parts.scheme}://{parts.hostname}:{parts.port or _default_port(parts.scheme)}"

    def _connect(self, timeout: float) -> ldap3.Connection:
        d = self.directory
        parts = urlsplit(d.url)
        secure = parts.scheme == "ldaps"
        tls = None
        if secure or d.start_tls:
            tls = ldap3.Tls(
                validate=ssl.CERT_REQUIRED,
                version=ssl.PROTOCOL_TLS_CLIENT,
                ca_certs_file=str(d.ca_file) if d.ca_file else None,
            )
        server = ldap3.Server(
            parts.hostname or "",
            port=parts.port or _default_port(parts.scheme),
            use_ssl=secure,
            tls=tls,
            get_info=ldap3.NONE,
            connect_timeout=timeout,
        )
        conn = ldap3.Connection(
            server,
            user=d.bind_dn,
            password=d.password,
            # ldap3 packs this into a socket option as whole seconds
            receive_timeout=max(math.ceil(timeout), 1),
            raise_exceptions=False,
            read_only=True,
        )
        conn.open()
        problem = None
        if d.start_tls and not secure and not conn.start_tls():
            problem = "StartTLS refused"
        elif not conn.bind():
            problem = f"bind refused ({(conn.result or {}).get('description')})"
        if problem is not None:
            conn.unbind()
            raise LookupFailed(self.name, f"{self._where()}: {problem}")
        return conn


def ldap_sources(smime: SmimeSettings) -> list[LdapSource]:
    """One source per directory in smime.ldap (none configured: no LDAP lookups)."""
    sources = []
    for d in smime.ldap:
        password = None
        if d.bind_password_file is not None:
            try:
                password = d.bind_password_file.read_text("utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"{d.bind_password_file}: cannot read the LDAP bind password"
                ) from exc
        sources.append(
            LdapSource(
                LdapDirectory(
                    url=d.url,
                    base_dn=d.base_dn,
                    filter=d.filter,
                    attributes=d.attributes,
                    start_tls=d.start_tls,
                    timeout=d.timeout,
                    ca_file=d.ca_file,
                    bind_dn=d.bind_dn,
                    password=password,
                )
            )
        )
    return sources


def _default_port(scheme: str) -> int:
    return 636 if scheme == "ldaps" else 389


def _certificates(kind: str, value: bytes) -> list[bytes]:
    """PEM for each end-entity certificate in one attribute value (with its PKCS#7 companions)."""
    certs: list[x509.Certificate] = []
    try:
        if kind == "usersmimecertificate":
            info = cms.ContentInfo.load(value)
            if info["content_type"].native != "signed_data":
                return []
            for choice in info["content"]["certificates"] or []:
                if choice.name == "certificate":
                    certs.append(x509.load_der_x509_certificate(choice.chosen.dump()))
        else:
            certs.append(x509.load_der_x509_certificate(value))
    except (ValueError, TypeError, KeyError):
        return []  # not a certificate: nothing to offer from this value
    leaves = [c for c in certs if not _is_ca(c)]
    cas = [c for c in certs if _is_ca(c)]
    bundle = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in cas)
    return [leaf.public_bytes(serialization.Encoding.PEM) + bundle for leaf in leaves]


def _is_ca(cert: x509.Certificate) -> bool:
    constraints = extension(cert, x509.BasicConstraints)
    return constraints is not None and constraints.ca


__all__ = ["DEFAULT_ATTRIBUTES", "LdapDirectory", "LdapSource", "ldap_sources"]
