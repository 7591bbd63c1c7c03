"""Smoke test of the audit append micro-benchmark (bench/audit_append.py); no timing assertions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.audit_append import main


def test_benchmark_runs_every_mode_and_prints_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tiny run prints a row per mode and a JSON line with rates, ratios and transactions."""
    assert main(["--entries", "40", "--repeat", "1", "--work-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines[2:5]] == ["loop", "executor", "writer"]
    result = json.loads(lines[-1])
    assert result["entries"] == 40 and result["backend"] == "sqlite"
    assert result["loop_transactions"] == result["executor_transactions"] == 40
    assert 1 <= result["writer_transactions"] <= 40
    assert all(result[f"{m}_per_s"] > 0 for m in ("loop", "executor", "writer"))
    assert result["ratio_writer_vs_loop"] > 0
    assert list(tmp_path.iterdir()) == []  # every run's database was removed
