"""templates-g, the seventh blind source: deterministic, one label per family, apart from d to f."""

from __future__ import annotations

from collections import defaultdict
from email import message_from_bytes
from email.policy import default
from pathlib import Path

from bench.corpus import unseen, unseen_e, unseen_f, unseen_g

# The families written as clean (hard negatives: a drug safety alert, aggregate survey figures,
# staff names on a certificate, a locum's own GMC and bank details); every other family holds
# one patient's PHI.
CLEAN = {
    "drug_safety_alert", "patient_survey_results", "cpd_certificate", "locum_invoice",
    "access_card_notice", "referral_pathway_update", "staff_fundraiser",
}  # fmt: skip


def test_templates_g_is_deterministic_and_each_family_has_one_label(tmp_path: Path) -> None:
    """Same seed, same bytes; another seed, other bytes; a family is wholly PHI or wholly clean."""
    rows = unseen_g.build(tmp_path / "a", per_family=3, seed=5)
    again = unseen_g.build(tmp_path / "b", per_family=3, seed=5)
    other = unseen_g.build(tmp_path / "c", per_family=3, seed=6)
    assert {str(r["source"]) for r in rows} == {"templates-g"}
    labels: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        labels[str(r["category"])].add(str(r["label"]))
    assert set(labels) == set(unseen_g.FAMILIES)
    assert {fam for fam, lab in labels.items() if lab == {"clean"}} == CLEAN
    assert {fam for fam, lab in labels.items() if lab == {"phi"}} == set(labels) - CLEAN
    assert len(labels) - len(CLEAN) >= 10 and len(CLEAN) >= 6
    same = [
        (tmp_path / "a" / str(r["file"])).read_bytes()
        == (tmp_path / "b" / str(r2["file"])).read_bytes()
        for r, r2 in zip(rows, again, strict=True)
    ]
    assert all(same)
    changed = [
        (tmp_path / "a" / str(r["file"])).read_bytes()
        != (tmp_path / "c" / str(r2["file"])).read_bytes()
        for r, r2 in zip(rows, other, strict=True)
    ]
    assert sum(changed) > len(rows) // 2


def test_templates_g_names_no_file_or_message_id_of_d_e_or_f(tmp_path: Path) -> None:
    """Written into one folder, d, e, f and g overwrite nothing of each other's and share no ID."""
    ids: list[str] = []
    files = 0
    for module in (unseen, unseen_e, unseen_f, unseen_g):
        rows = module.build(tmp_path, per_family=1, seed=7)
        files += len(rows)
        for r in rows:
            msg = message_from_bytes((tmp_path / str(r["file"])).read_bytes(), policy=default)
            ids.append(str(msg["Message-ID"]))
    assert len(list(tmp_path.glob("*.eml"))) == files
    assert len(set(ids)) == files
