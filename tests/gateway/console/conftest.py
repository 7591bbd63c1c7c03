"""Fixtures for the console tests: a console store on each backend, three users, and the app
served by a real uvicorn over TLS (trustme certificate) on loopback."""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import trustme
from argon2 import PasswordHasher, profiles

from gateway.audit import AuditLog
from gateway.components import default_registry
from gateway.config import (
    DetectionSettings,
    PatientSettings,
    PgpSettings,
    Settings,
    SmimeSettings,
)
from gateway.console import auth
from gateway.console.app import ConsoleServices, create_app
from gateway.console.auth import totp
from gateway.console.store import ConsoleStore
from gateway.patients.consent import ConsentRegistry
from gateway.policy.shipped import shipped_root
from gateway.quarantine import QuarantineStore
from tests.support.db import BACKENDS, database_url
from tests.support.portal import Clock, serving
from tests.support.reports import NOW

PASSWORD = "correct horse battery staple"
ROLES = {"ann": "admin", "olga": "officer", "aud": "auditor"}
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """One backend for all of a test's stores (not every mix of them)."""
    return str(request.param)


@pytest.fixture
def console_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty console database."""
    with database_url(backend, tmp_path, "console") as url:
        yield url


@pytest.fixture
def audit_db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty audit database on the test's backend."""
    with database_url(backend, tmp_path, "audit") as url:
        yield url


@pytest.fixture
def quarantine_db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty quarantine database on the test's backend."""
    with database_url(backend, tmp_path, "quarantine") as url:
        yield url


@pytest.fixture
def patients_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty patients database on the test's backend."""
    with database_url(backend, tmp_path, "patients") as url:
        yield url


@pytest.fixture
def clock() -> Clock:
    """The console's clock, the reports' 'now' (a login moves it on 30 s so codes stay fresh)."""
    return Clock(NOW)


@dataclass
class Console:
    """A served console: its URL, store, users' TOTP secrets and what releases sent."""

    url: str
    store: ConsoleStore
    secrets: dict[str, str]
    clock: Clock
    tls: ssl.SSLContext
    released: list[tuple[bytes, str, tuple[str, ...]]] = field(default_factory=list)
    deliver_ok: bool = True
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self) -> httpx.Client:
        """A fresh browser-like client (its own cookie jar) that trusts the test CA."""
        client = httpx.Client(base_url=self.url, verify=self.tls, follow_redirects=False)
        self.clients.append(client)
        return client

    def code(self, user: str) -> str:
        """The user's current TOTP code, after moving the clock to a new 30 s step."""
        self.clock.advance(timedelta(seconds=30))
        return totp(self.secrets[user], self.clock())

    def login(
        self, client: httpx.Client, user: str, *, password: str = PASSWORD, code: str | None = None
    ) -> httpx.Response:
        """Sign in through the form, as a browser does."""
        page = client.get("/login")
        csrf = csrf_of(page.text)
        return client.post(
            "/login",
            data={
                "csrf": csrf,
                "user": user,
                "password": password,
                "code": self.code(user) if code is None else code,
            },
        )

    def signed_in(self, user: str) -> httpx.Client:
        """A client signed in as `user`."""
        client = self.client()
        resp = self.login(client, user)
        assert resp.status_code == 303 and resp.headers["location"] == "/", resp.text
        return client


def csrf_of(html: str) -> str:
    """The CSRF token a page's form carries."""
    found = CSRF_FIELD.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[ssl.SSLContext, Path, Path]:
    """A client context trusting a fresh CA, and a server certificate and key for 127.0.0.1."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context, cert_file, key_file


ConsoleFactory = Callable[..., Console]


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    """A site policy file: a copy of the shipped default, which the console may replace."""
    site = tmp_path / "site"
    site.mkdir()
    path = site / "local.yaml"
    path.write_text((shipped_root() / "default.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.fixture
def console(
    policy_file: Path,
    console_url: str,
    audit_log: AuditLog,
    store: QuarantineStore,
    registry: ConsentRegistry,
    clock: Clock,
    tls_files: tuple[ssl.SSLContext, Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Console]:
    """The console over TLS with an admin, an officer and an auditor; lock-out after 3."""
    context, cert_file, key_file = tls_files
    # argon2's cheapest cost: these tests sign in and out some fifty times, and the production
    # cost (64 MiB, about 0.1 s of CPU a hash) would be a fifth of their time. The production
    # hasher's cost is checked on its own in test_console_auth.
    monkeypatch.setattr(auth, "_HASHER", PasswordHasher.from_parameters(profiles.CHEAPEST))
    with closing(
        ConsoleStore(console_url, max_failures=3, lockout=timedelta(minutes=15))
    ) as cstore:
        secrets = {
            name: cstore.add_user(name, PASSWORD, role, clock()) for name, role in ROLES.items()
        }
        holder: list[Console] = []

        async def deliver(raw: bytes, mail_from: str, rcpts: object) -> tuple[bool, str]:
            c = holder[0]
            if not c.deliver_ok:
                return False, "451 4.3.0 next hop busy"
            c.released.append((raw, mail_from, tuple(rcpts)))  # type: ignore[arg-type]
            return True, "250 2.0.0 queued"

        # The null detector: these tests are about the console, not about finding PHI.
        # Key stores in the test's folder, never the working directory's var/.
        settings = Settings(
            policy_file=policy_file,
            detection=DetectionSettings(detector="null"),
            smime=SmimeSettings(store_dir=policy_file.parent / "certs"),
            pgp=PgpSettings(home=policy_file.parent / "gnupg"),
            # No roster key: a trial decides without a roster (and opens none).
            patients=PatientSettings(
                url=f"sqlite:///{policy_file.parent}/trial-patients.db",
                key_file=policy_file.parent / "no-roster.key",
            ),
        )
        services = ConsoleServices(
            store=cstore,
            audit=audit_log,
            quarantine=store,
            deliver=deliver,
            clock=clock,
            settings=settings,
            registry=default_registry(),
            suite_dir=shipped_root() / "examples",
            roster=registry.roster,
            consents=registry,
        )
        with serving(create_app(services), certfile=cert_file, keyfile=key_file) as url:
            c = Console(url, cstore, secrets, clock, context)
            holder.append(c)
            try:
                yield c
            finally:
                # Open keep-alive connections would hold up the server's shutdown.
                for client in c.clients:
                    client.close()
