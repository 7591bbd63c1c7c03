"""Classes from the families left under 0.95 after templates-j (issue 10): a monitoring alert
that names the patient only by the serial of the device they wear, a subject access request
whose body says only which records it covers, and an adverse event report that names its
participant by their number at the site; and, on the clean side, a device recall whose labels
("Device:", "Lot:", "Issue:") are no speakers, a records policy and a trial update that name no
patient. The speakers of a chat still count once they speak twice.
"""

from __future__ import annotations

import pytest

from detectors.engine import PhiEngine
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
