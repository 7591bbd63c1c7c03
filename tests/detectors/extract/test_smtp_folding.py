"""Lines an MTA broke because they were too long for SMTP are read whole again.

Postfix's SMTP client writes a line longer than smtp_line_length_limit (998; 990 before Postfix
3.7, and sendmail's SMTPLINELIM) as `limit` bytes, a line end, a space and the rest, so a
practice's Postfix in front of phigate splits whatever straddles byte 998. tests/test_postfix_loop.py
checks this folding against a real Postfix.
"""

from __future__ import annotations

import pytest

from detectors.config import DetectorConfig
from detectors.extract import ExtractLimits, extract_message
from detectors.extract.message import unfold_smtp_header, unfold_smtp_lines
from gateway.scanning import Scanner


def postfix_fold(line: bytes, limit: int) -> bytes:
    """One line as Postfix's smtp_text_out writes it: `limit` bytes a line, each next one led
    by a space that counts towards the limit."""
    out = [line[:limit]]
    rest = line[limit:]
    while rest:
        out.append(b" " + rest[: limit - 1])
        rest = rest[limit - 1 :]
    return b"\r\n".join(out)


FILLER = b"The clinic will be closed for maintenance next week; plan accordingly. "
SSN = b"536-22-8347"


def _line_with_ssn_at(position: int) -> bytes:
    """A long line whose SSN starts at byte `position`, then health information."""
    head = (FILLER * 20)[: position - 5] + b" SSN "
    return head + SSN + b" was seen for type 2 diabetes. " + FILLER * 20


@pytest.mark.parametrize("limit", [998, 990])
@pytest.mark.parametrize("ending", [b"\r\n", b"\n"])
def test_folded_lines_are_joined_back_exactly(limit: int, ending: bytes) -> None:
    line = (FILLER * 60)[:3500]
    folded = postfix_fold(line, limit).replace(b"\r\n", ending)
    assert folded.count(ending) == 3  # four pieces
    text = b"Hello,\r\n\r\n".replace(b"\r\n", ending)
    assert unfold_smtp_lines(text + folded + ending) == text + line + ending


def test_text_with_indented_lines_is_left_alone() -> None:
    text = (b"Results:\r\n  HbA1c 9.1%\r\n  LDL 3.2\r\n" + FILLER * 30 + b"\r\n") * 3
    assert unfold_smtp_lines(text) == text


def test_a_line_of_another_length_before_a_space_is_not_a_fold() -> None:
    text = b"x" * 997 + b"\r\n indented\r\n" + b"y" * 999 + b"\r\n indented\r\n"
    assert unfold_smtp_lines(text) == text


def _message(body: bytes, encoding: str = "8bit") -> bytes:
    return (
        b"From: a@practice.example\r\nTo: b@partner.example\r\nSubject: update\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: " + encoding.encode() + b"\r\n\r\n" + body + b"\r\n"
    )


@pytest.mark.parametrize("position", range(988, 999, 2))
def test_an_ssn_split_by_the_fold_is_read_whole(position: int) -> None:
    """The SSN starts between 10 bytes before the break and at it: every split of it."""
    raw = _message(postfix_fold(_line_with_ssn_at(position), 998))
    (body,) = [p for p in extract_message(raw, ExtractLimits()).parts if p.part == "body"]
    assert SSN.decode() in body.text
    scan = Scanner(DetectorConfig(), ExtractLimits()).scan(raw)
    assert "US_SSN" in {f.entity for f in scan.findings}
    assert scan.decision.phi


def test_quoted_printable_is_never_unfolded() -> None:
    """Soft line breaks are the encoding's own; its lines never reach 998 bytes anyway."""
    body = b"a" * 70 + b"=\r\n" + b" b" * 10
    (part,) = [
        p
        for p in extract_message(_message(body, "quoted-printable"), ExtractLimits()).parts
        if p.part == "body"
    ]
    assert part.text.startswith("a" * 70 + " b")


def test_a_line_broken_thousands_of_times_comes_back_whole() -> None:
    """A 2 MB line (an 8-bit attachment or a generated report): every piece joined, none lost."""
    line = bytes(range(33, 127)) * 22000
    folded = postfix_fold(line, 998)
    assert folded.count(b"\r\n") > 2000
    assert unfold_smtp_lines(folded + b"\r\n") == line + b"\r\n"


def _with_subject(subject: bytes) -> bytes:
    return _message(b"Please see the subject.").replace(b"Subject: update", b"Subject: " + subject)


@pytest.mark.parametrize("position", range(988, 999, 2))
def test_an_ssn_split_by_the_fold_of_a_long_subject_is_read_whole(position: int) -> None:
    """Postfix breaks a header line as it breaks a body line, "Subject: " counted in the 998;
    read as RFC 5322 folding, the break would leave a space inside the SSN."""
    field = b"Subject: " + _line_with_ssn_at(position - len(b"Subject: "))
    folded = postfix_fold(field, 998)
    assert folded.count(b"\r\n") >= 2
    raw = _message(b"Please see the subject.").replace(b"Subject: update", folded)
    (subject,) = [p for p in extract_message(raw, ExtractLimits()).parts if p.part == "subject"]
    assert subject.text == _line_with_ssn_at(position - len(b"Subject: ")).decode()
    scan = Scanner(DetectorConfig(), ExtractLimits()).scan(raw)
    assert "US_SSN" in {f.entity for f in scan.findings}
    assert scan.decision.phi


def test_a_header_folded_by_its_writer_keeps_its_folding_space() -> None:
    """Ordinary folding (short lines) is RFC 5322's: the space between the words stays."""
    raw = _with_subject(b"Referral for\r\n Maria Okafor")
    (subject,) = [p for p in extract_message(raw, ExtractLimits()).parts if p.part == "subject"]
    assert subject.text == "Referral for Maria Okafor"


def test_only_the_header_is_joined_before_parsing() -> None:
    """The body's lines are joined where the part is decoded, by its transfer encoding."""
    body = b"a" * 998 + b"\r\n b"
    raw = _message(body, "quoted-printable")
    assert unfold_smtp_header(raw) is raw
    (part,) = [p for p in extract_message(raw, ExtractLimits()).parts if p.part == "body"]
    assert part.text.startswith("a" * 998 + "\n b")
