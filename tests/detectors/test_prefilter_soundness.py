"""Soundness: on every corpus at hand, the gated recognizers give exactly the ungated matches."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.corpus.generate import generate as generate_messages
from bench.corpus.independent import build as build_independent
from bench.spans.generate import generate as generate_spans
from detectors.config import DetectorConfig
from detectors.extract import extract_message
from detectors.prefilter import GATES, Gate, GatedRecognizers, signals
from detectors.recognizers import RawMatch, Recognizer, RegexTimeout, default_recognizers
from gateway.detect import merge_parts

DEV = Path("/work/shared/corpus/dev")
SPANS_DEV = Path("/work/shared/corpus/spans-dev/spans.jsonl")
TIMEOUT = 5.0


def message_texts(folder: Path) -> list[str]:
    """Every text part of every .eml in ``folder``, as extracted and as the engine merges them."""
    out: dict[str, None] = {}
    for path in sorted(folder.glob("*.eml")):
        parts = extract_message(path.read_bytes()).parts
        out.update((p.text, None) for p in (*parts, *merge_parts(parts)))
    return list(out)


def ungated(texts: Iterable[str], recognizers: tuple[Recognizer, ...]) -> list[list[RawMatch]]:
    """What every recognizer, run without a gate, matches in each text."""
    out: list[list[RawMatch]] = []
    for text in texts:
        want: list[RawMatch] = []
        for rec in recognizers:
            want.extend(rec.analyze(text, TIMEOUT))
        out.append(want)
    return out


def mismatches(
    texts: list[str],
    wanted: list[list[RawMatch]],
    recognizers: tuple[Recognizer, ...],
    gates: Mapping[str, Gate],
) -> list[str]:
    """Texts on which the gated run differs from the ungated one, `wanted` (one line each)."""
    gated = GatedRecognizers(recognizers, gates)
    bad: list[str] = []
    for n, (text, want) in enumerate(zip(texts, wanted, strict=True)):
        got = gated.analyze(text, TIMEOUT)
        if got != want:
            lost = {m.recognizer for m in want} - {m.recognizer for m in got}
            bad.append(f"text {n}: gated run lost matches of {sorted(lost)}")
    return bad


@pytest.fixture(scope="module")
def recognizers() -> tuple[Recognizer, ...]:
    """The engine's default recognizers."""
    return default_recognizers(DetectorConfig())


@pytest.fixture(scope="module")
def corpus_texts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """The shared dev corpora (when present) and freshly generated messages and sentences."""
    out: dict[str, list[str]] = {}
    if DEV.is_dir():
        out["dev"] = message_texts(DEV)
    if SPANS_DEV.is_file():
        rows = SPANS_DEV.read_text(encoding="utf-8").splitlines()
        out["spans-dev"] = [json.loads(line)["text"] for line in rows if line.strip()]
    out["spans-generated"] = [row["text"] for row in generate_spans(seed=14)]
    work = tmp_path_factory.mktemp("prefilter-corpus")
    generate_messages(work / "generated", 2, 14)
    out["generated"] = message_texts(work / "generated")
    build_independent(work / "independent", 2, 14)
    out["independent"] = message_texts(work / "independent")
    return out


@pytest.fixture(scope="module")
def corpus_wanted(
    recognizers: tuple[Recognizer, ...], corpus_texts: dict[str, list[str]]
) -> dict[str, list[list[RawMatch]]]:
    """The ungated matches of every corpus text, worked out once for every test here."""
    return {name: ungated(texts, recognizers) for name, texts in corpus_texts.items()}


def test_gated_run_matches_ungated_on_every_corpus(
    recognizers: tuple[Recognizer, ...],
    corpus_texts: dict[str, list[str]],
    corpus_wanted: dict[str, list[list[RawMatch]]],
) -> None:
    """Every gate is sound on every corpus: not one match is lost or changed."""
    assert sum(len(t) for t in corpus_texts.values()) > 1000
    for name, texts in corpus_texts.items():
        assert mismatches(texts, corpus_wanted[name], recognizers, GATES) == [], name


