"""Blind template source templates-q: incidental PHI in the operational mail of a practice.

These families were written from what the non-clinical mail of a mid-size US multi-specialty
group (family medicine, cardiology, orthopedics, OB/GYN, dermatology, GI, sleep, endocrinology,
pediatrics, behavioral health, urology, ENT) and of its vendors looks like: mail written by the
front desk, billing, IT, HR, compliance, marketing, health-information management and vendors'
support desks rather than by clinicians, where the patient turns up by accident. On the PHI
side: helpdesk tickets quoting the chart screen the EHR froze on, vendor support cases with an
export or an HL7 log attached "to reproduce", fax and printer misroute reports, privacy-incident
reports to the compliance officer, forwarded patient complaints, balance and payment-plan mail,
card disputes and refunds, scheduling mix-up apologies, no-show and collections lists, marketing
testimonial and event-RSVP mail naming the procedure, release-of-information logs, lost-and-found
notes about a patient's CPAP or glasses, snooping reports and access-audit findings, courier and
specimen-tracking mail, data-migration mismatch reports with sample rows, call-centre QA reviews
quoting the call, insurance eligibility notes, mail merges gone wrong and auditors' sample lists.
On the clean side, hard negatives from the same desks that name staff, clinicians, vendors,
asset tags, ticket and invoice numbers, error codes, conditions in general, aggregate counts and
obvious placeholders but no patient: a printer ticket, a vendor case with only configuration and
error codes, a compliance-training reminder citing an anonymised incident, a service-launch
newsletter, an HR open-enrolment notice, a billing productivity report, a facilities work order,
a phishing-awareness mail with a fake example and a software invoice.

Written blind: only the `Mail` dataclass and the `phi`/`clean` helpers of generate.py; the
classes `FakerGen`, `OnePatientGen` and `Gen` and the functions `render`, `finish_message`,
`Source`, `build_source` and `build` of unseen.py; and the module docstring, imports, `Gen`
class and closing registration (`FAMILIES`, `SOURCE`, `render`, `build`) of unseen_o.py were
read; no recognizer, policy, test, document or other source's families, and no detection was
run on the output. People come from Faker locales (names of non-Latin locales romanized or
transliterated), dates from a fixed base date, so `build(out, per_family, seed)` is
deterministic.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from faker import Faker

from bench.corpus.generate import Mail, clean, phi
from bench.corpus.unseen import OnePatientGen, Source, build_source, finish_message

PATIENT_LOCALES = (
    "en_US", "en_US", "en_US", "en_US", "en_US", "es_MX", "es_MX", "es_CO", "en_IN", "vi_VN",
    "ko_KR", "zh_CN", "zh_TW", "ja_JP", "ru_RU", "uk_UA", "pl_PL", "pt_BR", "tl_PH", "yo_NG",
    "en_NG", "ar", "it_IT", "de_DE", "fr_FR", "tr_TR",
)  # fmt: skip
STAFF_LOCALES = ("en_US", "en_US", "en_US", "en_US", "es_MX", "en_IN", "en_PH", "en_CA")
PRACTICE = "bayridge-msg.example"
PRACTICE_NAME = "Bayridge Multispecialty Group"
PARTNER = "opsdesk-partner.example"
BASE = dt.datetime(2025, 3, 17)
AREAS = ("614", "614", "614", "380", "740", "937", "419")
SITES = (
    ("Main Campus", "4100 Olentangy River Rd", "Columbus", "43214"),
    ("Dublin", "6650 Perimeter Loop Rd", "Dublin", "43017"),
    ("Westerville", "455 Polaris Pkwy", "Westerville", "43082"),
    ("Grove City", "3880 Stringtown Rd", "Grove City", "43123"),
    ("Hilliard", "4031 Cemetery Rd", "Hilliard", "43026"),
)
EHR = "CareLoom"
PHISH = (
    ("DocuSign", "dse@docusign-secure-review.top", "Patient Records Request - Review Document",
     "Dear User, a patient records request requires your signature. Click here to review: "
     "hxxp://docusign-secure-review[.]top/BMG"),
    ("IT Support", "helpdesk@bayridge-msg-owa.com", "Your mailbox is almost full",
     "Your mailbox has exceeded 98% of its quota. Validate your account within 24 hours: "
     "hxxp://bayridge-msg-owa[.]com/login"),
    ("Accounts Payable", "ap@notify-center.top", "Invoice #48213 past due",
     "Dear Valued Customer, your invoice is overdue. Open the attached INV_48213.html to avoid "
     "service interruption."),
    ("Human Resources", "payroll@hr-portal.top", "Payroll: update your direct deposit",
     "HR needs you to confirm your direct deposit before Friday's payroll: hxxp://workday-bmg[.]net"),
    ("Quest Diagnostics", "results@quest-lab-portal.top", "Critical lab result for [PATIENT NAME]",
     "Dear Provider, a critical result for your patient {{PATIENT_NAME}} (DOB {{DOB}}) is waiting. "
     "Log in to view: hxxp://quest-lab-portal[.]top/critical"),
)  # fmt: skip
SERVICES = (
    ("Sleep Medicine", "home sleep testing and a CPAP clinic",
     "An estimated 80% of moderate and severe sleep apnea goes undiagnosed.", "board-certified in sleep medicine"),
    ("Weight Management", "a medical weight-loss program with dietitians and exercise physiologists",
     "Even 5-10% weight loss can lower blood pressure and blood sugar.", "board-certified in obesity medicine"),
    ("Pelvic Floor Therapy", "physical therapy for pelvic floor disorders",
     "Pelvic floor problems affect about one in four women, and most improve with therapy.", "a pelvic health specialist"),
    ("Same-Day Dermatology", "same-day appointments for new skin concerns",
     "Melanoma caught early has a five-year survival rate above 99%.", "a board-certified dermatologist"),
    ("Heart Rhythm Clinic", "a clinic for atrial fibrillation and palpitations",
     "AFib raises the risk of stroke about fivefold, and many people have no symptoms.", "a fellowship-trained electrophysiologist"),
)  # fmt: skip
PRINTERS = (
    ("HP LaserJet M611", "PRN",
     ("jamming in tray 2", "printing blank pages", "showing offline after the switch change")),
    ("Brother HL-L6200", "PRN", ("printing faded pages with a new toner", "showing 'Drum End Soon' with a new drum")),
    ("Zebra ZD421", "LBL",
     ("printing wristband labels offset by half a label", "feeding three blank labels per print")),
    ("Fujitsu fi-7160", "SCN",
     ("not showing in the CareLoom scan dialog", "double-feeding insurance cards")),
    ("Xerox VersaLink C405", "MFP",
     ("asking for a PIN for scan-to-email", "queueing faxes that never send", "jamming in the duplex unit")),
)  # fmt: skip
RSVP_EVENTS = (
    ("Diabetes cooking class",
     ("referred by endo", "Dr. {dr} pt - A1c 9.1", "new dx {d}, referred by PCP", "on insulin, Dr. {dr}"), ""),
    ("Joint replacement info night",
     ("R knee scheduled w/ Dr. {dr}", "hip surgery consult {d}", "Dr. {dr} pt, bringing spouse"), ""),
    ("New moms support group",
     ("delivered {d}, Dr. {dr}", "postpartum visit {d}", "baby sees Dr. {dr} in peds", "OB pt, due next month"), "F"),
    ("Heart health walk",
     ("cardiac rehab grad", "Dr. {dr} pt - post-stent", "AFib clinic pt", "CHF f/u {d}"), ""),
)  # fmt: skip
LEGACY = "Meditrex PM"

DEPTS: dict[str, tuple[str, ...]] = {
    "Family Medicine": (
        "annual physical", "diabetes follow-up", "BP recheck", "sick visit (cough, fever)",
        "Medicare annual wellness visit", "med refill visit - lisinopril/metformin",
        "hospital follow-up after pneumonia",
    ),
    "Cardiology": (
        "echo follow-up", "chest pain evaluation", "AFib follow-up (on Eliquis)",
        "Holter monitor hookup", "post-stent check", "CHF follow-up",
    ),
    "Orthopedics": (
        "R knee pain, possible meniscus tear", "post-op check L hip replacement",
        "rotator cuff repair follow-up", "cortisone injection R shoulder",
        "L wrist fracture cast check", "lumbar MRI review",
    ),
    "OB/GYN": (
        "new OB visit (9 weeks)", "annual well-woman exam", "IUD insertion", "postpartum visit",
        "colposcopy", "20-week anatomy ultrasound",
    ),
    "Dermatology": (
        "full-body skin check", "biopsy result review (basal cell)", "Mohs surgery consult",
        "isotretinoin monthly visit", "psoriasis biologic start (Skyrizi)",
    ),
    "Gastroenterology": (
        "colonoscopy pre-procedure consult", "Crohn's follow-up", "GERD follow-up", "EGD",
        "screening colonoscopy",
    ),
    "Pulmonology & Sleep": (
        "CPAP compliance follow-up", "COPD follow-up", "sleep study results",
        "pulmonary function test", "home sleep test pickup",
    ),
    "Endocrinology": (
        "thyroid nodule biopsy", "insulin pump start", "A1c review", "Ozempic follow-up",
        "osteoporosis (Prolia injection)",
    ),
    "Pediatrics": (
        "well child check", "ADHD medication check", "asthma follow-up",
        "catch-up vaccines", "ear infection recheck",
    ),
    "Behavioral Health": (
        "therapy intake", "med management (sertraline)", "ADHD evaluation",
        "couples counseling session", "anxiety follow-up",
    ),
    "Urology": ("vasectomy consult", "kidney stone follow-up", "PSA recheck", "cystoscopy"),
    "ENT": ("hearing test", "sinus surgery follow-up", "tonsillectomy consult", "ear tubes check"),
}  # fmt: skip
PAYERS = (
    ("Anthem Blue Cross PPO", "YRK"), ("Medical Mutual SuperMed", "MMO"),
    ("UnitedHealthcare Choice Plus", ""), ("CareSource Medicaid", ""), ("Medicare Part B", "MBI"),
    ("Humana Gold Plus HMO", "H"), ("Aetna Open Access", "W"), ("Cigna OAP", "U"),
    ("Molina Marketplace", ""), ("Tricare Select", ""),
)  # fmt: skip
CPT = (
    ("99213", "Office visit, est., low"), ("99214", "Office visit, est., moderate"),
    ("99204", "Office visit, new, moderate"), ("93306", "Echo TTE complete"),
    ("20610", "Arthrocentesis/injection, major joint"), ("45378", "Colonoscopy, diagnostic"),
    ("11102", "Tangential biopsy of skin"), ("95810", "Polysomnography"),
    ("G0439", "Annual wellness visit, subsequent"), ("90837", "Psychotherapy, 60 min"),
    ("58300", "IUD insertion"), ("73721", "MRI lower extremity joint w/o contrast"),
)  # fmt: skip
ICD = (
    ("E11.9", "Type 2 diabetes"), ("I10", "Hypertension"), ("I48.91", "Atrial fibrillation"),
    ("M17.11", "Primary OA, right knee"), ("G47.33", "Obstructive sleep apnea"),
    ("F41.1", "Generalized anxiety disorder"), ("K50.90", "Crohn's disease"),
    ("C44.311", "Basal cell carcinoma of nose"), ("Z34.01", "Normal first pregnancy, 1st tri"),
    ("J44.9", "COPD"), ("N20.0", "Kidney stone"), ("F90.2", "ADHD, combined type"),
)  # fmt: skip
KO_FAMILY = ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han")
KO_GIVEN_F = ("Seo-yeon", "Ji-woo", "Ha-eun", "Min-ji", "Eun-ji", "Soo-jin", "Hye-won", "Ye-rin")
KO_GIVEN_M = ("Min-jun", "Seo-jun", "Ji-ho", "Hyun-woo", "Dong-hyun", "Sung-min", "Jae-won")
VI_GIVEN_F = ("Thi Lan", "Ngoc Anh", "Thu Trang", "Mai", "Thi Hoa", "Bich Ngoc", "Kim Thuy")
VI_GIVEN_M = ("Van Minh", "Duc Anh", "Quoc Bao", "Thanh Tung", "Van Hung", "Minh Khoa", "Tuan")
AR_FAMILY = (
    "Haddad", "Al-Sayed", "Mansour", "Khalil", "Nasser", "Abdullah", "Hassan", "Farah",
    "Ibrahim", "Aziz", "Rahimi", "Yousef", "Omar", "Mohamed",
)  # fmt: skip
AR_GIVEN_F = ("Fatima", "Layla", "Mariam", "Noor", "Huda", "Amal", "Rania", "Samira", "Hodan")
AR_GIVEN_M = ("Ahmed", "Omar", "Khalid", "Yusuf", "Tariq", "Hamza", "Bilal", "Abdirahman")
CYR = dict(
    zip(
        "абвгґдеєёжзиіїйклмнопрстуфхцчшщъыьэюя",
        "a b v g g d e ye yo zh z i i yi y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split(),
        strict=True,
    )
)
FOLD = str.maketrans({"ł": "l", "Ł": "L", "ı": "i", "ß": "ss", "đ": "d", "Đ": "D", "ø": "o"})


def fold(s: str) -> str:
    """Strip accents, as many systems do to names."""
    s = unicodedata.normalize("NFKD", s.translate(FOLD))
    return "".join(c for c in s if not unicodedata.combining(c))


def translit(s: str, uk: bool = False) -> str:
    out = []
    for c in s:
        low = c.lower()
        if uk and low == "г":
            t = "h"
        elif uk and low == "и":
            t = "y"
        else:
            t = CYR.get(low, c)
        t = "" if t == "-" else t
        out.append(t.capitalize() if c != low and t else t)
    return "".join(out)


def slug(s: str) -> str:
    return "".join(c for c in fold(s).lower() if c.isalnum())


def h(s: object) -> str:
    return html.escape(str(s))


def fmt_date(d: dt.date, style: str) -> str:
    if style == "us":
        return f"{d.month}/{d.day}/{d.year}"
    if style == "us0":
        return d.strftime("%m/%d/%Y")
    if style == "us2":
        return f"{d.month}/{d.day}/{d.strftime('%y')}"
    if style == "long":
        return f"{d.strftime('%B')} {d.day}, {d.year}"
    if style == "dow":
        return f"{d.strftime('%a')} {d.month}/{d.day}"
    if style == "dowyear":
        return f"{d.strftime('%A')}, {d.strftime('%B')} {d.day}, {d.year}"
    if style == "iso":
        return d.isoformat()
    if style == "dmy":
        return f"{d.day} {d.strftime('%b')} {d.year}"
    if style == "abbr":
        return f"{d.strftime('%b')} {d.day}"
    if style == "compact":
        return d.strftime("%Y%m%d")
    if style == "dash":
        return d.strftime("%m-%d-%Y")
    return d.strftime("%d-%b-%Y").upper()


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], style: int = 0) -> str:
    """An HTML table as mail clients and report tools write them."""
    css = (
        ' border="1" cellpadding="4" cellspacing="0" style="border-collapse:collapse;font-size:12px"',
        ' style="font-family:Calibri,Arial;font-size:11pt" cellspacing="0"',
        ' class="grid" width="100%"',
    )[style % 3]
    head = "".join(f"<th align='left'>{h(x)}</th>" for x in headers)
    body = "".join("<tr>" + "".join(f"<td>{h(c)}</td>" for c in r) + "</tr>\n" for r in rows)
    return f"<table{css}>\n<tr>{head}</tr>\n{body}</table>"


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A fixed-width table, as pasted from a report screen."""
    cells = [list(map(str, headers))] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def csv_bytes(headers: Sequence[str], rows: Sequence[Sequence[object]], delim: str = ",") -> bytes:
    """A CSV export; like most practice-system exports, ASCII only."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delim, lineterminator="\r\n")
    w.writerow(headers)
    w.writerows(rows)
    return ascii_bytes(buf.getvalue())


def ascii_bytes(text: str) -> bytes:
    return fold(text).encode("ascii", "replace")


def short(s: str, n: int) -> str:
    """`s` cut at a word boundary to at most `n` characters, as ticket systems do."""
    if len(s) <= n:
        return s
    return s[:n].rsplit(" ", 1)[0] + "..."


def page(inner: str, font: str = "Arial") -> str:
    return (
        f'<html><head><meta charset="utf-8"></head>'
        f'<body style="font-family:{font},sans-serif;font-size:13px">\n{inner}\n</body></html>'
    )


def paras(text: str) -> str:
    return "\n".join(f"<p>{h(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))


def money(x: float) -> str:
    return f"${x:,.2f}"


@dataclass
class Person:
    """A patient: name, sex and the identifiers a practice keeps."""

    given: str
    family: str
    sex: str
    dob: dt.date
    mrn: str
    acct: str
    phone: str
    email: str
    street: str
    city: str
    zip: str
    middle: str = ""

    def full(self) -> str:
        return f"{self.given} {self.family}"

    def formal(self) -> str:
        return f"{self.family.upper()}, {self.given.upper()}"

    def lf(self) -> str:
        return f"{self.family}, {self.given}"

    def initials(self) -> str:
        return "".join(p[0] for p in (self.given.split()[0], self.family) if p).upper()

    def title(self) -> str:
        return f"{'Ms.' if self.sex == 'F' else 'Mr.'} {self.family}"

    def pron(self) -> str:
        return "she" if self.sex == "F" else "he"

    def poss(self) -> str:
        return "her" if self.sex == "F" else "his"

    def obj(self) -> str:
        return "her" if self.sex == "F" else "him"

    def address(self) -> str:
        return f"{self.street}, {self.city}, OH {self.zip}"


class Gen(OnePatientGen):
    """templates-q's generator: one patient with a department, visit and identifiers, others
    on demand for lists, a sender and recipient the family sets, and a clock around BASE."""

    patient_locales = PATIENT_LOCALES
    staff_locales = STAFF_LOCALES

    def __init__(self, rng: random.Random) -> None:
        super().__init__(rng)
        self.us = Faker("en_US")
        self.us.seed_instance(rng.randrange(2**32))
        self._fakers: dict[str, Faker] = {}
        self.when_sent = BASE + dt.timedelta(
            days=rng.randint(-40, 40), minutes=rng.randint(7 * 60, 19 * 60 + 30)
        )
        if self.when_sent.weekday() >= 5:
            self.when_sent += dt.timedelta(days=7 - self.when_sent.weekday())
        self.dstyle = rng.choice(("us", "us0", "long", "dow", "iso", "dmy", "us2", "abbr", "dash"))
        self.dobstyle = rng.choice(("us0", "us0", "us", "iso", "long", "us2", "dash"))
        self.dept = rng.choice([d for d in sorted(DEPTS) if d != "Pediatrics"])
        self.reason = rng.choice(DEPTS[self.dept])
        self.site = rng.choice(SITES)
        self.doc = f"Dr. {self.st.last_name()}"
        lo, hi = (1, 16) if self.dept == "Pediatrics" else (19, 88)
        if self.dept == "OB/GYN":
            lo, hi = 19, 44
        sex = "F" if self.dept == "OB/GYN" else "M" if self.dept == "Urology" else ""
        self.p = self.person(lo, hi, sex, str(self.pt.locales[0]))
        self.given, self.family = self.p.given, self.p.family
        self.visit_day = self.day(-25, 0)
        self.me = ""
        self.from_addr = ""
        self.to = ""

    # ---- people
    def _faker(self, loc: str) -> Faker:
        if loc == "ar":
            loc = "en_US"
        f = self._fakers.get(loc)
        if f is None:
            f = Faker(loc)
            self._fakers[loc] = f
        f.seed_instance(self.rng.randrange(2**32))
        return f

    def name_for(self, loc: str, sex: str) -> tuple[str, str, str]:
        """(given, family, middle) of a person from `loc`, romanized."""
        rng = self.rng
        fk = self._faker(loc)
        female = sex == "F"
        if loc == "ko_KR":
            return rng.choice(KO_GIVEN_F if female else KO_GIVEN_M), rng.choice(KO_FAMILY), ""
        if loc == "ar":
            return rng.choice(AR_GIVEN_F if female else AR_GIVEN_M), rng.choice(AR_FAMILY), ""
        if loc == "vi_VN":
            given = rng.choice(VI_GIVEN_F if female else VI_GIVEN_M)
            return given, fold(str(fk.last_name())), ""
        if loc in ("zh_CN", "zh_TW"):
            return (
                str(fk.first_romanized_name()).title(),
                str(fk.last_romanized_name()).title(),
                "",
            )
        if loc == "ja_JP":
            g = fk.first_romanized_name_female() if female else fk.first_romanized_name_male()
            return str(g), str(fk.last_romanized_name()), ""
        given = str(fk.first_name_female() if female else fk.first_name_male())
        fam = str(fk.last_name_female() if female else fk.last_name_male())
        if loc in ("ru_RU", "uk_UA"):
            given, fam = translit(given, loc == "uk_UA"), translit(fam, loc == "uk_UA")
        if loc in ("es_MX", "es_CO") and rng.random() < 0.35:
            fam = f"{fam} {fk.last_name()}"
        if loc in ("pt_BR", "pl_PL", "tr_TR", "de_DE", "fr_FR") and rng.random() < 0.5:
            given, fam = fold(given), fold(fam)
        middle = ""
        if loc == "en_US" and rng.random() < 0.4:
            middle = str(fk.first_name_female() if female else fk.first_name_male())
        return given, fam, middle

    def person(self, lo: int = 0, hi: int = 0, sex: str = "", loc: str = "") -> Person:
        """A patient; without an age range mostly an adult, now and then a child."""
        rng = self.rng
        if not lo:
            lo, hi = (1, 17) if rng.random() < 0.08 else (19, 88)
        loc = loc or rng.choice(PATIENT_LOCALES)
        sex = sex or rng.choice("FM")
        given, fam, middle = self.name_for(loc, sex)
        dob = (BASE - dt.timedelta(days=rng.randint(lo * 365 + 5, hi * 365 + 300))).date()
        gs, fs = slug(given) or "pat", slug(fam) or "home"
        local = rng.choice(
            (f"{gs}.{fs}", f"{gs[0]}{fs}{rng.randint(1, 99)}", f"{gs}{fs}{dob.year % 100:02d}",
             f"{fs}.{gs}{rng.randint(1, 9)}", f"{gs}_{fs[:6]}", f"{gs}{rng.randint(100, 999)}")
        )  # fmt: skip
        dom = rng.choice(
            ("gmail.com", "gmail.com", "gmail.com", "yahoo.com", "icloud.com", "outlook.com",
             "hotmail.com", "aol.com", "att.net", "columbus.rr.com")
        )  # fmt: skip
        city, zipc = rng.choice(
            (("Columbus", "432" + self.digits(2)), ("Dublin", "43016"), ("Westerville", "43081"),
             ("Grove City", "43123"), ("Hilliard", "43026"), ("Reynoldsburg", "43068"),
             ("Gahanna", "43230"), ("Delaware", "43015"), ("Lancaster", "43130"),
             ("Pickerington", "43147"), ("Marysville", "43040"), ("Upper Arlington", "43221"))
        )  # fmt: skip
        return Person(
            given, fam, sex, dob, "10" + self.digits(6), str(rng.randint(100000, 989999)),
            self.tel(), f"{local}@{dom}", str(self.us.street_address()), city, zipc, middle,
        )  # fmt: skip

    def tel(self, area: str = "", style: int = -1) -> str:
        area = area or self.rng.choice(AREAS)
        ex, line = self.rng.randint(201, 989), self.rng.randint(0, 9999)
        if ex == 555:
            ex = 556
        v = self.rng.randrange(5) if style < 0 else style
        return (
            f"({area}) {ex}-{line:04d}", f"{area}-{ex}-{line:04d}", f"{area}.{ex}.{line:04d}",
            f"{area}{ex}{line:04d}", f"+1 {area} {ex} {line:04d}",
        )[v]  # fmt: skip

    def name_as(self, p: Person | None = None) -> str:
        """The patient's name as one system or writer prints it."""
        p = p or self.p
        v = self.variant(8)
        if v == 0:
            return p.formal()
        if v == 1:
            return p.lf()
        if v == 2:
            return p.full().lower()
        if v == 3 and p.middle:
            return f"{p.given} {p.middle[0]}. {p.family}"
        if v == 4:
            return f"{p.family}, {p.given}" + (f" {p.middle[0]}" if p.middle else "")
        return p.full()

    def staff(self) -> str:
        return f"{self.st.first_name()} {self.st.last_name()}"

    def addr_of(self, name: str, domain: str = PRACTICE) -> str:
        parts = [slug(x) for x in name.replace(",", " ").split() if slug(x)]
        if len(parts) < 2:
            return f"{parts[0] if parts else 'office'}@{domain}"
        v = self.variant(3)
        local = (
            f"{parts[0]}.{parts[-1]}",
            f"{parts[0][0]}{parts[-1]}",
            f"{parts[-1]}{parts[0][0]}",
        )
        return f"{local[v]}@{domain}"

    def sender(self, name: str, addr: str = "") -> str:
        self.me, self.from_addr = name, addr or self.addr_of(name)
        return name

    def staff_sender(self) -> str:
        return self.sender(self.staff())

    def to_staff(self, name: str = "", domain: str = PRACTICE) -> str:
        name = name or self.staff()
        self.to = formataddr((name, self.addr_of(name, domain)))
        return name

    # ---- dates
    def day(self, lo: int, hi: int) -> dt.date:
        """A working day `lo`..`hi` days from the sending day (weekends move to Monday)."""
        d = (self.when_sent + dt.timedelta(days=self.rng.randint(lo, hi))).date()
        return d + dt.timedelta(days=(7 - d.weekday()) % 7) if d.weekday() >= 5 else d

    def date(self, d: dt.date, style: str = "") -> str:
        return fmt_date(d, style or self.dstyle)

    def dob(self, p: Person | None = None, style: str = "") -> str:
        return fmt_date((p or self.p).dob, style or self.dobstyle)

    def age(self, p: Person | None = None) -> int:
        d, today = (p or self.p).dob, self.when_sent.date()
        return today.year - d.year - ((today.month, today.day) < (d.month, d.day))

    def clock(self, lo: int = 7, hi: int = 17) -> str:
        hh, mm = self.rng.randint(lo, hi), self.rng.choice((0, 15, 30, 45, 10, 20, 40))
        h12, ap = (hh - 1) % 12 + 1, "AM" if hh < 12 else "PM"
        return self.pick(
            f"{h12}:{mm:02d} {ap}", f"{h12}:{mm:02d}{ap.lower()}", f"{hh:02d}:{mm:02d}"
        )

    def stamp(self, d: dt.datetime | None = None) -> str:
        d = d or self.when_sent
        return d.strftime(self.pick("%Y-%m-%d %H:%M", "%m/%d/%Y %I:%M %p", "%b %d %Y %H:%M:%S"))

    def long_stamp(self, d: dt.datetime | None = None) -> str:
        d = d or self.when_sent
        return f"{d.strftime('%a')}, {d.strftime('%b')} {d.day}, {d.year} at {d.strftime('%I:%M %p').lstrip('0')}"

    # ---- text pieces
    def site_name(self) -> str:
        return self.pick(f"{self.site[0]}", f"{self.site[0]} office", f"BMG {self.site[0]}")

    def visit_for(self, p: Person) -> tuple[str, str]:
        """A department and visit reason that fit the person's age and sex."""
        skip = {"Pediatrics", "Urology" if p.sex == "F" else "OB/GYN"}
        dept = self.rng.choice([d for d in sorted(DEPTS) if d not in skip])
        if p.dob.year > 2007:
            dept = "Pediatrics"
        return dept, self.rng.choice(DEPTS[dept])

    def payer(self) -> tuple[str, str]:
        name, pre = self.rng.choice(PAYERS)
        if name.startswith("Medicare"):
            a = "ABCDEFGHJKMNPQRTUVWXY"
            mid = self.rng.choice(a) + self.rng.choice("0123456789" + a)
            return (
                name,
                f"{self.rng.randint(1, 9)}{mid}{self.digits(1)}-{self.rng.choice(a)}{self.rng.choice(a)}{self.digits(1)}-{self.rng.choice(a)}{self.rng.choice(a)}{self.digits(2)}",
            )
        return name, f"{pre}{self.digits(self.rng.choice((9, 10, 11)) - len(pre))}"

    def sig(self, name: str, title: str, dept: str = "") -> str:
        site = self.site
        v = self.variant(6)
        d = f"{dept} | " if dept else ""
        if v == 0:
            return f"Thanks,\n{name}\n{title}\n{PRACTICE_NAME}\n{self.tel('614', 0)}"
        if v == 1:
            return f"{name.split()[0]}"
        if v == 2:
            return f"Best,\n{name} | {title}\n{d}{PRACTICE_NAME} - {site[0]}\n{site[1]}, {site[2]}, OH {site[3]}"
        if v == 3:
            return f"-- \n{name}, {title}\n{PRACTICE_NAME}\nP {self.tel('614', 2)}  F {self.tel('614', 2)}"
        if v == 4:
            return f"Thank you!\n\n{name}\n{title}"
        return f"{name}\n{title} · {PRACTICE_NAME} · www.{PRACTICE}"

    def conf(self) -> str:
        return self.pick(
            "",
            "",
            "\n\nCONFIDENTIALITY NOTICE: This message and any attachments are intended only for "
            "the addressee and may contain protected health information or other confidential "
            "material. If you are not the intended recipient, notify the sender and delete it.",
            "\n\nThe information in this e-mail is confidential and may be legally privileged. "
            f"{PRACTICE_NAME} does not accept liability for any errors or omissions.",
            "\n\nSent from my iPhone",
        )


