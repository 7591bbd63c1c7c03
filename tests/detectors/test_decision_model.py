"""The learned PHI decision: the model file, features shared by training and run time, bands, explain."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from bench.lofo_eval import Scanned, matrix
from detectors.config import DecisionThresholds, DetectorConfig
from detectors.decision import decide, learned_decision, rule_decision
from detectors.findings import Finding
from detectors.model import features as features_module
from detectors.model.features import FEATURES
from detectors.model.logistic import FORMAT, SHIPPED, LogisticModel, ModelError, load_model
from detectors.model.training import balanced_weights, fit_logistic, train


def _f(entity: str, score: float, category: str = "identifier", part: str = "body") -> Finding:
    return Finding(entity, part, 0, 4, score, "test", "****", category)


def _model_file(tmp_path: Path, weights: dict[str, float], bias: float, a=1.0, b=0.0) -> str:
    """A model file with the given non-zero weights (every other feature weighs 0)."""
    doc = {
        "format": FORMAT,
        "features": list(FEATURES),
        "weights": [weights.get(name, 0.0) for name in FEATURES],
        "bias": bias,
        "platt": {"a": a, "b": b},
    }
    path = tmp_path / "model.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_the_shipped_model_loads_with_this_codes_features():
    """The shipped JSON names exactly the features the run time computes, with finite weights."""
    model = load_model(None)
    assert model.features == FEATURES
    assert len(model.weights) == len(FEATURES)
    assert all(math.isfinite(w) for w in model.weights)
    assert model.platt_a > 0
    doc = json.loads(SHIPPED.read_text())
    assert doc["trained_by"] == "scripts/train_decision.py"
    assert doc["corpus"]["families"] >= 40


def test_a_prediction_computed_by_hand(tmp_path: Path):
    """MRN 0.9 and a diagnosis 0.8 in one part, under a three-weight model: the sum done by hand."""
    path = _model_file(
        tmp_path, {"max:MRN": 2.0, "health_max": 1.5, "pair_same_part": 1.0}, bias=-3.0, a=0.5
    )
    t = DecisionThresholds(model_file=path)
    d = decide([_f("MRN", 0.9), _f("DIAGNOSIS", 0.8, "health")], t)
    # z = -3 + 2*0.9 + 1.5*0.8 + 1.0*(0.9*0.8) = 0.72; P = 1 / (1 + e^(-0.5 * 0.72))
    assert d.probability == pytest.approx(1 / (1 + math.exp(-0.36)), abs=1e-4)


def test_training_and_run_time_compute_the_same_features(tmp_path: Path):
    """A model trained on a tiny corpus gives, at run time, the log-odds training computed."""
    corpus = [
        Scanned("s", "f1", "phi", (_f("MRN", 0.9), _f("DIAGNOSIS", 0.8, "health")), False),
        Scanned("s", "f1", "phi", (_f("DOB", 0.85), _f("MEDICATION", 0.7, "health")), False),
        Scanned("s", "f2", "phi", (_f("PERSON", 0.7), _f("LAB_RESULT", 0.9, "health")), False),
        Scanned("s", "f3", "clean", (_f("PROVIDER_NAME", 0.9), _f("PHONE_NUMBER", 0.8)), False),
        Scanned("s", "f3", "clean", (_f("DATE_TIME", 0.6),), False),
        Scanned("s", "f4", "clean", (_f("MEDICATION", 0.7, "health"),), False),
    ]
    t = DecisionThresholds()
    x, y = matrix(corpus, t)
    fams = [s.family for s in corpus]
    model, _ = train(x, y, balanced_weights([int(v) for v in y], fams), [0, 0, 1, 1, 1, 0], l2=1.0)
    path = tmp_path / "m.json"
    path.write_text(model.to_json())
    run = DecisionThresholds(model_file=str(path))
    for row, s in zip(x, corpus, strict=True):
        z = float(row @ np.array(model.weights) + model.bias)
        expected = 1 / (1 + math.exp(-(model.platt_a * z + model.platt_b)))
        assert decide(s.findings, run).probability == pytest.approx(expected, abs=1e-4)


def test_logistic_regression_separates_a_separable_set():
    """Newton's method finds weights that put every positive above every negative."""
    x = np.array([[0.0], [0.1], [0.2], [0.8], [0.9], [1.0]])
    y = np.array([0.0, 0, 0, 1, 1, 1])
    w, b = fit_logistic(x, y, l2=0.01)
    z = x[:, 0] * w[0] + b
    assert z[:3].max() < 0 < z[3:].min()


