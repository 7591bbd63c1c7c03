"""Start-up to the first accepted SMTP message: `phigate serve` against a bare aiosmtpd relay.

Each run starts a real process (exec to the first 250 after DATA, measured from outside), with a
real config: the PHI detector, the shipped default policy, SQLite stores in a temporary
directory, and a loopback aiosmtpd next hop. The baseline is bench/relay.py's bare aiosmtpd
pass-through relay, started and timed the same way in the same run, so the ratio says what
phigate's own start-up costs on this machine as loaded as it is now. Peak RSS is each process's
high-water mark (VmHWM) just before it is stopped, summed over a supervisor's workers.

    .venv/bin/python bench/startup.py [--repeat 3] [--workers 1]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shlex
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.relay import (  # noqa: E402
    LOOPBACK,
    ManagedProcess,
    children_stopped_on_sigterm,
    cpu_seconds,
    default_phigate,
    descendant_pids,
    free_port,
    peak_rss_mb,
    phigate_serve_cmd,
)

TARGET_S = 5.0
RSS_TARGET_MB = 400.0
GIVE_UP_S = 120.0
POLL_S = 0.01
MESSAGE = (
    b"From: desk@practice.example\r\nTo: buyer@supplier.example\r\nSubject: Order 1182\r\n"
    b"Message-ID: <startup-%d@practice.example>\r\n\r\n"
    b"Please send two more boxes of nitrile gloves, size M, to the front desk.\r\n"
)


class CountingSink:
    """The next hop: accepts everything and counts the messages."""

    def __init__(self) -> None:
        self.messages = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Count and accept."""
        self.messages += 1
        return "250 2.0.0 Ok: queued"


def _reply(sock: socket.socket) -> int:
    """Read one (possibly multi-line) SMTP reply and return its code."""
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return 0
        data += chunk
        lines = data.split(b"\r\n")
        for line in lines[:-1]:
            if len(line) >= 4 and line[3:4] != b"-":
                return int(line[:3])


def try_send(port: int, seq: int) -> int:
    """One attempt to send a message: the final reply code (0 if nothing listens yet)."""
    try:
        sock = socket.create_connection((LOOPBACK, port), timeout=30)
    except OSError:
        return 0
    with sock:
        try:
            code = _reply(sock)
            if code != 220:
                return code
            for command, want in (
                (b"EHLO bench.invalid\r\n", 250),
                (b"MAIL FROM:<desk@practice.example>\r\n", 250),
                (b"RCPT TO:<buyer@supplier.example>\r\n", 250),
                (b"DATA\r\n", 354),
            ):
                sock.sendall(command)
                code = _reply(sock)
                if code != want:
                    return code
            sock.sendall(MESSAGE % seq + b".\r\n")
            code = _reply(sock)
            sock.sendall(b"QUIT\r\n")
            return code
        except OSError:
            return 0


@dataclass(frozen=True)
class StartResult:
    """One start: seconds from exec to the first 250, refusals seen before it, peak RSS
    summed over its processes and of its largest process (a worker)."""

    seconds: float
    early_replies: tuple[int, ...]
    peak_rss_mb: float
    largest_rss_mb: float
    # CPU (user + system) of its processes up to the first 250: steadier than the seconds on a
    # shared machine, where another tenant's load moves the wall-clock
    cpu_s: float = 0.0


def time_start(name: str, cmd: Sequence[str], port: int, log: Path, seq: int) -> StartResult:
    """Start `cmd`, send until a message is accepted, read its memory, and stop it."""
    early: list[int] = []
    t0 = time.perf_counter()
    proc = ManagedProcess(name, cmd, log)
    try:
        while True:
            if proc.proc.poll() is not None:
                raise RuntimeError(f"{name} exited early:\n{proc.log_tail()}")
            code = try_send(port, seq)
            if code == 250:
                break
            if code:
                early.append(code)
                if code >= 500:
                    raise RuntimeError(f"{name} refused the message with {code}")
            if time.perf_counter() - t0 > GIVE_UP_S:
                raise RuntimeError(f"{name} accepted nothing within {GIVE_UP_S:.0f}s")
            time.sleep(POLL_S)
        seconds = time.perf_counter() - t0
        pids = [proc.pid, *descendant_pids(proc.pid)]
        cpu = cpu_seconds(pids)
        rss = [peak_rss_mb(pid) or 0.0 for pid in pids]
    finally:
        proc.stop()
    return StartResult(seconds, tuple(sorted(set(early))), sum(rss), max(rss), cpu)


