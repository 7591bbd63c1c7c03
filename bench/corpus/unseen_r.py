"""Blind template source templates-r: diagnostic and pharmacy services around US practices.

These families were written from what the outbound mail of the services that sit around US
medical practices looks like: a regional reference laboratory (with its pathology department and
its send-out desk), an outpatient imaging center (CT, MRI, PET, ultrasound, mammography) and a
specialty/infusion pharmacy with home-infusion nursing. On the PHI side: critical-value call logs
and notifications, specimen rejection and recollect notices, result-delivery fax covers with the
report attached, pathology addenda, send-out status queries in quoted threads, a lab's billing
letter to a patient, imaging appointment confirmations with prep instructions, report
distribution and preliminary/final discrepancy notices, contrast-allergy premedication notes,
mammography callback letters, specialty-pharmacy benefits investigation and prior-auth status,
copay-card and foundation enrollment, cold-chain delivery confirmations naming the drug, REMS and
lab-monitoring reminders, infusion chair rescheduling, refill-too-soon and adherence outreach,
pharmacist intervention notes to prescribers, home-infusion nursing visit summaries and a pending
results worklist sent as a CSV or text attachment. On the clean side, hard negatives from the same
settings that name staff, clinicians, vendors, drugs, tests and lots but no patient: a test-menu
and reference-range update, a courier route change, a reagent or contrast lot recall, a CLIA/CAP
accreditation notice, an aggregate turnaround-time report, an imaging equipment downtime notice, a
specialty pharmacy network newsletter, a radiation-safety training reminder and a vendor invoice.

Written blind: only the `Mail` dataclass and the `phi`/`clean` helpers of generate.py, the
`FakerGen`, `OnePatientGen` and `Gen` classes and `render`, `finish_message`, `Source`,
`build_source` and `build` of unseen.py, and the module docstring, imports, `Gen` class and
registration/`render`/`build` tail of unseen_o.py were read; no recognizer, policy, test, bench
script or other source's families. People come from Faker locales (names of non-Latin locales
romanized or drawn from small romanized tables), dates from a fixed base date, so
`build(out, per_family, seed)` is deterministic for a seed.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from faker import Faker

from bench.corpus.generate import Mail, clean, phi
from bench.corpus.unseen import OnePatientGen, Source, build_source, finish_message

PATIENT_LOCALES = (
    "en_US", "en_US", "en_US", "en_US", "es_MX", "es_MX", "es_CO", "es_ES", "pt_BR", "vi_VN",
    "zh_CN", "ja_JP", "ko_KR", "ru_RU", "uk_UA", "en_IN", "en_PH", "yo_NG", "fr_FR", "pl_PL",
    "it_IT", "de_DE", "tr_TR", "ar_AA", "hu_HU", "tw_GH", "ro_RO", "nl_NL",
)  # fmt: skip
STAFF_LOCALES = ("en_US", "en_US", "en_US", "en_US", "en_IN", "en_CA", "es_MX", "en_PH")
PRACTICE = "tri-valley-diagnostics.example"
BASE = dt.datetime(2025, 3, 17)

KO_FAMILY = (
    "Kim",
    "Lee",
    "Park",
    "Choi",
    "Jung",
    "Kang",
    "Cho",
    "Yoon",
    "Jang",
    "Lim",
    "Shin",
    "Han",
)
KO_GIVEN_F = ("Ji-yeon", "Min-ji", "Seo-hyun", "Eun-ha", "Hye-won", "Soo-jin", "Ye-eun", "Na-rae")
KO_GIVEN_M = ("Min-jun", "Seung-ho", "Dong-hyun", "Jae-won", "Sung-min", "Tae-yang", "Hyun-woo")
VI_GIVEN_F = ("Thị Lan", "Ngọc Anh", "Thu Hà", "Minh Thư", "Thanh Hương", "Bích Ngọc", "Hồng Nhung")
VI_GIVEN_M = ("Văn Hùng", "Minh Tuấn", "Quốc Bảo", "Đức Anh", "Thanh Tùng", "Hữu Phước", "Văn Long")
AR_GIVEN_F = ("Fatima", "Aisha", "Layla", "Mariam", "Noor", "Huda", "Rania", "Yasmin", "Zainab")
AR_GIVEN_M = ("Mohammed", "Ahmad", "Omar", "Khaled", "Youssef", "Tariq", "Hassan", "Bilal", "Karim")
AR_FAMILY = (
    "Al-Hassan", "Haddad", "Khoury", "Nasser", "Abdelrahman", "Mansour", "Saleh", "Hamdan",
    "El-Amin", "Farah", "Abdi", "Warsame", "Hosseini", "Rahimi", "Qureshi", "Jaber",
)  # fmt: skip

CYR = dict(
    zip(
        "абвгґдеёєжзиіїйклмнопрстуфхцчшщъыьэюя",
        "a b v g g d e yo ye zh z i i yi y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya".split(),
        strict=True,
    )
)
FOLD = str.maketrans({"đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ı": "i", "ø": "o", "ß": "ss"})


def fold(s: str) -> str:
    """``s`` folded to ASCII (accents dropped), for attachments and old systems."""
    s = unicodedata.normalize("NFKD", s.translate(FOLD))
    return s.encode("ascii", "ignore").decode("ascii")


def translit(s: str) -> str:
    out = "".join(CYR.get(c, c) for c in s.lower()).replace("_", "")
    return "-".join(p[:1].upper() + p[1:] for p in out.split("-"))


def slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(s).lower())


def h(s: str) -> str:
    return html.escape(s, quote=False)


@dataclass(frozen=True)
class Org:
    """A lab, imaging center, pharmacy or ordering practice."""

    name: str
    domain: str
    city: str
    state: str
    phone: str
    fax: str
    utc: int
    system: str


LABS = (
    Org("Keystone Regional Laboratories", "keystonelabs.example", "Harrisburg", "PA",
        "(717) 555-0140", "(717) 555-0149", -5, "CoreLIS 9.2"),
    Org("Prairie Pathology & Reference Lab", "prairiepath.example", "Wichita", "KS",
        "316-555-0182", "316-555-0188", -6, "Atlas LabLink"),
    Org("Gulf Coast Clinical Laboratories", "gulfcoastlabs.example", "Mobile", "AL",
        "251.555.0117", "251.555.0119", -6, "OrchardLIS"),
    Org("Sonoran Reference Laboratory", "sonoranref.example", "Tucson", "AZ",
        "(520) 555-0131", "(520) 555-0139", -7, "LabTrak"),
)  # fmt: skip
IMAGING = (
    Org("Lakeshore Outpatient Imaging", "lakeshoreimaging.example", "Milwaukee", "WI",
        "(414) 555-0162", "(414) 555-0168", -6, "RadPortal"),
    Org("Mesa Diagnostic Imaging", "mesadx.example", "Mesa", "AZ",
        "480-555-0110", "480-555-0115", -7, "Visage RIS"),
    Org("Blue Ridge Open MRI & CT", "blueridgeimaging.example", "Roanoke", "VA",
        "(540) 555-0123", "(540) 555-0129", -5, "IntelliRad"),
)  # fmt: skip
PHARMACIES = (
    Org("Meridian Specialty Pharmacy", "meridianrx.example", "Columbus", "OH",
        "(614) 555-0150", "(614) 555-0158", -5, "ScriptBridge"),
    Org("Cardinal Point Infusion Services", "cardinalpointinfusion.example", "Louisville", "KY",
        "502-555-0171", "502-555-0179", -5, "InfuseTrack"),
    Org("NorthStar Specialty Rx", "northstarrx.example", "Boise", "ID",
        "208.555.0104", "208.555.0106", -7, "CPR+ SP"),
)  # fmt: skip
OFFICES = (
    Org("Harborview Internal Medicine", "harborview-im.example", "", "", "(555) 555-0190",
        "(555) 555-0191", -5, "eCW"),
    Org("Oak Hollow Family Medicine", "oakhollowfm.example", "", "", "555-555-0192",
        "555-555-0193", -6, "athena"),
    Org("Cedar Rheumatology Associates", "cedarrheum.example", "", "", "(555) 555-0194",
        "(555) 555-0195", -5, "NextGen"),
    Org("Valley Oncology & Hematology", "valleyonc.example", "", "", "555.555.0196",
        "555.555.0197", -7, "Epic"),
    Org("Northgate Women's Health", "northgatewomens.example", "", "", "(555) 555-0198",
        "(555) 555-0199", -6, "athena"),
    Org("Pinecrest Gastroenterology", "pinecrestgi.example", "", "", "555-555-0186",
        "555-555-0187", -5, "gGastro"),
)  # fmt: skip

FREEMAIL = ("gmail.com", "gmail.com", "yahoo.com", "outlook.com", "icloud.com", "aol.com")
DATE_FORMATS = (
    "%m/%d/%Y",
    "%m/%d/%Y",
    "%m/%d/%y",
    "%Y-%m-%d",
    "%b %d, %Y",
    "%d-%b-%Y",
    "%B %d, %Y",
)
DOB_FORMATS = ("%m/%d/%Y", "%m/%d/%Y", "%m-%d-%Y", "%Y-%m-%d", "%d-%b-%Y", "%b %d, %Y")
DISCLAIMERS = (
    "CONFIDENTIALITY NOTICE: This message and any attachments are intended only for the addressee "
    "and may contain information that is privileged and confidential. If you received this in "
    "error, please notify the sender and delete it.",
    "This e-mail may contain protected health information. Unauthorized review, use or "
    "disclosure is prohibited by federal and state law.",
    "The information in this transmission is confidential. If you are not the intended "
    "recipient, destroy all copies and call us at the number above.",
    "Please consider the environment before printing this e-mail.",
)


class Gen(OnePatientGen):
    """templates-r's generator: one patient (romanized for non-Latin locales), the sender and
    recipient the family chose, and a clock fixed around BASE."""

    patient_locales = PATIENT_LOCALES
    staff_locales = STAFF_LOCALES

    def __init__(self, rng: random.Random) -> None:
        super().__init__(rng)
        self.locale = str(self.pt.locales[0])
        self.us = Faker("en_US")
        self.us.seed_instance(rng.randrange(2**32))
        self.sx = rng.choice("FM")
        self.given, self.family = self._name(self.sx)
        self.sent = BASE + dt.timedelta(
            days=rng.randint(-24, 24), minutes=rng.randint(6 * 60 + 20, 19 * 60 + 40)
        )
        self.dfmt = rng.choice(DATE_FORMATS)
        self.dobfmt = rng.choice(DOB_FORMATS)
        self.t24 = rng.random() < 0.35
        self.set_age(18, 89)
        self.me = ""
        self.from_addr = ""
        self.to = ""
        self.cc = ""
        self.utc = -5
        self.domain = PRACTICE
        self._email = ""
        self._phone = ""

    # ---- the patient
    def _name(self, sex: str) -> tuple[str, str]:
        loc, rng, pt = self.locale, self.rng, self.pt
        f = sex == "F"
        if loc == "ko_KR":
            return rng.choice(KO_GIVEN_F if f else KO_GIVEN_M), rng.choice(KO_FAMILY)
        if loc == "vi_VN":
            given, fam = rng.choice(VI_GIVEN_F if f else VI_GIVEN_M), str(pt.last_name())
            return (given, fam) if rng.random() < 0.5 else (fold(given), fold(fam))
        if loc == "ar_AA":
            return rng.choice(AR_GIVEN_F if f else AR_GIVEN_M), rng.choice(AR_FAMILY)
        if loc == "ja_JP":
            g = pt.first_romanized_name_female() if f else pt.first_romanized_name_male()
            return str(g), str(pt.last_romanized_name())
        if loc == "zh_CN":
            return str(pt.first_romanized_name()), str(pt.last_romanized_name())
        if loc in ("ru_RU", "uk_UA"):
            g = pt.first_name_female() if f else pt.first_name_male()
            fam = pt.last_name_female() if f else pt.last_name_male()
            return translit(str(g)), translit(str(fam))
        g = pt.first_name_female() if f else pt.first_name_male()
        fam = str(pt.last_name())
        if loc in ("es_MX", "es_CO", "es_ES") and rng.random() < 0.35:
            fam = f"{fam} {pt.last_name()}"
        if loc in ("tr_TR", "pl_PL", "hu_HU", "ro_RO") and rng.random() < 0.4:
            return fold(str(g)), fold(fam)
        return str(g), fam

    def sex(self, s: str) -> None:
        self.sx = s
        self.given, self.family = self._name(s)
        self._email = ""

    def set_age(self, low: int, high: int) -> None:
        days = self.rng.randint(low * 365 + 30, high * 365 + 300)
        self.dob_date = (BASE - dt.timedelta(days=days)).date()
        self.age = (BASE.date() - self.dob_date).days // 365

    def formal(self) -> str:
        return f"{self.family.upper()}, {self.given.upper()}"

    def lastfirst(self) -> str:
        return f"{self.family}, {self.given}"

    def initials(self) -> str:
        return "".join(p[0].upper() for p in f"{self.given} {self.family}".split() if p) + "."

    def name_as(self) -> str:
        return self.pick(self.patient(), self.patient(), self.lastfirst(), self.formal())

    def dob(self) -> str:
        return self.dob_date.strftime(self.dobfmt)

    def mrn(self) -> str:
        v = self.variant(4)
        return (
            self.digits(8)
            if v == 0
            else f"E{self.digits(7)}"
            if v == 1
            else f"{self.digits(3)}-{self.digits(2)}-{self.digits(4)}"
            if v == 2
            else f"00{self.digits(7)}"
        )

    def lab_acc(self) -> str:
        d = self.sent
        v = self.variant(3)
        if v == 0:
            return f"L{d:%y%m%d}-{self.digits(5)}"
        if v == 1:
            return f"{d:%y}-{d.timetuple().tm_yday:03d}-{self.digits(4)}"
        return f"A{d:%y%m%d}{self.digits(4)}"

    def img_acc(self, mod: str = "CT") -> str:
        return self.pick(f"{mod}{self.sent:%y%m%d}{self.digits(3)}", f"RAD-{self.digits(8)}")

    def member_id(self) -> str:
        return self.pick(
            f"W{self.digits(9)}",
            f"XJH{self.digits(9)}",
            f"{self.digits(3)}{self.rng.choice('ABCDE')}{self.digits(5)}",
            f"ZGP{self.digits(8)}01",
            f"1EG4-TE5-MK{self.digits(2)}",
        )

    def rx(self) -> str:
        return self.pick(
            self.digits(7), f"{self.digits(2)}-{self.digits(6)}", f"RX{self.digits(8)}"
        )

    def ptphone(self) -> str:
        if not self._phone:
            self._phone = self._new_phone()
        return self._phone

    def _new_phone(self) -> str:
        a = self.rng.choice(("312", "414", "602", "614", "305", "832", "919", "503", "216", "404"))
        b, c = f"{self.rng.randint(201, 989)}", self.digits(4)
        return self.pick(f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"{a}{b}{c}")

    def ptemail(self) -> str:
        if not self._email:
            self._email = self._new_email()
        return self._email

    def _new_email(self) -> str:
        g, f = slug(self.given), slug(self.family)
        local = self.pick(f"{g}.{f}", f"{g[:1]}{f}{self.digits(2)}", f"{f}{g[:3]}", f"{g}{f[:1]}")
        return f"{local}@{self.rng.choice(FREEMAIL)}"

    def address(self) -> tuple[str, str]:
        street = str(self.us.street_address())
        return street, f"{self.us.city()}, {self.us.state_abbr()} {self.us.zipcode()}"

    # ---- dates and times
    def day(self, offset: int) -> dt.date:
        return (self.sent + dt.timedelta(days=offset)).date()

    def d(self, offset: int, fmt: str = "") -> str:
        return self.day(offset).strftime(fmt or self.dfmt)

    def clock(self, h: int = -1, m: int = -1) -> str:
        h = h if h >= 0 else self.rng.randint(7, 18)
        m = m if m >= 0 else self.rng.choice((0, 5, 12, 15, 20, 30, 38, 45, 50))
        if self.t24:
            return f"{h:02d}:{m:02d}"
        return f"{(h - 1) % 12 + 1}:{m:02d} {'AM' if h < 12 else 'PM'}"

    # ---- staff and addressing
    def staff(self) -> str:
        return f"{self.st.first_name()} {self.st.last_name()}"

    def doc(self) -> str:
        last = str(self.st.last_name())
        return self.pick(f"Dr. {last}", f"{self.st.first_name()} {last}, MD", f"Dr {last}")

    def staff_addr(self, name: str, domain: str) -> str:
        parts = [slug(x) for x in name.replace(",", " ").split() if slug(x)]
        parts = [p for p in parts if p not in ("dr", "md", "do", "rn", "pharmd", "rph", "np")]
        if len(parts) < 2:
            return f"{parts[0] if parts else 'office'}@{domain}"
        return self.pick(
            f"{parts[0]}.{parts[-1]}@{domain}",
            f"{parts[0][0]}{parts[-1]}@{domain}",
            f"{parts[-1]}{parts[0][0]}@{domain}",
        )

    def send(self, org: Org, name: str = "", box: str = "") -> str:
        """Send from `org`: from a person `name`, or from the mailbox `box`; return the name."""
        self.domain, self.utc = org.domain, org.utc
        if box:
            self.me, self.from_addr = name or org.name, f"{box}@{org.domain}"
        else:
            name = name or self.staff()
            self.me, self.from_addr = name, self.staff_addr(name, org.domain)
        return self.me

    def to_office(self, office: Org, box: str = "") -> str:
        """Address one of `office`'s people (or mailbox `box`); return the greeting name."""
        if box:
            self.to = f"{box}@{office.domain}"
            return ""
        name = self.staff()
        self.to = formataddr((name, self.staff_addr(name, office.domain)))
        return name

    def to_patient(self) -> None:
        self.to = self.pick(formataddr((self.patient(), self.ptemail())), self.ptemail())


