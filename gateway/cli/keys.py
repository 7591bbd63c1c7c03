"""`phigate keys import|list` for the S/MIME certificate store.

The lead's CLI calls `register(subparsers, load_store_settings, row_sources)`; each subcommand
stores its handler as `args.func`, which takes the parsed namespace and returns the exit code.
`row_sources` lets other key kinds (OpenPGP) add rows to `keys list`: each is a callable taking
the parsed namespace and returning rows shaped like `smime_rows`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from gateway.config import SmimeSettings
from gateway.keys.errors import CertStoreError
from gateway.keys.store import CertStore

DEFAULT_STORE = Path("var/certs")
EXIT_OK = 0
EXIT_ERROR = 2

_DURATION = re.compile(r"^(\d+)([dhw]?)$")


@dataclass(frozen=True)
class StoreSettings:
    """Where the store lives and what it trusts (from the gateway config)."""

    directory: Path = DEFAULT_STORE
    trust_anchors: tuple[Path, ...] = ()
    crl_sources: tuple[str, ...] = field(default=())
    require_crl: bool = False

    @classmethod
    def from_smime(cls, smime: SmimeSettings) -> StoreSettings:
        """The store settings of the gateway's `smime` section, require_crl included."""
        return cls(
            smime.store_dir, tuple(smime.trust_anchors), tuple(smime.crls), smime.require_crl
        )

    def as_smime(self) -> SmimeSettings:
        """The same settings as the gateway's `smime` section (for CertStore.from_settings)."""
        return SmimeSettings(
            store_dir=self.directory,
            trust_anchors=self.trust_anchors,
            crls=self.crl_sources,
            require_crl=self.require_crl,
        )


#: Returns the store settings for a config path: StoreSettings, or the gateway's SmimeSettings.
SettingsLoader = Callable[[str | None], "StoreSettings | SmimeSettings"]
RowSource = Callable[[argparse.Namespace], list[dict[str, Any]]]


def _defaults(config: str | None) -> SmimeSettings:
    """The `smime` section of the gateway config (built-in defaults without a file)."""
    from gateway.config import load_settings

    return load_settings(Path(config) if config else None).smime


def register(
    subparsers: argparse._SubParsersAction,
    load_store_settings: SettingsLoader | None = None,
    row_sources: Sequence[RowSource] = (),
) -> None:
    """Add the `keys` command; `load_store_settings(config_path)` supplies the store settings."""
    loader = load_store_settings or _defaults
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", dest="keys_config", metavar="FILE", help="gateway config file")
    common.add_argument(
        "--store",
        dest="keys_store",
        type=Path,
        help=f"certificate store folder (default {DEFAULT_STORE})",
    )
    common.add_argument(
        "--trust-anchor",
        dest="keys_anchors",
        type=Path,
        action="append",
        help="trusted root certificate file or folder (repeatable; replaces the configured ones)",
    )
    common.add_argument(
        "--crl",
        dest="keys_crls",
        action="append",
        help="CRL file or URL (repeatable; replaces the configured ones)",
    )
    keys = subparsers.add_parser("keys", help="recipient certificates and keys")
    sub = keys.add_subparsers(dest="keys_command", metavar="SUBCOMMAND", required=True)

    imp = sub.add_parser(
        "import", parents=[common], help="import certificates from a PEM, DER or PKCS#12 file"
    )
    imp.add_argument("file", type=Path)
    secret = imp.add_mutually_exclusive_group()
    secret.add_argument("--password-file", type=Path, help="file holding the password")
    secret.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    imp.set_defaults(func=partial(_import, loader))

    lst = sub.add_parser("list", parents=[common], help="list stored certificates and their status")
    lst.add_argument(
        "--expiring",
        metavar="DURATION",
        type=parse_duration,
        help="only those expiring within, e.g. 30d",
    )
    lst.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    lst.set_defaults(func=partial(_list, loader, tuple(row_sources)))


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


def open_store(settings: StoreSettings | SmimeSettings) -> CertStore:
    """The certificate store the settings describe (through CertStore.from_settings)."""
    smime = settings.as_smime() if isinstance(settings, StoreSettings) else settings
    return CertStore.from_settings(smime)


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
                    "status": status,
                    "detail": detail,
                }
            )
    rows.sort(key=lambda r: (r["address"], r["not_after"]))
    return rows


def _settings(loader: SettingsLoader, args: argparse.Namespace) -> StoreSettings:
    loaded = loader(args.keys_config or getattr(args, "config", None))
    settings = StoreSettings.from_smime(loaded) if isinstance(loaded, SmimeSettings) else loaded
    return StoreSettings(
        args.keys_store if args.keys_store is not None else settings.directory,
        tuple(args.keys_anchors) if args.keys_anchors else settings.trust_anchors,
        tuple(args.keys_crls) if args.keys_crls else settings.crl_sources,
        settings.require_crl,
    )


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


def _import(loader: SettingsLoader, args: argparse.Namespace) -> int:
    try:
        store = open_store(_settings(loader, args))
        result = store.import_file(args.file, _read_password(args))
    except CertStoreError as exc:
        print(f"phigate keys import: {exc}", file=sys.stderr)
        return EXIT_ERROR
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


def _list(loader: SettingsLoader, sources: tuple[RowSource, ...], args: argparse.Namespace) -> int:
    now = dt.datetime.now(dt.UTC)
    try:
        rows = smime_rows(open_store(_settings(loader, args)), at=now)
    except CertStoreError as exc:
        print(f"phigate keys list: {exc}", file=sys.stderr)
        return EXIT_ERROR
    for source in sources:
        rows.extend(source(args))
    if args.expiring is not None:
        limit = now + args.expiring
        rows = [r for r in rows if dt.datetime.fromisoformat(r["not_after"]) <= limit]
    if args.json:
        for row in rows:
            print(json.dumps(row, sort_keys=True))
        return EXIT_OK
    print(f"{'ADDRESS':32} {'KIND':6} {'FINGERPRINT':16} {'NOT AFTER':10} STATUS")
    for row in rows:
        reason = f" ({row['detail']})" if row.get("detail") else ""
        print(
            f"{row['address']:32} {row['kind']:6} {row['fingerprint'][:16]:16} "
            f"{row['not_after'][:10]:10} {row['status']}{reason}"
        )
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run `keys ...` on its own (tests and by hand)."""
    parser = argparse.ArgumentParser(prog="phigate")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
