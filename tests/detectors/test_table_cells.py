"""Cell spans of a table line: the fast split agrees with reading the line character by character."""

from __future__ import annotations

import random

import pytest

from detectors.recognizers import base
from detectors.recognizers.base import split_cells, table_cell
from detectors.recognizers.gates import forget_text


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


# ---- the header above a cell ------------------------------------------------------------------
def reference_header(text: str, start: int, max_lines_up: int = 400) -> tuple[str, str]:
    """table_cell as a plain climb: up from the cell's line, row by row (past one blank line, not
    two), while each row lines up with it, at most ``max_lines_up`` rows; the topmost such row
    is the header."""
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", start)
    line = text[lo : len(text) if hi < 0 else hi].rstrip("\r")
    sep = next((s for s in ("\t", "|", ",") if line.count(s) >= 2), "")
    if not sep:
        return "", ""
    cells = split_cells(line, sep)
    col = next((k for k, (a, b) in enumerate(cells) if a <= start - lo <= b), -1)
    if col < 0 or len(cells) < 3:
        return "", ""

    def lines_up(n: int) -> bool:
        m = len(cells)
        ragged = sep == "," and min(n, m) >= 3 and abs(n - m) <= 3 and col < min(n, m) - 1
        return n == m or ragged

    header = ""
    cur = lo
    for _ in range(max_lines_up):
        if cur == 0:
            break
        prev_lo = text.rfind("\n", 0, cur - 1) + 1
        prev = text[prev_lo : cur - 1].rstrip("\r")
        if not prev.strip() and prev_lo > 0:
            prev_lo = text.rfind("\n", 0, prev_lo - 1) + 1
            prev = text[prev_lo : text.find("\n", prev_lo)].rstrip("\r")
        if not prev.strip() or not lines_up(len(split_cells(prev, sep))):
            break
        header, cur = prev, prev_lo
    if not header or header == line:
        return "", ""
    a, b = split_cells(header, sep)[col]
    return header[a:b].strip().strip('"'), sep


def random_tables(rng: random.Random) -> str:
    """Tables of every separator with ragged, quoted, blank and repeated rows, amid prose."""
    chunks = []
    for _ in range(rng.randint(1, 4)):
        sep = rng.choice([",", "\t", "|"])
        width = rng.randint(2, 6)
        rows = [sep.join(rng.choice(["Name", "MRN", "DOB", "Patient", "Dx"]) for _ in range(width))]
        for _ in range(rng.randint(0, 30)):
            cells = [rng.choice(["Ann Lee", '"Roe, Jo"', "12345", "", "x"]) for _ in range(width)]
            if rng.random() < 0.15:
                cells += ["extra"] * rng.randint(1, 4)  # ragged: free text with commas
            if rng.random() < 0.1:
                cells = cells[: rng.randint(1, width)]
            rows.append(sep.join(cells))
            if rng.random() < 0.1:
                rows.append(rng.choice(["", " ", "\r"]))  # a blank line between rows
            if rng.random() < 0.05:
                rows.append(rows[0])  # the header again
        chunks.append(rng.choice(["\n", "\r\n"]).join(rows))
        chunks.append(rng.choice(["Some prose, here.", "", "a|b", "\n"]))
    return "\n".join(chunks)


def test_the_header_is_the_plain_climbs() -> None:
    """Kept per text, the rows climbed for one cell serve the next: every cell of 300 random
    texts, asked in a random order and with a small limit too, gets the plain climb's answer."""
    rng = random.Random(14)
    checked = 0
    for _ in range(300):
        text = random_tables(rng)
        positions = list(range(len(text) + 1))
        rng.shuffle(positions)
        limit = rng.choice([400, 3, 1])
        for pos in positions:
            assert table_cell(text, pos, limit) == reference_header(text, pos, limit), (text, pos)
            checked += 1
        forget_text()
    assert checked > 50_000


def test_a_long_csv_costs_each_row_once() -> None:
    """A thousand-row export: every cell's header is found, and no row is split twice for a
    separator (the climb from each cell no longer rereads the rows above it)."""
    rows = ["MRN,Patient Name,DOB,Phone,Diagnosis"] + [
        f"{1000000 + i},Ann Lee,01/02/1960,(555) 201-{1000 + i},Asthma" for i in range(1000)
    ]
    text = "\n".join(rows)
    calls: list[int] = []
    real = base.split_cells

    def counted(line: str, sep: str, **kw: bool | None) -> list[tuple[int, int]]:
        calls.append(1)
        return real(line, sep, **kw)

    base.split_cells = counted
    try:
        starts = [text.index(",Ann Lee", text.index(f"{1000000 + i},")) + 1 for i in range(1000)]
        found = [table_cell(text, s) for s in starts]
    finally:
        base.split_cells = real
        forget_text()
    # one split of each cell's own line, one of each row above it, and the header's own
    assert len(calls) <= 3 * len(rows)
    assert found[:400] == [("Patient Name", ",")] * 400
    assert found == [reference_header(text, s) for s in starts]
