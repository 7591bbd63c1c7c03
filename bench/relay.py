"""Relay throughput benchmark: a bare aiosmtpd pass-through relay against phigate.

Every relay runs in its own process between one load generator and one counting
SMTP sink (also in its own process). Each relay is started, warmed up, timed with
the same load and stopped in exactly the same way; the sink's message count proves
that every message of every run arrived. See bench/README.md for how to read the
output.

The module also holds the helper processes it starts (``_sink``, ``_bare`` and
``_loadgen`` sub-commands); they are not meant to be run by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import math
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import IO

import aiosmtplib
from aiosmtpd.smtp import SMTP, Envelope, Session

if str(Path(__file__).resolve().parent.parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.args import positive_int  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
SMTP_SOURCE = "/usr/sbin/smtp-source"
LOOPBACK = "127.0.0.1"
MAIL_FROM = "bench-sender@clinic.example"
RCPT_TO = "bench-recipient@partner.example"
STAT_VERB = b"XSTAT"
# Targets, as phigate throughput / bare relay throughput, per worker count. The relay core (the
# null detector) has the benchmark's own first targets; PHI detection has issue 14's, which are
# for the realistic mix (--mix) only: on filler text they would be met by text with nothing in it.
TARGET_RATIO = {1: 0.9, 2: 1.6}
MIX_TARGET_RATIO = {1: 0.35, 2: 0.5}
READY_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 20.0
# A helper process that burns this share of one core during a timed run may be the bottleneck.
BOTTLENECK_CPU_SHARE = 0.85
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """A benchmark step could not be carried out (process did not start, sink unreachable)."""


# --------------------------------------------------------------------------------------
# The sink: a minimal asyncio SMTP server that counts messages and answers 250.
# --------------------------------------------------------------------------------------


@dataclasses.dataclass
class SinkCounters:
    """Running totals of what the sink accepted since it started."""

    messages: int = 0
    recipients: int = 0
    body_bytes: int = 0


class SinkProtocol(asyncio.Protocol):
    """A cheap SMTP server (PIPELINING-aware) that discards every message after counting it.

    It is hand-written on asyncio.Protocol rather than on aiosmtpd so that it costs far
    less CPU per message than the relays it measures.
    """

    _EHLO_REPLY = (
        b"250-sink.invalid\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 104857600\r\n250 HELP\r\n"
    )
    _EHLO_REPLY_NO_PIPELINING = _EHLO_REPLY.replace(b"250-PIPELINING\r\n", b"")
    _MAX_LINE = 4096

    def __init__(self, counters: SinkCounters, pipelining: bool = True) -> None:
        self._counters = counters
        self._ehlo_reply = self._EHLO_REPLY if pipelining else self._EHLO_REPLY_NO_PIPELINING
        self._transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._in_data = False
        self._scan_from = 0
        self._have_sender = False
        self._rcpts = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Greet the client."""
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.write(b"220 sink.invalid ESMTP bench sink\r\n")

    def data_received(self, data: bytes) -> None:
        """Consume commands and message data, answering each command in order."""
        self._buf += data
        while self._transport is not None and not self._transport.is_closing():
            if self._in_data:
                if not self._consume_data():
                    return
            elif not self._consume_command():
                return

    def _consume_data(self) -> bool:
        # The buffer starts with a synthetic CRLF, so an empty body is found too.
        end = self._buf.find(b"\r\n.\r\n", self._scan_from)
        if end < 0:
            self._scan_from = max(0, len(self._buf) - 4)
            return False
        self._counters.messages += 1
        self._counters.recipients += self._rcpts
        self._counters.body_bytes += max(0, end - 2)
        del self._buf[: end + 5]
        self._in_data = False
        self._start_over(have_sender=False)
        self._reply(b"250 2.0.0 Ok: counted\r\n")
        return True

    def _start_over(self, *, have_sender: bool) -> None:
        self._have_sender = have_sender
        self._rcpts = 0

    def _consume_command(self) -> bool:
        end = self._buf.find(b"\r\n")
        if end < 0:
            if len(self._buf) > self._MAX_LINE:
                self._reply(b"500 5.5.2 Line too long\r\n")
                self._close()
            return False
        line = bytes(self._buf[:end])
        del self._buf[: end + 2]
        verb = line[:4].upper()
        if verb == b"EHLO":
            self._reply(self._ehlo_reply)
        elif verb == b"HELO":
            self._reply(b"250 sink.invalid\r\n")
        elif verb == b"MAIL":
            self._start_over(have_sender=True)
            self._reply(b"250 2.1.0 Ok\r\n")
        elif verb == b"RCPT":
            if not self._have_sender:
                self._reply(b"503 5.5.1 Need MAIL first\r\n")
            else:
                self._rcpts += 1
                self._reply(b"250 2.1.5 Ok\r\n")
        elif verb == b"DATA":
            if self._rcpts == 0:
                self._reply(b"503 5.5.1 Need RCPT first\r\n")
            else:
                self._in_data = True
                self._buf[0:0] = b"\r\n"
                self._scan_from = 0
                self._reply(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"RSET":
            self._start_over(have_sender=False)
            self._reply(b"250 2.0.0 Ok\r\n")
        elif verb == b"NOOP":
            self._reply(b"250 2.0.0 Ok\r\n")
        elif verb == b"QUIT":
            self._reply(b"221 2.0.0 Bye\r\n")
            self._close()
        elif line.upper() == STAT_VERB:
            c = self._counters
            self._reply(
                f"250 messages={c.messages} recipients={c.recipients} "
                f"bytes={c.body_bytes}\r\n".encode()
            )
        else:
            self._reply(b"502 5.5.2 Command not implemented\r\n")
        return True

    def _reply(self, data: bytes) -> None:
        if self._transport is not None:
            self._transport.write(data)

    def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def _serve_forever(server: asyncio.AbstractServer) -> None:
    """Serve until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


async def run_sink(host: str, port: int, pipelining: bool = True) -> None:
    """Run the counting sink until SIGTERM."""
    counters = SinkCounters()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SinkProtocol(counters, pipelining), host, port, backlog=1024
    )
    await _serve_forever(server)


# --------------------------------------------------------------------------------------
# The baseline: a bare aiosmtpd pass-through relay.
# --------------------------------------------------------------------------------------


class PassThroughHandler:
    """aiosmtpd handler that hands each message to the next hop before it answers 250.

    Outbound connections are kept in a pool of idle, connected aiosmtplib clients: a
    message takes an idle connection (or opens one), sends on it and puts it back, so
    the pool grows to the inbound concurrency and connections are reused across
    messages and inbound sessions. A next-hop failure answers 451, never 250.
    """

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._idle: list[aiosmtplib.SMTP] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Relay the message, answering 250 only after the next hop accepted it."""
        content = envelope.original_content
        if envelope.mail_from is None or content is None:
            return "503 5.5.1 Bad sequence"
        for attempt in (1, 2):
            client = self._idle.pop() if self._idle else None
            reused = client is not None
            if client is None:
                client = aiosmtplib.SMTP(
                    hostname=self._host, port=self._port, start_tls=False, timeout=30
                )
            try:
                if not client.is_connected:
                    await client.connect()
                await client.sendmail(envelope.mail_from, envelope.rcpt_tos, content)
            except (aiosmtplib.SMTPException, OSError) as exc:
                client.close()
                # A pooled connection may have been dropped by the next hop; retry once fresh.
                if reused and attempt == 1 and isinstance(exc, aiosmtplib.SMTPServerDisconnected):
                    continue
                return f"451 4.4.1 Next hop failed ({type(exc).__name__})"
            self._idle.append(client)
            return "250 2.0.0 Ok: relayed"
        return "451 4.4.1 Next hop failed"

    async def handle_exception(self, error: Exception) -> str:
        """Answer 451 rather than aiosmtpd's default 500 with the exception text."""
        return f"451 4.3.0 Relay error ({type(error).__name__})"


async def run_bare_relay(host: str, port: int, next_host: str, next_port: int) -> None:
    """Run the bare pass-through relay until SIGTERM."""
    handler = PassThroughHandler(next_host, next_port)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="bare-relay.invalid"), host, port, backlog=1024
    )
    await _serve_forever(server)


