"""The shipped systemd units stay hardened: `systemd-analyze security` scores each at 2.0 or below."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
LIMIT = 2.0
SCORE = re.compile(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)")


def _score(unit: Path) -> float:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.fail("systemd-analyze is missing: apt-get install systemd")
    run = subprocess.run(
        [tool, "security", "--offline=true", "--no-pager", unit.name],
        cwd=unit.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    match = SCORE.search(run.stdout + run.stderr)
    assert match, run.stdout[-2000:] + run.stderr[-2000:]
    return float(match.group(1))


@pytest.mark.parametrize("unit", sorted(p.name for p in UNITS.glob("*.service")))
def test_unit_exposure_is_low(unit: str) -> None:
    """Each service unit scores at most 2.0 (systemd's 'OK' band) offline."""
    assert _score(UNITS / unit) <= LIMIT


def test_a_bare_unit_scores_high(tmp_path: Path) -> None:
    """The check can fail: the same service without its hardening scores far above the limit."""
    text = (UNITS / "phigate.service").read_text()
    bare = text[: text.index("# Hardening:")] + text[text.index("[Install]") :]
    (tmp_path / "bare.service").write_text(bare)
    assert _score(tmp_path / "bare.service") > LIMIT


def test_every_service_has_its_timer_or_install_section() -> None:
    """The housekeeping service is started by its timer; the others are enabled directly."""
    assert (UNITS / "phigate-housekeeping.timer").is_file()
    for unit in ("phigate.service", "phigate-portal.service"):
        assert "[Install]" in (UNITS / unit).read_text()
