"""The prefilter's signals and gates: each gate admits the shortest text its pattern can match."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from detectors.config import DetectorConfig, MrnPattern
from detectors.engine import PhiEngine
from detectors.extract import extract_message
from detectors.prefilter import (
    GATES,
    Gate,
    GatedRecognizers,
    PrefilterStats,
    Signals,
    gated_recognizers,
    gates_for,
    signals,
)
from detectors.recognizers import default_recognizers

DEV = Path("/work/shared/corpus/dev")

TIMEOUT = 5.0


def test_signals_count_digits_runs_at_and_url() -> None:
    """Digits (any script, superscripts too), the longest run, '@' and a URL start are seen."""
    s = signals("call 555-0100 or x² at a@b.example, WWW.clinic.example, ٣٤٥")
    assert s == Signals(digits=11, run=4, at=True, url=True)
    assert signals("") == Signals(digits=0, run=0, at=False, url=False)
    assert signals("see https://x") == Signals(digits=0, run=0, at=False, url=True)


def test_ascii_signals_are_the_unicode_readings() -> None:
    """An ASCII text's signals are counted with the stdlib and substring tests: the same counts
    as the regex module's Unicode categories and case-blind URL start, for every ASCII
    character, for random strings of them (runs, "WwW.", ":/", "://" by chance) and for the
    corpus's ASCII texts."""
    from detectors.prefilter import DIGIT_RUN, URL_START

    def unicode_reading(text: str) -> Signals:
        runs = [len(r) for r in DIGIT_RUN.findall(text)]
        url = URL_START.search(text) is not None
        return Signals(digits=sum(runs), run=max(runs, default=0), at="@" in text, url=url)

    rng = random.Random(5)
    alphabet = [chr(c) for c in range(128)] + ["www.", "WwW.", "://", ":/", "12", "0"] * 8
    samples = [f"a{chr(c)}1{chr(c)}22 {chr(c)}" for c in range(128)]
    samples += [
        "".join(rng.choice(alphabet) for _ in range(rng.randrange(30))) for _ in range(4000)
    ]
    if DEV.is_dir():
        for path in sorted(DEV.glob("*.eml"))[:80]:
            samples += [p.text for p in extract_message(path.read_bytes()).parts]
    samples = [t for t in samples if t.isascii()]
    assert sum(unicode_reading(t).url for t in samples) > 50  # the URL test is exercised
    assert sum(unicode_reading(t).run >= 3 for t in samples) > 50
    for text in samples:
        assert signals(text) == unicode_reading(text), repr(text[:60])


def test_gate_admits_only_texts_meeting_every_signal() -> None:
    """A gate asks for all of its signals at once."""
    gate = Gate(digits=9, run=3, at=False)
    assert gate.admits(Signals(digits=9, run=3, at=False, url=False))
    assert not gate.admits(Signals(digits=8, run=8, at=False, url=False))
    assert not gate.admits(Signals(digits=9, run=2, at=False, url=False))
    assert not Gate(at=True).admits(Signals(digits=99, run=99, at=False, url=True))
    assert not Gate(url=True).admits(Signals(digits=99, run=99, at=True, url=False))
    assert Gate().admits(Signals(digits=0, run=0, at=False, url=False))


# (recognizer, shortest text it matches, a text just below its gate that it must not match)
TABLE = [
    ("us_ssn", "SSN 536-22-1234", "SSN 536-22-123"),
    ("npi", "NPI 1234567893", "NPI 123456789"),
    ("dea", "DEA AB1234563", "DEA AB123456"),
    ("medicare_mbi", "MBI 1EG4-TE5-MK73", "MBI EG-TE-MK"),
    ("uk_nhs_number_labelled", "NHS number 943 476 5919", "NHS number 943 476 591"),
    ("member_id", "Member ID: ABC1-2345", "Member ID: ABCD-EFGH"),
    ("account_number", "Account # 12345678", "Account # 1234"),
    ("aba_routing", "routing 011000015", "routing 01100001"),
    ("us_driver_license", "Driver license: D1234567", "Driver license: DL"),
    ("phone", "call 617-555-0143 today", "call 617-55 today"),
    ("email", "write to ann.roe@mail.example", "write to ann.roe at mail.example"),
    ("record_url", "https://portal.example/chart/9574773", "portal.example/chart/9574773"),
    ("street_address", "lives at 12 Elm Street", "lives at Elm Street"),
    ("po_box", "P.O. Box 1234", "P.O. Box"),
    ("zip_code", "Boston, MA 02115", "Boston, MA 0211"),
    ("address_unit", "Apt 4B", "Apt B"),
    ("postcode_country", "Oslo, Norway 0150", "Oslo, Norway 015"),
    ("zip_code_worded", "zip code 02115", "zip code"),
    ("credit_card", "card 4111 1111 1111 1111", "card 4111 1111 111"),
    ("iban", "IBAN GB82 WEST 1234 5698 7654 32", "IBAN GB WEST"),
    ("date", "DOB: 3/4/68", "DOB: 3/4"),
    ("age", "a 67-year-old man", "a 6-year-old man"),
    ("icd10", "dx E11.9", "dx E"),
    ("cpt_hcpcs", "CPT 99213", "CPT 992"),
]


