"""compile_words' prefix tree matches exactly what the flat longest-first alternation matches,
and the word gates in front of phrase patterns never hide a match."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import regex

from detectors.config import DetectorConfig
from detectors.extract import extract_message
from detectors.prefilter import gated_recognizers
from detectors.recognizers import base, default_recognizers, gates, health
from detectors.recognizers.base import compile_words, finditer, flat_words
from detectors.recognizers.gates import gate_suffixes, gate_words, word_gated
from detectors.recognizers.health import DiagnosisRecognizer, MedicationRecognizer, terms
from detectors.recognizers.national import DL_CUES, ID_CUES, NationalIdRecognizer
from detectors.recognizers.postcodes import LABELLED, STANDALONE, STANDALONE_GATE

DEV = Path("/work/shared/corpus/dev")
SPANS_DEV = Path("/work/shared/corpus/spans-dev/spans.jsonl")

LISTS = {
    **{name: terms(name) for name in ("conditions.txt", "labs.txt", "procedures.txt")},
    "specialties.txt": terms("specialties.txt"),
    "clinical_notes.txt": terms("clinical_notes.txt"),
    "drugs.txt": terms("drugs.txt")[:3000],
    "prefixes": ("mr", "mrn", "mr #", "mr#", "medical record", "medical record number", "record"),
    "mixed case": ("X-ray", "x-ray", "A1c", "a1c level", "HbA1c", "ER", "er visit"),
    "non-ascii": ("Sjögren syndrome", "sjogren", "τηλ", "電話"),
    # case folding beyond str.lower(): final sigma, Kelvin sign, long s, sharp s, dotted I
    "folding": ("οδός", "ΣΤΑΣΙΣ", "kelvin", "ſtraße", "straße", "İzmir", "izmir", "µg"),
    **{name: terms(name) for name in ("conditions_intl.txt", "labs_intl.txt")},
    **{
        name: terms(name)
        for name in ("conditions_care.txt", "labs_care.txt", "procedures_care.txt")
    },
    "procedures_intl.txt": terms("procedures_intl.txt"),
    "national id cues": tuple(w for words, _ in ID_CUES for w in words) + tuple(DL_CUES),
}
TRICKY = (
    "MRN 123 and mr # 4 and mr#5, medical  record number 7, medical\nrecord, recordings\n"
    "x-ray X-RAY x-rays A1C level a1c-level HbA1c er visit ER  VISIT erx\n"
    "Sjögren syndrome SJOGREN τηλ 555 电话 heart failure, heart  attack heartattack\n"
    "ΟΔΟΣ οδοσ Οδός στασισ στάσις \u212aelvin KELVIN ſtraſse STRASSE Straße STRAẞE İZMİR Izmir "
    "izmir ıZMIR µG μg ΜG"
)


def intl_tricky() -> list[str]:
    """Every phrase of the other languages' lists, as written, in upper case and in title case."""
    phrases = [w for name in LISTS for w in LISTS[name] if not w.isascii()]
    return [f"{w}, {w.upper()}; ({w.title()})" for w in phrases]


def corpus() -> list[str]:
    """The dev messages' texts and the spans-dev sentences (when present), plus tricky text."""
    texts = [TRICKY, *intl_tricky()]
    if DEV.is_dir():
        for path in sorted(DEV.glob("*.eml")):
            texts.extend(p.text for p in extract_message(path.read_bytes()).parts)
    if SPANS_DEV.is_file():
        texts.append(SPANS_DEV.read_text(encoding="utf-8"))
    return texts


@pytest.mark.parametrize("flags", [regex.IGNORECASE, 0], ids=["ignorecase", "exact-case"])
@pytest.mark.parametrize("name", sorted(LISTS))
def test_tree_matches_flat_alternation(name: str, flags: int) -> None:
    """Same spans, same order, on every text, with and without case folding."""
    words = LISTS[name]
    tree, flat = compile_words(words, flags), flat_words(words, flags)
    for text in corpus():
        assert [m.span() for m in tree.finditer(text)] == [m.span() for m in flat.finditer(text)], (
            name
        )


def test_tree_prefers_the_longest_phrase() -> None:
    """A phrase that extends another wins where both end at a word boundary."""
    p = compile_words(["medical record", "medical record number", "mr", "mrn"])
    found = [m.group() for m in p.finditer("Medical  Record Number: 1; MRN 2; Mr 3; mrnx")]
    assert found == ["Medical  Record Number", "MRN", "Mr"]


