"""A real Chromium at a phone's 390 px signs in to the console with a TOTP code, traces a
message, releases a held one from quarantine, and applies a broken policy to see the error at
its line (tests/browser/console_flow.mjs).

Needs node, Debian's /usr/bin/chromium and `tests/browser/install.sh` (playwright-core); any
of them missing is a failure, not a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.audit import AuditLog
from gateway.quarantine import QuarantineStore
from tests.gateway.console.conftest import PASSWORD, Console
from tests.support.quarantine import RAW, RECIPIENTS, SENDER, put
from tests.support.reports import fill_month

BROWSER_DIR = Path(__file__).resolve().parents[2] / "browser"
CHROMIUM = Path(os.environ.get("PHIGATE_CHROMIUM", "/usr/bin/chromium"))


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: apt-get install nodejs (Node 20 or newer)")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    if not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        pytest.fail("playwright-core is not installed: run tests/browser/install.sh")
    return node


def _internal_action_line(policy: Path) -> int:
    lines = policy.read_text(encoding="utf-8").splitlines()
    start = lines.index("  - name: internal")
    return next(i for i in range(start, len(lines)) if lines[i].strip() == "action: deliver") + 1


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_console_in_chromium_at_390px(
    console: Console, audit_log: AuditLog, store: QuarantineStore, policy_file: Path
) -> None:
    """Sign-in with TOTP, trace, release and a policy error at its line all work in Chromium,
    with __Host- cookies, and no page scrolls sideways at 390 px."""
    node = _node()
    # The browser computes its code from the real time; the app's clock is set to it.
    console.clock.now = datetime.now(UTC)
    fill_month(audit_log)
    entry = put(store)
    original = policy_file.read_text(encoding="utf-8")
    bad_line = _internal_action_line(policy_file)
    proc = subprocess.run(
        [
            node,
            str(BROWSER_DIR / "console_flow.mjs"),
            "--base",
            console.url,
            "--user",
            "olga",
            "--password",
            PASSWORD,
            "--secret",
            console.secrets["olga"],
            "--ref",
            "M3",
            "--expect-stage",
            "insurer-portal",
            "--entry",
            entry,
            "--bad-line",
            str(bad_line),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=180,
        cwd=BROWSER_DIR,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["signed_in"] and result["traced"] and result["released"]
    session = next(c for c in result["cookies"] if c["name"] == "__Host-pgconsole")
    assert session["secure"] and session["httpOnly"] and session["sameSite"] == "Strict"
    assert console.released == [(RAW, SENDER, RECIPIENTS)]
    assert store.meta(entry)["status"] == "released"
    assert f"<draft>:{bad_line}:" in result["policy_error"]
    assert result["error_line_marked"] and "teleport" in result["error_line_text"]
    assert policy_file.read_text(encoding="utf-8") == original
    assert {
        name: page["sideways"] for name, page in result["pages"].items() if page["sideways"]
    } == {}
