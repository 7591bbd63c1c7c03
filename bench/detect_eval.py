"""Detection evaluation: phigate's PHI engine against stock Presidio, every figure from one run.

* Span level, on ``spans-dev/spans.jsonl``: precision and recall per corpus entity type, by exact
  match and by any overlap, and their aggregate over the PHI-relevant types.
* Message level, on ``dev/manifest.jsonl``: recall and false-positive rate, overall and per
  category. phigate flags a message whose ``Decision.band`` is phi or uncertain (the shipped
  policy protects both for outsiders); stock Presidio uses ``STOCK_MESSAGE_RULE``.
* Speed: per-message latency p50/p95 and throughput (extraction + analysis), the two engines
  alternating message by message so machine noise hits both alike.
* Memory: peak RSS (VmHWM) of a fresh process that loads one engine and scans a few messages.
* The issue's targets next to the figures, then one JSON line with everything.

See bench/README.md for how to run it and how to read the output. The ``--rss-probe`` option is
the helper process the harness starts for the memory figures; it is not meant to be run by hand.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

# Run as a script (python bench/...), the repository root is not on the path yet.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from presidio_analyzer import AnalyzerEngine  # noqa: E402

from bench import lofo_eval, span_eval  # noqa: E402
from bench.args import positive_int  # noqa: E402
from bench.stock_presidio import stock_presidio_engine  # noqa: E402
from detectors.config import DecisionThresholds  # noqa: E402
from detectors.engine import PhiEngine  # noqa: E402
from detectors.extract import extract_message  # noqa: E402
from detectors.extract.model import TextPart  # noqa: E402
from detectors.findings import PHI_TYPES  # noqa: E402
from detectors.recognizers import multiscan  # noqa: E402

CORPUS_DEFAULT = next(
    (
        p
        for p in (
            Path(__file__).resolve().parents[2] / "shared" / "corpus",
            Path("/work/shared/corpus"),
        )
        if p.is_dir()
    ),
    Path(__file__).resolve().parents[2] / "shared" / "corpus",
)
SPANS_FILE = Path("spans-dev") / "spans.jsonl"
MESSAGES_DIR = Path("dev")

# Labelled but not PHI (README): not counted for recall, and a prediction overlapping one of them
# is not a false positive. (AGE is PHI only from 90 up; every AGE span of the dev set is below 90.)
NEUTRAL_TYPES: frozenset[str] = frozenset(
    {"ORGANIZATION", "GPE", "NRP", "TITLE", "AGE", "DOMAIN_NAME"}
)

# Engine entity (phigate's or stock Presidio's) -> the corpus labels it may match. A prediction
# that matches a gold span of one of these labels scores for that label; one that matches
# nothing (and touches no neutral span) is a false positive of the first label. Entities not in
# the table are counted apart as "unmapped" and kept out of precision.
ENTITY_LABELS: dict[str, tuple[str, ...]] = {
    # names: phigate splits PERSON by role; all three are a person's name
    "PERSON": ("PERSON",),
    "PATIENT_NAME": ("PERSON",),
    "PROVIDER_NAME": ("PERSON",),
    # addresses: the corpus labels address fragments (a house number, "Apt. 076", a postcode) as
    # STREET_ADDRESS and a "ZIP: ..." value as ZIP_CODE, so the two are one family
    "STREET_ADDRESS": ("STREET_ADDRESS", "ZIP_CODE"),
    "ZIP_CODE": ("ZIP_CODE", "STREET_ADDRESS"),
    # spaCy GPE/LOC/FAC -> presidio LOCATION: a city or country (GPE) or part of an address
    "LOCATION": ("STREET_ADDRESS", "GPE"),
    "PHONE_NUMBER": ("PHONE_NUMBER",),
    "FAX_NUMBER": ("PHONE_NUMBER",),
    "EMAIL_ADDRESS": ("EMAIL_ADDRESS",),
    "US_SSN": ("US_SSN",),
    "CREDIT_CARD": ("CREDIT_CARD",),
    "IBAN_CODE": ("IBAN_CODE",),
    "IP_ADDRESS": ("IP_ADDRESS",),
    # dates: phigate names a date by its role (birth, service)
    "DATE_TIME": ("DATE_TIME",),
    "DOB": ("DATE_TIME",),
    "DATE_OF_SERVICE": ("DATE_TIME",),
    "US_DRIVER_LICENSE": ("US_DRIVER_LICENSE",),
    # neutral labels: a hit there is neither a true nor a false positive
    "NRP": ("NRP",),
    "AGE": ("AGE",),
    "ORGANIZATION": ("ORGANIZATION",),
    "URL": ("DOMAIN_NAME",),
}

# Stock Presidio has no message decision; this is the one we give it.
STOCK_MIN_SCORE = 0.5
STOCK_MESSAGE_RULE = (
    f"stock Presidio flags a message when any finding of any entity type has score >= "
    f"{STOCK_MIN_SCORE} in any extracted part (subject, headers, bodies, attachments)"
)

# The targets.
SPAN_MIN_RECALL = 0.95
SPAN_MIN_PRECISION = 0.90
MESSAGE_MIN_RECALL = 0.99
MESSAGE_MAX_FPR = 0.02
LOFO_MIN_FAMILY_RECALL = 0.95
# issue 10's span targets, on the held-out half of bench/spans/generate.py's templates
HELD_OUT_EXACT_MIN_RECALL = 0.85
MIN_SPEEDUP = 5.0
MAX_RSS_MB = 400.0

WARMUP_MESSAGES = 5
RSS_PROBE_SENTENCES = 50
RSS_PROBE_TIMEOUT_S = 300.0

MatchMode = Literal["exact", "overlap"]
MODES: tuple[MatchMode, ...] = ("exact", "overlap")
EngineName = Literal["phigate", "stock"]


class BenchError(Exception):
    """The corpus is missing or malformed, or a helper process failed."""


# --------------------------------------------------------------------------------------
# Span scoring
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoldSpan:
    """One labelled span of a sentence (corpus label, end exclusive)."""

    label: str
    start: int
    end: int


@dataclass(frozen=True)
class Predicted:
    """One entity an engine found in a sentence, under the engine's own entity name."""

    entity: str
    start: int
    end: int


