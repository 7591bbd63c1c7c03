"""Log lines from structlog and from the standard library come out the same way, redacted."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from gateway.ops.logs import FORBIDDEN_KEYS, LineHandler, configure

SECRET = "Lab results for Jane Roe, DOB 03/14/1962"


@pytest.fixture
def configured(capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    """The gateway's real logging set-up on the captured standard error, undone afterwards."""
    root = logging.getLogger()
    level = root.level
    configure("info", "json")
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if isinstance(h, LineHandler)]:
            root.removeHandler(handler)
        root.setLevel(level)
        logging.getLogger("phigate").setLevel(logging.NOTSET)
        structlog.reset_defaults()


def _lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_a_stdlib_record_with_a_forbidden_extra_is_redacted(
    configured: None, capfd: pytest.CaptureFixture[str]
) -> None:
    """A third-party stdlib record's `extra` subject is redacted and rendered as a JSON line."""
    logging.getLogger("aiosmtpd").warning("peer said", extra={"subject": SECRET, "peer": "x"})
    err = capfd.readouterr().err
    assert SECRET not in err
    (line,) = _lines(err)
    assert line["event"] == "peer said"
    assert line["subject"] == "[redacted]"
    assert line["peer"] == "x"
    assert line["level"] == "warning" and line["logger"] == "aiosmtpd"
    assert "timestamp" in line and "pid" in line


def test_our_stdlib_loggers_follow_the_configured_level(
    configured: None, capfd: pytest.CaptureFixture[str]
) -> None:
    """phigate's own stdlib loggers log at info, redacted like everything else."""
    logging.getLogger("phigate.notices").info("rendered", extra={"body": SECRET})
    (line,) = _lines(capfd.readouterr().err)
    assert line["event"] == "rendered" and line["body"] == "[redacted]"


def test_a_structlog_event_with_a_forbidden_key_is_redacted(
    configured: None, capfd: pytest.CaptureFixture[str]
) -> None:
    """A structlog event's forbidden keys are redacted whatever their case."""
    structlog.get_logger("phigate.test").info("scanned", text=SECRET, Matched=SECRET, ref="R1")
    err = capfd.readouterr().err
    assert SECRET not in err
    (line,) = _lines(err)
    assert line["text"] == "[redacted]" and line["Matched"] == "[redacted]"
    assert line["ref"] == "R1" and line["event"] == "scanned"


def test_one_list_of_forbidden_keys() -> None:
    """The audit log and the quarantine refuse the same keys the logs redact."""
    assert {"subject", "body", "text", "matched_text", "value", "snippet"} <= FORBIDDEN_KEYS
