"""The line limit holds at its edge when the reader's measure spares the second split."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gateway.smtp.front import content_problem, read_data
from tests.support.gateway import make_settings, port_of, running_gateway

OK = 250
START_INPUT = 354
TRANSACTION_FAILED = 554
LIMIT = 998  # smtp.max_line_length's default (RFC 5322 2.1.1)
STREAM_LIMIT = LIMIT + 3


async def _measure(sent: bytes) -> tuple[object, int]:
    reader = asyncio.StreamReader(limit=STREAM_LIMIT)
    reader.feed_data(sent)
    measured = [123]
    result = await read_data(reader, None, STREAM_LIMIT, measured)
    return result, measured[0]


@pytest.mark.parametrize(
    ("sent", "longest"),
    [
        (b"ab\r\ncdef\r\n.\r\n", 4),
        (b"..dot\r\n.\r\n", 5),  # measured before unstuffing: an upper bound
        (b".\r\n", 0),
        (b"x" * 999 + b"\r\n.\r\n", 999),
    ],
)
def test_the_reader_measures_the_longest_line_without_its_crlf(sent: bytes, longest: int):
    """`measured` holds the longest line's text, never less than any unstuffed line."""
    result, measured = asyncio.run(_measure(sent))
    assert isinstance(result, bytes)
    assert measured == longest
    assert all(len(line) <= measured for line in result.split(b"\r\n"))


def test_the_reader_says_when_it_did_not_measure():
    """A refused message leaves no measure behind (-1), so the full check runs."""
    result, measured = asyncio.run(_measure(b"y" * (STREAM_LIMIT + 5) + b"\r\n.\r\n"))
    assert isinstance(result, str) and measured == -1


@pytest.mark.parametrize("longest", [None, LIMIT + 1, 10**6])
def test_a_bound_over_the_limit_still_finds_the_long_line(longest: int | None):
    """Only a bound within the limit skips the split: any other still refuses a 999-octet line."""
    raw = b"Subject: x\r\n\r\n" + b"z" * (LIMIT + 1) + b"\r\n"
    problem, _ = content_problem(raw, LIMIT, "reject", longest)
    assert problem is not None and problem.startswith(str(TRANSACTION_FAILED))


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (b"a" * LIMIT, OK),
        (b"a" * (LIMIT + 1), TRANSACTION_FAILED),
        (b"." + b"a" * (LIMIT - 1), OK),  # sent stuffed as LIMIT + 1 octets
        (b"." + b"a" * LIMIT, TRANSACTION_FAILED),
    ],
    ids=["at-limit", "over-limit", "stuffed-at-limit", "stuffed-over-limit"],
)
def test_the_line_limit_at_its_edge_through_the_gateway(
    tmp_path: Path, sink, client_for, line: bytes, code: int
):
    """998 octets pass and 999 are refused, dot-stuffed or not."""
    settings = make_settings(tmp_path, sink[1])
    with running_gateway(settings) as gw:
        c = client_for(port_of(gw))
        c.greet()
        c.cmd("MAIL FROM:<desk@practice.example>")
        c.cmd("RCPT TO:<p@partner.example>")
        assert c.cmd("DATA")[0].startswith(str(START_INPUT))
        stuffed = b"." + line if line.startswith(b".") else line
        body = b"Subject: edge\r\n\r\n" + stuffed + b"\r\n"
        assert c.cmd(body + b".")[0].startswith(str(code))
