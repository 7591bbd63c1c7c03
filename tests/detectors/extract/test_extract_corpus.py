"""Extraction recall on the labelled dev corpus: every planted value is found where it was put."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from detectors.extract import extract_message
from tests.support.corpus import corpus_dir

CORPUS = Path(os.environ.get("PHIGATE_DEV_CORPUS", str(corpus_dir() / "dev")))


def _load(name: str) -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for line in (CORPUS / name).read_text().splitlines() if line.strip()]
    return {row["file"]: row for row in rows}


if (CORPUS / "manifest.jsonl").exists():
    MANIFEST = _load("manifest.jsonl")
    EVIDENCE = _load("evidence.jsonl")
else:
    MANIFEST, EVIDENCE = {}, {}


def _squash(text: str) -> str:
    # For comparison only: the corpus wraps lines and may change case ("your opioid use").
    return " ".join(text.split()).casefold()


def _part_label(where: str) -> str:
    return "header" if where.startswith("header:") else where


def test_dev_corpus_is_present() -> None:
    """The dev corpus has its 160 messages, so the recall test below is not vacuous."""
    assert MANIFEST, f"dev corpus not found at {CORPUS}"
    assert len(MANIFEST) == 160
    assert sum(1 for row in MANIFEST.values() if row["where"]) == 80


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_planted_values_are_extracted_from_their_part(name: str) -> None:
    """Each planted evidence string appears in the text of a part that the manifest names."""
    manifest, evidence = MANIFEST[name], EVIDENCE[name]
    result = extract_message((CORPUS / name).read_bytes())
    assert result.unscannable == ()
    labels = {_part_label(where) for where in manifest["where"]}
    text = _squash("\n".join(p.text for p in result.parts if p.part in labels))
    planted = [
        value
        for group in ("identifier_values", "health_values")
        for values in evidence[group].values()
        for value in values
    ]
    missing = [value for value in planted if _squash(value) not in text]
    assert missing == [], f"{len(missing)} planted values not extracted from {sorted(labels)}"
    for where in manifest["where"]:
        assert any(p.part == _part_label(where) for p in result.parts), f"no text for {where}"
