"""Blind template source templates-p: population health, care management and value-based care.

These families were written from what the mail of a US primary-care group looks like once it
sits in a Medicare Shared Savings ACO and holds Medicare Advantage contracts: the group's care
managers, coders, clinical pharmacist and quality staff, and the payers, the ACO office, the
hospitals' ADT feeds, remote-monitoring vendors, skilled nursing facilities, a palliative team and
community organisations that write to them. On the PHI side: a payer's open care-gap report per
member, ACO attribution (alignment) changes, transitional care management calls after discharge,
chronic care management monthly time logs, remote patient monitoring threshold alerts and monthly
RPM summaries, annual wellness visit outreach and pre-visit questionnaires, HCC risk-adjustment
coding queries, high-utilizer and ED-frequent lists, hospital admit/discharge notifications, a
care manager's home-visit note, SDOH screening results with a community referral, a pharmacist's
medication-adherence (PDC) outreach, a payer's utilization-review nurse mail, an advance care
planning summary, PHQ-9 and fall-risk screening follow-ups, post-acute SNF placement updates, a
patient's own reply quoted in a care manager's thread and a supplemental-data file of closed gaps
sent to a payer. On the clean side, hard negatives from the same world that name staff,
clinicians, vendors, drugs and conditions in general but no patient: an aggregate quality and
Star-rating scorecard, an ACO newsletter, a payer's measure-specification update whose examples
use placeholder members, a care-team huddle agenda, an RPM vendor's firmware and shipping notice,
an HCC coding webinar invite, a shared-savings settlement summary, a staffing roster and a
de-identified training case.

Written blind: only the `Mail` dataclass and the `phi`/`clean` helpers of generate.py; the
`FakerGen`, `OnePatientGen` and `Gen` classes, `render`, `finish_message`, `Source`,
`build_source` and `build` of unseen.py; and the module docstring, imports, `Gen` class and the
closing registration (`FAMILIES`, `SOURCE`, `render`, `build`) of unseen_o.py were read (the
last lines shown with its `Gen` class also showed the start of its first family's docstring). No
recognizer, policy, test, evaluation script or other source's families were read, and nothing
was run against the gateway. People come from Faker locales (names of non-Latin locales
romanized or transliterated), dates from a fixed base date, so `build(out, per_family, seed)` is
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
    "en_US", "en_US", "en_US", "en_US", "en_US", "en_US", "es_MX", "es_MX", "es_CO", "vi_VN",
    "zh_CN", "zh_TW", "ko_KR", "ja_JP", "ru_RU", "uk_UA", "pl_PL", "it_IT", "de_DE", "pt_BR",
    "en_IN", "tl_PH", "yo_NG", "ar_AA", "fr_FR", "tr_TR", "el_GR", "en_GB",
)  # fmt: skip
STAFF_LOCALES = ("en_US", "en_US", "en_US", "en_US", "en_CA", "en_IN", "es_MX", "en_PH")
PRACTICE = "keystone-valley-primary.example"
GROUP = "Keystone Valley Primary Care"
BASE = dt.datetime(2025, 9, 15)
UTC_OFFSET = -4  # Eastern daylight time throughout the window around BASE

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
    "Han",
    "Shin",
)
KO_GIVEN_F = (
    "Min-ji",
    "Seo-yeon",
    "Ji-woo",
    "Hye-jin",
    "Eun-ji",
    "Soo-ah",
    "Young-hee",
    "Mi-kyung",
    "Jung-sook",
)
KO_GIVEN_M = (
    "Min-jun",
    "Seo-jun",
    "Ji-ho",
    "Dong-hyun",
    "Sung-min",
    "Jae-won",
    "Young-soo",
    "Sang-hoon",
    "Kwang-su",
)
AR_GIVEN_F = (
    "Fatima",
    "Aisha",
    "Mariam",
    "Layla",
    "Noor",
    "Huda",
    "Samira",
    "Rania",
    "Zainab",
    "Hawa",
    "Amina",
    "Sahra",
)
AR_GIVEN_M = (
    "Mohamed",
    "Ahmed",
    "Omar",
    "Khalid",
    "Yusuf",
    "Hassan",
    "Ibrahim",
    "Tariq",
    "Abdirahman",
    "Bilal",
    "Walid",
)
AR_FAMILY = (
    "Al-Sayed", "Haddad", "Abdullah", "Hussein", "Mansour", "Khalil", "Nasser", "Farah", "Warsame",
    "Abdi", "El-Amin", "Saleh", "Qureshi", "Bakr", "Aziz",
)  # fmt: skip
CYR = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "yo", "є": "ye",
    "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "yi", "й": "y", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh",
    "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "'": "",
}  # fmt: skip
GRK = {
    "α": "a", "ά": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "έ": "e", "ζ": "z", "η": "i",
    "ή": "i", "θ": "th", "ι": "i", "ί": "i", "ϊ": "i", "ΐ": "i", "κ": "k", "λ": "l", "μ": "m",
    "ν": "n", "ξ": "x", "ο": "o", "ό": "o", "π": "p", "ρ": "r", "σ": "s", "ς": "s", "τ": "t",
    "υ": "y", "ύ": "y", "ϋ": "y", "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o", "ώ": "o",
}  # fmt: skip

SITES = (
    ("Camp Hill", "PA", "717"), ("Mechanicsburg", "PA", "717"), ("Lancaster", "PA", "717"),
    ("York", "PA", "717"), ("Lebanon", "PA", "717"), ("Carlisle", "PA", "717"),
    ("Reading", "PA", "610"), ("Hagerstown", "MD", "301"), ("Hanover", "PA", "717"),
    ("Hershey", "PA", "717"),
)  # fmt: skip
AREAS = ("717", "717", "717", "223", "610", "484", "301", "240", "570", "443")
ACO_NAME = "Susquehanna Valley ACO"
ACO_DOMAIN = "susquehanna-aco.example"
# name, short name, domain, member-id pattern (# digit, @ letter), provider portal
PAYERS = (
    ("Crestline Medicare Advantage (HMO)", "Crestline", "crestlinehealth.example", "CRM#########", "Crestline ProviderLink"),
    ("Harborview Senior Choice PPO", "Harborview", "harborviewhp.example", "H##########", "Harborview Provider Center"),
    ("Allegiant Senior Advantage", "Allegiant", "allegiant-health.example", "W#########-01", "Allegiant Provider Hub"),
    ("Unity Mutual Medicare Plus", "Unity Mutual", "unitymutual.example", "UM@########", "UnityNet for Providers"),
    ("Liberty Ridge Dual Complete (D-SNP)", "Liberty Ridge", "libertyridgehp.example", "LRD########", "RidgeConnect"),
    ("Penn Commonwealth Health Plan", "PCHP", "pennchp.example", "PC#########00", "PCHP NaviNet"),
)  # fmt: skip
HOSPITALS = (
    ("Capital Regional Medical Center", "CRMC", "capitalregional.example"),
    ("St. Brendan Hospital", "SBH", "stbrendan.example"),
    ("Lancaster Mercy General", "LMG", "lancastermercy.example"),
    ("Penn Hills Community Hospital", "PHCH", "pennhillscommunity.example"),
    ("Susquehanna University Hospital", "SUH", "suhealth.example"),
    ("Washington County Medical Center", "WCMC", "wcmc-md.example"),
)  # fmt: skip
SNFS = (
    "Maple Grove Rehabilitation & Nursing", "Cedar Crest Post-Acute", "Willow Brook Health Center",
    "Orchard Manor Skilled Nursing", "Riverside Transitional Care", "Hillcrest Rehab at Camp Hill",
    "Pleasant View Healthcare Center",
)  # fmt: skip
RPM_VENDORS = (
    ("VitalBridge RPM", "vitalbridge-rpm.example"),
    ("PulseLoop Health", "pulseloop.example"),
    ("CardioMetric Connect", "cardiometric.example"),
    ("HomeVitals Direct", "homevitals.example"),
)
CBOS = (
    ("Tri-County Food Network", "tricountyfood.example", "food"),
    ("Neighbors Table Pantry", "neighborstable.example", "food"),
    ("Harbor House Housing Services", "harborhouse.example", "housing"),
    ("Capital Area Tenant Assistance", "catenants.example", "housing"),
    ("RideWell Senior Transportation", "ridewell.example", "transport"),
    ("Keystone Utility Help Fund", "kuhf.example", "utility"),
    ("Meals on Wheels of the Valley", "mowvalley.example", "food"),
)  # fmt: skip

MEASURES = (
    ("CBP", "Controlling High Blood Pressure"),
    ("GSD", "Glycemic Status Assessment for Patients With Diabetes"),
    ("EED", "Eye Exam for Patients With Diabetes"),
    ("KED", "Kidney Health Evaluation for Patients With Diabetes"),
    ("BCS-E", "Breast Cancer Screening"),
    ("COL-E", "Colorectal Cancer Screening"),
    ("OMW", "Osteoporosis Management in Women Who Had a Fracture"),
    ("SPD", "Statin Therapy for Patients With Diabetes"),
    ("SPC", "Statin Therapy for Patients With Cardiovascular Disease"),
    ("TRC-MRP", "Transitions of Care - Medication Reconciliation Post-Discharge"),
    ("FMC", "Follow-Up After ED Visit for People With Multiple High-Risk Chronic Conditions"),
    ("COA-MDR", "Care for Older Adults - Medication Review"),
    ("D08", "Medication Adherence for Diabetes Medications"),
    ("D09", "Medication Adherence for Hypertension (RAS Antagonists)"),
    ("D10", "Medication Adherence for Cholesterol (Statins)"),
)  # fmt: skip
CHRONIC = (
    ("Type 2 diabetes mellitus with hyperglycemia", "E11.65"),
    ("Type 2 diabetes with diabetic CKD", "E11.22"),
    ("Essential hypertension", "I10"),
    ("Chronic systolic heart failure", "I50.22"),
    ("Chronic diastolic heart failure", "I50.32"),
    ("COPD", "J44.9"),
    ("CKD stage 3b", "N18.32"),
    ("Persistent atrial fibrillation", "I48.19"),
    ("Major depressive disorder, recurrent, moderate", "F33.1"),
    ("Hyperlipidemia", "E78.5"),
    ("Primary osteoarthritis, bilateral knees", "M17.0"),
    ("Morbid obesity", "E66.01"),
    ("Atherosclerotic heart disease", "I25.10"),
    ("Hypothyroidism", "E03.9"),
    ("Mild cognitive impairment", "G31.84"),
    ("Generalized anxiety disorder", "F41.1"),
)  # fmt: skip
HCC_SUSPECTS = (
    ("HCC 37", "Diabetes with Chronic Complications", "E11.22 / N18.3x",
     "eGFR {egfr} ({d1}) and {egfr2} ({d2}) with diabetes coded E11.9 only this year"),
    ("HCC 328", "Chronic Kidney Disease, Moderate (Stage 3B)", "N18.32",
     "two eGFRs 30-44 more than 90 days apart: {egfr} on {d1}, {egfr2} on {d2}"),
    ("HCC 226", "Heart Failure, Except End-Stage and Acute", "I50.32",
     "echo {yr}: EF {ef}%, grade II diastolic dysfunction; furosemide 40 mg fills; not coded since {yr}"),
    ("HCC 280", "Chronic Obstructive Pulmonary Disease", "J44.9",
     "tiotropium and albuterol fills x{fills}; spirometry FEV1/FVC 0.6{fills}"),
    ("HCC 48", "Morbid Obesity", "E66.01 + Z68.4x",
     "BMI {bmi} at last two visits, obesity not on problem list"),
    ("HCC 155", "Major Depression, Moderate or Severe, without Psychosis", "F33.1",
     "PHQ-9 = {phq} on {d1}; sertraline 100 mg daily; diagnosis last captured {yr}"),
    ("HCC 238", "Specified Heart Arrhythmias", "I48.20",
     "apixaban 5 mg BID fills; cardiology consult {d1} documents permanent AF"),
    ("HCC 127", "Dementia, Mild or Unspecified", "F03.A0",
     "donepezil 10 mg; MoCA {moca}/30 on {d1}; neurology note mentions major NCD"),
    ("HCC 93", "Rheumatoid Arthritis and Other Specified Inflammatory Rheumatic Disorders",
     "M06.9", "methotrexate 15 mg weekly + folic acid; rheumatology visit {yr}"),
    ("HCC 267", "Deep Vein Thrombosis and Pulmonary Embolism", "I82.5Z3",
     "chronic DVT on rivaroxaban since {yr}; last duplex {d1}"),
    ("HCC 23", "Prostate, Breast, and Other Cancers and Tumors", "C50.911",
     "anastrozole 1 mg fills; oncology follow-up {d1}"),
)  # fmt: skip
DISCHARGE_DX = (
    "CHF exacerbation", "COPD exacerbation", "community-acquired pneumonia", "sepsis due to UTI",
    "NSTEMI s/p DES to LAD", "hip fracture s/p ORIF", "syncope", "GI bleed, upper",
    "AKI on CKD 3b", "hypoglycemia", "cellulitis of left lower leg", "acute on chronic hyponatremia",
    "new-onset atrial fibrillation with RVR", "fall with rib fractures", "TIA",
)  # fmt: skip
MEDS = (
    ("lisinopril", "10 mg daily"), ("losartan", "50 mg daily"), ("amlodipine", "5 mg daily"),
    ("metoprolol succinate", "25 mg daily"), ("furosemide", "40 mg daily"),
    ("atorvastatin", "40 mg nightly"), ("rosuvastatin", "20 mg daily"),
    ("metformin ER", "1000 mg BID"), ("glipizide", "5 mg daily"), ("empagliflozin", "10 mg daily"),
    ("apixaban", "5 mg BID"), ("sertraline", "50 mg daily"), ("levothyroxine", "75 mcg daily"),
    ("insulin glargine", "22 units at bedtime"), ("tiotropium", "18 mcg inhaled daily"),
    ("spironolactone", "25 mg daily"), ("pantoprazole", "40 mg daily"), ("donepezil", "10 mg nightly"),
    ("gabapentin", "300 mg TID"), ("semaglutide", "0.5 mg weekly"),
)  # fmt: skip
DATE_STYLES = ("us", "us", "us0", "us0", "us2", "iso", "long", "abbr", "dmon")
DOB_STYLES = ("us0", "us0", "us0", "us", "iso", "long", "compact", "dmon")
NAME_STYLES = ("plain", "lf", "LF", "LF", "lfm", "LFm", "caps")


# ------------------------------------------------------------------------------- helpers
def fold(s: str) -> str:
    s = s.replace("đ", "d").replace("Đ", "D").replace("ı", "i").replace("ł", "l").replace("Ł", "L")
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def slug(s: str) -> str:
    return "".join(c for c in fold(s).lower() if c.isascii() and c.isalnum())


def translit(s: str, table: dict[str, str], ukrainian: bool = False) -> str:
    out: list[str] = []
    for c in s:
        low = c.lower()
        t = table.get(low)
        if ukrainian and low == "г":
            t = "h"
        elif ukrainian and low == "и":
            t = "y"
        if t is None:
            out.append(c)
        else:
            out.append(t.capitalize() if c != low else t)
    return "".join(out)


def greek(s: str) -> str:
    """A Greek name in Latin letters (ELOT-like, with the common diphthongs)."""
    low = s.lower()
    for a, b in (
        ("ού", "ou"),
        ("ου", "ou"),
        ("αύ", "av"),
        ("αυ", "av"),
        ("εύ", "ev"),
        ("ευ", "ev"),
    ):
        low = low.replace(a, b)
    return translit(low, GRK).title()


def fmt_date(d: dt.date, style: str) -> str:
    if style == "us":
        return f"{d.month}/{d.day}/{d.year}"
    if style == "us2":
        return d.strftime("%m/%d/%y")
    if style == "iso":
        return d.isoformat()
    if style == "long":
        return f"{d.strftime('%B')} {d.day}, {d.year}"
    if style == "abbr":
        return f"{d.strftime('%b')} {d.day}, {d.year}"
    if style == "dmon":
        return d.strftime("%d-%b-%Y")
    if style == "compact":
        return d.strftime("%Y%m%d")
    if style == "dow":
        return f"{d.strftime('%a')} {d.month}/{d.day}"
    return d.strftime("%m/%d/%Y")


def money(x: float, cents: bool = False) -> str:
    return f"${x:,.2f}" if cents else f"${x:,.0f}"


def text_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], sep: str = "  ") -> str:
    cols = list(zip(header, *rows, strict=False))
    widths = [max(len(str(x)) for x in col) for col in cols]

    def line(r: tuple[str, ...]) -> str:
        return sep.join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()

    rule = sep.join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def h(s: object) -> str:
    return html.escape(str(s))


def html_table(
    header: tuple[str, ...], rows: Sequence[tuple[str, ...]], head_bg: str = "#dfe8f1"
) -> str:
    th = "".join(f"<th>{h(c)}</th>" for c in header)
    trs = "".join("<tr>" + "".join(f"<td>{h(c)}</td>" for c in r) + "</tr>\n" for r in rows)
    return (
        '<table border="1" cellspacing="0" cellpadding="3" style="border-collapse:collapse;'
        f'font:12px Arial,sans-serif"><tr style="background:{head_bg};text-align:left">{th}</tr>\n'
        f"{trs}</table>"
    )


def html_page(title: str, inner: str, footer: str = "", color: str = "#1f4e79") -> str:
    foot = f'<p style="color:#777;font-size:10px">{footer}</p>' if footer else ""
    return (
        '<html><body style="font-family:Segoe UI,Arial,sans-serif;font-size:13px">'
        f'<div style="background:{color};color:#fff;padding:8px 12px;font-weight:bold">'
        f"{h(title)}</div>"
        f'<div style="padding:10px 12px">{inner}</div>{foot}</body></html>'
    )


def paras(*lines: str) -> str:
    return "".join(f"<p>{h(x)}</p>" for x in lines if x)


def csv_bytes(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], delim: str = ",") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delim, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return ascii_bytes(buf.getvalue())


def ascii_bytes(text: str) -> bytes:
    """Text as the ASCII bytes a payer or EHR export writes (diacritics dropped)."""
    for a, b in (("ß", "ss"), ("ø", "o"), ("Ø", "O"), ("æ", "ae"), ("Æ", "AE"), ("ð", "d")):
        text = text.replace(a, b)
    return fold(text).encode("ascii", "replace")


_FAKERS: dict[str, Faker] = {}


def seeded_faker(locale: str, seed: int) -> Faker:
    """A cached Faker for `locale`, reseeded, so drawing many people stays cheap and determined."""
    f = _FAKERS.get(locale)
    if f is None:
        f = Faker(locale)
        _FAKERS[locale] = f
    f.seed_instance(seed)
    return f


MBI_ALPHA = "ACDEFGHJKMNPQRTUVWXY"


@dataclass
class Person:
    """One patient (member, beneficiary) with the identifiers the systems around them print."""

    given: str
    family: str
    middle: str
    sex: str
    dob: dt.date
    mbi: str
    member_id: str
    mrn: str
    phone: str
    address: str
    street: str
    city: str
    state: str
    zipcode: str
    email: str
    locale: str

    @property
    def full(self) -> str:
        return f"{self.given} {self.family}"


@dataclass(frozen=True)
class Prov:
    first: str
    last: str
    cred: str

    def show(self, v: int) -> str:
        doc = self.cred in ("MD", "DO")
        if v == 0 and doc:
            return f"Dr. {self.last}"
        if v == 1:
            return f"{self.first[0]}. {self.last}, {self.cred}"
        if v == 2 and doc:
            return f"Dr {self.first} {self.last}"
        return f"{self.first} {self.last}, {self.cred}"


# --------------------------------------------------------------------------- generator
class Gen(OnePatientGen):
    """templates-p's generator: one main patient (and more for lists) from many locales, the
    group's sites, a payer, a sender and recipient the family chose, and a fixed clock."""

    patient_locales = PATIENT_LOCALES
    staff_locales = STAFF_LOCALES

    def __init__(self, rng: random.Random) -> None:
        super().__init__(rng)
        self.us = Faker("en_US")
        self.us.seed_instance(rng.randrange(2**32))
        self.when_sent = BASE + dt.timedelta(
            days=rng.randint(-30, 30), minutes=rng.randint(6 * 60 + 25, 19 * 60 + 40)
        )
        self.dstyle = rng.choice(DATE_STYLES)
        self.dobstyle = rng.choice(DOB_STYLES)
        self.nstyle = rng.choice(NAME_STYLES)
        self.tstyle = rng.randrange(3)
        self.site = rng.choice(SITES)
        self.payer = rng.choice(PAYERS)
        self.mrn_style = rng.randrange(5)
        self.mbi_dash = rng.random() < 0.25
        self.me = ""
        self.from_addr = ""
        self.to = ""
        self.domain = PRACTICE
        self.p = self.person(faker=self.pt)
        self.given, self.family = self.p.given, self.p.family

    # ---- people
    def _name(self, f: Faker, loc: str, sex: str) -> tuple[str, str]:
        rng = self.rng
        fem = sex == "F"
        if loc == "ko_KR":
            return rng.choice(KO_GIVEN_F if fem else KO_GIVEN_M), rng.choice(KO_FAMILY)
        if loc == "ar_AA":
            return rng.choice(AR_GIVEN_F if fem else AR_GIVEN_M), rng.choice(AR_FAMILY)
        if loc == "ja_JP":
            given = f.first_romanized_name_female() if fem else f.first_romanized_name_male()
            return str(given), str(f.last_romanized_name())
        if loc in ("zh_CN", "zh_TW"):
            given, fam = str(f.first_romanized_name()), str(f.last_romanized_name())
            return given.title(), fam.title()
        if loc in ("ru_RU", "uk_UA"):
            uk = loc == "uk_UA"
            given = f.first_name_female() if fem else f.first_name_male()
            fam = f.last_name_female() if fem else f.last_name_male()
            return translit(str(given), CYR, uk), translit(str(fam), CYR, uk)
        if loc == "el_GR":
            given = f.first_name_female() if fem else f.first_name_male()
            fam = f.last_name_female() if fem else f.last_name_male()
            return greek(str(given)), greek(str(fam))
        given = str(f.first_name_female() if fem else f.first_name_male())
        fam = str(f.last_name())
        if loc == "vi_VN" and rng.random() < 0.5:
            given, fam = fold(given), fold(fam)
        if loc in ("es_MX", "es_CO") and rng.random() < 0.35:
            fam = f"{fam} {f.last_name()}"
        return given, fam

    def person(self, faker: Faker | None = None, lo: int = 66, hi: int = 94) -> Person:
        rng = self.rng
        if faker is None:
            faker = seeded_faker(rng.choice(PATIENT_LOCALES), rng.randrange(2**32))
        loc = str(faker.locales[0])
        sex = rng.choice("FFM")
        given, fam = self._name(faker, loc, sex)
        middle = rng.choice("ABCDEFGHJKLMNPRSTVW") if rng.random() < 0.45 else ""
        if rng.random() < 0.12:  # disability or dual-eligible members under 65
            lo, hi = 34, 64
        days = rng.randint(lo * 365 + 5, hi * 365 + 350)
        dob = (BASE - dt.timedelta(days=days)).date()
        city, state, area = rng.choice(SITES)
        if rng.random() < 0.3:
            area = rng.choice(AREAS)
        street = str(self.us.street_address())
        zipcode = str(self.us.zipcode_in_state(state))
        g_, f_ = slug(given) or "pt", slug(fam) or "home"
        local = rng.choice(
            (f"{g_}.{f_}", f"{g_[0]}{f_}{rng.randint(1, 99)}", f"{f_}{g_[0]}", f"{g_}{dob.year % 100}",
             f"{g_}_{f_[:6]}", f"{f_}.{g_}{rng.randint(1, 9)}", f"grandma{g_}" if sex == "F" else f"{g_}{f_}")
        )  # fmt: skip
        dom = rng.choice(
            ("gmail.com", "gmail.com", "yahoo.com", "aol.com", "comcast.net", "verizon.net",
             "hotmail.com", "icloud.com", "outlook.com", "ptd.net")
        )  # fmt: skip
        return Person(
            given, fam, middle, sex, dob, self.mbi(), self.member_id(), self.new_mrn(),
            self.fmt_phone(area), f"{street}, {city}, {state} {zipcode}", street, city, state,
            zipcode, f"{local}@{dom}", loc,
        )  # fmt: skip

    def others(self, n: int) -> list[Person]:
        return [self.p] + [self.person() for _ in range(n - 1)]

    def nm(self, p: Person | None = None, style: str = "") -> str:
        """A patient's name as one system or another prints it."""
        p = p or self.p
        s = style or self.nstyle
        mid = f" {p.middle}" if p.middle else ""
        if s == "lf":
            return f"{p.family}, {p.given}"
        if s == "LF":
            return f"{p.family.upper()}, {p.given.upper()}"
        if s == "lfm":
            return f"{p.family}, {p.given}{mid}"
        if s == "LFm":
            return f"{p.family.upper()}, {p.given.upper()}{mid.upper()}"
        if s == "caps":
            return f"{p.given.upper()} {p.family.upper()}"
        if s == "init":
            return f"{p.given[0]}. {p.family}"
        if s == "fi":
            return f"{p.family}, {p.given[0]}."
        return f"{p.given}{mid} {p.family}" if self.rng.random() < 0.2 else p.full

    def hon(self, p: Person | None = None) -> str:
        p = p or self.p
        return f"{'Mr.' if p.sex == 'M' else self.pick('Ms.', 'Mrs.', 'Ms.')} {p.family}"

    def pron(self, p: Person | None = None) -> tuple[str, str]:
        p = p or self.p
        return ("he", "his") if p.sex == "M" else ("she", "her")

    def age(self, p: Person | None = None) -> int:
        d, t = (p or self.p).dob, self.when_sent.date()
        return t.year - d.year - ((t.month, t.day) < (d.month, d.day))

    def staff(self) -> str:
        return f"{self.st.first_name()} {self.st.last_name()}"

    def prov(self) -> Prov:
        cred = self.pick("MD", "MD", "MD", "DO", "DO", "CRNP", "PA-C")
        return Prov(str(self.st.first_name()), str(self.st.last_name()), cred)

    def pcp(self) -> str:
        return self.prov().show(self.variant(4))

    # ---- identifiers
    def mbi(self) -> str:
        rng = self.rng

        def a() -> str:
            return rng.choice(MBI_ALPHA)

        def n() -> str:
            return str(rng.randint(0, 9))

        def an() -> str:
            return a() if rng.random() < 0.5 else n()

        return str(rng.randint(1, 9)) + a() + an() + n() + a() + an() + n() + a() + a() + n() + n()

    def fmt_mbi(self, m: str) -> str:
        return f"{m[:4]}-{m[4:7]}-{m[7:]}" if self.mbi_dash else m

    def member_id(self) -> str:
        return self.pattern(self.payer[3])

    def pattern(self, pat: str) -> str:
        return "".join(
            str(self.rng.randint(0, 9))
            if c == "#"
            else self.rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ")
            if c == "@"
            else c
            for c in pat
        )

    def new_mrn(self) -> str:
        v = self.mrn_style
        if v == 0:
            return "E" + self.digits(7)
        if v == 1:
            return str(self.rng.randint(100000, 2999999))
        if v == 2:
            return "KV" + self.digits(6)
        if v == 3:
            return f"{self.digits(3)}-{self.digits(3)}-{self.digits(2)}"
        return "00" + self.digits(6)

    def fmt_phone(self, area: str) -> str:
        exch = self.rng.randint(201, 989)
        exch = 556 if exch == 555 else exch
        line = self.rng.randint(0, 9999)
        v = self.variant(5)
        if v == 0:
            return f"({area}) {exch}-{line:04d}"
        if v == 1:
            return f"{area}-{exch}-{line:04d}"
        if v == 2:
            return f"{area}.{exch}.{line:04d}"
        if v == 3:
            return f"{area}{exch}{line:04d}"
        return f"({area}) {exch}-{line:04d}"

    def org_phone(self) -> str:
        return self.fmt_phone(self.rng.choice(AREAS))

    # ---- addresses and sender
    def addr(self, name: str, domain: str) -> str:
        parts = [slug(x) for x in name.split(",")[0].split() if slug(x)]
        parts = [x for x in parts if x not in ("rn", "bsn", "ccm", "md", "do", "pharmd", "lpn", "chw",
                                               "msw", "lcsw", "cpc", "crc", "crnp", "pac", "np")]  # fmt: skip
        if len(parts) < 2:
            return f"{parts[0] if parts else 'team'}@{domain}"
        v = self.variant(3)
        local = (
            f"{parts[0]}.{parts[-1]}" if v == 0 else f"{parts[0][0]}{parts[-1]}" if v == 1 else f"{parts[-1]}{parts[0][0]}"
        )  # fmt: skip
        return f"{local}@{domain}"

    def send(self, name: str, domain: str, addr: str = "") -> None:
        self.me = name.split(",")[0]
        self.from_addr = addr or self.addr(name, domain)

    def to_person(self, name: str, domain: str) -> None:
        self.to = formataddr((name.split(",")[0], self.addr(name, domain)))

    def to_box(self, box: str, domain: str = PRACTICE) -> None:
        self.to = f"{box}@{domain}"

    def site_name(self) -> str:
        return self.pick(
            f"KVPC {self.site[0]}", f"{GROUP} - {self.site[0]}", f"{self.site[0]} office"
        )

    # ---- dates and times
    def day(self, lo: int, hi: int) -> dt.date:
        return (self.when_sent + dt.timedelta(days=self.rng.randint(lo, hi))).date()

    def date(self, d: dt.date, style: str = "") -> str:
        return fmt_date(d, style or self.dstyle)

    def dob(self, p: Person | None = None, style: str = "") -> str:
        return fmt_date((p or self.p).dob, style or self.dobstyle)

    def clock(self, lo: int = 8, hi: int = 16) -> str:
        hh, mm = self.rng.randint(lo, hi), self.rng.choice((0, 0, 15, 30, 30, 45, 20, 40))
        h12, ap = (hh - 1) % 12 + 1, "AM" if hh < 12 else "PM"
        return (f"{h12}:{mm:02d} {ap}", f"{hh:02d}:{mm:02d}", f"{h12}:{mm:02d}{ap.lower()}")[
            self.tstyle
        ]

    def stamp(self, d: dt.datetime | None = None) -> str:
        d = d or self.when_sent
        return d.strftime(self.pick("%Y-%m-%d %H:%M", "%m/%d/%Y %I:%M %p", "%b %d, %Y %H:%M"))

    def ago(self, lo: int, hi: int) -> dt.datetime:
        return self.when_sent - dt.timedelta(minutes=self.rng.randint(lo, hi))

    # ---- text pieces
    def chronic(self, n: int) -> list[tuple[str, str]]:
        return self.rng.sample(CHRONIC, n)

    def meds(self, n: int) -> list[tuple[str, str]]:
        return self.rng.sample(MEDS, n)

    def bp(self, hi: bool = False) -> str:
        s = self.rng.randint(152, 196) if hi else self.rng.randint(112, 158)
        d = self.rng.randint(88, 112) if hi else self.rng.randint(62, 94)
        return f"{s}/{d}"

    def sign(self, name: str, title: str, org: str, phone: str = "") -> str:
        phone = phone or self.org_phone()
        v = self.variant(6)
        first = name.split()[0]
        if v == 0:
            return f"Thank you,\n{name}\n{title}\n{org}\nPhone: {phone}"
        if v == 1:
            return f"Thanks,\n{first}"
        if v == 2:
            return f"--\n{name} | {title}\n{org}\n{phone}"
        if v == 3:
            return f"Regards,\n\n{name}\n{title}, {org}\nDirect {phone} | Fax {self.org_phone()}"
        if v == 4:
            return f"{first}\n\nSent from my iPhone"
        return f"Best regards,\n{name}\n{title}\n{org}"

    def conf(self, kind: str = "practice") -> str:
        if self.rng.random() < 0.35:
            return ""
        if kind == "payer":
            return self.pick(
                "\n\nThis email and any attachments may contain Protected Health Information (PHI) "
                "and are intended only for the named recipient. Use or disclosure by anyone else is "
                "prohibited. If received in error, notify the sender and delete.",
                "\n\nCONFIDENTIAL: Information in this message is subject to HIPAA and 42 CFR Part 2 "
                "where applicable. Do not forward outside your organization.",
            )
        if kind == "hospital":
            return (
                "\n\nNOTICE: This message is from an external sender and contains confidential "
                "patient information disclosed for treatment and care coordination purposes only."
            )
        return self.pick(
            "\n\nCONFIDENTIALITY NOTICE: The information contained in this e-mail is privileged and "
            "confidential and intended for the use of the addressee only. If you are not the intended "
            "recipient, please notify the sender immediately and delete this message.",
            "\n\n*** This message may contain PHI. Send only via encrypted channel. ***",
            "\n\nKeystone Valley Primary Care | Patient-centered. Value-driven.\nThis e-mail may "
            "contain confidential health information. If you received it in error, delete it.",
        )


