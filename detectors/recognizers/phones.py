"""Phone numbers of every country: phonenumbers for the numbering plans, shape and words for the rest.

A candidate is a run of digits with phone punctuation. It counts when phonenumbers finds it
valid (international form, or national form in a region the text names or the US), or when it
is possible and either a phone word in one of many languages stands before it, or its shape is a
phone's (an international prefix, an area code in brackets, several digit groups), or it stands
alone on its line. Lot, invoice, NDC, order and similar labels, dates, ZIP+4 codes and amounts
written with thousands separators are not phones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
import regex

from detectors.recognizers.base import compile_words, finditer, has_context

PHONE_WORDS = compile_words(
    [
        "phone", "phone number", "phone no", "tel", "tel.", "telephone", "call", "called",
        "calling", "ring", "rang", "reach", "reached", "mobile", "mob", "cell", "cellphone",
        "fax", "text", "texted", "sms", "whatsapp", "contact", "contact number", "ph",
        "ext", "hotline", "pager", "bleep", "landline",
        # other languages: German, French, Spanish, Portuguese, Italian, Dutch, Nordic,
        # Finnish, Polish, Czech, Hungarian, Turkish, Russian, Greek, Japanese, Chinese, Korean
        "telefon", "telefonnummer", "rufnummer", "handy", "mobil", "mobiltelefon", "unter",
        "téléphone", "tél", "tél.", "portable", "joignable au", "numéro", "teléfono", "telefone",
        "celular", "móvil", "movil", "número", "telefono", "cellulare", "numero", "telefoon",
        "mobiel", "puhelin", "puh", "tlf", "mobilnummer", "tel. kom", "komórka", "telefonu",
        "telefonní", "telefonszám", "cep telefonu", "телефон", "тел", "тел.", "моб",
        "τηλέφωνο", "τηλ", "κινητό", "電話", "電話番号", "携帯", "电话", "手机", "联系电话",
        "전화", "휴대폰", "연락처",
    ]
)  # fmt: skip
PHONE_AFTER = regex.compile(
    r"[ \t]?\(?(?i:office|fax|mobile|cell|home|work|phone|tel|landline|direct)\b"
)
# "Next of kin Ana Roe (0671788052)", "Emergency contact: Ana Roe, 2000750132": the number that
# follows a contact person's name is theirs, however far the name pushes it from the cue.
KIN_CUE = regex.compile(
    r"(?i:next of kin|emergency contact|\bnok\b|contact person|in case of emergency)[:\s]{1,3}"
    r"(?:(?:Mr|Mrs|Ms|Dr)\.? )?[\p{L}\p{M}'’.-]+(?: [\p{L}\p{M}'’.-]+){0,3}"
    r"(?: \((?:[\p{L} ]{2,20})\))?[ \t]?[,(:][ \t]?$"
)
# Labels of numbers that are not phones: products, batches, documents, accounts, ids.
NOT_PHONE_WORDS = compile_words(
    [
        "ndc", "lot", "lot no", "batch", "invoice", "inv", "order", "po", "p.o.", "ref",
        "reference", "account", "acct", "mrn", "record", "id", "claim", "policy", "member",
        "serial", "sn", "s/n", "item", "sku", "catalog", "cat", "part", "tracking", "case",
        "ticket", "npi", "dea", "tax", "ein", "tin", "vat", "routing", "iban", "card", "isbn",
        "gtin", "udi", "upc", "confirmation", "booking", "nhs", "ssn", "sin", "bsn", "pesel",
        "cpf", "aadhaar", "licence", "license", "dl", "passport", "model", "version", "build",
        "kit", "rx", "prescription", "auth", "authorization", "amount", "total", "balance",
        "usd", "eur", "gbp", "chf", "$", "€", "£",
    ]
)  # fmt: skip
CANDIDATE = regex.compile(
    r"(?<![\w+/.,-])[+(]{0,2}\d[\d \t().\-/]{5,26}\d"
    r"(?:[ \t]?(?:x|ext\.?|extension|#)[ \t]?\d{1,6})?(?![\w/:]|[.,-]\d)"
)
_EXTENSION = regex.compile(r"[ \t]?(?:x|ext\.?|extension|#)[ \t]?\d{1,6}$")
_GROUP_SEP = regex.compile(r"[ \t().\-/]+")
DATE_LIKE = regex.compile(
    r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}"
    r"|\d{4}[-./]\d{1,2}[-./]\d{1,2} \d{1,2}[-./]\d{1,2}[-./]\d{2,4}"
)
# A date that no numbering plan writes: day or month, day or month, then a year of 19xx/20xx.
CALENDAR_DATE = regex.compile(
    r"(?:0?[1-9]|[12]\d|3[01])([./-])(?:0?[1-9]|[12]\d|3[01])\1(?:19|20)\d\d"
    r"|(?:19|20)\d\d([./-])(?:0?[1-9]|1[0-2])\2(?:0?[1-9]|[12]\d|3[01])"
)
THOUSANDS = regex.compile(r"[1-9]\d{0,2}(?:[ .,]\d{3})+")
ZIP4 = regex.compile(r"\d{5}-\d{4}")
# NDC (4-4-2, 5-3-2, 5-4-1) and similar product codes in hyphenated groups.
NDC_SHAPE = regex.compile(r"\d{4}-\d{4}-\d{2}|\d{5}-\d{3,4}-\d{1,2}")
US_STATE_BEFORE = regex.compile(r"(?<![\w])[A-Z]{2},?[ \t]$")


@dataclass(frozen=True)
class PhoneCandidate:
    """One phone-shaped run of digits and how sure the shape and context make it."""

    start: int
    end: int
    score: float


def _groups(value: str) -> list[str]:
    return [g for g in _GROUP_SEP.split(value.lstrip("+(")) if g]


def _phone_shaped(value: str) -> bool:
    """Grouped like a phone: brackets, an international prefix, or 2+ groups of 2+ digits."""
    if value.startswith(("+", "(+", "00")) or "(" in value:
        return True
    groups = _groups(value)
    if len(groups) < 2:
        return False
    # "978-0-306-40615-7" (an ISBN) has one-digit groups inside; phones have them only first.
    if any(len(g) < 2 for g in groups[1:]):
        return False
    return len(groups) >= 3 or sum(len(g) for g in groups) >= 9


_NOT_DIGIT = regex.compile(r"[^\d]")
_BLANKS = regex.compile(r"[ \t]+")


def _international(value: str) -> str | None:
    body = value.lstrip("(")
    if body.startswith("+"):
        return "+" + _NOT_DIGIT.sub("", body)
    if body.startswith("00") and not body.startswith("000"):
        return "+" + _NOT_DIGIT.sub("", body)[2:]
    return None


def _level(value: str, regions: Callable[[], tuple[str, ...]]) -> int:
    """2 when valid in its plan (or a hinted region), 1 when merely possible, 0 when neither."""
    core = _EXTENSION.sub("", value)
    digits = sum(ch.isdigit() for ch in core)
    if not 7 <= digits <= 15:
        return 0
    intl = _international(core)
    if intl is not None:
        return _international_level(intl)
    return _national_level(core, regions())


@lru_cache(maxsize=4096)
def _international_level(number: str) -> int:
    """Validity of a number in international form (digits only after the +)."""
    try:
        num = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return 0
    if phonenumbers.is_valid_number(num):
        return 2
    return 1 if phonenumbers.is_possible_number(num) else 0


@lru_cache(maxsize=4096)
def _national_level(core: str, regions: tuple[str, ...]) -> int:
    """Validity of a national number in the first region where it is valid."""
    try:
        for region in regions:
            if phonenumbers.is_valid_number(phonenumbers.parse(core, region)):
                return 2
    except phonenumbers.NumberParseException:
        return 0
    # A national number of 7 to 12 digits (after a trunk 0 or 8) is possible in some plan.
    national = _NOT_DIGIT.sub("", core)
    return 1 if 7 <= len(national.lstrip("0")) <= 12 else 0


def _alone_on_line(text: str, start: int, end: int) -> bool:
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    hi = len(text) if hi < 0 else hi
    return not text[lo:start].strip(" \t>|") and not text[end:hi].strip(" \t.,;")


def phone_context(text: str, start: int, end: int) -> bool:
    """A phone word before the number (many languages) or a line-type word after it."""
    return (
        has_context(PHONE_WORDS, text, start, end, before=30)
        or bool(PHONE_AFTER.match(text, end, min(len(text), end + 14)))
        or KIN_CUE.search(text, max(0, start - 90), start) is not None
    )


def a_date(text: str, start: int, end: int) -> bool:
    """A calendar date, which no phone word makes a phone ("call you again on 26/11/2026")."""
    return CALENDAR_DATE.fullmatch(text, start, end) is not None


def not_a_phone(text: str, start: int, end: int) -> bool:
    """Digits that, without a phone word, are a date, a ZIP+4, an NDC, an amount or a labelled id."""
    core = _EXTENSION.sub("", text[start:end])
    intl = _international(core) is not None
    if DATE_LIKE.fullmatch(core) or ZIP4.fullmatch(core) or NDC_SHAPE.fullmatch(core):
        return True
    if not intl and THOUSANDS.fullmatch(core) and not _alone_on_line(text, start, end):
        return True
    if has_context(NOT_PHONE_WORDS, text, start, end, before=25):
        return True
    return not intl and US_STATE_BEFORE.search(text, max(0, start - 5), start) is not None


def _score(text: str, start: int, end: int, regions: Callable[[], tuple[str, ...]]) -> float:
    value = text[start:end]
    core = _EXTENSION.sub("", value)
    if a_date(text, start, end):
        return 0.0
    context = phone_context(text, start, end)
    if not context and not_a_phone(text, start, end):
        return 0.0
    level = _level(value, regions)
    if level == 0:
        return 0.0
    if level == 2:
        return 0.9 if context else 0.75
    if context:
        return 0.7
    if _phone_shaped(core):
        return 0.6
    digits = sum(ch.isdigit() for ch in core)
    if digits >= 8 and _alone_on_line(text, start, end):
        return 0.5
    return 0.0


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop an unbalanced bracket at either end ("(0161) 496 0852)" in running text)."""
    value = text[start:end]
    while value and value[-1] in ").-/ " and value.count(")") > value.count("("):
        value = value[:-1]
        end -= 1
    while value and value[0] == "(" and value.count("(") > value.count(")"):
        value = value[1:]
        start += 1
    return start, end


def phone_candidates(
    text: str, timeout: float, regions_of: Callable[[], tuple[str, ...]]
) -> list[PhoneCandidate]:
    """Phone numbers of any country in ``text``.

    ``regions_of`` gives the regions to read national numbers in, most likely first; it is
    asked only when a candidate needs it (finding the regions a text names costs a scan).
    """
    out: list[PhoneCandidate] = []
    cached: list[tuple[str, ...]] = []

    def regions() -> tuple[str, ...]:
        if not cached:
            cached.append(regions_of())
        return cached[0]

    for m in finditer(CANDIDATE, text, timeout):
        start, end = _trimmed(text, m.start(), m.end())
        score = _score(text, start, end, regions)
        if score <= 0.0:
            # "on 2025-04-01 5551234567", "Box 12 (0161) 496 0852": drop a leading group.
            sub = _BLANKS.search(text[start:end])
            while score <= 0.0 and sub is not None:
                start += sub.end()
                score = _score(text, start, end, regions) if end - start >= 7 else 0.0
                sub = _BLANKS.search(text[start:end])
        if score > 0.0:
            out.append(PhoneCandidate(start, end, score))
    return out
