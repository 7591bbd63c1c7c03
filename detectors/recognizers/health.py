"""Health-information recognizers: diagnoses, ICD-10-CM, CPT/HCPCS, drugs, procedures, labs, clinics."""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import regex

import detectors.recognizers.multiscan as multiscan
from detectors.recognizers.base import (
    RawMatch,
    RegexRecognizer,
    compile_words,
    finditer,
    has_context,
)
from detectors.recognizers.gates import gate_suffixes, gate_words, text_words


def _data(name: str) -> str:
    return resources.files("detectors.data").joinpath(name).read_text(encoding="utf-8")


def terms(name: str) -> tuple[str, ...]:
    """Load a shipped term list (one entry a line, ``#`` comments)."""
    return tuple(
        line.strip().lower()
        for line in _data(name).splitlines()
        if line.strip() and not line.startswith("#")
    )


def term_words(name: str) -> regex.Pattern[str]:
    """A recognizer's field: the words of a shipped term list, compiled when it is built."""
    return field(default_factory=lambda: compile_words(terms(name)))


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


@lru_cache(maxsize=1)
def _icd_first_words() -> frozenset[str]:
    """The first word (its first run of word characters) of every phrase and one-word name."""
    _, longest = icd10_phrases()
    return frozenset(
        run.group()
        for w in (*(w for w, n in longest.items() if n >= 2), *icd10_words())
        if (run := _RUN.match(w)) is not None
    )


@lru_cache(maxsize=1)
def icd10_words() -> frozenset[str]:
    """One-word ICD-10-CM condition names ("constipation", "jaundice"; build_terms.py)."""
    return frozenset(terms("icd10cm_words.txt"))


