"""Cue classes for everyday practice mail (issue 10, templates-d): care encounters, allergies,
sick notes, injuries, treatment courses, nursing nights, equipment and surgery sessions, glued
record numbers, device serials and unit-first addresses."""

from __future__ import annotations

import pytest

from detectors.config import DetectorConfig
from detectors.decision import decide
from detectors.engine import PhiEngine
from detectors.recognizers import RawMatch, default_recognizers
from tests.support.detect import Part

RECOGNIZERS = default_recognizers(DetectorConfig())


def matches(text: str) -> list[RawMatch]:
    """Every raw match of every cheap recognizer."""
    return [m for rec in RECOGNIZERS for m in rec.analyze(text, 1.0)]


def covered(text: str, entity: str, phrase: str) -> list[RawMatch]:
    """The matches of `entity` that lie inside `phrase`'s place in `text` and overlap it."""
    start = text.index(phrase)
    end = start + len(phrase)
    return [m for m in matches(text) if m.entity == entity and m.start < end and start < m.end]


NARRATIVE = [
    # encounter: the reader's own visit, a booking with a clinician, a kind of clinical visit
    ("Hi Tomasz, a reminder of your hygienist appointment on 12 March at 09:40.",
     "hygienist appointment", 0.75),
    ("Appointment: 14/02/2027 10:15 with Dr Okonkwo, room 3.",
     "Appointment: 14/02/2027 10:15 with Dr", 0.75),
    ("Please arrange a results appointment for next week.", "results appointment", 0.75),
    ("Mrs Varga was last seen 3 March and is due a review.", "last seen 3", 0.75),
    # allergy
    ("Before theatre: Pham Thi Lan had anaphylaxis to chlorhexidine in 2018.",
     "had anaphylaxis", 0.8),
    ("She is allergic to sulfa drugs.", "is allergic to", 0.8),
    # certification: sick and fit notes, school excuses
    ("Mr Idowu is unfit for work until 20 April.", "unfit for work", 0.55),
    ("Please excuse her absence from sports day.", "excuse her absence", 0.55),
    # injury by body part
    ("Seen in minor injuries with a sprained ankle.", "sprained ankle", 0.55),
    ("Three days of antibiotics for a chest infection.", "chest infection", 0.55),
    # a treatment course and a medicine running out
    ("Thank you for referring Joanna Wiśniewska to the falls clinic.",
     "Thank you for referring", 0.55),
    ("He has run out of his inhaler again.", "has run out of", 0.55),
    # a nursing night and a medicine given by the clock
    ("Grandad had a settled night and is eating a little.", "had a settled night", 0.55),
    ("Oxycodone 5 mg every 6 hours as needed.", "5 mg every 6 hours", 0.55),
    # a workers' compensation note: the injury field, the body part's strain, the work status
    ("Injury: fell from a ladder at the depot.", "fell from a ladder at the depot", 0.8),
    ("Seen today for a right knee sprain.", "knee sprain", 0.55),
    ("Work status: restricted duty, no lifting over 5 kg.", "restricted duty", 0.55),
    # a lab report's specimen label
    ("Specimen collected: 14 June\nTest: throat swab", "14 June", 0.8),
]  # fmt: skip


# Encounter cues are reported as appointments (the type an appointment-reminder consent covers).
APPOINTMENTS = NARRATIVE[:4]


@pytest.mark.parametrize(("text", "phrase", "score"), NARRATIVE)
def test_practice_mail_cues(text: str, phrase: str, score: float) -> None:
    """Each cue class is read as clinical narrative, at least at its floor score."""
    entity = "APPOINTMENT" if (text, phrase, score) in APPOINTMENTS else "CLINICAL_NARRATIVE"
    hits = covered(text, entity, phrase)
    assert hits, phrase
    assert max(m.score for m in hits) >= score


NOT_NARRATIVE = [
    "No adverse events have been reported with this lot.",
    "Please report adverse events to the manufacturer.",
    "Book your annual leave in the rota by Friday.",
    "The appointment of a new finance director was approved.",
    "The heating will be off while the boiler is serviced.",
    "Our new program launches in the spring.",
    "Specimen bags and labels arrive on Monday.",
]


@pytest.mark.parametrize("text", NOT_NARRATIVE)
def test_business_sentences_are_not_narrative(text: str) -> None:
    """Business mail's leave, appointments of officers and product safety counts are no care."""
    assert not [m for m in matches(text) if m.entity in ("CLINICAL_NARRATIVE", "APPOINTMENT")]


