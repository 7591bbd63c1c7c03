"""Extraction from the message itself: subject, address headers, bodies, nesting, encodings."""

from __future__ import annotations

import dataclasses
import email
import email.encoders
import email.policy
from email.message import EmailMessage
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from detectors.extract import (
    AttachmentCache,
    Extraction,
    ExtractLimits,
    TextPart,
    extract_message,
    extract_text_file,
)

CRLF = b"\r\n"


def _raw(*lines: str, body: bytes = b"") -> bytes:
    return CRLF.join(line.encode("ascii") for line in lines) + CRLF + CRLF + body


def _parts(extraction: Extraction, part: str) -> list[TextPart]:
    return [p for p in extraction.parts if p.part == part]


def test_subject_is_decoded_from_rfc2047() -> None:
    """An encoded-word subject comes out as readable text in the "subject" part."""
    raw = _raw(
        "Subject: =?utf-8?q?Befund_Krzy=C5=9B_Zieli=C5=84ski?=", "To: a@x.example", body=b"hi"
    )
    (subject,) = _parts(extract_message(raw), "subject")
    assert subject.text == "Befund Krzyś Zieliński"
    assert subject.origin == "Subject"


def test_address_headers_keep_names_and_addresses() -> None:
    """From/To/Cc/Reply-To become one header part with decoded display names and addresses."""
    raw = _raw(
        "From: Clinic Desk <desk@clinic.example>",
        "To: =?utf-8?q?Krzy=C5=9B?= Zielinski <KrzysZielinski@rhyta.example>,",
        ' "Roe, Jane" <jroe@x.example>',
        "Cc: bob@x.example",
        "Reply-To: =?iso-8859-1?q?J=FCrgen_M=FCller?= <jm@x.example>",
        "Subject: hello",
        body=b"hi",
    )
    (header,) = _parts(extract_message(raw), "header")
    lines = header.text.splitlines()
    assert "From: Clinic Desk <desk@clinic.example>" in lines
    assert "To: Krzyś Zielinski <KrzysZielinski@rhyta.example>, Roe, Jane <jroe@x.example>" in lines
    assert "Cc: bob@x.example" in lines
    assert "Reply-To: Jürgen Müller <jm@x.example>" in lines
    assert header.kind == "header"


def test_thread_identifiers_are_left_to_machines() -> None:
    """Message-ID, In-Reply-To and References are for threading; a custom field is still read."""
    raw = _raw(
        "From: Clinic Desk <desk@clinic.example>",
        "Message-ID: <20261205.4471203@ehr.clinic.example>",
        "In-Reply-To: <20261204.4471203@ehr.clinic.example>",
        "References: <20261203.4471203@ehr.clinic.example>",
        "X-Chart: 4471203",
        body=b"hi",
    )
    (header,) = _parts(extract_message(raw), "header")
    assert header.text.splitlines() == [
        "From: Clinic Desk <desk@clinic.example>",
        "X-Chart: 4471203",
    ]


def test_file_names_in_the_top_headers_are_read_first_of_each() -> None:
    """The message's own name and filename parameters are shown, the first of each name in
    each header (case-blind, as email's get_param takes them), Content-Type's before
    Content-Disposition's."""
    raw = _raw(
        "From: Clinic Desk <desk@clinic.example>",
        'Content-Type: application/octet-stream; NAME="Roe labs.pdf"; name="second.pdf"',
        'Content-Disposition: attachment; Filename="Roe chart.pdf"; filename=other.pdf; name=x',
        body=b"hi",
    )
    (header,) = _parts(extract_message(raw), "header")
    assert header.text.splitlines()[-3:] == [
        "name: Roe labs.pdf",
        "name: x",
        "filename: Roe chart.pdf",
    ]


def test_policy_default_message_objects_are_accepted() -> None:
    """A Message parsed by the gateway with policy.default is walked like raw bytes."""
    msg = EmailMessage()
    msg["Subject"] = "Résultats de Zoë"
    msg["To"] = "Zoë Faure <zoe@x.example>"
    msg.set_content("DOB 01/02/1960")
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    result = extract_message(parsed)
    assert result.text_of("subject") == "Résultats de Zoë"
    assert "To: Zoë Faure <zoe@x.example>" in result.text_of("header")
    assert "DOB 01/02/1960" in result.text_of("body")


