"""Patient records in machine formats, read by their fields rather than by their words.

Health systems exchange patient records in formats whose fields say what each value is: HL7 v2's
PID-5 is the patient's name and PID-7 the birth date, ASTM E1394's P record the same for lab
instruments, X12's NM1*QC/NM1*IL loop the patient or subscriber of a claim with DMG its birth
date, DICOM's group 0010 the patient module of an image, FHIR's Patient resource, CDA's
patientRole and NCPDP SCRIPT's Patient element the same in JSON and XML. Such text holds few of
the words that prose PHI does ("DOE^JOHN||19800101|M"), so the prose recognizers miss it; read by
field, it is unambiguous.

Each record with a real identity gives the patient's name (a PERSON in the patient role), birth
date (DOB) and record number (MRN, or MEMBER_ID for a payer's id) where the record holds them,
and one PATIENT_RECORD health finding: a provider's or payer's record about an identified person
is health information by itself (the person is a patient there). Records whose names are
placeholders (DOE^JOHN, EVERYMAN^ADAM, Example Patient, TEST) are examples in specifications,
release notes and newsletters: they give an EXAMPLE_RECORD span instead, inside which the engine
drops what other recognizers read (the example's birth date, its "MRN"), and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import regex

from detectors.recognizers.base import (
    RawMatch,
    RegexTimeout,
    finditer,
    line_bounds,
    split_cells,
)

NAME = "patient_record"
# The span of a record whose patient is a placeholder; the engine drops what lies inside it.
EXAMPLE_RECORD = "EXAMPLE_RECORD"
_SCORE_NAME = 0.9
_SCORE_DOB = 0.9
_SCORE_ID = 0.85
_SCORE_RECORD = 0.85

# Names that stand for nobody: the standards' own example patients and test-system conventions.
PLACEHOLDER_WORDS = frozenset(
    """
    doe example examples sample test testing tester testpatient patient patients dummy fake demo
    everyman everywoman everybody anonymous anonymized anonymised anon unknown noname nobody
    lastname firstname familyname givenname family given surname name fname lname first last
    xxx xxxx zz zzz zztest zztesting ztest qa mock synthetic fictitious fictional
    """.split()
)
# Record numbers that are examples ("12345", "000000", "999999999").
_EXAMPLE_ID = regex.compile(r"0*12345?6?7?8?9?0?|(\d)\1+|x+|n+|\d{1,3}", regex.IGNORECASE)

_DATE8 = regex.compile(r"(1[89]\d\d|20\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")
_DATE_ISO = regex.compile(r"(1[89]\d\d|20\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")
_DATE_US = regex.compile(r"(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])/(1[89]\d\d|20\d\d)")
_LETTER = regex.compile(r"\p{L}")


@dataclass
class _Record:
    """What one record says of its patient, as spans into the analysed text."""

    at: tuple[int, int]  # where the record starts (its segment, element or first key)
    last: int = 0  # where its last field seen so far ends (records read as clusters of fields)
    names: list[tuple[int, int]] = field(default_factory=list)
    placeholder: bool = False
    dobs: list[tuple[int, int]] = field(default_factory=list)
    ids: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, entity)
    health: bool = True  # the record is about the person's care (not a next of kin alone)


# checks run on one value or cell (not asked of the databases)
_TEMPLATE_MARK = regex.compile(r"[<>{}$%\[\]]")
_NAME_SEPARATORS = regex.compile(r"[\^\s,*|:]+")
_HL7_COMPONENT = regex.compile(r"[\^~&]")
_SPACE_OR_QUOTE = regex.compile(r"\s|'")
_TWO_WORDS = regex.compile(r"\p{L}[\s,]+\p{L}")
_PATIENT_COLUMN = regex.compile(r"(?i)patient|\bpt|\bpat|mrn|chart")


def _is_placeholder(words: list[str]) -> bool:
    """A name made of placeholder words, or of template tokens (<family>, {{given}})."""
    real = [w for w in words if w]
    if not real:
        return True
    for w in real:
        if w.lower() in PLACEHOLDER_WORDS or _TEMPLATE_MARK.search(w):
            return True
    return False


def _name_words(value: str) -> list[str]:
    return [w.strip(".,'\"") for w in _NAME_SEPARATORS.split(value) if w.strip(".,'\"")]


def _plausible_value(value: str) -> bool:
    """A name field that holds letters (not a code, a date or an empty component list)."""
    v = value.strip("^ ")
    # one letter is an initial, except in scripts whose names are one or two syllables (易, 建)
    return _LETTER.search(v) is not None and (len(v) >= 2 or not v.isascii())


def _is_date(value: str) -> bool:
    v = value.strip()
    return bool(_DATE8.match(v) or _DATE_ISO.match(v) or _DATE_US.fullmatch(v))


def _real_id(value: str) -> bool:
    v = value.strip()
    return (
        sum(ch.isdigit() for ch in v) >= 4
        and len(v) <= 24
        and _EXAMPLE_ID.fullmatch(v.replace("-", "")) is None
    )


def _add_name(rec: _Record, text: str, start: int, end: int) -> None:
    """Record a name field's span, trimmed of its empty trailing components and quotes."""
    value = text[start:end]
    stripped = value.rstrip("^ '\"").lstrip("'\" ")
    if not _plausible_value(stripped):
        return
    start += len(value) - len(value.lstrip("'\" "))
    end = start + len(stripped)
    if _is_placeholder(_name_words(stripped)):
        rec.placeholder = True
        return
    rec.names.append((start, end))


