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
When every process is busy, it queues in a busy process's pipe, and a process that finishes
takes all that queued for it as one batch: it never waits for the loop to hand it the next
message, and a batch costs less a message than one alone. A large message is sent from a thread
(`scan`), as writing it may have to wait for the process to read it.

Failure is never a pass: a process that dies while scanning (killed, out of memory, a crash in a
parser) is replaced, and the scan is tried once more on the new one; if that one dies too, the
scan fails with DetectorError, which the pipeline answers with 451.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import signal
import struct
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
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
# A frame's first byte: one message from a thread, answered alone (`scan`); one message from
# the event loop, which the process may scan together with the loop's frames queued behind it
# (`scan_async`); or one from the loop that must be scanned alone (a second attempt).
_ONE, _QUEUED, _ALONE = b"1", b"Q", b"A"


def _frame(raw: bytes, recipients: Sequence[str], kind: bytes = _ONE) -> bytes:
    """One message to a detection process: its kind, its recipients (a JSON list), its bytes."""
    head = json.dumps(list(recipients)).encode()
    return kind + _HEAD.pack(len(head)) + head + raw


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
    niceness: int = 0,
) -> None:
    """A detection process: read a message and its recipients, answer with its Detection (or
    _Failed), repeat; ``niceness`` above its worker's."""
    # Ctrl-C at a terminal reaches the whole process group; the worker decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if niceness:
        # Below the worker: its event loop answers every SMTP session and hands the processes
        # their messages, so it must not wait for a core behind a scan (`detection.niceness`).
        with contextlib.suppress(OSError):
            os.nice(niceness)
    # Named, not imported: the worker that starts this process never loads the scanner; here it
    # is in memory already (the fork server preloaded it, and the engine of the default config).
    scanner = resolve(SCANNER)(config, limits)
    roster = _ReadRoster(roster_source) if roster_source is not None else None
    held: bytes | None = None  # an alone frame read while gathering a batch: it goes next
    while True:
        try:
            frame = held if held is not None else conn.recv_bytes()
        except (EOFError, OSError):  # the worker closed its end or is gone
            return
        held = None
        answer: Detection | _Failed | list[Detection | _Failed]
        if frame[:1] == _ONE:
            answer = _scan_one(scanner, frame, config, roster)
        else:
            # The loop's frames: every queued frame already waiting goes along with this one
            # (up to BATCH_MAX), and the answer is a list, one a frame, in order.
            frames = [frame]
            try:
                while frame[:1] == _QUEUED and len(frames) < BATCH_MAX and conn.poll():
                    more = conn.recv_bytes()
                    if more[:1] != _QUEUED:
                        held = more
                        break
                    frames.append(more)
            except (EOFError, OSError):
                return
            if len(frames) == 1:
                answer = [_scan_one(scanner, frame, config, roster)]
            else:
                answer = _scan_batch(scanner, frames, config, roster)
        try:
            conn.send(answer)
        except (EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - a result that cannot be pickled fails the scan
            failed = _Failed(type(exc).__name__, "", ours=False)
            conn.send([failed] * len(answer) if isinstance(answer, list) else failed)


def _scan_one(
    scanner: Any, frame: bytes, config: DetectorConfig, roster: Roster | None
) -> Detection | _Failed:
    """The Detection (or _Failed) of one framed message, scanned alone."""
    try:
        raw, recipients = _unframe(frame)
        return finish(scanner.scan(raw), Envelope("", recipients), config, roster)
    except Exception as exc:  # noqa: BLE001 - raised again in the worker as DetectorError
        return _failed(exc)


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
        niceness: int = 0,
    ) -> None:
        self.config = config
        self.limits = limits
        self.processes = processes
        self.label = label
        self.roster = roster
        self.niceness = niceness
        self._lock = threading.Lock()
        self._idle: queue.SimpleQueue[_Process] = queue.SimpleQueue()
        self._all: list[_Process] = []
        self._starting = 0  # processes being started off the loop (counted against `processes`)
        self._closed = False
        # Event-loop callers waiting for a process to come free: (their loop, a future to wake).
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        # Processes in the event loop's use, with the messages queued on each (`scan_async`),
        # and the loop callers waiting for room on one (only ever touched on their loop).
        self._lanes: list[_Lane] = []
        self._room_waiters: list[asyncio.Future[None]] = []
        self._alone_waiting = 0  # of them, messages that must go alone (only on their loop)
        # How many answers of each size the lanes' processes gave: 1 for a message scanned
        # alone, n for a batch of n.
        self.batch_sizes: Counter[int] = Counter()
        # Told the size of each such answer too (the gateway's metrics), if set.
        self.on_batch: Callable[[int], None] | None = None

    def _start(self) -> _Process:
        ctx = detectfork.context()
        mine, theirs = ctx.Pipe()
        process = ctx.Process(  # type: ignore[attr-defined]
            target=_serve,
            args=(theirs, self.config, self.limits, self.roster, self.niceness),
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
                    # The caller gave up (its session went) while its process started: the
                    # process is kept for the next caller.
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
        ``started`` is called when the message is handed to a process (the time budget's start).

        The message goes to an idle process if there is one (or to a new one, up to
        `processes`); when every process is busy, to the one with the fewest messages in hand,
        queued behind them in its pipe (its `_Lane`). A process that finishes takes every
        message already queued for it as one batch (up to `BATCH_MAX`: each recognizer over all
        their texts, NER over all their windows; the same answers, less CPU a message), so it
        never waits for the loop to hand it the next one. A lane holds at most `BATCH_MAX`
        messages and `LOOP_BYTES`, so a write never waits for the process to read. When its
        process dies or overruns, each of its messages is tried once more alone, on a process
        of its own, as a message alone would be.
        """
        loop = asyncio.get_running_loop()
        frame = _frame(raw, recipients, _QUEUED)
        for attempt in (1, 2):
            alone = attempt == 2
            ride = _Ride(loop, _ALONE + frame[1:] if alone else frame, loop.create_future(), alone)
            lane = await self._lane_for(ride)
            self._send(lane, ride)
            if started is not None and attempt == 1:
                started()
            answer = await ride.answer
            if answer is _AGAIN:
                continue
            if answer is _OVERRAN:
                raise DetectorError("the scan ran past the time budget; its process was stopped")
            if answer is _DIED:
                break
            return self._detection(answer)
        raise DetectorError("the detection process died while scanning this message")

    async def _lane_for(self, ride: _Ride) -> _Lane:
        """The lane ``ride`` goes to: an idle process's (or a new one's); else, when no process
        can be had at once, the busy lane on its loop with the fewest messages that has room
        for it (never for a message that must go alone); else the first to make room."""
        loop = ride.loop
        while True:
            with self._lock:
                can_start = self._room()  # raises once the pool is closed
            # While a message that must go alone waits for a process of its own, the others
            # neither take an idle process nor join a lane: the lanes drain, and it gets the
            # first process to come free (under a steady load a lane might never empty).
            yielding = not ride.alone and self._alone_waiting > 0
            idle = None if yielding else self._idle_now()
            if idle is not None:
                return self._open_lane(idle, ride)
            if not ride.alone and not can_start and not yielding:
                fitting = [lane for lane in self._lanes if lane.takes(ride)]
                if fitting:
                    return min(fitting, key=lambda lane: len(lane.rides))
            if can_start:
                return self._open_lane(await self._take_async(), ride)
            waiter: asyncio.Future[None] = loop.create_future()
            self._room_waiters.append(waiter)
            with self._lock:
                self._waiters.append((loop, waiter))  # woken by a process coming free, too
            timer = loop.call_later(RECHECK_S, _wake, waiter)
            if ride.alone:
                self._alone_waiting += 1
            try:
                await waiter
            finally:
                if ride.alone:
                    self._alone_waiting -= 1
                timer.cancel()
                if waiter in self._room_waiters:
                    self._room_waiters.remove(waiter)
                with self._lock:
                    if (loop, waiter) in self._waiters:
                        self._waiters.remove((loop, waiter))

    def _open_lane(self, proc: _Process, ride: _Ride) -> _Lane:
        """A lane on ``proc`` for ``ride``'s loop: its answers are read when the loop sees them."""
        lane = _Lane(proc, ride.loop, proc.conn.fileno(), closed=ride.alone)
        self._lanes.append(lane)
        ride.loop.add_reader(lane.fd, self._answered, lane)
        return lane

    def _send(self, lane: _Lane, ride: _Ride) -> None:
        """Queue ``ride``'s message on ``lane`` (a process that dies meanwhile is noticed by
        the lane's reader, which sends the message back)."""
        if not lane.rides:
            lane.since = time.monotonic()
        lane.rides.append(ride)
        lane.size += len(ride.frame)
        try:
            lane.proc.conn.send_bytes(ride.frame)
        except (EOFError, OSError):
            self._lost(lane, overran=False)
            return
        self._arm(lane)

    def _arm(self, lane: _Lane) -> None:
        """The lane's overrun deadline: the time budget for each message in hand (up to a
        batch's worth) and the grace, from its last answer or its first message."""
        if lane.timer is not None:
            lane.timer.cancel()
        allowance = self.limits.time_budget_s * min(len(lane.rides), BATCH_MAX) + OVERRUN_GRACE_S
        delay = max(lane.since + allowance - time.monotonic(), 0.0)
        lane.timer = lane.loop.call_later(delay, self._lost, lane, True)

    def _answered(self, lane: _Lane) -> None:
        """The lane's process answered (or its pipe ended): each answered message gets its
        answer; an emptied lane's process is idle again."""
        if lane not in self._lanes:  # lost already
            return
        try:
            result = lane.proc.conn.recv()
        except Exception:  # noqa: BLE001 - the pipe ended, or an answer that cannot be read
            self._lost(lane, overran=False)
            return
        if not isinstance(result, list) or not result or len(result) > len(lane.rides):
            log.warning("detect.process_confused", pool=self.label)
            self._lost(lane, overran=False)
            return
        self.batch_sizes[len(result)] += 1
        for answer in result:
            ride = lane.rides.popleft()
            lane.size -= len(ride.frame)
            if not ride.answer.done():
                ride.answer.set_result(answer)
        if lane.rides:
            lane.since = time.monotonic()
            self._arm(lane)
        else:
            self._close_lane(lane)
            self._give_back(lane.proc)
        self._wake_room()
        if self.on_batch is not None:  # last: the lane is settled whatever it does
            self.on_batch(len(result))

    def _close_lane(self, lane: _Lane) -> None:
        if lane in self._lanes:
            self._lanes.remove(lane)
        if lane.timer is not None:
            lane.timer.cancel()
            lane.timer = None
        with contextlib.suppress(RuntimeError):  # its loop is closed
            lane.loop.remove_reader(lane.fd)

    def _lost(self, lane: _Lane, overran: bool) -> None:
        """The lane's process died, ran past its allowance, or answered with something else:
        it is replaced, and its messages are tried once more alone. A message that was alone
        fails (a lone message past the budget with the overrun's error)."""
        if lane not in self._lanes:
            return
        self._close_lane(lane)
        rides = list(lane.rides)
        lane.rides.clear()
        if overran:
            log.warning("detect.process_overran", pool=self.label, messages=len(rides))
        else:
            log.warning("detect.process_died", pool=self.label, messages=len(rides))
        self._replace(lane.proc, wait=False)
        for ride in rides:
            if ride.answer.done():
                continue
            if overran and (ride.alone or len(rides) == 1):
                ride.answer.set_result(_OVERRAN)
            elif ride.alone:
                ride.answer.set_result(_DIED)
            else:
                ride.answer.set_result(_AGAIN)
        self._wake_room()

    def _wake_room(self) -> None:
        """Wake the loop callers waiting for room in a lane (each looks again)."""
        waiters, self._room_waiters = self._room_waiters, []
        for waiter in waiters:
            _wake(waiter)

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
        for lane in list(self._lanes):
            # Its messages are sent back, and their callers find the pool closed (on the
            # lane's loop, before the pipe is closed under its reader).
            try:
                if asyncio.get_running_loop() is lane.loop:
                    self._lost(lane, overran=False)
                    continue
            except RuntimeError:
                pass  # not on a loop's thread
            with contextlib.suppress(RuntimeError):  # a closed loop has no callers left
                lane.loop.call_soon_threadsafe(self._lost, lane, False)
        for proc in procs:
            proc.conn.close()
            proc.process.terminate()
        for proc in procs:
            proc.process.join(5)
        for loop, waiter in waiters:  # they find the pool closed
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_wake, waiter)


