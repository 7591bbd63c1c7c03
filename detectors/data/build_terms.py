"""Regenerate the term lists in this folder from installed packages (run by hand, never at run time).

    python -m detectors.data.build_terms

* ``icd10cm_codes.txt.gz``: every ICD-10-CM code (no dot) from simple_icd_10_cm's code list.
* ``icd10cm_terms.txt.gz``: condition phrases (two to five words) from ICD-10-CM descriptions of
  chapters A-T: each description's first clause and its head before "with", "of", "due to" ...,
  without leading "other"/"unspecified" ("opioid abuse", "urge incontinence").
* ``icd10cm_words.txt``: one-word condition names from the same descriptions ("constipation",
  "jaundice"), without general nouns, adjectives and names (``ICD_WORD_STOP``).
* ``census_given_names.txt`` / ``census_surnames.txt``: the 1990 US Census given names and the
  most frequent surnames, from the ``names`` package (MIT) data files.
* ``name_words.txt``: listed names that are also English dictionary words (english-words'
  GCIDE list), which alone are no evidence of a name ("Will", "Brown", "Lima").
* ``drugs.txt``: one-word drug names and brand synonyms of drug_named_entity_recognition's
  dictionary entries that have a MedlinePlus id, minus short and common-word variants.
"""

from __future__ import annotations

import bz2
import gzip
import pickle  # noqa: S403 - reads the package's own shipped dictionary, never untrusted data
import re
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


_ICD_LEAD = re.compile(r"^(?:other and unspecified|other specified|other|unspecified|certain)\s+")
_ICD_CUT = re.compile(
    r"\s+(?:with|without|of|in|due to|following|complicating|and|or|for|on|at|by|from|"
    r"involving|associated with|not)\b.*$"
)


def build_icd_terms() -> int:
    """Write condition phrases from ICD-10-CM descriptions and return how many."""
    import simple_icd_10_cm as icd
    from spacy.lang.en.stop_words import STOP_WORDS

    phrases: set[str] = set()
    for code in icd.get_all_codes(with_dots=False):
        if not re.match(r"^[A-T][0-9]", code):
            continue
        clause = icd.get_description(code).lower().split(",")[0].split(" (")[0].strip()
        clause = _ICD_LEAD.sub("", clause)
        for phrase in (clause, _ICD_CUT.sub("", clause).strip()):
            words = phrase.split()
            if (
                2 <= len(words) <= 5
                and all(re.fullmatch(r"[a-z][a-z'-]*", w) for w in words)
                and words[0] not in STOP_WORDS
                and words[-1] not in STOP_WORDS
            ):
                phrases.add(phrase)
    with gzip.open(HERE / "icd10cm_terms.txt.gz", "wt", encoding="ascii") as f:
        f.write("\n".join(sorted(phrases)) + "\n")
    return len(phrases)


# One-word ICD-10-CM heads that are not conditions on their own in everyday mail: general
# nouns ("change", "retention", "rotation", "recession"), adjectives left as heads ("acute",
# "benign"), body parts, surnames and brand words ("Burns", "Fabry", "Proteus"), and states any
# office mail names ("congestion", "smoking", "symptoms").
ICD_WORD_STOP = frozenset(
    """
    abnormalities abnormality absence abuse acute adult anesthesia attention benign blood bone
    breakdown burns calculus change changes cheek cloudy complete complication complications
    compression condition conditions congestion contour corns corrosion corrosions crowding
    curvature defects deficiency deformities deformity degeneration deletion deletions
    demoralization deprivation derangements deviation difficulties difficulty diffuse diseases
    disorders disruption dissection disturbance disturbances doubling drug duplication
    duplications effect effects elevation encounter endocrine erosion eversion exhaustion
    exposure fabry fatty feeling female finding findings fish flushing folds food forms freckles
    frequency fusion granulation heavy hesitancy hostility hyperalimentation imbalance
    incompetence incomplete inflammations inflammatory injuries instability interruption
    inversion isomerism kuru labor lack leakage liver lump male malfunction manifestations morbid
    multiple neglect nerve nervousness onset organ perforation perforations personality pica
    pinta plague problems proteus reactions recession respiratory restlessness retention
    retraction rotation sector separation sequestration severe shock shortness signs simple sinus
    sites slowness smoking speech splitting spotting state strain strange supervision suppression
    suspiciousness symptoms tetralogy type types unhappiness variants variations verbosity voice
    web webbing worries wrist coma osteopathy
    """.split()
)
_ICD_WORD_ADJECTIVE = re.compile(r"(?:al|ic|ous|ive|ed|ary|ar|ile|ent|ant|-)$")


