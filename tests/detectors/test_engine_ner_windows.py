"""Where the message path runs NER: only parts with health information, never address headers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from detectors.engine import PhiEngine
from tests.support.detect import Part


class RecordingNlp:
    """Wraps the spaCy pipeline and records every text handed to it."""

    def __init__(self, nlp: Any) -> None:
        self.nlp = nlp
        self.seen: list[str] = []

    def __call__(self, text: str) -> Any:
        self.seen.append(text)
        return self.nlp(text)

    def pipe(self, texts: Iterable[str]) -> Iterator[Any]:
        texts = list(texts)
        self.seen.extend(texts)
        return iter(self.nlp.pipe(texts))


def test_ner_reads_health_parts_only() -> None:
    """The header and a health-free part are never read by NER; the part with a diagnosis is."""
    engine = PhiEngine()
    recorder = RecordingNlp(engine.nlp)
    engine.nlp = recorder  # type: ignore[assignment]
    parts = [
        Part("subject", "Quick question from Ines Halvorsen"),
        Part(
            "header",
            "From: Gil Amsel <gil@clinic.example>\nTo: Ivo Prent <ivo@cardio.example>",
            "header",
        ),
        Part("body", "Hi,\n\nZorvan Quillet: atrial fibrillation, rate controlled.\n"),
    ]
    engine.analyze(parts)
    assert recorder.seen, "NER never ran"
    assert all("Ivo Prent" not in t and "Ines Halvorsen" not in t for t in recorder.seen)
    assert any("Zorvan Quillet" in t for t in recorder.seen)


def test_findings_are_not_redone_when_ner_names_no_one() -> None:
    """NER that finds no person leaves the findings as they were: they are worked out once.

    With a name in the window they are worked out again, so that the name counts."""
    engine = PhiEngine()
    recorder = RecordingNlp(engine.nlp)
    engine.nlp = recorder  # type: ignore[assignment]
    rounds: list[int] = []
    first = engine._all_findings

    def counted(*args: Any) -> Any:
        rounds.append(1)
        return first(*args)

    engine._all_findings = counted  # type: ignore[method-assign]
    nobody = "Hi team,\n\nOur newsletter this month covers atrial fibrillation and its care.\n"
    findings, decision = engine.analyze([Part("subject", "Newsletter"), Part("body", nobody)])
    assert recorder.seen, "NER never ran"
    assert len(rounds) == 1
    assert not decision.phi
    assert [f.entity for f in findings] == ["DIAGNOSIS"]

    rounds.clear()
    named = "Hi,\n\nZorvan Quillet: atrial fibrillation, rate controlled.\n"
    findings, decision = engine.analyze([Part("subject", "Note"), Part("body", named)])
    assert len(rounds) == 2
    assert any(f.recognizer == "spacy_ner" for f in findings)
    assert decision.phi
