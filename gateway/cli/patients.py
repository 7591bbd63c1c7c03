"""`phigate patients import|show|rotate-key|rehash` and `phigate consent add|list|show|revoke|import`.

`patients rotate-key` adds a new active roster key (running processes match under every key
of the ring and store under the active one, see gateway.patients.keys); `patients rehash
FILE` re-imports the roster export under it and moves the consents of its addresses. Both
are recorded in the audit log, and refused when no audit hook is configured to record them.

Exit codes: 0 done, 1 bad input rows (nothing written), 2 error. Nothing printed here is a
clear identifier: roster entries show counts, consents show the masked address.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gateway.cli.command import (
    Command,
    failing_as,
    group,
    operator,
    print_fields,
    record_change,
    required_audit,
)
from gateway.cli.context import Context
from gateway.cli.exits import EXIT_FAILED, EXIT_OK
from gateway.cli.options import JSON, given, store_options, switches
from gateway.config import PatientSettings
from gateway.model import PhigateError
from gateway.patients.consent import METHODS, Consent, ConsentRegistry, parse_day, parse_when
from gateway.patients.disclosure import DEFAULT_DISCLOSURE_VERSION
from gateway.patients.errors import RosterKeyError
from gateway.patients.keys import ROSTER_KEY
from gateway.patients.roster import PatientRoster, RowError
from gateway.patients.scopes import SCOPES
from gateway.storage.keyfiles import KeyFile

DEFAULTS = PatientSettings()


def _options(parser: argparse.ArgumentParser) -> None:
    store_options(parser, "p", DEFAULTS.url, f"roster HMAC key file (default {DEFAULTS.key_file})")


def _settings(ctx: Context, args: argparse.Namespace) -> PatientSettings:
    return ctx.settings.patients.clone(**given(url=args.p_url, key_file=args.p_key_file))


def _roster(settings: PatientSettings, *, create_key: bool = False) -> PatientRoster:
    if not create_key and not settings.key_file.exists():
        # A fresh key would make every stored hash unmatchable.
        raise RosterKeyError(
            f"roster key file {settings.key_file} does not exist; import a roster first"
        )
    return PatientRoster(settings.url, settings.key_file)


@contextmanager
def _consents(ctx: Context, args: argparse.Namespace) -> Iterator[ConsentRegistry]:
    """The consent registry over the roster, both closed after the block; an expected error
    inside it is one line naming the command."""
    with failing_as(f"phigate consent {args.consent_command}"):
        settings = _settings(ctx, args)
        with closing(_roster(settings)) as roster:
            with closing(
                ConsentRegistry(settings.url, roster, disclosure_dir=settings.disclosure_dir)
            ) as registry:
                yield registry


def _print_errors(errors: tuple[RowError, ...]) -> None:
    for err in errors:
        print(f"  {err}", file=sys.stderr)


def _audit(ctx: Context, action: str, details: Mapping[str, Any]) -> None:
    audit = ctx.hooks.audit_event
    if audit is None:
        return
    try:
        audit(action, details)
    except PhigateError as exc:
        # The consent itself is recorded (its own history is append-only); say what is missing.
        print(
            f"warning: {action} {details.get('consent_id')} not written to the audit log: "
            f"{exc.code}",
            file=sys.stderr,
        )


def patients_import(ctx: Context, args: argparse.Namespace) -> int:
    """Import or update roster entries."""
    with failing_as("phigate patients import"):
        with closing(_roster(_settings(ctx, args), create_key=True)) as roster:
            report = roster.import_csv(args.file, skip_bad=args.skip_bad)
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


def patients_rotate_key(ctx: Context, args: argparse.Namespace) -> int:
    """Add a new active roster key (audited) and print its id."""
    command = "phigate patients rotate-key"
    with failing_as(command):
        path = _settings(ctx, args).key_file
        if not path.exists():
            raise RosterKeyError(f"roster key file {path} does not exist; import a roster first")
        audit = required_audit(ctx, command, "change roster keys")
        key_id = KeyFile(path, ROSTER_KEY).rotate()
    details = {"key_id": key_id, "by": operator(None)}
    record_change(audit, command, "patients-key-rotated", details, "done")
    print(key_id)
    return EXIT_OK


def patients_rehash(ctx: Context, args: argparse.Namespace) -> int:
    """Re-import the roster export under the active key and move its addresses' consents."""
    command = "phigate patients rehash"
    with failing_as(command):
        settings = _settings(ctx, args)
        audit = required_audit(ctx, command, "change roster keys")
        with closing(_roster(settings)) as roster:
            report, addresses = roster.rehash_csv(args.file, skip_bad=args.skip_bad)
            if report.errors and not report.applied and not args.skip_bad:
                print(
                    f"{args.file}: {len(report.bad_lines)} bad row(s); nothing rehashed",
                    file=sys.stderr,
                )
                _print_errors(report.errors)
                return EXIT_FAILED
            with closing(
                ConsentRegistry(settings.url, roster, disclosure_dir=settings.disclosure_dir)
            ) as registry:
                moved = registry.rehash(addresses)
                touched = {*report.added, *report.updated}
                left_consents = sum(c.roster_id not in touched for c in registry.list())
            left_entries = roster.count() - len(touched)
            key_id = roster.keys.ring().active
    if report.errors:
        print(f"{args.file}: skipped {len(report.bad_lines)} bad row(s)", file=sys.stderr)
        _print_errors(report.errors)
    details = {
        "key_id": key_id,
        "entries": len(touched),
        "consents_moved": moved,
        "entries_left": left_entries,
        "consents_left": left_consents,
    }
    record_change(audit, command, "patients-rehashed", details, "done")
    print(f"{len(touched)} entries hashed under {key_id}, {moved} consent(s) moved to it")
    if left_entries or left_consents:
        print(
            f"{left_entries} roster entries and {left_consents} consent(s) on them were not in "
            f"{args.file}: they keep their older hashes, so keep the older keys in the ring"
        )
    return EXIT_OK


