"""The relay benchmark's realistic mix (--mix) and detection's share (--detection-share)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.relay import (
    BenchSettings,
    LoadgenError,
    LoadResult,
    Measurement,
    RelayResult,
    batch_figures,
    cpu_split,
    detection_pids,
    detection_shares,
    load_mix,
    mix_composition,
    parse_detection_batches,
    render_report,
    weighted_mix,
)
from tests.support.bench import phigate_serve_available, run_script

MESSAGES = 12


# A clinical paragraph of about 2 kB: enough for each scan to run the recognizers and NER for
# milliseconds, so that the detection processes' CPU over a short run is more than the one
# clock tick /proc counts in (two lines of "plain" measured 0 on a fast CI machine).
LETTER = (
    "Dear Dr. Halvorsen,\n\nI am writing about our patient Maria Okafor (DOB 03/14/1962, MRN "
    "4471920), seen on 11/02 for follow-up of type 2 diabetes and hypertension. Her HbA1c was "
    "8.1%, up from 7.4% in June; we increased metformin to 1000 mg twice daily and started "
    "empagliflozin 10 mg. Blood pressure was 148/92 on lisinopril 20 mg. She reports numbness "
    "in both feet; monofilament testing showed reduced sensation on the left. Please see her "
    "for a retinal exam. She can be reached at (555) 201-7734.\n\n"
) * 3


def _letters(folder: Path) -> Path:
    folder.mkdir()
    for n in range(3):
        (folder / f"letter{n}.eml").write_text(f"Subject: referral {n}\n\n{LETTER}")
    return folder


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
    corpus = _letters(tmp_path / "c")
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
    # The scans ran in detection processes, measured apart from the worker.
    split = summary["cpu_ms_per_msg"]["1w"]
    assert split["detection_processes"] > 0 and split["workers"] > 0
    assert split["total"] == pytest.approx(split["detection_processes"] + split["workers"])
    # Every message of the timed run was scanned on the worker's loop, alone or in a batch, as
    # phigate's /metrics counted it around the run; the null relay has no processes to count.
    batches = summary["detection_batches"]
    assert set(batches) == {"1w"}
    answers = {int(size): count for size, count in batches["1w"]["answers"].items()}
    assert sum(size * count for size, count in answers.items()) == MESSAGES
    assert "detection batches (1w): " in proc.stdout


def result(name: str, workers: int, cpu: float, delivered: int) -> RelayResult:
    """A relay that delivered ``delivered`` messages in one second of one timed run."""
    load = LoadResult(1.0, delivered, 0.1, 0, "")
    return RelayResult(name, workers, (Measurement(1.0, delivered, load, cpu, 0.1),), (), None, ())


def test_detection_share_compares_cpu_per_message_of_the_same_worker_count() -> None:
    """1 - null CPU per message / PHI CPU per message, matched by name; others left out."""
    shares = detection_shares(
        [
            result("phigate-1w", 1, 4.0, 100),
            result("phigate-1w-null", 1, 1.0, 100),
            result("phigate-2w", 2, 3.0, 50),
        ]
    )
    assert shares == {"1w": 0.75}


def test_detection_processes_are_told_by_the_fork_servers_command_line() -> None:
    cmdlines = {
        10: "/venv/bin/python /venv/bin/phigate serve --listen 127.0.0.1:25",
        11: "/venv/bin/python -B -c from multiprocessing.forkserver import main; main(3, 5)",
        12: "/venv/bin/python -B -c from multiprocessing.forkserver import main; main(3, 5)",
        13: "/venv/bin/python -c from multiprocessing.resource_tracker import main;main(8)",
    }
    assert detection_pids([10, 11, 12, 13], cmdlines.__getitem__) == [11, 12]


def test_cpu_split_gives_each_part_per_message_in_ms() -> None:
    load = LoadResult(1.0, 100, 0.1, 0, "")
    scanning = RelayResult(
        "phigate-1w", 1, (Measurement(1.0, 100, load, 1.2, 0.1, 0.75),), (), None, ()
    )
    null = result("phigate-1w-null", 1, 0.2, 100)  # no detection processes: left out
    assert cpu_split([scanning, null]) == {
        "1w": {"total": 12.0, "detection_processes": 7.5, "workers": 4.5}
    }


def test_cpu_split_figures_add_up_as_printed() -> None:
    """Each figure is rounded to 0.01 ms; the workers' share is taken from the rounded ones, so
    the printed parts add up to the printed total (18.336 and 7.504 ms once printed a total of
    18.34 made of 7.50 and 10.83; a clean-clone run failed on it)."""
    load = LoadResult(1.0, 1000, 0.1, 0, "")
    run = Measurement(1.0, 1000, load, 18.336, 0.1, 7.504)
    split = cpu_split([RelayResult("phigate-1w", 1, (run,), (), None, ())])["1w"]
    assert split["total"] == pytest.approx(
        split["detection_processes"] + split["workers"], abs=1e-9
    )


def test_cpu_split_keeps_a_measured_zero_of_detection_processes() -> None:
    """/proc counts CPU in clock ticks: a short run can measure 0 s in processes that exist.
    That is a figure, not a relay without detection processes (CI failed on it, stop 29)."""
    load = LoadResult(1.0, 100, 0.1, 0, "")
    short = RelayResult(
        "phigate-1w", 1, (Measurement(1.0, 100, load, 0.5, 0.1, 0.0),), (), None, ()
    )
    assert cpu_split([short]) == {"1w": {"total": 5.0, "detection_processes": 0.0, "workers": 5.0}}


def _rows(mix: tuple[str, ...]) -> dict[str, str]:
    """render_report's table rows by relay label, for a PHI run beside its null runs."""
    settings = BenchSettings(100, 10, 5120, 5, 1, "python", 5.0, detector="phi", mix=mix)
    bare = result("bare", 0, 1.0, 100)
    phigates = [
        result("phigate-1w", 1, 4.0, 40),  # 0.40 of bare
        result("phigate-1w-null", 1, 1.0, 95),  # 0.95
        result("phigate-2w", 2, 3.0, 45),  # 0.45
    ]
    table, _ = render_report(bare, phigates, settings)
    return {line.split()[0]: line for line in table.splitlines()[2:]}


