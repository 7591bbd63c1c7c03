"""Charsets and header fields: only real text encodings are trusted, and every shown field is read."""

from __future__ import annotations

import base64
import codecs
import quopri

import pytest

from detectors.extract import Extraction, extract_message
from detectors.extract.textcodec import (
    _CODEC_BY_LABEL,
    decode_bytes,
    decode_encoded_words,
    text_codec,
)
from tests.support.tables import table

CRLF = "\r\n"
HEAD = "From: a@practice.example\r\nTo: b@other.example\r\nMIME-Version: 1.0\r\n"
PHI = "Patient Jane Roe MRN 4471203"


def reasons(result: Extraction) -> list[tuple[str, str]]:
    return [(u.part, u.reason) for u in result.unscannable]


def test_every_label_in_the_table_names_an_installed_codec() -> None:
    """Each WHATWG label maps to a Python codec that exists, so no label silently fails."""
    for label, codec in _CODEC_BY_LABEL.items():
        assert codecs.lookup(codec), label


@pytest.mark.parametrize(
    ("label", "expected"),
    table("extract_charsets.text_codec_accepts_only_whatwg_labels"),
)
def test_text_codec_accepts_only_whatwg_labels(label: str | None, expected: str | None) -> None:
    """A WHATWG label gives its codec; a Python codec that is no text charset gives None."""
    assert text_codec(label) == expected


@pytest.mark.parametrize(
    "charset", ["punycode", "rot13", "base64_codec", "hex_codec", "utf-7", "unicode_escape"]
)
def test_non_text_codec_is_decoded_with_the_fallback_and_reported(charset: str) -> None:
    """The bytes are read as UTF-8 (never through the named codec) and the label is reported."""
    assert decode_bytes(PHI.encode(), charset) == (PHI, True)


def test_ascii_under_a_utf16_label_is_reported() -> None:
    """ASCII bytes labelled UTF-16 would decode to CJK noise; they are read as ASCII and reported."""
    assert decode_bytes(PHI.encode(), "utf-16") == (PHI, True)
    assert decode_bytes(PHI.encode("utf-16-le"), "utf-16") == (PHI, False)


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
def test_byte_order_mark_overrides_the_label(bom: bytes, codec: str) -> None:
    """As in a browser, a BOM decides the encoding whatever the label says."""
    assert decode_bytes(bom + PHI.encode(codec), "windows-1252") == (PHI, False)


def test_x_user_defined_keeps_ascii_and_maps_high_bytes_to_private_use() -> None:
    """x-user-defined is a WHATWG encoding: ASCII as is, 0x80 to U+F780, 0xFF to U+F7FF."""
    assert decode_bytes(b"Roe\x80\xff", "x-user-defined") == ("Roe\uf780\uf7ff", False)


@pytest.mark.parametrize(
    ("header", "expected", "bad"),
    table("extract_charsets.encoded_words"),
)
def test_encoded_words(header: str, expected: str, bad: bool) -> None:
    """RFC 2047 words are decoded with the text charsets only; any other label is reported."""
    assert decode_encoded_words(header) == (expected, bad)


def _message(headers: str, body: str = "hello", content_type: str = "text/plain") -> bytes:
    return (HEAD + headers + f"Content-Type: {content_type}\r\n\r\n{body}\r\n").encode()


@pytest.mark.parametrize(
    ("field", "part"), [("Subject", "subject"), ("Thread-Topic", "header"), ("X-Note", "header")]
)
def test_encoded_word_in_no_text_charset_is_scanned_and_reported(field: str, part: str) -> None:
    """A header encoded-word in punycode is read with the fallback and its part is unscannable."""
    result = extract_message(_message(f"{field}: =?punycode?Q?{PHI.replace(' ', '_')}?=\r\n"))
    assert PHI in result.text_of(part)
    assert (part, "bad-charset") in reasons(result)


