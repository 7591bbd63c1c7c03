"""PHI detection in processes of its own, beside each worker's event loop (`detection.processes`).

Why processes: the regex module and Hyperscan release the GIL around every match call (and
Hyperscan takes it back for every match it reports), so a scan on a thread hands the GIL to the
event loop and back hundreds of times per message. Measured on the realistic mix, a scan beside
a busy loop (or beside a second scan) cost about twice its CPU alone. In a process of its own
the scan never meets the loop's threads, and a worker's SMTP sessions and its scans run on
different cores.

The processes fork from a fork server that has loaded the engine once (`gateway.detectfork`, `gateway.detect_preload`),
so a new one starts in a fraction of a second with the model already in memory, shared with its
siblings until written. Only the message's bytes and its recipients go to a process, and only a
`Detection` comes back: the process also matches the findings against the patient roster (it
opens the roster itself, for reading only) and writes the PHI-free summary (`detect.finish`), so
the matched texts the roster needs never leave it.

A small message is sent and its answer awaited on the worker's event loop (`scan_async`): no
thread stands between the loop and the process, and nothing in the worker waits for the roster.
A large one is sent from a thread (`scan`), as writing it may have to wait for the process to
read it.

Failure is never a pass: a process that dies while scanning (killed, out of memory, a crash in a
parser) is replaced, and the scan is tried once more on the new one; if that one dies too, the
scan fails with DetectorError, which the pipeline answers with 451.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import structlog

from detectors.config import DetectorConfig
from detectors.extract.model import ExtractLimits
from gateway import detectfork
from gateway.detect import SCANNER, Roster, finish
from gateway.model import Detection, DetectorError, Envelope, ParsedMessage, PhigateError
from gateway.patients.roster import PatientRoster, RosterMatches
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
# Messages up to this size are written to a process from the event loop: a socket pair's buffer
# takes them whole, so the write never waits for the process to read.
LOOP_BYTES = 64 * 1024
# Messages a process scans at once at most, when several wait for it (`scan_async`).
BATCH_MAX = 8
# How often a caller waiting for a busy pool looks again whether a dead process left room (it is
# woken at once when a process comes free).
RECHECK_S = 0.5


@dataclass(frozen=True)
class RosterSource:
    """Where a detection process finds the patient roster it reads (settings.patients)."""

    url: str
    key_file: Path


class _ReadRoster:
    """The roster as a detection process sees it: opened at the first lookup, read only (the
    worker created its key and tables before it started the process)."""

    def __init__(self, source: RosterSource) -> None:
        self.source = source
        self._roster: Roster | None = None

    def match(
        self, mrns: Iterable[str], name_dobs: Iterable[tuple[str, str]], emails: Iterable[str] = ()
    ) -> RosterMatches:
        if self._roster is None:
            self._roster = PatientRoster(self.source.url, self.source.key_file, prepare=False)
        return self._roster.match(mrns, name_dobs, emails)


_HEAD = struct.Struct("!I")
# A frame's first byte: one message, or several (`_batch`)
_ONE, _MANY = b"1", b"N"


def _frame(raw: bytes, recipients: Sequence[str]) -> bytes:
    """One message to a detection process: its recipients (a JSON list) and its bytes."""
    head = json.dumps(list(recipients)).encode()
    return _ONE + _HEAD.pack(len(head)) + head + raw


def _batch(frames: Sequence[bytes]) -> bytes:
    """Several messages' frames to a process at once: it answers with a list, one a message."""
    return _MANY + b"".join(_HEAD.pack(len(f)) + f for f in frames)


def _unbatch(frame: bytes) -> list[bytes]:
    """The frames of `_batch` (one frame for a message sent alone)."""
    if frame[:1] == _ONE:
        return [frame]
    out: list[bytes] = []
    at = 1
    while at < len(frame):
        (n,) = _HEAD.unpack_from(frame, at)
        out.append(frame[at + _HEAD.size : at + _HEAD.size + n])
        at += _HEAD.size + n
    return out


def _unframe(frame: bytes) -> tuple[bytes, tuple[str, ...]]:
    (n,) = _HEAD.unpack_from(frame, 1)
    at = 1 + _HEAD.size
    recipients = json.loads(frame[at : at + n])
    return frame[at + n :], tuple(recipients)


# ---- inside a detection process ---------------------------------------------------------------
@dataclass(frozen=True)
class _Failed:
    """A scan that raised: its error's type and, for phigate's own errors, their message."""

    kind: str
    message: str
    ours: bool


