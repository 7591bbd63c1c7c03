"""compile_words' prefix tree matches exactly what the flat longest-first alternation matches."""

from __future__ import annotations

from pathlib import Path

import pytest
import regex

from detectors.extract import extract_message
from detectors.recognizers.base import compile_words, flat_words
from detectors.recognizers.health import terms

DEV = Path("/work/shared/corpus/dev")
SPANS_DEV = Path("/work/shared/corpus/spans-dev/spans.jsonl")

LISTS = {
    **{name: terms(name) for name in ("conditions.txt", "labs.txt", "procedures.txt")},
    "specialties.txt": terms("specialties.txt"),
    "clinical_notes.txt": terms("clinical_notes.txt"),
    "drugs.txt": terms("drugs.txt")[:3000],
    "prefixes": ("mr", "mrn", "mr #", "mr#", "medical record", "medical record number", "record"),
    "mixed case": ("X-ray", "x-ray", "A1c", "a1c level", "HbA1c", "ER", "er visit"),
    "non-ascii": ("Sjögren syndrome", "sjogren", "τηλ", "電話"),
}
TRICKY = (
    "MRN 123 and mr # 4 and mr#5, medical  record number 7, medical\nrecord, recordings\n"
    "x-ray X-RAY x-rays A1C level a1c-level HbA1c er visit ER  VISIT erx\n"
    "Sjögren syndrome SJOGREN τηλ 555 電話 heart failure, heart  attack heartattack"
)


def corpus() -> list[str]:
    """The dev messages' texts and the spans-dev sentences (when present), plus tricky text."""
    texts = [TRICKY]
    if DEV.is_dir():
        for path in sorted(DEV.glob("*.eml")):
            texts.extend(p.text for p in extract_message(path.read_bytes()).parts)
    if SPANS_DEV.is_file():
        texts.append(SPANS_DEV.read_text(encoding="utf-8"))
    return texts


@pytest.mark.parametrize("flags", [regex.IGNORECASE, 0], ids=["ignorecase", "exact-case"])
@pytest.mark.parametrize("name", sorted(LISTS))
def test_tree_matches_flat_alternation(name: str, flags: int) -> None:
    """Same spans, same order, on every text, with and without case folding."""
    words = LISTS[name]
    tree, flat = compile_words(words, flags), flat_words(words, flags)
    for text in corpus():
        assert [m.span() for m in tree.finditer(text)] == [m.span() for m in flat.finditer(text)], (
            name
        )


def test_tree_prefers_the_longest_phrase() -> None:
    """A phrase that extends another wins where both end at a word boundary."""
    p = compile_words(["medical record", "medical record number", "mr", "mrn"])
    found = [m.group() for m in p.finditer("Medical  Record Number: 1; MRN 2; Mr 3; mrnx")]
    assert found == ["Medical  Record Number", "MRN", "Mr"]
