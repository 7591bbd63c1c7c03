"""`phigate keys trust` and `untrust` answer a wrong fingerprint or address with one line, exit 1.

The commands run as an operator runs them (`python -m gateway.cli.main`) on a real GnuPG keyring
holding one key for gus@other-clinic.example; a refused binding is never written.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.crypto.pgp import TRUST_DB_NAME, PgpKeyring
from tests.support.pgp import gen_key, gpg

REPO = Path(__file__).resolve().parents[3]
ADDRESS = "gus@other-clinic.example"
UNKNOWN_FPR = "0123456789ABCDEF0123456789ABCDEF01234567"


@dataclass
class Ring:
    """The gateway keyring directory and the fingerprint of the one key it holds."""

    home: Path
    fpr: str


@pytest.fixture(scope="module")
def ring() -> Iterator[Ring]:
    """A gateway keyring with Gus's public key imported and no trust bindings."""
    source = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    home = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    try:
        fpr = gen_key(source, ADDRESS)
        with PgpKeyring(home) as keyring:
            keyring.import_keys(gpg(source, "--export", fpr))
        yield Ring(home, fpr)
    finally:
        for h in (source, home):
            subprocess.run(["gpgconf", "--homedir", str(h), "--kill", "all"], check=False)
            shutil.rmtree(h, ignore_errors=True)


def _phigate(ring: Ring, *args: str) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "keys", args[0], "--pgp-home", str(ring.home)]
        + list(args[1:]),
        capture_output=True,
        timeout=120,
        cwd=REPO,
    )
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode(errors="replace")


def _bindings(ring: Ring) -> list[dict[str, str]]:
    path = ring.home / TRUST_DB_NAME
    if not path.exists():
        return []
    bindings: list[dict[str, str]] = json.loads(path.read_text())["bindings"]
    return bindings


@pytest.mark.parametrize(
    ("fingerprint", "address", "expected"),
    [
        pytest.param(
            "{fpr}",
            "mallory@other-clinic.example",
            "phigate keys trust: key {fpr} has no user ID for mallory@other-clinic.example "
            f"(its addresses: {ADDRESS}); nothing was trusted",
            id="address-not-a-user-id",
        ),
        pytest.param(
            UNKNOWN_FPR,
            ADDRESS,
            f"phigate keys trust: no key {UNKNOWN_FPR} in the gateway keyring (import it first "
            "with phigate keys import-pgp); nothing was trusted",
            id="unknown-fingerprint",
        ),
        pytest.param(
            "DEADBEEF",
            ADDRESS,
            "phigate keys trust: 'DEADBEEF' is not a key fingerprint: give the full 40 hex "
            "digits (phigate keys list shows them)",
            id="short-fingerprint",
        ),
        pytest.param(
            "{fpr}",
            "gus",
            "phigate keys trust: 'gus' is not an email address; nothing was trusted",
            id="not-an-address",
        ),
    ],
)
def test_trust_refusal_is_one_line(
    ring: Ring, fingerprint: str, address: str, expected: str
) -> None:
    """A binding the keyring cannot honour is refused in one line naming the key and address."""
    code, out, err = _phigate(ring, "trust", fingerprint.format(fpr=ring.fpr), address)
    assert code == 1
    assert "Traceback" not in err, err
    assert err.splitlines() == [expected.format(fpr=ring.fpr)]
    assert out == ""
    assert _bindings(ring) == []


def test_untrust_with_a_malformed_fingerprint_is_one_line(ring: Ring) -> None:
    """untrust with something that is no fingerprint says so in one line and exits 1."""
    code, _, err = _phigate(ring, "untrust", "not-hex", ADDRESS)
    assert code == 1
    assert err.splitlines() == [
        "phigate keys untrust: 'not-hex' is not a key fingerprint: give the full 40 hex digits "
        "(phigate keys list shows them)"
    ]


def test_trust_with_a_user_id_address_binds_it(ring: Ring) -> None:
    """The right address (any case, with a display name) is bound and the command exits 0."""
    try:
        code, out, err = _phigate(ring, "trust", ring.fpr.lower(), f"Gus <{ADDRESS.upper()}>")
        assert (code, err) == (0, "")
        assert out.strip() == f"{ADDRESS} now encrypts to {ring.fpr}"
        assert [(b["fingerprint"], b["address"]) for b in _bindings(ring)] == [(ring.fpr, ADDRESS)]
    finally:
        (ring.home / TRUST_DB_NAME).unlink(missing_ok=True)
