"""The family evaluation: a generated corpus of many labelled families, and honest arithmetic."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from bench.corpus.generate import FAMILIES, generate
from bench.family_eval import Case, evaluate, load, split_of

CLEAN = b"From: a@practice.example\r\nTo: b@x.example\r\nSubject: Parking\r\n\r\nThe lot is closed Friday.\r\n"
PHI = (
    b"From: a@practice.example\r\nTo: b@x.example\r\nSubject: Referral\r\n\r\n"
    b"Referring Marisol Quintero-Abbott, DOB 03/14/1962, MRN 4471203, for type 2 diabetes (E11.9).\r\n"
)


def test_generator_writes_fifty_families_of_both_labels(tmp_path: Path) -> None:
    """At least 50 families, PHI and clean ones, every file in the manifest exists."""
    n = generate(tmp_path, per_family=2, seed=1)
    rows = [json.loads(x) for x in (tmp_path / "manifest.jsonl").read_text().splitlines()]
    assert n == len(rows) == 2 * len(FAMILIES)
    assert len({r["category"] for r in rows}) >= 50
    assert 40 * len(FAMILIES) >= 1500
    labels = Counter(r["label"] for r in rows)
    assert labels["phi"] > 0 and labels["clean"] > 0
    assert all((tmp_path / r["file"]).is_file() for r in rows)
    assert len(load(tmp_path)) == n


def test_evaluation_counts_recall_and_false_alarms_per_group() -> None:
    """Recall and false-positive rate are computed per group from what the engine flags."""
    cases = [
        Case("dev", "referral", "phi", PHI),
        Case("gen", "parking", "clean", CLEAN),
        Case("gen", "referral2", "phi", PHI),
    ]
    summary = evaluate(cases, tuned={"dev"})
    held = summary["held-out"]
    assert isinstance(held, dict)
    assert held["recall"] == 1.0
    assert held["false_positive_rate"] == 0.0
    assert summary["tuned"] == {
        "families": 1,
        "recall": 1.0,
        "false_positive_rate": None,
        "worst_family": {"family": "referral", "recall": 1.0},
    }


def test_split_is_a_fixed_rule_with_both_halves_holding_both_labels(tmp_path: Path) -> None:
    """The tuning/held-out split depends on the family name only; each half has PHI and clean."""
    generate(tmp_path, per_family=1, seed=3)
    rows = [json.loads(x) for x in (tmp_path / "manifest.jsonl").read_text().splitlines()]
    labels = {(split_of(r["category"]), r["label"]) for r in rows}
    assert labels == {("tune", "phi"), ("tune", "clean"), ("holdout", "phi"), ("holdout", "clean")}
    halves = Counter(split_of(f) for f in FAMILIES)
    assert halves["tune"] >= 20 and halves["holdout"] >= 20


def test_halves_keep_the_tuning_half_out_of_the_held_out_figure() -> None:
    """With halves, a tuning-half family's misses never count in the held-out recall."""
    tune = next(f for f in FAMILIES if split_of(f) == "tune")
    hold = next(f for f in FAMILIES if split_of(f) == "holdout")
    cases = [Case("gen", tune, "phi", CLEAN), Case("gen", hold, "phi", PHI)]
    summary = evaluate(cases, tuned=set(), halves=True)
    assert summary["held-out"] == {
        "families": 1,
        "recall": 1.0,
        "false_positive_rate": None,
        "worst_family": {"family": hold, "recall": 1.0},
    }
    tuning = summary["tuning half"]
    assert isinstance(tuning, dict) and tuning["recall"] == 0.0