# --------------------------------------------------------------------------------------
# The fallback load generator (used when Postfix's smtp-source is not installed).
# --------------------------------------------------------------------------------------


class LoadgenError(Exception):
    """The server answered a load-generator command with an unexpected reply code."""


def build_message(size: int, seq: int) -> bytes:
    """Return one ready-to-send (CRLF, dot-safe) message with a payload of about size bytes."""
    line = b"La la la la la la la la la la la la la la la la la la la la la la la la la.\r\n"
    payload = (line * (size // len(line) + 1))[:size]
    if not payload.endswith(b"\r\n"):
        payload = payload[:-2] + b"\r\n" if len(payload) >= 2 else b"\r\n"
    headers = (
        f"From: <{MAIL_FROM}>\r\nTo: <{RCPT_TO}>\r\nSubject: bench {seq}\r\n"
        f"Message-ID: <bench-{seq}-{os.getpid()}@loadgen.invalid>\r\n\r\n"
    ).encode()
    return headers + payload


async def _expect(reader: asyncio.StreamReader, code: int) -> None:
    while True:
        line = await reader.readline()
        if len(line) < 4:
            raise LoadgenError("connection closed or short reply")
        if line[3:4] != b"-":
            break
    if int(line[:3]) != code:
        raise LoadgenError(f"expected {code}, got {int(line[:3])}")


async def _send_one(host: str, port: int, message: bytes) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        await _expect(reader, 220)
        for command, code in (
            (b"EHLO loadgen.invalid\r\n", 250),
            (f"MAIL FROM:<{MAIL_FROM}>\r\n".encode(), 250),
            (f"RCPT TO:<{RCPT_TO}>\r\n".encode(), 250),
            (b"DATA\r\n", 354),
        ):
            writer.write(command)
            await _expect(reader, code)
        writer.write(message + b".\r\n")
        await _expect(reader, 250)
        writer.write(b"QUIT\r\n")
        await _expect(reader, 221)
    finally:
        writer.close()


def load_mix(folders: Sequence[str]) -> list[bytes]:
    """The .eml files of the folders (sorted), ready to send: CRLF line ends, dots stuffed."""
    out: list[bytes] = []
    for folder in folders:
        for path in sorted(Path(folder).glob("*.eml")):
            raw = re.sub(rb"\r\n|\r|\n", b"\r\n", path.read_bytes())
            if not raw.endswith(b"\r\n"):
                raw += b"\r\n"
            out.append(re.sub(rb"(?m)^\.", b"..", raw))
    if not out:
        raise LoadgenError(f"no .eml files in {', '.join(folders)}")
    return out


def _manifest_labels(folder: str) -> dict[str, str | None] | None:
    """Each file's label in the folder's manifest.jsonl; None when it has no manifest."""
    manifest = Path(folder) / "manifest.jsonl"
    if not manifest.exists():
        return None
    labels: dict[str, str | None] = {}
    for line in manifest.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            labels[row["file"]] = row.get("label")
    return labels


def weighted_mix(folders: Sequence[str], clean_share: float) -> list[bytes]:
    """The mix's messages in an order that sends ``clean_share`` of them clean: the clean and
    the PHI messages (by the folders' manifests) each taken in turn, spread evenly, every one of
    them at least once. The issue's realistic mix is mostly clean; the corpora here are not."""
    clean: list[bytes] = []
    phi: list[bytes] = []
    for folder in folders:
        labels = _manifest_labels(folder)
        if labels is None:
            raise LoadgenError(f"--clean-share needs a manifest.jsonl in {folder}")
        for path, message in zip(
            sorted(Path(folder).glob("*.eml")), load_mix([folder]), strict=True
        ):
            (phi if labels.get(path.name) == "phi" else clean).append(message)
    if not 0.0 <= clean_share <= 1.0:
        raise LoadgenError("--clean-share is a fraction from 0 to 1")
    if (clean_share > 0 and not clean) or (clean_share < 1 and not phi):
        raise LoadgenError("the mix has no clean or no PHI messages to weight")
    wanted = [
        len(clean) / clean_share if clean_share > 0 else 0.0,
        len(phi) / (1 - clean_share) if clean_share < 1 else 0.0,
    ]
    total = max(1, math.ceil(max(wanted)))
    out: list[bytes] = []
    c = p = 0
    for k in range(total):
        # Bresenham: a clean message wherever the running clean count steps up.
        if math.floor((k + 1) * clean_share) > math.floor(k * clean_share):
            out.append(clean[c % len(clean)])
            c += 1
        else:
            out.append(phi[p % len(phi)])
            p += 1
    return out


def mix_composition(folders: Sequence[str]) -> str:
    """How many of the mix's messages each folder's manifest.jsonl labels PHI ("" when a
    folder has no manifest): the issue's realistic mix is mostly clean, and a reader of the
    figures should see how far a given mix is from that."""
    phi = total = 0
    for folder in folders:
        labels = _manifest_labels(folder)
        if labels is None:
            return ""
        for path in Path(folder).glob("*.eml"):
            total += 1
            phi += labels.get(path.name) == "phi"
    return f"{phi} of {total} labelled PHI" if total else ""


async def run_loadgen(
    host: str,
    port: int,
    messages: int,
    concurrency: int,
    size: int,
    mix: Sequence[str] = (),
    clean_share: float | None = None,
) -> None:
    """Send messages over concurrency parallel sessions (one connection per message, as
    smtp-source without -d) and print one JSON line with the counts and the elapsed time.

    With `mix` folders, the messages are their .eml files in turn instead of filler text; with
    `clean_share` too, in the order `weighted_mix` gives."""
    if not mix:
        mixed = []
    elif clean_share is None:
        mixed = load_mix(mix)
    else:
        mixed = weighted_mix(mix, clean_share)
    remaining = messages
    sent = 0
    failed = 0
    errors: dict[str, int] = {}

    async def session() -> None:
        nonlocal remaining, sent, failed
        while remaining > 0:
            remaining -= 1
            try:
                message = mixed[remaining % len(mixed)] if mixed else build_message(size, remaining)
                await _send_one(host, port, message)
            except (LoadgenError, OSError) as exc:
                failed += 1
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            else:
                sent += 1

    start, cpu0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(session() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    report = {
        "sent": sent,
        "failed": failed,
        "elapsed_s": elapsed,
        "cpu_s": time.process_time() - cpu0,
        "errors": errors,
    }
    print(json.dumps(report))


# --------------------------------------------------------------------------------------
# Harness helpers: ports, /proc, the sink's counters.
# --------------------------------------------------------------------------------------


def progress(text: str) -> None:
    """Tell the person waiting what the harness is doing (on stderr, with a timestamp)."""
    print(f"{time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


def free_port() -> int:
    """Return a loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclasses.dataclass(frozen=True)
class SinkStats:
    """A snapshot of the sink's counters."""

    messages: int
    recipients: int
    body_bytes: int


def read_sink_stats(port: int) -> SinkStats:
    """Ask the sink for its counters with the bench-only XSTAT verb."""
    with socket.create_connection((LOOPBACK, port), timeout=10) as sock:
        stream = sock.makefile("rwb")
        stream.readline()
        stream.write(STAT_VERB + b"\r\n")
        stream.flush()
        reply = stream.readline().decode().split()
        stream.write(b"QUIT\r\n")
        stream.flush()
    if not reply or reply[0] != "250":
        raise BenchError(f"sink answered XSTAT with {reply!r}")
    fields = dict(item.split("=", 1) for item in reply[1:])
    return SinkStats(int(fields["messages"]), int(fields["recipients"]), int(fields["bytes"]))


def smtp_banner_ok(port: int) -> bool:
    """Return whether something on the port greets with 220."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=5) as sock:
            stream = sock.makefile("rwb")
            ok = stream.readline().startswith(b"220")
            stream.write(b"QUIT\r\n")
            stream.flush()
            return ok
    except OSError:
        return False


def listening_sockets(port: int) -> int:
    """Count LISTEN sockets on the port (one per SO_REUSEPORT worker)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in lines:
            cols = row.split()
            if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "0A":
                count += 1
    return count


def _proc_stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    # The command name may contain spaces; fields after it start with the state.
    return text[text.rindex(")") + 2 :].split()


def child_pids(pid: int) -> list[int]:
    """Return the direct children of pid."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_proc_stat(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return sorted(found)


def descendant_pids(pid: int) -> list[int]:
    """Return pid's children, grandchildren and so on."""
    result: list[int] = []
    todo = [pid]
    while todo:
        kids = child_pids(todo.pop())
        result.extend(kids)
        todo.extend(kids)
    return result


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def worker_pids(pid: int) -> list[int]:
    """Return the relay's worker processes: the supervisor's children, or itself alone."""
    helpers = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")
    kids = [k for k in child_pids(pid) if not any(h in _cmdline(k) for h in helpers)]
    return kids or [pid]


def detection_pids(pids: Sequence[int], cmdline: Callable[[int], str] = _cmdline) -> list[int]:
    """The pids of ``pids`` that are phigate's detection machinery: the fork server and the
    detection processes forked from it, which carry the fork server's command line."""
    return [pid for pid in pids if "multiprocessing.forkserver" in cmdline(pid)]


def cpu_seconds(pids: Sequence[int], *, reaped: bool = False) -> float:
    """Return the user+system CPU seconds used so far by the live processes in pids; with
    ``reaped``, also by the children each has waited for (a detection process that died during
    a run and was replaced: its CPU stays counted, in its fork server's)."""
    total = 0
    for pid in pids:
        try:
            fields = _proc_stat(pid)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
        if reaped:
            total += int(fields[13]) + int(fields[14])
    return total / CLK_TCK


_BATCHES = re.compile(r'^phigate_detection_batches_total\{messages="(\d+)"\} ([0-9.e+]+)$', re.M)


def parse_detection_batches(metrics_text: str) -> dict[int, int]:
    """phigate_detection_batches_total by its `messages` label, from a /metrics page."""
    return {int(m.group(1)): int(float(m.group(2))) for m in _BATCHES.finditer(metrics_text)}


def read_detection_batches(metrics_port: int) -> dict[int, int] | None:
    """The detection processes' answers so far, by size, from phigate's /metrics (None when it
    does not answer)."""
    try:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{metrics_port}/metrics", timeout=10) as r:
            return parse_detection_batches(r.read().decode())
    except OSError:
        return None


def batch_figures(batches: dict[int, int]) -> dict[str, float]:
    """Messages a batch on average, and the share of messages scanned alone."""
    messages = sum(size * count for size, count in batches.items())
    answers = sum(batches.values())
    return {
        "messages_per_batch": round(messages / answers, 2) if answers else 0.0,
        "messages_alone_share": round(batches.get(1, 0) / messages, 3) if messages else 0.0,
    }


def proc_status_mb(pid: int, field: str) -> float | None:
    """Return a kB figure of /proc/PID/status (VmHWM, VmRSS ...) in MiB; None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def peak_rss_mb(pid: int) -> float | None:
    """Return the process's peak resident set size (VmHWM) in MiB."""
    return proc_status_mb(pid, "VmHWM")


# --------------------------------------------------------------------------------------
# Harness: processes, load, measurements.
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LoadResult:
    """One load-generator run as the load generator saw it."""

    elapsed_s: float
    completed: int
    cpu_s: float
    returncode: int
    detail: str


@dataclasses.dataclass(frozen=True)
class Measurement:
    """One timed run of one relay."""

    elapsed_s: float
    delivered: int
    load: LoadResult
    relay_cpu_s: float
    sink_cpu_s: float
    # Of relay_cpu_s, what phigate's detection processes (and their fork server) used; None
    # when the relay had none. A measured 0.0 is kept: /proc counts CPU in clock ticks, so a
    # short run of small scans can round down to nothing.
    detection_cpu_s: float | None = None
    # Answers of phigate's detection processes during the run, by the messages each held
    # (phigate_detection_batches_total); None when the relay has no metrics to read them from.
    detection_batches: dict[int, int] | None = None


@dataclasses.dataclass(frozen=True)
class RelayResult:
    """All timed runs of one relay plus its memory figures."""

    name: str
    workers: int
    runs: tuple[Measurement, ...]
    peak_rss_mb: tuple[float, ...]
    supervisor_rss_mb: float | None
    failures: tuple[str, ...]

    @property
    def msgs_per_s(self) -> float:
        """Median throughput over the timed runs (only fully delivered runs count)."""
        rates = [
            m.delivered / m.elapsed_s for m in self.runs if m.elapsed_s > 0 and m.delivered > 0
        ]
        return statistics.median(rates) if rates else 0.0

    @property
    def delivered(self) -> int:
        """Messages the sink counted over all timed runs."""
        return sum(m.delivered for m in self.runs)

    @property
    def detection_batches(self) -> dict[int, int] | None:
        """The detection processes' answers over all timed runs, by the messages each held
        (None unless every run read them)."""
        if not self.runs or any(m.detection_batches is None for m in self.runs):
            return None
        total: dict[int, int] = {}
        for m in self.runs:
            for size, count in (m.detection_batches or {}).items():
                total[size] = total.get(size, 0) + count
        return dict(sorted(total.items()))


@dataclasses.dataclass(frozen=True)
class BenchSettings:
    """What to send and how."""

    messages: int
    concurrency: int
    size: int
    warmup: int
    repeat: int
    loadgen: str
    settle_s: float
    detector: str = "null"
    mix: tuple[str, ...] = ()  # folders of .eml files sent in turn instead of filler
    clean_share: float | None = None  # with mix: the share of the messages sent that are clean


def _wait4(proc: subprocess.Popen[bytes]) -> tuple[int, float]:
    """Reap proc and return its exit code and CPU seconds."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_utime + usage.ru_stime


def _counter_from_smtp_source(stdout: str) -> int:
    """Return the last value of smtp-source's -c running counter (completed DATA commands)."""
    for token in reversed(stdout.replace("\r", "\n").split()):
        if token.isdigit():
            return int(token)
    return 0


def run_load(settings: BenchSettings, port: int, messages: int) -> LoadResult:
    """Run the load generator once against the port and wait for it to finish."""
    if settings.loadgen == "smtp-source":
        cmd = [
            SMTP_SOURCE,
            "-s",
            str(settings.concurrency),
            "-m",
            str(messages),
            "-l",
            str(settings.size),
            "-c",
            "-M",
            "loadgen.invalid",
            "-f",
            MAIL_FROM,
            "-t",
            RCPT_TO,
            f"{LOOPBACK}:{port}",
        ]
    else:
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "_loadgen",
            "--port",
            str(port),
            "--messages",
            str(messages),
            "--concurrency",
            str(settings.concurrency),
            "--size",
            str(settings.size),
            *(arg for folder in settings.mix for arg in ("--mix", folder)),
            *(
                ("--clean-share", str(settings.clean_share))
                if settings.clean_share is not None
                else ()
            ),
        ]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        returncode, cpu = _wait4(proc)
        elapsed = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace").strip()
    if settings.loadgen == "smtp-source":
        return LoadResult(elapsed, _counter_from_smtp_source(stdout), cpu, returncode, stderr)
    try:
        report = json.loads(stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return LoadResult(elapsed, 0, cpu, returncode or 1, stderr[-500:])
    detail = json.dumps(report["errors"]) if report["failed"] else stderr[-500:]
    # The generator times itself and counts its own CPU while it sends, so its interpreter
    # start-up and the reading of the mix are in neither (a short run's start-up read as the
    # generator using several cores).
    return LoadResult(
        report["elapsed_s"], report["sent"], report.get("cpu_s", cpu), returncode, detail
    )


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    signal.signal(signum, signal.SIG_IGN)  # a second one must not cut the clean-up short
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def children_stopped_on_sigterm() -> Iterator[None]:
    """While the benchmark runs, SIGTERM (`kill`, `timeout`) raises SystemExit, so the `finally`
    blocks stop every ManagedProcess. Without it a benchmark stopped so left phigate, its
    detection processes and the sink running, holding loopback ports and cores."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class ManagedProcess:
    """A child process that is always stopped with SIGTERM (then SIGKILL) on exit."""

    def __init__(self, name: str, cmd: Sequence[str], log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("wb")
        self.proc = subprocess.Popen(
            list(cmd), stdout=self._log, stderr=subprocess.STDOUT, cwd=REPO_ROOT
        )

    @property
    def pid(self) -> int:
        """The process id."""
        return self.proc.pid

    def log_tail(self, lines: int = 15) -> str:
        """Return the last lines of the process's output."""
        if not self._log.closed:
            self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    @property
    def stopped(self) -> bool:
        """Whether stop() has run."""
        return self._log.closed

    def stop(self) -> str | None:
        """Stop the process; return a problem description if it did not stop cleanly."""
        if self.stopped:
            return None
        problem = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                problem = f"{self.name} did not exit within {STOP_TIMEOUT_S:.0f}s of SIGTERM"
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return problem

    def wait_ready(self, port: int, listeners: int) -> None:
        """Wait until the port greets with 220 and has the expected number of listeners."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(
                    f"{self.name} exited with {self.proc.returncode} before it was ready"
                )
            if listening_sockets(port) >= listeners and smtp_banner_ok(port):
                return
            time.sleep(0.1)
        raise BenchError(f"{self.name} was not ready within {READY_TIMEOUT_S:.0f}s")


def wait_for_sink(sink_port: int, before: SinkStats, expected: int, settle_s: float) -> int:
    """Wait until the sink counted expected more messages (or stopped counting); return the count."""
    last = -1
    last_change = time.monotonic()
    while True:
        now = read_sink_stats(sink_port).messages - before.messages
        if now >= expected:
            return now
        if now != last:
            last, last_change = now, time.monotonic()
        elif time.monotonic() - last_change > settle_s:
            return now
        time.sleep(0.05)


class RelayUnderTest:
    """One relay process through its life: start, warm up, timed runs, memory, stop."""

    def __init__(
        self,
        name: str,
        workers: int,
        cmd: Sequence[str],
        port: int,
        settings: BenchSettings,
        workdir: Path,
        metrics_port: int | None = None,
    ) -> None:
        self.name = name
        self.workers = workers
        self._cmd = list(cmd)
        self._port = port
        self._metrics_port = metrics_port
        self._settings = settings
        self._workdir = workdir
        self._relay: ManagedProcess | None = None
        self._runs: list[Measurement] = []
        self._failures: list[str] = []

    @property
    def usable(self) -> bool:
        """Whether the relay started and is still running."""
        return self._relay is not None and self._relay.proc.poll() is None

    def start(self, sink_port: int) -> None:
        """Start the relay, wait until it listens, and send the warm-up messages."""
        settings = self._settings
        progress(f"{self.name}: starting")
        self._relay = ManagedProcess(self.name, self._cmd, self._workdir / f"{self.name}.log")
        try:
            self._relay.wait_ready(self._port, self.workers)
            if settings.warmup > 0:
                progress(f"{self.name}: warming up with {settings.warmup} messages")
                before = read_sink_stats(sink_port)
                warm = run_load(settings, self._port, settings.warmup)
                got = wait_for_sink(sink_port, before, settings.warmup, settings.settle_s)
                if got != settings.warmup:
                    self._failures.append(
                        f"warm-up delivered {got}/{settings.warmup} (load generator exit "
                        f"{warm.returncode}: {warm.detail[-300:]})"
                    )
        except BenchError as exc:
            self._failures.append(str(exc))
            self._stop()

    def timed_run(self, sink: ManagedProcess, sink_port: int, label: str) -> None:
        """Send the timed load once and check that the sink counted every message."""
        settings = self._settings
        if self._relay is None or not self.usable:
            self._failures.append(f"{label}: skipped, the relay is not running")
            return
        progress(f"{self.name}: timed {label}")
        try:
            # The detection batches are read outside the CPU counts: rendering /metrics is the
            # benchmark's own cost, not the relay's.
            batches0 = self._batches()
            # The relay's processes are listed again at the end, and the children they reaped
            # are counted: a process that died during the run (and its replacement) is
            # neither lost nor subtracted.
            procs = [self._relay.pid, *descendant_pids(self._relay.pid)]
            detecting = detection_pids(procs)
            relay_cpu0 = cpu_seconds(procs, reaped=True)
            detection_cpu0 = cpu_seconds(detecting, reaped=True)
            sink_cpu0 = cpu_seconds([sink.pid])
            before = read_sink_stats(sink_port)
            load = run_load(settings, self._port, settings.messages)
            delivered = wait_for_sink(sink_port, before, settings.messages, settings.settle_s)
            procs = [self._relay.pid, *descendant_pids(self._relay.pid)]
            relay_cpu = cpu_seconds(procs, reaped=True) - relay_cpu0
            detecting = detection_pids(procs) if detecting else []
            detection_cpu = (
                cpu_seconds(detecting, reaped=True) - detection_cpu0 if detecting else None
            )
            sink_cpu = cpu_seconds([sink.pid]) - sink_cpu0
            batches1 = self._batches()
        except BenchError as exc:
            self._failures.append(f"{label}: {exc}")
            return
        batches = None
        if batches0 is not None and batches1 is not None:
            batches = {
                size: count - batches0.get(size, 0)
                for size, count in batches1.items()
                if count > batches0.get(size, 0)
            }
        self._runs.append(
            Measurement(
                load.elapsed_s, delivered, load, relay_cpu, sink_cpu, detection_cpu, batches
            )
        )
        if delivered != settings.messages or load.returncode != 0:
            self._failures.append(
                f"{label}: sink counted {delivered}/{settings.messages}, load generator "
                f"completed {load.completed} and exited {load.returncode}: {load.detail[-300:]}"
            )

    def _batches(self) -> dict[int, int] | None:
        return None if self._metrics_port is None else read_detection_batches(self._metrics_port)

    def finish(self) -> RelayResult:
        """Read the workers' peak RSS, stop the relay and return its results."""
        rss: tuple[float, ...] = ()
        supervisor_rss: float | None = None
        if self._relay is not None and self.usable:
            pids = worker_pids(self._relay.pid)
            rss = tuple(v for v in (peak_rss_mb(p) for p in pids) if v is not None)
            if pids != [self._relay.pid]:
                supervisor_rss = peak_rss_mb(self._relay.pid)
            if len(pids) != self.workers:
                self._failures.append(
                    f"expected {self.workers} worker process(es), found {len(pids)}"
                )
        self._stop()
        if self._failures and self._relay is not None:
            self._failures.append(
                f"last lines of {self._relay.log_path.name}:\n{self._relay.log_tail()}"
            )
        return RelayResult(
            self.name, self.workers, tuple(self._runs), rss, supervisor_rss, tuple(self._failures)
        )

    def _stop(self) -> None:
        if self._relay is not None and not self._relay.stopped:
            progress(f"{self.name}: stopping")
            problem = self._relay.stop()
            if problem:
                self._failures.append(problem)


DELIVER_ONLY_POLICY = """\
version: 1
description: benchmark - deliver only
rules:
  - name: deliver-everything
    description: every message goes to the next hop untouched
    action: deliver
"""


def write_phigate_config(
    directory: Path,
    detector: str = "null",
    *,
    policy: tuple[str, str] = ("deliver-only.yaml", DELIVER_ONLY_POLICY),
    audit_url: str | None = None,
    logging: str = "{level: warning}",
    probe_cache_ttl: float | None = None,
    detection_processes: int | None = None,
    metrics_port: int | None = None,
) -> Path:
    """Write a phigate config with a fresh audit key, the policy (file name, text), the audit
    database (a fresh SQLite one unless given) and the given detector ("null" measures the relay
    core; "phi" adds PHI detection); /metrics on loopback `metrics_port` if given."""
    directory.mkdir(parents=True, exist_ok=True)
    policy_file = directory / policy[0]
    policy_file.write_text(policy[1])
    url = audit_url or f"sqlite:///{directory / 'audit.db'}"
    config = directory / "phigate.yaml"
    config.write_text(
        f"policy_file: {policy_file}\n"
        f'audit: {{url: "{url}", key_file: {directory / "audit.key"}, '
        f"anchor_file: {directory / 'audit.anchor'}}}\n"
        f'detection: {{detector: "{detector}"'
        + ("" if detection_processes is None else f", processes: {detection_processes}")
        + "}\n"
        + (
            "metrics: {listen: null}\n"
            if metrics_port is None
            else f"metrics: {{listen: {LOOPBACK}:{metrics_port}}}\n"
        )
        + f"logging: {logging}\n"
        + ("" if probe_cache_ttl is None else f"delivery: {{probe_cache_ttl: {probe_cache_ttl}}}\n")
    )
    return config


# --------------------------------------------------------------------------------------
# Report.
# --------------------------------------------------------------------------------------


def phigate_serve_cmd(
    phigate: Sequence[str], port: int, sink_port: int, config: Path, workers: int
) -> list[str]:
    """The command line of `phigate serve` on loopback `port`, relaying to `sink_port`."""
    return [
        *phigate,
        "serve",
        "--listen",
        f"{LOOPBACK}:{port}",
        "--next-hop",
        f"{LOOPBACK}:{sink_port}",
        "--config",
        str(config),
        "--workers",
        str(workers),
    ]


def _target(result: RelayResult, settings: BenchSettings) -> float | None:
    """The ratio `result` is held to: the relay core's for the null detector, issue 14's for
    PHI detection of the realistic mix, none for PHI detection of filler text."""
    if settings.detector == "null" or result.name.endswith("-null"):
        return TARGET_RATIO.get(result.workers)
    return MIX_TARGET_RATIO.get(result.workers) if settings.mix else None


def _label(result: RelayResult) -> str:
    if result.name == "bare":
        return "bare"
    return f"phigate_{result.workers}w" + ("_null" if result.name.endswith("-null") else "")


def run_rates(result: RelayResult) -> list[float | None]:
    """Each timed run's messages a second, in the order run (None for a run that delivered
    nothing)."""
    return [
        m.delivered / m.elapsed_s if m.elapsed_s > 0 and m.delivered > 0 else None
        for m in result.runs
    ]


def paired_ratio(result: RelayResult, bare: RelayResult) -> float | None:
    """The median over rounds of this relay's rate in a round over the bare relay's in the same
    round (None without a round where both delivered, or when a run of either failed).

    The relays take turns round by round, so a round's two runs are minutes apart at most, while
    the first and last rounds can be far apart: a machine whose speed drifts (a shared VM) moves
    both runs of a round alike, and the ratio of medians (the "ratio" column) less well.
    """
    if len(result.runs) != len(bare.runs):  # a run failed: the rounds no longer line up
        return None
    pairs = [
        ours / theirs
        for ours, theirs in zip(run_rates(result), run_rates(bare), strict=True)
        if ours is not None and theirs is not None
    ]
    return statistics.median(pairs) if pairs else None


def detection_shares(phigates: Sequence[RelayResult]) -> dict[str, float]:
    """Per worker count, the share of phigate's CPU per message that detection takes: one minus
    the null detector's CPU over the PHI detector's, on the same messages in the same run."""

    def cpu_per_msg(r: RelayResult) -> float:
        runs = [m.relay_cpu_s / m.delivered for m in r.runs if m.delivered]
        return statistics.median(runs) if runs else 0.0

    shares: dict[str, float] = {}
    for phi in phigates:
        if phi.name.endswith("-null"):
            continue
        for null in phigates:
            if null.name == f"{phi.name}-null" and cpu_per_msg(phi) > 0:
                shares[f"{phi.workers}w"] = round(1 - cpu_per_msg(null) / cpu_per_msg(phi), 3)
    return shares


def cpu_split(phigates: Sequence[RelayResult]) -> dict[str, dict[str, float]]:
    """Per relay with detection processes, its CPU per message in ms (median over the timed
    runs): in all, in the detection processes, and the rest (the workers and the supervisor)."""
    out: dict[str, dict[str, float]] = {}
    for r in phigates:
        measured = [(m, m.detection_cpu_s) for m in r.runs if m.delivered]
        runs = [(m, cpu) for m, cpu in measured if cpu is not None]
        if not runs:
            continue
        total = statistics.median(1000 * m.relay_cpu_s / m.delivered for m, _ in runs)
        detection = statistics.median(1000 * cpu / m.delivered for m, cpu in runs)
        # the workers' share from the rounded figures, so that the three printed add up
        total, detection = round(total, 2), round(detection, 2)
        out[_label(r).removeprefix("phigate_")] = {
            "total": total,
            "detection_processes": detection,
            "workers": round(total - detection, 2),
        }
    return out


def render_report(
    bare: RelayResult, phigates: Sequence[RelayResult], settings: BenchSettings
) -> tuple[str, dict[str, object]]:
    """Return the human table and the machine-readable summary."""
    header = (
        f"{'relay':<16} {'msgs/s':>9} {'ratio':>6} {'paired':>6} {'target':>8} {'delivered':>11} "
        f"{'elapsed_s':>9} {'relay_cpu_s':>11} {'sink_cpu_s':>10} {'load_cpu_s':>10} "
        f"{'peak_rss_mb':>14}"
    )
    size = "the corpus's sizes" if settings.mix else f"{settings.size} bytes"
    lines = [
        f"# {settings.messages} messages x {settings.repeat} run(s), {size}, "
        f"{settings.concurrency} sessions, load generator: {settings.loadgen}, "
        f"warm-up {settings.warmup}, phigate detector: {settings.detector}"
        + (f", messages from {', '.join(settings.mix)}" if settings.mix else "")
        + (f" ({labelled})" if settings.mix and (labelled := mix_composition(settings.mix)) else "")
        + (
            f", sent {settings.clean_share:.0%} clean"
            if settings.mix and settings.clean_share is not None
            else ""
        ),
        header,
    ]
    summary: dict[str, object] = {"bare_msgs_per_s": round(bare.msgs_per_s, 1)}
    rss_summary: dict[str, list[float]] = {}
    delivered: dict[str, int] = {"bare": bare.delivered}
    for result in (bare, *phigates):
        ratio = result.msgs_per_s / bare.msgs_per_s if bare.msgs_per_s else 0.0
        target = _target(result, settings) if result is not bare else None
        target_txt = "-"
        if target is not None:
            target_txt = f">={target:g} " + ("ok" if ratio >= target else "MISS")
        runs = result.runs or ()
        paired = paired_ratio(result, bare) if result is not bare else None
        paired_txt = "-" if paired is None else f"{paired:.2f}"
        lines.append(
            f"{_label(result):<16} {result.msgs_per_s:>9.1f} {ratio:>6.2f} {paired_txt:>6} {target_txt:>8} "
            f"{result.delivered:>5}/{settings.messages * settings.repeat:<5} "
            f"{statistics.median([m.elapsed_s for m in runs]) if runs else 0:>9.2f} "
            f"{statistics.median([m.relay_cpu_s for m in runs]) if runs else 0:>11.2f} "
            f"{statistics.median([m.sink_cpu_s for m in runs]) if runs else 0:>10.2f} "
            f"{statistics.median([m.load.cpu_s for m in runs]) if runs else 0:>10.2f} "
            f"{'/'.join(f'{v:.0f}' for v in result.peak_rss_mb) or '-':>14}"
        )
        if result is not bare:
            key = _label(result).removeprefix("phigate_")
            summary[f"phigate_{key}_msgs_per_s"] = round(result.msgs_per_s, 1)
            summary[f"ratio_{key}"] = round(ratio, 3)
            if paired is not None:
                summary[f"paired_ratio_{key}"] = round(paired, 3)
            rss_summary[key] = [round(v, 1) for v in result.peak_rss_mb]
            if result.supervisor_rss_mb is not None:
                rss_summary[f"{key}_supervisor"] = [round(result.supervisor_rss_mb, 1)]
        delivered[_label(result)] = result.delivered
    if settings.repeat > 1:
        lines.append("each round's msgs/s, in the order run:")
        for result in (bare, *phigates):
            rates = run_rates(result)
            lines.append(
                f"  {_label(result):<16} "
                + " ".join("-" if r is None else f"{r:.1f}" for r in rates)
            )
    summary["runs_msgs_per_s"] = {
        _label(r): [None if v is None else round(v, 1) for v in run_rates(r)]
        for r in (bare, *phigates)
    }
    for result in (bare, *phigates):
        for m in result.runs:
            for what, used in (("sink", m.sink_cpu_s), ("load generator", m.load.cpu_s)):
                if m.elapsed_s > 0 and used / m.elapsed_s > BOTTLENECK_CPU_SHARE:
                    lines.append(
                        f"warning: the {what} used {used / m.elapsed_s:.0%} of a core during "
                        f"{_label(result)}; it may be the bottleneck"
                    )
        for failure in result.failures:
            lines.append(f"FAILED {_label(result)}: {failure}")
    shares = detection_shares(phigates)
    for key, share in shares.items():
        lines.append(f"detection share of phigate's CPU per message ({key}): {share:.0%}")
    if shares:
        summary["detection_cpu_share"] = shares
    split = cpu_split(phigates)
    for key, ms in split.items():
        lines.append(
            f"phigate's CPU per message ({key}): {ms['total']:.2f} ms, of which the detection "
            f"processes {ms['detection_processes']:.2f} ms and the workers {ms['workers']:.2f} ms"
        )
    if split:
        summary["cpu_ms_per_msg"] = split
    batch_summary: dict[str, dict[str, object]] = {}
    for result in phigates:
        batches = result.detection_batches
        if not batches:
            continue
        key = _label(result).removeprefix("phigate_")
        figures = batch_figures(batches)
        lines.append(
            f"detection batches ({key}): "
            + ", ".join(f"{count} of {size}" for size, count in batches.items())
            + f"; {figures['messages_alone_share']:.0%} of messages scanned alone, "
            f"{figures['messages_per_batch']:.2f} a batch"
        )
        batch_summary[key] = {"answers": {str(k): v for k, v in batches.items()}, **figures}
    if batch_summary:
        summary["detection_batches"] = batch_summary
    summary["peak_rss_mb"] = rss_summary
    summary["delivered"] = delivered
    summary["expected_per_relay"] = settings.messages * settings.repeat
    summary["detector"] = settings.detector
    summary["ok"] = not any(r.failures for r in (bare, *phigates))
    return "\n".join(lines), summary


# --------------------------------------------------------------------------------------
# Command line.
# --------------------------------------------------------------------------------------


def default_phigate() -> str:
    """The checkout's phigate if it is installed there, else the one on PATH."""
    local = REPO_ROOT / ".venv" / "bin" / "phigate"
    return str(local) if local.exists() else "phigate"


def _workers_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of integers: {text}") from exc
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("worker counts must be >= 1")
    return values


def build_parser() -> argparse.ArgumentParser:
    """Return the benchmark's argument parser."""
    parser = argparse.ArgumentParser(
        prog="bench/relay.py",
        description="Relay throughput: bare aiosmtpd pass-through relay vs phigate.",
    )
    parser.add_argument(
        "--messages", type=positive_int, default=2000, help="messages per timed run"
    )
    parser.add_argument(
        "--concurrency", type=positive_int, default=10, help="parallel SMTP sessions"
    )
    parser.add_argument("--size", type=positive_int, default=5120, help="payload bytes per message")
    parser.add_argument(
        "--workers-list",
        type=_workers_list,
        default=[1, 2],
        help="phigate worker counts to measure, comma-separated (empty: bare relay only)",
    )
    parser.add_argument(
        "--phigate", default=default_phigate(), help="command that starts phigate (shell words)"
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=None,
        help="warm-up messages per relay before timing (default: 5%% of --messages, 20..200)",
    )
    parser.add_argument(
        "--repeat",
        type=positive_int,
        default=1,
        help="timed runs per relay; the median is reported",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=5.0,
        help="after the load, seconds to wait for the sink count to change before calling "
        "missing messages lost (default 5)",
    )
    parser.add_argument(
        "--detector",
        choices=("null", "phi"),
        default="null",
        help="phigate's detector: null (default) measures the relay core under the deliver-only "
        "policy; phi adds PHI detection of every message",
    )
    parser.add_argument(
        "--work-dir",
        default=None,
        help="where the run's temporary directory goes (logs, phigate's config, policy and "
        "audit database, key and anchor); default: the system temp dir. /dev/shm takes "
        "the cost of fsync out",
    )
    parser.add_argument(
        "--loadgen",
        choices=("auto", "smtp-source", "python"),
        default="auto",
        help="load generator (auto: Postfix smtp-source if installed, else the asyncio one)",
    )
    parser.add_argument(
        "--mix",
        action="append",
        metavar="DIR",
        help="send the .eml files of DIR in turn instead of filler (repeatable; e.g. the shared "
        "dev corpus and one from bench/corpus/generate.py); uses the asyncio load generator",
    )
    parser.add_argument(
        "--clean-share",
        type=float,
        default=None,
        metavar="F",
        help="with --mix, send the clean and the PHI messages (by the folders' manifest.jsonl) "
        "so that this fraction of the messages sent is clean (the issue's realistic mix is "
        "mostly clean); default: every file once in turn",
    )
    parser.add_argument(
        "--detection-share",
        action="store_true",
        help="with --detector phi, also run each worker count with the null detector on the "
        "same messages and print detection's share of phigate's CPU per message",
    )
    parser.add_argument(
        "--probe-cache-ttl",
        type=float,
        default=None,
        help="phigate's delivery.probe_cache_ttl (default: its own default; 0 probes every "
        "RCPT at the next hop)",
    )
    parser.add_argument(
        "--detection-processes",
        type=positive_int,
        default=None,
        help="phigate's detection.processes, per worker (default: its own default)",
    )
    parser.add_argument(
        "--audit-url",
        default=None,
        help="phigate's audit.url (default: a fresh SQLite file per relay; a PostgreSQL URL "
        "should name an empty database, one per run and worker count)",
    )
    sub = parser.add_subparsers(dest="role")
    sink = sub.add_parser("_sink", help=argparse.SUPPRESS)
    sink.add_argument("--port", type=int, required=True)
    sink.add_argument("--no-pipelining", action="store_true")
    bare = sub.add_parser("_bare", help=argparse.SUPPRESS)
    bare.add_argument("--port", type=int, required=True)
    bare.add_argument("--next-port", type=int, required=True)
    load = sub.add_parser("_loadgen", help=argparse.SUPPRESS)
    load.add_argument("--port", type=int, required=True)
    load.add_argument("--messages", type=int, required=True)
    load.add_argument("--concurrency", type=int, required=True)
    load.add_argument("--size", type=int, required=True)
    load.add_argument("--mix", action="append")
    load.add_argument("--clean-share", type=float, default=None)
    return parser


def run_benchmark(args: argparse.Namespace) -> int:
    """Run the whole benchmark and print the table and the JSON line; return the exit code."""
    loadgen = args.loadgen
    if args.mix:
        loadgen = "python"  # smtp-source sends only its own filler
    if loadgen == "auto":
        loadgen = "smtp-source" if Path(SMTP_SOURCE).exists() else "python"
    warmup = args.warmup
    if warmup is None:
        warmup = min(200, max(20, args.messages // 20))
    settings = BenchSettings(
        args.messages,
        args.concurrency,
        args.size,
        warmup,
        args.repeat,
        loadgen,
        args.settle,
        args.detector,
        tuple(str(folder) for folder in args.mix or ()),
        args.clean_share if args.mix else None,
    )
    if settings.mix and settings.clean_share is not None:
        try:
            weighted_mix(settings.mix, settings.clean_share)
        except LoadgenError as exc:
            print(f"bench/relay.py: {exc}", file=sys.stderr)
            return 2
    phigate_cmd = shlex.split(args.phigate)
    if args.workers_list and shutil.which(phigate_cmd[0]) is None:
        print(f"phigate command not found: {phigate_cmd[0]}", file=sys.stderr)
        return 2
    me = [sys.executable, str(Path(__file__).resolve())]
    with tempfile.TemporaryDirectory(prefix="phigate-bench-", dir=args.work_dir) as tmp:
        workdir = Path(tmp)
        sink_port = free_port()
        sink = ManagedProcess(
            "sink", [*me, "_sink", "--port", str(sink_port)], workdir / "sink.log"
        )
        port = free_port()
        relays = [
            RelayUnderTest(
                "bare",
                1,
                [*me, "_bare", "--port", str(port), "--next-port", str(sink_port)],
                port,
                settings,
                workdir,
            )
        ]
        for workers in args.workers_list:
            port = free_port()
            # PHI detection's batch sizes are read from /metrics around each timed run
            metrics_port = free_port() if args.detector != "null" else None
            config = write_phigate_config(
                workdir / f"phigate-{workers}w",
                args.detector,
                probe_cache_ttl=args.probe_cache_ttl,
                detection_processes=args.detection_processes,
                audit_url=args.audit_url,
                metrics_port=metrics_port,
            )
            cmd = phigate_serve_cmd(phigate_cmd, port, sink_port, config, workers)
            relays.append(
                RelayUnderTest(
                    f"phigate-{workers}w", workers, cmd, port, settings, workdir, metrics_port
                )
            )
            if args.detection_share and args.detector != "null":
                # The same messages through the null detector: detection's share of the CPU.
                port = free_port()
                config = write_phigate_config(
                    workdir / f"phigate-{workers}w-null",
                    "null",
                    probe_cache_ttl=args.probe_cache_ttl,
                    detection_processes=args.detection_processes,
                )
                cmd = phigate_serve_cmd(phigate_cmd, port, sink_port, config, workers)
                relays.append(
                    RelayUnderTest(
                        f"phigate-{workers}w-null", workers, cmd, port, settings, workdir
                    )
                )
        try:
            try:
                sink.wait_ready(sink_port, 1)
            except BenchError as exc:
                print(f"the sink did not start: {exc}", file=sys.stderr)
                return 2
            for relay in relays:
                relay.start(sink_port)
            # Round-robin, so that load from elsewhere on the machine hits every relay alike;
            # the relays that wait meanwhile are idle.
            for run in range(settings.repeat):
                for relay in relays:
                    relay.timed_run(sink, sink_port, f"run {run + 1}/{settings.repeat}")
        finally:
            results = [relay.finish() for relay in relays]
            sink.stop()
    bare, phigates = results[0], results[1:]
    table, summary = render_report(bare, phigates, settings)
    print(table)
    print(json.dumps(summary, sort_keys=False))
    return 0 if summary["ok"] else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: the benchmark, or one of its helper processes."""
    args = build_parser().parse_args(argv)
    if args.role == "_sink":
        asyncio.run(run_sink(LOOPBACK, args.port, not args.no_pipelining))
    elif args.role == "_bare":
        asyncio.run(run_bare_relay(LOOPBACK, args.port, LOOPBACK, args.next_port))
    elif args.role == "_loadgen":
        asyncio.run(
            run_loadgen(
                LOOPBACK,
                args.port,
                args.messages,
                args.concurrency,
                args.size,
                args.mix or (),
                args.clean_share,
            )
        )
    else:
        with children_stopped_on_sigterm():
            return run_benchmark(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
