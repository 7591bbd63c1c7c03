"""Leave-family-out evaluation of the learned PHI decision, over every corpus source.

The labelled corpus comes from several independent sources (see `collect`): the families of
bench/corpus/generate.py, the ones of bench/corpus/independent.py (new templates, deidgate's
synthetic notes, CPython's e-mail test messages and Debian changelog mail as clean), those of
bench/corpus/fresh.py (sparse-identifier notes and clean mail naming drugs, lots, rooms and beds),
those of bench/corpus/unseen.py, unseen_e.py, unseen_f.py, unseen_g.py, unseen_h.py,
unseen_i.py, unseen_j.py, unseen_k.py, unseen_l.py, unseen_m.py, unseen_n.py, unseen_o.py,
unseen_p.py, unseen_q.py, unseen_r.py and unseen_s.py (everyday practice mail, for k health-IT mail with structured data, for
l PHI inside containers and rich formats, for m clinic mail in other languages, for n terse,
informal and sensitive-care mail, for o specialty, dental and cash-pay practices and their
systems, for p population health and care management, for q incidental PHI in operational mail,
for r laboratories, imaging and specialty pharmacy, for s pediatrics with schools, camps and
parents; written without reading the recognizers),
and the shared dev corpus. Every message goes once through phigate's extraction and engine with the hand rules
alone, which gives its findings. Then, for every family in turn, a logistic model is trained
(with Platt scaling fitted on inner family folds) on all the *other* families, and the held-out
family's messages are decided by exactly the run-time code (`detectors.decision.learned_decision`)
with that fold's model. So no figure below comes from a family the model saw.

A message counts as flagged when its band is phi or uncertain (the shipped policy protects both
for outsiders) or a part could not be read. Printed: recall and false-positive rate overall, per
source and per family, the worst family, the same for the phi band alone and for the hand rules
alone, and the calibration (Brier score, expected calibration error) of the held-out
probabilities, against issue 10's targets.

    .venv/bin/python bench/lofo_eval.py [--per-family 30] [--seed 7] [--no-dev] [--json]
        [--findings-cache FILE] [--misses [FAMILY ...]]
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.corpus import (  # noqa: E402
    fresh,
    independent,
    unseen,
    unseen_e,
    unseen_f,
    unseen_g,
    unseen_h,
    unseen_i,
    unseen_j,
    unseen_k,
    unseen_l,
    unseen_m,
    unseen_n,
    unseen_o,
    unseen_p,
    unseen_q,
    unseen_r,
    unseen_s,
)
from bench.corpus.generate import generate  # noqa: E402
from detectors.config import DecisionThresholds, DetectorConfig  # noqa: E402
from detectors.decision import learned_decision, rule_decision  # noqa: E402
from detectors.engine import PhiEngine  # noqa: E402
from detectors.extract import extract_message  # noqa: E402
from detectors.findings import Finding  # noqa: E402
from detectors.model.features import features  # noqa: E402
from detectors.model.training import (  # noqa: E402
    balanced_weights,
    brier,
    ece,
    family_fold,
    train,
)

SHARED_DEV = REPO.parent / "shared" / "corpus" / "dev"
TARGET_RECALL = 0.99
TARGET_FPR = 0.02
TARGET_WORST_FAMILY = 0.95
INNER_FOLDS = 5


@dataclass(frozen=True)
class Labelled:
    """One labelled message: where it came from, its family and label, and its bytes."""

    source: str
    family: str
    label: str
    raw: bytes


@dataclass(frozen=True)
class Scanned:
    """A labelled message after the engine: its findings and whether a part was unreadable."""

    source: str
    family: str
    label: str
    findings: tuple[Finding, ...]
    unscannable: bool


def _manifest(folder: Path, source: str | None) -> list[Labelled]:
    out = []
    for line in (folder / "manifest.jsonl").read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            src = source or str(row.get("source", folder.name)).split(":")[0]
            out.append(
                Labelled(
                    src,
                    f"{src}/{row['category']}",
                    row["label"],
                    (folder / row["file"]).read_bytes(),
                )
            )
    return out


def collect(per_family: int, seed: int, *, dev: bool = True) -> list[Labelled]:
    """Every source's labelled messages, generated afresh (deterministic for a seed)."""
    with tempfile.TemporaryDirectory() as tmp:
        a = Path(tmp) / "a"
        generate(a, per_family, seed)
        cases = _manifest(a, "templates-a")
        for name, build in (
            ("b", independent.build),
            ("c", fresh.build),
            ("d", unseen.build),
            ("e", unseen_e.build),
            ("f", unseen_f.build),
            ("g", unseen_g.build),
            ("h", unseen_h.build),
            ("i", unseen_i.build),
            ("j", unseen_j.build),
            ("k", unseen_k.build),
            ("l", unseen_l.build),
            ("m", unseen_m.build),
            ("n", unseen_n.build),
            ("o", unseen_o.build),
            ("p", unseen_p.build),
            ("q", unseen_q.build),
            ("r", unseen_r.build),
            ("s", unseen_s.build),
        ):
            out = Path(tmp) / name
            rows = build(out, per_family, seed)
            (out / "manifest.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
            cases += _manifest(out, None)
    if dev and SHARED_DEV.is_dir():
        cases += _manifest(SHARED_DEV, "shared-dev")
    return cases


def scan(cases: Sequence[Labelled]) -> list[Scanned]:
    """Run extraction and the engine (hand rules only, as in training) over every message."""
    t = DecisionThresholds(learned=False)
    engine = PhiEngine(DetectorConfig(decision=t))
    out = []
    for case in cases:
        extraction = extract_message(case.raw)
        found, _ = engine.analyze(extraction.parts)
        out.append(
            Scanned(
                case.source, case.family, case.label, tuple(found), bool(extraction.unscannable)
            )
        )
    return out


def matrix(scanned: Sequence[Scanned], t: DecisionThresholds) -> tuple[np.ndarray, np.ndarray]:
    """Feature matrix and labels (1 = phi) of scanned messages, as training sees them."""
    rows = []
    for s in scanned:
        rules = rule_decision(s.findings, t)
        rows.append(features(s.findings, t, rules.score, rules.phi))
    y = np.array([1.0 if s.label == "phi" else 0.0 for s in scanned])
    return np.array(rows, dtype=np.float64), y


def leave_family_out(scanned: Sequence[Scanned], t: DecisionThresholds) -> list[dict[str, object]]:
    """Each message decided by a model trained without its family: band, probability, rule verdict."""
    x, y = matrix(scanned, t)
    families = [s.family for s in scanned]
    results: list[dict[str, object]] = [{} for _ in scanned]
    for held in sorted(set(families)):
        test = np.array([f == held for f in families])
        train_fams = [f for f, hold in zip(families, test, strict=True) if not hold]
        w = balanced_weights([int(v) for v in y[~test]], train_fams)
        folds = [family_fold(f, INNER_FOLDS) for f in train_fams]
        model, _ = train(x[~test], y[~test], w, folds)
        for i in (int(k) for k in np.flatnonzero(test)):
            s = scanned[i]
            rules = rule_decision(s.findings, t)
            d = learned_decision(s.findings, t, rules, model)
            results[i] = {
                "band": d.band,
                "probability": d.probability,
                "rule_phi": rules.phi,
                "unscannable": s.unscannable,
            }
    return results


def _rates(idx: Sequence[int], scanned: Sequence[Scanned], flagged: Sequence[bool]) -> dict:
    phi = [i for i in idx if scanned[i].label == "phi"]
    clean = [i for i in idx if scanned[i].label == "clean"]
    fams: dict[str, list[int]] = defaultdict(list)
    for i in phi:
        fams[scanned[i].family].append(i)
    per_family = {f: sum(flagged[i] for i in m) / len(m) for f, m in fams.items()}
    worst = min(per_family.items(), key=lambda kv: kv[1]) if per_family else None
    return {
        "phi_messages": len(phi),
        "clean_messages": len(clean),
        "recall": round(sum(flagged[i] for i in phi) / len(phi), 4) if phi else None,
        "false_positive_rate": (
            round(sum(flagged[i] for i in clean) / len(clean), 4) if clean else None
        ),
        "worst_family": {"family": worst[0], "recall": round(worst[1], 4)} if worst else None,
    }


def summarise(scanned: Sequence[Scanned], results: Sequence[dict[str, object]]) -> dict:
    """Overall, per-source and per-family figures for the learned bands and the hand rules."""
    learned = [r["band"] != "clean" or bool(r["unscannable"]) for r in results]
    phi_band = [r["band"] == "phi" or bool(r["unscannable"]) for r in results]
    rules = [bool(r["rule_phi"]) or bool(r["unscannable"]) for r in results]
    everything = range(len(scanned))
    sources = sorted({s.source for s in scanned})
    p = np.array([float(r["probability"] or 0.0) for r in results])  # type: ignore[arg-type]
    y = np.array([1.0 if s.label == "phi" else 0.0 for s in scanned])
    fams: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(scanned):
        fams[s.family].append(i)
    return {
        "messages": len(scanned),
        "families": len(fams),
        "phi_families": len({s.family for s in scanned if s.label == "phi"}),
        "sources": {src: sum(1 for s in scanned if s.source == src) for src in sources},
        "learned": _rates(everything, scanned, learned),
        "phi_band_only": _rates(everything, scanned, phi_band),
        "rules_only": _rates(everything, scanned, rules),
        "per_source": {
            src: {
                "learned": _rates(
                    [i for i in everything if scanned[i].source == src], scanned, learned
                ),
                "rules_only": _rates(
                    [i for i in everything if scanned[i].source == src], scanned, rules
                ),
            }
            for src in sources
        },
        "calibration": {"brier": round(brier(p, y), 4), "ece": round(ece(p, y), 4)},
        "bands": {
            b: sum(1 for r in results if r["band"] == b) for b in ("phi", "uncertain", "clean")
        },
        "per_family": [
            {
                "family": f,
                "label": scanned[m[0]].label,
                "messages": len(m),
                "learned": round(sum(learned[i] for i in m) / len(m), 4),
                "uncertain": round(sum(results[i]["band"] == "uncertain" for i in m) / len(m), 4),
                "rules_only": round(sum(rules[i] for i in m) / len(m), 4),
            }
            for f, m in sorted(fams.items())
        ],
    }


def render(summary: dict) -> str:
    """The per-family table, then the figures against the issue's targets."""
    lines = [f"{'family':<48} {'label':<6} {'msgs':>5} {'learned':>8} {'uncert':>7} {'rules':>6}"]
    for f in sorted(summary["per_family"], key=lambda f: (f["label"], f["learned"], f["family"])):
        lines.append(
            f"{f['family']:<48} {f['label']:<6} {f['messages']:>5} {f['learned']:>8.3f} "
            f"{f['uncertain']:>7.3f} {f['rules_only']:>6.3f}"
        )
    lines.append(
        f"{summary['messages']} messages, {summary['families']} families "
        f"({summary['phi_families']} PHI), sources {summary['sources']}"
    )
    for name in ("learned", "phi_band_only", "rules_only"):
        g = summary[name]
        lines.append(
            f"{name:<14} recall {g['recall']}  FPR {g['false_positive_rate']}  worst PHI family "
            f"{g['worst_family']['family']} at {g['worst_family']['recall']}"
        )
    for src, g in summary["per_source"].items():
        lr, ru = g["learned"], g["rules_only"]
        lines.append(
            f"  {src:<22} learned recall {lr['recall']} FPR {lr['false_positive_rate']} | "
            f"rules recall {ru['recall']} FPR {ru['false_positive_rate']}"
        )
    c = summary["calibration"]
    lines.append(f"calibration of held-out P(PHI): Brier {c['brier']}, ECE {c['ece']}")
    lines.append(f"bands: {summary['bands']}")
    g = summary["learned"]
    ok = (
        (g["recall"] or 0) >= TARGET_RECALL
        and (g["false_positive_rate"] or 1) <= TARGET_FPR
        and g["worst_family"]["recall"] >= TARGET_WORST_FAMILY
    )
    lines.append(
        f"targets (leave-family-out): recall >= {TARGET_RECALL}, FPR <= {TARGET_FPR}, no family "
        f"below {TARGET_WORST_FAMILY}: {'MET' if ok else 'NOT MET'}"
    )
    lines.append(f"scan {summary['scan_seconds']} s, folds {summary['fold_seconds']} s")
    return "\n".join(lines)


def misses(
    scanned: Sequence[Scanned], results: Sequence[dict[str, object]], families: Sequence[str]
) -> str:
    """Every PHI message left clean and clean message flagged, with its findings (no text).

    `families` narrows the list to those families (or sources) when it is not empty. Each line
    names the family, the message's index within it, the held-out P(PHI) and its findings as
    entity/recognizer/score, so a miss can be regenerated and read with the same seed.
    """
    lines = []
    seen: dict[str, int] = defaultdict(int)
    for s, r in zip(scanned, results, strict=True):
        k = seen[s.family]
        seen[s.family] += 1
        if families and s.family not in families and s.source not in families:
            continue
        flagged = r["band"] != "clean" or bool(r["unscannable"])
        if flagged == (s.label == "phi"):
            continue
        what = "MISS" if s.label == "phi" else "FP"
        found = " ".join(f"{f.entity}/{f.recognizer}/{f.score:.2f}@{f.part}" for f in s.findings)
        p = float(r["probability"] or 0.0)  # type: ignore[arg-type]
        lines.append(f"{what} {s.family}#{k} P={p:.2f} {found}")
    return "\n".join(lines)


def scanned_corpus(per_family: int, seed: int, dev: bool, cache: Path | None) -> list[Scanned]:
    """The scanned corpus, from `cache` when it holds one for these arguments."""
    key = {"per_family": per_family, "seed": seed, "dev": dev}
    if cache and cache.is_file():
        stored = pickle.loads(cache.read_bytes())
        if stored["key"] == key:
            return [Scanned(*row) for row in stored["scanned"]]
    scanned = scan(collect(per_family, seed, dev=dev))
    if cache:
        rows = [(s.source, s.family, s.label, s.findings, s.unscannable) for s in scanned]
        cache.write_bytes(pickle.dumps({"key": key, "scanned": rows}))
    return scanned


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-family", type=int, default=30, help="generated messages per family")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-dev", action="store_true", help="leave the shared dev corpus out")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--findings-cache", type=Path, help="keep the scanned corpus in this file between runs"
    )
    parser.add_argument(
        "--misses",
        nargs="*",
        metavar="FAMILY",
        help="also list missed PHI and flagged clean messages (of these families or sources)",
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    scanned = scanned_corpus(args.per_family, args.seed, not args.no_dev, args.findings_cache)
    t1 = time.perf_counter()
    results = leave_family_out(scanned, DecisionThresholds())
    summary = summarise(scanned, results)
    summary["scan_seconds"] = round(t1 - t0, 1)
    summary["fold_seconds"] = round(time.perf_counter() - t1, 1)
    print(json.dumps(summary) if args.json else render(summary))
    if args.misses is not None:
        print(misses(scanned, results, args.misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
