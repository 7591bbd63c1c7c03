"""bench/scan_speed.py splits its figures by the manifest's label: what a clean message costs,
what a PHI one costs, and how many of each reach NER (issue 14: clean mail should cost little).

The two messages are written here so that the expected split is known without the engine's
figures: the clean one is a staff notice full of clinical words and names no one (the rules cannot
call it PHI, so it goes on to NER); the PHI one names a patient with an MRN and a date of birth
(PHI by the hand rules at once, so NER never runs).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.scan_speed import main

CLEAN = b"""From: Practice Manager <manager@practice.example>
To: staff@practice.example
Subject: Staff flu clinic

Hello all,

The staff influenza vaccine clinic runs on Tuesday in room 4. New diabetes education leaflets
and the asthma action plan templates are in the shared drive.

Thanks
"""
PHI = b"""From: Front Desk <frontdesk@practice.example>
To: billing@partner.example
Subject: Claim follow-up

Patient: Maria Garcia, MRN 48213377, DOB 03/14/1961.
Diagnosis: type 2 diabetes mellitus (E11.9). Please resubmit the claim.
"""


def test_figures_are_split_by_label(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "clean.eml").write_bytes(CLEAN)
    (tmp_path / "phi.eml").write_bytes(PHI)
    (tmp_path / "manifest.jsonl").write_text(
        '{"file": "clean.eml", "label": "clean", "category": "staff_notice"}\n'
        '{"file": "phi.eml", "label": "phi", "category": "claim"}\n'
    )
    args = ["--corpus", str(tmp_path), "--per-family", "0", "--skip-stock", "--skip-startup"]
    assert main(args) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["messages"] == 2
    assert figures["phigate_flagged"] == 1
    assert figures["phigate_ms_per_clean_message"] > 0
    assert figures["phigate_ms_per_phi_message"] > 0
    assert figures["ner_clean_messages_pct"] == 100.0
    assert figures["ner_phi_messages_pct"] == 0.0
    assert figures["ner_messages_pct"] == 50.0
    assert not any(key.startswith("stock_") for key in figures)
