"""Classes from templates-h's first misses and false alarms (issue 10): a caller who gives their
name and their own symptom, a specimen row of a name and a pathology diagnosis, a site on the
reader's body, screen outcomes and genetic results, a proband, "SURNAME, Given" in a subject; and
on the clean side sign-offs over more job titles, a town after a street, symptoms as a topic.
"""

from __future__ import annotations

import pytest

from detectors.engine import PhiEngine
from detectors.recognizers.base import column_header
from detectors.recognizers.health import OWN_SYMPTOM
from tests.detectors.test_care_mail_classes import rules_phi
from tests.detectors.test_practice_mail_cues import covered

PHI_MAIL = [
    pytest.param(
        'Voicemail for the triage nurse:\n"Hello, Marisol Quintanilla here, the water tablets '
        'make me dizzy every morning. Call me on 312 555 0148."',
        id="caller-names-herself-and-her-symptom",
    ),
    pytest.param(
        "Transcribed message: yes hi it's Dmitri Volkov calling, my daughter has had a rash and "
        "a temperature since Sunday. Number is 416-555-0190.",
        id="parent-calling-about-a-child",
    ),
    pytest.param(
        "Can someone ring her today?\n> A27-11852 Priya Natarajan - squamous cell carcinoma, "
        "margins clear.\n\nKaren, MA",
        id="specimen-row-with-diagnosis",
    ),
    pytest.param(
        "Dear Tobias,\n\nThe lesion we removed from your right shoulder last week was benign. No "
        "further treatment is needed.\n\nDermatology team",
        id="site-on-the-readers-body",
    ),
    pytest.param(
        "Family history | Helga Lindqvist\nProband: Helga, 51 y\nPanel result: likely "
        "pathogenic variant, BRCA2 c.5946delT\nPhone: 604-555-0127",
        id="genetic-result-of-a-proband",
    ),
    pytest.param(
        "Officer Baker,\n\nAs ordered by the court: Ramon Estrada tested negative on the urine "
        "drug screen collected 11/02/2026.\n\nClinic front desk",
        id="drug-screen-outcome",
    ),
    pytest.param(
        "Hi, the QuantiFERON for Oluwaseun Adeyemi came back positive, so the I-693 needs a "
        "chest X-ray before we sign.\n\nLeah",
        id="tb-blood-test-result",
    ),
    pytest.param(
        "Dear Dr. Szabóné Kiss Ilona,\n\nYour results from last week are back: LDL 171 mg/dL. "
        "Dr. Arnold would like to raise your atorvastatin to 40 mg.\n\nPractice nurse",
        id="doctor-addressed-about-her-own-results",
    ),
    pytest.param(
        "Dear pani Marika Wrona,\n\nYour blood tests are back: INR 3.4. Please take 1 mg less "
        "warfarin until Friday.\n\nAnticoagulation clinic",
        id="polish-form-of-address",
    ),
    pytest.param(
        "Hi Gail,\n\nsorry the pads went to the old address. Updated.\n\n> my mum is "
        "03/02/1931 and has dementia with double incontinence\n\nDistrict nursing",
        id="relatives-birth-date",
    ),
    pytest.param(
        "Subject access: SAR 5120 - Okafor, Chidi. Address on record 4 Mill Lane, Leeds LS6 "
        "2AB. Request covers all records since 2018.",
        id="subject-access-request",
    ),
    pytest.param(
        "Please find the airline's MEDIF for Ilse Vandenberghe (booking ref QWXPLM). Diagnosis: "
        "fractured ankle in a boot, on dalteparin.\n\nReception",
        id="form-for-a-patient",
    ),
    pytest.param(
        "Seen in ED overnight: Tomasz Wrobel, 41, overdose of 30 sertraline, medically fit. "
        "Follow-up by the home treatment team.",
        id="name-and-age-between-commas",
    ),
    pytest.param(
        "Yusuf Demir attended today's session. Low mood, poor sleep; sertraline increased to "
        "100 mg.\n\nMaria Reyes\nFront desk",
        id="attended-todays-session",
    ),
    pytest.param(
        "Report for the review conference: the child missed two appointments. Mother "
        "(ممتاز حیدری) attended with a bruised cheek.\n\nSafeguarding lead",
        id="relative-named-in-brackets",
    ),
    pytest.param(
        "Recall list attached.\n\nName,DOB,Last result,Action\nAnn Okoro,20-06-1984,HPV "
        "positive, cytology negative,letter 1\nLi Wei,25/10/1987,inadequate sample,letter 2\n",
        id="csv-with-unquoted-commas",
    ),
    pytest.param(
        "For the GP records, referred from screening this week:\n\n  Κλειώ Κυριαννάκη  19 "
        "November 1964  R3A M1 -> eye clinic\n  Ann Okoro  03/02/1971  R2 M0 -> eye clinic\n",
        id="dated-rows",
    ),
    pytest.param(
        "Hi Dr Khan,\n\nI phoned Pamela Mills at home after discharge: ramipril 5 mg stopped "
        "for hypotension on the ward.\n\nPractice pharmacist",
        id="phoned-a-patient",
    ),
    pytest.param(
        "Dr. Anneli Virtanen will be abroad until March and can be reached at +358 40 123 "
        "4567. Please arrange a repeat of sertraline 50 mg for her depression.\n\nReception",
        id="titled-patient-and-her-own-condition",
    ),
    pytest.param(
        "Oymak Ertaş will be abroad until next month, on +90 533 376 5392. Please arrange a "
        "refill of metformin 500 mg for their type 2 diabetes.\n\nFront desk",
        id="patient-away-and-their-condition",
    ),
    pytest.param(
        "Hi,\n\nI got a text saying my results are back. Is it the chlamydia one? I'm "
        "worried.\n\nThanks\nNomvula\n+27 82 555 0134\nClient no. 552190",
        id="patient-asks-after-her-results",
    ),
    pytest.param(
        "Export for the audit.\n\nsent,client,mobile,template\n02/03/2026,Leo Murphy,"
        "+61 488 907 358,SYPHILIS_RECALL\n03/03/2026,Ann Okoro,+61 400 555 017,HIV_RESULT_CALL\n",
        id="status-codes-with-underscores",
    ),
    pytest.param(
        "NDIS evidence\nParticipant: Julia Bradley\nMedicare: 2123 45670 1\nPrimary "
        "disability: cerebral palsy\nCompleted by Dr Woods",
        id="participant-and-australian-medicare",
    ),
    pytest.param(
        "FYI I've seen Jacqueline Tan (NRIC S1234567D) for a sight test. Pressures R 32 / L 36; "
        "referred to ophthalmology.\n\nOptometrist",
        id="singapore-nric-and-eye-pressures",
    ),
    pytest.param(
        "I visited Tori Maclean at home on 20 February. She lives alone and has Parkinson's "
        "disease; I recommended grab rails.\n\nOccupational Therapist",
        id="home-visit",
    ),
    pytest.param(
        "Quick update before the IEP meeting: Grace Allan is doing well with her stammering and "
        "the developmental language disorder diagnosis stands.\n\nSLT",
        id="speech-and-language",
    ),
    pytest.param(
        "FYI I've seen Anjali Rao (ABHA no. 41-3848-0388-5865) for a sight test and referred "
        "to ophthalmology.\n\nOptometrist",
        id="indian-health-account-number",
    ),
    pytest.param(
        "FYI I've seen Thabo Nkosi (Folder no. CHB7149456) for a sight test. He is on "
        "prednisolone.\n\nOptometrist",
        id="hospital-folder-number",
    ),
]

