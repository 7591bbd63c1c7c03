"""Hostile and broken input: every case ends in a clean result or an Unscannable reason."""

from __future__ import annotations

import base64
import io
import os
import zipfile
from pathlib import Path

import pytest

from detectors.extract import Extraction, ExtractLimits, TesseractOcr, extract_message
from tests.support.formats import CCDA, HL7, text_pdf, with_attachment, zip_of

MIB = 1024 * 1024
VALID_PARTS = ("subject", "header", "body")


def reasons(result: Extraction) -> list[str]:
    return [u.reason for u in result.unscannable]


def test_fifty_megabyte_attachment_is_too_large() -> None:
    """A 50 MB attachment is refused as too-large without being decoded."""
    body = base64.encodebytes(b"\x00" * (50 * MIB))
    raw = (
        b"Subject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\ncover\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="huge.bin"\r\n\r\n' + body + b"\r\n--b--\r\n"
    )
    result = extract_message(raw)
    assert [(u.part, u.reason) for u in result.unscannable] == [
        ("attachment:huge.bin", "too-large")
    ]
    assert result.text_of("body") == "cover"


def test_zip_bomb_is_refused() -> None:
    """100 MB of zeros in a 100 KB zip exceeds the compression ratio: zip-bomb."""
    bomb = zip_of({"zeros.csv": b"\x00" * (100 * MIB)})
    assert len(bomb) < MIB
    result = extract_message(with_attachment(bomb, "bomb.zip", "application/zip"))
    assert reasons(result) == ["zip-bomb"]
    assert [p.origin for p in result.parts if p.part == "attachment:bomb.zip"] == [
        "bomb.zip (file name)"
    ]


def test_nested_zip_bomb_is_refused() -> None:
    """A zip of zips whose leaves are highly compressed zeros is stopped, not expanded."""
    leaf = zip_of({f"z{i}.txt": b"0" * (8 * MIB) for i in range(4)})
    outer = zip_of({f"l{i}.zip": leaf for i in range(8)})
    result = extract_message(with_attachment(outer, "nested.zip", "application/zip"))
    assert reasons(result)
    assert set(reasons(result)) == {"zip-bomb"}


