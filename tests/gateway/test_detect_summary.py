"""The detect stage's summary for the Verdict and the audit log: entity types, counts, scores,
places and roster ids, and nothing of the matched text, not even a masked preview."""

from __future__ import annotations

import json
from collections.abc import Iterable
from email.policy import SMTP

import pytest

from detectors.extract import Unscannable
from detectors.findings import Finding
from gateway.detect import PartLabels, PhiDetector, summarise
from gateway.message import RfcParser
from gateway.model import Envelope
from gateway.patients.roster import RosterMatches
from tests.support.mail import text_mail

GIVEN, SURNAME, BIRTH, MRN = "Marisol", "Quintero-Abbott", "03/14/1962", "4471203"
ATTACHMENT = f"{SURNAME}_labs.pdf"
# What a masked preview of these keeps: initials, the year, the ICD chapter, an SSN's last four.
PREVIEWS = ("M****** Q******", "**/**/1962", "F**.*", "***-**-8174")


def _finding(entity: str, part: str, score: float, preview: str, category: str) -> Finding:
    return Finding(entity, part, 0, 5, score, "test", preview, category)


FINDINGS = (
    _finding("PATIENT_NAME", "subject", 0.85, PREVIEWS[0], "identifier"),
    _finding("PATIENT_NAME", "body", 0.9, PREVIEWS[0], "identifier"),
    _finding("DOB", "body", 0.8, PREVIEWS[1], "identifier"),
    _finding("ICD10", f"attachment:{ATTACHMENT}", 0.95, PREVIEWS[2], "health"),
    _finding("US_SSN", "body", 1.0, PREVIEWS[3], "identifier"),
)


def test_summary_holds_types_counts_scores_and_places() -> None:
    """Counts per type and per part, the top score per type, and the category tallies."""
    summary, reasons = summarise(FINDINGS, (), 0.97, True)
    assert summary["phi"] is True and summary["score"] == 0.97
    assert summary["entities"] == {"DOB": 1, "ICD10": 1, "PATIENT_NAME": 2, "US_SSN": 1}
    assert summary["scores"] == {"DOB": 0.8, "ICD10": 0.95, "PATIENT_NAME": 0.9, "US_SSN": 1.0}
    assert summary["parts"] == [
        {"part": "attachment:1.pdf", "entities": {"ICD10": 1}},
        {"part": "body", "entities": {"DOB": 1, "PATIENT_NAME": 1, "US_SSN": 1}},
        {"part": "subject", "entities": {"PATIENT_NAME": 1}},
    ]
    assert summary["identifiers"] == 4 and summary["health"] == 1
    assert reasons == (
        "ICD10 in attachment:1.pdf",
        "DOB, PATIENT_NAME, US_SSN in body",
        "PATIENT_NAME in subject",
    )


def test_summary_and_reasons_carry_no_preview_and_no_file_name() -> None:
    """No masked preview, no file name and no part of a name is in the summary or the reasons."""
    unreadable = (Unscannable(f"attachment:{SURNAME}.zip", ATTACHMENT, "encrypted", "x"),)
    summary, reasons = summarise(FINDINGS, unreadable, 0.97, True)
    everything = json.dumps(summary) + "\n".join(reasons)
    for value in (*PREVIEWS, "F**", "1962", SURNAME, "Quintero", "M*****", "labs"):
        assert value not in everything
    assert summary["unscannable"] == [{"part": "attachment:2.zip", "reason": "encrypted"}]


@pytest.mark.parametrize(
    ("label", "safe"),
    [
        ("body", "body"),
        ("subject", "subject"),
        ("attachment:report.PDF", "attachment:1.pdf"),
        ("attachment:scan.docx", "attachment:1.docx"),
        (f"attachment:{ATTACHMENT}", "attachment:1.pdf"),
        ("attachment:Marisol.Diaz", "attachment:1"),  # the "extension" is a surname
        ("attachment:labs.Roe", "attachment:1"),
        ("attachment:no extension", "attachment:1"),
    ],
)
def test_part_labels_keep_only_known_file_types(label: str, safe: str) -> None:
    """An attachment's label keeps its position and a known file type, never its name."""
    assert PartLabels()(label) == safe


class _Roster:
    """A one-patient roster keyed on the MRN (the real one compares keyed hashes)."""

    def match(
        self, mrns: Iterable[str], name_dobs: Iterable[tuple[str, str]], emails: Iterable[str] = ()
    ) -> RosterMatches:
        return RosterMatches(mrns={m: "R-000042" for m in mrns if m == MRN})


def test_detector_summary_names_the_roster_id_and_no_phi() -> None:
    """Real detection with a roster: the summary has the roster id, types and places only."""
    msg = text_mail(
        "hpark@practice.example",
        "frontdesk@other-clinic.example",
        "Chart update",
        f"Patient: {GIVEN} {SURNAME}, DOB {BIRTH}, MRN {MRN}.\n"
        "Assessment: major depressive disorder, single episode, moderate (F32.1).\n",
    )
    msg.add_attachment(b"%PDF-1.4\n", maintype="application", subtype="pdf", filename=ATTACHMENT)
    parsed = RfcParser().parse(msg.as_bytes(policy=SMTP))
    detection = PhiDetector(roster=_Roster()).detect(
        parsed, Envelope("hpark@practice.example", ("frontdesk@other-clinic.example",))
    )
    summary = detection.summary
    assert detection.phi and summary["patients"] == ["R-000042"]
    assert detection.patients == ("R-000042",), "later stages read the typed field"
    assert summary["entities"]["MRN"] == 1 and summary["scores"]["MRN"] == 1.0
    assert {"ICD10", "DOB"} <= set(summary["entities"])
    assert any(p["part"] == "body" for p in summary["parts"])
    everything = json.dumps(dict(summary)) + "\n".join(detection.reasons)
    for value in (GIVEN, SURNAME, "Quintero", "1962", MRN, "F32", "F**", "M*****", "labs"):
        assert value not in everything, value
