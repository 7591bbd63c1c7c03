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


def _two_messages(tmp_path: Path) -> list[str]:
    """Write the clean and the PHI message with their manifest; the arguments that scan them
    alone (no generated corpus, no stock Presidio, no start-up)."""
    (tmp_path / "clean.eml").write_bytes(CLEAN)
    (tmp_path / "phi.eml").write_bytes(PHI)
    (tmp_path / "manifest.jsonl").write_text(
        '{"file": "clean.eml", "label": "clean", "category": "staff_notice"}\n'
        '{"file": "phi.eml", "label": "phi", "category": "claim"}\n'
    )
    return ["--corpus", str(tmp_path), "--per-family", "0", "--skip-stock", "--skip-startup"]


def test_figures_are_split_by_label(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _two_messages(tmp_path)
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


ATTACHED = b"""From: Front Desk <frontdesk@practice.example>
To: billing@partner.example
Subject: Supplies
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

The order form is attached.
--b1
Content-Type: text/csv; name="order.csv"
Content-Disposition: attachment; filename="order.csv"

item,count
gloves,12
--b1--
"""


def _stages(tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, bytes]) -> dict:
    rows = []
    for name, raw in files.items():
        (tmp_path / name).write_bytes(raw)
        label = "phi" if raw is PHI else "clean"
        rows.append(f'{{"file": "{name}", "label": "{label}", "category": "c"}}\n')
    (tmp_path / "manifest.jsonl").write_text("".join(rows))
    args = ["--corpus", str(tmp_path), "--per-family", "0", "--skip-stock", "--skip-startup"]
    assert main([*args, "--stages", "--repeat", "2"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_stages_count_each_kind_of_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each message is a subject, its header fields and a body; one also has a CSV attachment,
    whose text and file name are read as one text (one text per part: gateway.detect's
    merge_parts). NER runs for the clean staff notice."""
    figures = _stages(tmp_path, capsys, {"clean.eml": CLEAN, "phi.eml": PHI, "att.eml": ATTACHED})
    texts = figures["texts_per_message"]
    assert texts["subject"] == 1.0
    assert texts["header"] == 1.0
    assert texts["body"] == 1.0
    # one message of three has one attachment
    assert texts["attachment"] == round(1 / 3, 2)
    stages = figures["stages_ms_per_message"]
    assert set(stages) == {
        "extract",
        "recognizers_subject",
        "recognizers_header",
        "recognizers_body",
        "recognizers_attachment",
        "ner",
        "roles_and_decision",
        "record",
    }
    assert stages["ner"] > 0


def test_no_ner_stage_when_every_message_is_decided_early(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = _stages(tmp_path, capsys, {"phi.eml": PHI})
    assert figures["stages_ms_per_message"]["ner"] == 0.0
    assert "attachment" not in figures["texts_per_message"]


def test_batch_curve_has_every_size_against_batches_of_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--batch-sizes` times scans in batches of each size given, plus batches of one (the
    baseline of the ratios) even when not asked for."""
    args = _two_messages(tmp_path)
    assert main([*args, "--batch-sizes", "2,3"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    ms = figures["batch_cpu_ms_per_message"]
    ratios = figures["batch_ratio_to_one"]
    assert list(ms) == ["1", "2", "3"]
    assert all(value > 0 for value in ms.values())
    assert ratios["1"] == 1.0
    for size in ("2", "3"):
        # the ratio is worked out before the figures are rounded to three places
        assert ratios[size] == pytest.approx(ms["1"] / ms[size], rel=0.01)


@pytest.mark.parametrize("given", ["0", "2,0", "two", "2,,4"])
def test_a_batch_size_that_is_no_whole_number_of_one_or_more_is_refused(
    given: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--skip-stock", "--skip-startup", "--batch-sizes", given])
    assert stopped.value.code == 2
    assert "--batch-sizes" in capsys.readouterr().err
