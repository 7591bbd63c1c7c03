"""The detect stage: text from every part (detectors.extract), then the PHI engine.

The engine is loaded once per worker process and reused. What leaves this stage for logs and the
audit log is a summary: entity types, counts, scores, part labels in which attachment file names
are replaced by their position (a file name can itself name a patient) and roster ids. It holds
no matched text and no preview: even a masked preview keeps a name's initials, a year of birth or
a diagnosis code's chapter.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from detectors.config import DetectorConfig
from detectors.decision import decide
from detectors.engine import PhiEngine
from detectors.extract import (
    AttachmentCache,
    ExtractLimits,
    TextPart,
    Unscannable,
    extract_message,
)
from detectors.findings import Finding
from gateway.model import Detection, DetectorError, Envelope, ParsedMessage
from gateway.notices.context import SAFE_EXTENSIONS
from gateway.registry import Registry


@functools.lru_cache(maxsize=2)
def shared_engine(config: DetectorConfig) -> PhiEngine:
    """One engine per worker process and configuration (the spaCy model loads once)."""
    return PhiEngine(config)


class PartLabels:
    """Maps part labels to log-safe ones: `attachment:<name>` becomes `attachment:N.ext`.

    The extension is kept only when it is a known file type: in ``Jane.Doe`` or
    ``labs.Quintero`` the part after the dot is a name.
    """

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __call__(self, part: str) -> str:
        if not part.startswith("attachment:"):
            return part
        if part not in self._seen:
            name = part[len("attachment:") :]
            ext = name.rpartition(".")[2].lower() if "." in name else ""
            ext = ext if ext in SAFE_EXTENSIONS else ""
            n = len(self._seen) + 1
            self._seen[part] = f"attachment:{n}.{ext}" if ext else f"attachment:{n}"
        return self._seen[part]


def summarise(
    findings: Sequence[Finding], unscannable: Sequence[Unscannable], score: float, phi: bool
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A PHI-free summary (types, counts, scores, parts) and short reasons for the Verdict.

    Only entity types, numbers and log-safe part labels go in; a finding's matched text and its
    preview never do.
    """
    label = PartLabels()
    entities = Counter(f.entity for f in findings)
    scores: dict[str, float] = {}
    by_part: dict[str, Counter[str]] = {}
    for f in findings:
        by_part.setdefault(label(f.part), Counter())[f.entity] += 1
        scores[f.entity] = max(scores.get(f.entity, 0.0), round(float(f.score), 3))
    summary: dict[str, Any] = {
        "phi": phi,
        "score": round(score, 3),
        "entities": dict(sorted(entities.items())),
        "scores": dict(sorted(scores.items())),
        # a list, not a mapping: part labels such as "body" are not fit to be keys in the log
        "parts": [
            {"part": p, "entities": dict(sorted(c.items()))} for p, c in sorted(by_part.items())
        ],
        "identifiers": sum(1 for f in findings if f.category == "identifier"),
        "health": sum(1 for f in findings if f.category == "health"),
    }
    if unscannable:
        summary["unscannable"] = [{"part": label(u.part), "reason": u.reason} for u in unscannable]
    reasons = tuple(f"{', '.join(sorted(c))} in {p}" for p, c in sorted(by_part.items())) or (
        "nothing found",
    )
    if unscannable:
        reasons += tuple(f"unscannable {label(u.part)}: {u.reason}" for u in unscannable)
    return summary, reasons


def merge_parts(parts: Sequence[TextPart]) -> tuple[TextPart, ...]:
    """One text per part label (all bodies, all of one attachment), so offsets are unambiguous.

    A multipart/alternative message has its plain and HTML bodies both labelled "body"; both are
    scanned (PHI may hide in either), joined by a blank line in the order they came.
    """
    merged: dict[str, list[TextPart]] = {}
    for p in parts:
        merged.setdefault(p.part, []).append(p)
    out = []
    for label, group in merged.items():
        if len(group) == 1:
            out.append(group[0])
            continue
        out.append(
            TextPart(
                part=label,
                text="\n\n".join(g.text for g in group),
                origin=" + ".join(g.origin for g in group),
                kind=group[0].kind if len({g.kind for g in group}) == 1 else "mixed",
            )
        )
    return tuple(out)


