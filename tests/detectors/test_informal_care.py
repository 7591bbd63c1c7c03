"""Staff shorthand and sensitive care: lower-case names after a patient label, behavioral,
sexual and reproductive health as staff chart it, record numbers printed in groups, a
clinician's "our therapy session", and speakers who are not patients.

The sentences are written here as a practice's staff would type them; none is taken from a
corpus source (templates-n found these classes, docs/detection.md).
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from detectors.engine import PhiEngine
from detectors.extract import extract_message
from detectors.recognizers.health import LabRecognizer, ProcedureRecognizer
from detectors.recognizers.identifiers import MrnRecognizer
from detectors.recognizers.names import NameRecognizer

T = 5.0
NAMES = NameRecognizer()


@pytest.fixture(scope="module")
def engine() -> PhiEngine:
    return PhiEngine()


def band(
    engine: PhiEngine, body: str, subject: str = "fyi", to: str = "team@clinic.example"
) -> str:
    """The band of a message from the practice with this body."""
    msg = EmailMessage()
    msg["From"] = "Front Desk <desk@clinic.example>"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    return engine.analyze(extract_message(msg.as_bytes()).parts)[1].band


def patients(text: str) -> list[str]:
    return [text[m.start : m.end] for m in NAMES.analyze(text, T) if m.role == "patient"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("- pt: marcus oyelaran\n- 52 yom\n- cc: cough", "marcus oyelaran"),
        ("patient name: gloria abernathy, f/u 2 wk", "gloria abernathy"),
        ("pt ms adebayo 31 yo f c/o dysuria", "adebayo"),
        ("mrs nguyễn in rm 3 - bp 170/100", "nguyễn"),
        ("Pt: dennis whitford (DOB 4/2/61)", "dennis whitford"),
    ],
)
def test_a_lower_case_name_after_a_patient_label_or_title(text: str, name: str) -> None:
    assert name in patients(text)


@pytest.mark.parametrize(
    "text",
    [
        "pt seen today, doing well",
        "pt reports chest pain x2d",
        "patient portal is down until noon",
        "hand out the patient alert card with every pack",
        "pt will call back tomorrow",
        "client ill, cancel",
        "ms flare last month, on ocrelizumab",
    ],
)
def test_words_after_a_patient_label_are_no_name(text: str) -> None:
    assert patients(text) == []


def test_shorthand_handoff_naming_the_patient_in_lower_case_is_phi(engine: PhiEngine) -> None:
    body = "hey\n\n- pt: marcus oyelaran\n- 52 yom\n- hx: htn, t2dm\n- dx: cap\n- f/u: 3/2\n\nthx"
    assert band(engine, body) != "clean"


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("move her psychotherapy appt to Tuesday", "psychotherapy"),
        ("his CBT session is now at 4pm", "CBT session"),
        ("rebook the med management visit", "med management visit"),
        ("IUD insertion on the 14th", "IUD insertion"),
    ],
)
def test_behavioral_and_reproductive_services_are_procedures(text: str, term: str) -> None:
    found = [text[m.start : m.end] for m in ProcedureRecognizer().analyze(text, T)]
    assert term in found


@pytest.mark.parametrize(
    "text",
    [
        "urine hcg pos, quant pending",
        "RPR 1:32, TPPA +",
        "GC NAAT + - came in for tx",
        "hcg down to 240 today",
    ],
)
def test_charted_results_count_as_values(text: str) -> None:
    assert any(m.score >= 0.85 for m in LabRecognizer().analyze(text, T)), text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("uds 03/10/2025 Ms P. mrn 086-645-89: + fentanyl", "086-645-89"),
        ("Ana Reyes (chart 318-004-76) - missed AB at 10w", "318-004-76"),
        ("MRN: 12 345 678", "12 345 678"),
    ],
)
def test_a_record_number_printed_in_groups(text: str, value: str) -> None:
    assert value in [text[m.start : m.end] for m in MrnRecognizer().analyze(text, T)]


@pytest.mark.parametrize(
    "text",
    [
        "mrn 2025-03-11 was the admission date",
        "call 555-123-4567 about the order",
        "ref 086-645-89 for the invoice",
    ],
)
def test_dates_phones_and_other_references_are_no_grouped_record_number(text: str) -> None:
    assert MrnRecognizer().analyze(text, T) == []


@pytest.mark.parametrize(
    "body",
    [
        "pls move Tomasz Wiśniewski's CBT session from Fri to Mon 3/9, he has court",
        "f/u Odile Marchetti after SAB at 8 wk. hcg down to 310. Rh neg, rhogam given.",
        "pls call Devika Raman back re her preg test - urine hcg pos. wants to discuss options",
        "Crisis team called re Arlo Pietersen last night; wellness check done, pt safe at home.",
        "pls call Lionel Fairbairn re RPR 1:32, TPPA +, rx given. partner notification done.",
        "uds 03/10/2025 Ms P. mrn 086-645-89: + buprenorphine, fentanyl. discuss at visit",
    ],
    ids=["therapy", "pregnancy-loss", "hcg", "crisis", "sti", "uds"],
)
def test_sensitive_care_in_staff_shorthand_is_phi(engine: PhiEngine, body: str) -> None:
    assert band(engine, body) != "clean"


def test_a_clinician_moving_our_therapy_session_with_the_client_is_phi(engine: PhiEngine) -> None:
    body = (
        "Hello Priya Venkatesan,\n\nThis is Mara Lindqvist from the Behavioral Health clinic. "
        "I need to move our therapy session on Monday at 2pm. Could we do Thursday instead?\n\n"
        "Mara Lindqvist, LCSW"
    )
    assert band(engine, body, "Rescheduling our session", "priya.v@mail.example") != "clean"


@pytest.mark.parametrize(
    "body",
    [
        "Hi Tom,\n\nI need to move our training session on diabetes education to Monday.\n\nAnn",
        "Gareth Pryce asked to present the new contraceptive (drospirenone 4 mg) data at the "
        "Tuesday huddle, 15 min. I said ok unless anyone objects.\n\nThanks,\nAnn Lee, MD",
        "Dr Ama Owusu will speak on PrEP uptake at the lunch and learn on Friday.",
    ],
    ids=["training-session", "rep-presents", "speaker"],
)
def test_staff_sessions_and_speakers_are_clean(engine: PhiEngine, body: str) -> None:
    assert band(engine, body, "huddle") == "clean"


@pytest.mark.parametrize(
    "body",
    [
        "Hi, my mother Halina Wróbel is more confused at night and keeps asking for her sister "
        "who passed. Can Dr. Ortiz see her? Her birthday is 3 Feb 1931.",
        "my father-in-law's memory is getting worse, he got lost driving home. can dr Ortiz see "
        "him? it's Tomas Riedel, dob 2/9/1940",
        "tao weng called, needs albuterol refill, out since last wk",
        "left vm - wants to restart sertraline. cb (617) 555-0199",
    ],
    ids=["mother", "father-in-law", "name-called", "callback-number"],
)
def test_a_family_members_worry_and_message_taking_are_phi(engine: PhiEngine, body: str) -> None:
    assert band(engine, body) != "clean"


@pytest.mark.parametrize(
    ("text", "name", "role"),
    [
        ("Facilitated by Dana Whitcomb, LICSW. Free and confidential.", "Dana Whitcomb", "staff"),
        ("Case 2 - presented by Abhinav: a woman in her 50s", "Abhinav", "staff"),
        ("• 12:50 Telehealth prescribing update (Jyoti Minhas)", "Jyoti Minhas", "staff"),
        ("Seen by Ann Lee, PsyD on Monday.", "Ann Lee", "provider"),
    ],
)
def test_who_runs_a_session_or_an_agenda_item(text: str, name: str, role: str) -> None:
    assert (name, role) in [(text[m.start : m.end], m.role) for m in NAMES.analyze(text, T)]


def test_a_support_group_flyer_naming_its_facilitator_is_clean(engine: PhiEngine) -> None:
    body = (
        "CHRONIC PAIN COPING SKILLS\nAn 8-week skills group: pacing, sleep, mindfulness.\n"
        "Fridays 10am on Zoom.\nFacilitated by Dana Whitcomb, LICSW. Free and confidential, no "
        "referral needed.\nSign up at the front desk or ask your provider."
    )
    assert band(engine, body, "Chronic pain group") == "clean"
