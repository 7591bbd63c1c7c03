"""Helpers the deployment tests share: paths, the phigate CLI, and config checks."""

from __future__ import annotations

import contextlib
import functools
import io
import re
import subprocess
from pathlib import Path

from gateway.cli.main import build_parser, command_registry
from tests.support.postfix import phigate_executable

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"


def run_phigate(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the phigate CLI of this checkout and return its result (never raises on exit code)."""
    return subprocess.run(
        [str(phigate_executable()), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def config_check(text: str, directory: Path) -> subprocess.CompletedProcess[str]:
    """Write a config file into directory and run `phigate config check` on it."""
    path = directory / "phigate.yaml"
    path.write_text(text, encoding="utf-8")
    return run_phigate("config", "check", str(path))


@functools.cache
def help_text(*path: str) -> str:
    """Return what `phigate PATH... --help` prints, from the CLI's own parser in this process.

    A process start costs about two seconds and the guide names some fifteen command paths;
    other tests start the console script itself.
    """
    out = io.StringIO()
    parser = build_parser(command_registry())
    with contextlib.redirect_stdout(out):
        try:
            parser.parse_args([*path, "--help"])
        except SystemExit as exc:
            if exc.code != 0:
                raise AssertionError(f"phigate {' '.join(path)} --help failed: {exc.code}") from exc
        else:
            raise AssertionError(f"phigate {' '.join(path)} --help printed no help")
    return out.getvalue()


def subcommands(*path: str) -> set[str]:
    """Return the sub-command names `phigate PATH... --help` lists."""
    text = help_text(*path)
    names: set[str] = set()
    # argparse lists choices as {a,b,c} in the usage, and each one indented under SUBCOMMAND.
    for choices in re.findall(r"\{([a-z0-9,-]+)\}", text):
        names.update(choices.split(","))
    names.update(re.findall(r"^    ([a-z][a-z0-9-]*)\b", text, re.MULTILINE))
    return names


def options(*path: str) -> set[str]:
    """Return the long options `phigate PATH... --help` accepts."""
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", help_text(*path)))
