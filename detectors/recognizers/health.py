"""Health-information recognizers: diagnoses, ICD-10-CM, CPT/HCPCS, drugs, procedures, labs, clinics."""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import regex

from detectors.recognizers.base import (
    RawMatch,
    RegexRecognizer,
    compile_words,
    finditer,
    has_context,
)


def _data(name: str) -> str:
    return resources.files("detectors.data").joinpath(name).read_text(encoding="utf-8")


def terms(name: str) -> tuple[str, ...]:
    """Load a shipped term list (one entry a line, ``#`` comments)."""
    return tuple(
        line.strip().lower()
        for line in _data(name).splitlines()
        if line.strip() and not line.startswith("#")
    )


@lru_cache(maxsize=1)
def icd10_codes() -> frozenset[str]:
    """The ICD-10-CM code set (without dots), derived from simple_icd_10_cm."""
    raw = resources.files("detectors.data").joinpath("icd10cm_codes.txt.gz").read_bytes()
    return frozenset(gzip.decompress(raw).decode("ascii").split())


@lru_cache(maxsize=1)
def drug_names() -> frozenset[str]:
    """One-word drug names, derived from drug_named_entity_recognition's dictionary."""
    return frozenset(terms("drugs.txt"))


@lru_cache(maxsize=1)
def icd10_phrases() -> tuple[frozenset[str], dict[str, int]]:
    """ICD-10-CM condition phrases and, per first word, the longest phrase's word count."""
    raw = resources.files("detectors.data").joinpath("icd10cm_terms.txt.gz").read_bytes()
    phrases = frozenset(gzip.decompress(raw).decode("ascii").split("\n")) - {""}
    longest: dict[str, int] = {}
    for p in phrases:
        words = p.split()
        longest[words[0]] = max(longest.get(words[0], 0), len(words))
    return phrases, longest


ICD_CONTEXT = compile_words(
    [
        "icd",
        "icd-10",
        "icd10",
        "icd-10-cm",
        "dx",
        "diagnosis",
        "diagnoses",
        "code",
        "codes",
        "primary dx",
        "problem",
    ]
)
CPT_CONTEXT = compile_words(
    [
        "cpt",
        "hcpcs",
        "procedure code",
        "billed",
        "bill",
        "billing",
        "code",
        "codes",
        "charge",
        "cpt code",
        "denied",
        "rebill",
        "units of",
    ]
)
DOSE = regex.compile(
    r"\s{0,2}\d{1,5}(?:[.,]\d{1,3})?\s?(?:mg|mcg|µg|g|ml|mL|units?|iu|IU|%|mg/mL|mEq)(?![\w])"
)
LAB_VALUE = regex.compile(
    r"(?i:[\s:,=(.]{0,40}(?:is |was |of |at |came back at |came back |level |result |value ){0,2}"
    r"(?:[<>≤≥]?\s?\d{1,6}(?:\.\d{1,4})?|positive|negative|detected|not detected|reactive|non-reactive|high|low|elevated|abnormal|normal))"
)
_DIAG_SUFFIX = regex.compile(
    r"(?i)(?<![\w])\p{L}{3,30}(?:itis|osis|emia|aemia|oma|omas|pathy|algia|plegia|trophy|plasia|penia|rrhea|rrhoea|megaly|lepsy)(?![\w])"
)
_DIAG_SUFFIX_STOP = frozenset(
    "diagnosis prognosis diploma aroma oklahoma sympathy empathy apathy telepathy homeopathy "
    "naturopathy osteopathy stoma soma coma sarcoma_ idiom glaucoma_ chroma diplomas aromas "
    "hypnosis symbiosis osmosis neurosis_ halitosis_ thrombosis_ kilonova".split()
)
_PROC_SUFFIX = regex.compile(
    r"(?i)(?<![\w])\p{L}{3,30}(?:ectomy|otomy|ostomy|oscopy|plasty|graphy|gram)(?![\w])"
)
_PROC_SUFFIX_STOP = frozenset(
    "photography geography biography autobiography calligraphy choreography cinematography "
    "bibliography typography cartography pornography telegram program diagram instagram kilogram "
    "milligram microgram histogram hologram anagram epigram monogram programme pictogram "
    "nanogram cryptography demography lithography topography stenography ethnography "
    "videography discography filmography hagiography iconography".split()
)
_GENERIC_DIAG = frozenset(
    "disorder disease failure injury tear burn pain fever fatigue illness dependence lesion cyst "
    "wound rash obstruction dysfunction inflammation infection syndrome malignant withdrawal".split()
)