@pytest.mark.parametrize(
    ("phi_p", "uncertain_p", "band"),
    (
        (0.5, 0.3, "phi"),  # P ~ 0.62
        (0.7, 0.5, "uncertain"),
        (0.9, 0.7, "clean"),
    ),
)
def test_bands_follow_the_configured_thresholds(
    tmp_path: Path, phi_p: float, uncertain_p: float, band: str
):
    """The same probability is phi, uncertain or clean by DecisionThresholds alone."""
    path = _model_file(tmp_path, {"health_max": 1.0}, bias=-0.3)
    t = DecisionThresholds(
        model_file=path, phi_probability=phi_p, uncertain_probability=uncertain_p
    )
    d = decide([_f("DIAGNOSIS", 0.8, "health")], t)
    assert d.probability == pytest.approx(1 / (1 + math.exp(-0.5)), abs=1e-4)
    assert d.band == band
    assert d.phi is (band == "phi")


def test_uncertain_threshold_above_phi_threshold_is_refused():
    """A band order that makes no sense is a configuration error."""
    with pytest.raises(ValidationError, match="uncertain_probability"):
        DecisionThresholds(phi_probability=0.4, uncertain_probability=0.6)


def test_the_hand_rules_are_a_floor(tmp_path: Path):
    """What the rules call PHI stays PHI under a model that says no to everything."""
    path = _model_file(tmp_path, {}, bias=-20.0)
    t = DecisionThresholds(model_file=path)
    findings = [_f("MRN", 0.9), _f("DIAGNOSIS", 0.8, "health")]
    assert rule_decision(findings, t).phi
    d = decide(findings, t)
    assert d.probability is not None and d.probability < 0.01
    assert d.phi and d.band == "phi"
    assert any("floor" in r for r in d.reasons)


def test_learned_off_decides_by_the_rules_alone():
    """`learned: false` gives the rules' verdict with no probability."""
    t = DecisionThresholds(learned=False)
    d = decide([_f("DIAGNOSIS", 0.8, "health")], t)
    assert d.probability is None and d.band == "clean" and not d.phi


def test_explain_names_the_features_that_pushed(tmp_path: Path):
    """Reasons and contributions name the features with the largest push, signed, no text."""
    path = _model_file(
        tmp_path, {"max:DOB": 3.0, "health_max": 2.0, "count:PROVIDER_NAME": -1.0}, bias=-2.0
    )
    t = DecisionThresholds(model_file=path)
    d = decide([_f("DOB", 0.9), _f("DIAGNOSIS", 0.8, "health"), _f("PROVIDER_NAME", 0.9)], t)
    assert d.contributions[0][0] == "max:DOB"
    assert d.contributions[0][1] == pytest.approx(2.7, abs=1e-3)
    pushed = next(r for r in d.reasons if r.startswith("pushed towards PHI by:"))
    assert pushed.index("max:DOB") < pushed.index("health_max")
    held = next(r for r in d.reasons if r.startswith("held back by:"))
    assert "count:PROVIDER_NAME" in held
    assert d.reasons[0].startswith("learned model: P(PHI)")


@pytest.mark.parametrize(
    ("text", "error"),
    (
        ("not json", "not a decision model file"),
        ('{"format": "other"}', "format is 'other'"),
        (
            json.dumps(
                {"format": FORMAT, "features": ["x"], "weights": [1], "bias": 0,
                 "platt": {"a": 1, "b": 0}}
            ),
            "features differ",
        ),
        (
            json.dumps(
                {"format": FORMAT, "features": list(FEATURES), "weights": [0.0] * len(FEATURES),
                 "bias": 0, "platt": {"a": -1, "b": 0}}
            ),
            "Platt slope",
        ),
    ),
)  # fmt: skip
def test_a_bad_model_file_is_refused_naming_the_file(tmp_path: Path, text: str, error: str):
    """Fail closed: an unusable model file is a configuration error, never a silent default."""
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ValidationError, match=error) as info:
        DetectorConfig(decision=DecisionThresholds(model_file=str(path)))
    assert "bad.json" in str(info.value)


def test_a_missing_model_file_raises_at_decision_time(tmp_path: Path):
    """A model that vanished after start-up is an error (the pipeline answers 451), not a pass."""
    path = _model_file(tmp_path, {}, bias=0.0)
    t = DecisionThresholds(model_file=path)
    load_model.cache_clear()
    Path(path).unlink()
    with pytest.raises(ModelError, match="cannot read"):
        learned_decision([], t, rule_decision([], t))


def test_a_model_round_trips_through_its_json():
    """to_json and the loader agree on every number."""
    model = LogisticModel(FEATURES, tuple(0.5 for _ in FEATURES), -1.25, 0.9, 0.1)
    doc = json.loads(model.to_json(note="x"))
    assert doc["bias"] == -1.25 and doc["platt"] == {"a": 0.9, "b": 0.1} and doc["note"] == "x"


@pytest.mark.parametrize(
    ("n", "squashed"), [(0, 0.0), (1, 0.2891), (3, 0.5781), (9, 0.9603), (10, 1.0), (250, 1.0)]
)
def test_counts_are_squashed_by_log1p_over_log_11(n: int, squashed: float) -> None:
    """The features' count squash (ln(1 + n) / ln 11, at most 1), worked by hand; counts up to
    10 come from a table made once."""
    assert features_module._count(n) == pytest.approx(squashed, abs=5e-5)
