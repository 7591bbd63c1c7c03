"""`phigate patients import|show` and `phigate consent add|list|show|revoke|import`.

The lead's CLI calls `register(subparsers, load_settings)`, where `load_settings(config_path)`
returns a `PatientsSettings` (database URL, roster key file, optional directory of site
disclosure texts). Every subcommand stores its handler as `args.func`, which takes the parsed
namespace and returns the exit code: 0 done, 1 bad input rows (nothing written), 2 error.

Nothing printed here is a clear identifier: roster entries show counts, consents show the
masked address.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from gateway.model import PhigateError
from gateway.patients.consent import (
    METHODS,
    Consent,
    ConsentRegistry,
    parse_day,
    parse_when,
)
from gateway.patients.disclosure import DEFAULT_DISCLOSURE_VERSION
from gateway.patients.errors import RosterKeyError
from gateway.patients.roster import PatientRoster, RowError
from gateway.patients.scopes import SCOPES

DEFAULT_URL = "sqlite:///var/patients.db"
DEFAULT_KEY_FILE = Path("var/keys/roster.key")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ERROR = 2


@dataclass(frozen=True)
class PatientsSettings:
    """Where the roster and consents live, and the roster's key file."""

    url: str = DEFAULT_URL
    key_file: Path = DEFAULT_KEY_FILE
    disclosure_dir: Path | None = None
    # Records consent grants and revocations in the audit log: (action, details) -> None.
    audit: Callable[[str, dict[str, Any]], None] | None = None


SettingsLoader = Callable[[str | None], PatientsSettings]


def _defaults(_config: str | None) -> PatientsSettings:
    return PatientsSettings()


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # Distinct dests so a top-level --config of the main parser is not clobbered.
    common.add_argument("--config", dest="p_config", metavar="FILE", help="gateway config file")
    common.add_argument("--url", dest="p_url", help=f"database URL (default {DEFAULT_URL})")
    common.add_argument(
        "--key-file",
        dest="p_key_file",
        type=Path,
        help=f"roster HMAC key file (default {DEFAULT_KEY_FILE})",
    )
    return common


def register(
    subparsers: argparse._SubParsersAction, load_settings: SettingsLoader | None = None
) -> None:
    """Add the `patients` and `consent` commands; `load_settings(config)` supplies settings."""
    loader = load_settings or _defaults
    common = _common()

    top = subparsers.add_parser("patients", help="the patient roster (stored as keyed hashes)")
    sub = top.add_subparsers(dest="patients_command", metavar="SUBCOMMAND", required=True)
    p = sub.add_parser("import", parents=[common], help="import or update roster entries")
    p.add_argument("file", type=Path, metavar="FILE.csv")
    p.add_argument(
        "--skip-bad", action="store_true", help="import the good rows even if some are bad"
    )
    p.set_defaults(func=partial(_patients_import, loader))
    p = sub.add_parser("show", parents=[common], help="what is stored about one entry")
    p.add_argument("roster_id", metavar="ROSTER_ID")
    p.set_defaults(func=partial(_patients_show, loader))

    top = subparsers.add_parser("consent", help="patients' consents to unencrypted email")
    sub = top.add_subparsers(dest="consent_command", metavar="SUBCOMMAND", required=True)
    p = sub.add_parser("add", parents=[common], help="record a patient's consent")
    p.add_argument("--address", required=True, help="the patient's address (on the roster)")
    p.add_argument("--roster-id", required=True)
    p.add_argument("--method", required=True, choices=METHODS)
    p.add_argument("--recorded-by", required=True, metavar="WHO")
    p.add_argument(
        "--disclosure-version",
        default=DEFAULT_DISCLOSURE_VERSION,
        help=f"the disclosure text accepted (default {DEFAULT_DISCLOSURE_VERSION})",
    )
    p.add_argument(
        "--scope", action="append", required=True, choices=sorted(SCOPES), help="repeatable"
    )
    p.add_argument("--include", action="append", default=[], metavar="TYPE", help="repeatable")
    p.add_argument("--exclude", action="append", default=[], metavar="TYPE", help="repeatable")
    p.add_argument("--expires", required=True, metavar="YYYY-MM-DD", help="last valid day (UTC)")
    p.add_argument("--obtained-at", metavar="WHEN", help="ISO date or date-time (default now)")
    p.set_defaults(func=partial(_consent_add, loader))

    p = sub.add_parser("list", parents=[common], help="list consents")
    p.add_argument("--active", action="store_true", help="only those valid now")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=partial(_consent_list, loader))

    p = sub.add_parser("show", parents=[common], help="one consent with its history")
    p.add_argument("consent_id", metavar="ID")
    p.set_defaults(func=partial(_consent_show, loader))

    p = sub.add_parser("revoke", parents=[common], help="record a revocation")
    p.add_argument("consent_id", metavar="ID")
    p.add_argument("--reason", required=True, metavar="TEXT")
    p.add_argument("--by", metavar="WHO", help="who revokes (default: the login name)")
    p.add_argument("--at", metavar="WHEN", help="when it took effect (default now)")
    p.set_defaults(func=partial(_consent_revoke, loader))

    p = sub.add_parser("import", parents=[common], help="record consents from a CSV file")
    p.add_argument("file", type=Path, metavar="FILE.csv")
    p.set_defaults(func=partial(_consent_import, loader))


