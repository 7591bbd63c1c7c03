"""The shipped, calibrated logistic-regression PHI model: loading it and scoring one feature vector.

The model is a JSON data file (`decision_model.json` beside this module), written by
`scripts/train_decision.py`: feature names, weights, bias, and the Platt scaling (a, b) that
turns the raw log-odds z into a calibrated probability sigmoid(a * z + b). Run time needs nothing
but this file and the standard library. A file that is missing, malformed or whose features do
not match the ones this code computes is refused (ModelError), never replaced by a default.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from detectors.model.features import FEATURES

SHIPPED = Path(__file__).resolve().parent / "decision_model.json"
FORMAT = "phigate-logreg-1"


class ModelError(ValueError):
    """The decision model file cannot be used (names the file and what is wrong)."""

    code = "model-file"


def sigmoid(z: float) -> float:
    """The logistic function, without overflow for large |z|."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(frozen=True)
class LogisticModel:
    """Weights over named features, a bias, and Platt scaling of the log-odds."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    platt_a: float = 1.0
    platt_b: float = 0.0

    def logit(self, x: Sequence[float]) -> float:
        """The raw log-odds of PHI for a feature vector."""
        return self.bias + sum(w * v for w, v in zip(self.weights, x, strict=True))

    def probability(self, x: Sequence[float]) -> float:
        """The calibrated probability that the message carries PHI."""
        return sigmoid(self.platt_a * self.logit(x) + self.platt_b)

    def contributions(self, x: Sequence[float]) -> list[tuple[str, float]]:
        """Each non-zero feature's push on the calibrated log-odds, largest push first."""
        out = [
            (name, self.platt_a * w * v)
            for name, w, v in zip(self.features, self.weights, x, strict=True)
            if w * v
        ]
        return sorted(out, key=lambda item: -abs(item[1]))

    def to_json(self, **meta: object) -> str:
        """The model as the JSON data file (with any training metadata)."""
        doc = {
            "format": FORMAT,
            "features": list(self.features),
            "weights": [round(w, 6) for w in self.weights],
            "bias": round(self.bias, 6),
            "platt": {"a": round(self.platt_a, 6), "b": round(self.platt_b, 6)},
            **meta,
        }
        return json.dumps(doc, indent=1) + "\n"


def parse_model(text: str, source: str) -> LogisticModel:
    """A model from the JSON text of a model file; ModelError names `source` when it is unusable."""
    try:
        doc = json.loads(text)
        if doc.get("format") != FORMAT:
            raise ModelError(f"{source}: format is {doc.get('format')!r}, expected {FORMAT!r}")
        names = tuple(str(n) for n in doc["features"])
        weights = tuple(float(w) for w in doc["weights"])
        model = LogisticModel(
            names, weights, float(doc["bias"]), float(doc["platt"]["a"]), float(doc["platt"]["b"])
        )
    except ModelError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelError(f"{source}: not a decision model file ({exc})") from exc
    if names != FEATURES:
        missing = sorted(set(FEATURES) - set(names))
        extra = sorted(set(names) - set(FEATURES))
        raise ModelError(
            f"{source}: its features differ from this code's (missing {missing[:5]}, "
            f"unknown {extra[:5]}); retrain with scripts/train_decision.py"
        )
    if len(weights) != len(names):
        raise ModelError(f"{source}: {len(weights)} weights for {len(names)} features")
    if not all(math.isfinite(v) for v in (*weights, model.bias, model.platt_a, model.platt_b)):
        raise ModelError(f"{source}: a weight is not a finite number")
    if model.platt_a <= 0:
        raise ModelError(f"{source}: Platt slope must be positive (got {model.platt_a})")
    return model


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> LogisticModel:
    """Load a model file once per worker (the shipped one when `path` is None)."""
    file = Path(path) if path else SHIPPED
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelError(f"{file}: cannot read the decision model ({exc.strerror})") from exc
    return parse_model(text, str(file))
