"""Audit append micro-benchmark: single appends in a loop against AuditWriter's group commit.

Every timed run appends N prepared entries to a fresh audit database (its own temp dir, key
and anchor). The modes:

* ``loop``: ``AuditLog.append(entry)`` in a plain loop, one transaction per entry.
* ``executor``: C asyncio producers, each awaiting
  ``loop.run_in_executor(pool, log.append, entry)`` on a 2-thread pool (what gateway/app.py
  did before AuditWriter).
* ``writer``: C asyncio producers, each awaiting ``AuditWriter.append(entry)``.
* ``legacy_batch`` and ``batch``: ``--batch`` entries per transaction (what the writer commits
  under load), through the path as it was before issue 14 (bench/audit_legacy.py: json.dumps,
  per-key checks, hmac.new) and through today's ``AuditLog.append_many``: the CPU per append
  of the two is the ratio issue 14 asks for.

``--procs 1,2`` then runs the writer mode in that many worker processes at once on one
database (each its own node id, AuditWriter and C producers, N/P entries each) and prints
the total appends/s as a ratio to one process: whether two workers beat one on the audit lock.

A producer appends its next entry only once the previous one is committed, as an SMTP
session answers one message before the next. Runs alternate between the modes, and the
median of ``--repeat`` runs is reported. The last line is JSON for scripts.

    .venv/bin/python bench/audit_append.py
    .venv/bin/python bench/audit_append.py --entries 500 --repeat 1 --work-dir /dev/shm
    .venv/bin/python bench/audit_append.py --postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.audit_legacy import legacy_append_many  # noqa: E402
from gateway.audit import AuditEntry, AuditLog, AuditWriter  # noqa: E402

MODES = ("loop", "executor", "writer", "legacy_batch", "batch")
BATCH = 10
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BASE_TS = datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Run:
    """One timed run: wall and CPU seconds (all threads), and transactions for the writer."""

    mode: str
    entries: int
    wall_s: float
    cpu_s: float
    batches: int

    @property
    def per_s(self) -> float:
        """Appends per second of wall time."""
        return self.entries / self.wall_s


def make_entries(log: AuditLog, n: int) -> list[AuditEntry]:
    """N realistic entries (no PHI: a keyed sender hash, domains, counts)."""
    sender = log.keyed_hash("bench-sender@clinic.example")
    return [
        AuditEntry(
            ref_id=f"PG-BENCH-{i:06d}",
            ts=BASE_TS + timedelta(milliseconds=i),
            message_id=f"<{i}.bench@clinic.example>",
            sender_hash=sender,
            recipient_domains=("partner.example",),
            size=5120,
            stages=(
                {"stage": "parse", "outcome": "ok", "defects": []},
                {"stage": "detect", "outcome": "clean"},
                {"stage": "policy", "outcome": "deliver", "reason": "rule deliver-all"},
            ),
            action="deliver",
            next_hop_reply=f"250 2.0.0 Ok: queued as B{i}",
            timings={"parse": 0.2, "detect": 0.1, "policy": 0.05, "deliver": 1.5},
            findings_summary={},
        )
        for i in range(n)
    ]


@contextmanager
def fresh_log(work_dir: Path | None, postgres: bool) -> Iterator[AuditLog]:
    """An AuditLog on an empty database (SQLite in a temp dir, or a throwaway PG schema)."""
    tmp = Path(tempfile.mkdtemp(prefix="audit-bench-", dir=work_dir))
    schema = f"audit_bench_{uuid.uuid4().hex[:12]}"
    url = f"sqlite:///{tmp}/audit.db"
    if postgres:
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test") as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    log = AuditLog(url, tmp / "audit.key")
    try:
        yield log
    finally:
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
        if postgres:
            import psycopg

            with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test") as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _producers(entries: Sequence[AuditEntry], producers: int) -> list[Sequence[AuditEntry]]:
    return [entries[k::producers] for k in range(producers)]


def run_loop(log: AuditLog, entries: Sequence[AuditEntry], _producers_n: int) -> int:
    """Single appends, one after the other."""
    for entry in entries:
        log.append(entry)
    return len(entries)


def run_executor(log: AuditLog, entries: Sequence[AuditEntry], producers: int) -> int:
    """Concurrent producers through a 2-thread pool, one transaction per entry."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(max_workers=2) as pool:

            async def produce(mine: Sequence[AuditEntry]) -> None:
                for entry in mine:
                    await loop.run_in_executor(pool, log.append, entry)

            await asyncio.gather(*(produce(m) for m in _producers(entries, producers)))

    asyncio.run(main())
    return len(entries)


