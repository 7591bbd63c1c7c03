"""`phigate report` on a real audit log (SQLite and PostgreSQL): figures, disclosures, tampering."""

from __future__ import annotations

import csv
import io
import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.audit import AuditLog
from gateway.cli.context import Hooks
from gateway.model import PhigateError
from gateway.reports.records import fetch_records
from tests.support.audit import run_sql
from tests.support.cli import phigate
from tests.support.reports import (
    ALICE,
    NOW,
    SINCE,
    UNTIL,
    at,
    fill_month,
    key_rows_pgp,
    key_rows_smime,
)

WARNING_START = "WARNING: audit chain failed verification ("
EXIT_OK, EXIT_UNVERIFIED, EXIT_ERROR = 0, 1, 2


@dataclass(frozen=True)
class ReportContext:
    """The audit log a report is pointed at, and its hooks (key rows and clock)."""

    url: str
    key_file: Path
    hooks: Hooks


class KeyringMissing(PhigateError):
    """A key source that cannot be read (stands in for a missing GnuPG home)."""

    code = "keyring-missing"


def _missing() -> list[dict[str, Any]]:
    raise KeyringMissing("no keyring")


def context(url: str, key_file: Path, *, broken_source: bool = False) -> ReportContext:
    """The context the lead's loader would build, with the test's key rows and clock."""
    sources: list[tuple[str, Any]] = [
        ("S/MIME certificates", key_rows_smime),
        ("OpenPGP keys", key_rows_pgp),
    ]
    if broken_source:
        sources.append(("spare keyring", _missing))
    return ReportContext(url, key_file, Hooks(key_sources=sources, clock=lambda: NOW))


@pytest.fixture
def month(audit_log: AuditLog, audit_db_url: str, audit_key_file: Path) -> ReportContext:
    """A log holding the hand-made month, and the report context pointing at it."""
    fill_month(audit_log)
    return context(audit_db_url, audit_key_file)


