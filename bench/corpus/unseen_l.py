"""Blind template source templates-l: PHI inside containers and rich formats.

Everyday outbound mail of a UK multi-site family practice (a GP partnership with two surgeries,
its own community pharmacy and a physiotherapy service) where the patient details do not sit in
plain body text but inside a container or a rich format: a calendar invitation (text/calendar,
inline or as an .ics file) for a minor operation, a contact card (.vcf) shared with a home-care
agency, a hospital discharge forwarded as an attached message/rfc822, a zip archive holding a
referral letter and a medication CSV, an RTF physiotherapy discharge letter, an HTML-only
pharmacy mail whose patients sit in a table, a multipart/alternative whose text part is a stub
and only the HTML part holds the anticoagulation dosing, an XLSX waiting list, a DOCX fit-note
covering letter, a clear-signed multipart/signed (dummy PKCS#7 signature) controlled-drug
message, a quoted-printable windows-1252 or iso-8859-2 body with accented names, and a base64
text attachment whose name and type say it is an image or a PDF. The clean families are the same
containers without patients, as hard negatives: a staff meeting and rota invitation, a
supplier's vCard, a forwarded wholesaler bulletin on drug shortages, zipped practice policies, an
HTML flu-clinic session mail, an XLSX pharmacy stock list, a signed purchase order and DOCX
practice-meeting minutes naming staff only.

Written blind: its author read none of the detectors, gateway, docs, policies, detector tests
or the other template sources' families (only the `Mail`/`phi`/`clean` helpers of
bench/corpus/generate.py, the generator helpers, `render` and `build_source` of
bench/corpus/unseen.py, the header, imports, generator class and `build` of unseen_k.py as a
model of the file's shape, and the two files that register sources). Because `render` in
unseen.py writes only a plain or HTML body with attachments, this file renders its own messages
(same headers, file names and manifest rows as `build_source`) from a MIME tree each family
builds; office files are written by openpyxl and python-docx, then re-zipped with fixed
timestamps so a seed always gives the same bytes.

Generated deterministically from the seed: people come from several Faker locales (some with
non-ASCII names), seeded from the source's random stream; every date is drawn from that stream
around a fixed base date, never from today. Each family is wholly PHI (one or more identified
patients with care information or identifiers) or wholly clean.

First figures, measured once before anything was changed (`bench/lofo_eval.py --per-family 30
--seed 7`, 2026-12-05, at commit 81dfe65, the model trained without this source): templates-l
learned recall 1.000, FPR 0.200 (rules only the same); every PHI family at 1.000 (the containers
were all opened); clean families flagged signed_purchase_order 1.000, docx_meeting_minutes
0.333, xlsx_stock_list 0.200, forwarded_bulletin_rfc822 0.067 (the other four 0.000). Overall
over every source: learned recall 0.9966, FPR 0.0177, worst PHI family templates-a/
mental_health_note at 0.9667. No label was changed after the run. One template was: the signed
families' signature part was 602 random bytes, which phigate holds as unreadable binary (fail
closed) and no mail client sends; it is now a real detached CMS signature (the random stream is
drawn as before, so every other message is unchanged).
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import quopri
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

import docx
import openpyxl
from faker import Faker

from bench.corpus.generate import Mail, clean, phi
from bench.corpus.unseen import FakerGen, Source, build_source

PATIENT_LOCALES = (
    "en_GB", "en_GB", "en_GB", "en_IE", "en_IN", "pl_PL", "fr_FR", "de_DE", "cs_CZ", "hu_HU",
    "ro_RO", "pt_PT", "es_ES", "it_IT", "tr_TR", "sk_SK", "lt_LT", "da_DK",
)  # fmt: skip
STAFF_LOCALES = ("en_GB", "en_GB", "en_IE", "en_IN", "en_AU")
# Latin-1-like and Central European locales, for the legacy-charset family.
CP1252_LOCALES = ("fr_FR", "de_DE", "es_ES", "pt_PT", "it_IT", "da_DK", "en_IE")
LATIN2_LOCALES = ("pl_PL", "cs_CZ", "hu_HU", "sk_SK", "ro_RO")

PRACTICE = "ashbourne-vale-partnership.example"
PARTNER = "ashbourne-vale-pharmacy.example"
SITES = ("Ashbourne Road Surgery", "Millbrook Health Centre")
PHYSIO = "Ashbourne Vale Physiotherapy"
PHARMACY = "Ashbourne Vale Community Pharmacy"

BASE = dt.date(2025, 10, 14)  # every date is drawn around this, never from today
ZIP_TIME = (2025, 10, 14, 9, 0, 0)
DOC_TIME = dt.datetime(2025, 10, 14, 9, 0, 0)

PROCEDURES = (
    ("Excision of sebaceous cyst, left shoulder", "minor surgery"),
    ("Steroid injection, right knee", "joint injection"),
    ("Coil (IUS) fitting", "contraception clinic"),
    ("Cryotherapy, plantar warts", "minor surgery"),
    ("Ingrown toenail wedge resection", "minor surgery"),
    ("Steroid injection, left shoulder (subacromial)", "joint injection"),
)
DIAGNOSES = (
    "type 2 diabetes", "COPD", "atrial fibrillation", "heart failure", "Parkinson's disease",
    "vascular dementia", "rheumatoid arthritis", "hypertension", "chronic kidney disease stage 3",
)  # fmt: skip
MEDS = (
    ("Metformin", "500 mg", "twice daily"), ("Ramipril", "5 mg", "once daily"),
    ("Atorvastatin", "20 mg", "at night"), ("Apixaban", "5 mg", "twice daily"),
    ("Bisoprolol", "2.5 mg", "once daily"), ("Furosemide", "40 mg", "in the morning"),
    ("Levothyroxine", "75 micrograms", "once daily"), ("Sertraline", "50 mg", "once daily"),
    ("Co-careldopa", "25/100 mg", "three times daily"), ("Donepezil", "10 mg", "at night"),
    ("Amlodipine", "5 mg", "once daily"), ("Lansoprazole", "30 mg", "once daily"),
)  # fmt: skip
PHYSIO_CONDITIONS = (
    "right total knee replacement", "left ACL reconstruction", "lumbar disc prolapse L4/5",
    "frozen shoulder (left)", "post-fracture left wrist (distal radius)", "plantar fasciitis",
)  # fmt: skip
STOCK = (
    ("Amoxicillin 500 mg capsules", "21"), ("Paracetamol 500 mg tablets", "100"),
    ("Omeprazole 20 mg capsules", "28"), ("Salbutamol 100 mcg inhaler", "1"),
    ("Sertraline 50 mg tablets", "28"), ("Ramipril 5 mg capsules", "28"),
    ("Co-codamol 30/500 tablets", "100"), ("Fostair 100/6 inhaler", "1"),
    ("Adrenaline 300 mcg auto-injector", "2"), ("Metformin 500 mg tablets", "56"),
)  # fmt: skip
SHORTAGES = (
    "Estradiol 2 mg tablets", "Creon 25000 capsules", "Isosorbide mononitrate 60 mg MR",
    "Lisdexamfetamine 30 mg capsules", "Fluoxetine 60 mg tablets", "Salbutamol 2.5 mg nebules",
)  # fmt: skip
HOMECARE = ("Bluebell Home Care", "Carewell Domiciliary Services", "Heartwood Homecare")


@dataclass
class Rich(Mail):
    """A Mail whose body is a ready MIME tree (multipart, calendar, signed ...) when `tree` is set;
    otherwise rendered from body, html, charset and attachments."""

    tree: MIMEPart | None = None


def _surname(f: Faker, sex: str) -> str:
    """A surname in the form for the patient's sex where the locale has one (Novák/Nováková)."""
    by_sex = getattr(f, "last_name_female" if sex == "F" else "last_name_male", None)
    return str(by_sex() if by_sex else f.last_name())