# ------------------------------------------------------------------------- PHI families
def ehr_freeze_ticket(g: Gen) -> Mail:
    """An IT helpdesk ticket quoting the chart screen a user was on when the EHR froze."""
    p = g.p
    user = g.staff()
    role = g.pick("MA", "RN", "front desk", "scheduler", "LPN", "check-out")
    tno = g.pick("INC", "HD-", "#", "TKT") + g.digits(g.rng.choice((5, 6, 7)))
    room = g.pick("exam 4", "exam room 11", "triage", "check-in window 2", "nurse station B")
    err = g.pick(
        "(Not Responding)", "Error 0x80070005", "Session timed out - unable to save",
        "Unhandled exception in NoteWriter.dll", "white screen, spinning wheel",
    )  # fmt: skip
    visit = g.date(g.when_sent.date())
    banner = g.pick(
        f"{p.formal()} | {p.sex} | DOB {g.dob()} ({g.age()}y) | MRN {p.mrn} | {g.doc} | {g.dept}",
        f"{p.lf()}  {g.age()} yo {p.sex}  MRN: {p.mrn}  Visit: {visit} {g.reason}",
        f"Patient: {p.full()}   DOB: {g.dob()}   Enc: {visit}   Reason: {g.reason}",
    )
    g.sender(user)
    v = g.variant(4)
    if v == 0:
        g.sender("HelpHub", f"helphub-noreply@{PRACTICE}")
        g.to_staff(user)
        subject = f"[HelpHub] Ticket {tno} created: {EHR} freezing - {g.dept} {room}"
        body = (
            f"Hello {user.split()[0]},\n\nYour request has been logged. A technician will be "
            f"assigned shortly.\n\nTicket: {tno}\nPriority: {g.pick('P2 - High', 'P3 - Normal')}\n"
            f"Category: Clinical Applications > {EHR} > Charting\nLocation: {g.site[0]} / {room}\n"
            f"Phone: x{g.digits(4)}\n\nDescription (as submitted):\n"
            f"{EHR} froze while I had a pt chart open. Screen showed:\n  {banner}\n"
            f"then {err}. Couldn't sign the note, had to kill it in task manager. "
            f"{g.pick('Third time this week.', 'Happens after I add an order.', '')}\n\n"
            f"Reply to this e-mail to add notes. Do not change the subject line.\n"
            f"--\nIT Service Desk | x4357 | https://helphub.{PRACTICE}/ticket/{tno}"
        )
        return phi(subject, body)
    if v == 1:
        g.to = f"it-help@{PRACTICE}"
        subject = g.pick(f"{EHR} stuck again", "urgent - computer frozen", f"{room} PC frozen")
        body = g.pick(
            f"hi can someone come to {g.dept.lower()} at {g.site[0]}, {EHR} is frozen on "
            f"{g.name_as()}'s chart (dob {g.dob()}) - {p.pron()}'s here for {g.reason} and "
            f"I can't close the encounter. {p.pron()} is still in the room!!\n\n{user}\n{role}",
            f"IT,\n\n{EHR} hung at {g.clock()} today in {room}. I was on {g.name_as()} "
            f"MRN {p.mrn}, {g.reason} with {g.doc}. Error: {err}.\nI don't know if the vitals "
            f"saved.\n\nThanks\n{user}",
        )
        return phi(subject, body + g.conf())
    if v == 2:
        g.sender("ServiceNow", f"servicedesk@{PRACTICE}")
        g.to = f"clinical-apps@{PRACTICE}"
        subject = f"Incident {tno} assigned to Clinical Apps: {EHR} not responding"
        rows = [
            ("Caller", f"{user} ({role}, {g.dept})"), ("Opened", g.stamp()),
            ("Short description", f"{EHR} not responding during charting"),
            ("Screen at time of error", banner), ("Error", err),
            ("Workstation", f"BMG-{g.site[0][:3].upper()}-{g.digits(4)}"),
        ]  # fmt: skip
        inner = (
            f"<p>Incident <b>{h(tno)}</b> has been assigned to your group.</p>"
            + table(("Field", "Value"), rows, g.variant(3))
            + "<p style='color:#888'>You are receiving this because you are a member of Clinical Apps.</p>"
        )
        return phi(subject, page(inner), html=True)
    tech = g.staff()
    g.sender(tech)
    g.to_staff(user)
    subject = f"RE: {EHR} froze on {p.family} chart"
    body = (
        f"Hi {user.split()[0]},\n\nI cleared the stuck session and the note for that visit is "
        f"there, unsigned. Please have {g.doc} sign it. If it happens again grab a screenshot "
        f"before you restart.\n\n{g.sig(tech, 'Desktop Support Technician')}\n\n"
        f"-----Original Message-----\nFrom: {user}\nSent: {g.long_stamp()}\nTo: IT Help\n"
        f"Subject: {EHR} froze on {p.family} chart\n\nIt froze on {g.name_as()} {g.dob()}, "
        f"{g.reason}. I'd already typed the whole HPI.\n"
    )
    return phi(subject, body, where=("subject", "body"))


