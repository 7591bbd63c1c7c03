"""The relay benchmark's realistic mix (--mix) and detection's share (--detection-share)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.relay import LoadResult, Measurement, RelayResult, detection_shares, load_mix
from tests.support.bench import phigate_serve_available, run_script

MESSAGES = 12


def _corpus(folder: Path) -> Path:
    folder.mkdir()
    (folder / "a.eml").write_bytes(b"Subject: a\n\n.starts with a dot\nplain\n")
    (folder / "b.eml").write_bytes(b"Subject: b\r\n\r\nno final line end")
    (folder / "notes.txt").write_text("not a message")
    return folder


def test_mix_messages_are_sent_as_data_carries_them(tmp_path: Path) -> None:
    """Each .eml in turn, CRLF line ends, a final CRLF, leading dots doubled; nothing else."""
    messages = load_mix([str(_corpus(tmp_path / "c"))])
    assert messages == [
        b"Subject: a\r\n\r\n..starts with a dot\r\nplain\r\n",
        b"Subject: b\r\n\r\nno final line end\r\n",
    ]


@pytest.mark.skipif(not phigate_serve_available(), reason="phigate serve is not available")
def test_mixed_run_delivers_every_message_and_reports_detection_share(tmp_path: Path) -> None:
    """Real messages through bare and phigate (PHI detector and null): all delivered, a share."""
    corpus = _corpus(tmp_path / "c")
    proc = run_script(
        "relay.py",
        "--messages",
        str(MESSAGES),
        "--concurrency",
        "3",
        "--workers-list",
        "1",
        "--warmup",
        "3",
        "--detector",
        "phi",
        "--detection-share",
        "--mix",
        str(corpus),
        timeout=300,
    )
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert summary["delivered"] == {
        "bare": MESSAGES,
        "phigate_1w": MESSAGES,
        "phigate_1w_null": MESSAGES,
    }
    assert "load generator: python" in proc.stdout
    assert f"messages from {corpus}" in proc.stdout
    share = summary["detection_cpu_share"]["1w"]
    assert isinstance(share, float) and share < 1


def test_detection_share_compares_cpu_per_message_of_the_same_worker_count() -> None:
    """1 - null CPU per message / PHI CPU per message, matched by name; others left out."""

    def result(name: str, workers: int, cpu: float, delivered: int) -> RelayResult:
        load = LoadResult(1.0, delivered, 0.1, 0, "")
        return RelayResult(
            name, workers, (Measurement(1.0, delivered, load, cpu, 0.1),), (), None, ()
        )

    shares = detection_shares(
        [
            result("phigate-1w", 1, 4.0, 100),
            result("phigate-1w-null", 1, 1.0, 100),
            result("phigate-2w", 2, 3.0, 50),
        ]
    )
    assert shares == {"1w": 0.75}