def test_raw_8bit_header_with_an_encoded_word_is_decoded() -> None:
    """A header mixing raw UTF-8 and an encoded-word yields both as text."""
    raw = HEAD.encode() + "X-Name: Zoë =?utf-8?Q?Jane?= Roe\r\n\r\nhi\r\n".encode()
    assert "X-Name: Zoë Jane Roe" in extract_message(raw).text_of("header")


def _multipart(*parts: str) -> bytes:
    body = "".join(f"--b\r\n{p}\r\n" for p in parts) + "--b--\r\n"
    return (HEAD + "Content-Type: multipart/mixed; boundary=b\r\n\r\n" + body).encode()


def test_rfc2231_file_name_in_no_text_charset_is_scanned_and_reported() -> None:
    """filename*=punycode''... is percent-decoded, read with the fallback and reported."""
    raw = _multipart(
        "Content-Type: text/plain\r\n\r\nsee attached",
        "Content-Type: application/octet-stream\r\n"
        "Content-Disposition: attachment; filename*=punycode''Jane%20Roe%204471203.bin\r\n\r\nxx",
    )
    result = extract_message(raw)
    assert "Jane Roe 4471203.bin" in result.text_of("header")
    assert ("header", "bad-charset") in reasons(result)


def test_text_attachment_in_no_text_charset_is_reported() -> None:
    """A text attachment labelled punycode is scanned with the fallback and reported."""
    raw = _multipart(
        "Content-Type: text/plain\r\n\r\nsee attached",
        "Content-Type: text/plain; charset=punycode\r\n"
        "Content-Disposition: attachment; filename=n.txt\r\n\r\n" + PHI,
    )
    result = extract_message(raw)
    assert PHI in result.text_of("attachment:n.txt")
    assert reasons(result) == [("attachment:n.txt", "bad-charset")]


def test_rtf_body_in_no_text_charset_is_reported() -> None:
    """An RTF body labelled punycode is scanned and reported like any other text body."""
    result = extract_message(_message("", "{\\rtf1 " + PHI + "}", "text/rtf; charset=punycode"))
    assert PHI in result.text_of("body")
    assert reasons(result) == [("body", "bad-charset")]


@pytest.mark.parametrize("charset", ["iso-2022-kr", "utf-7", "utf-16"])
def test_body_in_a_charset_a_reader_may_not_see_as_labelled_is_reported(charset: str) -> None:
    """Bodies under replacement, UTF-7 or mismatched UTF-16 labels are scanned and reported."""
    result = extract_message(_message("", PHI, f"text/plain; charset={charset}"))
    assert PHI in result.text_of("body")
    assert reasons(result) == [("body", "bad-charset")]


def test_subject_of_a_mime_part_is_scanned() -> None:
    """A part's own Subject (shown by clients that read protected headers) is scanned."""
    raw = _multipart(f"Content-Type: text/plain\r\nSubject: {PHI}\r\n\r\nhello")
    assert f"Subject: {PHI}" in extract_message(raw).text_of("header")


@pytest.mark.parametrize("cte", ["base64", "quoted-printable"])
def test_transfer_encoded_attached_message_is_decoded_and_walked(cte: str) -> None:
    """A message/rfc822 part hidden behind base64 or quoted-printable is decoded, then walked."""
    inner = f"Subject: {PHI}\r\nContent-Type: text/plain\r\n\r\nDOB 03/14/1962 =3D seen\r\n"
    data = inner.encode()
    encoded = base64.encodebytes(data) if cte == "base64" else quopri.encodestring(data)
    raw = _multipart(
        f"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: {cte}\r\n\r\n"
        + encoded.decode()
    )
    result = extract_message(raw)
    text = result.text_of("attachment:forwarded.eml")
    assert f"Subject: {PHI}" in text
    assert "DOB 03/14/1962 =3D seen" in text
    assert "U3ViamVjd" not in text  # not the base64 text itself