SUBJECT_PHI = [
    pytest.param("HARTMANN, Greta - positive screen 11/04", id="surname-given-latin"),
    pytest.param("ОРЛОВА, Вера - positive screen", id="surname-given-cyrillic"),
    pytest.param("Agnieszka Wrona - lithium", id="name-dash-drug"),
    pytest.param(
        "Referral: 윤서 김 (23 October 1959) - IOP R38/L34", id="referral-with-birth-date"
    ),
    pytest.param("কেয়া তালুকদার - warfarin", id="uncased-name-dash-drug"),
]

CLEAN_MAIL = [
    pytest.param(
        "Team,\n\nScreening rates this quarter: breast cancer screening 88%, depression "
        "screening 71%, HbA1c control 64%.\n\nDaniel Whitcombe, Quality Analyst",
        id="aggregate-dashboard-signed-by-analyst",
    ),
    pytest.param(
        "Dear Lucinda Farrow,\n\nWe are pleased to offer you the post of Medical Assistant. "
        "This offer depends on proof of immunizations. Report to 88 rue Sauvé, Saint-Laurent "
        "Nord at 8 am.\n\nHuman Resources",
        id="job-offer-with-a-town-after-the-street",
    ),
    pytest.param(
        "Dear Dr. Petrov,\n\nThank you, your referral has been received and your appointment "
        "request is with the cardiology triage team.\n\nReferral management",
        id="doctor-greeted-about-her-referral",
    ),
    pytest.param(
        "Dear Practice,\n\nMembers may now self-refer for up to eight sessions of counselling "
        "without a GP referral.\n\nMember Services, +64 27 567-5575",
        id="insurer-phone-is-no-member-id",
    ),
    pytest.param(
        "Dear Practice Manager,\n\nYour ECG viewer licence (account 89426969) renews on 2 "
        "January: 12 seats at £38.00 a month.\n\nAccount Manager",
        id="ecg-viewer-licence",
    ),
    pytest.param(
        "Dr Patel will be away next month, reachable on 07700 900123. Please arrange cover for "
        "her diabetes clinic.\n\nPractice manager",
        id="doctor-away-and-her-clinic",
    ),
    pytest.param(
        "Prof. Ken Ito joins us on Monday. He will lead the service and supervise the treatment "
        "of their asthma patients.\n\nHR",
        id="professor-and-his-patients",
    ),
    pytest.param(
        "Hi Bruce,\n\nYour travel for the Sports Medicine Australia Conference is booked: "
        "flight SA771, hotel 3 nights.\n\nPractice Manager",
        id="conference-travel",
    ),
    pytest.param(
        "Blank audit form attached.\n\nTopic: asthma reviews in under-16s\nPatient name: "
        "____________\nDOB: __/__/____\nComments: ____________\n\nClinical Governance Lead",
        id="blank-audit-form",
    ),
    pytest.param(
        "Phonak is pleased to announce the new Lumity range for your patients. Book a demo with "
        "Sarah Jones, Territory Manager.",
        id="hearing-aid-maker-advert",
    ),
    pytest.param(
        "Hi all, I have attached the rash photo guide from the webinar and I have a question "
        "about dizziness in older drivers for Thursday's meeting.\n\nMorgan Ellis\nPractice "
        "Manager",
        id="symptoms-as-topics",
    ),
]