def _add_dob(rec: _Record, text: str, start: int, end: int) -> None:
    value = text[start:end]
    lead = len(value) - len(value.lstrip("'\" "))
    value = value.strip("'\" ")
    m = _DATE8.match(value) or _DATE_ISO.match(value) or _DATE_US.fullmatch(value)
    if m is None:
        return
    rec.dobs.append((start + lead, start + lead + m.end()))


def _add_id(rec: _Record, text: str, start: int, end: int, entity: str = "MRN") -> None:
    value = text[start:end]
    lead = len(value) - len(value.lstrip("'\" "))
    value = value.strip("'\" ")
    first = _HL7_COMPONENT.split(value, maxsplit=1)[0]
    if _real_id(first):
        rec.ids.append((start + lead, start + lead + len(first), entity))


def _between(
    pattern: regex.Pattern[str], text: str, pos: int, endpos: int, timeout: float
) -> Iterator[regex.Match[str]]:
    """Matches of ``pattern`` in ``text[pos:endpos]`` (offsets into ``text``), within the budget:
    a record's own fields are read where the record is, never by rescanning the text before it."""
    try:
        # all of them first: the regex module's clock would also count the caller's time
        # between matches (see recognizers.base._budgeted)
        return iter(list(pattern.finditer(text, pos, min(endpos, len(text)), timeout=timeout)))
    except TimeoutError as exc:
        raise RegexTimeout("pattern exceeded its time budget") from exc


# ---- HL7 v2 and ASTM E1394: pipe-delimited segments ---------------------------------------------
# A segment starts a line, follows a carriage return written out ("\r" in a log), or follows
# white space where the returns were lost in pasting.
_SEGMENT = regex.compile(
    r"(?:(?<![\p{L}\p{N}|^~&])|(?<=\\[rn]))(?:\d?(?P<astm>P)\|\d*\||(?P<seg>PID|NK1|IN1|GT1|MRG)\|)"
    # segments glued together where the carriage returns were lost ("...|P|2.3PID|1||4471902")
    r"|(?<=[\p{L}\p{N}])(?P<seg>PID|NK1|IN1|GT1)(?=\|\d{1,4}\|)\|"
)
_SEGMENT_END = regex.compile(r"[\r\n]|\\[rn]|\s(?=[A-Z][A-Z0-9]{2}\|)")
# field index -> what it holds, per segment (index 0 is the segment name)
_HL7_FIELDS: dict[str, dict[int, str]] = {
    "PID": {2: "id", 3: "id", 4: "id", 5: "name", 7: "dob", 9: "name"},
    "NK1": {2: "name"},
    "IN1": {16: "name", 18: "dob", 49: "id"},
    "GT1": {3: "name", 8: "dob"},
    "MRG": {1: "id", 7: "name"},
    "P": {2: "id", 3: "id", 4: "id", 5: "name", 7: "dob"},
}