def test_archive_total_budget_is_shared_by_nested_archives() -> None:
    """Members that are each fine still stop once the message's total archive budget is spent."""
    member = os.urandom(MIB)
    inner = zip_of({"a.bin.txt": member})
    outer = zip_of({"one.zip": inner, "two.zip": inner, "three.zip": inner})
    limits = ExtractLimits(zip_max_total_uncompressed=MIB * 5 // 2)
    result = extract_message(with_attachment(outer, "many.zip", "application/zip"), limits)
    assert "zip-bomb" in reasons(result)


def test_zip_nesting_beyond_the_limit_is_too_deep() -> None:
    """Archives nested deeper than zip_max_depth are reported too-deep."""
    data = zip_of({"core.txt": b"MRN E1212121"})
    for level in range(4):
        data = zip_of({f"level{level}.zip": data})
    result = extract_message(with_attachment(data, "russian.zip", "application/zip"))
    assert reasons(result) == ["too-deep"]


def test_zip_member_lying_about_its_size_is_not_trusted() -> None:
    """A member whose header under-declares its size is cut at the declared size and reported."""
    data = bytearray(zip_of({"x.txt": b"A" * 5000}))
    central = data.index(b"PK\x01\x02")
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")  # uncompressed size
    data[22:26] = (100).to_bytes(4, "little")
    result = extract_message(with_attachment(bytes(data), "liar.zip", "application/zip"))
    text = result.text_of("attachment:liar.zip")
    assert len(text) <= 100
    assert reasons(result) in (["corrupt"], ["zip-bomb"])


def test_corrupt_zip_is_reported() -> None:
    """Bytes that start like a zip but are not one are reported corrupt."""
    result = extract_message(
        with_attachment(b"PK\x03\x04" + b"\xff" * 200, "broken.zip", "application/zip")
    )
    assert reasons(result) == ["corrupt"]


def test_docx_that_is_a_zip_bomb_is_refused() -> None:
    """A DOCX whose parts expand too far is refused before python-docx opens it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<w:document/>")
        archive.writestr("word/media/padding.xml", b" " * (60 * MIB))
    result = extract_message(with_attachment(out.getvalue(), "bomb.docx"))
    assert reasons(result) == ["zip-bomb"]


def test_ten_thousand_part_multipart_is_bounded() -> None:
    """A 10,000-part multipart yields at most max_parts parts plus one too-many-parts record."""
    chunks = [
        b"Subject: many\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    ]
    for i in range(10_000):
        chunks.append(b"--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i)
    chunks.append(b"--b--\r\n")
    result = extract_message(b"".join(chunks))
    body_parts = [p for p in result.parts if p.part == "body"]
    assert len(body_parts) == 500
    assert reasons(result) == ["too-many-parts"]


def test_deep_mime_nesting_is_too_deep() -> None:
    """Multiparts nested deeper than max_depth are reported too-deep, not recursed."""
    raw = (
        b"Subject: deep\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    )
    for level in range(1, 40):
        raw += b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (level - 1, level)
    raw += b"--b39\r\nContent-Type: text/plain\r\n\r\nMRN E1\r\n"
    result = extract_message(raw)
    assert "too-deep" in reasons(result)


def test_broken_base64_attachment_is_still_scanned() -> None:
    """A CSV attachment with broken base64 is decoded leniently and scanned."""
    encoded = base64.b64encode(b"name,mrn\nJane Roe,E8080808\n").decode()
    # Junk in the middle, padding lost, and a stray character at the end.
    broken = encoded[:8] + "%*" + encoded[8:].rstrip("=") + "Q"
    raw = (
        "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/csv\r\nContent-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="l.csv"\r\n\r\n'
        f"{broken}\r\n--b--\r\n"
    ).encode()
    result = extract_message(raw)
    assert "E8080808" in result.text_of("attachment:l.csv")


def test_unknown_charset_on_an_attachment_is_still_scanned() -> None:
    """A text attachment with a made-up charset is decoded and scanned."""
    raw = (
        "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain; charset=x-martian\r\nContent-Transfer-Encoding: 8bit\r\n"
        'Content-Disposition: attachment; filename="n.txt"\r\n\r\n'
        "Zoë Faure E9090909\r\n--b--\r\n"
    ).encode()
    assert "Zoë Faure E9090909" in extract_message(raw).text_of("attachment:n.txt")


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n" + bytes(range(256)) * 40,
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF",
        text_pdf(["MRN E1"])[:200],
    ],
    ids=["garbage", "no-pages", "truncated"],
)
def test_pdf_that_throws_is_corrupt(data: bytes) -> None:
    """A PDF that pypdf cannot read is reported corrupt, never raised."""
    result = extract_message(with_attachment(data, "bad.pdf", "application/pdf"))
    assert reasons(result) == ["corrupt"]


def test_xml_entities_are_never_expanded() -> None:
    """An XXE or billion-laughs document is not expanded; its raw text is scanned instead."""
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">'
        b'<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<ClinicalDocument>&x;&b;</ClinicalDocument>"
    )
    result = extract_message(with_attachment(xml, "evil.xml", "application/xml"))
    text = result.text_of("attachment:evil.xml")
    assert "root:" not in text
    assert "aaaaaaaaaaaaaaaaaaaa" not in text
    assert "&x;&b;" in text


def test_time_budget_exhausted_is_reported() -> None:
    """When the time budget is spent, remaining parts are reported budget-exhausted."""
    raw = with_attachment(text_pdf(["MRN E1"]), "a.pdf", "application/pdf")
    result = extract_message(raw, ExtractLimits(time_budget_s=1e-9))
    assert "budget-exhausted" in reasons(result)


def test_total_text_limit_truncates_and_reports() -> None:
    """Text beyond max_total_text_chars is cut and reported too-large."""
    raw = b"Subject: s\r\nContent-Type: text/plain\r\n\r\n" + b"word " * 2000
    result = extract_message(raw, ExtractLimits(max_total_text_chars=1000))
    assert sum(len(p.text) for p in result.parts) == 1000
    assert reasons(result) == ["too-large"]


# A copy of CPython's Lib/test/test_email/data, since distributions may strip the test package.
CPYTHON_MESSAGES = sorted(
    (Path(__file__).resolve().parents[2] / "data" / "cpython_email").glob("msg_*.txt")
)


def test_cpython_corpus_is_present() -> None:
    """The 48 messages of CPython's email test corpus are available to the tests below."""
    assert len(CPYTHON_MESSAGES) == 48


@pytest.mark.parametrize("path", CPYTHON_MESSAGES, ids=lambda p: p.name)
def test_cpython_corpus_message_extracts_cleanly(path: Path) -> None:
    """Each message of CPython's email test corpus extracts without raising, labels valid."""
    result = extract_message(path.read_bytes(), ocr=TesseractOcr(binary="/nonexistent/tesseract"))
    for part in result.parts:
        assert part.part in VALID_PARTS or part.part.startswith("attachment:")
        assert part.text.strip()
    for problem in result.unscannable:
        assert problem.reason in {"corrupt", "ocr-unavailable", "unknown-type", "bad-charset"}


def test_cpython_corpus_content_lands_in_the_right_parts() -> None:
    """Known content of a few corpus messages comes out under the expected labels."""
    by_name = {p.name: p for p in CPYTHON_MESSAGES}
    digest = extract_message(by_name["msg_02.txt"].read_bytes())
    assert "Subject: [Ppp] testing #3" in digest.text_of("attachment:forwarded.eml")
    html = extract_message(by_name["msg_10.txt"].read_bytes())
    assert "This is a 7bit encoded message." in html.text_of("body")
    images = extract_message(
        by_name["msg_22.txt"].read_bytes(), ocr=TesseractOcr(binary="/nonexistent/x")
    )
    assert {u.part for u in images.unscannable} == {
        "attachment:wibble.JPG",
        "attachment:wibble2.JPG",
    }


def test_broken_encoded_word_in_an_address_header_does_not_raise() -> None:
    """An RFC 2047 word with broken base64 in a display name is kept as raw text."""
    raw = b"To: =?utf-8?b?SmFuZSBSb2X?= <jroe@x.example>\r\nSubject: x\r\n\r\nhi\r\n"
    result = extract_message(raw)
    assert "jroe@x.example" in result.text_of("header")


def test_charset_with_a_nul_does_not_raise() -> None:
    """A charset parameter holding a NUL byte is treated as unknown, not a crash."""
    raw = b'Subject: =?x\x00y?q?abc?=\r\nContent-Type: text/plain; charset="a\x00b"\r\n\r\nMRN E6060606\r\n'
    result = extract_message(raw)
    assert "E6060606" in result.text_of("body") or reasons(result) == ["corrupt"]


def test_zip_of_an_unsupported_version_is_corrupt() -> None:
    """A zip whose central directory claims an unsupported version is reported corrupt."""
    data = bytearray(zip_of({"a.txt": b"MRN E1"}))
    central = data.index(b"PK\x01\x02")
    data[central + 6] = 170  # "version needed to extract": 17.0
    result = extract_message(with_attachment(bytes(data), "new.zip", "application/zip"))
    assert reasons(result) == ["corrupt"]


def test_pypdf_warnings_never_reach_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    """pypdf's warnings quote raw file bytes (possible PHI), so none of them is logged."""
    pdf = text_pdf(["MRN E5151515"]).replace(b"/Root 1 0 R", b"/Root 9 0 R")
    pdf = pdf.replace(b"startxref\n", b"startxref\n7") + b"E5151515 junk"
    with caplog.at_level("DEBUG"):
        extract_message(with_attachment(pdf, "odd.pdf", "application/pdf"))
    assert "E5151515" not in caplog.text
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]


