"""What a sender notice may know: a frozen set of PHI-free fields, and the plain words for them.

A notice names what it found in plain words ("a Social Security number", "in an attachment"),
with counts, and never shows a preview of a finding: even a masked preview can give away a
surname's initial, a year of birth or the chapter of a diagnosis code (``F**.*`` says mental
health). The subject is shown as the sender wrote it, so staff can recognise their message,
unless a finding lies in it; then it is withheld whole.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

NoticeKind = Literal["block", "quarantine", "fallback", "portal"]
#: Notices of a message that was stopped (each says what to do next).
NOTICE_KINDS: tuple[NoticeKind, ...] = ("block", "quarantine", "fallback")
#: Notices of a message that went out another way: `portal` tells the sender it went to the
#: secure portal (notices.portal_sender_notice).
INFO_KINDS: tuple[NoticeKind, ...] = ("portal",)

DEFAULT_NEXT_STEPS: tuple[str, ...] = (
    "Resend the message with [secure] in the subject line so that it is sent encrypted.",
    "Or share the information through the patient portal instead of email.",
    "If the patient has consented to unencrypted email, ask your compliance officer "
    "about a consent exception.",
)

# What to do next, by what happened (a rule's own `next_steps` in the policy comes first). A
# misdirected message is not helped by "resend with [secure]", nor is a never-by-email rule.
NEXT_STEPS_MISDIRECTED: tuple[str, ...] = (
    "Check the recipient address: the message is about a patient, and it was going to an "
    "address that is not that patient's own.",
    "If the address was wrong, nothing more is needed: nobody received the message. Send it "
    "again to the right address.",
    "If the address is right (for example a family member the patient named), ask your "
    "compliance officer to review it and quote the reference below.",
)
NEXT_STEPS_NEVER_BY_EMAIL: tuple[str, ...] = (
    "Do not send this information by email.",
    "Share it through the patient portal, by fax, or by phone instead.",
    "If you think this message should be allowed, ask your compliance officer and quote the "
    "reference below.",
)
NEXT_STEPS_NO_KEY: tuple[str, ...] = (
    "The recipient has no certificate or encryption key on file, so the message could not be "
    "encrypted for them.",
    "Ask the recipient for an S/MIME certificate or OpenPGP key and give it to your compliance "
    "officer to add; then send the message again.",
    "Until then, share the information through the patient portal, by fax, or by phone.",
)
NEXT_STEPS_NO_CONSENT: tuple[str, ...] = (
    "No consent on file from the patient covers unencrypted email with this information.",
    "Share it through the patient portal, by fax, or by phone instead.",
    "If the patient wants unencrypted email, ask your compliance officer to record their consent.",
)
NEXT_STEPS_UNSCANNABLE: tuple[str, ...] = (
    "Part of the message (for example a password-protected ZIP or PDF file) could not be read, "
    "so the gateway could not check it.",
    "Send the file without a password, or share it through the patient portal.",
)
NEXT_STEPS_HELD: tuple[str, ...] = (
    "You do not need to do anything now: your compliance officer will review the message and "
    "release or delete it.",
    "If it is urgent, contact them and quote the reference below.",
)
#: Situations a rule's conditions name (see gateway.policy.rules.situation_of).
SITUATIONS = ("misdirected", "unscannable", "")

SUBJECT_WITHHELD = "(subject withheld: it contains patient information)"

# Every entity type the detectors emit, as (article, singular, plural). A notice never shows the
# code itself; an unknown type gets GENERIC_WORDS. Health entities are named by kind only.
ENTITY_WORDS: dict[str, tuple[str, str, str]] = {
    # identifiers
    "US_SSN": ("a", "Social Security number", "Social Security numbers"),
    "SSN": ("a", "Social Security number", "Social Security numbers"),
    "MRN": ("a", "medical record number", "medical record numbers"),
    "NPI": ("a", "national provider identifier", "national provider identifiers"),
    "DEA_NUMBER": ("a", "DEA registration number", "DEA registration numbers"),
    "MBI": ("a", "Medicare number", "Medicare numbers"),
    "MEDICAID_ID": ("a", "Medicaid number", "Medicaid numbers"),
    "MEMBER_ID": ("a", "health plan member ID", "health plan member IDs"),
    "CLAIM_NUMBER": ("an", "insurance claim number", "insurance claim numbers"),
    "ACCOUNT_NUMBER": ("an", "account number", "account numbers"),
    "PATIENT_ACCOUNT": ("a", "patient account number", "patient account numbers"),
    "ABA_ROUTING": ("a", "bank routing number", "bank routing numbers"),
    "IBAN_CODE": ("a", "bank account number (IBAN)", "bank account numbers (IBAN)"),
    "CREDIT_CARD": ("a", "payment card number", "payment card numbers"),
    "VIN": ("a", "vehicle identification number", "vehicle identification numbers"),
    "DEVICE_ID": ("a", "medical device identifier", "medical device identifiers"),
    "STUDY_SUBJECT_ID": ("a", "research participant number", "research participant numbers"),
    "US_DRIVER_LICENSE": ("a", "driver's license number", "driver's license numbers"),
    # contact details
    "PHONE_NUMBER": ("a", "phone number", "phone numbers"),
    "FAX_NUMBER": ("a", "fax number", "fax numbers"),
    "EMAIL_ADDRESS": ("an", "email address", "email addresses"),
    "URL": ("a", "web address", "web addresses"),
    "RECORD_URL": ("a", "link to a patient record", "links to patient records"),
    "NHS_NUMBER": ("an", "NHS number", "NHS numbers"),
    "NATIONAL_ID": ("a", "national ID number", "national ID numbers"),
    "IP_ADDRESS": ("an", "IP address", "IP addresses"),
    "STREET_ADDRESS": ("a", "street address", "street addresses"),
    "ZIP_CODE": ("a", "ZIP code", "ZIP codes"),
    "LOCATION": ("a", "place name", "place names"),
    # names
    "PATIENT_NAME": ("a", "patient name", "patient names"),
    "PERSON": ("a", "person's name", "people's names"),
    "PROVIDER_NAME": ("a", "clinician's name", "clinicians' names"),
    "ORGANIZATION": ("an", "organization name", "organization names"),
    "NRP": ("a", "nationality, religion or political group", "nationalities, religions or groups"),
    # dates and ages
    "DOB": ("a", "date of birth", "dates of birth"),
    "DATE_OF_SERVICE": ("a", "date of service", "dates of service"),
    "DATE_TIME": ("a", "date", "dates"),
    "AGE": ("an", "age", "ages"),
    "AGE_OVER_89": ("an", "age over 89", "ages over 89"),
    # health information
    "ICD10": ("a", "diagnosis code", "diagnosis codes"),
    "CPT": ("a", "procedure code", "procedure codes"),
    "DIAGNOSIS": ("a", "diagnosis", "diagnoses"),
    "PROCEDURE": ("a", "medical procedure", "medical procedures"),
    "MEDICATION": ("a", "medication", "medications"),
    "LAB_RESULT": ("a", "lab result", "lab results"),
    "SPECIALTY": ("a", "medical specialty", "medical specialties"),
    "CLINICAL_NOTE": ("a", "clinical note", "clinical notes"),
    "CLINICAL_NARRATIVE": ("a", "clinical description", "clinical descriptions"),
    "APPOINTMENT": ("an", "appointment", "appointments"),
    "PATIENT_RECORD": ("a", "patient record in a data format", "patient records in data formats"),
}
GENERIC_WORDS = ("an", "other item of patient information", "other items of patient information")

_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

# File types a notice may name: an extension outside this list may be part of a name.
SAFE_EXTENSIONS: dict[str, str] = {
    "pdf": "a PDF file",
    "doc": "a Word file",
    "docx": "a Word file",
    "odt": "a text document",
    "rtf": "an RTF file",
    "txt": "a text file",
    "xls": "an Excel file",
    "xlsx": "an Excel file",
    "ods": "a spreadsheet",
    "csv": "a CSV file",
    "ppt": "a PowerPoint file",
    "pptx": "a PowerPoint file",
    "odp": "a presentation",
    "htm": "an HTML file",
    "html": "an HTML file",
    "xml": "an XML file",
    "json": "a JSON file",
    "hl7": "an HL7 file",
    "jpg": "an image",
    "jpeg": "an image",
    "png": "an image",
    "gif": "an image",
    "tif": "an image",
    "tiff": "an image",
    "heic": "an image",
    "dcm": "a DICOM image",
    "zip": "a ZIP archive",
    "7z": "a 7-Zip archive",
    "eml": "an email message",
    "msg": "an Outlook message",
    "ics": "a calendar file",
    "vcf": "a contact card",
}

_ATTACHMENT_LABEL = re.compile(r"attachment:(\d{1,4})(?:\.([a-z0-9]{1,5}))?")
_PLACES = {
    "subject": "the subject line",
    "header": "the message headers",
    "body": "the message text",
}


def entity_words(entity: str, count: int = 1) -> str:
    """An entity type in plain words with its count: "a date of birth", "two diagnosis codes"."""
    article, singular, plural = ENTITY_WORDS.get(entity, GENERIC_WORDS)
    if count == 1:
        return f"{article} {singular}"
    number = _NUMBER_WORDS[count] if 0 <= count < len(_NUMBER_WORDS) else str(count)
    return f"{number} {plural}"


def entity_kind(entity: str) -> str:
    """An entity type as a plain noun with no count: "Social Security number"."""
    return ENTITY_WORDS.get(entity, GENERIC_WORDS)[1]


def place_words(label: str, numbered: bool = False) -> str:
    """A log-safe part label in plain words; never an attachment's file name.

    ``attachment:N.ext`` (see gateway.detect.PartLabels) becomes "an attachment (a PDF file)",
    or "attachment N (a PDF file)" when `numbered`; any other attachment label says only "an
    attachment", because a raw label carries the file name and a file name can name a patient.
    """
    if label in _PLACES:
        return _PLACES[label]
    if label.startswith("attachment:"):
        m = _ATTACHMENT_LABEL.fullmatch(label)
        if m is None:
            return "an attachment"
        kind = SAFE_EXTENSIONS.get(m.group(2) or "")
        named = f"attachment {m.group(1)}" if numbered else "an attachment"
        return f"{named} ({kind})" if kind else named
    return "another part of the message"


def default_next_steps(kind: str, attempted: Iterable[str], situation: str = "") -> tuple[str, ...]:
    """What a sender should do next when a rule gives no `next_steps` of its own.

    `kind` is the notice (block, quarantine, fallback), `attempted` the actions tried before the
    one that stopped the message (a fallback), `situation` what the rule tests: "misdirected",
    "unscannable" or "".
    """
    tried = set(attempted)
    steps = DEFAULT_NEXT_STEPS
    if situation == "misdirected":
        steps = NEXT_STEPS_MISDIRECTED
    elif situation == "unscannable":
        steps = NEXT_STEPS_UNSCANNABLE
    elif "encrypt" in tried:
        steps = NEXT_STEPS_NO_KEY
    elif "consent_allow" in tried:
        steps = NEXT_STEPS_NO_CONSENT
    elif kind == "quarantine":
        steps = NEXT_STEPS_HELD
    elif kind == "block" and not tried:
        steps = NEXT_STEPS_NEVER_BY_EMAIL
    if "portal" in tried:
        # The portal was tried and could not take the message: do not send the sender there.
        steps = tuple(
            _PORTAL_WAYS.sub("by fax or by phone", s) for s in steps if not _PORTAL_ONLY.search(s)
        )
    return steps


_PORTAL_WAYS = re.compile(r"through the patient portal, by fax, or by phone")
# A step whose only suggestion is the portal (it names no fax or phone).
_PORTAL_ONLY = re.compile(r"^(?!.*(?:fax|phone)).*\bpatient portal\b")


@dataclass(frozen=True)
class Found:
    """How many findings of one entity type lie in one part (a log-safe part label)."""

    entity: str
    where: str
    count: int

    def __post_init__(self) -> None:
        if not isinstance(self.entity, str) or not isinstance(self.where, str):
            raise TypeError("Found.entity and Found.where must be str")
        if not isinstance(self.count, int) or isinstance(self.count, bool) or self.count < 1:
            raise TypeError("Found.count must be a positive int")


def tally(pairs: Iterable[tuple[str, str]]) -> tuple[Found, ...]:
    """Count (entity type, log-safe part label) pairs, in the order the parts first appear."""
    counts = Counter(pairs)
    return tuple(Found(entity, where, n) for (entity, where), n in counts.items())


def _tuple_of(name: str, value: Any, kind: type) -> tuple[Any, ...]:
    if isinstance(value, str) or not isinstance(value, tuple):
        raise TypeError(f"NoticeContext.{name} must be a tuple of {kind.__name__}")
    if not all(isinstance(v, kind) for v in value):
        raise TypeError(f"NoticeContext.{name} must be a tuple of {kind.__name__}")
    return value


def local_date(date: datetime, timezone: str = "") -> str:
    """The date in the site's zone (or the gateway machine's), saying which zone it is.

    "2026-11-28 03:00 CST (America/Chicago)" with a site zone; without one (or with one this
    machine does not know) "2026-11-28 09:00 UTC (the gateway server's time zone)", with the
    UTC offset added when the zone's abbreviation does not already say it.
    """
    aware = date if date.tzinfo is not None else date.replace(tzinfo=UTC)
    zone: tzinfo | None = None
    if timezone:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = None  # a bad setting must not stop a notice; the machine's zone is named
    local = aware.astimezone(zone) if zone is not None else aware.astimezone()
    offset = local.strftime("%z")
    utc = f"UTC{offset[:3]}:{offset[3:]}" if offset else ""
    name = local.tzname() or utc
    if name.startswith(("+", "-")):
        name = utc  # a zone with no abbreviation ("-05") reads better as "UTC-05:00"
    when = f"{local.strftime('%Y-%m-%d %H:%M')} {name}".rstrip()
    if zone is not None:
        return f"{when} ({timezone})"
    if not utc or name.upper() in ("UTC", "GMT") or name.startswith(("UTC", "GMT")):
        return f"{when} (the gateway server's time zone)"
    return f"{when} ({utc}, the gateway server's time zone)"


@dataclass(frozen=True, kw_only=True)
class NoticeContext:
    """The only facts a sender notice can show: entity types, counts, places and PHI-free text.

    There is deliberately no field for the message, its body, matched text or previews.
    `subject` is shown only when `subject_has_phi` is false and no finding lies in the subject.
    `found` gives counts per entity type and part; without it the notice names the entity
    types and places without counts. `previews` is accepted from older callers and dropped.
    """

    ref_id: str
    rule: str
    action: str
    reason_text: str
    entity_types: tuple[str, ...] = ()
    found: tuple[Found, ...] = ()
    locations: tuple[str, ...] = ()
    subject: str = ""
    subject_masked: str = ""  # older name of `subject`; used when `subject` is empty
    subject_has_phi: bool
    recipient_count: int
    recipient_domains: tuple[str, ...]
    date: datetime
    timezone: str = ""  # IANA zone of the site; empty means the gateway machine's zone
    help_contact: str = ""
    next_steps: tuple[str, ...] = field(default=DEFAULT_NEXT_STEPS)
    previews: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in (
            "ref_id",
            "rule",
            "action",
            "reason_text",
            "subject",
            "subject_masked",
            "timezone",
            "help_contact",
        ):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"NoticeContext.{name} must be str")
        for name in ("entity_types", "locations", "recipient_domains", "next_steps", "previews"):
            _tuple_of(name, getattr(self, name), str)
        _tuple_of("found", self.found, Found)
        if not isinstance(self.subject_has_phi, bool):
            raise TypeError("NoticeContext.subject_has_phi must be bool")
        if not isinstance(self.recipient_count, int) or isinstance(self.recipient_count, bool):
            raise TypeError("NoticeContext.recipient_count must be int")
        if not isinstance(self.date, datetime):
            raise TypeError("NoticeContext.date must be a datetime")
        # Even a masked preview can name a surname's initial, a birth year or a diagnosis
        # chapter, so none is kept where a template could reach it.
        object.__setattr__(self, "previews", ())

    @property
    def subject_withheld(self) -> bool:
        """True when any finding lies in the subject, so the notice must not show it."""
        return (
            self.subject_has_phi
            or "subject" in self.locations
            or any(f.where == "subject" for f in self.found)
        )

    def subject_shown(self) -> str:
        """The subject as the notice shows it: verbatim, or withheld whole."""
        if self.subject_withheld:
            return SUBJECT_WITHHELD
        return " ".join((self.subject or self.subject_masked).split()) or "(no subject)"

    def found_lines(self) -> list[str]:
        """One plain sentence per place: "In the message text: two dates of birth and ..."."""
        places = list(dict.fromkeys(f.where for f in self.found))
        numbered = sum(p.startswith("attachment:") for p in places) > 1
        lines = []
        for place in places:
            words = [entity_words(f.entity, f.count) for f in self.found if f.where == place]
            listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
            where = place_words(place, numbered)
            lines.append(f"In {where}: {listed}.")
        return lines

    def as_template_vars(self) -> dict[str, Any]:
        """The variables templates see (plain values; nothing callable, no codes, no previews)."""
        types = self.entity_types or tuple(dict.fromkeys(f.entity for f in self.found))
        places = self.locations or tuple(dict.fromkeys(f.where for f in self.found))
        numbered = sum(p.startswith("attachment:") for p in places) > 1
        return {
            "ref_id": self.ref_id,
            "rule": self.rule,
            "action": self.action,
            "reason_text": self.reason_text,
            "found_lines": self.found_lines(),
            "kinds": list(dict.fromkeys(entity_kind(e) for e in types)),
            "places": list(dict.fromkeys(place_words(p, numbered) for p in places)),
            "subject": self.subject_shown(),
            "subject_withheld": self.subject_withheld,
            "recipient_count": self.recipient_count,
            "recipient_domains": list(self.recipient_domains),
            "date": local_date(self.date, self.timezone),
            "help_contact": self.help_contact,
            "next_steps": list(self.next_steps),
            # Older site templates may still name these; they carry nothing any more.
            "subject_masked": self.subject_shown(),
            "subject_has_phi": self.subject_withheld,
            "entity_types": list(dict.fromkeys(entity_kind(e) for e in types)),
            "locations": list(dict.fromkeys(place_words(p, numbered) for p in places)),
            "previews": [],
        }