def _settings(loader: SettingsLoader, args: argparse.Namespace) -> PatientsSettings:
    settings = loader(args.p_config or getattr(args, "config", None))
    if args.p_url:
        settings = replace(settings, url=args.p_url)
    if args.p_key_file is not None:
        settings = replace(settings, key_file=args.p_key_file)
    return settings


def _roster(settings: PatientsSettings, *, create_key: bool = False) -> PatientRoster:
    if not create_key and not Path(settings.key_file).exists():
        # A fresh key would make every stored hash unmatchable.
        raise RosterKeyError(
            f"roster key file {settings.key_file} does not exist; import a roster first"
        )
    return PatientRoster(settings.url, Path(settings.key_file))


def _registry(settings: PatientsSettings) -> ConsentRegistry:
    return ConsentRegistry(settings.url, _roster(settings), disclosure_dir=settings.disclosure_dir)


def _who(value: str | None) -> str:
    return value or os.environ.get("SUDO_USER") or getpass.getuser()


def _fail(command: str, exc: PhigateError) -> int:
    print(f"phigate {command}: {exc.code}: {exc}", file=sys.stderr)
    return EXIT_ERROR


def _print_errors(errors: tuple[RowError, ...]) -> None:
    for err in errors:
        print(f"  {err}", file=sys.stderr)


def _patients_import(loader: SettingsLoader, args: argparse.Namespace) -> int:
    try:
        roster = _roster(_settings(loader, args), create_key=True)
        try:
            report = roster.import_csv(args.file, skip_bad=args.skip_bad)
        finally:
            roster.close()
    except PhigateError as exc:
        return _fail("patients import", exc)
    if report.errors and not report.applied and not args.skip_bad:
        print(
            f"{args.file}: {len(report.bad_lines)} bad row(s); nothing imported",
            file=sys.stderr,
        )
        _print_errors(report.errors)
        return EXIT_FAILED
    if report.errors:
        print(f"{args.file}: skipped {len(report.bad_lines)} bad row(s)", file=sys.stderr)
        _print_errors(report.errors)
    print(f"{len(report.added)} added, {len(report.updated)} updated")
    for rid in report.added:
        print(f"  added {rid}")
    return EXIT_OK


def _patients_show(loader: SettingsLoader, args: argparse.Namespace) -> int:
    try:
        roster = _roster(_settings(loader, args))
        try:
            entry = roster.entry(args.roster_id)
        finally:
            roster.close()
    except PhigateError as exc:
        return _fail("patients show", exc)
    for label, value in (
        ("roster id", entry.roster_id),
        ("has dob", "yes" if entry.has_dob else "no"),
        ("names", f"{entry.names} (matchable with the date of birth)"),
        ("mrns", entry.mrns),
        ("emails", entry.emails),
        ("created", entry.created.isoformat(timespec="seconds")),
        ("updated", entry.updated.isoformat(timespec="seconds")),
    ):
        print(f"{label:>10}: {value}")
    return EXIT_OK


def _audit(settings: PatientsSettings, action: str, details: dict[str, Any]) -> None:
    if settings.audit is None:
        return
    try:
        settings.audit(action, details)
    except PhigateError as exc:
        # The consent itself is recorded (its own history is append-only); say what is missing.
        print(
            f"warning: {action} {details.get('consent_id')} not written to the audit log: "
            f"{exc.code}",
            file=sys.stderr,
        )


def _consent_add(loader: SettingsLoader, args: argparse.Namespace) -> int:
    try:
        settings = _settings(loader, args)
        registry = _registry(settings)
        try:
            consent_id = registry.add(
                args.address,
                args.roster_id,
                obtained_at=parse_when(args.obtained_at) if args.obtained_at else None,
                method=args.method,
                recorded_by=args.recorded_by,
                disclosure_version=args.disclosure_version,
                scope=args.scope,
                include=args.include,
                exclude=args.exclude,
                expires=parse_day(args.expires),
            )
        finally:
            registry.close()
            registry.roster.close()
        _audit(
            settings,
            "consent-granted",
            {"consent_id": consent_id, "roster_id": args.roster_id, "method": args.method},
        )
    except PhigateError as exc:
        return _fail("consent add", exc)
    print(consent_id)
    return EXIT_OK


