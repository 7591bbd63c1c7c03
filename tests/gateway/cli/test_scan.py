"""`phigate scan`: files, folders, mboxes and stdin; masked output; exact offsets with --text."""

from __future__ import annotations

import gc
import io
import json
import mailbox
import os
import signal
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest

import detectors.engine as engine_module
from detectors.config import DetectorConfig
from detectors.recognizers import RegexTimeout
from gateway.cli.scan import BATCH_BYTES, BATCH_ITEMS, Item, Scanner, batches
from tests.support import REPO
from tests.support.cli import phigate
from tests.support.corpus import corpus_dir
from tests.support.mail import text_mail

MRN = "00482913"
PATIENT = "Delphine Okonkwo-Marr"
DEV = corpus_dir() / "dev"


def _patient_mail() -> bytes:
    msg = text_mail(
        "Dr. Ana Ruiz <aruiz@clinic.example>",
        "Records <records@hospital.example>",
        "Discharge summary",
        f"Patient: {PATIENT}\nMRN: {MRN}\nDiagnosis: type 2 diabetes mellitus (E11.9).\n"
        "Metformin 500 mg twice daily.\n",
    )
    return bytes(msg)


def _clean_mail() -> bytes:
    msg = text_mail(
        "Office Manager <office@clinic.example>",
        "vendor@supplies.example",
        "Invoice 44821",
        "Hi,\nPlease find invoice 44821 for the printer toner. Thanks!\n",
    )
    return bytes(msg)


def _scan(argv: list[str], stdin: bytes = b"") -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out), patch.object(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin))):
        code = phigate(["scan", *argv])
    return code, out.getvalue()


REQUIRED = {"path", "phi", "score", "findings", "unscannable", "elapsed_ms"}
FINDING_KEYS = {"entity", "part", "start", "end", "score", "recognizer", "preview"}


def test_json_lines_have_the_documented_shape_and_no_raw_phi(tmp_path: Path):
    """One JSON line per message with the documented keys; previews are masked."""
    (tmp_path / "a.eml").write_bytes(_patient_mail())
    (tmp_path / "b.eml").write_bytes(_clean_mail())
    code, out = _scan(["--json", str(tmp_path / "a.eml"), str(tmp_path / "b.eml")])
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["path"].rsplit("/", 1)[1] for r in records] == ["a.eml", "b.eml"]
    for r in records:
        assert REQUIRED <= set(r)
        for f in r["findings"]:
            assert FINDING_KEYS <= set(f)
            assert f["part"] in ("subject", "body") or f["part"].startswith(
                ("header", "attachment:")
            )
    assert records[0]["phi"] is True and records[1]["phi"] is False
    assert any(f["entity"] == "MRN" and f["part"] == "body" for f in records[0]["findings"])
    assert MRN not in out and "Okonkwo" not in out


def test_text_mode_offsets_index_the_file_exactly(tmp_path: Path):
    """With --text, start/end index the file's decoded text as given, no normalisation."""
    text = f"Ref  \t note\r\nPatient {PATIENT} (MRN {MRN}) was seen for asthma.\n"
    path = tmp_path / "s.txt"
    path.write_bytes(text.encode("utf-8"))
    code, out = _scan(["--json", "--text", str(path)])
    assert code == 0
    rec = json.loads(out)
    spans = {(f["entity"], text[f["start"] : f["end"]]) for f in rec["findings"]}
    assert ("MRN", MRN) in spans
    assert ("PERSON", PATIENT) in spans
    assert MRN not in out


def test_folders_are_walked_recursively_and_mboxes_split(tmp_path: Path):
    """A folder yields every .eml below it; an mbox yields each of its messages."""
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "x.eml").write_bytes(_patient_mail())
    (tmp_path / "y.eml").write_bytes(_clean_mail())
    (tmp_path / "notes.txt").write_text("not a message")
    box = mailbox.mbox(str(tmp_path / "mail.mbox"))
    box.add(_patient_mail())
    box.add(_clean_mail())
    box.flush()
    box.close()
    code, out = _scan(
        ["--json", str(tmp_path / "deep"), str(tmp_path / "y.eml"), str(tmp_path / "mail.mbox")]
    )
    assert code == 0
    recs = [json.loads(line) for line in out.splitlines()]
    assert [r["phi"] for r in recs] == [True, False, True, False]
    assert recs[2]["path"].endswith("mail.mbox#1") and recs[3]["path"].endswith("mail.mbox#2")


