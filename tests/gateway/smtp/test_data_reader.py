"""The chunked DATA reader: ends only on CRLF.CRLF, unstuffs dots, keeps aiosmtpd's limits."""

from __future__ import annotations

import asyncio

import pytest

from gateway.smtp.front import read_data

LIMIT = 40  # stream limit of the reader = line limit (text, CRLF and a stuffed dot)


async def _read(stream: bytes, step: int, size_limit: int | None = None) -> tuple[object, bytes]:
    reader = asyncio.StreamReader(limit=LIMIT)

    async def feed() -> None:
        for i in range(0, len(stream), step):
            reader.feed_data(stream[i : i + step])
            await asyncio.sleep(0)
        reader.feed_eof()

    feeder = asyncio.ensure_future(feed())
    result = await read_data(reader, size_limit, LIMIT)
    await feeder
    return result, await reader.read()


CASES = [
    # (what the client sends after DATA, content as handed over)
    (b".\r\n", b""),
    (b"hello\r\n.\r\n", b"hello\r\n"),
    (b"ends with a dot.\r\nnext\r\n.\r\n", b"ends with a dot.\r\nnext\r\n"),
    (b"..\r\n.\r\n", b".\r\n"),
    (b"a\r\n..b\r\n...\r\n.\r\n", b"a\r\n.b\r\n..\r\n"),
    # bare LF or CR around a dot never ends DATA (SMTP smuggling)
    (b"a\n.\nb\r\n.\r\n", b"a\n.\nb\r\n"),
    (b"a\r.\rb\r\n.\r\n", b"a\r.\rb\r\n"),
    (b"a\r\n.\nb\r\n.\r\n", b"a\r\n\nb\r\n"),  # a line starting with a dot loses it
    # many short lines longer together than the stream limit
    (b"line of text\r\n" * 20 + b".\r\n", b"line of text\r\n" * 20),
]


@pytest.mark.parametrize("step", [1, 3, 7, 1000])
@pytest.mark.parametrize(("sent", "content"), CASES)
def test_data_ends_only_on_crlf_dot_crlf_and_is_unstuffed(sent: bytes, content: bytes, step: int):
    result, rest = asyncio.run(_read(sent + b"QUIT\r\n", step))
    assert result == content
    assert rest == b"QUIT\r\n"  # a pipelined command after the dot stays unread


@pytest.mark.parametrize("step", [1, 1000])
def test_a_line_over_the_limit_is_refused_after_the_whole_message(step: int):
    sent = b"short\r\n" + b"x" * (LIMIT - 1) + b"\r\nafter\r\n.\r\n"
    result, rest = asyncio.run(_read(sent + b"NOOP\r\n", step))
    assert result == "500 Line too long (see RFC5321 4.5.3.1.6)"
    assert rest == b"NOOP\r\n"


def test_a_line_at_the_limit_is_taken():
    line = b"y" * (LIMIT - 2) + b"\r\n"
    result, _ = asyncio.run(_read(line + b".\r\n", 5))
    assert result == line


@pytest.mark.parametrize("step", [1, 1000])
def test_more_than_the_size_limit_is_refused_once_the_client_has_finished(step: int):
    sent = b"0123456789\r\n" * 10 + b".\r\n"
    result, rest = asyncio.run(_read(sent + b"RSET\r\n", step, size_limit=100))
    assert result == "552 Error: Too much mail data"
    assert rest == b"RSET\r\n"
    exact, _ = asyncio.run(_read(b"0123456789\r\n" * 8 + b"abc\r\n.\r\n", step, size_limit=101))
    assert exact == b"0123456789\r\n" * 8 + b"abc\r\n"
