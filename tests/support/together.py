"""Start workers (threads or processes) so that they begin their work at the same moment."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from typing import Protocol


class _Worker(Protocol):
    def start(self) -> None: ...
    def join(self, timeout: float | None = None) -> None: ...


class _Event(Protocol):
    def set(self) -> None: ...


def run_together(workers: Sequence[_Worker], start: _Event, timeout: float = 120) -> None:
    """Start every worker, release them at once through `start`, and wait up to `timeout` each."""
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(timeout)


def run_processes_together(
    target: Callable[..., object], args: tuple[object, ...], count: int, timeout: float = 120
) -> list[int | None]:
    """Run `count` spawned processes of target(*args, worker number, start event) released at
    once, and return their exit codes."""
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=target, args=(*args, w, start)) for w in range(count)]
    run_together(procs, start, timeout)
    return [p.exitcode for p in procs]