def test_phi_rows_of_the_mix_are_held_to_issue_14s_targets_and_null_rows_to_the_cores() -> None:
    rows = _rows(("corpus",))
    assert ">=0.35 ok" in rows["phigate_1w"]
    assert ">=0.5 MISS" in rows["phigate_2w"]
    assert ">=0.9 ok" in rows["phigate_1w_null"]


def test_phi_rows_of_filler_text_are_held_to_no_target() -> None:
    rows = _rows(())
    assert ">=" not in rows["phigate_1w"] and ">=" not in rows["phigate_2w"]
    assert ">=0.9 ok" in rows["phigate_1w_null"]


def test_the_report_says_how_much_of_the_mix_is_phi(tmp_path: Path) -> None:
    """The manifests' labels are counted over the .eml files sent; a folder without a manifest
    leaves the count out rather than guess."""
    corpus = _corpus(tmp_path / "c")
    (corpus / "manifest.jsonl").write_text(
        '{"file": "a.eml", "label": "phi"}\n{"file": "b.eml", "label": "clean"}\n'
        '{"file": "gone.eml", "label": "phi"}\n'
    )
    assert mix_composition([str(corpus)]) == "1 of 2 labelled PHI"
    bare = _corpus(tmp_path / "bare")
    assert mix_composition([str(corpus), str(bare)]) == ""
    settings = BenchSettings(100, 10, 5120, 5, 1, "python", 5.0, detector="phi", mix=(str(corpus),))
    table, _ = render_report(
        result("bare", 0, 1.0, 100), [result("phigate-1w", 1, 4.0, 40)], settings
    )
    assert table.splitlines()[0].endswith(f"messages from {corpus} (1 of 2 labelled PHI)")


