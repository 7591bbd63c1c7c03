"""DATA framing towards the next hop: CRLF line endings, a final CRLF and doubled leading dots."""

from __future__ import annotations

import itertools
import re

import pytest

from gateway.delivery.relay import _for_data

PIECES = (b"a", b".", b"\r", b"\n", b"\r\n", b"x.")


def _reference(content: bytes) -> bytes:
    """The framing spelled out with regexes over the whole content, as RFC 5321 4.5.2 says."""
    body = re.sub(rb"\r\n|\r|\n", b"\r\n", content)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return re.sub(rb"(?m)^\.", b"..", body)


@pytest.mark.parametrize("length", [0, 1, 2, 3, 4])
def test_framing_matches_the_reference_on_every_short_combination(length: int):
    """Every content built from line ends, dots and text is framed as the reference frames it."""
    for parts in itertools.product(PIECES, repeat=length):
        content = b"".join(parts)
        assert _for_data(content) == _reference(content), content


def test_clean_crlf_content_is_passed_through_with_dots_doubled():
    """Content with CRLF only keeps its bytes; only a dot at a line start is doubled."""
    assert _for_data(b"Hi.\r\n.hidden\r\nbye.") == b"Hi.\r\n..hidden\r\nbye.\r\n"
    assert _for_data(b"plain\r\n") == b"plain\r\n"
