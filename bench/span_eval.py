"""Measure the detectors: span precision/recall on a labelled sentence set, message recall/FPR.

A quick look by hand (bench/detect_eval.py is the full benchmark)::

    python -m bench.span_eval SPANS_JSONL CORPUS_DIR [--stock]
    python -m bench.span_eval --generated [--split heldout|tune|all] [--misses]

``--generated`` scores the many-locale sentences of bench/spans/generate.py (names in their own
scripts, each country's phones, postcodes, addresses, driver's licences and national ids). The
held-out half is the figure to report; ``--misses`` lists the misses and false alarms of the tune
half only, so the held-out templates are never tuned on.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# Run as a script (python bench/...), the repository root is not on the path yet.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from presidio_analyzer import AnalyzerEngine  # noqa: E402

from bench.spans.generate import generate  # noqa: E402
from bench.stock_presidio import stock_presidio_engine  # noqa: E402
from detectors.engine import PhiEngine  # noqa: E402
from detectors.extract import extract_message  # noqa: E402
from detectors.findings import PHI_TYPES, TYPE_MAP  # noqa: E402

# The generated set adds national ids and driver's licences of every country.
PHI_SPAN_TYPES = frozenset(PHI_TYPES) | {"NATIONAL_ID", "DRIVER_LICENSE"}
# A predicted LOCATION on a GPE/ORGANIZATION gold span is a hit there too (not a false positive).
COMPATIBLE = {"STREET_ADDRESS": {"GPE", "LOCATION"}}
# Our entity names for the generated set's extra gold types (the shared set has neither).
EXTRA_TYPES: dict[str, str] = {
    "US_DRIVER_LICENSE": "DRIVER_LICENSE",
    "DRIVER_LICENSE": "DRIVER_LICENSE",
    "NATIONAL_ID": "NATIONAL_ID",
    "NHS_NUMBER": "NATIONAL_ID",
    "US_SSN": "NATIONAL_ID",
}


def _typed_match(entity: str, gold: str) -> bool:
    """Whether a prediction of ``entity`` counts for a gold span labelled ``gold``."""
    mapped = TYPE_MAP.get(entity, "")
    return mapped == gold or gold in COMPATIBLE.get(mapped, ()) or EXTRA_TYPES.get(entity) == gold


def _predict(engine: PhiEngine | AnalyzerEngine, text: str) -> list[tuple[str, int, int]]:
    if isinstance(engine, PhiEngine):
        return [
            (f.entity, f.start, f.end)
            for f in engine.analyze_text(text, "body", full=True)
            if f.category == "identifier"
        ]
    return [(r.entity_type, r.start, r.end) for r in engine.analyze(text, language="en")]


def _covered(gold: tuple[int, int], preds: list[tuple[int, int]]) -> float:
    s, e = gold
    hit = bytearray(e - s)
    for ps, pe in preds:
        for i in range(max(s, ps), min(e, pe)):
            hit[i - s] = 1
    return sum(hit) / max(1, e - s)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """A span without surrounding whitespace and punctuation (for exact-match comparison)."""
    while start < end and (text[start].isspace() or text[start] in ".,;:'\"()"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ".,;:'\"()"):
        end -= 1
    return start, end


def span_scores(
    engine: PhiEngine | AnalyzerEngine,
    path: str | Path | Iterable[dict[str, Any]],
    misses: list[str] | None = None,
) -> dict[str, Any]:
    """Per-type span recall and overall precision on a spans.jsonl file.

    A gold span of a PHI type is recalled (typed) when predictions of a compatible type cover at
    least half of its characters, (any) when any identifier prediction does, and (exact) when
    one typed prediction has the same bounds once edge whitespace and punctuation are trimmed. A prediction
    is a true positive when it overlaps any gold span, of whatever type.
    """
    per_type: dict[str, Counter[str]] = {}
    tp = fp = 0
    started = time.perf_counter()
    n = 0
    per_locale: dict[str, Counter[str]] = {}
    rows = _rows(path) if isinstance(path, str | Path) else path
    for row in rows:
        n += 1
        preds = _predict(engine, row["text"])
        golds = row["spans"]
        for g in golds:
            gtype = g["entity_type"]
            if gtype not in PHI_SPAN_TYPES:
                continue
            c = per_type.setdefault(gtype, Counter())
            c["total"] += 1
            typed = [(s, e) for t, s, e in preds if _typed_match(t, gtype)]
            loc = per_locale.setdefault(row.get("locale", ""), Counter())
            loc["total"] += 1
            if _covered((g["start"], g["end"]), typed) >= 0.5:
                c["typed"] += 1
            gold_span = _trimmed(row["text"], g["start"], g["end"])
            exact = any(_trimmed(row["text"], s, e) == gold_span for s, e in typed)
            c["exact"] += exact
            hit = _covered((g["start"], g["end"]), [(s, e) for _, s, e in preds]) >= 0.5
            c["any"] += hit
            loc["any"] += hit
            if misses is not None and not (hit and exact):
                got = [row["text"][s:e] for t, s, e in preds if s < g["end"] and g["start"] < e]
                kind = "MISS" if not hit else "INEXACT"
                misses.append(
                    f"{kind} {gtype} {row['text'][g['start'] : g['end']]!r} got {got} "
                    f"[{row.get('locale', '')}] {row['text']!r}"
                )
        for t, s, e in preds:
            if any(s < g["end"] and g["start"] < e for g in golds):
                tp += 1
            else:
                fp += 1
                if misses is not None:
                    misses.append(
                        f"FALSE {t} {row['text'][s:e]!r} [{row.get('locale', '')}] {row['text']!r}"
                    )
    elapsed = time.perf_counter() - started
    total = sum(c["total"] for c in per_type.values())
    return {
        "sentences": n,
        "recall_typed": sum(c["typed"] for c in per_type.values()) / max(1, total),
        "recall_any": sum(c["any"] for c in per_type.values()) / max(1, total),
        "recall_exact": sum(c["exact"] for c in per_type.values()) / max(1, total),
        "precision": tp / max(1, tp + fp),
        "per_type": {
            t: {
                "total": c["total"],
                "recall_typed": c["typed"] / c["total"],
                "recall_any": c["any"] / c["total"],
                "recall_exact": c["exact"] / c["total"],
            }
            for t, c in sorted(per_type.items())
        },
        "recall_any_by_locale": {
            loc: round(c["any"] / c["total"], 3) for loc, c in sorted(per_locale.items()) if loc
        },
        "ms_per_sentence": 1000 * elapsed / max(1, n),
    }


def _rows(path: str | Path) -> Iterable[dict[str, Any]]:
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


def generated_rows(split: str) -> list[dict[str, Any]]:
    """The generated many-locale sentences of one half ("heldout", "tune") or of both ("all")."""
    return [r for r in generate() if split == "all" or r["split"] == split]


def message_scores(engine: PhiEngine | AnalyzerEngine, manifest_dir: str | Path) -> dict[str, Any]:
    """Message-level recall on phi and false-positive rate on clean messages of a corpus folder.

    For a stock AnalyzerEngine only the time per message is measured (it has no decision).
    """
    folder = Path(manifest_dir)
    rows = [
        json.loads(x) for x in (folder / "manifest.jsonl").read_text().splitlines() if x.strip()
    ]
    tp = fn = fp = tn = 0
    misses: list[str] = []
    false_alarms: list[str] = []
    elapsed = 0.0
    for row in rows:
        raw = (folder / row["file"]).read_bytes()
        parts = extract_message(raw).parts
        started = time.perf_counter()
        if isinstance(engine, PhiEngine):
            _, decision = engine.analyze(parts)
            phi = decision.phi
        else:
            for p in parts:
                engine.analyze(p.text, language="en")
            phi = False
        elapsed += time.perf_counter() - started
        if row["label"] == "phi":
            tp += phi
            fn += not phi
            if not phi:
                misses.append(f"{row['file']} {row['template']}")
        else:
            fp += phi
            tn += not phi
            if phi:
                false_alarms.append(f"{row['file']} {row['template']}")
    decided = isinstance(engine, PhiEngine)
    return {
        "messages": len(rows),
        "recall": tp / max(1, tp + fn) if decided else None,
        "false_positive_rate": fp / max(1, fp + tn) if decided else None,
        "misses": misses if decided else [],
        "false_alarms": false_alarms if decided else [],
        "ms_per_message": 1000 * elapsed / max(1, len(rows)),
    }


def main(argv: list[str]) -> int:
    """Print span and message scores for our engine and, with --stock, for stock presidio."""
    parser = argparse.ArgumentParser(prog="python -m bench.span_eval", description=__doc__)
    parser.add_argument("spans", type=Path, nargs="?", help="a labelled spans.jsonl file")
    parser.add_argument("corpus", type=Path, nargs="?", help="a corpus folder (manifest.jsonl)")
    parser.add_argument("--stock", action="store_true", help="also score stock presidio")
    parser.add_argument(
        "--generated", action="store_true", help="score bench/spans/generate.py's sentences"
    )
    parser.add_argument("--split", choices=("heldout", "tune", "all"), default="heldout")
    parser.add_argument(
        "--misses", action="store_true", help="list misses and false alarms (tune half only)"
    )
    args = parser.parse_args(argv)
    engine = PhiEngine()
    if args.generated:
        if args.misses and args.split != "tune":
            parser.error("--misses shows the tune half only: held-out templates are not tuned on")
        rows = generated_rows(args.split)
        found: list[str] | None = [] if args.misses else None
        scores = span_scores(engine, rows, found)
        print(json.dumps({f"generated_{args.split}": scores}, indent=1))
        for line in found or ():
            print(line)
        if args.stock:
            stock = stock_presidio_engine()
            print(json.dumps({"stock_generated": span_scores(stock, rows)}, indent=1))
        return 0
    if args.spans is None or args.corpus is None:
        parser.error("give SPANS and CORPUS, or --generated")
    print(json.dumps({"spans": span_scores(engine, args.spans)}, indent=1))
    print(json.dumps({"messages": message_scores(engine, args.corpus)}, indent=1))
    if args.stock:
        stock = stock_presidio_engine()
        print(json.dumps({"stock_spans": span_scores(stock, args.spans)}, indent=1))
        print(json.dumps({"stock_messages": message_scores(stock, args.corpus)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
