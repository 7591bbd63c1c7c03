"""National ids and driver's licences of many countries, read after the words that name them.

National ids are checked with python-stdnum's validators (their check digits, dates and
ranges), so "PESEL 15073174420" counts only when it is a valid PESEL. A few formats are so
distinctive that they count without a label (a formatted Brazilian CPF, a Swiss AHV number
starting 756, an Italian codice fiscale). Driver's licences have no checksums worth the name in
most countries, so they count only right after a licence word, in any of many languages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

import regex
from stdnum.au import tfn
from stdnum.bg import egn
from stdnum.br import cpf
from stdnum.ca import sin
from stdnum.ch import ssn as ahv
from stdnum.cn import ric
from stdnum.cz import rc
from stdnum.de import idnr
from stdnum.dk import cpr
from stdnum.ee import ik
from stdnum.es import nie, nif
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError
from stdnum.fi import hetu
from stdnum.fr import nir
from stdnum.gr import amka
from stdnum.ie import pps
from stdnum.il import idnr as il_idnr
from stdnum.in_ import aadhaar
from stdnum.it import codicefiscale
from stdnum.kr import rrn
from stdnum.nl import bsn
from stdnum.no import fodselsnummer
from stdnum.pl import pesel
from stdnum.ro import cnp
from stdnum.se import personnummer
from stdnum.tr import tckimlik

from detectors.recognizers.base import RawMatch, compile_words, finditer
from detectors.recognizers.gates import has_digit

# 2: valid; 1: the shape is right but a check digit or a date part is not (a typo, a test
# value) - enough after the id's own label; 0: not this id at all.
Validator = Callable[[str], int]


def _valid(module: ModuleType) -> Validator:
    validate: Callable[[str], object] = module.validate

    def check(value: str) -> int:
        try:
            validate(value)
        except (InvalidChecksum, InvalidComponent):
            return 1
        except (ValidationError, ValueError, TypeError, IndexError, KeyError):
            return 0
        return 2

    return check


# New Zealand's National Health Index: letters without I and O count 1-24.
_NHI_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_NHI_OLD = regex.compile(r"[A-HJ-NP-Z]{3}\d{4}")
_NHI_NEW = regex.compile(r"[A-HJ-NP-Z]{3}\d{2}[A-HJ-NP-Z]{2}")


def NHI(value: str) -> int:  # noqa: N802 - named like the other validators, after the id
    """An NHI number: the old form's mod-11 check digit (2), the 2022 form's shape (1)."""
    v = value.replace(" ", "").upper()
    if _NHI_NEW.fullmatch(v):
        return 1
    if not _NHI_OLD.fullmatch(v):
        return 0
    total = sum(
        (_NHI_LETTERS.index(ch) + 1 if ch.isalpha() else int(ch)) * (7 - i)
        for i, ch in enumerate(v[:6])
    )
    check = (11 - total % 11) % 10 if total % 11 else -1
    return 2 if check == int(v[6]) else 1


_MEDICARE_AU_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9)


def MEDICARE_AU(value: str) -> int:  # noqa: N802 - named like the other validators
    """An Australian Medicare card number: ten digits (an eleventh, the card holder's reference,
    may follow), the first 2-6, the ninth a check digit over the first eight: 2 when it checks,
    1 for the shape alone (behind its label, a mistyped number is still the patient's)."""
    d = "".join(ch for ch in value if ch.isdigit())
    if len(d) not in (10, 11) or d[0] not in "23456":
        return 0
    total = sum(int(a) * w for a, w in zip(d[:8], _MEDICARE_AU_WEIGHTS, strict=True))
    return 2 if total % 10 == int(d[8]) else 1


_NRIC = regex.compile(r"[STFGM]\d{7}[A-Z]")
_NRIC_WEIGHTS = (2, 7, 6, 5, 4, 3, 2)
_NRIC_LETTERS = {"S": "JZIHGFEDCBA", "T": "JZIHGFEDCBA", "F": "XWUTRQPNMLK", "G": "XWUTRQPNMLK"}


def NRIC(value: str) -> int:  # noqa: N802 - named like the other validators
    """A Singapore NRIC or FIN: S/T (citizens), F/G (foreigners) with their check letter (2);
    the M series and a failed check letter by shape alone (1)."""
    v = value.replace(" ", "").upper()
    if not _NRIC.fullmatch(v):
        return 0
    letters = _NRIC_LETTERS.get(v[0])
    if letters is None:
        return 1
    total = sum(int(ch) * w for ch, w in zip(v[1:8], _NRIC_WEIGHTS, strict=True))
    total += 4 if v[0] in "TG" else 0
    return 2 if letters[total % 11] == v[8] else 1


def ABHA(value: str) -> int:  # noqa: N802 - named like the other validators
    """India's Ayushman Bharat Health Account number: 14 digits (shape only, 1)."""
    return 1 if sum(ch.isdigit() for ch in value) == 14 and len(value) <= 17 else 0


def NASS(value: str) -> int:  # noqa: N802 - named like the other validators
    """Spain's social-security affiliation number (NASS, "28/12345678/40"): 12 digits whose
    last two are the first ten modulo 97 (2); 12 digits failing the check by shape alone (1)."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) != 12 or len(value) > 16:
        return 0
    province, serial, check = int(digits[:2]), int(digits[2:10]), int(digits[10:])
    base = province * 10_000_000 + serial if serial < 10_000_000 else int(digits[:10])
    return 2 if base % 97 == check else 1


def CNS(value: str) -> int:  # noqa: N802 - named like the other validators
    """Brazil's Cartão Nacional de Saúde (Cartão SUS): 15 digits beginning 1, 2, 7, 8 or 9
    whose weighted sum (15 down to 1) is a multiple of 11 (2); 15 digits otherwise (1)."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) != 15 or len(value) > 19:
        return 0
    total = sum(int(d) * w for d, w in zip(digits, range(15, 0, -1), strict=True))
    return 2 if digits[0] in "12789" and total % 11 == 0 else 1


SIN, BSN, PESEL = _valid(sin), _valid(bsn), _valid(pesel)
CPF, AADHAAR, NIR = _valid(cpf), _valid(aadhaar), _valid(nir)
CODICE_FISCALE, PERSONNUMMER, HETU = _valid(codicefiscale), _valid(personnummer), _valid(hetu)
DNI, NIE, AHV = _valid(nif), _valid(nie), _valid(ahv)
RRN, RIC, TCKIMLIK = _valid(rrn), _valid(ric), _valid(tckimlik)
CPR, FODSELSNUMMER, PPS = _valid(cpr), _valid(fodselsnummer), _valid(pps)
TFN, IDNR, RODNE = _valid(tfn), _valid(idnr), _valid(rc)
AMKA, CNP, EGN = _valid(amka), _valid(cnp), _valid(egn)
ISIKUKOOD, ISRAELI = _valid(ik), _valid(il_idnr)
ALL_IDS: tuple[Validator, ...] = (
    SIN, BSN, PESEL, CPF, AADHAAR, NIR, CODICE_FISCALE, PERSONNUMMER, HETU, DNI, NIE, AHV,
    RRN, RIC, TCKIMLIK, CPR, FODSELSNUMMER, PPS, TFN, IDNR, RODNE, AMKA, CNP, EGN, ISIKUKOOD,
    ISRAELI,
)  # fmt: skip

# The words that name each id (their order here does not matter: the nearest cue is used).
ID_CUES: tuple[tuple[tuple[str, ...], tuple[Validator, ...]], ...] = (
    (("sin", "social insurance number", "social insurance no", "nas",
      "numéro d'assurance sociale"), (SIN,)),
    (("bsn", "burgerservicenummer", "sofinummer", "sofi-nummer"), (BSN,)),
    (("pesel", "nr pesel"), (PESEL,)),
    (("cpf", "cadastro de pessoas físicas"), (CPF,)),
    (("aadhaar", "aadhar", "uidai", "uid", "आधार"), (AADHAAR,)),
    (("nir", "insee", "sécurité sociale", "securite sociale", "numéro de sécu",
      "n° de sécu", "numéro ss"), (NIR,)),
    (("codice fiscale", "cod. fiscale", "cf", "c.f."), (CODICE_FISCALE,)),
    (("personnummer", "personnr", "person nr"), (PERSONNUMMER, CPR, FODSELSNUMMER)),
    (("fødselsnummer", "fodselsnummer"), (FODSELSNUMMER,)),
    (("cpr", "cpr-nr", "cpr-nummer", "cpr nr"), (CPR,)),
    (("henkilötunnus", "hetu", "henkilotunnus", "sotu"), (HETU,)),
    (("dni", "nif", "nie", "documento nacional de identidad"), (DNI, NIE)),
    (("ahv", "ahv-nr", "ahv-nummer", "avs", "no avs", "ahv number", "avs number"), (AHV,)),
    (("주민등록번호", "rrn", "resident registration number"), (RRN,)),
    (("身份证", "身份证号", "身份证号码", "公民身份号码", "resident identity card"), (RIC,)),
    (("tc kimlik", "t.c. kimlik", "tc kimlik no", "kimlik no", "kimlik numarası", "tckn"),
     (TCKIMLIK,)),
    (("pps", "ppsn", "pps number", "pps no"), (PPS,)),
    (("tfn", "tax file number"), (TFN,)),
    (("steuer-id", "steuerid", "steueridentifikationsnummer", "idnr",
      "steuerliche identifikationsnummer"), (IDNR,)),
    (("rodné číslo", "rodne cislo", "rč", "r.č."), (RODNE,)),
    (("amka", "αμκα"), (AMKA,)),
    (("cnp", "cod numeric personal"), (CNP,)),
    (("egn", "егн"), (EGN,)),
    (("isikukood",), (ISIKUKOOD,)),
    (("teudat zehut", "israeli id"), (ISRAELI,)),
    (("nhi", "nhi number", "nhi no", "national health index"), (NHI,)),
    (("nric", "nric no", "fin", "fin no", "nric/fin"), (NRIC,)),
    (("abha", "abha no", "abha number", "abha id", "health id"), (ABHA,)),
    (("nass", "nss", "número de afiliación", "n.º de afiliación", "nº de afiliación",
      "número de la seguridad social", "nº seguridad social", "n.º seguridad social"), (NASS,)),
    (("cartão sus", "cartao sus", "cns", "cartão nacional de saúde",
      "cartao nacional de saude"), (CNS,)),
    (("medicare", "medicare no", "medicare number", "medicare card", "medicare card number"),
     (MEDICARE_AU,)),
    (("national id", "national identity number", "national id number", "national identifier",
      "national insurance", "personal id", "personal identity number", "identity number",
      "id number", "citizen id", "personal code", "personal number"), ALL_IDS),
)  # fmt: skip

DL_CUES: tuple[str, ...] = (
    "driver's license", "drivers license", "driver license", "driver's licence",
    "drivers licence", "driver licence", "driving licence", "driving license", "licence no",
    "license no", "licence number", "license number", "lic no", "lic #", "dl", "dl#", "dl no",
    "dvla", "dvla licence number", "führerschein", "führerscheinnummer", "führerschein-nr",
    "führerscheinnr", "fahrerlaubnis", "permis de conduire", "n° de permis", "numéro de permis",
    "permis", "permiso de conducir", "licencia de conducir", "carnet de conducir",
    "patente", "patente di guida", "n. patente", "rijbewijs", "rijbewijsnummer",
    "prawo jazdy", "prawa jazdy", "carteira de motorista", "cnh", "körkort", "kørekort",
    "førerkort", "ajokortti", "řidičský průkaz", "řidičského průkazu", "jogosítvány",
    "vezetői engedély", "ehliyet", "sürücü belgesi", "водительское удостоверение",
    "водительского удостоверения", "в/у", "運転免許証", "免許証番号", "驾驶证", "驾照",
    "운전면허", "운전면허번호", "άδεια οδήγησης",
)  # fmt: skip


# What stands between a label and its value: punctuation, "no.", "Nr.", "number", "n°", "is".
LABEL_GAP = regex.compile(
    r"[ \t]{0,3}(?:\((?:[^()\n]{1,20})\)[ \t]{0,2})?[:#.\-]?[ \t]{0,3}"
    r"(?:(?i:no|nr|n°|n\.|num|number|nummer|numéro|número|numero|numer|is|:)\.?[ \t]{0,3}[:#.\-]?[ \t]{0,3})?"
)
# Up to four tokens of letters and digits joined by one separator each.
VALUE = regex.compile(r"[\p{L}\d](?:[\p{L}\d]|[ .\-/](?=[\p{L}\d])){3,30}")
# Formats distinctive enough to stand without a label.
UNLABELLED = (
    (regex.compile(r"(?<![\w.-])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\w-]|\.\d)"), CPF),
    (regex.compile(r"(?<![\w.-])756\.\d{4}\.\d{4}\.\d{2}(?![\w-]|\.\d)"), AHV),
    (
        regex.compile(r"(?<![\w-])[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z](?![\w-])"),
        CODICE_FISCALE,
    ),
    # Sweden's personnummer in its long form (the short YYMMDD-NNNN is weighed apart, below),
    # Korea's resident registration number, China's resident identity number, Finland's HETU:
    # a birth date, a serial and a check that must all hold.
    (regex.compile(r"(?<![\w.-])(?:19|20)\d{6}[-+]\d{4}(?![\w-]|\.\d)"), PERSONNUMMER),
    (regex.compile(r"(?<![\w.-])\d{6}-[1-8]\d{6}(?![\w-]|\.\d)"), RRN),
    (regex.compile(r"(?<![\w.-])[1-9]\d{5}(?:19|20)\d{9}[\dXx](?![\w-])"), RIC),
    (regex.compile(r"(?<![\w.-])[0-3]\d[01]\d{3}[-+A-FYXWVU]\d{3}[\dA-Y](?![\w-])"), HETU),
)
# Sweden's short personnummer, YYMMDD-NNNN: one date-shaped reference in ten passes its check, so
# it counts only as weak evidence without a label.
SHORT_PERSONNUMMER = regex.compile(r"(?<![\w.-])\d{6}[-+]\d{4}(?![\w-]|\.\d)")


_ID_SEPARATOR = regex.compile(r"[ .\-/]")
_DATE_SHAPED = regex.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")


def _prefixes(text: str, start: int) -> list[int]:
    """End offsets of the value after a label: one to four tokens, longest first."""
    m = VALUE.match(text, start, min(len(text), start + 32))
    if m is None:
        return []
    ends = [m.end()]
    for sep in _ID_SEPARATOR.finditer(text[start : m.end()]):
        ends.append(start + sep.start())
    return sorted(set(ends), reverse=True)


def _norm(label: str) -> str:
    return " ".join(label.lower().split())


def _placeholder(value: str) -> bool:
    """A form's example value: one digit repeated, or digits counting up or down."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(set(digits)) <= 1:
        return True
    steps = {(int(b) - int(a)) % 10 for a, b in zip(digits, digits[1:], strict=False)}
    return steps in ({1}, {9})


@dataclass(frozen=True)
class NationalIdRecognizer:
    """National and social-security ids of many countries: a label, then a value that validates."""

    name: str = "national_id"
    entities: tuple[str, ...] = ("NATIONAL_ID",)
    # One pass over the text for every label; the label found says which checks apply.
    cue: regex.Pattern[str] = field(
        default_factory=lambda: compile_words([w for words, _ in ID_CUES for w in words])
    )
    checks: dict[str, tuple[Validator, ...]] = field(
        default_factory=lambda: {_norm(w): v for words, v in ID_CUES for w in words}
    )

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out: dict[tuple[int, int], RawMatch] = {}
        for pattern, check in UNLABELLED:
            for m in finditer(pattern, text, timeout):
                if check(m.group()) == 2:
                    out[m.span()] = RawMatch(
                        "NATIONAL_ID", m.start(), m.end(), 0.85, "identifier", self.name
                    )
        for m in finditer(SHORT_PERSONNUMMER, text, timeout):
            if m.span() not in out and PERSONNUMMER(m.group()) == 2:
                out[m.span()] = RawMatch(
                    "NATIONAL_ID", m.start(), m.end(), 0.6, "identifier", self.name
                )
        if not has_digit(text):
            return list(out.values())
        for cue in finditer(self.cue, text, timeout):
            checks = self.checks.get(_norm(cue.group()), ())
            if checks:
                gap = LABEL_GAP.match(text, cue.end())
                start = gap.end() if gap else cue.end()
                for end in _prefixes(text, start):
                    value = text[start:end]
                    # An NHI holds four digits (two since 2022); every other id five or more.
                    if sum(ch.isdigit() for ch in value) < (2 if checks == (NHI,) else 5):
                        continue
                    level = 0 if _placeholder(value) else max(check(value) for check in checks)
                    # The generic "ID number" label must be backed by a valid number.
                    if level == 2 or (level == 1 and checks is not ALL_IDS):
                        score = 0.95 if level == 2 else 0.75
                        out[(start, end)] = RawMatch(
                            "NATIONAL_ID", start, end, score, "identifier", self.name
                        )
                        break
        return list(out.values())


def _licence_like(value: str) -> bool:
    """Letters and digits of a licence: 5-20 characters, at least four digits, not a date."""
    core = _ID_SEPARATOR.sub("", value)
    digits = sum(ch.isdigit() for ch in core)
    if not 5 <= len(core) <= 20 or digits < 4:
        return False
    return _DATE_SHAPED.fullmatch(value) is None


@dataclass(frozen=True)
class DriverLicenceRecognizer:
    """Driver's licence numbers of any country, right after a licence word in many languages.

    The entity keeps its historical name, US_DRIVER_LICENSE, which the policy and the notices
    already know as "a driver's license number".
    """

    name: str = "driver_licence_intl"
    entities: tuple[str, ...] = ("US_DRIVER_LICENSE",)
    cue: regex.Pattern[str] = field(default_factory=lambda: compile_words(DL_CUES))

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out: list[RawMatch] = []
        if not has_digit(text):
            return out
        for cue in finditer(self.cue, text, timeout):
            # "264-916 ng/dL": a decilitre is no "DL" (driver's licence)
            if cue.group() == "dL" or text[cue.start() - 1 : cue.start()] == "/":
                continue
            gap = LABEL_GAP.match(text, cue.end())
            start = gap.end() if gap else cue.end()
            for end in _prefixes(text, start):
                value = text[start:end]
                # A value ends before a word: "B072RRE2I55 ausgestellt" is one token.
                if " " in value and not all(
                    any(ch.isdigit() for ch in tok) for tok in value.split(" ")
                ):
                    continue
                if _licence_like(value):
                    out.append(
                        RawMatch("US_DRIVER_LICENSE", start, end, 0.8, "identifier", self.name)
                    )
                    break
        return out