def vendor_case_export(g: Gen) -> Mail:
    """A vendor support case with an export or interface log attached to reproduce a bug."""
    vendor = g.pick("RemindRight", "QueueLine", "PayBridge", "FaxFlow", "LabLink Interface")
    case = g.pick("Case ", "CS-", "Ticket #", "SR ") + g.digits(8)
    admin = g.staff()
    g.sender(admin)
    g.to = f"support@{slug(vendor)}.example"
    people = [g.p] + [g.person() for _ in range(g.rng.randint(3, 9))]
    v = g.variant(3)
    where: tuple[str, ...] = ("attachment",)
    if v == 0:
        headers = ("ApptDate", "ApptTime", "Provider", "Dept", "PatientName", "DOB", "MRN",
                   "CellPhone", "ApptType", "ReminderStatus")  # fmt: skip
        rows: list[Sequence[object]] = []
        for q in people:
            dept, why = g.visit_for(q)
            rows.append(
                (g.date(g.day(1, 14), "us0"), g.clock(), f"Dr. {g.st.last_name()}", dept,
                 q.lf(), g.dob(q, "us0"), q.mrn, q.phone, why,
                 g.pick("SENT", "SENT", "DUPLICATE", "FAILED-30007"))
            )  # fmt: skip
        att = ("reminder_export_" + g.when_sent.strftime("%Y%m%d") + ".csv", "text/csv",
               csv_bytes(headers, rows))  # fmt: skip
        issue = "patients are getting the same reminder text 2-3 times"
    elif v == 1:
        lines = []
        for i, q in enumerate(people[:4]):
            dept, why = g.visit_for(q)
            ts = (g.when_sent - dt.timedelta(minutes=17 * (i + 1))).strftime("%Y%m%d%H%M%S")
            lines.append(
                f"MSH|^~\\&|CARELOOM|BMG|{slug(vendor).upper()}|LAB|{ts}||ORM^O01|{g.digits(9)}|P|2.5.1\n"
                f"PID|1||{q.mrn}^^^BMG^MR||{fold(q.family).upper()}^{fold(q.given).upper()}||"
                f"{q.dob.strftime('%Y%m%d')}|{q.sex}|||{fold(q.street).upper()}^^{q.city.upper()}^OH^{q.zip}||{q.phone}\n"
                f"ORC|NW|{g.digits(7)}\nOBR|1|{g.digits(7)}||{g.pick('CMP^Comprehensive metabolic panel', 'HBA1C^Hemoglobin A1c', 'CBC^CBC w/ diff', 'TSH^TSH')}\n"
                f"DG1|1||{g.rng.choice(ICD)[0]}\n-- {g.pick('ACK AE: segment PID-11 too long', 'timeout waiting for ACK', 'ACK AA')}\n"
            )  # fmt: skip
        att = ("interface_log.txt", "text/plain", ascii_bytes("\n".join(lines)))
        issue = "orders are rejected with AE when the patient address has an apartment number"
    else:
        rows = []
        for q in people:
            dept, why = g.visit_for(q)
            rows.append(
                (q.acct, q.formal(), g.dob(q, "us0"), g.date(g.day(-60, -5), "us0"),
                 g.rng.choice(CPT)[0], money(g.rng.randint(15, 900) + g.rng.choice((0, 0.5, 0.25))),
                 g.pick("POSTED", "POSTED", "UNAPPLIED", "REVERSED"))
            )  # fmt: skip
        att = ("unapplied_payments.xls.csv", "text/csv",
               csv_bytes(("Account", "Guarantor/Patient", "DOB", "DOS", "CPT", "Amount", "Status"), rows))  # fmt: skip
        issue = (
            "card payments post to the wrong encounter when a patient has two visits the same week"
        )
    body = g.pick(
        f"Hello {vendor} Support,\n\nOpening a case: {issue}. Version {g.rng.randint(4, 9)}.{g.rng.randint(0, 20)}."
        f"{g.rng.randint(0, 99)}, site ID BMG-{g.digits(4)}.\n\nTo reproduce, see the attached file "
        f"({att[0]}) pulled this morning - {g.pick('rows 3-5 show it', 'look at the duplicates', 'every row with status FAILED')}.\n\n"
        f"{g.sig(admin, 'Applications Analyst', 'IT')}",
        f"Re {case}\n\nAttaching the file your engineer asked for. Issue is still happening: {issue}.\n"
        f"{admin}",
    )
    if g.rng.random() < 0.35:
        q = people[0]
        body += f"\n\nExample: {q.lf()} (MRN {q.mrn}) {g.reason} on {g.date(g.visit_day)}."
        where = ("body", "attachment")
    subject = g.pick(
        f"{case} - {short(issue, 48)}", f"RE: [{vendor}] {case}", f"New case: {short(issue, 60)}"
    )
    return phi(subject, body, where=where, attachments=[att])


def fax_misroute_report(g: Gen) -> Mail:
    """A fax or print job sent to the wrong place, naming what went."""
    p = g.p
    who = g.staff_sender()
    if g.variant(3):
        g.to = g.pick(f"privacy@{PRACTICE}", f"compliance@{PRACTICE}")
    else:
        g.to_staff()
    pages = g.rng.randint(2, 14)
    doc = g.pick(
        f"referral packet to {g.doc} ({g.dept}) incl. last office note and labs",
        "after-visit summary and med list", f"{g.reason} note + insurance card copy",
        "prior auth request with chart notes", "lab results (lipid panel, A1c, CMP)",
    )  # fmt: skip
    wrong = g.tel(g.rng.choice(AREAS), 1)
    fname = f"{g.pick('Referral', 'AVS', 'PA', 'Records')}_{slug(p.family).title()}_{p.given[:1]}_{p.mrn}.pdf"
    v = g.variant(4)
    if v == 0:
        subject = "Fax sent to wrong number this morning"
        body = (
            f"Hi,\n\nReporting a misdirected fax. At {g.clock(8, 12)} I faxed the {doc} for "
            f"{g.name_as()} (DOB {g.dob()}) to {wrong}. It should have gone to {g.tel('614', 1)}; "
            f"I transposed two digits. {pages} pages. I called the number and it is "
            f"{g.pick('a dry cleaner', 'a residential line, no answer', 'an auto body shop - the owner said he would shred it', 'a law office')}.\n\n"
            f"{g.sig(who, 'Referral Coordinator')}"
        )
        return phi(subject, body + g.conf())
    if v == 1:
        g.sender("FaxFlow Server", f"faxserver@{PRACTICE}")
        g.to_staff(who)
        subject = f"Fax delivery report: SENT - {fname}"
        body = (
            f"FAX TRANSMISSION REPORT\n\nJob ID:        {g.digits(6)}\nSubmitted by:  {who}\n"
            f"Document:      {fname}\nRecipient:     {wrong}\nPages:         {pages}\n"
            f"Status:        Delivered ({g.rng.randint(31, 190)} s)\nCompleted:     {g.stamp()}\n"
            f"Cover note:    RE: {p.full()} DOB {g.dob()} - {g.reason}\n\n"
            f"---- forwarded by {who}: ----\nthis went to the wrong #, should have been "
            f"{g.doc}'s office. what do I do now?"
        )
        return phi(subject, body, where=("subject", "body"))
    if v == 2:
        printer = g.pick(
            "2nd floor lobby printer", "the check-in printer at Hilliard", "BMG-PRN-0" + g.digits(3)
        )
        subject = g.pick("Printed to wrong printer", "Papers found on public printer")
        body = (
            f"Heads up - a patient in the waiting room handed {g.pick('us', 'the front desk', 'me')} "
            f"pages they found on the {printer}. It was the {doc} for {g.name_as()}, "
            f"{g.pick('MRN ' + p.mrn, 'DOB ' + g.dob(), 'acct ' + p.acct)}, visit {g.date(g.visit_day)}. "
            f"All {pages} pages accounted for, I have them in the locked bin.\n\n{who}"
        )
        return phi(subject, body)
    subject = f"misdirected fax - {p.family}, {p.given[0]} - {g.date(g.when_sent.date())}"
    inner = paras(
        f"Compliance team,\n\nPer policy, logging a misdirected fax. Details below.\n\n{who}"
    ) + table(
        ("Item", "Detail"),
        [("Patient", p.lf()), ("DOB", g.dob()), ("Content", doc), ("Sent to", wrong),
         ("Intended", f"{g.doc}, {g.dept}"), ("Pages", pages), ("Recipient reached", g.pick("Yes - confirmed destroyed", "No"))],
        g.variant(3),
    )  # fmt: skip
    return phi(subject, page(inner), html=True, where=("subject", "body"))


