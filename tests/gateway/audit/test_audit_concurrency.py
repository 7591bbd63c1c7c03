"""Concurrent appenders (threads and worker processes) keep the chain linear and verifiable."""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
import threading
from pathlib import Path

from gateway.audit import AuditLog
from tests.support.audit import make_entry, ref
from tests.support.together import run_processes_together, run_together

PER_WORKER = 15


def _append_many(
    url: str,
    key_file: str,
    worker: int,
    start: threading.Event | multiprocessing.synchronize.Event,
) -> None:
    """Open a log of one's own, wait for the start signal, then append PER_WORKER records."""
    log = AuditLog(url, Path(key_file))
    try:
        start.wait(30)
        for i in range(PER_WORKER):
            log.append(make_entry(log, worker * 1000 + i))
    finally:
        log.close()


def _expected_refs(workers: int) -> set[str]:
    return {ref(w * 1000 + i) for w in range(workers) for i in range(PER_WORKER)}


def _assert_linear(log: AuditLog, workers: int) -> None:
    total = workers * PER_WORKER
    report = log.verify()
    assert (report.ok, report.checked, report.problems) == (True, total, [])
    rows = log.records(limit=total + 10)
    assert sorted(r["seq"] for r in rows) == list(range(1, total + 1))
    assert {r["ref_id"] for r in rows} == _expected_refs(workers)


def test_threads_with_separate_handles_append_linearly(
    audit_log: AuditLog, audit_db_url: str, audit_key_file: Path
) -> None:
    """Four threads, each with its own AuditLog, appending at once produce one unbroken chain."""
    start = threading.Event()
    threads = [
        threading.Thread(target=_append_many, args=(audit_db_url, str(audit_key_file), w, start))
        for w in range(4)
    ]
    run_together(threads, start)
    assert not any(t.is_alive() for t in threads)
    _assert_linear(audit_log, 4)


def test_threads_sharing_one_handle_append_linearly(audit_log: AuditLog) -> None:
    """Threads sharing one AuditLog (the gateway's thread pool) keep the chain linear."""
    start = threading.Event()
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        start.wait(30)
        try:
            for i in range(PER_WORKER):
                audit_log.append(make_entry(audit_log, worker * 1000 + i))
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread's assert
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(3)]
    run_together(threads, start)
    assert errors == []
    _assert_linear(audit_log, 3)


def test_processes_opening_a_fresh_database_append_linearly(
    audit_db_url: str, tmp_path: Path
) -> None:
    """Three worker processes that create the key, migrate and append at once leave a linear chain."""
    key_file = tmp_path / "keys" / "audit.key"
    assert run_processes_together(_append_many, (audit_db_url, str(key_file)), 3) == [0, 0, 0]
    log = AuditLog(audit_db_url, key_file)
    try:
        _assert_linear(log, 3)
    finally:
        log.close()
