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
        # a bare number after a contact person's name, however long the name
        ("Next of kin Joanna Wiśniewska-Kowal (0612345678) was told.", "0612345678"),
        ("Emergency contact: Παναγιώτα Χατζηγεωργίου, 2101234567", "2101234567"),
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
        "Next of kin Ana Roe, MRN 0612345678, was told.",
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


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("ID checked: SIN 046 454 286", "046 454 286"),  # Canada, Luhn
        ("burgerservicenummer 111222333, verwezen door", "111222333"),  # Netherlands, 11-proef
        ("Pacjent Jan Nowak, PESEL 44051401359, tel.", "44051401359"),  # Poland
        ("Paciente Ana, CPF 390.533.447-05, celular", "390.533.447-05"),  # Brazil
        ("Aadhaar 2341 2341 2346", "2341 2341 2346"),  # India, Verhoeff
        ("NIR 2 95 10 99 126 111 93", "2 95 10 99 126 111 93"),  # France
        ("codice fiscale RCCMNL83S18D969H", "RCCMNL83S18D969H"),  # Italy
        ("personnummer 811228-9874", "811228-9874"),  # Sweden
        ("henkilötunnus 131052-308T", "131052-308T"),  # Finland
        ("DNI 54362315K", "54362315K"),  # Spain
        ("AHV-Nr. 756.9217.0769.85", "756.9217.0769.85"),  # Switzerland
        ("TC Kimlik No 17291716060", "17291716060"),  # Turkey
        ("Her CPF is 390.533.447-05.", "390.533.447-05"),  # a formatted CPF needs no label
        ("PESEL 44051401358", "44051401358"),  # wrong check digit after its own label: a typo
    ],
)
def test_national_ids(text: str, value: str) -> None:
    """National ids of many countries are found after their label, checked by python-stdnum."""
    assert value in values(text, "NATIONAL_ID")


@pytest.mark.parametrize(
    "text",
    [
        "Invoice 44051401359 from the lab supplier.",  # a PESEL's digits without the label
        "ID number 12345678901 on the form.",  # a generic label needs a valid number
        "SIN 123 456 789",  # the form's example value
        "Order 390.533.447-06 shipped.",  # a CPF shape with a wrong check digit
        "The DNI office opens at 9.",
    ],
)
def test_not_a_national_id(text: str) -> None:
    """Look-alikes without the label, or that fail the check under a generic label, are not ids."""
    assert values(text, "NATIONAL_ID") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Driving licence: MORGA753116SM9IJ (checked at reception)", "MORGA753116SM9IJ"),  # UK
        ("Ontario DL A1234-56789-01234", "A1234-56789-01234"),  # Canada
        ("Führerschein-Nr. B072RRE2I55, ausgestellt für Anna", "B072RRE2I55"),  # Germany
        ("DL No. MH12 20110012345", "MH12 20110012345"),  # India
        ("patente n. RM5123456K", "RM5123456K"),  # Italy
        ("permiso de conducir 12345678Z a nombre de Ana", "12345678Z"),  # Spain
        ("prawo jazdy nr 32906/79/6784", "32906/79/6784"),  # Poland
        ("permis de conduire n° 120375100123", "120375100123"),  # France
    ],
)
def test_driver_licences_of_many_countries(text: str, value: str) -> None:
    """Licence numbers in each country's format are found after a licence word in its language."""
    assert value in values(text, "US_DRIVER_LICENSE")


