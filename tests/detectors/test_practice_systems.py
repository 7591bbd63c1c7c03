"""What practice systems send: a booking or review mail that names the visit by what it is and
who gives it, whatever the service is called; a financing or booking form's procedure field; a
name with a date of birth beside it; a patient named with their account; and, on the clean side,
demo record numbers and equipment named after a test.

The sentences are written here as a practice's systems and staff would write them; none is taken
from a corpus source (templates-o found these classes, docs/detection.md).
"""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage

import pytest

from detectors.engine import PhiEngine, ner_text
from detectors.extract import extract_message
from detectors.recognizers.health import ClinicalNarrativeRecognizer, ProcedureRecognizer

T = 5.0


@pytest.fixture(scope="module")
def engine() -> PhiEngine:
    return PhiEngine()


def scan(
    engine: PhiEngine,
    body: str,
    *,
    subject: str = "Notification",
    to: str = "team@clinic.example",
    sender: str = "Front Desk <desk@clinic.example>",
) -> tuple[bool, set[str]]:
    """Whether the engine calls a message PHI, and the entity types it found."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    findings, decision = engine.analyze(extract_message(msg.as_bytes()).parts)
    return decision.phi, {f.entity for f in findings}


@pytest.mark.parametrize(
    "body",
    [
        "Hello Renata Okonkwo,\n\nYour crown seat and bite check with Dr. Abernethy is confirmed "
        "for June 3 at 9:20 am.\n\nBayview Dental\n",
        "Hi Tomasz Wielgosz,\n\nThanks for choosing Ridge Aesthetics for your lip filler touch-up "
        "with Joanna Pike, RN on 05/02/2025. How did we do?\n",
        "Dear Leilani Kahale,\n\nThis is Harbor Fertility confirming your mock embryo transfer w/ "
        "Dr. Osei on 6/12 at 8:00 AM. Reply C to confirm.\n",
        "Hi Dmitri Volkonsky, you are due to schedule your laser resurfacing follow-up. Call us "
        "at (503) 555-0142.\n",
    ],
)
def test_a_booked_visit_named_by_its_service_makes_the_greeted_reader_a_patient(
    engine: PhiEngine, body: str
) -> None:
    phi, entities = scan(engine, body, to="reader@mail.example")
    assert phi
    assert "PATIENT_NAME" in entities


@pytest.mark.parametrize(
    "body",
    [
        "Hi Marisol,\n\nReserve your seat with Dr. Ortiz for the implant workshop on May 9.\n",
        "Hi Graham,\n\nYour interview with Dr. Feld is on Tuesday at 2 pm in the admin suite.\n",
        "Hi Priya,\n\nThanks for your order with Henry Lab, DDS. It ships Monday.\n",
    ],
)
def test_a_meeting_order_or_course_with_a_doctor_is_no_visit(engine: PhiEngine, body: str) -> None:
    phi, entities = scan(engine, body, to="colleague@mail.example")
    assert not phi
    assert "APPOINTMENT" not in entities


def test_a_procedure_field_after_a_care_word_is_health_information() -> None:
    text = (
        "Provider: Lakeside Orthodontics (merchant 4410)\nApplicant: Ferreira, Joana\n"
        "Procedure / treatment: clear aligner comprehensive\n"
    )
    hits = ClinicalNarrativeRecognizer().analyze(text, T)
    assert [text[m.start : m.end] for m in hits] == ["clear aligner comprehensive"]


def test_a_runbook_procedure_is_not() -> None:
    text = "Change window Saturday.\nProcedure: stop the print spooler, then restart the VM.\n"
    assert ClinicalNarrativeRecognizer().analyze(text, T) == []


def test_a_financing_request_naming_the_patient_and_the_treatment_is_phi(
    engine: PhiEngine,
) -> None:
    body = (
        "Provider: Lakeside Orthodontics (merchant 4410)\nApplication #: A99120\n\n"
        "Patient: Ferreira, Joana\nPhone: 615.555.0199\nRequested amount: $4,800\n"
        "Procedure / treatment: clear aligner comprehensive\n\nAPPROVED - 12 months\n"
    )
    assert scan(engine, body, sender="Credit <alerts@credit.example>")[0]


def test_a_name_with_a_date_of_birth_beside_it_is_the_patient_not_the_greeted_staff(
    engine: PhiEngine,
) -> None:
    body = (
        "Hi Ingrid Halvorsen,\n\nCycle summary for 4/14/25\n"
        "Recipient: Ingrid Halvorsen   R-50213   DOB 07/02/83\n\nMature eggs: 11\n"
    )
    phi, entities = scan(engine, body, to="ingrid.h@mail.example")
    assert phi
    assert "PATIENT_NAME" in entities


def test_a_patient_named_with_their_account_is_phi(engine: PhiEngine) -> None:
    body = (
        "Hi team,\n\nPlease pull the consent for the website gallery.\n\n"
        "Patient: Beatriz Caldeira (Acct #40917733)\n\nThanks\n"
    )
    assert scan(engine, body)[0]


def test_a_demo_member_id_names_nobody(engine: PhiEngine) -> None:
    body = (
        "Release 8.2 highlights:\n* The demo card uses subscriber Jane Sample, member ID "
        "DEMO884201, to show the new benefit bar.\n"
    )
    phi, entities = scan(engine, body, sender="Product <releases@vendor.example>")
    assert not phi
    assert "MEMBER_ID" not in entities


def test_equipment_named_after_a_test_is_no_procedure() -> None:
    for text in (
        "Equipment: digital x-ray detector, S/N 44120",
        "The ultrasound probe cable is frayed",
    ):
        assert ProcedureRecognizer().analyze(text, T) == []


# ---- found on the tuning halves of templates-p and templates-q ----------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "Outreach calls 10/02\n\nName                 DOB         Phone           Outcome\n"
        "Okafor, Chidinma     03/14/1951  (717) 555-0110  scheduled\n"
        "Lindqvist, Per       11/02/1947  717-555-0188    no answer\n",
        'Acct,Guarantor,DOB,Phone,LastDOS,Balance\n204411,"PEREIRA, LUCAS",02/05/1969,'
        "614-555-0107,08/14/2024,$410.00\n",
    ],
)
def test_a_row_with_a_name_and_an_old_date_is_a_patient_with_their_birth_date(
    engine: PhiEngine, body: str
) -> None:
    phi, entities = scan(engine, body)
    assert phi
    assert {"PATIENT_NAME", "DOB"} <= entities


def test_a_recent_date_beside_a_name_is_no_birth_date(engine: PhiEngine) -> None:
    this_year = date.today().year
    body = (
        f"Hire dates\n\nOkafor, Chidinma     03/14/{this_year - 1}  front desk\n"
        f"Lindqvist, Per  11/02/{this_year - 5}\n"
    )
    phi, entities = scan(engine, body)
    assert not phi
    assert "DOB" not in entities


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("Reading: 92/51 mmHg\nThreshold: SBP < 95", "CLINICAL_NARRATIVE"),
        ("Alert: low blood pressure", "DIAGNOSIS"),
        ("she was in the ED twice last month", "APPOINTMENT"),
        ("3 ER visits since June", "APPOINTMENT"),
        ("You're due for your 2026 Medicare Annual Wellness Visit.", "APPOINTMENT"),
    ],
)
def test_readings_lay_conditions_and_emergency_visits_are_health_information(
    engine: PhiEngine, text: str, entity: str
) -> None:
    raw = engine._clean(text, engine._cheap(text))
    assert entity in {m.entity for m in raw}


def test_a_site_visit_is_no_care(engine: PhiEngine) -> None:
    text = "Thanks again for your site visit to our plant last week."
    assert not [m for m in engine._clean(text, engine._cheap(text)) if m.category == "health"]


def test_a_count_of_visits_is_no_street_address(engine: PhiEngine) -> None:
    text = "A woman in her 70s had 6 ED visits and 2 admissions over six months."
    raw = engine._clean(text, engine._cheap(text))
    assert "STREET_ADDRESS" not in {m.entity for m in raw}


def test_a_monitoring_alert_naming_the_patient_is_phi(engine: PhiEngine) -> None:
    body = (
        "Dr. Osei - FYI, alert below.\n\n---------- Forwarded message ---------\n"
        "Subject: Low blood pressure - Brandt, M.\n\nPatient: BRANDT, MARGIT (ID 770412)\n"
        "Reading: 88/49 mmHg\nThreshold: SBP < 95\n"
    )
    assert scan(engine, body)[0]


def test_a_writer_who_says_they_are_the_patient_signs_as_the_patient(engine: PhiEngine) -> None:
    body = (
        "Lena - can you call her back?\n\nMarek\n\n-------- Forwarded message --------\n"
        "From: Rosalind Achterberg <ros.achterberg@mail.example>\nSubject: Very upset\n\n"
        "To whom it may concern,\n\nOn 2/11/2025 I came to your Hilliard office for my "
        "colonoscopy and waited two hours. I have been a patient for 9 years.\n\nSincerely,\n"
        "Rosalind Achterberg\n"
    )
    phi, entities = scan(engine, body)
    assert phi
    assert "PATIENT_NAME" in entities


def test_a_reason_for_visit_in_brackets_is_health_information() -> None:
    text = "The receptionist read out my reason for visit (sleep apnea device check) aloud."
    hits = ClinicalNarrativeRecognizer().analyze(text, T)
    assert "sleep apnea device check" in [text[m.start : m.end] for m in hits]


@pytest.mark.parametrize(
    "text",
    [
        "Low SpO2 - Varga, T.",
        "Weight gain: 201.5 lb (+3.2 lb in 24 h)",
        "my sugar was 240 after lunch",
        "she was in the MGH ED twice",
    ],
)
def test_monitoring_alerts_and_a_patients_own_readings_are_health_information(
    engine: PhiEngine, text: str
) -> None:
    assert [m for m in engine._clean(text, engine._cheap(text)) if m.category == "health"]


@pytest.mark.parametrize(
    "text",
    ["We have high demand for temp staff this winter.", "Add sugar 200 g and stir."],
)
def test_demand_and_recipes_are_no_readings(engine: PhiEngine, text: str) -> None:
    assert not [m for m in engine._clean(text, engine._cheap(text)) if m.category == "health"]


def test_ner_reads_a_blank_line_as_a_relayed_message_had_it(engine: PhiEngine) -> None:
    """Extracted text has LF line ends; a name opening the paragraph after a blank line was lost
    to NER once the CRLF went (35d81e2), and is found again."""
    text = (
        "Dear Woods-Robles recruitment,\n\nWarji Budiman has completed pre-placement screening "
        "and is fit for the post of Designer. They have declared type 1 diabetes.\n\n"
        "Jasmine Dickerson, Occupational Health\n"
    )
    names = [text[m.start : m.end] for m in engine._ner(text) if m.entity == "PERSON"]
    assert "Warji Budiman" in names
    assert ner_text(text) != text and len(ner_text(text)) == len(text)


def test_a_representative_speaking_of_their_visit_is_no_patient(engine: PhiEngine) -> None:
    body = (
        "Hi,\n\nFollowing my visit last month, Dr Gordon asked for the new dosing guide for "
        "Fostair. I'd like to drop it in on Tue 17 Nov.\n\nThanks,\nAmber Mejia\n"
    )
    phi, entities = scan(engine, body)
    assert not phi
    assert "PATIENT_NAME" not in entities


def test_a_reference_range_in_decilitres_is_no_driver_licence(engine: PhiEngine) -> None:
    text = "Test\tCurrent\tNew\nTestosterone, total\t264-916 ng/dL\t250-1100 ng/dL\n"
    raw = engine._clean(text, engine._cheap(text))
    assert "US_DRIVER_LICENSE" not in {m.entity for m in raw}
    licence = "Driver: DL# D1234-5678 (NY)"
    assert "US_DRIVER_LICENSE" in {m.entity for m in engine._clean(licence, engine._cheap(licence))}


# ---- found on the tuning half of templates-s ----------------------------------------------------


def test_a_student_label_names_the_child_a_form_is_about() -> None:
    from detectors.recognizers.names import NameRecognizer

    text = "SCHOOL HEARING SCREENING REFERRAL\nStudent: Jacob Palmer   Gr 4\nResult: refer"
    found = [(text[m.start : m.end], m.role) for m in NameRecognizer().analyze(text, T)]
    assert ("Jacob Palmer", "patient") in found


@pytest.mark.parametrize(
    "text",
    [
        "Stephen is due for his 15-month well visit and vaccines (DTaP, Hib).",
        "We weighed Faras at home and he is 85.9 lbs now. Is that ok?",
    ],
)
def test_a_childs_due_visit_and_a_parents_reading_are_health_information(
    engine: PhiEngine, text: str
) -> None:
    assert [m for m in engine._clean(text, engine._cheap(text)) if m.category == "health"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Patient: JACOB PALMER   ID: 6761669", "JACOB PALMER"),
        ("Student: ANNA KOWALSKI (Gr 4)", "ANNA KOWALSKI"),
    ],
)
def test_a_name_in_capitals_after_a_patient_label(text: str, name: str) -> None:
    from detectors.recognizers.names import NameRecognizer

    found = [(text[m.start : m.end], m.role) for m in NameRecognizer().analyze(text, T)]
    assert (name, "patient") in found


@pytest.mark.parametrize(
    "text", ["RE: ANNUAL REVIEW MEETING", "Patient: ICU NURSING STAFF", "for BOARD MEMBERS ONLY"]
)
def test_capitals_that_are_a_heading_are_no_name(text: str) -> None:
    from detectors.recognizers.names import NameRecognizer

    assert not [m for m in NameRecognizer().analyze(text, T) if m.role == "patient"]
