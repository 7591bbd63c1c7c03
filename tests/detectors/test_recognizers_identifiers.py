"""Parametrized tables for the identifier recognizers (positive and negative rows)."""

from __future__ import annotations

import pytest

from detectors.config import DetectorConfig, MrnPattern
from detectors.recognizers import default_recognizers
from tests.support.tables import table

RECOGNIZERS = default_recognizers(DetectorConfig())


def entities(text: str) -> set[tuple[str, str]]:
    """Return (entity, matched text) pairs from every cheap recognizer."""
    out: set[tuple[str, str]] = set()
    for rec in RECOGNIZERS:
        for m in rec.analyze(text, 1.0):
            out.add((m.entity, text[m.start : m.end]))
    return out


@pytest.mark.parametrize(
    ("text", "entity", "value", "expected"),
    table("recognizers_identifiers.identifiers"),
)
def test_identifiers(text: str, entity: str, value: str, expected: bool) -> None:
    """Checksums, structure rules, placeholders and context words decide identifier hits."""
    assert ((entity, value) in entities(text)) is expected


def test_practice_mrn_pattern() -> None:
    """A per-practice MRN pattern from config matches without a context word."""
    config = DetectorConfig(mrn_patterns=(MrnPattern(name="clinic", regex=r"Q\d{6}"),))
    recognizers = default_recognizers(config)
    hits = [
        m for r in recognizers for m in r.analyze("see Q123456 today", 1.0) if m.entity == "MRN"
    ]
    assert [(h.start, h.end) for h in hits] == [(4, 11)]