def cm_title(rng: random.Random) -> str:
    return rng.choice(
        ("RN Care Manager", "RN, BSN, CCM - Care Manager", "Nurse Care Manager", "Population Health RN",
         "Transitions of Care Nurse", "Care Coordinator", "Community Health Worker", "LCSW, Care Management")
    )  # fmt: skip


def lines(*xs: str) -> str:
    return "\n".join(x for x in xs if x is not None)


def gap_detail(g: Gen, code: str) -> str:
    rng = g.rng
    d = g.date(g.day(-200, -10))
    if code == "CBP":
        return g.pick(
            f"last BP {g.bp(True)} on {d}",
            "no representative BP in MY2025",
            f"BP {g.bp(True)} ({d}) - not controlled",
        )
    if code == "GSD":
        return g.pick(
            f"HbA1c {rng.randint(81, 124) / 10}% on {d}", "no HbA1c result MY2025", f"A1c >9 ({d})"
        )
    if code == "EED":
        return g.pick(
            "no retinal exam claim MY2025",
            "no 2022F-2026F / 3072F on file",
            f"last eye exam {BASE.year - 2}",
        )
    if code == "KED":
        return g.pick(f"eGFR {d}; uACR missing", "no eGFR or uACR MY2025", "uACR missing")
    if code == "BCS-E":
        return g.pick(
            f"last mammogram {BASE.year - rng.randint(3, 6)}",
            "no mammogram on file",
            "no screening 10/1/2023-12/31/2025",
        )
    if code == "COL-E":
        return g.pick(
            "no colonoscopy/FIT-DNA/FIT on file",
            f"FIT {BASE.year - 2}, expired",
            "refused per member, no exclusion coded",
        )
    if code == "OMW":
        return f"fracture claim {d}; no BMD or osteoporosis Rx within 180 days"
    if code in ("SPD", "SPC"):
        return g.pick(
            "no statin fill MY2025", f"statin last filled {d}", "statin intolerance not coded"
        )
    if code == "TRC-MRP":
        dd = g.day(-25, -3)
        return f"discharged {g.date(dd)}; MRP due by {g.date(dd + dt.timedelta(days=30))}"
    if code == "FMC":
        return f"ED visit {d} ({rng.choice(HOSPITALS)[1]}); 7-day follow-up not found"
    if code == "COA-MDR":
        return "no 1159F/1160F medication review MY2025"
    drug = {"D08": "metformin", "D09": "lisinopril", "D10": "atorvastatin"}[code]
    return f"{drug} PDC {rng.randint(58, 79)}% YTD; last fill {d} ({rng.choice((30, 30, 90))}-day)"


def gaps_for(g: Gen, p: Person, n: int) -> list[tuple[str, str]]:
    pool = [m for m in MEASURES if not (p.sex == "M" and m[0] in ("BCS-E", "OMW"))]
    return g.rng.sample(pool, n)


# ------------------------------------------------------------------------- PHI families
def payer_care_gap_list(g: Gen) -> Mail:
    """A Medicare Advantage plan's open care-gap report to the group: HEDIS and Part D
    adherence gaps per member, as an HTML table, an aligned text list, per-member blocks or a
    CSV attachment behind a short cover note."""
    pname, pshort, pdom, _, portal = g.payer
    rep = g.staff()
    title = g.pick(
        "Provider Quality Consultant",
        "Quality Improvement Specialist",
        "Stars Program Manager",
        "Clinical Quality Liaison",
    )
    g.send(rep, pdom)
    g.to = g.pick(
        f"quality@{PRACTICE}",
        formataddr((g.staff(), f"popheath@{PRACTICE}")),
        f"kvpc.stars@{PRACTICE}",
    )
    prov = g.pcp()
    members = g.others(g.rng.randint(3, 8))
    rows: list[tuple[Person, str, str, str]] = []
    for m in members:
        for code, mname in gaps_for(g, m, g.rng.randint(1, 3)):
            rows.append((m, code, mname, gap_detail(g, code)))
    month = g.when_sent.strftime("%B")
    subject = g.pick(
        f"{pshort} open care gaps - {g.site_name()} - {month} refresh",
        f"[SECURE] Gaps in care: {prov} panel ({len(members)} members)",
        f"ACTION REQUESTED: MY{BASE.year} HEDIS gaps remaining - {pshort}",
        f"Care gap report {g.when_sent:%m%Y} / TIN ***{g.digits(4)}",
        f"RE: {pshort} Stars - members still open for Q4",
    )
    intro = g.pick(
        f"Please see below the members attributed to {GROUP} with open gaps as of our {g.date(g.day(-6, -1))} "
        f"claims refresh. Gaps close on claims or supplemental data; please submit CPT II codes where applicable.",
        f"Hi team - here is the {month} gap list for {prov}. We are about 10 weeks from the end of the "
        "measurement year, so anything you can schedule in the next 30 days helps.",
        f"The following {pname} members remain non-compliant. Records can be uploaded through {portal} "
        "(Quality > Supplemental Data).",
    )
    close = g.sign(rep, title, pname) + g.conf("payer")
    v = g.variant(4)
    if v == 0:
        trs = [(g.nm(m), m.member_id, g.dob(m), code, det, prov) for m, code, _, det in rows]
        body = html_page(
            f"{pname} - Open Care Opportunities",
            paras(intro)
            + html_table(("Member", "Member ID", "DOB", "Measure", "Detail", "Attributed PCP"), trs)
            + "<br>"
            + paras(*close.split("\n")),
            f"Generated by {portal}. Contains PHI - do not forward.",
        )
        return phi(subject, body, html=True)
    if v == 1:
        lst = [(g.nm(m, "LF"), m.member_id, g.dob(m), code, det) for m, code, _, det in rows]
        body = f"{intro}\n\n{text_table(('MEMBER', 'ID', 'DOB', 'MEAS', 'GAP DETAIL'), lst)}\n\n{close}"
        return phi(subject, body)
    if v == 2:
        blocks = []
        for m in members:
            mine = [(c, n, d) for mm, c, n, d in rows if mm is m]
            head = g.pick(
                f"{g.nm(m)}  |  ID {m.member_id}  |  DOB {g.dob(m)}",
                f"Member: {g.nm(m, 'LF')} ({m.member_id}) DOB: {g.dob(m)}  Phone: {m.phone}",
            )
            blocks.append(head + "\n" + "\n".join(f"   - {n} ({c}): {d}" for c, n, d in mine))
        body = f"{intro}\n\n" + "\n\n".join(blocks) + f"\n\n{close}"
        return phi(subject, body)
    header = (
        "member_id",
        "last_name",
        "first_name",
        "dob",
        "gender",
        "measure",
        "measure_desc",
        "gap_detail",
        "pcp_npi",
    )
    npi = "1" + g.digits(9)
    data = [
        (
            m.member_id,
            m.family.upper(),
            m.given.upper(),
            m.dob.strftime("%Y%m%d"),
            m.sex,
            code,
            n,
            det,
            npi,
        )
        for m, code, n, det in rows
    ]
    body = (
        f"{intro.replace('Please see below the', 'Attached are the')}\n\nThe member-level detail is in the attached file ({len(rows)} open gaps, "
        f"{len(members)} members). The file is encrypted in transit; please store it on your secure share.\n\n{close}"
    )
    name = f"{slug(pshort)}_gaps_{g.digits(10)}_{g.when_sent:%Y%m%d}.csv"
    return phi(
        subject,
        body,
        where=("attachment",),
        attachments=[(name, "text/csv", csv_bytes(header, data))],
    )