def _pipe_records(text: str, timeout: float) -> Iterator[_Record]:
    for m in finditer(_SEGMENT, text, timeout):
        seg = "P" if m.group("astm") else m.group("seg")
        begin = m.start("astm") if m.group("astm") else m.start("seg")
        stop = _SEGMENT_END.search(text, m.end(), min(len(text), m.end() + 2000))
        end = stop.start() if stop else min(len(text), m.end() + 2000)
        rec = _Record(at=(begin, begin + len(seg)), last=end, health=seg in ("PID", "P", "MRG"))
        wanted = _HL7_FIELDS[seg]
        pos = begin
        for index, value in enumerate(text[begin:end].split("|")):
            kind = wanted.get(index)
            lo, hi = pos, pos + len(value)
            pos = hi + 1
            if kind is None or not value:
                continue
            # a repeating field: the first repetition holds what the others repeat
            hi = lo + len(value.split("~")[0])
            if kind == "name":
                _add_name(rec, text, lo, hi)
            elif kind == "dob":
                _add_dob(rec, text, lo, hi)
            else:
                _add_id(rec, text, lo, hi)
        yield rec


# ---- X12 837/835/270/271/276/277: NM1 loops -----------------------------------------------------
# NM1*QC*1*FAMILY*GIVEN*MIDDLE*PREFIX*SUFFIX*MI*ID: a patient (QC), subscriber (IL) or dependent
# (03) who is a person (entity type 1).
_NM1 = regex.compile(
    r"(?<![\p{L}\p{N}])NM1(?P<s>[*|^:])(?:QC|IL|03)(?P=s)1(?P=s)"
    r"(?P<family>[^*|^:~\r\n]*)(?:(?P=s)(?P<given>[^*|^:~\r\n]*))?"
    r"(?:(?P=s)[^*|^:~\r\n]*){0,3}(?:(?P=s)(?P<qual>[A-Z0-9]{1,2})(?P=s)(?P<id>[^*|^:~\r\n]+))?"
)
_X12_AFTER = regex.compile(
    r"(?<![\p{L}\p{N}])(?:DMG[*|^:]D8[*|^:](?P<dob>\d{8})|REF[*|^:](?:EA|EJ|1W)[*|^:](?P<ref>[^*|^:~\r\n]+)"
    r"|CLP[*|^:](?P<clp>[^*|^:~\r\n]+)|NM1[*|^:](?!QC|IL|03))"
)


def _x12_records(text: str, timeout: float) -> Iterator[_Record]:
    for m in finditer(_NM1, text, timeout):
        rec = _Record(at=(m.start(), m.start() + 3), last=m.end())
        if m.group("given") is not None:
            _add_name(rec, text, m.start("family"), m.end("given"))
        else:
            _add_name(rec, text, m.start("family"), m.end("family"))
        if m.group("id"):
            entity = "MEMBER_ID" if m.group("qual") in ("MI", "II") else "MRN"
            _add_id(rec, text, m.start("id"), m.end("id"), entity)
        # the loop's own segments follow it, up to the next party's NM1
        for n in _between(_X12_AFTER, text, m.end(), m.end() + 600, timeout):
            rec.last = n.end()
            if n.group("dob"):
                _add_dob(rec, text, n.start("dob"), n.end("dob"))
            elif n.group("ref"):
                _add_id(rec, text, n.start("ref"), n.end("ref"))
            elif not n.group("clp"):
                break
        yield rec


