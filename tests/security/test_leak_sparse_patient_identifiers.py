"""Patient mail whose only identifier is sparse (a home address or e-mail beside a clinical note, a
surname with an initial and a birth date in the subject, a name a refill is for) never reaches an
outsider in clear."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.leak import OUTSIDER, DefaultPolicyGateway, head
from tests.support.readable import leaked

SIGN = "\r\n\r\nNadia Ferreira\r\nCare coordinator\r\nWillowbend Family Clinic\r\n"


def plain(subject: str, body: str) -> bytes:
    return (
        head(subject) + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + SIGN
    ).encode()


def home_visit_note() -> bytes:
    return plain(
        "Home visit summary",
        "Visit at 14 Hollin Lane, Eastbury.\r\nPt alert, oriented x3. BP 148/92. Wound L heel "
        "2x3 cm, granulating; dressing changed.",
    )


def portal_message() -> bytes:
    return plain(
        "Portal message forwarded",
        'From the portal (tamsin.r@freemail.example): "my blood sugars have been over 300 '
        'since the new dose, should I go to the ER?" Please call back.',
    )


def subject_record_label() -> bytes:
    return plain("Kowalczyk J. 1958-07-21 - MRI report", "See attached.")


def refill_for_a_person() -> bytes:
    return plain(
        "Refill request",
        "Pharmacy request: refill albuterol HFA #90 for Fru Bitten Lind, phone +45 92782398.",
    )


CASES: dict[str, tuple[Callable[[], bytes], tuple[str, ...]]] = {
    "home_visit_note": (home_visit_note, ("Hollin Lane",)),
    "portal_message": (portal_message, ("tamsin.r@freemail.example",)),
    "subject_record_label": (subject_record_label, ("Kowalczyk",)),
    "refill_for_a_person": (refill_for_a_person, ("Bitten Lind", "92782398")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_sparse_identifier_is_not_delivered_in_clear(
    case: str, leak_gateway: DefaultPolicyGateway
) -> None:
    """The outsider cannot read the patient's identifier."""
    make, needles = CASES[case]
    outcome = leak_gateway.send(make(), [OUTSIDER])
    assert leaked(outcome, OUTSIDER, *needles) == []