def test_case_blind_keys_agree_with_the_regex_module() -> None:
    """Two characters the regex module matches case-blind have one key (gates.fold_char), over
    every character of Unicode that has a case mapping: so a case-blind phrase and the text it
    matches have the same words, and the word gate may read any script."""
    cased = [
        chr(c)
        for c in range(0x110000)
        if not 0xD800 <= c <= 0xDFFF
        and (chr(c).lower() != chr(c) or chr(c).upper() != chr(c) or chr(c).casefold() != chr(c))
    ]
    assert len(cased) > 2500
    alphabet = "".join(cased)
    disagree = []
    for ch in cased:
        matched = regex.findall(rf"(?i)[{regex.escape(ch)}]", alphabet)
        assert ch in matched
        disagree += [
            (ch, other) for other in matched if gates.fold_char(other) != gates.fold_char(ch)
        ]
    assert disagree == []


def test_a_key_that_disagrees_is_caught() -> None:
    """The check can fail: keying by str.lower() alone splits "σ" from "ς" and "k" from the
    Kelvin sign, both of which the regex module matches case-blind."""
    assert regex.fullmatch("(?i)σ", "ς") and regex.fullmatch("(?i)k", "\u212a")
    assert "ς".lower() != "σ".lower() and "\u212a".lower() == "k"
    assert gates.fold_char("ς") == gates.fold_char("Σ") == "σ"
    assert gates.fold_char("ſ") == "s" and gates.fold_char("İ") == gates.fold_char("ı") == "i"


# ASCII text where phrases start right after punctuation, span lines, or meet other words.
GATE_TRICKY = (
    "pt (heart-failure), HEART\tFAILURE; x-ray/ct; a1c-level:7; mr#5 mr #6 (MRN)9\n"
    "Postal Code: 90210, ZIP 10001, c.p. 28001, PLZ 8000; DL# A1234567, Steuer-ID 12345678901\n"
    "Fax: 555-0100 F: 555-0101 phone(home) 555 0102 DOB:1/2/1960 Date of Birth 02/03/1961"
)


def gated_spans(pattern: regex.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in finditer(pattern, text, 5.0)]


def test_word_gates_lose_no_match() -> None:
    """Every gated pattern the recognizers use finds the same matches through its gate."""
    default_recognizers(DetectorConfig())
    gated = list(gates._word_gates)
    assert LABELLED in gated and len(gated) >= 20
    for text in [GATE_TRICKY, *corpus()]:
        for pattern in gated:
            want = [m.span() for m in pattern.finditer(text)]
            assert gated_spans(pattern, text) == want, (pattern.pattern[:60], text[:60])


def test_word_gate_skips_text_without_the_words() -> None:
    """The gate is not vacuous: text without the words skips the scan, in any script."""
    conditions = compile_words(terms("conditions.txt"))
    assert word_gated(conditions, "Please send two more boxes of printer paper.")
    assert not word_gated(conditions, "Seen today for asthma.")
    assert word_gated(conditions, "Zoë needs two more boxes of printer paper.")
    assert not word_gated(conditions, "Zoë was seen today for ASTHMA.")
    intl = compile_words(terms("conditions_intl.txt"))
    assert word_gated(intl, "Zoë needs two more boxes of printer paper.")
    assert not word_gated(intl, "Zoë: BRONCOPNEUMOPATIA CRONICA OSTRUTTIVA, stabile.")
    # A phrase of several words needs them all: "id number" is not in "Member ID 123456".
    cue = NationalIdRecognizer().cue
    assert word_gated(cue, "Member ID 123456, see the notes.")
    assert not word_gated(cue, "ID\tnumber: 123456")


def test_a_gate_too_tight_is_caught() -> None:
    """The check can fail: a gate that lacks one phrase's first word hides that phrase."""
    phrases = ["heart failure", "asthma"]
    pattern = compile_words(phrases, regex.IGNORECASE | regex.VERSION0)
    text = "History of heart failure."
    assert gated_spans(pattern, text) == [m.span() for m in pattern.finditer(text)] != []
    gate_words(pattern, ["asthma"])
    assert gated_spans(pattern, text) == []


