"""`phigate serve` starts the detection fork server early only when this process will use it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.config import Settings
from gateway.detectfork import wanted_early, wanted_for

REPO = Path(__file__).resolve().parents[2]

CASES = [
    # (config file text or None for no --config, extra flags, started early)
    (None, [], True),
    (None, ["--workers", "1"], True),
    (None, ["--workers", "2"], False),  # each forked worker starts its own
    ("workers: 2\n", [], False),
    ("workers: 2\n", ["--workers", "1"], True),  # the flag wins, as in the settings
    ("detection:\n  detector: null\n", [], False),
    ("detection:\n  processes: 0\n", [], False),
    ("detection:\n  processes: 2\n  ocr: false\n", [], True),
    ("listen: 127.0.0.1:2525\n", ["--listen", "127.0.0.1:2526"], True),
    ("detection: [not, a, mapping]\n", [], True),
    ("detection: {processes: 0\n", [], False),  # broken YAML: serve will refuse it anyway
]


@pytest.mark.parametrize(("config", "flags", "early"), CASES)
def test_early_start_follows_flags_and_config(
    tmp_path: Path, config: str | None, flags: list[str], early: bool
) -> None:
    """Several workers, the null detector and processes: 0 need no server in this process."""
    args = list(flags)
    if config is not None:
        path = tmp_path / "phigate.yaml"
        path.write_text(config)
        args += ["--config", str(path)]
    assert wanted_early(args) is early


def test_a_missing_config_file_starts_nothing(tmp_path: Path) -> None:
    """serve fails on a missing file; no fork server is started for it."""
    assert wanted_early(["--config", str(tmp_path / "absent.yaml")]) is False


@pytest.mark.parametrize(
    ("detection", "wanted"),
    [
        ({}, True),
        ({"processes": 1}, True),
        ({"processes": 0}, False),  # scans on the worker's own threads
        ({"detector": "null"}, False),
        ({"detector": "null", "processes": 2}, False),
    ],
)
def test_a_forked_worker_starts_its_server_when_it_scans_in_processes(
    detection: dict[str, object], wanted: bool
) -> None:
    """With several workers each starts its own fork server first thing after the fork
    (gateway.ops.server), read off the loaded settings."""
    assert wanted_for(Settings.model_validate({"detection": detection})) is wanted


# A worker that scans one message in a detection process, run as a script from elsewhere (as
# the `phigate` script is): its own path starts with the script's folder, not the working
# directory, so only the fork server could read that.
_SCAN_ONE = """
from detectors.config import DetectorConfig
from detectors.extract import ExtractLimits
from gateway.detectpool import DetectionProcesses

pool = DetectionProcesses(DetectorConfig(), ExtractLimits(ocr_enabled=False), 1, "path")
try:
    scan = pool.scan(
        b"From: frontdesk@practice.example\\r\\nTo: billing@partner.example\\r\\n"
        b"Subject: claim\\r\\n\\r\\nPatient John Smith, SSN 123-45-6789, DOB 01/02/1960, "
        b"seen for type 2 diabetes.\\r\\n"
    )
    print("phi" if scan.phi else "clean")
finally:
    pool.close()
"""


def test_detection_processes_import_nothing_from_the_working_directory(tmp_path: Path) -> None:
    """A `gateway` package in the directory serve runs in is not what the detection processes
    import: the fork server is started with `python -c`, which would put that directory first on
    its path (Python 3.11's fork server ignores the sys.path it is handed)."""
    cwd = tmp_path / "data"
    (cwd / "gateway").mkdir(parents=True)
    marker = tmp_path / "imported-from-cwd"
    (cwd / "gateway" / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    script = tmp_path / "scan_one.py"
    script.write_text(_SCAN_ONE)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSAFEPATH"}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert not marker.exists(), "the fork server imported gateway/ from the working directory"
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "phi"
