"""Identifier recognizers: SSN, MRN, NPI, DEA, MBI, member IDs, claims, accounts, VIN, UDI, licences."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import regex

from detectors.config import MrnPattern
from detectors.recognizers.base import (
    RawMatch,
    RegexRecognizer,
    column_header,
    compile_words,
    finditer,
    has_context,
    luhn_ok,
)
from detectors.recognizers.gates import gate_words

SSN_PLACEHOLDERS = frozenset(
    {
        "123456789",
        "078051120",
        "219099999",
        "111111111",
        "222222222",
        "333333333",
        "444444444",
        "555555555",
        "777777777",
        "888888888",
        "987654321",
        "012345678",
        "123121234",
    }
)


def ssn_valid(value: str) -> bool:
    """SSA rules: no area 000/666/900-999, group 00, serial 0000, nor a well-known placeholder."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) != 9 or digits in SSN_PLACEHOLDERS:
        return False
    area, group, serial = int(digits[:3]), digits[3:5], digits[5:]
    if area == 0 or area == 666 or area >= 900 or group == "00" or serial == "0000":
        return False
    seps = [ch for ch in value if not ch.isdigit()]
    return len(seps) in (0, 2) and len(set(seps)) <= 1


def npi_valid(value: str) -> bool:
    """NPI: ten digits starting 1 or 2 whose Luhn check over the 80840 prefix holds."""
    return len(value) == 10 and value[0] in "12" and luhn_ok("80840" + value)


def nhs_valid(value: str) -> bool:
    """UK NHS (and CHI-style) number: ten digits whose mod-11 check digit holds (10 never)."""
    digits = [int(ch) for ch in value if ch.isdigit()]
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    check = 11 - sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == digits[9]


def nhs_shaped(value: str) -> bool:
    """Ten digits that are no placeholder (one digit repeated, or counting up or down)."""
    digits = [int(ch) for ch in value if ch.isdigit()]
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    steps = {(b - a) % 10 for a, b in zip(digits, digits[1:], strict=False)}
    return steps not in ({1}, {9})  # "123 456 7890" is a form's example


def dea_valid(value: str) -> bool:
    """DEA registration: (d1+d3+d5) + 2*(d2+d4+d6) ends in the seventh digit."""
    v = value.upper()
    if len(v) != 9 or not v[2:].isdigit():
        return False
    d = [int(ch) for ch in v[2:]]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]


