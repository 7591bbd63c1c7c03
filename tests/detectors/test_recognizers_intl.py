"""International formats: phones of many countries, postcodes, driver's licences and national ids."""

from __future__ import annotations

import pytest

from detectors.config import DetectorConfig
from detectors.recognizers import default_recognizers
from detectors.recognizers.contact import PhoneRecognizer
from detectors.recognizers.regions import region_hints

RECOGNIZERS = default_recognizers(DetectorConfig())
PHONES = PhoneRecognizer()


def phones(text: str) -> list[str]:
    """The phone and fax numbers found in ``text``."""
    return [text[m.start : m.end] for m in PHONES.analyze(text, 1.0)]


def values(text: str, entity: str) -> list[str]:
    """What every cheap recognizer finds in ``text`` as ``entity``."""
    return [
        text[m.start : m.end]
        for rec in RECOGNIZERS
        for m in rec.analyze(text, 1.0)
        if m.entity == entity
    ]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Tel: +44 20 7946 0958", "+44 20 7946 0958"),
        ("Contact details: (0161) 496 0852 / ann@example.org", "(0161) 496 0852"),
        ("Bitte rufen Sie Herrn Weber unter 0171 2345678 zurück.", "0171 2345678"),
        ("Téléphone : 01 23 45 67 89", "01 23 45 67 89"),
        ("text her at +33 2 62 43 17 47.", "+33 2 62 43 17 47"),
        ("WhatsApp +55 11 91234-5678", "+55 11 91234-5678"),
        ("телефон 8 (812) 123-45-67", "8 (812) 123-45-67"),
        ("患者 木村 陽一 様、電話 03-1234-5678", "03-1234-5678"),
        ("Emergency contact: Martina Kopecká, 00420 737 295 430", "00420 737 295 430"),
        ("tel. 06-19/131 0627", "06-19/131 0627"),
        ("Kind regards,\nIstván Takács\n(06)38/816-8120", "(06)38/816-8120"),
        ("Fax the form to +61-7-6340-6612 attn. Pamela.", "+61-7-6340-6612"),
        ("Next of kin Kelly Raymond (368-190-9816 x865) was told.", "368-190-9816 x865"),
        ("Kind regards,\nNicole Bruzda\n781 571 236", "781 571 236"),
        ("Ασθενής Υπαπαντή Βαλεντή, τηλέφωνο (+30) 2503 279324", "(+30) 2503 279324"),
    ],
)
def test_phone_numbers_of_many_countries(text: str, number: str) -> None:
    """Phones written the way each country writes them are found with their whole span."""
    assert number in phones(text)


@pytest.mark.parametrize(
    "text",
    [
        "NDC 0002-8215-01 is part of the recall.",
        "Lot 2024-0115-33 is affected.",
        "Invoice 2023-004512 is due on receipt.",
        "Total: 1 250 000 EUR for the new wing.",
        "ISBN 978-0-306-40615-7",
        "Beverly Hills, CA 90210-1234",
        "DOB 1963-07-23",
        "seen 03/04/2025 09:30 in clinic",
        "Order #4471203998 shipped today.",
        "Batch 20231104 released.",
        "Serial 12-3456-7890-12 on the pump.",
        "Version 10.2.3.4456 of the app.",
        "Case 2024/00123/45 was closed.",
        "Account 000123456789 is overdue.",
    ],
)
def test_not_a_phone_number(text: str) -> None:
    """Product codes, lots, invoices, amounts, dates and labelled ids are not phone numbers."""
    assert phones(text) == []


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("She moved to Germany last year.", ("DE",)),
        ("Call +33 1 23 45 67 89 or write to anna@praxis.nl", ("FR", "NL")),
        ("Wir sind in der Schweiz.", ("CH",)),
        ("Nothing here names a country.", ()),
        ("Ελλάδα and 日本", ("GR", "JP")),
    ],
)
def test_region_hints(text: str, regions: tuple[str, ...]) -> None:
    """Country names, international prefixes and ccTLDs say which countries' formats to try."""
    assert region_hints(text) == regions
