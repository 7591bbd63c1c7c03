"""Test-case tables kept as data: tests/data/tables/NAME.yaml, one row (a YAML list) per case.

Long tables of labelled examples (texts a recognizer must or must not tag, config errors and the
line they name) read better as data, and people who tune detection can add a case without touching
test code. Each row becomes one parameter tuple, in the order the test's parametrize names them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

TABLES = Path(__file__).resolve().parents[1] / "data" / "tables"


def table(name: str) -> list[tuple[Any, ...]]:
    """The rows of tests/data/tables/NAME.yaml as tuples (a missing or empty table fails loudly)."""
    rows = yaml.safe_load((TABLES / f"{name}.yaml").read_text(encoding="utf-8"))
    if not rows or not all(isinstance(row, list) for row in rows):
        raise ValueError(f"{name}.yaml must be a non-empty list of rows")
    return [tuple(row) for row in rows]