def test_mutated_messages_never_raise() -> None:
    """Three hundred seeded random mutations of messages and attachments all extract cleanly."""
    import random

    rnd = random.Random(20251104)
    seeds = [
        with_attachment(text_pdf(["Patient Jane Roe", "MRN E1"]), "a.pdf", "application/pdf"),
        with_attachment(zip_of({"a.csv": b"name,mrn\nRoe,E1\n", "b.hl7": HL7.encode()}), "z.zip"),
        with_attachment(CCDA, "c.xml", "application/xml"),
        b"To: =?utf-8?q?Zo=C3=AB?= <z@x.example>\r\nSubject: =?utf-8?b?SGVsbG8=?=\r\n"
        b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"<p>Zo=C3=AB <b>MRN</b> E1</p>\r\n",
    ]
    ocr = TesseractOcr(binary="/nonexistent/tesseract")
    for _ in range(300):
        data = bytearray(rnd.choice(seeds))
        for _ in range(rnd.randint(1, 12)):
            at = rnd.randrange(len(data))
            action = rnd.random()
            if action < 0.5:
                data[at] = rnd.randrange(256)
            elif action < 0.75:
                del data[at : at + rnd.randint(1, 64)]
            else:
                data[at:at] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 8)))
            if not data:
                data = bytearray(b"x")
        result = extract_message(bytes(data), ocr=ocr)
        assert isinstance(result, Extraction)
