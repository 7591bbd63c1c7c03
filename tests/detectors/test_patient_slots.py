"""A titled patient in a patient slot, a clinical statement after a name, combination drugs."""

from __future__ import annotations

import pytest

from detectors.recognizers.health import MedicationRecognizer
from detectors.recognizers.names import NameRecognizer

NAMES = NameRecognizer()


def roles(text: str, name: str) -> set[str]:
    """The roles given to exactly `name` in `text`."""
    return {m.role for m in NAMES.analyze(text, 1.0) if text[m.start : m.end] == name}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Home health orders for Dr. Birgitte Madsen\nSN eval and treat.", "Birgitte Madsen"),
        ("Thank you for referring Prof. Ewa Nowak. After 10 sessions", "Ewa Nowak"),
        ("Thank you for referring Ing. Pavel Novak to the falls clinic.", "Pavel Novak"),
        ("Siv Antonsen had anaphylaxis after the vaccine.", "Siv Antonsen"),
        ("Ann Lee is allergic to penicillin.", "Ann Lee"),
        ("10:10  Cousin, Laurence  (07.08.1954)  Shingrix dose 2", "Cousin, Laurence"),
    ],
)
def test_the_person_is_the_patient(text: str, name: str) -> None:
    """A title after a patient slot does not make a clinician; the person is the patient's."""
    found = roles(text, name)
    assert found & {"patient", "list"}
    assert "provider" not in found


@pytest.mark.parametrize(
    "text", ["Referred by Dr. Ann Lee.", "Orders signed by Dr. Ann Lee.", "Referring: Dr. Ann Lee"]
)
def test_a_titled_clinician_stays_a_clinician(text: str) -> None:
    """Outside a patient slot the title still marks a clinician."""
    assert "provider" in roles(text, "Ann Lee")


@pytest.mark.parametrize(
    ("text", "drugs", "score"),
    [
        ("after 3 days of amoxicillin-clavulanate 875 mg BID", ["amoxicillin"], 0.9),
        ("on losartan-hydrochlorothiazide daily", ["losartan", "hydrochlorothiazide"], 0.7),
        ("on amoxicillin/clavulanate", ["amoxicillin"], 0.7),
        ("metformin 500 mg", ["metformin"], 0.9),
        ("Ann Lee-Smith called.", [], 0.0),
    ],
)
def test_combination_drugs(text: str, drugs: list[str], score: float) -> None:
    """Each drug name of a hyphenated combination is a medication, dosed by what follows it."""
    found = MedicationRecognizer().analyze(text, 1.0)
    assert [text[m.start : m.end] for m in found] == drugs
    assert all(m.score == score for m in found)
