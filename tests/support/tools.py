"""The client tools the interoperability tests drive: a missing one fails the test by name."""

from __future__ import annotations

import shutil
from collections.abc import Mapping

import pytest


def need_tool(tool: str, packages: Mapping[str, str], checks: str) -> str:
    """The path of `tool`, or a failure naming the Debian package (from `packages`) to install
    and the `checks` that cannot run without it."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail(
            f"{tool} is not installed: install the Debian package {packages[tool]} "
            f"({checks} cannot be checked without it)",
            pytrace=False,
        )
    return path
