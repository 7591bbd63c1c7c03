"""`phigate report` and `phigate report disclosures --patient ROSTER_ID`.

Exit codes: 0 done, 1 the audit chain failed verification (and --force was not given), 2 a
usage or setup error. Key and certificate rows come from the context's `key_sources` hook.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from contextlib import closing
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from gateway import reports
from gateway.audit import AuditLog
from gateway.audit.errors import AuditKeyError
from gateway.cli.command import Command, CommandFailed, failing_as
from gateway.cli.context import Context
from gateway.cli.exits import EXIT_FAILED, EXIT_OK
from gateway.cli.options import config_option
from gateway.model import PhigateError
from gateway.reports.render import RENDERERS

PREFIX = "phigate report"
DEFAULT_PERIOD = timedelta(days=30)
# Consent-exception events are written a moment after their message's timestamp; look this
# far past the period's end for the events of messages inside it.
CONSENT_EVENT_SLACK = timedelta(days=1)


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


def _since(value: str) -> datetime:
    return parse_when(value)


def _until(value: str) -> datetime:
    return parse_when(value, end=True)


def _options(parser: argparse.ArgumentParser) -> None:
    config_option(parser)
    parser.add_argument(
        "--url", dest="report_url", metavar="URL", help="audit database URL (default from config)"
    )
    parser.add_argument(
        "--key-file", dest="report_key_file", type=Path, metavar="FILE", help="audit key file"
    )
    parser.add_argument(
        "--anchor-file",
        dest="report_anchor_file",
        type=Path,
        metavar="FILE",
        help="audit anchor file",
    )
    parser.add_argument(
        "--format",
        dest="report_format",
        choices=sorted(RENDERERS),
        default="table",
        help="table for a terminal, csv for a spreadsheet, html for a self-contained page "
        "(default table)",
    )
    parser.add_argument(
        "--output",
        dest="report_output",
        type=Path,
        metavar="FILE",
        help="write here (mode 0600) instead of stdout",
    )
    parser.add_argument(
        "--force",
        dest="report_force",
        action="store_true",
        help="report even if the audit chain fails verification (the report says so on its first line)",
    )


def _report_options(parser: argparse.ArgumentParser) -> None:
    _options(parser)
    parser.add_argument(
        "--since",
        dest="report_since",
        type=_since,
        metavar="DATE",
        help="first day of the period, YYYY-MM-DD (UTC; default 30 days ago)",
    )
    parser.add_argument(
        "--until",
        dest="report_until",
        type=_until,
        metavar="DATE",
        help="last day of the period, included (UTC; default now)",
    )
    parser.add_argument(
        "--expiring",
        dest="report_expiring",
        type=int,
        default=30,
        metavar="DAYS",
        help="list keys and certificates expiring within DAYS (default 30)",
    )


def _disclosure_options(parser: argparse.ArgumentParser) -> None:
    _options(parser)
    parser.add_argument(
        "--patient",
        dest="report_patient",
        required=True,
        metavar="ROSTER_ID",
        help="the patient's roster id",
    )
    parser.add_argument(
        "--since",
        dest="report_since",
        type=_since,
        default=None,
        metavar="DATE",
        help="first day, YYYY-MM-DD (UTC; default: the start of the log)",
    )
    parser.add_argument(
        "--until",
        dest="report_until",
        type=_until,
        default=None,
        metavar="DATE",
        help="last day, included (UTC; default now)",
    )


def _open(ctx: Context, args: argparse.Namespace) -> AuditLog:
    with failing_as(PREFIX):
        a = ctx.settings.audit
        key_file = args.report_key_file or a.key_file
        anchor = args.report_anchor_file
        if anchor is None and args.report_key_file is None:
            anchor = a.anchor_file
        if not Path(key_file).exists():
            # Opening would create a fresh key, and then no record could ever verify.
            raise AuditKeyError(f"audit key file {key_file} does not exist")
        # Read-only: a report never creates or migrates a database.
        return AuditLog(args.report_url or a.url, Path(key_file), anchor, read_only=True)


def _verify(log: AuditLog, force: bool) -> reports.Integrity:
    """The chain's integrity; refuses (exit 1, after printing the problems) unless it is intact
    or `force` is given."""
    result = log.verify()
    integrity = reports.Integrity(result.ok, result.checked, tuple(str(p) for p in result.problems))
    if result.ok:
        return integrity
    for problem in integrity.problems:
        print(problem, file=sys.stderr)
    if force:
        print(
            f"{PREFIX}: audit chain failed verification ({len(integrity.problems)} "
            "problem(s)); reporting anyway (--force), the report says so on its first line",
            file=sys.stderr,
        )
        return integrity
    raise CommandFailed(
        f"{PREFIX}: audit chain failed verification ({len(integrity.problems)} problem(s) "
        f"in {result.checked} records); refusing to report (use --force to report anyway)",
        EXIT_FAILED,
    )


def _write(args: argparse.Namespace, report: reports.Report | reports.DisclosureReport) -> None:
    text = RENDERERS[args.report_format](report)
    if args.report_output is None:
        sys.stdout.write(text)
        return
    fd = os.open(args.report_output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def _key_rows(ctx: Context) -> tuple[list[Mapping[str, object]], list[str]]:
    rows: list[Mapping[str, object]] = []
    notes: list[str] = []
    for name, source in ctx.hooks.key_sources:
        try:
            rows.extend(source())
        except (PhigateError, OSError) as exc:
            # One missing keyring must not hide the rest of the report; the report says so.
            code = getattr(exc, "code", type(exc).__name__)
            notes.append(f"{name}: not listed ({code})")
    return rows, notes


def _check_period(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and since >= until:
        raise CommandFailed(f"{PREFIX}: --since must be before --until")


def report(ctx: Context, args: argparse.Namespace) -> int:
    """Figures for a period, read from the verified audit log."""
    until = args.report_until or datetime.now(UTC)
    since = args.report_since or until - DEFAULT_PERIOD
    _check_period(since, until)
    with closing(_open(ctx, args)) as log:
        integrity = _verify(log, args.report_force)
        records = reports.fetch_records(log.engine, since, until)
    rows, notes = _key_rows(ctx)
    extra = reports.ReportExtras(
        integrity=integrity,
        generated_at=ctx.hooks.clock(),
        key_rows=rows,
        key_notes=notes,
        expiring_within=timedelta(days=args.report_expiring),
    )
    _write(args, reports.build_report(records, since, until, extra))
    return EXIT_OK


def disclosures(ctx: Context, args: argparse.Namespace) -> int:
    """Every message that carried one patient's PHI, oldest first."""
    since, until = args.report_since, args.report_until
    _check_period(since, until)
    with closing(_open(ctx, args)) as log:
        integrity = _verify(log, args.report_force)
        # The JSON holds the id as a quoted string: a cheap pre-filter, checked exactly later.
        messages = reports.fetch_records(
            log.engine, since, until, findings_contain=f'"{args.report_patient}"'
        )
        consents = reports.fetch_records(
            log.engine,
            since,
            until + CONSENT_EVENT_SLACK if until is not None else None,
            actions=["consent-exception"],
        )
    extra = reports.ReportExtras(integrity=integrity, generated_at=ctx.hooks.clock())
    _write(
        args,
        reports.build_disclosures([*messages, *consents], args.report_patient, since, until, extra),
    )
    return EXIT_OK


COMMANDS = (
    Command(
        "report",
        "compliance report from the audit log (or: report disclosures --patient ID)",
        report,
        _report_options,
        description="Figures for a period, read from the verified audit log. A bare --until "
        "date includes that whole day (UTC). Without dates: the last 30 days.",
        metavar="SUBCOMMAND",
        subcommands=(
            Command(
                "disclosures",
                "accounting of disclosures of one patient's PHI",
                disclosures,
                _disclosure_options,
                description="Every message that carried the patient's PHI, oldest first: when, "
                "to which recipient domains, and how it was protected.",
            ),
        ),
    ),
)
