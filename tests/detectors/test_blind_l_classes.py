"""Classes from templates-l's clean families (issue 10): mail about stock, orders and meetings of
a practice with its pharmacy, flagged because a writer signing over the organisation's name was
read as a patient, a UK practice's name ("Millbrook Surgery") made the next date a date of
surgery, and minutes named their own attendees with a title in the action table.

Written from the class, not copied from the source's templates.
"""

from __future__ import annotations

import pytest

from detectors.engine import PhiEngine
from tests.detectors.test_care_mail_classes import rules_phi

ORDER = (
    "Order for the branch attached: 6 x salbutamol 100 mcg inhalers, 3 x amoxicillin 500 mg "
    "capsules, 2 x adrenaline 300 mcg auto-injectors.\n\n"
)


@pytest.mark.parametrize(
    "signature",
    [
        "Mrs Carys Pryce\nHollins Green Community Pharmacy\n01745 662019",
        "Tomasz Wrona\nHollins Green Physiotherapy\nt: 01745 662020\nreception@hollins.example",
        "Ms. Aoife Brannigan\nHollins Green Medical Centre",
        "Dr Kenji Mori\nHollins Green Surgery\n+44 1745 662021\nwww.hollins.example",
    ],
)
def test_a_writer_signing_over_the_organisation_is_staff(engine: PhiEngine, signature: str) -> None:
    """A name over its organisation's name, and only contact lines after, ends the message."""
    body = ORDER + signature + "\n"
    phi, findings = rules_phi(engine, body, "Order")
    assert not phi, [f.describe() for f in findings]
    writer = signature.split("\n")[0].split()[-1]  # the writer's surname
    on_writer = [f for f in findings if f.part == "body" and writer in body[f.start : f.end]]
    assert on_writer, [f.describe() for f in findings]
    assert {f.entity for f in on_writer} == {"PROVIDER_NAME"}, [f.describe() for f in on_writer]


def test_a_name_over_a_ward_line_is_not_taken_for_a_signature(engine: PhiEngine) -> None:
    """A patient over their ward and bed at the end of a note stays the patient."""
    body = (
        "Please review the wound today, dressing soaked overnight and pain 7/10.\n\n"
        "Mr Callum Rees\nRoyal Infirmary Ward 5 Bed 12\n"
    )
    phi, findings = rules_phi(engine, body, "Wound review")
    assert phi, [f.describe() for f in findings]


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("Purchase order 5512\nFrom: Millbrook Surgery\nDelivery by 19 October 2026", False),
        ("Ordered from Ashdown Road Surgery, due 04/11/2026", False),
        ("Date of surgery 12/10/2026, post-op review in clinic", True),
        ("Knee surgery 12/10/2026", True),
    ],
)
def test_a_practice_called_surgery_dates_no_operation(
    engine: PhiEngine, text: str, service: bool
) -> None:
    """'Millbrook Surgery' is a UK practice's name; 'surgery' as an operation still dates one."""
    found = engine.analyze_text(text)
    dated = any(f.entity == "DATE_OF_SERVICE" for f in found)
    assert dated is service, [f.describe() for f in found]


def test_attendees_named_again_with_a_title_are_staff(engine: PhiEngine) -> None:
    """Minutes list who was present, then give actions to the same people with a title."""
    body = (
        "Practice meeting 24 September 2026\n"
        "Present: Imogen Tate, Ms Farah Qureshi, Owen Pugh, Mr Rhys Blackwood\n"
        "1. Pharmacy: fridge log reviewed, no excursions.\n"
        "2. Physiotherapy: self-referral form is live.\n"
        "Action\tOwner\tDue\n"
        "Order couch roll\tMr Rhys Blackwood\t16/10/2026\n"
        "Update leave sheet\tMs Farah Qureshi\t17/10/2026\n"
    )
    phi, findings = rules_phi(engine, body, "Minutes")
    assert not any(f.entity == "PATIENT_NAME" for f in findings), [f.describe() for f in findings]
    assert not phi


def test_a_titled_patient_who_is_no_attendee_stays_a_patient(engine: PhiEngine) -> None:
    """The attendee rule needs the same name: another titled person is still a patient."""
    body = (
        "MDT 24 September 2026\nPresent: Dr Imogen Tate, Ms Farah Qureshi\n"
        "Discussed Mr Rhys Blackwood: new lung nodule on CT, for PET and bronchoscopy.\n"
    )
    phi, findings = rules_phi(engine, body, "MDT outcomes")
    assert phi, [f.describe() for f in findings]
    assert any(f.entity == "PATIENT_NAME" for f in findings)
