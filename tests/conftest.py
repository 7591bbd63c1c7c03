"""Shared fixtures: loopback servers (a capturing next hop, a real gateway, raw SMTP clients),
the four stores on both database backends, and a throw-away S/MIME PKI.

A store fixture takes `params=BACKENDS`, so each test that uses it runs twice: on SQLite in a
temp dir, and on the PostgreSQL server at 127.0.0.1:5432 in a fresh schema (selected via
`search_path`) that is dropped afterwards. Plain helpers live in tests/support.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from detectors.engine import PhiEngine
from gateway.audit import AuditLog
from gateway.patients import ConsentRegistry, PatientRoster
from gateway.portal import PortalStore
from gateway.quarantine import QuarantineStore
from tests.support.db import BACKENDS, database_url
from tests.support.gateway import (
    Client,
    GatewayThread,
    SinkHandler,
    make_settings,
    running_gateway,
    running_sink,
)
from tests.support.patients import ROSTER_CSV, write_csv
from tests.support.pki import Pki
from tests.support.portal import Clock, FakePractice

# ------------------------------------------------------------------------ loopback servers


@pytest.fixture
def sink() -> Iterator[tuple[SinkHandler, int]]:
    """A capturing next hop on a free loopback port."""
    with running_sink() as (handler, port, _ctl):
        yield handler, port


@pytest.fixture
def gateway(tmp_path: Path, sink: tuple[SinkHandler, int]) -> Iterator[GatewayThread]:
    """A gateway relaying to the sink, with default settings."""
    settings = make_settings(tmp_path, sink[1])
    with running_gateway(settings) as gw:
        yield gw


@pytest.fixture
def client_for() -> Iterator[Callable[[int], Client]]:
    """Open raw SMTP clients to a port; all are closed at the end."""
    opened: list[Client] = []

    def open_client(port: int) -> Client:
        c = Client(port)
        opened.append(c)
        return c

    yield open_client
    for c in opened:
        c.close()


# ------------------------------------------------------------------------ stores, on both backends


def _database_url(fixture: str, database: str) -> Any:
    """A fixture called `fixture`: the URL of an empty `database` database, on each backend."""

    @pytest.fixture(name=fixture, params=BACKENDS)
    def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
        with database_url(request.param, tmp_path, database) as u:
            yield u

    return url


def _key_file(fixture: str, file_name: str) -> Any:
    """A fixture called `fixture`: where the test's key lives (the store creates it)."""

    @pytest.fixture(name=fixture)
    def key_file(tmp_path: Path) -> Path:
        return tmp_path / "keys" / file_name

    return key_file


audit_db_url = _database_url("audit_db_url", "audit")
audit_key_file = _key_file("audit_key_file", "audit.key")
patients_url = _database_url("patients_url", "patients")
roster_key = _key_file("roster_key", "roster.key")
quarantine_db_url = _database_url("quarantine_db_url", "quarantine")
master_key_file = _key_file("master_key_file", "quarantine.key")
portal_db_url = _database_url("portal_db_url", "portal")


@pytest.fixture
def audit_log(audit_db_url: str, audit_key_file: Path) -> Iterator[AuditLog]:
    """An open AuditLog on each backend."""
    with closing(AuditLog(audit_db_url, audit_key_file)) as log:
        yield log


@pytest.fixture
def roster(patients_url: str, roster_key: Path) -> Iterator[PatientRoster]:
    """An empty roster on each backend."""
    with closing(PatientRoster(patients_url, roster_key)) as r:
        yield r


@pytest.fixture
def registry(patients_url: str, roster: PatientRoster, tmp_path: Path) -> Iterator[ConsentRegistry]:
    """A consent registry over a roster holding ROSTER_CSV."""
    report = roster.import_csv(write_csv(tmp_path, ROSTER_CSV, "roster.csv"))
    assert report.ok and report.applied
    with closing(ConsentRegistry(patients_url, roster)) as reg:
        yield reg


@pytest.fixture
def store(quarantine_db_url: str, master_key_file: Path) -> Iterator[QuarantineStore]:
    """An open QuarantineStore on each backend, 30 days retention (the portal app tests
    define their own `store`)."""
    with closing(QuarantineStore(quarantine_db_url, master_key_file, retention_days=30)) as s:
        yield s


@pytest.fixture
def app_store(tmp_path: Path) -> Iterator[PortalStore]:
    """A SQLite portal store for the portal app tests (portal_store covers both backends)."""
    with closing(
        PortalStore(f"sqlite:///{tmp_path}/portal.db", tmp_path / "keys" / "portal.key")
    ) as s:
        yield s


@pytest.fixture
def practice() -> FakePractice:
    """What the portal hands to the rest of phigate, captured: outbox, audit events, consents."""
    return FakePractice()


@pytest.fixture
def clock() -> Clock:
    """The portal app's clock, settable by tests."""
    return Clock()


@pytest.fixture
def portal_store(portal_db_url: str, tmp_path: Path) -> Iterator[PortalStore]:
    """An open PortalStore on each backend, with its keys under tmp_path/keys."""
    with closing(PortalStore(portal_db_url, tmp_path / "keys" / "portal.key")) as s:
        yield s


# ------------------------------------------------------------------------ S/MIME


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """One PKI per test module (RSA key generation is the slow part)."""
    return Pki(tmp_path_factory.mktemp("pki"))


# ------------------------------------------------------------------------ detectors


@pytest.fixture(scope="session")
def engine() -> PhiEngine:
    """One engine (and one spaCy load) for the whole session."""
    return PhiEngine()


# DKIM signing keys (tests/gateway/delivery/test_dkim.py, tests/gateway/actions/test_actions.py)
@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    """One 2048-bit RSA key for the module."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def key_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Path:
    """The key as an unencrypted PKCS#8 PEM file."""
    path = tmp_path / "dkim.pem"
    path.write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path
