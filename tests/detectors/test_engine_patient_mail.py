"""Message-level rules that need the whole message: patient mail, patient contacts, care subjects."""

from __future__ import annotations

import pytest

import detectors.engine as engine_module
from detectors.config import DecisionThresholds, DetectorConfig
from detectors.decision import decide
from detectors.engine import PhiEngine
from detectors.findings import Finding
from tests.support.detect import Part

CLINIC = "Front Desk <frontdesk@willowbend-clinic.example>"
SIGNATURE = "\n\nFront Desk\nWillowbend Family Clinic\n40 Mill Road, Dayton, OH 45402\n"


def cases(*rows: tuple[object, ...]) -> list[object]:
    """pytest parameters from (id, *values) rows."""
    return [pytest.param(*values, id=case_id) for case_id, *values in rows]


def mail(to: str, body: str, subject: str = "Update", sender: str = CLINIC) -> list[Part]:
    """A message split the way the extractor splits it: subject, address headers, body."""
    header = f"From: {sender}\nTo: {to}"
    return [Part("subject", subject), Part("header", header, "header"), Part("body", body)]


PATIENT_MAIL = [
    pytest.param(
        "Odalys Brennick <odalys.b@freemail.example>",
        "Dear Odalys,\n\nYour potassium came back at 5.9, a little high. Please hold your "
        "lisinopril until we call you." + SIGNATURE,
        id="greeting-first-name-lab-and-drug",
    ),
    pytest.param(
        "Hal Quimby <hq1961@freemail.example>",
        "Hello,\n\nYour upcoming appointment with cardiology is confirmed; bring your "
        "medication list." + SIGNATURE,
        id="to-display-name-appointment-no-greeting-name",
    ),
    pytest.param(
        "Ms. Wen Lee <wenlee@freemail.example>",
        "Dear Ms. Lee,\n\nYour biopsy results are in and Dr. Amari would like to go over them."
        + SIGNATURE,
        id="title-greeting-biopsy",
    ),
    pytest.param(
        "hq1961@freemail.example",
        "Dear Harold,\n\nYour metformin dose goes up to 1000 mg twice daily from Monday."
        + SIGNATURE,
        id="bare-address-greeting-dose",
    ),
]
NOT_PATIENT_MAIL = [
    pytest.param(
        "Dr. Priya Sandoval <psandoval@willowbend-clinic.example>",
        "Dear Dr. Sandoval,\n\nYour schedule for the cardiology clinic next week is attached."
        + SIGNATURE,
        id="staff-memo-to-doctor",
    ),
    pytest.param(
        "Wen Lee <wlee@officevendor.example>",
        "Dear Ms. Lee,\n\nYour invoice 88213 for toner is paid." + SIGNATURE,
        id="vendor-invoice",
    ),
    pytest.param(
        "Priya Sandoval, MD <psandoval@heartgroup.example>",
        "Dear Dr. Sandoval,\n\nThank you for your referral; our hepatitis clinic now opens at 8."
        + SIGNATURE,
        id="provider-thanked-for-referral",
    ),
    pytest.param(
        "Richard Okafor <rokafor@heartgroup.example>",
        "Hello Richard,\n\nYour patient's A1c came back at 9.1; should we adjust insulin?"
        + SIGNATURE,
        id="colleague-about-unnamed-patient",
    ),
]


@pytest.mark.parametrize(("to", "body"), PATIENT_MAIL)
def test_mail_to_the_patient_is_phi(engine: PhiEngine, to: str, body: str) -> None:
    """Care language about "you" sent to a person outside the practice makes that person the patient."""
    findings, decision = engine.analyze(mail(to, body))
    assert decision.phi, decision.reasons
    assert any(f.entity == "PATIENT_NAME" or f.role == "patient" for f in findings)


@pytest.mark.parametrize(("to", "body"), NOT_PATIENT_MAIL)
def test_second_person_business_mail_is_not_phi(engine: PhiEngine, to: str, body: str) -> None:
    """A provider greeting, a vendor's invoice or a colleague's patient is not mail to a patient."""
    _, decision = engine.analyze(mail(to, body))
    assert not decision.phi, decision.reasons


def test_recipient_at_the_practice_domain_is_staff(engine: PhiEngine) -> None:
    """A To: address at the practice's own domain is never taken for the patient's."""
    to = "Dana Vell <dvell@willowbend-clinic.example>"
    findings, _ = engine.analyze(mail(to, "Dear Dana,\n\nYour flu vaccine is due." + SIGNATURE))
    header = [f for f in findings if f.part == "header"]
    assert header and all(f.entity != "PATIENT_NAME" and f.role != "patient" for f in header)


def test_configured_practice_domain_is_staff() -> None:
    """A site's practice_domains keep a second staff domain out of patient mail."""
    cfg = DetectorConfig().clone(practice_domains=("willowbend-health.example",))
    engine = PhiEngine(cfg)
    to = "Dana Vell <dvell@willowbend-health.example>"
    findings, _ = engine.analyze(mail(to, "Dear Dana,\n\nYour A1c came back at 6.0." + SIGNATURE))
    header = [f for f in findings if f.part == "header"]
    assert header and all(f.role != "patient" for f in header)


