"""Span-evaluation rules of the engine: which NER dates survive and whose span wins an overlap."""

from __future__ import annotations

import pytest

from detectors.engine import PhiEngine, _calendar_date
from detectors.recognizers.base import RawMatch
from detectors.recognizers.dates import DateRecognizer


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tuesday", True),
        ("March 2021", True),
        ("1987", True),
        ("3/4/2020", True),
        ("last June 2019", True),
        ("this month", False),
        ("the 70s", False),
        ("its 5th year", False),
        ("a few weeks ago", False),
        ("the last Friday", False),
        ("10am", False),
        ("48213", False),
    ],
)
def test_calendar_date(value: str, expected: bool) -> None:
    """An NER date counts only when it names a year, month, weekday or numeric date, not a relative time."""
    assert _calendar_date(value) is expected


def _ner(entity: str, start: int, end: int, score: float = 0.7) -> RawMatch:
    return RawMatch(entity, start, end, score, "identifier", "spacy_ner")


def _found(entity: str, start: int, end: int, score: float, recognizer: str) -> RawMatch:
    return RawMatch(entity, start, end, score, "identifier", recognizer)


@pytest.mark.parametrize(
    ("text", "other", "ner", "kept"),
    [
        ("call 0361 4827715 now", _found("PHONE_NUMBER", 5, 17, 0.8, "phone"),
         _ner("DATE_TIME", 10, 17), False),
        ("card 4111111111111111 lost", _found("CREDIT_CARD", 5, 21, 0.9, "card"),
         _ner("DATE_TIME", 5, 21), False),
        ("DOB 2001-04-05 noted", _found("DOB", 4, 14, 0.9, "date"),
         _ner("DATE_TIME", 4, 8), False),
        ("at 48213 Kestrel Road", _found("STREET_ADDRESS", 3, 21, 0.7, "street_address_block"),
         _ner("DATE_TIME", 3, 8), False),
        ("Dawn Kim wrote on 2020-01-02", _found("DATE_TIME", 18, 28, 0.5, "date"),
         _ner("PERSON", 0, 8), True),
    ],
)  # fmt: skip
def test_recognizer_span_beats_ner(text: str, other: RawMatch, ner: RawMatch, kept: bool) -> None:
    """An NER date on a recognizer's card, phone, date or address is dropped; a name beside a date stays."""
    cleaned = PhiEngine._clean(text, [other, ner])
    assert (ner in cleaned) is kept
    assert other in cleaned


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("call 04.22.71.30.65 today", []),
        ("server 10.12.30.44 is down", []),
        ("seen on 04.22.71. Thanks", ["04.22.71"]),
        ("seen 3/4/2020: stable", ["3/4/2020"]),
    ],
)
def test_dotted_numbers_are_not_dates(text: str, dates: list[str]) -> None:
    """A dotted date shape that runs on into more dotted digits is a phone or an IP address."""
    assert [text[m.start : m.end] for m in DateRecognizer().analyze(text, 1.0)] == dates


def _cue(start: int, end: int, role: str = "") -> RawMatch:
    return RawMatch("PERSON", start, end, 0.6, "identifier", "person_cues", role)


@pytest.mark.parametrize(
    ("text", "pieces", "expected"),
    [
        ("Erik A. Eberhardt called", [_cue(0, 4), _cue(8, 17)], ["Erik A. Eberhardt"]),
        ("Lara B Pottinger called", [_cue(0, 4), _cue(7, 16)], ["Lara B Pottinger"]),
        ("Carol van den Heuvel sang", [_cue(0, 13), _cue(14, 20)], ["Carol van den Heuvel"]),
        ("Ann Roe and Joe Lee met", [_cue(0, 7), _cue(12, 19)], ["Ann Roe", "Joe Lee"]),
        ("Ann Roe's Cautionary Tales", [_cue(0, 20)], ["Ann Roe"]),
        ("Ann Roe’s labs", [_cue(0, 9)], ["Ann Roe"]),
    ],
)
def test_name_pieces_and_possessives(
    text: str, pieces: list[RawMatch], expected: list[str]
) -> None:
    """Name pieces across a middle initial or particle join into one name, and a possessive ends it."""
    cleaned = PhiEngine._clean(text, pieces)
    assert [text[m.start : m.end] for m in cleaned if m.entity == "PERSON"] == expected


@pytest.mark.parametrize(
    ("text", "other", "ner_location", "kept"),
    [
        ("Thanks Johannes for the call", _cue(7, 15, "addressee"),
         _ner("LOCATION", 7, 15, 0.5), False),
        ("at 12 Kestrel Road, Dayton", _found("STREET_ADDRESS", 3, 26, 0.7, "street_address_block"),
         _ner("LOCATION", 20, 26, 0.5), False),
        ("We flew to Dayton on Monday", _cue(0, 2),
         _ner("LOCATION", 11, 17, 0.5), True),
    ],
)  # fmt: skip
def test_ner_location_yields(
    text: str, other: RawMatch, ner_location: RawMatch, kept: bool
) -> None:
    """An NER place on a cue-found name or inside an address block is dropped; a place alone stays."""
    assert (ner_location in PhiEngine._clean(text, [other, ner_location])) is kept
