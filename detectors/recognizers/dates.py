"""Date and age recognizers: a date is PHI only when its context ties it to a patient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import regex

from detectors.recognizers.base import RawMatch, column_header, compile_words, finditer, has_context

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
# Month names of other languages, in the day-month-year order they are written in: "10 mars
# 1972", "3 de mayo de 2026", "23 de fevereiro de 2002", "5. März 2026", "12 settembre 2025".
_MONTH_INTL = (
    r"(?:janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|"
    r"novembre|décembre|decembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|"
    r"setiembre|octubre|noviembre|diciembre|janeiro|fevereiro|março|marco|maio|junho|julho|"
    r"setembro|outubro|dezembro|januar|februar|märz|juni|juli|oktober|dezember|gennaio|"
    r"febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre)"
)
DATE = regex.compile(
    rf"(?<![\w/.-])(?:"
    rf"\d{{1,2}}(?:er|º|°)?\.?[ ](?:de[ ])?{_MONTH_INTL}(?:[ ]de)?[ ]\d{{4}}|"
    rf"\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})"
    rf"|\d{{4}}-\d{{1,2}}-\d{{1,2}}(?:[ T]\d{{1,2}}:\d{{2}}(?::\d{{2}}(?:\.\d{{1,6}})?)?)?"
    # year first with slashes or dots, as East Asian and some European mail writes it
    rf"|(?:19|20)\d{{2}}[/.](?:0?[1-9]|1[0-2])[/.](?:0?[1-9]|[12]\d|3[01])"
    rf"|\d{{1,2}}[ -]{_MONTH}[ ,-]{{1,2}}\d{{2,4}}"
    rf"|(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]{{0,6}},? )?{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}"
    rf"|{_MONTH} \d{{4}}"
    rf"|\d{{1,2}}/\d{{4}}"
    # "04.15.68.30.65" is a phone and "93.63.30.221" an address, not dates followed by a dot;
    # a Japanese, Chinese or Korean word may follow with no space ("1979/01/09生")
    rf")(?![\w/-](?<![\p{{Han}}\p{{Hiragana}}\p{{Katakana}}\p{{Hangul}}])|[.:]\d)"
    # East Asian dates, in scripts without word boundaries: "1965年3月2日", "1965년 3월 2일" and
    # Japanese era years, "昭和40年3月2日" (Showa 40, 1965), "平成元年5月1日"
    rf"|(?<!\d)(?:\d{{4}}|(?:明治|大正|昭和|平成|令和)(?:\d{{1,2}}|元))年\d{{1,2}}月\d{{1,2}}日"
    rf"|(?<!\d)\d{{4}}년 ?\d{{1,2}}월 ?\d{{1,2}}일",
    regex.IGNORECASE,
)
# "1965年3月2日生", "昭和40年3月2日生まれ": the birth word after the date
_BORN_AFTER = regex.compile(r"[ \t]?(?:生|出生|생)")
DOB_CONTEXT = compile_words(
    [
        "dob",
        "d.o.b",
        "d.o.b.",
        "date of birth",
        "birth date",
        "birthdate",
        "born",
        "born on",
        "birthday",
        "b-day",
        "bday",
        "birth",
        # other languages: "geb. 12.04.1990", "née le", "nato il", "data di nascita"...
        "geb",
        "geb.",
        "geboren",
        "geburtsdatum",
        "né",
        "née",
        "né le",
        "née le",
        "date de naissance",
        "nato",
        "nata",
        "nato il",
        "nata il",
        "data di nascita",
        "nacido",
        "nacida",
        "fecha de nacimiento",
        "f. nac.",
        "nascido",
        "nascida",
        "data de nascimento",
        "nascimento",
        "nacimiento",
        "naissance",
        "geboortedatum",
        "geb. datum",
        "urodzony",
        "urodzona",
        "ur.",
        "data urodzenia",
        "született",
        "szül.",
        "szül",
        "doğum tarihi",
        "d.t.",
        "дата рождения",
        "д.р.",
        "род.",
        "ημερομηνία γέννησης",
        "γεν.",
        "生年月日",
        "出生日期",
        "생년월일",
        "født",
        "född",
        "syntynyt",
        "syntymäaika",
        "narozen",
        "narozena",
        "nar.",
        "datum narození",
    ]
)
SERVICE_CONTEXT = compile_words(
    [
        "dos",
        "date of service",
        "dates of service",
        "service date",
        "admitted",
        "admission",
        "admit date",
        "discharged",
        "discharge",
        "discharge date",
        "seen on",
        "seen",
        "visit",
        "visited",
        "visit date",
        "collected",
        "collection date",
        "specimen",
        "procedure date",
        "surgery",
        "operated",
        "date of surgery",
        "encounter",
        "appointment",
        "appt",
        "scheduled for",
        "treated on",
        "injury",
        "date of injury",
        "doi",
        "deceased",
        "died",
        "date of death",
        "expired",
        "labs",
        "results",
        "drawn",
        "follow-up",
        "followup",
    ]
)
AGE = regex.compile(
    r"(?i:(?<![\w])(?:(?:aged?|age:)\s?(\d{2,3})(?![\w])"
    r"|(\d{2,3})[- ](?:years?|yrs?|y\.?o\.?|yo)(?:[- ]old)?(?![\w])))"
)


# "Ashbourne Road Surgery", "Millbrook Surgery": a UK practice's name, not an operation.
_PRACTICE_NAME = regex.compile(r"\p{Lu}\p{Ll}+[ \t]$")


def _last_context(pattern: regex.Pattern[str], text: str, start: int, before: int) -> int:
    """Position of the nearest context phrase before ``start`` (-1 if none in the window)."""
    last = -1
    for m in pattern.finditer(text, max(0, start - before), start):
        if m.group() == "Surgery" and _PRACTICE_NAME.search(
            text, max(0, m.start() - 30), m.start()
        ):
            continue
        last = m.start()
    return last


# "my mum is 04/09/1934 and has ...": an adult relative's age told as their birth date.
KIN_IS = regex.compile(
    r"(?i)\b(?:my|her|his|their|our) (?:mum|mom|mother|dad|father|husband|wife|partner|nan|gran|"
    r"grandma|grandpa|grandmother|grandfather) (?:is|was) $"
)
BIRTH_YEAR = regex.compile(r"(?:18|19|20)\d\d")


def _kin_birth_date(text: str, start: int, value: str) -> bool:
    year = BIRTH_YEAR.search(value)
    return (
        year is not None
        and int(year.group()) <= date.today().year - 18
        and KIN_IS.search(text, max(0, start - 40), start) is not None
    )


_MONTH_YEAR = regex.compile(r"\d{1,2}/\d{4}")


@dataclass(frozen=True)
class DateRecognizer:
    """Dates: DOB or date of service by context (inline or column header), bare dates otherwise."""

    name: str = "date"
    entities: tuple[str, ...] = ("DOB", "DATE_OF_SERVICE", "DATE_TIME")

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out: list[RawMatch] = []
        for m in finditer(DATE, text, timeout):
            start, end = m.span()
            value = m.group()
            if _MONTH_YEAR.fullmatch(value) and not has_context(
                DOB_CONTEXT, text, start, end, before=25
            ):
                continue
            entity, score = "DATE_TIME", 0.5
            header = ""
            dob_at = _last_context(DOB_CONTEXT, text, start, 30)
            service_at = _last_context(SERVICE_CONTEXT, text, start, 35)
            if (dob_at >= 0 and dob_at >= service_at) or (_BORN_AFTER.match(text, end, end + 3)):
                entity, score = "DOB", 0.95
            elif service_at >= 0:
                entity, score = "DATE_OF_SERVICE", 0.8
            else:
                header = column_header(text, start)
                if header and DOB_CONTEXT.search(header):
                    entity, score = "DOB", 0.9
                elif header and SERVICE_CONTEXT.search(header):
                    entity, score = "DATE_OF_SERVICE", 0.75
                elif _kin_birth_date(text, start, value):
                    entity, score = "DOB", 0.85
            out.append(RawMatch(entity, start, end, score, "identifier", self.name))
        return out


@dataclass(frozen=True)
class AgeRecognizer:
    """Ages; only ages over 89 are identifiers under HIPAA Safe Harbor."""

    name: str = "age"
    entities: tuple[str, ...] = ("AGE_OVER_89", "AGE")

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out: list[RawMatch] = []
        for m in finditer(AGE, text, timeout):
            grp = 1 if m.group(1) else 2
            value = int(m.group(grp))
            if value > 125:
                continue
            entity = "AGE_OVER_89" if value > 89 else "AGE"
            score = 0.85 if value > 89 else 0.5
            out.append(RawMatch(entity, m.start(grp), m.end(grp), score, "identifier", self.name))
        return out
