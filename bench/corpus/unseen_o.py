"""Blind template source templates-o: specialty, dental and cash-pay practices and their systems.

These families were written from what the mail of US specialty and cash-pay practices and of the
software they run looks like: a dental group (general dentistry, orthodontics, oral surgery), a
fertility/IVF clinic, a med spa and plastic surgery practice, a GLP-1 weight-loss telehealth
clinic, a chiropractic and acupuncture clinic, an urgent care chain and a concierge practice. On
the PHI side: practice-management reminders, SMS-gateway logs and review requests quoting the
visit, dental treatment plans and estimates with CDT codes and tooth numbers, predeterminations
to dental insurers, patient-financing decisions naming the treatment, IVF cycle monitoring, beta
and transfer instructions, donor-egg coordination, semen analyses, aesthetic photo consents,
post-operative and complication follow-ups, weight-loss intake summaries and compounded GLP-1
shipping and titration notices, chiropractic and acupuncture SOAP notes, personal-injury liens
and workers' compensation reports, urgent care summaries, callbacks and over-read discrepancies,
work and school notes, and concierge annual-physical and travel-kit mail. On the clean side, hard
negatives from the same settings that name staff, doctors and vendors but no patient: a dental
supply order, a promotional newsletter, a fee schedule with CDT/CPT codes, a continuing-education
invite, an equipment service ticket, a job posting, a credentialing letter, an aggregate monthly
KPI report and a practice-management release note whose examples use placeholder patients.

Written blind: only the `Mail` dataclass and the `phi`/`clean` helpers of generate.py, the
generator classes, `render`, `Source`, `build_source` and `build` of unseen.py, and the
registration, `render` and `build` of unseen_n.py were read; no recognizer, policy, test or
other source's families. People come from Faker locales (names of non-Latin locales
romanized), dates from a fixed base date, so `build(out, per_family, seed)` is deterministic.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import random
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
    "en_US", "en_US", "en_US", "es_MX", "es_MX", "en_IN", "vi_VN", "ko_KR", "fr_CA", "pt_BR",
    "en_PH", "zh_CN", "ja_JP", "es_CO", "pl_PL", "it_IT",
)  # fmt: skip
STAFF_LOCALES = ("en_US", "en_US", "en_US", "en_CA", "en_IN", "es_MX", "en_PH")
PRACTICE = "summit-specialty-partners.example"
BASE = dt.datetime(2025, 5, 12)

KO_FAMILY = (
    "Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Oh",
    "Seo", "Shin", "Kwon", "Hwang", "Ahn", "Song", "Yoo", "Hong",
)  # fmt: skip
KO_GIVEN_F = (
    "Seo-yeon", "Ji-woo", "Ha-eun", "Su-bin", "Yu-na", "Eun-ji", "Soo-ah", "Da-eun", "Ye-jin",
    "Min-seo", "Hye-jin", "Ji-hye", "Eun-young", "So-yeon",
)  # fmt: skip
KO_GIVEN_M = (
    "Min-jun", "Do-yoon", "Ji-hoon", "Hyun-woo", "Jae-won", "Joon-ho", "Seung-min", "Tae-yang",
    "Dong-hyun", "Sung-ho", "Jin-woo", "Kyung-soo",
)  # fmt: skip
VI_GIVEN_F = ("Linh", "Thu", "Hương", "Trang", "Thảo", "Ngọc", "Phương", "Lan", "Mai", "Vy", "Hà")
VI_GIVEN_M = ("Minh", "Đức", "Khoa", "Quang", "Tuấn", "Hiếu", "Bảo", "Long", "Nam", "Huy", "Tâm")

CITIES = (
    ("Portland", "OR", "503", -7), ("Austin", "TX", "512", -5), ("Scottsdale", "AZ", "480", -7),
    ("Raleigh", "NC", "919", -4), ("Naperville", "IL", "630", -5), ("Tampa", "FL", "813", -4),
    ("San Diego", "CA", "619", -7), ("Denver", "CO", "303", -6), ("Columbus", "OH", "614", -4),
    ("Bellevue", "WA", "425", -7), ("Nashville", "TN", "615", -5), ("Plano", "TX", "972", -5),
    ("Boise", "ID", "208", -6), ("Overland Park", "KS", "913", -5), ("Fairfax", "VA", "703", -4),
    ("Sacramento", "CA", "916", -7),
)  # fmt: skip
AREAS = ("206", "310", "415", "469", "602", "646", "702", "720", "737", "786", "832", "971")

PRACTICES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "dental": (
        ("BrightPath Dental Group", "brightpath-dental", "ChairTime"),
        ("Harbor Point Family Dentistry", "harborpoint-dental", "DentaLink"),
        ("Oak & Ivy Dental Studio", "oakivy-dental", "SmileDesk"),
    ),
    "ortho": (
        ("Straight Street Orthodontics", "straightstreet-ortho", "OrthoTrack"),
        ("BrightPath Dental Group - Orthodontics", "brightpath-dental", "ChairTime"),
    ),
    "oral_surgery": (
        ("Cedar Ridge Oral & Facial Surgery", "cedarridge-oms", "SurgiDent"),
        ("BrightPath Dental Group - Oral Surgery", "brightpath-dental", "ChairTime"),
    ),
    "fertility": (
        ("Lakeshore Fertility Center", "lakeshore-fertility", "CycleTrack"),
        ("Bloom Reproductive Medicine", "bloom-rm", "Fertiva EMR"),
        ("Pacific Crest IVF", "pacificcrest-ivf", "CycleTrack"),
    ),
    "medspa": (
        ("Luma Aesthetics & Med Spa", "luma-aesthetics", "GlowSuite"),
        ("Velvet Skin Bar", "velvetskinbar", "AestheticBook"),
    ),
    "plastics": (
        ("Contour Plastic Surgery", "contour-plastics", "AestheticBook"),
        ("Willow Creek Plastic & Reconstructive Surgery", "willowcreek-plastics", "PlastiChart"),
    ),
    "glp1": (
        ("TrimWell Health", "trimwell-health", "TrimWell Care Portal"),
        ("Northstar Metabolic Telehealth", "northstar-metabolic", "SlimPath"),
    ),
    "chiro": (
        ("AlignWell Chiropractic & Acupuncture", "alignwell-chiro", "SpineDesk"),
        ("Back in Balance Chiropractic", "backinbalance-chiro", "AdjustPro"),
    ),
    "acu": (
        ("AlignWell Chiropractic & Acupuncture", "alignwell-chiro", "SpineDesk"),
        ("Golden Needle Acupuncture", "goldenneedle-acu", "AcuNotes"),
    ),
    "urgent": (
        ("QuickCare Urgent Care", "quickcare-uc", "ExpressChart"),
        ("FirstLine Urgent Care", "firstline-urgentcare", "ExpressChart"),
        ("Peak Walk-In Clinic", "peak-walkin", "UrgentFlow"),
    ),
    "concierge": (
        ("Meridian Concierge Medicine", "meridian-concierge", "MemberMD"),
        ("Beacon Private Physicians", "beacon-private", "MemberMD"),
    ),
}
CREDENTIALS = {
    "dental": ("DDS", "DMD"), "ortho": ("DMD, MS", "DDS, MS"), "oral_surgery": ("DDS, MD", "DMD"),
    "fertility": ("MD", "MD, FACOG"), "medspa": ("MD", "NP-C", "RN, CANS", "PA-C"),
    "plastics": ("MD, FACS", "MD"), "glp1": ("NP", "FNP-C", "PA-C", "MD", "DO"), "chiro": ("DC",),
    "acu": ("L.Ac.", "DACM, L.Ac."), "urgent": ("MD", "DO", "PA-C", "FNP-C"),
    "concierge": ("MD", "DO", "MD, FACP"),
}  # fmt: skip
DOCTOR_CREDS = ("MD", "DO", "DDS", "DMD", "DC", "DACM")

VISITS: dict[str, tuple[tuple[str, str], ...]] = {
    "dental": (
        (
            "crown prep on tooth #{tooth}",
            "Please allow 90 minutes. You will be numb for two to three hours and leave with a temporary crown.",
        ),
        (
            "crown seat, tooth #{tooth}",
            "This visit takes about 45 minutes; your permanent crown is back from the lab.",
        ),
        (
            "periodic exam and cleaning with bitewing x-rays",
            "If your insurance has changed, please bring your new card.",
        ),
        (
            "scaling and root planing, upper and lower right",
            "If you were prescribed antibiotic premedication, take it one hour before.",
        ),
        (
            "root canal on tooth #{tooth}",
            "Eat a light meal beforehand; take 600 mg ibuprofen an hour before unless you cannot take NSAIDs.",
        ),
        (
            "two-surface filling, tooth #{tooth} MO",
            "Expect to be numb for a couple of hours afterwards.",
        ),
        ("implant consultation with CBCT scan", "Please bring a list of your current medications."),
        (
            "emergency visit for broken tooth #{tooth}",
            "If swelling gets worse before your visit, call us right away.",
        ),
    ),
    "ortho": (
        (
            "Invisalign check (aligner {a} of {b})",
            "Bring your current and previous aligners in their case.",
        ),
        ("braces adjustment and wire change", "Brush and floss well before you come in."),
        ("Invisalign attachments and first aligners", "Please allow 60 minutes."),
        (
            "braces removal and retainer scan",
            "Allow 90 minutes; retainers are delivered a week later.",
        ),
        ("palatal expander check", "A parent or guardian must accompany patients under 18."),
    ),
    "oral_surgery": (
        (
            "wisdom tooth extraction (#1, #16, #17, #32) under IV sedation",
            "Nothing to eat or drink after midnight. A driver must stay in the office during surgery.",
        ),
        (
            "extraction of tooth #{tooth} with bone graft",
            "No food for 6 hours before if you are having IV sedation.",
        ),
        ("implant placement at #{tooth}", "Start your amoxicillin the day before as prescribed."),
        ("one-week check after wisdom tooth extraction", "No preparation is needed."),
        ("biopsy of a lesion on the lower lip", "Please tell us about any blood thinners."),
    ),
    "fertility": (
        ("IUI", "Your partner's sample should reach the andrology lab 90 minutes before."),
        (
            "egg retrieval",
            "Nothing to eat or drink after midnight. Take your trigger exactly as instructed and bring a driver.",
        ),
        (
            "frozen embryo transfer",
            "Arrive with a comfortably full bladder and take your Valium 30 minutes before.",
        ),
        (
            "baseline ultrasound and bloodwork (cycle day 2)",
            "Monitoring hours are 7:00 to 9:30 AM.",
        ),
        ("saline sonogram (SIS)", "Take 800 mg ibuprofen an hour before."),
        ("monitoring ultrasound and E2 draw", "Please arrive between 7:00 and 8:30 AM."),
        (
            "new-patient IVF consultation",
            "Please finish the online intake and send your prior records.",
        ),
        ("HSG (tubal patency test)", "This must fall between cycle days 6 and 11."),
    ),
    "medspa": (
        (
            "Botox - forehead, glabella and crow's feet",
            "Avoid alcohol and fish oil for 24 hours before to limit bruising.",
        ),
        (
            "lip filler (1 syringe)",
            "If you get cold sores, tell us so we can prescribe valacyclovir.",
        ),
        ("Botox 2-week touch-up", "No preparation is needed."),
        ("microneedling with PRP", "Come with a clean face; we will draw blood for the PRP."),
        (
            "laser hair removal, session {a} of 6",
            "Shave the area the night before and avoid sun for two weeks.",
        ),
        (
            "Kybella for submental fat, treatment 2",
            "Expect swelling under the chin for 3 to 5 days.",
        ),
        ("CoolSculpting - abdomen and flanks", "Wear comfortable clothing."),
    ),
    "plastics": (
        (
            "rhinoplasty pre-op visit",
            "Stop aspirin, ibuprofen and fish oil two weeks before surgery.",
        ),
        ("breast augmentation consultation with sizing", "Bring a fitted sports bra."),
        (
            "abdominoplasty one-week post-op and drain removal",
            "Wear your compression garment to the visit.",
        ),
        ("upper blepharoplasty", "Arrange a driver; surgery takes about 90 minutes."),
        ("liposuction of the flanks, 6-week follow-up", "No preparation is needed."),
    ),
    "glp1": (
        ("semaglutide dose check (video visit)", "Have this morning's scale reading ready."),
        (
            "tirzepatide titration follow-up",
            "Log your weight and any side effects in the app beforehand.",
        ),
        (
            "initial weight-loss consultation (telehealth)",
            "Upload recent labs (A1c, lipid panel, TSH) if you have them.",
        ),
        (
            "monthly GLP-1 check-in",
            "Have your current pen or vial nearby so we can confirm your dose.",
        ),
    ),
    "chiro": (
        ("chiropractic adjustment with e-stim", "Wear loose clothing."),
        ("re-exam and progress x-rays", "Wear loose clothing without metal."),
        ("spinal decompression, session {a} of 20", "Please avoid a heavy meal right before."),
        (
            "60-minute massage therapy (auto injury case)",
            "Bring your claim number if it has changed.",
        ),
    ),
    "acu": (
        ("acupuncture, fertility support protocol", "Please eat a light meal an hour before."),
        ("acupuncture for migraines, session {a}", "Please eat a light meal an hour before."),
        ("cupping and acupuncture for neck pain", "Wear a loose top."),
    ),
}

MOLARS = (2, 3, 14, 15, 18, 19, 30, 31)
PREMOLARS = (4, 5, 12, 13, 20, 21, 28, 29)
ANTERIOR = (6, 7, 8, 9, 10, 11, 22, 23, 24, 25, 26, 27)
THIRDS = (1, 16, 17, 32)
QUADS = ("UR", "UL", "LL", "LR")

# code: (description, low fee, high fee, benefit class, site kind)
CDT: dict[str, tuple[str, int, int, str, str]] = {
    "D0120": ("Periodic oral evaluation", 55, 75, "diag", "none"),
    "D0140": ("Limited oral evaluation - problem focused", 75, 110, "diag", "none"),
    "D0150": ("Comprehensive oral evaluation", 85, 125, "diag", "none"),
    "D0180": ("Comprehensive periodontal evaluation", 95, 135, "diag", "none"),
    "D0210": ("Intraoral - comprehensive series of radiographic images", 120, 165, "diag", "none"),
    "D0220": ("Intraoral - periapical first radiographic image", 28, 40, "diag", "tooth"),
    "D0274": ("Bitewings - four radiographic images", 60, 85, "diag", "none"),
    "D0330": ("Panoramic radiographic image", 95, 135, "diag", "none"),
    "D0340": ("2D cephalometric radiographic image", 90, 130, "diag", "none"),
    "D0367": ("Cone beam CT - both jaws", 250, 375, "diag", "none"),
    "D1110": ("Prophylaxis - adult", 95, 135, "prev", "none"),
    "D2391": ("Resin-based composite - one surface, posterior", 165, 215, "basic", "tooth"),
    "D2392": ("Resin-based composite - two surfaces, posterior", 210, 275, "basic", "tooth"),
    "D2393": ("Resin-based composite - three surfaces, posterior", 255, 330, "basic", "tooth"),
    "D2740": ("Crown - porcelain/ceramic", 1150, 1550, "major", "tooth"),
    "D2750": ("Crown - porcelain fused to high noble metal", 1100, 1450, "major", "tooth"),
    "D2950": ("Core buildup, including any pins when required", 250, 345, "major", "tooth"),
    "D3330": (
        "Endodontic therapy, molar tooth (excluding final restoration)",
        1100,
        1450,
        "basic",
        "molar",
    ),
    "D4341": (
        "Periodontal scaling and root planing - four or more teeth per quadrant",
        230,
        310,
        "basic",
        "quad",
    ),
    "D4910": ("Periodontal maintenance", 140, 185, "basic", "none"),
    "D6010": (
        "Surgical placement of implant body: endosteal implant",
        1900,
        2450,
        "major",
        "implant",
    ),
    "D6057": ("Custom fabricated abutment - includes placement", 650, 875, "major", "implant"),
    "D6065": ("Implant supported porcelain/ceramic crown", 1400, 1850, "major", "implant"),
    "D7140": ("Extraction, erupted tooth or exposed root", 150, 235, "basic", "tooth"),
    "D7210": (
        "Extraction, erupted tooth requiring removal of bone and/or sectioning",
        280,
        385,
        "basic",
        "implant",
    ),
    "D7230": ("Removal of impacted tooth - partially bony", 400, 510, "basic", "third"),
    "D7240": ("Removal of impacted tooth - completely bony", 480, 615, "basic", "third"),
    "D7953": (
        "Bone replacement graft for ridge preservation - per site",
        450,
        675,
        "major",
        "implant",
    ),
    "D8080": (
        "Comprehensive orthodontic treatment of the adolescent dentition",
        5200,
        6800,
        "ortho",
        "none",
    ),
    "D8090": (
        "Comprehensive orthodontic treatment of the adult dentition",
        5500,
        7200,
        "ortho",
        "none",
    ),
    "D9239": (
        "IV moderate (conscious) sedation/analgesia - first 15 minutes",
        250,
        350,
        "basic",
        "none",
    ),
    "D9243": (
        "IV moderate (conscious) sedation/analgesia - each subsequent 15 minutes",
        180,
        250,
        "basic",
        "none",
    ),
    "D9944": ("Occlusal guard - hard appliance, full arch", 450, 650, "other", "none"),
    "D9972": ("External bleaching - per arch", 250, 400, "other", "arch"),
}
PLANS = {
    "restorative": ("D0150", "D0210", "D2392", "D2391", "D2740", "D2950"),
    "root canal and crown": ("D0140", "D0220", "D3330", "D2950", "D2740"),
    "periodontal": ("D0180", "D4341", "D4341", "D4341", "D4910"),
    "implant": ("D0367", "D7210", "D7953", "D6010", "D6057", "D6065"),
    "third molars": ("D0330", "D7240", "D7240", "D7230", "D9239", "D9243"),
    "orthodontic": ("D0340", "D8090"),
    "cosmetic": ("D9972", "D9972", "D9944"),
}
COVERAGE = {"diag": 100, "prev": 100, "basic": 80, "major": 50, "ortho": 50, "other": 0}
DENTAL_PAYERS = (
    ("Delta Dental PPO", "deltadental"), ("MetLife PDP Plus", "metlife-dental"),
    ("Cigna Dental PPO", "cigna-dental"), ("Guardian DentalGuard Preferred", "guardian-dental"),
    ("Aetna Dental PPO", "aetna-dental"), ("United Concordia", "unitedconcordia"),
    ("Ameritas", "ameritas"),
)  # fmt: skip


def fold(s: str) -> str:
    """`s` without accents (Đ and ł have no decomposition, so they are mapped first)."""
    s = s.replace("Đ", "D").replace("đ", "d").replace("ł", "l").replace("Ł", "L")
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")


def slug(s: str) -> str:
    return "".join(c for c in fold(s).lower() if c.isalnum())


def money(x: float, cents: bool = True) -> str:
    return f"${x:,.2f}" if cents else f"${x:,.0f}"


def fmt_date(d: dt.date, style: str) -> str:
    if style == "us":
        return f"{d.month}/{d.day}/{d.year}"
    if style == "us0":
        return d.strftime("%m/%d/%Y")
    if style == "us2":
        return f"{d.month}/{d.day}/{d:%y}"
    if style == "long":
        return f"{d:%B} {d.day}, {d.year}"
    if style == "dow":
        return f"{d:%A}, {d:%B} {d.day}"
    if style == "dowyear":
        return f"{d:%a} {d:%b} {d.day}, {d.year}"
    if style == "iso":
        return d.isoformat()
    if style == "dmy":
        return f"{d.day} {d:%b} {d.year}"
    return f"{d:%b} {d.day}"


def text_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Rows in space-aligned columns under a dashed rule."""
    allrows = [header, *rows]
    widths = [max(len(r[i]) for r in allrows) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in allrows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def h(s: object) -> str:
    return html.escape(str(s))


def html_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    head = "".join(
        f'<th style="text-align:left;border-bottom:1px solid #999;padding:4px 8px">{h(c)}</th>'
        for c in header
    )
    body = "".join(
        "<tr>" + "".join(f'<td style="padding:4px 8px">{h(c)}</td>' for c in r) + "</tr>\n"
        for r in rows
    )
    return f'<table cellspacing="0" style="border-collapse:collapse;font-size:13px"><tr>{head}</tr>\n{body}</table>'


def html_page(title: str, inner: str, footer: str = "", color: str = "#2f6f8f") -> str:
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n'
        '<body style="font-family:Helvetica,Arial,sans-serif;color:#222;background:#f4f4f4">\n'
        '<table width="600" align="center" cellpadding="0" cellspacing="0" style="background:#fff">\n'
        f'<tr><td style="background:{color};color:#fff;padding:14px 22px;font-size:18px">{h(title)}</td></tr>\n'
        f'<tr><td style="padding:20px 22px;font-size:14px;line-height:1.5">\n{inner}\n</td></tr>\n'
        f'<tr><td style="padding:12px 22px;font-size:11px;color:#777">{footer}</td></tr>\n'
        "</table>\n</body></html>\n"
    )


def paras(*lines: str) -> str:
    return "\n".join(f"<p>{h(x)}</p>" for x in lines if x)