_RUN = regex.compile(r"\w+")
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
        # the ICD in other languages: CID-10 (pt), CIE-10 (es), CIM-10 (fr), ICD-10-GM (de)
        "cid",
        "cid-10",
        "cid10",
        "cie",
        "cie-10",
        "cie10",
        "cim",
        "cim-10",
        "icd-10-gm",
        "diagnoseschlüssel",
        "kod icd",
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
    r"(?i:[\s:,=(.]{0,40}(?:is |was |of |at |came back at |came back |level |result |value |trend |"
    r"(?:down|up|dropped|fell|rose|rising|falling) to |"
    # When it was taken, told between the test and its value: "HbA1c last month 82 mmol/mol".
    r"(?:last|this|previous) (?:month|week|year|time|visit),? |today,? |\([^()\n]{1,20}\):? ){0,2}"
    r"(?:[<>≤≥]?\s?\d{1,6}(?:\.\d{1,4})?|positive|negative|detected|not detected|reactive|non-reactive|high|low|elevated|abnormal|normal|"
    # charting shorthand: "urine hcg pos", "RPR neg", "HIV Ab nonreactive", "UDS +ve"
    r"(?:pos|neg|nonreactive|non reactive|[+-]ve)(?![\w])|\+(?=[ \t]*(?:$|[-,.;)\n]))))"
)
# A result that is itself clinical, whatever test it follows: a genetic variant in HGVS notation
# ("c.1100delC", "c.4837A>G", "p.Arg1699Trp"), a variant's classification, a screen's outcome
# ("positive screen", "negative urine drug screen").
GENETIC_VARIANT = regex.compile(
    r"(?<![\w.])[cgp]\.(?:\d{1,6}(?:[+-]\d{1,4})?(?:_\d{1,6}(?:[+-]\d{1,4})?)?"
    r"(?:[ACGT]>[ACGT]|delins[ACGT]+|del[ACGT]*|dup[ACGT]*|ins[ACGT]+)"
    r"|[A-Z][a-z]{2}\d{1,5}(?:[A-Z][a-z]{2}|Ter|\*|fs(?:\*\d{1,4})?))(?![\w>])"
)
# A diabetic eye screening grade: retinopathy R0-R3 (R3A active, R3S stable, U ungradable) with
# maculopathy M0/M1, "R1 M0", "R3A M1".
# A patient asking after their own results: "my results are back", "my blood test results".
OWN_RESULTS = regex.compile(
    r"(?i)(?<![\w])my (?:(?:test|blood|lab|scan|smear|swab|biopsy|x-ray|mri|hiv|sti|pap|"
    r"blood test|urine) )?results?(?![\w])"
)
# The reader's own results in other languages: "vos résultats d'analyses", "sus resultados",
# "Ihre Blutwerte", "i suoi esiti", "uw uitslag", "ditt provsvar", "test sonuçlarınız".
YOUR_RESULTS_INTL = regex.compile(
    r"\b(?i:vos (?:résultats|resultats)(?: d['’]analyses?| de laboratoire| sanguins| d['’]examens?)?|"
    r"votre bilan sanguin|vos analyses|sus resultados(?: de (?:laboratorio|los análisis|la analítica))?|"
    r"su analítica|(?:os )?seus resultados(?: dos exames| de análises)?|as suas análises|"
    r"ihre (?:laborwerte|blutwerte|befunde|laborergebnisse|testergebnisse|ergebnisse)|"
    r"ihr (?:befund|laborbefund|testergebnis)|i suoi (?:risultati|esiti|esami)|il suo referto|"
    r"uw (?:uitslag|uitslagen|bloeduitslag|bloeduitslagen|labuitslagen)|(?:pana|pani) wyniki|"
    r"wyniki (?:pana|pani)|ditt (?:provsvar|labbsvar|röntgensvar)|dina (?:provsvar|labbvärden|"
    r"prover|provresultat)|(?:tahlil|test) sonuçlarınız)\b"
)
_YOUR_RESULTS_GATE = (
    "résultat",
    "resultat",
    "analys",
    "bilan",
    "resultado",
    "analítica",
    "análise",
    "werte",
    "befund",
    "ergebnis",
    "risultat",
    "esit",
    "esami",
    "referto",
    "uitslag",
    "wynik",
    "svar",
    "värden",
    "prover",
    "sonuç",
)
# Sexual health codes in capitals, as an SMS or lab system writes them ("CT_POSITIVE_TREATMENT",
# "HIV NEG", "RPR REACTIVE"), and HIV pre-exposure prophylaxis written "PrEP" (never "prep").
STI_CODE = regex.compile(
    r"(?<![\w])(?:PrEP|(?:CT|GC|NG|HIV|HCV|HBV|HSV|TV|MG|RPR|VDRL|TPPA|SYPHILIS)[ /-]?"
    r"(?:POSITIVE|POS|NEGATIVE|NEG|DETECTED|REACTIVE|NON[ -]?REACTIVE))(?![\w])"
)
RETINOPATHY_GRADE = regex.compile(r"(?<![\w])R(?:0|1|2|3A|3S|3)[ \t]?M[01](?![\w])")
_RESULT_WORDS = ("pathogenic", "significance", "vus", "screen", "tested")
RESULT_STATEMENT = gate_words(
    regex.compile(
        r"(?i)(?<![\w])(?:(?:likely )?pathogenic(?: variant| mutation)?"
        r"|variant of (?:uncertain|unknown|undetermined) significance|vus"
        r"|(?:presumptive )?(?:positive|negative|non-negative) (?:(?:urine|drug|tox|toxicology) ){0,2}"
        r"screen|tested (?:positive|negative|non-negative))(?![\w])"
    ),
    _RESULT_WORDS,
)
# A patient telling their own (or their child's) symptom: "makes me dizzy", "I'm still
# bleeding", "I've got bad cramping", "my son has had a fever of 103".
_SYMPTOMS = (
    "dizzy", "dizziness", "lightheaded", "bleeding", "cramping", "cramps", "nauseous", "nausea",
    "vomiting", "throwing up", "fever", "temperature", "rash", "itchy", "itching", "swollen",
    "swelling", "short of breath", "breathless", "wheezing", "wheezy", "coughing", "cough",
    "chest pain", "headache", "headaches", "migraine", "numb", "numbness", "tingling", "faint",
    "fainted", "palpitations", "thirsty", "diarrhea", "diarrhoea", "constipated", "bruising",
    "shaky", "lump",
    # what a family tells of an older relative: "my mother's memory is getting worse"
    "agitated", "confused", "forgetful", "more forgetful", "memory loss", "memory problems",
    "memory is getting worse", "memory is worse", "memory has gotten worse", "hallucinating",
    "wandering at night", "not eating", "falling",
)  # fmt: skip
# Between the speaker and the symptom only words of the same clause ("still", "got bad", "had
# a"), never a preposition that makes it a topic ("a question about dizziness").
_SAME_CLAUSE = (
    r"(?:[ \t]+(?!(?i:about|on|for|regarding|re|at|with|to|in|from|of)(?![\w]))[\w'-]+){0,5}?"
)
OWN_SYMPTOM = gate_words(
    regex.compile(
        r"(?i)(?<![\w])(?:i'm|i am|i've|i have|i feel|i felt|i keep|i got|i'd|makes? me|made me|"
        r"(?:my|our) (?:son|daughter|child|kid|baby|husband|wife|partner|mom|mum|dad|mother|"
        r"father|boy|girl|(?:mother|father|son|daughter)-in-law|grandmother|grandfather|grandma|"
        r"grandpa|gran|nan|aunt|uncle|brother|sister)(?:['’]s| has| had| is| was| keeps| got)?)"
        + _SAME_CLAUSE
        + r"[ \t]+("
        + "|".join(s.replace(" ", "[ \t]") for s in _SYMPTOMS)
        # a symptom as a topic's name: "the rash photo guide", "a headache clinic"
        + r")(?![\w])(?![ \t](?i:photos?|guides?|leaflets?|clinics?|services?|teams?|management|"
        r"protocols?|polic(?:y|ies)|posters?|charts?|audits?|pathways?|conferences?|webinars?|"
        r"training|study|studies|trials?|products?|creams?|kits?|relief|tablets|medicines?)(?![\w]))"
    ),
    _SYMPTOMS,
)
# A patient telling what they (or their child) cannot do: "I can't hear the TV without it", "my
# son is unable to walk far". Not a call's sound ("I can't hear you", "can't hear the audio").
_FACULTIES = ("hear", "walk", "sleep", "breathe", "swallow", "bear weight")
OWN_LIMITATION = gate_words(
    regex.compile(
        r"(?i)(?<![\w])(?:i|(?:my|our) (?:son|daughter|child|kid|baby|husband|wife|partner|mom|mum|"
        r"dad|mother|father|boy|girl)|s?he)(?:[ \t]+(?:still|just|really|now|often|barely|hardly))?"
        r"[ \t]+(?:can't|can’t|cannot|can not|couldn't|could not|am unable to|'m unable to|"
        r"is unable to|struggles? to|(?:have|has) (?:trouble|difficulty))[ \t]+(?:properly[ \t]+)?("
        + "|".join(f.replace(" ", "[ \t]") for f in _FACULTIES)
        + r")(?:ing)?(?![\w])(?![ \t](?i:you|him|her|them|anything on|the (?:audio|call|sound|"
        r"speaker|presenter|video|recording|line|webinar|meeting)))"
    ),
    _FACULTIES,
)
_DIAG_SUFFIXES = (
    "itis", "osis", "emia", "aemia", "oma", "omas", "pathy", "algia", "plegia", "trophy",
    "plasia", "penia", "rrhea", "rrhoea", "megaly", "lepsy",
)  # fmt: skip
_DIAG_SUFFIX = gate_suffixes(
    regex.compile(rf"(?i)(?<![\w])\p{{L}}{{3,30}}(?:{'|'.join(_DIAG_SUFFIXES)})(?![\w])"),
    _DIAG_SUFFIXES,
)
_DIAG_SUFFIX_STOP = frozenset(
    "diagnosis prognosis diploma aroma oklahoma sympathy empathy apathy telepathy homeopathy "
    "naturopathy osteopathy stoma soma coma sarcoma_ idiom glaucoma_ chroma diplomas aromas "
    "hypnosis symbiosis osmosis neurosis_ halitosis_ thrombosis_ kilonova "
    # blood glucose, the measurement (a test strip's name), not a disorder
    "glucemia glicemia glycemia glycaemia".split()
)
_PROC_SUFFIXES = ("ectomy", "otomy", "ostomy", "oscopy", "plasty", "graphy", "gram")
_PROC_SUFFIX = gate_suffixes(
    regex.compile(rf"(?i)(?<![\w])\p{{L}}{{3,30}}(?:{'|'.join(_PROC_SUFFIXES)})(?![\w])"),
    _PROC_SUFFIXES,
)
# An operation named by the body part it was on: "my hip operation", "her knee repair", "a bowel
# operation" ("operation" alone is a business word: "operations team", "the lift's operation").
_BODY_PARTS = (
    "hip", "knee", "back", "spine", "spinal", "eye", "eyes", "heart", "shoulder", "ankle", "foot",
    "hand", "wrist", "neck", "bowel", "hernia", "gallbladder", "bladder", "prostate", "breast",
    "ear", "brain", "lung", "kidney", "liver", "stomach", "tummy", "leg", "arm", "elbow", "thyroid",
    "womb", "sinus", "bunion", "varicose vein", "cataract",
)  # fmt: skip
BODY_PART_OPERATION = gate_words(
    regex.compile(
        r"(?i)(?<![\w])(?:"
        + "|".join(b.replace(" ", "[ \t]") for b in _BODY_PARTS)
        + r")[ \t](?:operation|replacement|reconstruction|repair)(?![\w])"
    ),
    # (gated on the rarer second word: the pattern holds one of them as a whole word)
    ("operation", "replacement", "reconstruction", "repair"),
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
    # A word, or the words of a hyphenated token: a combination product is written with a hyphen
    # ("amoxicillin-clavulanate 875 mg"), and each of its drug names is one.
    word: regex.Pattern[str] = regex.compile(
        r"(?<![\w-])[A-Za-z][a-z]{4,30}(?:-[A-Za-z][a-z]{4,30}){0,3}(?![\w-])"
    )

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        drugs = drug_names()
        # Each drug found is a whole word of the text: an ASCII text without one has none.
        words = text_words(text)
        if words is not None and drugs.isdisjoint(words):
            return []
        out: list[RawMatch] = []
        for token in finditer(self.word, text, timeout):
            # A dose after the token is the dose of each drug in it.
            dosed = DOSE.match(text, token.end(), min(len(text), token.end() + 20)) is not None
            start = token.start()
            for part in token.group().split("-"):
                if part.lower() in drugs:
                    score = 0.9 if dosed else 0.7
                    out.append(
                        RawMatch("MEDICATION", start, start + len(part), score, "health", self.name)
                    )
                start += len(part) + 1
        return out


_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")


# Charting abbreviations of conditions that are words or names in another case ("Oud Zuilen" is
# a Dutch town, "Gad" a given name): all lower or all upper case only ("oud on bup", "hx MDD").
CHARTED_ABBREVIATION = regex.compile(r"(?<![\w])(?:oud|OUD|mdd|MDD|gad|GAD|sab|SAB)(?![\w])")


@dataclass(frozen=True)
class DiagnosisRecognizer:
    """Condition names from the term list plus medical suffixes (-itis, -osis, -oma, -pathy ...)."""

    name: str = "diagnosis"
    entities: tuple[str, ...] = ("DIAGNOSIS",)
    terms_pattern: regex.Pattern[str] = term_words("conditions.txt")
    # other languages' words, a flat alternation of their own (conditions_intl.txt)
    intl_pattern: regex.Pattern[str] = term_words("conditions_intl.txt")
    # behavioral, sexual and reproductive health as charted ("SAB at 7 wk", "oud on bup")
    care_pattern: regex.Pattern[str] = term_words("conditions_care.txt")
    # Chinese, Japanese and Korean words, matched without word boundaries (conditions_cjk.txt)
    cjk_pattern: regex.Pattern[str] = field(
        default_factory=lambda: regex.compile(
            "|".join(
                # longest first, then in order (the source is the same in every process)
                regex.escape(t)
                for t in sorted(set(terms("conditions_cjk.txt")), key=lambda t: (-len(t), t))
            )
        )
    )

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out: list[RawMatch] = []
        out.extend(self._icd_phrases(text, timeout))
        if not text.isascii() and _CJK.search(text) is not None:
            for m in finditer(self.cjk_pattern, text, timeout):
                out.append(RawMatch("DIAGNOSIS", m.start(), m.end(), 0.8, "health", self.name))
        for m in finditer(self.terms_pattern, text, timeout):
            generic = m.group().lower() in _GENERIC_DIAG
            out.append(
                RawMatch(
                    "DIAGNOSIS", m.start(), m.end(), 0.5 if generic else 0.8, "health", self.name
                )
            )
        for pattern in (self.intl_pattern, self.care_pattern, CHARTED_ABBREVIATION):
            for m in finditer(pattern, text, timeout):
                out.append(RawMatch("DIAGNOSIS", m.start(), m.end(), 0.8, "health", self.name))
        for m in finditer(_DIAG_SUFFIX, text, timeout):
            if m.group().lower() in _DIAG_SUFFIX_STOP:
                continue
            out.append(RawMatch("DIAGNOSIS", m.start(), m.end(), 0.7, "health", self.name))
        for pattern in (OWN_SYMPTOM, OWN_LIMITATION):
            for m in finditer(pattern, text, timeout):
                # "self": the writer speaks of their own (or their child's) health
                out.append(
                    RawMatch("DIAGNOSIS", m.start(1), m.end(1), 0.75, "health", self.name, "self")
                )
        return out

    def _icd_phrases(self, text: str, timeout: float) -> list[RawMatch]:
        """Multi-word ICD-10-CM condition phrases, looked up word by word (no big alternation)."""
        present = text_words(text)
        if present is not None and _icd_first_words().isdisjoint(present):
            # An ASCII text without the first word of any phrase holds none, in US spelling
            # or British ("anaemia", "oedema", "apnoea": the lists are in US spelling).
            if not any("ae" in w or "oe" in w for w in present) or _icd_first_words().isdisjoint(
                _us_spelling(w) for w in present
            ):
                return []
        phrases, longest = icd10_phrases()
        singles = icd10_words()
        words = [
            (m.start(), m.end(), _us_spelling(m.group().lower()))
            for m in finditer(_WORD, text, timeout)
        ]
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
                if words[i][2] in singles:
                    start, end, _ = words[i]
                    out.append(RawMatch("DIAGNOSIS", start, end, 0.7, "health", self.name))
                i += 1
        return out


_WORD = regex.compile(r"(?<![\w'-])[A-Za-z][A-Za-z'-]{1,30}(?![\w])")
# British spellings of Greek and Latin medical words: the digraphs ae and oe are e in US
# spelling ("haemorrhage", "oesophagitis", "diarrhoea", "apnoea", "coeliac").
_BRITISH = regex.compile(r"(?<=[a-z])ae(?=[a-z])|^ae(?=[a-z])|(?<=[a-z])oe(?=[a-z])|^oe(?=[a-z])")


def _us_spelling(word: str) -> str:
    """A word in US spelling: "anaemia" -> "anemia", "oedema" -> "edema" (others unchanged)."""
    if "ae" not in word and "oe" not in word:
        return word
    return _BRITISH.sub("e", word)


# A procedure word naming a thing or a service, not something done to a person: the equipment
# ("ECG machine", "X-ray unit", "infusion pumps", "spirometry software"), the service a practice offers ("minor surgery
# clinic", "endoscopy suite") and a UK practice's surgery session ("AM surgery", "surgery hours").
EQUIPMENT_AFTER = regex.compile(
    r"[ -](?i:machines?|monitors?|carts?|trolleys?|scanners?|couch(?:es)?|tables?|chairs?|"
    r"pumps?|units?|equipment|kits?|stock|supplies|consumables|clinics?|services?|suites?|"
    r"departments?|courses?|training|workshops?|software|licen[cs]es?|systems?|apps?|"
    r"platforms?|modules?|devices?|templates?|spirometers?|viewers?|readers?|leads?|"
    r"electrodes?|paper|rolls?|recorders?|detectors?|sensors?|tubes?|generators?|plates?|"
    r"cassettes?|processors?|panels?|probes?|transducers?|rooms?|printers?|calibration|"
    r"firmware|service contracts?)\b"
)
SESSION_BEFORE = regex.compile(
    r"(?i:\b(?:am|pm|morning|afternoon|evening|late|early|extended[- ]hours?|branch|duty|open|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day) )$"
)
NAMED_SURGERY = regex.compile(
    r"(?<![\w'’-])(?!(?:Post|Pre|After|Before|Since|Your|His|Her|Their|My|Our|Recent|Planned|"
    r"Upcoming|Day|Same|Major|Minor|Emergency|Elective|Previous|Prior|Further|Oral|Eye|Heart)"
    r" $)\p{Lu}[\p{L}'’-]+ $"
)
SESSION_AFTER = regex.compile(
    r" (?i:hours|times|sessions?|rota|opening|closed|reception"
    # the practice's building: "the surgery will be closed on 01/12", "the surgery is moving"
    r"|(?:will be|is now|is|are|remains?|has) (?:closed|open|opening|closing|moving|relocating))\b"
)


def _not_a_procedure(text: str, start: int, end: int) -> bool:
    """True when a procedure term names equipment or a practice's surgery session."""
    if EQUIPMENT_AFTER.match(text, end, min(len(text), end + 30)):
        return True
    if text[start:end].lower() != "surgery":
        return False
    return bool(
        SESSION_BEFORE.search(text, max(0, start - 20), start)
        or SESSION_AFTER.match(text, end, min(len(text), end + 20))
        # a practice's or a department's name: "Hillside Surgery", "Church Street Surgery"
        or (text[start] == "S" and NAMED_SURGERY.search(text, max(0, start - 30), start))
    )


@dataclass(frozen=True)
class ProcedureRecognizer:
    """Procedures and tests from the term list plus surgical/imaging suffixes."""

    name: str = "procedure"
    entities: tuple[str, ...] = ("PROCEDURE",)
    terms_pattern: regex.Pattern[str] = term_words("procedures.txt")
    intl_pattern: regex.Pattern[str] = term_words("procedures_intl.txt")
    care_pattern: regex.Pattern[str] = term_words("procedures_care.txt")

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out = [
            RawMatch("PROCEDURE", m.start(), m.end(), 0.75, "health", self.name)
            for m in finditer(self.terms_pattern, text, timeout)
            if not _not_a_procedure(text, m.start(), m.end())
        ]
        for m in finditer(_PROC_SUFFIX, text, timeout):
            if m.group().lower() not in _PROC_SUFFIX_STOP:
                out.append(RawMatch("PROCEDURE", m.start(), m.end(), 0.7, "health", self.name))
        for pattern in (BODY_PART_OPERATION, self.intl_pattern, self.care_pattern):
            for m in finditer(pattern, text, timeout):
                out.append(RawMatch("PROCEDURE", m.start(), m.end(), 0.75, "health", self.name))
        return out


_COUNTED = regex.compile(r"\d[ \t]$")


@dataclass(frozen=True)
class LabRecognizer:
    """Lab tests; a lab result when a value or an interpretation follows the test name."""

    name: str = "lab_result"
    entities: tuple[str, ...] = ("LAB_RESULT",)
    terms_pattern: regex.Pattern[str] = term_words("labs.txt")
    intl_pattern: regex.Pattern[str] = term_words("labs_intl.txt")
    care_pattern: regex.Pattern[str] = term_words("labs_care.txt")

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out: list[RawMatch] = []
        for pattern in (self.terms_pattern, self.intl_pattern, self.care_pattern):
            for m in finditer(pattern, text, timeout):
                # "50 uds", "12 ct": a short word counted by the number before it is a unit
                # (Spanish "unidades"), not a test
                if m.end() - m.start() <= 3 and _COUNTED.search(
                    text, max(0, m.start() - 8), m.start()
                ):
                    continue
                valued = LAB_VALUE.match(text, m.end(), min(len(text), m.end() + 45)) is not None
                score = 0.85 if valued else 0.5
                out.append(RawMatch("LAB_RESULT", m.start(), m.end(), score, "health", self.name))
        for pattern in (GENETIC_VARIANT, RESULT_STATEMENT, RETINOPATHY_GRADE, STI_CODE):
            for m in finditer(pattern, text, timeout):
                out.append(RawMatch("LAB_RESULT", m.start(), m.end(), 0.85, "health", self.name))
        for m in finditer(OWN_RESULTS, text, timeout):
            out.append(RawMatch("LAB_RESULT", m.start(), m.end(), 0.7, "health", self.name))
        # The Hyperscan pass first (two lookups): the gate's casefold and twenty searches of the
        # text cost 0.1 ms on 5 KB, and on most texts the pass has already shown the pattern absent.
        if multiscan.absent(YOUR_RESULTS_INTL, text):
            return out
        folded = text.casefold()
        if any(w in folded for w in _YOUR_RESULTS_GATE):
            for m in finditer(YOUR_RESULTS_INTL, text, timeout):
                out.append(
                    RawMatch("LAB_RESULT", m.start(), m.end(), 0.7, "health", self.name, "reader")
                )
        return out


# Clinical narrative is told by how clinicians write, not by a vocabulary: vital signs, SOAP
# sections, charting shorthand, durations and counts, dosing with a route, exam findings and a
# patient as the subject of a clinical verb. Each cue kind alone is weak; two kinds in one text
# make it a clinical note.
NARRATIVE_CUES: tuple[tuple[str, regex.Pattern[str]], ...] = (
    # \b before a word character is what (?<![\w]) says, and the regex module finds it far faster.
    (
        "vitals",
        regex.compile(
            r"\b(?<!/)(?:BP|B/P)\s?:?\s?\d{2,3}/\d{2,3}(?![\w/])"
            r"|\b(?:HR|RR|SpO2|SaO2|O2 sat|sats|Temp|Tmax|pulse)\s?:?\s?\d{2,3}(?:\.\d)?\s?%?(?![\w])"
            # a pressure by its unit or a systolic threshold: "89/46 mmHg", "SBP < 95"
            r"|(?<![\w/])\d{2,3}/\d{2,3}\s?(?i:mm ?hg)\b|\b(?:SBP|DBP)\s?[:<>=≤≥]{0,2}\s?\d{2,3}(?![\w])"
        ),
    ),
    (
        "glucose",
        regex.compile(
            r"\b(?i:BG|FSBG|CBG|blood (?:sugars?|glucose)|glucose|sugars|(?:my|her|his|fasting) sugar)\b"
            r"[^.\n\d]{0,25}\d{2,3}\b"
        ),
    ),
    # A monitored reading out of range, with or without its value: "Low SpO2 - Barnes, R.",
    # "high blood pressure alert", "Weight gain: 185.0 lb (+4.0 lb in 24 h)".
    (
        "vital_alert",
        regex.compile(
            r"\b(?i:(?:low|high|elevated|abnormal|out-of-range|critical|rising|dropping)"
            r" (?:SpO2|O2 sats?|oxygen(?: saturation)?|BP|blood pressure|blood sugar|glucose|"
            r"heart rate|pulse|INR|potassium|temperature|temp)"
            r"|(?:weight|wt)(?: (?:gain|loss|change|up|down))?:? ?\+?\d{2,3}(?:\.\d)? ?(?:lbs?|kg)"
            # a parent's reading of their child: "he is 85.9 lbs now", "she weighs 21 kg"
            r"|(?:he|she|they) (?:is|weighs|weighed|was) (?:now )?\d{1,3}(?:\.\d)? ?(?:lbs?|kg|pounds))\b"
        ),
    ),
    ("soap", regex.compile(r"(?m)^[ \t>]*(?:S|O|A|P|A/P)[ \t]?:[ \t]")),
    (
        "section",
        regex.compile(
            r"(?im)^[ \t>]*(?:CC|HPI|ROS|PMH|PSH|Assessment(?: and plan)?|Subjective|Objective|"
            r"Impression|History of present illness|Chief complaint|Physical exam|Hospital course|"
            r"Plan of care|Allergies|Code status|Vitals|Vital signs|Plan|Dispo(?:sition)?|PMHx?|"
            r"Hx|Obs|Meds|Medications|Impression)[ \t]?:(?![ \t]*(?:_|$))"
        ),
    ),
    (
        "shorthand",
        regex.compile(
            r"\b(?<!/)(?:s/p|S/P|c/o|h/o|r/o|f/u|w/u|b/l|n/v|N/V|SOB|DOE|NKDA|NPO|DNR|DNI|"
            r"AROM|PROM|ROM|WBAT|NWB|PWB|AOx\d|HFrEF|HFpEF|RVR|BIBA|prn|PRN|bid|BID|tid|TID|"
            r"qid|QID|qhs|QHS|q\d{1,2}h|abx|NBM|DNACPR|TTO|POD\s?\d{1,2}|NEWS2?\s?\d{1,2}|"
            r"\d{1,2}-hourly)(?![\w/])"
        ),
    ),
    (
        "duration",
        regex.compile(
            r"\bx\s?\d{1,2}\s?(?:d|days?|wks?|weeks?|mos?|months?|yrs?|hrs?|hours?)\b"
            r"|\b(?i:oriented|A&O|AO)\s?(?i:x)\s?[1-4]\b"
            r"|\b\d{1,2}\s?x\s?/\s?(?:wk|week|day|d)\b"
        ),
    ),
    # Age and sex in charting shorthand: "67M", "45 F", "72yo F", "3 y/o boy" (not "$67M").
    (
        "demographic",
        regex.compile(
            r"(?<![$€£¥\d.,])\b\d{1,3}\s?(?:y/?o|y\.o\.|yrs?|yr old)?\s?(?:M|F)(?![\w&])"
            r"|\b\d{1,3}\s?(?:y/?o|y\.o\.|-year-old)\s?(?i:male|female|man|woman|boy|girl)\b"
        ),
    ),
    # Obstetric shorthand: gravida/para, gestation in weeks+days, due date and last period.
    (
        "obstetric",
        regex.compile(
            r"\bG\d{1,2}\s?P\d{1,2}(?:[-+]?\d){0,4}\b"
            r"|\b\d{1,2}\+[0-6]\s?(?:weeks|wks?|w)\b|\b\d{1,2}w\s?[0-6]d\b"
            r"|\b(?:EDD|LMP|EDC)\b"
        ),
    ),
    # A care place at the head of a line: a ward list, ED board or chair roster ("Bed 12:",
    # "Rm 4 -", "Chair 3:", "Bay 2"), each row of which is a patient's.
    (
        "census",
        regex.compile(
            r"(?im)^[ \t>*-]{0,6}(?:bed|bay|rm|room|chair|cubicle|stretcher|cot|pod)\s?#?"
            r"\d{1,3}[A-Z]?[ \t]?[:|-]"
        ),
    ),
    # A patient's state in charting words: fever, airway, pressors, diet, mobility, drains.
    (
        "status",
        regex.compile(
            r"\b(?i:a?febrile|intubated|extubated|sedated|ventilated|(?:on|off) pressors|"
            r"tolerating (?:diet|fluids|feeds|po)|mobili[sz]ing|ambulating|nil by mouth|"
            r"drain(?: output)? \d{1,4}\s?mL|catheteri[sz]ed|desaturating|hypotensive|tachycardic|"
            r"bradycardic|MAP\s?[<>]?\s?\d{2,3}|HFNC|on room air|on RA)\b"
        ),
    ),
    # Events of someone's care: "was admitted on", "discharged home", "underwent the procedure",
    # "in stable condition", an adverse event, a vaccine received.
    (
        "care_event",
        regex.compile(
            r"\b(?i:(?:was|were|is|been|being) (?:admitted|discharged|transferred|intubated|"
            r"resuscitated|readmitted)|admitted (?:on|to|for|with|via|overnight|\d)|"
            r"discharged (?:on|home|to|from|\d)|underwent|in (?:stable|critical|serious|fair) "
            r"condition|arrived by (?:ambulance|EMS)|(?<!\bno |report )adverse (?:event|reaction|"
            r"drug reaction)s?(?! (?:have|has|were|was|are|should|must|can|may|will) (?:be |been )?"
            r"(?:reported|notified))|"
            r"(?:received|given|had) (?:the |a |an |her |his |their )?(?:MMR|Tdap|DTaP|HPV|BCG|IPV|"
            r"PCV\d{0,2}|MenACWY|MenB|Hep ?[AB]|influenza|flu|COVID-19|zoster|shingles|RSV)"
            r"(?: vaccine| dose \d| dose| shot| booster| jab)?)\b"
        ),
    ),
    # A death: "died peacefully on 3 May", "passed away last night".
    (
        "death",
        regex.compile(
            r"\b(?i:died (?:peacefully |suddenly |unexpectedly )?(?:on|in|at|yesterday|last|"
            r"overnight|this)|passed away)\b"
        ),
    ),
    # A record forwarded from care: one particular patient or participant, the chart, the EHR,
    # an intake form, a home monitor. Weak alone; beside an identifier tied to a person it is
    # the care context that makes the identifier PHI.
    (
        "care_context",
        regex.compile(
            r"\b(?i:(?:the|this|that) (?:patient|participant|resident)(?![\w-]| (?:portal|experience|"
            r"education|satisfaction|safety|population|advocate|access|newsletter|handbook|survey|"
            r"information|materials?|leaflets?|forms?|letters?|lists?|care|services?|line|"
            r"relations|flow|volume|records?|panel|communications?|engagement|journey|"
            r"centered|centred|friendly|facing|lounge|waiting)\b)|EHR export|EMR export|"
            r"intake form|(?:on|in) the chart|charted as|the encounter|glucose monitor|home monitor|"
            r"consult requested)\b"
        ),
    ),
    # Electrolytes and common labs in charting shorthand with a value: "K 3.4", "Na 128",
    # "Cr 1.9", "Hb 8.2", "eGFR 24", "INR 3.1".
    (
        "lab_shorthand",
        regex.compile(
            r"\b(?:K|Na|Mg|Cr|Hb|Hgb|WBC|Plt|INR|eGFR|BNP|CRP|Trop|trop|Lac|HbA1c)\s?[:=]?\s?"
            r"[<>]?\d{1,4}(?:\.\d{1,2})?(?![\w.])"
        ),
    ),
    # Mental state in charting words: mood, affect, ideation, self-harm, safety planning.
    (
        "mental_status",
        regex.compile(
            r"\b(?i:mood (?:is )?(?:low|flat|euthymic|labile|depressed|anxious|elevated)|"
            r"affect (?:flat|blunted|restricted|congruent)|(?:suicidal|homicidal) (?:ideation|thoughts)|"
            r"SI/HI|self-harm|safety plan(?:ning)?|panic (?:attacks?|most days)|"
            r"sleeping (?:about |only )?\d{1,2} (?:hours|hrs|h)|low mood|"
            r"(?:cognitive behaviou?ral|talking|dialectical behaviou?r) therap(?:y|ies)|EMDR|"
            r"PHQ-?9|GAD-?7|"
            # What a talking therapy asks of someone between sessions, and where they turn in a
            # crisis: "keep the thought diary going", "graded exposure", "ring the crisis line".
            r"thought (?:diary|diaries|record|records)|graded exposure|exposure (?:work|hierarchy)|"
            r"behaviou?ral activation|crisis (?:line|team|plan)|"
            r"mood (?:dips|drops|worsens|gets worse|swings))\b"
        ),
    ),
    # Body measurements with their unit: "dry weight 72.5 kg", "wt 180 lbs", "BMI 31", told in
    # words ("your weight today was 92.1 kg", "she weighs 18.2 kg"), or in the second person
    # ("you're now at 114.6 kg", "you have lost 3 kg"); a child's growth centile.
    (
        "anthropometric",
        regex.compile(
            r"\b(?i:dry weight|weight|wt|height|ht)\s?:?\s?\d{2,3}(?:\.\d)?\s?(?:kg|lbs?|cm)\b"
            r"|\bBMI\s?:?\s?\d{2}(?:\.\d)?\b"
            r"|\b(?i:(?:weight|height|length)(?: today| now)? (?:was|is|of)|weighs|weighed|"
            r"measures|measured)\s\d{1,3}(?:\.\d)?\s?(?:kg|lbs?|cm)\b"
            r"|\b(?i:you(?:'re| are)(?: now)? (?:at|down to|up to)|you(?:'ve| have) (?:lost|gained|"
            r"put on))\s\d{1,3}(?:\.\d)?\s?(?:kg|lbs?|st)\b"
            r"|\b(?i:\d{1,2}(?:st|nd|rd|th) (?:centile|percentile)|growth chart|"
            r"(?:centile|percentile) (?:lines?|chart|charts))\b"
        ),
    ),
    (
        "dosing",
        regex.compile(
            r"\b\d{1,4}(?:\.\d{1,2})?\s?(?:mg|mcg|units?|mL)?\s?(?:IV|PO|IM|SQ|SC|SL|IVP|IVPB)\b"
        ),
    ),
    (
        "patient_subject",
        regex.compile(
            r"\b(?:Pt|pt|Patient|patient|Resident|resident)\s+(?:reports|reported|states|"
            r"stated|denies|denied|c/o|complains|presents|presented|endorses|tolerated|tolerating|"
            r"ambulates|ambulating|alert|is alert|was seen|noted|admits|verbalized|refused|"
            r"declined|continues|advised|educated|instructed)\b"
            # A child's or a dependant's history as the family gives it: "Mum reports fussy
            # eating", "Dad is concerned about his speech", "wife states he fell".
            r"|\b(?:Mum|Mom|Dad|Mother|Father|Parents?|Carer|Caregiver|Wife|Husband|mum|mom|dad|"
            r"mother|father|parents?|carer|caregiver|wife|husband) (?:reports|reported|states|"
            r"stated|describes|described|notes|noted|noticed|is concerned|was concerned|"
            r"are concerned|were concerned)\b"
        ),
    ),
    (
        "exam",
        regex.compile(
            r"\b(?:\d\+\s?(?:pitting\s)?edema|\d(?:\.\d)?\s?x\s?\d(?:\.\d)?\s?cm|GCS\s?\d{1,2})\b"
            r"|\b(?i:bibasilar|crackles|rales|rhonchi|wheezing|wheezes|murmur|granulating|erythema|"
            r"tenderness)\b"
            r"|\b(?i:pain\s?\d{1,2}/10|(?:stage|category|grade)\s[1-4I-V]{1,3}\s(?:[a-z]+\s)?"
            r"(?:pressure\s)?(?:wound|ulcer|injury|damage|sore))\b"
        ),
    ),
)
# The words one of which every match of a cue kind above holds (lower case): a text without any
# is not scanned for that kind (tests/detectors/test_narrative_gates.py checks each alternative).
# Kinds whose patterns start with digits or letters of shorthand ("K 3.4", "67M", "x3 days")
# have no such word and always run.
NARRATIVE_GATES: dict[str, tuple[str, ...]] = {
    "vitals": (
        "bp", "b/p", "hr", "rr", "spo2", "sao2", "o2 sat", "sats", "temp", "tmax", "pulse", "mmhg",
        "mm hg",
    ),
    "glucose": ("bg", "glucose", "sugar"),
    "vital_alert": ("low ", "high ", "elevated", "abnormal", "out-of-range", "critical", "rising",
                    "dropping", "weight", "wt", "lb", "kg", "pounds"),
    "section": (
        "cc", "hpi", "ros", "pmh", "psh", "assessment", "subjective", "objective", "impression",
        "history", "chief", "physical", "hospital", "plan", "allergies", "code", "vital",
        "dispo", "hx", "obs", "meds", "medications",
    ),
    "census": ("bed", "bay", "rm", "room", "chair", "cubicle", "stretcher", "cot", "pod"),
    "status": (
        "febrile", "intubated", "extubated", "sedated", "ventilated", "pressors", "tolerating",
        "mobili", "ambulating", "nil by mouth", "drain", "catheteri", "desaturating",
        "hypotensive", "tachycardic", "bradycardic", "map", "hfnc", "on room air", "on ra",
    ),
    "care_event": (
        "admitted", "discharged", "transferred", "intubated", "resuscitated", "underwent",
        "condition", "arrived by", "adverse", "mmr", "tdap", "dtap", "hpv", "bcg", "ipv", "pcv",
        "menacwy", "menb", "hep", "flu", "covid-19", "zoster", "shingles", "rsv",
    ),
    "death": ("died", "passed away"),
    "care_context": (
        "patient", "participant", "resident", "ehr export", "emr export", "intake form",
        "the chart", "charted as", "the encounter", "glucose monitor", "home monitor",
        "consult requested",
    ),
    "mental_status": (
        "mood", "affect", "suicidal", "homicidal", "si/hi", "self-harm", "safety plan", "panic",
        "sleeping", "therap", "emdr", "phq", "gad", "thought", "exposure", "activation",
        "crisis",
    ),
    "anthropometric": (
        "weight", "wt", "height", "ht", "bmi", "length", "weigh", "measure", "you", "centile",
        "growth chart", "percentile",
    ),
    "patient_subject": (
        "pt", "patient", "resident", "mum", "mom", "dad", "mother", "father", "parent", "carer",
        "caregiver", "wife", "husband",
    ),
    "exam": (
        "edema", "cm", "gcs", "bibasilar", "crackles", "rales", "rhonchi", "wheez", "murmur",
        "granulating", "erythema", "tenderness", "pain", "stage", "category", "grade",
    ),
}  # fmt: skip
# Clinical credentials after a clinician's name: "E. Mallick, DDS", "Savannah Fuentes, RN, CANS".
CARE_CREDENTIAL = (
    r"MD|DO|NP|FNP(?:-C|-BC)?|APRN|RN|PA-C|PA|DDS|DMD|DPM|OD|DC|DPT|PT|OTR|OT|SLP|LCSW|LICSW|"
    r"LMFT|LPC|LMHC|CRNA|CNM|RDN|RD|L\.?Ac|PsyD|DNP|PMHNP|CANS|IBCLC"
)
# What the reader may have with a doctor that is not their care.
_NOT_A_VISIT = (
    r"meeting|meetings|interview|call|calls|seat|spot|lunch|dinner|webinar|training|onboarding|"
    r"orientation|shadowing|conversation|chat|demo|presentation|talk|lecture|course|class|"
    r"workshop|registration|reservation|order|orders|delivery|shift|shifts|contract|application|"
    r"credentialing|privileges|account|subscription|team|office|practice|staff|colleagues?|"
    r"rep|manager|supervisor|flight|hotel|trip|travel|ticket|booking|payroll|invoice|quote|"
    r"request|case|survey|feedback|review|article|paper|abstract|poster|proposal|question|"
    r"questions|email|message"
)
# Cue kinds that only a text holding one of their words can match: each runs behind a cheap
# substring test on the case-folded text (its gate), so texts without the words skip the scan.
# Every alternative of a pattern must hold one of its gate's words as written there (lower case):
# tests/detectors/test_narrative_gates.py checks each alternative and the corpora.
GATED_CUES: tuple[tuple[str, tuple[str, ...], regex.Pattern[str]], ...] = (
    # An appointment, visit or recall of someone's care: the reader's own ("your hygienist
    # appointment", "due for your check-up"; the span starts after "your"), one booked with a clinician ("Appointment: 3 May
    # with Dr Roe", "review with the nurse"), a kind of clinical visit ("post-op review",
    # "results appointment"), or a last visit ("last seen 3 May", "was seen at our practice").
    (
        "encounter",
        (
            "your ",
            "due ",
            " with ",
            "the ed",
            "the er",
            "ed ",
            "er ",
            "review",
            "appointment",
            "check",
            "visit",
            "consultation",
            "seen ",
            "did not attend",
            "not brought",
            "missed ",
        ),
        regex.compile(
            r"\b(?i:your (?:next |upcoming |last |annual |routine |six-monthly |yearly |"
            r"follow-up |hygienist |dental |eye |clinic |hospital |booked )?(?:appointment|appt|"
            r"visit|check-?up|examination|recall|consultation|smear test|eye test|hearing test|"
            r"blood test|flu jab|vaccination|scale and polish)s?"
            r"|due (?:for|a) (?:an? |her |his |their )?(?:annual |routine |six-monthly |"
            r"yearly )?(?:check-?up|review|examination|recall|smear|blood test)"
            # a child's well visit or shots: "due for his 15-month well visit and vaccines"
            r"|due for (?:his|her|their|an?|the) (?:[\w-]+ ){0,3}?(?:visit|check-?up|exam|"
            r"physical|vaccines?|shots|immuni[sz]ations?|vaccinations?)\b"
            r"|(?:results|medication|post-?op|antenatal|postnatal|follow-?up|pre-?op|diabetes|"
            r"asthma|hygienist|memory clinic) (?:appointment|review|check|visit|consultation)"
            r"|last (?:seen|visit)(?: on| in clinic| by| at)? (?:\d|(?:mon|tue|wed|thu|fri|sat|"
            r"sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\b)"
            r"|was seen (?:in|at|by) (?:the |our |this )?(?:clinic|practice|surgery|dr\b)"
            # A missed one: "did not attend", "was not brought to", "missed her appointment".
            r"|did not attend(?: (?:your|her|his|their|the))?|(?:was|were) not brought(?: to)?"
            r"|missed (?:your |her |his |their |the |an |this |today's )(?:appointment|appt|"
            r"review|visit|vaccinations?|immuni[sz]ations?|injection|screening)"
            r"|(?:appointment|appt|visit|review|consultation|check-?up|session)s?\b"
            r"[^\n.?!]{0,50}?\bwith (?:dr\b|doctor |nurse |(?:the|your) (?:nurse|dentist|"
            r"hygienist|doctor|gp|consultant|physio|physiotherapist|midwife|surgeon)\b)"
            # The reader's own visit told by what it is and who gives it, whatever the service
            # is called: "your braces adjustment and wire change with Dr. Harris", "your
            # CoolSculpting - abdomen and flanks with Savannah Fuentes, RN", "confirming your
            # frozen embryo transfer w/ Dr. Dodson", "you are due to schedule your IUI". A
            # meeting, a course or an order with a doctor is no visit ("your interview with Dr.
            # Lee", "your seat with Dr. Ortiz": the word after "your" or the one before "with"
            # says so; "your crown seat and bite check" is care).
            rf"|(?i:your) (?!(?i:{_NOT_A_VISIT})\b)(?:[\w'’/&+-]+ ){{1,6}}?"
            rf"(?<!\b(?i:{_NOT_A_VISIT}) )(?i:with|w/) "
            rf"(?:(?i:dr|doctor)\b|(?-i:(?:\p{{Lu}}\.|\p{{Lu}}[\p{{L}}'’-]+)(?: \p{{Lu}}[\p{{L}}'’-]+){{0,2}},? "
            rf"(?:{CARE_CREDENTIAL}))(?![\w]))"
            # the reader's own visit of a kind no list holds: "your 2025 Medicare Annual Wellness
            # Visit", "your post-surgery check-up" (not a sales or site visit)
            rf"|(?i:your) (?!(?i:{_NOT_A_VISIT})\b)(?:[\w'’/-]+ ){{1,4}}?"
            r"(?<!\b(?i:site|booth|sales|campus|factory|plant|showroom|vendor) )"
            r"(?i:visit|appointment|appt|physical|check-?up|exam)s?\b"
            # an emergency visit, as staff write it: "was in the ED again", "4 ER visits"
            r"|(?-i:(?:in|to|at|from) the (?:[A-Z]{2,6} )?(?:ED|ER)|(?:ED|ER) (?:visits?|admissions?|return))\b"
            r"|(?<=(?i:(?:due|time) to (?:schedule|book)|confirming|to confirm|to reschedule) )"
            rf"(?i:your) (?!(?i:{_NOT_A_VISIT})\b)[\w'’/-]+(?: (?!(?i:{_NOT_A_VISIT})\b)[\w'’/-]+){{0,3}}?"
            r"(?= (?i:with|w/|on|at|tomorrow|today|for)\b|[.,!;]|$)"
            r")"
        ),
    ),
    # The same in other languages: the reader's own appointment ("votre rendez-vous", "su cita",
    # "Ihr Termin", "uw afspraak", "din tid"), one booked with a clinician ("rendez-vous avec le
    # Dr", "Termin bei Dr"), a kind of clinical visit ("Kontrolltermin", "consulta de revisão",
    # "wizyta kontrolna", "återbesök", "kontrol muayenesi") and, in scripts without word
    # boundaries, the words for a booked or attended consultation (予約, 受診, 预约, 就诊, 예약).
    (
        "encounter_intl",
        # every noun the alternatives name (the possessives are too common to gate on)
        (
            "rendez",
            "rdv",
            "consult",
            "examen",
            "visit",
            "bilan",
            "pistage",
            "vaccin",
            "vacun",
            "vacina",
            "frottis",
            "mammograph",
            "prise de sang",
            "séance",
            "seance",
            "contrôle",
            "controle",
            "controllo",
            "cita",
            "revisi",
            "analítica",
            "analitica",
            "extracci",
            "marcaç",
            "marcac",
            "análises",
            "analises",
            "colheita",
            "sessão",
            "sessao",
            "sesión",
            "sesion",
            "termin",
            "appuntament",
            "esame",
            "prelievo",
            "seduta",
            "afspraak",
            "onderzoek",
            "uitstrijk",
            "bloedafname",
            "spreekuur",
            "wizyt",
            "wizyc",
            "tid ",
            "besök",
            "undersökning",
            "kallelse",
            "randevu",
            "muayene",
            "prenotazion",
            "受診",
            "診察",
            "予約",
            "就诊",
            "复诊",
            "门诊",
            "挂号",
            "预约",
            "예약",
            "진료",
            "검진",
            "재검",
        ),  # fmt: skip
        regex.compile(
            # French
            r"\b(?i:(?:votre|ton) (?:prochain |nouveau |premier )?(?:rendez-vous|rdv|"
            r"consultation|examen|visite|bilan|d[ée]pistage|vaccin(?:ation)?|frottis|"
            r"mammographie|prise de sang|s[ée]ance|contr[ôo]le)"
            r"|(?:rendez-vous|rdv) (?:le|du|pr[ée]vu|fix[ée]|confirm[ée]|report[ée]|d[ée]plac[ée])\b"
            r"|(?:rendez-vous|rdv|consultation)s? (?:m[ée]dical|de suivi|de contr[ôo]le|"
            r"(?:chez|avec) (?:le |la |votre )?(?:dr\b|docteur|professeur|pr\b|m[ée]decin|"
            r"infirmi[èe]re|sage-femme|kin[ée]|dentiste|p[ée]diatre|gyn[ée]cologue))"
            # Spanish and Portuguese
            r"|(?:su|tu|a sua|sua) (?:pr[óo]xima |nueva |nova |primera |primeira )?(?:cita|"
            r"consulta|revisi[óo]n|vacuna(?:ci[óo]n)?|anal[íi]tica|extracci[óo]n|marca[çc][ãa]o|"
            r"vacina(?:[çc][ãa]o)?|an[áa]lises|colheita|sess[ãa]o|sesi[óo]n)"
            r"|(?:tiene|tem) (?:una |uma )?(?:cita|consulta)"
            r"|(?:cita|consulta)s? (?:m[ée]dica |previa |de \p{L}+ )?(?:marcada|remarcada|"
            r"agendada|programada|concertada|confirmada)"
            r"|(?:re)?marca[çc][ãa]o da consulta"
            r"|(?:cita|consulta)s? (?:de|da) (?:revisi[óo]n|revis[ãa]o|seguimiento|seguimento|"
            r"control|controlo|rotina|enfermer[íi]a|enfermagem|planeamento familiar|"
            r"planificaci[óo]n familiar|sa[úu]de materna|sa[úu]de infantil|diabetes|"
            r"hipertens[ãa]o|hipertensi[óo]n|vigilancia|vigil[âa]ncia)"
            r"|(?:cita|consulta)s? con (?:el |la )?(?:dr\b|dra\b|doctor|doctora|m[ée]dic[oa]|"
            r"enfermer[oa])|consulta com (?:o |a )?(?:dr\b|dra\b|m[ée]dic[oa]|enfermeir[oa])"
            # German
            r"|(?:ihr|ihren|ihrem|dein|deinen) (?:n[äa]chsten? |neuen? |vereinbarten? )?"
            r"(?:termin|untersuchungstermin|kontrolltermin|arzttermin|impftermin|"
            r"behandlungstermin|op-termin|vorsorgetermin|nachsorgetermin)"
            r"|(?:kontroll|nachsorge|untersuchungs|impf|arzt|behandlungs|vorsorge|"
            r"sprechstunden)termin(?:e|s)?"
            r"|termin (?:bei|mit) (?:frau |herrn? )?(?:dr\b|doktor|prof\b|dem arzt|der [äa]rztin|"
            r"ihrem arzt|ihrer [äa]rztin)"
            # Italian
            r"|(?:il suo|suo|la sua|sua) (?:prossim[oa] |nuov[oa] )?(?:appuntamento|visita|"
            r"controllo|esame|prelievo|vaccinazione|seduta)"
            r"|visita (?:di controllo|specialistica|medica|ambulatoriale)"
            r"|appuntamento (?:con (?:il |la )?(?:dott\b|dottor|dottoressa|dr\b|medico)|"
            r"per (?:la |il )?(?:visita|controllo|prelievo|esame))"
            r"|prenotazione (?:della |di una )?visita"
            # Dutch
            r"|uw (?:volgende |nieuwe )?(?:afspraak|controle|consult|onderzoek|vaccinatie|"
            r"uitstrijkje|bloedafname)"
            r"|afspraak (?:bij|met) (?:de |uw )?(?:huisarts|dokter|arts|dr\b|"
            r"praktijkondersteuner|poh|assistente|specialist|verpleegkundige|fysiotherapeut)"
            r"|controleafspraak|spreekuur (?:bij|van) (?:de |dokter |dr\b)"
            # Polish
            r"|(?:pana|pani|państwa) (?:\p{L}+ )?(?:wizyt[aęyi]|wizycie)"
            r"|(?:wizyt[aęyi]|wizycie) (?:kontroln\p{L}+|u lekarza|w poradni|u (?:dr\b|doktora|"
            r"specjalisty|"
            r"lekarza))|termin\p{L}{0,2} (?:pana |pani )?wizyty|um[óo]wion\p{L}+ wizyt\p{L}+"
            # Swedish
            r"|(?:din|er) (?:nästa |nya |bokade )?(?:tid (?:hos|på|för|till)|besökstid|undersökning|"
            r"vaccination)"
            r"|ditt (?:nästa |nya |bokade )?(?:besök|återbesök|läkarbesök)"
            r"|återbesök|läkarbesök|besök hos (?:läkare|doktor|sjuksköterska|"
            r"distriktssköterska|barnmorska|fysioterapeut)|bokad tid|kallelse till (?:mammografi|screening|"
            r"undersökning|besök|återbesök|provtagning|vaccination|läkare|cellprov)"
            # Turkish
            r"|randevunuz|(?:muayene|kontrol|doktor) randevusu|kontrol muayenesi"
            r")\b"
            # Japanese, Chinese and Korean
            r"|(?:受診|診察|診療予約|予約診療|就诊|复诊|门诊|挂号|预约就诊|진료 ?예약|검진|재검사?)"
        ),
    ),
    # A referral in other languages: "Überweisung", "derivación", "lettre d'adressage",
    # "skierowanie", "remiss", "verwijzing", 紹介状, 转诊, 진료의뢰서. An event of one person's care.
    (
        "referral_intl",
        (
            "berweis",
            "zuweis",
            "derivaci",
            "interconsulta",
            "remit",
            "adress",
            "confie",
            "encaminh",
            "referencia",
            "impegnativ",
            "invio",
            "verwij",
            "skierowan",
            "remiss",
            "sevk",
            "紹介",
            "診療情報提供",
            "转诊",
            "转院",
            "의뢰",
        ),
        regex.compile(
            r"\b(?i:[üu]berweisung(?:sschein)?|[üu]berweise (?:ich )?(?:ihnen|dir)|zuweisung|"
            r"derivaci[óo]n|interconsulta|le remito|les remito|lettre d['’]adressage|"
            r"je vous (?:adresse|confie)|encaminhamento|referencia[çc][ãa]o|impegnativa|"
            r"verwijzing|verwijsbrief|ik verwijs|skierowan\p{L}{1,4}|remiss(?:en|svar)?|sevk)\b"
            r"|(?:紹介状|診療情報提供書|转诊|转院|진료의뢰서|의뢰서)"
        ),
    ),
    # A sick note or fitness certificate in other languages: "Arbeitsunfähigkeitsbescheinigung",
    # "arrêt de travail", "de baja por", "zwolnienie lekarskie", "sjukskrivning", 診断書, 病假.
    (
        "certification_intl",
        (
            "arbeitsunf",
            "krankgeschrieben",
            "krankmeldung",
            "au-bescheinigung",
            "arrêt",
            "arret",
            "baja",
            "parte de",
            "incapacidad",
            "atestado",
            "baixa",
            "incapacidade",
            "certificato di malattia",
            "in malattia",
            "ziekmelding",
            "arbeidsongeschikt",
            "zwolnien",
            "l4",
            "sjukskriv",
            "läkarintyg",
            "rapor",
            "診断書",
            "病假",
            "诊断证明",
            "진단서",
            "병가",
        ),
        regex.compile(
            r"\b(?i:arbeitsunfähigkeit(?:sbescheinigung)?|arbeitsunfähig|krankgeschrieben|"
            r"krankmeldung|au-bescheinigung|arr[êe]t (?:de travail|maladie)|"
            r"(?:de|la) baja (?:m[ée]dica |laboral )?(?:por|desde|hasta)|baja (?:m[ée]dica|laboral)|"
            r"parte de (?:baja|confirmaci[óo]n|alta)|incapacidad temporal|atestado m[ée]dico|"
            r"baixa m[ée]dica|certificado de incapacidade|certificato (?:medico )?di malattia|"
            r"in malattia|ziekmelding|arbeidsongeschikt|zwolnienie lekarskie|zwolnienia lekarskiego|"
            r"sjukskrivning|sjukskriven|läkarintyg|sağlık raporu|istirahat raporu)\b"
            r"|(?:診断書|病假|诊断证明|진단서|병가)"
        ),
    ),
    # An event of one person's care in Japanese, Chinese or Korean, where words run together:
    # test results reported, a diagnosis made, an admission, a discharge, an operation planned.
    (
        "care_event_cjk",
        (
            "検査結果",
            "診断",
            "入院",
            "退院",
            "転科",
            "手術",
            "処方",
            "检查结果",
            "诊断",
            "确诊",
            "住院",
            "出院",
            "手术",
            "处方",
            "검사 결과",
            "검사결과",
            "진단",
            "입원",
            "퇴원",
            "수술",
            "처방",
        ),
        regex.compile(
            r"検査結果|の診断|と診断|診断と|入院|退院|転科|手術(?:目的|予定|を受け|後)|処方(?:箋|薬)|"
            r"检查结果|诊断为|确诊|住院|出院|手术(?:后|前|治疗)|处方|"
            r"검사 ?결과|진단 ?(?:을|받|되|명)|입원|퇴원|수술 ?(?:을|후|전|받)|처방"
        ),
    ),
    # Allergies and reactions of a person: "had anaphylaxis to latex", "allergic to penicillin".
    (
        "allergy",
        ("naphyla", "llerg"),
        regex.compile(
            r"\b(?i:(?:had|has|have|developed|history of|with) (?:an? )?(?:anaphyla(?:xis|ctic "
            r"(?:reaction|shock))|allergic reaction)|anaphyla(?:xis|ctic reaction) to|"
            r"(?:is|are|was|were) allergic to|allergic to|allerg(?:y|ies) to|known allerg(?:y|ies))\b"
        ),
    ),
    # A clinician certifying someone's illness: sick and fit notes, school and work excuses.
    (
        "certification",
        ("unfit", "fit ", "return to", "excuse", " dut", "lifting", "certificate", "sick note"),
        regex.compile(
            r"\b(?i:unfit (?:for|to) (?:work|school|duty|duties|travel|fly)|fit (?:for|to return "
            r"to) (?:work|duty|school)|(?:may|can|should|is able to) return to (?:work|school|"
            r"class|duty|sport)|excuse (?:him|her|them|their|his) (?:absence|from)|"
            r"(?:light|modified|restricted|alternative) dut(?:y|ies)|no lifting (?:over|more "
            r"than|above)|sick note|fit note|medical certificate)\b"
        ),
    ),
    # Injuries and infections named by the body part ("sprained wrist", "chest infection",
    # "frozen shoulder", "knee replacement"), which no single vocabulary term covers.
    (
        "injury",
        (
            "infection",
            "sprain",
            "strain",
            "tear",
            "fractur",
            "broken",
            "disloc",
            "swollen",
            "frozen",
            "torn",
            "replacement",
            "rotator",
            "cruciate",
            "acl",
            "mcl",
            "menisc",
            "whiplash",
            "accident",
        ),
        regex.compile(
            r"\b(?i:(?:sprained|fractured|broken|dislocated|swollen|frozen|torn) (?:left |right )?"
            r"(?:wrist|ankle|knee|shoulder|hip|elbow|finger|thumb|toe|arm|leg|foot|hand|rib|"
            r"collarbone|jaw|nose)s?|(?:wrist|ankle|knee|shoulder|hip|elbow|finger|thumb|toe|"
            r"foot|hand|neck|back|lumbar|lumbar spine|cervical|hamstring|groin|calf|rib) (?:strain|"
            r"sprain|fracture|dislocation|tear)|(?:chest|ear|urinary|urine|kidney|skin|wound|throat|sinus|"
            r"eye|tooth|gum|viral|bacterial|fungal) infection|(?:knee|hip|shoulder|joint) "
            r"replacement|rotator cuff (?:tear|repair|injury)|(?:ACL|MCL|cruciate|meniscus|"
            r"meniscal) (?:tear|repair|reconstruction|injury)|whiplash|road (?:traffic )?accident)\b"
        ),
    ),
    # Someone's own supply of a medicine running out or being renewed, and a course of
    # treatment: "has run out of", "repeat prescription", "after 6 sessions", "thank you for
    # referring", "discharged them with a home programme".
    (
        "treatment_course",
        (
            "out of",
            "prescription",
            "refill",
            "session",
            "treatment",
            "visit",
            "referring",
            "programme",
            "program",
            "discharged",
        ),
        regex.compile(
            r"\b(?i:(?:has|have|had|is|are) (?:run|ran|running) out of|repeat prescription|"
            r"no refills|refills? (?:remaining|left|requested)|(?:after|attended|completed) "
            r"\d{1,2} (?:sessions|treatments|visits)|thank you for referring|discharged (?:him|"
            r"her|them) (?:from|with|to)|home (?:exercise )?program(?:me)?)\b"
        ),
    ),
    # A hospice or ward night in nursing words, and a medicine changed or given by the clock:
    # "had a comfortable night", "eating a little", "increased the morphine to", "5 mg every 4
    # hours".
    (
        "overnight_course",
        (
            "night",
            "eating",
            "slept",
            "every ",
            "increased",
            "reduced",
            "decreased",
            "doubled",
            "halved",
            "titrated",
            "weaned",
            "once",
            "twice",
            "three times",
        ),
        regex.compile(
            r"\b(?i:had a (?:comfortable|settled|restless|good|poor|bad|quiet|disturbed) night|"
            r"slept (?:well|poorly|badly|through)|eating (?:and drinking )?(?:a little|well|"
            r"poorly|better|less)|(?:increased|reduced|decreased|doubled|halved|titrated|weaned) "
            r"(?:the |her |his |their )?[a-z]{4,20} (?:to|from|by|off) \d+|\d{1,4}(?:\.\d{1,2})? ?"
            r"(?:mg|mcg|ml|units?) (?:every \d{1,2} ?(?:hours|hrs|h)|(?:once|twice|three times) "
            r"(?:a|per) day|at night|nightly))\b"
        ),
    ),
)
# the cues' patterns alone, in their order (multiscan.absent_of)
_NARRATIVE_PATTERNS = tuple(p for _, p in NARRATIVE_CUES)
_GATED_PATTERNS = tuple(p for _, _, p in GATED_CUES)
# A measured vital sign or glucose is a person's measurement even when it stands alone; a booked
# or due appointment (as much care as a procedure's name) or an allergy tied to a person is health
# information even in one phrase.
CUE_FLOOR: dict[str, float] = {
    "vitals": 0.7,
    "vital_alert": 0.7,
    "glucose": 0.7,
    "encounter": 0.75,
    "encounter_intl": 0.75,
    "referral_intl": 0.6,
    "certification_intl": 0.6,
    "care_event_cjk": 0.6,
    "allergy": 0.8,
    # an admission, a discharge: an event of one person's care; a death
    "care_event": 0.6,
    "death": 0.7,
}
# A dispense count after a drug word ("albuterol HFA #90", "Disp: #30"); run only where a "#" is.
DISPENSE = regex.compile(
    r"\b(?i:refill|rx|disp(?:ense)?|qty|quantity|tabs?|caps?|hfa|units?|mg|mcg)\b"
    r"[^.\n]{0,20}#\s?\d{1,3}\b"
)
# A labelled clinical field: its value is health information whatever its words (a blank form's
# underscores are no value). A specimen label is a lab report's, whatever the test is called.
CLINICAL_FIELD = regex.compile(
    r"(?im)(?<![\w])(?:indication|reason for (?:the )?(?:visit|referral|exam|consult(?:ation)?|"
    r"appointment|admission|transfer|call|request|study)|chief complaint|presenting complaint|"
    r"admitting diagnosis|discharge diagnosis|dx|diagnosis|diagnoses|problem list|symptoms?|"
    r"presenting problem|specimen(?: (?:collected|received|type|source))?|injury|injuries|"
    r"nature of injury|mechanism of injury|"
    # what a visit is for, as booking and financing systems label it ("Procedure / treatment:
    # Invisalign comprehensive", "Appointment type: implant consult")
    r"(?:planned|scheduled|proposed|requested) (?:procedure|surgery|treatment)|visit type|"
    r"type of visit|appointment type|appt type|procedure ?/ ?treatment|procedures?|"
    r"treatment(?: plan| requested)?|"
    r"reason|concern)[ \t]?[:-][ \t]?([\p{L}\d](?:[^\n.;!?_]|\.(?=\d)){2,80})"
)
# The same labelled fields in other languages: a diagnosis, the clinical question of a referral,
# the reason for a visit, the findings, a history or the current medication ("Diagnose:",
# "Frågeställning:", "Motivo de consulta:", "Rozpoznanie:", "主訴：", "주요 소견:").
CLINICAL_FIELD_INTL = regex.compile(
    r"(?im)(?<![\w])(?:diagnos(?:e|i|is|tic|tico|tyka)|diagnóstico|diagnóstico principal|"
    r"verdachtsdiagnose|arbeitsdiagnose|fragestellung|anamnese|anamnesi|anamnes|anamnesis|"
    r"befund|motif de (?:la )?consultation|motivo (?:de (?:la )?consulta|da consulta|"
    r"de (?:la )?derivaci[óo]n|della visita|dell['’]invio)|juicio cl[íi]nico|"
    r"antécédents|antecedentes(?: personales)?|quesito(?: diagnostico| clinico)?|"
    r"vraagstelling|reden (?:van )?verwijzing|rozpoznanie|cel skierowania|"
    r"frågeställning|aktuella läkemedel|tanı|teşhis|"
    r"traitement en cours|medicação habitual|medicación habitual|medikation|terapia in corso|"
    r"prescrizione|prescripción|prescrição|ordonnance|verordnung|läkemedelsordination|"
    r"huidige medicatie|leki)[ \t]?[:：-][ \t]?([\p{L}\d](?:[^\n.;!?_]|\.(?=\d)){2,80})"
    r"|(?:診断名?|傷病名|主訴|所見|病名|诊断|主诉|病史|初步诊断|진단명?|주요 ?소견|소견|판정|주증상)"
    r"[ \t]?[:：][ \t]?([^\s:：](?:[^\n。;!?_]){1,80})"
)
# The reason for a visit told in brackets: "announced my reason for visit (CPAP follow-up)".
REASON_IN_BRACKETS = regex.compile(
    r"(?i)\breason for (?:the |my |her |his |your |their )?(?:visit|appointment|appt|call)"
    r"[ \t]?\(([\p{L}\d][^()\n]{2,60})\)"
)
# The possessive that makes a visit the reader's own, in the languages of "encounter_intl".
READER_POSSESSIVE = regex.compile(
    r"(?i)(?:votre|ton|su|tu|a sua|sua|ihr|ihren|ihrem|dein|deinen|il suo|suo|la sua|uw|pana|"
    r"pani|państwa|din|er|ditt|randevunuz)\b"
)
# A bare "Reason:", "Procedure:" or "Treatment:" is a clinical field only after a care word
# ("Provider: ... Procedure / treatment: Invisalign"); an IT runbook has procedures too.
_BARE_REASON = regex.compile(r"(?i)^(?:reason|concern|procedures?|treatment)(?! ?/| plan| req)")
CARE_WORD = regex.compile(
    r"(?i)(?<![\w])(?:visit|appointment|appt|referral|consult|exam|seen|admission|telehealth|"
    r"video visit|virtual visit|clinic|doctor|dr\.?|provider|nurse|patient|pt|dental|medical|"
    r"surgical|applicant)(?![\w])"
)
# Imaging with a body region or a contrast phrase: "MRI lumbar spine w/o", "US thyroid", "CT abd".
IMAGING = regex.compile(
    r"(?<![\w])(?:MRI|MRA|CT|CTA|PET(?:[-/]CT)?|DEXA|DXA|US|XR|CXR|KUB)\s+(?:of\s+(?:the\s+)?)?"
    r"(?:(?:left|right|bilateral|L|R)\s+)?(?i:brain|head|spine|[CLT]-spine|lumbar|cervical|"
    r"thoracic|chest|abd(?:omen)?|pelvis|knee|hip|shoulder|wrist|ankle|foot|hand|elbow|thyroid|"
    r"breasts?|renal|kidneys?|liver|neck|sinus(?:es)?|scan|w/o|w/|with contrast|without contrast)"
    r"(?![\w])"
)


@dataclass(frozen=True)
class ClinicalNarrativeRecognizer:
    """Clinical narrative by its shape (vitals, SOAP, shorthand, dosing routes, exam findings).

    A cue of one kind scores 0.55 (one hit) or 0.7 (several; a measured vital sign or glucose
    value at least 0.7); cues of two kinds or more in the same text make each 0.85. A labelled
    clinical field ("Indication:", "Reason for visit:", "Dx:") scores 0.8 on its own; a bare
    "Reason:" needs a care word before it. Encounter cues (a visit, a booking, a recall) are
    reported as APPOINTMENT, the type a patient's consent to appointment reminders covers.
    """

    name: str = "clinical_narrative"
    entities: tuple[str, ...] = ("CLINICAL_NARRATIVE", "APPOINTMENT", "PROCEDURE")

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        hits: list[tuple[str, int, int]] = []
        # casefold, not lower: the patterns' case folding matches "ſ" to "s", lower() keeps it.
        folded = text.casefold()
        # the databases asked once for each tuple of cues, not once a cue
        skip = multiscan.absent_of(_NARRATIVE_PATTERNS, text)
        for k, (kind, pattern) in enumerate(NARRATIVE_CUES):
            if skip is not None and skip[k]:
                continue
            words = NARRATIVE_GATES.get(kind)
            if words is not None and not any(w in folded for w in words):
                continue
            for m in finditer(pattern, text, timeout):
                hits.append((kind, m.start(), m.end()))
        reader: set[int] = set()
        skip = multiscan.absent_of(_GATED_PATTERNS, text)
        for k, (kind, gate, pattern) in enumerate(GATED_CUES):
            if (skip is None or not skip[k]) and any(w in folded for w in gate):
                for m in finditer(pattern, text, timeout):
                    # "your hygienist appointment": the span leaves "your" before it, so the
                    # engine reads the text as speaking to the patient about their own care.
                    your = text[m.start() : m.start() + 5].lower() == "your "
                    start = m.start() + 5 if your else m.start()
                    hits.append((kind, start, m.end()))
                    # "votre rendez-vous", "Ihr Termin", "ditt återbesök": the reader's own
                    if kind == "encounter_intl" and READER_POSSESSIVE.match(m.group()):
                        reader.add(start)
        if "#" in text:
            for m in finditer(DISPENSE, text, timeout):
                hits.append(("dosing", m.start(), m.end()))
        soap = {text[s:e].strip(" \t>:")[:3] for k, s, e in hits if k == "soap"}
        if len(soap) < 2:
            hits = [h for h in hits if h[0] != "soap"]
        kinds = {k for k, _, _ in hits}
        # Three different cue phrases of one kind ("mood low", "sleeping 3 hours", "panic most
        # days") are a note's density of clinical observation even without a second kind.
        distinct = {text[s:e].lower() for _, s, e in hits}
        score = (
            0.85
            if len(kinds) >= 2
            else 0.8
            if len(distinct) >= 3
            else (0.7 if len(hits) >= 2 else 0.55)
        )
        out = [
            RawMatch(
                "APPOINTMENT" if k in ("encounter", "encounter_intl") else "CLINICAL_NARRATIVE",
                s,
                e,
                max(score, CUE_FLOOR.get(k, 0.0)),
                "health",
                self.name,
                "reader" if s in reader else "",
            )
            for k, s, e in hits
        ]
        for m in finditer(CLINICAL_FIELD, text, timeout):
            label = m.group(0)
            if _BARE_REASON.match(label) and not CARE_WORD.search(
                text, max(0, m.start() - 300), m.start()
            ):
                continue
            value_end = m.start(1) + len(m.group(1).rstrip(" .,;"))
            out.append(
                RawMatch("CLINICAL_NARRATIVE", m.start(1), value_end, 0.8, "health", self.name)
            )
        if "(" in text:
            for m in finditer(REASON_IN_BRACKETS, text, timeout):
                out.append(
                    RawMatch("CLINICAL_NARRATIVE", m.start(1), m.end(1), 0.8, "health", self.name)
                )
        if ":" in text or "：" in text:
            for m in finditer(CLINICAL_FIELD_INTL, text, timeout):
                group = 1 if m.group(1) is not None else 2
                value_end = m.start(group) + len(m.group(group).rstrip(" .,;"))
                out.append(
                    RawMatch(
                        "CLINICAL_NARRATIVE", m.start(group), value_end, 0.8, "health", self.name
                    )
                )
        for m in finditer(IMAGING, text, timeout):
            out.append(RawMatch("PROCEDURE", m.start(), m.end(), 0.75, "health", self.name))
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
        ClinicalNarrativeRecognizer(),
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