@dataclass(frozen=True)
class Sentence:
    """A labelled sentence of the span set."""

    id: int
    text: str
    spans: tuple[GoldSpan, ...]


@dataclass(frozen=True)
class TypeScore:
    """Counts and rates for one corpus label (or the aggregate) under one match mode.

    ``recalled`` counts gold spans found, ``tp``/``fp`` count predictions; a rate with nothing
    to divide by is None.
    """

    gold: int
    recalled: int
    tp: int
    fp: int

    @property
    def recall(self) -> float | None:
        """Recalled gold spans over gold spans."""
        return self.recalled / self.gold if self.gold else None

    @property
    def precision(self) -> float | None:
        """True-positive predictions over counted predictions."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    def as_dict(self) -> dict[str, Any]:
        """Counts and rates for the JSON line."""
        return {**asdict(self), "precision": _r(self.precision), "recall": _r(self.recall)}


@dataclass(frozen=True)
class SpanScores:
    """Span-level scores of one engine under one match mode."""

    mode: MatchMode
    per_type: dict[str, TypeScore]
    aggregate: TypeScore
    neutral_hits: int  # predictions on a neutral span: neither true nor false positives
    unmapped: dict[str, int]  # predictions of entities with no corpus label, by entity
    unmapped_outside: int  # of those, how many overlap no gold span at all

    def as_dict(self) -> dict[str, Any]:
        """Scores for the JSON line."""
        return {
            "per_type": {t: s.as_dict() for t, s in self.per_type.items()},
            "phi_aggregate": self.aggregate.as_dict(),
            "neutral_hits": self.neutral_hits,
            "unmapped": dict(sorted(self.unmapped.items())),
            "unmapped_outside_gold": self.unmapped_outside,
        }


def _matches(mode: MatchMode, p: Predicted, g: GoldSpan) -> bool:
    if mode == "exact":
        return p.start == g.start and p.end == g.end
    return p.start < g.end and g.start < p.end


def _dedupe(preds: Iterable[Predicted]) -> list[Predicted]:
    """One prediction per (corpus labels, span): DOB and DATE_TIME on one date count once."""
    seen: dict[tuple[object, int, int], Predicted] = {}
    for p in preds:
        key = (ENTITY_LABELS.get(p.entity, p.entity), p.start, p.end)
        seen.setdefault(key, p)
    return list(seen.values())


def score_spans(
    cases: Iterable[tuple[Sequence[GoldSpan], Sequence[Predicted]]], mode: MatchMode
) -> SpanScores:
    """Score predictions against gold spans, sentence by sentence, under one match mode.

    A gold span of a PHI type is recalled when a prediction whose entity maps to its label
    matches it (same offsets for ``exact``, any shared character for ``overlap``). A prediction
    is a true positive of the first label it matches; if it matches none it is ignored when it
    overlaps a neutral span, and otherwise a false positive of its first mapped label.
    """
    gold = Counter[str]()
    recalled = Counter[str]()
    tp = Counter[str]()
    fp = Counter[str]()
    neutral_hits = 0
    unmapped = Counter[str]()
    unmapped_outside = 0
    for golds, raw_preds in cases:
        preds = _dedupe(raw_preds)
        for g in golds:
            if g.label not in PHI_TYPES:
                continue
            gold[g.label] += 1
            if any(
                g.label in ENTITY_LABELS.get(p.entity, ()) and _matches(mode, p, g) for p in preds
            ):
                recalled[g.label] += 1
        for p in preds:
            labels = ENTITY_LABELS.get(p.entity)
            if labels is None:
                unmapped[p.entity] += 1
                if not any(_matches("overlap", p, g) for g in golds):
                    unmapped_outside += 1
                continue
            hit = [
                lab for lab in labels if any(g.label == lab and _matches(mode, p, g) for g in golds)
            ]
            if hit:
                if hit[0] in PHI_TYPES:
                    tp[hit[0]] += 1
                else:
                    neutral_hits += 1
            elif any(g.label in NEUTRAL_TYPES and _matches("overlap", p, g) for g in golds):
                neutral_hits += 1
            elif labels[0] in PHI_TYPES:
                fp[labels[0]] += 1
    shown = [t for t in PHI_TYPES if gold[t] or tp[t] or fp[t]]
    per_type = {t: TypeScore(gold[t], recalled[t], tp[t], fp[t]) for t in shown}
    aggregate = TypeScore(
        sum(s.gold for s in per_type.values()),
        sum(s.recalled for s in per_type.values()),
        sum(s.tp for s in per_type.values()),
        sum(s.fp for s in per_type.values()),
    )
    return SpanScores(mode, per_type, aggregate, neutral_hits, dict(unmapped), unmapped_outside)


def score_spans_any_type(
    cases: Iterable[tuple[Sequence[GoldSpan], Sequence[Predicted]]], mode: MatchMode
) -> TypeScore:
    """Type-blind aggregate: what a DLP gateway needs is that PHI is flagged, whatever its label.

    A PHI gold span is recalled when any prediction matches it. A prediction that claims an
    identifier (any entity except those mapped only to neutral labels) is a true positive when it
    matches a PHI gold span, ignored when it overlaps a neutral one, and a false positive
    otherwise.
    """
    gold = recalled = tp = fp = 0
    for golds, raw_preds in cases:
        by_span = {(p.start, p.end): p for p in raw_preds}
        preds = [
            p
            for p in by_span.values()
            if not all(lab in NEUTRAL_TYPES for lab in ENTITY_LABELS.get(p.entity, ("?",)))
        ]
        phi_gold = [g for g in golds if g.label in PHI_TYPES]
        gold += len(phi_gold)
        recalled += sum(any(_matches(mode, p, g) for p in preds) for g in phi_gold)
        for p in preds:
            if any(_matches(mode, p, g) for g in phi_gold):
                tp += 1
            elif not any(g.label in NEUTRAL_TYPES and _matches("overlap", p, g) for g in golds):
                fp += 1
    return TypeScore(gold, recalled, tp, fp)


def _jsonl_rows(path: Path, what: str) -> Iterator[dict[str, Any]]:
    """The JSON object on each non-blank line of ``path``; ``what`` names the file if it is missing."""
    if not path.is_file():
        raise BenchError(f"{what} not found: {path}")
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


def load_sentences(path: Path, limit: int | None = None) -> list[Sentence]:
    """Read a spans.jsonl file (the first ``limit`` sentences)."""
    out: list[Sentence] = []
    for row in _jsonl_rows(path, "span set"):
        spans = tuple(GoldSpan(s["entity_type"], s["start"], s["end"]) for s in row["spans"])
        out.append(Sentence(row["id"], row["text"], spans))
        if limit is not None and len(out) >= limit:
            break
    return out


# --------------------------------------------------------------------------------------
# Message scoring
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageCase:
    """One message of the dev corpus with its manifest label."""

    file: str
    label: str  # "phi" | "clean"
    category: str
    raw: bytes


@dataclass(frozen=True)
class CategoryScore:
    """How many messages of one category an engine flagged as PHI."""

    label: str
    messages: int
    flagged: int

    @property
    def rate(self) -> float:
        """Recall for a phi category, false-positive rate for a clean one."""
        return self.flagged / self.messages if self.messages else 0.0


@dataclass(frozen=True)
class MessageScores:
    """Message-level recall and false-positive rate of one engine."""

    recall: float | None
    false_positive_rate: float | None
    per_category: dict[str, CategoryScore]
    misses: tuple[str, ...]  # phi messages not flagged (file names)
    false_alarms: tuple[str, ...]  # clean messages flagged (file names)

    def as_dict(self) -> dict[str, Any]:
        """Scores for the JSON line."""
        return {
            "recall": _r(self.recall),
            "false_positive_rate": _r(self.false_positive_rate),
            "per_category": {
                c: {
                    "label": s.label,
                    "messages": s.messages,
                    "flagged": s.flagged,
                    "rate": _r(s.rate),
                }
                for c, s in self.per_category.items()
            },
            "misses": list(self.misses),
            "false_alarms": list(self.false_alarms),
        }


def score_messages(cases: Sequence[MessageCase], flagged: Sequence[bool]) -> MessageScores:
    """Recall over phi messages, false-positive rate over clean ones, and both per category."""
    if len(cases) != len(flagged):
        raise ValueError("one flag per message expected")
    per: dict[str, list[int]] = {}
    labels: dict[str, str] = {}
    for case, flag in zip(cases, flagged, strict=True):
        counts = per.setdefault(case.category, [0, 0])
        counts[0] += 1
        counts[1] += flag
        labels[case.category] = case.label
    phi = [f for c, f in zip(cases, flagged, strict=True) if c.label == "phi"]
    clean = [f for c, f in zip(cases, flagged, strict=True) if c.label == "clean"]
    return MessageScores(
        recall=sum(phi) / len(phi) if phi else None,
        false_positive_rate=sum(clean) / len(clean) if clean else None,
        per_category={
            c: CategoryScore(labels[c], n, k)
            for c, (n, k) in sorted(per.items(), key=lambda kv: (labels[kv[0]], kv[0]))
        },
        misses=tuple(
            c.file for c, f in zip(cases, flagged, strict=True) if c.label == "phi" and not f
        ),
        false_alarms=tuple(
            c.file for c, f in zip(cases, flagged, strict=True) if c.label == "clean" and f
        ),
    )


def load_messages(folder: Path, limit: int | None = None) -> list[MessageCase]:
    """Read the manifest and the raw bytes of its messages (the first ``limit`` of them)."""
    manifest = folder / "manifest.jsonl"
    out: list[MessageCase] = []
    for row in _jsonl_rows(manifest, "message manifest"):
        if row["label"] not in ("phi", "clean"):
            raise BenchError(f"{manifest}: unknown label {row['label']!r} for {row['file']}")
        raw = (folder / row["file"]).read_bytes()
        out.append(MessageCase(row["file"], row["label"], row["category"], raw))
        if limit is not None and len(out) >= limit:
            break
    return out


# --------------------------------------------------------------------------------------
# Latency
# --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (0 < q <= 100) of a non-empty sequence."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 < q <= 100:
        raise ValueError("q must be in (0, 100]")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


@dataclass(frozen=True)
class Latency:
    """Per-message latency percentiles and throughput of one engine."""

    messages: int
    p50_ms: float
    p95_ms: float
    msgs_per_s: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        """Summarise per-message wall times (seconds); throughput is messages over their sum."""
        total = sum(seconds)
        return cls(
            messages=len(seconds),
            p50_ms=1000 * percentile(seconds, 50),
            p95_ms=1000 * percentile(seconds, 95),
            msgs_per_s=len(seconds) / total if total > 0 else math.inf,
        )

    def as_dict(self) -> dict[str, Any]:
        """Figures for the JSON line."""
        return {k: _r(v, 2) if isinstance(v, float) else v for k, v in asdict(self).items()}


@dataclass
class _Timings:
    """What one engine took per message (seconds) and what it decided on the first pass."""

    total: list[float] = field(default_factory=list)
    detect: list[float] = field(default_factory=list)
    flagged: list[bool] = field(default_factory=list)


# --------------------------------------------------------------------------------------
# Engines
# --------------------------------------------------------------------------------------


def phigate_predict(engine: PhiEngine, text: str) -> list[Predicted]:
    """phigate's identifier findings on one sentence, every recognizer including NER."""
    return [
        Predicted(f.entity, f.start, f.end)
        for f in engine.analyze_text(text, "body", full=True)
        if f.category == "identifier"
    ]