@pytest.mark.parametrize("recognizer", [MedicationRecognizer(), DiagnosisRecognizer()])
def test_whole_word_gates_of_drugs_and_icd_phrases_lose_nothing(
    recognizer: MedicationRecognizer | DiagnosisRecognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A text without a drug name, or without the first word of any ICD-10 phrase, is skipped;
    on every corpus text the gated recognizer finds exactly what the ungated one finds."""
    texts = [GATE_TRICKY, "Started amoxicillin-clavulanate 875 mg; acute kidney injury.", *corpus()]
    gated = [recognizer.analyze(t, 5.0) for t in texts]
    monkeypatch.setattr(health, "text_words", lambda text: None)
    assert [recognizer.analyze(t, 5.0) for t in texts] == gated
    assert any(gated[1]), "the check must see a match"


def test_suffix_gates_lose_no_match() -> None:
    """The -itis/-oma and -ectomy/-gram word patterns find the same through their gates."""
    gated = list(gates._suffix_gates)
    assert len(gated) >= 2
    texts = [GATE_TRICKY, "Known COLITIS, appendectomy 2019, mammogram due.", *corpus()]
    for text in texts:
        for pattern in gated:
            assert gated_spans(pattern, text) == [m.span() for m in pattern.finditer(text)]
    assert [word_gated(p, "Please send more printer paper.") for p in gated] == [True] * len(gated)


def test_a_suffix_gate_too_tight_is_caught() -> None:
    """The check can fail: a gate without "itis" hides "colitis"."""
    pattern = regex.compile(r"(?i)(?<![\w])\p{L}{3,30}(?:itis|osis)(?![\w])")
    text = "Known colitis."
    gate_suffixes(pattern, ["itis", "osis"])
    assert gated_spans(pattern, text) == [m.span() for m in pattern.finditer(text)] != []
    gate_suffixes(pattern, ["osis"])
    assert gated_spans(pattern, text) == []


CONTEXT_REQUIRED = [
    r
    for r in default_recognizers(DetectorConfig())
    if isinstance(r, base.RegexRecognizer) and r.context_required
]


def ungated(rec: base.RegexRecognizer, text: str) -> list[base.RawMatch]:
    """What the recognizer finds without asking whether its context can be in the text."""
    return rec.from_matches(text, rec.pattern.finditer(text))


def test_required_context_gate_loses_nothing() -> None:
    """A recognizer that needs a context word skips only texts where none can be, glued labels
    ("memberID", "Claim#") included."""
    assert len(CONTEXT_REQUIRED) >= 5
    texts = [
        "MemberID: XKD123456789 and Claim#CL-99887766 for the visit.",
        "NHS number 943 476 5919; DL# S1234567; routing 021000021.",
        GATE_TRICKY,
        *corpus(),
    ]
    for text in texts:
        for rec in CONTEXT_REQUIRED:
            assert rec.analyze(text, 5.0) == ungated(rec, text), (rec.name, text[:60])
    assert any(rec.analyze(texts[0], 5.0) for rec in CONTEXT_REQUIRED)
    assert all(
        rec.cannot_match("Please send more printer paper 12345678.") for rec in CONTEXT_REQUIRED
    )


def test_a_context_gate_too_tight_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: a gate that calls the context absent hides the match it guards."""
    rec = next(r for r in CONTEXT_REQUIRED if r.name == "claim_number")
    text = "Claim#CL-99887766 was denied."
    assert rec.analyze(text, 5.0) == ungated(rec, text) != []
    monkeypatch.setattr(base, "context_absent", lambda pattern, text: True)
    assert rec.analyze(text, 5.0) != ungated(rec, text)


def test_no_text_is_kept_after_a_scan() -> None:
    """The word and lower-case caches let go of a text once the recognizers have read it."""
    gated = gated_recognizers(default_recognizers(DetectorConfig()), DetectorConfig())
    text = "Patient Ann Lee, member ID XKD123456789, asthma follow-up."
    assert gated.analyze(text, 5.0)
    assert gates._last_text[0].text == "" and not gates._kept


def test_standalone_postcode_gate_loses_nothing() -> None:
    """Every UK or Canadian postcode shape found holds the gate's space, digit and capital."""
    texts = ["Ship to SW1A 1AA or K1A 0B1, not 12 Main St.", *corpus()]
    found = [t for t in texts if STANDALONE.search(t)]
    assert found and all(STANDALONE_GATE.search(t) for t in found)
    assert STANDALONE_GATE.search("Room 12, 3 pm") is None


def test_ascii_words_are_the_regex_modules_word_runs() -> None:
    """`text_words` splits an ASCII text without the regex module: its words must be exactly the
    runs of `\\w+` in the text lower-cased, for every ASCII character (each alone, between word
    characters, and in random strings) and for the corpus's ASCII texts."""
    rng = random.Random(7)
    samples = [f"ab{chr(c)}cd {chr(c)}x{chr(c)}" for c in range(128)]
    samples += [
        "".join(chr(rng.randrange(128)) for _ in range(rng.randrange(60))) for _ in range(3000)
    ]
    samples += [t for t in corpus() if t.isascii()]
    assert len(samples) > 3200
    for text in samples:
        gates.forget_text()
        want = frozenset(gates._WORD_RUN.findall(text.lower()))
        assert gates.text_words(text) == want, repr(text[:80])
    gates.forget_text()