def privacy_incident_report(g: Gen) -> Mail:
    """An incident report to the privacy/compliance officer."""
    p = g.p
    who = g.staff_sender()
    officer = g.to_staff()
    kind = g.pick(
        "AVS handed to the wrong patient at check-out", "e-mail with lab results sent to wrong patient",
        "patient portal message sent to a different patient with same last name",
        "visitor overheard name and diagnosis at the front desk", "unlocked workstation showing schedule",
        "paper superbill left in exam room",
    )  # fmt: skip
    info = g.pick(
        f"name, DOB, {g.reason}, medication list", f"name, MRN, diagnosis ({g.rng.choice(ICD)[1]})",
        f"name, address, balance due and visit date {g.date(g.visit_day)}", f"name, {g.reason}, provider",
    )  # fmt: skip
    inc_no = f"PI-{g.when_sent.year}-{g.digits(3)}"
    v = g.variant(3)
    if v == 0:
        subject = f"Privacy incident report {inc_no}"
        body = (
            f"PRIVACY INCIDENT REPORT\n\nReported by: {who}\nDepartment: {g.dept}\nLocation: {g.site[0]}\n"
            f"Date of incident: {g.date(g.day(-3, 0))}\nDate discovered: {g.date(g.when_sent.date())}\n\n"
            f"Type: {kind}\n\nIndividual(s) whose information was involved:\n"
            f"  {g.name_as()}  DOB {g.dob()}  MRN {p.mrn}\n\nInformation involved: {info}\n\n"
            f"Description: {g.pick('Two patients were checking out at the same time.', 'Auto-complete filled the wrong address.', 'Reported to us by the other patient.')}"
            f" {g.pick('Document retrieved.', 'Recipient confirmed deletion.', 'Not yet retrieved.')}\n\n"
            f"Submitted via compliance form"
        )
        return phi(subject, body)
    if v == 1:
        subject = g.pick("Need to report something", "possible breach?", f"Incident - {g.site[0]}")
        body = (
            f"Hi {officer.split()[0]},\n\nNot sure if this counts but I wanted to report it. "
            f"Today we had an incident: {kind}. The patient was {g.name_as()} "
            f"({g.pick(g.dob(), 'MRN ' + p.mrn, p.phone)}) who was here for {g.reason}. "
            f"The information seen was {info}.\n\nI spoke with {g.staff()} (supervisor). "
            f"Let me know if you need a form.\n\n{g.sig(who, g.pick('Patient Services Rep', 'Medical Assistant', 'Practice Supervisor'))}"
        )
        return phi(subject, body + g.conf())
    others = [g.p] + [g.person() for _ in range(g.rng.randint(1, 3))]
    rows = [(q.lf(), q.mrn, g.dob(q, "us0"), g.visit_for(q)[1]) for q in others]
    subject = f"{inc_no}: {kind}"
    inner = (
        paras(
            f"{officer.split()[0]},\n\nSummary of {inc_no} for the log. Risk assessment pending.\n\n"
            f"What happened: {kind} ({g.date(g.day(-5, 0))}, {g.site[0]})."
        )
        + table(("Patient", "MRN", "DOB", "Visit"), rows, g.variant(3))
        + paras(g.sig(who, "Privacy Liaison"))
    )
    return phi(subject, page(inner), html=True)


def patient_complaint_forward(g: Gen) -> Mail:
    """A patient's complaint forwarded to a manager."""
    p = g.p
    fwd = g.staff_sender()
    mgr = g.to_staff()
    visit = g.date(g.visit_day, g.pick("long", "us", "dowyear"))
    gripe = g.pick(
        f"I waited an hour and forty minutes for my {g.reason} appointment and nobody told me why.",
        f"I was charged {money(g.rng.randint(60, 480))} for my {g.reason} even though I was told it was covered.",
        f"The receptionist announced my reason for visit ({g.reason}) in front of the whole waiting room.",
        f"{g.doc} spent five minutes with me at my {g.reason} visit and didn't look at my test results.",
        f"I have called three times to get a refill after my {g.reason} appointment and nobody calls back.",
    )  # fmt: skip
    v = g.variant(3)
    if v == 0:
        subject = f"Fw: {g.pick('Complaint', 'Very disappointed', 'Terrible experience', 'my visit on ' + visit)}"
        body = (
            f"{mgr.split()[0]} - see below, can you call {p.obj()} back? "
            f"I told {p.obj()} someone would reach out by Friday.\n\n{fwd}\n\n"
            f"-------- Forwarded message --------\nFrom: {p.full()} <{p.email}>\n"
            f"Date: {g.long_stamp(g.when_sent - dt.timedelta(hours=g.rng.randint(2, 60)))}\n"
            f"Subject: {g.pick('Complaint', 'Very disappointed', 'Terrible experience')}\n"
            f"To: info@{PRACTICE}\n\nTo whom it may concern,\n\nOn {visit} I came to your "
            f"{g.site[0]} office. {gripe} I have been a patient for {g.rng.randint(2, 15)} years.\n\n"
            f"{g.pick('Please call me at ' + p.phone + '.', 'Sincerely,', '')}\n{p.full()}"
        )
        return phi(subject, body)
    if v == 1:
        g.sender("Website", f"webforms@{PRACTICE}")
        subject = "New submission: Contact Us - Feedback / Complaint"
        rows = [("Name", p.full()), ("Email", p.email), ("Phone", p.phone),
                ("Date of birth (optional)", g.pick(g.dob(), "")), ("Location visited", g.site[0]),
                ("Date of visit", visit), ("Message", gripe)]  # fmt: skip
        inner = "<p>A new form entry was submitted.</p>" + table(
            ("Field", "Value"), rows, g.variant(3)
        )
        inner += f"<p>Routed to: {h(mgr)}</p>"
        return phi(subject, page(inner), html=True)
    subject = f"voicemail complaint - {p.family}"
    body = (
        f'Transcribed VM from the patient line ({g.stamp()}):\n\n"Hi this is {p.full().lower() if g.rng.random() < 0.4 else p.full()}, '
        f"my number is {p.phone}. {gripe} I'd like a manager to call me.\"\n\n"
        f"{mgr.split()[0]}, chart is {p.mrn}. Sending to you since it's {g.dept}.\n{fwd}"
    )
    return phi(subject, body, where=("subject", "body"))


