"""deploy/phigate.example.yaml is generated from the configuration model and kept in sync with it
(issue 11): every section and key, each with its description and its default."""

from __future__ import annotations

import subprocess
import sys

import yaml

from gateway.config import Settings, load_settings
from tests.support import REPO

EXAMPLE = REPO / "deploy" / "phigate.example.yaml"
SCRIPT = REPO / "scripts" / "gen_example_config.py"


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )


def test_the_example_is_what_the_model_generates() -> None:
    """Regenerate and compare; when a setting changed, the failure says which script to run."""
    result = _script("--check")
    assert result.returncode == 0, result.stderr


def test_the_check_names_the_script_when_the_file_is_stale(tmp_path) -> None:
    """A stale example is reported with the command that fixes it."""
    generated = _script("--stdout")
    assert generated.returncode == 0, generated.stderr
    assert generated.stdout.startswith("# phigate configuration")
    stale = generated.stdout.replace("max_recipients: 100", "max_recipients: 99")
    assert stale != generated.stdout
    copy = tmp_path / "phigate.example.yaml"
    copy.write_text(stale, encoding="utf-8")
    result = _script("--check", "--file", str(copy))
    assert result.returncode == 1
    assert "run scripts/gen_example_config.py" in result.stderr
    assert "max_recipients: 100" in result.stderr  # the diff shows what changed


def test_every_section_is_there_with_a_description() -> None:
    """The sections the old hand-written file lacked are present, each introduced by a comment."""
    text = EXAMPLE.read_text(encoding="utf-8")
    lines = text.splitlines()
    for section in (
        "smtp",
        "portal",
        "notices",
        "groups",
        "quarantine",
        "smime",
        "pgp",
        "dkim",
        "patients",
        "audit",
        "node",
    ):
        at = lines.index(f"{section}:")
        assert lines[at - 1].startswith("# "), f"{section} has no description"
    data = yaml.safe_load(text)
    assert set(Settings.model_fields) - {"node"} <= set(data)


def test_the_example_loads_to_the_defaults() -> None:
    """Read back, the example configures exactly the defaults (the node id is the host's)."""
    loaded = load_settings(EXAMPLE).model_dump(mode="json")
    defaults = Settings().model_dump(mode="json")
    assert loaded == defaults