def _serve(
    conn: Connection,
    config: DetectorConfig,
    limits: ExtractLimits,
    roster_source: RosterSource | None = None,
) -> None:
    """A detection process: read a message and its recipients, answer with its Detection (or
    _Failed), repeat."""
    # Ctrl-C at a terminal reaches the whole process group; the worker decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Named, not imported: the worker that starts this process never loads the scanner; here it
    # is in memory already (the fork server preloaded it, and the engine of the default config).
    scanner = resolve(SCANNER)(config, limits)
    roster = _ReadRoster(roster_source) if roster_source is not None else None
    while True:
        try:
            frame = conn.recv_bytes()
        except (EOFError, OSError):  # the worker closed its end or is gone
            return
        answer: Detection | _Failed | list[Detection | _Failed]
        if frame[:1] == _MANY:
            answer = _scan_batch(scanner, _unbatch(frame), config, roster)
        else:
            try:
                raw, recipients = _unframe(frame)
                envelope = Envelope("", recipients)
                answer = finish(scanner.scan(raw), envelope, config, roster)
            except Exception as exc:  # noqa: BLE001 - raised again in the worker as DetectorError
                answer = _failed(exc)
        try:
            conn.send(answer)
        except (EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - a result that cannot be pickled fails the scan
            conn.send(_Failed(type(exc).__name__, "", ours=False))


def _failed(exc: Exception) -> _Failed:
    """What crosses back for a scan that raised: for another library's error only its type (its
    message may quote the text it read)."""
    if isinstance(exc, PhigateError):
        return _Failed(type(exc).__name__, str(exc), ours=True)
    return _Failed(type(exc).__name__, "", ours=False)


def _scan_batch(
    scanner: Any, frames: list[bytes], config: DetectorConfig, roster: Roster | None
) -> list[Detection | _Failed]:
    """Each framed message's Detection (or _Failed), the messages scanned as one batch
    (`gateway.scanning.Scanner.scan_many`): the same answers as one at a time."""
    out: list[Detection | _Failed] = []
    try:
        unframed = [_unframe(f) for f in frames]
        scans = scanner.scan_many([raw for raw, _ in unframed])
    except Exception as exc:  # noqa: BLE001 - every message's answer
        return [_failed(exc)] * len(frames)
    for (_, recipients), scan in zip(unframed, scans, strict=True):
        if isinstance(scan, Exception):
            out.append(_failed(scan))
            continue
        try:
            out.append(finish(scan, Envelope("", recipients), config, roster))
        except Exception as exc:  # noqa: BLE001 - this message's answer
            out.append(_failed(exc))
    return out


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

    The caller writes the message to an idle process's pipe and reads the answer itself: a
    thread (`scan`), blocking with the GIL free while it waits, or the event loop (`scan_async`),
    which watches the pipe. No queue threads in between.
    """

    def __init__(
        self,
        config: DetectorConfig,
        limits: ExtractLimits,
        processes: int,
        label: str,
        roster: RosterSource | None = None,
    ) -> None:
        self.config = config
        self.limits = limits
        self.processes = processes
        self.label = label
        self.roster = roster
        self._lock = threading.Lock()
        self._idle: queue.SimpleQueue[_Process] = queue.SimpleQueue()
        self._all: list[_Process] = []
        self._starting = 0  # processes being started off the loop (counted against `processes`)
        self._closed = False
        # Event-loop callers waiting for a process to come free: (their loop, a future to wake).
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        # Their messages, for the caller that gets the next free process to take along (only
        # ever touched on the loop that waits).
        self._rides: list[_Ride] = []

    def _start(self) -> _Process:
        ctx = detectfork.context()
        mine, theirs = ctx.Pipe()
        process = ctx.Process(  # type: ignore[attr-defined]
            target=_serve,
            args=(theirs, self.config, self.limits, self.roster),
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

    def _room(self) -> bool:
        """Whether another process may start (call with the lock held); raises once closed."""
        if self._closed:
            raise DetectorError("the detection processes are shut down")
        return len(self._all) + self._starting < self.processes

    def _idle_now(self) -> _Process | None:
        """An idle process, if one is waiting (never blocks)."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return None

    def _take(self) -> _Process:
        """An idle process; else a new one if fewer than `processes` live; else the first to
        come free (a second process starts only when two scans overlap)."""
        while True:
            idle = self._idle_now()
            if idle is not None:
                return idle
            with self._lock:
                if self._room():
                    started = self._start()
                    self._all.append(started)
                    return started
            try:
                # Woken at least every RECHECK_S to see whether a dead process left room.
                return self._idle.get(timeout=RECHECK_S)
            except queue.Empty:
                continue

    async def _take_async(self) -> _Process:
        """`_take` for the event loop: a process is started on a thread, and a caller waits for
        one to come free without blocking the loop."""
        loop = asyncio.get_running_loop()
        while True:
            idle = self._idle_now()
            if idle is not None:
                return idle
            with self._lock:
                start = self._room()
                if start:
                    self._starting += 1
            if start:
                starting = loop.run_in_executor(None, self._start)
                try:
                    started = await asyncio.shield(starting)
                except asyncio.CancelledError:
                    # The caller gave up (a batch took its message along, or its session went)
                    # while its process started: the process is kept for the next caller.
                    starting.add_done_callback(self._adopt)
                    raise
                except BaseException:
                    with self._lock:
                        self._starting -= 1
                    raise
                with self._lock:
                    self._starting -= 1
                    if self._closed:
                        started.conn.close()
                        started.process.terminate()
                        raise DetectorError("the detection processes are shut down")
                    self._all.append(started)
                return started
            waiter = loop.create_future()
            with self._lock:
                self._waiters.append((loop, waiter))
            # Woken when a process comes free, and at least every RECHECK_S to see whether a
            # dead process left room.
            timer = loop.call_later(RECHECK_S, _wake, waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    # Woken for a process that came free, but leaving without it (the caller
                    # gave up): the next waiter gets the turn instead of waiting for its timer.
                    self._wake_next()
                raise
            finally:
                timer.cancel()
                with self._lock:
                    if (loop, waiter) in self._waiters:
                        self._waiters.remove((loop, waiter))

    def _adopt(self, starting: asyncio.Future[_Process]) -> None:
        """A process started for a caller that gave up meanwhile: idle, for the next caller
        (or stopped, if the pool closed meanwhile)."""
        with self._lock:
            self._starting -= 1
        if starting.cancelled() or starting.exception() is not None:
            return
        proc = starting.result()
        with self._lock:
            closed = self._closed
            if not closed:
                self._all.append(proc)
        if closed:
            proc.conn.close()
            proc.process.terminate()
            return
        self._give_back(proc)

    def _give_back(self, proc: _Process) -> None:
        """Make ``proc`` idle again and wake one event-loop caller waiting for a process."""
        self._idle.put(proc)
        self._wake_next()

    def _wake_next(self) -> None:
        """Wake the first event-loop caller waiting for a process, if any."""
        with self._lock:
            if not self._waiters:
                return
            loop, waiter = self._waiters.pop(0)
        try:
            if asyncio.get_running_loop() is loop:
                _wake(waiter)
                return
        except RuntimeError:
            pass  # not on a loop's thread
        try:
            loop.call_soon_threadsafe(_wake, waiter)
        except RuntimeError:
            pass  # that loop is closed: its caller is gone

    def _replace(self, dead: _Process, *, wait: bool = True) -> None:
        """Forget a dead (or confused) process; the next `_take` starts another in its place.
        Without ``wait`` (on the event loop) the process is reaped on a thread of its own."""
        dead.conn.close()
        dead.process.kill()
        if wait:
            dead.process.join(5)
        else:
            threading.Thread(target=dead.process.join, args=(5,), daemon=True).start()
        with self._lock:
            if dead in self._all:
                self._all.remove(dead)

    def _result(self, proc: _Process, result: object) -> Detection:
        """The Detection in a process's answer (DetectorError for a failure or anything else),
        with the process made idle again."""
        self._give_back(proc)
        return self._detection(result)

    def scan(self, raw: bytes, recipients: Sequence[str] = ()) -> Detection:
        """Scan ``raw`` (mail to ``recipients``) in one of the processes, on this thread;
        DetectorError if it cannot be scanned."""
        frame = _frame(raw, recipients)
        for attempt in (1, 2):
            proc = self._take()
            try:
                proc.conn.send_bytes(frame)
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
                self._overran(proc, wait=True)
            return self._result(proc, result)
        raise DetectorError("the detection process died while scanning this message")

    async def scan_async(
        self,
        raw: bytes,
        recipients: Sequence[str] = (),
        started: Callable[[], None] | None = None,
    ) -> Detection:
        """`scan` on the event loop: the message is written from the loop (it must fit the
        pipe's buffer: `LOOP_BYTES`) and the answer read once the loop sees it arrive.
        ``started`` is called when a process has taken the message (the time budget's start).

        While it waits for a process, the message rides along: the caller that gets the next
        free process takes the messages waiting on its loop with its own (up to `BATCH_MAX`, and
        `LOOP_BYTES` in all) and the process scans them as one batch (each recognizer over all
        their texts, NER over all their windows: the same answers, about a tenth less CPU a
        message at four). A batch whose process dies or overruns sends each of its messages back
        to try once more on its own, as a message alone would be.
        """
        loop = asyncio.get_running_loop()
        frame = _frame(raw, recipients)
        ride = _Ride(loop, frame, loop.create_future(), started)
        for attempt in (1, 2):
            if attempt == 1:
                proc = await self._take_or_ride(ride)
                if proc is None:  # a batch took it along
                    answer = await ride.answer
                    if answer is _AGAIN:
                        continue
                    return self._detection(answer)
            else:
                proc = await self._take_async()
            riders = self._riders_for(ride) if attempt == 1 else []
            if started is not None and attempt == 1:
                started()
            for r in riders:
                if r.started is not None:
                    r.started()
            try:
                if riders:
                    proc.conn.send_bytes(_batch([frame, *(r.frame for r in riders)]))
                else:
                    proc.conn.send_bytes(frame)
                answered = await _readable(
                    loop,
                    proc.conn,
                    self.limits.time_budget_s * (1 + len(riders)) + OVERRUN_GRACE_S,
                )
                result = proc.conn.recv() if answered else None
            except (EOFError, OSError):
                log.warning("detect.process_died", pool=self.label, attempt=attempt)
                _send_back(riders)
                self._replace(proc, wait=False)
                continue
            except BaseException:
                _send_back(riders)
                self._replace(proc, wait=False)  # half a conversation (or the caller gave up)
                raise
            if not answered and riders:
                # which message ran long is not known: each tries once more on its own
                log.warning("detect.batch_overran", pool=self.label, messages=1 + len(riders))
                _send_back(riders)
                self._replace(proc, wait=False)
                continue
            if not answered:
                self._overran(proc, wait=False)
            if riders:
                answers = result if isinstance(result, list) else []
                if len(answers) != 1 + len(riders):
                    _send_back(riders)
                    self._replace(proc, wait=False)
                    raise DetectorError("the detection process answered with something else")
                for r, answer in zip(riders, answers[1:], strict=True):
                    if not r.answer.done():
                        r.answer.set_result(answer)
                result = answers[0]
            return self._result(proc, result)
        raise DetectorError("the detection process died while scanning this message")

    async def _take_or_ride(self, ride: _Ride) -> _Process | None:
        """A process for ``ride``'s message, or None once a batch has taken the message along
        (its answer is then in ``ride.answer``)."""
        idle = self._idle_now()
        if idle is not None:
            return idle
        self._rides.append(ride)
        take = asyncio.ensure_future(self._take_async())
        either: set[asyncio.Future[Any]] = {take, ride.answer}
        try:
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            # The caller gave up. A process it got in the same turn goes to the next caller.
            if not take.cancel() and not take.cancelled() and take.exception() is None:
                self._give_back(take.result())
            raise
        finally:
            if ride in self._rides:
                self._rides.remove(ride)
        if ride.taken:
            # A batch has the message: the process this caller got meanwhile is the next one's.
            take.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                self._give_back(await take)
            return None
        return take.result()

    def _riders_for(self, ride: _Ride) -> list[_Ride]:
        """The messages waiting on ``ride``'s loop that go along with it (taken off the list)."""
        riders: list[_Ride] = []
        size = len(ride.frame)
        for r in list(self._rides):
            if len(riders) + 1 >= BATCH_MAX:
                break
            if r.loop is not ride.loop or r.answer.done() or size + len(r.frame) > LOOP_BYTES:
                continue
            size += len(r.frame)
            self._rides.remove(r)
            r.taken = True
            riders.append(r)
        return riders

    def _detection(self, answer: object) -> Detection:
        """The Detection in a batch's answer for one message (DetectorError otherwise)."""
        if isinstance(answer, _Failed):
            if answer.ours:
                raise DetectorError(answer.message)
            raise DetectorError(f"the scan failed ({answer.kind})")
        if not isinstance(answer, Detection):
            raise DetectorError("the detection process answered with something else")
        return answer

    def _overran(self, proc: _Process, *, wait: bool) -> None:
        """Past the time budget (the pipeline has already answered for this message): unlike a
        thread, a process can be stopped, and its slot freed for the next."""
        log.warning("detect.process_overran", pool=self.label)
        self._replace(proc, wait=wait)
        raise DetectorError("the scan ran past the time budget; its process was stopped")

    def pids(self) -> list[int]:
        """The pids of the live processes."""
        with self._lock:
            return sorted(p.process.pid for p in self._all if p.process.pid is not None)

    def close(self) -> None:
        """Stop the processes; a scan still running is abandoned."""
        with self._lock:
            self._closed = True
            procs, self._all = self._all, []
            waiters, self._waiters = self._waiters, []
        for proc in procs:
            proc.conn.close()
            proc.process.terminate()
        for proc in procs:
            proc.process.join(5)
        for loop, waiter in waiters:  # they find the pool closed
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_wake, waiter)


@dataclass
class _Ride:
    """A message waiting on the event loop for a process, which a batch may take along."""

    loop: asyncio.AbstractEventLoop
    frame: bytes
    answer: asyncio.Future[object]  # its Detection or _Failed, or _AGAIN
    started: Callable[[], None] | None
    taken: bool = False  # by a batch, which answers it


# A batch's answer to a message it took along that must be tried once more on its own (the
# batch's process died, overran, or its caller gave up).
_AGAIN = object()


def _send_back(riders: list[_Ride]) -> None:
    for r in riders:
        if not r.answer.done():
            r.answer.set_result(_AGAIN)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def _readable(loop: asyncio.AbstractEventLoop, conn: Connection, timeout: float) -> bool:
    """Whether ``conn`` has something to read (an answer, or the end of a dead process's pipe)
    within ``timeout`` seconds, waiting on the event loop."""
    ready: asyncio.Future[bool] = loop.create_future()

    def settle(value: bool) -> None:
        if not ready.done():
            ready.set_result(value)

    fd = conn.fileno()
    loop.add_reader(fd, settle, True)
    timer = loop.call_later(timeout, settle, False)
    try:
        return await ready
    finally:
        timer.cancel()
        loop.remove_reader(fd)


class ProcessPhiDetector:
    """The PHI detector with its scans in detection processes. See Detector.

    Small and large messages (`LARGE_BYTES`) have pools of their own, each of `processes`
    processes; the large pool starts with the first large message. ``roster`` is the worker's
    own roster and ``roster_source`` where the processes open theirs (both or neither): `warm`
    opens the worker's first, which creates its key and tables, so that the processes only read.
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
        roster_source: RosterSource | None = None,
    ) -> None:
        self.config = config
        self.limits = limits
        if roster is not None and roster_source is None:
            raise ValueError(
                "a roster needs its roster_source: the processes match, not the worker"
            )
        self.roster = roster
        self.roster_source = roster_source if roster is not None else None
        self.small = DetectionProcesses(config, limits, processes, "small", self.roster_source)
        self.large = DetectionProcesses(config, limits, processes, "large", self.roster_source)

    def warm(self) -> None:
        """Prepare the roster for the processes, start the small pool and prove it scans
        (DetectorError if it cannot)."""
        if self.roster is not None:
            try:
                # Opening the worker's roster creates its key file and migrates its tables.
                getattr(self.roster, "keys", None)
            except Exception as exc:  # noqa: BLE001 - the scans that need it answer 451
                log.warning("detect.roster_unavailable", error_type=type(exc).__name__)
        self.small.scan(WARM_MESSAGE)

    def detect(self, message: ParsedMessage, envelope: Envelope) -> Detection:
        """See Detector."""
        pool = self.large if len(message.raw) >= LARGE_BYTES else self.small
        return pool.scan(message.raw, envelope.rcpt_tos)

    def detect_on_loop(self, message: ParsedMessage) -> bool:
        """Whether `detect_async` serves ``message`` (a small one; see `LOOP_BYTES`)."""
        return len(message.raw) <= LOOP_BYTES

    async def detect_async(
        self, message: ParsedMessage, envelope: Envelope, started: Callable[[], None]
    ) -> Detection:
        """`detect` on the event loop, for a message `detect_on_loop` accepts."""
        return await self.small.scan_async(message.raw, envelope.rcpt_tos, started)

    def close(self) -> None:
        """Stop every detection process."""
        self.small.close()
        self.large.close()
