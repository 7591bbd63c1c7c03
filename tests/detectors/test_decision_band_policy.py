"""The uncertain band drives the shipped policy: protected for outsiders, delivered inside."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detectors.config import DecisionThresholds, DetectorConfig
from detectors.model.features import FEATURES
from detectors.model.logistic import FORMAT
from gateway.config import GroupSettings
from gateway.detect import PhiDetector
from gateway.message import RfcParser
from gateway.model import Detection, Envelope
from gateway.policy.facts import Groups
from gateway.policy.rules import RulePolicy, load_policy
from gateway.policy.shipped import shipped_root

ACTIONS = ["deliver", "encrypt", "portal", "block", "quarantine", "consent_allow", "tag"]
GROUPS = Groups(
    {
        "internal": GroupSettings(domains=("practice.example",)),
        "business_associates": GroupSettings(domains=("lab.example",)),
        "patients": GroupSettings(addresses=("pat@home.example",)),
    }
)
# Health information and no patient identifier: the hand rules call it clean.
RAW = (
    b"From: Robin Staff <robin@practice.example>\r\nTo: someone@partner.example\r\n"
    b"Subject: question\r\nMessage-ID: <u1@practice.example>\r\n\r\n"
    b"Started metformin 500 mg twice daily for type 2 diabetes; HbA1c 8.4%.\r\n"
)
OUTSIDER = "someone@partner.example"
INSIDER = "colleague@practice.example"


def _policy() -> RulePolicy:
    doc = load_policy(shipped_root() / "default.yaml", ACTIONS, GROUPS.names())
    return RulePolicy(doc, GROUPS)


def _routes(detection: Detection) -> dict[str, tuple[str, str]]:
    policy = _policy()
    parsed = RfcParser().parse(RAW)
    envelope = Envelope("robin@practice.example", (OUTSIDER, INSIDER))
    facts = policy.facts(parsed, envelope, detection)
    decision = policy.decide(parsed, envelope, detection, facts)
    return {
        r: (route.step.action, route.rule) for route in decision.routes for r in route.recipients
    }


@pytest.mark.parametrize(
    ("band", "outsider"),
    (
        ("uncertain", ("encrypt", "uncertain-elsewhere")),
        ("clean", ("deliver", "no-phi")),
    ),
)
def test_shipped_policy_protects_uncertain_mail_for_outsiders(band: str, outsider: tuple[str, str]):
    """Uncertain mail is encrypted for an outsider; the same mail called clean is delivered."""
    routes = _routes(Detection(phi=False, score=0.6, band=band))
    assert routes[OUTSIDER] == outsider
    assert routes[INSIDER] == ("deliver", "internal")


def test_a_real_scan_in_the_uncertain_band_reaches_the_policy(tmp_path: Path):
    """The detector's band (from a configured model) becomes the fact the phi_band rule tests."""
    model = tmp_path / "m.json"
    weights = [1.0 if name == "health_max" else 0.0 for name in FEATURES]
    model.write_text(
        json.dumps(
            {"format": FORMAT, "features": list(FEATURES), "weights": weights, "bias": -0.3,
             "platt": {"a": 1.0, "b": 0.0}}
        )
    )  # fmt: skip
    config = DetectorConfig(
        decision=DecisionThresholds(
            model_file=str(model), phi_probability=0.95, uncertain_probability=0.5
        )
    )
    detection = PhiDetector(config).detect(
        RfcParser().parse(RAW), Envelope("robin@practice.example", (OUTSIDER,))
    )
    assert not detection.phi
    assert detection.band == "uncertain"
    assert _routes(detection)[OUTSIDER] == ("encrypt", "uncertain-elsewhere")
