"""The soak harness (bench/soak.py): its checks can fail, its mail is what it claims, and a short
real run under every fault reports PASS while a run whose sink drops an accepted message fails."""

from __future__ import annotations

import io
import json
import random
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PdfReader

from bench.soak import (
    FAULT_KINDS,
    Attempt,
    FaultWindow,
    Mail,
    build_mail,
    build_schedule,
    check_exactly_once,
    check_temp_failures,
    tiny_pdf,
    warmup_s,
)
from tests.support.bench import phigate_serve_available, run_script

SMTP_OK = 250
SMTP_TRY_LATER = 451
SMTP_REFUSED = 554


needs_phigate = pytest.mark.skipif(not phigate_serve_available(), reason="needs phigate serve")


def mail(seq: int, state: str, *attempts: Attempt) -> Mail:
    """A finished soak message with the given attempts."""
    return Mail(seq, "clean", b"", list(attempts), state)


def ok_at(t: float) -> Attempt:
    """An attempt that got 250 at time t."""
    return Attempt(t, t + 0.1, SMTP_OK, "end of data", "Ok (ref PG-1)")


@pytest.mark.parametrize(
    ("states", "received", "ok", "problem"),
    [
        ({1: "accepted", 2: "accepted", 3: "rejected"}, {1: 1, 2: 1}, True, None),
        ({1: "accepted", 2: "accepted"}, {1: 1}, False, "lost (250 but never delivered): 1: 2"),
        ({1: "accepted"}, {1: 2}, False, "duplicated (delivered more than once): 1: 1"),
        ({1: "accepted", 2: "abandoned"}, {1: 1, 2: 1}, False, "delivered without a 250"),
        ({1: "accepted", 2: "rejected"}, {1: 1, 2: 1}, False, "delivered without a 250"),
    ],
)
def test_exactly_once_check_finds_losses_duplicates_and_unacknowledged_deliveries(
    states: dict[int, str], received: dict[int, int], ok: bool, problem: str | None
) -> None:
    """A lost, duplicated or unacknowledged delivery fails the check; a clean run passes."""
    mails = {seq: mail(seq, state, ok_at(0)) for seq, state in states.items()}
    check = check_exactly_once(mails, Counter(received))
    assert check.ok is ok
    if problem is not None:
        assert any(d.startswith(problem) for d in check.details), check.details


def test_temporary_failures_count_only_outside_fault_windows_and_their_grace() -> None:
    """A 451 during a window or its grace is excused; one before it or after the grace is not."""
    window = FaultWindow("flap", start=100.0, end=120.0)
    inside = Attempt(105.0, 105.5, SMTP_TRY_LATER, "RCPT", "next hop down")
    in_grace = Attempt(130.0, 130.2, None, "connection", "ConnectionResetError")
    before = Attempt(50.0, 50.3, SMTP_TRY_LATER, "end of data", "try again")
    after = Attempt(140.0, 140.1, SMTP_TRY_LATER, "end of data", "try again")
    excused = {1: mail(1, "accepted", inside, ok_at(106)), 2: mail(2, "accepted", in_grace)}
    assert check_temp_failures(excused, [window], 15.0, 0.0).ok is True
    for stray in (before, after):
        mails = {**excused, 3: mail(3, "accepted", stray, ok_at(150))}
        check = check_temp_failures(mails, [window], 15.0, 0.0)
        assert check.ok is False
        assert check.summary.startswith("1 outside")


def test_mail_mix_is_well_formed_or_malformed_as_labelled() -> None:
    """Every message carries its seq; only the malformed kinds hold bare LF or NUL."""
    rng = random.Random(7)
    for seq, kind in enumerate(("clean", "phi", "phi_csv", "phi_pdf", "bare_lf", "nul"), 1):
        raw = build_mail(seq, kind, rng, "t")
        assert f"\r\nX-Soak-Seq: {seq}\r\n".encode() in raw
        bare_lf = raw.replace(b"\r\n", b"").count(b"\n") > 0
        assert bare_lf is (kind == "bare_lf"), kind
        assert (b"\x00" in raw) is (kind == "nul"), kind


def test_pdf_attachment_holds_readable_text() -> None:
    """The hand-built PDF opens in pypdf and yields its lines, so the scanner has text to find."""
    reader = PdfReader(io.BytesIO(tiny_pdf(["Patient: Ann (Test)", "MRN: 12345678"])))
    text = reader.pages[0].extract_text()
    assert "Patient: Ann (Test)" in text
    assert "MRN: 12345678" in text


@pytest.mark.parametrize("minutes", [0.5, 3, 30])
def test_schedule_leaves_warm_up_and_tail_quiet_and_has_every_fault(minutes: float) -> None:
    """Faults start after the warm-up, end before the last 15% and include each kind asked for."""
    duration = minutes * 60
    schedule = build_schedule(duration, FAULT_KINDS)
    assert {f.kind for f in schedule} == set(FAULT_KINDS)
    for fault in schedule:
        assert fault.at_s >= warmup_s(duration)
        assert fault.at_s + fault.duration_s <= 0.85 * duration
    if minutes == 30:
        kinds = Counter(f.kind for f in schedule)
        assert kinds["flap"] >= 4 and kinds["kill"] >= 5 and kinds["db"] == 1


def run_soak(tmp_path: Path, *args: str) -> tuple[int, str, dict[str, object]]:
    """Run bench/soak.py and return its exit code, output and JSON report."""
    out = tmp_path / "soak.json"
    proc = run_script(
        "soak.py", "--json-out", str(out), "--work-dir", str(tmp_path), *args, timeout=280
    )
    text = proc.stdout + proc.stderr
    assert out.exists(), text
    return proc.returncode, proc.stdout, json.loads(out.read_text())


@needs_phigate
def test_short_soak_under_every_fault_passes(tmp_path: Path) -> None:
    """Half a minute with a flap, a 451 window, a worker kill and an audit database restart
    ends with RESULT: PASS, every message answered and the killed worker replaced."""
    code, stdout, report = run_soak(tmp_path, "--minutes", "0.5", "--rate", "3")
    assert stdout.strip().splitlines()[-1] == "RESULT: PASS", stdout
    assert code == 0
    figures = report["figures"]
    assert isinstance(figures, dict)
    assert figures["accepted"] > 0 and figures["rejected_5xx"] > 0
    assert figures["accepted"] + figures["rejected_5xx"] == figures["sent"]
    faults = report["faults"]
    assert isinstance(faults, list)
    ran = {f["kind"] for f in faults}
    expected = set(FAULT_KINDS) if report["audit_backend"] != "SQLite" else {"flap", "busy", "kill"}
    assert ran == expected
    assert any(f["kind"] == "kill" and "->" in f["note"] for f in faults)


@needs_phigate
def test_soak_whose_sink_drops_an_accepted_message_fails(tmp_path: Path) -> None:
    """When the next hop acknowledges a message and forgets it, the soak says FAIL and names
    exactly that loss."""
    code, stdout, report = run_soak(
        tmp_path,
        "--minutes",
        "0.25",
        "--faults",
        "none",
        "--audit-db",
        "sqlite",
        "--detector",
        "null",
        "--inject-sink-drop",
        "3",
    )
    assert stdout.strip().splitlines()[-1] == "RESULT: FAIL", stdout
    assert code == 1
    checks = report["checks"]
    assert isinstance(checks, dict)
    once = checks["delivered exactly once"]
    assert once["ok"] is False
    assert once["summary"].split("; ")[1] == "lost 1, duplicated 0, delivered without 250 0"
    assert [name for name, c in checks.items() if c["ok"] is False] == ["delivered exactly once"]