class Roster(Protocol):
    """The patient roster as detection uses it (keyed-hash lookups; see gateway.patients)."""

    def by_mrn(self, mrn: str) -> str | None: ...

    def by_name_dob(self, name: str, dob: str) -> str | None: ...

    def by_email(self, address: str) -> str | None: ...


NAME_ENTITIES = ("PATIENT_NAME", "PERSON")


def match_roster(
    roster: Roster, findings: list[Finding], texts: Mapping[str, str], recipients: Sequence[str]
) -> tuple[list[Finding], set[str]]:
    """Findings that match a roster entry get top confidence; returns them and the roster ids.

    An MRN matches on its own; a name matches together with a date of birth in the same part.
    When the text names no rostered patient, a recipient who is one counts if the message
    carries health information (mail to the patient about their own care).
    """
    matched: set[str] = set()
    out: list[Finding] = []
    dobs: dict[str, list[str]] = {}
    for f in findings:
        if f.entity == "DOB":
            dobs.setdefault(f.part, []).append(texts.get(f.part, "")[f.start : f.end])
    for f in findings:
        value = texts.get(f.part, "")[f.start : f.end]
        rid = None
        if f.entity == "MRN":
            rid = roster.by_mrn(value)
        elif f.entity in NAME_ENTITIES:
            for dob in dobs.get(f.part, ()):
                rid = roster.by_name_dob(value, dob)
                if rid:
                    break
        if rid:
            matched.add(rid)
            entity = "PATIENT_NAME" if f.entity in NAME_ENTITIES else f.entity
            f = replace(f, entity=entity, score=1.0, recognizer=f"{f.recognizer}+roster")
        out.append(f)
    if not matched and any(f.category == "health" for f in out):
        # No patient named in the text: mail about their care sent to a rostered patient's
        # own address is about that patient.
        for rcpt in recipients:
            rid = roster.by_email(rcpt)
            if rid:
                matched.add(rid)
    return out, matched


class PhiDetector:
    """Extracts every part's text and runs the PHI engine over it. See Detector."""

    name = "phi"

    def __init__(
        self,
        config: DetectorConfig | None = None,
        limits: ExtractLimits | None = None,
        roster: Roster | None = None,
    ) -> None:
        self.config = config or DetectorConfig()
        self.limits = limits or ExtractLimits()
        self.engine = shared_engine(self.config)
        self.cache = AttachmentCache()
        self.roster = roster

    def detect(self, message: ParsedMessage, envelope: Envelope) -> Detection:
        """See Detector."""
        try:
            extraction = extract_message(message.raw, self.limits, cache=self.cache)
            parts = merge_parts(extraction.parts)
            findings, decision = self.engine.analyze(parts)
        except RecursionError as exc:
            raise DetectorError("the message is nested too deeply to scan") from exc
        patients: set[str] = set()
        if self.roster is not None:
            texts = {p.part: p.text for p in parts}
            findings, patients = match_roster(self.roster, findings, texts, envelope.rcpt_tos)
            if patients:
                decision = decide(findings, self.config.decision)
                if not decision.phi and any(f.category == "health" for f in findings):
                    # a rostered patient plus health information is PHI by definition
                    decision = replace(decision, phi=True, score=max(decision.score, 0.9))
        summary, reasons = summarise(findings, extraction.unscannable, decision.score, decision.phi)
        if patients:
            summary["patients"] = sorted(patients)  # for the audit log; stages read `patients`
        return Detection(
            phi=decision.phi,
            score=decision.score,
            findings=tuple(findings),
            summary=summary,
            unscannable=extraction.unscannable,
            reasons=(f"score {decision.score:.2f}", *reasons),
            patients=tuple(sorted(patients)),
            band=decision.band,
        )


class NullDetector:
    """Finds nothing (detection.detector: null). See Detector."""

    name = "null"
    cheap = True  # runs on the event loop: there is nothing to wait for

    def detect(self, message: ParsedMessage, envelope: Envelope) -> Detection:
        """See Detector."""
        return Detection(phi=False, score=0.0, reasons=("no detectors configured",))


def register(reg: Registry) -> None:
    """Register the built-in detectors: factories take (engine config, extraction limits, roster)."""
    reg.register("detector", NullDetector.name, lambda *_: NullDetector())
    reg.register("detector", PhiDetector.name, PhiDetector)