@pytest.mark.parametrize(
    "text",
    [
        "Driving licence checked, valid until 12/03/2029.",
        "The Führerschein office is closed.",
        "Our pharmacy licence number is pending.",
    ],
)
def test_not_a_driver_licence(text: str) -> None:
    """A licence word before a date or no number at all is no licence number."""
    assert values(text, "US_DRIVER_LICENSE") == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Postal code: 57-266", "57-266"),  # Poland
        ("PLZ 80331 München", "80331"),  # Germany, labelled
        ("Endereço: Rua Azul, 12, CEP 01310-100, São Paulo", "01310-100"),  # Brazil
        ("住所: 〒719-4805 沖縄県", "719-4805"),  # Japan
        ("Address on file: Προαστίου 40, ΤΚ 185 07 Έδεσσα", "ΤΚ 185 07"),  # Greece
        ("She has moved to East Kerryview (E15 8PZ).", "E15 8PZ"),  # UK, standalone shape
        ("Barbara Knight has moved to Ianberg (E2X 1G6).", "E2X 1G6"),  # Canada
        ("Kirstin called to say she has moved to Coburg (09907).", "09907"),  # place, brackets
        ("Adres: Lisannering 344, 2354XN Mantgum", "2354XN"),  # Netherlands, in an address
        ("Address on file: Tichonická 37, 277 45 Litovel", "277 45"),  # Czechia
        ("Address on file: Skolgatan 676, 55328 Kristianstad", "55328"),  # Sweden
        ("Ship to 87/47, Mahal Path, Imphal-533987", "533987"),  # India, place-PIN
    ],
)
def test_postcodes_of_many_countries(text: str, code: str) -> None:
    """Postcodes are found by a label, a distinctive shape, a bracketed place or an address line."""
    assert code in values(text, "ZIP_CODE")


@pytest.mark.parametrize(
    "text",
    [
        "We ordered 24926 units last year.",
        "The report (2024) is attached.",
        "Take Metformin (500) twice daily.",
        "Room 4411 on the second floor.",
        "Reference 12-345 in the ledger.",
    ],
)
def test_not_a_postcode(text: str) -> None:
    """Counts, years in brackets, doses, rooms and references are not postcodes."""
    assert values(text, "ZIP_CODE") == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hübel, Cläre - DOB 1949-04-27 - tel. (05964) 174664", "Hübel, Cläre"),  # list row
        ("Κουθούρη, Ιγνάτιος - DOB 14/02/2013", "Κουθούρη, Ιγνάτιος"),  # Greek list row
        ("BSN 456123878 van mevrouw Elif de Vrome", "Elif de Vrome"),  # Dutch particle
        ("Ship the monitor to Joana Araújo today.", "Joana Araújo"),  # transliterated lookup
        ("Cezary Koniecki called about the bill.", "Cezary Koniecki"),  # Polish surname ending
        ("Pekka Virtanen missed the appointment.", "Pekka Virtanen"),  # Finnish ending
        ("Referral for 小林 春香, date of birth 2018-01-09", "小林 春香"),  # Japanese
        ("患者 梁鑫，电话 13017776317", "梁鑫"),  # Chinese, common surname
        ("환자 홍정훈, 전화 051-177-7631", "홍정훈"),  # Korean, common surname
        ("Пациент Сазонов Арсений, телефон +7 777 631 70 66", "Сазонов Арсений"),  # Cyrillic
        ("Next of kin Cahal Corless (6603684051) was told.", "Cahal Corless"),  # care role
        ("Ship the monitor to Brent de Marduras, Rubenring 1", "Brent de Marduras"),  # delivery
        ("Viljo Korhola called to say she has moved.", "Viljo Korhola"),  # a person's verb
        ("山本, 七夏 - DOB 1982-05-28", "山本, 七夏"),  # Japanese family, given
        ("김, 서준 - DOB 1974-08-02", "김, 서준"),  # Korean family, given
        ("My name is 管峰 and I was born in 1941.", "管峰"),  # a rarer surname after a cue
    ],
)
def test_names_in_many_scripts_and_conventions(text: str, name: str) -> None:
    """Names outside US conventions and in other scripts are found with their whole span."""
    assert name in values(text, "PERSON")


