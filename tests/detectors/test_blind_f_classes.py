"""Classes from templates-f's first misses and false alarms (issue 10): missed appointments and
children not brought, deaths, a name straight before its DOB, list rows of names and medicines,
British spellings, NZ NHI numbers, dd-Mon-yyyy dates, pressure damage; and on the clean side
staff sign-offs over a job title, reps' sign-offs with their firm, teaching cases, product
software, 'Blue Cross' and adverse-event reporting boilerplate. A few from templates-g's misses
too: a name with an earlier year's date in brackets, a titled name on the last line.
"""

from __future__ import annotations

import pytest

from detectors.engine import PhiEngine
from tests.detectors.test_care_mail_classes import rules_phi
from tests.detectors.test_practice_mail_cues import covered

PHI_MAIL = [
    pytest.param(
        "Health visitor FYI - Julie Boatemaa DOB 10.02.2025 was not brought to her 12-month "
        "immunisations on 21/11/2026. Mum's mobile goes to voicemail.\n\nSusanna Buttimore\n"
        "Practice Nurse",
        id="child-not-brought",
    ),
    pytest.param(
        "Dear Gabriel,\n\nAll of us were so sorry to hear that Jacqueline Mayor died on 22 "
        "November. If you would like to talk, please call and ask for me.\n\nDr Pingle",
        id="death-of-a-patient",
    ),
    pytest.param(
        "Dear Sir,\n\nLotta had a comfortable night. We increased the morphine to 20 mg every "
        "4 hours for breathlessness.\n\nSamantha Powell, hospice nurse",
        id="hospice-night",
    ),
    pytest.param(
        "All sorted apart from the last one.\n> Олег Цушко - Salbutamol inhaler x1 - STILL OWED\n"
        "> Віра Редько - Epipen - supplied\n\nDispensary",
        id="owed-medicine-rows",
    ),
    pytest.param(
        "Dr White,\n\nPatient (NHI ZZZ0016) INR 6.3 this morning. Omitted warfarin today, "
        "recheck Friday.\n\nWilliam Benson\nAnticoagulation Nurse",
        id="nz-nhi-with-inr",
    ),
    pytest.param(
        "Hi Antonija,\n\nThanks for your message about your category 2 heel pressure damage. "
        "We have your date of birth as 07-Oct-1938 - please confirm it.\n\nMs Jayne Jones\n"
        "Practice Nurse",
        id="pressure-damage-and-dob",
    ),
    pytest.param(
        "Hi,\n\nStrategy discussion re 영자 양 (born 13/06/2012) on Monday at 12:20. Could the "
        "practice bring the attendance history?\n\nGarrett Spain\nChildren's Social Care",
        id="patient-named-with-birth-date",
    ),
    pytest.param(
        "Dear Adult Social Care,\n\nI am raising a concern about Durodola Ajewole (06 June 1939). "
        "She has Parkinson disease and may lack capacity for this decision.\n\nDr Vincent",
        id="concern-about-name-with-spelled-date",
    ),
    pytest.param(
        "ماهان زارعی\n\nDear ماهان زارعی,\n\nYou did not attend your counselling session "
        "appointment on 11 November.\n\nYours sincerely\nSiddharth Munshi\nReception Manager",
        id="greeting-in-a-script-without-capitals",
    ),
    pytest.param(
        "Dear თამარი,\n\nWe were so sorry to hear that ნაზიბროლა ბიბილაშვილი died on 11 November. "
        "It was a privilege to care for her.\n\nDr Hodson",
        id="georgian-name-died",
    ),
    pytest.param(
        "Hi Wendy,\n\nFollowing today's OH review, Nayeli Jurado is currently unfit for work "
        "because of epilepsy.\n\nJonathan Douglas, OH Nurse Adviser",
        id="unfit-for-work-because-of",
    ),
    pytest.param(
        "Anticoagulation Clinic\nBrian Robinson\n98 Leonard Well, West Alexandra, M89 2EX\n"
        "INR today (28 November): 2.5\nPlease take 3 mg of warfarin on Monday.\nIf you notice "
        "unusual bleeding, contact us.",
        id="letter-head-addressee",
    ),
    pytest.param(
        "Anticoagulation Clinic\nSəma Qurbanlı\nYevlax ş., GƏNCLƏR DOSTLUĞU küç., b. 1, m. 2\n"
        "INR today (17/10/2026): 4.3\nPlease take 5 mg of your warfarin on Monday.\nIf you notice "
        "unusual bleeding, contact us.",
        id="letter-head-foreign-address",
    ),
    pytest.param(
        "Prior notification list attached.\n\nName,DOB,Last result\nমুশফিক মোড়ল,20-06-1984,"
        "HPV positive\nকরিম সরকার,25/10/1987,inadequate sample\n",
        id="table-names-in-a-script-without-capitals",
    ),
    pytest.param(
        "Final reminder sent for Eyyüp Sezer (15 July 1982), no response. Can a clinician phone "
        "her?\nMiss Lynn Kelly",
        id="name-with-birth-date-in-brackets",
    ),
    pytest.param(
        "Seen in the leg ulcer clinic today, dressings changed:\nAnn Lee\nTom Hale",
        id="last-name-of-a-list-is-no-sign-off",
    ),
    pytest.param(
        "Handover for 03/01/2027\n\nBed\tName\tAge\tDx\tPlan\n\nVW01\tEwatomi Aderibigbe\t49\t"
        "COPD exacerbation\tmed reg review\n\nVW02\tMofifoluwa Afonja\t70\tAKI on fluids\t"
        "bloods tomorrow\n",
        id="double-spaced-table",
    ),
    pytest.param(
        "Re: Jean Niquille, chemin de Jacot 88, 3740 Julliard\n\nYour patient's overnight "
        "oximetry was in keeping with severe obstructive sleep apnoea.\n\nDr Jones",
        id="british-spelling",
    ),
]

