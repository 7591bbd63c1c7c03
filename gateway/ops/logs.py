"""Structured JSON logs (structlog). Redaction runs first, so no raw PHI reaches a log line."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Keys that could carry message content or matched values; they never reach a log line.
FORBIDDEN_KEYS = frozenset(
    {"body", "content", "raw", "text", "match", "matched", "matches", "value", "subject", "data"}
)


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Drop keys that could hold PHI, whatever a caller passed."""
    for key in list(event):
        if key in FORBIDDEN_KEYS:
            event[key] = "[redacted]"
    return event


def add_pid(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Name the worker process, since several share one port."""
    event["pid"] = os.getpid()
    return event


class LineLogger:
    """Writes each event as one line with one write(2), so workers sharing stderr never
    interleave halves of their lines."""

    def __init__(self, fd: int = 2) -> None:
        self.fd = fd

    def msg(self, message: str) -> None:
        data = (message + "\n").encode("utf-8", "replace")
        while data:
            written = os.write(self.fd, data)
            data = data[written:]

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


def configure(level: str = "info", fmt: str = "json") -> None:
    """Set up structlog to write one JSON object per line on standard error."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            redact,
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            add_pid,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper())),
        logger_factory=lambda *_args: LineLogger(sys.stderr.fileno()),
        # Loggers are module-level proxies; caching spares a re-bind on every call.
        cache_logger_on_first_use=True,
    )
    # Silence aiosmtpd's own logger: it logs peer data at INFO and commands at DEBUG.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
