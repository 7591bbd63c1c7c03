"""Run the scripts under bench/ as a user would: this Python, from the checkout."""

from __future__ import annotations

import functools
import subprocess
import sys

from tests.support import REPO

PHIGATE = REPO / ".venv" / "bin" / "phigate"


@functools.cache
def phigate_serve_available() -> bool:
    """Whether the installed phigate has a serve command."""
    try:
        proc = subprocess.run(
            [str(PHIGATE), "serve", "--help"], capture_output=True, timeout=60, cwd=REPO
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def run_script(script: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run bench/`script` with `args` from the checkout; its output is captured as text."""
    return subprocess.run(
        [sys.executable, str(REPO / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )
