"""The entity types a policy may name (detectors.findings.ENTITY_TYPES) are exactly the ones the
detectors report: written out so that checking a policy does not load the recognizers, and kept
equal to theirs here."""

from __future__ import annotations

from detectors.config import DetectorConfig
from detectors.engine import _NER_LABELS, NAME_ENTITIES
from detectors.findings import ENTITY_TYPES
from detectors.recognizers import default_recognizers
from gateway.policy.rules import known_entities


def reported() -> set[str]:
    """What the recognizers, the NER, the name logic and the decision's groups name."""
    names: set[str] = set(NAME_ENTITIES) | set(_NER_LABELS.values())
    for rec in default_recognizers(DetectorConfig()):
        names.update(rec.entities)
    thresholds = DetectorConfig().decision
    for group in (
        thresholds.strong_identifiers,
        thresholds.linked_identifiers,
        thresholds.contact_identifiers,
        thresholds.health_entities,
    ):
        names.update(group)
    return names


def test_the_written_out_types_are_the_reported_ones() -> None:
    """A recognizer with a new entity type, or a type no detector reports any more, shows here."""
    assert set(ENTITY_TYPES) - reported() == set(), "named but never reported"
    assert reported() - set(ENTITY_TYPES) == set(), "reported but a policy may not name it"


def test_policies_are_checked_against_them() -> None:
    assert known_entities() == ENTITY_TYPES
