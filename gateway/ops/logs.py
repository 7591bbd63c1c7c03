"""Structured JSON logs (structlog). Redaction runs first, so no raw PHI reaches a log line.

Events logged through structlog and records logged through the standard library (ours, and
aiosmtpd's, uvicorn's or alembic's) pass the same processors: a stdlib record's `extra` fields
become event keys, and the forbidden ones are redacted before anything is rendered.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from structlog.typing import Processor

# Keys that could carry message content or matched values. A log line shows them as
# "[redacted]"; the audit log and the quarantine refuse a record or summary that has one.
FORBIDDEN_KEYS = frozenset(
    {
        "body",
        "content",
        "data",
        "match",
        "matched",
        "matched_text",
        "matches",
        "raw",
        "snippet",
        "subject",
        "text",
        "value",
        "values",
    }
)
REDACTED = "[redacted]"


def is_forbidden(key: object) -> bool:
    """Whether a key (of a log event, an audit record or a summary) could carry raw PHI."""
    return str(key).lower() in FORBIDDEN_KEYS


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Drop keys that could hold PHI, whatever a caller passed."""
    for key in list(event):
        if is_forbidden(key):
            event[key] = REDACTED
    return event


def add_pid(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Name the worker process, since several share one port."""
    event["pid"] = os.getpid()
    return event


def write_line(fd: int, message: str) -> None:
    """Write one line with one write(2), so workers sharing stderr never interleave halves."""
    data = (message + "\n").encode("utf-8", "replace")
    while data:
        written = os.write(fd, data)
        data = data[written:]


class LineLogger:
    """structlog's output: each rendered event as one line on a file descriptor."""

    def __init__(self, fd: int = 2) -> None:
        self.fd = fd

    def msg(self, message: str) -> None:
        """Write one rendered event."""
        write_line(self.fd, message)

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


class LineHandler(logging.Handler):
    """The standard library's output: each formatted record as one line on a file descriptor."""

    def __init__(self, fd: int = 2) -> None:
        super().__init__()
        self.fd = fd

    def emit(self, record: logging.LogRecord) -> None:
        """See logging.Handler."""
        try:
            write_line(self.fd, self.format(record))
        except (OSError, ValueError, TypeError):
            self.handleError(record)


class AddNode:
    """Name the gateway node on every line, since several nodes log to one collector."""

    def __init__(self, node: str) -> None:
        self.node = node

    def __call__(
        self, _logger: Any, _method: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        event.setdefault("node", self.node)
        return event


def shared_processors(node: str | None = None) -> list[Processor]:
    """What every event goes through before it is rendered, redaction first."""
    return [
        redact,
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        add_pid,
        *([AddNode(node)] if node is not None else []),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure(level: str = "info", fmt: str = "json", node: str | None = None) -> None:
    """Set up structlog and the standard library's root logger to write one JSON object per line
    on standard error, through the same redaction."""
    renderer: Processor = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer()
    )
    fd = sys.stderr.fileno()
    numeric = getattr(logging, level.upper())
    structlog.configure(
        processors=[*shared_processors(node), structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=lambda *_args: LineLogger(fd),
        # Loggers are module-level proxies; caching spares a re-bind on every call.
        cache_logger_on_first_use=True,
    )
    handler = LineHandler(fd)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            # A record's `extra` fields join the event before redaction sees it.
            foreign_pre_chain=[
                structlog.stdlib.add_logger_name,
                structlog.stdlib.ExtraAdder(),
                *shared_processors(node),
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, LineHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    # Other libraries stay at warnings, as before; our own stdlib loggers follow `level`.
    root.setLevel(max(numeric, logging.WARNING))
    logging.getLogger("phigate").setLevel(numeric)
    # aiosmtpd's own logger logs peer data at INFO and commands at DEBUG.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