@pytest.mark.parametrize("body", PHI_MAIL)
def test_phi_mail(engine: PhiEngine, body: str) -> None:
    """Each message names a patient with their care: PHI by the hand rules alone."""
    phi, findings = rules_phi(engine, body)
    assert phi, [f.describe() for f in findings]


@pytest.mark.parametrize("subject", SUBJECT_PHI)
def test_subject_only_phi(engine: PhiEngine, subject: str) -> None:
    """A subject of a name in record order and a screen's outcome, with a body that says nothing."""
    phi, findings = rules_phi(engine, "FYI as requested. Report to follow.", subject)
    assert phi, [f.describe() for f in findings]


@pytest.mark.parametrize("body", CLEAN_MAIL)
def test_clean_mail(engine: PhiEngine, body: str) -> None:
    """No patient: business mail that names staff, places and clinical topics."""
    phi, findings = rules_phi(engine, body)
    assert not phi, [f.describe() for f in findings]


WORDS = [
    ("the blood pressure pill makes me dizzy", "DIAGNOSIS", "dizzy", True),
    ("I've got bad cramping since Tuesday", "DIAGNOSIS", "cramping", True),
    ("result: variant of uncertain significance c.4837A>G", "LAB_RESULT", "c.4837A>G", True),
    ("result: variant of uncertain significance", "LAB_RESULT", "uncertain significance", True),
    ("missense change p.Arg1699Trp", "LAB_RESULT", "p.Arg1699Trp", True),
    ("see p.12 of the guide", "LAB_RESULT", "p.12", False),
    ("negative urine drug screen today", "LAB_RESULT", "drug screen", True),
    ("The IGRA came back negative.", "LAB_RESULT", "IGRA", True),
    ("grade R3A M1 -> hospital eye service", "LAB_RESULT", "R3A M1", True),
    ("meet in room R1 at 10", "LAB_RESULT", "R1", False),
]


@pytest.mark.parametrize(("text", "entity", "phrase", "expected"), WORDS)
def test_words_and_numbers(text: str, entity: str, phrase: str, expected: bool) -> None:
    """Symptoms told in the first person, genetic notation and screen outcomes are health."""
    assert bool(covered(text, entity, phrase)) is expected


@pytest.mark.parametrize(
    "text",
    [
        "I have a question about dizziness in older drivers",
        "I have attached the rash photo guide",
        "my son has a headache clinic appointment form to fill in for school",
    ],
)
def test_symptoms_as_topics_are_not_told_symptoms(text: str) -> None:
    """A symptom after a preposition, or naming a leaflet or a clinic, is nobody's symptom."""
    assert OWN_SYMPTOM.search(text) is None


def test_ragged_csv_rows_keep_their_left_columns() -> None:
    """Unquoted commas in a free-text cell add cells on the right; the left ones still line up."""
    text = (
        "Name,DOB,Last result,Action\nAnn Okoro,20-06-1984,HPV positive, cytology negative,"
        "letter 1\nLi Wei,25/10/1987,inadequate sample,letter 2\n"
    )
    assert column_header(text, text.index("20-06-1984")) == "DOB"
    assert column_header(text, text.index("25/10/1987")) == "DOB"
    assert column_header(text, text.index("Li Wei")) == "Name"
    # right of the first cell that may hold commas nothing is known
    assert column_header(text, text.index("cytology")) == ""