def stock_predict(engine: AnalyzerEngine, text: str) -> list[Predicted]:
    """Stock Presidio's findings on one sentence."""
    return [Predicted(r.entity_type, r.start, r.end) for r in engine.analyze(text, language="en")]


def evaluate_spans(
    predict: Callable[[str], list[Predicted]], sentences: Sequence[Sentence]
) -> dict[MatchMode, tuple[SpanScores, TypeScore]]:
    """Run one engine over the sentences once; score it in both match modes, typed and blind."""
    cases = [(s.spans, predict(s.text)) for s in sentences]
    return {mode: (score_spans(cases, mode), score_spans_any_type(cases, mode)) for mode in MODES}


def _span_figures(scores: dict[MatchMode, tuple[SpanScores, TypeScore]]) -> dict[str, Any]:
    return {
        mode: {**typed.as_dict(), "phi_any_type": blind.as_dict()}
        for mode, (typed, blind) in scores.items()
    }


def stock_flags(engine: AnalyzerEngine, parts: Sequence[TextPart]) -> bool:
    """Apply STOCK_MESSAGE_RULE to one message's extracted parts."""
    flagged = False
    for p in parts:
        if any(r.score >= STOCK_MIN_SCORE for r in engine.analyze(p.text, language="en")):
            flagged = True
    return flagged


