"""content_problem finds every bare CR or LF, as RFC 5321 2.3.8 defines them."""

from __future__ import annotations

import re

import pytest

from gateway.smtp.front import content_problem

# The definition: a CR not followed by LF, or an LF not preceded by CR.
BARE = re.compile(rb"\r(?!\n)|(?<!\r)\n")

CASES = [
    b"a\r\nb\r\n",
    b"",
    b"a\nb\r\n",
    b"a\rb\r\n",
    b"a\n\rb\r\n",
    b"a\r\r\nb\r\n",
    b"a\r\n\nb\r\n",
    b"a\r\n\r",
    b"\na\r\n",
    b"a\r\n\r\n\r\n",
    b"\r\n" * 3 + b"x\r",
]


@pytest.mark.parametrize("raw", CASES)
def test_bare_line_endings_are_refused_or_normalized(raw: bytes) -> None:
    """Refused exactly when the definition finds one; normalized, the content is CRLF only."""
    bare = BARE.search(raw) is not None
    refusal, kept = content_problem(raw, 998, "reject")
    assert (refusal is not None, kept) == (bare, raw)
    refusal, normalized = content_problem(raw, 998, "normalize")
    assert refusal is None
    assert BARE.search(normalized) is None
    assert normalized == (re.sub(rb"\r\n|\r|\n", b"\r\n", raw) if bare else raw)