PROCEDURE_WORDS = [
    ("The ECG machine in room 2 is due for calibration.", "ECG", False),
    ("The X-ray unit will be serviced on Tuesday.", "X-ray", False),
    ("Dr Haas will run the minor surgery clinic from May.", "surgery", False),
    ("Dr Lim now does Thursday AM surgery instead of Friday.", "surgery", False),
    ("Surgery hours change over the holiday.", "Surgery", False),
    ("ECG showed new atrial fibrillation.", "ECG", True),
    ("She had surgery on her hip last month.", "surgery", True),
]


@pytest.mark.parametrize(("text", "word", "expected"), PROCEDURE_WORDS)
def test_equipment_and_sessions_are_no_procedure(text: str, word: str, expected: bool) -> None:
    """A procedure word naming equipment, a service or a surgery session is no procedure."""
    assert bool(covered(text, "PROCEDURE", word)) is expected


IDENTIFIERS = [
    ("Per the export (chartMRN04857211) no addendum was filed.", "MRN", "04857211", True),
    ("Hygienist visit confirmed. Patient ref 448120.", "MRN", "448120", True),
    ("Device serial SN-QX4-550912B stopped sending readings.", "DEVICE_ID", "SN-QX4-550912B",
     True),
    ("The NMRN12345 code is a course number.", "MRN", "12345", False),
    ("Order reference 448120 has shipped.", "MRN", "448120", False),
]  # fmt: skip


@pytest.mark.parametrize(("text", "entity", "value", "expected"), IDENTIFIERS)
def test_glued_and_labelled_identifiers(text: str, entity: str, value: str, expected: bool) -> None:
    """A record label glued to its number, a patient reference and a device serial are read."""
    hit = any(m.entity == entity and text[m.start : m.end] == value for m in matches(text))
    assert hit is expected


ADDRESSES = [
    ("Please post it to Flat 12B\nKestrel Close, Harrowby.", "Flat 12B\nKestrel Close", True),
    ("Studio 4\nMarlow Gardens\nis where we meet.", "Studio 4\nMarlow Gardens", True),
    ("Meeting in Suite 5\nPlease bring slides.", "Suite 5\nPlease", False),
]


@pytest.mark.parametrize(("text", "phrase", "expected"), ADDRESSES)
def test_unit_line_then_street(text: str, phrase: str, expected: bool) -> None:
    """A unit line alone and a numberless street on the next line make one address."""
    hits = covered(text, "STREET_ADDRESS", phrase)
    assert any(text[m.start : m.end].startswith(phrase) for m in hits) is expected


def mail(body: str, subject: str = "Reminder") -> list[Part]:
    """A message as the extractor splits it: subject, address headers, body."""
    header = "From: Reception <desk@harbour-dental.example>\nTo: recall@mail.example"
    return [Part("subject", subject), Part("header", header, "header"), Part("body", body)]


PATIENT_MAIL = [
    pytest.param(
        "Dear Marta Kowalczyk,\n\nOur records show you are due for your six-monthly check-up "
        "with Dr Reilly. Please call us to book.\n\nHarbour Dental",
        id="recall-greeting-addressee-is-patient",
    ),
    pytest.param(
        "Interpreter booking\nLanguage: Dari\nPatient: Farid Rahimi\nDOB: 02/05/1961\n"
        "Appointment: 11/03/2027 14:20 with Dr Byrne",
        id="interpreter-booking",
    ),
    pytest.param(
        "This is to certify that Lucia Ferreira attended our clinic on 4 May and is unfit for "
        "work until 11 May because of a chest infection.\n\nDr Ahmed",
        id="sick-note",
    ),
]


@pytest.mark.parametrize("body", PATIENT_MAIL)
def test_practice_mail_about_a_patient_is_phi(engine: PhiEngine, body: str) -> None:
    """A named patient's recall, interpreter booking or sick note is PHI by the hand rules."""
    findings, _ = engine.analyze(mail(body))
    cfg = DetectorConfig()
    rules = decide(findings, cfg.decision.clone(learned=False))
    assert rules.phi, [f.describe() for f in findings]


def test_rota_swap_is_not_phi(engine: PhiEngine) -> None:
    """Staff swapping a surgery session and an on-call is business mail."""
    body = (
        "Hi all,\n\nPriya and Tom have swapped: Priya now does Tuesday AM surgery and Tom covers "
        "the Saturday on-call.\n\nPractice Manager"
    )
    findings, _ = engine.analyze(mail(body, "Rota change"))
    assert not [f for f in findings if f.entity == "PROCEDURE"]


@pytest.mark.parametrize(
    "text",
    ["Hi Ana, your annual check-up is due.", "İzmir clinic: your annual check-up is due."],
)
def test_encounter_span_starts_after_your(text: str) -> None:
    """The reader's own visit is matched from the word after "your", whatever came before it."""
    spans = {text[m.start : m.end] for m in covered(text, "APPOINTMENT", "annual check-up")}
    assert spans == {"annual check-up"}
