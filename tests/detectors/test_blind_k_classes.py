"""Classes from the families left under 0.95 after templates-j (issue 10): a monitoring alert
that names the patient only by the serial of the device they wear, a subject access request
whose body says only which records it covers, and an adverse event report that names its
participant by their number at the site; and, on the clean side, a device recall whose labels
("Device:", "Lot:", "Issue:") are no speakers, a records policy and a trial update that name no
patient. The speakers of a chat still count once they speak twice.

Then the clean families still flagged: a visitor's firm of hyphenated surnames, a job title that
NER reads as a name, a titled writer signing after a closing or over a department, a colleague in
a sentence about mandatory training, and an organisation's name ("NHS England") before a number
that fails the NHS check digit.
"""

from __future__ import annotations

import pytest

from detectors.engine import JOB_LAST_WORD, PhiEngine, _in_firm
from detectors.recognizers.identifiers import serial_shaped
from tests.detectors.test_care_mail_classes import rules_phi

PHI_MAIL = [
    pytest.param(
        "** Home monitoring alert **\n\nMonitor: HBX-20417-88\nReading: SpO2 85%, pulse 121\n"
        "Time: 03/02/2026 07:15\n\nPlease call the patient within 4 hours.",
        id="alert-with-only-the-monitor-serial",
    ),
    pytest.param(
        "Glucose sensor report\r\n\r\nSensor S/N: 7Q4-118902\r\nTime in range 41%, two "
        "hypoglycaemia events overnight.\r\n",
        id="sensor-serial-with-crlf",
    ),
    pytest.param(
        "SAE follow-up\n\nParticipant ID: 07-1142\nEvent: syncope during the infusion, admitted "
        "overnight for monitoring.\nOutcome: recovered.",
        id="adverse-event-by-participant-number",
    ),
    pytest.param(
        "Chat transcript\n\nOluwaseun: my chest has been tight since Sunday and the inhaler "
        "isn't helping\nAgent: any fever?\nOluwaseun: no, just the cough at night\nAgent: I "
        "will book you with the asthma nurse",
        id="chat-speaker-who-speaks-twice",
    ),
    pytest.param(
        "Dear Mrs Robinson-Zhang,\n\nYour biopsy showed a basal cell carcinoma; we will "
        "remove it on 12/02/2027.",
        id="double-barrelled-patient-with-a-title-is-no-firm",
    ),
]

SUBJECT_PHI = [
    pytest.param(
        "DSAR 0412 - Okafor, Chidi",
        "ID verified by driving licence. The request covers records since 2015. Deadline "
        "12/01/2027.",
        id="subject-access-request-by-its-scope",
    ),
]

CLEAN_MAIL = [
    pytest.param(
        "Field safety notice\n\nDevice: InfuMax IM-2040 infusion pump\nLot: 22A104\nIssue: the "
        "occlusion alarm may not sound during insulin infusions. Stop using affected pumps.",
        id="device-recall-names-a-model-not-a-serial",
    ),
    pytest.param(
        "Hello all,\n\nA reminder of the subject access policy: requests covering records "
        "since 2019 go to Amy Lowe in the records team, within a month.\n\nPractice Manager",
        id="records-policy-names-staff-only",
    ),
    pytest.param(
        "Trial update\n\nStudy ID: NCT04411234 has enrolled 140 participants; two serious "
        "adverse events (anaphylaxis, syncope) were reported this quarter.",
        id="trial-registration-number-names-no-one",
    ),
    pytest.param(
        "Dear Practice Manager,\n\nCould Dr Ahmed spare 20 minutes for an update on semaglutide "
        "and the new obesity guidance?\n\nKind regards,\nMrs Felicity Orme\n07700 900123",
        id="titled-writer-after-a-closing",
    ),
    pytest.param(
        "Dear colleagues,\n\nFlu vaccination passes are ready: collect yours from reception."
        "\n\nMs Harriet Vane\nFacilities, LS6 2QT",
        id="titled-writer-over-a-department-and-postcode",
    ),
    pytest.param(
        "Team,\n\n1. Your mandatory training must be complete (Mr Owen Pugh holds the matrix).\n"
        "2. Audit: 92% of patients on lithium have levels in date.\n\nDr Reyes",
        id="colleague-in-a-mandatory-training-item",
    ),
    pytest.param(
        "Invoice for 6 sessions at 400 GBP each.\n\nDr A. Banerjee\nGMC 7012345, performers "
        "list NHS England\n7708123456",
        id="nhs-england-before-a-number-is-no-label",
    ),
]