def _x12_claims(text: str, timeout: float) -> Iterator[_Record]:
    """An 835's CLP before its patient's NM1*QC: the claim's patient control number."""
    for n in finditer(_X12_AFTER, text, timeout):
        if n.group("clp"):
            rec = _Record(at=(n.start(), n.start() + 3), health=False)
            _add_id(rec, text, n.start("clp"), n.end("clp"), "PATIENT_ACCOUNT")
            yield rec


# ---- DICOM: group 0010 in dumps (dcmdump, gdcmdump, pydicom) and keyword listings ---------------
_DICOM = regex.compile(
    r"(?i)(?:\(0010,\s?(?P<tag>0010|0020|0030|1000|1001)\)|(?<![\p{L}])0010,?\s?(?P<tag2>0010|0020|0030)"
    r"(?![\p{N}])|(?<![\p{L}])(?P<kw>Patient(?:'s)?\s?(?:Name|ID|Birth\s?Date)|Other\s?Patient\s?IDs)"
    r"(?![\p{L}]))"
    r"(?P<gap>[^\n\[:='\"]{0,60}?(?:\[|PN:|LO:|DA:|:|=)\s*'?)"
    # a value ends at its bracket, quote or comment, or before the next "Key=" of a log line
    r"(?P<value>(?:(?!\s{2}|\s+[\w']+\s?[=:])[^\]\n'#])*)"
)
_DICOM_KIND = {
    "0010": "name",
    "1001": "name",
    "0020": "id",
    "1000": "id",
    "0030": "dob",
}


_DICOM_TEXT = regex.compile(r"(?i)dicom|\(00[0-2]\d,\s?[0-9a-f]{4}\)")


def _dicom_records(text: str, timeout: float) -> Iterator[_Record]:
    # "Patient's Name" and "Patient ID" are also a form's labels: as DICOM keywords they count
    # only in text that is about DICOM; the written-together keywords ("PatientName") always.
    spaced = _DICOM_TEXT.search(text) is not None
    rec: _Record | None = None
    for m in finditer(_DICOM, text, timeout):
        if m.group("kw") and not spaced and _SPACE_OR_QUOTE.search(m.group("kw")):
            continue
        tag = m.group("tag") or m.group("tag2")
        if tag:
            kind = _DICOM_KIND[tag]
        else:
            kw = m.group("kw").lower().replace(" ", "").replace("'s", "")
            kind = "name" if kw.endswith("name") else "dob" if kw.endswith("date") else "id"
        value = m.group("value").rstrip()
        lo = m.start("value")
        hi = lo + len(value)
        # a listing's "Patient's Name (0010,0010): ..." is one record, however it is laid out
        if rec is None or m.start() - rec.last > 2000:
            if rec is not None:
                yield rec
            rec = _Record(at=(m.start(), m.start("gap")))
        rec.last = m.end()
        if not value.strip() or value.strip().lower() in ("(no value available)", "none"):
            continue
        if kind == "name":
            _add_name(rec, text, lo, hi)
        elif kind == "dob":
            _add_dob(rec, text, lo, hi)
        else:
            _add_id(rec, text, lo, hi)
    if rec is not None:
        yield rec


# ---- XML: FHIR XML, CDA, NCPDP SCRIPT and other patient elements --------------------------------
_XML_PATIENT = regex.compile(
    r"<(?:[\w-]+:)?(?P<el>Patient|patient|patientRole|HumanPatient|PatientDemographics|"
    r"PatientInformation|PatientInfo)\b[^>]*>"
)
_XML_FIELD = regex.compile(
    r"<(?:[\w-]+:)?(?P<tag>family|given|LastName|FirstName|MiddleName|Surname|GivenName|"
    r"FamilyName|lastName|firstName|last_name|first_name|birthTime|birthDate|BirthDate|DateOfBirth|"
    r"DOB|dob|MRN|MedicalRecordNumber|MedicalRecordIdentificationNumberEHR|PatientID|PatientId|"
    r"id|value)\b(?P<attrs>[^>]*?)(?:/>|>(?:\s*<(?:[\w-]+:)?(?:Date|DateTime)>)?(?P<text>[^<]*))"
)
_XML_ATTR = regex.compile(r'\b(?P<attr>value|extension)="(?P<v>[^"]*)"')
_XML_KIND = {
    "family": "name",
    "given": "name",
    "lastname": "name",
    "firstname": "name",
    "middlename": "name",
    "surname": "name",
    "givenname": "name",
    "familyname": "name",
    "last_name": "name",
    "first_name": "name",
    "birthtime": "dob",
    "birthdate": "dob",
    "dateofbirth": "dob",
    "dob": "dob",
    "mrn": "id",
    "medicalrecordnumber": "id",
    "medicalrecordidentificationnumberehr": "id",
    "patientid": "id",
    "id": "id",
    "value": "id",
}


