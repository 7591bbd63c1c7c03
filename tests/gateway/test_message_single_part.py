"""RfcParser's single-part shortcut gives exactly the stdlib feed parser's result."""

from __future__ import annotations

import email.policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from gateway.message import RfcParser

HEAD = b"From: desk@practice.example\r\nTo: lab@partner.example\r\nSubject: Results\r\n"

MESSAGES = {
    "plain": HEAD + b"\r\nHello,\r\n.a leading dot\r\n\r\nBye\r\n",
    "no body": HEAD + b"\r\n",
    "8-bit body": HEAD
    + b"Content-Type: text/plain; charset=utf-8\r\n\r\ncaf\xc3\xa9 cr\xc3\xa8me\r\n",
    "8-bit header": b"Subject: caf\xc3\xa9\r\n" + HEAD + b"\r\nbody\r\n",
    "encoded word": b"Subject: =?utf-8?q?caf=C3=A9?=\r\n" + HEAD + b"\r\nbody\r\n",
    "folded header": b"Subject: a long\r\n subject line\r\n" + HEAD + b"\r\nbody\r\n",
    "base64": HEAD + b"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=\r\n",
    "bad content type": HEAD + b"Content-Type: text\r\n\r\nbody\r\n",
    "unix from": b"From someone Mon Jan  1 00:00:00 2026\r\n" + HEAD + b"\r\nbody\r\n",
    "blank lines in body": HEAD + b"\r\n\r\n\r\nbody\r\n\r\n",
    "no separator line": HEAD + b"this is no header field\r\n\r\nbody\r\n",
    "bare LF": b"From: a@b.example\nSubject: x\n\nbody\n",
    "bare LF in body": HEAD + b"\r\nline one\nline two\r\n",
    "lone CR in header": b"Subject: a\rb\r\n" + HEAD + b"\r\nbody\r\n",
    "headers only": HEAD,
    "multipart": HEAD
    + b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
    + b"--b1\r\nContent-Type: text/plain\r\n\r\none\r\n--b1\r\n"
    + b"Content-Type: text/csv\r\n\r\na,b\r\n--b1--\r\n",
    "multipart without boundary": HEAD + b"Content-Type: multipart/mixed\r\n\r\nbody\r\n",
    "message/rfc822": HEAD
    + b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n",
    "header defect": b"Subject: x\r\nTo: <unclosed@b.example\r\n" + HEAD + b"\r\nbody\r\n",
}


def shape(message: EmailMessage) -> list[object]:
    """What a parse produced, part by part: headers, payload text, defects, unixfrom."""
    out: list[object] = []
    for part in message.walk():
        payload = part.get_payload()
        out.append(
            (
                part.items(),
                part.get_unixfrom(),
                payload if isinstance(payload, str) else None,
                [type(d).__name__ for d in part.defects],
            )
        )
    return out


@pytest.mark.parametrize("raw", MESSAGES.values(), ids=MESSAGES.keys())
def test_parse_matches_the_feed_parser(raw: bytes) -> None:
    """The parsed view, its bytes and its defects are the stdlib parser's, shortcut or not."""
    expected = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(expected, EmailMessage)
    parsed = RfcParser().parse(raw)
    assert shape(parsed.message) == shape(expected)
    assert parsed.message.as_bytes() == expected.as_bytes()
    assert parsed.raw == raw