@pytest.mark.parametrize("body", PHI_MAIL)
def test_phi_mail(engine: PhiEngine, body: str) -> None:
    """A worn device's serial is the patient's identifier beside their readings."""
    phi, findings = rules_phi(engine, body)
    assert phi, [f.describe() for f in findings]


@pytest.mark.parametrize(("subject", "body"), SUBJECT_PHI)
def test_subject_names_the_patient(engine: PhiEngine, subject: str, body: str) -> None:
    """A request for a named patient's records is about their care."""
    phi, findings = rules_phi(engine, body, subject)
    assert phi, [f.describe() for f in findings]


@pytest.mark.parametrize("body", CLEAN_MAIL)
def test_clean_mail(engine: PhiEngine, body: str) -> None:
    """A model number, or a policy naming staff, makes nobody a patient."""
    phi, findings = rules_phi(engine, body)
    assert not phi, [f.describe() for f in findings]


@pytest.mark.parametrize(
    ("value", "serial"),
    [("DXC-5653-16920", True), ("7Q4-118902", True), ("A1B2C3D4E5F6G7H8", True),
     ("IM-2040", False), ("T34-2040-1", False)],
)  # fmt: skip
def test_serial_shape(value: str, serial: bool) -> None:
    """Five digits in a row or eight in all make a serial; a model number has fewer."""
    assert serial_shaped(value) is serial


@pytest.mark.parametrize(
    ("text", "word", "firm"),
    [
        ("Nadia Petrov from Holm-Lindqvist stopped by.", "Holm", True),
        ("The seal has been reported to Brandt-Okoro today.", "Okoro", True),
        ("Quote valid 30 days.\n\nBrandt-Okoro\n", "Brandt", True),
        ("Dear Mrs Robinson-Zhang, your results", "Robinson", False),
        ("seen with Ann Robinson-Zhang today", "Zhang", False),
        ("Nadia Petrov from Holm stopped by.", "Holm", False),
    ],
)
def test_hyphenated_firm(text: str, word: str, firm: bool) -> None:
    """Hyphenated surnames with no given name or title before them are a firm, not a person."""
    start = text.index(word)
    assert _in_firm(text, start, start + len(word)) is firm


@pytest.mark.parametrize(
    ("word", "job"), [("Lead", True), ("Manager", True), ("Estates", True), ("Okonjo", False)]
)
def test_job_last_word(word: str, job: bool) -> None:
    """NER names ending in one of these words are job titles ("Clinical Governance Lead")."""
    assert (JOB_LAST_WORD.fullmatch(word) is not None) is job


@pytest.mark.parametrize(
    "text",
    [
        "Your enrolment with Harbor Mutual Insurance (payer ID 77120) is pending.",
        "Insurance enrolment\nSubmitter ID: HMI44120\nGroup NPI: 1234567893",
        "Medicaid EDI set-up: trading partner ID TP8841203 is live.",
    ],
)
def test_a_business_id_beside_an_insurance_word_is_no_member_id(
    engine: PhiEngine, text: str
) -> None:
    """A payer's, submitter's or trading partner's own id is the business's, not a member's."""
    found = engine.analyze_text(text)
    assert not any(f.entity in ("MEMBER_ID", "CLAIM_NUMBER") for f in found), [
        f.describe() for f in found
    ]


def test_a_member_id_after_insurance_still_counts(engine: PhiEngine) -> None:
    """The veto is the business label right before the id, not the insurance word near it."""
    found = engine.analyze_text("Insurance: Harbor Mutual, member ID HM88213977")
    assert any(f.entity == "MEMBER_ID" for f in found)


@pytest.mark.parametrize(
    "signature",
    ["Mr Lawrence Whitby\nImaging IT", "Andre Ramsey DVM\nRevenue Cycle Analyst",
     "Ms Ines Baptiste\nIntegration Team", "Mrs Dora Kell\nEDI Enrolment"],
)  # fmt: skip
def test_a_titled_writer_over_a_health_it_department_is_staff(
    engine: PhiEngine, signature: str
) -> None:
    """A sign-off over an IT, EDI, integration or analyst line is the writer, not a patient."""
    body = (
        "Please configure the new ultrasound modality for the MR worklist before Monday; "
        f"the archive is ready.\n\n{signature}"
    )
    phi, findings = rules_phi(engine, body, "Modality set-up")
    assert not any(f.entity == "PATIENT_NAME" for f in findings), [f.describe() for f in findings]
    assert not phi