def test_stdin_is_read_with_a_dash():
    """`-` scans standard input."""
    code, out = _scan(["--json", "-"], stdin=_patient_mail())
    assert code == 0
    assert json.loads(out)["path"] == "-" and json.loads(out)["phi"] is True


def test_human_output_shows_masked_previews_and_reasons(tmp_path: Path):
    """The table shows entity types and masked previews, then the decision's reasons."""
    (tmp_path / "a.eml").write_bytes(_patient_mail())
    code, out = _scan([str(tmp_path / "a.eml")])
    assert code == 0
    assert ": PHI (score" in out and "because:" in out
    assert "MRN" in out and "****2913" in out
    assert MRN not in out and PATIENT not in out


def test_show_matches_is_refused_off_a_terminal(tmp_path: Path):
    """--show-matches would print raw PHI, so it is refused when output is not a terminal."""
    (tmp_path / "a.eml").write_bytes(_patient_mail())
    code, out = _scan(["--show-matches", str(tmp_path / "a.eml")])
    assert code == 2 and out == ""


def test_a_missing_path_is_a_clear_error(tmp_path: Path, capsys):
    """A path that does not exist gives exit 2 and names the path."""
    code, _ = _scan([str(tmp_path / "nope.eml")])
    assert code == 2
    assert "nope.eml: no such file" in capsys.readouterr().err


def test_the_cli_scans_the_dev_corpus():
    """The real command scans all 160 dev messages and tells PHI from clean mail."""
    labels = {
        json.loads(line)["file"]: json.loads(line)["label"]
        for line in (DEV / "manifest.jsonl").read_text().splitlines()
    }
    proc = subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "scan", "--json", str(DEV)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    recs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(recs) == 160
    correct = sum(r["phi"] == (labels[Path(r["path"]).name] == "phi") for r in recs)
    assert correct >= 150, f"only {correct}/160 messages classified right"


def test_a_config_gives_the_scan_its_detection_settings(tmp_path: Path, capsys):
    """`--config` reads the gateway config's detection settings: with a regex budget of a
    microsecond the patient mail cannot be scanned, and says so (exit 1, not a traceback)."""
    (tmp_path / "a.eml").write_bytes(_patient_mail())
    config = tmp_path / "phigate.yaml"
    config.write_text("detection:\n  engine:\n    regex_timeout_s: 0.000001\n")
    code, out = _scan(["--json", "--config", str(config), str(tmp_path / "a.eml")])
    assert code == 1
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record["phi"] is None and record["band"] == "unscannable"
    assert record["unscannable"][0]["detail"] == "RegexTimeout: pattern exceeded its time budget"
    assert "1 of 1 not scanned" in capsys.readouterr().err
    code, out = _scan(["--json", str(tmp_path / "a.eml")])  # the defaults scan it
    assert code == 0 and json.loads(out)["phi"] is True


def test_an_item_that_fails_is_reported_and_the_rest_are_scanned(tmp_path: Path):
    """One failing message costs only its own record; another library's error message (which
    may quote the text it read) is left out, its type kept."""
    (tmp_path / "a_bad.eml").write_bytes(_patient_mail())
    (tmp_path / "b.eml").write_bytes(_patient_mail())
    real = Scanner._extract

    def scan(self: Scanner, item: object) -> Any:
        if str(getattr(item, "path", "")).endswith("a_bad.eml"):
            raise ValueError(f"cannot parse {PATIENT}")
        return real(self, item)  # type: ignore[arg-type]

    with patch.object(Scanner, "_extract", scan):
        code, out = _scan(["--json", str(tmp_path)])
    assert code == 1
    bad, good = [json.loads(line) for line in out.splitlines()]
    assert bad["phi"] is None and bad["unscannable"][0]["detail"] == "ValueError"
    assert PATIENT not in out
    assert good["phi"] is True
    with patch.object(Scanner, "_extract", scan):
        code, out = _scan([str(tmp_path / "a_bad.eml")])  # the human form too
    assert code == 1
    assert "a_bad.eml: not scanned" in out and "ValueError): not known to be clean" in out


