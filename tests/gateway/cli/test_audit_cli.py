"""`phigate audit verify|show|rotate-key`, run through the one entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from gateway.audit import AuditLog
from tests.support.audit import audit_cli, fill, made_log, ref
from tests.support.cli import phigate as main

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


def _flags(url: str, key_file: Path) -> list[str]:
    return ["--url", url, "--key-file", str(key_file)]


def test_verify_intact_exits_zero(
    audit_log: AuditLog, audit_db_url: str, audit_key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """verify on an intact log exits 0 and says how many records it checked."""
    fill(audit_log, 3)
    assert main(["audit", "verify", *_flags(audit_db_url, audit_key_file)]) == EXIT_OK
    assert capsys.readouterr().out == "audit log intact: 3 records verified\n"


def test_verify_tampered_prints_one_line_per_problem(
    audit_log: AuditLog, audit_db_url: str, audit_key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """verify exits 1 and prints one line per problem, naming seq, ref id and kind."""
    fill(audit_log, 5)
    with audit_log.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_records SET action = 'deliver' WHERE seq = 2"))
        conn.execute(sa.text("DELETE FROM audit_records WHERE seq = 4"))
    assert main(["audit", "verify", *_flags(audit_db_url, audit_key_file)]) == EXIT_PROBLEMS
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"seq 2 (ref {ref(2)}): edited: MAC mismatch")
    assert lines[1].startswith("seq 4 (ref ?): deleted: ")


def test_show_json_lists_newest_first(
    audit_log: AuditLog, audit_db_url: str, audit_key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """show --json --limit 2 prints the two newest records as JSON."""
    fill(audit_log, 3)
    flags = _flags(audit_db_url, audit_key_file)
    assert main(["audit", "show", "--json", "--limit", "2", *flags]) == EXIT_OK
    rows = json.loads(capsys.readouterr().out)
    assert [(r["seq"], r["ref_id"], r["action"]) for r in rows] == [
        (3, ref(3), "encrypt"),
        (2, ref(2), "encrypt"),
    ]


def test_show_table_has_one_line_per_record(
    audit_log: AuditLog, audit_db_url: str, audit_key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """show prints a header row, then one line per record with its ref id and domains."""
    fill(audit_log, 2)
    assert main(["audit", "show", *_flags(audit_db_url, audit_key_file)]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[0].split() == [
        "SEQ",
        "TIME",
        "REFERENCE",
        "ACTION",
        "SIZE",
        "RECIPIENT",
        "DOMAINS",
        "KEY",
    ]
    assert ref(2) in lines[1] and "lab.example,insurer.example" in lines[1]
    assert ref(1) in lines[2]
    # The columns line up under their headings.
    assert lines[1].index(ref(2)) == lines[0].index("REFERENCE")


def test_show_looks_up_a_reference_id(
    audit_log: AuditLog, audit_db_url: str, audit_key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """show --ref prints only that message's record; an unknown reference says so, exit 1."""
    fill(audit_log, 3)
    flags = _flags(audit_db_url, audit_key_file)
    assert main(["audit", "show", "--ref", ref(2), *flags]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and ref(2) in lines[1]
    assert main(["audit", "show", "--ref", "PG-20990101-NOSUCHREF", *flags]) == EXIT_PROBLEMS
    err = capsys.readouterr().err
    assert "no audit record has reference ID PG-20990101-NOSUCHREF" in err


def test_rotate_key_prints_new_id(
    audit_log: AuditLog, audit_db_url: str, audit_key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """rotate-key prints the new key id, makes it active, and the log still verifies."""
    fill(audit_log, 2)
    flags = _flags(audit_db_url, audit_key_file)
    assert main(["audit", "rotate-key", *flags]) == EXIT_OK
    assert capsys.readouterr().out == "k2\n"
    assert json.loads(audit_key_file.read_text())["active"] == "k2"
    assert main(["audit", "verify", *flags]) == EXIT_OK


def test_missing_key_file_is_an_error_not_a_new_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """verify with no key file exits 2 and does not create a key that would orphan the log."""
    key_file = tmp_path / "nokeys" / "audit.key"
    assert main(["audit", "verify", *_flags(f"sqlite:///{tmp_path}/a.db", key_file)]) == EXIT_ERROR
    assert "audit-key-invalid" in capsys.readouterr().err
    assert not key_file.exists()


def test_config_supplies_settings_and_flags_override(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--config names the log; an explicit --key-file overrides the configured one."""
    url, key_file, anchor = (
        f"sqlite:///{tmp_path}/cfg.db",
        tmp_path / "cfg.key",
        tmp_path / "cfg.anchor",
    )
    log = AuditLog(url, key_file, anchor)
    fill(log, 2)
    log.close()
    config = tmp_path / "gw.yaml"
    audit = {"url": url, "key_file": str(key_file), "anchor_file": str(anchor)}
    config.write_text(json.dumps({"audit": audit}))  # JSON is YAML

    assert main(["audit", "verify", "--config", str(config)]) == EXIT_OK
    assert "2 records verified" in capsys.readouterr().out

    elsewhere = tmp_path / "elsewhere.key"
    assert main(["audit", "verify", "--config", str(config), "--key-file", str(elsewhere)]) == (
        EXIT_ERROR
    )
    assert "elsewhere.key" in capsys.readouterr().err


def test_module_entry_point_runs(tmp_path: Path) -> None:
    """`python -m gateway.cli.main audit verify` works as a real process with default paths."""
    log = AuditLog(f"sqlite:///{tmp_path}/var/audit.db", tmp_path / "var/keys/audit.key")
    fill(log, 2)
    log.close()
    done = audit_cli("verify", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "audit log intact: 2 records verified\n")


def test_missing_key_is_an_error_and_is_not_created(tmp_path: Path):
    """Without the key file verify fails, naming it, and makes no fresh key."""
    url, key = made_log(tmp_path)
    other = tmp_path / "elsewhere" / "audit.key"
    done = audit_cli("verify", "--url", url, "--key-file", str(other))
    assert done.returncode != 0 and str(other) in done.stderr
    assert not other.exists()


def test_fresh_log_verifies_intact(tmp_path: Path):
    """A log the gateway created but never wrote to verifies intact, with its anchor in place."""
    url, key = made_log(tmp_path)
    done = audit_cli("verify", "--url", url, "--key-file", str(key))
    assert done.returncode == 0, done.stderr
    assert "intact: 0 records" in done.stdout