ALIGN_ADD = (
    "plurality of primary care services at TIN",
    "voluntary alignment (Medicare.gov PCP selection)",
    "new to Medicare (Part A/B effective)",
    "returned from other ACO",
)
ALIGN_DROP = (
    "plurality shifted to non-ACO TIN",
    "enrolled in Medicare Advantage",
    "moved out of service area",
    "deceased",
    "no qualifying E/M in assignment window",
    "voluntarily aligned to another practitioner",
    "lost Part B coverage",
)


def aco_attribution_change(g: Gen) -> Mail:
    """The ACO office's quarterly beneficiary alignment changes for a practice or a PCP:
    newly aligned and no-longer-aligned beneficiaries with MBI, or one beneficiary queried."""
    analyst = g.staff()
    g.send(analyst, ACO_DOMAIN)
    if g.rng.random() < 0.5:
        g.to = f"practice.manager@{PRACTICE}"
    else:
        g.to_person(g.staff(), PRACTICE)
    q = g.pick("Q3", "Q4", "Q2")
    prov = g.prov()
    sig = g.sign(
        analyst,
        g.pick("Data Analyst", "ACO Operations Coordinator", "Attribution Specialist"),
        ACO_NAME,
    )
    v = g.variant(4)
    if v == 3:
        p = g.p
        other = g.prov()
        subject = g.pick(
            f"Attribution question - MBI {p.mbi}",
            f"Is {g.nm(p, 'plain')} still your patient?",
            "Alignment query",
        )
        body = (
            f"Hi,\n\nIn the {BASE.year} {q} Assignment List Report, {g.hon(p)} ({g.nm(p, 'LF')}, DOB {g.dob(p)}, "
            f"MBI {g.fmt_mbi(p.mbi)}) moved from {prov.show(3)} to {other.show(3)} at an outside TIN. Claims "
            f"show {g.rng.randint(2, 4)} E/M visits there since {g.date(g.day(-240, -120))}, mostly for "
            f"{g.pick('wound care', 'COPD follow-up', 'diabetes management', 'knee pain')}. If {g.pron(p)[0]} still sees "
            f"{prov.show(0)} for primary care, the beneficiary can confirm their PCP on Medicare.gov (voluntary "
            f"alignment) at the next visit, scheduled {g.date(g.day(3, 40))} per your EHR feed.\n\n{sig}"
        )
        return phi(subject, body)
    added = [g.person() for _ in range(g.rng.randint(2, 6))]
    dropped = [g.person() for _ in range(g.rng.randint(1, 5))]
    adds = [
        (g.fmt_mbi(p.mbi), g.nm(p), g.dob(p), prov.show(1), g.rng.choice(ALIGN_ADD)) for p in added
    ]
    drops = [
        (g.fmt_mbi(p.mbi), g.nm(p), g.dob(p), prov.show(1), g.rng.choice(ALIGN_DROP))
        for p in dropped
    ]
    subject = g.pick(
        f"{ACO_NAME} {q} {BASE.year} alignment changes - {g.site_name()}",
        f"Quarterly assignment report: {len(adds)} added / {len(drops)} removed",
        f"[Encrypt] {q} beneficiary roster changes for {prov.show(0)}",
    )
    intro = g.pick(
        f"CMS delivered the {q} quarterly assignment files. Below are the changes for your TIN since last quarter.",
        "Here are the beneficiaries whose ACO alignment changed this quarter. Newly aligned "
        "beneficiaries should get a welcome call and an AWV if not done this year.",
    )
    if v == 0:
        hdr = ("MBI", "Beneficiary", "DOB", "PCP", "Reason")
        body = (
            f"{intro}\n\nNEWLY ALIGNED ({len(adds)})\n{text_table(hdr, adds)}\n\n"
            f"NO LONGER ALIGNED ({len(drops)})\n{text_table(hdr, drops)}\n\n"
            "Reminder: beneficiary-level data is for care coordination only under the ACO DUA.\n\n"
            + sig
        )
        return phi(subject, body)
    if v == 1:
        hdr = ("MBI", "Beneficiary", "DOB", "Aligned PCP", "Reason")
        inner = (
            paras(intro)
            + f"<h4>Newly aligned ({len(adds)})</h4>"
            + html_table(hdr, adds)
            + f"<h4>Removed ({len(drops)})</h4>"
            + html_table(hdr, drops, "#f3dede")
            + paras(*sig.split("\n"))
        )
        return phi(
            subject,
            html_page(f"{ACO_NAME} - Assignment Changes {q}", inner, color="#3b6e3b"),
            html=True,
        )
    rows = [("ADD", *r) for r in adds] + [("DROP", *r) for r in drops]
    data = csv_bytes(
        ("change", "mbi", "bene_name", "bene_dob", "pcp", "reason"), rows, g.pick(",", "|")
    )
    body = f"{intro}\n\nSummary for your TIN: +{len(adds)} / -{len(drops)}. Detail in the attached file.\n\n{sig}"
    return phi(
        subject, body, where=("attachment",),
        attachments=[(f"SVACO_{q}_{BASE.year}_alignment_delta.{g.pick('csv', 'txt')}", "text/plain", data)],
    )  # fmt: skip


def tcm_discharge_call(g: Gen) -> Mail:
    """A transitional care management interactive-contact note within two business days of a
    discharge: EHR telephone-encounter export, a narrative to the PCP or a terse line."""
    p = g.p
    hosp = g.rng.choice(HOSPITALS)
    dc = g.day(-4, -1)
    dx = g.rng.choice(DISCHARGE_DX)
    nurse = g.staff()
    title = g.pick("RN Care Manager", "Transitions of Care RN", "RN, BSN - TCM")
    g.send(nurse, PRACTICE)
    prov = g.prov()
    g.to_person(prov.show(3), PRACTICE)
    fu = g.day(3, 13)
    code = g.pick("99495", "99496")
    meds = g.meds(g.rng.randint(2, 4))
    changes = [
        g.pick(f"NEW {meds[0][0]} {meds[0][1]}", f"STARTED {meds[0][0]} {meds[0][1]}"),
        g.pick(
            f"STOPPED {meds[1][0]}",
            f"{meds[1][0]} dose changed to {meds[1][1]}",
            f"HOLD {meds[1][0]} until f/u",
        ),
    ]
    issues = g.pick(
        "Patient has not picked up the new prescription yet - daughter will go today.",
        "Reports mild SOB on exertion, no chest pain; weight stable per home scale.",
        "Home health (skilled nursing + PT) start of care scheduled tomorrow.",
        "Confused about which water pill to take; reviewed list line by line.",
        "No DME delivered yet (walker). Called the vendor.",
    )
    v = g.variant(4)
    subject = g.pick(
        f"TCM 2-day contact - {g.nm(p, 'LF')}",
        f"TCM call completed: {g.nm(p, 'fi')} MRN {p.mrn}",
        f"Post-discharge call {g.nm(p, 'init')} ({hosp[1]} d/c {g.date(dc, 'us')})",
        "TCM - please review",
    )
    if v == 0:
        body = (
            f"Telephone Encounter - Transitional Care Management\n"
            f"Patient: {g.nm(p)}   MRN: {p.mrn}   DOB: {g.dob(p)}\n"
            f"Encounter date: {g.stamp(g.ago(15, 180))}\n"
            f"Discharging facility: {hosp[0]}\nAdmit/Discharge: {g.date(dc - dt.timedelta(days=g.rng.randint(2, 7)))} - {g.date(dc)}\n"
            f"Discharge diagnosis: {dx}\nSpoke with: {g.pick('patient', 'patient and spouse', 'daughter (on HIPAA form)', 'patient via interpreter')}\n"
            f"Phone: {p.phone}\n\nMedication changes per discharge summary:\n"
            + "\n".join(f"  - {c}" for c in changes)
            + f"\n\nIssues: {issues}\nRed flags reviewed: yes\n"
            f"Face-to-face: {g.date(fu)} at {g.clock()} with {prov.show(3)}\n"
            f"Complexity (anticipated): {'high' if code == '99496' else 'moderate'} -> {code}\n\n"
            f"Signed: {nurse}, RN {g.stamp()}"
        )
        return phi(subject, body + g.conf())
    if v == 1:
        pr, pos = g.pron(p)
        body = (
            f"{prov.show(0)},\n\nI reached {g.hon(p)} today for the TCM call after {pos} discharge from {hosp[1]} on "
            f"{g.date(dc)} ({dx}). {pr.capitalize()} is home, {g.pick('feeling tired but OK', 'doing better', 'a bit short of breath')}. "
            f"{issues} Med rec done against the discharge list: {'; '.join(changes)}.\n\n"
            f"Follow-up is booked {g.date(fu)} with you - that keeps us inside the {7 if code == '99496' else 14}-day "
            f"window for {code}. DOB {g.dob(p)} for the chart.\n\n" + g.sign(nurse, title, GROUP)
        )
        return phi(subject, body + g.conf())
    if v == 2:
        attempts = "\n".join(
            f"Attempt {i + 1}: {g.date(dc + dt.timedelta(days=i + 1))} {g.clock()} - {r}"
            for i, r in enumerate(
                g.rng.sample(
                    (
                        "LVM on home line",
                        "no answer, VM full",
                        "reached spouse, asked to call back",
                        "wrong number on file",
                    ),
                    2,
                )
            )
        )
        body = (
            f"Two unsuccessful TCM contact attempts for {g.nm(p, 'LF')} (MRN {p.mrn}), discharged "
            f"{g.date(dc)} from {hosp[0]} after {dx}.\n{attempts}\n\nPhone on file {p.phone}; "
            f"address {p.address}. Sending a letter and flagging for CHW home visit. Appt {g.date(fu)} still "
            f"stands.\n\n{nurse}\n{title}"
        )
        return phi(f"TCM attempts x2 - {g.nm(p, 'lf')}", body)
    body = (
        f"TCM done {g.nm(p, 'init')} ({p.mrn}) - d/c {g.date(dc, 'us')} {hosp[1]}, {dx}. "
        f"{changes[0]}. f/u {g.date(fu, 'dow')} w/ {prov.show(0)}, {code} eligible.\n\n- {nurse.split()[0]}"
    )
    return phi(subject, body)


CCM_ACTIVITIES = (
    "phone call w/ patient - symptom review",
    "care plan update",
    "med reconciliation after specialist visit",
    "coordinated home health orders",
    "called pharmacy re: prior auth",
    "reviewed RPM readings, called patient",
    "arranged transportation to cardiology",
    "call with daughter/caregiver",
    "faxed records to nephrology",
    "reviewed labs with PCP, relayed to patient",
)