def test_gates_skip_work(
    recognizers: tuple[Recognizer, ...], corpus_texts: dict[str, list[str]]
) -> None:
    """The gates are not vacuous: on the dev messages some recognizer is skipped somewhere."""
    gated = GatedRecognizers(recognizers, GATES)
    texts = corpus_texts.get("dev") or corpus_texts["generated"]
    skipped = sum(
        1
        for t in texts
        for rec, gate, _ in gated._plan  # noqa: SLF001 - the plan is what is under test
        if gate is not None and not gate.admits(signals(t))
    )
    assert skipped > 0


@pytest.mark.parametrize(
    ("name", "tight"),
    [
        ("phone", Gate(digits=11)),
        ("date", Gate(digits=3, run=3)),
        ("email", Gate(at=True, url=True)),
        ("us_ssn", Gate(digits=9, run=9)),
        ("url", Gate(any_of=("://", "www."))),
    ],
)
def test_a_gate_too_tight_is_caught(
    recognizers: tuple[Recognizer, ...],
    corpus_texts: dict[str, list[str]],
    corpus_wanted: dict[str, list[list[RawMatch]]],
    name: str,
    tight: Gate,
) -> None:
    """The soundness check can fail: a gate tightened past its pattern loses matches it sees.

    Only the tightened recognizer is run: the test above shows every other one sound under
    GATES, and running them all again for each case would cost seconds a case.
    """
    gates = {**GATES, name: tight}
    (alone,) = [rec for rec in recognizers if rec.name == name]
    texts = [t for ts in corpus_texts.values() for t in ts]
    wanted = [
        [m for m in want if m.recognizer == name]
        for corpus in corpus_texts
        for want in corpus_wanted[corpus]
    ]
    assert any(wanted), f"no corpus text has a {name} match to lose"
    bad = mismatches(texts, wanted, (alone,), gates)
    assert bad, f"a too-tight {name} gate went unnoticed"
    assert all(name in line for line in bad)


def test_a_batch_gives_each_text_what_it_gets_alone(
    recognizers: tuple[Recognizer, ...],
    corpus_texts: dict[str, list[str]],
    corpus_wanted: dict[str, list[list[RawMatch]]],
) -> None:
    """Recognizer by recognizer over a batch of texts (`analyze_many`, as `phigate scan` runs
    them), every text gets the matches each recognizer finds in it alone, in the same order."""
    gated = GatedRecognizers(recognizers, GATES)
    for name, texts in corpus_texts.items():
        got: list[list[RawMatch] | Exception] = []
        for k in range(0, len(texts), 200):
            got.extend(gated.analyze_many(texts[k : k + 200], TIMEOUT))
        bad = [n for n, (g, w) in enumerate(zip(got, corpus_wanted[name], strict=True)) if g != w]
        assert bad == [], f"{name}: texts {bad[:10]} differ in a batch"


def test_a_text_whose_recognizer_raises_fails_alone(recognizers: tuple[Recognizer, ...]) -> None:
    """A recognizer that raises on one text of a batch (a pattern over its time budget) is that
    text's answer; the other texts get all their matches, later recognizers' included."""

    @dataclass(frozen=True)
    class Boom:
        name: str = "boom"

        def analyze(self, text: str, timeout: float) -> list[RawMatch]:
            if "BOOM" in text:
                raise RegexTimeout("pattern exceeded its time budget")
            return []

    order = (recognizers[0], Boom(), *recognizers[1:])
    texts = [
        "Patient Ann Lee, MRN 00482913, asthma.",
        "BOOM: Patient Bo Ng, SSN 123-45-6789.",
        "Call 555-201-3344 about the diabetes clinic.",
    ]
    got = GatedRecognizers(order, GATES).analyze_many(texts, TIMEOUT)  # type: ignore[arg-type]
    assert isinstance(got[1], RegexTimeout)
    assert [got[0], got[2]] == ungated([texts[0], texts[2]], recognizers)
    assert got[0] and got[2]
