"""Operator commands for the gateway's OpenPGP keyring, as plain functions the CLI wires up.

`import_pgp`, `trust_pgp` and `untrust_pgp` are what `phigate keys import-pgp|trust|untrust` run.
An expected failure (a secret key offered as a recipient key, a key that does not carry the
address, an unknown or malformed fingerprint) ends the command with `PgpCommandFailed`: one line
on stderr naming the file, fingerprint or address, and exit status 1, never a traceback.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from gateway.crypto.pgp import (
    PgpError,
    PgpKeyring,
    PgpSecretKeyOffered,
    normalize_address,
    normalize_fingerprint,
)

_SPAN = re.compile(r"^\s*(\d+)\s*([dhw])\s*$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class PgpCommandFailed(SystemExit):
    """A key command refused its input; `str()` is the one line the operator sees (exit status 1).

    A SystemExit so that the command line prints the line and exits non-zero without a
    traceback, whatever wraps the command.
    """

    def __init__(self, command: str, message: str, code: str) -> None:
        self.line = f"phigate keys {command}: {_CONTROL.sub(' ', message)}"
        self.error_code = code
        super().__init__(self.line)

    def __str__(self) -> str:
        return self.line


def parse_span(text: str) -> timedelta:
    """`30d`, `12h` or `2w` as a timedelta (for `keys list --expiring 30d`)."""
    m = _SPAN.match(text)
    if not m:
        raise ValueError(f"expected a span like 30d, 12h or 2w, got {text!r}")
    return int(m.group(1)) * _UNITS[m.group(2)]


def pgp_rows(home: Path, expiring: timedelta | None = None) -> list[dict[str, Any]]:
    """Rows (address, kind, fingerprint, expires, status) for `keys list [--expiring SPAN]`."""
    with PgpKeyring(home) as ring:
        return ring.expiring(expiring) if expiring is not None else ring.list_keys()


def import_pgp(home: Path, path: Path) -> str:
    """Import public keys from a file; the summary says which keys still need `trust`."""
    where = repr(str(path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PgpCommandFailed(
            "import-pgp", f"cannot read key file {where}: {exc.strerror}", "pgp-key-unreadable"
        ) from exc
    with PgpKeyring(home) as ring:
        try:
            imported = ring.import_keys(data)
        except PgpSecretKeyOffered as exc:
            raise PgpCommandFailed(
                "import-pgp",
                f"{where} contains a secret key; import only public keys "
                "(gpg --export or sq key extract-cert); nothing was imported",
                exc.code,
            ) from exc
        except PgpError as exc:
            raise PgpCommandFailed("import-pgp", f"{where}: {exc}", exc.code) from exc
        rows = ring.list_keys()
    if not imported:
        return "no keys changed (revocations, if any, were applied)"
    lines = [f"imported {len(imported)} OpenPGP key(s):"]
    for key in imported:
        statuses = {r["address"]: r["status"] for r in rows if r["fingerprint"] == key.fingerprint}
        addrs = ", ".join(f"{a} [{statuses.get(a, '?')}]" for a in key.addresses) or "no address"
        lines.append(f"  {key.fingerprint} ({key.status}): {addrs}")
    fresh = {k.fingerprint for k in imported}
    if any(r["status"] == "untrusted" for r in rows if r["fingerprint"] in fresh):
        lines.append("untrusted keys are not used until: phigate keys trust FINGERPRINT ADDRESS")
    return "\n".join(lines)


def _fingerprint(command: str, fingerprint: str) -> str:
    try:
        return normalize_fingerprint(fingerprint)
    except PgpError as exc:
        raise PgpCommandFailed(
            command,
            f"{fingerprint!r} is not a key fingerprint: give the full 40 hex digits "
            "(phigate keys list shows them)",
            exc.code,
        ) from exc


def trust_pgp(home: Path, fingerprint: str, address: str) -> str:
    """Bind an address to a key and report the lookup result the gateway will now get."""
    fpr = _fingerprint("trust", fingerprint)
    addr = normalize_address(address)
    if "@" not in addr:
        raise PgpCommandFailed(
            "trust", f"{address!r} is not an email address; nothing was trusted", "pgp-bad-address"
        )
    with PgpKeyring(home) as ring:
        known = ring.addresses_of(fpr)
        if known is None:
            raise PgpCommandFailed(
                "trust",
                f"no key {fpr} in the gateway keyring (import it first with "
                "phigate keys import-pgp); nothing was trusted",
                "not-found",
            )
        if addr not in known:
            uids = ", ".join(known) or "none with an email address"
            raise PgpCommandFailed(
                "trust",
                f"key {fpr} has no user ID for {addr} (its addresses: {uids}); nothing was trusted",
                "not-found",
            )
        try:
            ring.trust(fpr, addr, officer=True)
            result = ring.lookup(addr)
        except PgpError as exc:
            raise PgpCommandFailed("trust", f"{fpr} for {addr}: {exc}", exc.code) from exc
    if result.ok:
        return f"{addr} now encrypts to {result.fingerprint}"
    return f"trusted {fpr} for {addr}, but lookup reports {result.problem}: {result.detail}"


def untrust_pgp(home: Path, fingerprint: str, address: str | None = None) -> str:
    """Remove a key's trust binding(s)."""
    fpr = _fingerprint("untrust", fingerprint)
    with PgpKeyring(home) as ring:
        try:
            removed = ring.untrust(fpr, address)
        except PgpError as exc:
            raise PgpCommandFailed("untrust", f"{fpr}: {exc}", exc.code) from exc
    return f"removed {removed} trust binding(s) for {fpr}"