@pytest.mark.parametrize(
    ("charset", "cte"),
    [
        ("utf-8", "base64"),
        ("utf-8", "quoted-printable"),
        ("iso-8859-1", "quoted-printable"),
        ("utf-8", "8bit"),
    ],
)
def test_plain_body_in_every_transfer_encoding(charset: str, cte: str) -> None:
    """text/plain is decoded from base64, quoted-printable and 8bit in its declared charset."""
    msg = EmailMessage()
    msg["Subject"] = "x"
    msg.set_content("Patient: Jürgen Müller, MRN E1234567\n", charset=charset, cte=cte)
    body = extract_message(msg.as_bytes()).text_of("body")
    assert "Patient: Jürgen Müller, MRN E1234567" in body


def test_html_body_is_converted_to_text() -> None:
    """HTML loses script/style, keeps table cells apart, puts blocks on lines, decodes entities."""
    html = (
        "<html><head><style>p{color:red}</style><script>var mrn='SCRIPTONLY';</script></head>"
        "<body><p>Dear&nbsp;Ms.&#32;Roe &amp; family,</p><div>Follow-up</div>"
        "<table><tr><th>Name</th><th>DOB</th></tr><tr><td>Jane Roe</td><td>03/14/1985</td></tr></table>"
        "</body></html>"
    )
    msg = MIMEText(html, "html", "utf-8")
    (body,) = _parts(extract_message(msg.as_bytes()), "body")
    lines = body.text.splitlines()
    assert "SCRIPTONLY" not in body.text and "color" not in body.text
    assert "Dear\u00a0Ms. Roe & family," in lines or "Dear Ms. Roe & family," in lines
    assert "Follow-up" in lines
    assert "Name\tDOB" in lines
    assert "Jane Roe\t03/14/1985" in lines
    assert body.kind == "html"
    assert body.origin == "text/html#1"


def test_nested_multiparts_are_all_walked() -> None:
    """Every text leaf of nested multipart/mixed and multipart/alternative becomes a body part."""
    outer = MIMEMultipart("mixed")
    alt = MIMEMultipart("alternative")
    alt.attach(MIMEText("plain copy MRN A111", "plain"))
    alt.attach(MIMEText("<p>html copy MRN B222</p>", "html"))
    related = MIMEMultipart("related")
    related.attach(MIMEText("deep MRN C333", "plain"))
    outer.attach(alt)
    outer.attach(related)
    result = extract_message(outer.as_bytes())
    body = result.text_of("body")
    assert "MRN A111" in body and "MRN B222" in body and "MRN C333" in body
    assert [p.origin for p in _parts(result, "body")] == [
        "text/plain#1",
        "text/html#2",
        "text/plain#3",
    ]


def test_attached_message_is_labelled_by_its_file_name() -> None:
    """A message/rfc822 attachment is recursed into and labelled with the .eml's name."""
    inner = MIMEText("Forwarded: patient Jane Roe, DOB 03/14/1985")
    inner["Subject"] = "FW: labs for Jane Roe"
    inner["To"] = "Jane Roe <jroe@x.example>"
    wrapper = MIMEMessage(inner)
    wrapper.add_header("Content-Disposition", "attachment", filename="fwd.eml")
    outer = MIMEMultipart()
    outer["Subject"] = "see attached"
    outer.attach(MIMEText("please see the forwarded note"))
    outer.attach(wrapper)
    result = extract_message(outer.as_bytes())
    fwd = _parts(result, "attachment:fwd.eml")
    assert any("DOB 03/14/1985" in p.text and p.origin.startswith("fwd.eml/") for p in fwd)
    header = next(p for p in fwd if p.kind == "header")
    assert "Subject: FW: labs for Jane Roe" in header.text
    assert "To: Jane Roe <jroe@x.example>" in header.text
    assert "Jane Roe" not in result.text_of("body")


def test_attached_message_without_a_name_is_forwarded_eml() -> None:
    """An attached message with no file name gets the label attachment:forwarded.eml."""
    inner = MIMEText("MRN E7654321")
    outer = MIMEMultipart()
    outer.attach(MIMEMessage(inner))
    result = extract_message(outer.as_bytes())
    assert "MRN E7654321" in result.text_of("attachment:forwarded.eml")


def test_text_attachment_is_an_attachment_not_body() -> None:
    """A text/plain part with a file name is labelled attachment:<name>, not body."""
    outer = MIMEMultipart()
    outer.attach(MIMEText("cover note"))
    note = MIMEText("Jane Roe MRN E1111111")
    note.add_header("Content-Disposition", "attachment", filename="note.txt")
    outer.attach(note)
    result = extract_message(outer.as_bytes())
    assert "E1111111" in result.text_of("attachment:note.txt")
    assert "E1111111" not in result.text_of("body")


