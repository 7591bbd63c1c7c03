"""The portal over TLS (trustme certificate): secure cookies and a verified handshake."""

from __future__ import annotations

import re
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest
import trustme

from gateway.portal import PortalStore, create_app
from tests.support.portal import SETTINGS, FakePractice, put, serving

SEE_OTHER = 303


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A CA file and a server certificate and key for 127.0.0.1."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    return ca_file, cert_file, key_file


def test_tls_with_secure_host_cookies(
    app_store: PortalStore, tls_files: tuple[Path, Path, Path]
) -> None:
    """Over TLS the link sets __Host- cookies that are Secure, HttpOnly and SameSite=Strict."""
    ca_file, cert_file, key_file = tls_files
    item = put(app_store, ref_id="PG-20261128-TLS00001", roster_id=None, now=None, days=1)
    app = create_app(app_store, SETTINGS.clone(secure_cookies=True), FakePractice().services())
    context = ssl.create_default_context(cafile=str(ca_file))
    with serving(app, certfile=cert_file, keyfile=key_file) as url:
        assert url.startswith("https://")
        with httpx.Client(base_url=url, verify=context) as client:
            resp = client.get(f"/p/{item.token}")
            page = client.get("/verify")
        with httpx.Client(base_url=url, verify=ssl.create_default_context()) as untrusting:
            with pytest.raises(httpx.ConnectError):
                untrusting.get("/")
    assert resp.status_code == SEE_OTHER
    cookies = resp.headers.get_list("set-cookie")
    assert {c.split("=", 1)[0] for c in cookies} == {"__Host-pgportal", "__Host-pgcsrf"}
    for c in cookies:
        assert "Secure" in c and "HttpOnly" in c and "SameSite=strict" in c
    assert page.status_code == 200 and "Email me a code" in page.text
    assert resp.headers["strict-transport-security"].startswith("max-age=31536000")


@pytest.fixture
def rsa_tls_files(tmp_path: Path) -> tuple[Path, Path]:
    """An RSA server certificate, so the ECDHE-RSA suites are all on the table."""
    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    cert = ca.issue_cert("127.0.0.1", key_type=trustme.KeyType.RSA)
    cert_file, key_file = tmp_path / "rsa-cert.pem", tmp_path / "rsa-key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    return cert_file, key_file


def _s_client(url: str, *options: str) -> subprocess.CompletedProcess[str]:
    host_port = url.removeprefix("https://")
    return subprocess.run(
        ["openssl", "s_client", "-connect", host_port, "-servername", "127.0.0.1", *options],
        input="",
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    ("options", "accepted"),
    [
        (("-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256"), False),
        (("-tls1_2", "-cipher", "ECDHE-RSA-AES256-SHA384"), False),
        (("-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA"), False),
        (("-tls1_2", "-cipher", "AES128-GCM-SHA256"), False),  # no forward secrecy
        (("-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"), True),
        (("-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"), True),
        (("-tls1_3",), True),
    ],
    ids=["cbc-sha256", "cbc-sha384", "cbc-sha1", "rsa-kx", "gcm", "chacha20", "tls1.3"],
)
def test_the_portal_offers_aead_suites_only(
    app_store: PortalStore, rsa_tls_files: tuple[Path, Path], options, accepted
) -> None:
    """TLS 1.2 CBC suites fail the handshake (openssl s_client); AEAD suites and TLS 1.3 work."""
    cert_file, key_file = rsa_tls_files
    app = create_app(app_store, SETTINGS.clone(secure_cookies=True), FakePractice().services())
    with serving(app, certfile=cert_file, keyfile=key_file) as url:
        out = _s_client(url, *options)
    negotiated = re.search(r"Cipher is (\S+)", out.stdout)
    handshake = negotiated is not None and negotiated.group(1) != "(NONE)"
    assert handshake is accepted, out.stdout[-400:] + out.stderr[-400:]
