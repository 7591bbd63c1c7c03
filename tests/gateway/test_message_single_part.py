"""RfcParser gives exactly the stdlib feed parser's result: its single-part shortcut, and its
header fields parsed once a message."""

from __future__ import annotations

import email.policy
from email.headerregistry import ContentTypeHeader, HeaderRegistry
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

import gateway.message
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
    "same field values in several parts": HEAD
    + b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b2"\r\n\r\n'
    + b"--b2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\none\r\n--b2\r\n"
    + b"Content-Type: text/plain; charset=utf-8\r\n\r\ntwo\r\n--b2\r\n"
    + b"Content-Type: application/pdf; name*=utf-8''r%C3%A9sum%C3%A9.pdf\r\n"
    + b'Content-Disposition: attachment; filename*0="long"; filename*1="name.pdf"\r\n'
    + b"Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b2--\r\n",
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


def test_each_header_field_value_is_parsed_once_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """The feed parser and every later reader ask for a part's Content-Type again and again;
    each distinct field value of a message is parsed into a header object once."""
    parsed_fields: list[str] = []
    real = HeaderRegistry.__call__

    def counting(self: HeaderRegistry, name: str, value: str) -> object:
        parsed_fields.append(name.lower())
        return real(self, name, value)

    monkeypatch.setattr(HeaderRegistry, "__call__", counting)
    monkeypatch.setattr(gateway.message, "_shared", {})  # nothing parsed by earlier tests
    parsed = RfcParser().parse(MESSAGES["same field values in several parts"])
    for part in parsed.message.walk():
        for _ in range(3):
            part.get_content_type()
            part.get_filename()
    # multipart/mixed, text/plain (twice in the message), application/pdf
    assert parsed_fields.count("content-type") == 3
    assert parsed.message.get_payload()[2].get_filename() == "longname.pdf"


def test_messages_do_not_share_parsed_header_fields() -> None:
    """What one message's fields parsed to is not kept for the next message."""
    parser = RfcParser()
    first = parser.parse(MESSAGES["multipart"])
    first.message.get_content_type()
    second = parser.parse(MESSAGES["plain"])
    assert first.message.policy is not second.message.policy
    remembered = vars(second.message.policy)["_memo"]
    assert not any("b1" in str(value) for value in remembered.values())


def test_a_policy_copy_without_a_memo_still_parses() -> None:
    """Whatever copies the policy another way (a bare instance here) reads headers as the
    default policy does."""
    parsed = RfcParser().parse(MESSAGES["multipart"])
    bare = type(parsed.message.policy)()
    expected = BytesParser(policy=email.policy.default).parsebytes(MESSAGES["multipart"])
    again = BytesParser(policy=bare).parsebytes(MESSAGES["multipart"])
    assert isinstance(again, EmailMessage)
    assert shape(again) == shape(expected)


def _counting_parses(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    parsed_fields: list[tuple[str, str]] = []
    real = HeaderRegistry.__call__

    def counting(self: HeaderRegistry, name: str, value: str) -> object:
        parsed_fields.append((name.lower(), value))
        return real(self, name, value)

    monkeypatch.setattr(HeaderRegistry, "__call__", counting)
    monkeypatch.setattr(gateway.message, "_shared", {})
    return parsed_fields


def test_structural_values_are_parsed_once_a_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Content-Type that names nothing ("text/plain; charset=utf-8"), a transfer encoding and
    the MIME version are parsed once for every message that carries them (the full RFC 2231
    parse of a Content-Type is about 100 us), and what they parse to is the stdlib's own."""
    parsed_fields = _counting_parses(monkeypatch)
    head = HEAD + b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
    parser = RfcParser()
    for body in (b"first\r\n", b"second\r\n", b"third\r\n"):
        raw = head + b"Content-Transfer-Encoding: base64\r\n\r\n" + body
        parsed = parser.parse(raw)
        assert parsed.message.get_content_type() == "text/plain"
        assert parsed.message.get_content_charset() == "utf-8"
    assert parsed_fields.count(("content-type", "text/plain; charset=utf-8")) == 1
    assert parsed_fields.count(("content-transfer-encoding", "base64")) == 1
    shared = parsed.message["content-type"]
    fresh = email.policy.default.header_factory("Content-Type", "text/plain; charset=utf-8")
    # each header registry makes its own classes: compare what they are, not their identity
    assert isinstance(shared, ContentTypeHeader)
    assert type(shared).__name__ == type(fresh).__name__
    assert str(shared) == str(fresh)
    assert shared.content_type == fresh.content_type == "text/plain"
    assert dict(shared.params) == dict(fresh.params) == {"charset": "utf-8"}
    assert parsed.message.as_bytes() == (
        BytesParser(policy=email.policy.default).parsebytes(raw).as_bytes()
    )


@pytest.mark.parametrize(
    "content_type",
    [
        'application/pdf; name="Maria Garcia labs.pdf"',
        'multipart/mixed; boundary="b-4411"',
        "text/plain; charset=utf-8 (Maria Garcia)",
        "text/plain; charset*=utf-8''Maria",
        "text/plain;\r\n charset=utf-8",
    ],
)
def test_values_that_name_anything_are_parsed_per_message(
    monkeypatch: pytest.MonkeyPatch, content_type: str
) -> None:
    """A file name, a boundary, a comment, an RFC 2231 value or a folded value is parsed for its
    message alone, every time, and never kept for the next message."""
    parsed_fields = _counting_parses(monkeypatch)
    raw = HEAD + b"Content-Type: " + content_type.encode() + b"\r\n\r\nbody\r\n"
    for _ in range(2):
        RfcParser().parse(raw).message.get_content_type()
    assert sum(1 for name, _ in parsed_fields if name == "content-type") == 2
    assert gateway.message._shared == {}
