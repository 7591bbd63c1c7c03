"""`phigate patients` and `phigate consent` commands, run through the one entry point."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli import phigate
from tests.support.patients import ROSTER_CSV, write_csv

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


@dataclass(frozen=True)
class Where:
    """The database and roster key file the commands are pointed at."""

    url: str
    key_file: Path


class Cli:
    """Runs patients/consent commands against one SQLite database and key file."""

    def __init__(self, tmp_path: Path) -> None:
        self.settings = Where(
            f"sqlite:///{tmp_path}/var/patients.db", tmp_path / "keys" / "roster.key"
        )

    def __call__(self, *argv: str) -> int:
        where = ["--url", self.settings.url, "--key-file", str(self.settings.key_file)]
        return phigate([*argv, *where])


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """A CLI over a fresh database."""
    return Cli(tmp_path)


ADD = (
    "consent", "add", "--address", "John.Smith@gmail.com", "--roster-id", "R-100",
    "--method", "signed-form", "--recorded-by", "amy", "--scope", "appointment_reminders",
    "--scope", "billing", "--exclude", "CPT", "--expires", "2099-01-01",
    "--obtained-at", "2026-01-05",
)  # fmt: skip


def test_roster_import_and_show(
    cli: Cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Import prints ids added; show prints counts and has_dob but no identifier."""
    assert cli("patients", "import", str(write_csv(tmp_path, ROSTER_CSV))) == EXIT_OK
    assert "4 added" in capsys.readouterr().out
    assert cli("patients", "show", "R-100") == EXIT_OK
    out = capsys.readouterr().out
    assert "has dob: yes" in out and "emails: 2" in out
    assert "Smith" not in out and "gmail" not in out
    assert cli("patients", "show", "R-999") == EXIT_ERROR
    assert "roster-not-found" in capsys.readouterr().err


def test_roster_import_bad_rows_exit_1_and_skip_bad(
    cli: Cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad rows exit 1 with line numbers and import nothing; --skip-bad imports the rest."""
    path = write_csv(tmp_path, "name,dob\nJane Doe,1980-01-02\nBad Date,1980-13-01\n")
    assert cli("patients", "import", str(path)) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "line 3: dob" in err and "nothing imported" in err
    assert cli("patients", "import", str(path), "--skip-bad") == EXIT_OK
    assert "1 added" in capsys.readouterr().out


def test_consent_commands_round_trip(
    cli: Cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """add prints an id; list, show (with history) and revoke use the masked address only."""
    assert cli("patients", "import", str(write_csv(tmp_path, ROSTER_CSV))) == EXIT_OK
    capsys.readouterr()
    assert cli(*ADD) == EXIT_OK
    cid = capsys.readouterr().out.strip()
    assert cid.startswith("C-")
    assert cli("consent", "list", "--active") == EXIT_OK
    out = capsys.readouterr().out
    assert cid in out and "j***@gmail.com" in out and "john.smith" not in out.lower()
    assert cli("consent", "revoke", cid, "--reason", "patient withdrew", "--by", "bob") == EXIT_OK
    capsys.readouterr()
    assert cli("consent", "list", "--active") == EXIT_OK
    assert cid not in capsys.readouterr().out
    assert cli("consent", "show", cid) == EXIT_OK
    out = capsys.readouterr().out
    assert "status: revoked" in out and "exclude: CPT" in out
    assert "granted" in out and "revoked" in out and "patient withdrew" in out
    assert cli("consent", "revoke", cid, "--reason", "again") == EXIT_ERROR
    assert "consent-state" in capsys.readouterr().err


def test_consent_for_unknown_address_is_an_error(
    cli: Cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An address off the roster exits 2 with the unknown-address code."""
    assert cli("patients", "import", str(write_csv(tmp_path, ROSTER_CSV))) == EXIT_OK
    argv = list(ADD)
    argv[argv.index("John.Smith@gmail.com")] = "someone@else.example"
    assert cli(*argv) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "consent-unknown-address" in err and "someone" not in err


def test_consent_needs_an_existing_roster_key(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    """Consent commands refuse to mint a fresh roster key (it would match nothing)."""
    assert cli("consent", "list") == EXIT_ERROR
    assert "roster-key-invalid" in capsys.readouterr().err
    assert not cli.settings.key_file.exists()


def test_consent_import_reports_lines(
    cli: Cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad consent file exits 1 naming the line; a good one records every row."""
    assert cli("patients", "import", str(write_csv(tmp_path, ROSTER_CSV))) == EXIT_OK
    header = "address,roster_id,method,recorded_by,scope,expires\n"
    good = "jose@example.org,R-101,phone,amy,lab_results,2099-01-01\n"
    bad = write_csv(
        tmp_path, header + good + "jose@example.org,R-100,phone,amy,billing,2099-01-01\n"
    )
    assert cli("consent", "import", str(bad)) == EXIT_FAILED
    assert "line 3: address" in capsys.readouterr().err
    assert cli("consent", "import", str(write_csv(tmp_path, header + good, "ok.csv"))) == EXIT_OK
    assert "1 consent(s) recorded" in capsys.readouterr().out
