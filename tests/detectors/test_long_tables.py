"""Long tables scan in time linear in their rows, with the answers of the plain loops.

A CSV export of a thousand patients (59 KB) took 2.7 s of engine time and, before the time
budget counted only the pattern's own matching, failed the scan (a 451 the sender would retry
until it bounced). Every step that paired each name, date or number with every other one now
looks up its neighbours by bisection. Each is checked here against the plain loop it replaced,
rebuilt in this file, on random inputs; and the engine's work (Python calls, counted, not
timed) doubles when the rows double.
"""

from __future__ import annotations

import functools
import random
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import date

import pytest

from bench.tables import FIRSTS, LASTS, hl7_batch
from bench.tables import csv_export as export
from detectors import engine
from detectors.decision import _beside, _best_pair
from detectors.engine import PhiEngine
from detectors.extract.model import TextPart
from detectors.findings import Finding
from detectors.recognizers.base import RawMatch, Spans, has_context
from detectors.recognizers.contact import FAX_CONTEXT, PhoneRecognizer
from detectors.recognizers.names import _SPLIT, NOT_NAME_WORDS, NameRecognizer, _word_char
from detectors.recognizers.phones import phone_candidates


@pytest.fixture(scope="module")
def phi_engine() -> PhiEngine:
    return PhiEngine()


def analyze(eng: PhiEngine, text: str) -> tuple[list[Finding], bool]:
    findings, decision = eng.analyze(
        [TextPart(part="attachment:export.csv", text=text, origin="test", kind="plain")]
    )
    return findings, decision.phi


def test_a_thousand_row_export_is_read_row_by_row(phi_engine: PhiEngine) -> None:
    text = export(1000)
    findings, phi = analyze(phi_engine, text)
    assert phi
    names = [text[f.start : f.end] for f in findings if f.entity == "PATIENT_NAME"]
    assert len(names) == 1000
    assert all(n.split()[0] in FIRSTS and n.split()[1] in LASTS for n in names)


def calls(eng: PhiEngine, text: str) -> int:
    """Python and C function calls one analysis makes (a count of work, not a time)."""
    analyze(eng, text)  # anything loaded once is loaded
    n = 0

    def count(frame: object, event: str, arg: object) -> None:
        nonlocal n
        if event in ("call", "c_call"):
            n += 1

    sys.setprofile(count)
    try:
        analyze(eng, text)
    finally:
        sys.setprofile(None)
    return n


@pytest.mark.parametrize("table", [export, hl7_batch], ids=["csv-export", "hl7-batch"])
def test_twice_the_rows_is_twice_the_work(
    phi_engine: PhiEngine, table: Callable[[int], str]
) -> None:
    """Quadratic steps made 400 rows of the export cost 3.8 times the calls of 200, and 300
    messages of the batch 2.9 times those of 150; linear ones, 2."""
    ratio = calls(phi_engine, table(400)) / calls(phi_engine, table(200))
    assert 1.8 < ratio < 2.2


# ---- each step against its plain loop ----------------------------------------------------------
def random_matches(rng: random.Random, n: int, length: int) -> list[RawMatch]:
    out = []
    for _ in range(n):
        start = rng.randrange(length)
        end = min(length, start + rng.randint(0, 12))
        entity = rng.choice(["PERSON", "PERSON", "DATE_TIME", "DOB", "PHONE_NUMBER"])
        role = rng.choice(["", "", "list", "patient", "provider"])
        out.append(
            RawMatch(entity, start, end, rng.choice([0.45, 0.6, 0.8]), "identifier", "t", role)
        )
    return out


def plain_births(
    text: str,
    raw: list[RawMatch],
    beside: Callable[[RawMatch, RawMatch], bool],
    years_ago: int,
    dob_score: float,
) -> list[RawMatch]:
    """engine._births as it was: every old date against every name."""
    people = [m for m in raw if m.entity == "PERSON" and m.role in ("", "list", "patient")]
    born: dict[int, RawMatch] = {}
    for m in raw:
        if m.entity != "DATE_TIME":
            continue
        year = engine.YEAR_IN_DATE.search(text, m.start, m.end)
        if year is None or int(year.group()) > date.today().year - years_ago:
            continue
        for p in people:
            if beside(p, m):
                born[id(p)] = replace(p, role="patient", score=max(p.score, 0.8))
                born[id(m)] = replace(m, entity="DOB", score=dob_score)
    return [born.get(id(m), m) for m in raw] if born else raw