def csv_bytes(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


@dataclass(frozen=True)
class Practice:
    """One practice (or one location of a chain) a message comes from."""

    kind: str
    name: str
    domain: str
    software: str
    street: str
    city: str
    state: str
    zip: str
    area: str
    phone: str
    utc: int

    @property
    def address(self) -> str:
        return f"{self.street}, {self.city}, {self.state} {self.zip}"


class Gen(OnePatientGen):
    """templates-o's generator: one patient (romanized names for non-Latin locales), the
    practice and sender a family chose, and a fixed clock around BASE."""

    patient_locales = PATIENT_LOCALES
    staff_locales = STAFF_LOCALES

    def __init__(self, rng: random.Random) -> None:
        super().__init__(rng)
        self.locale = str(self.pt.locales[0])
        self.us = Faker("en_US")
        self.us.seed_instance(rng.randrange(2**32))
        self.given, self.family = self._name("")
        self.when_sent = BASE + dt.timedelta(
            days=rng.randint(-28, 28), minutes=rng.randint(6 * 60 + 30, 20 * 60)
        )
        self.dstyle = rng.choice(("us", "us0", "long", "dow", "dowyear", "iso", "dmy", "us2"))
        self.dobstyle = rng.choice(("us0", "us0", "us", "iso", "long", "us2"))
        self.tstyle = rng.randrange(4)
        self.me = ""
        self.from_addr = ""
        self.to = ""
        self.prac: Practice | None = None
        self._chart = ""
        self._chart_label = ""
        self._email = ""
        self._phone = ""
        self._dob: dt.date | None = None

    # ---- people
    def _name(self, sex: str) -> tuple[str, str]:
        loc, rng = self.locale, self.rng
        if loc == "ko_KR":
            pool = (
                KO_GIVEN_F if sex == "F" else KO_GIVEN_M if sex == "M" else KO_GIVEN_F + KO_GIVEN_M
            )
            return rng.choice(pool), rng.choice(KO_FAMILY)
        if loc == "vi_VN":
            pool = (
                VI_GIVEN_F if sex == "F" else VI_GIVEN_M if sex == "M" else VI_GIVEN_F + VI_GIVEN_M
            )
            given, fam = rng.choice(pool), str(self.pt.last_name())
            return (given, fam) if rng.random() < 0.5 else (fold(given), fold(fam))
        if loc == "ja_JP":
            given = (
                self.pt.first_romanized_name_female()
                if sex == "F"
                else self.pt.first_romanized_name_male()
                if sex == "M"
                else self.pt.first_romanized_name()
            )
            return str(given), str(self.pt.last_romanized_name())
        if loc == "zh_CN":
            return str(self.pt.first_romanized_name()), str(self.pt.last_romanized_name())
        given = (
            self.pt.first_name_female()
            if sex == "F"
            else self.pt.first_name_male()
            if sex == "M"
            else self.pt.first_name()
        )
        fam = str(self.pt.last_name())
        if loc in ("es_MX", "es_CO") and rng.random() < 0.3:
            fam = f"{fam} {self.pt.last_name()}"
        return str(given), fam

    def sex(self, s: str) -> None:
        """Redraw the patient as a woman ("F") or a man ("M")."""
        self.given, self.family = self._name(s)

    def other_person(self, sex: str = "") -> tuple[str, str]:
        if self.rng.random() < 0.5:
            return self._name(sex)
        first = (
            self.us.first_name_female()
            if sex == "F"
            else self.us.first_name_male()
            if sex == "M"
            else self.us.first_name()
        )
        return str(first), str(self.us.last_name())

    def formal(self) -> str:
        return f"{self.family.upper()}, {self.given}"

    def name_as(self) -> str:
        """The patient's name as one system or another prints it."""
        return self.pick(
            self.patient(), self.patient(), f"{self.family}, {self.given}", self.formal()
        )

    def staff(self) -> str:
        return f"{self.st.first_name()} {self.st.last_name()}"

    def staff_addr(self, name: str, domain: str) -> str:
        parts = [slug(x) for x in name.replace(",", " ").split() if slug(x)]
        if len(parts) < 2:
            return f"{parts[0] if parts else 'office'}@{domain}"
        v = self.variant(3)
        local = (
            f"{parts[0]}.{parts[-1]}"
            if v == 0
            else f"{parts[0][0]}{parts[-1]}"
            if v == 1
            else parts[0]
        )
        return f"{local}@{domain}"

    def prov_addr(self, prov: str, domain: str) -> str:
        """An address for a provider as `provider` printed them."""
        parts = [slug(x) for x in prov.split(",")[0].replace("Dr. ", "").split() if slug(x)]
        last = parts[-1]
        if len(parts) == 1:
            return f"{self.pick('dr', 'dr.', '')}{last}@{domain}"
        return (
            f"{self.pick(parts[0][0] + last, parts[0] + '.' + last)}@{domain}"
            if len(parts[0]) > 1
            else f"{parts[0]}{last}@{domain}"
        )

    def provider(self, kind: str) -> str:
        cred = self.rng.choice(CREDENTIALS[kind])
        first, last = str(self.st.first_name()), str(self.st.last_name())
        doctor = cred.split(",")[0] in DOCTOR_CREDS
        v = self.variant(4)
        if doctor and v == 0:
            return f"Dr. {last}"
        if doctor and v == 1:
            return f"Dr. {first} {last}"
        if v == 2:
            return f"{first[0]}. {last}, {cred}"
        return f"{first} {last}, {cred}"

    # ---- practice and sender
    def practice(self, kind: str) -> Practice:
        name, dom, software = self.rng.choice(PRACTICES[kind])
        city, state, area, utc = self.rng.choice(CITIES)
        if kind == "urgent":
            name = self.pick(f"{name} - {city}", f"{name} ({city})", name)
        phone = self._fmt_phone(area, self.rng.randint(201, 989), self.rng.randint(1000, 9999))
        self.prac = Practice(
            kind, name, f"{dom}.example", software, str(self.us.street_address()), city,
            state, str(self.us.zipcode_in_state(state)), area, phone, utc,
        )  # fmt: skip
        return self.prac

    def sender(self, name: str, addr: str) -> None:
        self.me, self.from_addr = name, addr

    def staff_sender(self) -> str:
        """A staff member of the practice as the sender; returns the name."""
        assert self.prac is not None
        name = self.staff()
        self.sender(name, self.staff_addr(name, self.prac.domain))
        return name

    # ---- identifiers
    def _fmt_phone(self, area: str, exch: int, line: int) -> str:
        if exch == 555:
            exch = 556
        v = self.variant(5)
        if v == 0:
            return f"({area}) {exch}-{line:04d}"
        if v == 1:
            return f"{area}-{exch}-{line:04d}"
        if v == 2:
            return f"{area}.{exch}.{line:04d}"
        if v == 3:
            return f"+1 {area} {exch} {line:04d}"
        return f"({area}) {exch}-{line:04d}"

    def pt_phone(self) -> str:
        if not self._phone:
            area = (
                self.prac.area if self.prac and self.rng.random() < 0.6 else self.rng.choice(AREAS)
            )
            self._phone = self._fmt_phone(
                area, self.rng.randint(201, 989), self.rng.randint(0, 9999)
            )
        return self._phone

    def pt_email(self) -> str:
        if not self._email:
            gv, fv = slug(self.given) or "pat", slug(self.family) or "home"
            nn = self.digits(self.rng.choice((2, 2, 3, 4)))
            v = self.variant(6)
            local = (
                f"{gv}.{fv}{nn}", f"{gv[0]}{fv}{nn}", f"{gv}{fv}", f"{fv}.{gv}", f"{gv}_{fv[:5]}{nn}",
                f"{gv}{nn}",
            )[v]  # fmt: skip
            dom = self.pick(
                "gmail.com", "gmail.com", "yahoo.com", "icloud.com", "outlook.com", "hotmail.com",
                "aol.com", "comcast.net",
            )  # fmt: skip
            self._email = f"{local}@{dom}"
        return self._email

    def pt_address(self) -> str:
        if self.prac and self.rng.random() < 0.65:
            city, state = self.prac.city, self.prac.state
        else:
            city, state = str(self.us.city()), str(self.us.state_abbr(include_territories=False))
        return f"{self.us.street_address()}, {city}, {state} {self.us.zipcode_in_state(state)}"

    def chart_no(self) -> str:
        if not self._chart:
            v = self.variant(6)
            if v == 0:
                self._chart = self.digits(5).lstrip("0") or "4417"
            elif v == 1:
                self._chart = "00" + self.digits(5)
            elif v == 2:
                letters = "".join(c for c in fold(self.family) if c.isalpha())[:3].upper() or "PAT"
                self._chart = f"{letters}{self.digits(4)}"
            elif v == 3:
                self._chart = f"{self.pick('P', 'PT', 'A', 'M')}-{self.digits(6)}"
            elif v == 4:
                self._chart = self.digits(8)
            else:
                self._chart = f"{self.digits(3)}-{self.digits(4)}"
        return self._chart

    def chart(self) -> str:
        """The chart or account number with a label, the same label throughout one message."""
        if not self._chart_label:
            self._chart_label = self.pick(
                "Chart #", "Chart: ", "Acct #", "Account ", "MRN ", "Patient ID ", "Pt ID: ",
                "Chart No. ",
            )  # fmt: skip
        return f"{self._chart_label}{self.chart_no()}"

    # ---- dates and times
    def day(self, lo: int, hi: int) -> dt.date:
        return (self.when_sent + dt.timedelta(days=self.rng.randint(lo, hi))).date()

    def date(self, d: dt.date, style: str = "") -> str:
        return fmt_date(d, style or self.dstyle)

    def dob_date(self, lo: int = 18, hi: int = 80) -> dt.date:
        if self._dob is None:
            days = self.rng.randint(lo * 365 + 10, hi * 365 + 300)
            self._dob = (BASE - dt.timedelta(days=days)).date()
        return self._dob

    def dob(self, lo: int = 18, hi: int = 80) -> str:
        return fmt_date(self.dob_date(lo, hi), self.dobstyle)

    def age(self) -> int:
        d, today = self.dob_date(), self.when_sent.date()
        return today.year - d.year - ((today.month, today.day) < (d.month, d.day))

    def clock(self, lo: int = 7, hi: int = 17) -> str:
        hh, mm = self.rng.randint(lo, hi), self.rng.choice((0, 0, 15, 30, 30, 45, 10, 40))
        h12, ap = (hh - 1) % 12 + 1, "AM" if hh < 12 else "PM"
        return (
            f"{h12}:{mm:02d} {ap}",
            f"{h12}:{mm:02d}{ap.lower()}",
            f"{hh:02d}:{mm:02d}",
            f"{h12}:{mm:02d} {ap.lower()}",
        )[self.tstyle]

    def stamp(self, d: dt.datetime | None = None) -> str:
        d = d or self.when_sent
        return d.strftime(self.pick("%Y-%m-%d %H:%M", "%m/%d/%Y %I:%M %p", "%b %d %Y %H:%M:%S"))

    # ---- text pieces
    def visit(self, kind: str) -> tuple[str, str]:
        text, prep = self.rng.choice(VISITS[kind])
        tooth = self.rng.choice(MOLARS + PREMOLARS)
        b = self.rng.randint(14, 38)
        top = b - 1 if "{b}" in text else 6 if "of 6" in text else 20 if "of 20" in text else 10
        return text.format(tooth=tooth, a=self.rng.randint(2, top), b=b), prep

    def greet(self, full: bool = False) -> str:
        if full:
            return self.pick(
                f"Dear {self.patient()},", f"Hi {self.patient()},", f"Hello {self.patient()},"
            )
        return self.pick(
            f"Hi {self.given},", f"Hello {self.given},", f"Dear {self.given},",
            f"Good morning {self.given},", f"{self.given},", f"Hi {self.given} -",
        )  # fmt: skip

    def sign(self, name: str, title: str = "") -> str:
        p = self.prac
        assert p is not None
        t = f"\n{title}" if title else ""
        v = self.variant(5)
        if v == 0:
            return f"Thank you,\n{name}{t}\n{p.name}\n{p.phone}"
        if v == 1:
            return f"Best,\n{name.split()[0]}"
        if v == 2:
            bar = f" | {title}" if title else ""
            return f"Warm regards,\n\n{name}{bar}\n{p.name} | {p.address}\nP: {p.phone}"
        if v == 3:
            return f"-- \n{name}{t}\n{p.name}"
        return f"Thanks!\n{name}\n{p.name} · {p.phone} · www.{p.domain}"

    def conf(self) -> str:
        return self.pick(
            "",
            "",
            "\n\nCONFIDENTIALITY NOTICE: This e-mail, including any attachments, is for the sole use "
            "of the intended recipient(s) and may contain confidential and privileged information, "
            "including protected health information. If you are not the intended recipient, please "
            "contact the sender and destroy all copies.",
            "\n\nThis message may contain confidential health information protected by state and "
            "federal law. If you received it in error, notify us at once and delete it.",
        )


# ------------------------------------------------------------------------- PHI families
APPT_KINDS = (
    "dental", "dental", "ortho", "oral_surgery", "fertility", "medspa", "plastics", "glp1",
    "chiro", "acu",
)  # fmt: skip


def pms_appt_reminder(g: Gen) -> Mail:
    """A practice-management system's confirmation, reminder, move or forms request naming the
    patient and the visit."""
    kind = g.rng.choice(APPT_KINDS)
    p = g.practice(kind)
    if kind in ("fertility",):
        g.sex("F")
    visit, prep = g.visit(kind)
    prov = g.provider(kind)
    d = g.day(1, 16)
    when = f"{g.date(d)} at {g.clock()}"
    name, email = g.patient(), g.pt_email()
    g.sender(
        g.pick(p.name, f"{p.name} via {p.software}", f"{p.software} Reminders"),
        f"{g.pick('noreply', 'reminders', 'appointments', 'no-reply')}@{p.domain}",
    )
    g.to = email if g.rng.random() < 0.8 else f"frontdesk@{p.domain}"
    headers = {"X-Mailer": f"{p.software} Notify {g.rng.randint(3, 24)}.{g.rng.randint(0, 9)}"}
    sent_to = g.pick(
        f"\n\nThis reminder was sent to {email} for {name}.",
        f"\n\nYou are receiving this message because {email} is the contact on file.",
        "",
    )
    named_subject = g.rng.random() < 0.35
    subject = (
        g.pick(
            f"Reminder: {name} - {visit} on {g.date(d, 'short')}",
            f"Appt confirmation for {name}: {visit}",
            f"{g.formal()} | {visit} | {g.date(d, 'us')}",
        )
        if named_subject
        else g.pick(
            f"Appointment reminder from {p.name}",
            "Please confirm your upcoming appointment",
            f"Your appointment on {g.date(d, 'short')}",
            f"[{p.software}] Appointment notification",
        )
    )
    where = ("subject", "body") if named_subject else ("body",)
    v = g.variant(5)
    if v == 0:
        body = (
            f"{p.name}\nAPPOINTMENT CONFIRMATION\n\n"
            f"Patient:    {name}\n"
            + g.pick(f"DOB:        {g.dob()}\n", f"{g.chart()}\n", "")
            + f"Date/Time:  {when}\n"
            f"Provider:   {prov}\n"
            f"Procedure:  {visit}\n"
            f"Location:   {p.address}\n\n"
            f"{prep}\n\n"
            f"Reply C to confirm or call {p.phone} to reschedule. Cancellations need 24 hours' "
            f"notice; a ${g.pick('50', '75', '100')} fee applies to missed appointments."
            f"{sent_to}"
        )
        return phi(subject, body, where=where, headers=headers)
    if v == 1:
        body = (
            f"{g.greet()}\n\n"
            f"Just a friendly reminder that you're scheduled for your {visit} with {prov} on "
            f"{when}. {prep}\n\n"
            f"Appointment for: {g.given} {g.family[0]}. ({g.chart()})\n"
            f"Where: {p.name}, {p.address}\n\n"
            f"Need to make a change? Call or text {p.phone}.\n\nSee you soon!\n{p.name}"
            f"{sent_to}"
        )
        return phi(subject, body, where=where, headers=headers)
    if v == 2:
        inner = (
            f"<p>{h(g.greet(full=True))}</p>\n"
            f"<p>Your appointment is confirmed.</p>\n"
            + html_table(
                ("", ""),
                [
                    ("Patient", name),
                    ("Service", visit),
                    ("With", prov),
                    ("When", when),
                    ("Where", p.address),
                ],
            )
            + f"\n<p>{h(prep)}</p>\n"
            f'<p><a href="https://book.{p.domain}/c/{g.digits(8)}" style="background:#2f6f8f;'
            f'color:#fff;padding:8px 14px;text-decoration:none">Confirm</a> &nbsp; '
            f'<a href="https://book.{p.domain}/r/{g.digits(8)}">Reschedule</a></p>'
        )
        footer = f"{h(p.name)} · {h(p.address)} · {h(p.phone)}<br>Sent to {h(email)}"
        return phi(
            subject, html_page(p.name, inner, footer), where=where, html=True, headers=headers
        )
    if v == 3:
        old = d - dt.timedelta(days=g.rng.randint(1, 6))
        if old <= g.when_sent.date():
            old = d + dt.timedelta(days=g.rng.randint(2, 9))
        body = (
            f"{g.greet(full=True)}\n\n"
            f"Your {visit} with {prov} has been moved from {g.date(old)} to {when}"
            f"{g.pick(' because the doctor is out of the office.', ' at your request.', '.')}\n\n"
            f"{prep}\n\n"
            f"If the new time does not work, reply to this e-mail or call us at {p.phone}.\n\n"
            f"{p.name}\n{p.address}{sent_to}"
        )
        return phi(subject, body, where=where, headers=headers)
    body = (
        f"{g.greet()}\n\n"
        f"Before your {visit} on {when}, please complete your health history and consent "
        f"forms online so we can spend your visit on your care:\n"
        f"https://forms.{p.domain}/p/{g.digits(6)}{g.pick('a', 'k', 'x')}\n\n"
        f"Patient: {name}   DOB: {g.dob()}\n"
        f"Please have your photo ID{g.pick(' and insurance card', '', ' and a list of medications')} "
        f"ready.\n\n{prep}\n\nThank you,\n{p.name} front desk\n{p.phone}{sent_to}"
    )
    return phi(subject, body, where=where, headers=headers)


SMS_OUT = (
    "Hi {first}, this is {short} confirming your {visit} w/ {prov} on {d} at {t}. Reply C to confirm, R to reschedule.",
    "{short}: {first}, reminder - {visit} tomorrow at {t}. {prep}",
    "Hi {first}! How did your {visit} go today? We'd love a review: https://rvw.example/{code}",
    "{first}, you are due to schedule your {visit}. Call {phone} or book at https://book.example/{code}",
)
SMS_IN = (
    "C", "Confirmed thanks", "can I move my {short_visit} to friday?", "running 10 min late sorry",
    "STOP", "who is this",
)  # fmt: skip
SMS_IN_KIND = {
    "dental": "Is it normal to still have some bleeding today?",
    "oral_surgery": "Is it normal to still have some bleeding today?",
    "fertility": "do I take the meds tonight or in the morning?",
    "glp1": "still nauseous after the last shot, should I skip this week?",
    "medspa": "some bruising on the left side, is that ok?",
    "plastics": "the swelling is worse on one side, should I come in?",
    "chiro": "my back is worse since yesterday, can I get in today?",
}


def sms_gateway_log(g: Gen) -> Mail:
    """An SMS-to-e-mail gateway's delivery report or reply digest: phone numbers, first names
    and the visits in the texts."""
    kind = g.rng.choice(APPT_KINDS)
    p = g.practice(kind)
    short = g.pick(p.name.split(" - ")[0], p.software.split()[0] if kind == "glp1" else p.name)
    g.sender(f"{p.software} Texting", f"sms-relay@{p.domain}")
    g.to = g.pick(
        f"frontdesk@{p.domain}", f"office.manager@{p.domain}", g.staff_addr(g.staff(), p.domain)
    )
    people = [(g.given, g.family, g.pt_phone())]
    for _ in range(g.rng.randint(1, 4)):
        f, last = g.other_person()
        people.append(
            (
                f,
                last,
                g._fmt_phone(
                    g.rng.choice((p.area, *AREAS)), g.rng.randint(201, 989), g.rng.randint(0, 9999)
                ),
            )
        )
    rows: list[tuple[str, ...]] = []
    base = g.when_sent.replace(hour=g.rng.randint(7, 9), minute=g.rng.randint(0, 59))
    for i, (first, last, phone) in enumerate(people):
        visit, prep = g.visit(kind)
        t = base + dt.timedelta(minutes=7 * i + g.rng.randint(0, 5))
        text = g.rng.choice(SMS_OUT).format(
            first=first, short=short, visit=visit, prov=g.provider(kind),
            d=g.date(g.day(1, 9), "us2"), t=g.clock(), prep=prep, code=g.digits(6), phone=p.phone,
        )  # fmt: skip
        status = g.pick("Delivered", "Delivered", "Delivered", "Undelivered (landline)", "Queued")
        rows.append((t.strftime("%H:%M"), "OUT", phone, f"{first} {last}", status, text))
        if g.rng.random() < 0.5 and not status.startswith("Undelivered"):
            replies = (*SMS_IN, SMS_IN_KIND[kind]) if kind in SMS_IN_KIND else SMS_IN
            reply = g.rng.choice(replies).format(short_visit=visit.split(",")[0].split(" (")[0])
            rows.append(
                (
                    (t + dt.timedelta(minutes=g.rng.randint(1, 40))).strftime("%H:%M"),
                    "IN",
                    phone,
                    f"{first} {last}",
                    "Received",
                    reply,
                )
            )
    rows.sort(key=lambda r: r[0])
    day = g.date(g.when_sent.date())
    subject = g.pick(
        f"SMS activity report - {day}", f"[{p.software}] Text message digest",
        f"{len(rows)} text messages processed", "Two-way texting: daily log",
    )  # fmt: skip
    v = g.variant(3)
    if v == 0:
        lines = [f"[{r[0]}] {r[1]} {r[2]} ({r[3]}) {r[4]}\n    {r[5]}" for r in rows]
        body = (
            f"Text messaging log for {p.name}, {day}\n\n"
            + "\n\n".join(lines)
            + f"\n\n-- {p.software} two-way texting. Replies are matched to patient records by phone number."
        )
        return phi(subject, body)
    if v == 1:
        blocks = [
            f"Time: {r[0]}\nDirection: {r[1]}\nNumber: {r[2]}\nMatched patient: {r[3]}\nStatus: {r[4]}\nMessage: {r[5]}"
            for r in rows
        ]
        body = f"Daily SMS report ({day})\n{'=' * 30}\n\n" + "\n\n".join(blocks) + "\n"
        return phi(subject, body)
    header = ("time", "direction", "phone", "patient", "status", "message")
    first = rows[0]
    body = (
        f"Attached is today's texting log ({len(rows)} messages).\n\n"
        f'Needs follow-up: {first[3]} at {first[2]} - "{first[5]}" ({first[4]}).\n\n'
        f"{g.staff()}\n{p.name}"
    )
    return phi(
        subject, body,
        attachments=[(f"sms_log_{g.when_sent:%Y%m%d}.csv", "text/csv", csv_bytes(header, rows))],
    )  # fmt: skip


REVIEWS_BAD = (
    "Waited 40 minutes past my appointment time and nobody said sorry.",
    "The front desk charged me twice and it took three calls to fix.",
    "Still sore a week later and nobody called to check on me.",
    "Felt rushed, the provider barely explained anything.",
)
REVIEWS_GOOD = (
    "Everyone was so kind and I barely felt a thing!",
    "Best experience I've had, the staff explained everything.",
    "Quick, painless and the results look natural.",
)


def review_request(g: Gen) -> Mail:
    """A review or survey request quoting the visit, or a review alert that matches a reviewer to
    their chart."""
    kind = g.rng.choice(APPT_KINDS)
    p = g.practice(kind)
    visit, _ = g.visit(kind)
    prov = g.provider(kind)
    d = g.day(-6, -1)
    v = g.variant(4)
    if v == 0:
        g.sender(p.name, f"feedback@{p.domain}")
        g.to = g.pt_email()
        inner = (
            f"<p>Hi {h(g.given)},</p>\n"
            f"<p>Thank you for choosing {h(p.name)} for your <b>{h(visit)}</b> with {h(prov)} on "
            f"{h(g.date(d))}. How did we do?</p>\n"
            '<p style="font-size:28px;letter-spacing:6px">'
            + "".join(
                f'<a href="https://rvw.{p.domain}/r/{g.digits(6)}?s={i}" style="text-decoration:none">&#9733;</a>'
                for i in range(1, 6)
            )
            + "</p>\n<p>It only takes a minute and helps other patients find us.</p>"
        )
        footer = f"This survey was sent to {h(g.pt_email())} for {h(g.patient())}. {h(p.address)}"
        subject = g.pick("How was your visit?", f"{p.name} would love your feedback")
        return phi(subject, html_page(p.name, inner, footer), html=True)
    if v == 1:
        g.sender(p.name, f"no-reply@{p.domain}")
        g.to = g.pt_email()
        body = (
            f"{g.greet(full=True)}\n\n"
            f"We hope you're feeling great after your {visit} on {g.date(d)}. "
            f"{prov} and the team would appreciate a quick review:\n\n"
            f"  Google: https://g.page/r/{g.digits(10)}/review\n"
            f"  Our survey: https://survey.{p.domain}/s/{g.chart_no()}\n\n"
            f"If anything about your {visit.split(' (')[0]} wasn't right, reply here and our office "
            f"manager will call you.\n\n{p.name}\n{p.phone}"
        )
        subject = g.pick("Tell us about your visit", f"Thanks for visiting {p.name}!")
        return phi(subject, body)
    stars = g.rng.choice((1, 2, 2, 3, 5))
    text = g.rng.choice(REVIEWS_GOOD if stars == 5 else REVIEWS_BAD)
    g.sender(f"{p.software} Reputation", f"reviews@{p.domain}")
    g.to = f"{g.pick('office.manager', 'practice.admin', 'marketing')}@{p.domain}"
    reviewer = g.pick(g.patient(), f"{g.given} {g.family[0]}.")
    subject = g.pick(
        f"New {stars}-star review on Google", f"Review alert: {stars} stars",
        f"[{p.software}] New review needs a response",
    )  # fmt: skip
    body = (
        f"New {stars}-star review for {p.name}\n\n"
        f"Reviewer: {reviewer}\n"
        f'"{text}"\n\n'
        f"Matched to patient: {g.patient()} ({g.chart()})\n"
        f"Last visit: {g.date(d)} - {visit} with {prov}\n"
        + g.pick(f"Mobile on file: {g.pt_phone()}\n", f"E-mail on file: {g.pt_email()}\n", "")
        + "\nRemember: do not confirm in a public reply that the reviewer is a patient.\n"
        f"Respond: https://app.{p.domain}/reputation/{g.digits(7)}"
    )
    return phi(subject, body)


def dental_items(g: Gen, plan: str) -> list[tuple[str, str, str, int, str]]:
    """Line items (code, tooth/area, description, fee, benefit class) of a dental plan."""
    main = g.rng.choice(MOLARS if plan != "implant" else MOLARS + PREMOLARS)
    thirds, quads = list(THIRDS), list(QUADS)
    g.rng.shuffle(thirds)
    g.rng.shuffle(quads)
    arches = ["UA", "LA"]
    items = []
    for code in PLANS[plan]:
        desc, lo, hi, cls, site = CDT[code]
        fee = round(g.rng.randint(lo, hi) / 5) * 5
        if site in ("molar", "implant") or (
            site == "tooth" and code in ("D2740", "D2750", "D2950", "D0220")
        ):
            area = f"#{main}"
        elif site == "tooth":
            t = g.rng.choice([x for x in MOLARS + PREMOLARS if x != main])
            surf = {
                "D2391": g.pick("O", "B", "L"),
                "D2392": g.pick("MO", "DO"),
                "D2393": "MOD",
            }.get(code, "")
            area = f"#{t} {surf}".strip()
        elif site == "third":
            area = f"#{thirds.pop()}"
        elif site == "quad":
            area = quads.pop()
        elif site == "arch":
            area = arches.pop(0)
        else:
            area = ""
        items.append((code, area, desc, fee, cls))
    return items


def estimate(g: Gen, items: list[tuple[str, str, str, int, str]]) -> list[tuple[float, float]]:
    """(insurance, patient) per item, with a deductible and the remaining annual maximum."""
    remaining = float(g.rng.choice((450, 700, 850, 1000, 1250, 1500, 2000)))
    deductible = float(g.rng.choice((0, 50, 50, 75)))
    out = []
    for _, _, _, fee, cls in items:
        pct = COVERAGE[cls]
        if cls == "ortho":
            ins = min(fee * pct / 100, float(g.rng.choice((1500, 2000))))
        else:
            ded = min(deductible, fee) if cls in ("basic", "major") and pct else 0.0
            deductible -= ded
            ins = min((fee - ded) * pct / 100, remaining)
            remaining -= ins
        out.append((round(ins, 2), round(fee - ins, 2)))
    return out


def dental_treatment_plan(g: Gen) -> Mail:
    """A dental treatment plan or estimate: CDT codes, tooth numbers, fees, insurance estimate
    and patient portion, sent to the patient or the treatment coordinator."""
    plan = g.rng.choice(tuple(PLANS))
    kind = {"orthodontic": "ortho", "third molars": "oral_surgery"}.get(plan, "dental")
    p = g.practice(kind)
    prov = g.provider(kind)
    items = dental_items(g, plan)
    payer = g.rng.choice(DENTAL_PAYERS)[0] if g.rng.random() < 0.8 else ""
    est = estimate(g, items) if payer else [(0.0, float(i[3])) for i in items]
    total = sum(i[3] for i in items)
    ins_total = sum(e[0] for e in est)
    pt_total = sum(e[1] for e in est)
    staff = g.staff_sender()
    title = g.pick("Treatment Coordinator", "Financial Coordinator", "Insurance Coordinator")
    to_patient = g.rng.random() < 0.6
    g.to = g.pt_email() if to_patient else f"{g.pick('billing', 'tc', 'frontdesk')}@{p.domain}"
    name = g.name_as()
    rows = [
        (code, area, desc, money(fee), money(e[0]), money(e[1]))
        for (code, area, desc, fee, _), e in zip(items, est, strict=True)
    ]
    header = ("Code", "Tooth/Area", "Description", "Fee", "Est. Ins.", "Pt Portion")
    ident = g.pick(
        f"Patient: {name}",
        f"Patient: {name}  DOB {g.dob(12 if kind == 'ortho' else 18, 78)}",
        f"Patient: {name}  ({g.chart()})",
    )
    cover = (
        f"Insurance: {payer}"
        if payer
        else "No dental insurance on file - 5% courtesy discount if paid in full before treatment."
    )
    totals = f"Total fees {money(total)} | Estimated insurance {money(ins_total)} | Your estimated portion {money(pt_total)}"
    named_subject = g.rng.random() < 0.4
    subject = (
        g.pick(
            f"Tx plan - {g.formal()} - {plan}",
            f"Treatment estimate for {g.patient()} ({plan})",
            f"{g.family}, {g.given}: {plan} plan {g.chart_no()}",
        )
        if named_subject
        else g.pick(
            "Your treatment plan",
            f"Treatment estimate from {p.name}",
            "Tx plan for review",
            "Estimate as discussed",
        )
    )
    where = ("subject", "body") if named_subject else ("body",)
    intro = (
        f"{g.greet()}\n\nThank you for coming in today. As {prov} discussed, here is your "
        f"{plan} treatment plan with our best estimate of what your insurance will cover."
        if to_patient
        else f"Hi {g.st.first_name()},\n\nPlease review the {plan} plan {prov} presented today before "
        f"we schedule. {g.pick('Pt wants to start before benefits reset in January.', 'Pt asked about financing.', 'Pt is ready to schedule phase 1.', '')}"
    )
    note = (
        "This is an estimate, not a guarantee of payment; your plan's frequency limits, "
        "downgrades and waiting periods may change the final amount."
    )
    v = g.variant(3)
    if v == 0:
        body = (
            f"{intro}\n\n{ident}\n{cover}\nProvider: {prov}\n\n{text_table(header, rows)}\n\n"
            f"{totals}\n\n{note}\n\n{g.sign(staff, title)}{g.conf()}"
        )
        return phi(subject, body, where=where)
    if v == 1:
        inner = (
            paras(*intro.split("\n\n"))
            + f"\n<p><b>{h(ident)}</b><br>{h(cover)}<br>Provider: {h(prov)}</p>\n"
            + html_table(header, rows)
            + f'\n<p><b>{h(totals)}</b></p>\n<p style="font-size:12px">{h(note)}</p>\n'
            + paras(*g.sign(staff, title).split("\n"))
        )
        return phi(subject, html_page(p.name, inner, h(p.address)), where=where, html=True)
    csv_rows = [
        (r[0], r[1], r[2], f"{i[3]:.2f}", f"{e[0]:.2f}", f"{e[1]:.2f}")
        for r, i, e in zip(rows, items, est, strict=True)
    ]
    body = (
        f"{intro}\n\n{ident}\n{cover}\n{totals}\n\n"
        f"The line-by-line plan is attached as a spreadsheet.\n\n{g.sign(staff, title)}{g.conf()}"
    )
    fname = f"txplan_{slug(g.family)}_{g.when_sent:%m%d%y}.csv"
    return phi(
        subject, body, where=where, attachments=[(fname, "text/csv", csv_bytes(header, csv_rows))]
    )


PREAUTH_NARRATIVES = {
    "root canal and crown": "Tooth {t} presents with irreversible pulpitis (lingering response to cold over 30 seconds, positive to percussion) under a fractured MOD amalgam. Endodontic therapy is planned; the remaining coronal structure cannot retain a direct restoration, so a core buildup and full-coverage crown are indicated.",
    "implant": "Tooth {t} has a vertical root fracture confirmed on CBCT and is non-restorable. Planned: extraction with ridge-preservation graft, implant placement after four months of healing, then custom abutment and crown. Non-smoker; medical history {med}.",
    "periodontal": "Generalized 5-7 mm probing depths with bleeding on probing in all four quadrants and 20-30% horizontal bone loss on the FMX. Diagnosis: stage III, grade B periodontitis. {med}. Full-mouth charting dated {d} enclosed.",
    "orthodontic": "Class II division 1 malocclusion with 7 mm overjet, 80% deep bite and 6 mm of lower anterior crowding. Estimated treatment time 22-24 months with {appl}.",
    "third molars": "Teeth #1, #16, #17 and #32 are impacted (#17 and #32 completely bony, mesioangular). Recurrent pericoronitis at #17 treated with amoxicillin on {d}. Panoramic image enclosed.",
    "restorative": "Recurrent decay under the existing restorations and a fractured lingual cusp on {t}; crown and buildup indicated, with composites on the adjacent teeth.",
}
MED_HX = (
    "noncontributory", "type 2 diabetes, A1c 6.8%", "controlled hypertension on lisinopril",
    "on alendronate for osteoporosis for 3 years", "pregnant, second trimester",
)  # fmt: skip


def dental_preauth(g: Gen) -> Mail:
    """A predetermination request, appeal or approval to or from a dental insurer naming the
    patient, subscriber, codes and clinical narrative."""
    plan = g.pick(
        "root canal and crown",
        "implant",
        "periodontal",
        "orthodontic",
        "third molars",
        "restorative",
    )
    kind = {"orthodontic": "ortho", "third molars": "oral_surgery"}.get(plan, "dental")
    if plan == "implant" and g.rng.random() < 0.5:
        kind = "oral_surgery"
    p = g.practice(kind)
    prov = g.provider(kind)
    child = plan in ("orthodontic", "third molars") and g.rng.random() < 0.6
    dob = g.dob(11, 19) if child else g.dob(24, 76)
    payer, pslug = g.rng.choice(DENTAL_PAYERS)
    if child:
        sub_first, _ = g.other_person()
        subscriber, rel = f"{sub_first} {g.family}", g.pick("Child", "Dependent child")
    else:
        subscriber, rel = g.patient(), "Self"
    member = g.pick(
        g.digits(9),
        f"{g.pick('XQD', 'DLT', 'W')}{g.digits(9)}",
        f"{g.digits(3)}{g.digits(3)}{g.digits(5)}",
    )
    group = g.pick(g.digits(6), f"{g.digits(5)}-{g.digits(4)}", f"GRP {g.digits(7)}")
    items = [i for i in dental_items(g, plan) if COVERAGE[i[4]] < 100]
    if child:
        items = [
            ("D8080", a, CDT["D8080"][0], f, c) if code == "D8090" else (code, a, d, f, c)
            for code, a, d, f, c in items
        ]
    main_area = next((i[1] for i in items if i[1].startswith("#")), "#30")
    narrative = PREAUTH_NARRATIVES[plan].format(
        t=f"tooth {main_area}" if plan == "restorative" else main_area,
        med=g.rng.choice(MED_HX), d=g.date(g.day(-60, -5), "us0"),
        appl=g.pick("fixed appliances", "clear aligners"),
    )  # fmt: skip
    proc = "\n".join(f"  {c}  {a or '--':<6} {d[:58]:<58} {money(f)}" for c, a, d, f, _ in items)
    staff = g.staff_sender()
    tin = f"{g.digits(2)}-{g.digits(7)}"
    v = g.variant(3)
    if v == 0:
        g.to = f"{g.pick('predeterminations', 'preauth', 'dentalclaims')}@{pslug}.example"
        subject = g.pick(
            f"Predetermination request - {g.patient()} - {plan}",
            f"Pre-treatment estimate: member {member}",
            f"Preauthorization for {g.formal()}, {payer}",
        )
        body = (
            f"{payer} - Pre-Treatment Estimate Request\n\n"
            f"Billing dentist: {prov}, {p.name}, TIN {tin}\n{p.address}  {p.phone}\n\n"
            f"Subscriber: {subscriber}   Member ID: {member}   Group: {group}\n"
            f"Patient: {g.patient()}   DOB: {dob}   Relationship: {rel}\n\n"
            f"Proposed services:\n{proc}\n\n"
            f"Narrative: {narrative}\n\n"
            f"Radiographs {g.pick('and perio charting', 'and intraoral photos', '')} sent through the attachment portal, "
            f"reference {g.pick('NEA#', 'Attach ID ', 'REF ')}{g.digits(8)}.\n\n{g.sign(staff, 'Insurance Coordinator')}{g.conf()}"
        )
        return phi(subject, body, where=("subject", "body"))
    if v == 1:
        g.to = f"{g.pick('appeals', 'dentalappeals')}@{pslug}.example"
        claim = f"{g.digits(4)}{g.digits(4)}{g.digits(3)}"
        code = items[0][0] if items else "D4341"
        subject = g.pick(
            "Appeal of denied claim", f"Request for reconsideration, {g.patient()} {code}"
        )
        body = (
            f"To the {payer} appeals unit,\n\n"
            f"We ask you to reconsider the denial of {code} on claim {claim} for "
            f"{g.patient()} (DOB {dob}, member {member}), date of service {g.date(g.day(-40, -10), 'us0')}. "
            f"The EOB cites {g.pick('lack of radiographic evidence', 'frequency limitation', 'missing narrative', 'alternate benefit')}.\n\n"
            f"Clinical summary: {narrative}\n\n"
            f"Enclosed again: pre-operative radiographs, charting and the signed treatment plan.\n\n"
            f"Sincerely,\n{prov}\n{p.name}\nTIN {tin}{g.conf()}"
        )
        where = ("subject", "body") if g.patient() in subject else ("body",)
        return phi(subject, body, where=where)
    g.to = g.pt_email()
    ins = sum(round(f * COVERAGE[c] / 100, 2) for _, _, _, f, c in items)
    total = sum(i[3] for i in items)
    subject = g.pick(
        "Good news about your insurance estimate",
        f"Update from {p.name}",
        "Your predetermination came back",
    )
    body = (
        f"{g.greet()}\n\n"
        f"{payer} has returned the predetermination we sent for your {plan} treatment "
        f"({', '.join(c + (' ' + a if a else '') for c, a, _, _, _ in items[:4])}).\n\n"
        f"Patient: {g.patient()}  |  Member ID {member}\n"
        f"Total fees: {money(total)}\nEstimated insurance payment: {money(ins)}\n"
        f"Estimated patient portion: {money(total - ins)}\n\n"
        f"Give us a call at {p.phone} to schedule with {prov}; the estimate is valid for "
        f"{g.pick('6 months', '12 months', '90 days')}.\n\n{g.sign(staff, 'Insurance Coordinator')}"
    )
    return phi(subject, body)


TREATMENTS = (
    ("ortho", "Invisalign comprehensive treatment", 5400, 6900),
    ("dental", "implant and crown at #{tooth}", 4200, 5200),
    ("dental", "full-mouth rehabilitation, phase 1", 12000, 16500),
    ("oral_surgery", "wisdom teeth removal under IV sedation", 1900, 2800),
    ("fertility", "IVF cycle with ICSI and PGT-A", 18500, 24500),
    ("fertility", "egg freezing cycle including medications", 11000, 15500),
    ("plastics", "breast augmentation", 7800, 10500),
    ("plastics", "abdominoplasty", 9800, 13500),
    ("plastics", "rhinoplasty", 8500, 12000),
    ("medspa", "CoolSculpting package (6 cycles)", 3000, 4200),
    ("glp1", "12-month medical weight-loss program with compounded semaglutide", 2900, 3900),
    ("chiro", "spinal decompression package, 20 sessions", 2400, 3600),
)
LENDERS = (
    ("MediFlex Patient Financing", "mediflex-financing"), ("CarePath Credit", "carepath-credit"),
    ("Lumen Health Lending", "lumen-health-lending"),
)  # fmt: skip


def patient_financing(g: Gen) -> Mail:
    """A patient-financing decision or payment plan that names the applicant and the treatment
    being financed."""
    kind, treat, lo, hi = g.rng.choice(TREATMENTS)
    if kind == "fertility":
        g.sex("F")
    treat = treat.format(tooth=g.rng.choice(MOLARS + PREMOLARS))
    p = g.practice(kind)
    cost = round(g.rng.randint(lo, hi) / 50) * 50
    lender, lslug = g.rng.choice(LENDERS)
    app = f"{g.pick('APP', 'A', '')}{g.digits(9)}"
    v = g.variant(4)
    if v in (0, 1):
        approved = v == 0
        amount = cost if g.rng.random() < 0.6 else round(cost * g.rng.uniform(0.5, 0.9) / 100) * 100
        g.sender(f"{lender} Provider Services", f"provider-alerts@{lslug}.example")
        g.to = f"{g.pick('billing', 'financing', 'frontdesk', 'patientcoordinator')}@{p.domain}"
        subject = g.pick(
            f"Application {'approved' if approved else 'decision'}: {app}",
            f"{lender}: new application decision",
            f"Credit decision - application {app[-4:]}",
        )
        decision = (
            f"APPROVED - credit line {money(amount, False)}\nPromotion: {g.pick('12 months deferred interest', '24 months at 0% APR', '60 months at 14.9% APR')}\n"
            f"Authorization code: {g.digits(6)} (valid 30 days)"
            if approved
            else f"NOT APPROVED{g.pick(' - counter-offer available with a co-applicant', '', ' - insufficient credit history')}"
        )
        body = (
            f"Provider: {p.name} (merchant {g.digits(10)})\n"
            f"Application #: {app}\nSubmitted: {g.stamp()}\n\n"
            f"Applicant: {g.name_as()}\n"
            + g.pick(f"Date of birth: {g.dob(21, 70)}\n", "")
            + f"Phone: {g.pt_phone()}\n"
            + g.pick(f"Address: {g.pt_address()}\n", "")
            + f"Requested amount: {money(cost, False)}\n"
            f"Procedure / treatment: {treat}\n\n"
            f"{decision}\n\n"
            f"{'Log in to the provider portal to run the charge.' if approved else 'The applicant has been notified by mail.'} Questions: provider support "
            f"1-800-{g.digits(3)}-{g.digits(4)}.\n\n{lender} - patient financing for health and wellness care"
        )
        return phi(subject, body)
    staff = g.staff_sender()
    if v == 2:
        g.to = g.pt_email()
        down = round(cost * g.pick(0.1, 0.2, 0.25, 0.3) / 10) * 10
        n = g.rng.choice((6, 10, 12, 18))
        monthly = (cost - down) / n
        subject = g.pick(
            "Your payment plan agreement",
            f"Payment arrangement - {p.name}",
            "In-house financing details",
        )
        body = (
            f"{g.greet(full=True)}\n\n"
            f"Here is the in-house payment plan we set up for your {treat}.\n\n"
            f"Patient: {g.patient()}\n{g.chart()}\n"
            f"Treatment fee: {money(cost)}\nDown payment (paid {g.date(g.when_sent.date(), 'us0')}): {money(down)}\n"
            f"Balance: {money(cost - down)} in {n} monthly payments of {money(monthly)}\n"
            f"Autopay: card ending {g.digits(4)} on the {g.pick('1st', '10th', '15th', '28th')} of each month\n\n"
            f"Please sign and return the attached agreement, or reply to this e-mail with any "
            f"questions.\n\n{g.sign(staff, 'Patient Financial Coordinator')}"
        )
        return phi(subject, body)
    g.to = g.staff_addr(g.staff(), p.domain)
    other = g.pick(
        "her HSA",
        "his HSA",
        "a credit card",
        "a second application with a co-signer",
        "a family loan",
    )
    subject = g.pick(
        "Financing question", "Re: financing hold", "Holding a date until financing posts"
    )
    body = (
        f"Hi {g.st.first_name()},\n\n"
        f"{g.patient()} ({g.chart()}) applied with {lender} for the {treat} this morning. "
        f"Approved for {money(round(cost * 0.7 / 100) * 100, False)} of the {money(cost, False)} quote; "
        f"the balance will go on {other}. Can you hold the {g.date(g.day(7, 40))} "
        f"{g.pick('surgery date', 'start date', 'slot')} until the funds post?\n\n"
        f"Thanks,\n{staff.split()[0]}"
    )
    return phi(subject, body)


def follicles(g: Gen, n: int, mean: float) -> list[float]:
    return sorted(
        (round(min(24.0, max(6.0, g.rng.gauss(mean, 3.0))), 1) for _ in range(n)), reverse=True
    )


def fmt_follicles(sizes: list[float]) -> str:
    big = [f"{s:g}" for s in sizes if s >= 10]
    small = len(sizes) - len(big)
    out = ", ".join(big) if big else "none >= 10 mm"
    return f"{out}{f' (+{small} < 10 mm)' if small else ''}"


def ivf_cycle_monitoring(g: Gen) -> Mail:
    """Cycle-day monitoring results (E2, LH, P4, follicle sizes, lining) with the evening's
    instructions, to the patient or for the physician's review."""
    g.sex("F")
    p = g.practice("fertility")
    md = g.provider("fertility")
    dob = g.dob(27, 44)
    iui = g.rng.random() < 0.3
    nurse = g.staff_sender()
    gonal, menopur = g.rng.choice((150, 225, 300, 375)), g.rng.choice((75, 75, 150))
    if iui:
        cd = g.rng.randint(10, 14)
        right = follicles(g, g.rng.randint(1, 5), 12.0)
        left = follicles(g, g.rng.randint(1, 4), 11.0)
        right[0] = round(g.rng.uniform(15.0, 22.0), 1)
        stim = g.pick(
            "letrozole 5 mg CD3-7",
            "letrozole 7.5 mg CD3-7",
            "clomiphene 100 mg CD3-7",
            "Gonal-F 75 IU from CD3",
        )
        head = f"CD{cd} ({stim})"
    else:
        sd = g.rng.randint(4, 11)
        cd = sd + 1
        mean = 4.0 + 1.35 * sd
        right = follicles(g, g.rng.randint(2, 12), mean)
        left = follicles(g, g.rng.randint(1, 12), mean)
        head = f"CD{cd} / stim day {sd}"
    allf = right + left
    e2 = (
        int(sum(180 if s >= 14 else 60 if s >= 10 else 15 for s in allf) * g.rng.uniform(0.8, 1.25))
        + 30
    )
    surge = iui and g.rng.random() < 0.3
    lh = round(g.rng.uniform(18, 45) if surge else g.rng.uniform(0.6, 5.5), 1)
    p4 = round(g.rng.uniform(0.2, 1.3), 2)
    lining = round(g.rng.uniform(6.5, 12.5), 1)
    pattern = g.pick("trilaminar", "trilaminar", "homogeneous", "triple-line")
    lead = sum(1 for s in allf if s >= 17)
    rd = g.day(1, 2)
    rt = g.clock(7, 9)
    if iui:
        if lh > 15 or max(allf) >= 18:
            plan = (
                f"{'LH surge detected. ' if lh > 15 else ''}Trigger with Ovidrel 250 mcg tonight at {g.clock(20, 22)}. "
                f"IUI on {g.date(rd)} at {rt}; your partner's sample is due at the andrology lab 90 minutes before. "
                f"Start vaginal progesterone 200 mg twice daily two days after the IUI."
            )
        else:
            plan = f"Not ready yet. Continue as you are and return for monitoring on {g.date(rd)} at {rt}."
    elif lead >= 3 and cd >= 8:
        er = g.day(2, 2)
        plan = (
            f"TRIGGER TONIGHT at exactly {g.clock(20, 22)}: {g.pick('Ovidrel 250 mcg SC + Lupron 40 units (0.2 mL) SC', 'Lupron 80 units (0.4 mL) SC (dual trigger not needed)', 'Novarel 5,000 IU IM')}. "
            f"No more Gonal-F, Menopur or ganirelix after this morning. "
            f"Egg retrieval {g.date(er)}, arrive {g.clock(6, 7)}; nothing to eat or drink after midnight, "
            f"no lotion, perfume or nail polish, and bring a driver. Trigger-check blood draw the morning after."
        )
    else:
        antagonist = " Start ganirelix 250 mcg in the morning." if max(allf) >= 13 else ""
        plan = (
            f"Continue Gonal-F {gonal} IU and Menopur {menopur} IU tonight.{antagonist} "
            f"Return for monitoring {g.date(rd)} at {rt}."
        )
    who = g.pick(
        f"{g.patient()} (DOB {dob})", f"{g.given} - {g.chart()}", f"{g.formal()}, {g.chart()}"
    )
    named_subject = g.rng.random() < 0.4
    subject = (
        g.pick(
            f"{head} monitoring: {g.formal()}",
            f"Monitoring results {g.family}, {g.given} {g.date(g.when_sent.date(), 'us2')}",
            f"E2/US today - {g.patient()}",
        )
        if named_subject
        else g.pick(
            "Your monitoring results and instructions",
            "Instructions for tonight",
            f"{p.name}: today's results",
            "Bloodwork and ultrasound results",
        )
    )
    where = ("subject", "body") if named_subject else ("body",)
    to_md = g.rng.random() < 0.3
    g.to = g.prov_addr(md, p.domain) if to_md else g.pt_email()
    v = g.variant(3)
    if v == 0:
        results = (
            f"Patient: {who}\nProtocol: {head}\n\n"
            f"Estradiol (E2): {e2:,} pg/mL\nLH: {lh} mIU/mL\nProgesterone (P4): {p4} ng/mL\n\n"
            f"Right ovary: {fmt_follicles(right)}\nLeft ovary: {fmt_follicles(left)}\n"
            f"Endometrium: {lining} mm, {pattern}"
        )
    elif v == 1:
        results = (
            f"{who}\n{head}: E2 {e2} / LH {lh} / P4 {p4}\n"
            f"R: {', '.join(f'{s:g}' for s in right)}\nL: {', '.join(f'{s:g}' for s in left)}\nEMT {lining} {pattern}"
        )
    else:
        rows = [("E2", f"{e2:,} pg/mL"), ("LH", f"{lh} mIU/mL"), ("P4", f"{p4} ng/mL"),
                ("Right ovary (mm)", fmt_follicles(right)), ("Left ovary (mm)", fmt_follicles(left)),
                ("Lining", f"{lining} mm {pattern}")]  # fmt: skip
        inner = (
            f"<p>{h(who)} &middot; {h(head)}</p>\n"
            + html_table(("Result", "Value"), rows)
            + f"\n<p><b>Plan:</b> {h(plan)}</p>\n<p>{h(nurse)}, RN<br>{h(p.name)} nurse line {h(p.phone)}</p>"
        )
        return phi(
            subject,
            html_page(
                f"{p.name} - monitoring",
                inner,
                "Please do not reply with urgent questions; call the nurse line.",
            ),
            where=where,
            html=True,
        )
    if to_md:
        body = (
            f"{md.split(',')[0]},\n\nMonitoring for your review before I call the patient:\n\n{results}\n\n"
            f"Proposed plan: {plan}\n\nOK to proceed?\n{nurse}, RN"
        )
    else:
        body = (
            f"{g.greet()}\n\nHere are your results from this morning.\n\n{results}\n\n"
            f"PLAN: {plan}\n\nCall the nurse line at {p.phone} with any questions. "
            f"{g.pick('Reviewed by ' + md + '.', '')}\n\n{g.sign(nurse, 'IVF Nurse Coordinator')}{g.conf()}"
        )
    return phi(subject, body, where=where)


def ivf_beta_and_transfer(g: Gen) -> Mail:
    """A pregnancy (beta hCG) result or frozen-embryo-transfer calendar / transfer-day
    instructions naming the patient."""
    g.sex("F")
    p = g.practice("fertility")
    md = g.provider("fertility")
    nurse = g.staff_sender()
    g.to = g.pt_email() if g.rng.random() < 0.8 else f"ivfnurses@{p.domain}"
    who = g.pick(
        f"{g.patient()}, DOB {g.dob(28, 46)}",
        f"{g.patient()} ({g.chart()})",
        f"{g.given} {g.family}",
    )
    grade = g.pick("4AA", "4AB", "5AA", "4BA", "3BB", "5AB")
    pgt = g.pick(
        "PGT-A euploid",
        "PGT-A euploid (46,XX)",
        "PGT-A euploid (46,XY)",
        "untested",
        "PGT-A mosaic, low level (chr 16)",
    )
    v = g.variant(4)
    if v in (0, 1):
        n = 1 if v == 0 else 2
        outcome = g.pick("pos", "pos", "pos", "low", "neg")
        if n == 1:
            val = {"pos": g.rng.randint(55, 620), "low": g.rng.randint(6, 38), "neg": 0}[outcome]
        else:
            val = {"pos": g.rng.randint(240, 1900), "low": g.rng.randint(10, 60), "neg": 0}[outcome]
        shown = "< 2" if val == 0 else f"{val}"
        p4 = round(g.rng.uniform(14.0, 42.0), 1)
        dpt = g.rng.choice((9, 10, 11)) + (2 if n == 2 else 0)
        if outcome == "pos":
            plan = (
                f"Congratulations! Continue all medications (progesterone in oil 1 mL IM nightly and "
                f"estradiol {g.pick('2 mg three times a day', '0.2 mg patches every other day')}). "
                + (
                    "Repeat beta in 48 hours"
                    if n == 1
                    else f"First ultrasound {g.date(g.day(12, 16))}"
                )
                + "."
            )
        elif outcome == "low":
            plan = "This is a low positive. Please stay on all medications and repeat the beta in 48 hours so we can see whether it rises appropriately."
        else:
            plan = f"I am so sorry. You may stop your medications; expect a period in 3-7 days. {md} would like to see you for a follow-up consult."
        subject = g.pick(
            "Your pregnancy test result",
            f"Beta #{n} result",
            f"Results from {p.name}",
            f"Beta #{n} - {g.family}, {g.given}",
        )
        where = ("subject", "body") if g.family in subject else ("body",)
        body = (
            f"{g.greet()}\n\n"
            f"Patient: {who}\nTest: quantitative hCG (beta #{n}), {dpt} days after transfer of a day-5 blastocyst\n"
            f"Result: {shown} mIU/mL\nProgesterone: {p4} ng/mL\n\n{plan}\n\n"
            f"{g.sign(nurse, 'RN, IVF Nurse')}{g.conf()}"
        )
        return phi(subject, body, where=where)
    cd1 = g.day(-3, 4)
    et = cd1 + dt.timedelta(days=g.rng.randint(18, 22))
    if v == 2:
        rows = [
            (g.date(cd1, "us0"), "Cycle day 1 - call the nurse line"),
            (
                g.date(cd1 + dt.timedelta(days=1), "us0"),
                "Start estradiol 2 mg by mouth twice daily; start Medrol 16 mg daily and doxycycline 100 mg twice daily for 4 days",
            ),
            (
                g.date(cd1 + dt.timedelta(days=7), "us0"),
                "Increase estradiol to 2 mg three times daily",
            ),
            (
                g.date(cd1 + dt.timedelta(days=12), "us0"),
                "Lining check ultrasound and E2/P4 draw, 7:00-9:00 AM",
            ),
            (
                g.date(et - dt.timedelta(days=6), "us0"),
                "Start progesterone in oil 1 mL IM nightly (and Endometrin 100 mg twice daily)",
            ),
            (g.date(et, "us0"), f"Frozen embryo transfer with {md}; embryo thaw {g.clock(8, 10)}"),
            (g.date(et + dt.timedelta(days=9), "us0"), "Beta hCG #1"),
        ]
        subject = g.pick(
            "Your FET calendar", f"FET calendar - {g.patient()}", "Frozen embryo transfer schedule"
        )
        where = ("subject", "body") if g.patient() in subject else ("body",)
        cal = text_table(("Date", "Instructions"), rows)
        body = (
            f"{g.greet()}\n\nHere is your medicated frozen embryo transfer calendar. We will "
            f"transfer one {grade} blastocyst ({pgt}).\n\nPatient: {who}\n\n{cal}\n\n"
            f"Calendars change with your results; always follow the most recent one.\n\n"
            f"{g.sign(nurse, 'Third-party & FET Coordinator')}"
        )
        return phi(subject, body, where=where)
    subject = g.pick(
        "Transfer day instructions",
        f"Your embryo transfer on {g.date(et, 'short')}",
        f"ET {g.date(et, 'us2')} - {g.formal()}",
    )
    where = ("subject", "body") if g.family.upper() in subject else ("body",)
    body = (
        f"{g.greet()}\n\n"
        f"Your frozen embryo transfer is on {g.date(et)} at {g.clock(9, 13)} with {md}.\n\n"
        f"- Patient: {who}\n- Embryo: day-5 blastocyst, grade {grade}, {pgt}\n"
        f"- Arrive 30 minutes early with a comfortably full bladder (drink 24 oz of water one hour before).\n"
        f"- Take your Valium {g.pick('5', '10')} mg 30 minutes before the procedure; you will need a driver.\n"
        f"- Continue progesterone in oil and estradiol exactly as before. Do not stop any medication.\n"
        f"- Your partner{g.pick(' or one support person', '')} is welcome in the room.\n"
        f"- Beta hCG blood test: {g.date(et + dt.timedelta(days=9))}.\n\n"
        f"{g.sign(nurse, 'RN')}{g.conf()}"
    )
    return phi(subject, body, where=where)


DONOR_AGENCIES = (
    ("Ovum Donor Alliance", "ovum-donor-alliance.example"),
    ("Bright Futures Egg Donation", "brightfutures-eggdonors.example"),
    ("Cradle & Co. Donor Agency", "cradleco-donors.example"),
)


def donor_egg_coordination(g: Gen) -> Mail:
    """Donor-egg coordination naming the recipient: cycle synchronisation with the agency,
    an update to the recipient, or the embryology report of the donor's retrieval."""
    g.sex("F")
    p = g.practice("fertility")
    md = g.provider("fertility")
    agency, adom = g.rng.choice(DONOR_AGENCIES)
    donor = g.pick(f"#{g.digits(4)}", f"D-{g.digits(5)}", f"ODA{g.digits(4)}")
    rid = f"R-{g.digits(5)}"
    pf, pl = g.other_person("M")
    pl = g.pick(g.family, pl)
    coord = g.staff_sender()
    dob = g.dob(37, 51)
    er = g.day(18, 35)
    v = g.variant(3)
    if v == 0:
        g.to = f"{g.pick('coordinator', 'cycles', 'matching')}@{adom}"
        subject = g.pick(
            f"Cycle sync - donor {donor} / recipient {rid}",
            f"Donor {donor} match: start dates",
            f"Donor {donor} + {g.family} cycle plan",
        )
        where = ("subject", "body") if g.family in subject else ("body",)
        body = (
            f"Hi {g.st.first_name()},\n\n"
            f"Confirming the synchronised cycle for donor {donor} with our recipient "
            f"{g.patient()} ({rid}, DOB {dob}).\n\n"
            f"Donor: last active birth-control pill {g.date(er - dt.timedelta(days=16))}; baseline "
            f"{g.date(er - dt.timedelta(days=13))}; projected retrieval {g.date(er)}.\n"
            f"Recipient: {g.pick('estradiol valerate 4 mg IM every 3 days', 'estradiol patches 0.1 mg x 3', 'Lupron 10 units daily then estradiol 2 mg TID')}, "
            f"lining check {g.date(er - dt.timedelta(days=4))}. Her infectious-disease panel and "
            f"uterine cavity evaluation (SIS {g.date(g.day(-40, -10), 'us0')}) are complete.\n"
            f"Partner {pf} {pl}: semen frozen, FDA screening complete.\n"
            f"Plan: {g.pick('fresh transfer of one blastocyst', 'freeze-all with PGT-A', 'freeze-all, no testing')}.\n\n"
            f"The legal clearance letter is still outstanding from the recipient's attorney; please chase on your side.\n\n"
            f"{g.sign(coord, 'Third-Party Reproduction Coordinator')}{g.conf()}"
        )
        return phi(subject, body, where=where)
    if v == 1:
        g.to = g.pt_email()
        subject = g.pick(
            "Your donor has started her cycle", "Donor cycle update", f"Update from {p.name}"
        )
        body = (
            f"{g.greet()}\n\n"
            f"Good news: your donor ({donor}, through {agency}) began her stimulation medications "
            f"today, and the retrieval is expected around {g.date(er)}.\n\n"
            f"For you ({g.patient()}, {rid}):\n"
            f"- Start your estrogen on {g.date(er - dt.timedelta(days=14))} as shown in your portal calendar.\n"
            f"- Lining check {g.date(er - dt.timedelta(days=4))} at {g.clock(7, 9)}.\n"
            f"- {pf} should plan to provide a fresh sample on the morning of the retrieval, or we will thaw his frozen sample.\n\n"
            f"{g.sign(coord, 'Donor Egg Coordinator')}"
        )
        return phi(subject, body)
    g.to = g.pt_email()
    eggs = g.rng.randint(10, 28)
    mature = g.rng.randint(int(eggs * 0.65), eggs)
    fert = g.rng.randint(int(mature * 0.6), mature)
    blasts = g.rng.randint(max(1, int(fert * 0.3)), max(1, int(fert * 0.7)))
    subject = g.pick(
        "Embryology report", "Your embryo update", f"Embryology update - recipient {rid}"
    )
    body = (
        f"{g.greet(full=True)}\n\n"
        f"Embryology summary - donor {donor} retrieval on {g.date(g.day(-7, -5))}\n"
        f"Recipient: {g.patient()}   {rid}   DOB {dob}\nSperm source: {pf} {pl} ({g.pick('fresh', 'frozen')})\n\n"
        f"Eggs retrieved: {eggs}\nMature (MII): {mature}\nInseminated by ICSI: {mature}\n"
        f"Normally fertilized (2PN): {fert}\nBlastocysts biopsied and vitrified (day 5-6): {blasts}\n\n"
        f"PGT-A results usually take 10-14 days. {md} will call you to go over them and plan your transfer.\n\n"
        f"{g.sign(coord, 'Embryology Lab')}"
    )
    return phi(subject, body)


def semen_analysis_result(g: Gen) -> Mail:
    """A semen analysis (or post-vasectomy check) sent to the man, his partner's care team or
    the referring urologist."""
    g.sex("M")
    p = g.practice("fertility")
    md = g.provider("fertility")
    dob = g.dob(25, 52)
    profile = g.pick("normal", "oligo", "astheno", "terato", "oat", "azoo", "normal")
    vol = round(g.rng.uniform(0.9, 5.2), 1)
    conc = {"oligo": g.rng.uniform(2, 14), "oat": g.rng.uniform(1, 10), "azoo": 0.0}.get(
        profile, g.rng.uniform(18, 110)
    )
    conc = round(conc, 1)
    mot = {"astheno": g.rng.uniform(12, 38), "oat": g.rng.uniform(10, 35), "azoo": 0.0}.get(
        profile, g.rng.uniform(43, 72)
    )
    mot = round(mot)
    prog = round(mot * g.rng.uniform(0.55, 0.8))
    morph = {"terato": g.rng.randint(0, 3), "oat": g.rng.randint(0, 3), "azoo": 0}.get(
        profile, g.rng.randint(4, 12)
    )
    total = round(vol * conc, 1)
    flags = [
        n
        for n, bad in (
            ("oligozoospermia", 0 < conc < 16),
            ("asthenozoospermia", 0 < mot < 42),
            ("teratozoospermia", conc > 0 and morph < 4),
        )
        if bad
    ]
    impression = (
        "Azoospermia (no sperm seen in the centrifuged pellet)"
        if conc == 0
        else (
            "Normal semen parameters by WHO 2021 reference values"
            if not flags
            else "; ".join(flags).capitalize()
        )
    )
    rows = [
        ("Volume", f"{vol} mL", ">= 1.4"), ("pH", f"{g.rng.uniform(7.2, 8.0):.1f}", ">= 7.2"),
        ("Concentration", f"{conc} M/mL", ">= 16"), ("Total sperm count", f"{total} M", ">= 39"),
        ("Total motility", f"{mot}%", ">= 42"), ("Progressive motility", f"{prog}%", ">= 30"),
        ("Normal forms (strict)", f"{morph}%", ">= 4"), ("Round cells / WBC", f"{g.rng.uniform(0.1, 1.4):.1f} M/mL", "< 1.0"),
    ]  # fmt: skip
    coll = g.date(g.day(-9, -2), "us0")
    abst = g.rng.randint(2, 6)
    table = text_table(("Parameter", "Result", "Reference"), rows)
    partner_f, partner_l = g.other_person("F")
    staff = g.staff_sender()
    v = g.variant(4)
    if v == 0:
        g.to = g.pt_email()
        subject = g.pick(
            "Your semen analysis results",
            "Andrology results",
            f"Results from {p.name} andrology lab",
        )
        body = (
            f"{g.greet()}\n\nYour semen analysis from {coll} is back.\n\n"
            f"Name: {g.patient()}   DOB: {dob}\nAbstinence: {abst} days\n\n{table}\n\n"
            f"Interpretation: {impression}.\n"
            f"{g.pick(md + ' will go over this with you and ' + partner_f + ' at your consult.', 'Please schedule a follow-up to talk about next steps.', 'These results support moving ahead with ICSI in your IVF cycle.')}\n\n"
            f"{g.sign(staff, 'Andrology Lab')}{g.conf()}"
        )
        return phi(subject, body)
    if v == 1:
        uro = f"Dr. {g.st.last_name()}"
        g.to = f"{slug(uro)}@{g.pick('metro-urology', 'mensclinic-uro', 'valley-urology')}.example"
        subject = g.pick(
            f"SA report - {g.formal()}",
            f"Semen analysis: {g.patient()}, DOB {dob}",
            "Andrology report for your patient",
        )
        where = ("body",) if subject.startswith("Andrology") else ("subject", "body")
        body = (
            f"{uro},\n\nAs requested, the semen analysis for your patient:\n\n"
            f"{g.formal()}   DOB {dob}   {g.chart()}\nCollected {coll}, on site, abstinence {abst} days\n\n"
            f"{table}\n\nImpression: {impression}.\n"
            f"{g.pick('We would appreciate your evaluation for a varicocele.', 'FSH and testosterone are pending.', 'Repeat analysis in 3 months is suggested.')}\n\n"
            f"{md}\n{p.name}\nFax {p.area}-{g.digits(3)}-{g.digits(4)}{g.conf()}"
        )
        return phi(subject, body, where=where)
    if v == 2:
        g.to = g.pt_email()
        clear = g.rng.random() < 0.7
        subject = g.pick("Post-vasectomy semen analysis", "Your PVSA result")
        body = (
            f"{g.greet(full=True)}\n\n"
            f"Post-vasectomy semen analysis, collected {coll} ({g.rng.randint(10, 16)} weeks after your procedure).\n"
            f"Patient: {g.patient()}  DOB {dob}\n\n"
            + ("Result: no sperm seen on centrifuged specimen. You are cleared to stop other contraception."
               if clear else f"Result: rare non-motile sperm (< 100,000/mL). Please continue contraception and repeat the test in {g.pick('6 weeks', '8 weeks')}.")
            + f"\n\n{g.sign(staff, 'Andrology')}"
        )  # fmt: skip
        return phi(subject, body)
    g.to = f"{g.pick('ivfnurses', 'andrology', 'nursing')}@{p.domain}"
    subject = g.pick(
        "Male factor result for IVF planning", f"{partner_l}/{g.family} - SA before retrieval"
    )
    where = ("subject", "body") if g.family in subject else ("body",)
    body = (
        f"Team,\n\nPartner SA for {partner_f} {partner_l}'s upcoming cycle:\n"
        f"{g.patient()} (partner, DOB {dob}) - {impression.lower()}; conc {conc} M/mL, motility {mot}%, "
        f"morphology {morph}%.\n"
        f"{'Recommend ICSI for all mature eggs.' if flags or conc == 0 else 'Conventional insemination OK.'}"
        f"{' Urology referral for micro-TESE placed.' if conc == 0 else ''}\n\n{staff}"
    )
    return phi(subject, body, where=where)


AESTHETIC = (
    ("plastics", "rhinoplasty"), ("plastics", "breast augmentation"), ("plastics", "abdominoplasty"),
    ("plastics", "upper blepharoplasty"), ("plastics", "liposuction of the abdomen and flanks"),
    ("plastics", "mommy makeover (abdominoplasty with breast lift)"), ("plastics", "facelift and neck lift"),
    ("medspa", "lip filler"), ("medspa", "cheek and chin filler"), ("medspa", "CoolSculpting of the abdomen"),
    ("medspa", "CO2 laser resurfacing of the face"), ("medspa", "Botox for forehead and frown lines"),
)  # fmt: skip


def aesthetic_photo_consent(g: Gen) -> Mail:
    """Before-and-after photography: a signed media consent, a request to feature a patient's
    photos, or a photo-upload notice naming the patient and the procedure."""
    kind, proc = g.rng.choice(AESTHETIC)
    if "breast" in proc or "mommy" in proc:
        g.sex("F")
    p = g.practice(kind)
    surgeon = g.provider(kind)
    when = g.date(g.day(-120, -14))
    v = g.variant(4)
    if v == 0:
        g.sender(f"{p.software} Forms", f"forms@{p.domain}")
        g.to = g.pick(f"charts@{p.domain}", g.pt_email())
        box = lambda on: "[x]" if on else "[ ]"  # noqa: E731
        uses = [
            g.rng.random() < 0.9,
            g.rng.random() < 0.5,
            g.rng.random() < 0.3,
            g.rng.random() < 0.5,
        ]
        subject = g.pick(
            "Form completed: Photography & Media Consent",
            f"Signed consent - {g.patient()}",
            "New e-signature received",
        )
        where = ("subject", "body") if g.patient() in subject else ("body",)
        body = (
            f"{p.name} - Clinical Photography and Media Release\n\n"
            f"Patient: {g.name_as()}\nDate of birth: {g.dob(20, 66)}\n"
            f"Procedure: {proc} with {surgeon} ({when})\n\n"
            f"I authorize {p.name} to take photographs and video before, during and after my treatment, for:\n"
            f"  {box(uses[0])} my medical record\n  {box(uses[1])} education and professional presentations\n"
            f"  {box(uses[2])} website and social media, face visible\n  {box(uses[3])} website and social media, face and tattoos obscured\n\n"
            f"I may revoke this release in writing at any time.\n\n"
            f"Signed electronically by {g.patient()} on {g.stamp()} from IP {g.rng.randint(24, 98)}.{g.rng.randint(0, 255)}.{g.rng.randint(0, 255)}.{g.rng.randint(1, 254)}\n"
            f"Document ID {g.digits(4)}-{g.digits(6)}"
        )
        return phi(subject, body, where=where)
    staff = g.staff_sender()
    weeks = g.rng.choice((2, 6, 8, 12, 24))
    if v == 1:
        g.to = g.pt_email()
        subject = g.pick(
            "A quick question about your photos",
            "Would you share your results?",
            f"{p.name} - before & after",
        )
        body = (
            f"{g.greet()}\n\n"
            f"Your {weeks}-week photos after your {proc} with {surgeon} look wonderful, and we'd love "
            f"to feature them{g.pick(' on our website', ' in our before-and-after gallery', ' on Instagram')}. "
            f"The consent you signed on {when} covers your medical record only, so we would need a new release.\n\n"
            f"We always crop out faces{g.pick(', tattoos', '')} and identifying marks unless you say otherwise, "
            f"and you can change your mind at any time. If you are comfortable with it, sign here: "
            f"https://forms.{p.domain}/release/{g.digits(7)}\n\n"
            f"No pressure at all, {g.given} - your privacy comes first.\n\n"
            f"{g.pick('Patient', 'Chart', 'Re')}: {g.patient()} ({g.chart()})\n\n{g.sign(staff, 'Patient Care Coordinator')}"
        )
        return phi(subject, body)
    if v == 2:
        g.to = g.prov_addr(surgeon, p.domain)
        subject = g.pick(
            "Before/after for the website?",
            "Gallery candidates this month",
            f"Photos - {g.patient()}",
        )
        where = ("subject", "body") if g.patient() in subject else ("body",)
        body = (
            f"Hi {surgeon.split(',')[0]},\n\n"
            f"Marketing would like to use {g.patient()}'s {weeks}-week {proc} photos for the "
            f"{g.pick('website gallery', 'summer campaign', 'consult deck')}. Her/his consent on file "
            f"({when}) {g.pick('covers education only', 'allows website use with face obscured', 'does not cover social media')}. "
            f"{g.pick('Should I ask for an updated release?', 'OK to proceed with cropping?', 'Can you pick the best angle?')}\n\n"
            f"{g.pick('Chart', 'Photos are in the chart under')} {g.chart()}.\n\n{staff.split()[0]}"
        ).replace("Her/his", g.pick("Their", "The patient's"))
        return phi(subject, body, where=where)
    g.sender(f"{p.software} Photo Station", f"photos@{p.domain}")
    g.to = f"{g.pick('clinical', 'charts', 'surgery')}@{p.domain}"
    n = g.rng.randint(6, 24)
    subject = g.pick(f"{n} photos uploaded", "Photo session synced", f"New photos: {g.formal()}")
    where = ("subject", "body") if g.formal() in subject else ("body",)
    body = (
        f"{n} images were uploaded from {g.pick('iPad Photo Station 2', 'Canon R50 - Room 4', 'Photo room tablet')} by {staff}.\n\n"
        f"Patient: {g.name_as()}  ({g.chart()})\n"
        f"Series: {g.pick('Pre-op', str(weeks) + '-week post-op', 'Consult')} - {proc}\n"
        f"Views: {g.pick('frontal, oblique L/R, lateral L/R', 'AP, 45-degree L/R, profile', 'frontal relaxed and animated')}\n"
        f"Media consent on file: {g.pick('Yes - record only', 'Yes - education', 'Yes - web, face obscured', 'NOT ON FILE')}\n\n"
        f"Open in {p.software}: https://app.{p.domain}/photos/{g.digits(8)}"
    )
    return phi(subject, body, where=where)


POSTOP = {
    "rhinoplasty": (
        "Keep your head raised on two pillows for one week.",
        "Do not blow your nose for two weeks; sneeze with your mouth open.",
        "Your splint comes off at the 7-day visit.",
        "Use saline spray three times a day; use Afrin only for bleeding.",
    ),
    "breast augmentation": (
        "Wear the surgical bra day and night for four weeks.",
        "No lifting over 10 lb and no reaching overhead for two weeks.",
        "You may shower after 48 hours; no baths, pools or hot tubs for four weeks.",
        "Call us for swelling on one side only, fever over 101 F or redness.",
    ),
    "abdominoplasty": (
        "Walk bent slightly at the waist for the first week; sleep with pillows under your knees.",
        "Empty and record your drains twice a day and bring the log to your visit.",
        "Wear the abdominal binder at all times.",
        "Inject enoxaparin 40 mg once a day for 7 days as prescribed.",
    ),
    "upper blepharoplasty": (
        "Cold compresses 20 minutes every hour while awake for 48 hours.",
        "Apply erythromycin ointment to the incisions twice a day.",
        "No contact lenses or eye makeup for two weeks.",
        "Sutures come out at your 5-day visit.",
    ),
    "liposuction of the abdomen and flanks": (
        "Wear your compression garment 23 hours a day for six weeks.",
        "Expect fluid to drain from the small incisions for 24-48 hours.",
        "Lymphatic massage may start after one week.",
    ),
}
POSTOP_MEDS = (
    "Cephalexin 500 mg four times a day for 5 days",
    "Oxycodone/acetaminophen 5/325 mg, 1 tablet every 6 hours as needed for pain",
    "Ondansetron 4 mg dissolving tablet as needed for nausea",
    "Celecoxib 200 mg twice a day for 5 days",
    "Docusate 100 mg twice a day while taking pain medication",
)
COMPLICATIONS = (
    (
        "plastics",
        "abdominoplasty",
        "a seroma at the left flank",
        "Aspirated 120 mL of straw-colored fluid under ultrasound; compression re-applied.",
    ),
    (
        "plastics",
        "breast augmentation",
        "a right-sided hematoma",
        "Taken back to the OR for evacuation; implant irrigated and replaced.",
    ),
    (
        "medspa",
        "tear trough filler",
        "suspected vascular occlusion (blanching and pain, left lower lid)",
        "Hyaluronidase 450 units injected in divided doses; capillary refill normal after 20 minutes; aspirin 325 mg given.",
    ),
    (
        "plastics",
        "breast reduction",
        "a small wound separation at the T-junction",
        "Daily dressing changes with silver alginate; expected to close in 2-3 weeks.",
    ),
    (
        "medspa",
        "lip filler",
        "a firm nodule in the upper lip",
        "Massage, then 30 units hyaluronidase; recheck in two weeks.",
    ),
    (
        "medspa",
        "laser hair removal of the legs",
        "blistering (superficial burn) on the right shin",
        "Silver sulfadiazine twice daily, strict sun avoidance; next session postponed.",
    ),
    (
        "plastics",
        "abdominoplasty",
        "cellulitis at the right end of the incision",
        "Started doxycycline 100 mg twice daily for 10 days; wound culture sent.",
    ),
)


def surgery_postop_followup(g: Gen) -> Mail:
    """Post-operative instructions, a post-op nurse call, a filler touch-up note or a
    complication follow-up naming the patient and the procedure."""
    v = g.variant(4)
    if v in (0, 1):
        proc = g.rng.choice(tuple(POSTOP))
        if "breast" in proc:
            g.sex("F")
        p = g.practice("plastics")
        surgeon = g.provider("plastics")
        nurse = g.staff_sender()
        sdate = g.day(-3, 0) if v == 1 else g.day(-1, 6)
        if v == 0:
            g.to = g.pt_email()
            meds = g.rng.sample(POSTOP_MEDS, g.rng.randint(2, 4))
            subject = g.pick(
                "Your post-operative instructions",
                f"After your surgery - {p.name}",
                f"Post-op instructions: {g.patient()}",
            )
            where = ("subject", "body") if g.patient() in subject else ("body",)
            body = (
                f"{g.greet()}\n\n"
                f"Post-operative instructions - {proc}\nPatient: {g.patient()}{g.pick('', '   DOB ' + g.dob(20, 65))}\n"
                f"Surgeon: {surgeon}\nSurgery date: {g.date(sdate)}\n\n"
                + "\n".join(f"- {x}" for x in POSTOP[proc])
                + "\n\nMedications sent to your pharmacy:\n"
                + "\n".join(f"  * {m}" for m in meds)
                + f"\n\nFirst post-op visit: {g.date(sdate + dt.timedelta(days=g.rng.randint(1, 7)))} at {g.clock()}.\n"
                f"After hours, call {p.phone} and ask for the surgeon on call.\n\n{g.sign(nurse, 'RN, Surgical Coordinator')}{g.conf()}"
            )
            return phi(subject, body, where=where)
        g.to = g.prov_addr(surgeon, p.domain)
        pod = max(1, (g.when_sent.date() - sdate).days)
        subject = g.pick(
            f"POD{pod} call - {g.family}", "Post-op calls today", f"POD {pod} check: {g.patient()}"
        )
        where = ("subject", "body") if g.family in subject else ("body",)
        drains = (
            f"JP drains R {g.rng.randint(20, 90)} mL / L {g.rng.randint(15, 80)} mL last 24 h, serosanguinous. "
            if proc == "abdominoplasty"
            else ""
        )
        body = (
            f"{surgeon.split(',')[0]},\n\n"
            f"Called {g.patient()} ({g.chart()}) POD{pod} after {proc} on {g.date(sdate, 'us0')}.\n"
            f"Pain {g.rng.randint(2, 7)}/10, using {g.pick('oxycodone 5 mg every 6 hours', 'acetaminophen only', 'Percocet twice overnight')}. "
            f"{drains}Afebrile, tolerating diet, voiding. "
            f"{g.pick('Mild nausea, using Zofran.', 'Bruising as expected.', 'Asked about showering - told OK after 48 h.', 'Reports some swelling on the left, no firmness.')}\n\n"
            f"Keeping the {g.date(sdate + dt.timedelta(days=7), 'short')} follow-up.\n{nurse}, RN"
        )
        return phi(subject, body, where=where)
    if v == 2:
        p = g.practice("medspa")
        inj = g.provider("medspa")
        g.to = g.pick(g.pt_email(), f"charts@{p.domain}")
        area = g.pick("upper lip", "left cheek", "chin", "nasolabial folds", "tear troughs")
        prod = g.pick(
            "Juvederm Volbella", "Restylane Kysse", "RHA 3", "Juvederm Voluma", "Restylane Lyft"
        )
        first = g.date(g.day(-21, -12))
        g.staff_sender()
        subject = g.pick(
            "Touch-up visit note", f"2-week check - {g.patient()}", "Your touch-up today"
        )
        where = ("subject", "body") if g.patient() in subject else ("body",)
        body = (
            f"Touch-up note - {p.name}\n\n"
            f"Patient: {g.name_as()}   {g.pick('DOB ' + g.dob(22, 64), g.chart())}\n"
            f"Original treatment: {first}, {prod} 1.0 mL to the {area}\n"
            f"Today: {g.pick('mild asymmetry', 'slight under-correction', 'small palpable bead, resolved with massage')}; "
            f"{g.pick('0.3', '0.2', '0.5')} mL {prod} added to the {g.pick('left', 'right')} side. "
            f"{g.pick('No charge (touch-up policy).', 'Charged half syringe.', '')}\n"
            f"Lot {g.pick('V', 'L', 'R')}{g.digits(5)}, exp {g.rng.randint(1, 12):02d}/{g.rng.randint(2026, 2027)}.\n"
            f"Aftercare reviewed: ice, no strenuous exercise for 24 h, arnica as needed.\n\n{inj}"
        )
        return phi(subject, body, where=where)
    kind, proc, problem, action = g.rng.choice(COMPLICATIONS)
    if "breast" in proc:
        g.sex("F")
    p = g.practice(kind)
    doc = g.provider(kind)
    g.staff_sender()
    g.sender(doc.split(",")[0], g.prov_addr(doc, p.domain))
    pcp = f"Dr. {g.us.last_name()}"
    g.to = g.pick(
        f"{slug(pcp)}@{g.pick('valleyprimarycare', 'northside-im', 'oakfamilymed')}.example",
        g.pt_email(),
    )
    subject = g.pick(
        f"Follow-up: {g.patient()}",
        "Complication follow-up",
        f"Re: {proc} - update",
        f"Your follow-up after your {proc}",
    )
    where = ("subject", "body") if g.patient() in subject else ("body",)
    body = (
        f"{g.pick('Dear ' + pcp + ',', 'Hello,', g.greet())}\n\n"
        f"Re: {g.patient()}, DOB {g.dob(24, 68)}\n\n"
        f"{g.patient().split()[0]} had {proc} with us on {g.date(g.day(-30, -5), 'us0')} and developed "
        f"{problem}. {action}\n\n"
        f"{g.pick('We will see them again in one week.', 'Please let us know if you see any signs of infection at the follow-up.', 'Call the office right away for fever, spreading redness or vision change.')}\n\n"
        f"{doc}\n{p.name}\n{p.phone}{g.conf()}"
    )
    return phi(subject, body, where=where)


def bmi(lb: float, inches: int) -> float:
    return round(703 * lb / inches**2, 1)


COMORBID = (
    "hypertension", "prediabetes (A1c 6.0%)", "type 2 diabetes (A1c 7.4%)", "PCOS",
    "obstructive sleep apnea (on CPAP)", "hyperlipidemia", "GERD", "knee osteoarthritis",
    "fatty liver (NAFLD)", "depression (stable on sertraline)",
)  # fmt: skip
CURRENT_MEDS = (
    "lisinopril 10 mg", "metformin 500 mg BID", "atorvastatin 20 mg", "sertraline 50 mg",
    "levothyroxine 50 mcg", "oral contraceptive", "omeprazole 20 mg", "none",
)  # fmt: skip


def glp1_intake_summary(g: Gen) -> Mail:
    """A weight-loss telehealth intake: height, weight, BMI, comorbidities, contraindication
    screen and the prescribing decision."""
    sexv = g.pick("F", "F", "M")
    g.sex(sexv)
    p = g.practice("glp1")
    clin = g.provider("glp1")
    dob = g.dob(22, 68)
    inches = g.rng.randint(60, 67) if sexv == "F" else g.rng.randint(65, 76)
    target = g.rng.uniform(23.5, 26.5) if g.rng.random() < 0.12 else g.rng.uniform(27.5, 46.0)
    lb = round(target * inches**2 / 703)
    b = bmi(lb, inches)
    com = g.rng.sample(COMORBID, g.rng.randint(0, 3))
    meds = (
        g.rng.sample(CURRENT_MEDS[:-1], g.rng.randint(1, 2)) if g.rng.random() < 0.75 else ["none"]
    )
    pancreatitis = g.rng.random() < 0.06
    ok = (b >= 30 or (b >= 27 and com)) and not pancreatitis
    drug = g.pick(
        "compounded semaglutide", "compounded tirzepatide", "Wegovy (if covered)", "Zepbound"
    )
    start = (
        "semaglutide 0.25 mg weekly x 4 weeks"
        if "sema" in drug or "Wegovy" in drug
        else "tirzepatide 2.5 mg weekly x 4 weeks"
    )
    decision = (
        f"Approved - {start}, then reassess"
        if ok
        else (
            "Not prescribed - history of pancreatitis"
            if pancreatitis
            else f"Not eligible - BMI {b} without a weight-related condition"
        )
    )
    state = (
        g.prac.state
        if g.prac and g.rng.random() < 0.5
        else str(g.us.state_abbr(include_territories=False))
    )
    ht = f"{inches // 12}'{inches % 12}\""
    qa = [
        ("Name", g.patient()), ("DOB", dob), ("Sex", {"F": "Female", "M": "Male"}[sexv]),
        ("State", state), ("Height", ht), ("Weight", f"{lb} lb"), ("BMI", f"{b}"),
        ("Goal weight", f"{round(lb * g.rng.uniform(0.78, 0.9))} lb"),
        ("Conditions", ", ".join(com) or "none reported"), ("Current medications", ", ".join(meds)),
        ("Personal/family history of MTC or MEN2", "No"), ("History of pancreatitis", "Yes" if pancreatitis else "No"),
        ("Prior GLP-1 use", g.pick("No", "No", "Yes - semaglutide 2023, stopped for cost", "Yes - phentermine only")),
    ]  # fmt: skip
    if sexv == "F":
        qa.append(("Pregnant, breastfeeding or planning pregnancy", "No"))
    sub = f"#{g.digits(5)}"
    v = g.variant(4)
    if v == 0:
        g.sender(f"{p.software}", f"intake@{p.domain}")
        g.to = f"{g.pick('clinicians', 'provider-queue', 'rx-review')}@{p.domain}"
        subject = g.pick(
            f"New intake {sub} ready for review",
            f"Intake submitted: {g.patient()}",
            f"[{p.software}] Intake {sub} - {state}",
        )
        where = ("subject", "body") if g.patient() in subject else ("body",)
        body = (
            f"Intake {sub} submitted {g.stamp()}\n\n"
            + "\n".join(f"{k}: {val}" for k, val in qa)
            + f"\nContact: {g.pt_email()} / {g.pt_phone()}\n\n"
            f"Auto-screen: {'eligible' if ok else 'needs clinician review'}\n"
            f"Review: https://app.{p.domain}/intake/{sub[1:]}"
        )
        return phi(subject, body, where=where)
    if v == 1:
        g.sender(clin.split(",")[0], g.prov_addr(clin, p.domain))
        g.to = g.pt_email()
        subject = g.pick(
            "Your clinician has reviewed your intake",
            "Next steps for your program",
            f"{p.name}: your treatment plan",
        )
        body = (
            f"{g.greet()}\n\n"
            f"I reviewed the health questionnaire you completed on {g.date(g.day(-3, 0))}. At {ht} and "
            f"{lb} lb your BMI is {b}"
            + (f", and with {', '.join(com)}" if com else "")
            + (
                f", you qualify for treatment. I've prescribed {start}. It ships from our partner pharmacy "
                f"in 2-4 business days. Common side effects are nausea, constipation and reduced appetite; "
                f"eat smaller meals and stay hydrated."
                if ok
                else f". {decision.split(' - ')[1].capitalize()}, so I'm not able to prescribe a GLP-1 medication right now. Your card will not be charged."
            )
            + f"\n\nPatient: {g.patient()}, DOB {dob}\n\n{clin}\n{p.name} (licensed in {state})"
        )
        return phi(subject, body)
    if v == 2:
        g.sender(f"{p.software}", f"no-reply@{p.domain}")
        g.to = f"{g.pick('clinicians', 'medical-director')}@{p.domain}"
        inner = (
            f"<p><b>Intake summary {h(sub)}</b></p>\n"
            + html_table(("Question", "Answer"), qa)
            + f"\n<p><b>Decision:</b> {h(decision)}<br>Reviewed by {h(clin)}, {h(g.stamp())}</p>"
        )
        subject = g.pick("Intake decision recorded", f"Intake {sub} summary")
        return phi(
            subject, html_page(f"{p.software} - intake", inner, "Internal use only."), html=True
        )
    g.staff_sender()
    g.to = g.pt_email()
    subject = g.pick(
        "We need a few more details",
        "Labs needed before we can prescribe",
        "Action required: your intake",
    )
    body = (
        f"{g.greet()}\n\n"
        f"Thanks for starting with {p.name}. Before {clin} can finish reviewing your intake "
        f"(BMI {b}, {', '.join(com) or 'no conditions listed'}), we need:\n"
        f"- {g.pick('an A1c and metabolic panel from the last 12 months', 'a current blood pressure reading', 'a full-body photo for identity and weight verification', 'your most recent lipid panel')}\n"
        f"- a photo of your ID matching {g.patient()}, DOB {dob}\n\n"
        f"Upload them in the app or reply to this e-mail.\n\n{g.sign(g.me, 'Care Team')}"
    )
    return phi(subject, body)


PHARMACIES = (
    ("Alder Compounding Pharmacy", "alder-compounding.example"),
    ("Crescent 503A Pharmacy", "crescent503a.example"),
    ("Bluewater Specialty Compounding", "bluewater-rx.example"),
)
GLP1_DOSES = {
    "semaglutide": (
        "Semaglutide 2.5 mg/mL (with cyanocobalamin 0.5 mg/mL), {n} mL vial",
        2.5,
        (0.25, 0.5, 1.0, 1.7, 2.4),
    ),
    "tirzepatide": (
        "Tirzepatide 10 mg/mL (with pyridoxine), {n} mL vial",
        10.0,
        (2.5, 5.0, 7.5, 10.0, 12.5),
    ),
}


def glp1_rx_shipping(g: Gen) -> Mail:
    """A compounding pharmacy's shipping notice, a dose-titration message or a refill hold
    naming the patient and the GLP-1 medication and dose."""
    p = g.practice("glp1")
    clin = g.provider("glp1")
    drug = g.pick("semaglutide", "semaglutide", "tirzepatide")
    label, conc, steps = GLP1_DOSES[drug]
    i = g.rng.randrange(len(steps) - 1)
    dose, nxt = steps[i], steps[i + 1]
    units = lambda mg: round(mg / conc * 100)  # noqa: E731
    product = label.format(n=g.pick("1", "2", "2.5", "4"))
    rx = f"{g.pick('RX', '', 'Rx# ')}{g.digits(7)}"
    pharm, pdom = g.rng.choice(PHARMACIES)
    v = g.variant(4)
    if v in (0, 1):
        g.sender(pharm, f"{g.pick('shipping', 'orders', 'notifications')}@{pdom}")
        g.to = g.pick(g.pt_email(), g.pt_email(), f"rx-orders@{p.domain}")
        track = f"1Z{g.digits(3)}{g.pick('E', 'W', 'X')}{g.pick('A', 'V')}{g.digits(11)}"
        rows = [
            ("Patient", g.patient()), ("Rx", rx), ("Medication", product),
            ("Directions", f"Inject {dose:g} mg ({units(dose)} units on a U-100 syringe) under the skin once weekly"),
            ("Prescriber", f"{clin} - {p.name}"), ("Ship to", g.pt_address()),
            ("Carrier", f"UPS 2nd Day Air, tracking {track}"), ("Packaging", "insulated box with cold packs - refrigerate on arrival"),
        ]  # fmt: skip
        subject = g.pick(
            "Your order has shipped",
            f"Shipped: Rx {rx}",
            f"{pharm} - shipment confirmation",
            "Your medication is on the way",
        )
        if v == 0:
            body = (
                f"{g.greet(full=True)}\n\nYour prescription has shipped.\n\n"
                + "\n".join(f"{k}: {val}" for k, val in rows)
                + f"\n\nSyringes and alcohol pads are included. Questions about your dose? Contact {p.name}. "
                f"Pharmacy questions: {pharm}, 1-888-{g.digits(3)}-{g.digits(4)}.\n\n"
                "This medication was compounded for you by a 503A pharmacy pursuant to a patient-specific prescription."
            )
            return phi(subject, body)
        inner = (
            f"<p>{h(g.greet(full=True))}</p><p>Good news - your order is on its way.</p>\n"
            + html_table(("", ""), rows)
            + f'\n<p><a href="https://www.ups.com/track?tracknum={track}">Track your package</a></p>'
        )
        return phi(
            subject,
            html_page(
                pharm,
                inner,
                f"{h(pharm)} &middot; licensed 503A compounding pharmacy",
                color="#4a6b3a",
            ),
            html=True,
        )
    if v == 2:
        g.sender(clin.split(",")[0], g.prov_addr(clin, p.domain))
        g.to = g.pt_email()
        wk = g.rng.randint(4, 20)
        lost = round(g.rng.uniform(3, 28), 1)
        subject = g.pick("Time to increase your dose", f"Week {wk} check-in", "Your dose update")
        body = (
            f"{g.greet()}\n\n"
            f"You're at week {wk} and down {lost} lb - great work. Since the nausea has "
            f"{g.pick('settled', 'been mild', 'improved with smaller meals')}, let's move from "
            f"{dose:g} mg to {nxt:g} mg weekly starting with your next injection.\n\n"
            f"With your {conc:g} mg/mL vial that is {units(nxt)} units on the syringe (it was {units(dose)} units).\n\n"
            f"Patient: {g.patient()} | {g.chart()}\n\n"
            f"Message us for vomiting, severe belly pain or if you can't keep fluids down.\n\n{clin}"
        )
        return phi(subject, body)
    g.sender(f"{p.name} Billing", f"billing@{p.domain}")
    g.to = g.pt_email()
    subject = g.pick(
        "Payment failed - refill on hold",
        "Action needed for your next shipment",
        "We couldn't process your renewal",
    )
    body = (
        f"{g.greet()}\n\n"
        f"We were unable to charge the card ending in {g.digits(4)} for your month {g.rng.randint(2, 9)} "
        f"renewal ({drug} {dose:g} mg weekly, {money(g.pick(249, 299, 349, 399), False)}). Your refill for "
        f"{g.patient()} is on hold and will not ship until payment goes through.\n\n"
        f"Update your card: https://app.{p.domain}/billing\n\n{p.name} Billing Team"
    )
    return phi(subject, body)


CHIRO_CASES = (
    (
        "low back pain radiating to the left buttock after lifting boxes",
        "lumbar",
        ("M54.50", "S33.5XXA", "M99.03"),
    ),
    (
        "neck pain and headaches since a rear-end collision",
        "cervical",
        ("S13.4XXA", "M99.01", "G44.209"),
    ),
    ("right-sided sciatica to the calf", "lumbar", ("M54.16", "M99.03", "M62.830")),
    ("mid-back and neck stiffness from desk work", "cervical", ("M54.2", "M99.01", "M62.830")),
)
ICD = {
    "M54.50": "low back pain, unspecified", "S33.5XXA": "sprain of ligaments of lumbar spine, initial encounter",
    "M99.03": "segmental and somatic dysfunction of lumbar region", "S13.4XXA": "sprain of ligaments of cervical spine, initial encounter",
    "M99.01": "segmental and somatic dysfunction of cervical region", "G44.209": "tension-type headache, not intractable",
    "M54.16": "radiculopathy, lumbar region", "M62.830": "muscle spasm of back", "M54.2": "cervicalgia",
}  # fmt: skip
SEGMENTS = {
    "lumbar": ("L3", "L4", "L5", "SI-L", "SI-R", "T12"),
    "cervical": ("C1", "C2", "C5", "C6", "T1", "T4"),
}
ACU_CASES = (
    ("migraines, 3-4 per month", "LI4, LR3, GB20, GB8, Taiyang, Yintang", "Liver yang rising"),
    (
        "fertility support (IVF transfer in 2 weeks)",
        "CV4, SP6, ST36, KI3, Zigong, Yintang",
        "Kidney yang deficiency",
    ),
    (
        "chronic neck and shoulder pain",
        "GB21, SI3, BL10, LI11, Ashi points",
        "Qi and blood stagnation",
    ),
    ("chemotherapy-related nausea", "PC6, ST36, CV12, SP4", "Spleen qi deficiency"),
    (
        "insomnia and anxiety",
        "HT7, SP6, Anmian, Yintang, KI1",
        "Heart and kidney not communicating",
    ),
)


def chiro_soap_note(g: Gen) -> Mail:
    """A chiropractic or acupuncture SOAP note or progress report naming the patient, with
    findings, ICD-10 and CPT codes, sent to a PCP, biller or the care team."""
    acu = g.rng.random() < 0.35
    kind = "acu" if acu else "chiro"
    p = g.practice(kind)
    doc = g.provider(kind)
    dob = g.dob(19, 78)
    of = g.rng.choice((12, 18, 24))
    visit_n = g.rng.randint(2, of)
    dos = g.date(g.day(-5, 0), "us0")
    ident = g.pick(
        f"{g.formal()}  DOB {dob}",
        f"{g.patient()} ({g.chart()})",
        f"Patient: {g.name_as()} | DOB: {dob}",
    )
    g.sender(doc.split(",")[0], g.prov_addr(doc, p.domain))
    if acu:
        complaint, points, pattern = g.rng.choice(ACU_CASES)
        note = (
            f"S: Treatment for {complaint}. Reports {g.pick('fewer episodes this week', 'no change', 'better sleep', 'pain down from 7/10 to 4/10')}.\n"
            f"O: Tongue {g.pick('pale with thin white coat', 'red tip, yellow coat', 'purple, scalloped')}; pulse {g.pick('wiry', 'thready', 'slippery', 'deep and weak')}.\n"
            f"A: {pattern}.\n"
            f"P: Points {points}; {g.pick('electro-stim 2 Hz on the distal points', 'moxa on ST36', 'cupping upper back 8 min', 'no e-stim today')}. "
            f"Retained {g.rng.choice((20, 25, 30))} min. Next visit in {g.pick('one week', '4 days', 'two weeks')}.\n"
            f"Codes: 97810, 97811{g.pick(' x2', '')}{g.pick(', 97813', '')}"
        )
    else:
        complaint, region, dx = g.rng.choice(CHIRO_CASES)
        segs = ", ".join(g.rng.sample(SEGMENTS[region], 3))
        flex = g.rng.randint(30, 75)
        note = (
            f"S: {complaint.capitalize()}. Pain {g.rng.randint(3, 8)}/10 today "
            f"(was {g.rng.randint(6, 9)}/10 at intake). {g.pick('Worse with sitting.', 'Wakes at night.', 'Better after last adjustment.', 'Numbness in the toes has resolved.')}\n"
            f"O: Hypertonicity {g.pick('bilateral', 'left', 'right')} paraspinals; restricted motion at {segs}. "
            f"{'Flexion' if region == 'lumbar' else 'Rotation'} {flex}/{90 if region == 'lumbar' else 80} deg. "
            f"{g.pick('SLR negative', 'SLR positive at 45 deg on the right', 'Spurling negative', 'Kemp positive left')}.\n"
            f"A: {'; '.join(f'{c} {ICD[c]}' for c in dx[:2])} - {g.pick('improving', 'slowly improving', 'plateaued', 'aggravated after a fall at home')}.\n"
            f"P: CMT {g.pick('98940', '98941')} to {segs}; 97140 manual therapy {g.pick('8', '10', '15')} min; "
            f"{g.pick('97112 neuromuscular re-education', '97110 therapeutic exercise', 'G0283 e-stim unattended')}. "
            f"Continue {g.pick('3x/week for 4 weeks', '2x/week', '1x/week then re-exam')}."
        )
    v = g.variant(3)
    if v == 0:
        pcp = f"Dr. {g.us.last_name()}"
        g.to = f"{slug(pcp)}@{g.pick('valleyprimarycare', 'northside-im', 'lakesidefamilymed')}.example"
        subject = g.pick(
            "Progress note for our mutual patient",
            f"Progress report - {g.patient()}",
            "Chiropractic/acupuncture update",
        )
        where = ("subject", "body") if g.patient() in subject else ("body",)
        body = (
            f"Dear {pcp},\n\nThank you for referring {g.patient()}. Below is my note from visit "
            f"{visit_n} of {of} ({dos}).\n\n{ident}\n\n{note}\n\n"
            f"Please contact me with any questions.\n\n{doc}\n{p.name}\n{p.address}\nFax {p.area}-{g.digits(3)}-{g.digits(4)}{g.conf()}"
        )
        return phi(subject, body, where=where)
    if v == 1:
        g.to = f"{g.pick('claims', 'coding', 'submissions')}@{g.pick('medbill-partners', 'clearpath-billing', 'rcm-allies')}.example"
        subject = g.pick(
            f"Notes for {dos} - {p.name}",
            "Daily notes for coding",
            f"DOS {dos} notes ({g.rng.randint(4, 22)} visits)",
        )
        body = (
            f"Hi {g.st.first_name()},\n\nNote below for coding; the rest of today's notes will follow in the batch upload.\n\n"
            f"--- {p.software} note export ---\n{ident}\nVisit {visit_n} of {of}\n"
            f"Payer: {g.pick('auto PIP', 'Blue Cross PPO', 'Medicare', 'self-pay', 'workers comp')}\n\n{note}\n--- end ---\n\n{doc}"
        )
        return phi(subject, body)
    g.to = f"{g.pick('notes', 'clinical', 'team')}@{p.domain}"
    subject = g.pick(
        "Note to co-sign", "Please review my note", f"Visit {visit_n} note - {g.family}"
    )
    where = ("subject", "body") if g.family in subject else ("body",)
    body = f"{ident}\nDOS {dos} | visit {visit_n}/{of}\n\n{note}\n\nSigned: {doc}"
    return phi(subject, body, where=where)


LAW_FIRMS = (
    ("Hartwell & Ruiz Injury Law", "hartwellruiz-law.example"),
    ("Benson Kaplan Trial Attorneys", "bensonkaplan.example"),
    ("The Okafor Law Group", "okafor-lawgroup.example"),
)
WC_CARRIERS = (
    ("Pinnacle Mutual Workers' Comp", "pinnaclemutual-wc.example"),
    ("Keystone Employers Insurance", "keystone-employers.example"),
    ("Summit State Fund", "summitstatefund.example"),
)


def pi_lien_wc_report(g: Gen) -> Mail:
    """A personal-injury lien letter or balance update to the client's attorney, or a workers'
    compensation status report to the adjuster."""
    kind = g.pick("chiro", "chiro", "acu")
    p = g.practice(kind)
    doc = g.provider(kind)
    staff = g.staff_sender()
    doi = g.day(-150, -20)
    start = doi + dt.timedelta(days=g.rng.randint(2, 10))
    dob = g.dob(19, 70)
    _, _, dx = g.rng.choice(CHIRO_CASES)
    dxs = "; ".join(f"{c} ({ICD[c]})" for c in dx)
    nvis = g.rng.randint(8, 36)
    v = g.variant(3)
    if v in (0, 1):
        firm, fdom = g.rng.choice(LAW_FIRMS)
        atty = f"{g.us.first_name()} {g.us.last_name()}"
        g.to = g.pick(g.staff_addr(atty, fdom), f"records@{fdom}", f"intake@{fdom}")
        claim = f"{g.pick('', 'CLM-', 'PIP ')}{g.digits(3)}-{g.digits(6)}"
        if v == 0:
            bal = round(nvis * g.rng.uniform(120, 210), 2)
            subject = g.pick(
                f"Lien - {g.patient()} - DOI {g.date(doi, 'us0')}",
                "Notice of medical lien",
                f"Your client {g.patient()}",
            )
            where = ("subject", "body") if g.patient() in subject else ("body",)
            body = (
                f"Dear {atty},\n\n"
                f"RE: Our patient / your client: {g.patient()}\nDOB: {dob}\nDate of injury: {g.date(doi)}\nClaim: {claim}\n\n"
                f"This office has treated your client since {g.date(start)} for injuries from a "
                f"{g.pick('motor vehicle collision (rear-ended at a stop light)', 'T-bone collision', 'slip and fall at a grocery store', 'rideshare collision')}. "
                f"Diagnoses: {dxs}. {nvis} visits to date; treatment is {g.pick('ongoing', 'expected to conclude in about 4 weeks', 'complete - patient released')}.\n\n"
                f"Current balance: {money(bal)}. Under our lien and assignment of benefits signed {g.date(start, 'us0')}, "
                f"please protect this balance from any settlement and sign and return the enclosed acknowledgement.\n\n"
                f"{g.sign(staff, 'PI Coordinator')}{g.conf()}"
            )
            return phi(subject, body, where=where)
        rows = []
        d = start
        total = 0.0
        for _ in range(g.rng.randint(4, 8)):
            for code, fee in g.rng.sample(
                (
                    ("98941", 95.0),
                    ("97140", 70.0),
                    ("97112", 65.0),
                    ("G0283", 35.0),
                    ("97810", 85.0),
                ),
                2,
            ):
                rows.append((g.date(d, "us0"), code, money(fee)))
                total += fee
            d += dt.timedelta(days=g.rng.choice((2, 3, 4, 7)))
        subject = g.pick(
            "Updated ledger and records",
            f"Records request - {g.formal()}",
            "Balance update for settlement",
        )
        where = ("subject", "body") if g.formal() in subject else ("body",)
        body = (
            f"Hello,\n\nAs requested, the itemized ledger for {g.patient()} (DOB {dob}, DOI {g.date(doi, 'us0')}). "
            f"Narrative report and records are on the way through the secure portal.\n\n"
            f"{text_table(('DOS', 'CPT', 'Charge'), rows)}\n\nTotal (this page): {money(total)}\n\n"
            f"{g.sign(staff, 'Records & Billing')}"
        )
        return phi(subject, body, where=where)
    carrier, cdom = g.rng.choice(WC_CARRIERS)
    adjuster = f"{g.us.first_name()} {g.us.last_name()}"
    g.to = g.staff_addr(adjuster, cdom)
    claim = f"WC{g.digits(2)}-{g.digits(6)}"
    employer = str(g.us.company())
    status = g.pick(
        "Modified duty: no lifting over 15 lb, no repetitive bending, change position every 30 minutes.",
        "Off work until the next visit.",
        "Full duty without restrictions as of the next shift.",
        "Modified duty: seated work only, 6-hour shifts.",
    )
    subject = g.pick(
        f"Work status report - claim {claim}",
        f"WC progress report: {g.patient()}",
        "Work status update",
    )
    where = ("subject", "body") if g.patient() in subject or claim in subject else ("body",)
    body = (
        f"{carrier}\nAttn: {adjuster}, claims adjuster\n\n"
        f"Injured worker: {g.name_as()}   DOB {dob}\nClaim #: {claim}\nEmployer: {employer}\n"
        f"Date of injury: {g.date(doi, 'us0')}\nMechanism: {g.pick('lifting a 60 lb case at work', 'fall from a step ladder', 'repetitive overhead work', 'forklift collision')}\n\n"
        f"Diagnoses: {dxs}\nVisits to date: {nvis}\nProgress: {g.pick('pain 8/10 to 4/10, range of motion improving', 'slow progress; MRI requested', 'near baseline')}\n\n"
        f"WORK STATUS: {status}\nNext visit: {g.date(g.day(3, 14))}\n"
        f"MMI expected: {g.pick('in 4-6 weeks', 'not yet determined', 'at the next re-exam')}\n\n"
        f"{doc}\n{p.name} | {p.phone}{g.conf()}"
    )
    return phi(subject, body, where=where)


UC_DX = (
    (
        "sore throat and fever",
        "acute streptococcal pharyngitis",
        "J02.0",
        "rapid strep positive",
        "amoxicillin 500 mg twice daily for 10 days",
    ),
    (
        "fever, body aches",
        "influenza A",
        "J10.1",
        "rapid influenza A positive",
        "oseltamivir 75 mg twice daily for 5 days",
    ),
    (
        "cough and congestion",
        "COVID-19",
        "U07.1",
        "rapid antigen positive, SpO2 97%",
        "nirmatrelvir/ritonavir; held atorvastatin during the course",
    ),
    (
        "painful urination",
        "acute cystitis",
        "N30.00",
        "UA nitrite positive, leukocyte esterase 2+",
        "nitrofurantoin 100 mg twice daily for 5 days; urine culture sent",
    ),
    (
        "rolled ankle playing basketball",
        "sprain of the left ankle",
        "S93.402A",
        "3-view ankle x-ray without fracture on preliminary read",
        "ankle brace, RICE, ibuprofen 600 mg as needed",
    ),
    (
        "cut finger with a kitchen knife",
        "2.5 cm laceration of the right index finger",
        "S61.210A",
        "tendon function intact",
        "repaired with 5 simple sutures (4-0 nylon); Tdap given",
    ),
    (
        "cough, fever, short of breath",
        "right lower lobe pneumonia",
        "J18.9",
        "CXR right lower lobe infiltrate, SpO2 94%",
        "amoxicillin-clavulanate plus azithromycin",
    ),
    (
        "ear pain",
        "acute otitis media, left",
        "H66.92",
        "bulging left tympanic membrane",
        "amoxicillin 875 mg twice daily for 7 days",
    ),
    (
        "itchy rash",
        "urticaria after a new medication",
        "L50.0",
        "no airway involvement",
        "prednisone 40 mg daily for 5 days and cetirizine; stopped the new drug",
    ),
)
OVERREADS = (
    (
        "left foot, 3 views",
        "a nondisplaced fracture at the base of the fifth metatarsal",
        "Please wear the post-op shoe we gave you and see orthopedics this week; we have sent a referral.",
    ),
    (
        "chest, 2 views",
        "an 8 mm nodule in the right upper lobe",
        "This is probably harmless, but the radiologist recommends a CT scan of the chest in 3 months; your primary care doctor has been notified.",
    ),
    (
        "right wrist, 3 views",
        "a subtle nondisplaced scaphoid waist fracture",
        "Please keep the splint on and come back for a thumb spica splint; a hand surgery referral is in.",
    ),
    (
        "cervical spine, 3 views",
        "no fracture, but moderate C5-C6 degenerative disc disease",
        "No change to your treatment; follow up with your primary care provider.",
    ),
)
CALLBACKS = (
    (
        "urine culture",
        "E. coli > 100,000 CFU/mL, resistant to nitrofurantoin",
        "Stop nitrofurantoin; cephalexin 500 mg twice daily x 7 days sent to the pharmacy.",
    ),
    (
        "throat culture",
        "group A strep isolated (rapid test was negative)",
        "Amoxicillin 500 mg twice daily x 10 days sent to the pharmacy.",
    ),
    (
        "basic metabolic panel",
        "potassium 3.1 mmol/L (low)",
        "Potassium chloride 20 mEq daily x 5 days; recheck with the PCP next week.",
    ),
    (
        "COVID/flu PCR",
        "influenza B detected",
        "Supportive care; oseltamivir offered but outside the 48-hour window.",
    ),
    (
        "wound culture",
        "MRSA isolated, sensitive to trimethoprim-sulfamethoxazole",
        "Switch to TMP-SMX DS twice daily x 7 days; stop cephalexin.",
    ),
)


def urgent_care_summary(g: Gen) -> Mail:
    """Urgent care mail: a visit summary to the PCP, a lab callback log, or an x-ray over-read
    discrepancy notice naming the patient."""
    p = g.practice("urgent")
    prov = g.provider("urgent")
    dob = g.dob(3, 85)
    dos = g.day(-4, 0)
    v = g.variant(3)
    if v == 0:
        cc, dx, icd, finding, tx = g.rng.choice(UC_DX)
        pcp = f"Dr. {g.us.last_name()}"
        g.sender(f"{p.name.split(' - ')[0].split(' (')[0]} Records", f"records@{p.domain}")
        g.to = f"{g.pick('referrals', 'records', 'fax', slug(pcp))}@{g.pick('valleyprimarycare', 'northside-im', 'cedarpeds', 'oakfamilymed')}.example"
        vit = f"T {g.rng.uniform(97.6, 102.8):.1f} F, HR {g.rng.randint(62, 118)}, BP {g.rng.randint(104, 152)}/{g.rng.randint(62, 94)}, SpO2 {g.rng.randint(93, 100)}%"
        subject = g.pick(
            f"Urgent care visit summary - {g.patient()}",
            "Visit summary for your patient",
            f"UC visit {g.date(dos, 'us0')}: {g.formal()}",
            "Continuity of care document",
        )
        where = (
            ("subject", "body") if g.patient() in subject or g.formal() in subject else ("body",)
        )
        em = g.pick("99203", "99213", "99214")
        body = (
            f"To: {pcp} (primary care)\nFrom: {p.name}\n\n"
            f"Patient: {g.name_as()}   DOB: {dob}   {g.chart()}\nDate of service: {g.date(dos)}\nProvider: {prov}\n\n"
            f"Chief complaint: {cc}\n"
            f"Vitals: {vit}\nFindings: {finding}\n"
            f"Diagnosis: {dx} ({icd})\nTreatment: {tx}\nVisit level: {em}\n\n"
            f"Follow up with PCP in {g.pick('3-5 days', '1 week', '2 weeks', 'as needed')}; ED precautions reviewed.\n\n"
            f"This summary is sent for continuity of care. {p.name} | {p.address} | {p.phone}{g.conf()}"
        )
        return phi(subject, body, where=where)
    nurse = g.staff_sender()
    if v == 1:
        test, result, action = g.rng.choice(CALLBACKS)
        g.to = g.pick(f"callbacks@{p.domain}", g.prov_addr(prov, p.domain), f"qa@{p.domain}")
        attempt = g.pick(
            "Reached patient; two identifiers (name, DOB) verified.",
            "Left voicemail (no PHI) - attempt 1 of 3.",
            "Reached the patient's mother (on the release form).",
            "No answer; sent a portal message.",
        )
        subject = g.pick(
            "Callback log - culture results",
            f"Callback: {g.patient()} - {test}",
            "Positive result follow-up",
            f"Lab callbacks {g.date(g.when_sent.date(), 'us0')}",
        )
        where = ("subject", "body") if g.patient() in subject else ("body",)
        body = (
            f"Result callback\n\nPatient: {g.patient()}   DOB {dob}   Phone {g.pt_phone()}\n"
            f"Visit: {g.date(dos, 'us0')} with {prov}\n"
            f"Result: {test} - {result}\nAction: {action}\n"
            f"Pharmacy: {g.pick('CVS', 'Walgreens', 'Kroger', 'H-E-B', 'Rite Aid')} #{g.digits(4)}\n"
            f"Call: {g.stamp()} - {attempt}\n\n{nurse}, {g.pick('RN', 'LPN', 'MA')}"
        )
        return phi(subject, body, where=where)
    region, read, action = g.rng.choice(OVERREADS)
    to_pt = g.rng.random() < 0.6
    g.to = g.pt_email() if to_pt else f"{g.pick('qa', 'medical-director', 'risk')}@{p.domain}"
    prelim = g.pick("no acute fracture", "no acute findings", "negative")
    if to_pt:
        subject = g.pick(
            "Important: update on your x-ray",
            "Please call us about your recent x-ray",
            f"{p.name}: x-ray result update",
        )
        body = (
            f"{g.greet(full=True)}\n\n"
            f"When you visited us on {g.date(dos)}, your x-ray of the {region} was read in the clinic as "
            f"{prelim}. All of our x-rays are also reviewed by a board-certified radiologist, and the final "
            f"report found {read}.\n\n{action}\n\n"
            f"Patient: {g.patient()}  DOB {dob}  {g.chart()}\n\n"
            f"Please call {p.phone} so we can answer your questions.\n\n{prov}\n{p.name}"
        )
        return phi(subject, body)
    subject = g.pick(
        "Over-read discrepancy",
        f"Radiology discrepancy - {g.formal()}",
        "QA: x-ray discrepancy log",
    )
    where = ("subject", "body") if g.formal() in subject else ("body",)
    body = (
        f"Discrepancy report\n\nPatient: {g.formal()}   DOB {dob}   {g.chart()}\n"
        f"Study: XR {region}, {g.date(dos, 'us0')}\nPreliminary (clinic, {prov}): {prelim}\n"
        f"Final ({g.pick('Vista Radiology', 'TeleRad Partners', 'Summit Imaging')}): {read}\n"
        f"Patient notified: {g.pick('yes, by phone ' + g.stamp(), 'pending - 2 attempts', 'letter mailed')}\n"
        f"Plan: {action}\nCategory: {g.pick('minor', 'major - potential harm', 'moderate')}\n\n{nurse}, QA nurse"
    )
    return phi(subject, body, where=where)


def excuse_note(g: Gen) -> Mail:
    """A work or school excuse note, or return-to-work restrictions, naming the patient and the
    date of care (with or without the diagnosis); sometimes attached as text."""
    p = g.practice(g.pick("urgent", "urgent", "urgent", "chiro", "dental", "oral_surgery"))
    prov = g.provider(p.kind)
    dos = g.day(-2, 0)
    back = dos + dt.timedelta(days=g.rng.randint(1, 5))
    child = g.rng.random() < 0.35
    g.staff_sender()
    reason = g.pick("", "", "", {
        "urgent": f" for {g.pick('strep throat', 'influenza', 'a sprained ankle', 'a stomach virus', 'a fever', 'an ear infection')}",
        "chiro": f" for {g.pick('an acute low back strain', 'neck pain', 'a back injury')}",
        "dental": f" for {g.pick('a dental emergency', 'a root canal', 'a dental procedure')}",
        "oral_surgery": f" for {g.pick('wisdom tooth removal under sedation', 'oral surgery', 'an extraction')}",
    }[p.kind])  # fmt: skip
    if child:
        dob = g.dob(5, 17)
        parent = f"{g.other_person()[0]} {g.family}"
        note = (
            f"{p.name}\n{p.address}\n{p.phone}\n\n{g.date(dos, 'long')}\n\nSchool excuse\n\n"
            f"{g.patient()} (DOB {dob}) was seen in our clinic on {g.date(dos)}{reason} and "
            f"should be excused from school through {g.date(back)}. "
            f"{g.pick('No PE or recess sports for one week.', 'May return when fever-free for 24 hours without medication.', '')}\n\n"
            f"{prov}"
        )
        g.to = g.pick(
            f"attendance@{g.pick('lincoln-elementary', 'westview-ms', 'northridge-hs')}.example",
            g.pt_email(),
        )
        cover = f"Hello,\n\nPer {parent}'s request, please find the school note for {g.patient()}."
    else:
        restrict = g.pick(
            "", "", "Restrictions: no lifting over 20 lb and seated duties only until re-evaluated.",
            "May return to full duty.", "Restrictions: limited use of the right hand; no keyboarding for 3 days.",
        )  # fmt: skip
        note = (
            f"{p.name}\n{p.address}\n\n{g.date(dos, 'long')}\n\nTo whom it may concern:\n\n"
            f"{g.patient()} was {g.pick('seen and treated', 'evaluated', 'seen')} at our {g.pick('clinic', 'office')} on {g.date(dos)}{reason}. "
            f"Please excuse {g.pick('them', 'this patient')} from work {g.pick('from ' + g.date(dos, 'us0') + ' through ' + g.date(back, 'us0'), 'for ' + str((back - dos).days) + ' day(s)')}. "
            f"{g.pick('May return on ' + g.date(back) + '.', '')} {restrict}\n\n"
            f"Sincerely,\n{prov}"
        )
        g.to = g.pick(g.pt_email(), g.pt_email(), f"hr@{slug(str(g.us.company()))}.example")
        cover = f"Hi,\n\nAttached is the work note for {g.patient()} from {g.pick('today', 'the visit on ' + g.date(dos, 'us0'))}."
    subject = g.pick(
        "Work/school note", "Your excuse note", f"Note for {g.patient()}", "Excuse letter",
        f"{p.name} - {'school' if child else 'work'} note",
    )  # fmt: skip
    where = ("subject", "body") if g.patient() in subject else ("body",)
    if g.rng.random() < 0.35:
        body = f"{cover}\n\nThank you,\n{g.me}\n{p.name}{g.conf()}"
        att = (
            f"{g.pick('work_note', 'excuse', 'school_note')}_{slug(g.family)}.txt",
            "text/plain",
            note.encode("utf-8"),
        )
        return phi(subject, body, where=where, attachments=[att])
    return phi(
        subject,
        f"{g.pick('Please see the note below.', 'Here is your note as requested.', '')}\n\n{note}".strip(),
        where=where,
    )


TRIPS = (
    (
        "Peru (Cusco and Machu Picchu)",
        "acetazolamide 125 mg twice daily starting the day before ascent",
    ),
    (
        "Tanzania (Kilimanjaro climb and safari)",
        "acetazolamide 125 mg twice daily; atovaquone-proguanil 250/100 mg daily",
    ),
    ("Thailand and Vietnam", "azithromycin 1,000 mg single dose for severe traveler's diarrhea"),
    ("Kenya", "atovaquone-proguanil 250/100 mg daily, starting 2 days before"),
    ("Antarctic cruise", "scopolamine 1.5 mg patch every 3 days for seasickness"),
    (
        "India (Delhi, Jaipur, Agra)",
        "azithromycin 500 mg daily for 3 days if needed; typhoid vaccine due",
    ),
)


def concierge_member_mail(g: Gen) -> Mail:
    """A concierge practice's annual-physical summary, travel medical kit prescription or care
    coordination e-mail to a member."""
    sexv = g.pick("F", "M")
    g.sex(sexv)
    p = g.practice("concierge")
    doc = g.provider("concierge")
    g.sender(doc.split(",")[0], g.prov_addr(doc, p.domain))
    member = g.pick(f"Member #{g.digits(5)}", f"Membership ID M-{g.digits(6)}", g.chart())
    dob = g.dob(38, 79)
    g.to = g.pick(
        g.pt_email(),
        g.pt_email(),
        f"{g.pick('assistant', 'office', 'ea')}@{slug(str(g.us.company()))}.example",
    )
    v = g.variant(3)
    if v == 0:
        ldl, hdl = g.rng.randint(68, 188), g.rng.randint(34, 88)
        a1c = round(g.rng.uniform(4.9, 6.8), 1)
        rows = [
            ("Blood pressure", f"{g.rng.randint(108, 148)}/{g.rng.randint(66, 92)}"),
            ("BMI", f"{g.rng.uniform(20.5, 33.0):.1f}"),
            ("LDL cholesterol", f"{ldl} mg/dL"), ("HDL cholesterol", f"{hdl} mg/dL"),
            ("ApoB", f"{g.rng.randint(58, 140)} mg/dL"), ("Hemoglobin A1c", f"{a1c}%"),
            ("Vitamin D", f"{g.rng.randint(14, 62)} ng/mL"), ("TSH", f"{g.rng.uniform(0.6, 4.8):.2f} mIU/L"),
            ("Coronary calcium score", f"{g.pick('0', '0', '14', '87', '212')}"),
            ("VO2 max (estimated)", f"{g.rng.randint(24, 48)} mL/kg/min"),
        ]  # fmt: skip
        if sexv == "M":
            rows.append(("PSA", f"{g.rng.uniform(0.4, 5.2):.1f} ng/mL"))
        else:
            rows.append(("DEXA lowest T-score", f"{g.rng.uniform(-2.8, 0.5):.1f} (L-spine)"))
        plan = g.rng.sample((
            "Start rosuvastatin 5 mg daily given your LDL and calcium score." if ldl > 130 else "Lipids are at goal - no change.",
            "A1c is in the prediabetes range; we'll recheck in 3 months with a CGM trial." if a1c >= 5.7 else "Blood sugar control is normal.",
            "Colonoscopy is due - Eleanor will schedule it with Dr. Moss.",
            "Shingrix dose 2 at your next visit.",
            "Vitamin D3 2,000 IU daily.",
            "Sleep study referral for the snoring your partner mentioned.",
        ), 4)  # fmt: skip
        subject = g.pick(
            "Your annual physical summary",
            f"Annual exam results - {g.patient()}",
            "Summary of your executive physical",
            "Your results and plan",
        )
        where = ("subject", "body") if g.patient() in subject else ("body",)
        inner = (
            f"<p>{h(g.greet())}</p><p>It was good to see you on {h(g.date(g.day(-10, -2)))}. Here is a summary of your annual physical.</p>\n"
            f"<p>{h(g.patient())} &middot; DOB {h(dob)} &middot; {h(member)}</p>\n"
            + html_table(("Measure", "Result"), rows)
            + "\n<p><b>Plan</b></p><ul>"
            + "".join(f"<li>{h(x)}</li>" for x in plan)
            + "</ul>\n"
            f"<p>As always, text or call me directly at {h(g._fmt_phone(p.area, g.rng.randint(201, 989), g.rng.randint(0, 9999)))}.</p><p>{h(doc)}</p>"
        )
        if g.rng.random() < 0.5:
            return phi(
                subject,
                html_page(p.name, inner, f"{h(p.name)} &middot; members only", color="#3b3b58"),
                where=where,
                html=True,
            )
        body = (
            f"{g.greet()}\n\nIt was good to see you. Summary of your annual physical:\n\n"
            f"{g.patient()} | DOB {dob} | {member}\n\n{text_table(('Measure', 'Result'), rows)}\n\n"
            "Plan:\n"
            + "\n".join(f"  {i}. {x}" for i, x in enumerate(plan, 1))
            + f"\n\nText or call me any time.\n\n{doc}\n{p.name}"
        )
        return phi(subject, body, where=where)
    if v == 1:
        trip, med = g.rng.choice(TRIPS)
        dep = g.day(10, 45)
        subject = g.pick(
            "Your travel medical kit",
            f"Travel prescriptions for {trip.split(' (')[0]}",
            f"Travel kit - {g.patient()}",
        )
        where = ("subject", "body") if g.patient() in subject else ("body",)
        allergy = g.pick(
            "No known drug allergies.",
            "Allergy on file: penicillin (hives) - no beta-lactams included.",
            "Allergy on file: sulfa.",
        )
        body = (
            f"{g.greet()}\n\nAhead of your trip to {trip} departing {g.date(dep)}, I've sent the following "
            f"to {g.pick('your usual pharmacy', 'Capitol Pharmacy for courier delivery', 'the Walgreens near your office')}:\n\n"
            f"  - {med}\n  - ondansetron 4 mg ODT, 10 tablets, for nausea\n"
            f"  - {g.pick('cetirizine 10 mg daily as needed', 'mupirocin ointment for cuts', 'a 5-day prednisone pack for your asthma, only if needed')}\n"
            f"  - your regular {g.pick('lisinopril', 'levothyroxine', 'sertraline', 'inhaler')}: an extra 30-day supply\n\n"
            f"Patient: {g.patient()}, DOB {dob} ({member}). {allergy}\n"
            f"{g.pick('Your yellow fever card is still valid.', 'You are due for a hepatitis A booster - stop by Thursday.', 'Typhoid vaccine: please come in at least 2 weeks before you leave.')}\n\n"
            f"Safe travels - message me any time while you're away.\n\n{doc}\n{p.name}"
        )
        return phi(subject, body, where=where)
    test = g.pick(
        "MRI of the left knee",
        "cardiology consult with Dr. Ames",
        "dermatology skin check",
        "colonoscopy",
        "sleep study",
        "stress echocardiogram",
    )
    why = g.pick(
        "the meniscus symptoms we discussed",
        "the palpitations you've been noticing",
        "the changing mole on your back",
        "your screening",
        "the daytime fatigue",
        "your chest tightness on the treadmill",
    )
    subject = g.pick(
        "Appointments arranged",
        f"{test.capitalize()} scheduled",
        "Your upcoming appointments",
        f"Care coordination - {g.family}",
    )
    where = ("subject", "body") if g.family in subject else ("body",)
    body = (
        f"{g.greet()}\n\nAs promised, I've arranged your {test} for {why}: "
        f"{g.date(g.day(3, 21))} at {g.clock()} at {g.pick('Northside Imaging', 'St. Luke Medical Pavilion', 'Harbor Heart Associates', 'Riverside Sleep Center')}. "
        f"They have your records, insurance card and DOB ({dob}) on file under {g.patient()}, so just bring ID.\n\n"
        f"{g.pick('I will call you with the results myself.', 'I will review the report the same day.', '')}\n\n{doc}"
    )
    return phi(subject, body, where=where)


# ------------------------------------------------------------------------- clean families

SUPPLIES = (
    ("Nitrile exam gloves, medium, 200/box", "112-4471", 14.99),
    ("Articaine 4% with epinephrine 1:100,000, 50 cartridges", "570-2203", 72.50),
    ("Lidocaine 2% with epinephrine 1:100,000, 50 cartridges", "570-1108", 48.95),
    ("Prophy paste, medium grit, mint, 200/box", "230-0915", 31.20),
    ("Fluoride varnish 5% NaF, unit dose, 50/box", "241-3307", 58.00),
    ("PVS impression material, light body, 2 x 50 mL", "880-6612", 44.75),
    ("Sterilization pouches 3.5 x 10 in, 200/box", "310-1002", 11.40),
    ("Surface disinfectant wipes, 160 ct", "315-7781", 9.85),
    ("Temporary crown & bridge material, shade A2, 76 g", "612-4420", 89.00),
    ('Orthodontic elastics 3/16" 4.5 oz, 100 packs', "740-0316", 38.60),
    ("Aligner seating chewies, assorted, 100/bag", "741-2290", 24.00),
    ("Saliva ejectors, clear/blue, 100/bag", "201-0440", 6.75),
    ("Universal composite, A2 syringe, 4 g", "601-2212", 61.30),
    ("Sutures 4-0 chromic gut, 12/box", "955-4004", 54.00),
    ("Collagen hemostatic plugs, 10/box", "956-1210", 67.25),
    ("Earloop masks ASTM level 3, 50/box", "118-3030", 12.50),
    ("Spore test strips, biological indicator, 52/box", "311-5052", 96.00),
)
SUPPLIERS = (
    ("Crestline Dental Supply", "crestline-dental.example"),
    ("Apex Dental Distributors", "apexdental-dist.example"),
)


def dental_supply_order(g: Gen) -> Mail:
    """A dental supplier's order confirmation or backorder notice: SKUs, prices, account and PO
    numbers, and a drug or two in cartridges (no patient)."""
    p = g.practice(g.pick("dental", "ortho", "oral_surgery"))
    sup, sdom = g.rng.choice(SUPPLIERS)
    rep_name = f"{g.us.first_name()} {g.us.last_name()}"
    g.sender(f"{sup} Orders", f"{g.pick('orders', 'customerservice', 'no-reply')}@{sdom}")
    g.to = g.pick(
        f"office.manager@{p.domain}", f"supplies@{p.domain}", g.staff_addr(g.staff(), p.domain)
    )
    items = g.rng.sample(SUPPLIES, g.rng.randint(3, 8))
    rows = []
    total = 0.0
    for desc, sku, price in items:
        q = g.rng.choice((1, 2, 2, 3, 4, 5, 10))
        total += q * price
        rows.append((sku, desc, str(q), money(price), money(q * price)))
    order = f"{g.pick('SO', 'ORD-', '')}{g.digits(8)}"
    acct = g.digits(6)
    ship = g.pick(0.0, 0.0, 12.95)
    subject = g.pick(
        f"Order confirmation #{order}",
        f"{sup}: your order has shipped",
        f"Backorder notice - order {order}",
        "Thank you for your order",
    )
    back = (
        f"\nBackordered: {rows[0][1]} (SKU {rows[0][0]}), expected in {g.rng.randint(5, 21)} days; the rest ships today.\n"
        if "Backorder" in subject
        else ""
    )
    header = ("SKU", "Description", "Qty", "Unit", "Ext.")
    if g.rng.random() < 0.35:
        inner = (
            f"<p>Account {h(acct)} &middot; {h(p.name)}<br>Order {h(order)} &middot; PO {h(g.pick('PO-' + g.digits(4), g.digits(5)))}</p>\n"
            + html_table(header, rows)
            + f"\n<p>Subtotal {money(total)}<br>Shipping {money(ship)}<br><b>Total {money(total + ship)}</b></p>\n<p>{h(back)}</p>"
            f"<p>Your rep: {h(rep_name)}, {h(g.us.phone_number())}</p>"
        )
        return clean(
            subject,
            html_page(sup, inner, f"{h(sup)} &middot; Terms net 30", color="#5a3d7a"),
            html=True,
        )
    body = (
        f"{sup}\nOrder #{order} | Account {acct}\nShip to: {p.name}, {p.address}\n"
        f"PO: {g.pick('PO-' + g.digits(4), g.digits(5), 'none')} | Ordered by: {g.staff()}\n\n"
        f"{text_table(header, rows)}\n\nSubtotal: {money(total)}\nShipping: {money(ship)}\nTotal: {money(total + ship)}\n{back}\n"
        f"Lot numbers and expiration dates are on the packing slip. Questions? Your sales rep "
        f"{rep_name} can be reached at {g.us.phone_number()}.\n\nThank you for your business!"
    )
    return clean(subject, body)


PROMOS = {
    "dental": (
        "In-office whitening $349 (regularly $550) through the end of the month",
        "Free Invisalign consultation and $500 off treatment started by June 30",
        "Refer a friend and you both get a $50 credit",
        "Ask about our in-house membership plan: two cleanings, exams and x-rays for $299/year",
    ),
    "ortho": (
        "Free orthodontic consultation with 3D scan",
        "$750 off comprehensive braces or Invisalign for summer starts",
        "0% in-house payment plans from $159/month",
    ),
    "medspa": (
        "Botox $11/unit for members ($13 regular)",
        "Buy two syringes of filler, get $100 off",
        "HydraFacial $149 this month only",
        "30% off laser hair removal packages",
    ),
    "plastics": (
        "Complimentary consultations all month",
        "Meet our new board-certified surgeon at our open house",
        "$500 off body contouring booked by the 30th",
    ),
    "glp1": (
        "Medical weight-loss program with compounded semaglutide from $249/month",
        "New: tirzepatide option available",
        "No insurance needed - first consult free",
    ),
    "chiro": (
        "New-patient special: exam, x-rays and first adjustment $59",
        "Massage therapy packages: 5 sessions for $300",
        "Free posture screening Saturday",
    ),
    "fertility": (
        "Free seminar: Egg Freezing 101 with our physicians",
        "AMH fertility check $99 this month",
        "Ask about our multi-cycle IVF packages",
    ),
    "urgent": (
        "Flu shots now available, walk-ins welcome, $35 cash price",
        "Sports physicals $40",
        "Save your spot online and wait at home",
    ),
}


def promo_newsletter(g: Gen) -> Mail:
    """A practice's promotional newsletter with prices and services, addressed to its list (no
    patient named)."""
    kind = g.rng.choice(tuple(PROMOS))
    p = g.practice(kind)
    doc = g.provider(kind)
    g.sender(p.name, f"{g.pick('news', 'hello', 'offers')}@{p.domain}")
    g.to = g.pick(
        f"newsletter@lists.{p.domain}", "undisclosed-recipients:;", f"subscribers@lists.{p.domain}"
    )
    offers = g.rng.sample(PROMOS[kind], min(len(PROMOS[kind]), g.rng.randint(2, 4)))
    month = g.when_sent.strftime("%B")
    subject = g.pick(
        f"{month} specials at {p.name}",
        f"✨ This month at {p.name.split(' - ')[0]}",
        "Our newest offers",
        f"{p.name} newsletter - {month} {g.when_sent.year}",
    )
    welcome = g.pick(
        f"We're excited to welcome {doc} to our team!",
        f"Our {p.city} office now has extended hours on {g.pick('Tuesdays', 'Thursdays', 'Saturdays')}.",
        "Thank you for being part of our community.",
    )
    greet = g.pick("Hi there,", "Hello friends,", "Dear neighbors,", "Hi,")
    unsub = f"You are receiving this because you subscribed at {p.domain}. Unsubscribe: https://lists.{p.domain}/u/{g.digits(10)}"
    if g.rng.random() < 0.7:
        inner = (
            f"<p>{h(greet)}</p><p>{h(welcome)}</p>\n<h3>{h(month)} specials</h3>\n<ul>"
            + "".join(f"<li>{h(o)}</li>" for o in offers)
            + f'</ul>\n<p>Book online at <a href="https://book.{p.domain}">book.{h(p.domain)}</a> or call {h(p.phone)}.</p>\n'
            f'<p style="font-size:11px">Offers cannot be combined. Results vary. Not valid for federal health program beneficiaries where prohibited.</p>'
        )
        return clean(
            subject,
            html_page(p.name, inner, h(unsub) + "<br>" + h(p.address), color="#b0577b"),
            html=True,
        )
    body = (
        f"{greet}\n\n{welcome}\n\n{month.upper()} SPECIALS\n"
        + "\n".join(f"* {o}" for o in offers)
        + f"\n\nBook online at https://book.{p.domain} or call {p.phone}.\n\n{p.name}\n{p.address}\n\n{unsub}"
    )
    return clean(subject, body)


CPT_PRICES = {
    "urgent": (
        ("99202", "New patient visit, straightforward", 125),
        ("99213", "Established patient visit, low complexity", 135),
        ("99214", "Established patient visit, moderate complexity", 185),
        ("87880", "Rapid strep test", 35),
        ("87804", "Rapid influenza test", 40),
        ("87811", "Rapid COVID-19 antigen", 45),
        ("81002", "Urinalysis, dipstick", 20),
        ("73610", "X-ray ankle, 3 views", 95),
        ("71046", "X-ray chest, 2 views", 95),
        ("12002", "Simple laceration repair, 2.6-7.5 cm", 260),
        ("96372", "Injection, IM/SC", 30),
        ("90715", "Tdap vaccine", 75),
    ),
    "chiro": (
        ("99203", "New patient exam", 95),
        ("98940", "Chiropractic manipulation, 1-2 regions", 55),
        ("98941", "Chiropractic manipulation, 3-4 regions", 65),
        ("97140", "Manual therapy, 15 min", 45),
        ("97110", "Therapeutic exercise, 15 min", 45),
        ("97810", "Acupuncture, initial 15 min", 75),
        ("97811", "Acupuncture, each additional 15 min", 40),
        ("72100", "X-ray lumbar spine, 2-3 views", 85),
    ),
    "medspa": (
        ("64612", "Chemodenervation (medical Botox), per session", 450),
        ("J0585", "OnabotulinumtoxinA, per unit", 13),
        ("15788", "Chemical peel, facial, epidermal", 175),
        ("17380", "Laser hair removal, per session (cash)", 150),
        ("11950", "Subcutaneous filler injection, 1 cc or less", 650),
    ),
}


def fee_schedule(g: Gen) -> Mail:
    """An updated fee schedule or cash price list with CDT or CPT codes, sent to staff or a
    network contract manager (sometimes as CSV)."""
    kind = g.pick("dental", "dental", "urgent", "chiro", "medspa")
    p = g.practice(kind)
    staff = g.staff_sender()
    eff = g.day(7, 40)
    if kind == "dental":
        codes = g.rng.sample(tuple(CDT), g.rng.randint(8, 14))
        codes.sort()
        rows = []
        for c in codes:
            desc, lo, hi, _, _ = CDT[c]
            ucr = round(g.rng.randint(lo, hi) / 5) * 5
            rows.append(
                (
                    c,
                    desc,
                    money(ucr, False),
                    money(round(ucr * g.rng.uniform(0.55, 0.75)), False),
                    money(round(ucr * 0.9), False),
                )
            )
        header = ("Code", "Description", "UCR", "Delta PPO", "Cash (10% off)")
    else:
        rows = [
            (c, d, money(f, False), money(round(f * 1.08), False))
            for c, d, f in g.rng.sample(
                CPT_PRICES[kind], min(len(CPT_PRICES[kind]), g.rng.randint(5, 10))
            )
        ]
        header = ("CPT/HCPCS", "Service", "Current", "New")
    g.to = g.pick(
        f"allstaff@{p.domain}",
        f"frontdesk@{p.domain}",
        f"billing@{p.domain}",
        f"{g.pick('billing', 'claims')}@{g.pick('medbill-partners', 'clearpath-billing')}.example",
    )
    subject = g.pick(
        f"Updated fee schedule effective {g.date(eff, 'us0')}",
        "2025 fee schedule",
        "Self-pay price list - please post at check-in",
        "New fees in the PM system",
    )
    intro = g.pick(
        f"Hi team,\n\nOur updated fees take effect {g.date(eff)}. I've already loaded them into "
        f"{p.software}; please quote these for anyone who asks about self-pay or out-of-network costs.",
        f"Hello all,\n\nAfter the annual review with our consultant, the owners approved the fee "
        f"changes below, effective {g.date(eff)}. Front desk: please update the posted price sheet.",
        f"FYI - new fees from {g.date(eff, 'us0')}. {p.software} updates overnight; estimates "
        f"printed before then will show the old amounts.",
    )
    if g.rng.random() < 0.4:
        body = f"{intro}\n\nThe full list is attached.\n\n{g.sign(staff, 'Practice Administrator')}"
        return clean(
            subject,
            body,
            attachments=[(f"fee_schedule_{eff:%Y%m%d}.csv", "text/csv", csv_bytes(header, rows))],
        )
    body = f"{intro}\n\n{text_table(header, rows)}\n\n{g.sign(staff, 'Practice Administrator')}"
    return clean(subject, body)


CE_COURSES = (
    ("dental", "Guided Implant Surgery from Scan to Seat", "6 CE hours (AGD PACE)", 495),
    ("dental", "Modern Endodontics for the General Dentist", "7 CE hours", 425),
    ("ortho", "Clear Aligner Mechanics: Attachments, IPR and Refinements", "5 CE hours", 350),
    ("medspa", "Advanced Facial Anatomy for Injectors (cadaver lab)", "8 CME hours", 1250),
    ("medspa", "Managing Filler Complications: Vascular Occlusion Protocols", "3 CME hours", 295),
    (
        "fertility",
        "Regional REI Journal Club: Luteal Phase Support in FET Cycles",
        "1.5 CME hours",
        0,
    ),
    ("chiro", "Documentation for Personal Injury Cases", "6 CE hours (state board approved)", 199),
    ("urgent", "Splinting and Fracture Care Workshop", "4 CME hours", 275),
)


def ce_course_invite(g: Gen) -> Mail:
    """A continuing-education invitation naming the speaker, credits, fee and agenda."""
    kind, title, credits, fee = g.rng.choice(CE_COURSES)
    p = g.practice(kind)
    org, odom = g.rng.choice({
        "dental": (("Coastal Dental Study Club", "coastal-studyclub.example"), ("Institute for Clinical Education", "ice-ce.example")),
        "ortho": (("Coastal Dental Study Club", "coastal-studyclub.example"), ("Institute for Clinical Education", "ice-ce.example")),
        "medspa": (("Summit Aesthetic Academy", "summit-aesthetic-academy.example"), ("Institute for Clinical Education", "ice-ce.example")),
    }.get(kind, (("Institute for Clinical Education", "ice-ce.example"), ("Regional Medical Education Council", "rmec-cme.example"))))  # fmt: skip
    speaker = f"Dr. {g.us.first_name()} {g.us.last_name()}"
    g.sender(org, f"events@{odom}")
    g.to = g.pick(g.staff_addr(g.staff(), p.domain), f"info@{p.domain}")
    d = g.day(20, 90)
    subject = g.pick(
        f"Invitation: {title}", f"{credits} - {title}", f"Seats filling: {title} with {speaker}"
    )
    middle = g.rng.sample(
        (
            "Lecture: case selection and planning",
            "Hands-on workshop in small groups",
            "Live demonstration on a volunteer model",
            "Billing and documentation tips",
            "Case reviews from the audience",
            "Evidence update: what changed this year",
        ),
        3,
    )
    steps = [
        "Registration and breakfast",
        middle[0],
        middle[1],
        "Lunch with the speaker",
        middle[2],
        "Complications and Q&A",
    ]
    agenda = "\n".join(
        f"  {t:>5}  {x}"
        for t, x in zip(("8:00", "8:30", "10:15", "12:00", "1:00", "3:00"), steps, strict=True)
    )
    price = (
        "Complimentary for members; RSVP required"
        if fee == 0
        else f"Tuition {money(fee, False)} (early bird {money(fee * 0.85, False)} until {g.date(d - dt.timedelta(days=14), 'short')})"
    )
    body = (
        f"Dear colleague,\n\nJoin {speaker}, {g.pick('Diplomate of the American Board', 'clinical associate professor', 'nationally recognized lecturer', 'private-practice specialist')}, "
        f"for {title}.\n\nDate: {g.date(d, 'long')}\nLocation: {g.pick('Hyatt Regency, Ballroom B', 'our training center', 'Online (live Zoom)', 'University Conference Center')}, {p.city}\n"
        f"Credits: {credits}\n{price}\n\nAgenda\n{agenda}\n\n"
        f"Register: https://{odom}/register/{g.digits(5)}\n\n{org}\n"
        f"{org} is an approved provider; acceptance of credits is at the discretion of your licensing board.\n"
        f"To stop receiving invitations, reply REMOVE."
    )
    return clean(subject, body)


EQUIPMENT = (
    (
        "dental",
        "Chamber autoclave",
        "SteriMax 2540",
        "Failed cycle, error E-07 (low pressure)",
        "Replaced door gasket and pressure sensor; ran 3 test cycles and a spore test",
    ),
    (
        "dental",
        "Intraoral x-ray sensor, size 2",
        "ClearView S2",
        "Intermittent USB disconnects in operatory 3",
        "Replaced sensor cable under warranty; recalibrated",
    ),
    (
        "dental",
        "Panoramic x-ray unit",
        "OrthoPan 8",
        "Error 117 on rotation",
        "Lubricated the rotation arm and replaced the limit switch",
    ),
    (
        "dental",
        "Dental chair",
        "Aria 5 patient chair",
        "Hydraulic fluid leak under the base",
        "Replaced the lift cylinder seal; topped up fluid",
    ),
    (
        "fertility",
        "CO2 incubator (embryology lab)",
        "CultiCell 170i",
        "Temperature drifting 37.0 to 36.6 C",
        "Recalibrated the sensor against a NIST thermometer; alarm relay tested",
    ),
    (
        "fertility",
        "Liquid nitrogen dewar level monitor",
        "CryoWatch 4",
        "False low-level alarm overnight",
        "Replaced the level probe; confirmed dial-out alarm to the on-call phone",
    ),
    (
        "medspa",
        "CO2 fractional laser",
        "FraxLight 30",
        "Beam alignment out of spec",
        "Realigned the articulated arm and replaced the focusing lens",
    ),
    (
        "urgent",
        "Digital x-ray detector",
        "DR-Flat 43",
        "Image artifacts (vertical lines)",
        "Re-ran gain/offset calibration and updated firmware",
    ),
    (
        "chiro",
        "Decompression table",
        "SpinaTrac Pro",
        "Harness motor stalls at 80 lb",
        "Replaced the motor controller board",
    ),
)


def equipment_service_ticket(g: Gen) -> Mail:
    """An equipment service ticket: model, serial, fault, repair, parts and technician."""
    kind, equip, model, fault, fix = g.rng.choice(EQUIPMENT)
    p = g.practice(kind)
    co, cdom = g.pick(
        ("TriState Biomedical Services", "tristate-biomed.example"),
        ("ProTech Dental Equipment", "protech-dentalequip.example"),
        ("Precision Lab Services", "precisionlab-svc.example"),
    )
    tech = f"{g.us.first_name()} {g.us.last_name()}"
    ticket = f"{g.pick('SR-', 'TKT', 'WO#')}{g.digits(6)}"
    g.sender(f"{co} Service", f"{g.pick('service', 'dispatch', 'tickets')}@{cdom}")
    g.to = g.pick(
        f"office.manager@{p.domain}", f"facilities@{p.domain}", f"lab.director@{p.domain}"
    )
    status = g.pick("Closed - resolved", "Open - awaiting parts", "Closed - resolved", "Scheduled")
    subject = g.pick(
        f"Ticket {ticket} - {equip}",
        f"[{status.split(' ')[0]}] Service request {ticket}",
        f"Service report: {model} at {p.name}",
    )
    hours = g.rng.choice((1.0, 1.5, 2.0, 2.5, 3.0))
    body = (
        f"Service ticket {ticket}\nStatus: {status}\n\nCustomer: {p.name}\nSite: {p.address}\n"
        f"Equipment: {equip} - {model}, S/N {g.pick('SN', '')}{g.digits(2)}{g.pick('A', 'K', 'X')}{g.digits(6)}\n"
        f"Reported by: {g.staff()} on {g.date(g.day(-6, -1), 'us0')}\n"
        f"Problem: {fault}\nWork performed: {fix}\n"
        f"Parts: {g.pick('as listed above', 'see work performed', 'none beyond labor')} ({g.pick('warranty', 'billable', 'service contract')})\n"
        f"Labor: {hours} h | Technician: {tech}\n"
        f"Next preventive maintenance: {g.date(g.day(60, 180), 'us0')}\n\n"
        f"{g.pick('Unit returned to service and verified by the office.', 'Please keep the unit out of service until the part arrives.', 'Operatory schedule may resume.')}\n\n{co}"
    )
    return clean(subject, body)


JOBS = (
    (
        "dental",
        "Registered Dental Hygienist",
        "$48-$58/hour",
        "Current state RDH license, local anesthesia permit, CPR",
    ),
    (
        "ortho",
        "Orthodontic Assistant",
        "$22-$27/hour",
        "Radiology certificate; iTero scanning experience a plus",
    ),
    (
        "fertility",
        "IVF Nurse Coordinator (RN)",
        "$42-$52/hour",
        "RN license, 2 years of OB/GYN or REI experience",
    ),
    (
        "fertility",
        "Embryologist",
        "$78,000-$105,000/year",
        "BS/MS in biology, ICSI and vitrification experience",
    ),
    (
        "medspa",
        "Aesthetic Injector (RN or NP)",
        "$45-$70/hour plus commission",
        "Botox and filler certification, 1 year of injecting",
    ),
    (
        "glp1",
        "Telehealth Nurse Practitioner (remote)",
        "$60-$75/hour",
        "Multi-state licensure or willingness to obtain",
    ),
    (
        "chiro",
        "Chiropractic Assistant / Front Desk",
        "$18-$21/hour",
        "Friendly, organized, comfortable with insurance verification",
    ),
    (
        "urgent",
        "Medical Assistant - Urgent Care",
        "$19-$24/hour",
        "CMA or RMA, venipuncture, limited x-ray license preferred",
    ),
    (
        "concierge",
        "Practice Manager",
        "$80,000-$95,000/year",
        "5 years of medical office management",
    ),
)


def job_posting(g: Gen) -> Mail:
    """A job posting or a request to the staffing agency naming the role, pay and contact."""
    kind, role, pay, reqs = g.rng.choice(JOBS)
    p = g.practice(kind)
    staff = g.staff_sender()
    g.to = g.pick(
        f"jobs@{g.pick('medstaff-partners', 'dentalstaffing-pros', 'careerboard')}.example",
        f"allstaff@{p.domain}",
        f"postings@{g.pick('localjobs', 'healthcarejobs')}.example",
    )
    subject = g.pick(
        f"Now hiring: {role}",
        f"Job posting - {role} ({p.city})",
        f"Please post: {role}",
        "Referral bonus: we're hiring!",
    )
    body = (
        f"{g.pick('Hi team,', 'Hello,', 'Hi,')}\n\n{p.name} in {p.city}, {p.state} is hiring a {role}.\n\n"
        f"Schedule: {'flexible, fully remote' if kind == 'glp1' else g.pick('Mon-Thu 7-4', 'four 10-hour days', 'Mon-Fri 8-5, every other Saturday', '12-hour shifts, 3 days a week')}\n"
        f"Pay: {pay}, DOE\nBenefits: {g.pick('medical, dental, 401(k) match, CE allowance', 'PTO, uniforms, free treatments', 'health stipend and paid holidays')}\n"
        f"Requirements: {reqs}\n\n"
        f"{g.pick('Referral bonus $500 after 90 days for staff referrals.', 'Please share with anyone you know!', '')}\n"
        f"Send resumes to careers@{p.domain}.\n\n{g.sign(staff, 'Office Manager')}"
    )
    return clean(subject, body)


def npi(g: Gen) -> str:
    """A check-digit-valid NPI (Luhn over the 80840 prefix)."""
    base = "1" + g.digits(8)
    digits = [int(c) for c in "80840" + base]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return base + str((10 - total % 10) % 10)


def credentialing_letter(g: Gen) -> Mail:
    """A provider-credentialing letter or application update to or from a payer: NPI, CAQH,
    licence, TIN and effective dates of a provider (no patient)."""
    kind = g.pick("dental", "ortho", "oral_surgery", "fertility", "chiro", "urgent", "concierge")
    p = g.practice(kind)
    prov = g.provider(kind)
    dental = kind in ("dental", "ortho", "oral_surgery")
    payer, pdom = g.rng.choice(
        (
            ("Delta Dental", "deltadental.example"),
            ("MetLife Dental", "metlife-dental.example"),
            ("Cigna Dental", "cigna-dental.example"),
        )
        if dental
        else (
            ("Blue Cross Blue Shield", "bcbs-network.example"),
            ("Aetna", "aetna-network.example"),
            ("UnitedHealthcare", "uhc-provider.example"),
            ("Cigna", "cigna-network.example"),
        )
    )
    staff = g.staff_sender()
    eff = g.day(-10, 45)
    lic = f"{'DN' if dental else {'chiro': 'DC', 'urgent': g.pick('MD', 'DO', 'PA'), 'concierge': 'MD'}.get(kind, 'MD')}{g.digits(5)}"
    v = g.variant(2)
    if v == 0:
        g.to = f"{g.pick('credentialing', 'provider.enrollment', 'networkmgmt')}@{pdom}"
        subject = g.pick(
            f"Credentialing application - {prov}",
            f"Enrollment status inquiry, NPI {npi(g)}",
            "Add provider to group contract",
        )
        body = (
            f"Hello,\n\nPlease find the information for adding {prov} to our group agreement.\n\n"
            f"Provider: {prov}\nIndividual NPI: {npi(g)}\nGroup NPI: {npi(g)}\nCAQH ProView ID: {g.digits(8)}\n"
            f"State license: {p.state} {lic}, expires {g.date(g.day(200, 700), 'us0')}\n"
            f"{'DEA: on file in CAQH' if kind not in ('chiro', 'dental') else 'Malpractice: $1M/$3M, on file in CAQH'}\n"
            f"Group TIN: {g.digits(2)}-{g.digits(7)}\nService location: {p.address}\n"
            f"Requested effective date: {g.date(eff, 'us0')}\n\n"
            f"The CAQH attestation was completed on {g.date(g.day(-20, -1), 'us0')}. Please let me know if anything else is needed.\n\n"
            f"{g.sign(staff, 'Credentialing Specialist')}"
        )
        return clean(subject, body)
    g.sender(f"{payer} Provider Network", f"noreply@{pdom}")
    g.to = f"credentialing@{p.domain}"
    subject = g.pick(
        "Welcome to the network", f"Credentialing approved: {prov}", "Participation effective date"
    )
    body = (
        f"Dear {prov},\n\nWe are pleased to inform you that your credentialing with {payer} has been approved by our "
        f"credentialing committee. You are a participating provider effective {g.date(eff, 'long')} at:\n\n"
        f"{p.name}\n{p.address}\n\nProvider ID: {g.pick('P', 'PRV')}{g.digits(8)}\nNPI: {npi(g)}\n"
        f"Recredentialing is due in 36 months.\n\nThe fee schedule and provider manual are available in the provider portal.\n\n"
        f"Sincerely,\n{g.us.first_name()} {g.us.last_name()}\nNetwork Management, {payer}"
    )
    return clean(subject, body)


def kpi_monthly_report(g: Gen) -> Mail:
    """A monthly KPI report with aggregate production, collections, visit and procedure counts
    per provider or location (no patient)."""
    kind = g.pick("dental", "fertility", "medspa", "urgent", "chiro", "glp1")
    p = g.practice(kind)
    staff = g.staff_sender()
    month = (g.when_sent.replace(day=1) - dt.timedelta(days=1)).strftime("%B %Y")
    provs = [g.provider(kind) for _ in range(g.rng.randint(2, 4))]
    ri = g.rng.randint
    if kind == "dental":
        metrics = [
            ("Gross production", money(ri(180000, 420000), False)),
            ("Collections", money(ri(160000, 390000), False)),
            ("Collection rate", f"{ri(94, 99)}%"),
            ("New patients", str(ri(28, 95))),
            ("Hygiene reappointment", f"{ri(78, 93)}%"),
            ("Case acceptance", f"{ri(42, 71)}%"),
            ("Crowns seated (D2740)", str(ri(30, 90))),
            ("Scheduled hours filled", f"{ri(84, 97)}%"),
        ]
    elif kind == "fertility":
        metrics = [
            ("New patient consults", str(ri(40, 140))),
            ("IVF retrievals", str(ri(20, 90))),
            ("FETs", str(ri(25, 110))),
            ("IUIs", str(ri(30, 120))),
            ("Clinical pregnancy rate per FET", f"{ri(48, 66)}%"),
            ("Euploid rate (PGT-A)", f"{ri(40, 58)}%"),
            ("Egg-freezing cycles", str(ri(8, 40))),
        ]
    elif kind == "medspa":
        metrics = [
            ("Revenue", money(ri(90000, 260000), False)),
            ("Botox units", f"{ri(2500, 9000):,}"),
            ("Filler syringes", str(ri(80, 300))),
            ("New clients", str(ri(40, 160))),
            ("Membership count", str(ri(150, 600))),
            ("Rebook rate", f"{ri(55, 80)}%"),
        ]
    elif kind == "urgent":
        metrics = [
            ("Total visits", f"{ri(2500, 9000):,}"),
            ("Visits per day (avg)", str(ri(80, 300))),
            ("Door-to-door time (median)", f"{ri(32, 68)} min"),
            ("Left without being seen", f"{g.rng.uniform(0.5, 3.5):.1f}%"),
            ("X-ray over-read discrepancy rate", f"{g.rng.uniform(0.4, 2.2):.1f}%"),
            ("Transfers to ED", str(ri(15, 80))),
            ("Online check-in share", f"{ri(35, 70)}%"),
        ]
    elif kind == "chiro":
        metrics = [
            ("Patient visits", f"{ri(900, 2400):,}"),
            ("New patients", str(ri(30, 110))),
            ("PI cases opened", str(ri(4, 25))),
            ("Collections", money(ri(60000, 180000), False)),
            ("Plan-of-care completion", f"{ri(55, 82)}%"),
        ]
    else:
        metrics = [
            ("Active members", f"{ri(3000, 18000):,}"),
            ("New sign-ups", f"{ri(400, 2200):,}"),
            ("Churn", f"{g.rng.uniform(4, 12):.1f}%"),
            ("Avg. weight loss at 12 weeks", f"{g.rng.uniform(6, 11):.1f}%"),
            ("Shipments on time", f"{ri(92, 99)}%"),
            ("Refund requests", str(ri(20, 140))),
        ]
    by_prov = [
        (
            pv,
            money(ri(40000, 150000), False) if kind != "glp1" else f"{ri(200, 900)} visits",
            str(ri(90, 450)),
        )
        for pv in provs
    ]
    g.to = g.pick(
        f"owners@{p.domain}",
        f"leadership@{p.domain}",
        f"allstaff@{p.domain}",
        f"{slug(str(g.us.first_name()))}@{g.pick('northpoint-cpa', 'ledgerline-advisors')}.example",
    )
    subject = g.pick(
        f"{month} KPI report",
        f"Monthly dashboard - {month}",
        f"{p.name}: {month} numbers",
        "Month-end report",
    )
    intro = f"{g.pick('Hi all,', 'Team,', 'Good morning,')}\n\nHere are the {month} numbers for {p.name}."
    tail = g.pick(
        "Great month - thank you all!",
        "We missed the target on new patients; let's talk at Tuesday's huddle.",
        "Full detail is on the shared drive.",
    )
    if g.rng.random() < 0.4:
        inner = (
            paras(*intro.split("\n\n"))
            + html_table(("Metric", "Value"), metrics)
            + "\n<p><b>By provider</b></p>\n"
            + html_table(
                ("Provider", "Production" if kind != "glp1" else "Visits", "Appointments"), by_prov
            )
            + paras(tail, staff)
        )
        return clean(
            subject, html_page(f"{p.name} - {month}", inner, "Internal - do not forward"), html=True
        )
    body = (
        f"{intro}\n\n{text_table(('Metric', 'Value'), metrics)}\n\nBy provider:\n"
        f"{text_table(('Provider', 'Production' if kind != 'glp1' else 'Visits', 'Appointments'), by_prov)}\n\n{tail}\n\n{g.sign(staff, 'Operations Manager')}"
    )
    return clean(subject, body)


RELEASE_FEATURES = (
    (
        "dental ortho",
        "Perio charting",
        'In the screenshot, the chart of "Test Patient" (chart 000000) shows the new bleeding-point overlay; probing depths are colour-coded by severity.',
    ),
    (
        "dental ortho",
        "Treatment plan PDFs",
        "The sample estimate is printed for John Doe, DOB 01/01/1900, with a D2740 crown on #30 and a $0.00 insurance estimate to show the new layout.",
    ),
    (
        "all",
        "Text reminders",
        'The preview reads "Hi {FirstName}, this is {PracticeName} confirming your {AppointmentType} on {Date}" - merge fields now validate before sending.',
    ),
    (
        "dental ortho fertility chiro urgent",
        "Insurance eligibility",
        'The demo card uses subscriber "Jane Sample", member ID TEST123456, to show the new benefit-remaining bar.',
    ),
    (
        "all",
        "Patient search",
        "Search now matches partial chart numbers; try it with the demo patient ZZTEST, Patient in the sandbox.",
    ),
    (
        "fertility",
        "Cycle calendar",
        'The FET calendar template is shown for the sample chart "Demo, Patient" with placeholder dates.',
    ),
    (
        "medspa ortho",
        "Photo comparison",
        "Side-by-side before/after views; the sample gallery uses stock model images, not patient photos.",
    ),
)


def pms_release_note(g: Gen) -> Mail:
    """A practice-management system's release note whose examples use obvious placeholder
    patients (Test Patient, John Doe, Jane Sample)."""
    kind = g.pick("dental", "ortho", "fertility", "medspa", "chiro", "urgent")
    p = g.practice(kind)
    ver = f"{g.rng.randint(22, 25)}.{g.rng.randint(1, 4)}.{g.rng.randint(0, 9)}"
    g.sender(f"{p.software} Product Team", f"releases@{slug(p.software)}-software.example")
    g.to = g.pick(f"office.manager@{p.domain}", f"it@{p.domain}", f"admins@{p.domain}")
    pool = [(t, d) for k, t, d in RELEASE_FEATURES if k == "all" or kind in k.split()]
    feats = g.rng.sample(pool, min(len(pool), g.rng.randint(3, 5)))
    fixes = g.rng.sample(
        (
            "Fixed ledger rounding on split payments.",
            "Fixed a crash when printing day sheets with more than 200 rows.",
            "Claims now retry automatically after a clearinghouse timeout.",
            "Improved load time of the schedule view by about 30%.",
            "Fixed time zones in SMS reminders for practices in Arizona.",
        ),
        3,
    )
    when = g.date(g.day(2, 14), "long")
    subject = g.pick(
        f"{p.software} {ver} release notes",
        f"What's new in {p.software} {ver}",
        f"Scheduled update to {ver} on {when}",
    )
    note = g.pick(
        "All screenshots use demo data from the training database; no real patient information appears.",
        "Screenshots were taken in the sandbox with fictitious demo patients.",
        "Sample records shown (Test Patient, John Doe, Jane Sample) are fictitious.",
    )
    v = g.variant(3)
    if v == 2:
        top = feats[:2]
        body = (
            f"Hi {p.name} admins,\n\nHeads up: {p.software} will update to {ver} on {when} after "
            f"10 PM. No action is needed; expect about {g.pick('10', '15', '20')} minutes of downtime.\n\n"
            f"Highlights:\n"
            + "\n".join(f"  * {t} - {d}" for t, d in top)
            + f"\n\nFull notes: https://docs.{slug(p.software)}-software.example/release/{ver}\n\n{note}\n\n"
            f"{g.us.first_name()} {g.us.last_name()}\nCustomer Success, {p.software}"
        )
        return clean(subject, body)
    if v == 1:
        inner = (
            f"<p>{p.software} {h(ver)} will be installed automatically on {h(when)} after 10 PM local time.</p>\n<h3>New</h3>\n"
            + "".join(
                f"<p><b>{h(t)}.</b> {h(d)}</p>\n<p><i>[Screenshot: {h(t)} - demo data]</i></p>\n"
                for t, d in feats
            )
            + "<h3>Fixes</h3><ul>"
            + "".join(f"<li>{h(x)}</li>" for x in fixes)
            + f'</ul>\n<p style="font-size:12px">{h(note)}</p>'
        )
        return clean(
            subject,
            html_page(
                f"{p.software} {ver}",
                inner,
                f"{h(p.software)} support: support@{slug(p.software)}-software.example",
            ),
            html=True,
        )
    body = (
        f"{p.software} {ver} - release notes\nInstall window: {when}, after 10 PM local time\n\nNEW\n"
        + "\n".join(f"- {t}: {d}" for t, d in feats)
        + "\n\nFIXES\n"
        + "\n".join(f"- {x}" for x in fixes)
        + f"\n\n{note}\nQuestions? support@{slug(p.software)}-software.example"
    )
    return clean(subject, body)


FAMILIES: dict[str, Callable[[Gen], Mail]] = {
    f.__name__: f
    for f in (
        pms_appt_reminder, sms_gateway_log, review_request, dental_treatment_plan,
        dental_preauth, patient_financing, ivf_cycle_monitoring, ivf_beta_and_transfer,
        donor_egg_coordination, semen_analysis_result, aesthetic_photo_consent,
        surgery_postop_followup, glp1_intake_summary, glp1_rx_shipping, chiro_soap_note,
        pi_lien_wc_report, urgent_care_summary, excuse_note, concierge_member_mail,
        dental_supply_order, promo_newsletter, fee_schedule, ce_course_invite,
        equipment_service_ticket, job_posting, credentialing_letter, kpi_monthly_report,
        pms_release_note,
    )
}  # fmt: skip

SOURCE = Source("templates-o", "o", 15, 1500000, PRACTICE, "partner.example", "unseen-o")


def render(mail: Mail, g: Gen, seq: int) -> bytes:
    """The message as RFC 5322 bytes: from the sender and to the recipient the family chose,
    with a fixed Date in the practice's time zone and a fixed boundary."""
    msg = EmailMessage()
    domain = g.prac.domain if g.prac else PRACTICE
    if not g.from_addr:
        name = g.staff()
        g.sender(name, g.staff_addr(name, domain))
    msg["From"] = formataddr((g.me, g.from_addr)) if g.me else g.from_addr
    msg["To"] = g.to or f"{slug(str(g.st.user_name()))}@{SOURCE.partner}"
    msg["Subject"] = mail.subject
    utc = g.prac.utc if g.prac else -5
    msg["Date"] = format_datetime(g.when_sent.replace(tzinfo=dt.timezone(dt.timedelta(hours=utc))))
    msg["Message-ID"] = f"<{SOURCE.tag}-{seq}@{domain}>"
    for k, v in mail.headers.items():
        msg[k] = v
    return finish_message(msg, mail, SOURCE.tag, seq)


def build(out: Path, per_family: int, seed: int) -> list[dict[str, object]]:
    """Write this file's families into `out` (msg_o_NNNNN.eml) through this file's own
    `render`; return their manifest rows."""
    return build_source(out, per_family, seed, SOURCE, FAMILIES, Gen, render_mail=render)
