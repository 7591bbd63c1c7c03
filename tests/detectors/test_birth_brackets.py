"""A date in brackets is a birth only right after a name, not anywhere before one."""

from __future__ import annotations

from detectors.engine import PhiEngine
from detectors.extract.model import TextPart


def entities(text: str) -> set[str]:
    findings, _ = PhiEngine().analyze([TextPart(part="body", text=text, origin="t", kind="plain")])
    return {f.entity for f in findings}


def test_a_bracketed_date_before_a_name_is_not_its_birth() -> None:
    """The name's end was only held to be at most 3 characters before the date, so any name
    after "(1950-03-04)" became a patient and the date their date of birth."""
    found = entities("The archive (1950-03-04) is open. Ann Lee will show you around.")
    assert not found & {"DOB", "PATIENT_NAME"}


def test_a_bracketed_date_after_a_name_is_its_birth() -> None:
    assert entities("Smear overdue - Ann Lee (15 July 1982)") >= {"DOB", "PATIENT_NAME"}


def test_a_bracketed_date_after_a_name_the_recognizers_missed_is_a_birth() -> None:
    """An all-capital name the recognizers do not take still makes the bracketed date after it
    a date of birth; the school nurse who signs is no patient for standing after it."""
    text = (
        "Hello, the seizure action plan we received for PHILIPPE VASSEUR (7/22/2012) is from "
        "last school year. Can you send an updated one?\n\nThank you,\nMichael Patel, RN\n"
    )
    findings, decision = PhiEngine().analyze(
        [TextPart(part="body", text=text, origin="t", kind="plain")]
    )
    assert {f.entity for f in findings} >= {"DOB", "DIAGNOSIS"}
    assert not any(f.entity == "PATIENT_NAME" for f in findings)
    assert decision.phi
