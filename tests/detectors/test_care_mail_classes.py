"""Cue classes for care mail (issue 10, templates-e's misses): second-person care, possessed
results, a pronoun's next sentence, a child's family, family-reported history, one-word ICD-10
conditions, UK lab names, hospital numbers, clock-time roster rows; and dates that are not phones.
"""

from __future__ import annotations

import pytest

from detectors.config import DetectorConfig
from detectors.decision import decide
from detectors.engine import PhiEngine
from detectors.findings import Finding
from tests.detectors.test_practice_mail_cues import covered, mail

PHI_MAIL = [
    pytest.param(
        "Hi Ladislava,\n\nJust following up our phone call. You said you're now at 114.6 kg and "
        "struggling with portion sizes. Let's try a high-protein plan for four weeks.\n\nC. Blake",
        id="second-person-measurement",
    ),
    pytest.param(
        "Hi Ann Arnesen,\n\nAttached is your written plan. Summary:\n- Current weight 112.1 kg, "
        "BMI 41.6\n- HbA1c last month 48 mmol/mol\n\nChristopher Smith",
        id="your-plan-beside-two-measurements",
    ),
    pytest.param(
        "Morning,\n\nBerit Solheim's urine MC&S from Friday shows as rejected on ICE. She's "
        "pregnant (28 weeks), so can it be prioritised when she repeats?\n\nAshley Price",
        id="possessed-lab-test",
    ),
    pytest.param(
        "Dear HR Manager,\n\nI assessed R. Ellis Nashiruddin (employee no. 023669) on 3 January "
        "with their consent. They have epilepsy. They are fit for work with adjustments.\n\n"
        "Aaron Page",
        id="pronoun-next-sentence",
    ),
    pytest.param(
        "Dear Parent/Carer of Bethan Casserley,\n\nThank you for bringing Bethan to the growth "
        "clinic. Height 81.6 cm (2nd centile), weight 20.7 kg.\n\nPaediatric Outpatients",
        id="parent-of-child",
    ),
    pytest.param(
        "Hi Rohan,\n\nWe've moved next week's session to Saturday. Keep the thought diary going "
        "and try the graded exposure. If your mood dips again, ring the crisis line.\n\nBen",
        id="talking-therapy-homework",
    ),
    pytest.param(
        "Thanks. I've phoned Mr Maxwell and he is coming back for a repeat test. His details: "
        "DOB 04 March 1988, hospital no. R422275.\n\nGrant Lewis",
        id="hospital-number",
    ),
    pytest.param(
        "Bookings for Thursday:\n3:20 pm  Andreotti, Daria  (25/05/1938)  Influenza (QIV)\n"
        "1:10 pm  Bartoli, Rocco  (25/09/1946)  COVID-19 booster\nVaccinator: R. Rivera",
        id="roster-with-clock-times",
    ),
    pytest.param(
        "Attached is the ultrasound for baby Ayla (born 3 days ago), possible hip dysplasia, "
        "pls review.",
        id="newborn-named-by-first-name",
    ),
]


def rules_phi(
    engine: PhiEngine, body: str, subject: str = "Follow-up"
) -> tuple[bool, list[Finding]]:
    findings, _ = engine.analyze(mail(body, subject))
    return decide(findings, DetectorConfig().decision.clone(learned=False)).phi, findings


@pytest.mark.parametrize("body", PHI_MAIL)
def test_care_mail_is_phi(engine: PhiEngine, body: str) -> None:
    """Each message names a patient with their care: PHI by the hand rules alone."""
    phi, findings = rules_phi(engine, body)
    assert phi, [f.describe() for f in findings]


def test_your_plan_without_measurements_is_not_patient_mail(engine: PhiEngine) -> None:
    """'your plan' beside a drug name (a topic, not a measured value) does not make a patient."""
    body = (
        "Hi Sarah,\n\nCould I have ten minutes in your diary to go through your pricing plan? "
        "We can also talk about empagliflozin supply.\n\nTom, Account Manager"
    )
    phi, findings = rules_phi(engine, body)
    assert not phi, [f.describe() for f in findings]
    assert not [f for f in findings if f.entity == "PATIENT_NAME"]


@pytest.mark.parametrize("word", ["Mum", "Dad", "Mother", "Grandad"])
def test_family_words_are_no_names(engine: PhiEngine, word: str) -> None:
    """'Mum reports fussy eating': the family member is not a person's name."""
    text = f"{word} reports fussy eating and constipation since the summer."
    people = ("PERSON", "PATIENT_NAME", "PROVIDER_NAME")
    names = [f for f in engine.analyze_text(text, full=True) if f.entity in people]
    assert not [f for f in names if text[f.start : f.end] == word]


@pytest.mark.parametrize(
    ("text", "entity", "phrase", "expected"),
    [
        ("Mum reports constipation.", "DIAGNOSIS", "constipation", True),
        ("He has had jaundice.", "DIAGNOSIS", "jaundice", True),
        ("Staff retention and rotation are on the agenda.", "DIAGNOSIS", "retention", False),
        ("Visit the osteopathy clinic.", "DIAGNOSIS", "osteopathy", False),
        ("Repeat U&E and FBC next week.", "LAB_RESULT", "U&E", True),
        ("LFTs were normal.", "LAB_RESULT", "LFTs", True),
        ("HbA1c last month 82 mmol/mol", "LAB_RESULT", "HbA1c", True),
        ("DOB 04/03/1988, hospital no. R422275.", "MRN", "R422275", True),
        ("I'll call you again on 26/11/2026 at 10:50.", "PHONE_NUMBER", "26/11/2026", False),
        ("Tel 01.02.2025", "PHONE_NUMBER", "01.02.2025", False),
        ("Call 030/1234567", "PHONE_NUMBER", "030/1234567", True),
    ],
)
def test_words_and_numbers(text: str, entity: str, phrase: str, expected: bool) -> None:
    """One-word ICD-10 conditions (not general nouns), UK lab names, a lab value told after
    when it was taken, a hospital number; a calendar date is never a phone, a phone still is."""
    assert bool(covered(text, entity, phrase)) is expected


def test_lab_value_needs_its_value(engine: PhiEngine) -> None:
    """A lab's score rises with a value after it, not with a date or a word in between."""
    valued = [f for f in engine.analyze_text("HbA1c last month 82", full=True)]
    bare = [f for f in engine.analyze_text("HbA1c last month was discussed", full=True)]
    score = {f.entity: f.score for f in valued}
    assert score.get("LAB_RESULT", 0) > max(f.score for f in bare if f.entity == "LAB_RESULT")