def ccm_time_log(g: Gen) -> Mail:
    """A chronic care management monthly time log (99490/99439), a billing batch of CCM
    patients, or a biller's query about a patient's missing minutes."""
    v = g.variant(3)
    last = g.when_sent.date().replace(day=1) - dt.timedelta(days=1)
    month = last.strftime("%B %Y")

    def in_month() -> dt.date:
        return last.replace(day=g.rng.randint(1, last.day))

    if v == 0:
        p = g.p
        nurse = g.staff()
        g.send(nurse, PRACTICE)
        g.to_box(g.pick("billing", "ccm.billing", "revcycle"))
        conds = g.chronic(g.rng.randint(2, 4))
        entries = []
        total = 0
        for d in sorted(in_month() for _ in range(g.rng.randint(3, 6))):
            mins = g.rng.choice((5, 8, 10, 12, 15, 18, 20, 25))
            total += mins
            entries.append(
                (
                    g.date(d, "us"),
                    g.pick(nurse.split()[0], g.st.first_name()),
                    str(mins),
                    g.rng.choice(CCM_ACTIVITIES),
                )
            )
        extra = max(0, (total - 20) // 20)
        codes = "99490" + (f" + 99439 x{extra}" if extra else "")
        body = (
            f"CCM monthly log - {month}\n\nPatient: {g.nm(p)}\nMRN: {p.mrn}    DOB: {g.dob(p)}\n"
            f"Consent on file: {g.date(g.day(-400, -60))} ({g.pick('verbal', 'written')})\n"
            f"Qualifying conditions: "
            + "; ".join(f"{n} ({c})" for n, c in conds)
            + "\n\n"
            + text_table(("Date", "Staff", "Min", "Activity"), entries)
            + f"\n\nTotal clinical staff time: {total} min -> bill {codes}\n"
            f"Care plan reviewed/revised: {g.pick('yes', 'yes', 'no - due next month')}\n\n{nurse}"
        )
        return phi(
            g.pick(
                f"CCM time {month} - {g.nm(p, 'LF')}", f"CCM log {p.mrn}", "CCM minutes for billing"
            ),
            body,
        )
    if v == 1:
        lead = g.staff()
        g.send(lead, PRACTICE)
        g.to = g.pick(f"billing@{PRACTICE}", f"rcm-team@{PRACTICE}")
        pts = g.others(g.rng.randint(4, 9))
        rows = []
        for p in pts:
            mins = g.rng.randint(20, 75)
            c = g.rng.choice(CHRONIC)
            codes = "99490" + ("+99439" * ((mins - 20) // 20))
            rows.append(
                (g.nm(p), p.mrn, g.dob(p, "us0"), c[1], str(mins), codes, g.pick("Y", "Y", "N"))
            )
        inner = (
            paras(f"CCM claims ready for {month}. Time validated against the care-management module; "
                  "rows marked N need the care plan signed before release.")
            + html_table(("Patient", "MRN", "DOB", "Primary dx", "Min", "Codes", "Care plan signed"), rows)
            + paras(f"Thanks, {lead.split()[0]}")
        )  # fmt: skip
        return phi(
            f"CCM billing batch - {month} ({len(rows)} pts)",
            html_page("CCM Billing Batch", inner),
            html=True,
        )
    p = g.p
    biller = g.staff()
    g.send(biller, PRACTICE)
    nurse = g.staff()
    g.to_person(nurse, PRACTICE)
    mins = g.rng.randint(11, 19)
    body = (
        f"Hi {nurse.split()[0]},\n\nI'm holding the {month} CCM claim for {g.nm(p, 'LF')} (acct {p.mrn}, "
        f"DOB {g.dob(p)}). Only {mins} minutes are logged and 99490 needs 20. Was there time on "
        f"{g.date(in_month(), 'us')} for the call about {g.pick('the cardiology referral', 'the insulin refill', 'home oxygen', 'the swelling in her legs' if g.p.sex == 'F' else 'his leg swelling')} that didn't get entered?\n\n"
        f"If not I'll drop it for the month.\n\n{biller}\nBilling Specialist"
    )
    return phi(f"CCM - {p.mrn} under 20 min", body)


def rpm_reading(g: Gen, kind: str) -> tuple[str, str, str, list[str]]:
    """(alert label, value, threshold, recent values) for a remote-monitoring alert."""
    rng = g.rng
    if kind == "bp":
        s, d = rng.randint(168, 204), rng.randint(92, 118)
        recent = [f"{rng.randint(128, 170)}/{rng.randint(70, 98)}" for _ in range(5)]
        return (
            "High blood pressure",
            f"{s}/{d} mmHg, HR {rng.randint(58, 104)}",
            "SBP > 160 or DBP > 100",
            recent,
        )
    if kind == "lowbp":
        s, d = rng.randint(78, 92), rng.randint(44, 58)
        recent = [f"{rng.randint(98, 128)}/{rng.randint(58, 80)}" for _ in range(5)]
        return "Low blood pressure", f"{s}/{d} mmHg", "SBP < 95", recent
    if kind == "glu_hi":
        v = rng.randint(312, 498)
        return (
            "High glucose",
            f"{v} mg/dL ({g.pick('fasting', 'post-meal', 'random')})",
            "> 300 mg/dL",
            [str(rng.randint(140, 290)) for _ in range(5)],
        )
    if kind == "glu_lo":
        v = rng.randint(38, 62)
        return (
            "Low glucose",
            f"{v} mg/dL",
            "< 70 mg/dL",
            [str(rng.randint(85, 190)) for _ in range(5)],
        )
    if kind == "wt":
        base = rng.randint(148, 262)
        gain = rng.choice((3.2, 3.6, 4.0, 4.4, 5.2, 6.0))
        return (
            "Weight gain",
            f"{base + gain:.1f} lb (+{gain} lb in 24 h)",
            "> 3 lb/24 h or 5 lb/7 d",
            [f"{base + rng.randint(-2, 1):.1f}" for _ in range(5)],
        )
    v = rng.randint(83, 88)
    return "Low SpO2", f"{v}%", "< 89%", [f"{rng.randint(90, 96)}%" for _ in range(5)]


def rpm_threshold_alert(g: Gen) -> Mail:
    """A remote-monitoring vendor's out-of-range alert (BP, glucose, weight, SpO2) for one
    enrolled patient, as a machine text alert, an HTML card or a nurse forwarding it."""
    p = g.p
    vendor, vdom = g.rng.choice(RPM_VENDORS)
    kind = g.pick("bp", "bp", "lowbp", "glu_hi", "glu_lo", "wt", "spo2")
    label, val, thr, recent = rpm_reading(g, kind)
    when = g.ago(10, 300)
    pid = g.digits(g.rng.choice((6, 7, 8)))
    prefix = {"bp": "BP", "lowbp": "BP", "glu_hi": "GL", "glu_lo": "GL", "wt": "SC"}.get(kind, "OX")
    serial = f"{prefix}{g.digits(2)}-{g.digits(6)}"
    prov = g.prov()
    g.send(f"{vendor} Alerts", vdom, f"{g.pick('alerts', 'no-reply', 'notifications')}@{vdom}")
    g.to = g.pick(f"rpm@{PRACTICE}", f"caremanagement@{PRACTICE}", g.addr(g.staff(), PRACTICE))
    sev = g.pick("CRITICAL", "HIGH", "Tier 2", "RED")
    v = g.variant(4)
    subject = g.pick(
        f"[{sev}] {label} - {p.family}, {p.given[0]}. (ID {pid})",
        f"RPM Alert: {label} for {g.nm(p, 'plain')}",
        f"{vendor}: out-of-range reading - patient {pid}",
        f"ALERT {sev} {label.upper()} {g.nm(p, 'LF')}",
    )
    if v == 0:
        body = (
            f"*** {vendor} CLINICAL ALERT ***\n\nSeverity: {sev}\nPatient: {g.nm(p, 'LF')}\nPatient ID: {pid}\n"
            f"DOB: {g.dob(p)}\nOrdering provider: {prov.show(3)}\nDevice: {serial}\n"
            f"Reading: {val}\nTaken: {g.stamp(when)}\nThreshold: {thr}\n"
            f"Last 5: {', '.join(recent)}\n\nCall patient at {p.phone}. Acknowledge in the portal within 60 minutes.\n\n"
            f"You receive this message because you are on the escalation list for {GROUP}."
        )
        return phi(subject, body)
    if v == 1:
        rows = [("Reading", val), ("Taken", g.stamp(when)), ("Threshold", thr), ("Device", serial),
                ("Recent", " | ".join(recent)), ("DOB", g.dob(p)), ("Phone", p.phone)]  # fmt: skip
        inner = (
            f'<p style="font-size:16px"><b>{h(label)}</b> - {h(g.nm(p))} '
            f'<span style="color:#a00">({h(sev)})</span></p>'
            + html_table(("Field", "Value"), rows)
            + f'<p><a href="https://portal.{vdom}/alerts/{g.digits(9)}">Open in portal</a></p>'
        )
        return phi(
            subject,
            html_page(
                f"{vendor} - Out of Range", inner, "Do not reply to this message.", "#8b1a1a"
            ),
            html=True,
        )
    if v == 2:
        nurse = g.staff()
        g.send(nurse, PRACTICE)
        g.to_person(prov.show(3), PRACTICE)
        note = g.pick(
            f"Called {g.hon(p)} - {g.pick('asymptomatic', 'had a headache, no chest pain', 'says she forgot her AM meds' if p.sex == 'F' else 'says he forgot his AM meds', 'felt shaky, drank juice, recheck 112')}. ",
            "No answer x2, LVM. ",
            f"Spoke with {g.pron(p)[1]} son; rechecked while on phone. ",
        )
        body = (
            f"{prov.show(0)} - FYI, see alert below. {note}Do you want any med change before the visit on "
            f"{g.date(g.day(4, 20))}?\n\n{nurse}\n\n"
            f"---------- Forwarded message ---------\nFrom: {vendor} Alerts <alerts@{vdom}>\n"
            f"Date: {g.stamp(when)}\nSubject: {label} - {p.family}, {p.given[0]}.\n\n"
            f"Patient: {g.nm(p, 'LF')} (ID {pid})\nReading: {val}\nThreshold: {thr}\nDevice {serial}"
        )
        return phi(f"FW: {label} - {p.family}, {p.given[0]}.", body)
    body = f"{label}: {val} at {g.stamp(when)}. Pt {g.nm(p, 'init')}, ID {pid}, DOB {g.dob(p)}. Threshold {thr}."
    return phi(subject, body)


def rpm_monthly_summary(g: Gen) -> Mail:
    """A monthly remote patient monitoring summary: one patient's readings, transmission days
    and interactive minutes for 99454/99457/99458, or a panel summary with a CSV."""
    vendor, vdom = g.rng.choice(RPM_VENDORS)
    period_end = (g.when_sent.replace(day=1) - dt.timedelta(days=1)).date()
    period = period_end.strftime("%B %Y")
    v = g.variant(3)
    if v < 2:
        p = g.p
        kind = g.pick("BP", "BP", "Glucose", "Weight")
        days = g.rng.randint(12, 30)
        mins = g.rng.randint(14, 52)
        if kind == "BP":
            avg = f"{g.rng.randint(126, 152)}/{g.rng.randint(72, 90)} mmHg"
            rng_ = f"{g.rng.randint(104, 124)}/{g.rng.randint(60, 70)} - {g.rng.randint(158, 186)}/{g.rng.randint(90, 104)}"
        elif kind == "Glucose":
            avg = f"{g.rng.randint(128, 210)} mg/dL"
            rng_ = f"{g.rng.randint(62, 100)} - {g.rng.randint(240, 380)} mg/dL"
        else:
            w = g.rng.randint(150, 260)
            avg = f"{w} lb"
            rng_ = f"{w - 3} - {w + 4} lb"
        codes = (
            (["99454"] if days >= 16 else [])
            + (["99457"] if mins >= 20 else [])
            + (["99458"] if mins >= 40 else [])
        )
        g.send(f"{vendor} Reports", vdom, f"reports@{vdom}")
        g.to = f"rpm@{PRACTICE}"
        dx = g.pick("I10", "E11.65", "I50.22", "I11.0")
        if v == 0:
            body = (
                f"{vendor} Monthly Patient Summary\nPeriod: {period}\n\n"
                f"Patient: {g.nm(p, 'LFm')}\nDOB: {g.dob(p)}\nMRN: {p.mrn}\nEnrolling dx: {dx}\n"
                f"Device: {kind} ({g.pick('cellular', 'Bluetooth hub')})\n\n"
                f"Days with transmission: {days}/{period_end.day}\nAverage: {avg}\nRange: {rng_}\n"
                f"Alerts: {g.rng.randint(0, 6)}\nInteractive communication: {mins} min\n"
                f"Billable: {', '.join(codes) if codes else 'none (thresholds not met)'}\n\n"
                f"Clinician notes: {g.pick('Trending down since amlodipine increased.', 'Misses weekend readings.', 'Stable.', 'Two hypoglycemia alerts, both pre-breakfast.')}"
            )
            return phi(f"RPM summary {period} - {g.nm(p, 'LF')}", body)
        body = f"Attached is the {period} RPM report for {g.nm(p)}.\n\n- {vendor} Reports"
        att = (
            f"PATIENT,{g.nm(p, 'LF').replace(',', '')}\nDOB,{g.dob(p, 'us0')}\nMRN,{p.mrn}\nDX,{dx}\n\n"
            "DATE,TIME,READING\n"
            + "".join(
                f"{(period_end - dt.timedelta(days=i)).strftime('%m/%d/%Y')},{g.clock()},"
                f"{g.rng.randint(118, 168)}/{g.rng.randint(68, 98)}\r\n"
                for i in range(min(days, 12))
            )
        )
        return phi(f"{vendor} report {period}", body, where=("body", "attachment"),
                   attachments=[(f"rpm_{slug(p.family)}_{period_end:%Y%m}.csv", "text/csv", ascii_bytes(att))])  # fmt: skip
    lead = g.staff()
    g.send(lead, PRACTICE)
    g.to = formataddr((g.pcp(), f"providers@{PRACTICE}"))
    pts = g.others(g.rng.randint(5, 10))
    rows = []
    for p in pts:
        days = g.rng.randint(6, 30)
        rows.append((g.nm(p), p.mrn, g.pick("BP", "BP", "GLU", "WT"), str(days), str(g.rng.randint(0, 45)),
                     g.pick("at goal", "above goal", "improving", "non-adherent to readings")))  # fmt: skip
    body = (
        f"RPM panel summary for {period}. {sum(1 for r in rows if int(r[3]) < 16)} patients had fewer than 16 "
        "days of readings - please encourage daily use at visits.\n\n"
        + text_table(("Patient", "MRN", "Type", "Days", "Min", "Status"), rows)
        + f"\n\n{lead}\nRPM Program Coordinator"
    )
    return phi(f"RPM monthly panel review - {period}", body)


def awv_outreach(g: Gen) -> Mail:
    """Medicare annual wellness visit outreach: a mail to the patient with the booked visit and
    the pre-visit questionnaire, a pre-visit health risk assessment summary, or an outreach log."""
    p = g.p
    v = g.variant(4)
    appt = g.day(5, 45)
    prov = g.prov()
    if v == 0:
        clerk = g.staff()
        g.send(f"{GROUP}", PRACTICE, f"{g.pick('wellness', 'noreply', 'appointments')}@{PRACTICE}")
        g.to = formataddr((p.full, p.email))
        body = (
            f"Dear {g.pick(p.given, g.hon(p), p.full)},\n\nThis is a reminder of your Medicare Annual Wellness Visit:\n\n"
            f"  Patient:   {g.pick(p.full, p.full.upper(), g.nm(p, 'lf'))}\n  Date:      {g.date(appt, 'long')} at {g.clock()}\n"
            f"  Provider:  {prov.show(3)}\n  Location:  {GROUP}, {g.site[0]} office\n\n"
            "The Annual Wellness Visit is covered by Medicare with no copay. It is a planning visit, not a "
            "head-to-toe physical. Please bring all of your medicine bottles, your glasses or hearing aids, and a "
            "list of your other doctors.\n\nBefore your visit please complete the Health Risk Assessment in the "
            f"patient portal (about 15 minutes): https://portal.{PRACTICE}/hra?p={g.digits(8)}\n\n"
            f"Your Medicare ID on file ends in {p.mbi[-4:]}. If that is not correct, bring your red, white and blue card.\n\n"
            f"Questions or need to reschedule? Call {g.org_phone()}.\n\n{clerk}\nPatient Access Team\n{GROUP}"
        )
        return phi(
            g.pick(
                "Your Annual Wellness Visit is coming up",
                f"Reminder: Wellness visit {g.date(appt, 'dow')}",
                "Action needed before your Medicare wellness visit",
            ),
            body,
        )
    if v == 1:
        ma = g.staff()
        g.send(ma, PRACTICE)
        g.to_person(prov.show(3), PRACTICE)
        falls = g.rng.randint(0, 3)
        answers = [
            ("Self-rated health", g.pick("fair", "good", "poor", "very good")),
            ("Falls past 12 months", str(falls) + (" (one with injury)" if falls > 1 else "")),
            ("Fear of falling", g.pick("yes", "no")),
            ("PHQ-2", f"{g.rng.randint(0, 6)}/6"),
            ("Help with ADLs", g.pick("none", "bathing", "dressing, bathing")),
            (
                "Lives",
                g.pick("alone", "with spouse", "with daughter's family", "in senior apartment"),
            ),
            ("Hearing difficulty", g.pick("yes", "no")),
            ("Urinary leakage", g.pick("yes", "no", "sometimes")),
            (
                "Advance directive on file",
                g.pick("no", "yes - scanned " + g.date(g.day(-900, -100)), "unsure"),
            ),
            ("Tobacco", g.pick("never", "former, quit 1998", "current 1/2 ppd")),
        ]
        body = (
            f"Pre-visit HRA for the AWV on {g.date(appt)}:\n{g.nm(p)} - DOB {g.dob(p)} - MRN {p.mrn}\n\n"
            + "\n".join(f"{k}: {a}" for k, a in answers)
            + f"\n\nDue: {g.pick('pneumococcal PCV20', 'Shingrix #2', 'DEXA', 'colon screen (Cologuard)', 'diabetic eye exam')}, "
            f"{g.pick('mammogram', 'AAA screen', 'hep C screen', 'flu shot')}\n\n{ma}, CMA"
        )
        return phi(
            g.pick(f"HRA - {g.nm(p, 'LF')}", f"AWV prep {p.mrn}", "pre-visit questionnaire"), body
        )
    if v == 2:
        chw = g.staff()
        g.send(chw, PRACTICE)
        g.to = f"popheath@{PRACTICE}"
        pts = g.others(g.rng.randint(4, 8))
        outcomes = (
            "scheduled",
            "LVM",
            "declined - sees other PCP",
            "scheduled",
            "no answer",
            "wrong #",
            "call back after surgery",
        )
        rows = []
        for q in pts:
            out = g.rng.choice(outcomes)
            rows.append(
                (
                    g.nm(q, "lf"),
                    g.dob(q, "us0"),
                    q.phone,
                    out,
                    g.date(g.day(3, 50), "us") if out == "scheduled" else "",
                )
            )
        body = (
            f"AWV outreach calls {g.date(g.when_sent.date())} - {g.site_name()}\n\n"
            + text_table(("Name", "DOB", "Phone", "Outcome", "AWV date"), rows)
            + f"\n\n{sum(1 for r in rows if r[3] == 'scheduled')} booked. Will retry the LVMs Thursday.\n{chw.split()[0]}"
        )
        return phi("AWV outreach log", body)
    g.send(g.staff(), PRACTICE)
    g.to = formataddr((p.full, p.email))
    body = (
        f"Hi {p.given},\n\nOur records show you're due for your {BASE.year} Medicare Annual Wellness Visit "
        f"(your last one was {g.date(g.day(-520, -380), 'long')}). Reply to this email or call "
        f"{g.org_phone()} and we'll find a time that works.\n\nThanks!\n{g.site_name()}\n\n"
        f"This message is intended for {p.full}. If you are not {p.given}, please delete it and let us know."
    )
    return phi("You're due for your Medicare wellness visit", body)


def hcc_coding_query(g: Gen) -> Mail:
    """A risk-adjustment coder's pre-visit query to a PCP: suspected HCCs for a patient with
    the supporting evidence and ICD-10 codes, or a week's pre-visit suspect list."""
    coder = g.staff()
    cred = g.pick("CPC, CRC", "CRC", "RHIT, CRC", "CCS-P")
    g.send(f"{coder}, {cred}", PRACTICE)
    prov = g.prov()
    g.to_person(prov.show(3), PRACTICE)

    def ev(s: str) -> str:
        return s.format(
            egfr=g.rng.randint(31, 44), egfr2=g.rng.randint(30, 44), d1=g.date(g.day(-300, -100)),
            d2=g.date(g.day(-90, -5)), yr=BASE.year - g.rng.randint(1, 3), ef=g.rng.randint(40, 55),
            fills=g.rng.randint(3, 8), bmi=f"{g.rng.randint(400, 480) / 10:.1f}", phq=g.rng.randint(11, 19),
            moca=g.rng.randint(16, 23),
        )  # fmt: skip

    v = g.variant(4)
    if v < 3:
        p = g.p
        sus = g.rng.sample(HCC_SUSPECTS, g.rng.randint(1, 3))
        visit = g.day(1, 14)
        subject = g.pick(
            f"HCC query - {g.nm(p, 'LF')} - appt {g.date(visit, 'us')}",
            f"Risk adjustment: suspected conditions for {p.mrn}",
            f"Documentation opportunity {g.nm(p, 'fi')}",
            "Pre-visit coding query",
        )
        if v == 0:
            body = (
                f"{prov.show(0)},\n\n{g.nm(p)} (MRN {p.mrn}, DOB {g.dob(p)}) is on your schedule {g.date(visit)}. "
                "Based on claims, labs and meds, the following conditions may be present but have not been "
                f"documented and coded in {BASE.year}:\n\n"
                + "\n".join(
                    f"{i + 1}. {c} {n} - suggested {icd}\n   Evidence: {ev(e)}"
                    for i, (c, n, icd, e) in enumerate(sus)
                )
                + "\n\nIf clinically appropriate, please assess and document (MEAT: monitor, evaluate, assess, "
                "treat) in the note. If the condition is resolved or not supported, just reply 'not supported' "
                "so we can close the suspect.\n\nThis is not a request to document any particular diagnosis.\n\n"
                + g.sign(coder, "Risk Adjustment Coding", GROUP)
            )
            return phi(subject, body)
        if v == 1:
            rows = [(c, n, icd, ev(e)) for c, n, icd, e in sus]
            inner = (
                f"<p><b>Patient:</b> {h(g.nm(p, 'LF'))} &nbsp; <b>DOB:</b> {h(g.dob(p))} &nbsp; "
                f"<b>MRN:</b> {h(p.mrn)} &nbsp; <b>Plan:</b> {h(g.payer[1])} ({h(p.member_id)})</p>"
                + html_table(("HCC", "Description", "ICD-10", "Clinical indicator"), rows)
                + paras(f"Visit: {g.date(visit)} with {prov.show(3)}", "Please respond in the EHR query inbox or reply here.", f"{coder}, {cred}")
            )  # fmt: skip
            return phi(
                subject,
                html_page("Risk Adjustment Documentation Query", inner, color="#4b3b6e"),
                html=True,
            )
        c, n, icd, e = sus[0]
        body = (
            f"Quick one - {g.nm(p, 'init')} ({p.mrn}) seen {g.date(g.day(-12, -2), 'us')}: note says "
            f'"{n.split(",")[0].split(" with")[0].lower()}" in the HPI but A/P doesn\'t address it. '
            f"{ev(e)}. Can you addend if {icd} ({n}) is supported? Thx\n{coder.split()[0]}"
        )
        return phi(subject, body)
    pts = g.others(g.rng.randint(4, 8))
    plan = []
    for q in pts:
        c, n, icd, _ = g.rng.choice(HCC_SUSPECTS)
        plan.append(
            (
                g.date(g.day(1, 7), "dow"),
                g.nm(q, "lf"),
                q.mrn,
                f"{c} {n}",
                icd,
                f"{g.rng.randint(80, 290) / 100:.2f}",
            )
        )
    body = (
        f"Pre-visit suspect list for next week ({prov.show(0)}). RAF is the current {BASE.year} model score.\n\n"
        + text_table(("Appt", "Patient", "MRN", "Suspect", "ICD-10", "RAF"), plan)
        + f"\n\nFull detail sits in each chart's pre-visit note.\n{coder}, {cred}"
    )
    return phi("Next week's HCC suspects", body)


def high_utilizer_list(g: Gen) -> Mail:
    """The ACO's or a payer's high-utilizer / frequent-ED cohort for care-management outreach,
    as a table, a CSV with a cover note, or one patient flagged by a care manager."""
    v = g.variant(4)
    if v == 3:
        p = g.p
        cm = g.staff()
        g.send(cm, PRACTICE)
        g.to = g.pick(f"caremgmt-team@{PRACTICE}", formataddr((g.pcp(), f"providers@{PRACTICE}")))
        n = g.rng.randint(4, 9)
        body = (
            f"Heads up - {g.hon(p)} ({g.nm(p, 'LF')}, {p.mrn}) was in the {g.rng.choice(HOSPITALS)[1]} ED again last night, "
            f"that's {n} visits in 90 days, all {g.pick('chest pain - negative workups', 'COPD/SOB', 'falls', 'abdominal pain', 'anxiety/panic')}. "
            f"{g.pick('Lives alone, no car.', 'Daughter says she cannot get through on our phone line.', 'Not on any maintenance inhaler per fills.', 'Missed the last two PCP visits.')}\n\n"
            f"I'd like to enroll {'him' if p.sex == 'M' else 'her'} in complex CM and do a home visit. Cell {p.phone}.\n\n{cm}"
        )
        return phi(
            g.pick(
                f"ED frequent visitor - {g.nm(p, 'init')}",
                f"{p.family} - ED x{n}",
                "frequent ED user, needs CM",
            ),
            body,
        )
    analyst = g.staff()
    src = g.pick("aco", "payer")
    dom = ACO_DOMAIN if src == "aco" else g.payer[2]
    org = ACO_NAME if src == "aco" else g.payer[0]
    g.send(analyst, dom)
    g.to = f"caremgmt-team@{PRACTICE}"
    pts = g.others(g.rng.randint(5, 10))
    rows = []
    for q in pts:
        ed, ip = g.rng.randint(3, 14), g.rng.randint(0, 5)
        ident = q.mbi if src == "aco" else q.member_id
        rows.append((g.nm(q), ident, g.dob(q, "us0"), str(ed), str(ip), g.rng.choice(CHRONIC)[0],
                     f"{g.rng.randint(150, 520) / 100:.2f}", g.pick("", "", g.staff().split()[0])))  # fmt: skip
    idname = "MBI" if src == "aco" else "Member ID"
    subject = g.pick(
        f"High utilizer cohort - {g.when_sent:%B} - {g.site_name()}",
        f"{org.split(' (')[0]}: high-utilizer list (rolling 12 mo)",
        "ED 4+ visits, needs outreach",
    )
    intro = g.pick(
        "Members with 4+ ED visits or 2+ inpatient admits in the rolling 12 months, ranked by predicted cost. "
        "Unassigned rows need a care manager.",
        "Here is this month's high-utilizer cohort. Please prioritize anyone not yet engaged.",
    )
    hdr = ("Name", idname, "DOB", "ED 12m", "IP 12m", "Top condition", "Risk", "CM")
    if v == 0:
        inner = (
            paras(intro)
            + html_table(hdr, rows)
            + paras(g.sign(analyst, "Population Health Analyst", org))
        )
        return phi(
            subject,
            html_page(
                f"{org} - High Utilizers", inner, "Minimum necessary - care coordination use only."
            ),
            html=True,
        )
    if v == 1:
        body = f"{intro}\n\n{text_table(hdr, rows)}\n\n{g.sign(analyst, 'Analytics', org)}{g.conf('payer')}"
        return phi(subject, body)
    data = csv_bytes(hdr, rows)
    body = (
        f"{intro}\n\n{len(rows)} members this month. Password sent separately.\n\n{analyst}\n{org}"
    )
    return phi(subject, body, where=("attachment",),
               attachments=[(f"high_util_{g.when_sent:%Y%m}.csv", "text/csv", data)])  # fmt: skip


ADT_EVENTS = (
    ("A01", "Inpatient Admission", "Admit"),
    ("A03", "Inpatient Discharge", "Discharge"),
    ("A04", "Emergency Department Registration", "ED Visit"),
    ("A03", "ED Discharge", "ED Discharge"),
    ("A06", "Observation to Inpatient", "Status Change"),
)
DISPOSITIONS = (
    "Home/self-care",
    "Home with home health",
    "SNF",
    "Inpatient rehab",
    "Left AMA",
    "Hospice - home",
    "Admitted",
)


def adt_event_notification(g: Gen) -> Mail:
    """An HIE encounter-notification (ADT) mail to the care-management inbox: one admit, ED or
    discharge event, a daily digest of events, or a terse line with the name only in the subject."""
    hie, hdom = g.rng.choice(
        (
            ("Keystone Regional HIE", "krhie.example"),
            ("CareSignal Encounter Alerts", "caresignal.example"),
            (f"{ACO_NAME} ADT Feed", ACO_DOMAIN),
        )
    )
    g.send(hie, hdom, f"{g.pick('encounters', 'adt-alerts', 'ens-noreply')}@{hdom}")
    g.to = g.pick(f"caremanagement@{PRACTICE}", f"tcm@{PRACTICE}", f"adt.inbox@{PRACTICE}")
    v = g.variant(4)
    if v < 2 or v == 3:
        p = g.p
        code, ev, short = g.rng.choice(ADT_EVENTS)
        hosp = g.rng.choice(HOSPITALS)
        t = g.ago(30, 900)
        cc = g.pick(
            *DISCHARGE_DX,
            "shortness of breath",
            "chest pain",
            "weakness",
            "fall at home",
            "altered mental status",
        )
        prov = g.prov()
        if v == 3:
            subject = f"{short}: {p.family.upper()}, {p.given.upper()} {g.dob(p, 'us0')}"
            body = f"{hosp[0]} | {ev} | {g.stamp(t)} | {cc}\nLog in to the HIE portal for details."
            return phi(subject, body, where=("subject", "body"))
        subject = g.pick(
            f"Encounter Notification - {short} - {g.nm(p, 'LF')}",
            f"ENS: {ev} ({hosp[1]})",
            f"[ADT {code}] {p.family}, {p.given} - {hosp[1]}",
        )
        fields = [
            ("Event", f"{ev} ({code})"), ("Event time", g.stamp(t)), ("Facility", hosp[0]),
            ("Patient", g.nm(p, "LFm")), ("DOB", g.dob(p)), ("Sex", p.sex),
            ("Facility MRN", g.digits(8)), ("Address", p.address), ("Phone", p.phone),
            ("Chief complaint / Dx", cc), ("Attending", f"{g.st.last_name()}, {g.st.first_name()} MD"),
            ("Attributed PCP", prov.show(3)), ("Payer", f"{g.payer[0]} {p.member_id}"),
        ]  # fmt: skip
        if code == "A03":
            fields.append(("Disposition", g.rng.choice(DISPOSITIONS)))
        if v == 0:
            body = "\n".join(f"{k}: {val}" for k, val in fields) + (
                "\n\nThis notification was generated automatically from ADT messages received from the "
                "facility. Patient attribution is based on your submitted panel."
            )
            return phi(subject, body)
        inner = html_table(("", ""), [(k, val) for k, val in fields]) + paras(
            "TCM reminder: interactive contact within 2 business days of discharge."
        )
        return phi(
            subject,
            html_page(f"{hie}", inner, "Confidential health information.", "#0b5563"),
            html=True,
        )
    pts = g.others(g.rng.randint(3, 9))
    rows = []
    for q in pts:
        code, ev, short = g.rng.choice(ADT_EVENTS)
        rows.append((g.stamp(g.ago(60, 1440)), short, g.nm(q, "LF"), g.dob(q, "us0"), g.rng.choice(HOSPITALS)[1],
                     g.pick(*DISCHARGE_DX[:8], "SOB", "fall", "CP")))  # fmt: skip
    body = (
        f"Daily encounter digest for {GROUP} ({len(rows)} events, 24 h ending {g.stamp()}):\n\n"
        + text_table(("Time", "Event", "Patient", "DOB", "Fac", "Reason"), rows)
        + "\n\nManage subscriptions in the HIE portal."
    )
    return phi(g.pick("Daily ADT digest", f"Encounter digest {g.date(g.when_sent.date())}"), body)


def home_visit_note(g: Gen) -> Mail:
    """A care manager's or community health worker's home-visit note to the PCP and team, in
    SOAP sections, free narrative, or a short checklist."""
    p = g.p
    cm = g.staff()
    title = cm_title(g.rng)
    g.send(cm, PRACTICE)
    prov = g.prov()
    g.to_person(prov.show(3), PRACTICE)
    visit = g.day(-3, 0)
    conds = g.chronic(g.rng.randint(2, 3))
    meds = g.meds(g.rng.randint(3, 6))
    bp = g.bp()
    issues = g.rng.sample(
        (
            "throw rugs in hallway, no grab bars in bathroom",
            "fridge nearly empty, relies on neighbor for groceries",
            f"found two bottles of {meds[0][0]} (old and new strength) - removed old one",
            "pill organizer not being used; adult son fills it Sundays",
            "space heater near bed; smoke detector without battery",
            "stairs to bedroom, sleeping in recliner downstairs",
            "glucometer strips expired",
            f"has not started {meds[1][0]} - did not understand instructions",
            "oxygen concentrator filter dirty, tubing kinked",
            "caregiver (spouse) appears exhausted, asked about respite",
        ),
        g.rng.randint(2, 4),
    )
    subject = g.pick(
        f"Home visit {g.date(visit, 'us')} - {g.nm(p, 'LF')}",
        f"HV note: {g.nm(p, 'plain')}",
        f"Home visit summary {p.mrn}",
        "home visit today",
    )
    v = g.variant(3)
    if v == 0:
        body = (
            f"HOME VISIT NOTE\nPatient: {g.nm(p)}   DOB: {g.dob(p)}   MRN: {p.mrn}\n"
            f"Address: {p.address}\nDate/time: {g.date(visit)} {g.clock()}\nPresent: patient, "
            f"{g.pick('spouse', 'daughter', 'home aide', 'no one else')}\n\n"
            f"S: {g.pick('Reports more fatigue this week.', 'No complaints, wants to stay home.', 'Worried about bills.', 'Two near-falls since last visit.')}\n"
            f"O: BP {bp}, HR {g.rng.randint(58, 98)}, SpO2 {g.rng.randint(90, 98)}%, wt {g.rng.randint(120, 260)} lb. "
            f"{g.pick('Trace ankle edema.', 'Lungs with scattered wheeze.', 'Alert, oriented x3.', 'Gait unsteady with cane.')}\n"
            f"A: {', '.join(n for n, _ in conds)}. Home concerns: " + "; ".join(issues) + ".\n"
            f"P: Med list reconciled ({len(meds)} meds: "
            + ", ".join(f"{m} {d}" for m, d in meds)
            + "). "
            f"{g.pick('PT referral for home safety eval', 'Referral to Area Agency on Aging', 'Will bring grab bars order to PCP', 'Follow-up call in 1 week')}.\n\n"
            f"{cm}, {title}"
        )
        return phi(subject, body + g.conf())
    if v == 1:
        pr, pos = g.pron(p)
        body = (
            f"Hi {prov.show(0)},\n\nI saw {g.hon(p)} at home on {g.date(visit)} ({p.street}). {pr.capitalize()} was "
            f"{g.pick('in good spirits', 'tearful at times', 'more short of breath than last month', 'pleasant but forgetful')}. "
            f"BP {bp}. Things I noticed: "
            + "; ".join(issues)
            + f". {pos.capitalize()} {conds[0][0][0].lower() + conds[0][0][1:] if conds[0][0][:2].istitle() else conds[0][0]} seems "
            f"{g.pick('stable', 'worse', 'better controlled')}.\n\nCould you sign the order for "
            f"{g.pick('a shower chair and grab bars', 'home PT', 'a new glucometer', 'home health nursing')}? "
            f"Next visit {g.date(g.day(7, 30))}.\n\n" + g.sign(cm, title, GROUP)
        )
        return phi(subject, body)
    checks = [
        ("Med review", "done"), ("Fall hazards", issues[0]), ("Food", g.pick("adequate", "insufficient - referral")),
        ("BP", bp), ("Next appt", f"{g.date(g.day(3, 30))} {prov.show(0)}"),
    ]  # fmt: skip
    body = (
        f"{g.nm(p, 'LF')} ({g.dob(p)}) - home visit done.\n"
        + "\n".join(f"[x] {k}: {val}" for k, val in checks)
        + f"\n{cm.split()[0]}"
    )
    return phi(subject, body)


SDOH_NEEDS = (
    (
        "food",
        "Food insecurity",
        "Z59.41",
        "Within the past 12 months the food we bought just didn't last and we didn't have money to get more: Often true",
    ),
    (
        "housing",
        "Housing instability",
        "Z59.811",
        "Worried about losing housing in the next 2 months: Yes (eviction notice received)",
    ),
    (
        "housing",
        "Inadequate housing",
        "Z59.10",
        "Problems with pests, mold, no working heat: Yes - no heat",
    ),
    (
        "transport",
        "Transportation insecurity",
        "Z59.82",
        "Lack of transportation kept you from medical appointments: Yes",
    ),
    (
        "utility",
        "Utility insecurity",
        "Z59.12",
        "Electric/gas company threatened to shut off services: Already shut off",
    ),
    ("food", "Food insecurity", "Z59.41", "Hunger Vital Sign positive (2/2)"),
)


PROGRAMS = {
    "food": ("Emergency food box", "Medically tailored meals (12 weeks)"),
    "housing": ("Rental assistance", "Housing navigation"),
    "transport": ("Ride program", "Medical transportation vouchers"),
    "utility": ("LIHEAP application help", "Crisis utility grant"),
}


def sdoh_referral(g: Gen) -> Mail:
    """An SDOH screening result with a referral to a community organisation: the care team's
    referral mail, a closed-loop platform's status update, or the internal screening summary."""
    p = g.p
    need = g.rng.choice(SDOH_NEEDS)
    cands = [c for c in CBOS if c[2] == need[0]] or list(CBOS)
    cbo, cdom, _ = g.rng.choice(cands)
    chw = g.staff()
    v = g.variant(3)
    conds = g.chronic(2)
    if v == 0:
        g.send(chw, PRACTICE)
        g.to = g.pick(f"intake@{cdom}", f"referrals@{cdom}")
        body = (
            f"Hello {cbo} intake team,\n\nI am a {g.pick('community health worker', 'care coordinator', 'social worker')} at "
            f"{GROUP} and would like to refer our patient for {need[1].lower()} support.\n\n"
            f"Name: {g.nm(p)}\nDOB: {g.dob(p)}\nPhone: {p.phone}\nAddress: {p.address}\n"
            f"Preferred language: {g.pick('English', 'Spanish', 'Vietnamese', 'Arabic', 'Russian', 'Korean', 'English')}\n"
            f"Household: {g.pick('lives alone', '2 adults', 'patient + 2 grandchildren', 'patient and disabled spouse')}\n"
            f"Screening ({g.date(g.day(-10, -1))}): {need[3]}\n"
            f"Health: {conds[0][0].lower()}"
            + (
                f" - {g.pick('diabetic-friendly', 'low-sodium', 'renal')} foods would help"
                if need[0] == "food"
                else ""
            )
            + "\n\nThe patient agreed to this referral and to being contacted. Please let me know once enrolled.\n\n"
            + g.sign(chw, g.pick("Community Health Worker", "Care Coordinator", "LCSW"), GROUP)
        )
        return phi(
            g.pick(
                f"Referral - {need[1]} - {p.family}",
                "New referral from Keystone Valley Primary Care",
                f"Referral for {g.nm(p, 'plain')}",
            ),
            body,
        )
    if v == 1:
        plat = g.pick("LinkCare Network", "CommunityBridge", "ReferralLoop")
        pdom = f"{slug(plat)}.example"
        g.send(plat, pdom, f"notifications@{pdom}")
        g.to = formataddr((chw, g.addr(chw, PRACTICE)))
        status = g.pick(
            "Accepted",
            "Client enrolled",
            "Unable to contact client",
            "Service episode closed - resolved",
            "Declined by client",
        )
        rid = f"{g.pick('RF', 'R-', 'LN')}{g.digits(7)}"
        body = (
            f"Referral {rid} status changed: {status}\n\nClient: {g.nm(p, 'LF')}\nDOB: {g.dob(p)}\n"
            f"Program: {cbo} - {PROGRAMS[need[0]][g.variant(2)]}\n"
            f"Need: {need[1]} ({need[2]})\nUpdated by: {g.staff()} at {cbo}\nNote: "
            f"{g.pick('First delivery scheduled Tuesday.', 'Left 3 voicemails.', 'Client approved for 3 months.', 'Client moved, new address unknown.')}\n\n"
            f"View in {plat}: https://app.{pdom}/r/{rid}"
        )
        return phi(f"[{plat}] Referral {rid}: {status}", body)
    g.send(chw, PRACTICE)
    g.to_person(g.pcp(), PRACTICE)
    answers = g.rng.sample(SDOH_NEEDS, 2)
    body = (
        f"SDOH screen (AHC HRSN) for {g.nm(p)}, MRN {p.mrn}, at {g.pick('AWV', 'TCM visit', 'CCM intake', 'home visit')} "
        f"{g.date(g.day(-7, 0))}:\n\n"
        + "\n".join(f"- {a[1]}: positive ({a[2]})" for a in answers)
        + f"\n- Interpersonal safety: negative\n\nReferred to {cbo}. Please add {answers[0][2]} to the problem list "
        f"at the {g.date(g.day(3, 30), 'us')} visit.\n\n{chw}"
    )
    return phi(
        g.pick("SDOH screen positive", f"HRSN results - {p.mrn}", f"SDOH - {g.nm(p, 'LF')}"), body
    )


def pharmacist_pdc_outreach(g: Gen) -> Mail:
    """The embedded clinical pharmacist's medication-adherence (PDC) work: a call note and a
    request to the PCP, or a payer's list of members at risk of falling under 80% PDC."""
    v = g.variant(3)
    drug_class = g.pick("statin", "RAS antagonist", "diabetes")
    drug = {
        "statin": ("atorvastatin", "40 mg"),
        "RAS antagonist": ("losartan", "50 mg"),
        "diabetes": ("metformin ER", "500 mg"),
    }[drug_class]
    if v < 2:
        p = g.p
        pharm = g.staff()
        g.send(f"{pharm}, PharmD", PRACTICE)
        prov = g.prov()
        g.to_person(prov.show(3), PRACTICE)
        pdc = g.rng.randint(55, 79)
        last = g.day(-70, -35)
        barrier = g.pick(
            "cost - $47 copay in the coverage gap", "thinks she doesn't need it when BP is normal" if p.sex == "F" else "stops it when he feels fine",
            "muscle aches, stopped on own", "forgets evening doses", "pharmacy didn't auto-refill", "confused by two generics that look different",
        )  # fmt: skip
        if v == 0:
            body = (
                f"{prov.show(0)},\n\nAdherence outreach for {g.nm(p)} (DOB {g.dob(p)}; {g.payer[1]} {p.member_id}).\n\n"
                f"{drug[0]} {drug[1]}: PDC {pdc}% YTD, last fill {g.date(last)} for 30 days at "
                f"{g.pick('CVS', 'Giant Pharmacy', 'Weis Pharmacy', 'Rite Aid', 'Walmart')} - now {(g.when_sent.date() - last).days - 30} days past due.\n"
                f"Barrier per phone call {g.date(g.day(-3, 0))}: {barrier}.\n\n"
                f"Recommendation: new Rx for {drug[0]} {drug[1]} #90 with 3 refills to mail order; "
                + g.pick(
                    "switch to rosuvastatin 10 mg if myalgias persist.",
                    "set up auto-refill + blister packs.",
                    "check Extra Help (LIS) eligibility.",
                )
                + "\n\nIf you agree I'll pend the order for your signature.\n\n"
                + g.sign(pharm, "Clinical Pharmacist, Population Health", GROUP)
            )
            return phi(
                g.pick(
                    f"Adherence - {g.nm(p, 'LF')} - {drug[0]}",
                    f"PDC outreach {p.mrn}",
                    "Med adherence rec",
                ),
                body,
            )
        body = (
            f"Pharmacist telephone note\n{g.nm(p, 'LF')} | MRN {p.mrn} | {p.phone}\n\n"
            f"Reason: Part D {drug_class} adherence gap (PDC {pdc}%)\n"
            f"Outcome: {g.pick('reached patient', 'reached caregiver', 'LVM x2')}\nBarrier: {barrier}\n"
            f"Intervention: {g.pick('90-day supply requested', 'coordinated refill sync', 'educated on purpose of med', 'copay card not applicable (Medicare); referred to LIS')}\n"
            f"Time: {g.rng.randint(8, 25)} min\n\n{pharm}, PharmD"
        )
        return phi(f"Rx adherence call - {g.nm(p, 'fi')}", body)
    pname, pshort, pdom, _, _ = g.payer
    rep = g.staff()
    g.send(rep, pdom)
    g.to = f"pharmacy@{PRACTICE}"
    pts = g.others(g.rng.randint(4, 9))
    rows = []
    for q in pts:
        d2 = g.rng.choice(("D08", "D09", "D10"))
        nm = {
            "D08": "metformin",
            "D09": g.pick("lisinopril", "losartan"),
            "D10": g.pick("atorvastatin", "simvastatin"),
        }[d2]
        rows.append((q.member_id, g.nm(q, "LF"), g.dob(q, "us0"), d2, nm, f"{g.rng.randint(60, 84)}%",
                     g.date(g.day(-60, -20), "us0"), str(g.rng.randint(4, 40))))  # fmt: skip
    hdr = ("Member ID", "Member", "DOB", "Measure", "Drug", "PDC", "Last fill", "Days left to fail")
    body = (
        f"The members below are at risk of becoming non-adherent for {BASE.year} Part D Star measures. "
        "A 90-day fill now keeps most of them above 80%.\n\n"
        + text_table(hdr, rows)
        + f"\n\n{g.sign(rep, 'Pharmacy Quality Programs', pname)}{g.conf('payer')}"
    )
    return phi(f"{pshort} Part D adherence - at-risk members", body)


UM_SERVICES = (
    ("Inpatient stay (concurrent review)", "", "MCG Inpatient & Surgical Care",
     "today's progress note, vitals and current IV medications"),
    ("Home health - skilled nursing and PT", "G0299, G0151", "plan home health guideline",
     "the face-to-face encounter note documenting homebound status"),
    ("Hospital bed, semi-electric", "E0260", "LCD L33820",
     "a note documenting why positioning cannot be achieved in an ordinary bed"),
    ("Outpatient physical therapy, 12 visits", "97110, 97530", "plan PT/OT guideline",
     "the PT evaluation with objective measures (TUG, Berg)"),
    ("MRI lumbar spine without contrast", "72148", "plan advanced imaging criteria",
     "documentation of 6 weeks of conservative therapy"),
    ("Skilled nursing facility admission", "", "InterQual SNF criteria",
     "PT/OT notes from the last 48 hours and the discharge plan"),
    ("Continuous glucose monitor", "E2103, A4239", "LCD L33822",
     "the insulin regimen and a note from the last 6 months"),
    ("Home oxygen concentrator", "E1390", "LCD L33797",
     "oxygen saturation testing at rest and with exertion"),
)  # fmt: skip


def payer_um_review(g: Gen) -> Mail:
    """A Medicare Advantage plan's utilization-management nurse about one member: a request for
    clinicals on a pending authorization, a concurrent-review update or a determination notice."""
    p = g.p
    pname, pshort, pdom, _, portal = g.payer
    nurse = g.staff()
    g.send(f"{nurse}, RN", pdom)
    g.to = g.pick(
        f"referrals@{PRACTICE}", f"priorauth@{PRACTICE}", formataddr((g.staff(), f"um@{PRACTICE}"))
    )
    svc, codes, crit, need = g.rng.choice(UM_SERVICES)
    auth = f"{g.pick('A', 'UM', 'PA', '')}{g.digits(g.rng.choice((8, 9, 10)))}"
    prov = g.prov()
    due = g.day(1, 3)
    dx = g.rng.choice(CHRONIC)
    v = g.variant(3)
    sig = g.sign(
        nurse + ", RN",
        g.pick(
            "Utilization Management Nurse Reviewer", "UM Clinical Reviewer", "Care Review Nurse"
        ),
        pname,
    )
    if v == 0:
        body = (
            f"Re: Authorization {auth}\nMember: {g.nm(p, 'LF')}   ID: {p.member_id}   DOB: {g.dob(p)}\n"
            f"Requesting provider: {prov.show(3)}\nService: {svc}"
            + (f" ({codes})" if codes else "")
            + f"\n"
            f"Diagnosis: {dx[1]} {dx[0]}\nReceived: {g.date(g.day(-4, -1))}\n\n"
            f"The clinical information received does not yet meet {crit}. Please send by {g.date(due)} "
            f"{need}. "
            f"If we do not receive it, the request will go to a medical director for determination.\n\n"
            f"Upload to {portal} or fax to {g.org_phone()} (reference {auth}). A peer-to-peer can be scheduled "
            f"at {g.org_phone()}.\n\n" + sig + g.conf("payer")
        )
        return phi(
            g.pick(
                f"Additional information needed - Auth {auth}",
                f"{pshort} UM: clinicals requested for {p.member_id}",
                f"PENDING: {svc}",
            ),
            body,
        )
    if v == 1:
        hosp = g.rng.choice(HOSPITALS)
        adm = g.day(-5, -1)
        body = (
            f"Hi team,\n\nFYI your patient {g.nm(p)} ({p.member_id}, DOB {g.dob(p)}) is inpatient at {hosp[0]} since "
            f"{g.date(adm)} for {g.rng.choice(DISCHARGE_DX)}. Approved {g.rng.randint(2, 5)} days through "
            f"{g.date(adm + dt.timedelta(days=g.rng.randint(2, 5)))}; next review {g.date(due)}. Anticipated "
            f"discharge need: {g.pick('SNF', 'home health', 'home with family', 'acute rehab', 'unclear - patient lives alone')}.\n\n"
            f"Our transitions team will call the member within 48 h of discharge; please book a 7-day follow-up "
            f"with {prov.show(0)}.\n\n" + sig
        )
        return phi(
            g.pick(
                f"Concurrent review update - {p.family}",
                f"Inpatient notification: member {p.member_id}",
                "Admission FYI",
            ),
            body,
        )
    decision = g.pick(
        "APPROVED",
        "APPROVED",
        "PARTIALLY APPROVED",
        "DENIED - not medically necessary",
        "WITHDRAWN",
    )
    rows = [
        ("Reference", auth), ("Member", g.nm(p, "LF")), ("Member ID", p.member_id), ("DOB", g.dob(p)),
        ("Service", svc + (f" ({codes})" if codes else "")), ("Decision", decision),
        ("Effective", f"{g.date(g.day(0, 3))} - {g.date(g.day(30, 90))}"), ("Reviewer", f"{nurse}, RN"),
    ]  # fmt: skip
    inner = html_table(("", ""), rows) + paras(
        "A written notice has been mailed to the member. Appeal rights are described in the notice.",
        f"This is an automated message from {portal}.",
    )
    return phi(
        f"Determination: {decision.split(' ')[0]} - {auth}",
        html_page(f"{pname} Utilization Management", inner, color="#234"),
        html=True,
    )


def acp_conversation_summary(g: Gen) -> Mail:
    """An advance care planning / goals-of-care conversation summary from the palliative team or
    the PCP: participants, goals, code status, health care agent, POLST, 99497 time."""
    p = g.p
    writer = g.staff()
    role = g.pick(
        "CRNP, Palliative Care",
        "MD, Palliative Medicine",
        "LCSW, Serious Illness Program",
        "MD, Primary Care",
    )
    g.send(writer, g.pick(PRACTICE, "valleypalliative.example"))
    g.to = g.pick(f"caremanagement@{PRACTICE}", formataddr((g.pcp(), f"providers@{PRACTICE}")))
    agent_first, agent_last = str(g.us.first_name()), p.family.split()[0]
    rel = g.pick("daughter", "son", "wife", "husband", "niece", "friend")
    if rel == "friend":
        agent_last = str(g.us.last_name())
    code = g.pick(
        "DNR/DNI", "DNR, OK to intubate short-term", "Full code (revisit)", "DNR - comfort-focused"
    )
    dx = g.pick(
        "stage D heart failure",
        "metastatic pancreatic cancer",
        "oxygen-dependent COPD",
        "advanced dementia",
        "ESRD declining dialysis",
        "ALS",
    )
    mins = g.rng.randint(24, 70)
    when = g.day(-6, 0)
    pr, pos = g.pron(p)
    v = g.variant(3)
    if v == 0:
        body = (
            f"ADVANCE CARE PLANNING - SUMMARY\nPatient: {g.nm(p)}   DOB: {g.dob(p)}   MRN: {p.mrn}\n"
            f"Date: {g.date(when)}   Setting: {g.pick('home', 'clinic', 'video', 'SNF')}\n"
            f"Participants: patient, {agent_first} {agent_last} ({rel}, health care agent), {writer}\n\n"
            f'Illness understanding: knows {dx} is progressing; "{g.pick("I do not want to go back to the ICU", "I want to be home for the wedding in October", "I am tired of the hospital", "I want every chance")}".\n'
            f"Goals: {g.pick('comfort and time at home', 'function and independence', 'life prolongation with limits')}\n"
            f"Code status: {code}\nPOLST: {g.pick('completed and signed today', 'discussed - family to review', 'updated; copy sent to EMS registry')}\n"
            f"Hospice: {g.pick('not yet - revisit in 4 weeks', 'referral placed', 'declined for now')}\n\n"
            f"Time in ACP discussion: {mins} min (99497"
            + (" + 99498" if mins > 45 else "")
            + ")\n\n"
            f"{writer}, {role}"
        )
        return phi(
            g.pick(
                f"ACP summary - {g.nm(p, 'LF')}", f"Goals of care conversation {p.mrn}", "ACP note"
            ),
            body + g.conf(),
        )
    if v == 1:
        body = (
            f"Team,\n\nHad a good goals-of-care talk with {g.hon(p)} and {pos} {rel} {agent_first} today. {pr.capitalize()} understands the "
            f"{dx} is not going to get better and chose {code}. {agent_first} ({rel}) is the health care agent - "
            f"POA paperwork is {g.pick('done', 'in progress with their lawyer', 'scanned into Media')}. "
            f"Please make sure the code status banner is updated and that {g.rng.choice(HOSPITALS)[1]} has a copy.\n\n"
            f"DOB for matching: {g.dob(p)}. I billed 99497 ({mins} min).\n\n{writer.split()[0]}"
        )
        return phi(g.pick(f"{p.family} - code status change", "goals of care update"), body)
    body = (
        f"<p><b>Serious Illness Conversation</b> - {h(g.nm(p, 'LF'))} ({h(p.mrn)}) - {h(g.date(when))}</p>"
        + html_table(
            ("Topic", "Summary"),
            [
                (
                    "Prognostic awareness",
                    g.pick("good", "partial", "family more aware than patient"),
                ),
                (
                    "Most important",
                    g.pick(
                        "not being a burden", "staying at home", "pain control", "seeing grandkids"
                    ),
                ),
                ("Fears", g.pick("suffocating", "dying alone", "being in a nursing home")),
                (
                    "Trade-offs",
                    g.pick(
                        "would not want a feeding tube",
                        "OK with hospital if it restores function",
                        "no more ICU",
                    ),
                ),
                ("Code status", code),
                ("Agent", f"{agent_first} {agent_last} ({rel}) {g.org_phone()}"),
            ],
        )  # fmt: skip
        + paras(f"{writer}, {role}")
    )
    return phi("SIC documentation", body, html=True)


def screening_followup(g: Gen) -> Mail:
    """A follow-up on a positive PHQ-9 depression or STEADI fall-risk screen: the behavioral
    health care manager's registry note, an MA's message to the PCP or a portal result notice."""
    p = g.p
    kind = g.pick("phq", "phq", "fall")
    prov = g.prov()
    v = g.variant(3)
    if kind == "phq":
        score = g.rng.randint(10, 24)
        item9 = g.pick("0", "0", "1", "2")
        sev = "moderate" if score < 15 else "moderately severe" if score < 20 else "severe"
        if v == 0:
            bhcm = g.staff()
            g.send(bhcm, PRACTICE)
            g.to_person(prov.show(3), PRACTICE)
            prev = g.rng.randint(score - 4, score + 6)
            body = (
                f"CoCM registry update - {g.nm(p, 'LF')} (MRN {p.mrn}, DOB {g.dob(p)})\n\n"
                f"PHQ-9 today: {score} ({sev}), item 9 = {item9}; previous {prev} on {g.date(g.day(-40, -20))}\n"
                f"GAD-7: {g.rng.randint(4, 17)}\nCurrent tx: {g.pick('sertraline 50 mg', 'escitalopram 10 mg', 'none', 'bupropion XL 150 mg')}; "
                f"{g.pick('BA session 3 of 6', 'PST session 2', 'declined therapy')}\n"
                + (
                    "Safety plan reviewed; denies plan or intent. Crisis line given.\n"
                    if item9 != "0"
                    else ""
                )
                + f"Psychiatric consultant rec: {g.pick('increase sertraline to 100 mg', 'continue, reassess 4 wks', 'add mirtazapine 7.5 mg qhs', 'refer to IOP')}\n"
                f"Minutes this month: {g.rng.randint(30, 75)} (99493)\n\n{bhcm}, LCSW\nBehavioral Health Care Manager"
            )
            return phi(
                g.pick(
                    "CoCM update", f"PHQ-9 {score} - {p.mrn}", f"BH registry: {g.nm(p, 'init')}"
                ),
                body,
            )
        if v == 1:
            ma = g.staff()
            g.send(ma, PRACTICE)
            g.to_person(prov.show(3), PRACTICE)
            body = (
                f"{prov.show(0)}, {g.nm(p, 'plain')} scored {score} on the PHQ-9 at check-in (item 9: {item9}). "
                f"{'Pt denies SI when asked directly. ' if item9 != '0' else ''}Here for {g.pick('AWV', 'BP follow-up', 'diabetes visit')} in room "
                f"{g.rng.randint(1, 12)}. Do you want the BH care manager to do a warm handoff?\n{ma}, MA"
            )
            return phi(
                g.pick(f"PHQ9 {score} rm {g.rng.randint(1, 12)}", "positive depression screen"),
                body,
            )
        g.send("Patient Portal", PRACTICE, f"portal-noreply@{PRACTICE}")
        g.to = f"bh-inbox@{PRACTICE}"
        body = (
            f"Questionnaire submitted via portal\nPatient: {g.nm(p, 'LF')}\nDOB: {g.dob(p)}\nForm: PHQ-9\nScore: {score}\n"
            f"Q9 (thoughts that you would be better off dead or of hurting yourself): {item9}\n"
            f"Submitted: {g.stamp(g.ago(20, 600))}\n\nThis result requires clinician review."
        )
        return phi(f"Portal questionnaire: PHQ-9 score {score}", body)
    falls = g.rng.randint(1, 4)
    tug = g.rng.randint(13, 24)
    if v < 2:
        nurse = g.staff()
        g.send(nurse, PRACTICE)
        g.to_person(prov.show(3), PRACTICE)
        body = (
            f"Fall risk follow-up: {g.nm(p)} ({g.dob(p)})\n\nSTEADI screen positive at {g.pick('AWV', 'TCM visit', 'home visit')}: "
            f"{falls} fall(s) in past year{', one with ED visit' if falls > 1 else ''}, TUG {tug} s, "
            f"{g.pick('unsteady when standing', 'worries about falling', 'uses furniture to walk')}.\n"
            f"Fall-risk meds: {g.pick('zolpidem 10 mg', 'oxybutynin', 'gabapentin 300 TID', 'lorazepam prn', 'none')}\n"
            f"Orthostatics: {g.pick('positive (SBP drop 24)', 'negative')}\nVitamin D: {g.rng.randint(12, 38)} ng/mL\n\n"
            f"Plan requested: PT for gait/balance, home safety eval, {g.pick('deprescribe sedative', 'vision check', 'recheck orthostatics')}.\n"
            f"Pt phone {p.phone}.\n\n{nurse}, RN"
        )
        return phi(
            g.pick(
                "Fall risk - please review",
                f"STEADI positive - {g.nm(p, 'LF')}",
                f"falls x{falls} {p.mrn}",
            ),
            body,
        )
    g.send(g.staff(), PRACTICE)
    g.to = f"referrals@{PRACTICE}"
    body = (
        f"Please fax PT referral (fall risk, {falls} falls, TUG {tug} s) for {g.nm(p, 'LF')} DOB {g.dob(p)} "
        f"to {g.pick('Select Rehab', 'Valley PT & Balance', 'Hershey Outpatient Rehab')} - "
        f"{prov.show(3)} signed. Pt prefers {g.pick('mornings', 'Tue/Thu', 'the Carlisle location')}."
    )
    return phi("PT referral - fall risk", body)


def snf_placement_update(g: Gen) -> Mail:
    """Post-acute placement: a hospital case manager's SNF bed-offer update, the ACO's weekly
    SNF census, or a SNF liaison's progress and discharge-planning note."""
    v = g.variant(3)
    hosp = g.rng.choice(HOSPITALS)
    if v == 0:
        p = g.p
        cm = g.staff()
        g.send(f"{cm}, RN", hosp[2])
        g.to = g.pick(f"tcm@{PRACTICE}", f"caremanagement@{PRACTICE}")
        offers = g.rng.sample(SNFS, g.rng.randint(2, 3))
        waiver = g.pick(
            "ACO 3-day SNF waiver applies (aligned beneficiary)",
            "3 qualifying midnights met",
            "MA plan - auth required, submitted",
        )
        body = (
            f"Good {g.pick('morning', 'afternoon')},\n\nUpdate on your patient {g.nm(p)} (DOB {g.dob(p)}), admitted {g.date(g.day(-6, -2))} "
            f"with {g.rng.choice(DISCHARGE_DX)}. PT recommends SNF - {g.pick('min assist transfers', 'ambulates 40 ft with RW', 'needs IV abx x 2 wks')}.\n\n"
            f"Bed offers:\n"
            + "\n".join(
                f"  - {s}{' (preferred network)' if i == 0 else ''}" for i, s in enumerate(offers)
            )
            + f"\n\n{waiver}. Family {g.pick('chose', 'is touring', 'is leaning toward')} {offers[0]}. "
            f"Anticipated transfer {g.date(g.day(0, 3))}.\n\n"
            + g.sign(cm, "Case Manager", hosp[0])
            + g.conf("hospital")
        )
        return phi(
            g.pick(
                f"SNF placement - {g.nm(p, 'LF')}",
                f"Dc planning: {p.family}",
                "SNF bed offers for your pt",
            ),
            body,
        )
    if v == 1:
        coord = g.staff()
        g.send(coord, ACO_DOMAIN)
        g.to = f"caremanagement@{PRACTICE}"
        pts = g.others(g.rng.randint(3, 8))
        rows = []
        for q in pts:
            adm = g.day(-30, -2)
            rows.append((g.nm(q, "LF"), q.mbi, g.rng.choice(SNFS), g.date(adm, "us0"), str((g.when_sent.date() - adm).days),
                         g.date(g.day(1, 20), "us0"), g.pick("home w/ HH", "home", "LTC?", "ALF", "TBD")))  # fmt: skip
        hdr = ("Beneficiary", "MBI", "SNF", "Admit", "LOS", "Est. d/c", "Plan")
        intro = (
            f"Weekly SNF census for {GROUP} aligned beneficiaries. Network target LOS is 18 days; rows over 20 "
            "days are flagged for the SNFist huddle."
        )
        if g.rng.random() < 0.5:
            inner = (
                paras(intro)
                + html_table(hdr, rows)
                + paras(coord, "Post-Acute Care Coordinator", ACO_NAME)
            )
            return phi("Weekly SNF census", html_page(f"{ACO_NAME} - SNF Census", inner), html=True)
        return phi(
            f"SNF census {g.date(g.when_sent.date(), 'us')}",
            f"{intro}\n\n{text_table(hdr, rows)}\n\n{coord}\n{ACO_NAME}",
        )
    p = g.p
    snf = g.rng.choice(SNFS)
    liaison = g.staff()
    sdom = f"{slug(snf.split()[0])}{slug(snf.split()[1])}.example"
    g.send(liaison, sdom)
    g.to = formataddr((g.pcp(), f"providers@{PRACTICE}"))
    body = (
        f"Hello,\n\nProgress update for {g.hon(p)} ({g.nm(p, 'LF')}, DOB {g.dob(p)}) at {snf}, day {g.rng.randint(5, 24)}.\n"
        f"PT: {g.pick('ambulating 150 ft with rolling walker', 'stairs x4 with rail', 'transfers with supervision')}. "
        f"OT: {g.pick('ADLs mod I', 'needs help with lower-body dressing', 'cleared for shower with chair')}.\n"
        f"Wound: {g.pick('n/a', 'sacral stage 2 improving', 'incision healed')}\n"
        f"Planned discharge {g.date(g.day(2, 10))} to {g.pick('home with daughter', 'home alone with HH', 'assisted living')}; "
        f"home health agency {g.pick('Keystone Home Health', 'Valley Home Health', 'CareStar HH')} accepted. "
        f"Please schedule a TCM visit within 7 days and sign the HH plan of care when it arrives.\n\n"
        + g.sign(
            liaison,
            g.pick(
                "Discharge Planner",
                "Admissions & Care Transitions Liaison",
                "Social Services Director",
            ),
            snf,
        )
    )
    return phi(
        g.pick(
            f"Progress update - {p.family}", f"{snf.split()[0]} discharge plan - {g.nm(p, 'init')}"
        ),
        body,
    )


PT_MESSAGES = (
    "my blood pressure machine said {bp} this morning and I have a headache. Should I take another pill?",
    "I can't afford the {drug} anymore, the pharmacy said it is ${cost} now. Is there something cheaper?",
    "I've been dizzy since starting the new {drug}. I almost fell in the kitchen on {dow}.",
    "my sugar was {glu} before breakfast two days in a row. I ate normal.",
    "I don't have a ride to the {spec} appointment on the {nth}. My son works.",
    "I gained {wt} pounds since Sunday and my ankles are puffy again",
    "thank you for the food box it helped a lot. when is the next one",
)


def patient_reply_thread(g: Gen) -> Mail:
    """A care manager's mail that quotes the patient's own email reply (Gmail- or
    Outlook-style), forwarded to the PCP or pharmacist with a question, or replied to."""
    p = g.p
    cm = g.staff()
    title = cm_title(g.rng)
    g.send(cm, PRACTICE)
    drug, dose = g.rng.choice(MEDS)
    msg = g.rng.choice(PT_MESSAGES).format(
        bp=g.bp(True), drug=drug, cost=g.rng.randint(45, 380), dow=g.pick("Saturday", "Tuesday", "Friday"),
        glu=g.rng.randint(220, 340), spec=g.pick("heart doctor", "kidney doctor", "eye", "foot doctor"),
        nth=g.pick("22nd", "3rd", "14th", "30th"), wt=g.rng.choice((3, 4, 5, 6)),
    )  # fmt: skip
    typos = g.rng.random() < 0.4
    ptxt = (msg.lower() if typos else msg[0].upper() + msg[1:]) + g.pick(
        "", " Thanks", "\n\n" + p.given, "\n\nSent from my iPad"
    )
    sent = g.ago(60, 2000)
    cm_orig = g.pick(
        f"Hi {p.given}, just checking in on how the week went. Any readings you want to share?",
        "Reminder to send me your readings before Friday's call.",
        f"Hello {g.hon(p)}, this is {cm.split()[0]} from Dr.'s office, following up after your visit.",
    )
    v = g.variant(3)
    prov = g.prov()
    if v == 0:
        g.to_person(prov.show(3), PRACTICE)
        quote = (
            f"On {sent.strftime('%a, %b %d, %Y at %I:%M %p')} {p.full} <{p.email}> wrote:\n"
            + "\n".join(f"> {x}" for x in ptxt.split("\n"))
            + "\n>\n> On "
            + (sent - dt.timedelta(days=2)).strftime("%a, %b %d, %Y")
            + f" {cm} <{g.from_addr}> wrote:\n>> {cm_orig}"
        )
        body = (
            f"{prov.show(0)} - see {g.pick('pt', 'patient', g.hon(p))}'s reply below ({g.nm(p, 'LF')}, MRN {p.mrn}). "
            f"{g.pick('OK to tell her to take the extra dose?' if p.sex == 'F' else 'OK to tell him to take the extra dose?', 'Any alternative you want me to offer?', 'Should I move up the visit?', 'I will call today unless you want to.')}\n\n"
            f"{cm}\n{title}\n\n{quote}"
        )
        return phi(f"FW: RE: {g.pick('Checking in', 'Your readings', 'Follow up from Keystone Valley')}", body,
                   headers={"In-Reply-To": f"<{g.digits(12)}.{slug(p.given)}@mail.gmail.example>"})  # fmt: skip
    if v == 1:
        g.to = formataddr((p.full, p.email))
        reply = g.pick(
            f"Hi {p.given},\n\nThanks for letting me know. I spoke with {prov.show(0)}: "
            + g.pick(
                "please hold the new pill until we see you Thursday.",
                "we're sending a 90-day supply of a generic to your mail-order pharmacy.",
                "I've asked our CHW to set up a ride through your plan's transportation benefit.",
                "please weigh yourself again tomorrow and call me if it's up more.",
            ),
            f"Good morning {g.hon(p)} - I'm sorry to hear that. Please call me at {g.org_phone()} when you can.",
        )
        body = (
            f"{reply}\n\n{cm}\n{title}\n\n-----Original Message-----\nFrom: {p.full} <{p.email}>\n"
            f"Sent: {sent.strftime('%A, %B %d, %Y %I:%M %p')}\nTo: {cm} <{g.from_addr}>\nSubject: RE: Checking in\n\n{ptxt}"
        )
        return phi("RE: Checking in", body)
    pharm = g.staff()
    g.to_person(pharm, PRACTICE)
    body = (
        f"<div>Hi {h(pharm.split()[0])}, can you help with this one? {h(g.nm(p))}, DOB {h(g.dob(p))}. "
        f"{h(drug)} {h(dose)}.</div><div><br></div><div>{h(cm)}</div><br>"
        f'<div class="gmail_quote">On {h(sent.strftime("%a, %b %d, %Y at %I:%M %p"))} '
        f"{h(p.full)} &lt;{h(p.email)}&gt; wrote:<br>"
        f'<blockquote style="margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex">'
        f"{'<br>'.join(h(x) for x in ptxt.split(chr(10)))}</blockquote></div>"
    )
    return phi(
        f"Fwd: {g.pick('question', 'Re: Checking in', 'medicine')}",
        f"<html><body>{body}</body></html>",
        html=True,
    )


CPT2 = (
    ("CBP", "3074F", "Most recent systolic BP < 130"), ("CBP", "3078F", "Most recent diastolic BP < 80"),
    ("CBP", "3075F", "Most recent systolic BP 130-139"), ("GSD", "3044F", "HbA1c < 7.0%"),
    ("GSD", "3051F", "HbA1c 7.0-7.9%"), ("EED", "2023F", "Retinal exam w/o retinopathy"),
    ("COA-MDR", "1160F", "Medication review"), ("TRC-MRP", "1111F", "Discharge meds reconciled"),
    ("COL-E", "3017F", "Colorectal screening documented"), ("KED", "82043", "uACR"),
)  # fmt: skip


def supplemental_data_file(g: Gen) -> Mail:
    """The group's quality team sends a payer a supplemental-data / gap-closure file (member,
    date of service, CPT II codes and results) as a CSV or pipe-delimited attachment, or
    answers the payer's rejections for named members in the body."""
    pname, pshort, pdom, _, portal = g.payer
    qc = g.staff()
    g.send(qc, PRACTICE)
    g.to = g.pick(
        f"supplementaldata@{pdom}",
        f"hedis.submissions@{pdom}",
        formataddr((g.staff(), f"quality@{pdom}")),
    )
    pts = g.others(g.rng.randint(5, 14))
    npis = ["1" + g.digits(9) for _ in range(g.rng.randint(1, 4))]
    rows = []
    for q in pts:
        meas, code, desc = g.rng.choice(CPT2)
        dos = g.day(-120, -3)
        rows.append((q.member_id, q.family.upper(), q.given.upper(), q.dob.strftime("%m/%d/%Y"), dos.strftime("%m/%d/%Y"),
                     meas, code, desc, g.rng.choice(npis)))  # fmt: skip
    hdr = (
        "MEMBER_ID",
        "LAST_NAME",
        "FIRST_NAME",
        "DOB",
        "DOS",
        "MEASURE",
        "CODE",
        "DESCRIPTION",
        "RENDERING_NPI",
    )
    delim = g.pick(",", "|", "\t")
    fname = (
        f"KVPC_{slug(pshort).upper()}_SUPP_{g.when_sent:%Y%m%d}.{'csv' if delim == ',' else 'txt'}"
    )
    v = g.variant(3)
    if v < 2:
        body = g.pick(
            f"Hello,\n\nAttached is {GROUP}'s supplemental data file for {g.when_sent:%B} ({len(rows)} records) "
            f"per the {BASE.year} file layout v3. Please confirm receipt.\n\n"
            + g.sign(qc, "Quality Data Coordinator", GROUP),
            f"{len(rows)} records attached. Same layout as last month.\n\n{qc.split()[0]}",
        )
        return phi(g.pick(f"{pshort} supplemental data - {g.when_sent:%b %Y}", f"Supp file {fname}", "HEDIS supplemental submission"),
                   body, where=("attachment",), attachments=[(fname, "text/csv" if delim == "," else "text/plain", csv_bytes(hdr, rows, delim))])  # fmt: skip
    rej = rows[: g.rng.randint(2, 4)]
    body = (
        f"Hi,\n\nFollowing up on the rejections from the {g.date(g.day(-20, -8))} file:\n\n"
        + "\n".join(
            f"- {r[1]}, {r[2]} ({r[0]}, DOB {r[3]}): DOS {r[4]} {r[6]} rejected '{g.pick('member not eligible on DOS', 'invalid code for measure', 'rendering NPI not in network')}' - "
            f"{g.pick('member was active per your portal, please re-review', 'corrected code attached', 'NPI added to roster 6/1')}"
            for r in rej
        )
        + "\n\nThe corrected rows are in the attached file.\n\n"
        + g.sign(qc, "Quality Data Coordinator", GROUP)
    )
    return phi(f"RE: {pshort} supplemental file rejections", body, where=("body", "attachment"),
               attachments=[(fname, "text/plain", csv_bytes(hdr, rej, delim))])  # fmt: skip


# ----------------------------------------------------------------------- clean families
def quality_scorecard(g: Gen) -> Mail:
    """An aggregate quality and Star-rating scorecard from a payer or the ACO: numerators,
    denominators, rates and targets by measure, site or PCP; no member is named."""
    src = g.pick("payer", "aco", "internal")
    org = g.payer[0] if src == "payer" else ACO_NAME if src == "aco" else GROUP
    dom = g.payer[2] if src == "payer" else ACO_DOMAIN if src == "aco" else PRACTICE
    who = g.staff()
    g.send(who, dom)
    g.to = g.pick(f"leadership@{PRACTICE}", f"quality@{PRACTICE}", f"providers@{PRACTICE}")
    rows = []
    for code, name in g.rng.sample(MEASURES, g.rng.randint(6, 10)):
        den = g.rng.randint(60, 900)
        rate = g.rng.randint(52, 94) / 100
        num = int(den * rate)
        target = g.rng.randint(68, 90)
        stars = g.pick("2", "3", "3", "4", "4", "5")
        rows.append(
            (code, name, str(num), str(den), f"{100 * num / den:.1f}%", f"{target}%", stars)
        )
    hdr = ("Measure", "Description", "Num", "Den", "Rate", "4-Star cut", "Est. Stars")
    asof = g.date(g.day(-10, -2))
    subject = g.pick(
        f"{g.when_sent:%B} quality scorecard - {GROUP}",
        f"MY{BASE.year} Stars performance as of {asof}",
        "Quality dashboard - aggregate results",
        f"{g.site_name()} HEDIS rates vs. target",
    )
    note = g.pick(
        "Rates are claims plus supplemental data; hybrid measures are not yet reflected.",
        "Overall projected rating: 4.0 Stars (up from 3.5). CBP and statin adherence remain the biggest levers.",
        "Denominators exclude hospice and advanced illness/frailty exclusions.",
    )
    v = g.variant(3)
    if v == 0:
        inner = (
            paras(f"Performance as of {asof}.", note)
            + html_table(hdr, rows)
            + paras(g.sign(who, "Quality Analytics", org))
        )
        return clean(
            subject,
            html_page(f"{org} - Quality Scorecard", inner, "Aggregate data. No PHI."),
            html=True,
        )
    if v == 1:
        prov_rows = [(g.prov().show(3), str(g.rng.randint(180, 900)), f"{g.rng.randint(55, 92)}%", f"{g.rng.randint(60, 95)}%",
                      f"{g.rng.randint(40, 88)}%") for _ in range(g.rng.randint(4, 8))]  # fmt: skip
        body = (
            f"{note}\n\nBy measure:\n{text_table(hdr, rows)}\n\nBy PCP (attributed lives, CBP, COL-E, AWV):\n"
            + text_table(("PCP", "Lives", "CBP", "COL-E", "AWV"), prov_rows)
            + f"\n\n{g.sign(who, 'Director of Quality', org)}"
        )
        return clean(subject, body)
    body = f"Attached is the {g.when_sent:%B} aggregate scorecard. {note}\n\n{who}\n{org}"
    return clean(
        subject,
        body,
        attachments=[(f"scorecard_{g.when_sent:%Y%m}.csv", "text/csv", csv_bytes(hdr, rows))],
    )


def aco_newsletter(g: Gen) -> Mail:
    """The ACO's member-practice newsletter: program news, quality tips, events and a staff
    spotlight; it names staff and clinicians but no patient."""
    editor = g.staff()
    g.send(f"{ACO_NAME} Communications", ACO_DOMAIN, f"news@{ACO_DOMAIN}")
    g.to = f"all-practices@lists.{ACO_DOMAIN}"
    spot = g.staff()
    med_dir = g.prov()
    items = g.rng.sample(
        (
            (
                "Flu and COVID clinics",
                "Standing orders for influenza and updated COVID-19 vaccines are posted on the practice portal. Document vaccines given at pharmacies as historical so they count.",
            ),
            (
                "AWV push",
                f"Practices have completed {g.rng.randint(41, 68)}% of AWVs for aligned beneficiaries. The goal is 75% by December 31.",
            ),
            (
                "Statin adherence",
                "90-day supplies and mail order are the single most effective step. Our pharmacists can help with outreach.",
            ),
            (
                "SNF network",
                f"Average SNF length of stay dropped to {g.rng.randint(17, 24)} days this quarter. Thank you for timely TCM visits.",
            ),
            (
                "Coding corner",
                'Remember to document the stage of CKD and link diabetes complications explicitly ("due to").',
            ),
            (
                "Behavioral health",
                "Collaborative care (CoCM) is now available at six member practices. Ask your practice liaison.",
            ),
            (
                "ED diversion",
                f"After-hours line use is up {g.rng.randint(8, 30)}%. Please remind patients of the nurse line at every visit.",
            ),
        ),
        g.rng.randint(3, 5),
    )
    event = g.day(7, 40)
    v = g.variant(2)
    subject = g.pick(
        f"{ACO_NAME} News - {g.when_sent:%B %Y}",
        "The Aligned Practice: monthly update",
        f"ACO Bulletin #{g.rng.randint(30, 90)}",
    )
    if v == 0:
        inner = "".join(f"<h3 style='color:#1f4e79'>{h(t)}</h3><p>{h(txt)}</p>" for t, txt in items)
        inner += (
            f"<h3 style='color:#1f4e79'>Staff spotlight</h3><p>Congratulations to {h(spot)}, RN care manager, "
            f"recognized by the Quality Committee for closing the loop on post-discharge follow-up.</p>"
            f"<h3 style='color:#1f4e79'>Save the date</h3><p>Quarterly Quality Collaborative, {h(g.date(event, 'long'))}, "
            f"12:00-1:00 PM (virtual). Speaker: {h(med_dir.show(3))}, ACO Medical Director.</p>"
        )
        return clean(
            subject,
            html_page(
                f"{ACO_NAME} Newsletter",
                inner,
                f"You are receiving this as a participant practice. Unsubscribe: news@{ACO_DOMAIN}",
                "#2e5d3a",
            ),
            html=True,
        )
    body = (
        f"{ACO_NAME.upper()} - MONTHLY UPDATE\n\n"
        + "\n\n".join(f"** {t} **\n{txt}" for t, txt in items)
        + f"\n\n** Events **\nQuality Collaborative - {g.date(event)}, noon (Zoom)\n\n"
        f"Questions: {editor}, Communications Manager, {g.org_phone()}"
    )
    return clean(subject, body)


def measure_spec_update(g: Gen) -> Mail:
    """A payer's measure-specification or supplemental-file-layout update whose worked examples
    use obvious placeholder members (Jane Doe, TEST PATIENT, 999999999)."""
    pname, pshort, pdom, pat, portal = g.payer
    who = g.staff()
    g.send(who, pdom)
    g.to = f"quality@{PRACTICE}"
    ph = g.pick("DOE, JANE", "TEST, PATIENT", "SAMPLE, MEMBER", "DOE, JOHN Q")
    phid = g.pick("999999999", "XXXXXXXXX", "M000000000", "123456789")
    changes = g.rng.sample(
        (
            "COL-E and BCS-E are now reported using Electronic Clinical Data Systems (ECDS) only.",
            "GSD replaces HBD; the <8.0% and >9.0% indicators are reported from the most recent result.",
            "CBP: BP readings taken by the member with a digital device and documented in the record count.",
            "KED requires both an eGFR and a uACR in the measurement year.",
            "Advanced illness and frailty exclusions now require both criteria within the year.",
            "The supplemental data layout adds a RESULT_VALUE column (numeric, 2 decimals).",
            "DOB must be YYYYMMDD; files with MM/DD/YYYY dates will be rejected starting January 1.",
        ),
        g.rng.randint(3, 5),
    )
    ex_hdr = ("MEMBER_ID", "LAST_NAME", "FIRST_NAME", "DOB", "DOS", "CODE", "RESULT_VALUE")
    a, b = ph.split(", ")
    ex = [
        (phid, a, b, "19000101", "20250101", "3074F", ""),
        (phid, a, b, "19000101", "20250101", "83036", "6.80"),
    ]
    subject = g.pick(
        f"{pshort}: MY{BASE.year + 1} measure specification changes",
        "Supplemental data file layout v4 - effective January",
        f"Important: {pshort} HEDIS technical update",
    )
    v = g.variant(2)
    intro = f"Hello provider partners,\n\n{pname} is updating its quality programs for the coming measurement year. Key changes:\n"
    if v == 0:
        body = (
            intro
            + "\n".join(f"  * {c}" for c in changes)
            + "\n\nExample rows (placeholder member - do not submit test records to production):\n\n"
            + text_table(ex_hdr, ex, " | ")
            + f"\n\nThe full technical guide is in {portal} > Resources.\n\n"
            + g.sign(who, "HEDIS Operations", pname)
        )
        return clean(subject, body)
    inner = (
        paras(intro.strip())
        + "<ul>" + "".join(f"<li>{h(c)}</li>" for c in changes) + "</ul>"
        + paras("Example (placeholder data):") + html_table(ex_hdr, ex)
        + paras(f"Questions: {who}, HEDIS Operations")
    )  # fmt: skip
    return clean(
        subject, html_page(f"{pname} Provider Bulletin", inner, color="#5a2d0c"), html=True
    )


def care_team_huddle_agenda(g: Gen) -> Mail:
    """A care-management team huddle agenda: counts of open TCM calls, RPM enrolments, CCM
    caseloads, workflow items and owners; only staff are named."""
    lead = g.staff()
    g.send(lead, PRACTICE)
    g.to = f"caremgmt-team@{PRACTICE}"
    staff = [g.staff() for _ in range(g.rng.randint(4, 7))]
    day = g.day(0, 5)
    items = [
        f"TCM queue: {g.rng.randint(4, 19)} discharges this week, {g.rng.randint(0, 5)} past 2-day window ({staff[0].split()[0]})",
        f"RPM: {g.rng.randint(110, 340)} enrolled, {g.rng.randint(8, 40)} under 16 days last month ({staff[1].split()[0]})",
        f"CCM caseloads - target 120 per RN; current avg {g.rng.randint(85, 140)}",
        f"AWV: {g.rng.randint(38, 71)}% complete YTD; outreach script v2 ({staff[2].split()[0]})",
        g.pick(
            "New ADT feed from Penn Hills goes live Monday",
            "HIE login reset - everyone by Friday",
            "Epic-style work queue cleanup",
        ),
        g.pick(
            "Holiday coverage sign-up",
            "Mileage reimbursement form changed",
            "Interpreter line new PIN in Teams",
        ),
        f"Kudos: {staff[-1]}",
    ]
    subject = g.pick(
        f"Huddle agenda {g.date(day, 'dow')}",
        "Care mgmt huddle - agenda",
        f"Agenda: weekly pop health huddle {g.date(day, 'us')}",
    )
    v = g.variant(2)
    if v == 0:
        body = (
            f"Team,\n\nAgenda for {g.date(day, 'long')}, {g.clock(8, 9)} (conf room B / Teams):\n\n"
            + "\n".join(f"{i + 1}. {x}" for i, x in enumerate(items))
            + "\n\nReminder: no patient names in the huddle chat - use the work queue.\n\n"
            + lead
        )
        return clean(subject, body)
    inner = (
        "<ol>"
        + "".join(f"<li>{h(x)}</li>" for x in items)
        + "</ol>"
        + paras(f"Attendees: {', '.join(staff)}", lead)
    )
    return clean(subject, f"<html><body>{inner}</body></html>", html=True)


def rpm_vendor_notice(g: Gen) -> Mail:
    """An RPM device vendor's firmware update or stock shipment / return notice for the
    practice's device inventory: serial ranges, SKUs, tracking numbers; no patient."""
    vendor, vdom = g.rng.choice(RPM_VENDORS)
    rep = g.staff()
    g.send(rep, vdom)
    g.to = g.pick(f"rpm@{PRACTICE}", f"purchasing@{PRACTICE}")
    v = g.variant(3)
    if v == 0:
        ver = f"{g.rng.randint(2, 5)}.{g.rng.randint(0, 12)}.{g.rng.randint(0, 30)}"
        model, model_prefix = g.rng.choice(
            (
                ("BP cuffs model BPC-200", "BP"),
                ("glucometers model GLX-3", "GL"),
                ("scales model WS-90", "SC"),
            )
        )
        body = (
            f"Firmware notice - {vendor}\n\nA firmware update ({ver}) will be pushed over cellular to "
            f"{model} between "
            f"{g.date(g.day(2, 6), 'long')} and {g.date(g.day(7, 12), 'long')}, 1-4 AM ET.\n\n"
            f"Affected serials: {model_prefix}{g.digits(2)}-000001 through -0{g.digits(5)}\n"
            "Changes: improved cuff-inflation accuracy at high SBP, battery reporting, time-zone fix.\n"
            "No action needed. Readings taken during the update window will upload after completion.\n\n"
            + g.sign(rep, "Customer Success", vendor)
        )
        return clean(
            g.pick(f"{vendor}: firmware {ver} rollout", "Scheduled device maintenance"), body
        )
    rows = [
        (g.pick("BPC-200 (adult cuff)", "BPC-200 (large cuff)", "GLX-3 meter", "WS-90 scale", "OX-12 pulse ox"), g.pick("24", "12", "48", "6"),
         f"1Z{g.digits(4)}{g.pick('A', 'E', 'W')}{g.digits(10)}") for _ in range(g.rng.randint(2, 4))
    ]  # fmt: skip
    if v == 1:
        po = f"PO-{g.digits(6)}"
        body = (
            f"Hi,\n\nYour order {po} shipped today to {GROUP}, {g.site[0]}, {g.site[1]}.\n\n"
            + text_table(("Item", "Qty", "Tracking"), rows)
            + f"\n\nDevices arrive unassigned; activate them in the portal when you enroll a patient.\n\n{rep}\n{vendor} Logistics"
        )
        return clean(f"Order {po} shipped", body)
    rma = f"RMA{g.digits(7)}"
    body = (
        f"Return authorization {rma} issued for {g.rng.randint(3, 15)} devices from practice stock "
        f"(reason: {g.pick('low battery', 'cuff leak', 'end of lease', 'lost connectivity')}). A prepaid label is attached "
        f"as a PDF link: https://ship.{vdom}/{rma}\nPlease wipe/unassign devices before shipping.\n\n{rep}"
    )
    return clean(f"{vendor} RMA {rma}", body)


def hcc_webinar_invite(g: Gen) -> Mail:
    """An invitation to an HCC / risk-adjustment coding webinar with generic documentation
    examples and CEU details; it names speakers, not patients."""
    org = g.pick(
        ACO_NAME,
        g.payer[0],
        "Risk Adjustment Academy",
        "PA Academy of Family Physicians - Region 3",
    )
    dom = (
        ACO_DOMAIN
        if org == ACO_NAME
        else g.payer[2]
        if org == g.payer[0]
        else f"{slug(org)[:14]}.example"
    )
    g.send(f"{org} Education", dom, f"events@{dom}")
    g.to = g.pick(f"providers@{PRACTICE}", f"coding@{PRACTICE}")
    sp1, sp2 = g.staff(), g.prov()
    when = g.day(8, 35)
    examples = g.rng.sample(
        (
            '"Type 2 DM with diabetic CKD stage 3b (E11.22, N18.32)" - link the conditions with "due to" or "with".',
            '"CHF" alone maps poorly; specify type and acuity, e.g. chronic diastolic heart failure (I50.32).',
            'Under V28, "major depression, unspecified" no longer maps; document severity and episode.',
            '"History of" a cancer under active treatment is a documentation error - document as current.',
            "Morbid obesity needs the BMI (Z68.4x) and the clinical significance in the assessment.",
            "Problem-list entries without MEAT in the note do not support risk adjustment.",
        ),
        3,
    )
    body = (
        f"You're invited: Risk Adjustment in {BASE.year}: V28 and the Documentation That Supports It\n\n"
        f"When: {g.date(when, 'long')}, {g.clock(11, 13)} ET (60 min)\nWhere: Zoom (link after registration)\n"
        f"Speakers: {sp1}, CRC, CDIP and {sp2.show(3)}\nCredits: 1.0 AAPC CEU / 1.0 AMA PRA Category 1 (pending)\n\n"
        "Examples we'll walk through:\n"
        + "\n".join(f"  - {x}" for x in examples)
        + f"\n\nRegister: https://events.{dom}/hcc-v28\n\nAll examples are generic; no member data will be shared."
    )
    if g.rng.random() < 0.5:
        inner = (
            paras(*body.split("\n\n")[:3])
            + "<ul>"
            + "".join(f"<li>{h(x)}</li>" for x in examples)
            + "</ul>"
        )
        return clean(
            f"Webinar: HCC V28 documentation - {g.date(when, 'abbr')}",
            html_page(org, inner, color="#6a1b4d"),
            html=True,
        )
    return clean(
        g.pick(
            f"Webinar: HCC V28 documentation - {g.date(when, 'abbr')}",
            "Reminder: register for risk adjustment CEU",
        ),
        body,
    )


def shared_savings_summary(g: Gen) -> Mail:
    """A finance mail on the ACO's shared-savings settlement or an MA contract's surplus:
    benchmarks, expenditures, quality score and distributions, all aggregate."""
    cfo = g.staff()
    g.send(cfo, g.pick(ACO_DOMAIN, PRACTICE))
    g.to = g.pick(f"partners@{PRACTICE}", f"board@{PRACTICE}", f"leadership@{PRACTICE}")
    lives = g.rng.randint(6200, 18400)
    bench = g.rng.randint(11400, 13600)
    actual = bench * g.rng.uniform(0.93, 1.01)
    gross = (bench - actual) * lives
    rate = g.pick("50%", "50%", "75%")
    q = g.rng.randint(72, 96)
    share = max(gross, 0) * (0.5 if rate == "50%" else 0.75)
    dist = share * g.rng.uniform(0.1, 0.35)
    rows = [
        ("Assigned beneficiaries", f"{lives:,}"), ("Benchmark PBPY", money(bench)), ("Actual PBPY", money(actual)),
        ("Gross savings/(losses)", money(gross)), ("Minimum savings rate", f"{g.rng.uniform(2.0, 3.9):.1f}%"),
        ("Quality score", f"{q}%"), ("Shared savings rate", rate), ("Earned shared savings", money(share)),
        (f"{GROUP} distribution", money(dist)),
    ]  # fmt: skip
    subject = g.pick(
        f"PY{BASE.year - 1} shared savings settlement",
        "Shared savings - final numbers",
        "Finance update: ACO and MA surplus",
    )
    body = (
        g.pick("All,", "Partners,", "Hi everyone,")
        + f"\n\nCMS released the PY{BASE.year - 1} settlement.\n\n"
        + text_table(("Item", "Value"), rows)
        + "\n\nMA contracts (aggregate): "
        + f"{g.payer[1]} surplus {money(g.rng.randint(80000, 900000))}, MLR {g.rng.randint(79, 90)}%.\n"
        "Distribution follows the board-approved methodology (50% attributed lives, 30% quality, 20% citizenship). "
        f"Payments are scheduled for {g.date(g.day(20, 60), 'long')}.\n\n{cfo}\n{g.pick('CFO', 'VP Finance', 'Director, Value-Based Contracts')}"
    )
    return clean(subject, body)


def staffing_roster(g: Gen) -> Mail:
    """A care-management staffing and coverage roster: queues, sites, PTO, new hires,
    on-call; only staff names, roles and phone extensions."""
    mgr = g.staff()
    g.send(mgr, PRACTICE)
    g.to = f"caremgmt-team@{PRACTICE}"
    roles = ("RN CM", "RN CM", "CHW", "LPN", "PharmD", "LCSW", "RPM tech")
    rows = [(g.staff(), g.rng.choice(roles), g.rng.choice(SITES)[0], g.pick("TCM queue", "CCM panel A-K", "CCM panel L-Z", "RPM alerts", "AWV outreach", "home visits"),
             f"x{g.rng.randint(2100, 2399)}") for _ in range(g.rng.randint(5, 9))]  # fmt: skip
    wk = g.day(1, 8)
    pto = g.rng.sample([r[0] for r in rows], 2)
    body = (
        f"Coverage for the week of {g.date(wk, 'long')}:\n\n"
        + text_table(("Name", "Role", "Site", "Assignment", "Ext"), rows)
        + f"\n\nPTO: {pto[0]} ({g.date(wk, 'dow')}-{g.date(wk + dt.timedelta(days=2), 'dow')}), {pto[1]} (Fri)\n"
        f"On-call RPM escalation after 5 PM: {rows[0][0]}\n"
        f"New hire: {g.staff()}, CHW, starts {g.date(g.day(5, 20))} - shadowing {rows[1][0].split()[0]}.\n\n{mgr}\nManager, Care Management"
    )
    if g.rng.random() < 0.4:
        return clean(
            "CM staffing - next week", f"<html><body><pre>{h(body)}</pre></body></html>", html=True
        )
    return clean(
        g.pick(
            "Care mgmt coverage next week",
            f"Schedule wk of {g.date(wk, 'us')}",
            "Roster / assignments update",
        ),
        body,
    )


def deidentified_case_study(g: Gen) -> Mail:
    """A de-identified teaching case from the ACO's learning collaborative: an unnamed patient
    described by age band, conditions and relative days, with discussion questions."""
    fac = g.prov()
    g.send(f"{ACO_NAME} Learning Collaborative", ACO_DOMAIN, f"learning@{ACO_DOMAIN}")
    g.to = f"caremgmt-leads@lists.{ACO_DOMAIN}"
    sex = g.pick("woman", "man")
    pos = "her" if sex == "woman" else "his"
    decade = g.pick("late 70s", "early 80s", "late 60s", "mid 70s")
    dx = g.pick(
        "HFrEF and CKD 3b",
        "COPD on home oxygen",
        "type 2 diabetes on insulin with neuropathy",
        "moderate dementia and atrial fibrillation",
    )
    ed, adm = g.rng.randint(3, 6), g.rng.randint(1, 3)
    subject = g.pick(
        "Case of the month",
        "Learning collaborative - case for Thursday",
        "De-identified case: what would you do?",
        "Pre-read for care management grand rounds",
    )
    v = g.variant(3)
    if v == 0:
        body = (
            f"Case of the month (de-identified)\n\nA {sex} in {pos} {decade} with {dx}, living "
            f"{g.pick('alone', 'with a spouse who has dementia', 'with an adult grandchild')}, had {ed} ED visits "
            f"and {adm} admission{'s' if adm > 1 else ''} over six months.\n\n"
            f"Day 0: discharged home after {g.rng.choice(DISCHARGE_DX)}. TCM call on day 2 found three duplicate "
            "medications and no scale at home.\nWeek 1: RPM scale and BP cuff delivered; CHW found food insecurity.\n"
            "Week 3: weight up 5 lb; diuretic adjusted by phone, ED visit avoided.\nMonth 3: goals-of-care "
            "conversation; patient chose home-based palliative care.\n\nDiscussion questions:\n"
            "1. Which risk signals were visible before the first admission?\n"
            "2. How would you split the work between RN, CHW and pharmacist?\n"
            "3. Which codes (TCM, CCM, RPM, ACP) were appropriate at each step?\n\n"
            f"Facilitator: {fac.show(3)}. All identifying details have been removed or changed."
        )
        return clean(subject, body)
    if v == 1:
        meds = g.meds(g.rng.randint(7, 11))
        body = (
            f"Pharmacy case for {g.pick('Tuesday', 'Thursday')} (no identifiers - please do not try to look "
            f"this patient up)\n\nPatient X: {sex}, {decade}, {dx}. {g.rng.randint(9, 14)} medications from "
            f"{g.rng.randint(3, 5)} prescribers, two pharmacies.\n\nMedication list:\n"
            + "\n".join(f"  - {m} {d}" for m, d in meds)
            + "\n\nPDC for the statin is in the 60s; the patient reports dizziness on standing and one fall.\n\n"
            "Questions:\n  a) Which two medications would you deprescribe first?\n  b) What would you ask "
            "the patient at the first call?\n  c) How would you document the interventions for COA-MDR?\n\n"
            f"{fac.show(3)}\n{ACO_NAME} Pharmacy Workgroup"
        )
        return clean(subject, body)
    rows = [
        ("Age band", decade, g.pick("early 70s", "mid 80s", "late 60s")),
        ("Main conditions", dx, g.pick("COPD, anxiety", "CKD 4, gout", "HFpEF, obesity")),
        ("ED visits (6 mo)", str(ed), str(g.rng.randint(0, 3))),
        ("Admissions (6 mo)", str(adm), str(g.rng.randint(0, 2))),
        ("Engaged in CCM", "yes", "no"),
        ("SDOH need", g.pick("food", "transport", "none"), g.pick("housing", "none", "utility")),
    ]
    inner = (
        paras("Two de-identified patients from our network, compared for next week's huddle:")
        + html_table(("", "Patient A", "Patient B"), rows)
        + paras(
            "Which one would you prioritize for complex care management, and why?",
            f"Facilitator: {fac.show(3)}",
        )
    )
    return clean(subject, html_page(f"{ACO_NAME} Learning Collaborative", inner), html=True)


FAMILIES: dict[str, Callable[[Gen], Mail]] = {
    f.__name__: f
    for f in (
        payer_care_gap_list, aco_attribution_change, tcm_discharge_call, ccm_time_log,
        rpm_threshold_alert, rpm_monthly_summary, awv_outreach, hcc_coding_query,
        high_utilizer_list, adt_event_notification, home_visit_note, sdoh_referral,
        pharmacist_pdc_outreach, payer_um_review, acp_conversation_summary, screening_followup,
        snf_placement_update, patient_reply_thread, supplemental_data_file,
        quality_scorecard, aco_newsletter, measure_spec_update, care_team_huddle_agenda,
        rpm_vendor_notice, hcc_webinar_invite, shared_savings_summary, staffing_roster,
        deidentified_case_study,
    )
}  # fmt: skip

SOURCE = Source("templates-p", "p", 16, 1600000, PRACTICE, "susquehanna-aco.example", "unseen-p")


def render(mail: Mail, g: Gen, seq: int) -> bytes:
    """The message as RFC 5322 bytes: from the sender and to the recipient the family chose,
    with a fixed Date (US Eastern) and a fixed boundary."""
    msg = EmailMessage()
    if not g.from_addr:
        g.send(g.staff(), PRACTICE)
    domain = g.from_addr.rpartition("@")[2] or PRACTICE
    msg["From"] = formataddr((g.me, g.from_addr)) if g.me else g.from_addr
    msg["To"] = g.to or f"{slug(str(g.st.user_name()))}@{SOURCE.partner}"
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(
        g.when_sent.replace(tzinfo=dt.timezone(dt.timedelta(hours=UTC_OFFSET)))
    )
    msg["Message-ID"] = f"<{SOURCE.tag}-{seq}@{domain}>"
    for k, val in mail.headers.items():
        msg[k] = val
    return finish_message(msg, mail, SOURCE.tag, seq)


def build(out: Path, per_family: int, seed: int) -> list[dict[str, object]]:
    """Write this file's families into `out` (msg_p_NNNNN.eml) through this file's own
    `render`; return their manifest rows."""
    return build_source(out, per_family, seed, SOURCE, FAMILIES, Gen, render_mail=render)
