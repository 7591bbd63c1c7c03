"""Consent scopes know every entity type the detector can report, and place each deliberately."""

from __future__ import annotations

import pytest

from detectors.config import DetectorConfig
from detectors.engine import NAME_ENTITIES
from detectors.recognizers import default_recognizers
from gateway.patients.scopes import KNOWN_ENTITY_TYPES, NEVER_IMPLIED, SCOPES, allowed_types


def reported_types() -> set[str]:
    """What the engine can put in a finding: every recognizer's types and the name roles."""
    types = set(NAME_ENTITIES)
    for rec in default_recognizers(DetectorConfig()):
        types.update(rec.entities)
    return types


def test_every_type_the_detector_reports_is_known() -> None:
    """An unknown type is never covered, so a type missing here blocks every consent."""
    assert sorted(reported_types() - KNOWN_ENTITY_TYPES) == []


@pytest.mark.parametrize(
    ("entity", "scope", "covered"),
    [
        ("CLINICAL_NARRATIVE", "lab_results", True),
        ("CLINICAL_NARRATIVE", "appointment_reminders", False),
        ("APPOINTMENT", "appointment_reminders", True),
        ("NHS_NUMBER", "lab_results", True),
        ("NHS_NUMBER", "billing", False),
        ("RECORD_URL", "all_clinical", True),
        ("RECORD_URL", "lab_results", False),
        ("NATIONAL_ID", "all_clinical", False),
        ("US_SSN", "all_clinical", False),
    ],
)
def test_scope_placement(entity: str, scope: str, covered: bool) -> None:
    """Clinical text and health ids go with clinical scopes; national ids with none."""
    assert (entity in allowed_types([scope])) is covered


def test_national_ids_pass_only_when_named() -> None:
    """A national id is never implied, but a consent may name it."""
    assert "NATIONAL_ID" in NEVER_IMPLIED
    assert "NATIONAL_ID" in allowed_types(["all_clinical"], include=["NATIONAL_ID"])
    assert all("NATIONAL_ID" not in s.entity_types for s in SCOPES.values())
