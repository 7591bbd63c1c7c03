"""Parametrized tables for the address-block, phone, card and postcode recognizers."""

from __future__ import annotations

import pytest

from detectors.config import DetectorConfig
from detectors.engine import _literal_breaks
from detectors.recognizers import RawMatch, build_registry
from detectors.recognizers.address import AddressRecognizer
from detectors.recognizers.contact import RecordUrlRecognizer

REGISTRY = build_registry(DetectorConfig())
ADDRESS = AddressRecognizer()


def addresses(text: str) -> list[str]:
    """The address blocks found in ``text``."""
    text = _literal_breaks(text)
    return [text[m.start : m.end] for m in ADDRESS.analyze(text, 1.0)]


def found(text: str, entity: str, value: str) -> bool:
    """Whether any cheap recognizer matches ``value`` as ``entity``."""
    return any(
        m.entity == entity and text[m.start : m.end] == value
        for rec in REGISTRY
        for m in rec.analyze(text, 1.0)
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # US grammar: number, words, street type, unit, city/state/ZIP tail.
        (
            "Send it to 4411 W. Larch Hollow Rd. Apt 2B, Dayton, OH 45402 please",
            "4411 W. Larch Hollow Rd. Apt 2B, Dayton, OH 45402",
        ),
        (
            "She is at 17 Quarry Ln\nSuite 300\nBoise, ID 83702\n\nThanks",
            "17 Quarry Ln\nSuite 300\nBoise, ID 83702",
        ),
        ("Mail: 9 Kestrel Ave, Fairview", "9 Kestrel Ave, Fairview"),
        # Street type first, in several languages and scripts.
        ("lives at 12 rue des Tanneurs, Lyon", "12 rue des Tanneurs, Lyon"),
        ("ship to Via Garibaldi 44", "Via Garibaldi 44"),
        ("address: ul. Ogrodowa 7 Apt. 3", "ul. Ogrodowa 7 Apt. 3"),
        ("Οδός Ερμού 21 Apt. 4", "Οδός Ερμού 21 Apt. 4"),
        # European name + number, licensed by a street ending, a house number or a cue.
        ("Our office: Lindenstrasse 8, Bern", "Lindenstrasse 8, Bern"),
        (
            "3310 Kirkegårdsvej 14\nAarhus\nDenmark 8000",
            "3310 Kirkegårdsvej 14\nAarhus\nDenmark 8000",
        ),
        ("moved to Tamminiementie 3 last week", "Tamminiementie 3"),
        # PO boxes and military addresses.
        ("PO Box 7781, Tulsa, OK 74101", "PO Box 7781, Tulsa, OK 74101"),
        ("PSC 1203, Box 88\nAPO AE 09012", "PSC 1203, Box 88\nAPO AE 09012"),
        ("Unit 4410 Box 120\nDPO AP 96520", "Unit 4410 Box 120\nDPO AP 96520"),
        ("USNS Comfort\nFPO AA 34090", "USNS Comfort\nFPO AA 34090"),
        # Corners, with or without "St." after each street.
        (
            "meet at the corner of 5 Birch Road and Heron Crescent",
            "the corner of 5 Birch Road and Heron Crescent",
        ),
        # Literal "\n" from bad templating still separates the lines of a block.
        (
            "12 Aspen Court\\n Apt. 5\\n Reno\\n NV 89501",
            "12 Aspen Court \n Apt. 5 \n Reno \n NV 89501",
        ),
    ],
)
def test_address_block(text: str, expected: str) -> None:
    """An address is found as one block covering number, street, unit and place tail."""
    assert expected in addresses(text)