class Gen(FakerGen):
    """templates-l's generator: one patient (name, sex, birth date, NHS number, UK address) per
    message, and dates drawn from the random stream around a fixed base date."""

    patient_locales = PATIENT_LOCALES
    staff_locales = STAFF_LOCALES

    def __init__(self, rng: random.Random) -> None:
        super().__init__(rng)
        self.sex = rng.choice("FM")
        self.given = str(
            self.pt.first_name_female() if self.sex == "F" else self.pt.first_name_male()
        )
        self.family = _surname(self.pt, self.sex)
        self.birth = BASE - dt.timedelta(days=rng.randint(18 * 365, 94 * 365))
        self.uk = Faker("en_GB")
        self.uk.seed_instance(rng.randrange(2**32))
        self.nhs = self._nhs_number()

    def _nhs_number(self) -> str:
        """A ten-digit number whose last digit is the modulus-11 check of the first nine."""
        while True:
            d = [self.rng.randint(0, 9) for _ in range(9)]
            if d[0] == 0:
                continue
            check = 11 - sum(x * (10 - i) for i, x in enumerate(d)) % 11
            check = 0 if check == 11 else check
            if check != 10:
                s = "".join(map(str, d)) + str(check)
                return f"{s[:3]} {s[3:6]} {s[6:]}"

    def patient(self) -> str:
        return f"{self.given} {self.family}"

    def title(self) -> str:
        return self.pick("Mrs", "Ms", "Miss") if self.sex == "F" else "Mr"

    def another(self, locales: tuple[str, ...] = PATIENT_LOCALES) -> tuple[str, str, dt.date]:
        """Another patient for tables: given, family, birth date."""
        f = Faker(self.rng.choice(locales))
        f.seed_instance(self.rng.randrange(2**32))
        return str(f.first_name()), str(f.last_name()), self.date_back(18 * 365, 92 * 365)

    def relocale(self, locales: tuple[str, ...]) -> None:
        """Redraw this message's patient from one of `locales` (for a legacy charset)."""
        f = Faker(self.rng.choice(locales))
        f.seed_instance(self.rng.randrange(2**32))
        self.given = str(f.first_name_female() if self.sex == "F" else f.first_name_male())
        self.family = _surname(f, self.sex)

    def street(self) -> str:
        return str(self.uk.street_address()).replace("\n", ", ")

    def town(self) -> str:
        return str(self.uk.city())

    def postcode(self) -> str:
        return str(self.uk.postcode())

    def mobile(self) -> str:
        return f"07{self.rng.randint(300, 999)} {self.digits(6)}"

    def nhs_other(self) -> str:
        return self._nhs_number()

    # dates
    def date_near(self, before: int = 40, after: int = 40) -> dt.date:
        return BASE + dt.timedelta(days=self.rng.randint(-before, after))

    def date_back(self, low: int, high: int) -> dt.date:
        return BASE - dt.timedelta(days=self.rng.randint(low, high))

    def when(self, d: dt.date) -> dt.datetime:
        """A quarter-hour in surgery hours on day `d`."""
        return dt.datetime(
            d.year, d.month, d.day, self.rng.randint(8, 17), self.rng.choice((0, 15, 30, 45))
        )

    def uk_date(self, d: dt.date) -> str:
        return d.strftime(self.pick("%d/%m/%Y", "%d %B %Y", "%d-%b-%Y", "%d.%m.%Y"))

    def dob(self) -> str:
        return self.uk_date(self.birth)

    def site(self) -> str:
        return self.rng.choice(SITES)

    def med(self) -> tuple[str, str, str]:
        return self.rng.choice(MEDS)

    def sign(self, *orgs: str) -> str:
        org = self.pick(*(orgs or (*SITES, PHARMACY, PHYSIO)))
        return f"\n\n{self.staff()}\n{org}\n{self.landline()}\n"

    def landline(self) -> str:
        return f"01{self.rng.randint(202, 999)} {self.digits(6)}"


# ------------------------------------------------------------------------- MIME helpers


def _part(text: str, subtype: str = "plain", **params: str) -> MIMEPart:
    p = MIMEPart()
    p.set_content(text, subtype=subtype)
    for k, v in params.items():
        p.set_param(k, v)
    return p


def _file(name: str, ctype: str, data: bytes) -> MIMEPart:
    main, _, sub = ctype.partition("/")
    p = MIMEPart()
    p.set_content(data, maintype=main, subtype=sub, filename=name)
    return p


def _mixed(*parts: MIMEPart, subtype: str = "mixed") -> MIMEPart:
    m = MIMEPart()
    m.set_type(f"multipart/{subtype}")
    for p in parts:
        m.attach(p)
    return m


