"""Cell spans of a table line: the fast split agrees with reading the line character by character."""

from __future__ import annotations

import random

import pytest

from detectors.recognizers.base import _split_cells


def reference(line: str, sep: str) -> list[tuple[int, int]]:
    """Character by character: a separator splits unless inside double quotes of a CSV line."""
    cells, quoted, begin = [], False, 0
    for i, ch in enumerate(line):
        if ch == '"' and sep == ",":
            quoted = not quoted
        elif ch == sep and not quoted:
            cells.append((begin, i))
            begin = i + 1
    cells.append((begin, len(line)))
    return cells


@pytest.mark.parametrize(
    ("line", "sep", "cells"),
    [
        ("a,b,c", ",", [(0, 1), (2, 3), (4, 5)]),
        ('"Lee, Ann",1962', ",", [(0, 10), (11, 15)]),  # the quoted comma does not split
        ('a|"b|c"|d', "|", [(0, 1), (2, 4), (5, 7), (8, 9)]),  # quotes mean nothing in pipes
        ("", "\t", [(0, 0)]),
        (",,", ",", [(0, 0), (1, 1), (2, 2)]),
    ],
)
def test_cells_by_hand(line: str, sep: str, cells: list[tuple[int, int]]) -> None:
    assert _split_cells(line, sep) == cells


def test_cells_agree_with_the_character_reading() -> None:
    rng = random.Random(3)
    for _ in range(20_000):
        line = "".join(rng.choice('ab,|\t" ') for _ in range(rng.randint(0, 16)))
        for sep in (",", "|", "\t"):
            assert _split_cells(line, sep) == reference(line, sep), (line, sep)
