"""Parametrized tables for the health-information, date, age and name recognizers."""

from __future__ import annotations

import pytest

from detectors.config import DetectorConfig
from detectors.recognizers import RawMatch, default_recognizers
from tests.support.tables import table

RECOGNIZERS = default_recognizers(DetectorConfig())


def matches(text: str) -> list[RawMatch]:
    """Every raw match of every cheap recognizer."""
    return [m for rec in RECOGNIZERS for m in rec.analyze(text, 1.0)]


def found(text: str, entity: str, value: str) -> bool:
    """Whether ``value`` is matched as ``entity`` in ``text``."""
    return any(m.entity == entity and text[m.start : m.end] == value for m in matches(text))


@pytest.mark.parametrize(
    ("text", "entity", "value", "expected"),
    table("recognizers_health.health"),
)
def test_health(text: str, entity: str, value: str, expected: bool) -> None:
    """Health, date and age recognizers validate codes and need context for ambiguous shapes."""
    assert found(text, entity, value) is expected


@pytest.mark.parametrize(
    ("text", "value", "role"),
    table("recognizers_health.name_roles"),
)
def test_name_roles(text: str, value: str, role: str) -> None:
    """Name cues carry the role the decision needs (patient versus staff and contacts)."""
    roles = {
        m.role for m in matches(text) if m.entity == "PERSON" and text[m.start : m.end] == value
    }
    assert role in roles


@pytest.mark.parametrize("word", ["Rasagiline", "Atorvastatin", "Monday", "Patient"])
def test_drug_and_calendar_words_are_not_names(word: str) -> None:
    """Drug names and common words never become person names."""
    text = f"Re: {word} Smith"
    assert not any(m.entity == "PERSON" and word in text[m.start : m.end] for m in matches(text))


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "text",
    [
        "a" * 50_000 + "!",
        "1" * 50_000,
        "1-" * 25_000,
        "Mr. " + "Aa " * 20_000,
        "@" * 20_000 + "a@" * 10_000,
        "http://" + "a." * 20_000,
        "Patient: " + "Ab, " * 20_000,
        ", ".join(["x"] * 20_000) + "\n" + ", ".join(["1"] * 20_000),
    ],
)
def test_pathological_input_finishes(text: str) -> None:
    """Pathological strings finish (bounded patterns, no nested quantifiers) and find no SSN."""
    assert not any(m.entity == "US_SSN" for m in matches(text))


def narrative(text: str) -> dict[str, float]:
    """Clinical-narrative spans with their scores."""
    return {
        text[m.start : m.end]: m.score for m in matches(text) if m.entity == "CLINICAL_NARRATIVE"
    }


@pytest.mark.parametrize(
    ("text", "value", "score"),
    table("recognizers_health.clinical_narrative"),
)
def test_clinical_narrative(text: str, value: str, score: float) -> None:
    """Clinical narrative is found by how clinicians write, and two cue kinds score higher."""
    assert narrative(text).get(value) == score


@pytest.mark.parametrize(
    "text",
    [
        "Reason: the budget was cut this quarter",  # a bare "Reason:" with no care word
        "S: small sizes only",  # one SOAP-like letter is not a section
        "Invoice 152/94 attached; ship x2 boxes",  # no vital sign label, no duration unit
        "The BP oil spill anniversary is 2010",
        "Discussed the HR policy for 2025",
        "Diagnosis: ________________\nAllergies: ______________",  # a blank intake form
    ],
)
def test_not_clinical_narrative(text: str) -> None:
    """Business text with look-alike shapes has no clinical narrative."""
    assert narrative(text) == {}
