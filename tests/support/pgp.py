"""Run a real `gpg` in a private home and generate test keys with it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SUBKEY = "Subkey-Type: ecdh\nSubkey-Curve: cv25519\nSubkey-Usage: encrypt\n"


def gpg(home: Path, *args: str, data: bytes | None = None, check: bool = True) -> bytes:
    """Run gpg in `home` (batch, C locale); return its standard output, failing on an error."""
    proc = subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--no-tty", *args],
        input=data,
        capture_output=True,
        timeout=60,
        env={**os.environ, "LC_ALL": "C"},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"gpg {args} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout


def gen_key(
    home: Path, email_addr: str, *, encrypt: bool = True, expire: str = "0", at: str = ""
) -> str:
    """An unprotected ed25519 key for `email_addr` (with an encryption subkey); its fingerprint."""
    params = (
        "%no-protection\nKey-Type: eddsa\nKey-Curve: ed25519\nKey-Usage: sign\n"
        + (SUBKEY if encrypt else "")
        + f"Name-Real: Test\nName-Email: {email_addr}\nExpire-Date: {expire}\n%commit\n"
    )
    faked = ["--faked-system-time", at] if at else []
    out = gpg(home, *faked, "--status-fd", "1", "--gen-key", data=params.encode())
    line = next(ln for ln in out.decode().splitlines() if "KEY_CREATED" in ln)
    return line.split()[-1]