@dataclass(frozen=True)
class Icd10Recognizer:
    """ICD-10-CM codes validated against the code set; dotless or 3-char codes need context."""

    name: str = "icd10"
    entities: tuple[str, ...] = ("ICD10",)
    pattern: regex.Pattern[str] = regex.compile(
        r"(?<![\w.-])([A-TV-Z]\d[0-9AB])(?:\.([0-9A-TV-Z]{1,4}))?(?![\w-]|\.\d)"
    )

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        codes = icd10_codes()
        out: list[RawMatch] = []
        for m in finditer(self.pattern, text, timeout):
            code = m.group(1) + (m.group(2) or "")
            if code not in codes:
                continue
            ctx = has_context(ICD_CONTEXT, text, m.start(), m.end(), before=40)
            if m.group(2):
                score = 0.95 if ctx else 0.85
            elif ctx:
                score = 0.8
            else:
                continue
            out.append(RawMatch("ICD10", m.start(), m.end(), score, "health", self.name))
        return out


@dataclass(frozen=True)
class CptRecognizer:
    """CPT (5 chars) and HCPCS Level II codes, only with billing context or a procedure after."""

    name: str = "cpt_hcpcs"
    entities: tuple[str, ...] = ("CPT",)
    pattern: regex.Pattern[str] = regex.compile(
        r"(?<![\w.$/-])(?:\d{4}[0-9FTU]|[A-V]\d{4})(?![\w/-]|\.\d)"
    )
    procedure_after: regex.Pattern[str] = field(
        default_factory=lambda: regex.compile(r"\s{0,3}(?:-|–|\(|:)\s{0,3}\p{L}{4}")
    )

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out: list[RawMatch] = []
        for m in finditer(self.pattern, text, timeout):
            start, end = m.span()
            ctx = has_context(CPT_CONTEXT, text, start, end, before=45)
            desc = self.procedure_after.match(text, end, min(len(text), end + 12)) is not None
            if ctx and (desc or m.group()[0].isdigit()):
                out.append(RawMatch("CPT", start, end, 0.85, "health", self.name))
            elif desc and _PROC_SUFFIX.search(text, end, min(len(text), end + 60)):
                out.append(RawMatch("CPT", start, end, 0.7, "health", self.name))
        return out


@dataclass(frozen=True)
class MedicationRecognizer:
    """Drug names from the shipped dictionary; a dose right after raises the score."""

    name: str = "medication"
    entities: tuple[str, ...] = ("MEDICATION",)
    word: regex.Pattern[str] = regex.compile(r"(?<![\w-])[A-Za-z][a-z]{4,30}(?![\w-])")

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        drugs = drug_names()
        out: list[RawMatch] = []
        for m in finditer(self.word, text, timeout):
            if m.group().lower() not in drugs:
                continue
            dosed = DOSE.match(text, m.end(), min(len(text), m.end() + 20)) is not None
            out.append(
                RawMatch(
                    "MEDICATION", m.start(), m.end(), 0.9 if dosed else 0.7, "health", self.name
                )
            )
        return out


