"""Cell spans of a table line: the fast split agrees with reading the line character by character."""

from __future__ import annotations

import random

import pytest

from detectors.recognizers.base import split_cells


def reference(line: str, sep: str, quotes: bool) -> list[tuple[int, int]]:
    """Read left to right: a cell ends at each separator outside quotes (when quotes count),
    and the last cell at the end of the line."""
    ends = []
    inside = False
    for pos, ch in enumerate(line):
        if quotes and ch == '"':
            inside = not inside
        if ch == sep and not inside:
            ends.append(pos)
    starts = [0] + [e + 1 for e in ends]
    return list(zip(starts, [*ends, len(line)], strict=True))


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
    assert split_cells(line, sep) == cells


def test_cells_agree_with_the_character_reading() -> None:
    rng = random.Random(3)
    for _ in range(20_000):
        line = "".join(rng.choice('ab,|\t" ') for _ in range(rng.randint(0, 16)))
        for sep in (",", "|", "\t"):
            assert split_cells(line, sep) == reference(line, sep, sep == ","), (line, sep)
            # records read quoted cells in any table (detectors/recognizers/records.py)
            got = split_cells(line, sep, quotes=True)
            assert got == reference(line, sep, True), (line, sep)
