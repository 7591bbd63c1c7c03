"""Operator commands for the gateway's OpenPGP keyring, as plain functions the CLI wires up."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from gateway.crypto.pgp import PgpKeyImportError, PgpKeyring, normalize_fingerprint

_SPAN = re.compile(r"^\s*(\d+)\s*([dhw])\s*$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


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
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PgpKeyImportError(f"cannot read key file {str(path)!r}: {exc.strerror}") from exc
    with PgpKeyring(home) as ring:
        imported = ring.import_keys(data)
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


def trust_pgp(home: Path, fingerprint: str, address: str) -> str:
    """Bind an address to a key and report the lookup result the gateway will now get."""
    fpr = normalize_fingerprint(fingerprint)
    with PgpKeyring(home) as ring:
        ring.trust(fpr, address)
        result = ring.lookup(address)
    if result.ok:
        return f"{address} now encrypts to {result.fingerprint}"
    return f"trusted {fpr} for {address}, but lookup reports {result.problem}: {result.detail}"


def untrust_pgp(home: Path, fingerprint: str, address: str | None = None) -> str:
    """Remove a key's trust binding(s)."""
    with PgpKeyring(home) as ring:
        removed = ring.untrust(fingerprint, address)
    return f"removed {removed} trust binding(s) for {normalize_fingerprint(fingerprint)}"
