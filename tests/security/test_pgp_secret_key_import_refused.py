"""`phigate keys import-pgp` refuses any file holding secret key material, in one line, importing nothing.

A recipient's secret key in the gateway keyring would let anyone with the gateway's files read
what it encrypted for that recipient. The command runs as an operator runs it (the `phigate`
command, as a subprocess) against a real GnuPG keyring.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.deploy import run_phigate
from tests.support.pgp import gen_key, gpg


@dataclass
class Keys:
    """A source keyring with one unprotected and one passphrase-protected key."""

    home: Path
    plain: str
    protected: str
    other: str


@pytest.fixture(scope="module")
def keys() -> Iterator[Keys]:
    """Keys generated once in a throw-away keyring."""
    home = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    try:
        plain = gen_key(home, "plain@other-clinic.example")
        other = gen_key(home, "other@other-clinic.example")
        gpg(
            home,
            *("--pinentry-mode", "loopback", "--passphrase", "s3cret"),
            *("--quick-gen-key", "Prot <prot@other-clinic.example>", "ed25519", "default", "0"),
        )
        listing = gpg(home, "--with-colons", "--list-keys", "prot@other-clinic.example")
        protected = next(
            line.split(":")[9] for line in listing.decode().splitlines() if line.startswith("fpr")
        )
        yield Keys(home, plain, protected, other)
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def gateway_home() -> Iterator[Path]:
    """An empty gateway keyring directory (short path: gpg's socket lives there)."""
    home = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    try:
        yield home
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)


def _secret(keys: Keys, fpr: str, *, armor: bool = True, subkeys_only: bool = False) -> bytes:
    what = "--export-secret-subkeys" if subkeys_only else "--export-secret-keys"
    args = ["--pinentry-mode", "loopback", "--passphrase", "s3cret", *(["--armor"] * armor)]
    data = gpg(keys.home, *args, what, fpr)
    assert data, "the secret key export is empty"
    return data


def _file(keys: Keys, kind: str) -> bytes:
    if kind == "armored":
        return _secret(keys, keys.plain)
    if kind == "binary":
        return _secret(keys, keys.plain, armor=False)
    if kind == "passphrase-protected":
        return _secret(keys, keys.protected)
    if kind == "secret-subkeys-only":
        return _secret(keys, keys.plain, subkeys_only=True)
    assert kind == "public-then-secret"
    return gpg(keys.home, "--armor", "--export", keys.other) + _secret(keys, keys.plain)


@pytest.mark.parametrize(
    "kind",
    ["armored", "binary", "passphrase-protected", "secret-subkeys-only", "public-then-secret"],
)
def test_secret_key_file_is_refused_in_one_line(keys: Keys, gateway_home: Path, kind: str) -> None:
    """Each form of secret key file ends the command with one line naming the file and exit 1."""
    keyfile = gateway_home.parent / f"{gateway_home.name}-{kind}.key"
    keyfile.write_bytes(_file(keys, kind))
    try:
        proc = run_phigate("keys", "import-pgp", "--pgp-home", str(gateway_home), str(keyfile))
    finally:
        keyfile.unlink()
    err = proc.stderr
    assert proc.returncode != 0
    assert "Traceback" not in err, err
    assert err.splitlines() == [
        f"phigate keys import-pgp: {str(keyfile)!r} contains a secret key; import only public "
        "keys (gpg --export or sq key extract-cert); nothing was imported"
    ]
    assert proc.stdout == ""
    assert gpg(gateway_home, "--with-colons", "--list-secret-keys", check=False) == b""
    assert b"fpr:" not in gpg(gateway_home, "--with-colons", "--list-keys", check=False)
