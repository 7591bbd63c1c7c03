"""The report's key section fed by the real S/MIME store and OpenPGP keyring row functions."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.audit import AuditLog
from gateway.cli.context import Hooks
from gateway.cli.keys import smime_rows
from gateway.cli.pgp import import_pgp, pgp_rows
from gateway.keys import CertStore
from tests.support.cli import phigate
from tests.support.pki import DAY, NOW, Pki
from tests.support.reports import MESSAGES, FixedKeyHasher, message_entry


def _gpg(home: Path, *args: str) -> bytes:
    proc = subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--no-tty", *args],
        capture_output=True,
        timeout=60,
        env={**os.environ, "LC_ALL": "C"},
        check=True,
    )
    return proc.stdout


@pytest.fixture
def pgp_home() -> Iterator[Path]:
    """The gateway's keyring holding one public key that expires in 10 days."""
    sender = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    home = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    try:
        sender.chmod(0o700)
        _gpg(
            sender, "--passphrase", "", "--quick-gen-key", "rad@lab.example", "ed25519", "sign", "0"
        )
        fpr = _gpg(sender, "--list-keys", "--with-colons").decode().split("fpr:::::::::")[1][:40]
        _gpg(sender, "--passphrase", "", "--quick-add-key", fpr, "cv25519", "encr", "10d")
        exported = sender / "rad.asc"
        exported.write_bytes(_gpg(sender, "--armor", "--export", fpr))
        import_pgp(home, exported)
        yield home
    finally:
        shutil.rmtree(sender, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


def test_report_lists_real_expiring_certificates_and_keys(
    tmp_path: Path, pgp_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A certificate ending in 5 days and a PGP subkey ending in 10 are listed; one ending in 100 days is not."""
    pki = Pki(tmp_path / "pki")
    soon = pki.issue("soon@lab.example", stem="soon", not_after=NOW + 5 * DAY)
    later = pki.issue("later@lab.example", stem="later", not_after=NOW + 100 * DAY)
    store = CertStore(tmp_path / "store", [pki.root.cert_path], [])
    for path in (pki.intermediate.cert_path, soon.cert_path, later.cert_path):
        store.import_file(path)

    url, key = f"sqlite:///{tmp_path}/audit.db", tmp_path / "keys" / "audit.key"
    with AuditLog(url, key) as log:
        log.append(message_entry(FixedKeyHasher(), MESSAGES[2]))

    def smime() -> list[dict[str, Any]]:
        return smime_rows(CertStore(tmp_path / "store", [pki.root.cert_path], []))

    def pgp() -> list[dict[str, Any]]:
        return pgp_rows(pgp_home)

    hooks = Hooks(key_sources=(("S/MIME", smime), ("OpenPGP", pgp)))
    code = phigate(
        ["report", "--since", "2026-11-01", "--until", "2026-11-30", "--format", "csv"]
        + ["--url", url, "--key-file", str(key)],
        hooks,
    )
    out = capsys.readouterr().out
    assert code == 0
    key_lines = [line for line in out.splitlines() if line.startswith("key,")]
    assert len(key_lines) == 2  # soonest first
    assert key_lines[0].startswith(f"key,{soon.fingerprint[:16]},")
    assert ",smime s***@lab.example " in key_lines[0]
    assert ",pgp r***@lab.example " in key_lines[1]
    assert "later" not in out