@pytest.mark.parametrize(
    "text",
    [
        "Take 2 tablets every 6 hours with food.",
        "The meeting is on March 5 at noon.",
        "See you on Monday 12 sharp.",
        "Please review Table 3 and Figure 2 before Friday.",
        "We ordered 40 Units of insulin pens.",
        "Version 2 of the form is on Page 4.",
        "Call the Park View office about it.",
        "He scored 12 on the Glasgow scale.",
        "During 2019 the clinic grew.",
        "Acme Holdings Inc. in 2021 merged.",
        "They're not answering at 555 0199 today.",
    ],
)
def test_not_an_address(text: str) -> None:
    """Doses, dates, pages, versions and bare place-like words are not addresses."""
    assert addresses(text) == []


@pytest.mark.parametrize(
    ("text", "entity", "value", "expected"),
    [
        ("please call me on 0361 4827715 today", "PHONE_NUMBER", "0361 4827715", True),
        ("Phone: 0044 20 7946 0958", "PHONE_NUMBER", "0044 20 7946 0958", True),
        ("mobile +4915112345678", "PHONE_NUMBER", "+4915112345678", True),
        ("Tel 0614-2738841 x204", "PHONE_NUMBER", "0614-2738841 x204", True),
        ("Order 0614-2738841 shipped", "PHONE_NUMBER", "0614-2738841", False),  # no phone word
        ("card no 6304 9497 7246 ends soon", "CREDIT_CARD", "6304 9497 7246", True),
        ("card no 630494977247 ends soon", "CREDIT_CARD", "630494977247", False),  # bad Luhn
        ("invoice 630494977246 is paid", "CREDIT_CARD", "630494977246", False),  # no card word
        ("ZIP: 01310-930", "ZIP_CODE", "01310-930", True),
        ("Postal code 113 57", "ZIP_CODE", "113 57", True),
        ("postcode SW1A 1AA", "ZIP_CODE", "SW1A 1AA", True),
        ("Room 113 57 beds", "ZIP_CODE", "113 57", False),  # no postcode word
        ("Lives at Rosenweg 12", "STREET_ADDRESS", "Rosenweg 12", True),
        ("my address with 153 Oak", "STREET_ADDRESS", "with 153", False),  # not capitalised
    ],
)
def test_contact_details(text: str, entity: str, value: str, expected: bool) -> None:
    """International phones, 12-digit cards and foreign postcodes need their context words."""
    assert found(text, entity, value) is expected


def test_phone_windows_and_cache_give_the_same_spans() -> None:
    """A number seen again (from the window cache) is reported at its own offsets, and digit-free text finds none."""
    from detectors.recognizers.contact import PhoneRecognizer

    rec = PhoneRecognizer(cache_size=2)
    first = "Call (217) 555-0142 today."
    second = "Our main line, as before: (217) 555-0142 today."
    spans = [(m.start, m.end) for m in rec.analyze(first, 1.0)]
    again = [(m.start, m.end) for m in rec.analyze(second, 1.0)]
    assert [first[a:b] for a, b in spans] == ["(217) 555-0142"]
    assert [second[a:b] for a, b in again] == ["(217) 555-0142"]
    assert rec.analyze("No digits here at all, just words.", 1.0) == []


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        (
            "https://ehr.practice.example/chart/9574773 - biopsy",
            "https://ehr.practice.example/chart/9574773",
            True,
        ),
        (
            "Join: https://telehealth.practice.example/v/g9xfv9ecb5.",
            "https://telehealth.practice.example/v/g9xfv9ecb5",
            True,
        ),
        (
            "see https://portal.x.example/patients/48213/results",
            "https://portal.x.example/patients/48213/results",
            True,
        ),
        # No record segment, or no id after it: a page, not a patient's record.
        ("https://www.cms.gov/medicare/coverage/policy-2024", "", False),
        ("https://example.com/news/12345", "", False),
        ("https://portal.x.example/patients/login", "", False),
    ],
)
def test_record_urls(text: str, value: str, expected: bool) -> None:
    """A URL with a record-kind segment and an id after it points at one patient's record."""
    spans = [text[m.start : m.end] for m in _record_urls(text)]
    assert (spans == [value]) if expected else (spans == [])


def _record_urls(text: str) -> list[RawMatch]:
    return RecordUrlRecognizer().analyze(text, 1.0)
