"""PHI detection in processes of its own, beside each worker's event loop (`detection.processes`).

Why processes: the regex module and Hyperscan release the GIL around every match call (and
Hyperscan takes it back for every match it reports), so a scan on a thread hands the GIL to the
event loop and back hundreds of times per message. Measured on the realistic mix, a scan beside
a busy loop (or beside a second scan) cost about twice its CPU alone. In a process of its own
the scan never meets the loop's threads, and a worker's SMTP sessions and its scans run on
different cores.

The processes fork from a fork server that has loaded the engine once (`gateway.detectfork`, `gateway.detect_preload`),
so a new one starts in a fraction of a second with the model already in memory, shared with its
siblings until written. Only the message's bytes go to a process, and only a `Scan` comes back:
findings, the decision, what could not be scanned and the few matched texts the patient roster
needs. The roster, the summary and everything else stay in the worker (`detect.finish`).

Failure is never a pass: a process that dies while scanning (killed, out of memory, a crash in a
parser) is replaced, and the scan is tried once more on the new one; if that one dies too, the
scan fails with DetectorError, which the pipeline answers with 451.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import structlog

from detectors.config import DetectorConfig
from detectors.extract.model import ExtractLimits
from gateway import detectfork
from gateway.detect import SCANNER, Roster, Scan, finish
from gateway.model import Detection, DetectorError, Envelope, ParsedMessage, PhigateError
from gateway.registry import resolve

log = structlog.get_logger("phigate.detect")

# A message that scans in a few milliseconds: a new pool proves it works on this before the
# gateway listens (a worker that cannot scan must not accept mail).
WARM_MESSAGE = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: warm-up\r\n\r\nHello.\r\n"
# Seconds past the time budget (detection.time_budget) after which a scan's process is stopped.
OVERRUN_GRACE_S = 2.0
# Messages from this size on scan in a pool of their own, so that a crowd of big attachments
# never holds up small mail (the pipeline's LARGE_MESSAGE_BYTES).
LARGE_BYTES = 256 * 1024


# ---- inside a detection process ---------------------------------------------------------------
@dataclass(frozen=True)
class _Failed:
    """A scan that raised: its error's type and, for phigate's own errors, their message."""

    kind: str
    message: str
    ours: bool


def _serve(conn: Connection, config: DetectorConfig, limits: ExtractLimits) -> None:
    """A detection process: read a message's bytes, answer with its Scan (or _Failed), repeat."""
    # Ctrl-C at a terminal reaches the whole process group; the worker decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Named, not imported: the worker that starts this process never loads the scanner; here it
    # is in memory already (the fork server preloaded it, and the engine of the default config).
    scanner = resolve(SCANNER)(config, limits)
    while True:
        try:
            raw = conn.recv_bytes()
        except (EOFError, OSError):  # the worker closed its end or is gone
            return
        try:
            result: Scan | _Failed = scanner.scan(raw)
        except PhigateError as exc:
            result = _Failed(type(exc).__name__, str(exc), ours=True)
        except Exception as exc:  # noqa: BLE001 - raised again in the worker as DetectorError
            # Only the type crosses back: another library's message may quote the text it read.
            result = _Failed(type(exc).__name__, "", ours=False)
        try:
            conn.send(result)
        except (EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - a result that cannot be pickled fails the scan
            conn.send(_Failed(type(exc).__name__, "", ours=False))


# ---- in the worker ------------------------------------------------------------------------------
_START_LOCK = threading.Lock()


@contextlib.contextmanager
def _main_left_out() -> Iterator[None]:
    """Start a process without the program's main module: multiprocessing would have every
    process import it again (for `phigate`, the whole CLI: about a second per process), though
    `_serve` and everything it is sent live in importable modules. multiprocessing names the
    main module by its spec (``python -m``) or else by its file; both are hidden meanwhile."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    with _START_LOCK:
        spec = getattr(main, "__spec__", None)
        path = getattr(main, "__file__", None)
        main.__spec__ = None
        if path is not None:
            del main.__file__
        try:
            yield
        finally:
            main.__spec__ = spec
            if path is not None:
                main.__file__ = path


@dataclass
class _Process:
    """One detection process and the worker's end of its pipe."""

    process: BaseProcess
    conn: Connection


class DetectionProcesses:
    """Detection processes, each taking one scan at a time over a pipe; a dead one is replaced.

    The thread that asks writes the message to an idle process's pipe and reads the answer
    itself: no queue threads in between, and the GIL is free while it waits.
    """

    def __init__(
        self, config: DetectorConfig, limits: ExtractLimits, processes: int, label: str
    ) -> None:
        self.config = config
        self.limits = limits
        self.processes = processes
        self.label = label
        self._lock = threading.Lock()
        self._idle: queue.SimpleQueue[_Process] = queue.SimpleQueue()
        self._all: list[_Process] = []
        self._closed = False

    def _start(self) -> _Process:
        ctx = detectfork.context()
        mine, theirs = ctx.Pipe()
        process = ctx.Process(  # type: ignore[attr-defined]
            target=_serve,
            args=(theirs, self.config, self.limits),
            name=f"phigate-detect-{self.label}",
            daemon=True,
        )
        try:
            with _main_left_out():
                process.start()
        except OSError as exc:
            mine.close()
            raise DetectorError(f"a detection process could not start ({exc.strerror})") from exc
        finally:
            theirs.close()
        return _Process(process, mine)

    def _take(self) -> _Process:
        """An idle process; else a new one if fewer than `processes` live; else the first to
        come free (a second process starts only when two scans overlap)."""
        while True:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                pass
            with self._lock:
                if self._closed:
                    raise DetectorError("the detection processes are shut down")
                if len(self._all) < self.processes:
                    started = self._start()
                    self._all.append(started)
                    return started
            try:
                # Woken at least twice a second to see whether a dead process left room.
                return self._idle.get(timeout=0.5)
            except queue.Empty:
                continue

    def _replace(self, dead: _Process) -> None:
        """Forget a dead (or confused) process; the next `_take` starts another in its place."""
        dead.conn.close()
        dead.process.kill()
        dead.process.join(5)
        with self._lock:
            if dead in self._all:
                self._all.remove(dead)

    def scan(self, raw: bytes) -> Scan:
        """Scan ``raw`` in one of the processes; DetectorError if it cannot be scanned."""
        for attempt in (1, 2):
            proc = self._take()
            try:
                proc.conn.send_bytes(raw)
                answered = proc.conn.poll(self.limits.time_budget_s + OVERRUN_GRACE_S)
                result = proc.conn.recv() if answered else None
            except (EOFError, OSError):
                # The process died (killed, out of memory, a crash in a parser): replace it and
                # try once more on a fresh one. Only a scan that kills that one too fails.
                log.warning("detect.process_died", pool=self.label, attempt=attempt)
                self._replace(proc)
                continue
            except BaseException:
                self._replace(proc)  # half a conversation: the pipe cannot be trusted again
                raise
            if not answered:
                # Past the time budget (the pipeline has already answered for this message):
                # unlike a thread, a process can be stopped, and its slot freed for the next.
                log.warning("detect.process_overran", pool=self.label)
                self._replace(proc)
                raise DetectorError("the scan ran past the time budget; its process was stopped")
            self._idle.put(proc)
            if isinstance(result, _Failed):
                if result.ours:
                    raise DetectorError(result.message)
                raise DetectorError(f"the scan failed ({result.kind})")
            if not isinstance(result, Scan):
                raise DetectorError("the detection process answered with something else")
            return result
        raise DetectorError("the detection process died while scanning this message")

    def pids(self) -> list[int]:
        """The pids of the live processes."""
        with self._lock:
            return sorted(p.process.pid for p in self._all if p.process.pid is not None)

    def close(self) -> None:
        """Stop the processes; a scan still running is abandoned."""
        with self._lock:
            self._closed = True
            procs, self._all = self._all, []
        for proc in procs:
            proc.conn.close()
            proc.process.terminate()
        for proc in procs:
            proc.process.join(5)


class ProcessPhiDetector:
    """The PHI detector with its scans in detection processes. See Detector.

    Small and large messages (`LARGE_BYTES`) have pools of their own, each of `processes`
    processes; the large pool starts with the first large message.
    """

    name = "phi"
    # The pipeline runs `detect` on a thread that only waits for a process: it needs no turn.
    waits_on_processes = True

    def __init__(
        self,
        config: DetectorConfig,
        limits: ExtractLimits,
        roster: Roster | None,
        processes: int,
    ) -> None:
        self.config = config
        self.limits = limits
        self.roster = roster
        self.small = DetectionProcesses(config, limits, processes, "small")
        self.large = DetectionProcesses(config, limits, processes, "large")

    def warm(self) -> None:
        """Start the small pool and prove it scans (DetectorError if it cannot)."""
        self.small.scan(WARM_MESSAGE)

    def detect(self, message: ParsedMessage, envelope: Envelope) -> Detection:
        """See Detector."""
        pool = self.large if len(message.raw) >= LARGE_BYTES else self.small
        return finish(pool.scan(message.raw), envelope, self.config, self.roster)

    def close(self) -> None:
        """Stop every detection process."""
        self.small.close()
        self.large.close()