def _xml_records(text: str, timeout: float) -> Iterator[_Record]:
    pos = 0
    for m in finditer(_XML_PATIENT, text, timeout):
        if m.start() < pos:
            continue
        close = regex.compile(rf"</(?:[\w-]+:)?{m.group('el')}>").search(text, m.end())
        end = close.start() if close else min(len(text), m.end() + 4000)
        end = min(end, m.end() + 8000)
        pos = end
        rec = _Record(at=(m.start() + 1, m.start() + 1 + len(m.group("el"))), last=end)
        names: list[tuple[int, int]] = []
        for f in _between(_XML_FIELD, text, m.end(), end, timeout):
            kind = _XML_KIND[f.group("tag").lower()]
            if f.group("text") is not None and f.group("text").strip():
                lo, hi = f.span("text")
            else:
                attr = _XML_ATTR.search(f.group("attrs") or "")
                if attr is None:
                    continue
                base = f.start("attrs")
                lo, hi = base + attr.start("v"), base + attr.end("v")
            if kind == "name":
                names.append((lo, hi))
            elif kind == "dob":
                _add_dob(rec, text, lo, hi)
            elif f.group("tag") in ("id", "value") and m.group("el") not in ("patientRole",):
                continue  # an id or value of something else inside the element
            else:
                _add_id(rec, text, lo, hi)
        _add_name_parts(rec, text, names)
        yield rec


def _add_name_parts(rec: _Record, text: str, parts: list[tuple[int, int]]) -> None:
    """Given and family name in separate fields: one name, placeholder if any part is one."""
    values = [text[a:b].strip() for a, b in parts if _plausible_value(text[a:b])]
    if not values:
        return
    if _is_placeholder([w for v in values for w in _name_words(v)]):
        rec.placeholder = True
        return
    rec.names.extend((a, b) for a, b in parts if _plausible_value(text[a:b]))


# ---- JSON: FHIR resources and key-value payloads (webhooks, exports, logs) -----------------------
_JSON_KEY = regex.compile(
    r'"(?P<key>resourceType|family|given|display|birthDate|identifier|value|patient|'
    r"(?:patient_?)?(?:last_?name|first_?name|family_?name|given_?name|surname|full_?name|name)|"
    r"(?:patient_?)?(?:dob|date_?of_?birth|birth_?date)|"
    r'(?:patient_?)?mrn|medical_?record_?(?:number|no)|patient_?id|chart_?(?:number|id|no))"'
    r'\s*:\s*(?:(?P<v>"(?:[^"\\\n]|\\.)*"|\[\s*"(?:[^"\\\n]|\\.)*")|[\[{])',
    regex.IGNORECASE,
)
# keys whose value is a name part: of anyone (a person's record), or the patient's by the key
_JSON_NAME = frozenset(
    "family given lastname firstname familyname givenname fullname surname".split()
)
_JSON_ID = frozenset("mrn patientmrn medicalrecordnumber medicalrecordno patientid".split())


