"""`phigate serve` starts the detection fork server early only when this process will use it."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.detectfork import wanted_early

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
