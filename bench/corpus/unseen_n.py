"""Blind template source templates-n: terse, informal and sensitive-care mail.

Outbound mail of a US primary-care and behavioral-health group practice (Northgate Health
Partners) with an integrated behavioral health clinic, a medication-assisted-treatment (MAT)
program, a women's health clinic and a pediatrics wing, written the way staff actually type:
lowercase shorthand (pt, y/o, hx, dx, f/u, s/p, c/o, r/o, rx, abx), initials plus a surname, a
first name with a DOB or chart number, typos and "Sent from my iPhone". The PHI families are a
clinician's terse handoff, care-coordination one-liners, therapy-session reschedules, a safety
plan follow-up after suicidal ideation, psychiatric medication monitoring (lithium, clozapine ANC,
valproate, QTc), a behavioral-health intake summary, a crisis-line callback, buprenorphine and
methadone dose changes and missed MAT visits (with the 42 CFR Part 2 notice or without), urine
drug screen results, a recovery-housing verification letter, hCG and prenatal result callbacks,
IUD/implant scheduling, pregnancy-loss follow-up and abortion-care referral, HIV PrEP/PEP
follow-up, STI result callbacks with partner notification, gender-affirming hormone care with a
preferred and legal name, a parent's mail about a child forwarded by staff, a family member's
mail about an elderly parent answered in a quoted thread, and a domestic-violence advocate
referral. Some are HTML, some carry an Outlook "-----Original Message-----" or a Gmail "On ...
wrote:" quote. Patients' names come from Faker locales of many origins (Cyrillic transliterated,
Chinese and Japanese romanized, Arabic names from a small Latin-script list), sometimes only a
first name with a DOB, MRN or phone, "Mrs. K." with an MRN, or a nickname. Every PHI message
ties health information to a person identifiable from it. The clean families are hard negatives
in the same informal style and topics that name staff but no patient: a potluck thread, a nurse
shift swap, a doctor running late, a consultation-group agenda with de-identified vignettes, MAT
aggregate monthly stats, a suicide-prevention training invite, a contraceptive pharma-rep visit,
a support-group flyer and an IT password reset.

Written blind: its author read only the `Mail`/`phi`/`clean` helpers of generate.py, the
generator, `render`, `Source` and `build_source` of unseen.py and the registration lines and
`render` of unseen_m.py (and, by a slip, that module's docstring, which describes its families).
Nothing was run through the detectors or the gateway. Generated deterministically from the seed:
every choice comes from the source's random stream, Faker instances are reseeded from it, and
dates are drawn around a fixed base date (2025-03-12), never from today.
"""

from __future__ import annotations

import datetime as dt
import html
import random
import re
import unicodedata
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from faker import Faker

from bench.corpus.generate import Mail, clean, phi
from bench.corpus.unseen import FakerGen, Source, build_source, finish_message

PRACTICE = "northgate-health-partners.example"
PRACTICE_NAME = "Northgate Health Partners"
BASE = dt.date(2025, 3, 12)

PATIENT_LOCALES = (
    "en_US", "en_US", "en_US", "es_MX", "es_MX", "vi_VN", "zh_CN", "ar_AA", "ru_RU", "hi_IN",
    "tl_PH", "pt_BR", "fr_FR", "ja_JP", "uk_UA", "ig_NG", "yo_NG", "pl_PL", "it_IT", "en_GB",
)  # fmt: skip
STAFF_LOCALES = ("en_US", "en_US", "en_US", "en_IN", "es_MX", "en_CA", "en_PH")
FAKER_LOCALE = {"hi_IN": "en_IN", "ar_AA": "en_US"}

AR_FEMALE = (
    "Fatima", "Layla", "Noor", "Mariam", "Huda", "Rania", "Yasmin", "Amal", "Salma", "Dalia",
    "Reem", "Hanan", "Samira", "Lina", "Aisha",
)  # fmt: skip
AR_MALE = (
    "Omar", "Khalid", "Youssef", "Ahmed", "Tariq", "Samir", "Hassan", "Karim", "Nabil", "Faisal",
    "Bilal", "Walid", "Ibrahim", "Mahmoud", "Ziad",
)  # fmt: skip
AR_FAMILY = (
    "Haddad", "Al-Masri", "Nasser", "Khoury", "Saleh", "Hamdan", "Abboud", "Mansour", "Darwish",
    "Aziz", "Qasim", "El-Sayed", "Barakat", "Suleiman", "Jaber", "Al-Khatib", "Yousef",
)  # fmt: skip
PH_FAMILY = (
    "Santos", "Reyes", "Cruz", "Bautista", "Dela Cruz", "Villanueva", "Mendoza", "Ramos",
    "Aquino", "Castillo", "Manalo", "Pascual", "Navarro", "Macaraeg", "Dimaculangan",
)  # fmt: skip
CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяієїґ",
        (
            "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
            "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya",
            "i", "ye", "yi", "g",
        ),
        strict=True,
    )
)  # fmt: skip
NICKNAMES = {
    "Elizabeth": "Liz", "Robert": "Bobby", "William": "Billy", "Margaret": "Peggy",
    "Katherine": "Kate", "Jennifer": "Jen", "Michael": "Mike", "Christopher": "Chris",
    "Alejandro": "Alex", "Francisco": "Paco", "José": "Pepe", "Guadalupe": "Lupe",
    "Jessica": "Jess", "Patricia": "Patty", "Richard": "Rick", "Daniel": "Danny",
    "Anthony": "Tony", "Joseph": "Joe", "Samantha": "Sam", "Victoria": "Vicky",
    "Alexander": "Sasha", "Aleksandr": "Sasha", "Ekaterina": "Katya", "Dmitriy": "Dima",
    "Roberto": "Beto", "Rebecca": "Becca", "Nicholas": "Nick", "Benjamin": "Ben",
    "Fernando": "Nando", "Eduardo": "Lalo", "Mohammed": "Mo", "Ibrahim": "Ibo",
}  # fmt: skip

THERAPY_CREDS = ("LCSW", "LPC", "PsyD", "LMFT", "LICSW", "PhD", "LMHC")
PHARMACIES = (
    "CVS on Main", "Walgreens (Elm St)", "Rite Aid #4471", "the Kroger pharmacy", "Costco pharmacy",
    "Northgate outpatient pharmacy", "Walmart pharmacy on Rt 9", "Hometown Drug",
)  # fmt: skip


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def translit(text: str) -> str:
    out = []
    for ch in text:
        low = ch.lower()
        if low in CYRILLIC:
            t = CYRILLIC[low]
            out.append(t.capitalize() if ch != low else t)
        else:
            out.append(ch)
    return "".join(out)


_FAKERS: dict[tuple[str, str], Faker] = {}


def faker(role: str, locale: str, rng: random.Random) -> Faker:
    """A Faker for one role and locale, built once and reseeded from the stream each time."""
    key = (role, locale)
    if key not in _FAKERS:
        _FAKERS[key] = Faker(locale)
    f = _FAKERS[key]
    f.seed_instance(rng.randrange(2**32))
    return f


class Gen(FakerGen):
    """templates-n's generator: one patient per message (name, sex, birth date, MRN, phone) plus
    the sender, a staff member of the practice."""

    patient_locales = PATIENT_LOCALES
    staff_locales = STAFF_LOCALES

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.locale = rng.choice(self.patient_locales)
        self.pt = faker("pt", FAKER_LOCALE.get(self.locale, self.locale), rng)
        self.st = faker("st", rng.choice(self.staff_locales), rng)
        self.us = faker("us", "en_US", rng)
        self.sex = rng.choice("FM")
        self.given, self.family = self.person(self.sex)
        self.birth = self.born(18, 80)
        self.mrn_value = self.pick(
            self.digits(8),
            f"NG{self.digits(7)}",
            f"{self.digits(3)}-{self.digits(3)}-{self.digits(2)}",
            f"00{self.digits(6)}",
            f"E{self.digits(6)}",
        )
        self.me = self.staff()
        self.me_role = self.pick(
            "RN", "MA", "LPN", "RN Care Coordinator", "Front Desk", "MD", "NP", "PA-C", "LCSW",
            "Patient Navigator", "Referral Coordinator", "BH Care Manager",
        )  # fmt: skip
        self.to = ""
        self.named_full = False
        self.when_sent = dt.datetime.combine(
            BASE, dt.time(self.rng.randint(6, 21), self.rng.randint(0, 59))
        )

    # ---------------------------------------------------------------- people
    def person(self, sex: str) -> tuple[str, str]:
        loc, f = self.locale, self.pt
        if loc == "ar_AA":
            return self.rng.choice(AR_FEMALE if sex == "F" else AR_MALE), self.rng.choice(AR_FAMILY)
        if loc in ("zh_CN", "ja_JP"):
            return str(f.first_romanized_name()), str(f.last_romanized_name())
        given = " ".join(str(f.first_name_female() if sex == "F" else f.first_name_male()).split())
        if loc in ("ru_RU", "uk_UA"):
            family = str(f.last_name_female() if sex == "F" else f.last_name_male())
            return translit(given), translit(family)
        family = str(f.last_name())
        if loc == "tl_PH" and self.rng.random() < 0.7:
            family = self.rng.choice(PH_FAMILY)
        return given, family

    def first_of(self, sex: str) -> str:
        return self.person(sex)[0]

    def patient(self) -> str:
        return f"{self.given} {self.family}"

    def first(self) -> str:
        return self.given

    def last(self) -> str:
        return self.family

    def nick(self) -> str:
        return NICKNAMES.get(self.given, self.given)

    def title(self) -> str:
        if self.sex == "F":
            return self.pick("Mrs.", "Ms.", "Ms", "Mrs")
        return self.pick("Mr.", "Mr")

    def initial_last(self) -> str:
        return f"{self.given[0]}. {self.family}"

    def she(self) -> str:
        return "she" if self.sex == "F" else "he"

    def her(self) -> str:
        return "her" if self.sex == "F" else "his"

    def her_obj(self) -> str:
        return "her" if self.sex == "F" else "him"

    def sexc(self) -> str:
        return self.pick("f", "F") if self.sex == "F" else self.pick("m", "M")

    # ---------------------------------------------------------------- identifiers
    def born(self, low: int, high: int) -> dt.date:
        self.birth = BASE - dt.timedelta(days=self.rng.randint(low * 365 + 10, high * 365 + 350))
        return self.birth

    def age(self) -> int:
        b = self.birth
        return BASE.year - b.year - ((BASE.month, BASE.day) < (b.month, b.day))

    def dob(self) -> str:
        b = self.birth
        return self.pick(
            f"{b.month}/{b.day}/{b.year}",
            f"{b.month}/{b.day}/{b.year % 100:02d}",
            f"{b.month:02d}/{b.day:02d}/{b.year}",
            b.isoformat(),
            f"{b.strftime('%b')} {b.day}, {b.year}",
            f"{b.day} {b.strftime('%b')} {b.year}",
            f"{b.month}-{b.day}-{b.year}",
        )

    def dob_tag(self) -> str:
        return f"{self.pick('DOB', 'dob', 'DOB:', 'd.o.b.', 'dob:', 'born')} {self.dob()}"

    def mrn(self) -> str:
        label = self.pick("MRN", "mrn", "MRN:", "MR#", "mrn#", "chart #", "chart", "acct")
        return f"{label} {self.mrn_value}"

    def phone_pt(self) -> str:
        a = self.rng.choice((201, 267, 312, 347, 415, 484, 508, 610, 617, 646, 718, 732, 856, 908))
        b, c = self.rng.randint(200, 989), self.digits(4)
        return self.pick(f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"{a} {b} {c}")

    def email_pt(self, given: str = "", family: str = "") -> str:
        given = ascii_fold(given or self.given).lower().replace(" ", "")
        family = ascii_fold(family or self.family).lower().replace(" ", "").replace("-", "")
        local = self.pick(
            f"{given}.{family}", f"{given}{family[:1]}{self.digits(2)}", f"{given[:1]}{family}",
            f"{family}{given[:1]}{self.digits(3)}", f"{given}_{family}",
        )  # fmt: skip
        domain = self.pick("gmail.example", "yahoo.example", "icloud.example", "outlook.example")
        return f"{local}@{domain}"

    def address(self) -> str:
        u = self.us
        return f"{u.street_address()}, {u.city()}, {u.state_abbr()} {u.zipcode()}"

    def ident(self) -> str:
        """One of the ways staff point at the patient, each one identifying on its own."""
        return self.pick(
            f"{self.given} {self.family}",
            f"{self.given.lower()} {self.family.lower()}",
            f"{self.given[0].lower()}. {self.family.lower()}",
            f"{self.family}, {self.given}",
            f"{self.given} ({self.dob_tag()})",
            f"{self.given.lower()} {self.dob_tag()}",
            f"{self.given} {self.family[0]}. ({self.mrn()})",
            f"{self.title()} {self.family[0]}. {self.mrn()}",
            f"{self.title()} {self.family}",
        )

    # ---------------------------------------------------------------- staff and time
    def doctor(self) -> str:
        return self.pick("Dr. ", "Dr ", "dr ", "Dr. ") + str(self.st.last_name())

    def clinician(self) -> str:
        name = str(self.st.last_name())
        return self.pick(f"Dr. {name}", f"Dr {name}", f"{self.st.first_name()} {name}, NP")

    def therapist(self) -> str:
        return f"{self.st.first_name()} {self.st.last_name()}, {self.rng.choice(THERAPY_CREDS)}"

    def staff(self) -> str:
        return " ".join(f"{self.st.first_name()} {self.st.last_name()}".split())

    def dear(self, given: str = "") -> str:
        """The greeting of a message to the patient: a first name, or the full name."""
        given = given or self.given
        greeting = self.pick(
            f"Hi {given},", f"Hi {given},", f"Dear {given} {self.family},", f"Hello {given} {self.family},",
            f"{given} {self.family} -", f"Dear {given},",
        )  # fmt: skip
        self.named_full = self.family in greeting
        return greeting

    def ref_line(self) -> str:
        """Under a first-name-only greeting, half the time the reference line a practice's
        patient mail carries; nothing after a full-name greeting."""
        if self.named_full or self.rng.random() < 0.5:
            return ""
        b = self.birth
        return self.pick(
            f"Acct #: {self.mrn_value}", f"Patient: {self.given} {self.family} | MRN {self.mrn_value}",
            f"Ref: {self.family.upper()}, {self.given.upper()}", f"For: {self.given} {self.family[0]}. (DOB {b.month}/{b.day}/{b.year})",
            f"Chart: {self.mrn_value}",
        )  # fmt: skip

    def me_first(self) -> str:
        return self.me.split()[0]

    def initials(self) -> str:
        return "".join(p[0] for p in self.me.split() if p[:1].isalpha())[:3].upper()

    def day(self, lo: int = -20, hi: int = 30) -> dt.date:
        """A weekday lo..hi days from the base date (a weekend moves to the Friday or Monday)."""
        d = BASE + dt.timedelta(days=self.rng.randint(lo, hi))
        return d + dt.timedelta(days={5: -1, 6: 1}.get(d.weekday(), 0))

    def date(self, d: dt.date) -> str:
        return self.pick(
            f"{d.month}/{d.day}/{d.year}",
            f"{d.month}/{d.day}/{d.year % 100:02d}",
            f"{d.month:02d}/{d.day:02d}/{d.year}",
            d.isoformat(),
            f"{d.strftime('%B')} {d.day}, {d.year}",
            f"{d.day} {d.strftime('%b')} {d.year}",
        )

    def appt(self, d: dt.date) -> str:
        return self.pick(
            f"{d.strftime('%a').lower()} {d.month}/{d.day}",
            f"{d.strftime('%A')} {d.month}/{d.day}",
            f"{d.strftime('%A, %B')} {d.day}",
            f"{d.month}/{d.day}",
            f"{d.strftime('%a %b')} {d.day}",
            f"{d.strftime('%A')} the {d.day}{ordinal(d.day)}",
        )

    def clock(self) -> str:
        h, m = self.rng.randint(7, 18), self.rng.choice((0, 0, 15, 20, 30, 40, 45))
        ap = "am" if h < 12 else "pm"
        return self.pick(f"{(h - 1) % 12 + 1}:{m:02d}", f"{(h - 1) % 12 + 1}:{m:02d} {ap}",
                         f"{(h - 1) % 12 + 1}:{m:02d}{ap}", f"{h:02d}{m:02d}")  # fmt: skip

    def stamp(self, hours_back: int) -> dt.datetime:
        t = self.when_sent - dt.timedelta(hours=hours_back, minutes=self.rng.randint(0, 59))
        if t.hour < 7:  # nobody here mails at 3 am: the evening before instead
            t -= dt.timedelta(hours=t.hour + self.rng.randint(2, 5))
        return t

    # ---------------------------------------------------------------- style
    def typo(self, text: str, p: float = 0.5) -> str:
        """Swap two letters in one ordinary word (never a name), with probability p."""
        if self.rng.random() >= p:
            return text
        protect = {self.given.lower(), self.family.lower()}
        spans = [
            m.span()
            for m in re.finditer(r"\b[a-z]{5,}\b", text)
            if m.group().lower() not in protect
        ]
        if not spans:
            return text
        a, b = self.rng.choice(spans)
        i = self.rng.randint(a + 1, b - 3)
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]

    def hello(self, name: str = "") -> str:
        opts = ["", "", "hi,", "hey", "Hi all,", "Hello,", "Good morning,", "hi team", "Morning -"]
        if name:
            opts += [f"Hi {name},", f"hey {name}", f"{name} -", f"{name},", f"Hi {name}!"]
        return self.rng.choice(opts)

    def bye(self) -> str:
        first = self.me_first()
        return self.pick(
            "", "thx", "thanks!", f"- {first}", f"Thanks,\n{first}", f"thx\n{self.initials()}",
            "Sent from my iPhone", f"{first}\n\nSent from my iPhone", "ty", "tia",
            f"Best,\n{self.me}, {self.me_role}\n{PRACTICE_NAME}",
            f"Thank you,\n{self.me}\n{self.me_role} | {PRACTICE_NAME}\nx{self.digits(4)}",
            "Sent from my Galaxy", "Get Outlook for iOS",
        )  # fmt: skip

    def where(self, subject: str, *extra: str) -> tuple[str, ...]:
        keys = [self.given, self.family, self.mrn_value, *extra]
        for k in keys:
            if k and re.search(rf"(?<!\w){re.escape(k)}(?!\w)", subject, re.IGNORECASE):
                return ("subject", "body")
        return ("body",)


def ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def join(*parts: str) -> str:
    return "\n\n".join(p.strip("\n") for p in parts if p and p.strip()) + "\n"


def as_html(*paras: str, table: list[tuple[str, str]] | None = None, after: int = 1) -> str:
    """Paragraphs (and a two-column table after the `after`-th one) as a small HTML body."""
    out = ['<html><body style="font-family:Calibri,Arial,sans-serif;font-size:11pt">']
    for i, p in enumerate(x for x in paras if x):
        text = html.escape(p).replace("\n", "<br>")
        out.append(f"<p>{text}</p>")
        if table and i + 1 == after:
            out.append('<table border="1" cellpadding="4" cellspacing="0">')
            for k, v in table:
                out.append(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>")
            out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def gmail_quote(who: str, email: str, when: dt.datetime, text: str) -> str:
    head = f"On {when.strftime('%a, %b')} {when.day}, {when.year} at {when.strftime('%I:%M %p')}"
    lines = [f"> {line}" if line else ">" for line in text.strip("\n").splitlines()]
    return f"{head} {who} <{email}> wrote:\n" + "\n".join(lines)


def outlook_quote(frm: str, to: str, when: dt.datetime, subject: str, text: str) -> str:
    sent = f"{when.strftime('%A, %B')} {when.day}, {when.year} {when.strftime('%I:%M %p')}"
    return (
        f"-----Original Message-----\nFrom: {frm}\nSent: {sent}\nTo: {to}\n"
        f"Subject: {subject}\n\n{text.strip()}"
    )


def forwarded(frm: str, when: dt.datetime, subject: str, to: str, text: str) -> str:
    date = f"{when.strftime('%a, %b')} {when.day}, {when.year} at {when.strftime('%I:%M %p')}"
    return (
        f"---------- Forwarded message ---------\nFrom: {frm}\nDate: {date}\n"
        f"Subject: {subject}\nTo: {to}\n\n{text.strip()}"
    )


def bare(name: str) -> str:
    """A name without honorifics and suffixes ("Dr.", "Lic.", "Jr.", "MD")."""
    keep = [
        t
        for t in name.split()
        if not t.endswith(".") and t not in ("MD", "DDS", "PhD", "DVM", "II", "III", "IV")
    ]
    return " ".join(keep) or name


def staff_addr(g: Gen, name: str) -> str:
    user = ascii_fold(bare(name)).lower().replace(" ", ".").replace(",", "").replace("'", "")
    return f"{user}@{PRACTICE}"


PART2_NOTICE = (
    "This information has been disclosed to you from records protected by federal "
    "confidentiality rules (42 CFR part 2). The federal rules prohibit you from making any "
    "further disclosure of information in this record that identifies a patient as having or "
    "having had a substance use disorder unless further disclosure is expressly permitted by "
    "the written consent of the individual whose information is being disclosed or as otherwise "
    "permitted by 42 CFR part 2."
)


# ------------------------------------------------------------------------- PHI families

COMPLAINTS = (
    "cp", "sob", "cough x1wk", "dizziness", "lbp", "uti sx", "ha", "rash on arms", "abd pain",
    "palpitations", "fever/chills", "sore throat", "r knee pain", "fatigue", "n/v", "dysuria",
)  # fmt: skip
HX = (
    "htn", "dm2", "copd", "chf", "afib on eliquis", "ckd3", "asthma", "hld", "osa on cpap",
    "hypothyroid", "gerd", "obesity", "mdd", "cad s/p stent", "gad", "oud on bup",
)  # fmt: skip
PLANS = (
    "ekg nsr, trop neg x1", "cxr ordered", "rx amox 875 bid x7d", "ua pos, rx macrobid x5d",
    "d-dimer pending r/o pe", "sent to ED for eval", "start lisinopril 10", "bmp/cbc/a1c drawn",
    "neb given, improved", "ortho referral placed", "increase metformin to 1000 bid",
    "rx azithro z-pak", "flu/covid swab neg", "abx not indicated, supportive care",
)  # fmt: skip
PROCS = (
    "lap chole", "r tka", "cabg x3", "appy", "c-section", "cardiac cath", "hernia repair",
    "colonoscopy w/ polypectomy", "l hip fx orif", "tonsillectomy",
)  # fmt: skip
RULE_OUT = ("pe", "acs", "pna", "dvt", "appendicitis", "kidney stone", "cellulitis", "covid")


def terse_handoff(g: Gen) -> Mail:
    age, sx, n = g.age(), g.sexc(), g.rng.randint(2, 9)
    who = g.ident()
    c, plan = g.rng.choice(COMPLAINTS), g.rng.choice(PLANS)
    hx = ", ".join(g.rng.sample(HX, g.rng.randint(1, 3)))
    yo = g.pick("yo", "y/o", " yo", "y.o.", "")
    v = g.variant(5)
    if v == 0:
        body = (
            f"pt {who} {age}{yo} {sx} c/o {c} x{n}d. hx {hx}. {plan}. "
            f"f/u {g.pick('2wk', '1 wk', 'prn', 'in am', 'fri')} w/ {g.doctor()}"
        )
    elif v == 1:
        body = (
            f"re {who}\n{age}{sx} s/p {g.rng.choice(PROCS)} {g.date(g.day(-40, -3))}\n"
            f"{g.pick('doing ok', 'more pain today', 'bp soft', 'incision red', 'low grade temp')}"
            f" - {plan}\npls {g.pick('f/u', 'call', 'recheck labs', 'see')} "
            f"{g.pick('tmrw', 'next wk', 'thurs', 'asap')}"
        )
    elif v == 2:
        body = (
            f"{who} in rm {g.rng.randint(1, 14)} - bp {g.rng.randint(128, 192)}/"
            f"{g.rng.randint(74, 118)} hr {g.rng.randint(58, 124)}, {c}, hx {hx}. "
            f"r/o {g.rng.choice(RULE_OUT)}. can u see next? {g.pick('labs drawn', 'ekg done', '')}"
        )
    elif v == 3:
        cc, dx, rx = g.pick(
            ("burning w/ urination", "uti", f"macrobid sent to {g.rng.choice(PHARMACIES)}"),
            ("congestion + facial pain x10d", "sinusitis", "augmentin sent"),
            ("n/v/d", "viral gastro", "zofran sent"),
            ("low back pain after lifting", "msk strain", "no rx, heat/nsaids"),
            ("sore throat, fever", "strep (home test +)", "amox sent"),
        )  # fmt: skip
        body = (
            f"covering for {g.doctor()} - {who} called c/o {cc} since {g.pick('sat', 'mon', 'last nt')}"
            f", on {g.pick('lisinopril', 'metformin', 'sertraline', 'eliquis', 'prednisone')}. "
            f"told {g.her_obj()} {g.pick('to go to UC if worse', 'fluids + tylenol', 'to come in am')}."
            f" dx likely {dx}. {rx}. {g.pick('plz', 'pls')} f/u"
        )
    else:
        body = (
            f"- pt: {who}\n- {age}{yo}{sx}\n- cc: {c}\n- hx: {hx}\n- dx: "
            f"{g.pick('r/o ' + g.rng.choice(RULE_OUT), 'uncontrolled htn', 'dm2 a1c 10.1', 'pna')}"
            f"\n- plan: {plan}\n- f/u: {g.appt(g.day(2, 14))}"
        )
    body = g.typo(body, 0.7)
    if g.rng.random() < 0.6:
        body = body.lower()
    subject = g.pick(
        "", "pt", "fyi", "handoff", "f/u", f"re: rm {g.rng.randint(1, 9)}", g.family.lower(),
        f"{g.given[0]}{g.family[0]}", "quick q", f"re: {g.family}", "signout",
    )  # fmt: skip
    return phi(subject, join(g.hello(g.st.first_name()), body, g.bye()), where=g.where(subject))


def coord_oneliner(g: Gen) -> Mail:
    a1c = round(g.rng.uniform(7.4, 12.8), 1)
    partial = f"{g.given.lower()} {g.family[0].lower()}"
    phone = g.phone_pt()
    svc = g.pick("psych", "therapy", "bh", "MAT", "his psych f/u", "her therapy appt", "pcp")
    v = g.variant(7)
    if v == 0:
        body = (
            f"can u call back {partial} re {g.her()} a1c {a1c}? {g.pick('#', 'cell', 'ph', 'tel')} "
            f"{phone}. {g.pick('dr wants to start ozempic', 'needs f/u', 'up from 8.1', '')}"
        )
    elif v == 1:
        body = (
            f"FYI {g.title().lower()} {g.family.lower()} no-showed {svc} again "
            f"({g.date(g.day(-6, -1))}). {g.rng.randint(2, 4)}rd miss this qtr. "
            f"{g.pick('pls send letter', 'outreach?', 'care mgr aware', 'dob ' + g.dob())}"
        )
    elif v == 2:
        body = (
            f"{g.patient()} called, needs {g.pick('sertraline', 'lisinopril', 'bup film', 'adderall', 'insulin', 'albuterol')} "
            f"refill, out since {g.pick('sat', 'yesterday', 'tues', 'last wk')}. pharm "
            f"{g.rng.choice(PHARMACIES)}"
        )
    elif v == 3:
        lab = g.pick(f"k {round(g.rng.uniform(5.6, 6.4), 1)}", f"tsh {round(g.rng.uniform(0.01, 0.2), 2)}",
                     f"hgb {round(g.rng.uniform(6.8, 8.4), 1)}", f"inr {round(g.rng.uniform(3.6, 5.2), 1)}")  # fmt: skip
        body = f"labs back on {g.ident()} - {lab}. {g.doctor()} wants {g.her_obj()} in this wk"
    elif v == 4:
        body = (
            f"{g.given} ({g.mrn()}) is in rm {g.rng.randint(1, 12)}, "
            f"{g.pick('bp 188/104', 'sugar 412', 'crying, phq9 22', 'o2 sat 89%')}, can someone "
            f"grab {g.doctor()}"
        )
    elif v == 5:
        body = (
            f"pls scan {g.patient()}'s {g.pick('colonoscopy report', 'ER d/c papers', 'mammo result', 'cardiology note')}"
            f" into chart, {g.dob_tag()}"
        )
    else:
        body = (
            f"{g.nick().lower()} {g.family.lower()} left vm - {g.pick('bad reaction to the abx, hives', 'bp cuff reading 170s at home', 'still spotting', 'wants to restart zoloft')}"
            f". cb {phone}"
        )
    body = g.typo(body, 0.6)
    if g.rng.random() < 0.5:
        body = body.lower()
    subject = g.pick("", "call back", "fyi", "quick one", "msg", "pls", f"{partial}", "cb pls")
    return phi(subject, join(body, g.bye()), where=g.where(subject, partial))


SESSIONS = (
    "therapy session", "CBT session", "EMDR session", "individual session", "couples session",
    "DBT individual", "med management visit", "telehealth session", "psychotherapy appt",
)  # fmt: skip


def therapy_reschedule(g: Gen) -> Mail:
    th = g.therapist()
    old, new = g.day(1, 10), g.day(5, 20)
    sess = g.rng.choice(SESSIONS)
    v = g.variant(4)
    if v == 0:
        g.to = g.email_pt()
        g.me = th.split(",")[0]
        body = join(
            g.dear(),
            f"This is {th.split(',')[0]} from the Behavioral Health clinic at Northgate. I need to "
            f"move our {sess} on {g.appt(old)} at {g.clock()}. Could we do {g.appt(new)} at "
            f"{g.clock()} instead? {g.pick('Still on video (same link).', 'Same room, 2nd floor.', 'It can be telehealth if easier.')}",
            g.pick("Just reply here or call the front desk to confirm.",
                   "Let me know if that doesn't work and we'll find another time.",
                   "Sorry for the short notice!"),
            g.ref_line(),
            f"{th}\n{g.pick('Behavioral Health', 'Integrated Behavioral Health')} | {PRACTICE_NAME}",
        )  # fmt: skip
        subject = g.pick(
            "Rescheduling our session",
            f"{g.given} - new time?",
            "Change to our appointment",
            "next week",
        )
    elif v == 1:
        body = join(
            g.hello(),
            f"pls move {g.patient()}'s {sess} ({g.pick('wk 6 of 12', 'ongoing', 'intake f/u', 'biweekly')}) "
            f"from {g.appt(old)} to {g.appt(new)} w/ {th.split(',')[0]}, "
            f"{g.she()} {g.pick('asked for an evening slot', 'has a new job', 'has court that day', 'is sick')}",
            g.bye(),
        )  # fmt: skip
        subject = g.pick("resched", "BH schedule change", f"{g.family} appt", "move appt pls")
    elif v == 2:
        cpt = g.pick("90837", "90834", "90832", "90847", "99214 + 90833")
        body = join(
            f"{g.patient()} ({g.mrn()}) - cancel {cpt} on {g.date(old)}, "
            f"{g.pick('client ill', 'no childcare', 'transportation', 'client request')}; "
            f"rebook w/ {th} {g.pick('same time next wk', 'first open slot', 'before 4/1 if possible')}",
            g.bye(),
        )
        subject = g.pick("cancel", f"cx {cpt}", "BH cancellation", f"{g.given} {g.family[0]}")
    else:
        g.to = f"bh-scheduling@{PRACTICE}"
        when = g.stamp(g.rng.randint(3, 40))
        client_txt = g.pick(
            f"hi can we move thursday? my shift changed. sorry\n{g.given}",
            f"Hello, I won't make my appointment {g.appt(old)}, my son is sick. Can I come next week?\n\n{g.patient()}",
            f"hey its {g.given} {g.family}, is there anything later in the day for my session. thx",
        )  # fmt: skip
        body = join(
            g.pick(
                f"Can someone help {g.given} rebook {g.her()} {sess}?",
                f"Forwarding - pls rebook {g.given}'s {sess} w/ {th.split(',')[0]}",
                f"fyi, {g.given} {g.family[0]}. asking to move {g.her()} {sess} ({g.pick('BH', 'therapy', 'psych')})",
            ),
            g.pick(
                f"{th.split(',')[0]} has {g.appt(new)} {g.clock()} open.",
                f"I have {g.appt(new)} {g.clock()} open if that works for {g.her_obj()}.",
                "any evening slot next wk is fine",
            ),
            g.bye(),
            gmail_quote(g.patient(), g.email_pt(), when, client_txt),
        )
        subject = g.pick(
            "Fwd: appointment", "Fwd: my session", "FW: thursday", f"Fwd: {g.given} - session"
        )
    return phi(subject, body, where=g.where(subject))


def safety_plan_followup(g: Gen) -> Mail:
    seen = g.day(-5, -1)
    score = g.pick(
        "positive (ideation w/o plan)",
        "pos, passive SI",
        "1 (wish to be dead)",
        "2 (non-specific active thoughts)",
    )
    means = g.pick(
        "firearm now stored with brother", "meds locked up by partner, limited supply (7d)",
        "no firearms in home per pt", "pt agreed to give extra pills to mother",
    )  # fmt: skip
    contact = f"{g.first_of(g.rng.choice('FM'))}, {g.pick('sister', 'mom', 'partner', 'roommate')}"
    v = g.variant(4)
    if v == 0:
        body = join(
            g.hello("team"),
            f"Following up on {g.patient()} ({g.dob_tag()}), seen {g.date(seen)} with "
            f"{g.pick('passive suicidal ideation', 'SI without plan or intent', 'suicidal thoughts after a breakup')}."
            f" C-SSRS screen {score}. Safety plan completed with {g.her_obj()} in clinic: warning signs, coping "
            f"strategies, contacts ({contact}), 988. Means restriction: {means}.",
            f"Please call {g.her_obj()} within {g.pick('24', '48', '24-48')} h and document in the BH flowsheet. "
            f"If no answer, {g.pick('try again in the pm', 'leave a neutral vm only', 'call the emergency contact')}.",
            g.bye(),
        )  # fmt: skip
    elif v == 1:
        body = join(
            f"pt {g.given.lower()} {g.mrn()} - hi-risk flag. c-ssrs pos on {g.date(seen)}, safety "
            f"plan in chart, f/u call today pls. if no answer try emerg contact {contact} "
            f"{g.phone_pt()}",
            g.bye(),
        )
    elif v == 2:
        body = as_html(
            f"Hi {g.st.first_name()},",
            f"Safety plan follow-up for {g.patient()}, {g.mrn()}. Next contact due "
            f"{g.date(g.day(0, 3))}.",
            f"{means[0].upper()}{means[1:]}. Ok to leave voicemail: {g.pick('yes', 'no - call only', 'generic msg only')}.",
            g.bye(),
            table=[
                ("Date of visit", g.date(seen)),
                ("C-SSRS", score),
                ("Warning signs", g.pick("not sleeping, isolating", "drinking more, giving things away", "fights at home")),
                ("Coping", g.pick("walks, music, call friend", "grounding, shower, dog", "prayer, journaling")),
                ("Contacts", f"{contact}; 988; clinic line"),
                ("Follow-up", f"{g.therapist()} weekly"),
            ],
        )  # fmt: skip
        subject = g.pick("Safety plan f/u", f"Safety plan - {g.family}", "HIGH RISK f/u due")
        return phi(subject, body, where=g.where(subject), html=True)
    else:
        when = g.stamp(g.rng.randint(12, 60))
        orig = (
            f"{g.patient()} ({g.dob()}) screened positive on the PHQ-9 item 9 at today's visit. "
            f"Safety plan done, {means}. {g.pick('Declined ED eval, deemed low-moderate risk.', 'Warm handoff to BH done.')}"
        )  # fmt: skip
        body = join(
            g.pick("Called today - ", "Reached pt: ", "Update: ")
            + g.pick(
                f"{g.she()} reports thoughts are less frequent, using the plan, has appt w/ {g.therapist()} {g.appt(g.day(1, 7))}.",
                "no answer x2, left generic vm. will try emerg contact tmrw.",
                f"{g.she()} says {g.she()} is ok, sleeping better, sister staying w/ {g.her_obj()} this wk.",
            ),
            g.bye(),
            outlook_quote(g.clinician(), "BH Care Team", when, "PHQ-9 item 9 positive - safety plan", orig),
        )  # fmt: skip
        subject = g.pick("RE: PHQ-9 item 9 positive - safety plan", "RE: safety plan f/u")
        return phi(subject, body, where=g.where(subject))
    subject = g.pick(
        "safety plan f/u",
        "SI follow up",
        f"f/u {g.given.lower()}",
        "hi-risk call due",
        "BH f/u call",
    )
    return phi(subject, body, where=g.where(subject))


def psych_med_monitoring(g: Gen) -> Mail:
    drawn = g.date(g.day(-4, -1))
    v = g.variant(5)
    rows: list[tuple[str, str]] = []
    if v == 0:
        lvl = round(g.rng.uniform(0.3, 1.7), 1)
        act = (
            "subtherapeutic - increase lithium to 900 mg/d, recheck in 5-7 days" if lvl < 0.6
            else "therapeutic, no change" if lvl <= 1.2
            else "HIGH - hold tonight's dose, recheck in am, ask about tremor/confusion/diarrhea"
        )  # fmt: skip
        line = f"lithium {lvl} mEq/L (12h trough drawn {drawn}). {act}. Cr {round(g.rng.uniform(0.7, 1.5), 2)}, TSH {round(g.rng.uniform(0.8, 6.2), 1)}"
        rows = [("Lithium (trough)", f"{lvl} mEq/L"), ("Creatinine", "see chart"), ("Plan", act)]
        topic = "lithium level"
    elif v == 1:
        anc = g.rng.randrange(800, 4600, 10)
        act = (
            "ok to dispense" if anc >= 1500
            else "mild neutropenia - ANC 3x/wk, ok to continue" if anc >= 1000
            else "moderate neutropenia - interrupt clozapine, heme consult"
        )  # fmt: skip
        line = f"clozapine ANC {anc}/uL on {drawn} (REMS, on {g.rng.choice((200, 250, 300, 400))} mg qhs). {act}. next draw {g.appt(g.day(5, 9))}"
        rows = [("ANC", f"{anc}/uL"), ("Clozapine dose", "see MAR"), ("Action", act)]
        topic = "clozapine ANC"
    elif v == 2:
        lvl = g.rng.randint(32, 118)
        line = f"valproate level {lvl} mcg/mL ({drawn}), LFTs {g.pick('wnl', 'AST 64 ALT 71', 'mild elevation')}, plt {g.rng.randint(95, 310)}k. {g.pick('continue Depakote ER 1500', 'reduce to 1000 mg qhs', 'increase to 1250 mg')}"
        rows = [("Valproic acid", f"{lvl} mcg/mL"), ("Platelets", "see chart")]
        topic = "depakote level"
    elif v == 3:
        qtc = g.rng.randint(428, 512)
        line = f"ekg {drawn}: QTc {qtc} on {g.pick('citalopram 40', 'ziprasidone 80 bid', 'quetiapine 400 + methadone')}. {'switch to sertraline, cross-taper over 2 wks' if qtc > 480 else 'acceptable, repeat ekg in 3 mo'}"
        rows = [("QTc", f"{qtc} ms"), ("Plan", "cross-taper" if qtc > 480 else "repeat in 3 mo")]
        topic = "QTc"
    else:
        a, b = g.pick(("sertraline 100", "escitalopram 10"), ("fluoxetine 40", "bupropion XL 150"),
                      ("aripiprazole 5", "lurasidone 40"), ("quetiapine 200", "lamotrigine 25 titration"))  # fmt: skip
        line = f"med change: switching from {a} to {b} ({g.pick('GI side effects', 'sexual side effects', 'weight gain, a1c 6.3', 'persistent low mood, PHQ-9 18')}). cross-taper over {g.rng.randint(1, 4)} wk, f/u 4 wk"
        rows = [("Stop", a), ("Start", b)]
        topic = "med change"
    who = g.pick(g.patient(), f"{g.given} {g.family} ({g.mrn()})", f"{g.family}, {g.given} {g.dob_tag()}",
                 f"{g.given.lower()} {g.dob_tag()}", f"{g.title()} {g.family[0]}. ({g.mrn()})")  # fmt: skip
    subject = g.pick(
        topic, f"{topic} - {g.family}", f"re: {g.given} {topic}", "psych labs", "med mgmt"
    )
    if g.rng.random() < 0.35:
        body = as_html(
            g.hello(g.st.first_name()) or "Hi,",
            f"Result for {who}: {line}.",
            g.pick("Please let the patient know and update the med list.", "Pt notified by phone.", "Can you call pt?"),
            g.bye(),
            table=rows,
            after=2,
        )  # fmt: skip
        return phi(subject, body, where=g.where(subject), html=True)
    body = join(g.hello(), g.typo(f"{who} - {line}", 0.4), g.bye())
    return phi(subject, body, where=g.where(subject))


def bh_intake_summary(g: Gen) -> Mail:
    th = g.therapist()
    phq, gad = g.rng.randint(8, 25), g.rng.randint(5, 21)
    reasons = [
        "depressed mood and poor sleep after job loss", "panic attacks at work",
        "grief after mother's death in Dec", "trauma sx after MVA",
        "alcohol use increasing, wants to cut down", "irritability and low mood since divorce",
    ]  # fmt: skip
    if g.sex == "F" and g.age() < 45:
        reasons.append("anxiety and intrusive thoughts postpartum")
    if g.age() < 30:
        reasons.append("ADHD sx affecting college")
    if g.age() > 60:
        reasons.append("low mood and isolation since retiring")
    reason = g.rng.choice(reasons)
    sub = g.pick(
        "denies",
        "EtOH 4-5 drinks/night, AUDIT-C 8",
        "cannabis daily",
        "hx OUD, in remission on bup",
        "vapes nicotine",
    )
    risk = g.pick(
        "denies SI/HI",
        "passive SI hx, none current",
        "SI 2 yrs ago, no attempts",
        "denies SI, hx self-harm as teen",
    )
    dx = g.pick(
        "MDD, moderate (F32.1)",
        "GAD (F41.1)",
        "PTSD (F43.10)",
        "adjustment d/o w/ mixed anxiety and depressed mood",
        "panic d/o",
        "AUD, mild",
    )
    hdr = g.pick(
        f"{g.patient()}, {g.age()} y/o {('F' if g.sex == 'F' else 'M')}, {g.dob_tag()}",
        f"{g.family}, {g.given} ({g.mrn()})",
        f"{g.given} {g.family}, {g.age()}yo",
    )  # fmt: skip
    fields = [
        ("Client", hdr),
        ("Referred by", f"{g.clinician()} (PCP)"),
        ("Presenting problem", reason),
        ("PHQ-9 / GAD-7", f"{phq} / {gad}"),
        ("Substance use", sub),
        ("Risk", risk),
        ("Working dx", dx),
        (
            "Meds",
            g.pick("none", "sertraline 50", "bupropion XL 300", "hydroxyzine prn", "bup/nx 16/4"),
        ),
        (
            "Plan",
            g.pick(
                "weekly CBT",
                "biweekly therapy + psych eval",
                "EMDR consult",
                "DBT skills group + individual",
            ),
        ),
    ]
    subject = g.pick(
        "Intake summary",
        f"New client intake - {g.given} {g.family[0]}.",
        "intake for your caseload",
        f"BH intake: {g.family}",
    )
    hello = f"Hi {th.split()[0]},"
    intro = g.pick(
        "Assigning this intake to you - summary below.",
        "Here's the intake from this morning.",
        "New referral for you, first appt " + g.appt(g.day(2, 10)) + ".",
    )
    if g.rng.random() < 0.5:
        body = as_html(hello, intro, g.bye(), table=fields, after=2)
        return phi(subject, body, where=g.where(subject), html=True)
    body = join(hello, intro, "\n".join(f"{k}: {v}" for k, v in fields), g.bye())
    return phi(subject, body, where=g.where(subject))


def crisis_callback(g: Gen) -> Mail:
    line = g.pick(
        "988 Lifeline",
        "county mobile crisis",
        "our after-hours crisis line",
        "the crisis text line",
        "Crisis Now team",
    )
    what = g.pick(
        "was tearful, said she couldn't keep doing this" if g.sex == "F" else "was tearful, said he couldn't keep doing this",
        "had been drinking and made statements about not wanting to wake up",
        "was having a panic attack, no SI", "reported hearing voices again, off meds x1wk",
        "called after a fight w/ partner",
    )  # fmt: skip
    after = g.pick(
        "mobile team did wellness check, pt safe at home w/ sister",
        "no transport needed, pt contracted to call back", "pt declined ED, agreed to f/u here",
        "taken to ED for eval, d/c'd this am",
    )  # fmt: skip
    t = g.clock()
    v = g.variant(3)
    if v == 0:
        body = join(
            f"{line} called re {g.patient()} last night at {t}; {g.she()} {what}. {after}.",
            f"pls call back today {g.phone_pt()}, {g.dob_tag()}. {g.pick('BH on call aware', 'PCP cc', 'needs appt this wk')}",
            g.bye(),
        )
    elif v == 1:
        body = join(
            g.hello(),
            g.typo(
                f"crisis cb needed - {g.given.lower()} ({g.mrn()}) {what} per {line} overnight. {after}. cb #{g.phone_pt()}",
                0.6,
            ),
            g.bye(),
        )
    else:
        when = g.stamp(g.rng.randint(8, 14))
        orig = (
            f"Caller: {g.patient()}\nDOB: {g.dob()}\nCallback: {g.phone_pt()}\nTime: {t}\n"
            f"Summary: {what}. {after}.\nDisposition: f/u with PCP/BH within 24h"
        )
        body = join(
            g.pick("Can BH pick this up today?", "Forwarding the overnight crisis report", "see below, who's covering?"),
            g.bye(),
            outlook_quote(f"Crisis Line <crisis@{g.pick('countycrisis.example', 'partner.example')}>",
                          f"BH Intake <bh-intake@{PRACTICE}>", when, "After-hours crisis contact", orig),
        )  # fmt: skip
    subject = (
        "FW: After-hours crisis contact"
        if v == 2
        else g.pick(
            "crisis callback", "overnight crisis call", f"cb {g.given}", "988 f/u", "urgent cb"
        )
    )
    return phi(subject, body, where=g.where(subject))


BUP = ("4/1", "8/2", "12/3", "16/4", "20/5", "24/6")


def mat_dose_change(g: Gen) -> Mail:
    i = g.rng.randrange(len(BUP) - 1)
    old, new = BUP[i], BUP[i + 1]
    reason = g.pick(
        "cravings in the evening",
        "withdrawal sx by afternoon (COWS 9)",
        "return to use x2 w/ fentanyl",
        "sleeping poorly, craving",
    )
    v = g.variant(5)
    notice = PART2_NOTICE if g.rng.random() < 0.4 else ""
    if v == 0:
        body = join(
            f"{g.patient()} ({g.pick('MAT', 'OBOT', 'bup pt')}, {g.dob_tag()}) - increase bup/nx from {old} to "
            f"{new} mg SL daily due to {reason}. New rx sent to {g.rng.choice(PHARMACIES)}, "
            f"#{g.rng.choice((7, 14, 14, 28))} films. Next visit {g.appt(g.day(5, 14))}.",
            g.bye(), notice,
        )  # fmt: skip
    elif v == 1:
        m1 = g.rng.randrange(40, 120, 5)
        body = join(
            g.hello(),
            f"OTP notified: {g.given} {g.family} methadone {m1}->{m1 + g.rng.choice((5, 10))} mg, "
            f"{g.pick('guest dose at Bridgeport OTP 3/20-3/24 approved', 'take-homes stay at 2/wk', 'split dose discussed')}. "
            f"{g.mrn()}",
            g.bye(), notice,
        )  # fmt: skip
    elif v == 2:
        body = join(
            g.typo(f"{g.given.lower()} {g.family[0].lower()}. {g.dob_tag()} missed MAT visit {g.appt(g.day(-3, -1))}, has "
                   f"{g.rng.randint(0, 3)} days of film left. pls outreach {g.phone_pt()} before {g.pick('fri', 'weekend', 'rx runs out')}", 0.6),
            g.bye(), notice,
        )  # fmt: skip
    elif v == 3:
        body = as_html(
            g.hello(g.st.first_name()) or "Hello,",
            f"Dose change for {g.patient()} ({g.mrn()}): buprenorphine/naloxone {old} mg -> {new} mg daily, "
            f"effective {g.date(g.day(0, 3))}. Reason: {reason}.",
            g.pick("Please update the MAT registry and PDMP note.", "Pharmacy has been called.", "Counselor aware."),
            g.bye(), notice,
        )  # fmt: skip
        subject = g.pick("MAT dose change", f"bup dose - {g.family}", "OBOT update")
        return phi(subject, body, where=g.where(subject), html=True)
    else:
        g.to = g.email_pt()
        body = join(
            g.dear(g.nick()),
            f"This is {g.me_first()} from the MAT program. We missed you at your appointment "
            f"{g.appt(g.day(-4, -1))}. Your Suboxone prescription runs out {g.appt(g.day(1, 4))} so "
            f"please call us at the clinic or reply here so we can get you in. No judgment, we just want to keep "
            f"your treatment going.",
            g.pick("Walk-in bridge hours are Mon-Fri 8-10am.", "We can do a telehealth visit too.", ""),
            g.ref_line(),
            f"{g.me}\n{g.me_role}, Recovery Services | {PRACTICE_NAME}",
        )  # fmt: skip
    subject = g.pick(
        "dose change",
        "bup",
        "missed MAT visit",
        f"{g.given} - MAT",
        "methadone update",
        "outreach needed",
        "We missed you",
    )
    return phi(subject, body, where=g.where(subject))


UDS = ("buprenorphine", "norbuprenorphine", "fentanyl", "opiates", "oxycodone", "methadone",
       "amphetamines", "methamphetamine", "cocaine", "benzodiazepines", "THC", "xylazine")  # fmt: skip


def mat_uds_result(g: Gen) -> Mail:
    drawn = g.date(g.day(-7, -1))
    res = {k: "neg" for k in UDS}
    res["buprenorphine"] = g.pick("POS", "POS", "POS", "neg")
    res["norbuprenorphine"] = res["buprenorphine"]
    for k in g.rng.sample(
        ("fentanyl", "THC", "cocaine", "methamphetamine", "benzodiazepines", "xylazine"),
        g.rng.randint(0, 2),
    ):
        res[k] = "POS"
    pos = [k for k in UDS if res[k] == "POS"]
    unexpected = [k for k in pos if k not in ("buprenorphine", "norbuprenorphine")]
    note = (
        f"unexpected: {', '.join(unexpected)} - sent for LC-MS/MS confirm, discuss at visit (not punitive)"
        if unexpected
        else g.pick("as expected", "consistent w/ tx plan", "expected result, no action")
    )
    if res["buprenorphine"] == "neg":
        note = ("" if not unexpected else note + "; ") + "bup NEG - check adherence/diversion"
    who = g.pick(
        g.patient(),
        f"{g.given} {g.dob_tag()}",
        f"{g.family}, {g.given}",
        f"{g.title()} {g.family[0]}. {g.mrn()}",
    )
    subject = g.pick("UDS result", "uds", f"UDS {drawn}", f"tox screen - {g.family}", "urine tox")
    if g.rng.random() < 0.5:
        body = as_html(
            g.hello(g.st.first_name()) or "Hi,",
            f"Urine drug screen for {who}, collected {drawn}:",
            f"Interpretation: {note}.",
            g.bye(),
            table=[(k, res[k]) for k in UDS],
            after=2,
        )
        return phi(subject, body, where=g.where(subject), html=True)
    body = join(
        g.typo(
            f"uds {drawn} {who}: + {', '.join(pos) or 'none'}; neg {g.pick('everything else', 'rest of panel')}. {note}",
            0.5,
        ),
        g.bye(),
    )
    return phi(subject, body, where=g.where(subject))


HOUSES = (
    "Serenity House",
    "New Leaf Recovery Residence",
    "Harbor Light Sober Living",
    "Oxford House Maple",
    "Second Wind Recovery Home",
)


def recovery_housing_letter(g: Gen) -> Mail:
    house = g.rng.choice(HOUSES)
    since = g.date(BASE - dt.timedelta(days=g.rng.randint(60, 900)))
    med = g.pick(
        "buprenorphine/naloxone maintenance",
        "monthly extended-release buprenorphine (Sublocade) injections",
        "monthly extended-release naltrexone (Vivitrol)",
        "methadone maintenance, dosed through our partner OTP,",
    )
    doc = g.clinician()
    g.to = f"intake@{ascii_fold(house).lower().replace(' ', '')}.example"
    pr = g.she().capitalize()
    status = g.pick(
        f"{pr} has attended {g.rng.randint(85, 100)}% of scheduled visits and recent urine drug screens have been consistent with the treatment plan.",
        f"{pr} is engaged in weekly counseling and is medically appropriate for a recovery residence that accepts MOUD.",
        f"{pr} has been stable on {g.her()} current dose for {g.rng.randint(2, 14)} months.",
        f"{pr} is in good standing with the program and has no missed visits in the last {g.rng.randint(2, 6)} months.",
    )  # fmt: skip
    consent = g.pick(
        "This information is released with the patient's written consent for the purpose of housing verification only.",
        f"Released per the patient's signed 42 CFR Part 2 consent dated {g.date(g.day(-14, -1))}.",
        "The patient has signed a consent form permitting this disclosure to your residence.",
    )  # fmt: skip
    notice = PART2_NOTICE if g.rng.random() < 0.75 else ""
    sig = g.pick(
        f"Sincerely,\n{doc}\nAddiction Medicine, {PRACTICE_NAME}\nMAT program line {g.phone_pt()}",
        f"Regards,\n{doc}\nMedical Director, Recovery Services\n{PRACTICE_NAME}",
        f"{doc}\nOffice-Based Addiction Treatment | {PRACTICE_NAME}",
    )  # fmt: skip
    v = g.variant(3)
    if v == 0:
        paras = [
            g.pick(f"To the {house} intake coordinator:", "To whom it may concern:", f"Dear {house} staff,"),
            f"This letter verifies that {g.patient()}, date of birth {g.dob()}, has been enrolled in the "
            f"{PRACTICE_NAME} medication-assisted treatment program since {since} and receives {med} "
            f"under my care.",
            status, consent, notice, sig,
        ]  # fmt: skip
    elif v == 1:
        paras = [
            f"RE: {g.patient()} ({g.dob_tag()})",
            g.pick(f"Dear {house} staff,", "Hello,", "To the house manager:"),
            f"I am writing at my patient's request to confirm that {g.she()} is currently in treatment "
            f"for opioid use disorder with our office, receiving {med}, since {since}. {status}",
            g.pick("We support this placement.", "Please contact me with any questions.", ""),
            consent, sig, notice,
        ]  # fmt: skip
    else:
        paras = [
            g.pick("Completed resident verification form below:", "Verification for your intake file:"),
            f"Resident name: {g.patient()}\nDate of birth: {g.dob()}\nProgram: {PRACTICE_NAME} MAT/OBOT\n"
            f"Enrolled since: {since}\nMedication: {med.rstrip(',')}\n"
            f"Dose stable: {g.pick('yes', 'yes', 'adjusting')}\nVerifying provider: {doc}",
            consent, notice,
        ]  # fmt: skip
    subject = g.pick(
        "Verification letter",
        f"MAT verification - {g.patient()}",
        "Recovery housing verification",
        f"Letter for {g.given} {g.family}",
        f"{house} - resident verification",
    )
    if g.rng.random() < 0.5:
        return phi(subject, as_html(*paras), where=g.where(subject), html=True)
    cover = g.pick(
        "Please see the verification letter below.", "Per the signed ROI, letter below.", ""
    )
    return phi(subject, join(cover, *paras), where=g.where(subject))


def hcg_prenatal_callback(g: Gen) -> Mail:
    g.sex = "F"
    g.given, g.family = g.person("F")
    g.born(17, 43)
    ga = g.rng.randint(6, 37)
    v = g.variant(5)
    if v == 0:
        q = g.rng.choice((48, 212, 1520, 3890, 11240, 46100))
        body = f"pls call {g.given} {g.family} back re her preg test - urine hcg pos, quant {q} mIU/mL on {g.date(g.day(-3, -1))}. {g.pick('dating US ordered', 'start PNV', 'wants to discuss options', 'schedule new OB intake')}"
    elif v == 1:
        gtt = g.rng.randint(128, 188)
        body = f"{g.patient()}, G{g.rng.randint(1, 4)}P{g.rng.randint(0, 3)} at {ga}w - 1hr GTT {gtt}. {'needs 3hr, pls schedule' if gtt >= 140 else 'normal, no further testing'}. {g.dob_tag()}"
    elif v == 2:
        body = f"prenatal labs back for {g.given.lower()} {g.dob_tag()}: {g.pick('Rh neg -> rhogam at 28wk', 'Hgb 9.6 -> start iron', 'rubella non-immune -> MMR postpartum', 'GBS pos -> abx in labor', 'NIPT low risk, pt wants to know sex', 'hep B sAg neg, HIV neg, RPR NR')}. pls let her know"
    elif v == 3:
        a = g.rng.choice((800, 1450, 2300))
        b = int(a * g.rng.uniform(1.1, 2.1))
        body = f"{g.ident()} hcg trend {a} -> {b} in 48h. {'appropriately rising' if b > a * 1.5 else 'suboptimal rise, r/o ectopic - TVUS today'}. {g.pick('call pt', 'she knows', 'pls cb', '')}"
    else:
        g.to = g.email_pt()
        body = join(
            g.dear(),
            f"Your blood test from {g.appt(g.day(-4, -1))} confirms you are pregnant - congratulations if this is happy news, "
            f"and please know we are here to talk through any option. {g.pick('Your first prenatal visit is booked for ' + g.appt(g.day(10, 25)) + '.', 'Please call to set up your first OB visit.', 'Dr. ' + str(g.st.last_name()) + ' would like to see you in the next 2 weeks.')}",
            g.ref_line(),
            f"{g.me}\nWomen's Health | {PRACTICE_NAME}",
        )
        subject = g.pick("Your test result", "Lab results", "Following up")
        return phi(subject, body)
    subject = g.pick(
        "cb re preg test",
        "OB labs",
        "prenatal",
        "hcg",
        "GTT result",
        f"{g.family} - OB",
        "pls call",
    )
    return phi(subject, join(g.hello(), g.typo(body, 0.5), g.bye()), where=g.where(subject))


def iud_contraception(g: Gen) -> Mail:
    g.sex = "F"
    g.given, g.family = g.person("F")
    g.born(16, 46)
    dev, act, note = g.rng.choice(
        (
            ("Mirena", "IUD insertion", "Pt chose hormonal IUD after counseling on options; prior-auth submitted."),
            ("Kyleena", "IUD insertion", "Pt chose Kyleena (smaller IUD), never pregnant; pre-med discussed."),
            ("Paragard", "copper IUD insertion", "Pt wants non-hormonal method; heavier periods with copper IUD discussed."),
            ("Liletta", "IUD insertion", "Pt chose IUD, 340B pricing applies."),
            ("Nexplanon", "implant insertion", "Pt chose implant after counseling; insertion booked."),
            ("Nexplanon", "implant removal/reinsertion", "Pt wants implant replaced (due at 3 yrs); irregular bleeding counseled."),
            ("Mirena", "IUD removal", "Pt wants IUD removed, planning pregnancy; start prenatal vitamins."),
        )
    )  # fmt: skip
    when, t = g.appt(g.day(3, 25)), g.clock()
    v = g.variant(4)
    if v == 0:
        body = join(
            g.hello(),
            f"{g.patient()} scheduled for {dev} {act.replace('IUD ', '')} {when} {t} w/ {g.clinician()}. "
            f"neg preg test needed day of, pre-med ibuprofen 800. {g.pick('ins auth #' + g.digits(9), 'self-pay, title X', 'medicaid, no auth needed')}",
            g.bye(),
        )
    elif v == 1:
        g.to = g.email_pt()
        body = join(
            g.dear(),
            f"You're booked for your {act} ({dev}) on {when} at {t}. Please eat beforehand and take "
            f"ibuprofen 800 mg an hour before. If you've had unprotected sex since your last period we may do a pregnancy test first.",
            g.pick(
                "This mailbox isn't checked after 5pm; please call to change the time.",
                "See you then!",
                "Any questions just reply.",
            ),
            g.ref_line(),
            f"{g.me}, {g.me_role}\nWomen's Health Clinic",
        )
    elif v == 2:
        dev, act = "Depo-Provera", "depo shot"
        body = join(
            g.typo(
                f"{g.given.lower()} {g.mrn()} depo due {g.appt(g.day(-3, 10))}, last shot {g.date(g.day(-95, -80))}. {g.pick('pls schedule nurse visit', 'wants to switch to pill', 'overdue - preg test first')}",
                0.6,
            ),
            g.bye(),
        )
    else:
        body = as_html(
            f"Hi {g.st.first_name()},",
            f"Contraception consult note for {g.patient()} ({g.dob_tag()}):",
            note,
            g.bye(),
            table=[("Method", f"{dev} - {act}"), ("Date", f"{when} {t}"), ("Provider", g.clinician())],
            after=2,
        )  # fmt: skip
        subject = g.pick(
            "LARC scheduling", "LARC consult", f"{dev} - {g.family}", "contraception consult"
        )
        return phi(subject, body, where=g.where(subject), html=True)
    subject = (
        g.pick("Your appointment", f"Your {act} appointment", "Reminder from Women's Health")
        if v == 1
        else g.pick(
            "LARC appt",
            f"{g.given} {dev}",
            "contraception",
            "WH sched",
            "depo due" if v == 2 else "IUD",
        )
    )
    return phi(subject, body, where=g.where(subject))


def pregnancy_loss_or_referral(g: Gen) -> Mail:
    g.sex = "F"
    g.given, g.family = g.person("F")
    g.born(17, 44)
    wk = g.rng.randint(6, 14)
    v = g.variant(4)
    if v == 0:
        hcg = g.rng.choice((12, 38, 96, 240))
        body = join(
            g.hello(),
            f"f/u {g.patient()} after SAB at {wk} wk on {g.date(g.day(-21, -5))}. hcg down to {hcg}. "
            f"{g.pick('Rh pos', 'Rh neg, rhogam given in ED')}. bereavement resources sent, {g.pick('she wants to try again in a few months', 'declined counseling for now', 'referred to BH for grief support')}.",
            g.bye(),
        )
    elif v == 1:
        body = join(
            f"Referral: {g.patient()}, {g.dob_tag()}, {wk} wks by LMP ({g.pick('confirmed by US', 'US pending')}), "
            f"requesting abortion care. Counseled on options; patient's decision. Referred to "
            f"{g.pick('Planned Parenthood - Eastside', 'the regional family planning clinic', 'UMC complex family planning')} "
            f"for {g.pick('medication or procedural options', 'procedural care', 'medication abortion')}. Records sent with consent.",
            f"Pt contact: {g.phone_pt()} ({g.pick('ok to text', 'do not leave vm', 'cell only')}).",
            g.bye(),
        )  # fmt: skip
    elif v == 2:
        g.to = g.email_pt()
        body = join(
            g.dear(),
            f"I'm so sorry for your loss. Following up on your miscarriage last week - your hCG today was "
            f"{g.rng.choice((4, 21, 57))}, which is coming down as expected. {g.pick('We will repeat it in one week.', 'No more blood tests are needed once it is under 5.', 'Please call if bleeding gets heavier.')}",
            g.ref_line(),
            f"{g.clinician()}\nWomen's Health | {PRACTICE_NAME}",
        )  # fmt: skip
    else:
        when = g.stamp(g.rng.randint(20, 70))
        orig = f"{g.given} {g.family} ({g.mrn()}) - missed AB at {wk}w on US today, pt opting for {g.pick('misoprostol', 'expectant mgmt', 'D&C')}. needs f/u hcg + US in 1-2 wk"
        body = join(
            g.pick("booked f/u", "scheduled US and hcg", "done - appt made"),
            f"{g.appt(g.day(7, 14))} {g.clock()}",
            g.bye(),
            outlook_quote(g.clinician(), "Women's Health Scheduling", when, "f/u needed", orig),
        )
    subject = [
        g.pick("f/u after SAB", "WH f/u", f"{g.family}", "SAB f/u"),
        g.pick(
            "referral", "referral - confidential", f"Referral: {g.given} {g.family}", "FP referral"
        ),
        g.pick("Following up", "Checking in", "Your lab result"),
        g.pick("RE: f/u needed", "RE: f/u needed - scheduled"),
    ][v]
    return phi(subject, body, where=g.where(subject))


def prep_pep_followup(g: Gen) -> Mail:
    drawn = g.date(g.day(-6, -1))
    v = g.variant(4)
    if v == 0:
        body = join(
            g.hello(),
            f"{g.patient()} PrEP f/u: HIV Ag/Ab neg {drawn}, Cr {round(g.rng.uniform(0.7, 1.3), 2)}, "
            f"eGFR {g.pick('>90', '78', '64')}. 3-site GC/CT {g.pick('neg', 'pending', 'rectal CT pos - rx doxy')}. "
            f"90-day refill of {g.pick('Descovy', 'Truvada', 'emtricitabine/tenofovir DF')} sent.",
            g.bye(),
        )  # fmt: skip
    elif v == 1:
        body = join(
            g.typo(f"{g.given.lower()} {g.dob_tag()} started PEP ({g.pick('Biktarvy', 'Truvada + dolutegravir')} x28d) on {drawn} after {g.pick('condom break', 'sexual assault - ED', 'needlestick at work', 'high-risk exposure')}. baseline labs done, f/u HIV test at 6 wk + 3 mo", 0.6),
            g.bye(),
        )  # fmt: skip
    elif v == 2:
        body = as_html(
            g.hello(g.st.first_name()) or "Hello,",
            f"Apretude injection for {g.patient()} ({g.mrn()}) due {g.appt(g.day(1, 14))}. HIV RNA "
            f"from last visit {g.pick('not detected', 'not detected', 'pending')}.",
            "Please make sure we have the dose on hand.",
            g.bye(),
        )
        subject = g.pick("PrEP injection due", "Apretude", f"cab-LA {g.given}")
        return phi(subject, body, where=g.where(subject), html=True)
    else:
        g.to = g.email_pt()
        body = join(
            g.dear(g.nick()),
            f"Your PrEP labs from {drawn} look good (HIV test negative, kidney function normal). "
            f"Your next {g.pick('3-month', 'PrEP')} visit is {g.appt(g.day(80, 95))}. Your refill is at {g.rng.choice(PHARMACIES)}.",
            g.ref_line(),
            f"{g.me}\nPrEP Navigator, {PRACTICE_NAME}",
        )
    subject = {
        0: g.pick("PrEP f/u", "prep labs", f"{g.family} PrEP", "labs"),
        1: g.pick("PEP", "pep started", "nPEP f/u plan", f"{g.given} PEP"),
    }.get(v, g.pick("Your PrEP labs", "your results", "PrEP visit"))
    return phi(subject, body, where=g.where(subject))


def sti_partner_notify(g: Gen) -> Mail:
    inf, rx = g.pick(
        ("chlamydia NAAT +", "doxy 100 bid x7d"), ("GC NAAT +", "ceftriaxone 500 IM"),
        ("RPR 1:32, TPPA +", "Bicillin L-A 2.4 MU IM x1"), ("trich +", "metronidazole 500 bid x7d"),
        ("GC + CT", "ceftriaxone 500 IM + doxy x7d"),
    )  # fmt: skip
    drawn = g.date(g.day(-8, -1))
    partner = f"{g.first_of(g.rng.choice('FM'))} {g.pt.last_name() if g.locale not in ('ar_AA', 'ru_RU', 'uk_UA', 'zh_CN', 'ja_JP') else g.person('M')[1]}"
    v = g.variant(4)
    if v == 0:
        body = join(
            f"pls call {g.given} {g.family} re {inf} {drawn}, rx {rx}. {g.pick('EPT for partner', 'partner to be tx too', 'retest 3 mo')}. "
            f"partner notification: {g.pick('pt will notify', 'DIS referral', 'pt wants us to help')}",
            g.bye(),
        )
    elif v == 1:
        body = join(
            "To: County DIS",
            f"Reportable result for {g.patient()}, {g.dob_tag()}, {g.address()}, ph {g.phone_pt()}: {inf} ({drawn}). Treated {g.date(g.day(-1, 0))} with {rx}.",
            f"Named partner (per pt): {partner}, {g.pick('no contact info', 'ph ' + g.phone_pt(), 'lives in county')}.",
            g.bye(),
        )  # fmt: skip
    elif v == 2:
        body = join(
            g.hello(),
            g.typo(
                f"{g.ident()} {inf} - came in for tx ({rx}). {g.pick('pt says partner ' + partner + ' also needs testing', 'EPT rx given for 1 partner', 'HIV test offered, accepted')}.",
                0.5,
            ),
            g.bye(),
        )
    else:
        g.to = g.email_pt()
        body = join(
            g.dear(),
            f"Please call the clinic about your test results from {drawn}. Your test showed "
            f"{g.pick('an infection that is easy to treat with antibiotics', 'chlamydia', 'gonorrhea')} "
            f"and we'd like to get you treated this week. {g.pick('Your partner(s) should be treated too.', 'We can give you medicine for your partner.', '')}",
            g.ref_line(),
            f"{g.me}\n{g.me_role}, {PRACTICE_NAME}",
        )
    subject = g.pick(
        "STI cb",
        "pls call re results",
        "partner notification",
        "reportable",
        "CT +",
        "your results",
    )
    return phi(subject, body, where=g.where(subject, partner))


def gender_affirming(g: Gen) -> Mail:
    g.born(18, 62)
    legal = g.given
    pref = g.first_of("M" if g.sex == "F" else "F")
    pron = "he/him" if g.sex == "F" else "she/her"
    if g.sex == "F":
        labs = f"T trough {g.rng.randint(280, 880)} ng/dL, Hct {round(g.rng.uniform(44, 54.5), 1)}% on testosterone cypionate {g.rng.choice((60, 80, 100))} mg SC weekly"
    else:
        labs = f"estradiol {g.rng.randint(60, 320)} pg/mL, T {g.rng.randint(18, 240)} ng/dL, K {round(g.rng.uniform(3.8, 5.3), 1)} on estradiol {g.rng.choice((2, 4, 6))} mg SL + spironolactone {g.rng.choice((50, 100))} bid"
    v = g.variant(4)
    if v == 0:
        body = join(
            g.hello(),
            f"Chart update: preferred name {pref}, legal name {legal} {g.family} (on insurance), pronouns {pron}. "
            f"Pls make sure the banner + check-in use {pref}. {g.dob_tag()}",
            g.bye(),
        )  # fmt: skip
    elif v == 1:
        body = join(
            f"{pref} {g.family} ({g.mrn()}) - {labs}. {g.pick('no change', 'dose reduce', 'increase dose', 'recheck 3 mo')}.",
            g.pick(
                f"legal name still {legal} on labs/insurance", "", f"note: lab portal shows {legal}"
            ),
            g.bye(),
        )
    elif v == 2:
        body = as_html(
            f"Hi {g.st.first_name()},",
            f"{pref} ({pron}; legal name {legal} {g.family}, {g.dob_tag()}) is requesting a letter for "
            f"{g.pick('insurance coverage of top surgery', 'a name/gender marker change', 'vaginoplasty consult', 'hormone coverage')}.",
            f"Latest labs: {labs}.",
            g.bye(),
        )
        subject = g.pick("letter request", f"GAH - {g.family}", "gender affirming care letter")
        return phi(subject, body, where=g.where(subject, pref), html=True)
    else:
        g.to = g.email_pt(pref, g.family)
        body = join(
            g.dear(pref),
            f"Your labs came back - {labs.replace(' on ', ' on your current ')}. "
            f"{g.pick('Everything is in range, keep the same dose.', 'We want to lower the dose a little - see the portal message.', 'Please repeat labs in 3 months.')}",
            "" if g.named_full else g.pick("", f"Chart: {g.mrn_value}"),
            f"{g.clinician()}\nGender-Affirming Care | {PRACTICE_NAME}",
        )
    subject = g.pick(
        "name in chart", "preferred name", "hormone labs", f"{pref} labs", "GAH f/u", "labs"
    )
    return phi(subject, body, where=g.where(subject, pref))


def peds_parent(g: Gen) -> Mail:
    child_sex = g.rng.choice("FM")
    child = g.first_of(child_sex)
    g.given, g.sex = child, child_sex
    g.born(1, 16)
    parent_sex = g.rng.choice("FM")
    parent = f"{g.first_of(parent_sex)} {g.family}"
    son = "son" if child_sex == "M" else "daughter"
    pemail = g.email_pt(parent.split()[0], g.family)
    topic = g.variant(5)
    if topic == 0:
        text = f"Hi, re: my {son} {child} (DOB {g.dob()}) - the school needs the ADHD forms (Vanderbilt from {('his' if child_sex == 'M' else 'her')} teacher is in the portal) before the 504 meeting on {g.appt(g.day(5, 20))}. Also the {g.pick('Focalin', 'methylphenidate ER 18', 'Adderall 10')} makes {('him' if child_sex == 'M' else 'her')} not eat lunch. Thanks, {parent}"
        subj = f"{child} ADHD forms"
    elif topic == 1:
        text = f"Hello Dr. {g.st.last_name()}, we need a vaccine exemption letter for {child} {g.family} for daycare. {g.pick('She' if child_sex == 'F' else 'He', 'My ' + son)} {g.pick('had anaphylaxis after the MMR', 'is on chemo at Childrens', 'had a seizure after the DTaP shot')}. DOB {g.dob()}. Thank you, {parent.split()[0]}"
        subj = "vaccine exemption"
    elif topic == 2:
        text = f"i'm worried about {child}'s weight, {('he' if child_sex == 'M' else 'she')} dropped from the 50th to 10th percentile since the last visit and is a picky eater. can we come in? {child} {g.family}, born {g.dob()}\n\n{parent}"
        subj = f"my {son} {child}"
    elif topic == 3:
        text = f"Hi, {child} has had an ear infection 3 times since Jan, done 2 rounds of amoxicillin, still tugging at the ear and fever 101.8 last night. Should we see ENT? chart {g.mrn_value}\n{parent}\n{g.phone_pt()}"
        subj = "ear infections again"
    else:
        text = f"Good morning, could you fill out the asthma action plan for {child}'s school nurse? {g.pick('She' if child_sex == 'F' else 'He')} uses the albuterol 2-3x/week now and Flovent daily. {child} {g.family}, DOB {g.dob()}\n\nThank you\n{parent}"
        subj = "school form"
    text = g.typo(text, 0.4)
    when = g.stamp(g.rng.randint(2, 50))
    forms = topic in (0, 1, 4)
    note = g.pick(
        "peds RN pls review", "can someone call mom back" if parent_sex == "F" else "can someone call dad back",
        "fwd for dr to sign" if forms else "pls add to tmrw's sick slots",
        "fyi - form in dr's box" if forms else "triage pls", "see below",
    )  # fmt: skip
    subject = g.pick(f"FW: {subj}", f"Fwd: {subj}", f"RE: {subj}")
    if subject.startswith("RE"):
        g.to = pemail
        reply = g.pick(
            f"Hi {parent.split()[0]}, thanks for reaching out. {g.pick('The nurse will call you this afternoon.', ('Dr. ' + str(g.st.last_name()) + ' has the form and will sign it by Friday.') if forms else 'Please bring the list of antibiotics and dates.', 'We have an opening ' + g.appt(g.day(1, 6)) + ' at ' + g.clock() + ' - does that work?')}",
        )
        body = join(
            reply, f"{g.me}\nPediatrics | {PRACTICE_NAME}", gmail_quote(parent, pemail, when, text)
        )
    else:
        body = join(
            note, g.bye(), forwarded(f"{parent} <{pemail}>", when, subj, f"peds@{PRACTICE}", text)
        )
    return phi(subject, body, where=g.where(subject, child))


def elder_family(g: Gen) -> Mail:
    g.born(72, 96)
    rel = g.pick("mom", "mother", "dad", "father", "grandma", "mother-in-law")
    g.sex = "F" if rel in ("mom", "mother", "grandma", "mother-in-law") else "M"
    g.given = g.first_of(g.sex)
    writer_sex = g.rng.choice("FM")
    writer_last = g.family if g.rng.random() < 0.6 else g.person(writer_sex)[1]
    writer = f"{g.first_of(writer_sex)} {writer_last}"
    wemail = g.email_pt(writer.split()[0], writer_last)
    doc = str(g.st.last_name())
    pr = g.she()
    issue, visit = g.rng.choice(
        (
            (f"'s memory is getting worse, {pr} left the stove on twice and got lost driving to church", "a memory evaluation"),
            (f" had another fall on Sunday, {pr} has a bruise on {g.her()} hip and won't use the walker", "a fall assessment"),
            (f" is confused about {g.her()} pills, I found the metoprolol and the warfarin mixed up in the pill box", "a medication review"),
            (f" has barely been eating since {g.her()} hospital stay for pneumonia, lost maybe 10 lbs", "a post-hospital follow-up"),
            (f" is more agitated at night and keeps asking for {g.her()} sister who passed", "a visit about the night-time confusion"),
        )
    )  # fmt: skip
    again = (
        f"{g.her().capitalize()}{issue[2:]}"
        if issue.startswith("'s")
        else f"{pr.capitalize()}{issue}"
    )
    ident = g.pick(
        f"{g.given} {g.family} (DOB {g.dob()})",
        f"{g.given} {g.family}, {g.age()}",
        f"{g.given} {g.family}",
    )
    text = g.typo(
        g.pick(
            f"Hi, my {rel} {g.given} {g.family}{issue}. Can Dr. {doc} see {g.her_obj()} soon? I can bring {g.her_obj()} any afternoon. {g.her().capitalize()} birthday is {g.dob()} if you need it.\n\n{writer}",
            f"Hello,\nI'm writing about my {rel}, {ident}. {again}. Is there someone we can talk to? We're really worried.\nThanks,\n{writer}\n{g.phone_pt()}",
            f"hi its {writer.split()[0]}, {g.given} {g.family}'s {g.pick('daughter', 'granddaughter') if writer_sex == 'F' else g.pick('son', 'grandson')}. my {rel}{issue}. can dr {doc} see {g.her_obj()}",
        ),  # fmt: skip
        0.5,
    )
    when = g.stamp(g.rng.randint(4, 70))
    g.to = wemail
    first = writer.split()[0]
    reply = join(
        f"Hi {first},",
        g.pick(
            f"Thank you for letting us know. We have your HIPAA release on file, so I can share that Dr. {doc} would like to see your {rel} for {visit} on {g.appt(g.day(2, 14))} at {g.clock()}. Please bring all of {g.her()} pill bottles.",
            f"I'm sorry to hear this. I've booked {g.given} with Dr. {doc} {g.appt(g.day(1, 7))} {g.clock()} and sent a message to our care manager about a home safety eval.",
            f"Dr. {doc} reviewed your note. {g.pick('We will order labs (B12, TSH) and a MoCA at the visit.' if visit.startswith('a memory') else 'We will check vitals and labs at the visit.', 'A pharmacy blister pack may help - we can set that up.', 'We are also referring to geriatrics.')} Can you bring {g.her_obj()} in this week?",
        ),  # fmt: skip
        f"{g.me}\n{g.me_role}, {PRACTICE_NAME}",
    )
    quote = (
        gmail_quote(writer, wemail, when, text)
        if g.rng.random() < 0.6
        else outlook_quote(f"{writer} <{wemail}>", f"info@{PRACTICE}", when, f"my {rel}", text)
    )
    subject = g.pick(
        f"Re: my {rel}", f"RE: {g.given} {g.family}", f"Re: appointment for my {rel}", "Re: worried"
    )
    return phi(subject, join(reply, quote), where=g.where(subject))


def dv_advocate_referral(g: Gen) -> Mail:
    agency = g.pick(
        "Safe Harbor DV Services",
        "Hope House",
        "the county Family Justice Center",
        "Bridges Advocacy Program",
    )
    seen = g.date(g.day(-10, -1))
    vm = g.pick("NO", "no", "yes - generic msg only ('clinic calling')", "no, text only")
    times = g.pick(
        "weekdays 10a-2p", "mornings before 9", "only while at work (M-F 9-5)", "any time on cell"
    )
    g.to = f"referrals@{g.pick('safeharbor', 'hopehouse', 'fjc-county', 'partner')}.example"
    v = g.variant(3)
    if v == 0:
        body = join(
            f"Referral to {agency} advocate:",
            f"{g.patient()}, {g.dob_tag()}, disclosed intimate partner violence at {g.her()} visit on {seen}. "
            f"{g.pick('Injuries documented and photographed with consent.', 'No acute injuries.', 'Pregnant, ~20 wk.', 'Strangulation hx, assessed.')} "
            f"Patient consents to advocate contact.",
            f"Safe contact: cell {g.phone_pt()}, ok to leave VM: {vm}. Safe times: {times}. Do NOT contact at home address or by mail.",
            g.bye(),
        )  # fmt: skip
    elif v == 1:
        body = as_html(
            f"Hello {g.st.first_name()},",
            f"With {g.her()} verbal and written consent, I'm referring {g.given} {g.family} ({g.mrn()}) to your program after an IPV disclosure on {seen}.",
            "Please use only the contact details below.",
            g.bye(),
            table=[("Name", f"{g.given} {g.family}"), ("Safe phone", g.phone_pt()), ("Voicemail", vm), ("Safe times", times),
                   ("Needs", g.pick("shelter, legal advocacy", "protective order help", "safety planning, counseling for kids", "housing"))],
            after=2,
        )  # fmt: skip
        subject = g.pick(
            "Confidential referral", "Advocate referral", "Referral - please handle discreetly"
        )
        return phi(subject, body, where=g.where(subject), html=True)
    else:
        body = join(
            g.hello(),
            g.typo(
                f"warm handoff today - {g.given.lower()} {g.family[0].lower()}. {g.dob_tag()} disclosed dv, wants advocate call. safe # {g.phone_pt()}, vm {vm.lower()}, {times}. partner comes to appts so DO NOT discuss at check-in.",
                0.5,
            ),
            g.bye(),
        )
    subject = g.pick(
        "Confidential referral",
        "referral",
        "advocate referral",
        "DV referral - confidential",
        "warm handoff",
    )
    return phi(subject, body, where=g.where(subject))


# ------------------------------------------------------------------------- clean families

DISHES = (
    "lumpia",
    "tamales",
    "mac and cheese",
    "pho (crockpot)",
    "brownies",
    "a veggie tray",
    "samosas",
    "pupusas",
    "lasagna",
    "fruit salad",
    "jollof rice",
    "cookies",
    "chips + salsa",
    "kimchi fried rice",
)


def potluck_thread(g: Gen) -> Mail:
    people = [str(g.st.first_name()) for _ in range(4)]
    event = g.pick(
        "Friday potluck",
        "Nurses Week lunch",
        "Dr. " + str(g.st.last_name()) + "'s retirement lunch",
        "BH team holiday potluck",
        "staff appreciation lunch",
    )
    dishes = g.rng.sample(DISHES, 4)
    when = g.stamp(g.rng.randint(20, 60))
    first = join(
        g.pick("Hi all!", "hey team", "Hello everyone,"),
        f"{event} is {g.appt(g.day(1, 10))} after the {g.pick('noon huddle', '12pm huddle', 'MAT clinic', 'morning session')} in the {g.pick('break room', '3rd floor conf room', 'peds waiting area (closed 12-1)')}. "
        f"{g.pick('Reply w/ what you are bringing so we do not get 5 bags of chips lol', 'Sign-up by reply pls!', 'Reply all with your dish. Plates/forks covered by the practice.')}",
        f"{people[0]} - {dishes[0]}",
        people[0],
    )  # fmt: skip
    replies = [
        g.pick(f"{dishes[i]} from me!", f"i'll do {dishes[i]}", f"{dishes[i]} :)", f"Put me down for {dishes[i]}.")
        + f"\n{people[i]}"
        for i in range(1, 4)
    ]  # fmt: skip
    body = join(
        g.pick(f"I'll bring {dishes[3]}", f"put me down for {dishes[3]} + plates", f"{dishes[3]}!! and I can bring my speaker"),
        g.bye(),
        outlook_quote(f"{people[2]} <{staff_addr(g, people[2])}>", "All Staff", when + dt.timedelta(hours=2), f"RE: {event}", replies[1]),
        outlook_quote(f"{people[1]} <{staff_addr(g, people[1])}>", "All Staff", when + dt.timedelta(hours=1), f"RE: {event}", replies[0]),
        outlook_quote(f"{people[0]} <{staff_addr(g, people[0])}>", "All Staff", when, event, first),
    )  # fmt: skip
    return clean(f"RE: {event}", body)


def shift_swap(g: Gen) -> Mail:
    a, b = str(g.st.first_name()), str(g.st.first_name())
    mgr = f"{g.st.first_name()} {g.st.last_name()}"
    d1, d2 = g.day(2, 12), g.day(13, 28)
    unit = g.pick(
        "triage",
        "peds wing",
        "MAT clinic",
        "women's health",
        "walk-in",
        "BH intake",
        "the flu clinic",
    )
    shift = g.pick("7a-7p", "8-4:30", "7-3", "11a-7:30p", "12hr")
    v = g.variant(3)
    g.me = f"{a if v == 0 else b} {g.st.last_name()}"
    why = g.pick(
        "i have my kid's recital",
        "my sister's wedding is that wknd",
        "I have a dentist appt",
        "cousin's bday party",
        "childcare fell thru",
    )
    if v == 0:
        body = join(
            f"hey {b}",
            f"can u swap my {g.appt(d1)} {shift} ({unit}) for your {g.appt(d2)}? {why}. {mgr} said ok if we both agree",
            f"- {a}",
        )
    elif v == 1:
        body = join(
            f"Hi {mgr.split()[0]},",
            f"{a} and I are switching shifts: I'll cover {g.appt(d1)} {shift} in {unit} and {a} takes my {g.appt(d2)}. Both of us still under 40 hrs that week. Can you update the schedule?",
            f"Thanks,\n{b}",
        )
    else:
        when = g.stamp(g.rng.randint(3, 30))
        body = join(
            g.pick("yes!! deal", "works for me, i'll take it", "sure, just update the sheet"),
            f"- {b}\n\nSent from my iPhone",
            gmail_quote(
                a,
                staff_addr(g, a),
                when,
                f"anyone want my {g.appt(d1)} {shift} in {unit}? will trade for any weekday next month",
            ),
        )
    subject = g.pick(
        "shift swap", "swap?", f"trade {g.appt(d1)}", "RE: shift swap", "schedule change"
    )
    return clean(subject, body)


def running_late(g: Gen) -> Mail:
    doc = str(g.st.last_name())
    mins = g.rng.choice((5, 10, 10, 15, 20, 30))
    reason = g.pick(
        "traffic on 95",
        "school drop off",
        "flat tire",
        "train delay",
        "stuck at the hospital rounding",
        "daycare called",
        "",
    )
    first_slot = g.clock()
    body = g.pick(
        f"running {mins} min late{', ' + reason if reason else ''}. pls let my {first_slot} know and room them",
        f"Dr. {doc} here - {mins} min behind. can someone start vitals on my first pt",
        f"running late ~{mins}m. go ahead and room my {first_slot}. sorry!",
        f"{reason or 'ugh'} - eta {mins} min. can {g.st.first_name()} start the huddle w/o me",
        f"Hi team, I'll be about {mins} minutes late this morning. Please offer my first two patients the option to wait or reschedule. -Dr. {doc}",
    )  # fmt: skip
    sig = g.pick(
        "Sent from my iPhone",
        f"- {doc}",
        f"Dr. {doc}\n\nSent from my iPhone",
        "",
        "Sent from my Galaxy",
    )
    g.me = f"{g.st.first_name()} {doc}"
    subject = g.pick("running late", "late", f"{mins} min late", "", "eta", "sorry - late")
    return clean(subject, join(g.typo(body, 0.5), sig))


def consult_group_agenda(g: Gen) -> Mail:
    pres = [g.staff() for _ in range(3)]
    dec = g.pick("20s", "30s", "40s", "50s", "60s")
    vign = [
        g.pick(
            f"Case 1 - presented by {pres[0].split()[0]}: a male in his {dec} with OUD on buprenorphine x1 yr, recent return to use with fentanyl after a job loss; how to adjust without destabilizing.",
            f"Case 1 - presented by {pres[0].split()[0]}: woman in her {dec}, MDD and chronic pain, PHQ-9 stuck at 15 despite two SSRIs; thoughts on augmentation vs. switching?",
        ),
        g.pick(
            f"Case 2 - presented by {pres[1].split()[0]}: adolescent with panic sx and school refusal, parents disagree on meds.",
            "Case 2: older adult with new-onset anxiety and possible early cognitive decline; when to refer for neuropsych testing.",
            "Case 2: postpartum client with intrusive thoughts, no SI; differentiating OCD from psychosis.",
        ),
        g.pick(
            f"Case 3 - presented by {pres[2].split()[0]}: client on clozapine with borderline ANC, benign ethnic neutropenia question.",
            "Case 3: young adult with PTSD and cannabis use, wants to stop but sleep gets worse.",
            "Case 3: a man in his 40s with AUD and passive SI, ambivalent about treatment.",
        ),
    ]
    note = "Reminder: vignettes only - no names, DOBs or MRNs in the chat or on slides."
    day = g.appt(g.day(1, 9))
    items = [
        "12:00 Check-in / wellness",
        *vign,
        f"12:50 {g.pick('Journal club: CAMS for suicidal patients', 'Updates on 42 CFR Part 2 rule', 'Measurement-based care dashboard', 'Telehealth prescribing update')} ({pres[g.rng.randrange(3)]})",
    ]
    subject = g.pick(
        "Consultation group agenda",
        f"BH consult group {day}",
        "case consult - agenda",
        "Agenda for Thursday's consult group",
    )
    if g.rng.random() < 0.5:
        body = as_html(
            g.hello("team") or "Hi all,",
            f"Agenda for {day}, 12-1 in the {g.pick('BH conf room', 'Zoom room', 'library')}:",
            "\n".join(f"• {x}" for x in items),
            note,
            g.bye(),
        )
        return clean(subject, body, html=True)
    return clean(
        subject,
        join(
            g.hello("team"), f"agenda for {day}:", "\n".join(f"- {x}" for x in items), note, g.bye()
        ),
    )


def mat_monthly_stats(g: Gen) -> Mail:
    month = g.pick("January", "February", "Feb", "Q4", "December")
    active = g.rng.randint(90, 260)
    new = g.rng.randint(6, 30)
    rows = [
        ("Active patients", str(active)),
        ("New inductions", str(new)),
        ("90-day retention", f"{g.rng.randint(58, 88)}%"),
        ("UDS positive for fentanyl", f"{g.rng.randint(4, 22)}%"),
        ("UDS positive for bup (adherence)", f"{g.rng.randint(82, 97)}%"),
        ("Sublocade patients", str(g.rng.randint(5, 40))),
        ("Naloxone kits distributed", str(g.rng.randint(20, 140))),
        ("Waitlist", g.pick("0", "0 (same-day bridge)", str(g.rng.randint(1, 12)))),
    ]
    director = g.staff()
    subject = g.pick(
        f"MAT program stats - {month}",
        "OBOT monthly numbers",
        f"{month} MAT dashboard",
        "monthly MAT report (aggregate)",
    )
    intro = g.pick(
        f"Hi all, {month} numbers for the MAT program are below. All aggregate, no PHI.",
        f"{month} dashboard attached inline. Retention is {g.pick('up', 'down', 'flat')} vs last month.",
        "Here are the monthly counts for the board packet.",
    )
    if g.rng.random() < 0.6:
        body = as_html(g.hello(), intro, f"Questions to {director}.", g.bye(), table=rows, after=2)
        return clean(subject, body, html=True)
    return clean(subject, join(intro, "\n".join(f"{k}: {v}" for k, v in rows), g.bye()))


def suicide_prevention_training(g: Gen) -> Mail:
    trainer = f"{g.st.first_name()} {g.st.last_name()}, {g.rng.choice(THERAPY_CREDS)}"
    course = g.pick(
        "QPR (Question, Persuade, Refer) Gatekeeper Training",
        "Safety Planning Intervention (Stanley-Brown)",
        "CAMS overview",
        "ASIST 2-day workshop",
        "Counseling on Access to Lethal Means (CALM)",
    )
    d = g.appt(g.day(7, 40))
    body_parts = [
        g.pick("Hi everyone,", "All staff -", "Good afternoon,"),
        f"{trainer} will lead {course} on {d}, {g.pick('9am-12pm', '12-1:30 (lunch provided)', '1-4pm', '8:30-4:30 both days')} in the {g.pick('main conf room', 'community room', 'Zoom')}.",
        g.pick(
            "Required for all front desk and MA staff this year.",
            "CEUs available for LCSW/LPC.",
            "Open to all clinical and non-clinical staff.",
        ),
        f"RSVP to {g.staff()} by {g.appt(g.day(3, 6))}.",
        g.bye(),
    ]
    subject = g.pick(
        f"Training: {course}",
        "Suicide prevention training - RSVP",
        f"{course.split(' (')[0]} {d}",
        "save the date: suicide prevention training",
    )
    if g.rng.random() < 0.4:
        return clean(subject, as_html(*body_parts), html=True)
    return clean(subject, join(*body_parts))


def pharma_rep_contraceptive(g: Gen) -> Mail:
    rep = g.staff()
    product = g.pick(
        "Slynd (drospirenone 4 mg)",
        "Annovera ring",
        "Twirla patch",
        "Phexxi gel",
        "Nextstellis",
        "Opill (OTC norgestrel)",
        "Liletta IUD",
    )
    body = join(
        g.hello(),
        g.pick(
            f"{rep} from {g.company()} is coming {g.appt(g.day(1, 14))} at {g.clock()} for a lunch-and-learn on {product}. Samples go in the locked cabinet, log them in the binder.",
            f"fyi rep visit - {rep} ({product}) dropping off samples + patient brochures {g.appt(g.day(1, 14))}. WH providers pls stop by if you can",
            f"{rep} asked to present {product} data at the {g.pick('Tues', 'Wed', 'Fri')} WH huddle, 15 min. I said ok unless anyone objects.",
        ),  # fmt: skip
        g.pick(
            "No patient info in the conf room during the visit please.",
            "",
            "Lunch is from Panera.",
            "Reminder of our gifts/meals policy.",
        ),
        g.bye(),
    )
    subject = g.pick(
        "Rep visit",
        f"{product.split(' (')[0]} lunch n learn",
        "pharma rep thurs",
        "samples drop-off",
    )
    return clean(subject, body)


def support_group_flyer(g: Gen) -> Mail:
    fac = f"{g.st.first_name()} {g.st.last_name()}, {g.rng.choice(THERAPY_CREDS)}"
    group, blurb = g.rng.choice(
        (
            ("Women in Recovery", "A peer-support space for women in recovery from alcohol or drug use."),
            ("Grief & Loss Support Group", "For anyone who has lost someone close to them."),
            ("New Parents Circle", "For new moms and dads feeling overwhelmed, anxious or down after a baby."),
            ("Family Members of People with Addiction", "Learn CRAFT skills and connect with other families."),
            ("LGBTQ+ Young Adults Support Group", "Ages 18-25. A welcoming, affirming peer group."),
            ("Caregivers of Loved Ones with Dementia", "Practical tips and support for family caregivers."),
            ("Chronic Pain Coping Skills", "An 8-week skills group: pacing, sleep, mindfulness, movement."),
            ("Quit Smoking Group", "Six sessions, nicotine replacement available at no cost."),
        )
    )  # fmt: skip
    when = g.pick(
        "Tuesdays 6-7:30pm",
        "every other Thursday at noon",
        "Mondays 5:30pm",
        "1st & 3rd Wednesdays 7pm",
        "Saturdays 10am",
    )
    where = g.pick(
        "Community Room, 2nd floor",
        "Zoom - link on request",
        "Suite 140",
        "the Annex, 22 Oak St entrance",
    )
    extra = g.pick(
        "Childcare available.",
        "Light snacks.",
        "Spanish interpreter available.",
        "Bus passes available.",
        "",
    )
    cover = g.pick(
        "Pls post in your exam rooms + waiting area",
        "New flyer for the spring groups, feel free to share w/ pts",
        "Updated flyer below - time changed!",
        "fyi for your pts who might benefit",
        "",
    )
    contact = g.pick(
        f"Questions? Call the BH front desk, ext {g.digits(4)}.",
        f"To join, call {g.staff()} at ext {g.digits(4)} or just show up.",
        "Sign up at the front desk or ask your provider.",
    )
    if g.rng.random() < 0.5:
        paras = [
            cover,
            group.upper(),
            blurb,
            f"{when} | {where}",
            f"Facilitated by {fac}. Free and confidential, no referral needed. {extra}",
            contact,
        ]
    else:
        paras = [
            cover,
            f"{group} - {when}",
            f"{blurb} Led by {fac}. {extra}",
            f"Where: {where}",
            contact,
            g.bye(),
        ]
    subject = g.pick(
        f"Flyer: {group}",
        "support group flyer",
        f"{group} - starts {g.appt(g.day(7, 30))}",
        "new group!",
        "groups this spring",
    )
    return clean(subject, as_html(*paras), html=True)


def it_password_reset(g: Gen) -> Mail:
    who = g.staff()
    ext = g.digits(4)
    system = g.pick(
        "athenaOne",
        "Epic",
        "eClinicalWorks",
        "Outlook",
        "Doxy.me",
        "the VPN",
        "DrFirst EPCS",
        "Citrix",
    )
    v = g.variant(3)
    if v == 0:
        g.me = "IT Help Desk"
        g.to = staff_addr(g, who)
        body = join(
            f"Hi {who.split()[0]},",
            f"Your {system} password expires in {g.rng.randint(2, 5)} days. Reset it at https://sspr.{PRACTICE}/ or call the help desk at x{g.digits(4)}.",
            f"Ticket #{g.digits(6)}",
            "Northgate IT",
        )
    elif v == 1:
        g.me, g.to = who, f"helpdesk@{PRACTICE}"
        body = join(
            "hi IT",
            g.typo(
                f"locked out of {system} again after the update, can someone reset? I'm at ext {ext}. {who}",
                0.5,
            ),
            "Sent from my iPhone",
        )
    else:
        body = join(
            f"{who} (x{ext}) - {system} reset done, temp pw given by phone. MFA re-enrolled.",
            g.pick("closing ticket", "pls confirm login works", ""),
            f"- {g.st.first_name()}, IT",
        )
    subject = g.pick(
        "password reset",
        f"{system} password",
        "locked out",
        f"Ticket #{g.digits(6)}",
        "pw expiring",
    )
    return clean(subject, body)


FAMILIES: dict[str, Callable[[Gen], Mail]] = {
    f.__name__: f
    for f in (
        terse_handoff, coord_oneliner, therapy_reschedule, safety_plan_followup,
        psych_med_monitoring, bh_intake_summary, crisis_callback, mat_dose_change,
        mat_uds_result, recovery_housing_letter, hcg_prenatal_callback, iud_contraception,
        pregnancy_loss_or_referral, prep_pep_followup, sti_partner_notify, gender_affirming,
        peds_parent, elder_family, dv_advocate_referral,
        potluck_thread, shift_swap, running_late, consult_group_agenda, mat_monthly_stats,
        suicide_prevention_training, pharma_rep_contraceptive, support_group_flyer,
        it_password_reset,
    )
}  # fmt: skip

SOURCE = Source("templates-n", "n", 14, 1400000, PRACTICE, "partner.example", "unseen-n")


def render(mail: Mail, g: Gen, seq: int) -> bytes:
    """The message as RFC 5322 bytes: from the sender the family chose, to the recipient it chose
    (a colleague or the partner otherwise), with a fixed Date and boundary."""
    msg = EmailMessage()
    sender = g.me
    msg["From"] = f"{sender} <{staff_addr(g, sender)}>"
    to = g.to or g.pick(
        staff_addr(g, g.staff()), f"bh-team@{PRACTICE}", f"frontdesk@{PRACTICE}",
        f"{ascii_fold(str(g.st.user_name()))}@{SOURCE.partner}", f"all-staff@{PRACTICE}",
    )  # fmt: skip
    msg["To"] = to
    msg["Subject"] = mail.subject
    zone = dt.timezone(dt.timedelta(hours=g.rng.choice((-5, -5, -4))))
    msg["Date"] = format_datetime(g.when_sent.replace(tzinfo=zone))
    msg["Message-ID"] = f"<{SOURCE.tag}-{seq}@{PRACTICE}>"
    for k, v in mail.headers.items():
        msg[k] = v
    return finish_message(msg, mail, SOURCE.tag, seq)


def build(out: Path, per_family: int, seed: int) -> list[dict[str, object]]:
    """Write this file's families into `out` (msg_n_NNNNN.eml) through this file's own
    `render`; return their manifest rows."""
    return build_source(out, per_family, seed, SOURCE, FAMILIES, Gen, render_mail=render)
