"""`phigate report` and `phigate report disclosures --patient ROSTER_ID`.

The lead's CLI calls `register(subparsers, load_report_context)`; the loader turns an optional
config path into a `ReportContext` (audit log location and the key/certificate row sources).
Every command stores its handler as `args.func`, which returns the exit code: 0 done,
1 the audit chain failed verification (and --force was not given), 2 a usage or setup error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path

from gateway.audit import AuditError, AuditLog
from gateway.audit.errors import AuditKeyError
from gateway.model import PhigateError
from gateway.reports.build import (
    DisclosureReport,
    Integrity,
    Report,
    ReportExtras,
    build_disclosures,
    build_report,
)
from gateway.reports.records import fetch_records
from gateway.reports.render import RENDERERS

EXIT_OK = 0
EXIT_UNVERIFIED = 1
EXIT_ERROR = 2

DEFAULT_URL = "sqlite:///var/audit.db"
DEFAULT_KEY_FILE = Path("var/keys/audit.key")

# Consent-exception events are written a moment after their message's timestamp; look this
# far past the period's end for the events of messages inside it.
CONSENT_EVENT_SLACK = timedelta(days=1)

KeyRowSource = Callable[[], Iterable[Mapping[str, object]]]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ReportContext:
    """Where the audit log is, and named sources of key/certificate rows (S/MIME, PGP)."""

    audit_url: str = DEFAULT_URL
    audit_key_file: Path = DEFAULT_KEY_FILE
    audit_anchor_file: Path | None = None
    key_sources: Sequence[tuple[str, KeyRowSource]] = ()
    clock: Callable[[], datetime] = field(default=_utcnow)


ContextLoader = Callable[[str | None], ReportContext]


def _default_context(_config: str | None) -> ReportContext:
    return ReportContext()


def parse_when(value: str, *, end: bool = False) -> datetime:
    """A date or ISO datetime (UTC unless it says otherwise); a bare --until date includes that day."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time(), UTC)
            return moment + timedelta(days=1) if end else moment
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date (YYYY-MM-DD) or ISO datetime: {value!r}"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def register(
    subparsers: argparse._SubParsersAction, load_context: ContextLoader | None = None
) -> None:
    """Add the `report` command (and `report disclosures`)."""
    loader = load_context or _default_context
    common = argparse.ArgumentParser(add_help=False)
    # Distinct dests so the main parser's own flags are never clobbered.
    common.add_argument(
        "--config", dest="report_config", metavar="FILE", help="gateway config file"
    )
    common.add_argument(
        "--url", dest="report_url", metavar="URL", help="audit database URL (default from config)"
    )
    common.add_argument(
        "--key-file", dest="report_key_file", type=Path, metavar="FILE", help="audit key file"
    )
    common.add_argument(
        "--anchor-file",
        dest="report_anchor_file",
        type=Path,
        metavar="FILE",
        help="audit anchor file",
    )
    common.add_argument(
        "--format", dest="report_format", choices=sorted(RENDERERS), default="table"
    )
    common.add_argument(
        "--output",
        dest="report_output",
        type=Path,
        metavar="FILE",
        help="write here (mode 0600) instead of stdout",
    )
    common.add_argument(
        "--force",
        dest="report_force",
        action="store_true",
        help="report even if the audit chain fails verification (the report says so on its first line)",
    )

    def since(v: str) -> datetime:
        return parse_when(v)

    def until(v: str) -> datetime:
        return parse_when(v, end=True)

    report = subparsers.add_parser(
        "report",
        parents=[common],
        help="compliance report from the audit log (or: report disclosures --patient ID)",
        description="Figures for a period, read from the verified audit log. A bare --until "
        "date includes that whole day (UTC). Without dates: the last 30 days.",
    )
    report.add_argument("--since", dest="report_since", type=since, metavar="DATE")
    report.add_argument("--until", dest="report_until", type=until, metavar="DATE")
    report.add_argument(
        "--expiring",
        dest="report_expiring",
        type=int,
        default=30,
        metavar="DAYS",
        help="list keys and certificates expiring within DAYS (default 30)",
    )
    report.set_defaults(func=partial(_run_report, loader), report_command=None)
    sub = report.add_subparsers(dest="report_command", metavar="SUBCOMMAND")
    disc = sub.add_parser(
        "disclosures",
        parents=[common],
        help="accounting of disclosures of one patient's PHI",
        description="Every message that carried the patient's PHI, oldest first: when, to which "
        "recipient domains, and how it was protected.",
    )
    disc.add_argument("--patient", dest="report_patient", required=True, metavar="ROSTER_ID")
    disc.add_argument("--since", dest="report_since", type=since, default=None, metavar="DATE")
    disc.add_argument("--until", dest="report_until", type=until, default=None, metavar="DATE")
    disc.set_defaults(func=partial(_run_disclosures, loader))


