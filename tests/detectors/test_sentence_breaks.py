"""Where the engine's sentences end (detectors.engine.SENTENCE_BREAK), worked out by hand.

A sentence ends at ". ! ?" before a space and a capital (or the text's end), or at a blank line;
never after a title ("Dr.", "Mrs.", "St.", "No.", "vs.") or an initial ("J."), nor before a
number or a lower-case word. The pattern is written for speed (its lookahead for the stop comes
before the lookbehinds), so this pins what it finds.
"""

from __future__ import annotations

import pytest

from detectors.engine import SENTENCE_BREAK

CASES = [
    ("Seen today. Labs next week.", [11, 27]),
    ("Dr. Ana Lee saw him. Fine!", [20, 26]),
    ("Mrs. Ho and Mr. Li came. Ok?", [24, 28]),
    ("Ms. Roe lives on St. Mark Road. Next", [31]),
    ("Ref No. 5 and J. Smith. Then", [23]),
    ("drug vs. Placebo. Prof. Kay agreed.", [17, 35]),
    ("geb. 03/14/1962 and approx. two. Done", [32]),
    ("First line\n\nSecond line", [12]),
    ("First line\n  \r\nSecond", [15]),
    ("No stop here", []),
    ("Ends with a stop.", [17]),
    ("Is it? yes it is", []),
    ("Sr. Jones (Jr. too). Then", [20]),
]


@pytest.mark.parametrize(("text", "ends"), CASES)
def test_sentence_ends(text: str, ends: list[int]) -> None:
    assert [m.end() for m in SENTENCE_BREAK.finditer(text)] == ends
