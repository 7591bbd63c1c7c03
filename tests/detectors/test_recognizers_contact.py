"""Parametrized tables for the address-block, phone, card and postcode recognizers."""

from __future__ import annotations

import pytest

from detectors.config import DetectorConfig
from detectors.engine import _literal_breaks
from detectors.recognizers import RawMatch, default_recognizers
from detectors.recognizers.address import AddressRecognizer
from detectors.recognizers.contact import RecordUrlRecognizer
from tests.support.tables import table

RECOGNIZERS = default_recognizers(DetectorConfig())
ADDRESS = AddressRecognizer()


def addresses(text: str) -> list[str]:
    """The address blocks found in ``text``."""
    text = _literal_breaks(text)
    return [text[m.start : m.end] for m in ADDRESS.analyze(text, 1.0)]


def found(text: str, entity: str, value: str) -> bool:
    """Whether any cheap recognizer matches ``value`` as ``entity``."""
    return any(
        m.entity == entity and text[m.start : m.end] == value
        for rec in RECOGNIZERS
        for m in rec.analyze(text, 1.0)
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    table("recognizers_contact.address_block"),
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
    table("recognizers_contact.contact_details"),
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
    table("recognizers_contact.record_urls"),
)
def test_record_urls(text: str, value: str, expected: bool) -> None:
    """A URL with a record-kind segment and an id after it points at one patient's record."""
    spans = [text[m.start : m.end] for m in _record_urls(text)]
    assert (spans == [value]) if expected else (spans == [])


def _record_urls(text: str) -> list[RawMatch]:
    return RecordUrlRecognizer().analyze(text, 1.0)