def balance_payment_plan(g: Gen) -> Mail:
    """Front desk and billing about a patient's balance and a payment plan."""
    p = g.p
    bal = g.rng.randint(180, 4200) + g.rng.choice((0, 0.4, 0.75, 0.18))
    per = g.rng.choice((25, 40, 50, 75, 100, 150))
    dos = g.date(g.day(-120, -20))
    v = g.variant(4)
    if v == 0:
        who = g.staff_sender()
        g.to = f"billing@{PRACTICE}"
        subject = g.pick(
            "payment plan request", f"pt wants payment plan - acct {p.acct}", "balance question"
        )
        body = (
            f"Hi billing,\n\n{g.name_as()} acct #{p.acct} was in today for {p.poss()} {g.reason} "
            f"with {g.doc}. {p.pron().capitalize()} has a balance of {money(bal)} from {dos} "
            f"({g.pick('the MRI', 'the deductible', 'the procedure', 'the lab work')}) and asked if "
            f"{p.pron()} can do {money(per)}/month. {p.pron().capitalize()} paid {money(g.rng.choice((20, 40, 50)))} copay today. "
            f"Best number is {p.phone}.\n\n{g.sig(who, 'Front Desk', g.site[0])}"
        )
        return phi(subject, body + g.conf())
    if v == 1:
        who = g.staff_sender()
        g.to = formataddr((p.full(), p.email))
        months = int(bal // per) + 1
        subject = f"Your payment plan with {PRACTICE_NAME}"
        body = (
            f"Dear {g.pick(p.given, p.title(), p.full())},\n\nThank you for speaking with me today. "
            f"As discussed, we have set up a payment plan for the balance on account {p.acct} "
            f"(services on {dos}):\n\n  Balance:          {money(bal)}\n  Monthly payment:  {money(per)}\n"
            f"  Number of months: {months}\n  First payment:    {g.date(g.day(5, 20))}\n\n"
            f"Payments can be made at pay.{PRACTICE} or by calling our billing office. Your "
            f"upcoming {g.dept} appointment is not affected.\n\n{g.sig(who, 'Patient Account Representative', 'Central Billing')}"
        )
        return phi(subject, body)
    if v == 2:
        who = g.staff_sender()
        other = g.to_staff()
        subject = f"RE: {p.family} balance"
        body = (
            f"ok I set {p.obj()} up at {money(per)}/mo, autopay on the card ending {g.digits(4)}.\n\n"
            f"{who.split()[0]}\n\n> On {g.long_stamp(g.when_sent - dt.timedelta(hours=3))}, {other} wrote:\n"
            f"> {p.full()} ({g.dob()}) is at the window for {p.poss()} {g.reason}, says {p.pron()} "
            f"can't pay the {money(bal)} all at once. Can you set up a plan so I can check {p.obj()} in?\n"
        )
        return phi(subject, body, where=("subject", "body"))
    who = g.staff_sender()
    g.to = f"billing-leads@{PRACTICE}"
    subject = "Payment plan exceptions for approval"
    rows = []
    for q in [g.p] + [g.person() for _ in range(g.rng.randint(2, 5))]:
        rows.append((q.acct, q.lf(), money(g.rng.randint(300, 9000)), money(g.rng.choice((25, 35, 50))),
                     g.visit_for(q)[0], g.pick("hardship", "HSA pending", "disputes charge", "")))  # fmt: skip
    inner = (
        paras("These plans are below the $75 minimum, need a lead to approve:")
        + table(("Acct", "Patient", "Balance", "Proposed/mo", "Dept", "Note"), rows, g.variant(3))
        + paras(g.sig(who, "Billing Specialist"))
    )
    return phi(subject, page(inner), html=True)


def card_dispute_refund(g: Gen) -> Mail:
    """A card chargeback, refund request or credit-balance thread."""
    p = g.p
    amt = g.rng.choice((25, 40, 50, 75, 125, 250)) + g.rng.choice((0, 0.0, 0.5))
    dos = g.date(g.visit_day)
    last4 = g.digits(4)
    v = g.variant(3)
    if v == 0:
        g.sender("PayBridge Disputes", "disputes@paybridge.example")
        g.to = f"billing@{PRACTICE}"
        case = "DSP" + g.digits(9)
        subject = f"Action required: chargeback {case} - respond by {g.date(g.day(8, 14), 'us0')}"
        body = (
            f"Merchant: BAYRIDGE MULTISPECIALTY (MID {g.digits(12)})\n\nA cardholder has disputed a "
            f"transaction.\n\nCase number:      {case}\nCardholder:       {fold(p.full()).upper()}\n"
            f"Card:             Visa ending {last4}\nTransaction date: {g.date(g.visit_day, 'us0')}\n"
            f"Amount:           {money(amt)}\nReason code:      {g.pick('13.1 Services not provided', '12.6 Duplicate processing', '13.3 Not as described')}\n\n"
            f"Submit compelling evidence through the merchant portal.\n\n"
            f"--- internal note added by {g.staff()} ---\nThis is {p.poss()} copay for the {dos} "
            f"{g.reason} w/ {g.doc}. {p.pron().capitalize()} was seen, encounter signed. "
            f"MRN {p.mrn}. Uploading the visit summary as evidence."
        )
        return phi(subject, body)
    if v == 1:
        who = g.staff_sender()
        g.to = f"refunds@{PRACTICE}"
        subject = g.pick(
            "Refund request", f"Credit balance refund - {p.family}", "overpayment refund"
        )
        body = (
            f"Please issue a refund of {money(amt)} to {g.name_as()}, acct {p.acct}.\n"
            f"{p.pron().capitalize()} paid {money(amt)} at check-in on {dos} for {g.dept} ({g.reason}) "
            f"and then {g.pick('the insurance paid in full', 'Medicaid picked it up', 'we found the visit was a global post-op')}.\n"
            f"Refund to: {g.pick('card ending ' + last4, 'check mailed to ' + p.address())}\n\n{who}"
        )
        return phi(subject, body)
    who = g.staff_sender()
    g.to = formataddr((p.full(), p.email))
    subject = "Re: charged twice??"
    body = (
        f"Hi {p.given},\n\nYou're right, the card ending in {last4} was charged {money(amt)} twice "
        f"for your {dos} visit. I've refunded the duplicate; allow 5-7 business days.\n\n"
        f"{g.sig(who, 'Billing Office')}\n\n"
        f"On {g.long_stamp(g.when_sent - dt.timedelta(days=1))} {p.full()} <{p.email}> wrote:\n"
        f"> I was charged twice for my {g.reason} appointment. Please fix this.\n> {p.given}\n"
    )
    return phi(subject, body)


def scheduling_mixup_apology(g: Gen) -> Mail:
    """A scheduling mix-up: an apology to the patient or an internal explanation."""
    p = g.p
    d = g.date(g.visit_day, g.pick("long", "dowyear", "us"))
    tm = g.clock()
    v = g.variant(3)
    if v == 0:
        who = g.staff_sender()
        g.to = formataddr((p.full(), p.email))
        subject = g.pick(
            "Our apologies about your appointment",
            f"Your {g.dept} appointment",
            "Sorry for the mix-up",
        )
        body = (
            f"{g.pick('Dear ' + p.title(), 'Hi ' + p.given, 'Dear ' + p.full())},\n\n"
            f"I am so sorry about what happened {g.pick('yesterday', 'on ' + d)}. Your {g.reason} was "
            f"booked {g.pick('at the wrong location', 'with a provider who was out that day', 'for the wrong time in our system', 'as a telehealth visit by mistake')}, "
            f"and you made the trip for nothing. We have rebooked you with {g.doc} on "
            f"{g.date(g.day(3, 20), 'long')} at {tm} at our {g.site[0]} office, and we will waive "
            f"the copay.\n\n{g.sig(who, g.pick('Practice Manager', 'Patient Experience Coordinator', 'Scheduling Supervisor'))}"
        )
        return phi(subject, body)
    if v == 1:
        q = g.person(sex=p.sex)
        q.given, q.family = p.given, p.family
        who = g.staff_sender()
        g.to_staff()
        subject = g.pick("two pts same name - wrong one scheduled", "same-name patients mixed up")
        body = (
            f"FYI for the team huddle: we have two patients named {p.full()}. The one scheduled for {d} "
            f"{tm} ({g.reason}, {g.doc}) was supposed to be DOB {g.dob()} MRN {p.mrn}, but "
            f"scheduling picked DOB {g.dob(q)} MRN {q.mrn}. The wrong one got the reminder call and "
            f"showed up. Please ALWAYS verify DOB.\n\n{who}"
        )
        return phi(subject, body)
    who = g.staff_sender()
    g.to = f"scheduling@{PRACTICE}"
    subject = f"{p.family.upper()} {p.given.upper()} - double booked {g.date(g.day(0, 6), 'us0')}"
    body = (
        f"{g.doc} has {p.family} at {tm} for {g.reason} and also a new pt in the same slot. "
        f"Can someone move the new patient, {p.family} is post-op and can't wait.\n-{who.split()[0]}"
    )
    return phi(subject, body, where=("subject", "body"))


def collections_noshow_list(g: Gen) -> Mail:
    """A billing list of no-shows or accounts going to collections."""
    who = g.staff_sender()
    people = [g.p] + [g.person() for _ in range(g.rng.randint(4, 11))]
    v = g.variant(3)
    if v == 0:
        g.to = f"accounts@{g.pick('ohiorecovery', 'midstatecollect', 'firstcredit')}.example"
        subject = f"Placements - {g.when_sent.strftime('%B %Y')} - Bayridge MSG"
        rows: list[Sequence[object]] = []
        for q in people:
            rows.append((q.acct, q.formal(), g.dob(q, "us0"), q.address(), q.phone,
                         g.date(g.day(-300, -120), "us0"), money(g.rng.randint(90, 3800))))  # fmt: skip
        body = (
            f"Attached are this month's placements ({len(rows)} accounts). All have had three "
            f"statements and a final notice.\n\n{g.sig(who, 'Collections Coordinator', 'Central Billing')}"
        )
        att = (f"placements_{g.when_sent.strftime('%m%Y')}.csv", "text/csv",
               csv_bytes(("Acct", "Guarantor", "DOB", "Address", "Phone", "LastDOS", "Balance"), rows))  # fmt: skip
        return phi(subject, body, attachments=[att], where=("attachment",))
    if v == 1:
        g.to = f"{slug(g.site[0])}-frontdesk@{PRACTICE}"
        subject = g.pick("No-show list - please call", f"No shows {g.date(g.day(-7, -1), 'us0')}")
        rows = []
        for q in people:
            dept, why = g.visit_for(q)
            rows.append((g.name_as(q), q.phone, dept, why, g.pick("1st", "2nd", "3rd - dismiss?")))
        body = (
            "Please call these and reschedule, note in the chart. $50 fee applies to 2nd+.\n\n"
            + text_table(("Patient", "Phone", "Dept", "Appt", "No-show"), rows)
            + f"\n\n{who}"
        )
        return phi(subject, body)
    g.to = f"billing-leads@{PRACTICE}"
    subject = "Bad debt write-off review"
    rows = [
        (
            q.acct,
            q.lf(),
            g.visit_for(q)[0],
            money(g.rng.randint(40, 2500)),
            g.pick("deceased", "bankruptcy", "returned mail", "SOL"),
        )
        for q in people
    ]
    inner = (
        paras("Accounts proposed for write-off this cycle:")
        + table(("Account", "Patient", "Service line", "Balance", "Reason"), rows, g.variant(3))
        + paras(g.sig(who, "Revenue Cycle Analyst"))
    )
    return phi(subject, page(inner), html=True)


def marketing_testimonial(g: Gen) -> Mail:
    """Marketing asking a patient for a testimonial, or handling an event RSVP list."""
    p = g.p
    who = g.staff_sender()
    v = g.variant(3)
    if v == 0:
        g.to = formataddr((p.full(), p.email))
        subject = g.pick(
            "Would you share your story?",
            "A quick favor from Bayridge",
            "Your story could help others",
        )
        body = (
            f"Hi {p.given},\n\n{g.doc} told us how well you've done since your "
            f"{g.pick('knee replacement', 'Mohs surgery on your nose', 'cardiac rehab', 'weight-loss program', g.reason)}"
            f" in {g.day(-200, -40).strftime('%B')}, and we'd love to feature you in our spring "
            f"newsletter and on our website. It's a 15-minute phone interview and a photo if you're "
            f"comfortable. We'd send you the consent form first.\n\n"
            f"{g.sig(who, 'Marketing & Communications Specialist')}"
        )
        return phi(subject, body)
    if v == 1:
        g.to = f"marketing@{PRACTICE}"
        event, notes, sex = g.rng.choice(RSVP_EVENTS)
        subject = f"RSVPs for {event}"
        rows = []
        if sex:
            g.p = g.person(19, 44, sex)
        for q in [g.p] + [
            g.person(19, 80 if not sex else 44, sex) for _ in range(g.rng.randint(3, 8))
        ]:
            note = g.rng.choice(notes).format(dr=g.st.last_name(), d=g.date(g.day(-60, -3), "us"))
            rows.append((q.full(), q.phone, q.email, note))
        body = (
            f"Here's who has signed up so far for the {event} on {g.date(g.day(5, 30), 'long')}. "
            f"Most were referred by their providers.\n\n"
            + "\n".join(f"{i + 1}. " + " | ".join(r) for i, r in enumerate(rows))
            + f"\n\n{who}"
        )
        return phi(subject, body)
    g.to = f"social@{PRACTICE}"
    subject = "Facebook post draft - patient spotlight"
    body = (
        f"Draft for Thursday, photo release is on file (signed {g.date(g.day(-20, -2), 'us')}):\n\n"
        f'"Meet {p.given} {p.family[0]}., {g.age()}, of {p.city}! After {p.poss()} '
        f"{g.reason} with {g.doc} at our {g.site[0]} office, {p.pron()}'s back to "
        f'{g.pick("gardening", "coaching soccer", "walking 3 miles a day", "work")}. #BayridgeCares"\n\n'
        f"Full name for the caption file: {p.full()}, MRN {p.mrn} (for the release lookup)\n{who}"
    )
    return phi(subject, body)


def records_request_log(g: Gen) -> Mail:
    """Release-of-information fulfilment: who received which records."""
    p = g.p
    who = g.staff_sender()
    req = g.pick(
        "Law Office of " + g.us.last_name() + " & " + g.us.last_name(),
        "Social Security Administration (DDS)",
        g.pick("Nationwide", "State Farm", "Progressive") + " claims",
        "patient (self)",
        "OhioHealth Orthopedics",
    )
    span = f"{g.date(g.day(-900, -400), 'us0')} - {g.date(g.day(-30, -1), 'us0')}"
    recs = g.pick(
        "office notes, imaging reports",
        f"all {g.dept} notes, labs, med list",
        "billing ledger + itemized statement",
        "complete chart excl. behavioral health",
    )
    v = g.variant(3)
    if v == 0:
        g.to = f"him@{PRACTICE}"
        subject = f"ROI {g.digits(5)} completed"
        body = (
            f"Completed ROI:\n\nPatient: {g.name_as()}\nDOB: {g.dob()}\nMRN: {p.mrn}\nRequester: {req}\n"
            f"Records: {recs} ({span})\nPages: {g.rng.randint(8, 340)}\nSent via: {g.pick('secure e-mail', 'USPS', 'CD mailed', 'portal')}\n"
            f"Authorization: on file, exp {g.date(g.day(60, 360), 'us0')}\nFee: {money(g.rng.choice((6.5, 25, 0, 48.75)))}\n\n{who}"
        )
        return phi(subject, body)
    if v == 1:
        g.to = f"him-team@{PRACTICE}"
        subject = f"ROI log week of {g.date(g.when_sent.date(), 'us0')}"
        rows = []
        for q in [g.p] + [g.person() for _ in range(g.rng.randint(3, 7))]:
            rows.append((q.lf(), g.dob(q, "us0"), g.pick("attorney", "SSA", "patient", "insurer", "school", "provider"),
                         g.pick("notes 2023-2025", "imaging", "immunizations", "labs", "full chart"), g.date(g.day(-6, 0), "us0")))  # fmt: skip
        inner = (
            paras("Fulfilled this week:")
            + table(("Patient", "DOB", "Requester", "Records", "Sent"), rows, g.variant(3))
            + paras(who)
        )
        return phi(subject, page(inner), html=True)
    g.to = formataddr((p.full(), p.email))
    subject = "Your records request"
    body = (
        f"Hello {p.given},\n\nYour request has been completed. Per your authorization we sent "
        f"{recs} for {span} to {req} on {g.date(g.when_sent.date(), 'long')}. "
        f"{g.pick('There was no fee.', 'An invoice was sent to the requester.')}\n\n"
        f"{g.sig(who, 'Health Information Management')}"
    )
    return phi(subject, body)


def left_belongings_note(g: Gen) -> Mail:
    """A lost-and-found note naming a patient's items and visit."""
    p = g.p
    who = g.staff_sender()
    item = g.pick(
        "CPAP machine (ResMed AirSense, grey travel bag)", "reading glasses in a red case",
        "hearing aid (left) in a small blue case", "walker with tennis balls", "insulin pen and glucometer",
        "knee brace", "car seat", "cane and a folder of papers", "phone charger and inhaler",
    )  # fmt: skip
    where_ = g.pick(
        "in exam room " + str(g.rng.randint(1, 18)),
        "in the lobby",
        "in sleep lab room 2",
        "in the restroom by radiology",
        "at the check-out counter",
        "under a chair in the waiting room",
    )
    v = g.variant(3)
    if v == 0:
        g.to = f"{slug(g.site[0])}-staff@{PRACTICE}"
        subject = g.pick("Lost and found", f"left {where_}", "Does anyone know whose this is?")
        body = (
            f"Found a {item} {where_} after {g.pick('my', 'the')} {g.clock(12, 17)} - I think it belongs to "
            f"{g.pick(p.title(), p.full(), p.given + ' ' + p.family[0] + '.')} who was here for {p.poss()} {g.reason}. "
            f"It's at the front desk. {g.pick('Can someone call ' + p.obj() + ' at ' + p.phone + '?', 'Chart ' + p.mrn + ', number is in there.', 'DOB ' + g.dob() + ' if you need to look ' + p.obj() + ' up.')}\n\n{who}"
        )
        return phi(subject, body)
    if v == 1:
        g.to = formataddr((p.full(), p.email))
        subject = f"You left something at our {g.site[0]} office"
        body = (
            f"Hi {p.given},\n\nAfter your appointment with {g.doc} on {g.date(g.visit_day, 'long')} we "
            f"found your {item} {where_}. You can pick it up at the front desk Monday-Friday 8-5, "
            f"or let us know and we'll bring it to your next visit.\n\n{g.sig(who, 'Front Desk')}"
        )
        return phi(subject, body)
    g.to = f"facilities@{PRACTICE}"
    subject = "Lost & found log"
    rows = [
        (g.date(g.day(-10, 0), "us0"), item, where_, f"{p.lf()} ({g.dept} pt, {g.dob(style='us0')})", g.pick("called, LVM", "picked up", "holding")),
        (g.date(g.day(-10, 0), "us0"), g.pick("umbrella", "scarf", "water bottle"), "lobby", "unknown", "holding"),
    ]  # fmt: skip
    body = (
        "Current lost & found:\n\n"
        + text_table(("Date", "Item", "Where", "Owner", "Status"), rows)
        + f"\n\n{who}"
    )
    return phi(subject, body)


def snooping_report(g: Gen) -> Mail:
    """A staff member looking up someone they know: a report or an access-audit finding."""
    p = g.p
    nosy = g.staff()
    v = g.variant(3)
    if v == 0:
        who = g.staff_sender()
        g.to = f"compliance@{PRACTICE}"
        subject = g.pick("Not comfortable with a request", "Reporting a concern", "Confidential")
        body = (
            f"Hi,\n\nI want to report something. {nosy} from {g.pick('billing', 'the Dublin front desk', 'scheduling', 'HR')} "
            f'asked me to "just look up" when their neighbor {p.full()} is coming in, because '
            f"they saw {p.obj()} in our parking lot. I saw on the schedule that {p.pron()} "
            f"{g.pick('has', 'had')} a {g.dept} appointment ({g.reason}) on {g.date(g.visit_day)} but I "
            f"did not tell {nosy.split()[0]} anything. Please keep my name out of it.\n\n{who}"
        )
        return phi(subject, body)
    if v == 1:
        g.sender("CareLoom Access Monitor", f"fairwarning@{PRACTICE}")
        g.to = f"privacy@{PRACTICE}"
        user = slug(nosy.split()[0])[0] + slug(nosy.split()[-1])
        alert, rule = g.rng.choice(
            (
                ("Neighbor (address match)", "patient address within 0.2 mi of employee address"),
                ("Co-worker", "patient is an active employee"),
                ("No relationship", "no appointment, order or message linking user and patient"),
                ("VIP", "patient flagged VIP / restricted record"),
            )
        )
        subject = f"Alert: {alert} access - user {user}"
        rows = []
        for k in range(g.rng.randint(2, 6)):
            t = g.when_sent - dt.timedelta(minutes=37 * k + g.rng.randint(0, 30))
            rows.append(
                (
                    t.strftime("%m/%d/%Y %H:%M"),
                    user,
                    p.mrn,
                    p.formal(),
                    g.pick("Chart Review", "Notes", "Results", "Appointments", "Problem List"),
                )
            )
        body = (
            f"Rule triggered: {rule}\n"
            f"Employee: {nosy} ({user}), {g.pick('Billing', 'Scheduling', 'Medical Records', 'Radiology')}\n"
            f"Patient: {p.formal()}  MRN {p.mrn}  DOB {g.dob()}  Last visit {g.date(g.visit_day, 'us0')} {g.dept}\n\n"
            + text_table(("Time", "User", "MRN", "Patient", "Activity"), rows)
            + "\n\nReview in the Access Monitor console. Do not forward."
        )
        return phi(subject, body)
    officer = g.staff_sender()
    g.to = f"hr@{PRACTICE}"
    subject = f"Investigation summary - {nosy}"
    body = (
        f"HR,\n\nSummary of the privacy investigation. The access audit shows {nosy} opened the "
        f"chart of {g.name_as()} (MRN {p.mrn}) {g.rng.randint(3, 22)} times between "
        f"{g.date(g.day(-40, -20))} and {g.date(g.day(-19, -2))}, including "
        f"{g.pick('behavioral health notes', 'the OB ultrasound report' if p.sex == 'F' else 'the PSA results', 'lab results', f'the {g.reason} note')}. "
        f"There was no work reason. The patient is {nosy.split()[0]}'s {g.pick('ex-spouse', 'sister-in-law', 'neighbor', 'ex-partner')}. "
        f"Recommendation: {g.pick('final written warning and retraining', 'termination')}. Patient notification letter goes out {g.date(g.day(2, 10), 'long')}.\n\n"
        f"{g.sig(officer, 'Privacy Officer')}\n\nPRIVILEGED & CONFIDENTIAL"
    )
    return phi(subject, body)


def specimen_courier_tracking(g: Gen) -> Mail:
    """Courier and lab-specimen tracking mail naming the patient."""
    p = g.p
    test = g.pick(
        "skin biopsy, L shoulder (path)", "24-hr urine", "CBC, CMP, lipid panel",
        "colon polyp x2 (path)", "thyroid FNA", "urine culture", "Cologuard kit",
        "Pap/HPV" if p.sex == "F" else "semen analysis (post-vasectomy)",
        "endometrial biopsy (path)" if p.sex == "F" else "PSA, free and total",
    )  # fmt: skip
    trk = g.pick("1Z", "TRK", "") + g.digits(12)
    v = g.variant(3)
    if v == 0:
        g.sender("MedRoute Courier", "dispatch@medroute.example")
        g.to = f"{slug(g.site[0])}-lab@{PRACTICE}"
        subject = f"Exception: pickup {trk} - {g.pick('delayed', 'specimen not in bag', 'temperature excursion')}"
        body = (
            f"MedRoute dispatch notification\n\nRoute: {g.pick('COL-07', 'DUB-02', 'WST-11')}  Driver: {g.us.first_name()}\n"
            f"Pickup: {PRACTICE_NAME} {g.site[0]}, {g.site[1]}\nDestination: {g.pick('Quest Dublin', 'LabCorp Columbus', 'OSU Pathology', 'Bayridge Central Lab')}\n\n"
            f"Item manifest:\n  1. {p.formal()} DOB {g.dob()} - {test}\n"
            + "".join(
                f"  {i + 2}. {q.formal()} DOB {g.dob(q)} - {g.pick('CBC', 'UA', 'A1c', 'TSH', 'path')}\n"
                for i, q in enumerate(g.person() for _ in range(g.rng.randint(0, 3)))
            )
            + f"\nException: item 1 {g.pick('was left at the site', 'arrived above 8 C', 'label unreadable')}. Please call dispatch {g.tel('614', 0)}."
        )
        return phi(subject, body)
    if v == 1:
        who = g.staff_sender()
        g.to = f"{slug(g.site[0])}-frontdesk@{PRACTICE}"
        subject = g.pick(
            "Redraw needed", f"{p.family} - specimen rejected", "need pt back for recollect"
        )
        body = (
            f"The lab rejected {g.name_as()}'s {test} from {g.date(g.visit_day)} "
            f"({g.pick('hemolyzed', 'unlabeled tube', 'QNS', 'received after stability window')}). Please call {p.obj()} at "
            f"{p.phone} to come back for a recollect, standing order is in. DOB {g.dob()} if you need it.\n\n{g.sig(who, 'Lab Supervisor')}"
        )
        return phi(subject, body)
    who = g.staff_sender()
    g.to = f"support@{g.pick('shipfast', 'parcelpoint')}.example"
    subject = f"Where is package {trk}?"
    body = (
        f"Hello,\n\nThe package with tracking {trk} shipped {g.date(g.day(-6, -2), 'us0')} from our office "
        f'still shows "In transit". It contains a patient\'s {test} specimen for {p.full()}, and it '
        f"needs to reach the lab today. Can you escalate?\n\n{g.sig(who, 'Medical Assistant', g.dept)}"
    )
    return phi(subject, body)


def migration_mismatch_report(g: Gen) -> Mail:
    """An EHR data-migration mismatch report with sample rows."""
    who = g.staff_sender()
    g.to = g.pick(f"migration-team@{PRACTICE}", f"cutover@{slug(EHR)}.example")
    field = g.pick(
        "allergies", "problem list", "insurance", "DOB", "preferred phone", "PCP", "active meds"
    )
    people = [g.p] + [g.person() for _ in range(g.rng.randint(3, 7))]
    n = g.rng.randint(40, 2600)
    rows = []
    for q in people:
        if field == "allergies":
            a, b = (
                g.pick("Penicillin (hives)", "Sulfa", "Latex", "Codeine - nausea", "Shellfish"),
                g.pick("(none)", "NKDA", ""),
            )
        elif field == "problem list":
            code = g.rng.choice(ICD)
            a, b = f"{code[0]} {code[1]}", g.pick("(missing)", code[0])
        elif field == "insurance":
            a, b = g.payer()[0], g.pick("Self-pay", "(blank)", g.payer()[0])
        elif field == "DOB":
            a, b = (
                g.dob(q, "us0"),
                fmt_date(q.dob.replace(day=min(q.dob.month, 28), month=min(q.dob.day, 12)), "us0"),
            )
        elif field == "preferred phone":
            a, b = q.phone, "0000000000"
        elif field == "PCP":
            a, b = f"Dr. {g.st.last_name()}", "UNASSIGNED"
        else:
            a, b = (
                g.pick(
                    "metformin 500 mg BID",
                    "lisinopril 10 mg",
                    "sertraline 50 mg",
                    "Eliquis 5 mg BID",
                    "levothyroxine 75 mcg",
                ),
                "(not migrated)",
            )
        last = g.date(g.day(-400, -1), "us0")
        rows.append(
            ("M" + g.digits(5), q.mrn, g.pick(q.formal(), q.lf()), g.dob(q, "us0"), last, a, b)
        )
    headers = (
        "LegacyID",
        "MRN",
        "Patient",
        "DOB",
        "LastVisit",
        f"{LEGACY} {field}",
        f"{EHR} {field}",
    )
    v = g.variant(3)
    subject = g.pick(
        f"Mismatch report: {field} ({n} rows)",
        f"[cutover] {field} validation failures",
        "Migration QA - sample",
    )
    intro = (
        f"Validation of the {LEGACY} -> {EHR} load found {n} records where {field} differs. "
        f"Sample below{g.pick('', ', full list attached', ' - all of these are active patients')}."
    )
    if v == 0:
        body = f"{intro}\n\n{text_table(headers, rows[:5])}\n\n{g.sig(who, 'Data Analyst', 'IT')}"
        return phi(subject, body)
    if v == 1:
        inner = (
            paras(intro)
            + table(headers, rows, g.variant(3))
            + paras(g.sig(who, "Integration Engineer"))
        )
        return phi(subject, page(inner, "Segoe UI"), html=True)
    att = (
        f"mismatch_{slug(field)}.csv",
        "text/csv",
        csv_bytes(headers, rows, g.pick(",", "|", "\t")),
    )
    body = f"{intro}\n\nMatch rule: MRN + DOB. Run ID {g.digits(6)}.\n\n{who}"
    return phi(subject, body, attachments=[att], where=("attachment",))


def call_qa_review(g: Gen) -> Mail:
    """A call-centre QA scorecard quoting a recorded call."""
    p = g.p
    agent = g.staff()
    lead = g.staff_sender()
    g.to_staff(agent)
    score = g.rng.randint(58, 98)
    call_id = g.digits(10)
    quote = g.pick(
        f"Caller: \"Hi, this is {p.full()}, I need to move my {g.reason}.\" Agent: \"Sure, can I get your date of birth?\" Caller: \"{g.dob(style='long')}.\"",
        f"Agent: \"Bayridge, this is {agent.split()[0]}.\" Caller: \"It's {p.given} {p.family}, calling about my bill from {g.dept}, the {g.reason}.\"",
        f"Caller gave name {p.full()}, DOB {g.dob()}, asked whether {g.doc} got {p.poss()} results from the {g.reason}.",
    )  # fmt: skip
    v = g.variant(3)
    subject = g.pick(
        f"QA review - call {call_id}",
        f"Call evaluation {g.date(g.when_sent.date(), 'us0')}",
        "Your QA score this week",
    )
    items = [
        ("Greeting/branding", g.pick("Met", "Met", "Not met")),
        ("Verified 2 identifiers", g.pick("Met", "Not met - only name")),
        ("HIPAA - no PHI to unverified caller", g.pick("Met", "Not met")),
        ("Scheduled correctly", g.pick("Met", "Met", "Partial")),
    ]
    if v == 0:
        body = (
            f"Hi {agent.split()[0]},\n\nI reviewed call {call_id} from {g.long_stamp(g.when_sent - dt.timedelta(days=2))}. "
            f"Score: {score}%.\n\nExcerpt:\n{quote}\n\n"
            + "\n".join(f"- {a}: {b}" for a, b in items)
            + f"\n\nCoaching: {g.pick('Always read back the appointment time.', 'Do not confirm a diagnosis over the phone.', 'Nice job staying calm.')}\n\n{lead}"
        )
        return phi(subject, body)
    if v == 1:
        inner = (
            f"<p>Call ID <b>{call_id}</b> &middot; Agent {h(agent)} &middot; Score <b>{score}</b></p>"
            f"<p><i>{h(quote)}</i></p>"
            + table(("Criterion", "Result"), items, g.variant(3))
            + f"<p>Patient account for reference: {h(p.acct)}</p>"
        )
        return phi(subject, page(inner), html=True)
    body = (
        f"{agent.split()[0]} - flagged call for calibration. {p.lf()} ({g.dob()}) called {g.clock()} re {g.reason}; "
        f"you transferred {p.obj()} to {g.dept} without a warm handoff and {p.pron()} was disconnected. "
        f"{p.pron().capitalize()} called back and complained. Let's review at 1:1.\n{lead}"
    )
    return phi(subject, body)


def eligibility_check_note(g: Gen) -> Mail:
    """A front-desk insurance eligibility and benefits verification note."""
    p = g.p
    who = g.staff_sender()
    plan, mid = g.payer()
    grp = g.digits(6)
    copay = g.rng.choice((0, 20, 30, 40, 50, 75))
    ded = g.rng.choice((500, 1500, 3000, 6000))
    met = g.rng.randint(0, ded)
    auth = g.pick(
        "Prior auth required for MRI.",
        "No auth needed.",
        f"Auth # {g.digits(9)} on file.",
        "Referral from PCP required (HMO).",
    )
    v = g.variant(3)
    appt = f"{g.date(g.day(1, 14))} w/ {g.doc} ({g.dept})"
    if v == 0:
        g.to = f"billing@{PRACTICE}"
        subject = g.pick(
            "eligibility verified", f"Elig - {p.family}", "Benefits check for tomorrow"
        )
        body = (
            f"Verified for {appt}:\n\nPt: {g.name_as()}\nDOB: {g.dob()}\nPlan: {plan}\nMember ID: {mid}\n"
            f"Group: {grp}\nStatus: {g.pick('Active', 'Active', 'TERMED ' + g.date(g.day(-40, -5), 'us0'))}\n"
            f"Specialist copay: ${copay}\nDeductible: ${ded:,} (met ${met:,})\n{auth}\nRef #: {g.digits(11)}\n\n{who}"
        )
        return phi(subject, body)
    if v == 1:
        g.to_staff()
        subject = "271 response pasted - coverage question"
        body = (
            f"Can you look at this? Portal says active but {plan} rejected the claim.\n\n"
            f"NM1*IL*1*{fold(p.family).upper()}*{fold(p.given).upper()}****MI*{mid}~\n"
            f"DMG*D8*{p.dob.strftime('%Y%m%d')}*{p.sex}~\nEB*1*IND*30**{g.pick('PPO', 'HMO', 'MA')}~\n"
            f"EB*B*IND*98***27*{copay}~\nDTP*291*D8*{g.visit_day.strftime('%Y%m%d')}~\n\n"
            f"DOS {g.date(g.visit_day, 'us0')}, {g.reason}.\n\n{who}"
        )
        return phi(subject, body)
    g.to = f"{slug(g.site[0])}-frontdesk@{PRACTICE}"
    subject = f"Tomorrow's eligibility - {g.site[0]}"
    rows = []
    for q in [g.p] + [g.person() for _ in range(g.rng.randint(3, 8))]:
        pl, m = g.payer()
        rows.append(
            (
                g.clock(8, 16),
                q.lf(),
                g.dob(q, "us0"),
                pl,
                m,
                g.pick("OK", "OK", "OK", "Inactive - call pt", "Need new card", "Auth pending"),
            )
        )
    inner = (
        paras("Results of tonight's batch eligibility run:")
        + table(("Time", "Patient", "DOB", "Plan", "Member ID", "Result"), rows, g.variant(3))
        + paras(who)
    )
    return phi(subject, page(inner), html=True)


def mail_merge_misfire(g: Gen) -> Mail:
    """A mail merge gone wrong: letter text pasted with the fields filled."""
    p = g.p
    prep = g.pick(
        "Do not eat after midnight.",
        "Start the clear liquid diet the day before.",
        "Bring your CPAP mask.",
        "Bring your medication list.",
        "",
    )
    letter = (
        f"Dear {p.full()},\n\nThis is a reminder that your {g.reason} with {g.doc} is scheduled for "
        f"{g.date(g.day(2, 21), 'dowyear')} at {g.clock()} at our {g.site[0]} office, {g.site[1]}. {prep}\n"
        f"{g.pick('Your account shows a balance of ' + money(g.rng.randint(30, 900)) + '.', '')}\n"
        f"Patient ID: {p.mrn}\n\nSincerely,\n{PRACTICE_NAME}"
    )
    v = g.variant(3)
    if v == 0:
        g.sender(
            g.pick(g.us.name(), fold(g.person().full())),
            f"{g.us.user_name()}@{g.pick('gmail.com', 'yahoo.com')}",
        )
        g.to = f"info@{PRACTICE}"
        subject = g.pick("I got someone else's letter", "Wrong letter", "this isn't me")
        body = (
            f"I received this in my email today and it is not for me. I don't know this person. "
            f"You should be more careful.\n\n--- pasted ---\n{letter}\n"
        )
        return phi(subject, body)
    if v == 1:
        who = g.staff_sender()
        g.to = f"it-help@{PRACTICE}"
        subject = "Reminder merge put the wrong names in"
        body = (
            f"The {g.pick('Tuesday', 'overnight', '8 AM')} reminder batch went out with shifted fields, "
            f"patients got each other's letters. Example of what one patient got:\n\n{letter}\n\n"
            f"({p.given} was NOT the recipient.) Can we stop the batch? {g.rng.randint(40, 400)} letters.\n\n{who}"
        )
        return phi(subject, body)
    who = g.staff_sender()
    g.to = f"print-vendor@{g.pick('lettershop', 'mailworks')}.example"
    subject = "Proof for approval - reminder letters"
    body = f"Proof 1 of {g.rng.randint(80, 600)} attached as text; approve and the run mails tomorrow.\n\n{who}"
    att = ("proof_001.txt", "text/plain", ascii_bytes(letter))
    return phi(subject, body, attachments=[att], where=("attachment",))


def audit_sample_list(g: Gen) -> Mail:
    """An auditor's sample list of encounters to pull."""
    who = g.staff()
    firm = g.pick(
        "Meridian Coding Review", "Buckeye Compliance Partners", "Medicare UPIC", "internal audit"
    )
    if firm == "internal audit":
        g.sender(who)
    else:
        g.sender(who, g.addr_of(who, slug(firm)[:14] + ".example"))
    g.to = f"compliance@{PRACTICE}"
    people = [g.p] + [g.person() for _ in range(g.rng.randint(4, 10))]
    rows = []
    for q in people:
        c, ic = g.rng.choice(CPT), g.rng.choice(ICD)
        name = g.pick(q.lf(), q.initials(), q.formal())
        rows.append(
            (
                q.mrn,
                name,
                g.dob(q, "us0"),
                g.date(g.day(-200, -30), "us0"),
                c[0],
                ic[0],
                f"Dr. {g.st.last_name()}",
            )
        )
    headers = ("MRN", "Patient", "DOB", "DOS", "CPT", "ICD-10", "Rendering")
    subject = g.pick(
        f"{g.pick('Q1', 'Q4', 'FY25')} coding audit - sample selection",
        "Records needed for audit",
        "Sample list",
    )
    intro = (
        f"Please provide the full encounter documentation for the {len(rows)} claims below by "
        f"{g.date(g.day(10, 25), 'long')}. Include signed notes, orders and any addenda."
    )
    v = g.variant(3)
    if v == 0:
        body = f"{intro}\n\n{text_table(headers, rows)}\n\n{who}\n{g.pick('Senior Auditor', 'Coding Auditor, CPC')}, {firm.title() if firm == 'internal audit' else firm}"
        return phi(subject, body)
    if v == 1:
        inner = (
            paras(intro) + table(headers, rows, g.variant(3)) + paras(f"Regards,\n{who}\n{firm}")
        )
        return phi(subject, page(inner), html=True)
    att = ("audit_sample.csv", "text/csv", csv_bytes(headers, rows))
    body = f"{intro}\n\nSample attached.\n\n{who}\n{firm}"
    return phi(subject, body, attachments=[att], where=("attachment",))


# ----------------------------------------------------------------------- clean families


def printer_ticket(g: Gen) -> Mail:
    """An IT ticket about a broken printer or scanner: staff names and asset tags only."""
    user = g.staff()
    tno = g.pick("INC", "HD-", "#") + g.digits(g.rng.choice((5, 6, 7)))
    model, kind, issues = g.rng.choice(PRINTERS)
    asset = f"BMG-{kind}-{g.digits(4)}"
    issue = g.rng.choice(issues)
    ip = f"10.{g.rng.randint(10, 40)}.{g.rng.randint(1, 250)}.{g.rng.randint(2, 250)}"
    v = g.variant(3)
    if v == 0:
        g.sender("HelpHub", f"helphub-noreply@{PRACTICE}")
        g.to_staff(user)
        subject = f"[HelpHub] Ticket {tno} updated: {model} - {short(issue, 30)}"
        body = (
            f"Ticket: {tno}\nStatus: {g.pick('In Progress', 'Resolved', 'Waiting on vendor')}\n"
            f"Requester: {user}\nLocation: {g.site[0]}, {g.pick('front desk', 'nurse station B', 'billing office', 'lab')}\n"
            f"Asset: {asset} ({model}), IP {ip}, S/N {g.pick('VNB', 'CNB', 'U6')}{g.digits(7)}\n\n"
            f"Update from {g.staff()}:\n{g.pick('Cleaned the rollers and recalibrated, test print OK.', 'Reinstalled driver v6.4 on the two front desk PCs.', 'Vendor dispatching a tech under contract, ETA tomorrow AM.')}\n\n"
            f"Reply above this line to update the ticket."
        )
        return clean(subject, body)
    if v == 1:
        g.sender(user)
        g.to = f"it-help@{PRACTICE}"
        subject = g.pick(
            "printer down", f"{asset} not working", f"{model.split()[0]} {kind.lower()} again"
        )
        body = f"Hi IT, the {model} ({asset}) at {g.site[0]} keeps {issue}. We've restarted it twice. Using the one in the back for now.\n\n{g.sig(user, g.pick('Front Desk Lead', 'Lab Tech', 'Billing Specialist'))}"
        return clean(subject, body + g.conf())
    tech = g.staff_sender()
    g.to = f"it-team@{PRACTICE}"
    subject = f"Printer fleet - weekly ({g.date(g.when_sent.date(), 'us0')})"
    rows = [
        (
            f"BMG-PRN-{g.digits(4)}",
            g.pick("M611", "HL-L6200", "ZD421", "C405"),
            g.pick(*[s[0] for s in SITES]),
            f"{g.rng.randint(2, 97)}%",
            g.pick("OK", "OK", "Jam x3", "Offline 2h"),
        )
        for _ in range(g.rng.randint(5, 9))
    ]
    body = (
        "Fleet status from the print server:\n\n"
        + text_table(("Asset", "Model", "Site", "Toner", "Events"), rows)
        + f"\n\n{tech}"
    )
    return clean(subject, body)


def vendor_case_config(g: Gen) -> Mail:
    """A vendor support case carrying only configuration, versions and error codes."""
    vendor = g.pick("RemindRight", "QueueLine", "PayBridge", "FaxFlow", "LabLink Interface")
    case = g.pick("Case ", "CS-", "SR ") + g.digits(8)
    admin = g.staff()
    v = g.variant(3)
    cfg = (
        f"site_id=BMG-{g.digits(4)}\nversion={g.rng.randint(4, 9)}.{g.rng.randint(0, 20)}.{g.rng.randint(0, 99)}\n"
        f"endpoint=https://api.{slug(vendor)}.example/v2\nretry_max={g.rng.randint(2, 6)}\ntimeout_ms={g.rng.choice((5000, 15000, 30000))}\n"
        f"tls=1.2\nbatch_size={g.rng.choice((50, 100, 250))}\nmllp_port={g.rng.choice((6661, 2575, 7001))}"
    )
    errs = "\n".join(
        f"{(g.when_sent - dt.timedelta(seconds=g.rng.randint(5, 9000))).strftime('%Y-%m-%dT%H:%M:%S')} ERROR "
        f"{g.pick('E1043 ACK timeout', 'HTTP 429 rate limited', 'E2210 cert chain incomplete', 'SMS 30007 carrier filtered', 'E0501 queue depth > 5000')}"
        for _ in range(g.rng.randint(3, 6))
    )
    if v == 0:
        g.sender(admin)
        g.to = f"support@{slug(vendor)}.example"
        subject = f"{case} - intermittent failures after upgrade"
        body = (
            f"Hello,\n\nSince the upgrade on {g.date(g.day(-6, -1))} we see intermittent failures. "
            f"Config and log excerpt below (no patient data).\n\n{cfg}\n\n{errs}\n\n{g.sig(admin, 'Applications Analyst', 'IT')}"
        )
        return clean(subject, body)
    if v == 1:
        eng = g.us.name()
        g.sender(f"{eng} ({vendor} Support)", f"{slug(eng.split()[0])}@{slug(vendor)}.example")
        g.to_staff(admin)
        subject = f"RE: [{vendor}] {case}"
        body = (
            f"Hi {admin.split()[0]},\n\nThanks for the logs. The {g.pick('E1043', 'E2210', '429')} errors are "
            f"from {g.pick('a missing intermediate certificate', 'the batch size exceeding the tenant limit', 'a firewall idle timeout of 60s')}. "
            f"Please change:\n\n  {g.pick('batch_size=50', 'keepalive_s=30', 'tls_chain=full')}\n\nand restart the connector. "
            f"Test with the TEST, PATIENT record (MRN 0000000) in your train environment first.\n\n"
            f"{eng}\nTier 2 Support, {vendor}\nsupport.{slug(vendor)}.example | 1-800-{g.digits(3)}-{g.digits(4)}"
        )
        return clean(subject, body)
    g.sender(f"{vendor} Support", f"noreply@{slug(vendor)}.example")
    g.to_staff(admin)
    subject = f"Case {case} has been resolved"
    inner = table(("Field", "Value"), [("Case", case), ("Product", vendor), ("Severity", g.pick("S2", "S3")),
                  ("Root cause", g.pick("Expired API key", "DNS change at customer site", "Known defect KB-" + g.digits(5))),
                  ("Resolution", g.pick("Key rotated", "Patched in " + str(g.rng.randint(5, 9)) + ".2", "Config corrected"))], g.variant(3))  # fmt: skip
    return clean(
        subject,
        page(
            f"<p>Hello {h(admin)},</p><p>Your case has been resolved.</p>{inner}<p>Rate your experience.</p>"
        ),
        html=True,
    )


def compliance_training_reminder(g: Gen) -> Mail:
    """A compliance training reminder citing an anonymised incident."""
    officer = g.staff_sender()
    g.to = f"all-staff@{PRACTICE}"
    due = g.date(g.day(7, 30), "long")
    story = g.pick(
        "Last month a referral was faxed to a wrong number because two digits were swapped. The recipient shredded it, but it still had to be logged and assessed.",
        "Recently an after-visit summary was handed to the wrong patient at check-out. Always confirm name and date of birth before handing over paperwork.",
        "A staff member at one of our sites looked up a family member's chart without a work reason. Our access monitoring flagged it within a day.",
        "An unencrypted USB drive with a scheduling export was lost in the parking lot. Use the approved encrypted drives or, better, don't export at all.",
    )  # fmt: skip
    v = g.variant(3)
    subject = g.pick(
        f"Reminder: annual HIPAA training due {due}",
        "HIPAA refresher - action needed",
        "Compliance Corner: a real example",
    )
    if v == 0:
        body = (
            f"Team,\n\nAnnual HIPAA privacy and security training is due by {due}. It takes about 40 minutes in "
            f"the learning portal.\n\nWhy it matters: {story}\n\nCompletion so far: {g.rng.randint(41, 88)}% "
            f"({g.site[0]} leads with {g.rng.randint(85, 99)}%).\n\n{g.sig(officer, 'Compliance & Privacy Officer')}"
        )
        return clean(subject, body)
    if v == 1:
        inner = (
            "<h3>Compliance Corner</h3>"
            + paras(f"{story}\n\nThree reminders:")
            + "<ul><li>Verify two identifiers every time.</li><li>Use the fax cover sheet and pre-programmed numbers.</li>"
            "<li>Only access records you need for your job.</li></ul>"
            + paras(f"Training due {due}. Questions: compliance@{PRACTICE}\n\n{officer}")
        )
        return clean(subject, page(inner), html=True)
    mgr = g.staff()
    g.to_staff(mgr)
    subject = f"Overdue HIPAA training - {g.site[0]}"
    rows = [
        (
            g.staff(),
            g.pick("MA", "Front Desk", "RN", "Billing", "Scheduler"),
            g.pick("Not started", "In progress", "Not started"),
        )
        for _ in range(g.rng.randint(3, 7))
    ]
    body = (
        f"Hi {mgr.split()[0]},\n\nThese staff at {g.site[0]} are past due:\n\n"
        + text_table(("Employee", "Role", "Status"), rows)
        + f"\n\n{story}\n\n{officer}"
    )
    return clean(subject, body)


def service_launch_newsletter(g: Gen) -> Mail:
    """A marketing newsletter about a new service or location."""
    g.sender(PRACTICE_NAME, f"news@{PRACTICE}")
    g.to = g.pick(f"subscribers@lists.{PRACTICE}", "undisclosed-recipients:;")
    name, offer, fact, cred = g.rng.choice(SERVICES)
    docn = f"Dr. {g.st.first_name()} {g.st.last_name()}"
    when = g.date(g.day(3, 30), "long")
    hours = g.pick("Mon-Fri 7:30-5", "Mon-Thu 8-6, Fri 8-noon", "weekdays and Saturday mornings")
    body_t = (
        f"Now open: {name} at {g.site[0]}\n\nStarting {when} we offer {offer}. {docn}, {cred}, "
        f"leads the team.\n\nDid you know? {fact} Ask your primary care provider about a referral, "
        f"or call us directly.\n\nHours: {hours}\nCall {g.tel('614', 0)} or book online at "
        f"www.{PRACTICE}/book.\n\n{g.site[1]}, {g.site[2]}, OH {g.site[3]}\n"
        f"You are receiving this because you subscribed to Bayridge Health News. Unsubscribe | Privacy Policy"
    )
    subject = g.pick(
        f"Now open: {name} at {g.site[0]}", f"Bayridge News: {name}", "Spring newsletter"
    )
    if g.variant(2):
        inner = f"<h2 style='color:#1b5e87'>{h(name)}</h2>" + paras(body_t)
        return clean(subject, page(inner, "Georgia"), html=True)
    return clean(subject, body_t)


def open_enrollment_notice(g: Gen) -> Mail:
    """An HR open-enrolment notice."""
    who = g.staff_sender()
    g.to = f"all-employees@{PRACTICE}"
    start, end = g.day(1, 10), g.day(14, 28)
    plans = [
        ("PPO 1500", 98.40, 612.22),
        ("HDHP 3400 + HSA", 41.10, 298.75),
        ("EPO", 77.90, 501.06),
    ]
    v = g.variant(3)
    subject = g.pick(
        f"Open Enrollment {start.year + 1}: {g.date(start, 'abbr')} - {g.date(end, 'abbr')}",
        "Benefits open enrollment starts Monday",
        "ACTION REQUIRED: open enrollment",
    )
    text = (
        f"Open enrollment runs {g.date(start, 'long')} through {g.date(end, 'long')}. If you do nothing, your current "
        f"medical, dental and vision elections roll over, but FSA and HSA elections do NOT.\n\nWhat's new: "
        f"{g.pick('telehealth copay drops to $0', 'a new EAP provider with 8 free counseling sessions', 'fertility benefit added', 'GLP-1 coverage now requires prior authorization')}.\n\n"
        f"Benefits fair: {g.date(g.day(3, 12), 'dowyear')}, {g.site[0]} conference room, 11-2."
    )
    if v == 0:
        rows = [(n, money(a), money(b)) for n, a, b in plans]
        inner = (
            paras(text)
            + table(
                ("Plan", "Employee only (per paycheck)", "Family (per paycheck)"),
                rows,
                g.variant(3),
            )
            + paras(g.sig(who, "Benefits Manager", "Human Resources"))
        )
        return clean(subject, page(inner), html=True)
    if v == 1:
        body = (
            text
            + "\n\n"
            + "\n".join(f"  {n:<18}{money(a):>10}{money(b):>12}" for n, a, b in plans)
            + f"\n\n{g.sig(who, 'HR Generalist')}"
        )
        return clean(subject, body)
    body = f"Reminder - {text.split('.')[0]}.\nEnroll in Workday > Benefits. Questions: hr@{PRACTICE} or x{g.digits(4)}.\n{who}"
    return clean(subject, body)


def billing_productivity_report(g: Gen) -> Mail:
    """A billing department productivity report with aggregate counts."""
    who = g.staff_sender()
    g.to = f"rcm-leadership@{PRACTICE}"
    rows = []
    for _ in range(g.rng.randint(4, 8)):
        rows.append(
            (
                g.staff(),
                g.rng.randint(180, 620),
                g.rng.randint(20, 140),
                f"{g.rng.uniform(88, 99.5):.1f}%",
                g.rng.randint(0, 40),
            )
        )
    ar = g.rng.uniform(28, 52)
    summary = (
        f"Week ending {g.date(g.when_sent.date(), 'us0')}: {sum(r[1] for r in rows):,} claims worked, "
        f"{sum(r[2] for r in rows):,} denials resolved. Days in A/R {ar:.1f} ({g.pick('down', 'up')} {g.rng.uniform(0.2, 3):.1f}). "
        f"Top denial reasons: CO-{g.pick('16', '97', '197', '50')}, CO-{g.pick('4', '11', '29', '22')}. "
        f"Clean claim rate {g.rng.uniform(88, 97):.1f}%."
    )
    headers = ("Biller", "Claims worked", "Denials resolved", "Accuracy", "Calls")
    v = g.variant(3)
    subject = g.pick(
        "Weekly billing productivity",
        f"RCM dashboard - {g.date(g.when_sent.date(), 'abbr')}",
        "Team stats",
    )
    if v == 0:
        return clean(
            subject,
            page(paras(summary) + table(headers, rows, g.variant(3)) + paras(who)),
            html=True,
        )
    if v == 1:
        return clean(
            subject, f"{summary}\n\n{text_table(headers, rows)}\n\n{g.sig(who, 'Billing Manager')}"
        )
    att = ("productivity.csv", "text/csv", csv_bytes(headers, rows))
    return clean(subject, f"{summary}\n\nDetail attached.\n{who}", attachments=[att])


def facilities_work_order(g: Gen) -> Mail:
    """A facilities work order."""
    req = g.staff()
    wo = f"WO-{g.digits(6)}"
    issue, part = g.rng.choice(
        (("exam room 7 HVAC blowing warm air", "contactor"), ("lobby automatic door sticks open", "door sensor"),
         ("water leak under the lab sink", "P-trap"), ("ceiling tile stained in billing office", "tile; roof drain cleared"),
         ("parking lot light out near entrance B", "ballast"), ("sharps container bracket loose in exam 12", "bracket anchors"),
         ("breaker trips in the autoclave room", "20A breaker"), ("fridge alarm in the vaccine room", "door gasket"))
    )  # fmt: skip
    tech = g.us.name()
    v = g.variant(3)
    if v == 0:
        g.sender("Facilities (FMX)", f"fmx-noreply@{PRACTICE}")
        g.to_staff(req)
        subject = f"Work order {wo} - {g.pick('Assigned', 'Completed', 'On hold: parts')}"
        body = (
            f"Work Order: {wo}\nSite: {g.site[0]} ({g.site[1]})\nAsset: {g.pick('AHU-', 'DR-', 'PLB-', 'ELEC-')}{g.digits(3)}\n"
            f"Request: {issue}\nRequested by: {req}\nPriority: {g.pick('Routine', 'Urgent')}\nAssigned to: {tech}\n"
            f"Est. cost: {money(g.rng.randint(80, 2400))}\nVendor PO: {g.digits(7)}"
        )
        return clean(subject, body)
    if v == 1:
        g.sender(req)
        g.to = f"facilities@{PRACTICE}"
        subject = g.pick("maintenance needed", short(issue, 40), "please send someone")
        body = f"Hi facilities, {issue}. {g.pick('We blocked the room for now.', 'It has been like this since Monday.', 'Patients have noticed.')}\n\n{g.sig(req, 'Office Manager', g.site[0])}"
        return clean(subject, body)
    g.sender(tech, f"{slug(tech)}@{g.pick('allpointhvac', 'centralohiofm')}.example")
    g.to_staff(req)
    subject = f"Service report {wo}"
    body = f"Completed call for: {issue}. Replaced {part}. Labor {g.pick('0.5', '1.5', '2', '3.25')}h. Invoice to follow.\n\n{tech}\nLic. #{g.digits(6)}"
    return clean(subject, body)


def phishing_awareness(g: Gen) -> Mail:
    """A phishing-awareness mail with a fake example."""
    sec = g.staff_sender()
    g.to = f"all-staff@{PRACTICE}"
    bait = g.rng.choice(PHISH)
    v = g.variant(3)
    subject = g.pick(
        "Phishing alert: don't click this one",
        "Security tip of the week",
        "[SECURITY] Reported phishing campaign",
    )
    example = f'  From: "{bait[0]}" <{bait[1]}>\n  Subject: {bait[2]}\n\n  {bait[3]}'
    if v == 0:
        body = (
            f"Several of you reported this message this morning - thank you! It is a phishing attempt. "
            f"If you clicked the link, call the service desk at x4357 right away.\n\n{example}\n\n"
            f"Red flags: generic greeting, urgency, a link that doesn't go to our domain.\n\n{g.sig(sec, 'Information Security Analyst', 'IT')}"
        )
        return clean(subject, body)
    if v == 1:
        inner = paras(
            "This month's simulated phishing results: "
            f"{g.rng.randint(4, 19)}% clicked, {g.rng.randint(22, 61)}% reported. Here is what the test looked like:"
        )
        inner += f"<blockquote style='border-left:3px solid #c00;padding-left:8px'>{h(example).replace(chr(10), '<br>')}</blockquote>"
        inner += paras(f"Use the Report Phish button in Outlook.\n\n{sec}")
        return clean(subject, page(inner), html=True)
    body = f'Heads up: active campaign with subject "{bait[2]}". Delete it, don\'t forward. We blocked {bait[1].split("@")[1]} at the gateway.\n{sec}'
    return clean(subject, body)


def software_invoice(g: Gen) -> Mail:
    """A software or services invoice."""
    vendor = g.pick(
        "CareLoom Health Systems",
        "RemindRight Inc.",
        "QueueLine Telecom",
        "FaxFlow Cloud",
        "Praxis Analytics LLC",
    )
    inv = f"INV-{g.digits(6)}"
    items = [
        (
            g.pick("Provider licenses", "Named user licenses", "Cloud fax pages (block of 10k)"),
            g.rng.randint(10, 140),
            g.rng.choice((39.0, 55.0, 120.0, 249.0)),
        ),
        (
            g.pick("Interface maintenance", "SMS messages", "Support - Premier"),
            1,
            g.rng.choice((450.0, 1250.0, 3600.0)),
        ),
    ]
    total = sum(q * p for _, q, p in items)
    g.sender(f"{vendor} Billing", f"ar@{slug(vendor)[:12]}.example")
    g.to = f"accountspayable@{PRACTICE}"
    subject = g.pick(
        f"Invoice {inv} from {vendor}",
        f"{vendor} - {inv} - due {g.date(g.day(20, 45), 'us0')}",
        "Your invoice is ready",
    )
    rows = [(d, q, money(p), money(q * p)) for d, q, p in items]
    v = g.variant(3)
    terms = f"Terms: Net 30. PO {g.digits(6)}. Remit to {g.us.street_address()}, {g.us.city()}, {g.us.state_abbr()} {g.us.zipcode()}."
    if v == 0:
        inner = (
            paras(f"Bill to: {PRACTICE_NAME}, Accounts Payable, {SITES[0][1]}, Columbus, OH 43214")
            + table(("Description", "Qty", "Unit", "Amount"), rows, g.variant(3))
            + paras(f"Total due: {money(total)}\n{terms}")
        )
        return clean(subject, page(inner), html=True)
    if v == 1:
        att = (f"{inv}.csv", "text/csv", csv_bytes(("Description", "Qty", "Unit", "Amount"), rows))
        return clean(
            subject,
            f"Please find invoice {inv} attached. Amount due {money(total)}.\n{terms}",
            attachments=[att],
        )
    return clean(
        subject,
        f"Invoice {inv}\n\n"
        + text_table(("Description", "Qty", "Unit", "Amount"), rows)
        + f"\n\nTOTAL {money(total)}\n{terms}\n\nQuestions: 1-888-{g.digits(3)}-{g.digits(4)}",
    )


FAMILIES: dict[str, Callable[[Gen], Mail]] = {
    f.__name__: f
    for f in (
        ehr_freeze_ticket, vendor_case_export, fax_misroute_report, privacy_incident_report,
        patient_complaint_forward, balance_payment_plan, card_dispute_refund,
        scheduling_mixup_apology, collections_noshow_list, marketing_testimonial,
        records_request_log, left_belongings_note, snooping_report, specimen_courier_tracking,
        migration_mismatch_report, call_qa_review, eligibility_check_note, mail_merge_misfire,
        audit_sample_list,
        printer_ticket, vendor_case_config, compliance_training_reminder,
        service_launch_newsletter, open_enrollment_notice, billing_productivity_report,
        facilities_work_order, phishing_awareness, software_invoice,
    )
}  # fmt: skip

SOURCE = Source("templates-q", "q", 17, 1700000, PRACTICE, PARTNER, "unseen-q")


def render(mail: Mail, g: Gen, seq: int) -> bytes:
    """The message as RFC 5322 bytes: from the sender and to the recipient the family chose,
    with a fixed Date in US Eastern time and a fixed boundary."""
    msg = EmailMessage()
    if not g.from_addr:
        g.staff_sender()
    msg["From"] = formataddr((g.me, g.from_addr)) if g.me else g.from_addr
    msg["To"] = g.to or f"{slug(str(g.st.user_name()))}@{SOURCE.partner}"
    msg["Subject"] = mail.subject
    offset = -4 if g.when_sent >= dt.datetime(2025, 3, 9, 2) else -5
    msg["Date"] = format_datetime(
        g.when_sent.replace(tzinfo=dt.timezone(dt.timedelta(hours=offset)))
    )
    msg["Message-ID"] = f"<{SOURCE.tag}-{seq}@{PRACTICE}>"
    for k, v in mail.headers.items():
        msg[k] = v
    return finish_message(msg, mail, SOURCE.tag, seq)


def build(out: Path, per_family: int, seed: int) -> list[dict[str, object]]:
    """Write this file's families into `out` (msg_q_NNNNN.eml) through this file's own
    `render`; return their manifest rows."""
    return build_source(out, per_family, seed, SOURCE, FAMILIES, Gen, render_mail=render)