def run_writer(log: AuditLog, entries: Sequence[AuditEntry], producers: int) -> int:
    """Concurrent producers through one AuditWriter; returns the transactions it committed."""

    async def main() -> int:
        writer = AuditWriter(log)
        try:

            async def produce(mine: Sequence[AuditEntry]) -> None:
                for entry in mine:
                    await writer.append(entry)

            await asyncio.gather(*(produce(m) for m in _producers(entries, producers)))
        finally:
            await writer.close()
        return writer.stats.batches

    return asyncio.run(main())


def run_legacy_batch(log: AuditLog, entries: Sequence[AuditEntry], _producers_n: int) -> int:
    """BATCH entries per transaction through the pre-issue-14 path; returns the transactions."""
    for i in range(0, len(entries), BATCH):
        legacy_append_many(log, entries[i : i + BATCH])
        log.flush_anchor()
    return -(-len(entries) // BATCH)


def run_batch(log: AuditLog, entries: Sequence[AuditEntry], _producers_n: int) -> int:
    """BATCH entries per transaction through today's append_many; returns the transactions."""
    for i in range(0, len(entries), BATCH):
        log.append_many(entries[i : i + BATCH], anchor=False)
        log.flush_anchor()
    return -(-len(entries) // BATCH)


RUNNERS: dict[str, Callable[[AuditLog, Sequence[AuditEntry], int], int]] = {
    "loop": run_loop,
    "executor": run_executor,
    "writer": run_writer,
    "legacy_batch": run_legacy_batch,
    "batch": run_batch,
}


def timed(mode: str, args: argparse.Namespace) -> Run:
    """One run of `mode` on a fresh database; entries are built before the clock starts."""
    with fresh_log(args.work_dir, args.postgres) as log:
        entries = make_entries(log, args.entries)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        batches = RUNNERS[mode](log, entries, args.producers)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        report = log.verify()
        if not report.ok or report.checked != args.entries:
            raise SystemExit(f"{mode}: the log does not verify: {report.problems[:3]}")
    return Run(mode, args.entries, wall, cpu, batches)


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--entries", type=int, default=2000, help="appends per timed run")
    p.add_argument("--producers", type=int, default=10, help="concurrent asyncio producers")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per mode; median reported")
    p.add_argument("--work-dir", type=Path, default=None, help="where the databases go")
    p.add_argument("--postgres", action="store_true", help="PostgreSQL at 127.0.0.1 instead")
    p.add_argument("--procs", default="", help="e.g. 1,2: writer mode in that many processes")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table and the JSON line."""
    args = build_parser().parse_args(argv)
    if args.procs:
        return main_procs(args)
    runs: dict[str, list[Run]] = {m: [] for m in MODES}
    for r in range(args.repeat):
        for mode in MODES:
            run = timed(mode, args)
            runs[mode].append(run)
            print(f"run {r + 1}/{args.repeat} {mode}: {run.per_s:.0f}/s", file=sys.stderr)
    backend = (
        "postgresql" if args.postgres else f"sqlite in {args.work_dir or tempfile.gettempdir()}"
    )
    print(f"# {args.entries} entries x {args.repeat} run(s), {args.producers} producers, {backend}")
    print(f"{'mode':<14}{'appends/s':>11}{'ratio':>8}{'cpu_ms/append':>15}{'transactions':>14}")
    median = {m: statistics.median(r.per_s for r in runs[m]) for m in MODES}
    cpu = {m: statistics.median(r.cpu_s for r in runs[m]) / args.entries * 1000 for m in MODES}
    result: dict[str, object] = {"entries": args.entries, "producers": args.producers}
    for mode in MODES:
        tx = (
            args.entries
            if mode in ("loop", "executor")
            else int(statistics.median(r.batches for r in runs[mode]))
        )
        ratio = median[mode] / median["loop"]
        print(f"{mode:<14}{median[mode]:>11.0f}{ratio:>8.2f}{cpu[mode]:>15.3f}{tx:>14}")
        result[f"{mode}_per_s"] = round(median[mode], 1)
        result[f"{mode}_cpu_ms"] = round(cpu[mode], 3)
        result[f"{mode}_transactions"] = tx
    result["ratio_writer_vs_loop"] = round(median["writer"] / median["loop"], 2)
    result["ratio_writer_vs_executor"] = round(median["writer"] / median["executor"], 2)
    result["ratio_batch_vs_legacy_per_s"] = round(median["batch"] / median["legacy_batch"], 2)
    result["ratio_batch_vs_legacy_cpu"] = round(cpu["batch"] / cpu["legacy_batch"], 2)
    print(
        f"batch vs legacy_batch (same run): appends/s x{result['ratio_batch_vs_legacy_per_s']}, "
        f"CPU per append x{result['ratio_batch_vs_legacy_cpu']}"
    )
    result["backend"] = "postgresql" if args.postgres else "sqlite"
    print(json.dumps(result))
    return 0


def _worker(
    url: str, tmp: str, node: str, first: int, n: int, producers: int, start: Any, out: Any
) -> None:
    """One worker process: its own AuditLog (node id) and AuditWriter, n entries from `first`."""
    log = AuditLog(
        url, Path(tmp) / "audit.key", Path(tmp) / "anchors" / "{node}.anchor", node_id=node
    )
    entries = make_entries(log, first + n)[first:]
    start.wait()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    batches = run_writer(log, entries, producers)
    out.put((time.perf_counter() - wall0, time.process_time() - cpu0, batches))
    log.close()


def timed_procs(procs: int, args: argparse.Namespace) -> Run:
    """The writer mode in `procs` processes at once on one fresh database."""
    ctx = multiprocessing.get_context("spawn")
    with fresh_log(args.work_dir, args.postgres) as log:
        url = str(log.engine.url.render_as_string(hide_password=False))
        # The key file's directory (fresh_log's temp dir): every worker MACs under its key.
        tmp = str(log._keys.path.parent)
        start, out = ctx.Barrier(procs + 1), ctx.Queue()
        share = args.entries // procs
        workers = [
            ctx.Process(
                target=_worker,
                args=(url, tmp, f"bench-{k}", k * share, share, args.producers, start, out),
            )
            for k in range(procs)
        ]
        for w in workers:
            w.start()
        start.wait()
        wall0 = time.perf_counter()
        results = [out.get() for _ in workers]
        wall = time.perf_counter() - wall0
        for w in workers:
            w.join()
        report = log.verify()
        if not report.ok or report.checked != share * procs:
            raise SystemExit(f"{procs} procs: the log does not verify: {report.problems[:3]}")
    cpu = sum(r[1] for r in results)
    return Run(f"procs{procs}", share * procs, wall, cpu, sum(r[2] for r in results))


def main_procs(args: argparse.Namespace) -> int:
    """Writer mode in 1, 2, ... worker processes on one database; ratios to the first count."""
    counts = [int(c) for c in args.procs.split(",")]
    runs: dict[int, list[Run]] = {c: [] for c in counts}
    for r in range(args.repeat):
        for c in counts:
            run = timed_procs(c, args)
            runs[c].append(run)
            print(f"run {r + 1}/{args.repeat} {c} procs: {run.per_s:.0f}/s", file=sys.stderr)
    backend = "postgresql" if args.postgres else "sqlite"
    print(f"# {args.entries} entries x {args.repeat} run(s), {args.producers} producers/process")
    print(f"{'procs':<8}{'appends/s':>11}{'ratio':>8}{'cpu_ms/append':>15}{'transactions':>14}")
    result: dict[str, object] = {"entries": args.entries, "backend": backend}
    base = statistics.median(r.per_s for r in runs[counts[0]])
    for c in counts:
        per_s = statistics.median(r.per_s for r in runs[c])
        cpu_ms = statistics.median(r.cpu_s / r.entries for r in runs[c]) * 1000
        tx = int(statistics.median(r.batches for r in runs[c]))
        print(f"{c:<8}{per_s:>11.0f}{per_s / base:>8.2f}{cpu_ms:>15.3f}{tx:>14}")
        result[f"procs{c}_per_s"] = round(per_s, 1)
        result[f"procs{c}_ratio"] = round(per_s / base, 2)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
