"""Training the PHI decision model: L2 logistic regression, Platt scaling and calibration figures.

Used by `scripts/train_decision.py` and `bench/lofo_eval.py` (never at run time, which only reads
the JSON weights). Messages are weighted so that every family counts the same and both labels
count the same: a family of 40 near-identical messages must not outweigh one of 15.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from detectors.model.features import FEATURES
from detectors.model.logistic import LogisticModel

Array = NDArray[np.float64]
# The L2 penalty of the shipped model and of every leave-family-out fold (chosen among 0.3, 3
# and 10 on the leave-family-out figures: the strongest penalty generalised best).
L2 = 10.0


def balanced_weights(labels: Sequence[int], families: Sequence[str]) -> Array:
    """Per-message weights: each family sums to the same, and each label sums to half the total."""
    size = Counter(families)
    fam_label = {f: y for f, y in zip(families, labels, strict=True)}
    per_label = Counter(fam_label.values())
    w = np.array(
        [1.0 / (size[f] * per_label[y]) for f, y in zip(families, labels, strict=True)],
        dtype=np.float64,
    )
    return w * (len(labels) / w.sum())


def fit_logistic(
    x: Array, y: Array, weights: Array | None = None, l2: float = 1.0, iterations: int = 50
) -> tuple[Array, float]:
    """Weighted L2-regularised logistic regression by Newton's method: (weights, bias).

    The bias is not regularised. Newton converges in a handful of steps on problems this small.
    """
    n, d = x.shape
    sw = np.ones(n) if weights is None else weights
    xb = np.hstack([x, np.ones((n, 1))])
    beta = np.zeros(d + 1)
    reg = np.full(d + 1, l2)
    reg[-1] = 0.0
    for _ in range(iterations):
        z = np.clip(xb @ beta, -30, 30)
        p = 1.0 / (1.0 + np.exp(-z))
        grad = xb.T @ (sw * (p - y)) + reg * beta
        hess = (xb * (sw * p * (1 - p))[:, None]).T @ xb + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta[:-1], float(beta[-1])


def fit_platt(z: Array, y: Array, weights: Array | None = None) -> tuple[float, float]:
    """Platt scaling: (a, b) with P(phi) = sigmoid(a z + b) fitted on held-out log-odds z."""
    a, b = fit_logistic(z.reshape(-1, 1), y, weights, l2=1e-3)
    slope = float(a[0])
    # A slope at or below zero means the held-out scores carry no ranking: keep the raw model.
    return (slope, b) if slope > 0 else (1.0, 0.0)


def train(
    x: Array, y: Array, weights: Array | None, folds: Sequence[int], l2: float = L2
) -> tuple[LogisticModel, Array]:
    """Fit on all rows, calibrate on out-of-fold log-odds; return the model and the OOF probabilities.

    `folds` gives each row's fold (rows of one family share a fold), so the calibration is fitted
    on scores of families the scoring model never saw.
    """
    fold_ids = np.asarray(folds)
    oof = np.zeros(len(y))
    for k in sorted(set(folds)):
        test = fold_ids == k
        w_k, b_k = fit_logistic(x[~test], y[~test], None if weights is None else weights[~test], l2)
        oof[test] = x[test] @ w_k + b_k
    a, b = fit_platt(oof, y, weights)
    w_all, b_all = fit_logistic(x, y, weights, l2)
    model = LogisticModel(FEATURES, tuple(float(v) for v in w_all), b_all, a, b)
    prob = 1.0 / (1.0 + np.exp(-np.clip(a * oof + b, -30, 30)))
    return model, prob


def family_fold(family: str, k: int) -> int:
    """A family's fold out of k, fixed by the SHA-256 of its name (independent of the others)."""
    return int.from_bytes(hashlib.sha256(family.encode()).digest()[:4], "big") % k


def brier(p: Array, y: Array) -> float:
    """Mean squared error of the probabilities (0 is perfect, 0.25 is a coin)."""
    return float(np.mean((p - y) ** 2))


def ece(p: Array, y: Array, bins: int = 10) -> float:
    """Expected calibration error over equal-width probability bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        sel = idx == b
        if sel.any():
            total += sel.sum() / len(p) * abs(float(p[sel].mean()) - float(y[sel].mean()))
    return float(total)