@dataclass(eq=False)
class _Ride:
    """A message from the event loop on its way to a process, and its answer to come."""

    loop: asyncio.AbstractEventLoop
    frame: bytes
    answer: asyncio.Future[object]  # its Detection or _Failed, or one of the markers below
    alone: bool  # a second attempt: scanned alone, on a lane of its own


@dataclass(eq=False)
class _Lane:
    """A detection process in the event loop's use: the messages sent to it and not yet
    answered, in the order sent (it answers in that order)."""

    proc: _Process
    loop: asyncio.AbstractEventLoop
    fd: int  # its pipe's, which the loop watches for answers
    rides: deque[_Ride] = field(default_factory=deque)
    size: int = 0  # bytes of their frames
    since: float = 0.0  # its last answer, or its first message after it was empty
    timer: asyncio.TimerHandle | None = None
    # Opened for a message that must go alone: no other joins, and it empties with its answer.
    closed: bool = False

    def takes(self, ride: _Ride) -> bool:
        """Whether ``ride``'s message may queue here."""
        return (
            ride.loop is self.loop
            and not self.closed
            and len(self.rides) < BATCH_MAX
            and self.size + len(ride.frame) <= LOOP_BYTES
        )


# Answers for a message whose lane was lost: try once more alone; or fail (its process ran past
# the budget, or died while it was alone).
_AGAIN = object()
_OVERRAN = object()
_DIED = object()


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


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
        niceness: int = 0,
    ) -> None:
        self.config = config
        self.limits = limits
        if roster is not None and roster_source is None:
            raise ValueError(
                "a roster needs its roster_source: the processes match, not the worker"
            )
        self.roster = roster
        self.roster_source = roster_source if roster is not None else None
        self.small = DetectionProcesses(
            config, limits, processes, "small", self.roster_source, niceness
        )
        self.large = DetectionProcesses(
            config, limits, processes, "large", self.roster_source, niceness
        )

    def observe_batches(self, observe: Callable[[int], None]) -> None:
        """Have ``observe`` told how many messages each answer of the processes held."""
        self.small.on_batch = observe
        self.large.on_batch = observe

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
