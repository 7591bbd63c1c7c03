"""DATA may buffer more than one line; the command phase gets the one-line stream limit back."""

from __future__ import annotations

from pathlib import Path

from gateway.smtp.front import DATA_BUFFER_BYTES
from tests.support.gateway import make_settings, port_of, running_gateway

OK = 250
START_INPUT = 354
SYNTAX_ERROR = 500
TRANSACTION_FAILED = 554

BODY = b"Subject: buffer\r\n\r\n" + b"filler text for a message over the stream limit\r\n" * 120


def _limits(gw) -> list[int]:
    return [s._reader._limit for s in gw.handler.sessions]


def test_the_stream_limit_is_raised_for_data_and_given_back_after(tmp_path: Path, sink, client_for):
    """After 354 the reader may hold a whole small message; after the reply, one line again."""
    settings = make_settings(tmp_path, sink[1])
    line_limit = settings.smtp.max_line_length + 3
    with running_gateway(settings) as gw:
        c = client_for(port_of(gw))
        c.greet()
        assert _limits(gw) == [line_limit]
        assert c.cmd("MAIL FROM:<desk@practice.example>")[0].startswith(str(OK))
        assert c.cmd("RCPT TO:<p@partner.example>")[0].startswith(str(OK))
        assert c.cmd("DATA")[0].startswith(str(START_INPUT))
        assert _limits(gw) == [DATA_BUFFER_BYTES]
        assert c.cmd(BODY + b".")[0].startswith(str(OK))
        assert _limits(gw) == [line_limit]
        # A command line over the limit is still refused, and the session goes on.
        assert c.cmd("NOOP " + "x" * (line_limit + 10))[0].startswith(str(SYNTAX_ERROR))
        assert c.cmd("NOOP")[0].startswith(str(OK))


def test_the_stream_limit_is_given_back_after_a_refused_message(tmp_path: Path, sink, client_for):
    """A message refused for a line over the limit also ends with the one-line limit back."""
    settings = make_settings(tmp_path, sink[1])
    line_limit = settings.smtp.max_line_length + 3
    with running_gateway(settings) as gw:
        c = client_for(port_of(gw))
        c.greet()
        c.cmd("MAIL FROM:<desk@practice.example>")
        c.cmd("RCPT TO:<p@partner.example>")
        assert c.cmd("DATA")[0].startswith(str(START_INPUT))
        reply = c.cmd(b"Subject: long\r\n\r\n" + b"y" * (2 * line_limit) + b"\r\n.")
        assert reply[0].startswith(str(TRANSACTION_FAILED))
        assert _limits(gw) == [line_limit]
