"""The scan itself: every part's text (detectors.extract), then the PHI engine over it.

This is the heavy half of the detect stage: importing it loads the extractors (PDF, Office,
HTML, OCR) and the engine's recognizers and spaCy. The fork server of the detection processes
imports it once (gateway.detect_preload), `phigate scan` imports it, and an in-thread
PhiDetector imports it on first use. A gateway that scans in detection processes never imports
it in its workers: the processes run both halves (the scan here, then gateway.detect's roster
matches and summary) and answer with the Detection.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from detectors.config import DetectorConfig
from detectors.engine import PhiEngine
from detectors.extract import (
    AttachmentCache,
    Extraction,
    ExtractLimits,
    TextPart,
    extract_message,
)
from detectors.findings import Decision, Finding
from gateway.detect import Scan, merge_parts, roster_values
from gateway.model import DetectorError


@functools.lru_cache(maxsize=2)
def shared_engine(config: DetectorConfig) -> PhiEngine:
    """One engine per process and configuration (the spaCy model loads once)."""
    return PhiEngine(config)


def scan_message(
    engine: PhiEngine, raw: bytes, limits: ExtractLimits, cache: AttachmentCache | None
) -> Scan:
    """Extract every part's text from ``raw`` and run the engine over it."""
    try:
        extraction = extract_message(raw, limits, cache=cache)
        parts = merge_parts(extraction.parts)
        findings, decision = engine.analyze(parts)
    except RecursionError as exc:
        raise _too_deep() from exc
    return _scan_of(extraction, parts, findings, decision)


def _too_deep() -> DetectorError:
    return DetectorError("the message is nested too deeply to scan")


def _scan_of(
    extraction: Extraction,
    parts: Sequence[TextPart],
    findings: list[Finding],
    decision: Decision,
) -> Scan:
    """The Scan of a message from its extraction, its merged parts and the engine's answer."""
    texts = {p.part: p.text for p in parts}
    return Scan(
        tuple(findings), decision, tuple(extraction.unscannable), roster_values(findings, texts)
    )


class Scanner:
    """Scans messages with one configuration's engine and extraction limits, caching
    attachments' text by content across messages."""

    def __init__(self, config: DetectorConfig, limits: ExtractLimits) -> None:
        self.engine = shared_engine(config)
        self.limits = limits
        self.cache = AttachmentCache()

    def scan(self, raw: bytes) -> Scan:
        """See scan_message."""
        return scan_message(self.engine, raw, self.limits, self.cache)

    def scan_many(self, raws: Sequence[bytes]) -> list[Scan | Exception]:
        """`scan` of each of ``raws`` as one batch (`PhiEngine.analyze_many`: each recognizer over
        all their texts, NER over all their windows in one pass): each answer is the Scan that
        message gets alone, or the error its scan raised."""
        out: dict[int, Scan | Exception] = {}
        ready: list[tuple[int, Extraction, tuple[TextPart, ...]]] = []
        for k, raw in enumerate(raws):
            try:
                extraction = extract_message(raw, self.limits, cache=self.cache)
                ready.append((k, extraction, merge_parts(extraction.parts)))
            except RecursionError:
                out[k] = _too_deep()
            except Exception as exc:  # noqa: BLE001 - this message's answer
                out[k] = exc
        answers = self.engine.analyze_many([parts for _, _, parts in ready])
        for (k, extraction, parts), answer in zip(ready, answers, strict=True):
            if isinstance(answer, RecursionError):
                out[k] = _too_deep()
            elif isinstance(answer, Exception):
                out[k] = answer
            else:
                out[k] = _scan_of(extraction, parts, *answer)
        return [out[k] for k in range(len(raws))]
