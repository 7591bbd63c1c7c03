"""AuditWriter: concurrent asyncio appends share transactions, keep order, and fail per batch."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import multiprocessing.synchronize
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from gateway.audit import AuditEntryRejected, AuditLog, AuditWriter, AuditWriterClosed
from gateway.audit.anchor import AnchorFile, default_witness_path
from gateway.audit.log import default_anchor_path
from tests.support.audit import counting_commits, make_entry, ref, run_sql
from tests.support.together import run_processes_together

# Long enough that a batch is only ever cut by max_batch or close(), never by the clock.
NEVER_MS = 60_000.0


async def _append_all(writer: AuditWriter, log: AuditLog, numbers: range) -> list[int]:
    return await asyncio.gather(*(writer.append(make_entry(log, i)) for i in numbers))


def _assert_chain(log: AuditLog, n: int) -> None:
    report = log.verify()
    assert (report.ok, report.checked, report.problems) == (True, n, [])
    rows = log.records(limit=n + 10)
    assert {(r["seq"], r["ref_id"]) for r in rows} == {(i, ref(i)) for i in range(1, n + 1)}


def test_concurrent_appends_share_transactions_in_queue_order(audit_log: AuditLog) -> None:
    """200 concurrent tasks get seqs 1..200 in the order they appended, in fewer transactions."""

    async def scenario() -> list[int]:
        writer = AuditWriter(audit_log)
        try:
            return await _append_all(writer, audit_log, range(1, 201))
        finally:
            await writer.close()

    with counting_commits(audit_log) as counter:
        seqs = asyncio.run(scenario())
    assert seqs == list(range(1, 201))
    assert 1 <= counter.commits < 200
    _assert_chain(audit_log, 200)


def test_batches_fill_up_to_max_batch(audit_log: AuditLog) -> None:
    """With a long wait, 200 appends commit as exactly four transactions of max_batch=50."""

    async def scenario() -> tuple[list[int], AuditWriter]:
        writer = AuditWriter(audit_log, max_batch=50, max_wait_ms=NEVER_MS)
        try:
            return await _append_all(writer, audit_log, range(1, 201)), writer
        finally:
            await writer.close()

    with counting_commits(audit_log) as counter:
        seqs, writer = asyncio.run(scenario())
    assert seqs == list(range(1, 201))
    assert counter.commits == 4
    stats = writer.stats
    assert (stats.batches, stats.committed, stats.largest_batch) == (4, 200, 50)
    assert (stats.failed_batches, stats.failed, stats.rejected) == (0, 0, 0)
    _assert_chain(audit_log, 200)


def test_close_flushes_queued_entries(audit_log: AuditLog) -> None:
    """Entries still waiting for their batch to fill are committed by close(); then appends are refused."""

    async def scenario() -> tuple[list[int], int, AuditWriter]:
        writer = AuditWriter(audit_log, max_batch=1000, max_wait_ms=NEVER_MS)
        tasks = [asyncio.create_task(writer.append(make_entry(audit_log, i))) for i in range(1, 31)]
        await asyncio.sleep(0)  # every task has queued its entry
        before = len(audit_log.records())
        await writer.close()
        seqs = await asyncio.gather(*tasks)
        with pytest.raises(AuditWriterClosed) as info:
            await writer.append(make_entry(audit_log, 31))
        assert info.value.code == "audit-writer-closed"
        return seqs, before, writer

    seqs, before, writer = asyncio.run(scenario())
    assert before == 0
    assert seqs == list(range(1, 31))
    assert writer.stats.batches == 1
    _assert_chain(audit_log, 30)


def test_a_database_error_fails_every_future_of_its_batch(audit_log: AuditLog) -> None:
    """A batch hitting a planted row fails all five callers with the error; the writer goes on."""
    run_sql(
        audit_log,
        "INSERT INTO audit_records (seq, ref_id, ts, sender_hash, recipient_domains, size, "
        "stages, action, timings, findings_summary, key_id, prev_mac, mac) VALUES (2, 'planted', "
        "'2026-11-28 09:00:00', :h, '[]', 0, '[]', 'deliver', '{}', '{}', 'k1', :h, :h)",
        h="0" * 64,
    )

    async def scenario() -> tuple[list[int | BaseException], list[int], AuditWriter]:
        writer = AuditWriter(audit_log, max_batch=5, max_wait_ms=NEVER_MS)
        try:
            failed = await asyncio.gather(
                *(writer.append(make_entry(audit_log, i)) for i in range(1, 6)),
                return_exceptions=True,
            )
            run_sql(audit_log, "DELETE FROM audit_records WHERE ref_id = 'planted'")
            later = await asyncio.gather(
                *(writer.append(make_entry(audit_log, i)) for i in range(1, 6))
            )
            return failed, later, writer
        finally:
            await writer.close()

    failed, later, writer = asyncio.run(scenario())
    assert [type(e).__name__ for e in failed] == ["IntegrityError"] * 5
    assert all(isinstance(e, sa.exc.IntegrityError) for e in failed)
    assert len({id(e) for e in failed}) == 1  # the batch's one exception, handed to each caller
    assert later == [1, 2, 3, 4, 5]
    stats = writer.stats
    assert (stats.failed_batches, stats.failed, stats.batches, stats.committed) == (1, 5, 1, 5)
    _assert_chain(audit_log, 5)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"stages": ({"stage": "detect", "matched_text": "123-45-6789"},)}, AuditEntryRejected),
        ({"stages": None}, TypeError),
    ],
)
def test_a_rejected_entry_fails_only_its_own_caller(
    audit_log: AuditLog, changes: dict[str, object], error: type[Exception]
) -> None:
    """In a batch of five, a PHI-bearing or mistyped entry fails alone and the other four commit."""
    bad = make_entry(audit_log, 3, **changes)

    async def scenario() -> tuple[list[int | BaseException], AuditWriter]:
        writer = AuditWriter(audit_log, max_batch=5, max_wait_ms=NEVER_MS)
        try:
            entries = [make_entry(audit_log, i) for i in (1, 2)] + [bad]
            entries += [make_entry(audit_log, i) for i in (3, 4)]
            results = await asyncio.gather(
                *(writer.append(e) for e in entries), return_exceptions=True
            )
            return results, writer
        finally:
            await writer.close()

    results, writer = asyncio.run(scenario())
    assert results[:2] == [1, 2] and results[3:] == [3, 4]
    assert isinstance(results[2], error)
    assert "123-45-6789" not in str(results[2])
    assert (writer.stats.batches, writer.stats.committed, writer.stats.rejected) == (1, 4, 1)
    _assert_chain(audit_log, 4)


def test_a_cancelled_caller_still_gets_its_record_written(audit_log: AuditLog) -> None:
    """Cancelling the task awaiting an append does not drop the message's audit record."""

    async def scenario() -> int:
        writer = AuditWriter(audit_log, max_batch=2, max_wait_ms=NEVER_MS)
        try:
            first = asyncio.create_task(writer.append(make_entry(audit_log, 1)))
            await asyncio.sleep(0)
            first.cancel()
            with pytest.raises(asyncio.CancelledError):
                await first
            return await writer.append(make_entry(audit_log, 2))
        finally:
            await writer.close()

    assert asyncio.run(scenario()) == 2
    _assert_chain(audit_log, 2)


