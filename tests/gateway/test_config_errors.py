"""Bad configuration ends in one line naming the setting or file and a non-zero exit, never a traceback.

Each case runs `phigate config check`, `phigate serve` and the store command that opens what is
broken, as separate processes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gateway.audit.keys import AUDIT_KEY
from gateway.quarantine.keys import QUARANTINE_MASTER_KEY
from tests.support.gateway import free_port

REPO = Path(__file__).resolve().parents[2]
UNREACHABLE_PG = "postgresql+psycopg://postgres@127.0.0.1:1/test"


def _config(tmp_path: Path, **changes: Any) -> Path:
    doc: dict[str, Any] = {
        "listen": f"127.0.0.1:{free_port()}",
        "metrics": {"listen": None},
        "audit": {"url": f"sqlite:///{tmp_path}/audit.db", "key_file": str(tmp_path / "audit.key")},
        "quarantine": {
            "url": f"sqlite:///{tmp_path}/quarantine.db",
            "master_key_file": str(tmp_path / "quarantine.key"),
        },
        "portal": {
            "store_url": f"sqlite:///{tmp_path}/portal.db",
            "master_key_file": str(tmp_path / "portal.key"),
        },
        "patients": {
            "url": f"sqlite:///{tmp_path}/patients.db",
            "key_file": str(tmp_path / "roster.key"),
        },
        "pgp": {"home": str(tmp_path / "gpg")},
        "smime": {"store_dir": str(tmp_path / "certs")},
    }
    for section, values in changes.items():
        doc[section] = {**doc.get(section, {}), **values}
    path = tmp_path / "phigate.yaml"
    path.write_text(json.dumps(doc))
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [sys.executable, "-m", "gateway.cli.main", *args],
            cwd=REPO, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"phigate {' '.join(args)} kept running on a bad configuration")


def _broken(tmp_path: Path, case: str) -> tuple[Path, str, list[str]]:
    """A config with one thing wrong, what the error must name, and the store command to try."""
    # Valid keys, so that only the named setting is wrong (the store commands want their keys).
    (tmp_path / "audit.key").write_bytes(AUDIT_KEY.fresh().to_json())
    (tmp_path / "quarantine.key").write_bytes(QUARANTINE_MASTER_KEY.fresh().to_json())
    if case == "audit-url-unreachable":
        cfg = _config(tmp_path, audit={"url": UNREACHABLE_PG})
        return cfg, "127.0.0.1", ["audit", "show", "--config", str(cfg)]
    if case == "quarantine-url-unknown-scheme":
        cfg = _config(tmp_path, quarantine={"url": "mysql://db.example/q"})
        return cfg, "mysql://db.example/q", ["quarantine", "list", "--config", str(cfg)]
    if case == "audit-key-malformed":
        (tmp_path / "audit.key").write_text('{"active": "k1"')
        cfg = _config(tmp_path)
        return cfg, str(tmp_path / "audit.key"), ["audit", "verify", "--config", str(cfg)]
    if case == "quarantine-key-malformed":
        (tmp_path / "quarantine.key").write_text('{"active": "q1", "keys": {"q1": "zz"}}')
        cfg = _config(tmp_path)
        return cfg, str(tmp_path / "quarantine.key"), ["quarantine", "list", "--config", str(cfg)]
    if case == "portal-key-malformed":
        (tmp_path / "portal.key").write_text("not json\n")
        cfg = _config(tmp_path)
        return cfg, str(tmp_path / "portal.key"), []
    assert case == "roster-key-malformed"
    key = tmp_path / "roster.key"
    key.write_text("not hex\n")
    key.chmod(0o600)
    cfg = _config(tmp_path)
    return cfg, str(key), ["patients", "show", "--config", str(cfg), "R1"]


CASES = [
    "audit-url-unreachable",
    "quarantine-url-unknown-scheme",
    "audit-key-malformed",
    "quarantine-key-malformed",
    "portal-key-malformed",
    "roster-key-malformed",
]


def _assert_one_line(done: subprocess.CompletedProcess[str], names: str) -> None:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    errors = [
        line for line in done.stderr.splitlines() if line.strip() and "warning" not in line.lower()
    ]
    assert len(errors) == 1, done.stderr
    assert names in errors[0]


@pytest.mark.parametrize("case", CASES)
def test_config_check_names_the_problem_in_one_line(tmp_path: Path, case: str):
    """`config check` checks stores and key files, not only the YAML."""
    cfg, names, _store = _broken(tmp_path, case)
    _assert_one_line(_run("config", "check", str(cfg)), names)


@pytest.mark.parametrize("case", CASES)
def test_serve_stops_with_one_line(tmp_path: Path, case: str):
    """`serve` refuses to start, with one line, instead of failing at the first message."""
    cfg, names, _store = _broken(tmp_path, case)
    _assert_one_line(_run("serve", "--config", str(cfg)), names)


@pytest.mark.parametrize("case", [c for c in CASES if c != "portal-key-malformed"])
def test_store_command_stops_with_one_line(tmp_path: Path, case: str):
    """The store's own command gives the same kind of one-line error."""
    _cfg, names, store = _broken(tmp_path, case)
    _assert_one_line(_run(*store), names)


def test_config_check_prints_the_smime_warnings(tmp_path: Path):
    """`config check` passes on a good config and prints the S/MIME warnings (no signer here)."""
    done = _run("config", "check", str(_config(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert "warning: smime.sign_file is not set" in done.stderr
