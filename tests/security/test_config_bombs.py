"""Regression: a hostile config or policy file fails fast with file:line, never eats minutes and GBs."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.model import ConfigError
from gateway.yamlconf import load_yaml
from tests.support.deploy import run_phigate

# Well under what the old loader needed: it expanded 9**9 (387 million) values.
TIMEOUT_S = 60


def _billion_laughs(first_line: str = "") -> str:
    text = first_line + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    return text


def _refused(kind: str, path: Path) -> str:
    """Run `phigate KIND check PATH`: it must fail, without a traceback; returns its stderr."""
    done = run_phigate(kind, "check", str(path), timeout=TIMEOUT_S)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    return done.stderr


def test_config_check_refuses_a_billion_laughs(tmp_path: Path):
    """`config check` on a billion-laughs file exits at once with a one-line file:line error."""
    path = tmp_path / "bomb.yaml"
    path.write_text(_billion_laughs())
    stderr = _refused("config", path)
    assert f"{path}:" in stderr and "expands to more than" in stderr


def test_policy_check_refuses_a_billion_laughs(tmp_path: Path):
    """A policy file goes through the same bounded loader (the gateway loads it at every start)."""
    path = tmp_path / "policy.yaml"
    path.write_text(_billion_laughs("version: 1\n"))
    stderr = _refused("policy", path)
    assert f"{path}:" in stderr and "expands to more than" in stderr


def test_too_many_aliases_are_refused_at_the_alias():
    """Past 100 alias uses the error names the line of the first alias too many."""
    text = "x: &x 1\n" + "".join(f"k{i}: *x\n" for i in range(101))
    with pytest.raises(ConfigError) as err:
        load_yaml(text, "many.yaml")
    assert str(err.value).startswith("many.yaml:102:")
    assert "alias" in str(err.value)


def test_a_few_aliases_still_work():
    """Ordinary anchors and aliases keep working."""
    data, _ = load_yaml("base: &b {port: 25}\nother: *b\n", "ok.yaml")
    assert data == {"base": {"port": 25}, "other": {"port": 25}}


def test_deep_nesting_is_an_error_not_a_recursion_crash(tmp_path: Path):
    """A file of opening brackets ends in a config error, not a RecursionError traceback."""
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 100_000 + "\n")
    stderr = _refused("config", path)
    assert f"{path}:1:" in stderr and "nested deeper" in stderr


def test_a_huge_file_is_refused_unread(tmp_path: Path):
    """A config file over 1 MiB is refused by its size."""
    path = tmp_path / "huge.yaml"
    path.write_text("# padding\n" * 200_000)
    stderr = _refused("config", path)
    assert f"{path}: larger than 1024 KiB" in stderr