def test_unknown_charset_still_decodes_and_scans() -> None:
    """A part labelled with an unknown charset is decoded anyway (and scanned) and reported."""
    raw = _raw(
        "Subject: x",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="x-no-such-charset"',
        "Content-Transfer-Encoding: 8bit",
        body="Patient Jürgen, MRN E2222222\r\n".encode(),
    )
    result = extract_message(raw)
    assert "Patient Jürgen, MRN E2222222" in result.text_of("body")
    assert [u.reason for u in result.unscannable] == ["bad-charset"]


def test_mislabelled_8bit_latin1_is_not_lost() -> None:
    """Latin-1 bytes declared as us-ascii fall back to Windows-1252 instead of replacement marks."""
    raw = _raw(
        "Subject: x",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="us-ascii"',
        "Content-Transfer-Encoding: 8bit",
        body="Patient M\xfcller".encode("latin-1"),
    )
    assert "Patient Müller" in extract_message(raw).text_of("body")


def test_broken_base64_is_decoded_as_far_as_possible() -> None:
    """A base64 body with bad padding and junk characters still yields its readable text."""
    import base64

    good = base64.b64encode(b"Patient Jane Roe, MRN E3333333, seen today for follow-up").decode()
    broken = good[:-2] + "!!*"  # lost padding plus junk
    raw = _raw(
        "Subject: x",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        body=broken.encode(),
    )
    assert "MRN E3333333" in extract_message(raw).text_of("body")


def test_garbage_text_is_flagged_bad_charset_but_still_scanned() -> None:
    """A body that decodes to mostly control characters is reported bad-charset and still kept."""
    raw = _raw(
        "Subject: x",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=x-unknown-thing",
        "Content-Transfer-Encoding: 8bit",
        body=bytes(range(1, 9)) * 40 + b" MRN E4444444",
    )
    result = extract_message(raw)
    assert "MRN E4444444" in result.text_of("body")
    assert [u.reason for u in result.unscannable] == ["bad-charset"]


def test_extract_text_file_is_exact() -> None:
    """scan --text input is decoded without any normalisation: offsets stay byte-for-byte true."""
    data = "﻿Line one\r\n  Jürgen\tDOB 01/02/1960  \r\n".encode()
    (part,) = extract_text_file(data).parts
    assert part.text == data.decode("utf-8")
    assert part.part == "body"
    latin = "M\xfcller\r\n".encode("latin-1")
    assert extract_text_file(latin).parts[0].text == "M\xfcller\r\n"


def test_repeated_attachment_is_served_from_the_cache() -> None:
    """The same attachment bytes are extracted once; the second message is a cache hit."""
    cache = AttachmentCache(max_entries=4)

    def message(name: str) -> bytes:
        outer = MIMEMultipart()
        part = MIMEBase("application", "octet-stream")
        part.set_payload(b"{\\rtf1\\ansi Patient Jane Roe MRN E5555555\\par}")
        email.encoders.encode_base64(part)
        part.add_header("Content-Disposition", "attachment", filename=name)
        outer.attach(part)
        return outer.as_bytes()

    first = extract_message(message("a.rtf"), cache=cache)
    second = extract_message(message("a.rtf"), cache=cache)
    assert (cache.misses, cache.hits) == (1, 1)
    assert first.parts == second.parts
    assert "MRN E5555555" in second.text_of("attachment:a.rtf")


def test_cache_is_bounded() -> None:
    """The LRU never holds more entries than its bound."""
    cache = AttachmentCache(max_entries=2)
    for i in range(5):
        outer = MIMEMultipart()
        note = MIMEText(f"note {i}", "csv")
        note.add_header("Content-Disposition", "attachment", filename=f"n{i}.csv")
        outer.attach(note)
        extract_message(outer.as_bytes(), cache=cache)
    assert len(cache) == 2


def test_limits_are_frozen_and_clone_rejects_unknown_keys() -> None:
    """ExtractLimits is immutable; clone() changes known fields and refuses unknown ones."""
    limits = ExtractLimits()
    with pytest.raises(dataclasses.FrozenInstanceError):
        limits.max_parts = 1  # type: ignore[misc]
    assert limits.clone(max_parts=7).max_parts == 7
    with pytest.raises(TypeError):
        limits.clone(max_partz=7)
    with pytest.raises(ValueError):
        ExtractLimits(max_depth=0)
