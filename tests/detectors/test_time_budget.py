"""The regex time budget: kept for patterns that can run away, dropped for linear ones."""

from __future__ import annotations

import time

import pytest
import regex

from detectors.config import DetectorConfig
from detectors.recognizers import default_recognizers
from detectors.recognizers.base import RegexTimeout, finditer
from detectors.recognizers.gates import _linear, needs_budget

# Each source, read by hand: whether it takes time linear in the text.
SOURCES = [
    (r"\d{3}-\d{4}", True),
    (r"[a+*]{1,3}", True),  # quantifier signs inside a class are literals
    (r"(?i)(?<![\w])\p{L}{3,30}(?:itis|osis)(?![\w])", True),
    (r"(?:ab|c){1,5}", True),  # a repeated group without a quantifier inside
    (r"(?:a{1,3})?", True),  # a group with a quantifier, taken at most once
    (r"(?P<n>a{1,2})b", True),
    (r"(?<=ab)c{2}", True),
    (r"a{1,3}?", True),
    (r"\(a\){2}", True),  # escaped brackets are no group
    (r"a*", False),
    (r"a+", False),
    (r"a{2,}", False),
    (r"(a+)+", False),
    (r"(?:a{1,5}){2}", False),
    (r"(?:x?){1,9}", False),
    (r"(?:(?:a{1,3})?b){2}", False),
    (r"(?:a{1,3})+", False),
    (r"(?:\s{1,3}x){0,2}", False),
    (r"\(a+\)", False),
    (r"(", False),  # unbalanced: not read, so budgeted
    (r"(?#note)a", False),  # an unusual group: budgeted
]


@pytest.mark.parametrize(("source", "linear"), SOURCES)
def test_which_patterns_are_linear(source: str, linear: bool) -> None:
    """Unbounded quantifiers and repeated groups holding a quantifier keep the budget."""
    assert _linear(source) is linear


def test_a_runaway_pattern_keeps_its_budget() -> None:
    """Exponential backtracking is cut by the budget and reported as RegexTimeout."""
    pattern = regex.compile(r"(?:a|aa)+b")
    assert needs_budget(pattern)
    with pytest.raises(RegexTimeout):
        list(finditer(pattern, "a" * 60, 0.05))


def test_some_shipped_patterns_run_without_the_budget() -> None:
    """The saving is real: plain regex recognizers with linear patterns skip the clock read."""
    patterns = [r.pattern for r in default_recognizers(DetectorConfig()) if hasattr(r, "pattern")]
    linear = [p for p in patterns if not needs_budget(p)]
    assert linear and len(linear) < len(patterns)


def test_the_budget_counts_the_pattern_not_its_reader() -> None:
    """The regex module's clock runs until its iterator is done: taken one match at a time,
    it also counted the caller's work between matches, and a recognizer reading a table's
    header for every cell of a long CSV export timed out. Only the matching counts now."""
    pattern = regex.compile(r"\d+")
    assert needs_budget(pattern)
    text = " 12" * 200
    seen = 0
    for _ in finditer(pattern, text, 0.05):
        spent = time.process_time()
        while time.process_time() - spent < 0.001:  # 1 ms of the caller's own work a match
            pass
        seen += 1
    assert seen == 200  # 0.2 s of the caller's time, four times the budget


def test_the_records_reader_budget_counts_the_pattern_alone() -> None:
    """The same for the machine-record readers' windowed scans (records._between)."""
    from detectors.recognizers.records import _between

    text = " 12" * 200
    seen = 0
    for _ in _between(regex.compile(r"\d+"), text, 0, len(text), 0.05):
        spent = time.process_time()
        while time.process_time() - spent < 0.001:
            pass
        seen += 1
    assert seen == 200
