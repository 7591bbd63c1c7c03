"""gateway.mime: the one header splitter and encoder, the wrapping rules and the MIME writer."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from gateway.mime.headers import apply_header_edits, header_field, split_fields, split_message
from gateway.mime.wrap import inner_entity, outer_message
from gateway.mime.writer import Entity, multipart
from gateway.model import HeaderEdit

RAW = (
    b"Received: from a by b\r\n"
    b"From: Dr Who <dr@practice.example>\r\n"
    b"To: alice@example.org\r\n"
    b"Subject: Labs for\r\n J. Smith\r\n"
    b"X-Patient-Id: 12345\r\n"
    b"Message-ID: <m1@practice.example>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain;\r\n charset=utf-8\r\n"
    b"\r\n"
    b"body line\r\n"
)


def test_split_fields_keeps_every_byte_and_folding() -> None:
    """Fields keep their folded lines; fields, the empty line and the body join to the input."""
    fields, sep, body = split_fields(RAW)
    assert fields[3] == b"Subject: Labs for\r\n J. Smith\r\n"
    assert len(fields) == 8
    assert (sep, body) == (b"\r\n", b"body line\r\n")
    assert b"".join(fields) + sep + body == RAW


def test_split_fields_of_bare_lf_and_of_a_header_only_message() -> None:
    """A bare-LF message splits at its empty line; one without an empty line is all header."""
    fields, sep, body = split_fields(b"A: 1\nB: 2\n\nx\n")
    assert (fields, sep, body) == ([b"A: 1\n", b"B: 2\n"], b"\n", b"x\n")
    assert split_fields(b"A: 1\r\nB: 2") == ([b"A: 1\r\n", b"B: 2"], b"", b"")


def test_split_message_is_crlf_and_leaves_out_lines_without_a_colon() -> None:
    """split_message makes line ends CRLF and drops a line that is no header field."""
    split = split_message(b"A: 1\nnot a field\nB: 2\n\nx\n")
    assert [(f.name, f.raw) for f in split.headers] == [("A", b"A: 1\r\n"), ("B", b"B: 2\r\n")]
    assert split.body == b"x\r\n"


def test_header_field_encodes_only_what_needs_it() -> None:
    """Short ASCII is written as is; non-ASCII becomes RFC 2047 encoded words with CRLF folds."""
    assert header_field("Subject", "Labs") == b"Subject: Labs\r\n"
    long_text = " ".join(["Résultats"] * 12)
    encoded = header_field("Subject", long_text)
    assert encoded.startswith(b"Subject: =?utf-8?") and encoded.isascii()
    assert b"\n" not in encoded.replace(b"\r\n", b"")
    parsed = email.message_from_bytes(encoded + b"\r\n", policy=email.policy.default)
    assert parsed["Subject"] == long_text


def test_header_edits_change_only_the_named_fields() -> None:
    """Set replaces the first field in place and drops the others; add appends; remove removes."""
    raw = b"To: a@x.example\r\nSubject: one\r\nX-Tag: 1\r\nSubject: two\r\n\r\nbody\nbytes\r\n"
    out = apply_header_edits(
        raw,
        [
            HeaderEdit("Subject", "new"),
            HeaderEdit("X-Tag", None),
            HeaderEdit("X-Added", "yes", "add"),
        ],
    )
    assert out == b"To: a@x.example\r\nSubject: new\r\nX-Added: yes\r\n\r\nbody\nbytes\r\n"


def test_header_edits_on_a_message_without_body() -> None:
    """A header block without a final line end gets one before an added field."""
    assert apply_header_edits(b"To: a@x.example", [HeaderEdit("X-A", "1", "add")]) == (
        b"To: a@x.example\r\nX-A: 1\r\n"
    )


def test_inner_entity_moves_free_text_and_marks_protected_headers() -> None:
    """Protected: protected and free-text fields in order, then the marked Content-Type, body."""
    split = split_message(RAW)
    assert inner_entity(split, protect=False) == (
        b"X-Patient-Id: 12345\r\nContent-Type: text/plain;\r\n charset=utf-8\r\n\r\nbody line\r\n"
    )
    assert inner_entity(split, protect=True) == (
        b"From: Dr Who <dr@practice.example>\r\n"
        b"To: alice@example.org\r\n"
        b"Subject: Labs for\r\n J. Smith\r\n"
        b"X-Patient-Id: 12345\r\n"
        b"Message-ID: <m1@practice.example>\r\n"
        b'Content-Type: text/plain;\r\n charset=utf-8;\r\n protected-headers="v1"\r\n'
        b"\r\nbody line\r\n"
    )


def test_inner_entity_without_content_type_gains_one() -> None:
    """An entity without Content-Type gets a protected text/plain one."""
    inner = inner_entity(split_message(b"Subject: s\r\n\r\nx\r\n"), protect=True)
    assert inner == (
        b"Subject: s\r\n"
        b'Content-Type: text/plain; charset="us-ascii"; protected-headers="v1"\r\n'
        b"\r\nx\r\n"
    )


def test_outer_message_keeps_only_outer_fields_and_replaces_the_subject() -> None:
    """Encrypted: trace and free text go, the Subject is replaced in place, MIME-Version is new."""
    entity = Entity((("Content-Type", "application/octet-stream"),), b"data\r\n")
    out = outer_message(split_message(RAW), entity, subject="Secure", encrypted=True)
    assert out == (
        b"From: Dr Who <dr@practice.example>\r\n"
        b"To: alice@example.org\r\n"
        b"Subject: Secure\r\n"
        b"Message-ID: <m1@practice.example>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: application/octet-stream\r\n"
        b"\r\ndata\r\n"
    )
    with pytest.raises(ValueError, match="single line"):
        outer_message(split_message(RAW), entity, subject="a\r\nBcc: x@y", encrypted=True)


def test_multipart_carries_its_parts_byte_for_byte() -> None:
    """Each part stands between delimiters unchanged, and email parses the parts back."""
    first = b"Content-Type: text/plain\r\n\r\nno final line end"
    second = Entity((("Content-Type", "application/x-test"),), b"two\r\n").to_bytes()
    made = multipart("mixed", [first, second], params='x="1"', preamble=b"Preamble.\r\n")
    ((name, value),) = made.headers
    assert name == "Content-Type" and value.startswith('multipart/mixed; x="1";\r\n boundary="')
    boundary = value.split('boundary="')[1].rstrip('"').encode()
    delimiter = b"--" + boundary
    assert made.body == (
        b"Preamble.\r\n"
        + delimiter + b"\r\n" + first + b"\r\n"
        + delimiter + b"\r\n" + second + b"\r\n"
        + delimiter + b"--\r\n"
    )  # fmt: skip
    parsed = email.message_from_bytes(made.to_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert [p.get_content_type() for p in parsed.iter_parts()] == [
        "text/plain",
        "application/x-test",
    ]


@pytest.mark.parametrize("value", ["a\r\nBcc: x@y", "a\nb", "Grüße"])
def test_entity_refuses_values_that_are_not_one_ascii_line(value: str) -> None:
    """A structured header value with a line break (not folding) or non-ASCII is refused."""
    with pytest.raises(ValueError):
        Entity((("Content-Type", value),), b"")
