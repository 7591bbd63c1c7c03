"""Postal codes of many countries, known by a label, by their own shape, or by the place beside them.

A bare four-to-six-digit number is a postcode only with something that says so: a label in one of
many languages ("PLZ", "CEP", "〒", "ΤΚ", "индекс"), a place it is written after in brackets by
someone who moved or lives there ("moved to Olten (3809)"), or a place written after it on an
address line (the address recognizer reports those). Only the UK's and Canada's letter-and-digit
shapes are distinctive enough to stand alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from detectors.recognizers.base import RawMatch, compile_words, finditer
from detectors.recognizers.gates import gate_words, has_digit

# Every country's shape, longest first; \b-like guards are added where used.
POSTCODE = (
    r"(?:(?:ΤΚ|Τ\.Κ\.)\s?\d{3}\s?\d{2}"  # Greece, with its label
    r"|[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}"  # UK
    r"|[AC-FHKNPRTV-Y]\d[\dW] ?[0-9AC-FHKNPRTV-Y]{4}"  # Ireland (Eircode)
    r"|[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d"  # Canada
    r"|\d{4} ?[A-Z]{2}"  # Netherlands
    r"|\d{5}-?\d{3}"  # Brazil (CEP)
    r"|\d{5}-\d{4}"  # US ZIP+4
    r"|\d{3}-\d{4}"  # Japan
    r"|\d{2}-\d{3}"  # Poland
    r"|\d{3} \d{2}"  # Czechia, Slovakia, Sweden, Greece
    r"|[A-Z]{1,2}-\d{4,5}"  # H-1234, D-12345, CH-8000, L-1234
    r"|\d{4,6})"  # everywhere else
)
# Postcode labels of many languages (regex: "." is escaped where the label has one).
_LABELS = (
    r"postal code|postcode|post code|zip|zip code|zipcode|plz|postleitzahl|cep|"
    r"pin|pin code|pincode|code postal|cp|c\.p\.|código postal|codigo postal|cap|npa|"
    r"kod pocztowy|irányítószám|psč|postnummer|postinumero|postnr|indeks|индекс|"
    r"почтовый индекс|ταχυδρομικός κώδικας|posta kodu|eircode"
)
LABELLED = regex.compile(
    rf"(?i:\b(?:{_LABELS})\b)[ \t]{{0,2}}[:#.]?[ \t]{{0,3}}"
    rf"({POSTCODE})(?![\w-])"
    r"|(?:〒|邮编|郵便番号|우편번호)[ \t:：]{0,2}"
    rf"({POSTCODE})(?![\w-])"
    r"|(?<![\w-])((?:ΤΚ|Τ\.Κ\.)\s?\d{3}\s?\d{2})(?![\w-])"
    # the label said in a sentence: "the mailing ZIP on the chart is 93291"
    rf"|(?i:\b(?:zip|zip code|postcode|postal code|post code|eircode)\b)[^\n\d.;]{{1,25}}?"
    rf"(?<=[ \t])(?i:is|was|reads)[ \t]{{1,2}}({POSTCODE})(?![\w-])"
)
# On ASCII text only the labelled alternative can match (the others start with 〒, 邮编, ... or
# Greek capitals), and it starts with a label as a whole word: gate it on the labels' words.
# (its CJK and Greek labels match only non-ASCII text, which is not gated)
gate_words(LABELLED, _LABELS.replace("\\.", ".").split("|"), ascii_only=True)
STANDALONE = regex.compile(
    r"(?<![\w-])([A-Z]{1,2}\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2}"
    r"|[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] \d[ABCEGHJ-NPRSTV-Z]\d)(?![\w-])"
)
# Both shapes hold a space, a digit and a capital letter in a row ("SW1A 1AA", "K1A 0B1").
STANDALONE_GATE = regex.compile(r" \d[A-Z]")
# "moved to Olten (3809)", "lives in 横浜市磯子区 (240-4148)".
PLACE_THEN_CODE = regex.compile(
    r"[\p{Lu}\p{Lo}][\p{L}'’.-]*(?: [\p{L}][\p{L}'’.-]*){0,3} \("
    rf"({POSTCODE})\)"
)
RESIDENCE_CUE = compile_words(
    [
        "moved", "moving", "relocated", "relocating", "lives", "living", "live", "resides",
        "residing", "resident", "address", "located", "based", "from", "home", "moved to",
    ]
)  # fmt: skip
YEAR = regex.compile(r"(?:1[89]|20)\d\d")
# "Apeldoorn-533987", "Jamnagar-526876": a place with its PIN (India).
PLACE_DASH_PIN = regex.compile(r"(?<=[\p{Lu}][\p{Ll}]{2,30})-(\d{6})(?![\w-])")


@dataclass(frozen=True)
class PostcodeRecognizer:
    """Postal codes of many countries by label, by distinctive shape, or beside a named place."""

    name: str = "postcode_intl"
    entities: tuple[str, ...] = ("ZIP_CODE",)

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out: dict[tuple[int, int], RawMatch] = {}

        def add(start: int, end: int, score: float) -> None:
            if (start, end) not in out:
                out[(start, end)] = RawMatch("ZIP_CODE", start, end, score, "identifier", self.name)

        if not has_digit(text):
            return []
        for m in finditer(LABELLED, text, timeout):
            g = next(i for i in (1, 2, 3, 4) if m.group(i))
            add(m.start(g), m.end(g), 0.85)
        for m in finditer(STANDALONE, text, timeout) if STANDALONE_GATE.search(text) else ():
            add(m.start(1), m.end(1), 0.6)
        if "(" in text:
            for m in finditer(PLACE_THEN_CODE, text, timeout):
                if YEAR.fullmatch(m.group(1)):
                    continue
                if RESIDENCE_CUE.search(text, max(0, m.start() - 50), m.start()):
                    add(m.start(1), m.end(1), 0.7)
        for m in finditer(PLACE_DASH_PIN, text, timeout):
            add(m.start(1), m.end(1), 0.6)
        return list(out.values())
