"""Run `phigate scan --json` over a set of messages, as a user would, and read its verdicts."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def scan_cases(folder: Path, cases: dict[str, Callable[[], bytes]]) -> dict[str, dict]:
    """Write each case to `folder` as NAME.eml, scan the folder once, return records by name."""
    for name, build in cases.items():
        (folder / f"{name}.eml").write_bytes(build())
    run = subprocess.run(
        [str(REPO / ".venv" / "bin" / "phigate"), "scan", "--json", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr[-2000:]
    records = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    return {Path(r["path"]).stem: r for r in records}


def flagged(record: dict) -> bool:
    """The scanner called the message PHI or found a part it could not read."""
    return bool(record["phi"] or record["unscannable"])