def _row(c: Consent, now: datetime) -> dict[str, Any]:
    return {
        "consent_id": c.consent_id,
        "roster_id": c.roster_id,
        "address": c.address_masked,
        "method": c.method,
        "scopes": list(c.scopes),
        "include": list(c.include),
        "exclude": list(c.exclude),
        "obtained_at": c.obtained_at.isoformat(timespec="seconds"),
        "expires": c.expires.isoformat(),
        "status": c.status(now),
        "uses": c.uses,
    }


def _consent_list(loader: SettingsLoader, args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    try:
        registry = _registry(_settings(loader, args))
        try:
            found = registry.list(active_only=args.active, at=now)
        finally:
            registry.close()
            registry.roster.close()
    except PhigateError as exc:
        return _fail("consent list", exc)
    rows = [_row(c, now) for c in found]
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    print(f"{'ID':<15} {'ROSTER':<12} {'ADDRESS':<28} {'STATUS':<8} {'EXPIRES':<10} SCOPES")
    for r in rows:
        print(
            f"{r['consent_id']:<15} {r['roster_id']:<12} {r['address']:<28} "
            f"{r['status']:<8} {r['expires']:<10} {','.join(r['scopes'])}"
        )
    return EXIT_OK


def _consent_show(loader: SettingsLoader, args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    try:
        registry = _registry(_settings(loader, args))
        try:
            consent = registry.get(args.consent_id)
            events = registry.history(args.consent_id)
        finally:
            registry.close()
            registry.roster.close()
    except PhigateError as exc:
        return _fail("consent show", exc)
    for label, value in (
        ("consent", consent.consent_id),
        ("roster id", consent.roster_id),
        ("address", consent.address_masked),
        ("status", consent.status(now)),
        ("method", consent.method),
        ("obtained", consent.obtained_at.isoformat(timespec="seconds")),
        ("recorded by", consent.recorded_by),
        ("disclosure", f"{consent.disclosure_version} sha256:{consent.disclosure_sha256}"),
        ("scopes", ", ".join(consent.scopes)),
        ("include", ", ".join(consent.include) or "-"),
        ("exclude", ", ".join(consent.exclude) or "-"),
        ("allows", ", ".join(sorted(consent.allowed_types))),
        ("expires", consent.expires.isoformat()),
        ("uses", consent.uses),
    ):
        print(f"{label:>12}: {value}")
    print("history:")
    for ev in events:
        payload = json.dumps(dict(ev.payload), sort_keys=True)
        print(
            f"  {ev.seq:>3} {ev.kind:<8} {ev.at.isoformat(timespec='seconds')} by {ev.by} {payload}"
        )
    return EXIT_OK


def _consent_revoke(loader: SettingsLoader, args: argparse.Namespace) -> int:
    try:
        settings = _settings(loader, args)
        registry = _registry(settings)
        try:
            consent = registry.revoke(
                args.consent_id,
                at=parse_when(args.at) if args.at else datetime.now(UTC),
                reason=args.reason,
                by=_who(args.by),
            )
        finally:
            registry.close()
            registry.roster.close()
        _audit(
            settings,
            "consent-revoked",
            {"consent_id": consent.consent_id, "roster_id": consent.roster_id},
        )
    except PhigateError as exc:
        return _fail("consent revoke", exc)
    when = consent.revoked_at.isoformat(timespec="seconds") if consent.revoked_at else "-"
    print(f"{consent.consent_id} revoked at {when}")
    return EXIT_OK


def _consent_import(loader: SettingsLoader, args: argparse.Namespace) -> int:
    try:
        settings = _settings(loader, args)
        registry = _registry(settings)
        try:
            report = registry.import_csv(args.file)
        finally:
            registry.close()
            registry.roster.close()
    except PhigateError as exc:
        return _fail("consent import", exc)
    if report.errors:
        print(f"{args.file}: bad row(s); nothing recorded", file=sys.stderr)
        _print_errors(report.errors)
        return EXIT_FAILED
    for cid in report.added:
        _audit(settings, "consent-granted", {"consent_id": cid, "method": "import"})
    print(f"{len(report.added)} consent(s) recorded")
    for cid in report.added:
        print(f"  {cid}")
    return EXIT_OK