def _texts(parts: Sequence[TextPart]) -> tuple[tuple[str, str], ...]:
    return tuple((p.part, p.text) for p in parts)


def run_messages(
    cases: Sequence[MessageCase],
    phigate: PhiEngine,
    stock: AnalyzerEngine | None,
    repeat: int = 1,
) -> tuple[_Timings, _Timings | None, int]:
    """Time extraction + analysis per message, alternating the engines; return both timings.

    Each engine extracts the message itself inside its timed turn (the same extractor, so the
    same text; a differing text is counted and returned) and then analyses every part. The
    engine that goes first alternates from message to message. Flags come from the first pass.
    """
    for case in cases[:WARMUP_MESSAGES]:
        parts = extract_message(case.raw).parts
        phigate.analyze(parts)
        if stock is not None:
            stock_flags(stock, parts)
    reference = [_texts(extract_message(c.raw).parts) for c in cases]
    ours, theirs = _Timings(), _Timings()
    mismatches = 0

    def turn(engine: EngineName, i: int, record: bool) -> None:
        nonlocal mismatches
        started = time.perf_counter()
        parts = extract_message(cases[i].raw).parts
        extracted = time.perf_counter()
        if engine == "phigate":
            # The shipped policy protects the uncertain band for outsiders as it protects PHI.
            flag = phigate.analyze(parts)[1].band != "clean"
            timings = ours
        else:
            assert stock is not None
            flag = stock_flags(stock, parts)
            timings = theirs
        done = time.perf_counter()
        timings.total.append(done - started)
        timings.detect.append(done - extracted)
        if record:
            timings.flagged.append(flag)
            if _texts(parts) != reference[i]:
                mismatches += 1

    for rep in range(repeat):
        for i in range(len(cases)):
            order: list[EngineName] = ["phigate", "stock"] if i % 2 == 0 else ["stock", "phigate"]
            for name in order:
                if name == "stock" and stock is None:
                    continue
                turn(name, i, record=rep == 0)
    return ours, (theirs if stock is not None else None), mismatches