def _json_records(text: str, timeout: float) -> Iterator[_Record]:
    """Clusters of patient keys: a FHIR Patient resource, or an object with patient fields."""
    rec: _Record | None = None
    kinds: set[str] = set()
    resource = ""
    in_identifier = False
    for m in finditer(_JSON_KEY, text, timeout):
        key = m.group("key").lower().replace("_", "")
        raw = m.group("v") or ""
        quote = raw.find('"')
        lo, hi = m.start("v") + quote + 1, m.end("v") - 1
        value = _json_text(text[lo:hi]) if raw else ""
        if rec is None or m.start() - rec.last > 1500:
            if rec is not None and _json_is_patient(kinds, resource):
                yield rec
            rec, kinds, resource = _Record(at=(m.start(), m.start("key") + len(key) + 1)), set(), ""
            in_identifier = False
        rec.last = m.end()
        if key == "resourcetype":
            if resource and _json_is_patient(kinds, resource):
                yield rec
            rec, kinds, resource = _Record(at=(m.start(), m.end())), set(), value
            rec.last = m.end()
            in_identifier = False
            continue
        if not raw:  # an object or array opens: only its key says something
            in_identifier = key == "identifier"
            if key == "patient" and resource in ("", "Patient"):
                kinds.add("patientkey")
            continue
        if key == "value":
            if in_identifier and resource == "Patient":
                kinds.add("id")
                _add_id(rec, text, lo, hi)
            continue
        in_identifier = False
        if resource and resource != "Patient":
            continue  # a Practitioner's or Organization's name is not a patient's
        patient_key = key.startswith("patient")
        bare = key.removeprefix("patient") or key
        if (
            bare in _JSON_NAME
            or key in ("patientname", "patient", "name")
            or (key == "display" and "Patient/" in text[max(0, m.start() - 160) : m.start()])
        ):
            if key in ("patient", "name", "display") and not _TWO_WORDS.search(value):
                continue  # a reference or a bare word, not a person's full name
            if key == "name" and not resource:
                continue  # "name" alone names anything: a clinic, a test, a file
            kinds.add("name")
            if patient_key or key == "display":
                kinds.add("patientkey")
            _add_name(rec, text, lo, hi)
        elif "dob" in bare or "birth" in bare:
            kinds.add("dob")
            if patient_key:
                kinds.add("patientkey")
            _add_dob(rec, text, lo, hi)
        elif key in _JSON_ID or bare.startswith("chart"):
            kinds.update(("id", "patientkey"))
            _add_id(rec, text, lo, hi)
    if rec is not None and _json_is_patient(kinds, resource):
        yield rec


def _json_is_patient(kinds: set[str], resource: str) -> bool:
    """A Patient resource, or fields under a patient key ("patient": {...}, "patient_dob", "mrn").

    A name beside a birth date alone is anyone's (a staff list, a member directory).
    """
    if resource:
        return resource == "Patient"
    return "patientkey" in kinds


def _json_text(value: str) -> str:
    try:
        out = json.loads(f'"{value}"')
    except ValueError:
        return value
    return out if isinstance(out, str) else value


# ---- logs: key=value pairs ("patient_name=\"Ann Lee\" dob=1950-03-04") ----------------------------
_KV = regex.compile(
    r"(?i)(?<![\w.])(?P<key>patient_?(?:full_?|first_?|last_?|family_?|given_?)?name|"
    r"patient_?(?:dob|birth_?date)|patient_?(?:id|mrn)|mrn|dob|date_?of_?birth|birth_?date)"
    r"\s?=\s?(?P<v>\"[^\"\n]*\"|'[^'\n]*'|[^\s,;&|\"']+)"
)


def _kv_records(text: str, timeout: float) -> Iterator[_Record]:
    """A log line's patient fields: a patient key makes the cluster a patient's."""
    rec: _Record | None = None
    patient = False
    for m in finditer(_KV, text, timeout):
        if rec is None or m.start() - rec.last > 300:
            if rec is not None and patient:
                yield rec
            rec, patient = _Record(at=(m.start(), m.end("key"))), False
        rec.last = m.end()
        key = m.group("key").lower().replace("_", "")
        lo, hi = m.span("v")
        if text[lo] in "\"'":
            lo, hi = lo + 1, hi - 1
        if key.startswith("patient") or key == "mrn":
            patient = True
        if key.endswith("name"):
            _add_name(rec, text, lo, hi)
        elif "dob" in key or "birth" in key:
            _add_dob(rec, text, lo, hi)
        else:
            _add_id(rec, text, lo, hi)
    if rec is not None and patient:
        yield rec