def build_icd_words() -> int:
    """Write one-word condition names from ICD-10-CM descriptions and return how many."""
    import simple_icd_10_cm as icd

    conditions = set((HERE / "conditions.txt").read_text().split("\n"))
    words: set[str] = set()
    for code in icd.get_all_codes(with_dots=False):
        if not re.match(r"^[A-T][0-9]", code):
            continue
        clause = icd.get_description(code).lower().split(",")[0].split(" (")[0].strip()
        clause = _ICD_LEAD.sub("", clause)
        for head in (clause, _ICD_CUT.sub("", clause).strip()):
            if (
                re.fullmatch(r"[a-z][a-z-]{3,}", head)
                and head not in ICD_WORD_STOP
                and head not in conditions
                and not _ICD_WORD_ADJECTIVE.search(head)
            ):
                words.add(head)
    (HERE / "icd10cm_words.txt").write_text("\n".join(sorted(words)) + "\n")
    return len(words)


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
    names.update(INSULINS)
    names.update(BNF_NAMES)
    (HERE / "drugs.txt").write_text("\n".join(sorted(names)) + "\n")
    return len(names)


# The dictionary names insulins only in multi-word forms ("insulin glargine"), which the one-word
# list drops; they are among the drugs most often refilled by mail.
INSULINS = (
    "insulin", "glargine", "lispro", "aspart", "detemir", "degludec", "glulisine", "humalog",
    "novolog", "lantus", "levemir", "tresiba", "basaglar", "toujeo", "humulin", "novolin",
)  # fmt: skip


# British approved names and brands that a UK or Irish practice writes and the dictionary (built
# on US MedlinePlus entries) lacks: hormones, inhalers, laxatives, contraceptives, antibiotics.
BNF_NAMES = (
    "estradiol", "progesterone", "testosterone", "colecalciferol", "cholecalciferol",
    "zopiclone", "tirzepatide", "gliclazide", "desogestrel", "ethinylestradiol", "drospirenone",
    "mesalazine", "beclometasone", "vilanterol", "carbocisteine", "bendroflumethiazide",
    "sacubitril", "nicorandil", "carbimazole", "fludrocortisone", "tinzaparin", "mebeverine",
    "macrogol", "docusate", "domperidone", "cyclizine", "betahistine", "cinnarizine", "hyoscine",
    "chlorphenamine", "aciclovir", "flucloxacillin", "cefalexin", "phenoxymethylpenicillin",
    "dihydrocodeine", "nefopam", "etoricoxib", "propranolol", "moxonidine", "pancreatin",
    "tranexamic", "movicol", "laxido", "adcal", "calcichew", "fultium", "seretide", "symbicort",
    "fostair", "trimbow", "relvar", "anoro", "trelegy", "clenil", "microgynon", "rigevidon",
    "cerazette", "nexplanon", "evorel", "utrogestan", "mounjaro", "novorapid", "sinemet",
    "madopar",
)  # fmt: skip


SURNAME_RANK_LIMIT = 30_000


def _census(path: Path, limit: int) -> list[str]:
    out: list[str] = []
    for line in path.read_text().splitlines()[:limit]:
        word = line.split()[0].lower() if line.strip() else ""
        if word.isalpha() and len(word) > 1:
            out.append(word)
    return out


def build_names() -> tuple[int, int, int]:
    """Write the census name lists and the list of names that are English words."""
    import names as census
    from english_words import get_english_words_set

    folder = Path(census.__file__).parent
    given = sorted(
        set(
            _census(folder / "dist.male.first", 10_000)
            + _census(folder / "dist.female.first", 10_000)
        )
    )
    family = sorted(set(_census(folder / "dist.all.last", SURNAME_RANK_LIMIT)))
    header = "# 1990 US Census (names package, MIT); regenerate with build_terms.build_names\n"
    (HERE / "census_given_names.txt").write_text(header + "\n".join(given) + "\n")
    (HERE / "census_surnames.txt").write_text(header + "\n".join(family) + "\n")
    own = {
        w
        for name in ("first_names.txt", "surnames.txt")
        for line in (HERE / name).read_text().splitlines()
        if not line.startswith("#")
        for w in line.split()
    }
    english = get_english_words_set(["gcide"], lower=True, alpha=True)
    both = sorted((set(given) | set(family) | own) & english)
    (HERE / "name_words.txt").write_text(
        "# Listed names that are also English words (GCIDE via english-words)\n"
        + "\n".join(both)
        + "\n"
    )
    return len(given), len(family), len(both)


if __name__ == "__main__":
    print(
        "icd10",
        build_icd(),
        "icd10 terms",
        build_icd_terms(),
        "icd10 words",
        build_icd_words(),
        "drugs",
        build_drugs(),
        "names",
        build_names(),
    )