# --------------------------------------------------------------------------------------
# Memory (a helper process per engine)
# --------------------------------------------------------------------------------------


def vm_hwm_mb() -> float:
    """This process's peak resident set size (VmHWM) in MB (10^6 bytes)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise BenchError("no VmHWM in /proc/self/status")


def rss_probe(engine: EngineName, corpus: Path, limit: int | None) -> dict[str, Any]:
    """Load one engine in this process, scan every message and a few sentences; report VmHWM."""
    base = vm_hwm_mb()
    n_sent = min(limit or RSS_PROBE_SENTENCES, RSS_PROBE_SENTENCES)
    messages = load_messages(corpus / MESSAGES_DIR, limit)
    sentences = load_sentences(corpus / SPANS_FILE, n_sent)
    if engine == "phigate":
        ours = PhiEngine()
        loaded = vm_hwm_mb()
        for m in messages:
            ours.analyze(extract_message(m.raw).parts)
        for s in sentences:
            phigate_predict(ours, s.text)
    else:
        theirs = stock_presidio_engine()
        loaded = vm_hwm_mb()
        for m in messages:
            stock_flags(theirs, extract_message(m.raw).parts)
        for s in sentences:
            stock_predict(theirs, s.text)
    return {
        "before_load_mb": round(base, 1),
        "after_load_mb": round(loaded, 1),
        "peak_mb": round(vm_hwm_mb(), 1),
        "messages": len(messages),
        "sentences": len(sentences),
    }


def start_rss_probe(engine: EngineName, corpus: Path, limit: int | None) -> subprocess.Popen[str]:
    """Start the memory helper for one engine in a fresh interpreter."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--rss-probe", engine]
    cmd += ["--corpus", str(corpus)]
    if limit is not None:
        cmd += ["--limit", str(limit)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_rss_probe(engine: EngineName, proc: subprocess.Popen[str]) -> dict[str, Any]:
    """Wait for a memory helper and parse its JSON line."""
    try:
        out, err = proc.communicate(timeout=RSS_PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise BenchError(f"memory probe for {engine} timed out") from None
    lines = out.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = "\n".join(err.strip().splitlines()[-5:])
        raise BenchError(f"memory probe for {engine} failed (exit {proc.returncode}): {tail}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One of the issue's targets, the figure measured against it, and whether it is met."""

    name: str
    goal: str
    value: str
    met: bool | None  # None: not measured in this run

    @property
    def verdict(self) -> str:
        """MET, NOT MET or NOT MEASURED."""
        return {True: "MET", False: "NOT MET", None: "NOT MEASURED"}[self.met]


def _r(value: float | None, digits: int = 4) -> float | None:
    if value is None or math.isinf(value):
        return None
    return round(value, digits)


def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def targets(figures: dict[str, Any]) -> list[Target]:
    """Check the issue's targets against the figures of a run (phigate's figures)."""
    out: list[Target] = []
    spans = figures["spans"]["phigate"]
    held = figures["spans"].get("held_out")
    if held is not None:
        any_rec, exact, prec = held["recall_any"], held["recall_exact"], held["precision"]
        out.append(
            Target(
                "held-out spans (overlap)",
                f"recall >= {SPAN_MIN_RECALL} with precision >= {SPAN_MIN_PRECISION}",
                f"recall {_f(any_rec)}, precision {_f(prec)}",
                any_rec >= SPAN_MIN_RECALL and prec >= SPAN_MIN_PRECISION,
            )
        )
        out.append(
            Target(
                "held-out spans (exact)",
                f"recall >= {HELD_OUT_EXACT_MIN_RECALL}",
                _f(exact),
                exact >= HELD_OUT_EXACT_MIN_RECALL,
            )
        )
    for mode in MODES:
        agg = spans[mode]["phi_aggregate"]
        rec, prec = agg["recall"], agg["precision"]
        met = (
            None
            if rec is None or prec is None
            else rec >= SPAN_MIN_RECALL and prec >= SPAN_MIN_PRECISION
        )
        out.append(
            Target(
                f"dev spans ({mode})",
                f"recall >= {SPAN_MIN_RECALL} with precision >= {SPAN_MIN_PRECISION}",
                f"recall {_f(rec)}, precision {_f(prec)}",
                met,
            )
        )
    msgs = figures["messages"]["phigate"]
    rec, fpr = msgs["recall"], msgs["false_positive_rate"]
    out.append(
        Target(
            "message recall",
            f">= {MESSAGE_MIN_RECALL}",
            _f(rec),
            None if rec is None else rec >= MESSAGE_MIN_RECALL,
        )
    )
    out.append(
        Target(
            "message false-positive rate",
            f"<= {MESSAGE_MAX_FPR}",
            _f(fpr),
            None if fpr is None else fpr <= MESSAGE_MAX_FPR,
        )
    )
    lofo = figures.get("leave_family_out")
    if lofo is not None:
        g = lofo["learned"]
        worst = g["worst_family"] or {}
        out.append(
            Target(
                "leave-family-out recall / FPR",
                f"recall >= {MESSAGE_MIN_RECALL}, FPR <= {MESSAGE_MAX_FPR}",
                f"recall {_f(g['recall'])}, FPR {_f(g['false_positive_rate'])}",
                (g["recall"] or 0) >= MESSAGE_MIN_RECALL
                and (g["false_positive_rate"] or 1) <= MESSAGE_MAX_FPR,
            )
        )
        out.append(
            Target(
                "leave-family-out worst family",
                f"recall >= {LOFO_MIN_FAMILY_RECALL}",
                f"{worst.get('family')} at {_f(worst.get('recall'))}",
                (worst.get("recall") or 0) >= LOFO_MIN_FAMILY_RECALL,
            )
        )
    ratio = figures["speed"]["ratio"]
    out.append(
        Target(
            "throughput vs stock Presidio",
            f">= {MIN_SPEEDUP}x",
            "-" if ratio is None else f"{ratio:.2f}x",
            None if ratio is None else ratio >= MIN_SPEEDUP,
        )
    )
    mem = figures["memory"].get("phigate")
    peak = None if mem is None else mem["peak_mb"]
    out.append(
        Target(
            "peak RSS per worker",
            f"<= {MAX_RSS_MB:.0f} MB",
            "-" if peak is None else f"{peak:.1f} MB",
            None if peak is None else peak <= MAX_RSS_MB,
        )
    )
    return out


def render(figures: dict[str, Any]) -> str:
    """The human-readable report (everything but the JSON line)."""
    lines: list[str] = []
    add = lines.append
    engines = [e for e in ("phigate", "stock") if figures["spans"].get(e) is not None]
    add(
        f"# detection evaluation: {figures['sentences']} sentences, {figures['messages_total']} "
        f"messages, corpus {figures['corpus']}"
    )
    add("")
    add("## span level (spans-dev): P = precision, R = recall; gold = gold spans of the type")
    header = f"{'type':<18} {'gold':>5}"
    for e in engines:
        header += f" | {e + ' exact P':>15} {'R':>6} {'overlap P':>10} {'R':>6}"
    add(header)
    types = [
        t for t in PHI_TYPES if any(t in figures["spans"][e]["exact"]["per_type"] for e in engines)
    ]
    aggregates = {"PHI aggregate": "phi_aggregate", "PHI, any type": "phi_any_type"}
    for t in [*types, *aggregates]:
        gold = None
        row = ""
        for e in engines:
            for mode in MODES:
                s = figures["spans"][e][mode]
                ts = s[aggregates[t]] if t in aggregates else s["per_type"].get(t)
                if ts is None:
                    row += f" {'-':>10} {'-':>6}" if mode == "overlap" else f" | {'-':>15} {'-':>6}"
                    continue
                gold = ts["gold"]
                if mode == "exact":
                    row += f" | {_f(ts['precision']):>15} {_f(ts['recall']):>6}"
                else:
                    row += f" {_f(ts['precision']):>10} {_f(ts['recall']):>6}"
        add(f"{t:<18} {gold if gold is not None else '-':>5}{row}")
    for e in engines:
        s = figures["spans"][e]["overlap"]
        unm = ", ".join(f"{k} {v}" for k, v in s["unmapped"].items()) or "none"
        add(
            f"{e}: predictions on neutral spans (not scored): {s['neutral_hits']}; "
            f"unmapped entities (not scored): {unm} ({s['unmapped_outside_gold']} outside every gold span)"
        )
    held = figures["spans"].get("held_out")
    if held is not None:
        add("")
        add("## held-out spans (bench/span_eval.py, the held-out half of the generated templates)")
        add(
            f"phigate: recall {_f(held['recall_any'])} by any overlap, {_f(held['recall_exact'])} "
            f"exact, {_f(held['recall_typed'])} typed; precision {_f(held['precision'])}"
        )
    add("")
    add(
        "## message level (dev): rate = recall for phi categories, false-positive rate for clean ones"
    )
    add(f"stock rule: {STOCK_MESSAGE_RULE}")
    m_engines = [e for e in ("phigate", "stock") if figures["messages"].get(e) is not None]
    add(
        f"{'category':<32} {'label':<6} {'n':>4}"
        + "".join(f" {e + ' rate':>13}" for e in m_engines)
    )
    first = figures["messages"]["phigate"]["per_category"]
    for cat, c in first.items():
        row = f"{cat:<32} {c['label']:<6} {c['messages']:>4}"
        for e in m_engines:
            row += f" {_f(figures['messages'][e]['per_category'][cat]['rate']):>13}"
        add(row)
    for metric, key in (("recall (phi)", "recall"), ("FPR (clean)", "false_positive_rate")):
        row = f"{'overall ' + metric:<32} {'':<6} {'':>4}"
        for e in m_engines:
            row += f" {_f(figures['messages'][e][key]):>13}"
        add(row)
    ours = figures["messages"]["phigate"]
    add(f"phigate misses: {', '.join(ours['misses']) or 'none'}")
    add(f"phigate false alarms: {', '.join(ours['false_alarms']) or 'none'}")
    add("")
    speed = figures["speed"]
    add(
        f"## speed: per message, extraction + analysis, {speed['repeat']} pass(es), engines alternating"
    )
    add(
        f"{'engine':<10} {'msgs':>5} {'p50_ms':>8} {'p95_ms':>8} {'msgs/s':>8} {'detect-only msgs/s':>19}"
    )
    for e in ("phigate", "stock"):
        s = speed.get(e)
        if s is None:
            continue
        add(
            f"{e:<10} {s['messages']:>5} {_f(s['p50_ms'], 1):>8} {_f(s['p95_ms'], 1):>8} "
            f"{_f(s['msgs_per_s'], 1):>8} {_f(speed[e + '_detect_only']['msgs_per_s'], 1):>19}"
        )
    ratio = "-" if speed["ratio"] is None else f"{speed['ratio']:.2f}x"
    ratio_d = "-" if speed["ratio_detect_only"] is None else f"{speed['ratio_detect_only']:.2f}x"
    add(f"ratio phigate/stock: {ratio} end to end, {ratio_d} detection only")
    held = speed.get("multiscan_patterns", 0)
    add(
        f"Hyperscan pass: {held} patterns held"
        if held
        else "Hyperscan pass: off (every pattern scanned on every text)"
    )
    if speed["text_mismatches"]:
        add(
            f"warning: {speed['text_mismatches']} message(s) extracted to different text between turns"
        )
    add("")
    add("## memory: VmHWM of a fresh process per engine (MB = 10^6 bytes)")
    for e in ("phigate", "stock"):
        mem = figures["memory"].get(e)
        if mem is None:
            continue
        add(
            f"{e:<10} interpreter {mem['before_load_mb']:>6.1f}  after load {mem['after_load_mb']:>6.1f}  "
            f"peak after {mem['messages']} msgs + {mem['sentences']} sentences {mem['peak_mb']:>6.1f}"
        )
    add("")
    add("## targets (phigate)")
    for t in figures["targets"]:
        add(f"{t['name']:<30} {t['goal']:<44} {t['value']:<32} {t['verdict']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure everything and return the figures (what the JSON line prints)."""
    corpus: Path = args.corpus
    limit: int | None = args.limit
    started = time.perf_counter()
    progress = _progress(args.json_only)
    sentences = load_sentences(corpus / SPANS_FILE, limit)
    messages = load_messages(corpus / MESSAGES_DIR, limit)

    # Memory helpers first, both at once, while this process is not timing anything.
    engines: list[EngineName] = ["phigate"] if args.skip_stock else ["phigate", "stock"]
    progress("memory: starting one helper process per engine")
    probes = {e: start_rss_probe(e, corpus, limit) for e in engines}
    memory = {e: finish_rss_probe(e, p) for e, p in probes.items()}

    progress("loading engines")
    ours = PhiEngine()
    # the Hyperscan databases load in the background; the timed passes start once they are in
    multiscan.start(wait=True)
    theirs = None if args.skip_stock else stock_presidio_engine()

    progress(f"spans: phigate on {len(sentences)} sentences")
    spans: dict[str, Any] = {
        "phigate": _span_figures(evaluate_spans(lambda t: phigate_predict(ours, t), sentences)),
    }
    if theirs is not None:
        progress(f"spans: stock Presidio on {len(sentences)} sentences")
        stock_scores = evaluate_spans(lambda t: stock_predict(theirs, t), sentences)
        spans["stock"] = _span_figures(stock_scores)

    progress("spans: phigate on the held-out generated templates (bench/span_eval.py)")
    held_out = span_eval.span_scores(ours, span_eval.generated_rows("heldout"))
    spans["held_out"] = {
        k: _r(held_out[k]) for k in ("recall_any", "recall_exact", "recall_typed", "precision")
    }

    progress(f"messages: {len(messages)} x {args.repeat} pass(es)")
    t_ours, t_theirs, mismatches = run_messages(messages, ours, theirs, args.repeat)
    msg_scores: dict[str, Any] = {
        "phigate": score_messages(messages, t_ours.flagged).as_dict(),
        "stock_rule": STOCK_MESSAGE_RULE,
    }
    speed: dict[str, Any] = {
        "repeat": args.repeat,
        "phigate": Latency.of(t_ours.total).as_dict(),
        "phigate_detect_only": Latency.of(t_ours.detect).as_dict(),
        "ratio": None,
        "ratio_detect_only": None,
        "text_mismatches": mismatches,
        "multiscan_patterns": multiscan.held(),
    }
    if t_theirs is not None:
        msg_scores["stock"] = score_messages(messages, t_theirs.flagged).as_dict()
        stock_lat, stock_det = Latency.of(t_theirs.total), Latency.of(t_theirs.detect)
        speed["stock"] = stock_lat.as_dict()
        speed["stock_detect_only"] = stock_det.as_dict()
        ours_lat, ours_det = Latency.of(t_ours.total), Latency.of(t_ours.detect)
        speed["ratio"] = _r(ours_lat.msgs_per_s / stock_lat.msgs_per_s, 3)
        speed["ratio_detect_only"] = _r(ours_det.msgs_per_s / stock_det.msgs_per_s, 3)

    figures: dict[str, Any] = {
        "corpus": str(corpus),
        "sentences": len(sentences),
        "messages_total": len(messages),
        "spans": spans,
        "messages": msg_scores,
        "speed": speed,
        "memory": memory,
    }
    if args.lofo:
        progress("leave-family-out: every corpus source (bench/lofo_eval.py)")
        scanned = lofo_eval.scanned_corpus(args.lofo_per_family, 7, True, None)
        results = lofo_eval.leave_family_out(scanned, DecisionThresholds())
        figures["leave_family_out"] = lofo_eval.summarise(scanned, results)
    figures["targets"] = [{**asdict(t), "verdict": t.verdict} for t in targets(figures)]
    figures["elapsed_s"] = round(time.perf_counter() - started, 1)
    return figures


def _progress(quiet: bool) -> Callable[[str], None]:
    def say(text: str) -> None:
        if not quiet:
            print(f"[detect_eval] {text}", file=sys.stderr, flush=True)

    return say


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        description="Span, message, speed and memory evaluation of phigate against stock Presidio."
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=CORPUS_DEFAULT,
        help=f"folder holding spans-dev/ and dev/ (default {CORPUS_DEFAULT})",
    )
    parser.add_argument(
        "--limit", type=positive_int, help="use only the first N messages and sentences"
    )
    parser.add_argument("--skip-stock", action="store_true", help="measure phigate only")
    parser.add_argument("--json-only", action="store_true", help="print only the JSON line")
    parser.add_argument(
        "--repeat", type=positive_int, default=3, help="timed passes over the messages (default 3)"
    )
    parser.add_argument(
        "--lofo",
        action="store_true",
        help="also run the leave-family-out evaluation of bench/lofo_eval.py (a few minutes)",
    )
    parser.add_argument(
        "--lofo-per-family", type=positive_int, default=30, help="messages per generated family"
    )
    parser.add_argument("--rss-probe", choices=["phigate", "stock"], help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the evaluation and print the report, then the JSON line."""
    args = build_parser().parse_args(argv)
    # presidio warns about every recognizer of a language it was not asked for
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    try:
        if args.rss_probe:
            print(json.dumps(rss_probe(args.rss_probe, args.corpus, args.limit)))
            return 0
        figures = run(args)
    except BenchError as exc:
        print(f"detect_eval: {exc}", file=sys.stderr)
        return 2
    if not args.json_only:
        print(render(figures))
    print(json.dumps(figures, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