def _ner_mail(name: str) -> bytes:
    """Clean by its recognizers, so NER reads it: a health term beside a bare name."""
    msg = text_mail(
        "Office <office@clinic.example>",
        "Front desk <desk@clinic.example>",
        "Note",
        f"Hi,\n\n{name} still has atrial fibrillation, rate controlled.\n",
    )
    return bytes(msg)


def _mixed_items() -> list[Item]:
    raws = [_patient_mail(), _clean_mail(), _ner_mail("Zorvan Quillet"), _ner_mail("Ilse Brandt")]
    raws += [p.read_bytes() for p in sorted(DEV.glob("*.eml"))[:24]]
    return [Item(f"m{i}.eml", raw) for i, raw in enumerate(raws)]


def _same(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "elapsed_ms"}


def test_a_batch_gives_each_message_the_record_it_gets_alone():
    """Scanning messages together (one NER pass over all their windows) changes no record: each
    equals the record of that message scanned on its own, and NER ran on more than one."""
    scanner = Scanner(DetectorConfig(), text_mode=False)
    items = _mixed_items()
    read: list[list[str]] = []
    real = scanner.engine._read

    def counted(pieces: Any) -> Any:
        read.append(list(pieces))
        return real(pieces)

    alone = [_same(scanner.scan(item, False)) for item in items]
    with patch.object(scanner.engine, "_read", counted):
        together = scanner.scan_many(items, False)
    # one NER call read the windows of both bare-name messages (and of no message twice)
    assert (
        len(read) == 1 and any("Zorvan" in p for p in read[0]) and any("Ilse" in p for p in read[0])
    )
    assert [_same(r) for r in together if isinstance(r, dict)] == alone
    # NER's names count in the batch as alone: the two bare names beside a diagnosis
    named = [
        k for k, r in enumerate(alone) if any(f["recognizer"] == "spacy_ner" for f in r["findings"])
    ]
    assert {2, 3} <= set(named) and alone[2]["phi"] is True


def test_one_message_failing_in_a_batch_costs_only_its_own_record():
    """An analysis that raises for one message of a batch is that message's answer alone."""
    scanner = Scanner(DetectorConfig(), text_mode=False)
    items = _mixed_items()[:6]
    real = scanner.engine._first_round

    def first_round(texts: Any, headers: Any, found: Any = None) -> Any:
        if any("Zorvan" in t for _, t in texts):
            raise RegexTimeout("pattern exceeded its time budget")
        return real(texts, headers, found)

    with patch.object(scanner.engine, "_first_round", first_round):
        answers = scanner.scan_many(items, False)
    assert isinstance(answers[2], RegexTimeout)
    assert [_same(a) for k, a in enumerate(answers) if k != 2] == [
        _same(scanner.scan(item, False)) for k, item in enumerate(items) if k != 2
    ]


def test_a_shared_ner_pass_that_fails_is_read_again_message_by_message():
    """If NER over the whole batch raises, each waiting message is read alone: the message whose
    window makes it raise gets the error, the others their records."""
    scanner = Scanner(DetectorConfig(), text_mode=False)
    items = _mixed_items()[:6]
    real = scanner.engine._read

    def read(pieces: Any) -> Any:
        if any("Zorvan" in p for p in pieces):
            raise MemoryError("NER")
        return real(pieces)

    with patch.object(scanner.engine, "_read", read):
        answers = scanner.scan_many(items, False)
    assert isinstance(answers[2], MemoryError)
    assert _same(answers[3]) == _same(scanner.scan(items[3], False))  # type: ignore[arg-type]
    assert _same(answers[3])["phi"] is not None


