"""format=flowed plain text (RFC 3676) is read as its writer wrote it, not as the client wrapped it."""

from __future__ import annotations

from detectors.config import DetectorConfig
from detectors.extract import ExtractLimits, extract_message
from detectors.extract.message import unflow
from gateway.scanning import Scanner


def test_soft_breaks_join_and_hard_breaks_stay() -> None:
    text = "Quick update: Maria \r\nOkafor was seen today.\r\nNext line stays.\r\n"
    assert unflow(text) == "Quick update: Maria Okafor was seen today.\nNext line stays.\n"


def test_quote_depth_ends_a_paragraph_and_quote_marks_stay() -> None:
    text = "> She lives at 42 Willow \r\n> Street.\r\n>> older \r\n>> text\r\nmine \r\n> not joined\r\n"
    assert unflow(text) == (
        "> She lives at 42 Willow Street.\n> > older text\nmine \n> not joined\n"
    )


def test_space_stuffing_goes_and_the_signature_separator_is_hard() -> None:
    text = " From the desk \r\nof Dr Lee\r\n-- \r\nDr. Lee\r\n"
    assert unflow(text) == "From the desk of Dr Lee\n-- \nDr. Lee\n"


def test_delsp_takes_the_wrapping_space_out() -> None:
    # DelSp=yes lets a client break inside a word: the space before the break is not the text's
    assert unflow("MRN 48 \r\n39201 on file\r\n", delsp=True) == "MRN 4839201 on file\n"
    assert unflow("MRN 48 \r\n39201 on file\r\n") == "MRN 48 39201 on file\n"


def _message(content_type: str, body: str) -> bytes:
    return (
        "From: Dr Lee <lee@practice.example>\r\nTo: sarah@partner.example\r\n"
        f"Subject: follow-up\r\nMIME-Version: 1.0\r\nContent-Type: {content_type}\r\n"
        "Content-Transfer-Encoding: 7bit\r\n\r\n" + body
    ).encode()


BODY = (
    "Hi Sarah,\r\n\r\n"
    "Quick update on the patient we discussed this morning: Maria \r\n"
    "Okafor was seen today for her type 2 diabetes follow-up. She lives at \r\n"
    "42 Willow Street, Springfield.\r\n\r\n"
    "Thanks,\r\n-- \r\nDr. Lee\r\n"
)


def test_a_flowed_body_is_extracted_unwrapped() -> None:
    raw = _message("text/plain; charset=UTF-8; format=flowed", BODY)
    (body,) = [p for p in extract_message(raw, ExtractLimits()).parts if p.part == "body"]
    assert "this morning: Maria Okafor was seen today" in body.text
    assert "She lives at 42 Willow Street, Springfield." in body.text
    # without format=flowed the line ends are the writer's own
    fixed = _message("text/plain; charset=UTF-8", BODY)
    (body,) = [p for p in extract_message(fixed, ExtractLimits()).parts if p.part == "body"]
    assert "Maria \nOkafor" in body.text


def test_the_patient_of_a_flowed_body_is_found_whole() -> None:
    scan = Scanner(DetectorConfig(), ExtractLimits()).scan(
        _message("text/plain; charset=UTF-8; format=flowed", BODY)
    )
    names = {
        v for f, v in zip(scan.findings, scan.values, strict=True) if f.entity == "PATIENT_NAME"
    }
    assert names == {"Maria Okafor"}
    assert "STREET_ADDRESS" in {f.entity for f in scan.findings}
    assert scan.decision.phi


def test_a_long_flowed_paragraph_comes_back_whole() -> None:
    """Thousands of soft breaks in one paragraph: every piece joined, in order."""
    words = [f"w{n:05d} " for n in range(50000)]
    wrapped = "".join(w + ("\r\n" if n % 10 == 9 else "") for n, w in enumerate(words))
    assert unflow(wrapped) == "".join(words)