@pytest.mark.parametrize(
    "text",
    [
        "住所: 沖縄県国分寺市下吉羽36丁目",  # a Japanese address is no name
        "地址：河北省涛市高港蒋路",  # nor a Chinese one
        "환자 주소는 서울특별시 강남구입니다",  # nor a Korean district
        "The Annual General meeting is at the Grand Hotel.",
    ],
)
def test_not_a_name_in_other_scripts(text: str) -> None:
    """Places and organisations in Han or Hangul, and capitalised phrases, are not names."""
    assert values(text, "PERSON") == []


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "Ship to Robert Briand, 18, rue de Delaunay, 16731 Mahe",
            "18, rue de Delaunay, 16731 Mahe",
        ),
        ("Adres: pl. Asnyka 9, 67-015 Wejherowo", "pl. Asnyka 9, 67-015 Wejherowo"),
        (
            "Ship the monitor to Vladimíra, Vraňanská 245, 316 77 Skalná",
            "Vraňanská 245, 316 77 Skalná",
        ),
        (
            "Delivery: Kiitäjänbulevardi 5, 98303 Kärkölä, tomorrow",
            "Kiitäjänbulevardi 5, 98303 Kärkölä",
        ),
        (
            "Адрес: п. Палана, ул. Ленинская, д. 9/6 к. 1, 855733",
            "п. Палана, ул. Ленинская, д. 9/6 к. 1, 855733",
        ),
        ("住所: 〒719-4805 沖縄県国分寺市下吉羽36丁目14番4号", "沖縄県国分寺市下吉羽36丁目14番4号"),
        ("地址：福建省太原县滨城冯街P座 978001", "福建省太原县滨城冯街P座 978001"),
        (
            "Address on file: 대구광역시 서구 봉은사로 774-56 (우진홍박리)",
            "대구광역시 서구 봉은사로 774-56 (우진홍박리)",
        ),
        ("Address 82/27, Setty Chowk, Malegaon-033184", "82/27, Setty Chowk, Malegaon-033184"),
        ("lives at 113 渡辺 Street, 印旛郡", "113 渡辺 Street"),
        # Australia Post's own street types, with state and postcode after
        (
            "Deliver to Kim Roe, 14 Banksia Esplanade, Cairns, QLD, 4870",
            "14 Banksia Esplanade, Cairns, QLD, 4870",
        ),
        ("Address on file: 7 Wattle Quadrant, 2611 Weston", "7 Wattle Quadrant, 2611 Weston"),
        # the house number after the street and a comma, then a unit (Italy, Brazil)
        (
            "residente in Via Garibaldi, 12 Interno 3, 20121 Milano",
            "Via Garibaldi, 12 Interno 3, 20121 Milano",
        ),
        ("Entrega: Ladeira do Carmo, 45, 01310100 Santos", "Ladeira do Carmo, 45, 01310100 Santos"),
        # an Eircode between the street and the town
        ("Post it to 9 Main Street D02X285 Dublin", "9 Main Street D02X285 Dublin"),
        # Spain's own kinds of way
        ("Dirección: Glorieta de Bilbao 3, 28004 Madrid", "Glorieta de Bilbao 3, 28004 Madrid"),
    ],
)
def test_addresses_in_their_own_order_and_script(text: str, address: str) -> None:
    """Addresses written as each country writes them come out as one block."""
    assert address in values(text, "STREET_ADDRESS")


@pytest.mark.parametrize(
    "text",
    [
        "Meeting at 18, then lunch.",
        "Table 4, 2024 budget, page 12",
        "We booked the Plaza Hotel, 2 nights in March.",
        "Book the 2 Week Follow-up with Dr Lee",
        "Take 5 Steps to better sleep",
        "我们在北京路开会",  # "we meet on Beijing Road": a street name alone, no number or block
        "서울시 강남구에서 만나요",  # a district, no street and number
    ],
)
def test_not_an_address_in_other_orders(text: str) -> None:
    """Numbers before commas, and place names without a street and number, are not addresses."""
    assert values(text, "STREET_ADDRESS") == []


@pytest.mark.parametrize(
    "text",
    [
        "anbei der Befund von Frau Weber, geb. 12.04.1990: Diagnose",
        "Mme Martin, née le 03/11/1954, joignable",
        "Il paziente Rossi, nato il 15/05/1947, cellulare",
        "Пациент Иванов, дата рождения 12.03.1961",
        "Pacjent Nowak, ur. 02.11.1975",
    ],
)
def test_birth_date_words_of_other_languages(text: str) -> None:
    """A date after a birth word in another language is a date of birth."""
    assert values(text, "DOB")


def test_a_labelled_id_is_not_a_phone() -> None:
    """Ten digits right after an id's label (NHS number) are that id, not a phone number."""
    text = "Transfer: NHS number 777 459 7850, postcode 99580."
    assert phones(text) == []
    assert values(text, "NHS_NUMBER") == ["777 459 7850"]