# ---- tables: CSV, TSV and pipe exports whose header names patient columns ----------------------
# A header line: it names a birth date, a chart or a patient (in whatever abbreviation).
_TABLE_HEAD = regex.compile(
    r"(?i)birth|brth|\bdob|_dob|dob_|mrn|chart|patient|\bpt[ _.]|\bpat[ _.]|pt_?id|pat_?id"
)
_HEAD_SPLIT = regex.compile(r"[_\s\-./#()]+|(?<=[a-z])(?=[A-Z])")
_HEAD_WORDS = {
    "pt": "patient", "pat": "patient", "ptnt": "patient", "patient": "patient",
    "nm": "name", "nme": "name", "name": "name", "names": "name",
    "last": "last", "lst": "last", "surname": "last", "family": "last", "fam": "last",
    "lname": "last", "ln": "last",
    "first": "first", "fst": "first", "frst": "first", "given": "first", "forename": "first",
    "fname": "first", "fn": "first", "middle": "middle", "mname": "middle", "full": "full",
    "birth": "birth", "brth": "birth", "bth": "birth", "born": "birth", "birthdate": "birth",
    "dob": "birth", "bdate": "birth", "bday": "birth", "birthday": "birth",
    "mrn": "mrn", "chart": "mrn", "medrec": "mrn", "mr": "mrn", "pid": "mrn",
    "id": "id", "no": "id", "num": "id", "nbr": "id", "number": "id",
    "record": "record", "rec": "record",
    # the person a billing, payer or collections export is about
    "guarantor": "name", "subscriber": "name", "insured": "name", "member": "name",
    "beneficiary": "name", "client": "name",
}  # fmt: skip
# columns that make a table one of care: diagnoses, procedures, visits, results, clinicians
_CARE_COLUMN = regex.compile(
    r"(?i)dx|diag|icd|cpt|proc|enc|encounter|visit|appt|appoint|admit|admission|discharge|"
    r"\bmed|medication|\brx|allerg|\blab|result|attending|physician|provider|clinician|"
    r"referr|problem|condition|recall|vaccin|immun|ward|bed|room|dos\b|date of service"
)
_DATE_ANY = regex.compile(r"(\d{1,2})[./-](\d{1,2})[./-](1[89]\d\d|20\d\d)")


def _column_kind(header: str) -> str:
    """'last', 'first', 'name', 'dob' or 'id' for a patient column's header, else ''."""
    words = {_HEAD_WORDS.get(w.lower(), "") for w in _HEAD_SPLIT.split(header.strip(' "')) if w}
    words.discard("")
    if "birth" in words:
        return "dob"
    if "mrn" in words or ("patient" in words and words & {"id", "record"}):
        return "id"
    if words & {"last", "first", "middle", "full"} and (
        "name" in words or len(header.strip()) <= 12 or "patient" in words
    ):
        return "last" if "last" in words else "first" if "first" in words else "name"
    if "name" in words and ("patient" in words or len(words) == 1):
        return "name"
    if words == {"patient"}:
        return "name"
    return ""


