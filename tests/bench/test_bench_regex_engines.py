"""bench/regex_engines.py: the scan's own pattern calls under the regex module and PCRE2's JIT.

The expected differences between the engines are Unicode facts, not the tool's output: U+00B2
(SUPERSCRIPT TWO) is a number of category No, which PCRE2's \\w takes (letters, numbers and the
underscore, with Unicode properties) and the regex module's does not (decimal digits only); and the
regex module folds U+0130 (LATIN CAPITAL LETTER I WITH DOT ABOVE) with "i" where PCRE2 does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import regex

from bench import regex_engines
from bench.regex_engines import main, pcre2_twin, same_matches
from tests.bench.test_bench_scan_speed import CLEAN, PHI

needs_pcre2 = pytest.mark.skipif(regex_engines.pcre2 is None, reason="pcre2 is not installed")


@needs_pcre2
def test_same_matches_tells_a_class_that_differs() -> None:
    words = regex.compile(r"\w+")
    assert not same_matches(words, pcre2_twin(words), ["x\u00b2y"])
    digits = regex.compile(r"(?<![\w-])(\d{3})-(\d{4})")
    assert same_matches(digits, pcre2_twin(digits), ["call 555-0142 or 555-0199", "none here"])


@needs_pcre2
def test_same_matches_compares_groups_not_only_the_match() -> None:
    ours = regex.compile(r"(a)|(ab)")
    theirs = pcre2_twin(regex.compile(r"(ab)|(a)"))  # the same matches, the groups swapped
    assert not same_matches(ours, theirs, ["xaby"])


def test_no_twin_for_what_pcre2_cannot_read() -> None:
    assert pcre2_twin(regex.compile(r"(?:patient){e<=1}")) is None  # fuzzy matching
    assert pcre2_twin(regex.compile(r"[[a-z]--[aeiou]]", regex.VERSION1)) is None  # set operations


def test_figures_for_two_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "clean.eml").write_bytes(CLEAN)
    (tmp_path / "phi.eml").write_bytes(PHI)
    (tmp_path / "manifest.jsonl").write_text(
        '{"file": "clean.eml", "label": "clean", "category": "staff_notice"}\n'
        '{"file": "phi.eml", "label": "phi", "category": "claim"}\n'
    )
    assert main(["--corpus", str(tmp_path), "--per-family", "0", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["messages"] == 2
    assert figures["patterns"] > 0
    assert figures["calls_per_message"] > 0
    assert figures["regex_us_per_message"] > 0
    # Patterns and figures only: no text of a message is printed.
    for value in ("Maria", "Garcia", "48213377", "03/14/1961"):
        assert value not in out
    if regex_engines.pcre2 is None:
        assert figures["class_differences"] == []
        return
    assert figures["pcre2_agreeing_patterns"] + figures["pcre2_differing_patterns"] > 0
    found = {(d["class"], d["case_blind"]): d for d in figures["class_differences"]}
    assert "U+00B2" in found[(r"\w", False)]["pcre2_only_first"]
    assert found[("i", True)]["regex_only_first"] == ["U+0130"]


@pytest.mark.parametrize(
    ("ours", "theirs", "only"),
    [
        ([(0, 10)], [(2, 3), (5, 7)], [(0, 2), (3, 5), (7, 10)]),
        ([(0, 5), (8, 12)], [(0, 12)], []),
        ([(0, 5)], [], [(0, 5)]),
        ([(3, 6)], [(0, 4), (5, 9)], [(4, 5)]),
        ([(0, 2), (4, 6), (8, 10)], [(1, 9)], [(0, 1), (9, 10)]),
    ],
)
def test_the_stretches_one_engine_alone_covers(
    ours: list[tuple[int, int]], theirs: list[tuple[int, int]], only: list[tuple[int, int]]
) -> None:
    """Classes are compared as runs of members: what one side covers and the other does not."""
    assert regex_engines._only(ours, theirs) == only