def _labelled(folder: Path, clean: int, phi: int) -> Path:
    """A corpus of `clean` clean and `phi` PHI messages, each body naming its file."""
    folder.mkdir()
    rows = []
    for n in range(clean + phi):
        name = f"m{n:02d}.eml"
        (folder / name).write_bytes(f"Subject: {n}\n\n{name}\n".encode())
        rows.append(json.dumps({"file": name, "label": "clean" if n < clean else "phi"}))
    (folder / "manifest.jsonl").write_text("\n".join(rows) + "\n")
    return folder


@pytest.mark.parametrize("share", [0.8, 0.5, 0.25])
def test_clean_share_sends_that_share_clean_and_every_message(tmp_path: Path, share: float) -> None:
    corpus = _labelled(tmp_path / "c", clean=3, phi=7)
    sent = weighted_mix([str(corpus)], share)
    names = [m.split(b"\r\n\r\n")[1].strip().decode() for m in sent]
    clean = sum(int(name[1:3]) < 3 for name in names)
    assert abs(clean / len(sent) - share) < 1 / len(sent) + 1e-9
    assert set(names) == {f"m{n:02d}.eml" for n in range(10)}
    # spread evenly: no run of PHI messages longer than the share allows
    longest = max(
        len(run) for run in "".join("c" if int(n[1:3]) < 3 else "p" for n in names).split("c")
    )
    assert longest <= int(1 / share) + 1


def test_clean_share_needs_manifests_and_a_fraction(tmp_path: Path) -> None:
    with pytest.raises(LoadgenError, match="manifest"):
        weighted_mix([str(_corpus(tmp_path / "bare"))], 0.8)
    corpus = _labelled(tmp_path / "c", clean=2, phi=2)
    with pytest.raises(LoadgenError, match="fraction"):
        weighted_mix([str(corpus)], 1.5)
    only_clean = _labelled(tmp_path / "o", clean=2, phi=0)
    with pytest.raises(LoadgenError, match="no clean or no PHI"):
        weighted_mix([str(only_clean)], 0.5)
    assert len(weighted_mix([str(only_clean)], 1.0)) == 2


def test_the_report_says_what_share_was_sent_clean(tmp_path: Path) -> None:
    corpus = _labelled(tmp_path / "c", clean=3, phi=7)
    settings = BenchSettings(
        100, 10, 5120, 5, 1, "python", 5.0, detector="phi", mix=(str(corpus),), clean_share=0.8
    )
    table, _ = render_report(
        result("bare", 0, 1.0, 100), [result("phigate-1w", 1, 4.0, 40)], settings
    )
    assert table.splitlines()[0].endswith("(7 of 10 labelled PHI), sent 80% clean")


METRICS_PAGE = """\
# HELP phigate_detection_batches_total Answers of the detection processes, by how many messages the batch held
# TYPE phigate_detection_batches_total counter
phigate_detection_batches_total{messages="1"} 6.0
phigate_detection_batches_total{messages="3"} 2.0
phigate_detection_batches_created{messages="1"} 1.7e+09
phigate_messages_total{action="deliver",reply="2xx"} 12.0
"""


def test_batch_sizes_are_read_from_the_metrics_page_and_summed_up() -> None:
    """Six answers of one message and two of three: twelve messages, half of them alone, 1.5 a
    batch; the `_created` series and other metrics are not batches."""
    batches = parse_detection_batches(METRICS_PAGE)
    assert batches == {1: 6, 3: 2}
    assert batch_figures(batches) == {"messages_per_batch": 1.5, "messages_alone_share": 0.5}
    assert batch_figures({}) == {"messages_per_batch": 0.0, "messages_alone_share": 0.0}