def patients_show(ctx: Context, args: argparse.Namespace) -> int:
    """What is stored about one roster entry."""
    with failing_as("phigate patients show"):
        with closing(_roster(_settings(ctx, args))) as roster:
            entry = roster.entry(args.roster_id)
    print_fields(
        (
            ("roster id", entry.roster_id),
            ("has dob", "yes" if entry.has_dob else "no"),
            ("names", f"{entry.names} (matchable with the date of birth)"),
            ("mrns", entry.mrns),
            ("emails", entry.emails),
            ("created", entry.created.isoformat(timespec="seconds")),
            ("updated", entry.updated.isoformat(timespec="seconds")),
        ),
        10,
    )
    return EXIT_OK


def consent_add(ctx: Context, args: argparse.Namespace) -> int:
    """Record a patient's consent and print its id."""
    with _consents(ctx, args) as registry:
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
    _audit(
        ctx,
        "consent-granted",
        {"consent_id": consent_id, "roster_id": args.roster_id, "method": args.method},
    )
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


def consent_list(ctx: Context, args: argparse.Namespace) -> int:
    """List consents."""
    now = datetime.now(UTC)
    with _consents(ctx, args) as registry:
        found = registry.list(active_only=args.active, at=now)
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


def consent_show(ctx: Context, args: argparse.Namespace) -> int:
    """One consent with its history."""
    now = datetime.now(UTC)
    with _consents(ctx, args) as registry:
        consent = registry.get(args.consent_id)
        events = registry.history(args.consent_id)
    print_fields(
        (
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
        ),
        12,
    )
    print("history:")
    for ev in events:
        payload = json.dumps(dict(ev.payload), sort_keys=True)
        print(
            f"  {ev.seq:>3} {ev.kind:<8} {ev.at.isoformat(timespec='seconds')} by {ev.by} {payload}"
        )
    return EXIT_OK