def _open(ctx: ReportContext, args: argparse.Namespace) -> AuditLog:
    key_file = args.report_key_file or ctx.audit_key_file
    anchor = args.report_anchor_file
    if anchor is None and args.report_key_file is None:
        anchor = ctx.audit_anchor_file
    if not Path(key_file).exists():
        # Opening would create a fresh key, and then no record could ever verify.
        raise AuditKeyError(f"audit key file {key_file} does not exist")
    # Read-only: a report never creates or migrates a database.
    return AuditLog(args.report_url or ctx.audit_url, Path(key_file), anchor, read_only=True)


def _verify(log: AuditLog, force: bool) -> Integrity | None:
    """The chain's integrity, or None (after printing the problems) when the report must refuse."""
    result = log.verify()
    integrity = Integrity(result.ok, result.checked, tuple(str(p) for p in result.problems))
    if result.ok:
        return integrity
    for problem in integrity.problems:
        print(problem, file=sys.stderr)
    if force:
        print(
            f"phigate report: audit chain failed verification ({len(integrity.problems)} "
            "problem(s)); reporting anyway (--force), the report says so on its first line",
            file=sys.stderr,
        )
        return integrity
    print(
        f"phigate report: audit chain failed verification ({len(integrity.problems)} problem(s) "
        f"in {result.checked} records); refusing to report (use --force to report anyway)",
        file=sys.stderr,
    )
    return None


def _write(args: argparse.Namespace, report: Report | DisclosureReport) -> None:
    text = RENDERERS[args.report_format](report)
    if args.report_output is None:
        sys.stdout.write(text)
        return
    fd = os.open(args.report_output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def _key_rows(ctx: ReportContext) -> tuple[list[Mapping[str, object]], list[str]]:
    rows: list[Mapping[str, object]] = []
    notes: list[str] = []
    for name, source in ctx.key_sources:
        try:
            rows.extend(source())
        except (PhigateError, OSError) as exc:
            # One missing keyring must not hide the rest of the report; the report says so.
            code = getattr(exc, "code", type(exc).__name__)
            notes.append(f"{name}: not listed ({code})")
    return rows, notes


DEFAULT_PERIOD = timedelta(days=30)


def _fail(message: str) -> int:
    print(f"phigate report: {message}", file=sys.stderr)
    return EXIT_ERROR


def _run_report(loader: ContextLoader, args: argparse.Namespace) -> int:
    if args.report_until is None:
        args.report_until = datetime.now(UTC)
    if args.report_since is None:
        args.report_since = args.report_until - DEFAULT_PERIOD
    if args.report_since >= args.report_until:
        return _fail("--since must be before --until")
    try:
        ctx = loader(args.report_config or getattr(args, "config", None))
        log = _open(ctx, args)
    except (AuditError, PhigateError) as exc:
        return _fail(f"{getattr(exc, 'code', 'error')}: {exc}")
    try:
        integrity = _verify(log, args.report_force)
        if integrity is None:
            return EXIT_UNVERIFIED
        records = fetch_records(log.engine, args.report_since, args.report_until)
    finally:
        log.close()
    rows, notes = _key_rows(ctx)
    extra = ReportExtras(
        integrity=integrity,
        generated_at=ctx.clock(),
        key_rows=rows,
        key_notes=notes,
        expiring_within=timedelta(days=args.report_expiring),
    )
    _write(args, build_report(records, args.report_since, args.report_until, extra))
    return EXIT_OK


def _run_disclosures(loader: ContextLoader, args: argparse.Namespace) -> int:
    since, until = args.report_since, args.report_until
    if since is not None and until is not None and since >= until:
        return _fail("--since must be before --until")
    try:
        ctx = loader(args.report_config or getattr(args, "config", None))
        log = _open(ctx, args)
    except (AuditError, PhigateError) as exc:
        return _fail(f"{getattr(exc, 'code', 'error')}: {exc}")
    try:
        integrity = _verify(log, args.report_force)
        if integrity is None:
            return EXIT_UNVERIFIED
        # The JSON holds the id as a quoted string: a cheap pre-filter, checked exactly later.
        messages = fetch_records(
            log.engine, since, until, findings_contain=f'"{args.report_patient}"'
        )
        consents = fetch_records(
            log.engine,
            since,
            until + CONSENT_EVENT_SLACK if until is not None else None,
            actions=["consent-exception"],
        )
    finally:
        log.close()
    extra = ReportExtras(integrity=integrity, generated_at=ctx.clock())
    _write(
        args, build_disclosures([*messages, *consents], args.report_patient, since, until, extra)
    )
    return EXIT_OK


def main(argv: Sequence[str] | None = None, load_context: ContextLoader | None = None) -> int:
    """Run `report ...` on its own (python -m gateway.reports.cli report --since ...)."""
    parser = argparse.ArgumentParser(prog="phigate")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    register(subparsers, load_context)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
