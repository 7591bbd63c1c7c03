"""Message-level rules for sparse identifiers beside clinical text, and names that are no patient's."""

from __future__ import annotations

import pytest

from detectors.engine import PhiEngine
from tests.support.detect import Part

SIGNATURE = "\n\nNadia Ferreira\nCare coordinator\nWillowbend Family Clinic\n"
CLINIC_SIGNATURE = (
    "\n\nJane Okafor, RN\nWillowbend Family Clinic\n40 Mill Road, Dayton, OH 45402\n"
    "Phone (937) 555-0100\n"
)


def mail(body: str, subject: str = "Update") -> list[Part]:
    """A message as the extractor splits it: subject, address headers, body."""
    header = "From: Front Desk <frontdesk@willowbend.example>\nTo: intake@partner.example"
    return [Part("subject", subject), Part("header", header, "header"), Part("body", body)]


PHI = [
    pytest.param(
        "Visit at 14 Hollin Lane, Eastbury.\nPt alert, oriented x3. BP 148/92. Wound L heel "
        "2x3 cm, granulating; dressing changed." + SIGNATURE,
        "Home visit",
        id="clinical-note-with-only-a-home-address",
    ),
    pytest.param(
        'From the portal (tamsin.r@freemail.example): "my blood sugars have been over 300 '
        'since the new dose, should I go to the ER?" Please call back.' + SIGNATURE,
        "Portal message",
        id="patient-email-and-first-person-health",
    ),
    pytest.param(
        "See attached." + SIGNATURE,
        "Kowalczyk J. 1958-07-21 - MRI report",
        id="subject-surname-initial-iso-birth-date",
    ),
    pytest.param(
        "https://ehr.willowbend.example/chart/9574773 - biopsy came back positive, needs "
        "excision; please call today." + SIGNATURE,
        "chart link",
        id="record-url-beside-a-result",
    ),
    pytest.param(
        "Pharmacy request: refill albuterol HFA #90 for Fru Bitten Lind, phone +45 92782398."
        + SIGNATURE,
        "Refill request",
        id="refill-for-a-named-person",
    ),
    pytest.param(
        "Dear parent/guardian,\n\nErling Lundkvist (grade 10) was seen for a seizure lasting "
        "2 minutes today." + SIGNATURE,
        "Health office",
        id="name-with-grade-as-subject-of-care",
    ),
    pytest.param(
        "Hi Annalisa,\n\nYour video visit with Dr. Knox is tomorrow at 16:30. Reason: wound "
        "check photos.\nJoin here: https://telehealth.willowbend.example/v/g9xfv9ecb5\n",
        "Your video visit",
        id="visit-link-with-a-reason",
    ),
    pytest.param(
        "Please schedule Iisakki Lehtonen, DOB 03/17/1954, for US thyroid. Indication: "
        "palpable nodule." + SIGNATURE,
        "Imaging scheduling",
        id="imaging-request-with-indication",
    ),
    pytest.param(
        "Plan of care for Odile Fairbrother: s/p right TKA, ROM 5-95, gait with walker. "
        "Frequency 3x/week." + SIGNATURE,
        "Plan of care",
        id="care-document-for-a-named-person",
    ),
]
NOT_PHI = [
    pytest.param(
        "Present: Mr. Luis James, Joseph Navarro, Timothy Hicks. Approved the budget, "
        "discussed the new diabetes education program and the hiring of two nurses.",
        "Board minutes",
        id="attendee-list-beside-a-program-topic",
    ),
    pytest.param(
        "Daniel Allen from Perez Group stopped by and met Dr. Mcmillan. Left samples of "
        "sertraline 50 mg; discussed formulary status for asthma.",
        "Rep visit notes",
        id="visitor-name-not-in-the-health-sentence",
    ),
    pytest.param(
        "Moody Ltd is voluntarily recalling insulin pen needles, lot 8635660B, expiry 2027-03. "
        "No adverse events have been reported.",
        "Product recall",
        id="recall-lot-number",
    ),
    pytest.param(
        "Teaching handout: Pt reports are reviewed weekly; BP 120/80 is the goal, recheck "
        "x2 wks after a dose change." + CLINIC_SIGNATURE,
        "Handout",
        id="clinical-shapes-with-only-the-clinic-signature",
    ),
    pytest.param(
        "Here's my piece for the newsletter on colorectal cancer screening: talk to your "
        "clinician about screening at 45." + CLINIC_SIGNATURE,
        "Newsletter",
        id="first-person-writer-and-clinic-contacts",
    ),
]


@pytest.mark.parametrize(("body", "subject"), PHI)
def test_sparse_identifier_beside_clinical_text_is_phi(
    engine: PhiEngine, body: str, subject: str
) -> None:
    """An address, e-mail, record link, record label or named person beside care text is PHI."""
    _, decision = engine.analyze(mail(body, subject))
    assert decision.phi, decision.reasons


@pytest.mark.parametrize(("body", "subject"), NOT_PHI)
def test_business_names_and_clinic_contacts_are_not_phi(
    engine: PhiEngine, body: str, subject: str
) -> None:
    """Attendees, visitors, lot numbers and the clinic's own contacts name no patient."""
    _, decision = engine.analyze(mail(body, subject))
    assert not decision.phi, decision.reasons
