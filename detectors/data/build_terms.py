"""Regenerate the term lists in this folder from installed packages (run by hand, never at run time).

    python -m detectors.data.build_terms

* ``icd10cm_codes.txt.gz``: every ICD-10-CM code (no dot) from simple_icd_10_cm's code list.
* ``drugs.txt``: one-word drug names and brand synonyms of drug_named_entity_recognition's
  dictionary entries that have a MedlinePlus id, minus short and common-word variants.
"""

from __future__ import annotations

import bz2
import gzip
import pickle  # noqa: S403 - reads the package's own shipped dictionary, never untrusted data
from importlib import resources
from pathlib import Path

HERE = Path(__file__).parent


def build_icd() -> int:
    """Write the ICD-10-CM code set and return its size."""
    files = resources.files("simple_icd_10_cm.data")
    name = next(p.name for p in files.iterdir() if p.name.startswith("code-list"))
    codes = sorted(
        {line.strip() for line in files.joinpath(name).read_text().splitlines() if line.strip()}
    )
    codes = [c for c in codes if "-" not in c and c[0].isalpha()]
    with gzip.open(HERE / "icd10cm_codes.txt.gz", "wt", encoding="ascii") as f:
        f.write("\n".join(codes) + "\n")
    return len(codes)


def build_drugs() -> int:
    """Write the drug-name list and return its size."""
    import drug_named_entity_recognition as dner
    from drug_named_entity_recognition.util import stopwords

    path = Path(dner.__file__).parent / "drug_ner_dictionary.pkl.bz2"
    with bz2.open(path, "rb") as f:
        data = pickle.load(f)  # noqa: S301 - the package's own file
    canon = data["drug_canonical_to_data"]
    keep = {k for k, v in canon.items() if v.get("medline_plus_id")}
    common = set(stopwords) | set((HERE / "common_words.txt").read_text().split())
    names: set[str] = set()
    for variant, canonicals in data["drug_variant_to_canonical"].items():
        if not any(c in keep for c in canonicals):
            continue
        v = variant.lower()
        if " " in v or "," in v or len(v) < 5 or not v.isalpha() or v in common:
            continue
        names.add(v)
    (HERE / "drugs.txt").write_text("\n".join(sorted(names)) + "\n")
    return len(names)


if __name__ == "__main__":
    print("icd10", build_icd(), "drugs", build_drugs())
