"""The LDAP certificate source against a real OpenLDAP `slapd` on loopback: it finds a published
certificate (userCertificate;binary and a userSMIMECertificate PKCS#7 with its chain) that then
validates like an imported one; a wrong-EKU or expired certificate it finds is refused by that
validation; a directory that is down or never answers raises LookupFailed within the timeout; StartTLS
and ldaps:// verify the directory against the configured CA."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from gateway.config import load_settings
from gateway.keys.lookup.base import Candidate, LookupFailed
from gateway.keys.lookup.ldap import LdapDirectory, LdapSource, ldap_sources
from gateway.keys.store import CertStore, cert_addresses
from tests.support.ldap import (
    BASE_DN,
    Slapd,
    SlapdTls,
    running_slapd,
    silent_server,
    slapd_available,
)
from tests.support.pki import NOW, Issued, Pki

pytestmark = pytest.mark.skipif(
    not slapd_available(), reason="slapd not installed (scripts/system-deps.sh)"
)

GOOD = "intake@heart.example"
CHAINED = "records@heart.example"
WRONG_EKU = "billing@heart.example"
EXPIRED = "old@heart.example"


def _der(who: Issued) -> bytes:
    return who.cert.public_bytes(serialization.Encoding.DER)


def _pkcs7(tmp: Path, *certs: Path) -> bytes:
    """A certs-only PKCS#7 (DER) as directories publish in userSMIMECertificate (openssl)."""
    args = ["openssl", "crl2pkcs7", "-nocrl", "-outform", "DER"]
    for cert in certs:
        args += ["-certfile", str(cert)]
    return subprocess.run(args, capture_output=True, check=True, timeout=60).stdout


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[Slapd]:
    """slapd with a good, a chained (PKCS#7), a wrong-EKU and an expired certificate published."""
    folder = tmp_path_factory.mktemp("slapd")
    good = pki.issue(GOOD, stem="ldap-good")
    chained = pki.issue(CHAINED, stem="ldap-chained")
    wrong = pki.issue(WRONG_EKU, stem="ldap-wrong", eku=[ExtendedKeyUsageOID.SERVER_AUTH])
    expired = pki.issue(
        EXPIRED,
        stem="ldap-expired",
        not_before=NOW - dt.timedelta(days=400),
        not_after=NOW - dt.timedelta(days=30),
    )
    with running_slapd(folder) as slapd:
        slapd.add_person("intake", GOOD, certificates=[_der(good)])
        slapd.add_person(
            "records",
            CHAINED,
            certificates=[_pkcs7(folder, chained.cert_path, pki.intermediate.cert_path)],
            attribute="userSMIMECertificate",
        )
        slapd.add_person("billing", WRONG_EKU, certificates=[_der(wrong)])
        slapd.add_person("old", EXPIRED, certificates=[_der(expired)])
        slapd.add_person("nocert", "nocert@heart.example")
        yield slapd


def _source(url: str, **kw: object) -> LdapSource:
    return LdapSource(LdapDirectory(url, BASE_DN, **kw))  # type: ignore[arg-type]


def _judge(store: CertStore, candidate: Candidate, address: str) -> str | None:
    """The problem validation finds with a candidate (None: usable), as for an imported one."""
    certs = x509.load_pem_x509_certificates(candidate.data)
    leaf, chain = certs[0], certs[1:]
    if address not in cert_addresses(leaf):
        return "wrong-address"
    return store.validate(leaf, extra_intermediates=chain).problem


@pytest.fixture
def store(tmp_path: Path, pki: Pki) -> CertStore:
    """An empty store trusting only the fixture root (no intermediate imported)."""
    return CertStore(tmp_path / "certs", [pki.root.cert_path], [])


def test_finds_a_valid_certificate(directory: Slapd, store: CertStore) -> None:
    """userCertificate;binary for the address comes back as one candidate that validates."""
    [found] = _source(directory.url).find(GOOD, timeout=5)
    assert (found.kind, found.source) == ("smime", "ldap")
    assert "uid=intake,ou=people,dc=example,dc=org" in found.detail
    # The intermediate is not in the store and the DER attribute carries no chain: untrusted
    # until the intermediate is known, then usable.
    assert _judge(store, found, GOOD) == "untrusted"


def test_pkcs7_with_chain_validates(directory: Slapd, store: CertStore) -> None:
    """A userSMIMECertificate PKCS#7 brings its intermediate, so the chain builds to the root."""
    [found] = _source(directory.url).find(CHAINED, timeout=5)
    assert len(x509.load_pem_x509_certificates(found.data)) == 2
    assert _judge(store, found, CHAINED) is None