def test_births_ask_only_the_names_in_their_window() -> None:
    rng = random.Random(5)
    for _ in range(400):
        text = "".join(rng.choice(["1950 ", "2025 ", "x ", "(", "\n"]) for _ in range(60))
        raw = random_matches(rng, rng.randint(0, 25), len(text))
        window = rng.choice([0, 3, 12])

        # any rule that holds only inside the window: a coin per pair, fixed by the pair
        def beside(p: RawMatch, m: RawMatch, window: int = window) -> bool:
            return 0 <= m.start - p.end <= window and hash((p.start, p.end, m.start)) % 3 != 0

        assert engine._births(
            text, raw, beside, window=window, years_ago=18, dob_score=0.8
        ) == plain_births(text, raw, beside, 18, 0.8)


def test_born_beside_reads_the_births_after_the_name() -> None:
    rng = random.Random(6)
    for _ in range(400):
        text = "".join(rng.choice(["1950 ", "2026 ", "x ", "\n"]) for _ in range(60))
        births = sorted(
            (m for m in random_matches(rng, 20, len(text)) if m.entity != "PERSON"),
            key=lambda m: m.start,
        )
        births = [replace(b, entity="DOB") for b in births]
        for name in random_matches(rng, 10, len(text)):
            plain = False
            for b in births:
                if not (
                    0 <= b.start - name.end <= engine.BORN_GAP
                    and "\n" not in text[name.end : b.start]
                ):
                    continue
                year = engine.YEAR_IN_DATE.search(text, b.start, b.end)
                if year is None or int(year.group()) <= date.today().year - 2:
                    plain = True
                    break
            assert engine._born_beside(text, name, engine._ByStart(births)) == plain


def random_findings(rng: random.Random, n: int) -> list[Finding]:
    out = []
    for _ in range(n):
        start = rng.randrange(200)
        out.append(
            Finding(
                entity=rng.choice(["PROVIDER_NAME", "PATIENT_NAME", "PERSON", "DOB", "MRN"]),
                part=rng.choice(["body", "subject", "attachment:a.csv"]),
                start=start,
                end=start + rng.randint(0, 15),
                score=rng.choice([0.5, 0.7, 0.9]),
                recognizer="t",
                preview="***",
                category="identifier",
            )
        )
    return out


def test_names_deduplicated_as_by_the_plain_loop() -> None:
    rank = {"PROVIDER_NAME": 3, "PATIENT_NAME": 2, "PERSON": 1}
    rng = random.Random(7)
    for _ in range(400):
        findings = random_findings(rng, rng.randint(0, 40))
        kept: list[Finding] = []
        for f in sorted(
            (f for f in findings if f.entity in rank),
            key=lambda f: (-rank[f.entity], -(f.end - f.start), -f.score),
        ):
            if not any(k.part == f.part and k.start < f.end and f.start < k.end for k in kept):
                kept.append(f)
        others = [f for f in findings if f.entity not in rank]
        plain = sorted(others + kept, key=lambda f: (f.part, f.start, f.end))
        assert engine._dedupe_names(findings) == plain


def test_the_best_identity_pair_is_the_plain_max() -> None:
    rng = random.Random(9)
    for _ in range(600):
        usable = random_findings(rng, rng.randint(0, 40))
        for first, second in (("PATIENT_NAME", "DOB"), ("MRN", "PERSON"), ("DOB", "DOB")):
            pairs = [
                (x, y)
                for x in usable
                if x.entity == first
                for y in usable
                if y.entity == second and _beside(x, y)
            ]
            plain = max(pairs, key=lambda p: p[0].score * p[1].score) if pairs else None
            got = _best_pair(usable, first, second)
            assert (got is None) == (plain is None)
            if got is not None and plain is not None:
                assert got[0] is plain[0] and got[1] is plain[1]


