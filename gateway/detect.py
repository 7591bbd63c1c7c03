"""The detect stage: text from every part (detectors.extract), then the PHI engine.

This module is the stage's light half: the roster lookups, the PHI-free summary and the
Detection. The scan itself (extractors, engine, spaCy) is in gateway.scanning, which a worker
that scans in detection processes never imports; an in-thread PhiDetector imports it on first
use. The engine is loaded once per process and reused. What leaves this stage for logs and the
audit log is a summary: entity types, counts, scores, part labels in which attachment file names
are replaced by their position (a file name can itself name a patient) and roster ids. It holds
no matched text and no preview: even a masked preview keeps a name's initials, a year of birth or
a diagnosis code's chapter.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from detectors.config import DetectorConfig
from detectors.decision import decide
from detectors.extract.model import ExtractLimits, TextPart, Unscannable
from detectors.findings import Decision, Finding
from gateway.model import Detection, Envelope, ParsedMessage
from gateway.notices.context import SAFE_EXTENSIONS
from gateway.registry import Registry, resolve

if TYPE_CHECKING:  # types only: this light half loads no store or scanner code itself
    from gateway.patients.roster import RosterMatches
    from gateway.scanning import Scanner

# The heavy half of the stage, named and not imported (see the module's docstring).
SCANNER = "gateway.scanning:Scanner"


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

    def match(
        self,
        mrns: Iterable[str],
        name_dobs: Iterable[tuple[str, str]],
        emails: Iterable[str] = (),
    ) -> RosterMatches: ...


NAME_ENTITIES = ("PATIENT_NAME", "PERSON")


def match_roster(
    roster: Roster,
    findings: list[Finding],
    values: Sequence[str],
    recipients: Sequence[str],
) -> tuple[list[Finding], set[str]]:
    """Findings that match a roster entry get top confidence; returns them and the roster ids.

    ``values`` holds each finding's matched text (see `roster_values`). An MRN matches on its
    own; a name matches together with a date of birth in the same part. When the text names no
    rostered patient, a recipient who is one counts if the message carries health information
    (mail to the patient about their own care).
    """
    matched: set[str] = set()
    out: list[Finding] = []
    dobs: dict[str, list[str]] = {}
    for f, value in zip(findings, values, strict=True):
        if f.entity == "DOB":
            dobs.setdefault(f.part, []).append(value)
    mrns = [v for f, v in zip(findings, values, strict=True) if f.entity == "MRN"]
    pairs = [
        (v, dob)
        for f, v in zip(findings, values, strict=True)
        if f.entity in NAME_ENTITIES
        for dob in dobs.get(f.part, ())
    ]
    health = any(f.category == "health" for f in findings)
    # One lookup for the whole message; the recipients count only without a patient in the text.
    found = roster.match(mrns, pairs, recipients if health else ())
    for f, value in zip(findings, values, strict=True):
        rid = None
        if f.entity == "MRN":
            rid = found.mrns.get(value)
        elif f.entity in NAME_ENTITIES:
            # the first of the part's dates of birth (in text order) that names one patient
            by_name = found.name_dobs
            rid = next(
                (by_name[value, d] for d in dobs.get(f.part, ()) if (value, d) in by_name), None
            )
        if rid:
            matched.add(rid)
            entity = "PATIENT_NAME" if f.entity in NAME_ENTITIES else f.entity
            f = replace(f, entity=entity, score=1.0, recognizer=f"{f.recognizer}+roster")
        out.append(f)
    if not matched and health:
        # No patient named in the text: mail about their care sent to a rostered patient's
        # own address is about that patient.
        matched.update(found.emails[r] for r in recipients if r in found.emails)
    return out, matched


_ROSTER_ENTITIES = frozenset({"MRN", "DOB", *NAME_ENTITIES})


def roster_values(findings: Sequence[Finding], texts: Mapping[str, str]) -> tuple[str, ...]:
    """Each finding's matched text where the roster reads it (MRN, DOB, names), else ""."""
    return tuple(
        texts.get(f.part, "")[f.start : f.end] if f.entity in _ROSTER_ENTITIES else ""
        for f in findings
    )


@dataclass(frozen=True)
class Scan:
    """One message's scan before the roster: what crosses back from a detection process.

    ``values`` are the matched texts the roster needs (`roster_values`), nothing else of the
    message's text.
    """

    findings: tuple[Finding, ...]
    decision: Decision
    unscannable: tuple[Unscannable, ...]
    values: tuple[str, ...]


def finish(
    scan: Scan, envelope: Envelope, config: DetectorConfig, roster: Roster | None
) -> Detection:
    """The Detection for a scan: roster matches, then the PHI-free summary."""
    findings = list(scan.findings)
    decision = scan.decision
    patients: set[str] = set()
    if roster is not None:
        findings, patients = match_roster(roster, findings, scan.values, envelope.rcpt_tos)
        if patients:
            decision = decide(findings, config.decision)
            if not decision.phi and any(f.category == "health" for f in findings):
                # a rostered patient plus health information is PHI by definition
                decision = replace(decision, phi=True, score=max(decision.score, 0.9))
    summary, reasons = summarise(findings, scan.unscannable, decision.score, decision.phi)
    if patients:
        summary["patients"] = sorted(patients)  # for the audit log; stages read `patients`
    return Detection(
        phi=decision.phi,
        score=decision.score,
        findings=tuple(findings),
        summary=summary,
        unscannable=scan.unscannable,
        reasons=(f"score {decision.score:.2f}", *reasons),
        patients=tuple(sorted(patients)),
        band=decision.band,
    )


class PhiDetector:
    """Extracts every part's text and runs the PHI engine over it, on the caller's thread.

    See Detector.
    """

    name = "phi"

    def __init__(
        self,
        config: DetectorConfig | None = None,
        limits: ExtractLimits | None = None,
        roster: Roster | None = None,
    ) -> None:
        self.config = config or DetectorConfig()
        self.limits = limits or ExtractLimits()
        self.roster = roster

    @functools.cached_property
    def scanner(self) -> Scanner:
        """The scanner and its engine, loaded on first use: a gateway that scans in detection
        processes builds this detector only for its settings and never loads them."""
        scanner: Scanner = resolve(SCANNER)(self.config, self.limits)
        return scanner

    def warm(self) -> None:
        """Load the engine now (the gateway does, before it listens)."""
        _ = self.scanner

    def detect(self, message: ParsedMessage, envelope: Envelope) -> Detection:
        """See Detector."""
        return finish(self.scanner.scan(message.raw), envelope, self.config, self.roster)


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
