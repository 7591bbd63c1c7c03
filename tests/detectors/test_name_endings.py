"""Two name checks made cheaper give the answers of the searches they replace.

`surname_ending` matches the reversed endings at the start of the reversed word, where a search
for "(?:ski|...)$" tried every ending at every position; `last_line_name` looks for a sign-off name
from the last line that is not blank, where the search tried every line of the text. The plain
searches are rebuilt here from the same pieces and asked the same questions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import regex

from bench.corpus.generate import generate as generate_messages
from bench.spans.generate import generate as generate_spans
from detectors.extract import extract_message
from detectors.recognizers import names
from detectors.recognizers.names import LAST_LINE_NAME, last_line_name, surname_ending

DEV = Path("/work/shared/corpus/dev")

# What the recognizer asked before: any ending at the end of the word, in any case.
SEARCHED_ENDING = regex.compile(
    "(?:" + "|".join(regex.escape(e) for e in names.SURNAME_ENDINGS) + ")$", regex.IGNORECASE
)


def words() -> list[str]:
    """Every listed name as written, in capitals and capitalised, and a few written here."""
    given, family, _ = names._census_lists()
    listed = sorted(given | family)
    out = [*listed, *(w.upper() for w in listed), *(w.title() for w in listed)]
    out += [
        "ΠΑΠΑΔΟΠΟΥΛΟΣ", "Παπαδόπουλος", "ΓΕΩΡΓΙΆΔΗΣ", "Иванов", "ИВАНОВА", "Петренко",
        "Jónsdóttir", "JÓNSDÓTTIR", "Öztürkoğlu", "Marković", "MÜLLER", "Kowalski", "in",
        "Ski", "S", "", "Lee", "Nguyen", "O'Brien", "Smith-Jones", "Abu-Ali", "Lindström",
    ]  # fmt: skip
    return out


def test_the_endings_match_as_the_search_did() -> None:
    cases = words()
    differ = [w for w in cases if surname_ending(w) != (SEARCHED_ENDING.search(w) is not None)]
    assert differ == []
    ending = [w for w in cases if surname_ending(w)]
    assert len(ending) > 1000 and len(cases) - len(ending) > 1000, "too few of either to compare"


def test_an_ending_not_reversed_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison above fails for endings matched as written at the word's start."""
    unreversed = regex.compile(
        "(?:" + "|".join(regex.escape(e) for e in names.SURNAME_ENDINGS) + ")", regex.IGNORECASE
    )
    monkeypatch.setattr(names, "_SURNAME_ENDING_REVERSED", unreversed)
    assert any(surname_ending(w) != (SEARCHED_ENDING.search(w) is not None) for w in words())


WRITTEN = [
    "",
    "   \n\t\n",
    "Ann Lee",
    "\nAnn Lee",
    "Thanks,\nAnn Lee\n",
    "Thanks,\nAnn Lee \r\n\r\n  \n",
    "Thanks,\n  Dr. Ann Lee\n\n",
    "Thanks,\nMrs Ann B. Lee-Hale\n",
    "Thanks,\nAnn Lee\nFront desk\n",
    "Thanks,\nAnn Lee\n\x0c",
    "Thanks,\nAnn Lee\n\u00a0",
    "Patients seen today:\nAnn Lee\nTom Hale\n",
    "Ann Lee\n\nTom Hale",
    "see you then Ann Lee\n",
    "Ann Lee\t\n",
    "Ann\nLee\n",
    "Regards\n\nÞorkell Hallbjörnsson\n",
]


def texts(tmp_path: Path) -> list[str]:
    """Written texts, generated span sentences and every text part of the dev corpus and of
    generated mail."""
    out = list(WRITTEN)
    out += [row["text"] for row in generate_spans(seed=23)]
    generate_messages(tmp_path / "generated", 2, 23)
    for folder in [tmp_path / "generated"] + ([DEV] if DEV.is_dir() else []):
        for path in sorted(folder.glob("*.eml")):
            out.extend(p.text for p in extract_message(path.read_bytes()).parts)
    return out


def same(a: regex.Match[str] | None, b: regex.Match[str] | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.span() == b.span() and a.span(1) == b.span(1)


def test_the_last_line_name_is_the_one_the_search_found(tmp_path: Path) -> None:
    cases = texts(tmp_path)
    differ = [t[-60:] for t in cases if not same(last_line_name(t), LAST_LINE_NAME.search(t))]
    assert differ == []
    found = [t for t in cases if last_line_name(t) is not None]
    assert len(cases) > 500 and len(found) > 20, "too few sign-offs to compare"


def test_a_search_from_the_wrong_line_is_caught() -> None:
    """Searching from the last line break, blank lines included, misses a name above them."""
    text = "Thanks,\nAnn Lee\n\n"
    assert last_line_name(text) is not None
    assert LAST_LINE_NAME.search(text, text.rfind("\n")) is None