def consent_revoke(ctx: Context, args: argparse.Namespace) -> int:
    """Record a revocation."""
    with _consents(ctx, args) as registry:
        consent = registry.revoke(
            args.consent_id,
            at=parse_when(args.at) if args.at else datetime.now(UTC),
            reason=args.reason,
            by=operator(args.by),
        )
    _audit(
        ctx, "consent-revoked", {"consent_id": consent.consent_id, "roster_id": consent.roster_id}
    )
    when = consent.revoked_at.isoformat(timespec="seconds") if consent.revoked_at else "-"
    print(f"{consent.consent_id} revoked at {when}")
    return EXIT_OK


def consent_import(ctx: Context, args: argparse.Namespace) -> int:
    """Record consents from a CSV file; a bad row records none."""
    with _consents(ctx, args) as registry:
        report = registry.import_csv(args.file)
    if report.errors:
        print(f"{args.file}: bad row(s); nothing recorded", file=sys.stderr)
        _print_errors(report.errors)
        return EXIT_FAILED
    for cid in report.added:
        _audit(ctx, "consent-granted", {"consent_id": cid, "method": "import"})
    print(f"{len(report.added)} consent(s) recorded")
    for cid in report.added:
        print(f"  {cid}")
    return EXIT_OK


def _csv_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE.csv", help="the CSV file to import")


def _consent_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("consent_id", metavar="ID", help="the consent's id (C-...)")


def _patients_import_options(parser: argparse.ArgumentParser) -> None:
    _csv_file(parser)
    parser.add_argument(
        "--skip-bad", action="store_true", help="import the good rows even if some are bad"
    )


def _patients_show_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("roster_id", metavar="ROSTER_ID", help="the patient's roster id")


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--address", required=True, help="the patient's address (on the roster)")
    parser.add_argument(
        "--roster-id", required=True, help="the roster id of the patient who consented"
    )
    parser.add_argument(
        "--method", required=True, choices=METHODS, help="how the consent was obtained"
    )
    parser.add_argument(
        "--recorded-by", required=True, metavar="WHO", help="who took the consent (staff name)"
    )
    parser.add_argument(
        "--disclosure-version",
        default=DEFAULT_DISCLOSURE_VERSION,
        help=f"the disclosure text accepted (default {DEFAULT_DISCLOSURE_VERSION})",
    )
    parser.add_argument(
        "--scope", action="append", required=True, choices=sorted(SCOPES), help="repeatable"
    )
    parser.add_argument("--include", action="append", default=[], metavar="TYPE", help="repeatable")
    parser.add_argument("--exclude", action="append", default=[], metavar="TYPE", help="repeatable")
    parser.add_argument(
        "--expires", required=True, metavar="YYYY-MM-DD", help="last valid day (UTC)"
    )
    parser.add_argument("--obtained-at", metavar="WHEN", help="ISO date or date-time (default now)")


def _list_options(parser: argparse.ArgumentParser) -> None:
    switches(parser, ("--active", "only those valid now"), JSON)


def _revoke_options(parser: argparse.ArgumentParser) -> None:
    _consent_id(parser)
    parser.add_argument(
        "--reason", required=True, metavar="TEXT", help="why it is revoked (kept in the record)"
    )
    parser.add_argument("--by", metavar="WHO", help="who revokes (default: the login name)")
    parser.add_argument("--at", metavar="WHEN", help="when it took effect (default now)")


COMMANDS = (
    group(
        "patients",
        "the patient roster (stored as keyed hashes)",
        Command(
            "import",
            "import or update roster entries",
            patients_import,
            _patients_import_options,
        ),
        Command("show", "what is stored about one entry", patients_show, _patients_show_options),
        Command(
            "rotate-key",
            "add a new active roster key (audited); print its id",
            patients_rotate_key,
        ),
        Command(
            "rehash",
            "re-import the roster export under the active key and move its consents (audited)",
            patients_rehash,
            _patients_import_options,
        ),
        shared=_options,
    ),
    group(
        "consent",
        "patients' consents to unencrypted email",
        Command("add", "record a patient's consent", consent_add, _add_options),
        Command("list", "list consents", consent_list, _list_options),
        Command("show", "one consent with its history", consent_show, _consent_id),
        Command("revoke", "record a revocation", consent_revoke, _revoke_options),
        Command("import", "record consents from a CSV file", consent_import, _csv_file),
        shared=_options,
    ),
)
