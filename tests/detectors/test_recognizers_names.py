"""Parametrized tables for the person-name rules added on top of the cue recognizers."""

from __future__ import annotations

import pytest

from detectors.recognizers.names import NameRecognizer, known_name_word, listed_name_word
from tests.support.tables import table

NAMES = NameRecognizer()


def names(text: str) -> set[str]:
    """Every span the name recognizer tags as a person."""
    return {text[m.start : m.end] for m in NAMES.analyze(text, 1.0)}


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    table("recognizers_names.shaped_names"),
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


def roles(text: str) -> dict[str, set[str]]:
    """Every tagged span with the roles the name recognizer gives it."""
    out: dict[str, set[str]] = {}
    for m in NAMES.analyze(text, 1.0):
        out.setdefault(text[m.start : m.end], set()).add(m.role)
    return out


@pytest.mark.parametrize(
    ("text", "value", "role", "expected"),
    table("recognizers_names.name_roles"),
)
def test_name_roles(text: str, value: str, role: str, expected: bool) -> None:
    """Cues give names their roles: participants, patients behind foreign titles, record labels."""
    assert (role in roles(text).get(value, set())) is expected
