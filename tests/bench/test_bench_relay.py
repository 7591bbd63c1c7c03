"""Smoke tests for the relay throughput benchmark (bench/relay.py); no timing assertions."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import aiosmtplib
import pytest

from bench.relay import (
    SMTP_SOURCE,
    BenchSettings,
    LoadResult,
    Measurement,
    RelayResult,
    SinkCounters,
    SinkProtocol,
    build_parser,
    cpu_seconds,
    paired_ratio,
    read_sink_stats,
    render_report,
    write_phigate_config,
)
from gateway.config import load_settings
from tests.support import REPO
from tests.support.bench import phigate_serve_available, run_script

SMTP_OK = 250
MESSAGES = 24


LOADGENS = [
    pytest.param(
        "smtp-source",
        marks=pytest.mark.skipif(not Path(SMTP_SOURCE).exists(), reason="needs Postfix"),
    ),
    "python",
]


def run_bench(*args: str, timeout: float = 240) -> tuple[int, str, dict[str, object]]:
    """Run the benchmark with tiny settings and return its exit code, output and JSON line."""
    proc = run_script(
        "relay.py", "--messages", str(MESSAGES), "--concurrency", "3", *args, timeout=timeout
    )
    lines = proc.stdout.strip().splitlines()
    assert lines, proc.stderr
    return proc.returncode, proc.stdout + proc.stderr, json.loads(lines[-1])


def test_sink_counts_messages_recipients_and_dot_stuffed_bodies() -> None:
    """The sink counts every message and recipient and finds the end of dot-stuffed data."""

    async def scenario() -> tuple[SinkCounters, dict[str, int]]:
        counters = SinkCounters()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SinkProtocol(counters), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        bodies = [
            b"Subject: a\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nafter a lone dot\r\n",
            b"Subject: b\r\n\r\nplain\r\n",
        ]
        async with server:
            client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
            await client.connect()
            for body in bodies:
                errors, reply = await client.sendmail(
                    "a@clinic.example", ["b@x.example", "c@x.example"], body
                )
                assert not errors and reply.startswith("2"), reply
            response = await client.noop()
            assert response.code == SMTP_OK
            await client.quit()
            stats = await asyncio.to_thread(read_sink_stats, port)
        return counters, {"messages": stats.messages, "recipients": stats.recipients}

    counters, via_xstat = asyncio.run(scenario())
    assert counters.messages == 2
    assert counters.recipients == 4
    assert via_xstat == {"messages": 2, "recipients": 4}
    # Both bodies, unstuffed lengths plus the stuffing dots the sink sees on the wire.
    assert counters.body_bytes > len(b"after a lone dot") + len(b"plain")


@pytest.mark.parametrize("loadgen", LOADGENS)
def test_bare_relay_run_delivers_every_message(loadgen: str) -> None:
    """A bare-relay-only run prints the table and a JSON line showing all messages delivered."""
    code, output, summary = run_bench("--workers-list", "", "--loadgen", loadgen)
    assert code == 0, output
    assert summary["ok"] is True
    assert summary["delivered"] == {"bare": MESSAGES}
    assert isinstance(summary["bare_msgs_per_s"], float) and summary["bare_msgs_per_s"] > 0
    assert f"load generator: {loadgen}" in output
    assert "\nbare " in output


def test_relay_that_answers_250_without_delivering_is_reported(tmp_path: Path) -> None:
    """A relay that swallows messages is caught by the sink count and fails the run."""
    liar = tmp_path / "liar"
    liar.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        "port = sys.argv[sys.argv.index('--listen') + 1].rsplit(':', 1)[1]\n"
        f"os.execv(sys.executable, [sys.executable, {str(REPO / 'bench' / 'relay.py')!r}, '_sink', '--port', port])\n"
    )
    liar.chmod(0o755)
    code, output, summary = run_bench(
        "--workers-list", "1", "--phigate", str(liar), "--loadgen", "python", "--settle", "0.5"
    )
    assert code == 1, output
    assert summary["ok"] is False
    assert summary["delivered"] == {"bare": MESSAGES, "phigate_1w": 0}
    assert "FAILED phigate_1w: run 1/1: sink counted 0/24" in output


@pytest.mark.skipif(not phigate_serve_available(), reason="phigate serve is not available")
def test_full_run_measures_phigate_with_one_and_two_workers() -> None:
    """The full benchmark delivers every message through all three relays and reports RSS."""
    code, output, summary = run_bench("--workers-list", "1,2", "--warmup", "6")
    assert code == 0, output
    assert summary["delivered"] == {
        "bare": MESSAGES,
        "phigate_1w": MESSAGES,
        "phigate_2w": MESSAGES,
    }
    for key in ("bare_msgs_per_s", "phigate_1w_msgs_per_s", "phigate_2w_msgs_per_s"):
        rate = summary[key]
        assert isinstance(rate, float) and rate > 0, key
    assert {"ratio_1w", "ratio_2w"} <= summary.keys()
    assert summary["detector"] == "null"
    rss = summary["peak_rss_mb"]
    assert isinstance(rss, dict)
    assert len(rss["1w"]) == 1 and len(rss["2w"]) == 2
    assert all(v > 0 for v in rss["1w"] + rss["2w"])


def test_relay_that_does_not_start_is_reported() -> None:
    """A phigate command that exits at once fails the run instead of hanging or crashing."""
    code, output, summary = run_bench(
        "--workers-list", "2", "--phigate", "/bin/false", "--loadgen", "python", "--repeat", "2"
    )
    assert code == 1, output
    assert summary["ok"] is False
    assert summary["delivered"] == {"bare": 2 * MESSAGES, "phigate_2w": 0}
    assert "FAILED phigate_2w: phigate-2w exited with 1 before it was ready" in output
    assert "FAILED phigate_2w: run 2/2: skipped, the relay is not running" in output


def test_phigate_config_is_valid_and_measures_the_core(tmp_path: Path) -> None:
    """The config the benchmark writes loads in phigate with the null detector, deliver-only."""
    settings = load_settings(write_phigate_config(tmp_path / "cfg"))
    assert settings.detection.detector == "null"
    assert settings.metrics.listen is None
    assert str(settings.audit.key_file).startswith(str(tmp_path))
    assert str(settings.audit.anchor_file).startswith(str(tmp_path))
    policy = settings.policy_file.read_text()
    assert "action: deliver" in policy and policy.count("- name:") == 1
    assert load_settings(write_phigate_config(tmp_path / "phi", "phi")).detection.detector == "phi"
    # --detection-processes reaches the config; without it phigate's own default stands
    three = load_settings(write_phigate_config(tmp_path / "p3", "phi", detection_processes=3))
    assert (three.detection.detector, three.detection.processes) == ("phi", 3)
    assert settings.detection.processes == type(settings.detection)().processes
    args = build_parser().parse_args(["--detection-processes", "1"])
    assert args.detection_processes == 1


def test_python_loadgen_counts_its_cpu_while_sending_not_its_start_up() -> None:
    """The generator's own CPU figure covers the sending only: counted with its interpreter
    start-up, a 12-message run read as the generator using 585% of a core."""
    import resource
    import subprocess

    async def scenario() -> tuple[dict[str, float], float]:
        counters = SinkCounters()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SinkProtocol(counters), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                str(REPO / "bench" / "relay.py"),
                "_loadgen",
                "--port",
                str(port),
                "--messages",
                str(MESSAGES),
                "--concurrency",
                "3",
                "--size",
                "512",
                stdout=subprocess.PIPE,
            )
            out, _ = await proc.communicate()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
        assert proc.returncode == 0
        whole = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return json.loads(out.decode().strip().splitlines()[-1]), whole

    report, whole = asyncio.run(scenario())
    assert report["sent"] == MESSAGES
    # Its imports alone (asyncio, aiosmtpd, the benchmark) cost more than sending 24 small
    # messages, so the sending's share of the whole process is well under half.
    assert 0 < report["cpu_s"] < whole / 2, (report, whole)


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` now, read from /proc (children of each of its threads)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids = (task / "children").read_text().split()
            except OSError:
                continue
            for kid in map(int, kids):
                if kid not in found:
                    found.add(kid)
                    todo.append(kid)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not phigate_serve_available(), reason="needs the installed phigate")
def test_sigterm_stops_every_process_the_benchmark_started() -> None:
    """`kill` or `timeout` stops the benchmark and everything it started: phigate, its
    detection processes and the sink. Before, they kept running and held loopback ports."""
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "relay.py"), "--messages", "4000",
         "--concurrency", "3", "--workers-list", "1", "--loadgen", "python"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # the relays are up once phigate warms up
            if "phigate-1w: warming up" in line:
                break
        started = _descendants(proc.pid)
        assert len(started) >= 3  # the sink, the bare relay, phigate (and its children)
        proc.terminate()
        assert proc.wait(timeout=60) != 0
        deadline = time.monotonic() + 30
        while any(_alive(p) for p in started) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [p for p in started if _alive(p)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def rounds(name: str, rates: list[float]) -> RelayResult:
    """A relay whose timed runs, one a round, each delivered 100 messages at ``rates``."""
    runs = tuple(
        Measurement(100 / r, 100, LoadResult(100 / r, 100, 0.1, 0, ""), 0.5, 0.1) for r in rates
    )
    return RelayResult(name, 1, runs, (), None, ())


def test_paired_ratio_compares_each_round_with_the_bare_relays_run_of_that_round() -> None:
    """A machine that slows down for two rounds slows both relays of those rounds: the rounds'
    own ratios (0.9, 0.9, 0.9) stay put, while the ratio of the medians (400 / 800) halves."""
    bare = rounds("bare", [1000.0, 400.0, 800.0])  # median 800
    phigate = rounds("phigate-1w", [900.0, 360.0, 720.0])  # median 720
    assert paired_ratio(phigate, bare) == pytest.approx(0.9)
    drifting = rounds("phigate-1w", [300.0, 360.0, 400.0])  # rounds 0.3, 0.9, 0.5
    assert paired_ratio(drifting, bare) == pytest.approx(0.5)
    # a failed run leaves the rounds unaligned: no paired figure rather than a wrong one
    assert paired_ratio(rounds("phigate-1w", [900.0, 360.0]), bare) is None


def test_report_prints_each_rounds_rate_and_the_paired_ratio() -> None:
    settings = BenchSettings(100, 10, 5120, 10, 3, "python", 1.0)
    bare = rounds("bare", [1000.0, 400.0, 800.0])
    table, summary = render_report(bare, [rounds("phigate-1w", [900.0, 360.0, 720.0])], settings)
    assert summary["paired_ratio_1w"] == pytest.approx(0.9)
    assert summary["runs_msgs_per_s"] == {
        "bare": [1000.0, 400.0, 800.0],
        "phigate_1w": [900.0, 360.0, 720.0],
    }
    assert "  phigate_1w       900.0 360.0 720.0" in table


def test_cpu_of_a_child_that_died_and_was_reaped_stays_counted() -> None:
    """A detection process that dies during a timed run is gone from /proc by the end: its CPU
    is counted in its parent's (reaped children), so the run's CPU neither loses it nor turns
    negative (it read -0.21 ms a message with processes killed during the run)."""
    me = [os.getpid()]
    before, before_all = cpu_seconds(me), cpu_seconds(me, reaped=True)
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass\n"
    subprocess.run([sys.executable, "-c", burn], check=True)  # waited for: reaped
    grew = cpu_seconds(me, reaped=True) - before_all
    assert grew >= 0.4, grew  # the child's half second of CPU
    assert cpu_seconds(me) - before < grew - 0.3  # not in this process's own figure