def test_items_before_a_bad_path_are_scanned_and_written(tmp_path: Path, capsys):
    """A missing path after good ones: the good ones' records come out first, then exit 2."""
    (tmp_path / "a.eml").write_bytes(_patient_mail())
    (tmp_path / "b.eml").write_bytes(_clean_mail())
    code, out = _scan(["--json", str(tmp_path / "a.eml"), str(tmp_path / "b.eml"), "/nope.eml"])
    assert code == 2
    assert [json.loads(line)["phi"] for line in out.splitlines()] == [True, False]
    assert "/nope.eml: no such file" in capsys.readouterr().err


def test_batches_hold_at_most_their_count_and_bytes():
    """`batches` cuts by item count and by bytes, and keeps every item in order."""
    items = [Item(f"i{k}", b"x" * 10) for k in range(2 * BATCH_ITEMS + 22)]
    got = list(batches(items))
    assert [len(b) for b in got] == [BATCH_ITEMS, BATCH_ITEMS, 22]
    assert [i.path for b in got for i in b] == [i.path for i in items]
    big = [Item(f"b{k}", b"x" * (BATCH_BYTES // 2)) for k in range(5)]
    assert [len(b) for b in batches(big)] == [2, 2, 1]


def test_a_text_that_fails_its_recognizers_fails_only_its_message():
    """A recognizer that raises on one text of a batch fails that text's message alone; the
    messages before and after it get the records they get alone."""
    scanner = Scanner(DetectorConfig(), text_mode=False)
    items = _mixed_items()[:6]
    cheap = scanner.engine.cheap
    real = cheap.analyze_many

    def analyze_many(texts: Any, timeout: float) -> Any:
        got = real(texts, timeout)
        return [
            RegexTimeout("over budget") if "Zorvan" in t else g
            for t, g in zip(texts, got, strict=True)
        ]

    with patch.object(cheap, "analyze_many", analyze_many):
        answers = scanner.scan_many(items, False)
    assert [k for k, a in enumerate(answers) if isinstance(a, Exception)] == [2]
    assert [_same(a) for k, a in enumerate(answers) if k != 2] == [
        _same(scanner.scan(item, False)) for k, item in enumerate(items) if k != 2
    ]


def test_a_text_the_databases_cannot_read_fails_only_its_message(monkeypatch):
    """The Hyperscan pass raising on one text of a batch fails that text's message alone."""
    scanner = Scanner(DetectorConfig(), text_mode=False)
    items = _mixed_items()[:6]
    real = engine_module._note_scanned

    def note(text: str) -> None:
        if "Zorvan" in text:
            raise RuntimeError("scan error")
        real(text)

    monkeypatch.setattr(engine_module, "_note_scanned", note)
    answers = scanner.scan_many(items, False)
    assert [k for k, a in enumerate(answers) if isinstance(a, Exception)] == [2]
    monkeypatch.setattr(engine_module, "_note_scanned", real)
    assert _same(answers[3]) == _same(scanner.scan(items[3], False))  # type: ignore[arg-type]


def test_the_engine_is_out_of_the_collectors_sight_while_scanning(tmp_path: Path):
    """The scan freezes what its engine loaded (full collections walked it all) and lets go
    after."""
    (tmp_path / "a.eml").write_bytes(_patient_mail())
    frozen: list[int] = []
    real = Scanner.scan_many

    def scan_many(self: Scanner, items: Any, show: bool) -> Any:
        frozen.append(gc.get_freeze_count())
        return real(self, items, show)

    with patch.object(Scanner, "scan_many", scan_many):
        code, _ = _scan(["--json", str(tmp_path / "a.eml")])
    assert code == 0 and frozen and frozen[0] > 10_000
    assert gc.get_freeze_count() == 0


def _records(out: str) -> list[dict]:
    return [_same(json.loads(line)) for line in out.splitlines()]


def test_jobs_give_the_same_records_in_the_same_order(tmp_path: Path):
    """Scanned in two processes (`--jobs 2`), every message gets the record it gets in one, in
    the order given; batches cross the processes (more messages than one batch)."""
    for k, item in enumerate(_mixed_items() * 5):
        (tmp_path / f"{k:03d}.eml").write_bytes(item.data)
    code, one = _scan(["--json", str(tmp_path)])
    assert code == 0
    with patch("gateway.cli.scan.BATCH_ITEMS", 16):
        code, two = _scan(["--json", "--jobs", "2", str(tmp_path)])
    assert code == 0
    assert _records(two) == _records(one)
    assert [json.loads(line)["path"] for line in two.splitlines()] == sorted(
        str(p) for p in tmp_path.glob("*.eml")
    )


def test_an_item_that_kills_its_scan_process_is_reported_and_the_rest_are_scanned(tmp_path: Path):
    """A message whose scan kills its process (as an out-of-memory kill would) is reported as not
    scanned; every other message, those in its batch and those in flight with it, is scanned."""
    for k, item in enumerate(_mixed_items()[:12]):
        (tmp_path / f"{k:03d}.eml").write_bytes(item.data)
    (tmp_path / "005.eml").rename(tmp_path / "005_bad.eml")
    real = Scanner.scan_many

    def scan_many(self: Scanner, items: Any, show: bool) -> Any:
        if any(i.path.endswith("_bad.eml") for i in items):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, items, show)

    code, alone = _scan(["--json", str(tmp_path)])
    with patch.object(Scanner, "scan_many", scan_many), patch("gateway.cli.scan.BATCH_ITEMS", 4):
        code, out = _scan(["--json", "--jobs", "2", str(tmp_path)])
    assert code == 1
    got = [json.loads(line) for line in out.splitlines()]
    bad = [r for r in got if r["path"].endswith("_bad.eml")]
    assert len(got) == 12 and len(bad) == 1
    assert bad[0]["phi"] is None and "its scan process died" in bad[0]["unscannable"][0]["detail"]
    assert [_same(r) for r in got if r is not bad[0]] == [
        r for r in _records(alone) if not r["path"].endswith("_bad.eml")
    ]


def test_jobs_must_be_a_whole_number_from_one(capsys):
    """A bad --jobs is refused with exit 2 and says what it takes."""
    for bad in ("0", "x", "257"):
        with pytest.raises(SystemExit) as exited:
            _scan(["--jobs", bad, "-"])
        assert exited.value.code == 2
        assert f"--jobs takes a whole number from 1 to 256, not '{bad}'" in capsys.readouterr().err


def test_with_jobs_items_before_a_bad_path_are_scanned_and_written(tmp_path: Path, capsys):
    """`--jobs 2` and a missing path after good ones: their records come out, then exit 2."""
    (tmp_path / "a.eml").write_bytes(_patient_mail())
    (tmp_path / "b.eml").write_bytes(_clean_mail())
    paths = [str(tmp_path / "a.eml"), str(tmp_path / "b.eml"), "/nope.eml"]
    with patch("gateway.cli.scan.BATCH_ITEMS", 1):
        code, out = _scan(["--json", "--jobs", "2", *paths])
    assert code == 2
    assert [json.loads(line)["phi"] for line in out.splitlines()] == [True, False]
    assert "/nope.eml: no such file" in capsys.readouterr().err


def test_a_batch_that_raises_is_scanned_again_item_by_item(tmp_path: Path):
    """Should a whole batch's scan raise, each item is scanned alone: only the item whose own
    scan fails is reported as not scanned, in one process and with --jobs."""
    for k, raw in enumerate([_patient_mail(), _clean_mail(), _patient_mail()]):
        (tmp_path / f"{k}.eml").write_bytes(raw)
    (tmp_path / "1.eml").rename(tmp_path / "1_bad.eml")
    real = Scanner.scan

    def scan_many(self: Scanner, items: Any, show: bool) -> Any:
        raise MemoryError("batch")

    def scan(self: Scanner, item: Any, show: bool) -> Any:
        if item.path.endswith("_bad.eml"):
            raise ValueError("bad")
        return real(self, item, show)

    for jobs in ("1", "2"):
        with patch.object(Scanner, "scan_many", scan_many), patch.object(Scanner, "scan", scan):
            code, out = _scan(["--json", "--jobs", jobs, str(tmp_path)])
        assert code == 1
        got = [json.loads(line) for line in out.splitlines()]
        assert [r["phi"] for r in got] == [True, None, True], jobs
        assert got[1]["unscannable"][0]["detail"] == "ValueError"