def sig(g: Gen, name: str, title: str, org: Org, disclaimer: bool = True) -> str:
    lines = ["", "--", name, title, org.name]
    v = g.variant(3)
    if v == 0:
        lines.append(f"P {org.phone} | F {org.fax}")
    elif v == 1:
        lines.append(f"Phone: {org.phone}")
    if org.city and g.rng.random() < 0.5:
        lines.append(f"{org.city}, {org.state}")
    if disclaimer and g.rng.random() < 0.6:
        lines += ["", g.rng.choice(DISCLAIMERS)]
    return "\n".join(lines)


def quote(text: str) -> str:
    return "\n".join(("> " + ln) if ln else ">" for ln in text.splitlines())


def fwd_header(g: Gen, who: str, addr: str, subject: str, offset: int = 0) -> str:
    return (
        "---------- Forwarded message ---------\n"
        f"From: {who} <{addr}>\nDate: {g.d(offset, '%a, %b %d, %Y')} at {g.clock()}\n"
        f"Subject: {subject}\n"
    )


def table(head: list[str], rows: list[list[str]], border: bool = True) -> str:
    b = ' border="1" cellpadding="4" cellspacing="0"' if border else ' cellpadding="3"'
    out = [f"<table{b}>", "<tr>" + "".join(f"<th>{h(x)}</th>" for x in head) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{h(c)}</td>" for c in r) + "</tr>" for r in rows]
    return "\n".join(out + ["</table>"])


def kv_table(rows: list[tuple[str, str]]) -> str:
    out = ['<table cellpadding="3" style="border-collapse:collapse">']
    out += [f"<tr><td><b>{h(k)}</b></td><td>{h(v)}</td></tr>" for k, v in rows]
    return "\n".join(out + ["</table>"])


def page(*parts: str) -> str:
    body = "\n".join(parts)
    return (
        '<html><head><meta charset="utf-8"></head>'
        f'<body style="font-family:Arial,sans-serif;font-size:13px">\n{body}\n</body></html>'
    )


def para(text: str) -> str:
    return "".join(f"<p>{h(p)}</p>\n" for p in text.split("\n\n"))


def txt(name: str, text: str) -> tuple[str, str, bytes]:
    return name, "text/plain", fold(text).encode("ascii")


def csv_file(name: str, rows: list[list[str]]) -> tuple[str, str, bytes]:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return name, "text/csv", fold(buf.getvalue()).encode("ascii")


# ------------------------------------------------------------------------- clinical tables

CRITICALS = (
    ("Potassium", "K", "6.9", "mmol/L", "3.5-5.1", "HH"),
    ("Potassium", "K", "2.6", "mmol/L", "3.5-5.1", "LL"),
    ("Sodium", "Na", "118", "mmol/L", "136-145", "LL"),
    ("Glucose", "GLU", "41", "mg/dL", "70-99", "LL"),
    ("Glucose", "GLU", "538", "mg/dL", "70-99", "HH"),
    ("Hemoglobin", "HGB", "5.9", "g/dL", "12.0-15.5", "LL"),
    ("Platelet count", "PLT", "14", "K/uL", "150-400", "LL"),
    ("INR", "INR", "7.8", "", "0.9-1.1", "HH"),
    ("Troponin I, high sensitivity", "hsTnI", "1,240", "ng/L", "<34", "HH"),
    ("Calcium", "CA", "13.9", "mg/dL", "8.6-10.3", "HH"),
    ("WBC", "WBC", "0.7", "K/uL", "4.0-11.0", "LL"),
    ("Lithium", "LI", "2.4", "mmol/L", "0.6-1.2", "HH"),
    ("Digoxin", "DIG", "3.1", "ng/mL", "0.8-2.0", "HH"),
    ("Blood culture", "BCX", "Gram-positive cocci in clusters, 1 of 2 bottles", "", "", "POS"),
)
REJECTIONS = (
    ("Hemolyzed", "Specimen grossly hemolyzed; potassium and LDH cannot be reported"),
    ("QNS", "Quantity not sufficient for the ordered testing"),
    ("Mislabeled", "Name on tube does not match the requisition"),
    ("Unlabeled", "Tube received without a patient label"),
    ("Clotted", "Lavender-top (EDTA) tube received clotted"),
    ("Stability", "Received outside stability (unspun more than 24 hours)"),
    ("Temperature", "Frozen specimen received thawed"),
    ("Wrong container", "Collected in SST; test requires light-blue (citrate) tube"),
)
ROUTINE_TESTS = (
    "CBC with differential", "Comprehensive metabolic panel", "PT/INR", "Vitamin D, 25-hydroxy",
    "Hemoglobin A1c", "Lipid panel", "TSH with reflex FT4", "Ammonia", "Urine culture",
    "Magnesium", "Ferritin", "Basic metabolic panel", "PSA, total", "Hepatic function panel",
)  # fmt: skip
SENDOUTS = (
    "Hereditary cancer panel (84 genes)", "Paraneoplastic autoantibody panel, serum",
    "QuantiFERON-TB Gold Plus", "Heavy metals panel, whole blood", "JAK2 V617F mutation",
    "Hepatitis C genotype", "HLA-B27", "Myositis-specific antibody panel",
    "Alpha-1 antitrypsin phenotype", "Celiac disease comprehensive panel",
    "Flecainide level", "Cystic fibrosis carrier screen (expanded)",
)  # fmt: skip
REF_LABS = ("Northlake Molecular", "Sierra Esoteric Laboratories", "Cascade Genomics")
PATH_CASES = (
    ("Colon, sigmoid, polypectomy", "Tubular adenoma",
     "Deeper levels show a focus of high-grade dysplasia; margin clear"),
    ("Skin, left upper back, shave biopsy", "Dysplastic nevus with moderate atypia",
     "Peripheral margin is involved; re-excision suggested"),
    ("Breast, right, 10 o'clock, core biopsy", "Invasive ductal carcinoma, grade 2",
     "ER 95% strong, PR 40%, HER2 IHC 2+ (equivocal); FISH to follow"),
    ("Prostate, 12-core biopsy", "Adenocarcinoma, Gleason 3+4=7 (grade group 2)",
     "Perineural invasion identified in core 7 (left mid)"),
    ("Stomach, antrum, biopsy", "Chronic inactive gastritis",
     "Helicobacter pylori immunostain is POSITIVE"),
    ("Thyroid, right lobe, FNA", "Atypia of undetermined significance (Bethesda III)",
     "Molecular testing sent at clinician request"),
    ("Endometrium, biopsy", "Disordered proliferative endometrium",
     "Intradepartmental review: atypical hyperplasia/EIN cannot be excluded"),
)  # fmt: skip
EXAMS = (
    ("CT abdomen and pelvis with IV contrast", "CT", 30,
     "Nothing to eat for 4 hours before your exam; clear liquids are fine. Pick up the oral "
     "contrast at the front desk the day before and drink it as labeled. If you are over 60 or "
     "diabetic we need a creatinine from the last 30 days."),
    ("MRI brain with and without contrast", "MR", 45,
     "Remove all metal, hairpins and medication patches. Tell us if you have a pacemaker, "
     "neurostimulator, cochlear implant or metal fragments in the eyes. Arrive 30 minutes early."),
    ("PET/CT skull base to mid-thigh", "PT", 90,
     "Low-carbohydrate diet for 24 hours, then nothing to eat for 6 hours. No exercise the day "
     "before. Diabetics: call us for insulin instructions. Blood sugar must be under 200."),
    ("Ultrasound abdomen, complete", "US", 45, "Nothing to eat or drink for 8 hours before."),
    ("Pelvic ultrasound, transabdominal and transvaginal", "US", 45,
     "Drink 32 oz of water 1 hour before and do not empty your bladder."),
    ("DEXA bone density", "BD", 15,
     "No calcium supplements for 24 hours. Wear clothing without metal zippers or buttons."),
    ("CT coronary calcium score", "CT", 15, "No caffeine for 12 hours before the scan."),
    ("MR enterography", "MR", 60,
     "Nothing to eat for 6 hours. You will drink oral contrast over one hour after check-in."),
)  # fmt: skip
DISCREPANCIES = (
    ("CT head without contrast", "No acute intracranial abnormality.",
     "4 mm subdural hematoma along the left tentorium, not described on the preliminary read."),
    ("CT chest, PE protocol", "No pulmonary embolism.",
     "Subsegmental filling defect in the right lower lobe consistent with pulmonary embolism."),
    ("XR right wrist, 3 views", "No acute fracture.", "Nondisplaced scaphoid waist fracture."),
    ("CT abdomen/pelvis with contrast", "Uncomplicated sigmoid diverticulitis.",
     "Sigmoid diverticulitis with a 2.1 cm pericolic abscess."),
    ("US right upper quadrant", "Cholelithiasis without cholecystitis.",
     "Findings concerning for acute cholecystitis (wall thickening, positive sonographic Murphy)."),
    ("XR chest 2 views", "No acute cardiopulmonary process.",
     "1.4 cm nodule in the left upper lobe; CT chest recommended."),
)  # fmt: skip
SP_DRUGS = (
    ("Humira (adalimumab) 40 mg/0.4 mL pen", "rheumatoid arthritis", "M05.79"),
    ("Dupixent (dupilumab) 300 mg/2 mL pen", "atopic dermatitis", "L20.9"),
    ("Stelara (ustekinumab) 90 mg/mL", "Crohn's disease", "K50.90"),
    ("Enbrel (etanercept) 50 mg SureClick", "psoriatic arthritis", "L40.50"),
    ("Xolair (omalizumab) 150 mg PFS", "severe allergic asthma", "J45.50"),
    ("Taltz (ixekizumab) 80 mg autoinjector", "plaque psoriasis", "L40.0"),
    ("Kesimpta (ofatumumab) 20 mg pen", "relapsing multiple sclerosis", "G35"),
    ("Skyrizi (risankizumab) 150 mg pen", "plaque psoriasis", "L40.0"),
    ("Epclusa (sofosbuvir/velpatasvir) 400/100 mg", "chronic hepatitis C", "B18.2"),
    ("Biktarvy 50/200/25 mg", "HIV-1 infection", "B20"),
    ("Cosentyx (secukinumab) 150 mg pen", "ankylosing spondylitis", "M45.9"),
    ("Repatha (evolocumab) 140 mg SureClick", "familial hypercholesterolemia", "E78.01"),
)
INFUSIONS = (
    ("Ocrevus (ocrelizumab) 600 mg", "MS", 210),
    ("Remicade (infliximab) 5 mg/kg", "ulcerative colitis", 120),
    ("Entyvio (vedolizumab) 300 mg", "Crohn's disease", 30),
    ("IVIG (Gamunex-C) 1 g/kg", "CIDP", 240),
    ("Tysabri (natalizumab) 300 mg", "MS", 60),
    ("Venofer (iron sucrose) 200 mg", "iron deficiency anemia", 30),
    ("Krystexxa (pegloticase) 8 mg", "chronic refractory gout", 120),
    ("Benlysta (belimumab) 10 mg/kg", "lupus", 60),
    ("Prolia (denosumab) 60 mg", "osteoporosis", 15),
    ("Rituxan (rituximab) 1000 mg", "rheumatoid arthritis", 255),
)
REMS = (
    ("clozapine", "ANC", "Clozapine REMS", "ANC due weekly (first 6 months of therapy)"),
    ("isotretinoin", "urine hCG", "iPLEDGE", "monthly pregnancy test and confirmation in iPLEDGE"),
    ("bosentan", "LFTs (ALT/AST)", "Bosentan REMS", "monthly liver tests"),
    ("ambrisentan", "serum hCG", "Ambrisentan REMS", "monthly pregnancy test"),
    ("lenalidomide", "CBC and hCG", "Lenalidomide REMS", "survey and labs before each fill"),
    ("natalizumab", "JCV antibody", "TOUCH Prescribing Program", "JCV index every 6 months"),
    ("tolvaptan", "ALT/AST and bilirubin", "Jynarque REMS", "monthly LFTs for 18 months"),
)
HOME_INF = (
    ("ceftriaxone 2 g IV q24h", "vertebral osteomyelitis", "PICC right basilic, 41 cm",
     "weekly CBC, CMP, ESR, CRP"),
    ("vancomycin 1,250 mg IV q12h", "MRSA septic arthritis, left knee", "PICC left brachial, 38 cm",
     "trough before 4th dose, then twice weekly BMP"),
    ("ertapenem 1 g IV q24h", "ESBL pyelonephritis", "midline right cephalic",
     "weekly CBC and BMP"),
    ("daptomycin 8 mg/kg IV q24h", "MRSA bacteremia", "PICC right basilic, 43 cm",
     "weekly CK, CBC, CMP"),
    ("TPN 1,800 mL over 12 h nightly", "short bowel syndrome", "tunneled CVC right IJ",
     "weekly BMP, Mg, Phos, triglycerides"),
    ("cefazolin 2 g IV q8h via elastomeric pump", "MSSA prosthetic joint infection",
     "PICC left basilic, 40 cm", "weekly CBC with diff, CMP"),
)  # fmt: skip
INTERVENTIONS = (
    ("ciprofloxacin 500 mg BID", "tizanidine 4 mg TID",
     "Contraindicated combination (CYP1A2); risk of severe hypotension and sedation.",
     "Suggest switching to cefpodoxime or nitrofurantoin depending on culture."),
    ("sulfamethoxazole/trimethoprim DS BID", "spironolactone 50 mg daily",
     "Hyperkalemia risk; most recent K 5.4 mmol/L.", "Recommend alternative antibiotic or recheck K in 72 h."),
    ("methotrexate 15 mg", "",
     "Sig reads 'take 1 tablet by mouth daily'; methotrexate for RA is dosed once weekly.",
     "Please confirm weekly dosing and resend with the day of the week."),
    ("apixaban 5 mg BID", "",
     "Patient meets 2 of 3 dose-reduction criteria (age >= 80, weight 58 kg).",
     "Recommend apixaban 2.5 mg BID."),
    ("enoxaparin 1 mg/kg q12h", "",
     "Estimated CrCl 24 mL/min (Cockcroft-Gault).", "Recommend 1 mg/kg once daily."),
    ("linezolid 600 mg BID", "sertraline 100 mg daily",
     "Serotonin syndrome risk with MAOI activity of linezolid.",
     "Consider holding sertraline or using an alternative agent; counsel on symptoms."),
    ("clarithromycin 500 mg BID", "simvastatin 40 mg nightly",
     "Contraindicated (strong CYP3A4 inhibition; rhabdomyolysis risk).",
     "Hold simvastatin during the course or use azithromycin."),
)  # fmt: skip


# ------------------------------------------------------------------------- PHI families


def lab_critical_value_call(g: Gen) -> Mail:
    lab, office = g.rng.choice(LABS), g.rng.choice(OFFICES)
    test, short, val, unit, rng_, flag = g.rng.choice(CRITICALS)
    acc, doc, t = g.lab_acc(), g.doc(), g.clock()
    rn = g.staff()
    v = g.variant(4)
    if v == 0:
        g.send(lab, "Client Services", g.pick("criticals", "clientservices", "lis-notify"))
        g.to_office(office, g.pick("nurse", "results", "clinical"))
        body = (
            "*** CRITICAL VALUE NOTIFICATION ***\n\n"
            f"Patient:      {g.formal()}\nDOB:          {g.dob()}\nAccession:    {acc}\n"
            f"Ordering:     {doc} / {office.name}\nCollected:    {g.d(0)} {g.clock()}\n\n"
            f"Test:         {test}\nResult:       {val} {unit}  [{flag}]\n"
            f"Ref range:    {rng_}\n\n"
            f"Phoned to {rn} at {t}; read-back verified.\n"
            f"Logged by {g.staff()} ({lab.system}).\n\n"
            f"{lab.name} Client Services {lab.phone}"
        )
        return phi(f"CRITICAL VALUE - {acc}", body)
    if v == 1:
        me = g.send(lab, g.staff())
        g.to_office(office, "frontdesk")
        rows = [
            [g.clock(), f"{office.name} main line", "No answer / voicemail full", "1"],
            [g.clock(), f"{doc} answering service", "Left msg w/ operator", "2"],
            [t, rn, "Reached; read-back OK", "3"],
        ]
        inner = (
            f"<p>Documentation of critical result notification for "
            f"<b>{h(g.lastfirst())}</b> (DOB {h(g.dob())}, acc# {h(acc)}).</p>\n"
            f"<p>{h(test)}: <b>{h(val)} {h(unit)}</b> (ref {h(rng_ or 'n/a')})</p>\n"
            + table(["Time", "Called", "Outcome", "Attempt"], rows)
            + f"<p>Per policy a result not acknowledged within 60 minutes is escalated to the "
            f"on-call pathologist.</p><p>{h(me)}<br>{h(lab.name)}</p>"
        )
        return phi(f"Critical call log {g.d(0, '%m/%d')} - {short}", page(inner), html=True)
    if v == 2:
        g.send(lab, "LIS Autocall", "noreply-autocall")
        g.to_office(office, "results")
        subj = f"CRIT {short} {val} {g.formal()} DOB {g.dob()} acc {acc}"
        body = g.pick(
            f"Called to {rn} {t}, RB verified. No further action needed from lab.",
            f"Notified {rn} @ {t}. Please acknowledge in portal.",
            f"rb {rn} {t}",
        )
        return phi(subj, body, where=("subject",), headers={"Auto-Submitted": "auto-generated"})
    me = g.send(office, g.staff())
    name = g.to_office(office)
    inner = (
        f"From: {lab.name} <criticals@{lab.domain}>\nSubject: Critical value {acc}\n\n"
        f"{g.patient()}  DOB {g.dob()}\n{test} {val} {unit} (H/L flag {flag})\n"
        f"Called to our office {t}."
    )
    body = (
        f"{name.split()[0]} -\n\n"
        + g.pick(
            f"Lab just called this in. {g.first()} is on your schedule Thursday but I think "
            "we should call today. Do you want them in the ED?",
            "FYI below. I paged the on-call already, no callback yet.",
            "Please review and let me know the plan so I can call the patient.",
        )
        + f"\n\n{me}\n\n{quote(inner)}"
    )
    return phi(f"Fwd: Critical value {acc}", body)


def specimen_rejection_recollect(g: Gen) -> Mail:
    lab, office = g.rng.choice(LABS), g.rng.choice(OFFICES)
    code, why = g.rng.choice(REJECTIONS)
    test = g.rng.choice(ROUTINE_TESTS)
    acc = g.lab_acc()
    v = g.variant(4)
    if v == 0:
        g.send(lab, "Specimen Processing", "processing")
        g.to_office(office, g.pick("lab", "results", "ma"))
        body = (
            f"SPECIMEN REJECTION - RECOLLECTION REQUIRED\n\nAccession: {acc}\n"
            f"Patient: {g.lastfirst()}   DOB: {g.dob()}   Sex: {g.sx}\n"
            f"Test(s): {test}\nReason: {code} - {why}\nReceived: {g.d(-1)} {g.clock()}\n\n"
            "Please recollect at your earliest convenience. The original order remains open "
            "for 14 days; no new requisition is needed.\n"
            + sig(g, g.staff(), "Processing Supervisor", lab)
        )
        return phi(f"Rejected specimen {acc} - recollect", body)
    if v == 1:
        g.send(lab, g.staff())
        g.to_patient()
        street, city = g.address()
        body = (
            f"Dear {g.patient()},\n\n"
            f"The blood sample collected on {g.d(-2)} for your {test.lower()} could not be tested "
            f"({why.lower()}). We are sorry for the inconvenience. Your doctor's order is still "
            "active, so you can return to any of our patient service centers without an "
            "appointment. There is no additional charge.\n\n"
            + g.pick("Please bring a photo ID. ", "")
            + g.pick("If you were asked to fast, please fast for 10-12 hours.\n\n", "\n")
            + f"Address on file: {street}, {city}\nOrder #: {acc}\n\n"
            f"{lab.name} Patient Services\n{lab.phone}"
        )
        return phi("Action needed: please return for a new lab sample", body)
    if v == 2:
        g.send(lab, "Client Services", "clientservices")
        g.to_office(office, "lab")
        rows = [[acc, g.formal(), g.dob(), test, code]]
        other = Gen(g.rng)
        rows.append([other.lab_acc(), other.formal(), other.dob(), g.rng.choice(ROUTINE_TESTS),
                     g.rng.choice(REJECTIONS)[0]])  # fmt: skip
        inner = (
            f"<p>The following specimens from {h(office.name)} received on {h(g.d(-1))} were "
            "not acceptable for testing. Please arrange recollection.</p>\n"
            + table(["Accession", "Patient", "DOB", "Test", "Reason"], rows)
            + f"<p>Questions: {h(lab.phone)}</p>"
        )
        return phi(f"{len(rows)} rejected specimens - {office.name}", page(inner), html=True)
    g.send(lab, "Specimen Processing", "noreply")
    g.to_office(office, "lab")
    rep = (
        f"{lab.name.upper()}  REJECTED SPECIMEN REPORT  {g.d(0, '%m/%d/%Y')}\n"
        f"CLIENT: {office.name.upper()}\n{'=' * 60}\n"
        f"ACC {acc}  PT {g.formal()}  DOB {g.dob_date:%m/%d/%Y}\n"
        f"TEST {test.upper()}\nREASON {code.upper()}: {why}\nACTION RECOLLECT\n"
    )
    body = (
        g.pick(
            "Attached is today's rejected specimen report for your account.",
            "Please see the attached report. Recollection is required.",
        )
        + f"\n\n{lab.name} Client Services"
    )
    return phi(
        f"Rejected specimen report {g.d(0, '%Y%m%d')}",
        body,
        where=("attachment",),
        attachments=[txt(f"rejections_{g.d(0, '%Y%m%d')}.txt", rep)],
    )


def result_report_text(g: Gen, lab: Org, office: Org, doc: str, acc: str) -> str:
    test = g.rng.choice(("Comprehensive metabolic panel", "Lipid panel", "CBC with differential"))
    rows = {
        "Comprehensive metabolic panel": [("Glucose", "126", "mg/dL", "70-99", "H"),
                                          ("Creatinine", "1.62", "mg/dL", "0.60-1.20", "H"),
                                          ("eGFR", "44", "mL/min/1.73m2", ">59", "L"),
                                          ("Potassium", "4.8", "mmol/L", "3.5-5.1", "")],
        "Lipid panel": [("Cholesterol, total", "262", "mg/dL", "<200", "H"),
                        ("LDL (calc)", "181", "mg/dL", "<100", "H"),
                        ("HDL", "38", "mg/dL", ">39", "L"),
                        ("Triglycerides", "214", "mg/dL", "<150", "H")],
        "CBC with differential": [("WBC", "11.8", "K/uL", "4.0-11.0", "H"),
                                  ("Hemoglobin", "10.2", "g/dL", "12.0-15.5", "L"),
                                  ("MCV", "74", "fL", "80-100", "L"),
                                  ("Platelets", "412", "K/uL", "150-400", "H")],
    }[test]  # fmt: skip
    lines = [
        f"{lab.name} - {lab.city}, {lab.state}",
        f"PATIENT: {g.formal()}   DOB: {g.dob_date:%m/%d/%Y}   SEX: {g.sx}",
        f"ACCESSION: {acc}   COLLECTED: {g.d(-1, '%m/%d/%Y')}   REPORTED: {g.d(0, '%m/%d/%Y')}",
        f"ORDERING: {doc}  ({office.name})",
        "",
        f"{test.upper()}",
    ]
    lines += [f"  {a:<22}{b:>8} {c:<14}{d:<12}{e}" for a, b, c, d, e in rows]
    lines += ["", "FINAL REPORT"]
    return "\n".join(lines)


def result_delivery_cover(g: Gen) -> Mail:
    lab, office = g.rng.choice(LABS), g.rng.choice(OFFICES)
    acc, doc = g.lab_acc(), g.doc()
    rep = result_report_text(g, lab, office, doc, acc)
    att = [txt(f"{acc}.txt", rep)]
    v = g.variant(4)
    if v == 0:
        me = g.send(lab, g.staff())
        g.to_office(office, "fax")
        body = (
            "F A C S I M I L E   C O V E R\n\n"
            f"TO:    {doc}, {office.name}\nFAX:   {office.fax}\n"
            f"FROM:  {me}, {lab.name}\nPHONE: {lab.phone}\nDATE:  {g.d(0)}\n"
            f"PAGES: {g.rng.randint(2, 4)} (including cover)\n"
            f"RE:    {g.formal()} / DOB {g.dob()} - final results\n\n"
            "The documents accompanying this transmission contain confidential health "
            "information that is legally privileged. If you are not the intended recipient you "
            "are hereby notified that any disclosure, copying or distribution is prohibited."
        )
        return phi(f"Fax: results {g.last()}", body, where=("subject", "body", "attachment"),
                   attachments=att)  # fmt: skip
    if v == 1:
        me = g.send(lab, g.staff())
        name = g.to_office(office)
        body = (
            f"Hi {name.split()[0]},\n\nAs requested, attached are the results for "
            f"{g.patient()} (DOB {g.dob()}), collected {g.d(-1)}. The original went to "
            f"{doc}'s inbox in the portal on {g.d(0)}.\n\nThanks,\n{me}\n{lab.name}"
        )
        return phi("Re: results request", body, where=("body", "attachment"), attachments=att)
    if v == 2:
        g.send(lab, "Result Delivery", g.pick("results", "autofax", "delivery"))
        g.to_office(office, "results")
        body = (
            f"{lab.system} automated delivery\n\nClient: {office.name}\n"
            f"Documents: 1\nDelivered: {g.d(0)} {g.clock()}\n\nDo not reply to this message."
        )
        return phi(f"[{lab.system}] Result delivery {acc}", body, where=("attachment",),
                   attachments=att)  # fmt: skip
    g.send(lab, "Client Services", "clientservices")
    g.to_office(office, "results")
    rows = [ln.split() for ln in rep.splitlines()[6:10]]
    inner = (
        f"<p>Final results for <b>{h(g.name_as())}</b>, DOB {h(g.dob())}, accession "
        f"{h(acc)}, ordered by {h(doc)}.</p>\n"
        + table(["Result line"], [[" ".join(r)] for r in rows])
        + "<p>The complete report is attached.</p>"
    )
    return phi(f"Final results - {acc}", page(inner), html=True,
               where=("body", "attachment"), attachments=att)  # fmt: skip


def pathology_addendum(g: Gen) -> Mail:
    lab, office = g.rng.choice(LABS), g.rng.choice(OFFICES)
    site, dx, add = g.rng.choice(PATH_CASES)
    case = g.pick(f"S{g.sent:%y}-{g.digits(5)}", f"SP-{g.sent:%y}-{g.digits(6)}")
    path = f"{g.st.first_name()} {g.st.last_name()}, MD"
    doc = g.doc()
    v = g.variant(3)
    if v == 0:
        g.send(lab, "Anatomic Pathology", "ap-reports")
        g.to_office(office, "results")
        body = (
            f"ADDENDUM ISSUED - SURGICAL PATHOLOGY\n\nCase: {case}\n"
            f"Patient: {g.formal()}\nDOB: {g.dob()}   MRN: {g.mrn()}\n"
            f"Submitting physician: {doc}\nSpecimen: {site}\n\n"
            f"Original diagnosis ({g.d(-6)}): {dx}\nAddendum ({g.d(0)}): {add}\n\n"
            f"Electronically signed: {path}\n\nThe addended report replaces the prior version "
            "in the chart. Please review."
        )
        return phi(f"Pathology addendum {case}", body)
    if v == 1:
        me = g.send(lab, path)
        g.to = formataddr((doc, g.staff_addr(doc, office.domain)))
        body = (
            f"Dear {doc},\n\nA quick heads-up that I have issued an addendum on "
            f"{g.patient()}'s {site.split(',')[0].lower()} specimen ({case}). {add}. "
            f"This {g.pick('may change management', 'does not change the diagnosis but is relevant for follow-up')}. "
            "I am happy to discuss at your convenience.\n\n"
            f"Best,\n{me}\n{lab.name}, Department of Pathology\n{lab.phone}"
        )
        return phi(f"Addendum: {case} ({g.last()})", body)
    g.send(lab, "AP Notifications", "ap-notify")
    g.to_office(office, "results")
    inner = (
        "<h3>Amended / Addended Report Notice</h3>\n"
        + kv_table(
            [
                ("Case", case),
                ("Patient", g.name_as()),
                ("DOB", g.dob()),
                ("Specimen", site),
                ("Original dx", dx),
                ("Addendum", add),
                ("Pathologist", path),
                ("Issued", f"{g.d(0)} {g.clock()}"),
            ]
        )  # fmt: skip
        + f"<p style='font-size:11px'>{h(g.rng.choice(DISCLAIMERS))}</p>"
    )
    return phi(f"Addended report - {case}", page(inner), html=True)


def sendout_status_query(g: Gen) -> Mail:
    lab, office = g.rng.choice(LABS), g.rng.choice(OFFICES)
    test, ref = g.rng.choice(SENDOUTS), g.rng.choice(REF_LABS)
    acc = g.lab_acc()
    coll = g.d(-g.rng.randint(9, 20))
    v = g.variant(3)
    if v == 0:
        me = g.send(office, g.staff())
        g.to = f"sendouts@{lab.domain}"
        body = (
            "Hello,\n\n"
            + g.pick(
                f"Could you check on the status of the {test} for our patient "
                f"{g.name_as()}, DOB {g.dob()}? It was drawn {coll} and still shows pending.",
                f"Following up on {g.lastfirst()} ({g.dob()}) - {test}, collected {coll}. "
                f"{g.doc()} is seeing the patient next week and needs the result.",
            )
            + f"\n\nAccession if helpful: {acc}\n\nThank you,\n{me}\n{office.name}\n{office.phone}"
        )
        return phi(
            g.pick("Send out status?", f"Pending {test.split(' (')[0]}", "lab question"), body
        )
    if v == 1:
        asker = g.staff()
        me = g.send(lab, g.staff())
        g.to = formataddr((asker, g.staff_addr(asker, office.domain)))
        orig = (
            f"On {g.d(-1, '%a, %b %d, %Y')} at {g.clock()}, {asker} wrote:\n"
            f"Any update on {g.patient()} {g.dob()}? {test} sent {coll}. Thanks"
        )
        body = (
            f"Hi {asker.split()[0]},\n\n"
            + g.pick(
                f"{ref} received the specimen on {g.d(-7)}; the test is run in batches and the "
                f"expected report date is {g.d(4)}.",
                f"{ref} requested an additional tube - the original was insufficient for "
                "reflex testing. We will contact the patient to recollect.",
                f"The result was finalized this morning and should be in your interface now. "
                f"I've also faxed it to {office.fax}.",
            )
            + f"\n\n{me}\nSend-out Coordinator, {lab.name}\n\n{quote(orig)}"
        )
        return phi(f"RE: {g.last()} - {test.split(' (')[0]}", body)
    g.send(lab, "Send-out Desk", "sendouts")
    g.to_office(office, "results")
    body = (
        f"TEST DELAY NOTICE\n\nThe following send-out test is delayed at the performing "
        f"laboratory ({ref}).\n\nPatient: {g.formal()}\nDOB: {g.dob()}\nAccession: {acc}\n"
        f"Test: {test}\nCollected: {coll}\nNew expected date: {g.d(g.rng.randint(3, 12))}\n"
        f"Reason: {g.pick('reagent backorder', 'repeat testing in progress', 'instrument downtime', 'additional review by laboratory director')}\n\n"
        f"No action is needed unless you wish to cancel. {lab.phone}"
    )
    return phi(f"Delay - {test} - {acc}", body)


def lab_billing_inquiry(g: Gen) -> Mail:
    lab = g.rng.choice(LABS)
    acct = g.pick(f"{g.digits(9)}", f"KR{g.digits(8)}", f"{g.digits(4)}-{g.digits(6)}")
    dos = g.d(-g.rng.randint(40, 120))
    lines = g.rng.sample(
        [("80053", "Comprehensive metabolic panel", 38.0), ("85025", "CBC w/ auto diff", 22.5),
         ("83036", "Hemoglobin A1c", 29.0), ("84443", "TSH", 41.75), ("80061", "Lipid panel", 33.0),
         ("82306", "Vitamin D, 25-OH", 86.0), ("87086", "Urine culture, colony count", 27.25),
         ("81479", "Unlisted molecular pathology", 412.0)], 3)  # fmt: skip
    total = sum(x[2] for x in lines)
    ins = g.pick("Aetna", "BlueCross BlueShield", "UnitedHealthcare", "Cigna", "Humana", "Medicaid")
    reason = g.pick(
        "applied to your deductible",
        "denied as not medically necessary for the diagnosis provided (CO-50)",
        "denied: coverage terminated before the date of service",
        "not covered: provider out of network",
    )
    g.send(lab, "Patient Billing", g.pick("billing", "patientaccounts"))
    g.to_patient()
    street, city = g.address()
    v = g.variant(3)
    if v == 0:
        body = (
            f"{g.patient()}\n{street}\n{city}\n\nAccount: {acct}\nDate of service: {dos}\n\n"
            f"Dear {g.first()} {g.last()},\n\nWe billed {ins} for the laboratory testing "
            f"ordered by your physician. The claim was {reason}. The remaining balance of "
            f"${total:,.2f} is now your responsibility.\n\n"
            + "\n".join(f"  CPT {c}  {d:<34} ${a:>8.2f}" for c, d, a in lines)
            + f"\n\nIf you believe this is an error, call {lab.phone} or reply with your "
            "insurance card. Payment plans and financial assistance are available.\n\n"
            f"{lab.name} Billing Department"
        )
        return phi(f"Your lab bill - account {acct}", body)
    if v == 1:
        inner = (
            f"<p>Hello {h(g.first())},</p><p>Your statement from {h(lab.name)} is ready.</p>"
            + kv_table(
                [
                    ("Patient", g.patient()),
                    ("Account", acct),
                    ("Service date", dos),
                    ("Insurance", f"{ins} - member {g.member_id()}"),
                    ("Amount due", f"${total:,.2f}"),
                ]
            )  # fmt: skip
            + table(["CPT", "Description", "Charge"], [[c, d, f"${a:.2f}"] for c, d, a in lines])
            + f"<p>Insurance note: claim {h(reason)}.</p><p><a href='https://pay.{lab.domain}/"
            f"{acct}'>Pay online</a> or call {h(lab.phone)}.</p>"
        )
        return phi("Statement available", page(inner), html=True)
    orig = (
        f"Why am I being charged ${total:,.2f}? My insurance is {ins} and my doctor said the "
        f"blood work would be covered. Account {acct}.\n\n{g.patient()}"
    )
    me = g.staff()
    g.send(lab, me)
    body = (
        f"Dear {g.patient()},\n\nThank you for contacting us. I reviewed account {acct} for "
        f"testing on {dos}. {ins} processed the claim and it was {reason}. "
        + g.pick(
            "We have asked your physician's office for an updated diagnosis code and will "
            "rebill; your account is on hold for 45 days.",
            "If your insurance changed, please send the new card and we will resubmit.",
        )
        + f"\n\nSincerely,\n{me}\nPatient Accounts, {lab.name}\n\n"
        + quote(f"On {g.d(-2)}, {g.patient()} <{g.ptemail()}> wrote:\n{orig}")
    )
    return phi(f"RE: Account {acct}", body)


def imaging_prep_confirmation(g: Gen) -> Mail:
    ic = g.rng.choice(IMAGING)
    exam, mod, mins, prep = g.rng.choice(EXAMS)
    if exam.startswith("Pelvic"):
        g.sex("F")
    day = g.rng.randint(1, 12)
    t = g.clock(g.rng.randint(7, 16))
    doc = g.doc()
    g.send(ic, "Scheduling", g.pick("scheduling", "appointments", "noreply"))
    g.to_patient()
    v = g.variant(3)
    if v == 0:
        body = (
            f"Dear {g.patient()},\n\nThis confirms your appointment at {ic.name}:\n\n"
            f"  Exam:      {exam}\n  Date:      {g.d(day, '%A, %B %d, %Y')}\n"
            f"  Time:      {t} (please arrive 15 minutes early)\n  Length:    about {mins} minutes\n"
            f"  Ordered by: {doc}\n\nHOW TO PREPARE\n{prep}\n\n"
            "Bring your photo ID, insurance card and the order from your doctor. To reschedule "
            f"call {ic.phone}.\n\n{ic.name}"
        )
        return phi(f"Appointment confirmation - {exam}", body)
    if v == 1:
        inner = (
            f"<p>Hi {h(g.first())},</p><p>You're scheduled! Here are your details:</p>"
            + kv_table(
                [
                    ("Patient", g.patient()),
                    ("Date of birth", g.dob()),
                    ("Exam", exam),
                    ("When", f"{g.d(day)} at {t}"),
                    ("Location", f"{ic.name}, {ic.city}"),
                    ("Referring provider", doc),
                ]
            )  # fmt: skip
            + f"<h4>Preparation</h4><p>{h(prep)}</p>"
            + f"<p>Questions? Call {h(ic.phone)}.</p>"
        )
        return phi(f"Your {mod} appointment on {g.d(day, '%b %d')}", page(inner), html=True)
    body = g.pick(
        f"{g.first()}, reminder: {exam} {g.d(day, '%m/%d')} {t} at {ic.name}. {prep.split('.')[0]}. Reply C to confirm.",
        f"Reminder for {g.initials()} {g.last()}: {exam} on {g.d(day)} {t}. Prep: {prep.split('.')[0]}.",
    )
    return phi("Appointment reminder", body)


def radiology_report_distribution(g: Gen) -> Mail:
    ic, office = g.rng.choice(IMAGING), g.rng.choice(OFFICES)
    exam, prelim, final = g.rng.choice(DISCREPANCIES)
    acc = g.img_acc(exam[:2] if exam[:2] in ("CT", "XR", "US") else "DX")
    rad = f"{g.st.first_name()} {g.st.last_name()}, MD"
    doc = g.doc()
    v = g.variant(4)
    if v == 0:
        g.send(ic, "Report Distribution", "reports")
        g.to_office(office, "results")
        body = (
            f"{ic.system} REPORT DISTRIBUTION\n\nA final report is available.\n\n"
            f"Patient: {g.formal()}\nDOB: {g.dob()}\nExam: {exam}\nAccession: {acc}\n"
            f"Exam date: {g.d(-1)}\nReading radiologist: {rad}\nDelivered to: {doc}\n"
            f"Method: {g.pick('HL7 interface + fax', 'portal', 'fax to ' + office.fax)}\n\n"
            f"IMPRESSION: {final}"
        )
        return phi(f"Final report available - {acc}", body)
    if v == 1:
        me = g.send(ic, rad)
        g.to = formataddr((doc, g.staff_addr(doc, office.domain)))
        body = (
            f"{doc},\n\nI am writing about a discrepancy between the preliminary and final "
            f"interpretation for your patient {g.patient()} (DOB {g.dob()}), {exam} on "
            f"{g.d(-1)}, accession {acc}.\n\nPreliminary: {prelim}\nFinal: {final}\n\n"
            f"I attempted to reach you by phone at {g.clock()}. Please contact the reading "
            f"room at {ic.phone} to confirm receipt.\n\n{me}\n{ic.name}"
        )
        return phi(f"Prelim/final discrepancy - {g.initials()} - {acc}", body)
    if v == 2:
        g.send(ic, "Report Distribution", "reports")
        g.to_office(office, "results")
        rows = [[acc, g.lastfirst(), g.dob(), exam, "FINAL"]]
        for _ in range(g.rng.randint(1, 3)):
            o = Gen(g.rng)
            e = g.rng.choice(EXAMS)[0]
            mod = "MR" if e.startswith("M") else e[:2] if e[:2] in ("CT", "US") else "DX"
            rows.append([o.img_acc(mod), o.lastfirst(), o.dob(), e, g.pick("FINAL", "ADDENDUM")])
        inner = (
            f"<p>Reports distributed to {h(office.name)} on {h(g.d(0))}:</p>"
            + table(["Accession", "Patient", "DOB", "Exam", "Status"], rows)
            + "<p>Please reconcile against your open orders.</p>"
        )
        return phi(f"Daily report distribution - {g.d(0)}", page(inner), html=True)
    me = g.send(ic, g.staff())
    g.to_office(office, "clinical")
    body = (
        f"Critical/discrepant result communication log\n\n{g.d(0)} {g.clock()} - {rad} "
        f"spoke with {doc} regarding {g.formal()} ({acc}). Final read: {final} "
        f"Preliminary ED/urgent care read was '{prelim}'.\n\nCommunication documented in "
        f"{ic.system}. Copy for your records.\n\n{me}\nQuality Coordinator"
    )
    return phi("Result communication record", body)


def contrast_premedication(g: Gen) -> Mail:
    ic, office = g.rng.choice(IMAGING), g.rng.choice(OFFICES)
    exam = g.pick("CT abdomen/pelvis with IV contrast", "CT chest with contrast",
                  "MRI lumbar spine with gadolinium", "CT angiogram of the neck")  # fmt: skip
    agent = "gadolinium" if "MRI" in exam else "iodinated contrast"
    reaction = g.pick("hives and itching", "facial swelling", "wheezing", "diffuse urticaria")
    day = g.rng.randint(2, 10)
    hh = g.rng.randint(8, 15)
    t = g.clock(hh, 0)
    v = g.variant(3)
    if v == 0:
        me = g.send(ic, g.staff())
        name = g.to_office(office)
        body = (
            f"Hi {name.split()[0]},\n\n{g.patient()} (DOB {g.dob()}) is scheduled for {exam} "
            f"on {g.d(day)} at {t}. During the pre-screen call the patient reported a prior "
            f"reaction to {agent} ({reaction}, {g.pick('2019', 'about 5 years ago', 'last year')}).\n\n"
            "Per our protocol we need a premedication prescription from the ordering provider:\n"
            "  prednisone 50 mg PO at 13, 7 and 1 hour before the scan\n"
            "  diphenhydramine 50 mg PO 1 hour before\n\n"
            "Please e-prescribe to the patient's pharmacy and let us know, or change the order "
            "to a non-contrast study.\n\n"
            f"Thanks,\n{me}, RN\n{ic.name}\n{ic.phone}"
        )
        return phi(g.pick("Contrast allergy - premed needed", f"Premed Rx for {g.last()}"), body)
    if v == 1:
        g.send(ic, "Nursing", "imagingnurse")
        g.to_patient()
        h13, h7 = (hh - 13) % 24, (hh - 7) % 24
        body = (
            f"Dear {g.first()},\n\nBecause of your allergy to {agent}, {g.doc()} prescribed "
            f"medicine to take before your {exam} on {g.d(day, '%A %m/%d')} at {t}:\n\n"
            f"  1. Prednisone 50 mg - at {h13:02d}:00 ({'the night before' if hh < 13 else 'early that morning'})\n"
            f"  2. Prednisone 50 mg - at {h7:02d}:00 on the day of the exam\n"
            f"  3. Prednisone 50 mg and Benadryl 50 mg - at {(hh - 1):02d}:00\n\n"
            "Benadryl makes you sleepy. You MUST have a driver. If you have diabetes, check "
            "your sugar more often while taking prednisone.\n\n"
            f"{ic.name} Nursing {ic.phone}"
        )
        return phi("Instructions before your scan", body)
    g.send(ic, "Pre-Screening", "prescreen")
    g.to_office(office, "referrals")
    inner = (
        "<h3>Contrast Pre-Screening Alert</h3>"
        + kv_table(
            [
                ("Patient", g.formal()),
                ("DOB", g.dob()),
                ("Exam", exam),
                ("Scheduled", f"{g.d(day)} {t}"),
                ("Allergy", f"{agent}: {reaction}"),
                ("eGFR", f"{g.rng.randint(28, 95)} mL/min ({g.d(-20)})"),
                ("Action", "Premedication order required from ordering provider"),
            ]
        )  # fmt: skip
        + "<p>Fax signed premed order to "
        + h(ic.fax)
        + ".</p>"
    )
    return phi(f"Pre-screen alert {g.d(day, '%m/%d')}", page(inner), html=True)


def mammography_callback(g: Gen) -> Mail:
    ic = g.rng.choice(IMAGING)
    g.sex("F")
    g.set_age(40, 76)
    street, city = g.address()
    side = g.pick("right", "left")
    finding = g.pick(
        "an area of asymmetry", "calcifications", "a small mass", "architectural distortion"
    )
    doc = g.doc()
    v = g.variant(3)
    if v == 0:
        g.send(ic, "Breast Imaging", "breastcenter")
        g.to_patient()
        body = (
            f"{g.d(0, '%B %d, %Y')}\n\n{g.patient()}\n{street}\n{city}\n\n"
            f"Dear {g.pick('Ms. ' + g.last(), 'Mrs. ' + g.last(), g.patient(), g.first())},\n\n"
            + f"Thank you for having your screening mammogram on {g.d(-3)}. The radiologist "
            "would like additional images to get a closer look at an area of your breast. "
            "This is common: most women who are called back do not have cancer.\n\n"
            f"Please call {ic.phone} to schedule a diagnostic mammogram and, if needed, an "
            "ultrasound. A copy of your result was sent to "
            f"{doc}.\n\n{ic.name} Breast Center\n\n"
            "Federal law requires that you receive this letter. Your mammogram also showed "
            "that you have dense breast tissue."
        )
        return phi("Your mammogram results", body)
    if v == 1:
        office = g.rng.choice(OFFICES)
        g.send(ic, "Breast Imaging", "mammo-results")
        g.to_office(office, "results")
        body = (
            f"SCREENING MAMMOGRAM - CALLBACK\n\nPatient: {g.lastfirst()}\nDOB: {g.dob()} "
            f"(age {g.age})\nExam date: {g.d(-2)}\nBI-RADS 0 - Incomplete: needs additional "
            f"imaging evaluation.\nFinding: {finding}, {side} breast, "
            f"{g.pick('upper outer quadrant', '2 o clock', 'retroareolar', 'lower inner quadrant')}.\n"
            f"Recommendation: diagnostic mammogram {side} with possible ultrasound.\n\n"
            "Our navigator will contact the patient within 2 business days; the patient "
            "letter has been mailed."
        )
        return phi(f"BI-RADS 0 callback - {g.initials()}", body)
    g.send(ic, "Breast Imaging", "breastcenter")
    g.to_patient()
    inner = (
        f"<p>Dear {h(g.patient())},</p>"
        + para(
            "We have reviewed your recent screening mammogram and need some more pictures "
            f"of your {side} breast to complete the exam.\n\n"
            "Please schedule within the next two weeks. Most callbacks turn out to be normal "
            "tissue."
        )
        + kv_table(
            [
                ("Date of birth", g.dob()),
                ("Referring provider", doc),
                ("Call to schedule", ic.phone),
            ]
        )  # fmt: skip
        + f"<p>{h(ic.name)}</p>"
    )
    return phi("Follow-up needed after your mammogram", page(inner), html=True)


def benefits_investigation(g: Gen) -> Mail:
    sp, office = g.rng.choice(PHARMACIES), g.rng.choice(OFFICES)
    drug, cond, icd = g.rng.choice(SP_DRUGS)
    plan = g.pick("Aetna Commercial", "BCBS of Illinois PPO", "UnitedHealthcare Choice Plus",
                  "Cigna Open Access", "Humana Medicare Advantage", "CareSource Medicaid",
                  "Caremark (employer plan)", "Express Scripts")  # fmt: skip
    mid = g.member_id()
    copay = g.pick("$0", "$25", "$150", "$1,250 until deductible met", "20% coinsurance")
    status = g.pick("APPROVED", "DENIED", "PENDING - additional information requested", "SUBMITTED")
    case = f"PA{g.digits(8)}"
    v = g.variant(4)
    if v == 0:
        me = g.send(sp, g.staff())
        g.to_office(office, g.pick("priorauth", "pa", "referrals"))
        body = (
            f"BENEFITS INVESTIGATION SUMMARY\n\nPatient: {g.lastfirst()}  DOB: {g.dob()}\n"
            f"Drug: {drug}\nDiagnosis: {cond} ({icd})\nPlan: {plan}\nMember ID: {mid}\n"
            f"Specialty pharmacy benefit: yes\nPrior authorization required: yes\n"
            f"Est. patient cost share: {copay} per fill\nPA case: {case} - {status}\n\n"
            + g.pick(
                "Please send chart notes documenting prior therapies tried and failed.",
                "Copay assistance is being screened; we will contact the patient.",
                "No action needed at this time.",
            )
            + sig(g, me, "Benefits Coordinator", sp)
        )
        return phi(f"BI complete - {g.last()} - {drug.split(' (')[0]}", body)
    if v == 1:
        g.send(sp, "Prior Authorization Team", "pa-team")
        g.to_office(office, "priorauth")
        reason = g.pick(
            "step therapy not met: plan requires trial of methotrexate for 12 weeks",
            "diagnosis not supported by submitted documentation",
            "quantity exceeds plan limit",
            "non-formulary; preferred alternative on file",
        )
        result = f"approved through {g.d(365)}" if status == "APPROVED" else f"denied - {reason}"
        body = (
            f"PA update for {g.name_as()} (DOB {g.dob()}):\n\n{drug} for {cond} - {result}.\n"
            f"Plan {plan}, ID {mid}, reference {case}.\n\n"
            + (
                "We will schedule the first shipment with the patient."
                if status == "APPROVED"
                else "An appeal can be filed within 60 days; reply if you want us to prepare a "
                "letter of medical necessity template."
            )
            + f"\n\n{sp.name} | {sp.phone}"
        )
        word = "APPROVED" if status == "APPROVED" else g.pick("DENIED", "Denied", "determination")
        return phi(f"PA {case}: {word}", body)
    if v == 2:
        g.send(sp, "Intake", "intake")
        g.to_office(office, "referrals")
        inner = (
            f"<p>Referral received for the patient below. Benefits investigation status as of "
            f"{h(g.d(0))}:</p>"
            + table(
                ["Patient", "DOB", "Medication", "Payer / ID", "PA", "Copay"],
                [[g.formal(), g.dob(), drug, f"{plan} / {mid}", status, copay]],
            )  # fmt: skip
            + f"<p>Diagnosis on referral: {h(icd)}. Contact intake at {h(sp.phone)}.</p>"
        )
        return phi("Referral status update", page(inner), html=True)
    me = g.send(office, g.staff())
    g.to = f"intake@{sp.domain}"
    orig = (
        f"From: {sp.name} <pa-team@{sp.domain}>\nSubject: PA {case}\n\n"
        f"{g.patient()} / {mid} / {drug}: PA {status.lower()}."
    )
    body = (
        g.pick(
            "Can you clarify what's still needed? We faxed notes on Monday.",
            "Thanks - is the patient aware? They called us confused about the cost.",
            "Please run the test claim again, the plan changed on 1/1.",
        )
        + f"\n\n{me}\n{office.name}\n\n{quote(orig)}"
    )
    return phi(f"RE: PA {case}", body)


def copay_assistance_enrollment(g: Gen) -> Mail:
    sp = g.rng.choice(PHARMACIES)
    drug, cond, _ = g.rng.choice(SP_DRUGS)
    brand = drug.split(" (")[0].split(" ")[0]
    g.send(sp, "Patient Financial Services", g.pick("copay", "financialassist", "pfs"))
    g.to_patient()
    v = g.variant(3)
    if v == 0:
        body = (
            f"Hi {g.first()},\n\nGood news - you are enrolled in the {brand} Complete copay "
            f"program. Your cost for {drug} should be as little as $5 per month.\n\n"
            f"  Name:    {g.patient()}\n  BIN:     {g.digits(6)}\n  PCN:     {g.pick('OHCP', 'CN', 'LOYALTY')}\n"
            f"  Group:   {g.pick('OH', 'EC', 'PA')}{g.digits(7)}\n  ID:      {g.digits(11)}\n"
            f"  Expires: 12/31/{g.sent.year}\n\n"
            "We have added the card to your profile, so you don't need to do anything. Your "
            f"next shipment is scheduled for {g.d(g.rng.randint(3, 10))}.\n\n{sp.name}"
        )
        return phi(f"You're enrolled: {brand} copay card", body)
    if v == 1:
        fnd = g.pick("Bridgeway Patient Foundation", "Lumen Chronic Disease Fund",
                     "Harbor Access Assistance Trust")  # fmt: skip
        inner = (
            f"<p>Dear {h(g.patient())},</p>"
            + para(
                f"{fnd} has approved your grant application for help with the cost of your "
                f"{cond} treatment. The grant covers copays and coinsurance for {drug} for "
                f"12 months.\n\nThe pharmacy will bill the foundation directly."
            )
            + kv_table(
                [
                    ("Grant ID", f"G-{g.digits(7)}"),
                    ("Approved", g.d(0)),
                    ("Amount", g.pick("$4,000", "$7,500", "$10,000")),
                    ("Valid through", g.d(365)),
                ]
            )  # fmt: skip
            + f"<p>Questions: {h(sp.phone)}</p>"
        )
        return phi("Foundation grant approved", page(inner), html=True)
    body = (
        f"Dear {g.patient()},\n\nWe are helping you apply for the manufacturer's patient "
        f"assistance program for {drug}. To finish your application we need:\n\n"
        "  - proof of household income (last year's tax return or 2 pay stubs)\n"
        "  - a copy of the front and back of your insurance card\n"
        "  - the signed patient page (attached form)\n\n"
        f"Please reply to this e-mail or fax them to {sp.fax}. Your date of birth on file is "
        f"{g.dob()}; tell us if this is not correct.\n\n{sp.name} Patient Financial Services"
    )
    return phi("Documents needed for your assistance application", body)


def cold_chain_delivery(g: Gen) -> Mail:
    sp = g.rng.choice(PHARMACIES)
    drug, _, _ = g.rng.choice(SP_DRUGS)
    street, city = g.address()
    trk = g.pick(f"1Z{g.digits(16)}", f"7{g.digits(11)}", f"94{g.digits(20)}")
    rx = g.rx()
    day = g.rng.randint(0, 2)
    v = g.variant(3)
    if v == 0:
        g.send(sp, "Shipping", g.pick("shipping", "noreply"))
        g.to_patient()
        body = (
            f"Hello {g.first()},\n\nYour order has shipped.\n\n"
            f"Medication: {drug} (Rx #{rx})\nShip to: {g.patient()}, {street}, {city}\n"
            f"Carrier: {g.pick('UPS Next Day Air', 'FedEx Priority Overnight')}  Tracking: {trk}\n"
            f"Expected delivery: {g.d(day + 1, '%A, %B %d')} by 10:30 AM\n\n"
            "This package is temperature-sensitive. Refrigerate at 36-46 F (2-8 C) as soon as it "
            "arrives. Do not freeze. If the ice packs are fully melted, call us before using.\n\n"
            f"{sp.name}  {sp.phone}"
        )
        return phi("Your refrigerated medication has shipped", body)
    if v == 1:
        g.send(sp, "Delivery Confirmation", "delivery")
        g.to_patient()
        lo = g.rng.choice((3.1, 3.4, 4.0))
        hi = g.rng.choice((5.8, 6.2, 7.1))
        inner = (
            "<h3>Delivered</h3>"
            + kv_table(
                [
                    ("Recipient", g.name_as()),
                    ("Address", f"{street}, {city}"),
                    ("Delivered", f"{g.d(day)} {g.clock()}"),
                    ("Signed by", g.pick(g.last().upper(), "LEFT AT DOOR", g.first())),
                    ("Contents", f"{drug} x {g.pick('2', '1', '3')}"),
                    ("Rx", rx),
                    ("Cooler logger", f"min {lo} C / max {hi} C - within range"),
                ]
            )  # fmt: skip
            + "<p>Please store in the refrigerator right away.</p>"
        )
        return phi(f"Delivery confirmation - Rx {rx}", page(inner), html=True)
    office = g.rng.choice(OFFICES)
    me = g.send(sp, g.staff())
    g.to_office(office, "nurse")
    body = (
        f"Delivery exception for {g.formal()} ({g.dob()}): {drug}, tracking {trk}. "
        f"Courier could not deliver to {street} on {g.d(day)}; package returned to the depot "
        f"in a validated shipper (stable until {g.d(day + 1)} {g.clock()}). We have not been "
        f"able to reach the patient at {g.ptphone()}. If you have another number, please "
        f"reply.\n\n{me}\n{sp.name}"
    )
    return phi(f"Delivery exception - {g.last()}", body)


def rems_monitoring_reminder(g: Gen) -> Mail:
    sp, office = g.rng.choice(PHARMACIES), g.rng.choice(OFFICES)
    drug, lab, prog, rule = g.rng.choice(REMS)
    if drug in ("isotretinoin", "ambrisentan"):
        g.sex("F")
        g.set_age(16, 45)
    doc = g.doc()
    due = g.d(g.rng.randint(-2, 6))
    v = g.variant(3)
    if v == 0:
        g.send(sp, "Clinical Pharmacy", "clinical")
        g.to = formataddr((doc, g.staff_addr(doc, office.domain)))
        body = (
            f"{doc},\n\nThis is a reminder that {g.patient()} (DOB {g.dob()}) is due for "
            f"{lab} under the {prog} ({rule}). Result due by {due}.\n\n"
            "We cannot dispense the next fill until the result is entered/verified. "
            f"Last result on file: {g.d(-30)}.\n\n{sp.name} Clinical Pharmacy | {sp.phone}"
        )
        return phi(f"{prog}: lab due {due}", body)
    if v == 1:
        me = g.send(sp, g.staff())
        g.to_office(office, "nurse")
        body = (
            f"HOLD - {drug.upper()} - {g.formal()}\n\n"
            f"DOB {g.dob()} | Rx {g.rx()} | prescriber {doc}\n\n"
            f"{prog} verification failed: no {lab} result in the last "
            f"{g.pick('7 days', '30 days', '6 months')}. "
            f"Patient has {g.pick('2', '3', '4')} days of medication left.\n\n"
            f"Please send results or fax a standing order to {sp.fax}.\n{me}, PharmD"
        )
        return phi(f"Hold: {prog} - {g.initials()}", body)
    g.send(sp, "REMS Desk", "rems")
    g.to_office(office, "results")
    rows = [["patient", "dob", "drug", "program", "monitoring", "last_result", "due"]]
    rows.append([g.lastfirst(), g.dob_date.isoformat(), drug, prog, lab, g.d(-30, "%Y-%m-%d"),
                 g.d(3, "%Y-%m-%d")])  # fmt: skip
    for _ in range(g.rng.randint(1, 3)):
        o = Gen(g.rng)
        d2, l2, p2, _r = g.rng.choice(REMS)
        if d2 in ("isotretinoin", "ambrisentan"):
            o.sex("F")
        rows.append([o.lastfirst(), o.dob_date.isoformat(), d2, p2, l2, o.d(-40, "%Y-%m-%d"),
                     o.d(g.rng.randint(1, 9), "%Y-%m-%d")])  # fmt: skip
    body = (
        f"Attached: patients of {office.name} with REMS monitoring due in the next 10 days "
        f"({len(rows) - 1}).\n\n{sp.name} REMS Desk"
    )
    return phi("REMS monitoring due list", body, where=("attachment",),
               attachments=[csv_file("rems_due.csv", rows)])  # fmt: skip


def infusion_chair_change(g: Gen) -> Mail:
    sp = g.rng.choice(PHARMACIES)
    drug, cond, mins = g.rng.choice(INFUSIONS)
    old, new = g.rng.randint(1, 6), g.rng.randint(7, 16)
    t = g.clock(g.rng.randint(8, 14), g.rng.choice((0, 30)))
    chair = f"Chair {g.rng.randint(1, 14)}"
    suite = f"{sp.name.split()[0]} Infusion Suite"
    v = g.variant(3)
    if v == 0:
        g.send(sp, "Infusion Scheduling", "infusionscheduling")
        g.to_patient()
        body = (
            f"Hi {g.first()},\n\nWe need to move your {drug.split(' (')[0]} infusion.\n\n"
            f"  Was:  {g.d(old, '%a %m/%d')}\n  Now:  {g.d(new, '%a %m/%d')} at {t}, {chair}\n"
            f"  Plan about {mins // 60}h {mins % 60:02d}m in the chair.\n\n"
            + g.pick(
                "Please take your pre-medications as usual 30 minutes before arrival. ",
                "Drink plenty of water the day before. ",
                "",
            )
            + f"Reply or call {sp.phone} if this does not work.\n\n{suite}"
        )
        return phi("Your infusion appointment has changed", body)
    if v == 1:
        office = g.rng.choice(OFFICES)
        me = g.send(sp, g.staff())
        g.to_office(office, "nurse")
        body = (
            f"Schedule change - {g.lastfirst()} ({g.dob()})\n{drug} for {cond}\n"
            f"Moved from {g.d(old)} to {g.d(new)} {t} "
            f"({g.pick('chair availability', 'patient request', 'drug not yet received', 'PA pending renewal')}).\n"
            f"{g.pick('Next dose remains within the allowed window.', 'This pushes the dose 5 days past the target interval; please advise if acceptable.')}\n\n{me}, RN"
        )
        return phi(f"Infusion reschedule {g.initials()}", body)
    g.send(sp, "Infusion Center", "noreply-sms")
    g.to = f"infusion-sms-log@{sp.domain}"
    body = (
        f"SMS sent {g.d(0, '%Y-%m-%d')} {g.clock()} to {g.ptphone()}\n"
        f"Msg: {g.first()}, your {drug.split(' (')[0]} infusion moved to {g.d(new, '%m/%d')} "
        f"{t}. Reply Y to confirm. -{suite}\nStatus: delivered\nPatient: {g.formal()} MRN {g.mrn()}"
    )
    return phi("SMS delivery receipt", body)


def refill_adherence_outreach(g: Gen) -> Mail:
    sp = g.rng.choice(PHARMACIES)
    drug, cond, _ = g.rng.choice(SP_DRUGS)
    v = g.variant(3)
    if v == 0:
        office = g.rng.choice(OFFICES)
        g.send(sp, "Pharmacy", "rxteam")
        g.to_office(office, "refills")
        ds = g.rng.choice((28, 30))
        body = (
            f"Refill request for {g.name_as()} ({g.dob()}) for {drug} was rejected by the plan: "
            f"79 - REFILL TOO SOON. Last fill {g.d(-14)}, {ds} day supply. "
            f"Next eligible {g.d(int(ds * 0.8) - 14)}.\n\n"
            + g.pick(
                "If the dose was increased, please send a new prescription with the updated "
                "directions so we can request an override.",
                "Patient says the pen malfunctioned; we are requesting a lost/damaged override.",
            )
            + f"\n\n{sp.name}"
        )
        return phi(f"Refill too soon - Rx {g.rx()}", body)
    if v == 1:
        g.send(sp, g.staff())
        g.to_patient()
        body = (
            f"Hi {g.first()},\n\nWe tried calling you at {g.ptphone()} about your next refill of "
            f"{drug}. It's time to schedule your shipment so you don't miss a dose.\n\n"
            f"Reply to this email or call {sp.phone} (option 2). If you have stopped this "
            "medicine or changed pharmacies, please let us know so we can update your "
            f"record.\n\nThank you,\n{sp.name} Care Team"
        )
        return phi(g.pick("We've been trying to reach you", "Time to refill"), body)
    office = g.rng.choice(OFFICES)
    me = g.send(sp, g.staff())
    doc = g.doc()
    g.to = formataddr((doc, g.staff_addr(doc, office.domain)))
    fills = [[g.d(-28 * k - g.rng.randint(0, 20), "%m/%d/%Y"), "28", g.pick("Y", "Y", "late")]
             for k in range(4, 0, -1)]  # fmt: skip
    inner = (
        f"<p>{h(doc)},</p><p>Our adherence review flagged your patient "
        f"<b>{h(g.patient())}</b> (DOB {h(g.dob())}) on {h(drug)} for {h(cond)}: proportion of "
        f"days covered {g.rng.randint(48, 74)}% over the last 120 days.</p>"
        + table(["Fill date", "Days supply", "On time"], fills)
        + f"<p>The patient reported {h(g.pick('injection site reactions', 'cost concerns', 'forgetting doses while traveling', 'feeling better and skipping doses'))}. "
        "We provided counseling. Please advise if you would like a follow-up visit.</p>"
        + f"<p>{h(me)}, PharmD<br>{h(sp.name)}</p>"
    )
    return phi(f"Adherence concern - {g.last()}", page(inner), html=True)


def pharmacist_intervention(g: Gen) -> Mail:
    sp, office = g.rng.choice(PHARMACIES), g.rng.choice(OFFICES)
    d1, d2, issue, rec = g.rng.choice(INTERVENTIONS)
    doc = g.doc()
    me = g.send(sp, g.staff())
    g.to = formataddr((doc, g.staff_addr(doc, office.domain)))
    v = g.variant(3)
    if v == 0:
        body = (
            f"{doc},\n\nSITUATION: New Rx for {d1} received for {g.patient()} "
            f"(DOB {g.dob()})" + (f"; profile includes {d2}." if d2 else ".") + "\n"
            f"BACKGROUND: {issue}\nASSESSMENT: Potential harm if dispensed as written.\n"
            f"RECOMMENDATION: {rec}\n\nPrescription is on hold pending your response.\n"
            f"{me}, PharmD\n{sp.name} | {sp.phone}"
        )
        return phi(f"Rx clarification needed - {g.lastfirst()}", body)
    if v == 1:
        inner = (
            "<h3>Pharmacist Clinical Intervention Request</h3>"
            + kv_table(
                [
                    ("Patient", g.formal()),
                    ("DOB", g.dob()),
                    ("Rx", f"{g.rx()} - {d1}"),
                    ("Interacting / concern", d2 or "dose"),
                    ("Issue", issue),
                    ("Recommendation", rec),
                    ("Pharmacist", me),
                ]
            )  # fmt: skip
            + f"<p>[ ] Accept &nbsp; [ ] Decline &nbsp; [ ] Other: ______<br>Prescriber "
            f"signature ______ Fax back to {h(sp.fax)}</p>"
        )
        return phi("Clinical intervention - response requested", page(inner), html=True)
    body = (
        f"Hi - quick one on {g.first()} {g.last()[0]}. ({g.dob()}): {d1}"
        + (f" with {d2}" if d2 else "")
        + f". {issue} {rec} OK to change?\n\n{me}\n{sp.phone}"
    )
    return phi(g.pick("quick question", f"{d1.split()[0]} Rx"), body)


def home_infusion_visit_summary(g: Gen) -> Mail:
    sp, office = g.rng.choice(PHARMACIES), g.rng.choice(OFFICES)
    drug, dx, line, labs = g.rng.choice(HOME_INF)
    street, city = g.address()
    rn = g.staff()
    vit = (
        f"T {g.rng.choice(('98.2', '98.9', '99.4', '100.6'))} F, BP {g.rng.randint(104, 152)}/"
        f"{g.rng.randint(60, 92)}, HR {g.rng.randint(62, 108)}, SpO2 {g.rng.randint(93, 99)}%"
    )
    site = g.pick("site clean, dry, intact", "mild erythema at insertion site, no drainage",
                  "dressing changed, biopatch replaced")  # fmt: skip
    note = (
        f"HOME INFUSION NURSING VISIT\nPatient: {g.formal()}   DOB: {g.dob()}\n"
        f"Address: {street}, {city}\nVisit: {g.d(0)} {g.clock()}   RN: {rn}\n"
        f"Therapy: {drug}\nIndication: {dx}\nAccess: {line}\nVitals: {vit}\n"
        f"Line: {site}. Flushed per protocol, brisk blood return.\n"
        f"Labs drawn: {labs}\nTeaching: patient/caregiver demonstrated dose administration.\n"
        f"Next visit: {g.d(7)}"
    )
    v = g.variant(3)
    if v == 0:
        g.send(sp, rn)
        g.to_office(office, "clinical")
        return phi(f"Nursing visit note - {g.last()}", note + f"\n\n{sp.name} Home Infusion")
    if v == 1:
        g.send(sp, "Home Infusion Nursing", "nursing")
        g.to_office(office, "clinical")
        inner = (
            f"<p>Visit summary for your patient {h(g.name_as())} (DOB {h(g.dob())}).</p>"
            + kv_table(
                [
                    ("Therapy", drug),
                    ("Indication", dx),
                    ("Access", line),
                    ("Vitals", vit),
                    ("Line assessment", site),
                    ("Labs", labs),
                    ("Nurse", rn),
                ]
            )  # fmt: skip
            + f"<p>Questions: {h(sp.phone)}</p>"
        )
        return phi("Home infusion visit summary", page(inner), html=True)
    g.send(sp, "Home Infusion Nursing", "nursing")
    g.to_office(office, "clinical")
    return phi(
        "Visit documentation",
        "Please see the attached visit note for your review and signature.\n\n"
        f"{sp.name} Home Infusion | {sp.phone} | fax {sp.fax}",
        where=("attachment",),
        attachments=[txt(f"visit_{g.d(0, '%Y%m%d')}_{g.digits(4)}.txt", note)],
    )


def pending_results_csv(g: Gen) -> Mail:
    lab, office = g.rng.choice(LABS), g.rng.choice(OFFICES)
    n = g.rng.randint(3, 9)
    rows = [["Accession", "Patient", "DOB", "Collected", "Test", "Status", "Ordering"]]
    people = [g] + [Gen(g.rng) for _ in range(n - 1)]
    for p in people:
        tst = g.rng.choice(SENDOUTS + ROUTINE_TESTS)
        rows.append([p.lab_acc(), p.formal() if g.rng.random() < 0.6 else p.lastfirst(),
                     p.dob_date.strftime("%m/%d/%Y"), p.d(-g.rng.randint(1, 14), "%m/%d/%Y"),
                     tst, g.pick("PENDING", "IN PROCESS", "SENT OUT", "AWAITING RECOLLECT"),
                     p.doc()])  # fmt: skip
    g.send(lab, "Client Services", g.pick("clientservices", "reports", "noreply"))
    g.to_office(office, g.pick("results", "lab", "office.manager"))
    stamp = g.d(0, "%Y%m%d")
    body = (
        g.pick(
            f"Attached is the open/pending test report for {office.name} as of {g.d(0)}.",
            f"{lab.system} scheduled report 'Pending by client' ({n} rows).",
            "Weekly pending list attached. Reply with any cancellations.",
        )
        + f"\n\n{lab.name}"
    )
    if g.variant(2):
        att = csv_file(f"pending_{stamp}.csv", rows)
    else:
        w = [12, 26, 11, 11, 34, 18]
        lines = ["".join(c[: ww - 1].ljust(ww) for c, ww in zip(r, w, strict=False)) for r in rows]
        att = txt(f"PENDING_{stamp}.TXT", "\n".join(lines))
    hdr = {"X-Report-Job": f"{lab.system} pending-by-client"} if g.variant(2) else {}
    return phi(f"Pending results - {office.name} - {stamp}", body, where=("attachment",),
               attachments=[att], headers=hdr)  # fmt: skip


# ------------------------------------------------------------------------- clean families

RANGE_CHANGES = (
    ("Vitamin D, 25-hydroxy", "30-100 ng/mL", "30-80 ng/mL", "new assay platform"),
    ("Troponin I", "<0.04 ng/mL", "<34 ng/L (female <16)", "high-sensitivity assay go-live"),
    ("TSH", "0.45-4.50 uIU/mL", "0.40-4.20 uIU/mL", "method recalibration"),
    ("Creatinine, eGFR", "MDRD", "CKD-EPI 2021 (race-free)", "guideline update"),
    ("Ferritin", "15-150 ng/mL", "30-300 ng/mL (male)", "sex-specific ranges"),
    ("Alkaline phosphatase", "40-129 U/L", "44-147 U/L", "vendor change"),
    ("Hemoglobin A1c", "4.0-5.6%", "4.0-5.6% (NGSP certified)", "no change in range; new method"),
    ("Testosterone, total", "264-916 ng/dL", "250-1100 ng/dL", "LC-MS/MS method"),
)


def test_menu_update(g: Gen) -> Mail:
    lab = g.rng.choice(LABS)
    eff = g.d(g.rng.randint(7, 30), "%B %d, %Y")
    picks = g.rng.sample(RANGE_CHANGES, 3)
    director = f"{g.st.first_name()} {g.st.last_name()}, MD, PhD"
    g.send(lab, "Client Communications", g.pick("clientnews", "communications", "labupdates"))
    office = g.rng.choice(OFFICES)
    g.to = g.pick(f"providers@{office.domain}", f"lab@{office.domain}", f"lab-clients@{lab.domain}")
    v = g.variant(4)
    if v == 0:
        body = (
            f"TEST UPDATE BULLETIN  (effective {eff})\n\n"
            + "\n".join(
                f"* {t}\n    Old: {o}\n    New: {n}\n    Reason: {r}" for t, o, n, r in picks
            )
            + "\n\nNo change to specimen requirements or CPT codes. Historical results will "
            "display the reference range in effect at the time of testing.\n\nQuestions: "
            f"contact {director}, Laboratory Director, or Client Services at {lab.phone}."
        )
        return clean(f"Test update bulletin - effective {eff}", body)
    if v == 1:
        inner = (
            f"<h2>{h(lab.name)} - Reference Range Changes</h2>"
            + table(["Test", "Current", "New", "Reason"], [list(x) for x in picks])
            + para(
                f"Changes take effect {eff}. Interfaced clients: your EHR mapping does not need "
                "to change. Printed requisitions dated before 2024 should be discarded.\n\n"
                f"{director}\nMedical Director"
            )
        )
        return clean("Reference range changes", page(inner), html=True)
    if v == 2:
        me = g.send(office, g.staff())
        g.to = f"{g.pick('providers', 'clinical', 'allstaff')}@{office.domain}"
        t, o, n, _r = picks[0]
        body = (
            g.pick(
                "FYI for everyone reviewing labs -", "Heads up:", "Please note for result review."
            )
            + f" {lab.name} is changing the {t} reference range from {o} to {n} on {eff}. "
            "Patients near the old cutoff may flag differently; no need to repeat tests.\n\n"
            f"{me}\n\n"
            + fwd_header(g, lab.name, f"clientnews@{lab.domain}", "Test update bulletin", -1)
            + f"\n{t}: {o} -> {n}, effective {eff}."
        )
        return clean(f"Fwd: {lab.name.split()[0]} {t} range change", body)
    rows = [["test_code", "test_name", "cpt", "specimen", "old_range", "new_range", "effective"]]
    for t, o, n, _r in picks:
        cpt = g.pick("82306", "84484", "84443", "82565", "82728", "84075", "83036", "84403")
        rows.append([g.digits(5), t, cpt, "SST 1 mL", o, n, eff])
    return clean(
        "Updated test directory extract",
        f"Attached is the updated directory extract for your interface team. Effective {eff}."
        f"\n\n{lab.name} Client Services",
        attachments=[csv_file("test_directory_changes.csv", rows)],
    )


def courier_route_change(g: Gen) -> Mail:
    lab = g.rng.choice(LABS)
    route = f"Route {g.rng.randint(3, 48)}{g.pick('', 'A', 'B')}"
    eff = g.d(g.rng.randint(3, 14))
    offices = g.rng.sample(OFFICES, 3)
    rows = [
        [o.name, g.clock(g.rng.randint(9, 11)), g.clock(g.rng.randint(14, 17))] for o in offices
    ]
    driver = g.staff()
    g.send(lab, "Logistics", g.pick("courier", "dispatch", "logistics"))
    g.to = g.pick(
        f"frontdesk@{offices[0].domain}",
        f"lab@{offices[0].domain}",
        f"{route.lower().replace(' ', '')}-clients@{lab.domain}",
    )
    v = g.variant(3)
    if v == 0:
        body = (
            f"Hello,\n\nStarting {eff}, {route} will change its pickup schedule:\n\n"
            + "\n".join(f"  {a:<34} AM {b:<9} PM {c}" for a, b, c in rows)
            + f"\n\nYour new driver is {driver}. Please have specimens bagged and in the lockbox "
            "15 minutes before pickup; frozen specimens must be in the blue bag with dry ice "
            f"requested by 10:00. STAT pickups: call dispatch at {lab.phone}.\n\n"
            f"{g.staff()}\nLogistics Manager, {lab.name}"
        )
        return clean(f"{route} pickup time change", body)
    if v == 1:
        inner = (
            f"<p>Effective <b>{h(eff)}</b>, courier pickups on {h(route)}:</p>"
            + table(["Client", "AM pickup", "PM pickup"], rows)
            + f"<p>Driver: {h(driver)}. Holiday schedule to follow.</p>"
        )
        return clean("Courier schedule update", page(inner), html=True)
    body = g.pick(
        f"No PM pickup on {route} {eff} (vehicle in service). Drop-offs at the main lab until 6.",
        f"{route}: driver running ~45 min late today due to weather. Keep specimens refrigerated.",
        f"Reminder - {route} lockbox keys are being rekeyed {eff}; {driver} will bring the new key.",
    )
    return clean(
        g.pick("Courier", f"{route} today", "pickup notice"), body + f"\n-{lab.name} Dispatch"
    )


RECALL_ITEMS = {
    "lab": (
        ("High-sensitivity troponin I reagent pack", "a positive bias of 8-12% near the low end "
         "of the measuring range", "We quarantined the lot and repeated QC on all analyzers; no "
         "released results require correction."),
        ("Ferritin calibrator set", "calibrator value assignment error",
         "The lot was never placed in use at our facility."),
        ("Blood culture bottle, aerobic", "possible cap seal leak",
         "Affected bottles were pulled from all patient service centers."),
    ),
    "img": (
        ("iohexol 350 mgI/mL 100 mL bottles", "possible particulate matter in retained samples",
         "All affected units were removed from the scanner rooms and returned."),
        ("gadoterate meglumine 10 mL prefilled syringes", "a syringe plunger defect",
         "Remaining stock was quarantined in the contrast room."),
    ),
    "rx": (
        ("validated 48-hour shipper", "a supplier notice that some gel packs were under-filled",
         "Stock was checked against the notice; shipments this week use the 72-hour box."),
        ("sharps container 1 qt", "a lid that may not lock",
         "We replaced the containers in patient starter kits still on the shelf."),
    ),
}  # fmt: skip


def lot_recall_notice(g: Gen) -> Mail:
    kind = g.pick("lab", "img", "rx")
    org = g.rng.choice(LABS if kind == "lab" else IMAGING if kind == "img" else PHARMACIES)
    item, issue, act = g.rng.choice(RECALL_ITEMS[kind])
    lot = f"{g.rng.choice('ABCDEFGHJK')}{g.digits(6)}"
    exp = g.d(g.rng.randint(120, 500), "%Y-%m")
    me = g.send(org, g.staff())
    office = g.rng.choice(OFFICES)
    g.to = g.pick(
        f"all-staff@{org.domain}", f"quality@{org.domain}", f"office.manager@{office.domain}"
    )
    if g.variant(3) == 0:
        inner = kv_table([("Product", item), ("Lot", lot), ("Expiry", exp), ("Issue", issue),
                          ("Status", act), ("Contact", f"{me}, {org.phone}")])  # fmt: skip
        return clean(f"Recall notice: lot {lot}", page("<h3>Product Recall</h3>", inner), html=True)
    body = (
        f"{g.pick('URGENT: ', '', 'FYI - ')}Manufacturer recall\n\nProduct: {item}\nLot: {lot}  "
        f"Exp: {exp}\nIssue: {issue}.\n\n{act}\n\n"
        + g.pick(
            "Please check your department stock and tag any remaining units with the red "
            "QUARANTINE label.",
            "No action needed from front-line staff. Supervisors: sign the acknowledgement "
            "form by Friday.",
            "Clients do not need to take any action; this notice is for your records.",
        )
        + sig(g, me, "Quality & Regulatory", org)
    )
    return clean(f"Recall - {item} lot {lot}", body)


def accreditation_notice(g: Gen) -> Mail:
    lab = g.rng.choice(LABS)
    clia = f"{g.digits(2)}D{g.digits(7)}"
    director = f"{g.st.first_name()} {g.st.last_name()}, MD"
    me = g.send(lab, g.staff())
    v = g.variant(3)
    if v == 0:
        g.to = f"allstaff@{lab.domain}"
        body = (
            f"Team,\n\nThe CAP inspection window opens {g.d(g.rng.randint(5, 40))}. Inspectors "
            "may arrive unannounced. Reminders:\n - competency assessments current for every "
            "testing person\n - temperature logs complete, no gaps\n - reagents labeled with "
            "open dates\n - PT results reviewed and signed by the director\n\nSample "
            "requisitions used in training must show placeholder data only (PATIENT, TEST / "
            f"DOB 01/01/1900).\n\n{me}\nQuality Manager"
        )
        return clean("CAP inspection readiness", body)
    if v == 1:
        office = g.rng.choice(OFFICES)
        g.to = g.pick(f"office.manager@{office.domain}", f"clients@{lab.domain}")
        body = (
            f"Dear Client,\n\nWe are pleased to share that {lab.name} (CLIA {clia}) completed "
            f"its biennial CAP inspection on {g.d(-g.rng.randint(5, 30))} with no deficiencies "
            "cited. Our updated certificate is available on the client portal.\n\n"
            f"{director}\nLaboratory Director"
        )
        return clean("Accreditation renewed", body)
    g.to = f"compliance@{lab.domain}"
    inner = kv_table([("Certificate", f"CLIA {clia}"), ("Type", "Certificate of Accreditation"),
                      ("Director", director), ("Expires", g.d(700)),
                      ("Action", "Submit renewal fee coupon and form CMS-116 update")])  # fmt: skip
    return clean("CLIA certificate renewal reminder", page("<p>Reminder:</p>", inner), html=True)


TAT_ITEMS = {
    "lab": (("CBC", 40, 180), ("BMP", 45, 240), ("Troponin (STAT)", 28, 70), ("PT/INR", 40, 200),
            ("Urine culture", 1400, 2900), ("Send-out (all)", 4000, 9000)),
    "img": (("CT (STAT)", 25, 60), ("CT routine", 180, 900), ("MRI routine", 300, 1500),
            ("Ultrasound", 120, 600), ("Screening mammography", 1000, 2800), ("X-ray", 60, 300)),
}  # fmt: skip


def tat_aggregate_report(g: Gen) -> Mail:
    kind = g.pick("lab", "img")
    org = g.rng.choice(LABS if kind == "lab" else IMAGING)
    rows = [[t, str(g.rng.randint(120, 4800)), f"{g.rng.randint(lo, hi)} min",
             f"{g.rng.randint(78, 99)}%"] for t, lo, hi in TAT_ITEMS[kind]]  # fmt: skip
    month = g.d(-20, "%B %Y")
    me = g.send(org, g.staff())
    office = g.rng.choice(OFFICES)
    g.to = g.pick(f"leadership@{org.domain}", f"medical.director@{office.domain}")
    v = g.variant(3)
    if v == 0:
        inner = (
            f"<p>Turnaround time summary for {h(month)} (receipt/exam complete to final).</p>"
            + table(["Test / exam", "Volume", "Median TAT", "Within target"], rows)
            + "<p>"
            + h(
                g.pick(
                    "Two STAT items missed target during an analyzer maintenance window.",
                    "All service lines met target except where noted.",
                    "",
                )
            )  # fmt: skip
            + "</p>"
        )
        return clean(f"TAT report - {month}", page(inner), html=True)
    if v == 1:
        best = max(rows, key=lambda r: int(r[3][:-1]))
        return clean(
            f"{month} TAT",
            f"Overall we were within target for {g.rng.randint(88, 97)}% of "
            f"{sum(int(r[1]) for r in rows):,} results; best was {best[0]} at {best[3]}.\n{me}",
        )
    rows.insert(0, ["item", "volume", "median_tat", "pct_within_target"])
    return clean(
        f"Monthly turnaround metrics {month}",
        f"Attached. Aggregate only; no patient-level data.\n\n{me}",
        attachments=[csv_file(f"tat_{g.d(-20, '%Y_%m')}.csv", rows)],
    )


DOWNTIME = (
    ("MRI 1 (1.5T)", "a helium refill and coil replacement"),
    ("MRI 2 (3T)", "a software upgrade and ACR phantom testing"),
    ("CT scanner 2", "a scheduled X-ray tube replacement"),
    ("PET/CT", "detector calibration"),
    ("Mammography room B", "annual physicist survey and detector replacement"),
)


def equipment_downtime(g: Gen) -> Mail:
    ic = g.rng.choice(IMAGING)
    unit, why = g.rng.choice(DOWNTIME)
    start = g.d(g.rng.randint(1, 10))
    me = g.send(ic, g.staff())
    office = g.rng.choice(OFFICES)
    g.to = g.pick(
        f"referrals@{office.domain}", f"schedulers@{ic.domain}", f"frontdesk@{office.domain}"
    )
    if g.variant(3) == 0:
        return clean(
            f"{unit} down",
            f"{unit} down for {why} {start}. Route STATs to the hospital. -{me}",
        )
    body = (
        f"{unit} at our {ic.city} location will be down for {why} from {start} "
        f"{g.clock(7, 0)} until approximately {g.clock(17, 0)} the next day.\n\n"
        "Scheduled exams are being moved to our other units; our schedulers will contact "
        "affected patients directly. STAT requests during the downtime should go to the "
        f"hospital department. Service ticket #{g.digits(7)} with the vendor.\n\n{me}\n"
        f"Imaging Operations, {ic.name}\n{ic.phone}"
    )
    return clean(g.pick(f"Downtime: {unit}", "Planned equipment downtime"), body)


NEWS_ITEMS = (
    ("Biosimilar update", "Several commercial plans now prefer adalimumab biosimilars; brand "
     "Humira requires an exception for new starts."),
    ("Clinical pearl", "Dupilumab conjunctivitis: counsel patients on eye symptoms and refer to "
     "ophthalmology if persistent."),
    ("Prior authorization tips", "Include dates and outcomes of conventional therapy, weight for "
     "weight-based drugs, and recent labs (TB test for biologics)."),
    ("Limited distribution", "We have been selected to dispense two new oral oncology agents; "
     "referral forms are on the provider portal."),
    ("Infusion suite", "Our infusion suite now offers Saturday chairs for IVIG and biologic "
     "loading doses."),
    ("Medicare Part D 2025", "The out-of-pocket cap is $2,000 this year; the payment plan option "
     "spreads costs over the year."),
)  # fmt: skip


def formulary_newsletter(g: Gen) -> Mail:
    sp = g.rng.choice(PHARMACIES)
    q = g.pick("Q1", "Q2", "Spring", "March")
    g.send(sp, "Provider Relations", "providernews")
    office = g.rng.choice(OFFICES)
    g.to = g.pick(f"prescribers@{sp.domain}", f"providers@{office.domain}")
    items = g.rng.sample(NEWS_ITEMS, 3)
    net = (
        "Network news",
        f"{sp.name} is now in-network for {g.pick('Aetna', 'Cigna', 'Anthem')} commercial plans.",
    )
    items.append(net)
    if g.variant(2):
        inner = (
            f"<h2>{h(sp.name)} Prescriber Update - {h(q)} {g.sent.year}</h2>"
            + "".join(f"<h4>{h(a)}</h4><p>{h(b)}</p>" for a, b in items)
            + f"<p style='font-size:11px'>To unsubscribe reply STOP. {h(sp.phone)}</p>"
        )
        return clean(f"Prescriber Update - {q}", page(inner), html=True)
    body = (
        f"{sp.name.upper()} - PRESCRIBER UPDATE {q} {g.sent.year}\n\n"
        + "\n\n".join(f"{a.upper()}\n{b}" for a, b in items)
        + f"\n\nProvider Relations: {g.staff()} | {sp.phone}"
    )
    return clean("Specialty pharmacy news for prescribers", body)


def radiation_safety_training(g: Gen) -> Mail:
    ic = g.rng.choice(IMAGING)
    rso = g.staff()
    due = g.d(g.rng.randint(5, 25))
    overdue = [g.staff() for _ in range(g.rng.randint(2, 5))]
    g.send(ic, rso)
    g.to = f"{g.pick('techs', 'allstaff', 'nuclearmed')}@{ic.domain}"
    v = g.variant(3)
    if v == 0:
        body = (
            f"Hi all,\n\nAnnual radiation safety training is due {due}. The module is in the "
            "LMS (about 45 minutes) and covers ALARA, pregnancy declaration, dose monitoring "
            "and the new CT dose-alert thresholds.\n\nDosimetry badges for the new quarter "
            "are in the break room; return last quarter's badges by Friday.\n\n"
            f"Not yet completed: {', '.join(overdue)}.\n\n{rso}\nRadiation Safety Officer"
        )
        return clean("Radiation safety training due", body)
    if v == 1:
        g.to = f"{slug(overdue[0].split()[0])}.{slug(overdue[0].split()[-1])}@{ic.domain}"
        return clean(
            "Dosimeter badge overdue",
            f"Hi {overdue[0].split()[0]}, your Q{g.rng.randint(1, 4)} dosimeter badge hasn't "
            f"been returned. Please drop it in the RSO box by {due}.\n\n{rso}",
        )
    inner = (
        f"<p>Reminder: training deadline {h(due)}.</p>"
        + table(
            ["Staff member", "Status"], [[n, g.pick("Not started", "In progress")] for n in overdue]
        )
        + f"<p>{h(rso)}, RSO - {h(ic.name)}</p>"
    )
    return clean("Reminder: radiation safety module", page(inner), html=True)


def vendor_invoice(g: Gen) -> Mail:
    org = g.rng.choice(LABS + IMAGING + PHARMACIES)
    vendor = g.company()
    vdom = slug(vendor)[:18] + ".example"
    inv = f"INV-{g.digits(7)}"
    catalog = (
        ("Lavender top tube 4 mL, 100/pk", 18.40), ("SST 5 mL, 100/pk", 21.75),
        ("Iohexol 350 100 mL", 41.00), ("Saline syringe 10 mL, 30/bx", 9.60),
        ("Validated shipper, 48h", 27.30), ("Gel ice pack 24 oz", 2.15),
        ("Nitrile gloves M, 200/bx", 11.90), ("Biohazard specimen bag, 1000/cs", 64.00),
    )  # fmt: skip
    lines = [(d, g.rng.randint(1, 40), p) for d, p in g.rng.sample(catalog, 4)]
    total = sum(q * p for _, q, p in lines)
    po = f"PO{g.digits(6)}"
    v = g.variant(3)
    if v == 2:
        # the organisation's AP clerk sends a remittance question back to the vendor
        me = g.send(org, g.staff())
        g.to = f"billing@{vdom}"
        return clean(
            f"RE: Invoice {inv}",
            f"Hi, we received {inv} for ${total:,.2f} but our {po} shows "
            f"{lines[0][1] - 1 if lines[0][1] > 1 else 2} x {lines[0][0]}. Can you send a "
            f"corrected invoice?\n\nThanks,\n{me}\nAccounts Payable, {org.name}",
        )
    g.me, g.from_addr, g.domain, g.utc = f"{vendor} AR", f"billing@{vdom}", vdom, -5
    g.to = f"ap@{org.domain}"
    if v == 1:
        rows = [["line", "description", "qty", "unit_price", "ext"]]
        rows += [
            [str(i + 1), d, str(q), f"{p:.2f}", f"{q * p:.2f}"] for i, (d, q, p) in enumerate(lines)
        ]
        return clean(
            f"Invoice {inv} from {vendor}",
            f"Please find invoice {inv} for {po} attached. Amount due ${total:,.2f}, net 30.\n\n"
            f"Remit to: {vendor}, Accounts Receivable\nQuestions: billing@{vdom}",
            attachments=[csv_file(f"{inv}.csv", rows)],
        )
    body = (
        f"INVOICE {inv}\nBill to: {org.name} - Accounts Payable\nPO: {po}\n"
        f"Date: {g.d(0)}   Terms: Net 30\n\n"
        + "\n".join(f"{d:<36}{q:>4} x {p:>7.2f} = {q * p:>9.2f}" for d, q, p in lines)
        + f"\n{'':<36}        TOTAL {total:>10,.2f}\n\nThank you for your business."
    )
    return clean(f"{vendor} - Invoice {inv}", body)


FAMILIES: dict[str, Callable[[Gen], Mail]] = {
    f.__name__: f
    for f in (
        lab_critical_value_call, specimen_rejection_recollect, result_delivery_cover,
        pathology_addendum, sendout_status_query, lab_billing_inquiry,
        imaging_prep_confirmation, radiology_report_distribution, contrast_premedication,
        mammography_callback, benefits_investigation, copay_assistance_enrollment,
        cold_chain_delivery, rems_monitoring_reminder, infusion_chair_change,
        refill_adherence_outreach, pharmacist_intervention, home_infusion_visit_summary,
        pending_results_csv,
        test_menu_update, courier_route_change, lot_recall_notice, accreditation_notice,
        tat_aggregate_report, equipment_downtime, formulary_newsletter,
        radiation_safety_training, vendor_invoice,
    )
}  # fmt: skip

SOURCE = Source("templates-r", "r", 18, 1800000, PRACTICE, "harborview-im.example", "unseen-r")


def render(mail: Mail, g: Gen, seq: int) -> bytes:
    """The message as RFC 5322 bytes: from the sender and to the recipient the family chose,
    with a fixed Date in the sender's time zone and a fixed boundary."""
    msg = EmailMessage()
    if not g.from_addr:
        g.me = g.staff()
        g.from_addr = g.staff_addr(g.me, g.domain)
    msg["From"] = formataddr((g.me, g.from_addr)) if g.me else g.from_addr
    msg["To"] = g.to or f"{slug(str(g.st.user_name()))}@{SOURCE.partner}"
    if g.cc:
        msg["Cc"] = g.cc
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(g.sent.replace(tzinfo=dt.timezone(dt.timedelta(hours=g.utc))))
    msg["Message-ID"] = f"<{SOURCE.tag}-{seq}@{g.domain}>"
    for k, v in mail.headers.items():
        msg[k] = v
    return finish_message(msg, mail, SOURCE.tag, seq)


def build(out: Path, per_family: int, seed: int) -> list[dict[str, object]]:
    """Write this file's families into `out` (msg_r_NNNNN.eml) through this file's own
    `render`; return their manifest rows."""
    return build_source(out, per_family, seed, SOURCE, FAMILIES, Gen, render_mail=render)
