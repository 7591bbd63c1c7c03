"""Header text a client can show never reaches an outsider in clear: a MIME part's own Subject
(protected headers), a forwarded message hidden behind base64, and an encoded-word inside a
header that also carries raw 8-bit text."""

from __future__ import annotations

import base64

import pytest

from tests.support.leak import (
    BENIGN,
    HEADER_PHI,
    NotInClear,
    b64,
    by_name,
    head,
)


def part_subject() -> bytes:
    return (
        head() + 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        '--b1\r\nContent-Type: text/plain; charset=utf-8; protected-headers="v1"\r\n'
        f"Subject: {HEADER_PHI}\r\n\r\n{BENIGN}\r\n--b1--\r\n"
    ).encode()


def base64_forwarded_message() -> bytes:
    inner = (
        f"From: lab@hospital.example\r\nSubject: {HEADER_PHI}\r\n"
        f"Content-Type: text/plain\r\n\r\n{BENIGN}\r\n"
    ).encode()
    return (
        head() + 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        f"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{BENIGN}\r\n"
        "--b1\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + b64(inner)
        + "--b1--\r\n"
    ).encode()


def encoded_word_beside_8bit_text() -> bytes:
    word = "=?utf-8?B?" + base64.b64encode(HEADER_PHI.encode()).decode() + "?="
    return (
        head(extra=f"X-Note: Zoë {word}\r\n") + f"Content-Type: text/plain\r\n\r\n{BENIGN}\r\n"
    ).encode()


CASES = by_name(part_subject, base64_forwarded_message, encoded_word_beside_8bit_text)


@pytest.mark.parametrize("case", sorted(CASES))
def test_header_text_is_not_delivered_in_clear(case: str, not_in_clear: NotInClear) -> None:
    """The outsider cannot read the patient's text, and the scanner flags the message."""
    not_in_clear(case, CASES[case]())