def _by_name() -> dict[str, object]:
    return {r.name: r for r in default_recognizers(DetectorConfig())}


@pytest.mark.parametrize(("name", "hit", "miss"), TABLE, ids=[row[0] for row in TABLE])
def test_gate_table(name: str, hit: str, miss: str) -> None:
    """Each gate admits a text its recognizer matches and refuses one it cannot match."""
    rec = _by_name()[name]
    gate = GATES[name]
    assert rec.analyze(hit, TIMEOUT), f"{name} should match {hit!r}"  # type: ignore[attr-defined]
    assert gate.admits(signals(hit))
    # Below the gate the recognizer finds nothing either: the gate only skips dead work.
    assert not rec.analyze(miss, TIMEOUT)  # type: ignore[attr-defined]
    assert not gate.admits(signals(miss))


def test_every_gate_names_a_recognizer() -> None:
    """A gate keyed by a name no recognizer carries is a typo that gates nothing."""
    assert set(GATES) <= set(_by_name())


def test_practice_mrn_patterns_lift_the_mrn_gate() -> None:
    """Per-practice MRN patterns may match text without digits: the MRN gate then goes."""
    assert "mrn" in gates_for(DetectorConfig())
    config = DetectorConfig(mrn_patterns=(MrnPattern(name="letters", regex="ZZ[A-Z]{4}"),))
    assert "mrn" not in gates_for(config)
    gated = gated_recognizers(default_recognizers(config), config)
    assert any(m.recognizer == "mrn" for m in gated.analyze("chart ZZABCD", TIMEOUT))


def test_ungated_recognizer_always_runs_and_stats_count_it() -> None:
    """A recognizer without a gate runs on every text; stats count texts and characters."""
    recs = default_recognizers(DetectorConfig())
    stats = PrefilterStats()
    gated = GatedRecognizers(recs, GATES, stats=stats)
    gated.analyze("Thanks, see you at lunch.", TIMEOUT)
    gated.analyze("Call 617-555-0143.", TIMEOUT)
    assert stats.texts == 2
    assert stats.reached["person_cues"] == [2, 43]
    assert stats.reached["phone"] == [1, 18]
    assert "npi" not in stats.reached  # ten digits, but no run of ten


def test_engine_runs_the_gated_set() -> None:
    """The engine's cheap pass goes through the prefilter, and still finds what it found."""
    engine = PhiEngine()
    assert isinstance(engine.cheap, GatedRecognizers)
    found = engine.analyze_text("Pt DOB 3/4/1968, SSN 536-22-1234, call 617-555-0143")
    assert {f.entity for f in found} >= {"DOB", "US_SSN", "PHONE_NUMBER"}


def test_recognizers_sharing_a_pattern_share_one_scan() -> None:
    """Member ids and claim numbers are one token shape: one scan serves both, same results."""
    recs = default_recognizers(DetectorConfig())
    gated = GatedRecognizers(recs, GATES)
    shared = {rec.name for rec, _, key in gated._plan if key is not None}  # noqa: SLF001
    assert {"member_id", "claim_number"} <= shared
    assert "phone" not in shared
    text = "Member ID: XJH4482913, claim # CLM-2291834 for the March visit"
    by_name = _by_name()
    want = [
        m
        for name in ("member_id", "claim_number")
        for m in by_name[name].analyze(text, TIMEOUT)  # type: ignore[attr-defined]
    ]
    got = [m for m in gated.analyze(text, TIMEOUT) if m.recognizer in ("member_id", "claim_number")]
    assert want and got == want
