"""Config and policy files: typed, frozen, and every error names the file, line and column."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from gateway.cli.main import main
from gateway.config import Settings, load_settings
from gateway.model import ConfigError
from gateway.policy.rules import load_policy
from tests.support import POLICIES
from tests.support.tables import table


def _write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("text", "where", "what"),
    table("config.bad_config_names_file_line_and_column"),
)
def test_bad_config_names_file_line_and_column(tmp_path: Path, text: str, where: str, what: str):
    """Each kind of mistake is reported at its own line and column."""
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert f"{path}{where}" in str(err.value)
    assert what in str(err.value)


def test_flags_override_the_file(tmp_path: Path):
    """Command-line values win over the file; nested file values survive."""
    path = _write(tmp_path, "listen: 127.0.0.1:2525\nsmtp:\n  max_recipients: 7\n")
    s = load_settings(path, {"listen": "127.0.0.1:3535", "smtp": {"hostname": "gw.example"}})
    assert s.listen == "127.0.0.1:3535"
    assert s.smtp.max_recipients == 7 and s.smtp.hostname == "gw.example"


def test_settings_are_frozen_and_clone_rejects_unknown_keys():
    """Settings cannot be mutated; clone() validates and refuses unknown names."""
    s = Settings()
    with pytest.raises(ValidationError):
        s.workers = 3  # type: ignore[misc]
    assert s.clone(workers=3).workers == 3 and s.workers == 1
    with pytest.raises(TypeError, match="unknown settings: wrokers"):
        s.clone(wrokers=3)
    with pytest.raises(ValidationError):
        s.clone(workers=0)


def test_the_embedded_defaults_match_the_issue():
    """Defaults: listen 127.0.0.1:10025, next hop 127.0.0.1:10026, SQLite audit under var/."""
    s = Settings()
    assert (s.listen, s.next_hop) == ("127.0.0.1:10025", "127.0.0.1:10026")
    assert s.audit.url == "sqlite:///var/audit.db"
    assert s.delivery.tls == "opportunistic"


def test_per_destination_tls_policy_takes_the_strictest():
    """A delivery's TLS level is the strictest its recipients' domains ask for."""
    s = Settings().delivery.clone(tls_policy={"bank.example": "verify", "lab.example": "require"})
    assert s.tls_for(("a@x.example",)) == "opportunistic"
    assert s.tls_for(("a@lab.example", "b@x.example")) == "require"
    assert s.tls_for(("a@lab.example", "b@BANK.example")) == "verify"


def test_the_shipped_policy_loads():
    """policies/default.yaml is valid and delivers."""
    doc = load_policy(
        POLICIES / "default.yaml",
        ["deliver", "encrypt", "portal", "block", "quarantine", "consent_allow", "tag"],
        ["internal", "business_associates", "patients"],
    )
    assert doc.rules[-1].action.type == "deliver" and doc.rules[-1].when.phi is None


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        (
            "version: 1\nrules:\n  - name: a\n    action: teleport\n",
            ":4:13:",
            "unknown action 'teleport'",
        ),
        (
            "version: 1\nrules:\n  - name: a\n    action: deliver\n    colour: red\n",
            ":5:5:",
            "unknown key",
        ),
        ("version: 2\nrules:\n  - {name: a, action: deliver}\n", ":1:10:", "version"),
        ("version: 1\nrules: []\n", ":2:8:", "rules"),
        (
            "version: 1\nrules:\n  - {name: a, action: deliver}\n  - {name: a, action: deliver}\n",
            ":4:",
            "duplicate rule name",
        ),
    ],
)
def test_bad_policy_names_file_and_line(tmp_path: Path, text: str, where: str, what: str):
    """A bad policy is refused with the file, line and column of the mistake."""
    path = _write(tmp_path, text, "p.yaml")
    with pytest.raises(ConfigError) as err:
        load_policy(path, ["deliver"])
    assert f"{path}{where}" in str(err.value)
    assert what in str(err.value)


def test_policy_check_cli_reports_errors_with_exit_2(tmp_path: Path, capsys):
    """`phigate policy check` prints file:line and exits 2 on a bad file, 0 on a good one."""
    bad = _write(tmp_path, "version: 1\nrules:\n  - name: a\n    action: nope\n", "p.yaml")
    assert main(["policy", "check", str(bad)]) == 2
    assert f"{bad}:4:" in capsys.readouterr().err
    assert main(["policy", "check", str(POLICIES / "default.yaml")]) == 0


@pytest.mark.parametrize(
    ("processes", "workers", "cores", "each"),
    [
        ("auto", 1, 2, 2),  # one worker on two cores: two processes, as before auto
        ("auto", 2, 2, 1),  # two workers on two cores: one each, not four in all
        ("auto", 1, 1, 1),
        ("auto", 3, 2, 1),  # never below one
        ("auto", 1, 16, 2),  # never above AUTO_PROCESSES
        ("auto", 4, 16, 2),
        (3, 2, 2, 3),  # a number is taken as it is
        (0, 1, 2, 0),  # 0: scans on the worker's own threads
    ],
)
def test_detection_processes_auto_follows_the_workers_and_cores(
    tmp_path: Path, processes: object, workers: int, cores: int, each: int
):
    path = _write(tmp_path, f"workers: {workers}\ndetection:\n  processes: {processes}\n")
    settings = load_settings(path)
    assert settings.detection.processes_per_worker(settings.workers, cores) == each


def test_detection_processes_default_to_auto_and_refuse_other_words(tmp_path: Path):
    """auto is the default, reckoned on the cores this process may run on; another word is
    refused with its line."""
    settings = Settings()
    assert settings.detection.processes == "auto"
    cores = len(os.sched_getaffinity(0))
    assert settings.detection.processes_per_worker(1) == max(1, min(2, cores))
    path = _write(tmp_path, "detection:\n  processes: many\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert f"{path}:2" in str(err.value)