def _rich(label: str, subject: str, summary: str, tree: MIMEPart, where: tuple[str, ...]) -> Rich:
    base = phi(subject, summary) if label == "phi" else clean(subject, summary)
    return Rich(base.subject, base.body, base.label, where if label == "phi" else (), tree=tree)


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with every member's timestamp fixed, and office dates pinned."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2025-10-14T09:00:00Z", body)
            dst.writestr(zipfile.ZipInfo(info.filename, ZIP_TIME), body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _zip(files: list[tuple[str, str]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in files:
            z.writestr(zipfile.ZipInfo(name, ZIP_TIME), text.encode("utf-8"), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _xlsx(sheet: str, rows: list[list[str]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    wb.properties.created = DOC_TIME
    wb.properties.modified = DOC_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_zip(buf.getvalue())


def _docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    d = docx.Document()
    d.core_properties.created = DOC_TIME
    d.core_properties.modified = DOC_TIME
    d.core_properties.author = "Ashbourne Vale"
    for text in paragraphs:
        d.add_paragraph(text)
    if table:
        t = d.add_table(rows=0, cols=len(table[0]))
        for row in table:
            cells = t.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                cell.text = value
    buf = io.BytesIO()
    d.save(buf)
    return _fixed_zip(buf.getvalue())


def _ics_text(s: str) -> str:
    return s.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics(lines: list[str]) -> str:
    """Fold each content line at 73 characters, CRLF-terminated."""
    out: list[str] = []
    for line in lines:
        while len(line) > 73:
            out.append(line[:73])
            line = " " + line[73:]
        out.append(line)
    return "\r\n".join(out) + "\r\n"


def _event(
    g: Gen,
    uid: str,
    start: dt.datetime,
    minutes: int,
    summary: str,
    desc: str,
    location: str,
    attendees: list[tuple[str, str]],
) -> str:
    fmt = "%Y%m%dT%H%M%S"
    end = start + dt.timedelta(minutes=minutes)
    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Ashbourne Vale//Appointments 4.2//EN",
        "VERSION:2.0",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{(start - dt.timedelta(days=g.rng.randint(2, 20))).strftime(fmt)}Z",
        f"DTSTART;TZID=Europe/London:{start.strftime(fmt)}",
        f"DTEND;TZID=Europe/London:{end.strftime(fmt)}",
        f"SUMMARY:{_ics_text(summary)}",
        f"DESCRIPTION:{_ics_text(desc)}",
        f"LOCATION:{_ics_text(location)}",
        f"ORGANIZER;CN={g.staff()}:mailto:{g.st.user_name()}@{PRACTICE}",
    ]
    for cn, mail in attendees:
        lines.append(f"ATTENDEE;CN={_ics_text(cn)};ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:{mail}")
    lines += [
        "BEGIN:VALARM",
        "TRIGGER:-PT30M",
        "ACTION:DISPLAY",
        "DESCRIPTION:Reminder",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return _ics(lines)


def _calendar_tree(g: Gen, note: str, ics: str) -> MIMEPart:
    """An invitation as clients send it: text and calendar as alternatives, or an .ics file."""
    if g.variant(2):
        cal = _part(ics, "calendar", method="REQUEST")
        return _mixed(_part(note), cal, subtype="alternative")
    return _mixed(_part(note), _file("invite.ics", "text/calendar", ics.encode("utf-8")))


def _vcard(lines: list[str]) -> bytes:
    return ("\r\n".join(["BEGIN:VCARD", "VERSION:3.0", *lines, "END:VCARD"]) + "\r\n").encode()


# A real detached CMS signature (made once by `openssl cms -sign` with a throwaway EC key), as a
# mail client attaches one: structurally a SignedData, though not over this message's bytes.
_SIGNATURE = base64.b64decode(
    "MIIDlAYJKoZIhvcNAQcCoIIDhTCCA4ECAQExDTALBglghkgBZQMEAgEwCwYJKoZIhvcNAQcBoIIBvjCCAbowggFh"
    "oAMCAQICFGejNj6WPC4czgMdjyfPfesqp8LAMAoGCCqGSM49BAMCMDMxMTAvBgNVBAMMKHBoYXJtYWN5QGFzaGJv"
    "dXJuZS12YWxlLXBoYXJtYWN5LmV4YW1wbGUwHhcNMjYxMjA1MTA0NjMzWhcNMzYxMjAyMTA0NjMzWjAzMTEwLwYD"
    "VQQDDChwaGFybWFjeUBhc2hib3VybmUtdmFsZS1waGFybWFjeS5leGFtcGxlMFkwEwYHKoZIzj0CAQYIKoZIzj0D"
    "AQcDQgAEgZOdLCMhc+RhR+zW0PzM88ucXlJHgq9gkPFS/uk8N2Kk5yN6+dD7qcJ7V6NQTRx6eVcPjWiGJDELYYtN"
    "rJOtWaNTMFEwHQYDVR0OBBYEFNvPCeKojkRuLvE1NZKpahquiAf4MB8GA1UdIwQYMBaAFNvPCeKojkRuLvE1NZKp"
    "ahquiAf4MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgGTxqi74TH+RtDekxDrUv6EqybHABfyIO"
    "FumAvOVk04UCIFU99ERCzW2gOT86DqnYVGx5Hhl6cVMIOEma4VqFqGKIMYIBnDCCAZgCAQEwSzAzMTEwLwYDVQQD"
    "DChwaGFybWFjeUBhc2hib3VybmUtdmFsZS1waGFybWFjeS5leGFtcGxlAhRnozY+ljwuHM4DHY8nz33rKqfCwDAL"
    "BglghkgBZQMEAgGggeQwGAYJKoZIhvcNAQkDMQsGCSqGSIb3DQEHATAcBgkqhkiG9w0BCQUxDxcNMjYxMjA1MTA0"
    "NjMzWjAvBgkqhkiG9w0BCQQxIgQg5cNJDbGt3VjlnVchMgPo8vChHDZBF52eEx3aueWBp44weQYJKoZIhvcNAQkP"
    "MWwwajALBglghkgBZQMEASowCwYJYIZIAWUDBAEWMAsGCWCGSAFlAwQBAjAKBggqhkiG9w0DBzAOBggqhkiG9w0D"
    "AgICAIAwDQYIKoZIhvcNAwICAUAwBwYFKw4DAgcwDQYIKoZIhvcNAwICASgwCgYIKoZIzj0EAwIERjBEAiBHg3qB"
    "4FE9GKtNnkm0Oc+8sI9H7YaArQPYhnsv1WoMugIgUoNRTYSxYS2qY5RpgXu8uweO5QvfeN2b7SPNG7wJhHU="
)


def _signed(inner: MIMEPart, g: Gen) -> MIMEPart:
    """A clear-signed wrapper: the content, and a detached PKCS#7 signature (a fixed one)."""
    sig = MIMEPart()
    g.rng.randbytes(600)  # the random stream stays as it was when the source was first measured
    blob = _SIGNATURE
    sig.set_content(blob, maintype="application", subtype="pkcs7-signature", filename="smime.p7s")
    m = _mixed(inner, sig, subtype="signed")
    m.set_param("protocol", "application/pkcs7-signature")
    m.set_param("micalg", "sha-256")
    return m


def _forward(g: Gen, sender: str, to: str, subject: str, body: str, html: str = "") -> MIMEPart:
    """A message/rfc822 part holding a whole earlier message."""
    inner = EmailMessage()
    inner["From"] = sender
    inner["To"] = to
    inner["Subject"] = subject
    inner["Date"] = format_datetime(g.when(g.date_near(20, 0)).replace(tzinfo=dt.UTC))
    inner["Message-ID"] = f"<{g.digits(10)}.{g.digits(5)}@{sender.split('@')[-1].rstrip('>')}>"
    inner.set_content(body)
    if html:
        inner.add_alternative(html, subtype="html")
    p = MIMEPart()
    p.set_content(inner)
    p.add_header("Content-Disposition", "attachment", filename=f"{subject[:40]}.eml")
    return p


def _html(title: str, intro: str, head: list[str], rows: list[list[str]], outro: str) -> str:
    th = "".join(f"<th>{h}</th>" for h in head)
    trs = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>\n" for r in rows)
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>\n"
        f"<p>{intro}</p>\n<table border='1' cellpadding='4'><tr>{th}</tr>\n{trs}</table>\n"
        f"<p>{outro}</p>\n</body></html>\n"
    )


def _rtf_escape(s: str) -> str:
    out = []
    for ch in s:
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ord(ch) > 127:
            code = ord(ch)
            out.append(f"\\u{code if code < 32768 else code - 65536}?")
        elif ch == "\n":
            out.append("\\par\n")
        else:
            out.append(ch)
    return "".join(out)


# ------------------------------------------------------------------------- PHI families


def procedure_invite_ics(g: Gen) -> Mail:
    proc, clinic = g.rng.choice(PROCEDURES)
    start = g.when(g.date_near(0, 30))
    summary = g.pick(
        f"{clinic.title()}: {g.patient()} - {proc}",
        f"{g.family.upper()}, {g.given} ({clinic})",
        f"{proc} - {g.title()} {g.family}",
    )
    desc = (
        f"Patient: {g.patient()}\nDOB: {g.dob()}\nNHS No: {g.nhs}\nMobile: {g.mobile()}\n"
        f"Procedure: {proc}\nConsent form signed; on {g.med()[0]}. "
        f"{g.pick('Allow 40 min.', 'Needs chaperone.', 'Check INR on the day.', '')}"
    )
    ics = _event(
        g,
        f"{g.digits(12)}@{PRACTICE}",
        start,
        g.rng.choice((20, 30, 40)),
        summary,
        desc,
        f"Treatment room {g.rng.randint(1, 4)}, {g.site()}",
        [(g.staff(), f"{g.st.user_name()}@{PRACTICE}")],
    )
    note = g.pick(
        "Invitation for the minor-ops list attached, please accept so it shows in your diary.",
        "Adding you to this session - details in the invite.",
        "Calendar invite below. Thanks.",
    ) + g.sign(*SITES)
    return _rich(
        "phi",
        g.pick("Invitation: minor ops session", f"Invitation: {clinic}", "Updated invitation"),
        note,
        _calendar_tree(g, note, ics),
        ("attachment",),
    )


def homecare_vcard(g: Gen) -> Mail:
    agency = g.rng.choice(HOMECARE)
    dx = g.rng.choice(DIAGNOSES)
    visits, start = g.rng.randint(2, 4), g.uk_date(g.date_near(0, 14))
    card = _vcard(
        [
            f"N:{g.family};{g.given};;{g.title()};",
            f"FN:{g.patient()}",
            f"BDAY:{g.birth.isoformat()}",
            f"ADR;TYPE=HOME:;;{g.street()};{g.town()};;{g.postcode()};United Kingdom",
            f"TEL;TYPE=CELL:{g.mobile()}",
            f"NOTE:NHS {g.nhs}. {dx.capitalize()}. Key safe code with care coordinator. "
            f"Double-handed care x{visits} daily from {start}.",
            f"CATEGORIES:{g.pick('Client', 'New package', 'Reablement')}",
        ]
    )
    note = (
        f"Hi,\n\nAs discussed, contact card for the new client attached so your carers have the "
        f"address and number. Care plan to follow from the district nurses.{g.sign()}"
    )
    tree = _mixed(_part(note), _file(f"{g.given}_{g.family}.vcf", "text/vcard", card))
    return _rich("phi", f"New package of care - {agency}", note, tree, ("attachment",))


def forwarded_discharge_rfc822(g: Gen) -> Mail:
    dx = g.rng.choice(DIAGNOSES)
    m1, m2 = g.rng.sample(MEDS, 2)
    hospital = g.pick("Royal Derwent Infirmary", "St Aldhelm's Hospital", "Kingsmead General")
    inner = (
        f"Discharge summary\n\nPatient: {g.patient()}\nDOB: {g.dob()}\nNHS number: {g.nhs}\n"
        f"Address: {g.street()}, {g.town()} {g.postcode()}\n\n"
        f"Admitted {g.uk_date(g.date_near(30, 0))} with an exacerbation of {dx}. "
        f"Discharged on {m1[0]} {m1[1]} {m1[2]} (new) and {m2[0]} {m2[1]} {m2[2]}.\n"
        f"GP actions: bloods in one week; review medication at two weeks.\n\n"
        f"{g.doctor()}, {g.pick('Acute Medicine', 'Care of the Elderly', 'Respiratory')}\n"
    )
    fwd = _forward(
        g,
        f"discharges@{hospital.lower().replace(' ', '').replace(chr(39), '')}.example",
        f"admin@{PRACTICE}",
        g.pick("Discharge notification", "eDischarge summary"),
        inner,
    )
    note = g.pick(
        "Forwarding this one for the pharmacy to set up the new blister pack, see attached.",
        "FYI - attached discharge, can you reconcile the meds please.",
        "Please see the forwarded message and action.",
    ) + g.sign(*SITES)
    return _rich(
        "phi",
        g.pick("Fwd: Discharge notification", "FW: eDischarge", "Fwd: for action"),
        note,
        _mixed(_part(note), fwd),
        ("attachment",),
    )


def zipped_referral_letter(g: Gen) -> Mail:
    cond = g.rng.choice(PHYSIO_CONDITIONS)
    letter = (
        f"{g.site()}\n{g.uk_date(g.date_near(10, 0))}\n\nDear colleague,\n\n"
        f"Re: {g.title()} {g.patient()}, DOB {g.dob()}, NHS {g.nhs}\n"
        f"{g.street()}, {g.town()}, {g.postcode()}\n\n"
        f"Thank you for seeing this patient with {cond}. Pain score {g.rng.randint(4, 9)}/10, "
        f"struggling with stairs. Past history of {g.rng.choice(DIAGNOSES)}.\n\n"
        f"Yours sincerely\n{g.doctor()}\n"
    )
    meds = io.StringIO()
    w = csv.writer(meds)
    w.writerow(["patient", "nhs_no", "drug", "dose", "frequency"])
    for _ in range(g.rng.randint(2, 4)):
        w.writerow([g.patient(), g.nhs.replace(" ", ""), *g.med()])
    files = [(g.pick("referral.txt", "letter.txt", f"ref_{g.digits(5)}.txt"), letter)]
    if g.variant(3):
        files.append(("medications.csv", meds.getvalue()))
    note = g.pick(
        f"Referral to {PHYSIO} attached (zipped, as the portal rejects loose files).",
        "Please find the referral pack attached.",
        "Zip attached for the MSK triage list.",
    ) + g.sign(*SITES)
    tree = _mixed(
        _part(note),
        _file(
            g.pick("referral.zip", "docs.zip", f"pack{g.digits(4)}.zip"),
            "application/zip",
            _zip(files),
        ),
    )
    return _rich(
        "phi",
        g.pick("MSK referral", "Physio referral", "Referral pack"),
        note,
        tree,
        ("attachment",),
    )


def rtf_physio_letter(g: Gen) -> Mail:
    cond = g.rng.choice(PHYSIO_CONDITIONS)
    sessions = g.rng.randint(4, 12)
    text = (
        f"{PHYSIO}\n\nDischarge letter\n\nPatient: {g.patient()}\nDate of birth: {g.dob()}\n"
        f"NHS number: {g.nhs}\n\nDiagnosis: {cond}\n"
        f"Attended {sessions} sessions between {g.uk_date(g.date_back(40, 120))} and "
        f"{g.uk_date(g.date_near(10, 0))}. Knee flexion now {g.rng.randint(95, 125)} degrees; "
        f"walking without aids. Home exercise programme given.\n\n{g.staff()}, MCSP\n"
    )
    rtf = "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Calibri;}}\\f0\\fs22\n"
    rtf += _rtf_escape(text) + "}\n"
    name = g.pick("discharge_letter.rtf", f"DL{g.digits(6)}.rtf", "letter.rtf")
    ctype = g.pick("application/rtf", "text/rtf", "application/msword")
    note = g.pick(
        "Discharge letter attached for the notes.",
        "Please file the attached letter.",
        "Letter attached.",
    ) + g.sign(PHYSIO)
    tree = _mixed(_part(note), _file(name, ctype, rtf.encode("ascii")))
    return _rich(
        "phi",
        g.pick("Physio discharge", "Discharge letter", "Letter for scanning"),
        note,
        tree,
        ("attachment",),
    )


def html_table_blister_packs(g: Gen) -> Mail:
    rows = [
        [
            g.patient(),
            g.dob(),
            g.nhs,
            ", ".join(m[0] for m in g.rng.sample(MEDS, 2)),
            g.pick("Ready", "Awaiting script", "Dose change"),
        ]
    ]
    for _ in range(g.rng.randint(2, 5)):
        given, family, birth = g.another()
        rows.append(
            [
                f"{given} {family}",
                g.uk_date(birth),
                g.nhs_other(),
                ", ".join(m[0] for m in g.rng.sample(MEDS, 2)),
                g.pick("Ready", "Awaiting script", "Dose change", "Hospital - hold"),
            ]
        )
    html = _html(
        "Blister packs",
        f"Hi, here are this week's monitored dosage packs for delivery from {PHARMACY}:",
        ["Patient", "DOB", "NHS no.", "Medicines", "Status"],
        rows,
        f"Any queries call the dispensary. {g.staff()}",
    )
    tree = _part(html, "html")
    return _rich(
        "phi",
        g.pick("MDS packs this week", "Blister pack deliveries", "Dosette list"),
        html,
        tree,
        ("html",),
    )


def alternative_stub_inr(g: Gen) -> Mail:
    inr = round(g.rng.uniform(1.4, 4.6), 1)
    dose = g.rng.choice(("3 mg", "4 mg", "5 mg", "3.5 mg", "6 mg"))
    stub = g.pick(
        "This message contains formatted content. Please view it in an HTML-capable client.",
        "Your mail client cannot display this message.",
        "Anticoagulation clinic - see HTML version.",
    )
    html = _html(
        "INR clinic",
        "Anticoagulation clinic result and warfarin dosing:",
        ["Name", "DOB", "NHS number", "INR", "Target", "Dose", "Next test"],
        [[g.patient(), g.dob(), g.nhs, str(inr), "2.0-3.0", dose, g.uk_date(g.date_near(0, 28))]],
        g.pick(
            "Please make sure the patient has enough tablets.",
            "Dose changed - call patient.",
            "No change.",
        ),
    )
    tree = _mixed(_part(stub), _part(html, "html"), subtype="alternative")
    return _rich(
        "phi", g.pick("INR result", "Anticoag dosing", "Warfarin clinic"), stub, tree, ("html",)
    )


def xlsx_physio_waiting_list(g: Gen) -> Mail:
    head = ["Surname", "Forename", "DOB", "NHS No", "Condition", "Referred", "Priority"]
    rows = [
        head,
        [
            g.family,
            g.given,
            g.birth.strftime("%d/%m/%Y"),
            g.nhs,
            g.rng.choice(PHYSIO_CONDITIONS),
            g.uk_date(g.date_near(60, 0)),
            "Urgent",
        ],
    ]
    for _ in range(g.rng.randint(3, 9)):
        given, family, birth = g.another()
        rows.append(
            [
                family,
                given,
                birth.strftime("%d/%m/%Y"),
                g.nhs_other(),
                g.rng.choice(PHYSIO_CONDITIONS),
                g.uk_date(g.date_near(90, 0)),
                g.pick("Routine", "Soon", "Urgent"),
            ]
        )
    note = g.pick(
        "Updated MSK waiting list attached for Thursday's triage meeting.",
        "Here's the waiting list export you asked for.",
        "List attached - please check the urgent ones.",
    ) + g.sign(PHYSIO)
    data = _xlsx("Waiting list", rows)
    tree = _mixed(
        _part(note),
        _file(
            g.pick("waiting_list.xlsx", f"MSK_WL_{g.digits(4)}.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            data,
        ),
    )
    return _rich(
        "phi",
        g.pick("MSK waiting list", "Physio WL update", "Waiting list"),
        note,
        tree,
        ("attachment",),
    )


def docx_fit_note_letter(g: Gen) -> Mail:
    start = g.date_near(14, 0)
    weeks = g.rng.randint(1, 6)
    reason = g.pick(
        "lumbar back pain",
        "stress-related illness",
        "post-operative recovery",
        "depression",
        "fractured ankle",
    )
    paras = [
        g.site(),
        g.uk_date(g.date_near(3, 0)),
        "To whom it may concern",
        f"Re: {g.patient()}, date of birth {g.dob()}, {g.street()}, {g.postcode()}",
        f"I assessed this patient on {g.uk_date(start)}. Because of {reason} they are not fit "
        f"for work for {weeks} weeks; a phased return with amended duties is advised thereafter.",
        f"NHS number {g.nhs}.",
        "Yours faithfully",
        g.doctor(),
    ]
    data = _docx(paras)
    note = g.pick(
        "Covering letter for the fit note attached, as requested by the employer.",
        "Letter attached for your HR department.",
        "Please find the requested letter attached.",
    ) + g.sign(*SITES)
    tree = _mixed(
        _part(note),
        _file(
            g.pick("letter.docx", f"fitnote_{g.digits(5)}.docx"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            data,
        ),
    )
    return _rich(
        "phi",
        g.pick("Fit note letter", "Letter for employer", "Sickness letter"),
        note,
        tree,
        ("attachment",),
    )


def signed_cd_supply(g: Gen) -> Mail:
    drug = g.pick(
        "Morphine sulfate MR 10 mg",
        "Oxycodone 5 mg capsules",
        "Buprenorphine 10 mcg/h patch",
        "Diazepam 5 mg tablets",
        "Methadone 1 mg/ml oral solution",
    )
    body = (
        f"To the responsible pharmacist, {PHARMACY}\n\n"
        f"Controlled drug instalment for {g.patient()} (DOB {g.dob()}, NHS {g.nhs}), "
        f"{g.street()}, {g.town()}.\n{drug}: supply {g.rng.randint(7, 28)} days from "
        f"{g.uk_date(g.date_near(0, 7))}. Patient in recovery programme; do not supply to a "
        f"representative. Missed pick-ups: call the surgery.{g.sign(*SITES)}"
    )
    tree = _signed(_part(body), g)
    return _rich(
        "phi",
        g.pick("CD instalment - signed", "Controlled drug supply", "Signed: CD"),
        body,
        tree,
        ("body",),
    )


def legacy_qp_accented(g: Gen) -> Mail:
    charset = g.pick("windows-1252", "iso-8859-2")
    g.relocale(CP1252_LOCALES if charset == "windows-1252" else LATIN2_LOCALES)
    m = g.med()
    her = "her" if g.sex == "F" else "his"
    body = (
        f"Dear {g.pick('colleague', 'Sister', 'team')},\n\n"
        f"{g.title()} {g.patient()} (born {g.dob()}, NHS {g.nhs}) called about {her} "
        f"{g.rng.choice(DIAGNOSES)} medication. Please start {m[0]} {m[1]} {m[2]} from "
        f"{g.uk_date(g.date_near(0, 10))} and book a review with the practice nurse.\n"
        f"The family's contact number is {g.mobile()}.{g.sign()}"
    )
    p = MIMEPart()
    p["Content-Type"] = f'text/plain; charset="{charset}"'
    p["Content-Transfer-Encoding"] = "quoted-printable"
    raw = body.replace("\n", "\r\n").encode(charset, errors="replace")
    p.set_payload(quopri.encodestring(raw).decode("ascii"))
    return _rich(
        "phi", g.pick("Medication change", "Please action", "Phone message"), body, p, ("body",)
    )


def misleading_base64_attachment(g: Gen) -> Mail:
    refer = g.pick("diabetic eye screening", "memory clinic", "cardiology")
    text = (
        f"CLINICAL NOTE\nName: {g.patient()}\nDOB: {g.dob()}\nNHS: {g.nhs}\n"
        f"Seen {g.uk_date(g.date_near(10, 0))} at {g.site()}: {g.rng.choice(DIAGNOSES)} review. "
        f"Plan: continue {g.med()[0]}; refer {refer}.\n"
    )
    name, ctype = g.rng.choice(
        (
            ("scan0042.jpg", "image/jpeg"),
            ("image001.png", "image/png"),
            ("document.pdf", "application/pdf"),
            ("attachment.bin", "application/octet-stream"),
            ("IMG_2231.HEIC", "image/heic"),
        )
    )
    note = g.pick("Scan attached.", "See attachment.", "As requested.", "") + g.sign()
    tree = _mixed(_part(note), _file(name, ctype, text.encode("utf-8")))
    return _rich(
        "phi", g.pick("Scan", "Document", "Re: notes", "Attachment"), note, tree, ("attachment",)
    )


# ------------------------------------------------------------------------- clean families


def staff_rota_ics(g: Gen) -> Mail:
    start = g.when(g.date_near(0, 30))
    what = g.pick(
        "Practice clinical meeting",
        "Physio in-service training: shoulder assessment",
        "Dispensary rota planning",
        "Fire warden training",
        "Partners' business meeting",
    )
    desc = (
        f"Agenda: rota for {start.strftime('%B')}, leave requests, CQC action plan. "
        f"Lunch provided. Cover: {g.staff()} on reception."
    )
    people = [(g.staff(), f"{g.st.user_name()}@{PRACTICE}") for _ in range(g.rng.randint(2, 5))]
    ics = _event(
        g, f"{g.digits(12)}@{PRACTICE}", start, 60, what, desc, f"Seminar room, {g.site()}", people
    )
    note = (
        g.pick(
            "Invite for the meeting below.", "Please accept or decline.", "Diary invite attached."
        )
        + g.sign()
    )
    return _rich("clean", f"Invitation: {what}", note, _calendar_tree(g, note, ics), ())


def supplier_vcard(g: Gen) -> Mail:
    company = g.company()
    name = g.staff()
    first, _, last = name.rpartition(" ")
    card = _vcard(
        [
            f"N:{last};{first};;;",
            f"FN:{name}",
            f"ORG:{company}",
            f"TITLE:{g.pick('Account Manager', 'Territory Rep', 'Customer Services')}",
            f"TEL;TYPE=WORK:{g.landline()}",
            f"EMAIL;TYPE=WORK:{g.st.user_name()}@supplies.example",
            f"ADR;TYPE=WORK:;;{g.st.street_address()};{g.st.city()};;{g.st.postcode()};UK",
            "NOTE:Dressings\\, gloves and sharps bins. Orders before 2pm ship same day.",
        ]
    )
    note = (
        f"Hi,\n\nContact card for our new rep at {company} attached - use them for dressings and "
        f"consumables orders from now on.{g.sign()}"
    )
    tree = _mixed(_part(note), _file(f"{last}.vcf", "text/x-vcard", card))
    return _rich("clean", "New supplier contact", note, tree, ())


def forwarded_bulletin_rfc822(g: Gen) -> Mail:
    items = g.rng.sample(SHORTAGES, 3)
    inner = (
        "Wholesaler supply bulletin\n\n"
        + "".join(
            f"- {d}: out of stock until {g.uk_date(g.date_near(0, 60))}; "
            f"{g.pick('alternative brand available', 'SSP in place', 'allocate by branch')}.\n"
            for d in items
        )
        + "\nOrder cut-off over the bank holiday is 11:00. Customer services 0345 000 0000.\n"
    )
    html = (
        "<html><body><h3>Supply bulletin</h3><ul>"
        + "".join(f"<li>{d}</li>" for d in items)
        + "</ul></body></html>"
    )
    fwd = _forward(
        g,
        "bulletins@wholesaler.example",
        f"pharmacy@{PARTNER}",
        g.pick("Supply update", "Weekly shortages bulletin"),
        inner,
        html if g.variant(2) else "",
    )
    note = (
        g.pick(
            "FYI for the prescribers - see the forwarded bulletin before issuing these.",
            "Forwarding the shortages list.",
            "See below, worth a look.",
        )
        + g.sign()
    )
    return _rich(
        "clean",
        g.pick("Fwd: Supply update", "FW: shortages bulletin"),
        note,
        _mixed(_part(note), fwd),
        (),
    )


def zipped_policy_docs(g: Gen) -> Mail:
    files = [
        (
            "infection_control_policy.txt",
            f"Infection Prevention and Control Policy\nVersion {g.rng.randint(2, 9)}.0, reviewed "
            f"{g.uk_date(g.date_near(60, 0))}\nLead: {g.staff()}\nHand hygiene audits quarterly; "
            "sharps bins closed at three-quarters full; spillage kits in each treatment room.\n",
        ),
        (
            "chaperone_policy.txt",
            "Chaperone Policy\nAll patients are offered a chaperone for intimate examinations. "
            "Chaperones are trained staff; the offer is recorded in the notes.\n",
        ),
        (
            "lone_working.txt",
            f"Lone working\nPhysiotherapists doing home visits log out with reception at "
            f"{g.site()}; call-back within 90 minutes.\n",
        ),
    ]
    note = (
        g.pick(
            "Updated policies zipped up for the new starters.",
            "Policy pack for the CQC folder attached.",
            "Policies attached.",
        )
        + g.sign()
    )
    tree = _mixed(
        _part(note), _file("policies.zip", "application/zip", _zip(files[: g.rng.randint(2, 3)]))
    )
    return _rich(
        "clean", g.pick("Policy pack", "Updated policies", "CQC folder docs"), note, tree, ()
    )


def html_flu_clinic_sessions(g: Gen) -> Mail:
    rows = []
    d = g.date_near(0, 10)
    for _ in range(g.rng.randint(3, 6)):
        d += dt.timedelta(days=g.rng.randint(1, 5))
        rows.append(
            [
                d.strftime("%A %d %B"),
                g.site(),
                g.pick("08:30-12:00", "13:30-17:00", "09:00-13:00"),
                g.pick("65 and over", "2-3 year olds", "At-risk adults", "Carers and staff"),
            ]
        )
    html = _html(
        "Flu clinics",
        "<b>Flu and COVID-19 vaccination clinics</b> this autumn at our surgeries:",
        ["Date", "Site", "Time", "Who"],
        rows,
        f"Book online or call {g.landline()}. {PHARMACY} also offers walk-in flu jabs.",
    )
    if g.variant(2):
        tree = _mixed(
            _part("Flu clinic dates - view in HTML."), _part(html, "html"), subtype="alternative"
        )
    else:
        tree = _part(html, "html")
    return _rich("clean", g.pick("Flu clinics this autumn", "Book your flu jab"), html, tree, ())


def xlsx_stock_list(g: Gen) -> Mail:
    rows = [["Item", "Pack", "Qty", "Batch", "Expiry", "Supplier"]]
    for item, pack in g.rng.sample(STOCK, g.rng.randint(4, 8)):
        rows.append(
            [
                item,
                pack,
                str(g.rng.randint(1, 40)),
                f"{g.pick('A', 'B', 'K', 'X')}{g.digits(6)}",
                (BASE + dt.timedelta(days=g.rng.randint(60, 900))).strftime("%m/%Y"),
                g.pick("Alliance", "AAH", "Phoenix"),
            ]
        )
    note = g.pick(
        "Stock count for the month end attached.",
        "Order list for Monday attached.",
        "Short-dated stock list attached.",
    ) + g.sign(PHARMACY)
    tree = _mixed(
        _part(note),
        _file(
            "stock.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            _xlsx("Stock", rows),
        ),
    )
    return _rich("clean", g.pick("Stock list", "Month-end stock", "Order list"), note, tree, ())


def signed_purchase_order(g: Gen) -> Mail:
    lines = "".join(
        f"{i + 1}. {item} x{g.rng.randint(1, 20)} @ GBP {g.rng.randint(2, 80)}.{g.digits(2)}\n"
        for i, (item, _) in enumerate(g.rng.sample(STOCK, 3))
    )
    body = (
        f"Purchase order PO-{g.digits(6)}\nFrom: {PHARMACY}, {g.site()}\n"
        f"Delivery by {g.uk_date(g.date_near(0, 10))}\n\n{lines}\n"
        f"Invoice to accounts@{PRACTICE}. VAT reg GB{g.digits(9)}.{g.sign(PHARMACY)}"
    )
    return _rich(
        "clean",
        g.pick("Signed: purchase order", "PO for approval"),
        body,
        _signed(_part(body), g),
        (),
    )


def docx_meeting_minutes(g: Gen) -> Mail:
    present = [g.staff() for _ in range(g.rng.randint(4, 7))]
    paras = [
        f"Ashbourne Vale Partnership - practice meeting {g.uk_date(g.date_near(20, 0))}",
        "Present: " + ", ".join(present),
        f"1. Rota: {present[0]} to cover Millbrook reception on Fridays.",
        "2. Physiotherapy: new self-referral form live on the website.",
        "3. Pharmacy: fridge temperature log reviewed, no excursions.",
        f"4. AOB: car park resurfacing {g.uk_date(g.date_near(0, 40))}.",
    ]
    actions = [
        ["Action", "Owner", "Due"],
        ["Update leave spreadsheet", present[1], g.uk_date(g.date_near(0, 14))],
        ["Order new couch roll", present[-1], g.uk_date(g.date_near(0, 14))],
    ]
    note = (
        g.pick("Minutes attached.", "Draft minutes for comment.", "Minutes from today.") + g.sign()
    )
    tree = _mixed(
        _part(note),
        _file(
            "minutes.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            _docx(paras, actions),
        ),
    )
    return _rich("clean", g.pick("Practice meeting minutes", "Minutes"), note, tree, ())


FAMILIES: dict[str, Callable[[Gen], Mail]] = {
    "procedure_invite_ics": procedure_invite_ics,
    "homecare_vcard": homecare_vcard,
    "forwarded_discharge_rfc822": forwarded_discharge_rfc822,
    "zipped_referral_letter": zipped_referral_letter,
    "rtf_physio_letter": rtf_physio_letter,
    "html_table_blister_packs": html_table_blister_packs,
    "alternative_stub_inr": alternative_stub_inr,
    "xlsx_physio_waiting_list": xlsx_physio_waiting_list,
    "docx_fit_note_letter": docx_fit_note_letter,
    "signed_cd_supply": signed_cd_supply,
    "legacy_qp_accented": legacy_qp_accented,
    "misleading_base64_attachment": misleading_base64_attachment,
    "staff_rota_ics": staff_rota_ics,
    "supplier_vcard": supplier_vcard,
    "forwarded_bulletin_rfc822": forwarded_bulletin_rfc822,
    "zipped_policy_docs": zipped_policy_docs,
    "html_flu_clinic_sessions": html_flu_clinic_sessions,
    "xlsx_stock_list": xlsx_stock_list,
    "signed_purchase_order": signed_purchase_order,
    "docx_meeting_minutes": docx_meeting_minutes,
}

SOURCE = Source("templates-l", "l", 12, 1200000, PRACTICE, PARTNER, "unseen-l")


def render(mail: Mail, g: Gen, seq: int, source: Source = SOURCE) -> bytes:
    """The message as RFC 5322 bytes: the headers `unseen.render` writes, over the family's MIME
    tree (or, for a plain Mail, its body and attachments); every boundary fixed from `seq`."""
    msg = EmailMessage()
    msg["From"] = f"{g.staff()} <{g.st.user_name()}@{source.practice}>"
    msg["To"] = f"{g.st.user_name()}@{g.pick(source.partner, 'mail.example', source.practice)}"
    msg["Subject"] = mail.subject
    msg["Message-ID"] = f"<{source.tag}-{seq}@{source.practice}>"
    msg["Date"] = format_datetime(g.when(g.date_near(5, 5)).replace(tzinfo=dt.UTC))
    tree = mail.tree if isinstance(mail, Rich) else None
    if tree is None:
        msg.set_content(mail.body, subtype="html" if mail.html else "plain")
        for name, ctype, data in mail.attachments:
            main, _, sub = ctype.partition("/")
            msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    else:
        for key, value in tree.items():
            msg[key] = value
        payload = tree.get_payload()
        msg.set_payload(list(payload) if isinstance(payload, list) else payload)
    if "MIME-Version" not in msg:
        msg["MIME-Version"] = "1.0"
    for i, part in enumerate(msg.walk()):
        if part.get_content_maintype() == "multipart":
            part.set_boundary(f"{source.tag}-boundary-{seq}-{i}")
    return msg.as_bytes(policy=SMTP)


def build(out: Path, per_family: int, seed: int) -> list[dict[str, object]]:
    """Write this file's families into `out` (msg_l_NNNNN.eml) through this file's own
    `render`; return their manifest rows."""
    return build_source(out, per_family, seed, SOURCE, FAMILIES, Gen, render_mail=render)
