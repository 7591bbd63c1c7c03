"""Parametrized tables for the health-information, date, age and name recognizers."""

from __future__ import annotations

import pytest

from detectors.config import DetectorConfig
from detectors.recognizers import RawMatch, build_registry

REGISTRY = build_registry(DetectorConfig())


def matches(text: str) -> list[RawMatch]:
    """Every raw match of every cheap recognizer."""
    return [m for rec in REGISTRY for m in rec.analyze(text, 1.0)]


def found(text: str, entity: str, value: str) -> bool:
    """Whether ``value`` is matched as ``entity`` in ``text``."""
    return any(m.entity == entity and text[m.start : m.end] == value for m in matches(text))


@pytest.mark.parametrize(
    ("text", "entity", "value", "expected"),
    [
        ("dx E11.319 today", "ICD10", "E11.319", True),
        ("Primary dx: C50.129 Malignant", "ICD10", "C50.129", True),
        ("dx code Z23", "ICD10", "Z23", True),
        ("room Z23 is free", "ICD10", "Z23", False),  # three characters need context
        ("dx E11.999 today", "ICD10", "E11.999", False),  # not in the code set
        ("Billed 97110 (therapeutic exercise)", "CPT", "97110", True),
        ("Jessemouth, KS 66111", "CPT", "66111", False),
        ("Rasagiline 10 mg twice daily", "MEDICATION", "Rasagiline", True),
        ("the patient has hepatitis", "DIAGNOSIS", "hepatitis", True),
        ("pictures from our photography class", "PROCEDURE", "photography", False),
        ("Potassium    4.3 mmol/L", "LAB_RESULT", "Potassium", True),
        ("referral to Gastroenterology", "SPECIALTY", "Gastroenterology", True),
        ("the most recent office note", "CLINICAL_NOTE", "office note", True),
        # ICD-10-CM condition phrases (two to five words), across a line break too.
        (
            "seen today for urge incontinence, worse at night",
            "DIAGNOSIS",
            "urge incontinence",
            True,
        ),
        ("history of alcoholic fatty\nliver noted", "DIAGNOSIS", "alcoholic fatty\nliver", True),
        ("ANKYLOSING SPONDYLITIS follow-up", "DIAGNOSIS", "ANKYLOSING SPONDYLITIS", True),
        ("alcoholic, fatty liver", "DIAGNOSIS", "alcoholic, fatty liver", False),
        ("the quarterly budget review is done", "DIAGNOSIS", "budget review", False),
        # A date's context decides DOB, date of service or a bare (non-PHI) date; ages.
        ("DOB 7/28/1966 on file", "DOB", "7/28/1966", True),
        ("date of birth 1972-04-27", "DOB", "1972-04-27", True),
        ("born March 18, 1978", "DOB", "March 18, 1978", True),
        ("discharged 6/5/2025 after", "DATE_OF_SERVICE", "6/5/2025", True),
        ("(DOB 11/1/1940), collected 10/21/2025", "DATE_OF_SERVICE", "10/21/2025", True),
        ("Let's meet on January 15, 2025 at noon", "DATE_TIME", "January 15, 2025", True),
        ("a 93-year-old woman", "AGE_OVER_89", "93", True),
        ("a 45 year old man", "AGE", "45", True),
        # Imaging with a body region or contrast phrase is a procedure; a country or state is not.
        ("Please schedule MRI lumbar spine w/o contrast", "PROCEDURE", "MRI lumbar", True),
        ("for US thyroid, indication nodule", "PROCEDURE", "US thyroid", True),
        ("CT abd/pelvis with contrast", "PROCEDURE", "CT abd", True),
        ("the US health system is large", "PROCEDURE", "US health", False),
        ("Hartford, CT 06103", "PROCEDURE", "CT 06103", False),
        # Insulins, which the drug dictionary names only in two words, are medications.
        ("refill insulin glargine 20 units", "MEDICATION", "insulin", True),
        ("switch to Lantus at bedtime", "MEDICATION", "Lantus", True),
        ("the insulated cooler box", "MEDICATION", "insulated", False),
    ],
)
def test_health(text: str, entity: str, value: str, expected: bool) -> None:
    """Health, date and age recognizers validate codes and need context for ambiguous shapes."""
    assert found(text, entity, value) is expected


@pytest.mark.parametrize(
    ("text", "value", "role"),
    [
        ("Patient: BJÖRKLUND, GORDON\nMRN: 1", "BJÖRKLUND, GORDON", "patient"),
        ("Summary for Mr. Frey today", "Frey", "patient"),
        ("Dear Dr. Hughes,\n", "Hughes", "provider"),
        ("Signed: Ursula Kuefer, PA-C", "Ursula Kuefer", "provider"),
        ("From: Jane Roe <jroe@clinic.example>", "Jane Roe", "correspondent"),
        ("Hi Joseph,\n\nthanks", "Joseph", "addressee"),
        ("Thanks,\nKeira Craig\nPhysician Assistant", "Keira Craig", "staff"),
        ("Can you see Norberg, Calle (DOB 1/2/1949)?", "Norberg, Calle", "patient"),
    ],
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
    [
        # Two cue kinds (vitals and charting shorthand) make a clinical note.
        ("O: BP 152/94, HR 102, bibasilar crackles", "BP 152/94", 0.85),
        ("Pt reports dyspnea x2 wks, SpO2 93% RA", "SpO2 93%", 0.85),
        ("S: sore throat\nO: afebrile\nA: viral URI\nP: fluids", "A: ", 0.7),
        ("s/p right TKA, ROM 5-95, 3x/week", "s/p", 0.85),
        ("refill albuterol HFA #90 please, phone on file", "refill albuterol HFA #90", 0.55),
        ("Furosemide 40 IV given, recheck BP 140/80", "40 IV", 0.85),
        ("Alert and oriented x3, wound 2x3 cm granulating", "oriented x3", 0.85),
        # A labelled clinical field is health information whatever its words.
        ("Indication: palpable nodule. Prefers Saturdays.", "palpable nodule", 0.8),
        ("Your video visit is tomorrow. Reason: wound check photos.", "wound check photos", 0.8),
        ("Dx: new onset headaches", "new onset headaches", 0.8),
        # A measured value alone is a person's measurement.
        ("my blood sugars have been over 300 since", "blood sugars have been over 300", 0.7),
    ],
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