@pytest.mark.parametrize("others", [2, None])
def test_a_record_waits_for_the_messages_in_flight(audit_log: AuditLog, others: int | None) -> None:
    """After a batch of one (a quiet spell), a record commits alone at once; while the gateway
    says two other messages are in flight, it waits for their records and the three share one
    commit. (The wait is a second and the check comes after a quarter of one: a wide margin
    either way on a loaded machine.)"""

    async def scenario() -> tuple[list[int], AuditWriter, bool]:
        writer = AuditWriter(
            audit_log,
            max_batch=50,
            max_wait_ms=1_000.0,
            in_flight=(lambda: 1 + others) if others is not None else None,
            busy_batch=3,
        )
        try:
            # the first batch waits out max_wait for max_batch, then sets the target to one
            seqs = [await writer.append(make_entry(audit_log, 1))]
            second = asyncio.create_task(writer.append(make_entry(audit_log, 2)))
            await asyncio.sleep(0.25)
            alone = second.done()
            rest = await _append_all(writer, audit_log, range(3, 5))
            return [*seqs, await second, *rest], writer, alone
        finally:
            await writer.close()

    seqs, writer, alone = asyncio.run(scenario())
    assert seqs == [1, 2, 3, 4]
    stats = writer.stats
    assert stats.committed == 4
    if others:
        assert not alone
        assert (stats.batches, stats.largest_batch) == (2, 3)
    else:
        assert alone
        assert stats.batches >= 3
    _assert_chain(audit_log, 4)


def test_bad_settings_are_refused(audit_log: AuditLog) -> None:
    """A batch size below one or a negative wait or anchor lag is a clear error."""
    with pytest.raises(ValueError, match="max_batch"):
        AuditWriter(audit_log, max_batch=0)
    with pytest.raises(ValueError, match="busy_batch"):
        AuditWriter(audit_log, busy_batch=0)
    with pytest.raises(ValueError, match="max_wait_ms"):
        AuditWriter(audit_log, max_wait_ms=-1)
    with pytest.raises(ValueError, match="anchor_lag_ms"):
        AuditWriter(audit_log, anchor_lag_ms=-1)


def _witnessed_seqs(key_file: Path) -> list[int]:
    path = default_witness_path(default_anchor_path(key_file))
    return [json.loads(line)["seq"] for line in path.read_text().splitlines()]


