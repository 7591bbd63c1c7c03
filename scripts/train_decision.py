"""Train the learned PHI decision and write the shipped model file (detectors/model/decision_model.json).

The corpus is the one bench/lofo_eval.py evaluates on (every source, generated afresh with a
fixed seed); each message's findings come from the engine with the hand rules alone, exactly as
`detectors.decision.decide` sees them at run time. The model is an L2 logistic regression with
family- and label-balanced weights; its Platt scaling is fitted on out-of-fold log-odds from
folds of whole families, and the calibration of those out-of-fold probabilities (Brier score,
ECE) is printed and stored in the file. Held-out figures come from bench/lofo_eval.py, not here.

    .venv/bin/python scripts/train_decision.py [--out FILE] [--per-family 30] [--seed 7]
        [--l2 10] [--no-dev] [--findings-cache FILE]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.lofo_eval import INNER_FOLDS, matrix, scanned_corpus  # noqa: E402
from detectors.config import DecisionThresholds  # noqa: E402
from detectors.model.logistic import SHIPPED  # noqa: E402
from detectors.model.training import (  # noqa: E402
    L2,
    balanced_weights,
    brier,
    ece,
    family_fold,
    train,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=SHIPPED, help="model file to write")
    parser.add_argument("--per-family", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--l2", type=float, default=L2, help="L2 penalty of the weights")
    parser.add_argument("--no-dev", action="store_true", help="leave the shared dev corpus out")
    parser.add_argument("--findings-cache", type=Path)
    args = parser.parse_args(argv)
    scanned = scanned_corpus(args.per_family, args.seed, not args.no_dev, args.findings_cache)
    t = DecisionThresholds()
    x, y = matrix(scanned, t)
    families = [s.family for s in scanned]
    weights = balanced_weights([int(v) for v in y], families)
    model, oof = train(x, y, weights, [family_fold(f, INNER_FOLDS) for f in families], args.l2)
    calibration = {"brier": round(brier(oof, y), 4), "ece": round(ece(oof, y), 4)}
    sources = sorted({s.source for s in scanned})
    args.out.write_text(
        model.to_json(
            trained_by="scripts/train_decision.py",
            corpus={
                "messages": len(scanned),
                "families": len(set(families)),
                "sources": sources,
                "per_family": args.per_family,
                "seed": args.seed,
            },
            l2=args.l2,
            out_of_fold_calibration=calibration,
        )
    )
    top = sorted(zip(model.features, model.weights, strict=True), key=lambda kv: -abs(kv[1]))
    print(f"{len(scanned)} messages, {len(set(families))} families, sources {', '.join(sources)}")
    print(f"out-of-fold calibration: Brier {calibration['brier']}, ECE {calibration['ece']}")
    print(f"Platt a={model.platt_a:.3f} b={model.platt_b:.3f}; largest weights:")
    for name, w in top[:12]:
        print(f"  {name:<32} {w:+.3f}")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