def run(ctx: ReportContext, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI and return (exit code, stdout, stderr)."""
    where = ["--url", ctx.url, "--key-file", str(ctx.key_file)]
    code = phigate(["report", *argv, *where], ctx.hooks)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_fetch_reads_the_period_by_timestamp(audit_log: AuditLog, month: ReportContext) -> None:
    """The read-only query keeps since <= ts < until, in chain order, on both backends."""
    recs = fetch_records(audit_log.engine, SINCE, UNTIL)
    refs = [r.ref_id for r in recs if not r.is_event]
    assert refs == ["M5", "M3", "M1", "M2", "M4", "M6", "M7", "M8", "M10", "M11"]
    assert sum(r.is_event for r in recs) == 18
    assert recs[0].ts == at(13)
    boundary = fetch_records(audit_log.engine, at(1, 0, month=12), None)
    assert [r.ref_id for r in boundary if not r.is_event] == ["M9"]


def test_csv_report_from_the_log(
    month: ReportContext, capsys: pytest.CaptureFixture[str], audit_log: AuditLog
) -> None:
    """The CSV report read from the log carries the hand-worked November figures."""
    code, out, err = run(
        month, capsys, "--since", "2026-11-01", "--until", "2026-11-30", "--format", "csv"
    )
    assert code == EXIT_OK, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["section", "name", "value", "detail"]
    figures = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert figures[("summary", "messages")] == "10"
    assert figures[("summary", "events")] == "18"
    assert figures[("action", "encrypt")] == "2"
    assert figures[("action", "consent_allow")] == "2"
    assert figures[("rule", "phi-external")] == "4"
    assert figures[("sender", audit_log.keyed_hash(ALICE)[:12])] == "5"
    assert figures[("domain", "lab.example")] == "6"
    assert figures[("consent_id", "C-7")] == "1"
    assert figures[("misdirected", "M4")] == "block"
    assert (
        figures[("quarantine", "held")],
        figures[("quarantine", "released")],
        figures[("quarantine", "deleted")],
    ) == ("1", "1", "1")
    assert (
        figures[("portal", "read")],
        figures[("portal", "unread")],
        figures[("portal", "expired")],
    ) == ("1", "2", "1")
    assert [r[1] for r in rows if r[0] == "key"] == ["CC" * 8, "EE" * 8, "AA" * 8]


def test_html_report_written_to_a_private_file(
    month: ReportContext, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--output writes one self-contained HTML file, readable by its owner only."""
    target = tmp_path / "nov.html"
    code, out, err = run(
        month,
        capsys,
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-30",
        "--format",
        "html",
        "--output",
        str(target),
    )
    assert (code, out) == (EXIT_OK, ""), err
    html = target.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "<svg" in html and "<script" not in html
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_unreadable_key_source_is_noted_not_fatal(
    audit_log: AuditLog, audit_db_url: str, audit_key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A key source that fails leaves a note naming its error code; the rest of the report stands."""
    fill_month(audit_log)
    ctx = context(audit_db_url, audit_key_file, broken_source=True)
    code, out, _ = run(ctx, capsys, "--since", "2026-11-01", "--until", "2026-11-30")
    assert code == EXIT_OK
    assert "note: spare keyring: not listed (keyring-missing)" in out
    assert "l***@lab.example" in out


def test_disclosures_from_the_log(month: ReportContext, capsys: pytest.CaptureFixture[str]) -> None:
    """`report disclosures` lists exactly P-100's November messages, oldest first, with protection."""
    code, out, err = run(
        month,
        capsys,
        "disclosures",
        "--patient",
        "P-100",
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-30",
        "--format",
        "csv",
    )
    assert code == EXIT_OK, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows == [
        ["time", "ref", "recipient domains", "entity types", "protection", "consent ids"],
        ["2026-11-10 09:00:00Z", "M1", "lab.example", "PERSON US_SSN", "encrypted (S/MIME) x1", ""],
        [
            "2026-11-11 09:00:00Z",
            "M3",
            "insurer.example lab.example",
            "PERSON",
            "encrypted (PGP) x1; portal x1",
            "",
        ],
        [
            "2026-11-13 09:00:00Z",
            "M5",
            "family.example",
            "MEDICAL_CONDITION PERSON",
            "consent exception x1",
            "C-7",
        ],
    ]


def test_disclosures_all_time_skip_look_alike_ids(
    month: ReportContext, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a period every P-100 message appears, and P-1000's does not."""
    code, out, _ = run(month, capsys, "disclosures", "--patient", "P-100", "--format", "csv")
    assert code == EXIT_OK
    assert [r[1] for r in list(csv.reader(io.StringIO(out)))[1:]] == ["M0", "M1", "M3", "M5", "M9"]


def test_tampered_chain_refuses_the_report(
    month: ReportContext, audit_log: AuditLog, capsys: pytest.CaptureFixture[str]
) -> None:
    """An edited record makes the report exit 1 and name the problem, printing no figures."""
    run_sql(audit_log, "UPDATE audit_records SET action = 'deliver' WHERE ref_id = 'M6'")
    code, out, err = run(month, capsys, "--since", "2026-11-01", "--until", "2026-11-30")
    assert code == EXIT_UNVERIFIED
    assert out == ""
    assert "M6" in err and "edited" in err
    code, out, err = run(month, capsys, "disclosures", "--patient", "P-100")
    assert (code, out) == (EXIT_UNVERIFIED, "")


@pytest.mark.parametrize("fmt", ["table", "csv", "html"])
def test_forced_report_on_tampered_chain_warns_first(
    month: ReportContext, audit_log: AuditLog, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """With --force every format's first line says the chain failed, with the problem count."""
    run_sql(audit_log, "DELETE FROM audit_records WHERE ref_id = 'M2'")
    problems = len(audit_log.verify().problems)
    assert problems >= 1
    expected = (
        f"{WARNING_START}{problems} problem{'' if problems == 1 else 's'}); figures may be wrong"
    )
    code, out, err = run(
        month, capsys, "--since", "2026-11-01", "--until", "2026-11-30", "--format", fmt, "--force"
    )
    assert code == EXIT_OK
    assert expected in out.splitlines()[0]
    assert "deleted" in err and "reporting anyway" in err
    code, out, _ = run(
        month, capsys, "disclosures", "--patient", "P-100", "--format", fmt, "--force"
    )
    assert code == EXIT_OK
    assert expected in out.splitlines()[0]


def test_missing_key_file_is_an_error_not_a_fresh_key(
    audit_db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the audit key the report exits 2 and creates no key that would hide tampering."""
    key = tmp_path / "nokeys" / "audit.key"
    code, out, err = run(
        context(audit_db_url, key), capsys, "--since", "2026-11-01", "--until", "2026-11-30"
    )
    assert (code, out) == (EXIT_ERROR, "")
    assert "does not exist" in err
    assert not key.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["--since", "2026-12-01", "--until", "2026-11-30"],
        ["--since", "2099-01-01"],
    ],
)
def test_bad_periods_are_usage_errors(
    month: ReportContext, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """A backwards period (or one that starts after now, the default end) exits 2."""
    code, out, err = run(month, capsys, *argv)
    assert (code, out) == (EXIT_ERROR, "")
    assert "phigate report:" in err


def test_unparseable_date_is_rejected(
    month: ReportContext, capsys: pytest.CaptureFixture[str]
) -> None:
    """A date that is not ISO is refused by the argument parser."""
    with pytest.raises(SystemExit) as exc:
        run(month, capsys, "--since", "11/01/2026", "--until", "2026-11-30")
    assert exc.value.code == 2
    assert "not a date" in capsys.readouterr().err


def test_without_dates_the_report_covers_the_last_30_days(
    month: ReportContext, capsys: pytest.CaptureFixture[str]
) -> None:
    """`phigate report` with no period reports on the 30 days up to now."""
    code, out, err = run(month, capsys)
    assert code == 0, err
    today = datetime.now(UTC).date()
    assert str(today - timedelta(days=30)) in out and str(today) in out
