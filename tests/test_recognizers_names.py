"""Parametrized tables for the person-name rules added on top of the cue recognizers."""

from __future__ import annotations

import pytest

from detectors.recognizers.names import NameRecognizer, known_name_word, listed_name_word

NAMES = NameRecognizer()


def names(text: str) -> set[str]:
    """Every span the name recognizer tags as a person."""
    return {text[m.start : m.end] for m in NAMES.analyze(text, 1.0)}


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        # Middle initial between a listed name and a capitalised word.
        ("Please forward this to Norma K Ashdown today.", "Norma K Ashdown", True),
        ("Please forward this to Dorota J. Wąsowicz today.", "Dorota J. Wąsowicz", True),
        ("We stock Vitamin D Drops in aisle 4.", "Vitamin D Drops", False),
        # Kin, titles in any case, "named"/"I'm" cues.
        ("I would like to add my daughter Ximena to the plan", "Ximena", True),
        ("please transfer to ms. Okonkwo", "Okonkwo", True),
        ("Her maiden name is Halvorsen", "Halvorsen", True),
        ("I'm Desmond Achterberg, calling about my bill", "Desmond Achterberg", True),
        ("I'm Sorry about the delay", "Sorry", False),
        # A person as the subject of a human verb, or in reported speech.
        ("Teodora lives near the river.", "Teodora", True),
        ('"Stop!" said Wojtek to Brandon.', "Wojtek", True),
        # Dialogue speakers, lists of names, a name alone on a line.
        ("Ingrid: are you there?\nMateo: yes", "Mateo", True),
        ("Note: fasting\nPlan: recheck", "Note", False),
        ("The winners were Helen, Gunnar and Tomasz.", "Gunnar", True),
        ("Bring Wisdom and Discipline to work.", "Discipline", False),
        ("Thanks,\n\nRosalind Pembleton\n", "Rosalind Pembleton", True),
        # Later mentions of a name already found.
        ("Ask Ximena Quist first; Quist knows the file.", "Quist", True),
        # Places and organisations made of a surname.
        ("We stayed at the Hayes Hotel downtown.", "Hayes Hotel", False),
        ("Two capitalised words Ludmiła Kowalczyk appear", "Ludmiła Kowalczyk", True),
    ],
)
def test_shaped_names(text: str, value: str, expected: bool) -> None:
    """Names are found by shape and nearby words; look-alike phrases are not."""
    assert (value in names(text)) is expected


@pytest.mark.parametrize(
    ("word", "listed", "known"),
    [
        ("Kimberly", True, True),
        ("Gutierrez", True, True),
        ("Brown", True, False),  # an English word as well as a surname
        ("Will", True, False),
        ("Metformin", False, False),
    ],
)
def test_name_lists(word: str, listed: bool, known: bool) -> None:
    """Census names count alone only when they are not also ordinary English words."""
    assert listed_name_word(word) is listed
    assert known_name_word(word) is known