@dataclass(frozen=True)
class DiagnosisRecognizer:
    """Condition names from the term list plus medical suffixes (-itis, -osis, -oma, -pathy ...)."""

    name: str = "diagnosis"
    entities: tuple[str, ...] = ("DIAGNOSIS",)
    terms_pattern: regex.Pattern[str] = field(
        default_factory=lambda: compile_words(terms("conditions.txt"))
    )

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out: list[RawMatch] = []
        out.extend(self._icd_phrases(text, timeout))
        for m in finditer(self.terms_pattern, text, timeout):
            generic = m.group().lower() in _GENERIC_DIAG
            out.append(
                RawMatch(
                    "DIAGNOSIS", m.start(), m.end(), 0.5 if generic else 0.8, "health", self.name
                )
            )
        for m in finditer(_DIAG_SUFFIX, text, timeout):
            if m.group().lower() in _DIAG_SUFFIX_STOP:
                continue
            out.append(RawMatch("DIAGNOSIS", m.start(), m.end(), 0.7, "health", self.name))
        return out

    def _icd_phrases(self, text: str, timeout: float) -> list[RawMatch]:
        """Multi-word ICD-10-CM condition phrases, looked up word by word (no big alternation)."""
        phrases, longest = icd10_phrases()
        words = [(m.start(), m.end(), m.group().lower()) for m in finditer(_WORD, text, timeout)]
        out: list[RawMatch] = []
        i = 0
        while i < len(words):
            n = longest.get(words[i][2], 0)
            found = 0
            # Only words separated by plain spaces or a line break form a phrase.
            k = 1
            while (
                k < n
                and i + k < len(words)
                and text[words[i + k - 1][1] : words[i + k][0]].isspace()
            ):
                k += 1
            for size in range(k, 1, -1):
                if " ".join(w for _, _, w in words[i : i + size]) in phrases:
                    found = size
                    break
            if found:
                out.append(
                    RawMatch(
                        "DIAGNOSIS",
                        words[i][0],
                        words[i + found - 1][1],
                        0.75,
                        "health",
                        self.name,
                    )
                )
                i += found
            else:
                i += 1
        return out


_WORD = regex.compile(r"(?<![\w'-])[A-Za-z][A-Za-z'-]{1,30}(?![\w])")


@dataclass(frozen=True)
class ProcedureRecognizer:
    """Procedures and tests from the term list plus surgical/imaging suffixes."""

    name: str = "procedure"
    entities: tuple[str, ...] = ("PROCEDURE",)
    terms_pattern: regex.Pattern[str] = field(
        default_factory=lambda: compile_words(terms("procedures.txt"))
    )

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out = [
            RawMatch("PROCEDURE", m.start(), m.end(), 0.75, "health", self.name)
            for m in finditer(self.terms_pattern, text, timeout)
        ]
        for m in finditer(_PROC_SUFFIX, text, timeout):
            if m.group().lower() not in _PROC_SUFFIX_STOP:
                out.append(RawMatch("PROCEDURE", m.start(), m.end(), 0.7, "health", self.name))
        return out


@dataclass(frozen=True)
class LabRecognizer:
    """Lab tests; a lab result when a value or an interpretation follows the test name."""

    name: str = "lab_result"
    entities: tuple[str, ...] = ("LAB_RESULT",)
    terms_pattern: regex.Pattern[str] = field(
        default_factory=lambda: compile_words(terms("labs.txt"))
    )

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out: list[RawMatch] = []
        for m in finditer(self.terms_pattern, text, timeout):
            valued = LAB_VALUE.match(text, m.end(), min(len(text), m.end() + 45)) is not None
            out.append(
                RawMatch(
                    "LAB_RESULT", m.start(), m.end(), 0.85 if valued else 0.5, "health", self.name
                )
            )
        return out


def health_recognizers() -> list[object]:
    """Build the health-information recognizers."""
    return [
        Icd10Recognizer(),
        CptRecognizer(),
        MedicationRecognizer(),
        DiagnosisRecognizer(),
        ProcedureRecognizer(),
        LabRecognizer(),
        RegexRecognizer(
            name="specialty",
            entity="SPECIALTY",
            pattern=compile_words(terms("specialties.txt")),
            score=0.7,
            category="health",
        ),
        RegexRecognizer(
            name="clinical_note",
            entity="CLINICAL_NOTE",
            pattern=compile_words(terms("clinical_notes.txt")),
            score=0.7,
            category="health",
        ),
    ]
