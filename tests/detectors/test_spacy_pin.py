"""The installed spaCy is the one release pyproject.toml pins.

spaCy 3.8.8 and later are built with Cython 3.2 or newer, whose code for the NER parser's state
(`StateC`) takes and drops the GIL in nearly every method, while the parse runs without it: a
document of 300 tokens takes and drops it tens of thousands of times, and NER reads it 2.5x
slower than 3.8.7 does (docs/performance.md, "spaCy's parser and the GIL"). The entities are
the same. A range, or an upgrade in a venv, would bring that back unnoticed, since nothing else
fails: this test is what notices.
"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def pinned(package: str) -> str | None:
    """The release ``package`` is pinned to (``name==version``) in pyproject.toml, or None."""
    deps = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    for dep in deps:
        m = re.fullmatch(rf"{re.escape(package)}\s*==\s*([\w.]+)", dep.strip())
        if m:
            return m.group(1)
    return None


def test_spacy_is_pinned_to_one_release() -> None:
    assert pinned("spacy") == "3.8.7"


def test_the_installed_spacy_is_the_pinned_release() -> None:
    assert importlib.metadata.version("spacy") == pinned("spacy")
