"""Start workers (threads or processes) so that they begin their work at the same moment."""

from __future__ import annotations

from collections.abc import Sequence
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
