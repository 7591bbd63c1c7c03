"""Password guessing over SMTP AUTH: capped per session and per address, checked off the event
loop, and logged so fail2ban can ban the address."""

from __future__ import annotations

import base64
import shutil
import smtplib
import ssl
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import trustme

from gateway.smtp.auth import hash_password
from tests.support.gateway import (
    Client,
    GatewayThread,
    free_port,
    make_settings,
    port_of,
    running_gateway,
)
from tests.support.process import PhigateProcess, serve_args

REPO = Path(__file__).resolve().parents[2]
FILTER = REPO / "deploy" / "fail2ban" / "filter.d" / "phigate.conf"
PASSWORD = "correct horse"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_files(tmp_path: Path, ca: trustme.CA) -> tuple[Path, Path]:
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    return cert_file, key_file


@pytest.fixture
def creds(tmp_path: Path) -> Path:
    path = tmp_path / "users"
    path.write_text(f"frontdesk:{hash_password(PASSWORD)}\n")
    return path


def _settings(tmp_path: Path, sink_port: int, tls_files, creds: Path, **limits: Any) -> Any:
    return make_settings(
        tmp_path,
        sink_port,
        access={"networks": ["10.9.0.0/16"], "credentials_file": str(creds)},
        smtp={"tls_cert_file": str(tls_files[0]), "tls_key_file": str(tls_files[1])},
        **({"limits": limits} if limits else {}),
    )


@pytest.fixture
def auth_gateway(tmp_path: Path, sink, tls_files, creds) -> Iterator[GatewayThread]:
    with running_gateway(_settings(tmp_path, sink[1], tls_files, creds)) as gw:
        yield gw


def _plain(user: str, password: str) -> str:
    return "AUTH PLAIN " + base64.b64encode(f"\0{user}\0{password}".encode()).decode()


class TlsClient(Client):
    """The raw client after STARTTLS, so AUTH is on offer."""

    def __init__(self, port: int, ca: trustme.CA) -> None:
        super().__init__(port)
        assert self.reply()[0].startswith("220")
        self.cmd("EHLO client.example")
        assert self.cmd("STARTTLS")[0].startswith("220")
        ctx = ssl.create_default_context()
        ca.configure_trust(ctx)
        self.sock = ctx.wrap_socket(self.sock, server_hostname="127.0.0.1")
        self.file = self.sock.makefile("rb")
        self.cmd("EHLO client.example")

    def close(self) -> None:
        self.file.close()
        super().close()


def test_three_failed_logins_end_the_session(auth_gateway, ca):
    """The third wrong password in one session is answered 421 and the connection closes."""
    c = TlsClient(port_of(auth_gateway), ca)
    try:
        assert c.cmd(_plain("frontdesk", "guess1"))[0].startswith("535 5.7.8")
        assert c.cmd(_plain("frontdesk", "guess2"))[0].startswith("535 5.7.8")
        assert c.cmd(_plain("frontdesk", "guess3"))[0].startswith("421 4.7.0")
        assert c.file.readline() == b"", "the gateway hung up"
    finally:
        c.close()


def test_an_address_that_keeps_guessing_is_locked_out(tmp_path: Path, sink, tls_files, creds, ca):
    """Past the per-address limit even the right password is refused with 454 for a while."""
    settings = _settings(
        tmp_path,
        sink[1],
        tls_files,
        creds,
        auth_failures_before_lockout=4,
        auth_base_delay=0.01,
        auth_lockout=600,
    )
    with running_gateway(settings) as gw:
        for attempt in range(2):
            c = TlsClient(port_of(gw), ca)
            replies: list[str] = []
            try:
                while not replies or not replies[-1].startswith("421"):
                    assert len(replies) < 3, replies
                    replies.append(c.cmd(_plain("frontdesk", f"guess{attempt}{len(replies)}"))[0])
            finally:
                c.close()
            assert replies[-1].startswith("421 4.7.0")
        c = TlsClient(port_of(gw), ca)
        try:
            assert c.cmd(_plain("frontdesk", PASSWORD))[0].startswith("454 4.7.0")
        finally:
            c.close()


def test_a_password_check_does_not_stall_other_sessions(auth_gateway, ca, client_for):
    """While one slow password check runs, another session's NOOP is answered."""
    store = auth_gateway.gateway.authenticator
    entered, release = threading.Event(), threading.Event()
    real_check = store.check

    def slow_check(user: str, password: str) -> bool:
        entered.set()
        release.wait(30)
        return real_check(user, password)

    store.check = slow_check
    c = TlsClient(port_of(auth_gateway), ca)
    try:
        with ThreadPoolExecutor(1) as pool:
            login = pool.submit(c.cmd, _plain("frontdesk", PASSWORD))
            assert entered.wait(20)
            other = client_for(port_of(auth_gateway))
            other.sock.settimeout(10)
            assert other.reply()[0].startswith("220")
            assert other.cmd("NOOP")[0].startswith("250"), "the event loop is free"
            release.set()
            assert login.result(30)[0].startswith("235 2.7.0")
    finally:
        release.set()
        c.close()


def test_fail2ban_bans_the_address_from_a_real_failed_login_line(
    tmp_path: Path, sink, ca, tls_files: tuple[Path, Path], creds: Path
):
    """The shipped fail2ban filter finds the client's address in the line `phigate serve` wrote,
    and a user name made to look like another address does not move the ban."""
    if shutil.which("fail2ban-regex") is None:
        pytest.fail("fail2ban-regex is missing: apt-get install fail2ban (scripts/system-deps.sh)")
    cert_file, key_file = tls_files
    cfg = tmp_path / "phigate.yaml"
    cfg.write_text(
        f'audit: {{url: "sqlite:///{tmp_path}/audit.db", key_file: "{tmp_path}/audit.key"}}\n'
        "metrics: {listen: null}\n"
        f"access: {{networks: [10.9.0.0/16], credentials_file: {creds}}}\n"
        f"smtp: {{tls_cert_file: {cert_file}, tls_key_file: {key_file}}}\n"
    )
    port = free_port()
    p = PhigateProcess(serve_args(port, sink[1], cfg), cwd=tmp_path)
    try:
        p.wait_port(port)
        ctx = ssl.create_default_context()
        ca.configure_trust(ctx)
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
            s.starttls(context=ctx)
            s.ehlo()
            for user in ("frontdesk", 'x", "peer": "10.1.1.1'):
                with pytest.raises(smtplib.SMTPAuthenticationError):
                    s.auth("PLAIN", lambda u=user: f"\0{u}\0wrong")  # type: ignore[misc]
        p.wait_event("auth.failed", count=2)
    finally:
        p.stop()
    log = tmp_path / "phigate.log"
    log.write_text("\n".join(p.lines) + "\n")
    out = subprocess.run(
        ["fail2ban-regex", "-r", "-o", "ip", str(log), str(FILTER)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.split() == ["127.0.0.1", "127.0.0.1"], out.stdout + out.stderr