def test_name_words_propagate_as_by_the_plain_loop() -> None:
    """`_propagated` asks whether a mention lies inside a name found, by bisection."""
    rng = random.Random(10)
    recognizer = NameRecognizer()
    for _ in range(300):
        text = " ".join(rng.choice(FIRSTS + LASTS + ["and", "the", ","]) for _ in range(40))
        found = []
        for _ in range(rng.randint(0, 12)):
            start = rng.randrange(len(text))
            found.append(
                RawMatch("PERSON", start, min(len(text), start + rng.randint(1, 20)), 0.8, "x", "t")
            )
        words: set[str] = set()
        for m in found:
            for w in _SPLIT.split(text[m.start : m.end]):
                w = w.strip(".,'’")
                if len(w) > 2 and w[0].isupper() and w.lower() not in NOT_NAME_WORDS:
                    words.add(w)
        taken = [(m.start, m.end) for m in found]
        plain = []
        for w in sorted(words):
            pos = text.find(w)
            while pos >= 0:
                end = pos + len(w)
                if (
                    (pos == 0 or not _word_char(text[pos - 1]))
                    and (end == len(text) or not _word_char(text[end]))
                    and not any(s <= pos and end <= e for s, e in taken)
                ):
                    plain.append(
                        RawMatch("PERSON", pos, end, 0.45, "identifier", "person_cues", "")
                    )
                pos = text.find(w, end)
        got = recognizer._propagated(text, found, 1.0)
        assert [(m.start, m.end, m.score) for m in got] == [
            (m.start, m.end, m.score) for m in plain
        ]


def test_international_numbers_replace_pieces_as_by_the_plain_loop() -> None:
    rng = random.Random(11)
    recognizer = PhoneRecognizer()
    pieces = ["+33 2 62 43 17 47", "62 43 17 47", "(555) 201-3344", "+44 20 7946 0958", "fax"]
    for _ in range(150):
        text = " ".join(rng.choice(pieces + ["tel:", "x", "\n"]) for _ in range(25))
        found = [m for m in random_matches(rng, rng.randint(0, 10), len(text)) if m.end > m.start]
        found = [replace(m, entity="PHONE_NUMBER") for m in found]
        out = list(found)
        for c in phone_candidates(text, 1.0, functools.partial(recognizer._regions, text)):
            inside = [m for m in out if c.start <= m.start and m.end <= c.end]
            if any(m.start < c.end and c.start < m.end for m in out if m not in inside):
                continue
            if any((m.start, m.end) == (c.start, c.end) for m in inside):
                continue
            out = [m for m in out if m not in inside]
            fax = has_context(FAX_CONTEXT, text, c.start, c.end, before=12)
            entity = "FAX_NUMBER" if fax else "PHONE_NUMBER"
            score = max([c.score, *(m.score for m in inside)])
            out.append(RawMatch(entity, c.start, c.end, score, "identifier", recognizer.name))
        assert recognizer._international(text, 1.0, found) == out


def test_matches_by_start_as_a_filter_would_find_them() -> None:
    rng = random.Random(12)
    for _ in range(1000):
        matches = random_matches(rng, rng.randint(0, 15), 80)
        by_start = engine._ByStart(matches)
        assert by_start.longest == max((m.end - m.start for m in matches), default=0)
        lo = rng.randrange(-5, 85)
        hi = lo + rng.randint(0, 30)
        plain = sorted((m for m in matches if lo <= m.start < hi), key=lambda m: m.start)
        assert by_start.starting(lo, hi) == plain


def test_spans_overlap_and_contain_as_any_would_say() -> None:
    rng = random.Random(8)
    for _ in range(2000):
        spans = [(s, s + rng.randint(0, 9)) for s in rng.sample(range(60), rng.randint(0, 8))]
        a = rng.randrange(70)
        b = a + rng.randint(0, 9)
        index = Spans(spans)
        assert index.overlaps(a, b) == any(s < b and a < e for s, e in spans)
        assert index.contains(a, b) == any(s <= a and b <= e for s, e in spans)
        assert index.contains(a, b, strictly_before=True) == any(s < a and b <= e for s, e in spans)
