"""Message-level decisions on hand-built patient mail and clean business mail."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from detectors.config import DecisionThresholds
from detectors.decision import decide
from detectors.engine import PhiEngine
from detectors.findings import Finding
from tests.support.detect import Part


def message(subject: str, body: str, to: str = "Pat Vendor <pat@vendor.example>") -> list[Part]:
    """Build a message with the stdlib and split it the way the extractor does."""
    msg = EmailMessage()
    msg["From"] = "Robin Staff, RN <rstaff@clinic.example>"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    header = f"From: {msg['From']}\nTo: {msg['To']}"
    text = msg.get_content()
    return [Part("subject", subject), Part("header", header, "header"), Part("body", text)]


SIGNATURE = "\n\nRobin Staff, RN\nRiverside Family Clinic\n12 Elm Street, Springfield, IL 62704\nPhone (217) 555-0142 | Fax (217) 555-0143\n"

PATIENT_MAIL = [
    (
        "Referral",
        "Hi Sam,\n\nReferring Quentin Larkspur (DOB 04/12/1957) for cardiology, new atrial fibrillation."
        + SIGNATURE,
    ),
    ("Chart", "Hello,\n\nChart #: 55102938 - please add the attached MRI results." + SIGNATURE),
    (
        "Labs",
        "Hi,\n\nMs. Okonkwo's potassium came back at 6.1 mmol/L; please call her." + SIGNATURE,
    ),
    (
        "Meds",
        "Team,\n\nPatient: VANTERPOOL, ODESSA\nMedications: Metformin 500 mg BID\n" + SIGNATURE,
    ),
    ("Medicare", "Please verify MBI 2FT7-KW4-RN58 before the visit." + SIGNATURE),
    (
        "Your visit",
        "Dear Alma Brightwater,\n\nThis confirms your appointment at our Dermatology clinic for your psoriasis follow-up."
        + SIGNATURE,
    ),
]
CLEAN_MAIL = [
    (
        "Invoice INV-2025-0441",
        "Hi Pat,\n\nInvoice INV-2025-0441 for $1,204.00 is attached; PO 77120.\nTracking 1Z999AA10123456784."
        + SIGNATURE,
    ),
    (
        "Meeting",
        "Hi Pat,\n\nCan we meet on March 3, 2025 at 2 PM about the EHR upgrade? Dial-in +1 312-555-0199."
        + SIGNATURE,
    ),
    (
        "Supply order",
        "Pat -\n\nPlease ship NDC 0093-7214-01 Atorvastatin 20 mg tablets, qty 12, and Metformin 500 mg tablets, qty 6.\nDEA registrant: AB1234563"
        + SIGNATURE,
    ),
    (
        "Q2 numbers",
        "Hi Pat,\n\nQ2: 212 patients with diabetes, HbA1c control 71%; 48 with hypertension."
        + SIGNATURE,
    ),
    (
        "Speakers",
        "Pat -\n\nDr. Helena Marsh, MD will present an update on heart failure with preserved ejection fraction."
        + SIGNATURE,
    ),
    (
        "Intake form",
        "Hi Pat,\n\nBlank intake form template:\nPatient name: ________\nDate of birth: ________\nDiagnosis: ________"
        + SIGNATURE,
    ),
    (
        "Notice",
        "Hi Pat,\n\nThe portal is back up.\n\nThis e-mail may contain protected health information (PHI). If you received it in error, delete it."
        + SIGNATURE,
    ),
]


@pytest.mark.parametrize(("subject", "body"), PATIENT_MAIL, ids=[s for s, _ in PATIENT_MAIL])
def test_patient_mail_is_phi(engine: PhiEngine, subject: str, body: str) -> None:
    """A patient identifier with health information, or a strong identifier alone, is PHI."""
    to = (
        "Alma Brightwater <alma.b@mailbox.example>"
        if subject == "Your visit"
        else "Sam Lee <sam@partner.example>"
    )
    _, decision = engine.analyze(message(subject, body, to))
    assert decision.phi, decision.reasons
    assert decision.findings and decision.reasons


@pytest.mark.parametrize(("subject", "body"), CLEAN_MAIL, ids=[s for s, _ in CLEAN_MAIL])
def test_clean_business_mail_is_not_phi(engine: PhiEngine, subject: str, body: str) -> None:
    """Invoices, meetings, supply orders, aggregates, provider names, blank forms and footers are not PHI."""
    _, decision = engine.analyze(message(subject, body))
    assert not decision.phi, decision.reasons


def test_reasons_hold_only_masked_previews(engine: PhiEngine) -> None:
    """The explanation names finding types and parts but never the identifier itself."""
    subject, body = PATIENT_MAIL[0]
    _, decision = engine.analyze(message(subject, body))
    text = " ".join(decision.reasons)
    assert "Quentin" not in text and "04/12/1957" not in text
    assert "@body" in text


def _f(entity: str, category: str, score: float = 0.9, part: str = "body") -> Finding:
    return Finding(entity, part, 0, 4, score, "test", "****", category)


@pytest.mark.parametrize(
    ("findings", "phi"),
    [
        ([_f("MRN", "identifier")], True),
        ([_f("DOB", "identifier"), _f("DIAGNOSIS", "health")], True),
        ([_f("DOB", "identifier")], False),
        ([_f("MEDICATION", "health")], False),
        ([_f("PROVIDER_NAME", "identifier"), _f("DIAGNOSIS", "health")], False),
        ([_f("PERSON", "identifier", 0.7), _f("DIAGNOSIS", "health", 0.8)], True),
        ([_f("PERSON", "identifier", 0.7, "subject"), _f("DIAGNOSIS", "health", 0.8)], False),
        ([_f("PHONE_NUMBER", "identifier"), _f("DIAGNOSIS", "health")], False),
        # A national health-service number is a record key; a record link needs health beside it.
        ([_f("NHS_NUMBER", "identifier", 0.95)], True),
        ([_f("RECORD_URL", "identifier", 0.8), _f("CLINICAL_NARRATIVE", "health", 0.85)], True),
        ([_f("RECORD_URL", "identifier", 0.8)], False),
        ([_f("URL", "identifier", 0.6), _f("CLINICAL_NARRATIVE", "health", 0.85)], False),
        ([_f("CLINICAL_NARRATIVE", "health", 0.85)], False),
    ],
)
def test_decision_rules(findings: list[Finding], phi: bool) -> None:
    """The decision table: strong IDs alone, linked IDs with health, names only beside health."""
    assert decide(findings, DecisionThresholds()).phi is phi