CONTACT_CASES = cases(
    ("patient-phone", "Patient phone: 937-555-0188. Dx: chronic asthma.", True),
    (
        "patient-lives-at",
        "The patient lives at 22 Fern Court, Dayton, OH 45405 and has COPD.",
        True,
    ),
    (
        "reach-the-patient-at",
        "Please reach the patient at 937-555-0131 about the colonoscopy prep.",
        True,
    ),
    (
        "his-mailing-address",
        "His current mailing address is 8 Lark Street, Dayton, OH 45406; visit was for gout.",
        True,
    ),
    (
        "clinic-phone-in-newsletter",
        "For flu shots call our clinic at 937-555-0100. Influenza is rising this month.",
        False,
    ),
    ("office-phone", "Office phone: 937-555-0100. Our asthma clinic moves to Suite 4.", False),
)


@pytest.mark.parametrize(("body", "phi"), CONTACT_CASES)
def test_patient_contact_details(engine: PhiEngine, body: str, phi: bool) -> None:
    """Contact details tied to the word patient (or where the patient lives) are linked identifiers."""
    parts = mail("Intake <intake@homecare.example>", "Hi,\n\n" + body + SIGNATURE)
    findings, decision = engine.analyze(parts)
    assert decision.phi is phi, decision.reasons
    assert any(f.role == "patient" for f in findings) is phi


CARE_SUBJECTS = cases(
    ("possessive-lab", "Tobias Wren's eGFR came back at 41 this morning.", True),
    (
        "schedule-for-specialty",
        "Please schedule Wren, Tobias for dermatology follow up of psoriasis.",
        True,
    ),
    ("admitted-with", "Marisol Etxeberria was admitted overnight with pneumonia.", True),
    ("thanks-for-flyer", "Thanks Jason for the hepatitis awareness flyer.", False),
    (
        "firm-of-surnames",
        "Sutter, Moreau and Quist Dental will supply atorvastatin 20 mg samples.",
        False,
    ),
)


@pytest.mark.parametrize(("body", "phi"), CARE_SUBJECTS)
def test_named_subject_of_care(engine: PhiEngine, body: str, phi: bool) -> None:
    """A name whose own sentence goes on to its labs, booking or admission is the patient's."""
    parts = mail("Kim Oduya <koduya@partnerclinic.example>", "Hi Kim,\n\n" + body + SIGNATURE)
    _, decision = engine.analyze(parts)
    assert decision.phi is phi, decision.reasons


def _f(entity: str, score: float, category: str = "identifier", role: str = "") -> Finding:
    return Finding(entity, "body", 0, 4, score, "test", "****", category, role)


@pytest.mark.parametrize(
    ("findings", "phi"),
    cases(
        (
            "patient-phone-with-diagnosis",
            [_f("PHONE_NUMBER", 0.75, role="patient"), _f("DIAGNOSIS", 0.8, "health")],
            True,
        ),
        (
            "business-phone-with-diagnosis",
            [_f("PHONE_NUMBER", 0.75), _f("DIAGNOSIS", 0.8, "health")],
            False,
        ),
        ("patient-email-alone", [_f("EMAIL_ADDRESS", 0.9, role="patient")], False),
        (
            "one-weak-identifier",
            [_f("DATE_OF_SERVICE", 0.6), _f("DIAGNOSIS", 0.8, "health")],
            False,
        ),
        (
            "two-weak-identifiers-corroborate",
            [
                _f("DATE_OF_SERVICE", 0.6),
                _f("PATIENT_ACCOUNT", 0.6),
                _f("DIAGNOSIS", 0.8, "health"),
            ],
            True,
        ),
        (
            "same-type-twice-is-not-corroboration",
            [
                _f("DATE_OF_SERVICE", 0.6),
                _f("DATE_OF_SERVICE", 0.6),
                _f("DIAGNOSIS", 0.8, "health"),
            ],
            False,
        ),
        ("weak-unknown-name", [_f("PERSON", 0.55), _f("ICD10", 0.95, "health")], False),
        ("unknown-name-same-part", [_f("PERSON", 0.7), _f("DIAGNOSIS", 0.8, "health")], True),
    ),
)
def test_decision_corroboration(findings: list[Finding], phi: bool) -> None:
    """Patient-role contacts link; independent identifiers corroborate; weak names never decide."""
    assert decide(findings, DecisionThresholds()).phi is phi


def test_veterinary_words_are_read_only_where_there_is_health_to_drop(
    engine: PhiEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether mail is about an animal only matters for health information: a message without
    any is not searched for veterinary words, one with it is, once, and loses it if a vet's."""
    asked: list[int] = []
    real = engine_module._animal_care

    def counted(texts: list[tuple[str, str]]) -> bool:
        asked.append(len(texts))
        return real(texts)

    monkeypatch.setattr(engine_module, "_animal_care", counted)
    findings, _ = engine.analyze(mail("Ann <ann@example.org>", "La la la la.\n" * 300))
    assert not any(f.category == "health" for f in findings)
    assert asked == []
    vet = (
        "Hi Ruth,\n\nMax (Beagle) is due for his booster and kennel cough vaccine on 3/4; his "
        "diabetes is stable on insulin.\n\nMeadow Veterinary Clinic"
    )
    findings, _ = engine.analyze(mail("Ruth <ruth@example.org>", vet))
    assert len(asked) == 1
    assert not any(f.category == "health" for f in findings)
    human = vet.replace("Meadow Veterinary Clinic", "Meadow Family Practice")
    findings, _ = engine.analyze(mail("Ruth <ruth@example.org>", human))
    assert any(f.category == "health" for f in findings)