def test_wrong_eku_and_expired_are_refused(directory: Slapd, store: CertStore, pki: Pki) -> None:
    """Certificates the directory publishes are judged, not trusted: wrong EKU and expired."""
    store.import_file(pki.intermediate.cert_path)
    source = _source(directory.url)
    [good] = source.find(GOOD, timeout=5)
    assert _judge(store, good, GOOD) is None
    [wrong] = source.find(WRONG_EKU, timeout=5)
    assert _judge(store, wrong, WRONG_EKU) == "wrong-usage"
    [expired] = source.find(EXPIRED, timeout=5)
    assert _judge(store, expired, EXPIRED) == "expired"


def test_no_entry_or_no_certificate_is_no_candidate(directory: Slapd) -> None:
    """An unknown address, an entry without a certificate, and a filter metacharacter in the
    address (escaped, so it matches nothing) all give no candidates."""
    source = _source(directory.url)
    assert source.find("nobody@heart.example", timeout=5) == ()
    assert source.find("nocert@heart.example", timeout=5) == ()
    assert source.find("*@heart.example", timeout=5) == ()
    assert source.find("*", timeout=5) == ()


def test_directory_down_raises_lookup_failed(tmp_path: Path) -> None:
    """Nothing listens on the port: LookupFailed names the directory, not 'no certificate'."""
    with silent_server() as port:
        pass  # the port is free again: connections are refused
    with pytest.raises(LookupFailed, match=f"127.0.0.1:{port}"):
        _source(f"ldap://127.0.0.1:{port}", timeout=2).find(GOOD, timeout=2)


def test_silent_directory_raises_lookup_failed_within_timeout() -> None:
    """A directory that accepts the connection and never answers ends in LookupFailed after the
    timeout (the smaller of the directory's and the caller's) instead of holding the message."""
    with silent_server() as port:
        with pytest.raises(LookupFailed, match="no answer within 1s"):
            _source(f"ldap://127.0.0.1:{port}", timeout=30).find(GOOD, timeout=1)


def test_bad_directory_settings_are_refused() -> None:
    """A URL that is not ldap(s)://, or a filter without {address}, is a clear error."""
    with pytest.raises(ValueError, match="ldap://"):
        LdapDirectory("http://dir.example", BASE_DN)
    with pytest.raises(ValueError, match=r"\{address\}"):
        LdapDirectory("ldap://dir.example", BASE_DN, filter="(mail=*)")


def test_configured_directory_is_searched(directory: Slapd, tmp_path: Path) -> None:
    """smime.ldap in the configuration gives one source per directory, searched as configured
    (here with a filter on uid instead of mail); none configured gives none."""
    assert ldap_sources(load_settings(None, {}).smime) == []
    settings = load_settings(
        None,
        {
            "smime": {
                "ldap": [
                    {
                        "url": directory.url,
                        "base_dn": f"ou=people,{BASE_DN}",
                        "filter": "(&(objectClass=inetOrgPerson)(mail={address}))",
                        "timeout": 3,
                    }
                ]
            }
        },
    )
    [source] = ldap_sources(settings.smime)
    [found] = source.find(GOOD, timeout=5)
    assert GOOD in cert_addresses(x509.load_pem_x509_certificates(found.data)[0])


@pytest.fixture(scope="module")
def tls_directory(
    tmp_path_factory: pytest.TempPathFactory, pki: Pki
) -> Iterator[tuple[Slapd, Path]]:
    """slapd with a trustme server certificate for localhost: StartTLS and ldaps://."""
    folder = tmp_path_factory.mktemp("slapd-tls")
    ca = trustme.CA()
    server = ca.issue_cert("localhost", "127.0.0.1")
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    server.cert_chain_pems[0].write_to_path(str(folder / "server.pem"))
    server.private_key_pem.write_to_path(str(folder / "server.key"))
    good = pki.issue("tls@heart.example", stem="ldap-tls")
    tls = SlapdTls(folder / "server.pem", folder / "server.key", folder / "ca.pem")
    with running_slapd(folder, tls) as slapd:
        slapd.add_person("tls", "tls@heart.example", certificates=[_der(good)])
        yield slapd, folder / "ca.pem"


@pytest.mark.parametrize("method", ["starttls", "ldaps"])
def test_tls_verified_against_the_configured_ca(
    tls_directory: tuple[Slapd, Path], tmp_path: Path, method: str
) -> None:
    """StartTLS and ldaps:// find the certificate when the directory's TLS certificate verifies
    against ca_file, and fail (LookupFailed, not 'no certificate') against another CA."""
    slapd, ca_file = tls_directory
    url = (
        f"ldap://localhost:{slapd.port}"
        if method == "starttls"
        else f"ldaps://localhost:{slapd.tls_port}"
    )
    start_tls = method == "starttls"
    [found] = _source(url, start_tls=start_tls, ca_file=ca_file, timeout=5).find(
        "tls@heart.example", timeout=5
    )
    assert found.source == "ldap"
    stranger = tmp_path / "stranger.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    with pytest.raises(LookupFailed, match="TLS failed"):
        _source(url, start_tls=start_tls, ca_file=stranger, timeout=5).find(
            "tls@heart.example", timeout=5
        )