def _table_records(text: str, timeout: float) -> Iterator[_Record]:
    after = 0
    for word in finditer(_TABLE_HEAD, text, timeout):
        if word.start() < after:
            continue
        start, stop = line_bounds(text, word.start())
        after = stop  # one look per line
        line = text[start:stop].rstrip("\r").lstrip("\ufeff")
        sep = max((",", ";", "\t", "|"), key=line.count)
        if line.count(sep) < 2:
            continue
        head = [line[a:b] for a, b in split_cells(line, sep, quotes=True)]
        # a header's cells are labels, not sentences
        if any(len(c) > 40 or len(c.split()) > 5 for c in head):
            continue
        kinds = [_column_kind(c) for c in head]
        names = {k for k in kinds if k in ("last", "first", "name")}
        patient = any(_PATIENT_COLUMN.search(c) for c in head)
        care = any(_CARE_COLUMN.search(c) for c in head)
        # names with a birth date alone are anyone's (a staff list): the table must be of patients;
        # and a name column needs a birth date or record number beside it, or its header must
        # say "name" in a table of care ("Patient Name;Appt Time;Reason")
        named = any(k and "name" in c.lower() for c, k in zip(head, kinds, strict=True))
        if not names or not (patient or care):
            continue
        if not (set(kinds) & {"dob", "id"} or (care and named)):
            continue
        rec = _Record(at=(start, start + len(line)))
        pos = stop + 1
        rows = 0
        while pos < len(text) and rows < 5000:
            nl = text.find("\n", pos)
            end = len(text) if nl < 0 else nl
            row = text[pos:end].rstrip("\r")
            cells = split_cells(row, sep, quotes=True)
            if not row.strip() or abs(len(cells) - len(head)) > (3 if rows else 0):
                break
            rows += 1
            row_rec = _Record(at=rec.at)
            parts: list[tuple[int, int]] = []
            for (a, b), kind in zip(cells, kinds, strict=False):
                lo, hi = pos + a, pos + b
                if kind in ("last", "first", "name"):
                    parts.append((lo, hi))
                elif kind == "dob":
                    value = text[lo:hi].strip(' "')
                    if _is_date(value) or _DATE_ANY.fullmatch(value):
                        lead = len(text[lo:hi]) - len(text[lo:hi].lstrip(' "'))
                        row_rec.dobs.append((lo + lead, lo + lead + len(value)))
                elif kind == "id":
                    _add_id(row_rec, text, lo, hi)
            _add_name_parts(row_rec, text, [(a, b) for a, b in parts if b > a])
            if not row_rec.placeholder:  # a sample row ("TEST,PATIENT,01/01/1970") names nobody
                rec.names.extend(row_rec.names)
                rec.dobs.extend(row_rec.dobs)
                rec.ids.extend(row_rec.ids)
            pos = end + 1
        rec.last = after = pos
        if rows:
            yield rec


# ---- the recognizer -----------------------------------------------------------------------------
# Each reader with what a text must hold for it to find anything (as written).
_READERS: tuple[tuple[Callable[[str, float], Iterator[_Record]], tuple[str, ...]], ...] = (
    (_pipe_records, ("|",)),
    (_x12_records, ("NM1",)),
    (_x12_claims, ("CLP",)),
    (_dicom_records, ("0010", "atient")),
    (_xml_records, ("<",)),
    (_json_records, ('"',)),
    (_table_records, (",", ";", "\t", "|")),
    (_kv_records, ("=",)),
)


@dataclass(frozen=True)
class PatientRecordRecognizer:
    """Patients named, born and numbered in the fields of machine-format health records."""

    name: str = NAME
    entities: tuple[str, ...] = ("PERSON", "DOB", "MRN", "MEMBER_ID", "PATIENT_RECORD")

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out: list[RawMatch] = []
        for read, needs in _READERS:
            if not any(n in text for n in needs):
                continue
            for rec in read(text, timeout):
                out.extend(_matches(rec))
        return out


def _matches(rec: _Record) -> list[RawMatch]:
    if rec.placeholder:
        # an example record: what other recognizers find in it names nobody either
        return [RawMatch(EXAMPLE_RECORD, rec.at[0], max(rec.last, rec.at[1]), 0.0, "context", NAME)]
    out = [
        RawMatch("PERSON", a, b, _SCORE_NAME, "identifier", NAME, role="patient")
        for a, b in rec.names
    ]
    out += [RawMatch("DOB", a, b, _SCORE_DOB, "identifier", NAME) for a, b in rec.dobs]
    out += [RawMatch(e, a, b, _SCORE_ID, "identifier", NAME) for a, b, e in rec.ids]
    if out and rec.health and (rec.names or rec.ids):
        a, b = rec.at
        out.append(RawMatch("PATIENT_RECORD", a, b, _SCORE_RECORD, "health", NAME))
    return out
