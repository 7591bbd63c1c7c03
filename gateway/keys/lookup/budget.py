"""One time budget for all key lookups made while one message is acted on.

The encrypt action opens `one_message()` around its recipients; every lookup in it (any
recipient, any method, in any worker thread: asyncio.to_thread carries the context along) draws
on the same deadline, which starts at the message's first lookup. Outside `one_message()` each
lookup has the whole budget to itself (the CLI).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class MessageBudget:
    """The lookup deadline of one message, shared by the threads that act on it."""

    def __init__(self) -> None:
        self._deadline: float | None = None
        self._lock = threading.Lock()

    def remaining(self, budget: float) -> float:
        """Seconds left; the first call starts the clock at `budget`."""
        with self._lock:
            now = time.monotonic()
            if self._deadline is None:
                self._deadline = now + budget
            return max(0.0, self._deadline - now)


_CURRENT: ContextVar[MessageBudget | None] = ContextVar("key_lookup_budget", default=None)


@contextmanager
def one_message() -> Iterator[MessageBudget]:
    """Every lookup inside shares one budget (see KeyLookup.lookup)."""
    budget = MessageBudget()
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def remaining(budget: float) -> float:
    """Seconds a lookup may take now: what the current message has left, else `budget`."""
    current = _CURRENT.get()
    return budget if current is None else current.remaining(budget)
