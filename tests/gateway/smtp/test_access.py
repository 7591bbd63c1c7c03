"""Access control: never an open relay; AUTH only over TLS; strong TLS only."""

from __future__ import annotations

import smtplib
import ssl
from pathlib import Path

import bcrypt
import pytest
import trustme

from gateway.model import ConfigError
from gateway.smtp.auth import CredentialStore, hash_password
from tests.support.gateway import make_settings, port_of, running_gateway

OK = 250


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_files(tmp_path: Path, ca: trustme.CA) -> tuple[Path, Path]:
    cert = ca.issue_cert("127.0.0.1", "phigate.test")
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    return cert_file, key_file


@pytest.fixture
def client_ctx(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


def test_a_stranger_may_not_relay(tmp_path: Path, sink, client_for):
    """A client outside the allowed networks gets 554 5.7.1 and nothing is relayed."""
    settings = make_settings(tmp_path, sink[1], access={"networks": ["10.9.0.0/16"]})
    with running_gateway(settings) as gw:
        c = client_for(port_of(gw))
        c.greet("stranger.example")
        assert c.cmd("MAIL FROM:<spam@stranger.example>")[0].startswith("554 5.7.1")
        assert c.cmd("RCPT TO:<victim@partner.example>")[0].startswith("503")
    assert sink[0].messages == []


@pytest.fixture
def auth_gateway(tmp_path: Path, sink, tls_files):
    creds = tmp_path / "users"
    creds.write_text(
        f"frontdesk:{hash_password('correct horse')}\n"
        f"legacy:{bcrypt.hashpw(b'battery staple', bcrypt.gensalt(rounds=4)).decode()}\n"
    )
    settings = make_settings(
        tmp_path,
        sink[1],
        access={"networks": ["10.9.0.0/16"], "credentials_file": str(creds)},
        smtp={"tls_cert_file": str(tls_files[0]), "tls_key_file": str(tls_files[1])},
    )
    with running_gateway(settings) as gw:
        yield gw


def test_without_auth_a_stranger_is_told_to_authenticate(auth_gateway, client_for):
    """With AUTH configured, an unauthenticated stranger gets 530 5.7.0."""
    c = client_for(port_of(auth_gateway))
    lines = c.greet("stranger.example")
    assert not any(line[4:].startswith("AUTH") for line in lines), "no AUTH before TLS"
    assert any(line[4:].startswith("STARTTLS") for line in lines)
    assert c.cmd("AUTH PLAIN AGZyb250ZGVzawBjb3JyZWN0IGhvcnNl")[0].startswith("538 5.7.11")
    assert c.cmd("MAIL FROM:<a@practice.example>")[0].startswith("530 5.7.0")


@pytest.mark.parametrize(
    ("user", "password"), [("frontdesk", "correct horse"), ("legacy", "battery staple")]
)
def test_authenticated_clients_over_tls_may_relay(auth_gateway, sink, client_ctx, user, password):
    """AUTH PLAIN/LOGIN over STARTTLS with an argon2 or bcrypt password lets a client relay."""
    with smtplib.SMTP("127.0.0.1", port_of(auth_gateway), timeout=20) as s:
        s.starttls(context=client_ctx)
        s.ehlo()
        assert "PLAIN" in s.esmtp_features["auth"] and "LOGIN" in s.esmtp_features["auth"]
        s.login(user, password)
        s.sendmail("a@practice.example", ["b@partner.example"], b"Subject: hi\r\n\r\nhello\r\n")
    assert len(sink[0].messages) == 1


def test_a_wrong_password_is_refused(auth_gateway, sink, client_ctx):
    """A bad password gets 535 5.7.8 and the client still may not relay."""
    with smtplib.SMTP("127.0.0.1", port_of(auth_gateway), timeout=20) as s:
        s.starttls(context=client_ctx)
        s.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError) as err:
            s.login("frontdesk", "wrong")
        assert err.value.smtp_code == 535
        code, _ = s.mail("a@practice.example")
        assert code == 530
    assert sink[0].messages == []


def test_starttls_can_be_required(tmp_path: Path, sink, tls_files, client_for, client_ctx):
    """With require_starttls, MAIL before STARTTLS gets 530 5.7.0; after it, mail flows."""
    settings = make_settings(
        tmp_path,
        sink[1],
        smtp={
            "tls_cert_file": str(tls_files[0]),
            "tls_key_file": str(tls_files[1]),
            "require_starttls": True,
        },
    )
    with running_gateway(settings) as gw:
        c = client_for(port_of(gw))
        c.greet()
        assert c.cmd("MAIL FROM:<a@practice.example>")[0].startswith("530 5.7.0")
        with smtplib.SMTP("127.0.0.1", port_of(gw), timeout=20) as s:
            s.starttls(context=client_ctx)
            s.sendmail("a@practice.example", ["b@partner.example"], b"Subject: t\r\n\r\nx\r\n")
    assert len(sink[0].messages) == 1


def _tls_client(
    ca: trustme.CA, *, version: ssl.TLSVersion, ciphers: str | None = None
) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ca.configure_trust(ctx)
    ctx.check_hostname = False
    ctx.minimum_version = version
    ctx.maximum_version = version
    if ciphers:
        ctx.set_ciphers(ciphers + ":@SECLEVEL=0")
    return ctx


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    ("version", "ciphers"),
    [
        (ssl.TLSVersion.TLSv1_1, "ALL"),
        (ssl.TLSVersion.TLSv1, "ALL"),
        (ssl.TLSVersion.TLSv1_2, "AES128-SHA:AES256-SHA:ECDHE-RSA-AES128-SHA"),
        (ssl.TLSVersion.TLSv1_2, "AES128-GCM-SHA256"),
    ],
    # (3DES and RC4 are not even compiled into OpenSSL 3, so no client here can offer them.)
    ids=["tls1.1", "tls1.0", "cbc-sha1", "rsa-kx-no-pfs"],
)
def test_weak_tls_is_refused(auth_gateway, ca, version, ciphers):
    """Old protocol versions and non-AEAD (or non-forward-secret) suites fail the handshake."""
    ctx = _tls_client(ca, version=version, ciphers=ciphers)
    with smtplib.SMTP("127.0.0.1", port_of(auth_gateway), timeout=20) as s:
        with pytest.raises((ssl.SSLError, smtplib.SMTPServerDisconnected, ConnectionResetError)):
            s.starttls(context=ctx)


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_strong_tls_is_accepted_with_an_aead_suite(auth_gateway, ca, version):
    """TLS 1.2 and 1.3 handshakes succeed and negotiate an AEAD cipher."""
    ctx = _tls_client(ca, version=version)
    with smtplib.SMTP("127.0.0.1", port_of(auth_gateway), timeout=20) as s:
        s.starttls(context=ctx)
        name, proto, _bits = s.sock.cipher()
        assert proto in ("TLSv1.2", "TLSv1.3")
        assert "GCM" in name or "CHACHA20" in name


def test_a_bad_credentials_file_names_the_line(tmp_path: Path):
    """A malformed credentials line is an error naming file and line."""
    creds = tmp_path / "users"
    creds.write_text("# users\nfrontdesk:plaintext-password\n")
    with pytest.raises(ConfigError, match=r"users:2: "):
        CredentialStore.load(creds)