def _twenty_batches_queued_at_once(
    log: AuditLog, monkeypatch: pytest.MonkeyPatch, anchor_lag_ms: float
) -> list[int]:
    """200 appends in batches of 10, all queued while the first batch's commit is held."""
    release = threading.Event()
    real = log.append_many

    def held_append_many(entries: Sequence[Any], *, anchor: bool = True) -> list[int]:
        assert release.wait(30)
        return real(entries, anchor=anchor)

    monkeypatch.setattr(log, "append_many", held_append_many)

    async def scenario() -> list[int]:
        writer = AuditWriter(log, max_batch=10, max_wait_ms=NEVER_MS, anchor_lag_ms=anchor_lag_ms)
        try:
            tasks = [asyncio.create_task(writer.append(make_entry(log, i))) for i in range(1, 201)]
            await asyncio.sleep(0)  # every task has queued its entry
            release.set()
            return await asyncio.gather(*tasks)
        finally:
            await writer.close()

    with counting_commits(log) as counter:
        seqs = asyncio.run(scenario())
    assert seqs == list(range(1, 201))
    assert counter.commits == 20
    return seqs


def test_batches_within_the_anchor_lag_share_one_anchor(
    audit_log: AuditLog, audit_key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20 commits in a row: the first (after a quiet spell) is anchored at once, the other 19
    within the lag are not, and close() anchors the newest head; the log verifies."""
    _twenty_batches_queued_at_once(audit_log, monkeypatch, anchor_lag_ms=NEVER_MS)
    assert _witnessed_seqs(audit_key_file) == [0, 10, 200]
    anchor = AnchorFile(default_anchor_path(audit_key_file)).read()
    assert anchor is not None and anchor.seq == 200
    _assert_chain(audit_log, 200)


def test_an_anchor_lag_of_zero_anchors_every_commit(
    audit_log: AuditLog, audit_key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no lag allowed, each of the 20 commits writes its own head to the witness."""
    _twenty_batches_queued_at_once(audit_log, monkeypatch, anchor_lag_ms=0.0)
    assert _witnessed_seqs(audit_key_file) == [0, *range(10, 201, 10)]
    _assert_chain(audit_log, 200)


def test_a_commit_within_the_lag_is_anchored_when_it_is_up_without_another_append(
    audit_log: AuditLog, audit_key_file: Path
) -> None:
    """The second of two appends in a row waits for the lag, then the idle writer anchors it
    by itself (no further append, no close)."""

    async def scenario() -> list[int]:
        writer = AuditWriter(audit_log, anchor_lag_ms=50.0)
        try:
            await writer.append(make_entry(audit_log, 1))
            await writer.append(make_entry(audit_log, 2))
            # Polled, not timed: the test fails only if seq 2 is never anchored.
            for _ in range(30_000):
                if _witnessed_seqs(audit_key_file)[-1] == 2:
                    break
                await asyncio.sleep(0.001)
            return _witnessed_seqs(audit_key_file)
        finally:
            await writer.close()

    witnessed = asyncio.run(scenario())
    assert witnessed == [0, 1, 2]  # 1 after a quiet spell at once, 2 once the lag was up
    anchor = AnchorFile(default_anchor_path(audit_key_file)).read()
    assert anchor is not None and anchor.seq == 2
    _assert_chain(audit_log, 2)


PER_PROCESS = 60


def _writer_process(
    url: str, key_file: str, worker: int, start: multiprocessing.synchronize.Event
) -> None:
    """Open a log and writer of one's own, then append PER_PROCESS entries concurrently."""
    log = AuditLog(url, Path(key_file))

    async def scenario() -> list[int]:
        writer = AuditWriter(log)
        try:
            numbers = range(worker * PER_PROCESS + 1, (worker + 1) * PER_PROCESS + 1)
            return await _append_all(writer, log, numbers)
        finally:
            await writer.close()

    try:
        start.wait(30)
        seqs = asyncio.run(scenario())
        assert seqs == sorted(seqs) and len(set(seqs)) == PER_PROCESS
    finally:
        log.close()


def test_writers_in_two_processes_keep_one_chain(audit_db_url: str, tmp_path: Path) -> None:
    """Two worker processes, each with its own writer, appending at once leave one verifiable chain."""
    key_file = tmp_path / "keys" / "audit.key"
    AuditLog(audit_db_url, key_file).close()  # create key and schema once
    assert run_processes_together(_writer_process, (audit_db_url, str(key_file)), 2) == [0, 0]
    n = 2 * PER_PROCESS
    log = AuditLog(audit_db_url, key_file)
    try:
        report = log.verify()
        assert (report.ok, report.checked, report.problems) == (True, n, [])
        rows = log.records(limit=n + 10)
    finally:
        log.close()
    assert sorted(r["seq"] for r in rows) == list(range(1, n + 1))
    assert sorted(r["ref_id"] for r in rows) == [ref(i) for i in range(1, n + 1)]