CLEAN_MAIL = [
    pytest.param(
        "Hi all,\n\nNotes from Thursday's teaching. The cases were invented for teaching.\n"
        "Case 1: a toddler with a barking cough and stridor at rest.\n\nMiss Kelly-Marie "
        "O'Carolan\nGP Trainee",
        id="teaching-case-signed-by-trainee",
    ),
    pytest.param(
        "Hello Dr Martinez,\n\nAttached are the product characteristics for Entresto. Adverse "
        "events should be reported via the Yellow Card scheme.\n\nBest regards\nSusannah "
        "Melican, Friel, McLoone and Cole",
        id="rep-with-firm",
    ),
    pytest.param(
        "Blue Cross will require prior authorization when billed with atrial fibrillation "
        "starting next quarter. This bulletin contains no member information.",
        id="insurer-bulletin",
    ),
    pytest.param(
        "Happy birthday to Aaron Simpson (2026-07-25) and Mr Jack Briggs (25/03/2026)! Cake at "
        "3 pm.",
        id="staff-birthdays",
    ),
    pytest.param(
        "The meeting with Ann Lee (2025-03-01) is moved to Friday. Can you book the room?\n"
        "Mrs Tina Watkins",
        id="last-year-date-and-titled-sign-off",
    ),
    pytest.param(
        "Davis-Lane is voluntarily recalling insulin pen needles, lot 2782883B. Please "
        "quarantine affected stock.",
        id="hyphenated-firm-at-line-start",
    ),
    pytest.param(
        "Team,\n\n2. Emergency drugs box checked and signed - Miss Shirley Bates.\n3. Audits: "
        "93% of patients on methotrexate with bloods in date.\n\nDr Kirby\nCQC Lead",
        id="signed-by-titled-staff",
    ),
]


@pytest.mark.parametrize("body", PHI_MAIL)
def test_phi_mail(engine: PhiEngine, body: str) -> None:
    """Each names a patient with their care or a patient identifier: PHI by the hand rules."""
    phi, findings = rules_phi(engine, body)
    assert phi, [f.describe() for f in findings]


@pytest.mark.parametrize("body", CLEAN_MAIL)
def test_clean_mail(engine: PhiEngine, body: str) -> None:
    """Staff, firms and invented cases are nobody's health information."""
    phi, findings = rules_phi(engine, body)
    assert not phi, [f.describe() for f in findings]


@pytest.mark.parametrize(
    ("text", "entity", "phrase", "expected"),
    [
        ("iron deficiency anaemia and leg oedema", "DIAGNOSIS", "oedema", True),
        ("He has coeliac disease.", "DIAGNOSIS", "coeliac disease", True),
        ("NHI: ZZZ0016", "NATIONAL_ID", "ZZZ0016", True),
        ("NHI: ABC12", "NATIONAL_ID", "ABC12", False),
        ("DOB: 07-Oct-1938", "DOB", "07-Oct-1938", True),
        ("Grade 3 pressure ulcer on the sacrum.", "CLINICAL_NARRATIVE", "Grade 3", True),
        ("Renew the spirometry software licence.", "PROCEDURE", "spirometry", False),
        ("Missed appointments cost the NHS.", "APPOINTMENT", "Missed appointments", False),
        ("She missed her appointment on Friday.", "APPOINTMENT", "missed her appointment", True),
        ("Item: Estradiol 2 mg tablets", "MEDICATION", "Estradiol", True),
        ("Adverse events should be reported.", "CLINICAL_NARRATIVE", "Adverse events", False),
        ("Last test: HPV positive, cytology negative.", "LAB_RESULT", "HPV", True),
    ],
)
def test_words_and_numbers(text: str, entity: str, phrase: str, expected: bool) -> None:
    """British spellings, NZ NHI numbers (check digit), dd-Mon-yyyy dates, pressure damage,
    British drug names; products, policy lines and reporting boilerplate are not care."""
    assert bool(covered(text, entity, phrase)) is expected