def write_config(directory: Path, policy: Path) -> Path:
    """A real config: PHI detector, the given policy, every store SQLite in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "phigate.yaml"
    d = directory
    config.write_text(
        f"policy_file: {policy}\n"
        f"audit: {{url: 'sqlite:///{d / 'audit.db'}', key_file: {d / 'audit.key'}, "
        f"anchor_file: {d / 'audit.anchor'}}}\n"
        f"quarantine: {{url: 'sqlite:///{d / 'quarantine.db'}', "
        f"master_key_file: {d / 'quarantine.key'}}}\n"
        f"patients: {{url: 'sqlite:///{d / 'patients.db'}', key_file: {d / 'roster.key'}}}\n"
        f"portal: {{store_url: 'sqlite:///{d / 'portal.db'}', "
        f"master_key_file: {d / 'portal.key'}}}\n"
        f"smime: {{store_dir: {d / 'certs'}}}\n"
        f"pgp: {{home: {d / 'gpg'}}}\n"
        "notices: {postmaster: postmaster@practice.example}\n"
        "detection: {detector: phi}\n"
        "metrics: {listen: null}\n"
        "logging: {level: warning}\n"
    )
    return config


def bytecode_cached(roots: Sequence[Path]) -> tuple[int, int]:
    """How many of the modules under ``roots`` have bytecode that an import would use (a .pyc
    written from their present source), and how many modules there are. A start without it
    compiles the source first: a host that sets PYTHONDONTWRITEBYTECODE=1 never writes it."""
    cached = total = 0
    for root in roots:
        for source in root.rglob("*.py"):
            total += 1
            pyc = Path(importlib.util.cache_from_source(str(source)))
            try:
                data = pyc.read_bytes()[:16]
                st = source.stat()
            except OSError:
                continue
            stamp = (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
            stamp += (st.st_size & 0xFFFFFFFF).to_bytes(4, "little")
            flags = int.from_bytes(data[4:8], "little")
            if flags == 0 and data[8:16] == stamp:
                cached += 1
            elif (
                flags & 0b1
                and (
                    not flags & 0b10  # a hash-based pyc that is never checked
                    or data[8:16] == importlib.util.source_hash(source.read_bytes())
                )
            ):
                cached += 1
    return cached, total


def build_parser() -> argparse.ArgumentParser:
    """Return the benchmark's argument parser."""
    parser = argparse.ArgumentParser(
        prog="bench/startup.py",
        description="Start-up to the first accepted message: phigate serve vs a bare relay.",
    )
    parser.add_argument("--repeat", type=int, default=3, help="starts of each; the median counts")
    parser.add_argument("--workers", type=int, default=1, help="phigate workers")
    parser.add_argument(
        "--phigate", default=default_phigate(), help="command that starts phigate (shell words)"
    )
    parser.add_argument(
        "--policy", default=str(REPO_ROOT / "policies" / "default.yaml"), help="policy file"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the starts round-robin and print the table and a JSON line."""
    args = build_parser().parse_args(argv)
    sink = CountingSink()
    sink_port = free_port()
    controller = Controller(sink, hostname=LOOPBACK, port=sink_port)
    controller.start()
    me = [sys.executable, str(REPO_ROOT / "bench" / "relay.py")]
    bare: list[StartResult] = []
    phigate: list[StartResult] = []
    try:
        with tempfile.TemporaryDirectory(prefix="phigate-startup-", dir="/tmp") as tmp:
            work = Path(tmp)
            for run in range(args.repeat):
                # A fresh state directory each time: the first start of a new install counts.
                port = free_port()
                cmd = [*me, "_bare", "--port", str(port), "--next-port", str(sink_port)]
                bare.append(time_start("bare", cmd, port, work / f"bare-{run}.log", run))
                port = free_port()
                config = write_config(work / f"phigate-{run}", Path(args.policy))
                cmd = phigate_serve_cmd(
                    shlex.split(args.phigate), port, sink_port, config, args.workers
                )
                phigate.append(
                    time_start("phigate", cmd, port, work / f"phigate-{run}.log", 1000 + run)
                )
                print(
                    f"run {run + 1}/{args.repeat}: bare {bare[-1].seconds:.2f}s, "
                    f"phigate {phigate[-1].seconds:.2f}s",
                    file=sys.stderr,
                )
    finally:
        controller.stop()
    b = statistics.median(r.seconds for r in bare)
    p = statistics.median(r.seconds for r in phigate)
    rss = max(r.peak_rss_mb for r in phigate)
    largest = max(r.largest_rss_mb for r in phigate)
    early = sorted({c for r in phigate for c in r.early_replies})
    print(
        f"{'':28}{'median s':>10}{'runs s':>30}{'CPU s':>8}{'peak RSS MB':>14}{'largest proc':>14}"
    )
    for name, results in (
        ("bare aiosmtpd relay", bare),
        (f"phigate serve ({args.workers}w)", phigate),
    ):
        runs = " ".join(f"{r.seconds:.2f}" for r in results)
        peak = max(r.peak_rss_mb for r in results)
        one = max(r.largest_rss_mb for r in results)
        median = statistics.median(r.seconds for r in results)
        cpu = statistics.median(r.cpu_s for r in results)
        print(f"{name:28}{median:>10.2f}{runs:>30}{cpu:>8.2f}{peak:>14.0f}{one:>14.0f}")
    print(
        f"ratio phigate/bare: {p / b:.1f}x; target <= {TARGET_S:.0f} s: {'met' if p <= TARGET_S else 'NOT met'}"
    )
    print(f"replies before the first 250 (fail closed while loading): {early or 'none'}")
    cached, modules = bytecode_cached([REPO_ROOT / "gateway", REPO_ROOT / "detectors"])
    print(
        f"phigate's modules with up-to-date bytecode: {cached} of {modules}"
        + ("" if cached == modules else " (the rest compile at every start: `make install`)")
    )
    summary = {
        "bare_s": round(b, 3),
        "phigate_s": round(p, 3),
        "phigate_cpu_s": round(statistics.median(r.cpu_s for r in phigate), 2),
        "ratio": round(p / b, 2),
        "peak_rss_mb": round(rss, 1),
        "largest_process_rss_mb": round(largest, 1),
        "early_replies": early,
        "workers": args.workers,
        "sink_messages": sink.messages,
        "bytecode_cached": [cached, modules],
        "ok": p <= TARGET_S and largest <= RSS_TARGET_MB,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    with children_stopped_on_sigterm():
        sys.exit(main())
