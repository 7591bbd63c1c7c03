"""AuditWriter: group commit for the asyncio gateway, so concurrent messages share one transaction.

Each `append` queues its entry and awaits its record's commit. One dedicated thread takes
whatever queued up while the previous commit was in flight (up to `max_batch`) and chains
it with `AuditLog.append_many`: one transaction, one fsync and one anchor update for the
whole batch.

When to cut a batch: as soon as it holds as many entries as the previous batch did (the
callers that shared the last commit are back), or `max_batch`, or once its first entry has
waited `max_wait_ms` since it was queued. So a lone message on a quiet gateway is committed
at once (the previous batch was one entry), a steady crowd of concurrent sessions commits
together without waiting out the timer, and nothing waits longer than `max_wait_ms` for
company. Before the first batch the target is `max_batch`.

Under a load that comes back one message at a time (each message's record follows its own
scan, a few milliseconds after the last), the previous batch is one entry and every record
would be a commit of its own: about 0.3 ms of CPU each, against 0.07 ms an entry in a batch of
eight. So when the gateway says other messages are in flight (`in_flight`: messages it is
processing, each of which will append), a batch also waits, up to `max_wait_ms`, for up to
`busy_batch` entries. A message alone in the gateway is still committed at once.

The anchor and witness files (`AuditLog.flush_anchor`: two more fsyncs, about as much CPU as
the commit itself) are written at most once per `anchor_lag_ms` (100 ms), for the newest
commit: a commit after a quiet spell is anchored at once, one within the lag of the last anchor
when the lag is up (the thread wakes for it if nothing else comes), and close() anchors what is
left. Under load that is a few anchors a second instead of one per batch. The records never
wait for them: a commit is durable and its callers released before any anchor write.

Several worker processes, each with its own writer on the same database, stay one linear
chain because `append_many` holds the chain-head lock. Create the writer in the worker
process (after any fork): its thread does not survive a fork.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from gateway.audit.entry import AuditEntry, PreparedEntry, prepare_entry
from gateway.audit.errors import AuditError
from gateway.audit.log import AuditLog

_log = logging.getLogger("phigate.audit")


class AuditWriterClosed(AuditError):
    """The audit writer was closed (or its thread stopped), so it takes no more entries."""

    code = "audit-writer-closed"


@dataclass(frozen=True)
class WriterStats:
    """What a writer has done so far: batches committed or failed, entries per outcome."""

    batches: int = 0
    committed: int = 0
    failed_batches: int = 0
    failed: int = 0
    rejected: int = 0
    largest_batch: int = 0


@dataclass(frozen=True)
class _Pending:
    entry: AuditEntry
    future: asyncio.Future[int]
    loop: asyncio.AbstractEventLoop
    queued_at: float


_Outcome = int | BaseException


def _settle(batch: list[_Pending], outcomes: list[_Outcome]) -> None:
    """Resolve each future (on its own loop); callers that gave up are skipped."""
    for pending, outcome in zip(batch, outcomes, strict=True):
        if pending.future.done():
            continue
        if isinstance(outcome, BaseException):
            pending.future.set_exception(outcome)
        else:
            pending.future.set_result(outcome)


class AuditWriter:
    """Group-commit front of an AuditLog for asyncio code: `await append(entry)` returns the seq."""

    def __init__(
        self,
        log: AuditLog,
        *,
        max_batch: int = 256,
        max_wait_ms: float = 2.0,
        anchor_lag_ms: float = 100.0,
        in_flight: Callable[[], int] | None = None,
        busy_batch: int = 4,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if busy_batch < 1:
            raise ValueError("busy_batch must be at least 1")
        if max_wait_ms < 0:
            raise ValueError("max_wait_ms must not be negative")
        if anchor_lag_ms < 0:
            raise ValueError("anchor_lag_ms must not be negative")
        self._log: Final = log
        self._max_batch: Final = max_batch
        self._max_wait_s: Final = max_wait_ms / 1000.0
        self._anchor_lag_s: Final = anchor_lag_ms / 1000.0
        # Whether a commit is not anchored yet, and when the anchor was last written.
        self._unanchored = False
        self._anchored_at = -math.inf
        self._cond = threading.Condition()
        self._queue: deque[_Pending] = deque()
        self._closing = False
        # Entries the next batch waits for: the previous batch's size (see the module doc).
        self._target = max_batch
        # How many messages the gateway is processing (read from this thread: an int), and
        # how many entries a batch waits for while others are in flight.
        self._messages_in_flight = in_flight
        self._busy_batch: Final = min(busy_batch, max_batch)
        # What the batch being gathered waits for (`append` wakes the thread when it is met).
        self._want = max_batch
        self._inflight: list[_Pending] = []
        self._stats = WriterStats()
        # A daemon thread so a forgotten close() cannot hang interpreter exit; close()
        # is what guarantees the flush.
        self._thread = threading.Thread(target=self._run, name="phigate-audit-writer", daemon=True)
        self._thread.start()

    @property
    def stats(self) -> WriterStats:
        """Counters so far (a consistent snapshot)."""
        with self._cond:
            return self._stats

    async def append(self, entry: AuditEntry) -> int:
        """Queue the entry and return its seq once its batch is committed.

        Raises what the batch's `append_many` raised (every entry of a failed batch gets
        the same exception), AuditEntryRejected (or the TypeError of a wrongly typed field)
        for this entry alone, or AuditWriterClosed.
        Cancelling the caller does not withdraw the entry: the message it records has
        already been handled, so its record is still written (the cancelled future is only
        skipped when the batch's outcomes are handed out; no shield, whose extra future and
        callbacks cost a loop round per record, is needed for that).
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        with self._cond:
            if self._closing or not self._thread.is_alive():
                raise AuditWriterClosed("the audit writer is closed")
            self._queue.append(_Pending(entry, future, loop, time.monotonic()))
            # The thread only needs waking when it may be idle (first entry) or when the
            # batch it waits for is complete.
            if len(self._queue) == 1 or len(self._queue) >= self._want:
                self._cond.notify()
        return await future

    async def close(self) -> None:
        """Commit everything queued so far, then stop the thread; later appends are refused."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        await asyncio.to_thread(self._thread.join)

    # -- the writer thread ----------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                batch = self._next_batch()
                if batch is None:
                    self._log.flush_anchor()
                    return
                if batch:
                    self._inflight = batch
                    self._commit(batch)
                    self._inflight = []
                self._anchor_when_due(due=not batch)
        except BaseException as exc:
            # Never leave a caller waiting forever on a dead thread.
            with self._cond:
                self._closing = True
                left = self._inflight + list(self._queue)
                self._queue.clear()
            stopped = AuditWriterClosed("the audit writer thread stopped")
            stopped.__cause__ = exc
            self._deliver(left, [stopped] * len(left))
            raise

    def _next_batch(self) -> list[_Pending] | None:
        """Wait for entries, give the batch a short time to fill, and take up to max_batch.

        None once closing with nothing left; an empty batch when an unanchored commit's
        anchor fell due while nothing was queued.
        """
        with self._cond:
            while not self._queue and not self._closing:
                if not self._unanchored:
                    self._cond.wait()
                    continue
                remaining = self._anchored_at + self._anchor_lag_s - time.monotonic()
                if remaining <= 0:
                    return []
                self._cond.wait(remaining)
            if not self._queue:
                return None
            deadline = self._queue[0].queued_at + self._max_wait_s
            target = self._target
            if self._messages_in_flight is not None and target < self._busy_batch:
                # messages in flight beyond those already queued will append soon
                coming = self._messages_in_flight() - len(self._queue)
                if coming > 0:
                    target = min(self._busy_batch, len(self._queue) + coming)
            self._want = target
            while len(self._queue) < target and not self._closing:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            n = min(len(self._queue), self._max_batch)
            self._target = n
            return [self._queue.popleft() for _ in range(n)]

    def _commit(self, batch: list[_Pending]) -> None:
        outcomes: list[_Outcome | None] = []
        accepted: list[PreparedEntry] = []
        rejected = 0
        for pending in batch:
            # A malformed entry must not cost the other messages their records, nor stop
            # the thread (a wrongly typed field raises TypeError or AttributeError).
            try:
                prepared = prepare_entry(pending.entry)
            except Exception as exc:  # noqa: BLE001 - handed to this entry's caller
                outcomes.append(exc)
                rejected += 1
                continue
            outcomes.append(None)  # filled in once the batch is committed
            accepted.append(prepared)
        failed: BaseException | None = None
        seqs: list[int] = []
        if accepted:
            try:
                seqs = self._log.append_many(accepted, anchor=False)
            except Exception as exc:  # noqa: BLE001 - handed to every caller of the batch
                failed = exc
        it = iter(seqs)
        settled: list[_Outcome] = [
            o if o is not None else failed if failed is not None else next(it) for o in outcomes
        ]
        with self._cond:
            s = self._stats
            self._stats = WriterStats(
                batches=s.batches + (1 if accepted and failed is None else 0),
                committed=s.committed + (len(accepted) if failed is None else 0),
                failed_batches=s.failed_batches + (1 if failed is not None else 0),
                failed=s.failed + (len(accepted) if failed is not None else 0),
                rejected=s.rejected + rejected,
                largest_batch=max(s.largest_batch, len(batch)),
            )
        self._deliver(batch, settled)
        if accepted and failed is None:
            self._unanchored = True

    def _anchor_when_due(self, *, due: bool = False) -> None:
        """Write the anchor for the newest commit if none was written for `anchor_lag_ms`
        (or `due`: `_next_batch` found the lag up).

        The records are committed and their callers released; the anchor (a tail check,
        never needed for the 250) follows with its own fsync, for the newest head only.
        """
        if not self._unanchored:
            return
        now = time.monotonic()
        if not due and now - self._anchored_at < self._anchor_lag_s:
            return
        self._unanchored = False
        self._anchored_at = now
        self._log.flush_anchor()

    @staticmethod
    def _deliver(batch: list[_Pending], outcomes: list[_Outcome]) -> None:
        """Hand the outcomes to each caller's loop: one wake-up per loop, not per entry."""
        by_loop: dict[asyncio.AbstractEventLoop, tuple[list[_Pending], list[_Outcome]]] = {}
        for pending, outcome in zip(batch, outcomes, strict=True):
            pendings, results = by_loop.setdefault(pending.loop, ([], []))
            pendings.append(pending)
            results.append(outcome)
        for loop, (pendings, results) in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, pendings, results)
            except RuntimeError:
                # The caller's loop is gone, so nobody is left to tell; committed records
                # stand in the log whether or not anyone hears about them.
                _log.warning(
                    "audit writer: event loop closed before %d outcomes arrived", len(pendings)
                )
