"""`phigate keys import|list` (S/MIME certificate store), `keys import-pgp|trust|untrust`, and
`keys pending|approve|reject` for key material harvested from mail.

`keys list` shows the certificates of the store and the OpenPGP keys of the gateway's keyring
(through the context's `pgp_rows` hook) in one table, with where each came from (SOURCE:
"imported" by an officer or "harvested" from mail).

`keys pending` lists harvested certificates and keys awaiting approval. A partner's address
(one in a configured group other than `patients`) is shown in full; any other address may be a
patient's and is masked as detectors.masking.mask_address does. `keys approve FINGERPRINT` puts
one in use, `keys reject FINGERPRINT` refuses it for good; both are written to the audit log.
An unknown fingerprint ends with exit status 1 and a line naming it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

from detectors.masking import mask_address
from gateway.cli import keylookup
from gateway.cli.command import Command, CommandFailed, group
from gateway.cli.context import Context
from gateway.cli.exits import EXIT_FAILED, EXIT_OK
from gateway.cli.options import config_option, given, switches
from gateway.cli.pgp import import_pgp, pgp_rows, trust_pgp, untrust_pgp
from gateway.config import Settings, SmimeSettings
from gateway.crypto.pgp import PgpError, PgpKeyring, normalize_fingerprint
from gateway.keys.errors import CertStoreError
from gateway.keys.harvest import HarvestDecisionError, decide, pending_keys
from gateway.keys.store import CertStore
from gateway.model import PhigateError

DEFAULT_STORE = SmimeSettings().store_dir

_DURATION = re.compile(r"^(\d+)([dhw]?)$")


def parse_duration(text: str) -> dt.timedelta:
    """Parse "30d", "12h", "2w" or a bare number of days."""
    match = _DURATION.match(text.strip().lower())
    if match is None:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (use e.g. 30d, 12h, 2w)")
    amount, unit = int(match.group(1)), match.group(2) or "d"
    return {
        "d": dt.timedelta(days=amount),
        "h": dt.timedelta(hours=amount),
        "w": dt.timedelta(weeks=amount),
    }[unit]


def smime_rows(store: CertStore, *, at: dt.datetime | None = None) -> list[dict[str, Any]]:
    """One row per (address, certificate): address, kind, fingerprint, not_after, status, and
    `detail`, why an unusable certificate cannot be used (expired, revoked, stale CRL, ...)."""
    rows: list[dict[str, Any]] = []
    for entry in store.entries():
        result = store.explain(entry, at=at)
        status = result.problem or "valid"
        detail = "" if result.problem is None else result.detail
        for address in entry.addresses:
            rows.append(
                {
                    "address": address,
                    "kind": "smime",
                    "fingerprint": entry.fingerprint,
                    "not_after": entry.not_after.isoformat(),
                    "status": entry.state or status,
                    "detail": detail,
                    "source": _source(entry.source, harvested=entry.harvested),
                }
            )
    rows.sort(key=lambda r: (r["address"], r["not_after"]))
    return rows


def _source(recorded: str, *, harvested: bool) -> str:
    """SOURCE column: "harvested" (from mail), "lookup:<source>" (found by a lookup), else
    "imported" (an officer's import; the file name it came from is not shown)."""
    if harvested:
        return "harvested"
    return recorded if recorded.startswith("lookup:") else "imported"


def _store_options(parser: argparse.ArgumentParser) -> None:
    config_option(parser)
    parser.add_argument(
        "--store",
        dest="keys_store",
        type=Path,
        help=f"certificate store folder (default {DEFAULT_STORE})",
    )
    parser.add_argument(
        "--trust-anchor",
        dest="keys_anchors",
        type=Path,
        action="append",
        help="trusted root certificate file or folder (repeatable; replaces the configured ones)",
    )
    parser.add_argument(
        "--crl",
        dest="keys_crls",
        action="append",
        help="CRL file or URL (repeatable; replaces the configured ones)",
    )


def _open_store(ctx: Context, args: argparse.Namespace) -> CertStore:
    """The configured store, with the folder, trust anchors and CRLs the flags name instead."""
    changes = given(
        store_dir=args.keys_store,
        trust_anchors=tuple(args.keys_anchors or ()),
        crls=tuple(args.keys_crls or ()),
    )
    smime = ctx.settings.smime
    return CertStore.from_settings(smime.clone(**changes) if changes else smime)


def _read_password(args: argparse.Namespace) -> bytes | None:
    if args.password_file is not None:
        try:
            raw = args.password_file.read_bytes()
        except OSError as exc:
            raise CertStoreError(f"{args.password_file}: cannot read password file") from exc
        return raw.rstrip(b"\r\n")
    if args.password_stdin:
        return sys.stdin.buffer.readline().rstrip(b"\r\n")
    return None


def import_certificates(ctx: Context, args: argparse.Namespace) -> int:
    """Import certificates from a PEM, DER or PKCS#12 file."""
    try:
        store = _open_store(ctx, args)
        result = store.import_file(args.file, _read_password(args))
    except CertStoreError as exc:
        raise CommandFailed(f"phigate keys import: {exc}") from exc
    for entry in result.added:
        status = store.status(entry)
        print(
            f"imported {entry.fingerprint[:16]} {','.join(entry.addresses)} "
            f"until {entry.not_after.date().isoformat()} status={status}"
        )
    for fp in result.unchanged:
        print(f"already present {fp[:16]}")
    if result.intermediates:
        print(f"stored {result.intermediates} CA certificate(s) for chain building")
    return EXIT_OK


def list_keys(ctx: Context, args: argparse.Namespace) -> int:
    """List stored certificates and OpenPGP keys with their status."""
    now = dt.datetime.now(dt.UTC)
    try:
        rows = smime_rows(_open_store(ctx, args), at=now)
    except CertStoreError as exc:
        raise CommandFailed(f"phigate keys list: {exc}") from exc
    pgp = ctx.hooks.pgp_rows
    if args.pgp_home:
        home = Path(args.pgp_home)

        def pgp(expiring: dt.timedelta | None) -> list[dict[str, Any]]:
            return pgp_rows(home, expiring)

    if pgp is not None:
        # one column name for both kinds
        rows.extend({**r, "not_after": r.get("expires") or ""} for r in pgp(args.expiring))
    if args.expiring is not None:
        limit = now + args.expiring
        rows = [r for r in rows if dt.datetime.fromisoformat(r["not_after"]) <= limit]
    if args.json:
        for row in rows:
            print(json.dumps(row, sort_keys=True))
        return EXIT_OK
    print(f"{'ADDRESS':32} {'KIND':6} {'FINGERPRINT':16} {'NOT AFTER':10} {'SOURCE':12} STATUS")
    for row in rows:
        reason = f" ({row['detail']})" if row.get("detail") else ""
        print(
            f"{row['address']:32} {row['kind']:6} {row['fingerprint'][:16]:16} "
            f"{row['not_after'][:10]:10} {row.get('source') or 'imported':12} "
            f"{row['status']}{reason}"
        )
    return EXIT_OK


def shown_address(settings: Settings, address: str) -> str:
    """A partner's address in full; anything else, which may be a patient's, masked."""
    addr = address.strip().lower()
    domain = addr.rpartition("@")[2]

    def member(name: str) -> bool:
        group = settings.groups.get(name)
        if group is None:
            return False
        in_domain = any(domain == d or domain.endswith("." + d) for d in group.domains)
        return in_domain or addr in (a.lower() for a in group.addresses)

    partner = any(member(name) for name in settings.groups if name != "patients")
    return addr if partner and not member("patients") else mask_address(addr)


def _pending_rows(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for entry in _open_store(ctx, args).pending():
        rows.extend(
            {
                "kind": "smime",
                "fingerprint": entry.fingerprint,
                "address": shown_address(ctx.settings, address),
                "harvested_at": entry.harvested_at,
                "origin": "signed mail",
                "message": entry.message[:16],
            }
            for address in entry.addresses
        )
    home = _pgp_home(ctx, args)
    if home.exists():
        with PgpKeyring(home) as ring:
            for key in pending_keys(ring):
                rows.extend(
                    {
                        "kind": "pgp",
                        "fingerprint": key.fingerprint,
                        "address": shown_address(ctx.settings, address),
                        "harvested_at": key.at,
                        "origin": key.origin,
                        "message": key.message[:16],
                    }
                    for address in key.addresses
                )
    return rows


def list_pending(ctx: Context, args: argparse.Namespace) -> int:
    """List harvested certificates and keys awaiting approval."""
    try:
        rows = _pending_rows(ctx, args)
    except (CertStoreError, PgpError) as exc:
        raise CommandFailed(f"phigate keys pending: {exc.code}: {exc}") from exc
    if args.json:
        for row in rows:
            print(json.dumps(row, sort_keys=True))
        return EXIT_OK
    if not rows:
        print("no harvested certificates or keys await approval")
        return EXIT_OK
    print(f"{'KIND':6} {'FINGERPRINT':64} {'ADDRESS':32} {'ORIGIN':12} HARVESTED")
    for row in rows:
        print(
            f"{row['kind']:6} {row['fingerprint']:64} {row['address']:32} "
            f"{row['origin']:12} {row['harvested_at']}"
        )
    return EXIT_OK


def _decide(ctx: Context, args: argparse.Namespace, *, approve: bool) -> int:
    verb = "approve" if approve else "reject"
    wanted = args.fingerprint.replace(" ", "").replace(":", "")
    try:
        pgp_fpr = normalize_fingerprint(wanted)
    except PgpError:
        pgp_fpr = None
    kind: str
    addresses: tuple[str, ...]
    try:
        home = _pgp_home(ctx, args)
        ring_entry = None
        if pgp_fpr is not None and home.exists():
            with PgpKeyring(home) as ring:
                if pgp_fpr in ring.harvested():
                    ring_entry = decide(ring, pgp_fpr, approve=approve)
        if ring_entry is not None:
            kind, fingerprint, addresses = "pgp", ring_entry.fingerprint, ring_entry.addresses
        else:
            entry = _open_store(ctx, args).decide(wanted, approve=approve)
            kind, fingerprint, addresses = "smime", entry.fingerprint, entry.addresses
    except CertStoreError as exc:
        what = "no pending harvested certificate or key" if pgp_fpr else str(exc)
        raise CommandFailed(
            f"phigate keys {verb}: {args.fingerprint}: {what}; see phigate keys pending",
            EXIT_FAILED,
        ) from exc
    except HarvestDecisionError as exc:
        raise CommandFailed(
            f"phigate keys {verb}: {args.fingerprint}: {exc}; see phigate keys pending",
            EXIT_FAILED,
        ) from exc
    except PgpError as exc:
        raise CommandFailed(f"phigate keys {verb}: {args.fingerprint}: {exc.code}: {exc}") from exc
    shown = ", ".join(shown_address(ctx.settings, a) for a in addresses)
    _audit(ctx, f"keys-{verb}", {"kind": kind, "fingerprint": fingerprint})
    done = "approved; now used for" if approve else "rejected; never used for"
    print(f"{kind} {fingerprint} {done} {shown}")
    return EXIT_OK


def _audit(ctx: Context, action: str, details: dict[str, Any]) -> None:
    audit = ctx.hooks.audit_event
    if audit is None:
        print(
            f"warning: {action} {details['fingerprint']}: no audit log configured", file=sys.stderr
        )
        return
    try:
        audit(action, details)
    except PhigateError as exc:
        # The decision itself stands (it is in the store); say what is missing.
        print(
            f"warning: {action} {details['fingerprint']} not written to the audit log: {exc.code}",
            file=sys.stderr,
        )


def approve(ctx: Context, args: argparse.Namespace) -> int:
    """Put a harvested certificate or key in use."""
    return _decide(ctx, args, approve=True)


def reject(ctx: Context, args: argparse.Namespace) -> int:
    """Refuse a harvested certificate or key for good."""
    return _decide(ctx, args, approve=False)


def _import_options(parser: argparse.ArgumentParser) -> None:
    _store_options(parser)
    parser.add_argument(
        "file", type=Path, help="certificates to import: a PEM, DER or PKCS#12 file"
    )
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument("--password-file", type=Path, help="file holding the password")
    secret.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )


def _list_options(parser: argparse.ArgumentParser) -> None:
    _store_options(parser)
    parser.add_argument("--pgp-home", help="the gateway's OpenPGP keyring (default from config)")
    switches(parser, ("--json", "print JSON lines instead of a table"))
    parser.add_argument(
        "--expiring",
        metavar="DURATION",
        type=parse_duration,
        help="only those expiring within, e.g. 30d",
    )


def _keyring_options(parser: argparse.ArgumentParser) -> None:
    config_option(parser)
    parser.add_argument("--pgp-home", help="the gateway's OpenPGP keyring (default from config)")


def _pgp_home(ctx: Context, args: argparse.Namespace) -> Path:
    return Path(args.pgp_home) if args.pgp_home else ctx.settings.pgp.home


def import_pgp_keys(ctx: Context, args: argparse.Namespace) -> int:
    """Import OpenPGP public keys."""
    print(import_pgp(_pgp_home(ctx, args), args.file))
    return EXIT_OK


def trust(ctx: Context, args: argparse.Namespace) -> int:
    """Let an OpenPGP key encrypt mail for an address."""
    print(trust_pgp(_pgp_home(ctx, args), args.fingerprint, args.address))
    return EXIT_OK


def untrust(ctx: Context, args: argparse.Namespace) -> int:
    """Withdraw an OpenPGP key's trust."""
    print(untrust_pgp(_pgp_home(ctx, args), args.fingerprint, args.address))
    return EXIT_OK


def _pending_options(parser: argparse.ArgumentParser) -> None:
    _store_options(parser)
    parser.add_argument("--pgp-home", help="the gateway's OpenPGP keyring (default from config)")
    switches(parser, ("--json", "print JSON lines instead of a table"))


def _decision_options(parser: argparse.ArgumentParser) -> None:
    _store_options(parser)
    parser.add_argument("--pgp-home", help="the gateway's OpenPGP keyring (default from config)")
    parser.add_argument(
        "fingerprint",
        help="OpenPGP fingerprint (40 hex digits) or S/MIME SHA-256 fingerprint (16+ hex digits)",
    )


def _import_pgp_options(parser: argparse.ArgumentParser) -> None:
    _keyring_options(parser)
    parser.add_argument("file", type=Path, help="OpenPGP public keys to import (armored or binary)")


def _trust_options(parser: argparse.ArgumentParser) -> None:
    _keyring_options(parser)
    parser.add_argument("fingerprint", help="the OpenPGP key's fingerprint (40 hex digits)")
    parser.add_argument("address", help="the address the key may encrypt mail for")


def _untrust_options(parser: argparse.ArgumentParser) -> None:
    _keyring_options(parser)
    parser.add_argument("fingerprint", help="the OpenPGP key's fingerprint (40 hex digits)")
    parser.add_argument(
        "address", nargs="?", help="withdraw trust for this address only (default: every address)"
    )


COMMANDS = (
    group(
        "keys",
        "recipient certificates and keys",
        Command(
            "import",
            "import certificates from a PEM, DER or PKCS#12 file",
            run=import_certificates,
            options=_import_options,
        ),
        Command("list", "list stored certificates and their status", list_keys, _list_options),
        Command("import-pgp", "import OpenPGP public keys", import_pgp_keys, _import_pgp_options),
        Command("trust", "let an OpenPGP key encrypt mail for an address", trust, _trust_options),
        Command("untrust", "withdraw an OpenPGP key's trust", untrust, _untrust_options),
        Command(
            "pending",
            "list harvested certificates and keys awaiting approval",
            list_pending,
            _pending_options,
        ),
        Command("approve", "put a harvested certificate or key in use", approve, _decision_options),
        Command("reject", "refuse a harvested certificate or key", reject, _decision_options),
        *keylookup.COMMANDS,  # `keys lookup`, which lives in a module of its own
    ),
)
