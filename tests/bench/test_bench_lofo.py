"""Leave-family-out evaluation and the independent corpus sources: held-out means held out."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from bench.corpus import independent, unseen, unseen_e
from bench.lofo_eval import Scanned, leave_family_out, misses, summarise
from detectors.config import DecisionThresholds
from detectors.findings import Finding


def _f(entity: str, score: float, category: str = "identifier") -> Finding:
    return Finding(entity, "body", 0, 4, score, "test", "****", category)


PHI = (_f("DOB", 0.9), _f("DIAGNOSIS", 0.9, "health"))
CLEAN = (_f("PROVIDER_NAME", 0.9),)
# Looks like nothing the other families taught: health information alone.
ODD = (_f("MEDICATION", 0.7, "health"),)


def _corpus() -> list[Scanned]:
    rows = []
    for fam in ("p1", "p2", "p3"):
        rows += [Scanned("gen", fam, "phi", PHI, False)] * 4
    for fam in ("c1", "c2", "c3"):
        rows += [Scanned("gen", fam, "clean", CLEAN, False)] * 4
    rows += [Scanned("other", "odd_phi", "phi", ODD, False)] * 3
    rows += [Scanned("other", "unreadable", "clean", (), True)] * 2
    return rows


def test_each_family_is_decided_by_a_model_that_never_saw_it():
    """A family unlike every other is missed when held out, though training on it would learn it."""
    scanned = _corpus()
    results = leave_family_out(scanned, DecisionThresholds())
    bands = {s.family: r["band"] for s, r in zip(scanned, results, strict=True)}
    assert bands["p1"] == "phi" and bands["c1"] == "clean"
    assert bands["odd_phi"] == "clean"
    summary = summarise(scanned, results)
    learned = summary["learned"]
    # 12 of 15 PHI messages found; the two unreadable clean ones count as flagged (2 of 14).
    assert learned["recall"] == pytest.approx(12 / 15, abs=1e-4)
    assert learned["false_positive_rate"] == pytest.approx(2 / 14, abs=1e-4)
    assert learned["worst_family"] == {"family": "odd_phi", "recall": 0.0}
    assert summary["per_source"]["other"]["learned"]["recall"] == 0.0
    assert summary["per_source"]["gen"]["learned"]["recall"] == 1.0
    assert summary["families"] == 8 and summary["phi_families"] == 4


def test_independent_sources_write_labelled_families_of_both_labels(tmp_path: Path):
    """The second generator writes every family it lists, PHI and clean, plus the public sources."""
    rows = independent.build(tmp_path, per_family=1, seed=1)
    families = Counter(str(r["category"]) for r in rows)
    assert set(independent.FAMILIES) <= set(families)
    assert {r["label"] for r in rows} == {"phi", "clean"}
    sources = {str(r["source"]) for r in rows}
    assert {"templates-b", "deidgate"} <= sources
    assert all((tmp_path / str(r["file"])).is_file() for r in rows)
    # With the 57 families of generate.py, 30 messages each, the corpus passes 1,500 and 40.
    assert (len(independent.FAMILIES) + 57) * 30 >= 1500


@pytest.mark.parametrize(("module", "source"), [(unseen, "templates-d"), (unseen_e, "templates-e")])
def test_unseen_source_is_deterministic_with_both_labels(
    tmp_path: Path, module: ModuleType, source: str
) -> None:
    """templates-d and -e write every family, about half of them PHI, the same bytes for a seed."""
    rows = module.build(tmp_path / "a", per_family=2, seed=3)
    again = module.build(tmp_path / "b", per_family=2, seed=3)
    assert set(module.FAMILIES) == {str(r["category"]) for r in rows}
    assert {str(r["source"]) for r in rows} == {source}
    labels = Counter(str(r["label"]) for r in rows[::2])
    assert len(module.FAMILIES) >= 12 and abs(labels["phi"] - labels["clean"]) <= 1
    for r, r2 in zip(rows, again, strict=True):
        first = (tmp_path / "a" / str(r["file"])).read_bytes()
        assert first == (tmp_path / "b" / str(r2["file"])).read_bytes()


def test_misses_name_family_index_and_findings_but_no_text():
    """--misses lists the held-out miss and the unreadable clean message, by family and index."""
    scanned = _corpus()
    results = leave_family_out(scanned, DecisionThresholds())
    lines = misses(scanned, results, []).splitlines()
    assert sum(line.startswith("MISS odd_phi#") for line in lines) == 3
    assert sum(line.startswith("FP unreadable#") for line in lines) == 2
    assert "MEDICATION/test/0.70@body" in lines[0]
    assert misses(scanned, results, ["p1"]) == ""
