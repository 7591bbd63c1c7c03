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