def aba_valid(value: str) -> bool:
    """ABA routing number: 3-7-1 weighted checksum over nine digits with a valid prefix."""
    if len(value) != 9 or not value.isdigit():
        return False
    prefix = int(value[:2])
    if not (0 <= prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return False
    w = (3, 7, 1) * 3
    return sum(int(ch) * k for ch, k in zip(value, w, strict=True)) % 10 == 0


_VIN_MAP = {
    **{str(i): i for i in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_valid(value: str) -> bool:
    """VIN: 17 chars without I/O/Q, letters and digits mixed, position-9 check digit."""
    v = value.upper()
    if len(v) != 17 or any(ch not in _VIN_MAP for ch in v):
        return False
    if not any(ch.isalpha() for ch in v) or sum(ch.isdigit() for ch in v) < 5:
        return False
    total = sum(_VIN_MAP[ch] * w for ch, w in zip(v, _VIN_WEIGHTS, strict=True)) % 11
    return v[8] == ("X" if total == 10 else str(total))


_YEAR_SHAPE = regex.compile(r"(?:19|20)\d\d")


def mixed_id(value: str) -> bool:
    """An ID-looking token: at least four digits and not a plain year or amount."""
    digits = sum(ch.isdigit() for ch in value)
    return digits >= 4 and not _YEAR_SHAPE.fullmatch(value)


# A line that starts with a worn or home device's label and gives its serial.
DEVICE_LINE = (
    r"(?m)^[ \t>*-]{0,4}(?:Device|Monitor|Sensor|Meter|Transmitter|Glucometer|Cuff)"
    r"(?:[ \t](?:ID|S/N|SN|[Ss]erial(?:[ \t][Nn]o\.?)?))?[ \t]?[:#][ \t]{0,3}"
    r"([A-Z]{0,4}-?\d[A-Z0-9-]{5,28})(?![\w-])"
)


_FIVE_DIGITS = regex.compile(r"\d{5}")


def serial_shaped(value: str) -> bool:
    """A serial number rather than a model number: five digits in a row, or eight in all."""
    return _FIVE_DIGITS.search(value) is not None or sum(ch.isdigit() for ch in value) >= 8


MBI_ALPHA = "AC-HJKMNP-RT-Y"
_MBI = (
    rf"(?<![\w-])[1-9][{MBI_ALPHA}][{MBI_ALPHA}0-9]\d(-?)[{MBI_ALPHA}][{MBI_ALPHA}0-9]\d"
    rf"\1[{MBI_ALPHA}]{{2}}\d{{2}}(?![\w-])"
)

MRN_CONTEXT = compile_words(
    [
        "mrn",
        "mr#",
        "mr #",
        "medical record",
        "medical record number",
        "medical record no",
        "med rec",
        "record number",
        "record #",
        "chart #",
        "chart no",
        "chart number",
        "patient id",
        "patient ref",
        "patient reference",
        "pt ref",
        "patient #",
        "patient number",
        "pt id",
        "hospital number",
        "hospital no",
        "hosp no",
        "hospital id",
        "unit number",
        "unit no",
        "patient no",
        "pt no",
        "record no",
        "clinic number",
        "folder no",
        "folder number",
        "hospital folder",
        "file no",
        "file number",
        "client no",
        "client number",
        "client id",
        "client #",
        "clinic no",
        # other languages: a practice's or hospital's own patient number
        "utente",
        "n.º utente",
        "nº utente",
        "n.º de utente",
        "número de utente",
        "numero utente",
        "processo clínico",
        "dossier",
        "n° de dossier",
        "numéro de dossier",
        "numéro patient",
        "historia clínica",
        "nhc",
        "número de historia",
        "n.º historia",
        "patientennummer",
        "patienten-nr",
        "patientennr",
        "fallnummer",
        "fall-nr",
        "patiëntnummer",
        "patientnummer",
        "numer pacjenta",
        "numer historii choroby",
        "journalnummer",
        "hasta no",
        "protokol no",
        "dosya no",
        "cartella clinica",
        "numero cartella",
        "n. cartella",
        "id paziente",
    ]
)
# "Chart 17516391", "Chart: 4471203": a number right after the word chart is a record number.
CHART_BEFORE = regex.compile(
    r"(?i)(?<![\w])chart[ \t]{0,2}(?:#|no\.?|id)?[ \t]{0,2}[:#]?[ \t]{0,2}$"
)
MEMBER_CONTEXT = compile_words(
    [
        "member",
        "member id",
        "member #",
        "member number",
        "member no",
        "subscriber id",
        "subscriber #",
        "subscriber number",
        "policy number",
        "policy #",
        "policy id",
        "insurance id",
        "insurance",
        "health plan id",
        "plan id",
        "group number",
        "medicaid",
        "medicaid id",
        "medicaid #",
        "beneficiary id",
        "insured id",
        "id card",
        "hicn",
        "coverage id",
    ]
)
# A research participant's number at the study site (an adverse event report, a screening log):
# the key that links the person to their trial record. A trial's own registration number
# ("Study ID: NCT...") names no one, so "study id" is not among them.
STUDY_SUBJECT_CONTEXT = compile_words(
    [
        "subject id", "subject no", "subject number", "subject #", "participant id",
        "participant no", "participant number", "participant #", "screening number",
        "screening no", "screening id", "randomisation number", "randomization number",
        "randomisation no", "randomization no", "enrolment number", "enrollment number",
    ]
)  # fmt: skip
CLAIM_CONTEXT = compile_words(["claim", "claim #", "claim number", "claim no", "icn", "claim id"])
ACCOUNT_CONTEXT = compile_words(
    ["account", "acct", "acct #", "account #", "account number", "a/c", "guarantor"]
)
PATIENT_CONTEXT = compile_words(
    ["patient", "pt", "patient's", "guarantor", "patient account", "statement", "balance"]
)
SSN_CONTEXT = compile_words(["ssn", "ss#", "ss #", "social security", "social", "ssa", "ssn#"])
# The labels that name an NHS or CHI number (Scotland's Community Health Index: "(CHI
# 0968090486)"). "NHS" alone is a label too for a number whose check digit holds.
_NHS_NUMBER_LABELS = (
    "nhs no", "nhs no.", "nhs number", "nhs #", "nhs num", "nhs:", "chi", "chi number", "chi no",
    "chi #", "health and care number",
)  # fmt: skip
NHS_NUMBER_LABEL = compile_words(_NHS_NUMBER_LABELS)
NHS_CONTEXT = compile_words(["nhs", *_NHS_NUMBER_LABELS])
NPI_CONTEXT = compile_words(["npi", "national provider", "provider id", "npi#"])
DEA_CONTEXT = compile_words(["dea", "dea#", "dea number", "dea registrant", "registrant"])
ROUTING_CONTEXT = compile_words(["routing", "aba", "rtn", "routing number", "transit"])
VIN_CONTEXT = compile_words(["vin", "vehicle", "chassis"])
# A lot number names a batch of thousands of devices (recall notices quote them), not a patient's
# device: only a device identifier or a serial number does.
UDI_CONTEXT = compile_words(
    [
        "udi",
        "device identifier",
        "device id",
        "device serial",
        "serial number",
        "serial #",
        "serial no",
        "implant",
    ]
)
_LICENSE_WORDS = (
    "driver license",
    "driver's license",
    "drivers license",
    "driver licence",
    "driving licence",
    "dl",
    "dl#",
    "dl #",
    "license number",
    "licence number",
    "license #",
    "license no",
    "lic #",
    "lic no",
    "state id",
)
# "264-916 ng/dL": a decilitre after a slash is no "DL" (driver's licence) label. The words
# still gate the recognizer (base.context_absent).
_LICENSE_WORDS_PATTERN = compile_words(_LICENSE_WORDS)
LICENSE_CONTEXT = gate_words(
    regex.compile(r"(?<!/)" + _LICENSE_WORDS_PATTERN.pattern, _LICENSE_WORDS_PATTERN.flags),
    _LICENSE_WORDS,
)
MBI_CONTEXT = compile_words(["mbi", "medicare", "beneficiary", "hicn", "medicare id"])

# Not the tail of a spaced digit group or of a bracketed area code ("Member Services, +64 27
# 567-5575", "Member Services, (353) 297-0834" are phones).
_ID_TOKEN = r"(?<![\w-])(?<!\d[ .])(?<!\d\) )(?<!\+)[A-Z]{0,4}-?\d[A-Z0-9-]{4,18}(?![\w-])"


@dataclass(frozen=True)
class SsnRecognizer:
    """US SSNs: separated forms anywhere, bare nine digits only next to an SSN word."""

    name: str = "us_ssn"
    entities: tuple[str, ...] = ("US_SSN",)
    pattern: regex.Pattern[str] = regex.compile(
        r"(?<![\w-])(?:\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}|\d{9})(?![\w-])"
    )

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out: list[RawMatch] = []
        for m in finditer(self.pattern, text, timeout):
            value = m.group()
            if not ssn_valid(value):
                continue
            ctx = has_context(SSN_CONTEXT, text, m.start(), m.end(), before=40)
            if value.isdigit() and not ctx:
                continue
            score = 0.95 if ctx else 0.6
            out.append(RawMatch("US_SSN", m.start(), m.end(), score, "identifier", self.name))
        return out


@dataclass(frozen=True)
class AccountRecognizer:
    """Account numbers in context; a patient account when a patient cue is nearby."""

    name: str = "account_number"
    entities: tuple[str, ...] = ("ACCOUNT_NUMBER", "PATIENT_ACCOUNT")
    pattern: regex.Pattern[str] = regex.compile(r"(?<![\w-])#?\s?([A-Z]{0,3}-?\d{5,17})(?![\w-])")

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out: list[RawMatch] = []
        for m in finditer(self.pattern, text, timeout):
            start, end = m.span(1)
            if not has_context(ACCOUNT_CONTEXT, text, start, end, before=25):
                continue
            patient = has_context(PATIENT_CONTEXT, text, start, end, before=60)
            entity = "PATIENT_ACCOUNT" if patient else "ACCOUNT_NUMBER"
            out.append(RawMatch(entity, start, end, 0.85, "identifier", self.name))
        return out


GLUED_MRN = regex.compile(r"(?<=[a-z]|\b)MRN[:#]?(\d{5,12})(?![\w-])")
# A record number shown in groups ("mrn 086-645-89", "chart 318-004-76", "MRN: 12 345 678"),
# as many practice systems print it; counted only right after its label.
GROUPED_MRN = regex.compile(r"(?<![\w-])(\d{2,4}(?:([- ])\d{2,4}){1,3})(?![\w-]|\.\d)")
_GROUPED_LABEL = regex.compile(
    r"(?i)(?<![\w])(?:mrn|mr ?#|medical record(?: number| no\.?| #)?|chart(?: number| no\.?| #| id)?)"
    r"[ \t]{0,2}[:#]?[ \t]{0,2}$"
)
_DATE_SHAPE = regex.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{2,4}")
# what _GROUPED_LABEL needs somewhere in the text: no label, no grouped number to look for
_GROUPED_GATE = regex.compile(r"(?i)mr|medical record|chart")
_FIVE_DIGITS = regex.compile(r"\d{5}")


@dataclass(frozen=True)
class MrnRecognizer:
    """Medical record numbers: context-gated shapes plus per-practice patterns from config."""

    practice: tuple[MrnPattern, ...] = ()
    name: str = "mrn"
    entities: tuple[str, ...] = ("MRN",)
    pattern: regex.Pattern[str] = regex.compile(
        r"(?<![\w-])(?:#\s?)?([A-Z]{0,3}[-]?\d{5,12}[A-Z]?)(?![\w-])", regex.IGNORECASE
    )

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out: list[RawMatch] = []
        # the prefilter lets through a text with a run of two digits (a grouped number); the
        # contiguous shapes need five in a row
        contiguous = _FIVE_DIGITS.search(text) is not None
        for m in finditer(self.pattern, text, timeout) if contiguous else ():
            start, end = m.span(1)
            if has_context(MRN_CONTEXT, text, start, end, before=30) or CHART_BEFORE.search(
                text, max(0, start - 20), start
            ):
                out.append(RawMatch("MRN", start, end, 0.9, "identifier", self.name))
                continue
            header = column_header(text, start)
            if header and MRN_CONTEXT.search(header):
                out.append(RawMatch("MRN", start, end, 0.85, "identifier", self.name))
        grouped = (
            finditer(GROUPED_MRN, text, timeout) if _GROUPED_GATE.search(text) is not None else ()
        )
        for m in grouped:
            start, end = m.span(1)
            digits = sum(c.isdigit() for c in m.group(1))
            if (
                6 <= digits <= 12
                and len(set(m.group(1)) & {"-", " "}) == 1
                and not _DATE_SHAPE.fullmatch(m.group(1))
                and _GROUPED_LABEL.search(text, max(0, start - 25), start)
                and not any(r.start <= start < r.end for r in out)
            ):
                out.append(RawMatch("MRN", start, end, 0.9, "identifier", self.name))
        # A record label glued to its number and to the word before it ("chartMRN04857211",
        # "MRN#0048213"), as EHR exports and copied fields leave it.
        if contiguous and "MRN" in text:
            for m in finditer(GLUED_MRN, text, timeout):
                start, end = m.span(1)
                if not any(r.start <= start < r.end for r in out):
                    out.append(RawMatch("MRN", start, end, 0.85, "identifier", self.name))
        for p in self.practice:
            compiled = regex.compile(rf"(?<![\w-])(?:{p.regex})(?![\w-])")
            for m in finditer(compiled, text, timeout):
                out.append(RawMatch("MRN", m.start(), m.end(), p.score, "identifier", self.name))
        return out


def _gated(
    name: str,
    entity: str,
    pattern: str,
    context: regex.Pattern[str],
    scores: tuple[float, float],
    before: int,
    *,
    validate: Callable[[str], bool] | None = None,
    header: bool = False,
) -> RegexRecognizer:
    """A pattern that counts only beside its label (``before`` characters back).

    `scores` is the score without and with the label close before it; `header` lets a table's
    column header serve as the label.
    """
    return RegexRecognizer(
        name=name,
        entity=entity,
        pattern=regex.compile(pattern),
        score=scores[0],
        context=context,
        context_required=True,
        context_score=scores[1],
        before=before,
        validate=validate,
        header_context=header,
    )


def _checked_number(
    name: str,
    entity: str,
    digits: int,
    score: float,
    context: regex.Pattern[str],
    validate: Callable[[str], bool],
) -> RegexRecognizer:
    """A number of exactly `digits` digits with a check digit, only beside its label."""
    pattern = rf"(?<![\w-])\d{{{digits}}}(?![\w-])"
    return _gated(name, entity, pattern, context, (score, 0.95), 30, validate=validate)


# A business's own identifier, however near a member or claim label it stands: the payer's, the
# submitter's or the practice's id, a tax id, an NPI ("Prairie Mutual Insurance (payer ID 60054)").
BUSINESS_ID_BEFORE = regex.compile(
    r"(?i)(?<![\w])(?:payer|submitter|sender|receiver|vendor|supplier|tax|trading\s+partner|"
    r"interchange|customer|group\s+npi|practice|organi[sz]ation|tin|ein|etin|npi|lockbox)"
    r"[ \t]{0,2}(?:id|identifier|no\.?|number|#|code)?[ \t]{0,2}[:#]?[ \t]{0,2}$"
)


def _labelled_id(
    name: str,
    entity: str,
    context: regex.Pattern[str],
    scores: tuple[float, float],
    before: int,
    *,
    header: bool = False,
) -> RegexRecognizer:
    """An ID of letters and digits that counts only beside its label ("Member ID", "Claim #")."""
    return replace(
        _gated(name, entity, _ID_TOKEN, context, scores, before, validate=mixed_id, header=header),
        veto_before=BUSINESS_ID_BEFORE,
    )


def identifier_recognizers(practice_mrn: tuple[MrnPattern, ...]) -> list[object]:
    """Build the identifier recognizers (the registry checks their names are unique)."""
    return [
        SsnRecognizer(),
        MrnRecognizer(practice=practice_mrn),
        _checked_number("npi", "NPI", 10, 0.4, NPI_CONTEXT, npi_valid),
        RegexRecognizer(
            name="dea",
            entity="DEA_NUMBER",
            pattern=regex.compile(r"(?<![\w-])[A-Z][A-Z9]\d{7}(?![\w-])"),
            score=0.6,
            context=DEA_CONTEXT,
            before=30,
            validate=dea_valid,
        ),
        RegexRecognizer(
            name="medicare_mbi",
            entity="MBI",
            pattern=regex.compile(_MBI),
            score=0.8,
            context=MBI_CONTEXT,
            context_score=1.0,
            before=80,
            header_context=True,
        ),
        _gated(
            "uk_nhs_number",
            "NHS_NUMBER",
            r"(?<![\w-])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\w-])",
            NHS_CONTEXT,
            (0.9, 0.95),
            30,
            validate=nhs_valid,
        ),
        # Right after its own label, an NHS-shaped number whose check digit fails is still the
        # patient's number (a typo, a test record): reported, with less confidence. The label
        # must name the number: "NHS England" or "NHS Direct" before a phone number is none
        # ("CHI" names only the Community Health Index number).
        _gated(
            "uk_nhs_number_labelled",
            "NHS_NUMBER",
            r"(?<![\w-])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\w-])",
            NHS_NUMBER_LABEL,
            (0.75, 0.75),
            16,
            validate=nhs_shaped,
        ),
        _labelled_id("member_id", "MEMBER_ID", MEMBER_CONTEXT, (0.85, 0.9), 45, header=True),
        _labelled_id("claim_number", "CLAIM_NUMBER", CLAIM_CONTEXT, (0.8, 0.85), 20),
        _labelled_id("study_subject_id", "STUDY_SUBJECT_ID", STUDY_SUBJECT_CONTEXT, (0.8, 0.8), 20),
        AccountRecognizer(),
        _checked_number("aba_routing", "ABA_ROUTING", 9, 0.5, ROUTING_CONTEXT, aba_valid),
        RegexRecognizer(
            name="vin",
            entity="VIN",
            pattern=regex.compile(r"(?<![\w-])[A-HJ-NPR-Z0-9]{17}(?![\w-])", regex.IGNORECASE),
            score=0.7,
            context=VIN_CONTEXT,
            before=30,
            validate=vin_valid,
        ),
        _gated(
            "device_udi",
            "DEVICE_ID",
            r"(?<![\w])(?:\(01\)\d{14}(?:\(\d{2}\)[A-Z0-9]{1,20}){0,3}|[A-Z0-9-]{6,30})(?![\w])",
            UDI_CONTEXT,
            (0.6, 0.8),
            25,
            validate=lambda v: v.startswith("(01)") or mixed_id(v),
        ),
        # "Device: DXC-5653-16920" heading a line of a monitoring alert or a device log: the
        # serial of the device a patient wears. Only a serial-shaped value right after the label
        # (a run of five digits or eight in all), so "Device: CME T34" or a model number is not.
        RegexRecognizer(
            name="device_labelled",
            entity="DEVICE_ID",
            pattern=regex.compile(DEVICE_LINE),
            score=0.8,  # as a serial beside its UDI label
            group=1,
            validate=serial_shaped,
        ),
        _gated(
            "us_driver_license",
            "US_DRIVER_LICENSE",
            r"(?<![\w-])[A-Z]{0,2}-?\d[\d-]{4,14}\d(?![\w-])",
            LICENSE_CONTEXT,
            (0.6, 0.8),
            30,
        ),
    ]
