"""Blind template source templates-s: pediatric and family practices and the schools, camps,
child-care centres, agencies and parents around them.

These families were written from what the mail of US pediatric and family practices looks like
when the patient is a child and the correspondent is a parent, guardian, school nurse, coach,
camp health director, child-care director, WIC clinic, health department or caseworker. On the
PHI side: immunization records sent to a school nurse, replies to a school's exclusion notice for
missing vaccines, sports pre-participation physical summaries, camp medical forms with allergies
and medication schedules, asthma action plans and epinephrine / seizure-medication
authorizations for school, 504/IEP supporting letters and evaluation records requests,
return-to-child-care notes after an illness, WIC referrals with formula prescriptions, blood lead
follow-ups, newborn bilirubin rechecks and newborn-screen repeats, well-child reminders naming
the child, growth and weight follow-ups, an adolescent confidential visit that leaked to a
parent's proxy account, foster care and custody records requests, school dental sealant consents
and results, head lice / pink eye / ringworm notes, school vision and hearing screening
referrals, a child psychologist's referral for a medication evaluation and parents' reply
threads asking the nurse line about a fever or a rash. On the clean side, hard negatives from
the same world that name staff, teachers, clinicians, vendors, vaccines, conditions in general,
aggregate numbers and blank placeholders but no child or patient: a school district's
vaccination requirements bulletin, a pediatric practice newsletter, a back-to-school hours
notice, a car-seat safety check flyer, a youth sports league's concussion policy memo, a summer
camp's general health policy, a child-care licensing inspection notice, a parent-education
webinar invitation and a Vaccines for Children supply order.

Written blind: only the `Mail` dataclass and the `phi`/`clean` helpers of generate.py; the
`FakerGen`, `OnePatientGen` and `Gen` classes and `render`, `finish_message`, `Source`,
`build_source` and `build` of unseen.py; and the module docstring, imports (with the locale and
name constants right after them), `Gen` class and the registration, `render` and `build` at the
end of unseen_o.py (as a model of shape) were read, plus a grep listing of the top-level names in
those three files; no recognizer, policy, test, evaluation script or other source's families.
People come from Faker locales (Cyrillic names transliterated, Japanese and Chinese romanized,
Korean, Haitian and Somali names from small romanized lists here), dates from a fixed base date,
so `build(out, per_family, seed)` is deterministic.
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
    "en_US", "en_US", "en_US", "en_US", "es_MX", "es_MX", "es_MX", "es_CO", "pt_BR", "vi_VN",
    "en_IN", "ja_JP", "zh_CN", "ko_KR", "ru_RU", "uk_UA", "pl_PL", "tr_TR", "yo_NG", "ig_NG",
    "fr_FR", "ht_HT", "so_SO", "de_DE", "it_IT", "ro_RO", "fil_PH", "zu_ZA", "en_GB",
)  # fmt: skip
STAFF_LOCALES = ("en_US", "en_US", "en_US", "en_US", "en_CA", "en_IN", "es_MX", "en_PH", "en_GB")
PRACTICE = "willow-creek-pediatrics.example"
BASE = dt.datetime(2025, 8, 18)

KO_FAMILY = ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han")
KO_GIVEN_F = ("Seo-yeon", "Ji-woo", "Ha-eun", "Su-ah", "Yu-na", "Da-eun", "Ye-jin", "Min-seo")
KO_GIVEN_M = ("Min-jun", "Seo-jun", "Do-yun", "Ha-jun", "Ji-ho", "Eun-woo", "Si-woo", "Joon")
HT_FAMILY = (
    "Jean-Baptiste", "Pierre", "Joseph", "Louis", "Charles", "Desir", "Etienne", "Alexis",
    "Toussaint", "Dorvil", "Celestin", "Jean-Louis", "Augustin", "Francois",
)  # fmt: skip
HT_GIVEN_F = (
    "Widlene",
    "Nadège",
    "Roseline",
    "Marjorie",
    "Fabiola",
    "Lovely",
    "Mirlande",
    "Esther",
)
HT_GIVEN_M = ("Wilson", "Jean-Marc", "Stevenson", "Ricardo", "Frantz", "Wilby", "Kervens", "Junior")
SO_FAMILY = (
    "Mohamed", "Ahmed", "Hassan", "Abdi", "Farah", "Warsame", "Jama", "Osman", "Ali", "Yusuf",
    "Abdullahi", "Hussein", "Ibrahim", "Nur",
)  # fmt: skip
SO_GIVEN_F = ("Hodan", "Amina", "Fartun", "Ayan", "Sagal", "Hibaaq", "Nimco", "Ifrah", "Maryan")
SO_GIVEN_M = ("Abdirahman", "Mahad", "Guled", "Liban", "Bashir", "Khalid", "Mustafe", "Zakariye")

CYR = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ",
        (
            "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya i yi ye g"
        ).split(),
        strict=True,
    )
)

NICKNAMES = {
    "William": "Will", "Elizabeth": "Lizzie", "Alexander": "Xander", "Alejandro": "Alex",
    "Guadalupe": "Lupe", "Francisco": "Paco", "José": "Pepe", "Katherine": "Katie",
    "Christopher": "Chris", "Benjamin": "Ben", "Nicholas": "Nico", "Margaret": "Maggie",
    "Jonathan": "Jon", "Isabella": "Bella", "Gabriel": "Gabe", "Samantha": "Sam",
    "Daniel": "Danny", "Michael": "Mikey", "Anthony": "Tony", "Jennifer": "Jenny",
    "Rebecca": "Becca", "Kimberly": "Kim", "Victoria": "Tori", "Joshua": "Josh",
    "Matthew": "Matt", "Andrew": "Drew", "Robert": "Bobby", "Maximilian": "Max",
    "Katarzyna": "Kasia", "Aleksander": "Olek", "Małgorzata": "Gosia", "Alexandra": "Sasha",
    "Jacqueline": "Jackie", "Patricia": "Trish", "Santiago": "Santi", "Fernando": "Nando",
    "Ekaterina": "Katya", "Dmitriy": "Dima", "Mariana": "Mari", "Olwethu": "Olly",
}  # fmt: skip

CITIES = (
    ("Columbus", "OH", "614", -4), ("Sacramento", "CA", "916", -7), ("Tucson", "AZ", "520", -7),
    ("Raleigh", "NC", "919", -4), ("Minneapolis", "MN", "612", -5), ("Aurora", "CO", "720", -6),
    ("Worcester", "MA", "508", -4), ("San Antonio", "TX", "210", -5),
    ("Grand Rapids", "MI", "616", -4), ("Tacoma", "WA", "253", -7), ("Lehigh Valley", "PA", "610", -4),
    ("Des Moines", "IA", "515", -5), ("Knoxville", "TN", "865", -4), ("Fresno", "CA", "559", -7),
)  # fmt: skip
AREAS = ("312", "404", "480", "503", "602", "614", "702", "718", "832", "916", "971")

PRACTICES = (
    ("Willow Creek Pediatrics", "willow-creek-pediatrics", "Office Practicum"),
    ("Little Oaks Pediatric Associates", "littleoakspeds", "PCC EHR"),
    ("Brightside Children's Clinic", "brightside-kids", "athenaOne"),
    ("Cedar Valley Family Medicine", "cedarvalleyfm", "eClinicalWorks"),
    ("Harborview Pediatrics & Adolescent Medicine", "harborviewpeds", "Epic"),
    ("Sunflower Family Health Center", "sunflowerfhc", "NextGen"),
    ("Prairie Wind Family Practice", "prairiewindfp", "eClinicalWorks"),
    ("Magnolia Kids Care", "magnoliakidscare", "PCC EHR"),
    ("Northside Community Health - Pediatrics", "northsidechc", "Epic"),
    ("Blue Heron Pediatrics", "blueheronpeds", "Office Practicum"),
)

CHILDRENS = "Children's Hospital"
PARENT_DOMAINS = (
    "gmail.com", "gmail.com", "gmail.com", "yahoo.com", "icloud.com", "outlook.com",
    "hotmail.com", "aol.com", "comcast.net", "att.net",
)  # fmt: skip


# --------------------------------------------------------------------------------- helpers
def fold(s: str) -> str:
    """`s` in plain ASCII (attachments go out without a charset)."""
    s = s.replace("đ", "d").replace("Đ", "D").replace("ł", "l").replace("Ł", "L")
    s = s.replace("ı", "i").replace("µ", "u").replace("°", " deg").replace("–", "-")
    s = s.replace("—", "-").replace("’", "'").replace("≥", ">=").replace("≤", "<=")
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")


def slug(s: str) -> str:
    return "".join(c for c in fold(s).lower() if c.isalnum())


def translit(s: str) -> str:
    out = []
    for ch in s:
        low = ch.lower()
        if low in CYR:
            t = CYR[low].replace("-", "")
            out.append(t.capitalize() if ch != low else t)
        else:
            out.append(ch)
    return "".join(out)


def fmt_date(d: dt.date, style: str) -> str:
    if style == "us":
        return f"{d.month}/{d.day}/{d.year}"
    if style == "us0":
        return d.strftime("%m/%d/%Y")
    if style == "us2":
        return f"{d.month}/{d.day}/{d.year % 100:02d}"
    if style == "iso":
        return d.isoformat()
    if style == "long":
        return f"{d.strftime('%B')} {d.day}, {d.year}"
    if style == "short":
        return f"{d.strftime('%b')} {d.day}, {d.year}"
    if style == "dmy":
        return f"{d.day} {d.strftime('%b')} {d.year}"
    if style == "dow":
        return f"{d.strftime('%A')}, {d.strftime('%B')} {d.day}"
    if style == "md":
        return f"{d.month}/{d.day}"
    if style == "dash":
        return d.strftime("%m-%d-%Y")
    return d.strftime("%d-%b-%Y").upper()


def ordinal(n: int) -> str:
    suf = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suf}"


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)).rstrip(), line]
    out += [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    return "\n".join(out)


def h(s: object) -> str:
    return html.escape(str(s))


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]], border: int = 1) -> str:
    head = "".join(f"<th align='left'>{h(c)}</th>" for c in header)
    body = "".join("<tr>" + "".join(f"<td>{h(c)}</td>" for c in r) + "</tr>" for r in rows)
    return (
        f"<table border='{border}' cellpadding='4' cellspacing='0' style='border-collapse:"
        f"collapse;font-size:13px'><tr style='background:#eef3f7'>{head}</tr>{body}</table>"
    )


def kv_table(rows: Sequence[tuple[str, str]]) -> str:
    body = "".join(f"<tr><td><b>{h(k)}</b></td><td>{h(v)}</td></tr>" for k, v in rows)
    return f"<table cellpadding='3' style='font-size:13px'>{body}</table>"


def html_page(title: str, inner: str, footer: str = "", color: str = "#2e6b57") -> str:
    foot = f"<p style='color:#777;font-size:11px'>{h(footer)}</p>" if footer else ""
    return (
        "<html><body style='font-family:Arial,Helvetica,sans-serif;font-size:14px'>"
        f"<div style='background:{color};color:#fff;padding:8px 12px;font-weight:bold'>"
        f"{h(title)}</div><div style='padding:10px'>{inner}</div>{foot}</body></html>"
    )


def paras(*lines: str) -> str:
    return "".join(f"<p>{h(x)}</p>" for x in lines if x)


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow([fold(str(c)) for c in r])
    return buf.getvalue().encode("ascii")


def txt(s: str) -> bytes:
    return fold(s).replace("\n", "\r\n").encode("ascii")


def quote(s: str) -> str:
    return "\n".join("> " + x if x else ">" for x in s.splitlines())


def ft_in(inches: float) -> str:
    return f"{int(inches // 12)}' {inches % 12:.1f}\""


@dataclass
class Practice:
    name: str
    domain: str
    software: str
    address: str
    city: str
    state: str
    zipcode: str
    area: str
    phone: str
    fax: str
    utc: int


# ------------------------------------------------------------------------------ generator
class Gen(OnePatientGen):
    """templates-s's generator: one child (romanized names for non-Latin locales), a parent or
    guardian, the practice, the sender and recipient a family chose, and a fixed clock."""

    patient_locales = PATIENT_LOCALES
    staff_locales = STAFF_LOCALES

    def __init__(self, rng: random.Random) -> None:
        loc = rng.choice(self.patient_locales)
        real = {"ko_KR": "en_US", "ht_HT": "fr_FR", "so_SO": "en_US"}.get(loc, loc)
        self.locale = loc
        self.rng = rng
        self.pt = Faker(real)
        self.pt.seed_instance(rng.randrange(2**32))
        self.st = Faker(rng.choice(self.staff_locales))
        self.st.seed_instance(rng.randrange(2**32))
        self.us = Faker("en_US")
        self.us.seed_instance(rng.randrange(2**32))
        self.child_sex = rng.choice("FM")
        self.base_family = self._family()
        self.given, self.family = self._name(self.child_sex)
        psex = "F" if rng.random() < 0.68 else "M"
        pg, pf = self._name(psex)
        for _ in range(5):
            if pg != self.given:
                break
            pg = self._name(psex)[0]
        if rng.random() > 0.72:
            pf = self._family()
            if (
                psex == "F"
                and self.locale in ("ru_RU", "uk_UA")
                and pf.endswith(("ov", "ev", "in"))
            ):
                pf += "a"
        self.parent_given, self.parent_family = pg, pf
        self.relation = (
            self.pick("mother", "mother", "mom", "grandmother", "guardian", "aunt", "foster mother")
            if psex == "F"
            else self.pick("father", "father", "dad", "grandfather", "guardian", "stepfather")
        )
        self.when_sent = BASE + dt.timedelta(
            days=rng.randint(-30, 40), minutes=rng.randint(6 * 60 + 45, 21 * 60)
        )
        self.dstyle = rng.choice(("us", "us0", "long", "short", "iso", "us2", "dash", "dow"))
        self.dobstyle = rng.choice(("us0", "us0", "us", "iso", "long", "us2", "dash", "ora"))
        self.me = ""
        self.from_addr = ""
        self.to = ""
        self.cc = ""
        self.prac = self._practice()
        self._dob: dt.date | None = None
        self._mrn = ""
        self._email = ""
        self._phone = ""
        self._addr = ""
        self._school: tuple[str, str, str] | None = None

    # ---- names
    def _family(self) -> str:
        loc, rng = self.locale, self.rng
        if loc == "ko_KR":
            return rng.choice(KO_FAMILY)
        if loc == "ht_HT":
            return rng.choice(HT_FAMILY)
        if loc == "so_SO":
            return rng.choice(SO_FAMILY)
        if loc in ("ja_JP", "zh_CN"):
            return str(self.pt.last_romanized_name())
        if loc in ("ru_RU", "uk_UA"):
            return translit(str(self.pt.last_name_male()))
        fam = str(self.pt.last_name())
        if loc in ("es_MX", "es_CO") and rng.random() < 0.35:
            fam = f"{fam} {self.pt.last_name()}"
        if loc == "vi_VN" and rng.random() < 0.5:
            fam = fold(fam)
        return fam

    def _name(self, sex: str) -> tuple[str, str]:
        loc, rng, fam = self.locale, self.rng, self.base_family
        if loc == "ko_KR":
            return rng.choice(KO_GIVEN_F if sex == "F" else KO_GIVEN_M), fam
        if loc == "ht_HT":
            return rng.choice(HT_GIVEN_F if sex == "F" else HT_GIVEN_M), fam
        if loc == "so_SO":
            return rng.choice(SO_GIVEN_F if sex == "F" else SO_GIVEN_M), fam
        if loc == "ja_JP":
            g = (
                self.pt.first_romanized_name_female()
                if sex == "F"
                else self.pt.first_romanized_name_male()
            )
            return str(g), fam
        if loc == "zh_CN":
            return str(self.pt.first_romanized_name()), fam
        g = str(self.pt.first_name_female() if sex == "F" else self.pt.first_name_male())
        if loc in ("ru_RU", "uk_UA"):
            g = translit(g)
            if sex == "F" and fam.endswith(("ov", "ev", "in", "yn")):
                fam += "a"
        if loc == "vi_VN" and fam.isascii():
            g = fold(g)
        return g, fam

    def patient(self) -> str:
        return f"{self.given} {self.family}"

    def formal(self) -> str:
        return f"{self.family.upper()}, {self.given.upper()}"

    def name_as(self) -> str:
        """The child's name as one system or another prints it."""
        return self.pick(
            self.patient(), self.patient(), f"{self.family}, {self.given}", self.formal(),
            self.patient().upper(),
        )  # fmt: skip

    def nick(self) -> str:
        return NICKNAMES.get(self.given, self.given)

    def initial_name(self) -> str:
        return f"{self.given} {self.family[0]}."

    def parent(self) -> str:
        return f"{self.parent_given} {self.parent_family}"

    def he(self) -> str:
        return "she" if self.child_sex == "F" else "he"

    def his(self) -> str:
        return "her" if self.child_sex == "F" else "his"

    def him(self) -> str:
        return "her" if self.child_sex == "F" else "him"

    def kid(self) -> str:
        return self.pick("daughter", "daughter") if self.child_sex == "F" else "son"

    def staff(self) -> str:
        return f"{self.st.first_name()} {self.st.last_name()}"

    def other(self) -> str:
        """Someone not the patient (a teacher, a coach, a caseworker)."""
        f = self.us if self.rng.random() < 0.6 else self.st
        return f"{f.first_name()} {f.last_name()}"

    def doctor(self) -> str:
        first, last = str(self.st.first_name()), str(self.st.last_name())
        v = self.variant(5)
        if v == 0:
            return f"Dr. {last}"
        if v == 1:
            return f"{first} {last}, MD"
        if v == 2:
            return f"{first} {last}, {self.pick('DO', 'MD', 'FNP-C', 'CPNP', 'PA-C')}"
        if v == 3:
            return f"Dr. {first} {last}"
        return f"{first[0]}. {last}, MD"

    def addr_of(self, name: str, domain: str) -> str:
        parts = [slug(x) for x in name.replace(",", " ").replace("Dr.", "").split() if slug(x)]
        parts = [
            p
            for p in parts
            if p
            not in (
                "md",
                "do",
                "rn",
                "fnpc",
                "cpnp",
                "pac",
                "bsn",
                "phd",
                "psyd",
                "rdh",
                "ncsp",
                "eds",
            )
        ]
        if len(parts) < 2:
            return f"{parts[0] if parts else 'office'}@{domain}"
        v = self.variant(4)
        local = (
            f"{parts[0]}.{parts[-1]}",
            f"{parts[0][0]}{parts[-1]}",
            parts[0],
            f"{parts[-1]}{parts[0][0]}",
        )[v]
        return f"{local}@{domain}"

    # ---- practice and people around the child
    def _practice(self) -> Practice:
        name, dom, software = self.rng.choice(PRACTICES)
        city, state, area, utc = self.rng.choice(CITIES)
        phone = self.fmt_phone(area)
        fax = self.fmt_phone(area)
        return Practice(
            name, f"{dom}.example", software, str(self.us.street_address()), city, state,
            str(self.us.zipcode_in_state(state)), area, phone, fax, utc,
        )  # fmt: skip

    def fmt_phone(self, area: str = "") -> str:
        area = area or self.rng.choice(AREAS)
        exch, line = self.rng.randint(201, 989), self.rng.randint(0, 9999)
        exch = 556 if exch == 555 else exch
        v = self.variant(5)
        return (
            f"({area}) {exch}-{line:04d}", f"{area}-{exch}-{line:04d}", f"{area}.{exch}.{line:04d}",
            f"+1 {area} {exch} {line:04d}", f"{area}{exch}{line:04d}",
        )[v]  # fmt: skip

    def school(self) -> tuple[str, str, str]:
        """(school name, district, domain) for the child's age."""
        if self._school is None:
            age = self.age() if self._dob else 9
            level = (
                "Elementary School" if age < 11 else "Middle School" if age < 14 else "High School"
            )
            nm = self.pick(
                str(self.us.last_name()), str(self.us.last_name()), "Lincoln", "Roosevelt",
                "Oak Hill", "Riverside", "Cesar Chavez", "Maple Grove", "Eastview", "Westwood",
            )  # fmt: skip
            if age < 5:
                level = self.pick("Early Learning Center", "Head Start", "Pre-K Academy")
            district = self.pick(
                f"{self.prac.city} Public Schools", f"{self.prac.city} Unified School District",
                f"{self.us.last_name()} County Schools", f"{self.us.city()} Independent School District",
            )  # fmt: skip
            dom = f"{slug(district.split()[0])}{self.pick('schools', 'k12', 'usd', 'isd')}.example"
            self._school = (f"{nm} {level}", district, dom)
        return self._school

    def grade(self) -> str:
        a = self.age()
        if a < 5:
            return "Pre-K"
        if a == 5:
            return "Kindergarten"
        g = min(a - 5, 12)
        return self.pick(
            f"Grade {g}",
            f"{g}{'st' if g == 1 else 'nd' if g == 2 else 'rd' if g == 3 else 'th'} grade",
            f"Gr {g}",
        )

    def student_id(self) -> str:
        return self.pick(
            self.digits(7),
            self.digits(9),
            f"S{self.digits(6)}",
            f"{self.digits(2)}-{self.digits(5)}",
        )

    def sender(self, name: str, addr: str) -> None:
        self.me, self.from_addr = name, addr

    def practice_sender(self, title: str = "") -> str:
        name = self.staff()
        self.sender(
            f"{name}{' - ' + title if title and self.rng.random() < 0.3 else ''}",
            self.addr_of(name, self.prac.domain),
        )
        return name

    def practice_box(self, box: str) -> None:
        self.sender(self.prac.name, f"{box}@{self.prac.domain}")

    def parent_sender(self) -> None:
        self.sender(
            self.pick(self.parent(), self.parent(), self.parent_given, ""), self.parent_email()
        )

    def to_parent(self) -> None:
        self.to = (
            self.parent_email()
            if self.rng.random() < 0.5
            else formataddr((self.parent(), self.parent_email()))
        )

    # ---- identifiers
    def parent_email(self) -> str:
        if not self._email:
            pg, pf, cg = (
                slug(self.parent_given) or "mom",
                slug(self.parent_family) or "home",
                slug(self.given) or "kid",
            )
            nn = self.digits(self.rng.choice((2, 2, 4)))
            v = self.variant(7)
            local = (
                f"{pg}.{pf}", f"{pg[0]}{pf}{nn}", f"{pg}{pf}{nn}", f"{cg}s{self.pick('mom', 'mama', 'dad')}{nn}",
                f"{pf}family{nn}", f"{pg}_{pf[:6]}", f"{pg}{nn}",
            )[v]  # fmt: skip
            self._email = f"{local}@{self.rng.choice(PARENT_DOMAINS)}"
        return self._email

    def parent_phone(self) -> str:
        if not self._phone:
            self._phone = self.fmt_phone(self.prac.area if self.rng.random() < 0.7 else "")
        return self._phone

    def home_address(self) -> str:
        if not self._addr:
            st = self.prac.state
            city = self.prac.city if self.rng.random() < 0.7 else str(self.us.city())
            self._addr = f"{self.us.street_address()}, {city}, {st} {self.us.zipcode_in_state(st)}"
        return self._addr

    def mrn(self) -> str:
        if not self._mrn:
            v = self.variant(5)
            self._mrn = (
                self.digits(6).lstrip("0") or "40212", "00" + self.digits(6), f"{self.pick('P', 'PED', 'E')}{self.digits(6)}",
                self.digits(8), f"{self.digits(3)}-{self.digits(3)}-{self.digits(3)}",
            )[v]  # fmt: skip
        return self._mrn

    def medicaid_id(self) -> str:
        return self.pick(
            f"{self.pick('A', 'M', 'Y')}{self.digits(8)}", self.digits(10), f"{self.digits(9)}{self.pick('A', 'B', 'C')}",
            f"ZYM{self.digits(9)}",
        )  # fmt: skip

    def insurer(self) -> str:
        return self.pick(
            "Medicaid", "CHIP", "Aetna Better Health Kids", "Blue Cross Blue Shield PPO", "UnitedHealthcare Community Plan",
            "Cigna", "Molina Healthcare", "Kaiser Permanente", "Amerigroup", "CareSource", "Tricare",
        )  # fmt: skip

    # ---- dates and ages
    def day(self, lo: int, hi: int) -> dt.date:
        return (self.when_sent + dt.timedelta(days=self.rng.randint(lo, hi))).date()

    def date(self, d: dt.date, style: str = "") -> str:
        return fmt_date(d, style or self.dstyle)

    def child(self, lo: int, hi: int) -> dt.date:
        """Draw the child's date of birth, lo to hi years old."""
        if self._dob is None:
            days = self.rng.randint(lo * 365 + 5, hi * 365 + 350)
            self._dob = (self.when_sent - dt.timedelta(days=days)).date()
        return self._dob

    def newborn(self, lo: int, hi: int) -> dt.date:
        if self._dob is None:
            self._dob = (self.when_sent - dt.timedelta(days=self.rng.randint(lo, hi))).date()
        return self._dob

    def dob_date(self) -> dt.date:
        return self._dob or self.child(3, 15)

    def dob(self, style: str = "") -> str:
        return fmt_date(self.dob_date(), style or self.dobstyle)

    def age(self) -> int:
        d, t = self.dob_date(), self.when_sent.date()
        return t.year - d.year - ((t.month, t.day) < (d.month, d.day))

    def age_months(self) -> int:
        d, t = self.dob_date(), self.when_sent.date()
        return (t.year - d.year) * 12 + t.month - d.month - (t.day < d.day)

    def age_text(self) -> str:
        m = self.age_months()
        if m < 24:
            return self.pick(f"{m} mo", f"{m}-month-old", f"{m}m")
        return self.pick(
            f"{self.age()} y/o", f"{self.age()}yo", f"{self.age()}-year-old", f"age {self.age()}"
        )

    def clock(self, lo: int = 8, hi: int = 17) -> str:
        hh, mm = self.rng.randint(lo, hi), self.rng.choice((0, 15, 30, 45, 0, 30, 20, 40))
        h12, ap = (hh - 1) % 12 + 1, "AM" if hh < 12 else "PM"
        return self.pick(f"{h12}:{mm:02d} {ap}", f"{h12}:{mm:02d}{ap.lower()}", f"{hh:02d}{mm:02d}")

    def stamp(self, d: dt.datetime | None = None) -> str:
        d = d or self.when_sent
        return d.strftime(
            self.pick("%m/%d/%Y %I:%M %p", "%Y-%m-%d %H:%M", "%a, %b %d, %Y at %I:%M %p")
        )

    # ---- text pieces
    def sign(self, name: str, title: str = "") -> str:
        p = self.prac
        t = f"\n{title}" if title else ""
        v = self.variant(6)
        if v == 0:
            return f"Thank you,\n{name}{t}\n{p.name}\nPh {p.phone} | Fax {p.fax}"
        if v == 1:
            return f"Thanks,\n{name.split()[0]}"
        if v == 2:
            return f"Kind regards,\n\n{name}{' | ' + title if title else ''}\n{p.name}\n{p.address}, {p.city}, {p.state} {p.zipcode}"
        if v == 3:
            return f"-- \n{name}{t}\n{p.name} | {p.phone}"
        if v == 4:
            return f"{name}{t}"
        return f"Sincerely,\n{name}{t}\n{p.name} - {p.city}, {p.state}\nwww.{p.domain}"

    def conf(self) -> str:
        return self.pick(
            "", "",
            "\n\nCONFIDENTIALITY NOTICE: This message and any attachments may contain protected health "
            "information. If you are not the intended recipient, notify the sender and delete it.",
            "\n\nThe information in this e-mail is confidential and intended only for the person named "
            "above. Re-disclosure without consent may be prohibited by state and federal law (including "
            "FERPA and HIPAA).",
        )  # fmt: skip

    def school_disc(self) -> str:
        return self.pick(
            "", "",
            "\n\n---\nThis email and any attachments are confidential student records protected under "
            "FERPA. Please do not forward.",
            "\n\nAll email sent to or from this district account is subject to the Public Records Act.",
        )  # fmt: skip


# ------------------------------------------------------------------------- clinical pieces
VACCINE_SCHEDULE = (
    # name, ages in days for each dose, min age years to be shown
    ("HepB", (0, 45, 190)),
    ("DTaP", (61, 122, 183, 457, 1640)),
    ("Hib", (61, 122, 395)),
    ("IPV", (61, 122, 200, 1650)),
    ("PCV15", (61, 122, 183, 400)),
    ("Rotavirus", (61, 122)),
    ("MMR", (370, 1645)),
    ("Varicella", (372, 1648)),
    ("HepA", (375, 560)),
    ("Tdap", (4100,)),
    ("MenACWY", (4110, 5850)),
    ("HPV", (4120, 4300)),
)
VAX_ALIASES = {
    "HepB": ("Hep B", "Hepatitis B (Engerix-B Peds)", "HEPB-PEDS"),
    "DTaP": ("DTaP", "DTaP (Infanrix)", "DTAP", "DTaP-IPV (Kinrix)"),
    "Hib": ("Hib", "Hib (PedvaxHIB)", "HIB PRP-OMP"),
    "IPV": ("IPV", "Polio (IPOL)", "IPV"),
    "PCV15": ("PCV15", "Pneumococcal conj (Vaxneuvance)", "PCV"),
    "Rotavirus": ("Rotavirus (RotaTeq)", "RV5", "Rotavirus"),
    "MMR": ("MMR", "MMR II", "Measles/Mumps/Rubella"),
    "Varicella": ("Varicella", "VAR (Varivax)", "Chickenpox"),
    "HepA": ("Hep A", "Hepatitis A (Havrix)", "HEPA-PEDS"),
    "Tdap": ("Tdap", "Tdap (Boostrix)", "TDAP"),
    "MenACWY": ("MenACWY", "Meningococcal (MenQuadfi)", "MCV4"),
    "HPV": ("HPV9", "HPV (Gardasil 9)", "HPV"),
}


def vax_history(g: Gen, skip: tuple[str, ...] = ()) -> list[tuple[str, dt.date, str]]:
    """(vaccine, date, dose label) rows the child has had, from the DOB and the schedule."""
    dob, today = g.dob_date(), g.when_sent.date()
    rows: list[tuple[str, dt.date, str]] = []
    style = g.variant(3)
    for name, ages in VACCINE_SCHEDULE:
        if name in skip:
            continue
        label = VAX_ALIASES[name][style]
        for i, a in enumerate(ages):
            d = dob + dt.timedelta(days=a + g.rng.randint(0, 25))
            if d < today - dt.timedelta(days=3):
                rows.append((label, d, str(i + 1)))
    return rows


def missing_for_age(g: Gen) -> list[str]:
    a = g.age()
    if a >= 11:
        return g.rng.sample(["Tdap", "MenACWY", "Varicella #2"], g.rng.randint(1, 2))
    if a >= 4:
        return g.rng.sample(["DTaP #5", "IPV #4", "MMR #2", "Varicella #2"], g.rng.randint(1, 3))
    return g.rng.sample(["Hib #4", "PCV #4", "MMR #1", "Hep A #1"], g.rng.randint(1, 2))


ALLERGIES = (
    ("peanuts", "anaphylaxis"), ("tree nuts (cashew, pistachio)", "hives, throat tightness"),
    ("bee stings", "anaphylaxis"), ("amoxicillin", "rash"), ("eggs", "hives, vomiting"),
    ("shellfish", "lip swelling"), ("sulfa drugs", "rash"), ("latex", "contact dermatitis"),
    ("milk", "vomiting"), ("sesame", "anaphylaxis"),
)  # fmt: skip
DAILY_MEDS = (
    ("methylphenidate ER (Concerta) 18 mg", "1 tab by mouth every morning", "ADHD"),
    ("Focalin XR 10 mg", "1 cap every morning with breakfast", "ADHD"),
    ("guanfacine ER 1 mg", "1 tab at bedtime", "ADHD/sleep"),
    ("cetirizine 5 mg", "1 tab daily", "seasonal allergies"),
    ("fluticasone (Flovent HFA) 44 mcg", "2 puffs twice daily with spacer", "asthma"),
    ("Symbicort 80/4.5", "2 puffs twice daily", "asthma"),
    ("montelukast 5 mg", "1 chewable at bedtime", "asthma"),
    ("sertraline 25 mg", "1 tab daily", "anxiety"),
    ("levetiracetam 250 mg", "1 tab twice daily", "seizure disorder"),
    ("insulin lispro via Omnipod", "per pump settings / carb ratio 1:15", "type 1 diabetes"),
    ("polyethylene glycol 3350", "1/2 capful in 8 oz water daily", "constipation"),
    ("melatonin 3 mg", "at bedtime", "sleep onset"),
    ("Lactaid", "with dairy", "lactose intolerance"),
)  # fmt: skip
PRN_MEDS = (
    ("albuterol HFA 90 mcg", "2 puffs every 4 hours as needed for cough/wheeze"),
    ("EpiPen Jr 0.15 mg", "inject into outer thigh for severe reaction, call 911"),
    ("EpiPen 0.3 mg", "IM to thigh for anaphylaxis"),
    ("Auvi-Q 0.1 mg", "for anaphylaxis"),
    ("diphenhydramine 12.5 mg/5 mL", "10 mL as needed for hives"),
    ("ibuprofen 100 mg/5 mL", "10 mL every 6-8 hours as needed"),
    ("Nayzilam (midazolam) 5 mg nasal", "for seizure lasting > 5 minutes"),
    ("glucagon (Baqsimi) 3 mg", "nasal, for severe low blood sugar"),
)  # fmt: skip


def grown(g: Gen) -> tuple[float, float, int, int]:
    """Height (in), weight (lb), height and weight percentiles for the child's age."""
    a = max(g.age(), 1)
    ht = 30 + 2.5 * a + g.rng.uniform(-2.5, 2.5)
    ht = min(ht, 70 + g.rng.uniform(-4, 4))
    wt = 18 + 5.4 * a + g.rng.uniform(-6, 14)
    return round(ht, 1), round(wt, 1), g.rng.randint(5, 95), g.rng.randint(5, 99)


def bp(g: Gen) -> str:
    return f"{g.rng.randint(96, 128)}/{g.rng.randint(54, 82)}"


# ------------------------------------------------------------------------- PHI families
def immunization_record_to_school(g: Gen) -> Mail:
    g.child(4, 16)
    school, _district, sdom = g.school()
    nurse = g.other()
    rows = vax_history(g)
    ds = g.pick("us0", "us", "iso", "short")
    v = g.variant(5)
    if v == 0:
        g.practice_sender()
        g.to = g.addr_of(nurse, sdom)
        tbl = text_table(
            ("Vaccine", "Dose", "Date given"), [(n, d_, g.date(x, ds)) for n, x, d_ in rows]
        )
        body = (
            f"{g.pick('Hi', 'Hello', 'Good morning')} {nurse.split()[0]},\n\n"
            f"Per {g.parent()}'s request, here is the immunization history for {g.name_as()} "
            f"(DOB {g.dob()}), {g.grade()} at {school}.\n\n{tbl}\n\n"
            f"{g.pick('Please let us know if the state certificate form is also needed.', 'The signed certificate of immunization will follow by fax.', '')}\n\n"
            + g.sign(g.me, "Medical Records")
            + g.conf()
        )
        return phi(
            g.pick(
                f"Immunization record - {g.patient()}",
                f"Shot record for {g.given} {g.family[0]}.",
                "Immunization records request",
            ),
            body,
        )
    if v == 1:
        g.practice_box(g.pick("records", "medicalrecords", "frontdesk"))
        g.to = g.addr_of(nurse, sdom)
        name = f"IZ_{slug(g.family)}_{slug(g.given)}.csv"
        data = csv_bytes(
            ("patient_name", "dob", "vaccine", "dose", "admin_date", "source"),
            [
                (
                    f"{g.family}, {g.given}",
                    g.dob("iso"),
                    n,
                    d_,
                    x.isoformat(),
                    g.pick("Historical", "Administered", "IIS"),
                )
                for n, x, d_ in rows
            ],
        )
        body = (
            f"{nurse.split()[0]} -\n\n{g.pick('Attached is the record you requested.', 'See attached immunization history as requested by the family.', 'Record attached. Let us know if anything is missing.')}\n\n"
            f"{g.prac.name}\nFax {g.prac.fax}" + g.conf()
        )
        return phi(
            g.pick("Immunization history", "Requested records", "RE: immunization record request"),
            body,
            attachments=[(name, "text/csv", data)],
            where=("attachment",),
        )
    if v == 2:
        g.practice_box("noreply")
        g.to = g.addr_of(nurse, sdom)
        info = kv_table([
            ("Student", g.name_as()), ("Date of birth", g.dob()), ("Sex", g.child_sex),
            ("School", school), ("Parent/guardian", g.parent()),
        ])  # fmt: skip
        tbl = html_table(
            ("Vaccine", "Dose #", "Date"), [(n, d_, g.date(x, ds)) for n, x, d_ in rows]
        )
        inner = (
            paras(
                f"{g.prac.name} has shared an immunization record with you at the request of the patient's guardian."
            )
            + info
            + "<br>"
            + tbl
            + paras(
                f"Status: {g.pick('Up to date for school entry', 'Complete for age', 'Meets 7th grade requirements')}.",
                f"Generated {g.stamp()} by {g.prac.software}.",
            )
        )
        return phi(
            f"{g.prac.name}: immunization record shared",
            html_page(
                "Certificate of Immunization", inner, "Do not reply to this automated message."
            ),
            html=True,
        )
    if v == 3:
        g.parent_sender()
        g.to = g.addr_of(nurse, sdom)
        fwd = (
            f"---------- Forwarded message ---------\nFrom: {g.prac.name} <portal@{g.prac.domain}>\n"
            f"Date: {g.stamp(g.when_sent - dt.timedelta(days=1))}\nSubject: Immunization Record\n\n"
            f"Patient: {g.patient()}   DOB: {g.dob()}\n"
            + "\n".join(f"  {n:<32} {g.date(x, ds)}" for n, x, _ in rows)
        )
        body = (
            f"Hi {g.pick('Nurse ' + nurse.split()[-1], nurse.split()[0], 'Ms. ' + nurse.split()[-1])},\n\n"
            f"Here is {g.given}'s shot record from {g.his()} doctor. {g.pick('Let me know if you need anything else for enrollment.', 'Is this enough or do you need the state form too?', 'Sorry for the delay!')}\n\n"
            f"{g.parent_given}\n\n{fwd}"
        )
        return phi(
            g.pick("Fwd: Immunization Record", f"{g.given}'s shots", "Fw: shot record for school"),
            body,
        )
    g.practice_sender()
    g.to = g.addr_of(nurse, sdom)
    recent = rows[-3:]
    body = (
        f"{nurse.split()[0]}, quick update - {g.patient()} ({g.dob('us')}) got "
        + ", ".join(f"{n} on {g.date(x, 'md')}" for n, x, _ in recent)
        + f". Registry should update within a week.\n\n{g.me}\n{g.prac.name}"
    )
    return phi(g.pick("Vaccines given", f"{g.family} - immunization update", "update"), body)


def school_exclusion_reply(g: Gen) -> Mail:
    g.child(4, 17)
    school, district, sdom = g.school()
    nurse = g.other()
    missing = missing_for_age(g)
    sid = g.student_id()
    excl = g.day(4, 20)
    notice = (
        f"{district.upper()}\nHealth Services\n\nNOTICE OF EXCLUSION - INCOMPLETE IMMUNIZATIONS\n\n"
        f"Student: {g.formal()}    ID: {sid}\nGrade: {g.grade()}    School: {school}\n\n"
        f"Our records show the student is missing: {', '.join(missing)}.\n"
        f"Under state law the student may not attend school on or after {g.date(excl, 'long')} "
        f"unless proof of vaccination or a valid exemption is provided.\n\n{nurse}, RN\nSchool Nurse"
    )
    v = g.variant(4)
    if v == 0:
        g.parent_sender()
        g.to = f"{g.pick('appointments', 'frontdesk', 'nurse')}@{g.prac.domain}"
        body = (
            f"Hello,\n\nI got this from {g.given}'s school. Can we get {g.him()} in before the "
            f"{g.date(excl, 'md')}? {g.pick('I can do any afternoon.', 'Mornings are better for us.', 'We are available this week.')}\n"
            f"{g.pick('Thanks', 'Thank you so much')},\n{g.parent()}\n{g.parent_phone()}\n\n"
            + quote(notice)
        )
        return phi(
            g.pick(
                "Fwd: Notice of exclusion",
                "FW: missing shots",
                f"{g.given} {g.family} - school says missing vaccines",
            ),
            body,
        )
    if v == 1:
        g.practice_sender("Nurse")
        g.to = g.addr_of(nurse, sdom)
        given = [(m, g.day(-400, -30)) for m in missing[:1]]
        body = (
            f"Hi {nurse.split()[0]},\n\n{g.patient()} (DOB {g.dob()}) actually received "
            + ", ".join(f"{m} on {g.date(d)}" for m, d in given)
            + "; it looks like it never reached the registry. "
            + (
                f"{g.pick('The remaining', 'Other')} dose(s) ({', '.join(missing[1:])}) are scheduled for {g.date(g.day(1, 6))}. "
                if len(missing) > 1
                else ""
            )
            + "Updated record attached.\n\n"
            + g.sign(g.me, "RN")
            + "\n\n"
            + quote(notice)
        )
        att = txt(
            f"Immunization summary\n{g.formal()}  DOB {g.dob('us0')}\n"
            + "\n".join(f"{n}\t{x.isoformat()}" for n, x, _ in vax_history(g)[-5:])
            + "".join(f"\n{m}\t{d.isoformat()}\t(historical - entered today)" for m, d in given)
        )
        return phi(
            f"RE: Notice of exclusion - {g.family.upper()}",
            body,
            attachments=[("immunizations.txt", "text/plain", att)],
        )
    if v == 2:
        g.sender(f"{nurse}", g.addr_of(nurse, sdom))
        g.to = f"{g.pick('records', 'info', 'office')}@{g.prac.domain}"
        body = (
            f"Good afternoon,\n\nI'm the nurse at {school}. Could you confirm whether {g.given} {g.family}, "
            f"DOB {g.dob()}, has had {' and '.join(missing)}? Mom says {g.he()} was seen at your office "
            f"this summer. {g.pick('Exclusion date is', 'We have to exclude on')} {g.date(excl, 'dow')}.\n\n"
            f"{nurse}, {g.pick('RN', 'BSN, RN', 'LPN')}\n{school}\n{g.fmt_phone(g.prac.area)}"
            + g.school_disc()
        )
        return phi(
            g.pick(
                "Immunization verification",
                f"Student vaccine question - {g.family}",
                "Can you verify shots?",
            ),
            body,
        )
    g.practice_sender()
    g.to = g.addr_of(nurse, sdom)
    reason = g.pick(
        "is currently receiving chemotherapy for acute lymphoblastic leukemia",
        "had a severe allergic reaction (anaphylaxis) to a prior dose",
        "is on high-dose immunosuppression after a kidney transplant",
        "has a primary immunodeficiency under care of immunology",
    )
    body = (
        f"To the {school} Health Office:\n\nPlease accept the attached medical exemption for "
        f"{g.name_as()} (DOB {g.dob()}). The student {reason}; {', '.join(missing)} "
        f"{g.pick('is', 'are')} contraindicated at this time. We will re-evaluate in "
        f"{g.pick('6 months', '12 months', 'the spring')}.\n\n{g.doctor()}\n{g.prac.name}"
        + g.conf()
    )
    return phi("Medical exemption", body)


SPORTS = (
    "soccer",
    "football",
    "volleyball",
    "cross country",
    "basketball",
    "wrestling",
    "swim",
    "lacrosse",
    "softball",
    "cheer",
    "track",
)


def sports_physical_summary(g: Gen) -> Mail:
    g.child(11, 17)
    school, _d, sdom = g.school()
    at = g.other()
    ht, wt, _, _ = grown(g)
    sport = g.pick(*SPORTS)
    outcome = g.variant(4)
    clear, note = (
        ("Cleared for all sports without restriction", ""),
        (
            "Cleared with recommendations",
            g.pick(
                "Albuterol 2 puffs 15 min before practice; inhaler must be on sideline.",
                "Ankle brace for first 4 weeks; continue PT exercises.",
                "Carry glucose tabs; check BG before and after practice.",
            ),
        ),
        (
            "Not cleared pending further evaluation",
            g.pick(
                "Systolic murmur louder with standing - cardiology referral placed.",
                "Reported syncope during exercise in July - ECG/echo ordered.",
                "Concussion in May with persistent headaches - neuro follow-up first.",
            ),
        ),
        (
            "Cleared for all sports without restriction",
            g.pick(
                "Vision 20/40 R - advised eye exam.",
                "Reminded about hydration, history of heat cramps.",
            ),
        ),
    )[outcome]
    fields = [
        ("Name", g.name_as()), ("DOB", g.dob()), ("Age/Sex", f"{g.age()}/{g.child_sex}"),
        ("School", school), ("Sport(s)", sport), ("Exam date", g.date(g.day(-10, 0))),
        ("Height", ft_in(ht)), ("Weight", f"{wt} lb"), ("BP", bp(g)), ("Pulse", str(g.rng.randint(58, 96))),
        ("Vision", f"R 20/{g.pick('20', '20', '25', '30', '40')} L 20/{g.pick('20', '20', '25', '30')}"),
        ("Clearance", clear),
    ]  # fmt: skip
    if note:
        fields.append(("Notes", note))
    doc = g.doctor()
    v = g.variant(4)
    if v == 0:
        g.practice_sender()
        g.to = g.addr_of(at, sdom)
        body = (
            f"{at.split()[0]},\n\nPre-participation physical evaluation summary below.\n\n"
            + "\n".join(f"{k + ':':<12}{val}" for k, val in fields)
            + f"\n\nExamining provider: {doc}\n\n"
            + g.sign(g.me)
            + g.conf()
        )
        return phi(
            g.pick("PPE clearance", f"Sports physical - {g.family}", "Athletic clearance form"),
            body,
        )
    if v == 1:
        g.practice_box("forms")
        g.to = g.addr_of(at, sdom)
        inner = (
            paras(
                f"Coach {at.split()[-1]},",
                "The pre-participation physical for the athlete below has been completed.",
            )
            + kv_table(fields)
            + paras(f"Signed: {doc}")
        )
        return phi(
            f"PPE - {g.formal()}",
            html_page(
                "Preparticipation Physical Evaluation - Medical Eligibility", inner, color="#1d4e89"
            ),
            html=True,
        )
    if v == 2:
        g.parent_sender()
        g.to = g.addr_of(at, sdom)
        att = txt(
            "PREPARTICIPATION PHYSICAL EVALUATION\nMEDICAL ELIGIBILITY FORM\n\n"
            + "\n".join(f"{k}: {val}" for k, val in fields)
            + f"\n\nPhysician: {doc}\n{g.prac.name}\n"
        )
        body = (
            f"Hi Coach {at.split()[-1]},\n\nAttached is {g.given}'s physical for {sport}. "
            f"{g.pick('See you at tryouts!', 'Let me know if you need the concussion form too.', '')}\n\n{g.parent_given}"
        )
        return phi(
            g.pick("physical form", f"{g.given} {g.family} sports physical", "PPE form attached"),
            body,
            attachments=[(f"PPE_{slug(g.family)}.txt", "text/plain", att)],
            where=("body", "attachment"),
        )
    g.sender(at, g.addr_of(at, sdom))
    g.to = f"{g.pick('frontdesk', 'forms', 'info')}@{g.prac.domain}"
    body = (
        f'Hello - the form you sent for {g.patient()} ({sport}) says "{clear}". '
        f"{g.pick('Can you tell me what follow-up is needed before ' + g.he() + ' can practice?', 'Do you have an update? Season starts ' + g.date(g.day(3, 12), 'md') + '.', 'Is there a separate cardiology clearance we should expect?')}\n"
        f"{'Note on form: ' + note if note else ''}\n\n{at}\nAthletic Trainer, {school}"
        + g.school_disc()
    )
    return phi(g.pick("question about clearance", f"RE: PPE {g.family}", "Athlete clearance"), body)


CAMPS = (
    "Camp Tall Pines",
    "Lakeview YMCA Day Camp",
    "Camp Kinder Ring",
    "Camp Sunrise",
    "Wilderness Ridge Camp",
    "Camp Hope (diabetes camp)",
    "Blue Lake Scout Camp",
)


def camp_medical_form(g: Gen) -> Mail:
    g.child(6, 15)
    camp = g.pick(*CAMPS)
    cdom = f"{slug(camp.split('(')[0])}.example"
    director = g.other()
    allergy = g.rng.choice(ALLERGIES)
    meds = g.rng.sample(DAILY_MEDS, g.rng.randint(1, 2))
    prn = g.rng.choice(PRN_MEDS)
    session = g.pick(
        "Session 2 (Jul 6-19)", "Week 4", "Full summer", "Session B", "August mini-camp"
    )
    cabin = g.pick("Cabin 7", "Birch", "Bunk 12", "Otters group", "Cabin 3B")
    v = g.variant(4)
    if v == 0:
        g.sender(director, g.addr_of(director, cdom))
        g.to_parent()
        body = (
            f"Dear {g.parent_given},\n\nThank you for submitting {g.given}'s health form for {session}. "
            f"Before arrival we still need:\n\n- Physician signature on the medication form for {meds[0][0]}\n"
            f"- A current {allergy[0]} action plan ({g.given} reacts with {allergy[1]})\n"
            f"- {prn[0]} x2, in original pharmacy packaging\n\nYou can upload these in the CampDoc portal. "
            f"{g.given} is in {cabin}.\n\n{director}\nHealth Center Director, {camp}"
        )
        return phi(
            g.pick(
                "Action needed: health form",
                f"{g.given}'s camp health form",
                "Missing items - camp medical",
            ),
            body,
        )
    if v == 1:
        g.practice_sender()
        g.to = g.addr_of(director, cdom)
        rows = [
            (m[0], m[1], m[2], g.pick("8:00 AM", "breakfast", "bedtime", "8am & 8pm")) for m in meds
        ]
        rows.append((prn[0], prn[1], "PRN", "as needed"))
        data = csv_bytes(
            ("camper", "dob", "medication", "directions", "reason", "time"),
            [(g.patient(), g.dob("us0"), *r) for r in rows],
        )
        body = (
            f"Attached is the signed medication administration authorization for {g.given} "
            f"{g.family[0]}. (DOB {g.dob()}).\nAllergy: {allergy[0]} - {allergy[1]}.\n\n"
            + g.sign(g.me)
        )
        return phi(
            "Camp medication authorization",
            body,
            attachments=[(f"camp_meds_{slug(g.family)}.csv", "text/csv", data)],
            where=("body", "attachment"),
        )
    if v == 2:
        g.parent_sender()
        g.to = g.addr_of(director, cdom)
        tbl = html_table(
            ("Medication", "Dose / directions", "For"),
            [(m[0], m[1], m[2]) for m in meds] + [(prn[0], prn[1], "as needed")],
        )
        inner = (
            paras(
                f"Hi {director.split()[0]},",
                f"Here is the info for {g.patient()} ({cabin}, {session}). Birthday {g.dob('long')}.",
                f"ALLERGY: {allergy[0].upper()} - {allergy[1]}.",
            )
            + tbl
            + paras(
                f"Insurance: {g.insurer()}, member ID {g.medicaid_id()}",
                f"Emergency contact: {g.parent()} {g.parent_phone()}",
                "Thanks!",
            )
        )
        return phi(
            f"Camper health info - {g.given} {g.family}",
            f"<html><body>{inner}</body></html>",
            html=True,
        )
    g.sender(director, g.addr_of(director, cdom))
    g.to = f"{g.pick('nurse', 'triage', 'info')}@{g.prac.domain}"
    body = (
        f"Hi, this is the camp nurse at {camp}. Your patient {g.formal()} (DOB {g.dob()}) "
        f"{g.pick('had a low-grade fever (100.9) and sore throat this morning', 'was stung on the forearm; local swelling, no breathing issues', 'ran out of ' + meds[0][0] + ' - parent said to contact you', 'had a wheezing episode on the hike, used albuterol x2 with relief')}. "
        f"Parent ({g.parent()}, {g.parent_phone()}) is aware. Please call {g.fmt_phone()} with any instructions.\n\n{director}, RN"
    )
    return phi(
        g.pick(
            "Camper - your patient", "Call back please - camp health center", f"{g.family} at camp"
        ),
        body,
    )


def asthma_epipen_school_plan(g: Gen) -> Mail:
    g.child(4, 16)
    school, _d, sdom = g.school()
    nurse = g.other()
    kind = g.variant(3)
    doc = g.doctor()
    if kind == 0:
        title = "Asthma Action Plan"
        ctrl = g.rng.choice([m for m in DAILY_MEDS if m[2] == "asthma"])
        zones = [
            (
                "GREEN - doing well",
                f"{ctrl[0]}: {ctrl[1]}. Peak flow above {g.rng.randint(220, 330)}.",
            ),
            ("YELLOW - getting worse", "Albuterol 2-4 puffs every 4 hours; notify parent."),
            (
                "RED - medical alert",
                "Albuterol 6 puffs now, call 911 if lips blue or trouble walking/talking.",
            ),
        ]
        extra = f"Triggers: {g.pick('exercise, cold air', 'dust, pollen, colds', 'smoke, strong odors')}. Self-carry inhaler: {g.pick('YES', 'NO')}"
    elif kind == 1:
        title = "Allergy & Anaphylaxis Emergency Plan"
        allergy = g.rng.choice(ALLERGIES[:3] + ALLERGIES[9:])
        dose = "0.15 mg" if g.age() < 8 else "0.3 mg"
        zones = [
            ("Allergy", allergy[0]),
            (
                "Severe symptoms",
                "Inject epinephrine immediately, call 911, give 2nd dose in 5 min if no improvement.",
            ),
            ("Mild symptoms", "Antihistamine, stay with student, watch closely."),
        ]
        extra = f"Epinephrine {dose} auto-injector. Student may self-carry: {g.pick('Yes', 'No')}. Asthma: {g.pick('Yes (higher risk)', 'No')}"
    else:
        title = "Seizure Action Plan"
        zones = [
            (
                "Diagnosis",
                g.pick("Childhood absence epilepsy", "Focal epilepsy", "Generalized epilepsy"),
            ),
            (
                "Daily med",
                g.pick(
                    "levetiracetam 250 mg BID",
                    "ethosuximide 250 mg BID",
                    "oxcarbazepine 300 mg BID",
                ),
            ),
            ("Rescue", "Nayzilam 5 mg intranasal if seizure > 5 min; call 911"),
        ]
        extra = f"Typical seizure: {g.pick('staring 10-20 sec', 'right arm jerking 1-2 min', 'generalized shaking under 2 min')}"
    ident = [
        ("Student", g.name_as()),
        ("DOB", g.dob()),
        ("School/Grade", f"{school} / {g.grade()}"),
        ("Parent", f"{g.parent()} {g.parent_phone()}"),
    ]
    v = g.variant(4)
    if v == 0:
        g.practice_sender()
        g.to = g.addr_of(nurse, sdom)
        body = (
            f"{title.upper()} - {g.when_sent.year}-{g.when_sent.year + 1} school year\n\n"
            + "\n".join(f"{k}: {val}" for k, val in ident)
            + "\n\n"
            + "\n".join(f"[{z}] {t}" for z, t in zones)
            + f"\n\n{extra}\n\nPrescriber: {doc}\n{g.prac.name} {g.prac.phone}"
            + g.conf()
        )
        return phi(g.pick(title, f"{title} - {g.family}", "School medication forms"), body)
    if v == 1:
        g.practice_box("forms")
        g.to = g.addr_of(nurse, sdom)
        inner = (
            kv_table(ident)
            + "<br>"
            + html_table(("Zone / item", "Instructions"), zones)
            + paras(extra, f"Authorized by {doc}, {g.date(g.day(-5, 0))}")
        )
        return phi(
            f"{title}: {g.given} {g.family}", html_page(title, inner, color="#a02b2b"), html=True
        )
    if v == 2:
        g.parent_sender()
        g.to = g.addr_of(nurse, sdom)
        att = txt(
            f"{title}\n\n"
            + "\n".join(f"{k}: {val}" for k, val in ident)
            + "\n\n"
            + "\n".join(f"{z}: {t}" for z, t in zones)
            + f"\n{extra}\nPhysician: {doc}\n"
        )
        body = (
            f"{g.pick('Hi', 'Hello')} {nurse.split()[0]},\n\n{g.pick('Attached is the form from the doctor.', 'Here is the updated plan for this year.', 'Dr signed this today.')} "
            f"I'll drop off the {g.pick('inhaler and spacer', 'two EpiPens', 'medicine')} {g.pick('Monday', 'on the first day', 'tomorrow morning')}.\n\n{g.parent_given}"
        )
        return phi(
            g.pick("med form", "Action plan for school", "forms"),
            body,
            attachments=[(f"{slug(title)}_{slug(g.given)}.txt", "text/plain", att)],
            where=("attachment",),
        )
    g.sender(nurse, g.addr_of(nurse, sdom))
    g.to = f"{g.pick('forms', 'nurse', 'info')}@{g.prac.domain}"
    body = (
        f"Hello, the {title.lower()} we received for {g.given.upper()} {g.family.upper()} ({g.dob('us')}) "
        f"{g.pick('is missing the prescriber signature', 'lists a dose that does not match the pharmacy label', 'is from last school year')}. "
        f"Can you send an updated one? {g.he().capitalize()} can't {g.pick('carry the inhaler', 'keep the EpiPen in class', 'go on the field trip')} until we have it.\n\n"
        f"Thank you,\n{nurse}, RN\n{school}" + g.school_disc()
    )
    return phi(g.pick("Need updated form", f"RE: {title}", "school health form"), body)


DX_504 = (
    (
        "ADHD, combined presentation (F90.2)",
        ("preferential seating near instruction", "extended time (1.5x) on tests", "breaks every 30 minutes",
         "testing in a reduced-distraction setting", "a copy of class notes", "chunked assignments"),
        "{he} started methylphenidate this spring with partial response.",
        "We are also increasing the Concerta dose next week.",
    ),
    (
        "ADHD, predominantly inattentive presentation (F90.0)",
        ("preferential seating near instruction", "extended time (1.5x) on tests", "a copy of class notes",
         "written homework reminders sent home"),
        "Rating scales from parent and teacher are consistent with this diagnosis.",
        "We are trying guanfacine first, before a stimulant.",
    ),
    (
        "autism spectrum disorder, level 1 (F84.0)",
        ("use of noise-cancelling headphones", "a visual schedule and advance notice of changes",
         "a quiet space for breaks", "social skills group", "speech-language services"),
        "{he} was diagnosed by developmental pediatrics and receives ABA therapy outside school.",
        "The developmental pediatrician appointment is in October.",
    ),
    (
        "generalized anxiety disorder (F41.1)",
        ("check-in with counselor twice weekly", "testing in a reduced-distraction setting",
         "a pass to see the counselor when anxious", "extended time (1.5x) on tests"),
        "Symptoms significantly affect attendance and work completion; {he} is in weekly therapy.",
        "Dr. started sertraline last week.",
    ),
    (
        "type 1 diabetes (E10.9)",
        ("blood sugar checks in class", "access to water and restroom without asking",
         "snacks and glucose tabs at desk", "excused absences for endocrinology visits",
         "trained staff for glucagon on field trips"),
        "{he} uses a Dexcom CGM and an insulin pump; {his} diabetes medical management plan is attached.",
        "The endo changed the carb ratio, new DMMP to follow.",
    ),
    (
        "Crohn's disease (K50.90)",
        ("access to water and restroom without asking", "modified homework load during flares",
         "excused absences for infusions", "a copy of class notes"),
        "{he} receives infliximab infusions every 8 weeks.",
        "The next infusion is on a Tuesday so we will miss the morning.",
    ),
)  # fmt: skip


def school_504_iep_letter(g: Gen) -> Mail:
    g.child(5, 16)
    school, _d, sdom = g.school()
    counselor = g.other()
    dx, acc_pool, status, nxt = g.rng.choice(DX_504)
    acc = g.rng.sample(list(acc_pool), min(4, len(acc_pool)))
    doc = g.doctor()
    v = g.variant(4)
    if v in (0, 1):
        g.practice_sender()
        g.to = g.addr_of(counselor, sdom)
        letter = (
            f"{g.date(g.when_sent.date(), 'long')}\n\nRe: {g.name_as()}   DOB: {g.dob()}\n\nTo the "
            f"{g.pick('504 Team', 'IEP Team', 'Student Support Team')} at {school}:\n\n{g.given} is a patient "
            f"in our practice and carries a diagnosis of {dx}. "
            f"{status.format(he=g.he().capitalize(), his=g.his())} "
            f"I recommend the following accommodations:\n\n"
            + "\n".join(f"  - {a}" for a in acc)
            + f"\n\nPlease contact me with questions.\n\n{doc}\n{g.prac.name}\n{g.prac.phone}"
        )
        if v == 0:
            body = (
                f"{counselor.split()[0]},\n\nLetter from {doc} below, at the family's request.\n\n{letter}"
                + g.conf()
            )
            return phi(
                g.pick("Letter for 504 meeting", f"504 letter - {g.family}", "Supporting letter"),
                body,
            )
        body = (
            f"Hello,\n\nPlease see the attached letter for the upcoming meeting.\n\n{g.sign(g.me)}"
            + g.conf()
        )
        return phi(
            g.pick(
                "Letter attached", "Documentation for school team", "RE: 504 plan documentation"
            ),
            body,
            attachments=[(f"504_letter_{slug(g.family)}.txt", "text/plain", txt(letter))],
            where=("attachment",),
        )
    if v == 2:
        psych = g.other()
        g.sender(psych, g.addr_of(psych, sdom))
        g.to = f"{g.pick('records', 'medicalrecords', 'frontdesk')}@{g.prac.domain}"
        body = (
            f"Good morning,\n\nI am completing an initial special education evaluation for {g.patient()} "
            f"(DOB {g.dob()}), {g.grade()} at {school}. {g.parent()} signed the attached release. "
            f"Could you send any developmental history, hearing and vision results, and records related to "
            f"{g.pick('the ADHD diagnosis and current medication', 'the autism evaluation referral', 'speech delay and the early intervention referral', 'the recent anxiety visits')}?\n\n"
            f"{psych}, Ed.S., NCSP\nSchool Psychologist" + g.school_disc()
        )
        return phi(
            g.pick(
                "Records request - special education evaluation",
                "Release of information",
                f"Evaluation - {g.family.upper()}",
            ),
            body,
        )
    g.parent_sender()
    g.to = g.addr_of(counselor, sdom)
    body = (
        f"Hi {counselor.split()[0]},\n\nFollowing up from the meeting. {doc} confirmed {g.given}'s diagnosis "
        f"({dx.split(' (')[0]}) and is writing the letter. {g.pick(nxt, 'Can we add ' + acc[0] + ' to the plan now?')}\n\n"
        f"{g.parent()}\n(parent of {g.given}, {g.grade()})"
    )
    return phi(g.pick("RE: 504 meeting", f"{g.given} - plan", "Follow up"), body)


ILLNESS = (
    ("hand, foot and mouth disease", "fever-free 24 hours and able to participate; blisters may still be present"),
    ("strep throat", "after 12 hours of amoxicillin and fever-free"),
    ("RSV bronchiolitis", "fever-free 24 hours without medication; cough may continue 2-3 weeks"),
    ("acute gastroenteritis", "no vomiting or diarrhea for 24 hours"),
    ("impetigo", "after 24 hours of mupirocin; keep lesions covered"),
    ("COVID-19", "fever-free 24 hours and symptoms improving; mask for 5 days"),
    ("influenza A", "fever-free 24 hours without ibuprofen/acetaminophen"),
    ("croup", "fever-free; barky cough may linger"),
    ("ear infection", "no restrictions; amoxicillin twice daily for 10 days"),
)  # fmt: skip


def daycare_return_note(g: Gen) -> Mail:
    g.child(0, 5)
    ill, rule = g.rng.choice(ILLNESS)
    center = g.pick(
        "Little Sprouts Learning Center",
        "KinderCare",
        "Bright Horizons",
        "Tiny Tots Child Care",
        "Sunshine Montessori",
        "ABC Early Learning",
        "La Petite Academy",
    )
    cdom = f"{slug(center)}.example"
    director = g.other()
    seen = g.day(-3, 0)
    back = seen + dt.timedelta(days=g.rng.randint(1, 3))
    v = g.variant(4)
    note = (
        f"{g.prac.name}\n{g.prac.address}, {g.prac.city}, {g.prac.state}\n\n{g.pick('RETURN TO CHILD CARE', 'Child Care / School Note', 'Medical Clearance')}\n\n"
        f"{g.name_as()} (DOB {g.dob()}) was seen in our office on {g.date(seen)} for {ill}.\n"
        f"{g.he().capitalize()} may return on {g.date(back)} - {rule}.\n\n{g.doctor()}"
    )
    if v == 0:
        g.practice_sender()
        g.to = g.addr_of(director, cdom)
        return phi(
            g.pick("Return to care note", f"Note - {g.given} {g.family[0]}.", "Clearance note"),
            f"Hello,\n\nSee note below at parent's request.\n\n{note}" + g.conf(),
        )
    if v == 1:
        g.parent_sender()
        g.to = g.addr_of(director, cdom)
        body = f"Hi {director.split()[0]}! {g.nick()} is feeling better. Doctor's note attached, ok to come back {g.date(back, 'dow')}?\n\n{g.parent_given}\nSent from my iPhone"
        return phi(
            g.pick("note", f"{g.nick()} back {g.date(back, 'md')}", "Dr note"),
            body,
            attachments=[("note.txt", "text/plain", txt(note))],
            where=("attachment",),
        )
    if v == 2:
        g.sender(director, g.addr_of(director, cdom))
        g.to = g.parent_email()
        orig = (
            f"On {g.stamp(g.when_sent - dt.timedelta(hours=5))}, {g.parent()} <{g.parent_email()}> wrote:\n"
            + quote(
                f"{g.given} was diagnosed with {ill} yesterday. {g.pick('Pediatrician', 'Dr')} said {g.he()} can come back {rule.split(';')[0]}."
            )
        )
        body = (
            f"Thanks {g.parent_given}. Per our licensing rules we need a written note from the provider "
            f"before {g.given} returns. We'll also send a general exposure notice to the {g.pick('Toddler 2', 'Infant', 'Butterfly', 'Preschool B')} room (no names).\n\n"
            f"{director}\nDirector, {center}\n\n{orig}"
        )
        return phi(f"RE: {g.given} out sick", body)
    g.practice_box("portal")
    g.to_parent()
    inner = paras(
        f"Dear {g.parent()},",
        f"A document has been shared with you for {g.patient()}:",
        f"School/Child Care Excuse - {ill} - visit {g.date(seen)}",
        f"Return date: {g.date(back)}",
        "Log in to the patient portal to print or forward it.",
    )
    return phi(
        f"New document available for {g.given}",
        html_page(g.prac.name, inner, "This is an automated message. Please do not reply."),
        html=True,
    )


FORMULAS = (
    "Nutramigen",
    "Similac Alimentum",
    "EleCare Infant",
    "Neocate Infant",
    "PurAmino",
    "Enfamil Gentlease",
    "PediaSure 1.0",
    "Similac NeoSure",
)


def wic_referral(g: Gen) -> Mail:
    if g.rng.random() < 0.7:
        g.child(0, 4)
    else:
        g.newborn(20, 300)
    wic = f"{g.prac.city} {g.pick('WIC Clinic', 'County WIC', 'WIC Program')}"
    wdom = f"{slug(g.prac.city)}wic.example"
    formula = g.pick(*FORMULAS[:6]) if g.age() < 1 else g.pick(*FORMULAS[5:])
    dx = g.pick(
        "cow's milk protein allergy (K52.29)", "failure to thrive (R62.51)", "iron deficiency anemia (D50.9)",
        "prematurity 32 wks, ex-NICU (P07.35)", "GERD with poor weight gain (K21.9)", "underweight (R63.6)",
    )  # fmt: skip
    hgb = round(g.rng.uniform(8.9, 12.4), 1)
    wt_kg = round(3 + g.age_months() * 0.35 + g.rng.uniform(-0.8, 0.8), 2)
    fields = [
        ("Participant", g.name_as()), ("DOB", g.dob()), ("Parent/Guardian", g.parent()), ("Address", g.home_address()),
        ("Phone", g.parent_phone()), ("Medicaid #", g.medicaid_id()), ("Diagnosis", dx), ("Hgb", f"{hgb} g/dL ({g.date(g.day(-20, 0), 'us')})"),
        ("Weight", f"{wt_kg} kg ({ordinal(g.rng.randint(1, 15))} %ile)"), ("Formula", f"{formula}, {g.rng.choice((6, 8, 9, 10))} cans/month x {g.rng.choice((3, 6))} months"),
    ]  # fmt: skip
    wname = g.other()
    v = g.variant(4)
    if v == 0:
        g.practice_sender()
        g.to = g.addr_of(wname, wdom)
        body = (
            "WIC MEDICAL DOCUMENTATION FORM\n\n"
            + "\n".join(f"{k}: {val}" for k, val in fields)
            + f"\n\nHealth care provider: {g.doctor()}  NPI {g.digits(10)}\n{g.prac.name}  {g.prac.phone}"
            + g.conf()
        )
        return phi(g.pick("WIC medical documentation", "WIC form", f"WIC - {g.family}"), body)
    if v == 1:
        g.practice_box("referrals")
        g.to = f"{g.pick('intake', 'referrals', 'nutrition')}@{wdom}"
        inner = (
            paras("Please enroll / continue the following participant:")
            + kv_table(fields)
            + paras(f"Referring clinician: {g.doctor()}")
        )
        return phi(
            f"WIC Referral: {g.formal()}",
            html_page(f"{g.prac.name} - WIC Referral", inner, color="#6b4e9b"),
            html=True,
        )
    if v == 2:
        g.sender(wname, g.addr_of(wname, wdom))
        g.to = f"{g.pick('nurse', 'forms', 'info')}@{g.prac.domain}"
        body = (
            f"Hi,\n\nMom ({g.parent()}) came in today requesting {formula} for {g.given}, DOB {g.dob()}. "
            f"We need a new medical documentation form - the one on file expired {g.date(g.day(-30, -2))}. "
            f"Diagnosis on last form: {dx}.\n\nThanks,\n{wname}, RD\n{wic}"
        )
        return phi(
            g.pick("Need updated WIC form", "Formula documentation", f"{g.given} {g.family} - WIC"),
            body,
        )
    g.practice_sender()
    g.to = g.addr_of(wname, wdom)
    data = csv_bytes(tuple(k for k, _ in fields), [tuple(val for _, val in fields)])
    body = f"{wname.split()[0]}, form attached for the family we discussed. Hgb {hgb}.\n\n{g.me}\n{g.prac.name}"
    return phi(
        "WIC documentation",
        body,
        attachments=[("wic_form.csv", "text/csv", data)],
        where=("attachment",),
    )


def lead_screening_followup(g: Gen) -> Mail:
    g.child(1, 5)
    cap = round(g.rng.uniform(3.6, 14.8), 1)
    ven = round(cap * g.rng.uniform(0.6, 1.1), 1)
    drawn = g.day(-21, -2)
    v = g.variant(4)
    if v == 0:
        g.practice_sender("Nurse")
        g.to_parent()
        body = (
            f"Hi {g.parent_given},\n\n{g.given}'s {g.pick('finger-stick', 'capillary', 'screening')} lead test from "
            f"{g.date(drawn)} came back at {cap} mcg/dL. The CDC reference value is 3.5, so "
            f"{g.pick('we would like a venous (arm) blood draw to confirm it', 'we need to recheck it with a blood draw from the arm')} "
            f"within {g.pick('1 month', '1-3 months', '2 weeks')}. Lab order is in for {g.pick('Quest', 'Labcorp', 'our office')}.\n\n"
            "Tips in the meantime: wet-mop floors and window sills, wash hands before meals, and serve foods with iron and calcium.\n\n"
            + g.sign(g.me, "RN")
        )
        return phi(g.pick("Lead test result", f"{g.given}'s lead level", "Follow up on lab"), body)
    if v == 1:
        hd = f"{g.us.last_name()} County Health Department"
        cm = g.other()
        g.sender(cm, g.addr_of(cm, f"{slug(hd.split()[0])}county-health.example"))
        g.to = f"{g.pick('nurse', 'referrals', 'records')}@{g.prac.domain}"
        body = (
            f"{hd} - Childhood Lead Poisoning Prevention Program\n\nCASE NOTIFICATION\nChild: {g.formal()}\nDOB: {g.dob()}\n"
            f"Address: {g.home_address()}\nVenous BLL: {ven} ug/dL (collected {g.date(drawn, 'us0')})\nPrimary care: {g.prac.name}\n\n"
            f"An environmental investigation of the home (built {g.rng.randint(1905, 1975)}) is scheduled for {g.date(g.day(5, 20))}. "
            f"Please repeat venous BLL in {g.pick('1-3 months', '3 months')} and order CBC/ferritin.\n\n{cm}, Public Health Nurse"
        )
        return phi(
            g.pick(
                "Elevated BLL case notification", "Lead case - your patient", "CLPPP notification"
            ),
            body,
        )
    if v == 2:
        g.practice_box("results")
        g.to = f"{g.pick('chart', 'nurse-pool')}@{g.prac.domain}"
        tbl = text_table(
            ("Collected", "Type", "Result (ug/dL)", "Flag"),
            [
                (
                    g.date(drawn - dt.timedelta(days=g.rng.randint(80, 200)), "us0"),
                    "CAP",
                    str(round(cap * 0.7, 1)),
                    "",
                ),
                (g.date(drawn, "us0"), "VEN", str(ven), "H" if ven >= 3.5 else ""),
            ],
        )
        body = f"RESULT NOTIFICATION\nPatient: {g.formal()}  MRN {g.mrn()}  DOB {g.dob('us0')}\nTest: Lead, blood\n\n{tbl}\n\nOrdering: {g.doctor()}\nStatus: FINAL - needs review"
        return phi(f"[{g.prac.software}] Result: Lead, blood - {g.family.upper()}", body)
    g.parent_sender()
    g.to = f"{g.pick('nurse', 'frontdesk')}@{g.prac.domain}"
    body = (
        f"hi, my {g.kid()} {g.given} ({g.age()} yrs) had the lead test and the letter says {cap}. "
        f"we rent an old house on {g.home_address().split(',')[0]}. is this dangerous? should my other kids get tested too?\n\n{g.parent()}"
    )
    return phi(g.pick("lead test", "Question about letter", f"{g.given} lead"), body)


def newborn_bilirubin_recheck(g: Gen) -> Mail:
    g.newborn(2, 9)
    hol = g.rng.randint(36, 130)
    tcb = round(g.rng.uniform(9.5, 18.5), 1)
    thr = round(tcb + g.rng.uniform(-1.0, 4.0), 1)
    ga = f"{g.rng.randint(35, 40)}w{g.rng.randint(0, 6)}d"
    bw = g.rng.randint(2600, 4100)
    hosp = g.pick(
        "St. Mary's Medical Center",
        "Mercy Women's Hospital",
        f"{g.prac.city} General",
        "Providence Birth Center",
    )
    baby = g.pick(
        f"Baby {g.pick('Boy', 'Girl')} {g.family}", f"{g.family}, Baby {'Girl' if g.child_sex == 'F' else 'Boy'}",
        f"{g.given} {g.family}", f"BG {g.family.upper()}" if g.child_sex == "F" else f"BB {g.family.upper()}",
    )  # fmt: skip
    v = g.variant(4)
    if v == 0:
        g.practice_sender("Nurse")
        g.to = f"{g.pick('peds-nurses', 'triage', 'newborn')}@{g.prac.domain}"
        body = (
            f"Phone note {g.stamp()}\n\nCaller: {g.parent()} ({g.relation}) {g.parent_phone()}\nPatient: {baby}  DOB {g.dob('us0')}  MRN {g.mrn()}\n\n"
            f"{ga}, BW {bw} g, {g.pick('breastfeeding', 'breast + formula', 'formula')}. Seen yesterday, TcB {tcb} at {hol} hrs "
            f"(photo threshold {thr}). Mom reports {g.pick('6 wet diapers, yellow stools', 'sleepy, feeding every 3-4 hrs', 'more yellow today, down to the belly')}.\n"
            f"Plan: TSB recheck {g.pick('tomorrow 9 AM', 'today 2 PM', 'in 24 hrs')} at lab, then weight check.\n\n{g.me}, RN"
        )
        return phi(
            g.pick("Phone note - bili recheck", f"Bili recheck {g.family}", "Newborn callback"),
            body,
        )
    if v == 1:
        lab = "State Newborn Screening Program"
        g.sender(lab, f"nbs-followup@{slug(g.prac.state)}health.example")
        g.to = f"{g.pick('records', 'nurse', 'providers')}@{g.prac.domain}"
        cond = g.rng.choice(
            [
                ("Congenital hypothyroidism", "TSH 38 uIU/mL"),
                ("PKU", "Phe 3.1 mg/dL"),
                ("Cystic fibrosis", "IRT 92 ng/mL"),
                ("Galactosemia", "GALT activity low"),
            ]
        )
        body = (
            f"NEWBORN SCREENING - OUT OF RANGE RESULT\n\nInfant: {baby}\nDOB: {g.dob('us0')}  Birth facility: {hosp}\n"
            f"Mother: {g.parent()}\nScreen: {cond[0]} - {cond[1]}\n\nAction: {g.pick('Repeat filter paper specimen within 48 hours.', 'Confirmatory serum testing today; notify family.', 'Refer to metabolic clinic; call follow-up coordinator.')}\n"
            f"Please confirm receipt by reply.\n\nFollow-up Coordinator\n{lab}"
        )
        return phi(
            g.pick(
                "NBS out-of-range result - action required",
                f"Newborn screen: {g.family.upper()}",
                "URGENT: newborn screening",
            ),
            body,
        )
    if v == 2:
        g.practice_sender()
        g.to_parent()
        body = (
            f"Hi {g.parent_given},\n\nCongratulations again on {g.given}! "
            f"{g.pick('The bilirubin from this morning was', 'Today the bili level came back at')} {round(tcb - 0.8, 1)}, down from {tcb}, "
            f"so no more blood tests are needed. Keep feeding every 2-3 hours and we'll see {g.him()} at the "
            f"{g.pick('2-week', '1-week weight', '2 week')} check on {g.date(g.day(4, 10))}.\n\n"
            + g.sign(g.me)
        )
        return phi(g.pick("Bilirubin result", f"{g.given}'s result", "Good news"), body)
    g.sender(f"{hosp} Nursery", f"nursery@{slug(hosp)}.example")
    g.to = f"{g.pick('newborns', 'referrals', 'frontdesk')}@{g.prac.domain}"
    rows = [
        ("Infant", baby), ("DOB/time", f"{g.dob('us0')} {g.clock(0, 23)}"), ("GA / BW", f"{ga} / {bw} g"), ("Mother", f"{g.parent()}, {g.rng.randint(19, 41)} y, {g.pick('O+', 'O+', 'A+', 'B-')}"),
        ("Bili", f"TSB {tcb} @ {hol} h, LL {thr}"), ("Discharge", g.date(g.day(-1, 0))), ("PCP f/u", g.date(g.day(1, 2))),
    ]  # fmt: skip
    inner = (
        paras("Newborn discharge summary for follow-up in your office:")
        + kv_table(rows)
        + paras(
            f"Hep B given; hearing screen {g.pick('passed bilaterally', 'refer R ear - outpatient rescreen needed')}."
        )
    )
    return phi(f"Newborn discharge - {baby}", html_page(f"{hosp} Nursery", inner), html=True)


WELL = (
    (1, "12-month", "MMR, varicella, Hep A"), (2, "15-month", "DTaP, Hib"), (3, "18-month", "Hep A #2, flu"),
    (4, "4-year", "DTaP, IPV, MMR, varicella"), (11, "11-year", "Tdap, MenACWY, HPV"), (16, "16-year", "MenACWY booster, MenB"),
    (6, "annual", "flu vaccine"), (9, "annual", "flu"), (13, "annual", "HPV #2"),
)  # fmt: skip


def well_child_reminder(g: Gen) -> Mail:
    yrs, visit, shots = g.rng.choice(WELL)
    g.child(yrs, yrs)
    when = g.day(3, 30)
    v = g.variant(5)
    g.to_parent()
    if v == 0:
        g.practice_box(g.pick("reminders", "noreply", "appointments"))
        body = (
            f"Hi {g.parent_given}, this is {g.prac.name}. {g.given} is due for {g.his()} {visit} well visit"
            f"{g.pick('', ' and vaccines (' + shots + ')')}. Call {g.prac.phone} or book online: https://{g.prac.domain}/book\n"
            "Reply STOP to opt out."
        )
        return phi(
            g.pick("Checkup reminder", f"{g.given} is due for a checkup", "Well visit due"), body
        )
    if v == 1:
        g.practice_box("noreply")
        inner = (
            paras(
                f"Dear Parent/Guardian of {g.patient()},",
                f"Our records show {g.given} (born {g.dob('long')}) is due for a {visit} well-child exam. "
                f"Vaccines due at this visit: {shots}.",
                f"We have reserved {g.date(when, 'dow')} at {g.clock()} with {g.doctor()}. Please confirm.",
            )
            + "<p><a href='https://portal.example/confirm' style='background:#2e6b57;color:#fff;padding:6px 12px'>Confirm</a></p>"
        )
        return phi(
            f"Appointment for {g.given}",
            html_page(g.prac.name, inner, "Please do not reply to this message."),
            html=True,
        )
    if v == 2:
        g.practice_sender()
        body = (
            f"Hello {g.parent()},\n\nWe noticed {g.given} {g.pick('has not had a checkup since', 'missed the well visit scheduled on')} "
            f"{g.date(g.day(-400, -60))}. {g.pick('Sports and school forms also need a current physical.', 'Some vaccines are now overdue.', 'Your insurance covers one well visit per year at no cost.')} "
            f"Due: {shots}.\n\n" + g.sign(g.me)
        )
        return phi(
            g.pick(f"{g.given} - overdue checkup", "Overdue well visit", "We miss you!"), body
        )
    if v == 3:
        g.practice_box("appointments")
        body = (
            f"APPOINTMENT REMINDER\n\nPatient: {g.formal()}\nDate: {g.date(when)}  Time: {g.clock()}\nVisit: {visit.upper()} WELL CHILD"
            f" + {g.pick('IMMUNIZATIONS', 'VACCINES', 'SHOTS')}\nProvider: {g.doctor()}\nLocation: {g.prac.address}, {g.prac.city}\n\n"
            "Please bring your insurance card and any school forms. Arrive 15 minutes early."
        )
        return phi(
            g.pick(
                "Appointment reminder", f"Reminder: {g.date(when, 'md')}", "Upcoming appointment"
            ),
            body,
        )
    g.practice_box("reminders")
    body = f"{g.prac.name}: {g.nick()} ({g.dob('us')}) is due for {shots}. Reply Y to schedule."
    return phi(g.pick("Text message", "SMS", "Message from your pediatrician"), body)


def growth_weight_followup(g: Gen) -> Mail:
    g.child(2, 16)
    over = g.rng.random() < 0.65
    ht, wt, _, _ = grown(g)
    if over:
        wt = round(wt * g.rng.uniform(1.25, 1.6), 1)
    else:
        wt = round(wt * g.rng.uniform(0.72, 0.85), 1)
    pts = []
    gaps = sorted((g.rng.randint(80, 150) * i for i in range(1, 5)), reverse=True)
    for i, gap in zip(range(4, 0, -1), gaps, strict=True):
        d = g.when_sent.date() - dt.timedelta(days=gap)
        pts.append(
            (
                g.date(d, "us0"),
                f"{round(wt * (1 - i * g.rng.uniform(0.03, 0.07) * (1 if over else 0.3)), 1)} lb",
            )
        )
    pts.append((g.date(g.when_sent.date(), "us0"), f"{wt} lb"))
    bmi_pct = (
        g.pick("97th", "98th", "99th", ">99th", "96th")
        if over
        else g.pick("2nd", "<1st", "3rd", "4th")
    )
    v = g.variant(4)
    if v == 0:
        g.practice_sender()
        g.to_parent()
        body = (
            f"Hi {g.parent_given},\n\nThanks for coming in with {g.given}. As we discussed, {g.his()} BMI is at the {bmi_pct} percentile. "
            + (
                f"The labs came back: A1c {round(g.rng.uniform(5.4, 6.3), 1)}%, ALT {g.rng.randint(28, 70)}, triglycerides {g.rng.randint(120, 260)}. "
                f"I've placed a referral to the {g.pick('Healthy Weight clinic', 'dietitian', 'pediatric endocrinology')}."
                if over
                else f"I'd like a weight check in {g.pick('2 weeks', '1 month')} and I've referred {g.him()} to GI and nutrition. Try adding {g.pick('whole milk', 'PediaSure twice a day', 'calorie-dense snacks')}."
            )
            + "\n\nWeights:\n"
            + "\n".join(f"  {d}  {w}" for d, w in pts)
            + "\n\n"
            + g.sign(g.doctor())
        )
        return phi(
            g.pick(f"Follow-up for {g.given}", "Lab results and next steps", "From your visit"),
            body,
        )
    if v == 1:
        rd = g.other()
        g.practice_sender()
        g.to = g.addr_of(rd, f"{g.pick('childrens', 'kidsnutrition', 'healthyweight')}.example")
        inner = (
            paras(
                f"{rd.split()[0]},",
                f"Referral for {g.name_as()}, DOB {g.dob()}, for {'obesity (E66.9), BMI ' + bmi_pct + ' %ile' if over else 'poor weight gain (R62.51)'}.",
            )
            + html_table(("Date", "Weight"), pts)
            + paras(f"Height {ft_in(ht)}. Insurance {g.insurer()}.", g.me)
        )
        return phi(
            g.pick("Nutrition referral", f"Referral - {g.family}", "New referral"),
            f"<html><body>{inner}</body></html>",
            html=True,
        )
    if v == 2:
        g.parent_sender()
        g.to = f"{g.pick('nurse', 'drnotes', 'portal')}@{g.prac.domain}"
        body = (
            f"Hi Dr. {g.st.last_name()}, we weighed {g.given} at home and {g.he()} is {wt} lbs now. "
            f"{g.pick('Is that ok?', 'Should we still come on Friday?', 'The dietitian has a 3 month wait, any other options?')}\n\n"
            f"{g.parent_given} ({g.given}'s {g.relation})"
        )
        return phi(g.pick("weight", f"{g.given} weight", "question"), body)
    g.practice_box("reports")
    g.to = f"{g.pick('providers', 'care-team')}@{g.prac.domain}"
    data = csv_bytes(
        ("mrn", "name", "dob", "date", "weight_lb", "bmi_pct"),
        [(g.mrn(), g.formal(), g.dob("iso"), d, w, bmi_pct) for d, w in pts],
    )
    return phi(
        f"Growth chart export - {g.mrn()}",
        f"Growth data export attached ({len(pts)} rows). Generated {g.stamp()}.",
        attachments=[("growth_export.csv", "text/csv", data)],
        where=("subject", "attachment"),
    )


def adolescent_confidential_mixup(g: Gen) -> Mail:
    g.child(14, 17)
    common = (
        "STI testing follow-up",
        "PHQ-9 follow-up / depression",
        "substance use counseling",
        "gender-affirming care consult",
        "eating disorder screen follow-up",
    )
    female = (
        "contraception counseling - Nexplanon",
        "pregnancy test results",
        "Depo-Provera injection",
    )
    reason = g.pick(*(common + female if g.child_sex == "F" else common))  # fmt: skip
    appt = g.day(1, 14)
    mgr = g.staff()
    v = g.variant(3)
    if v == 0:
        g.practice_sender()
        g.to = g.addr_of(mgr, g.prac.domain)
        body = (
            f"{mgr.split()[0]},\n\nHeads up - the reminder for {g.patient()}'s confidential visit on {g.date(appt)} "
            f"({reason}) went to {g.parent_given} {g.parent_family}'s proxy account instead of the teen's. "
            f"{g.given} is {g.age()} (DOB {g.dob()}, MRN {g.mrn()}). Mom has already called asking about it. "
            f"I have not confirmed anything to her. Can you loop in {g.pick('privacy', 'compliance', 'Dr. ' + str(g.st.last_name()))}?\n\n{g.me}"
        )
        return phi(
            g.pick(
                "Confidential appt reminder sent to parent",
                "Possible privacy incident",
                "URGENT - proxy access issue",
            ),
            body,
        )
    if v == 1:
        g.parent_sender()
        g.to = f"{g.pick('info', 'frontdesk', 'billing')}@{g.prac.domain}"
        body = (
            f"Hello, I got a portal message about an appointment for my {g.kid()} {g.given} {g.family} on {g.date(appt)} "
            f'that I did not make. It says "{reason.split(" (")[0]}". {g.given} is {g.age()}. What is going on? '
            f"I am {g.his()} parent and I want to know.\n\n{g.parent()}\n{g.parent_phone()}"
        )
        orig_from = f"From: {g.parent()} <{g.parent_email()}>\nSent: {g.stamp(g.when_sent - dt.timedelta(hours=2))}\n"
        me = g.practice_sender()
        g.to = g.addr_of(mgr, g.prac.domain)
        fwd = (
            f"{mgr.split()[0]} -\n"
            + g.pick(
                "Please do not reply with details - confidential minor visit. Routing to Dr. "
                + str(g.st.last_name())
                + ".",
                "Forwarding to privacy. Do not discuss the visit reason with the parent.",
                "Mom is very upset. Can you call her? I did NOT confirm anything.",
            )
            + f"\n{me}"
        )
        body = orig_from + "\n" + body
        return phi(
            g.pick(
                "FW: appointment I didn't make",
                "Fwd: question about my daughter's appointment"
                if g.child_sex == "F"
                else "Fwd: question about my son's appointment",
            ),
            f"{fwd}\n\n-----Original Message-----\n{body}",
        )
    g.practice_box("compliance")
    g.to = f"{g.pick('privacy', 'compliance-log')}@{g.prac.domain}"
    rows = [
        ("Incident #", f"PI-{g.when_sent.year}-{g.digits(4)}"),
        ("Patient", f"{g.formal()} ({g.mrn()})"),
        ("DOB", g.dob()),
        ("Disclosed to", f"Parent proxy ({g.parent_email()})"),
        ("Info disclosed", f"Appointment {g.date(appt, 'us0')} - {reason}"),
        (
            "Cause",
            g.pick(
                "Adolescent confidentiality flag not set at 13",
                "Reminder template ignored proxy restriction",
                "Staff scheduled under parent's contact",
            ),
        ),
        ("Reported by", g.staff()),
    ]
    return phi(
        g.pick("Privacy incident log entry", "Incident report submitted"),
        "\n".join(f"{k:<16}{val}" for k, val in rows),
    )


def foster_care_records_request(g: Gen) -> Mail:
    g.child(0, 16)
    agency = g.pick(
        f"{g.us.last_name()} County Department of Children and Family Services",
        f"{g.prac.state} Department of Child Safety",
        "Children's Aid Society",
        f"{g.prac.city} CPS",
    )
    adom = f"{slug(agency.split()[0])}{g.pick('dcfs', 'cps', 'dhs')}.example"
    cw = g.other()
    case = f"{g.pick('', 'DCFS-', 'CPS ')}{g.digits(2)}-{g.digits(6)}"
    foster = g.other()
    health = g.pick(
        f"{g.he()} takes {g.pick('risperidone 0.5 mg', 'Adderall XR 10 mg', 'albuterol and Flovent', 'sertraline 50 mg')} per the previous provider",
        f"{g.he()} has a history of asthma and eczema", f"{g.he()} is behind on immunizations per the state registry",
        f"{g.he()} had a fracture evaluation at {g.pick('the children' + chr(39) + 's hospital', 'the ER')} last month", f"{g.he()} was born substance-exposed and is in early intervention",
    )  # fmt: skip
    v = g.variant(3)
    if v == 0:
        g.sender(cw, g.addr_of(cw, adom))
        g.to = f"{g.pick('records', 'medicalrecords', 'frontdesk')}@{g.prac.domain}"
        body = (
            f"Good afternoon,\n\nI am the assigned caseworker for {g.patient()}, DOB {g.dob()}, Case #{case}. "
            f"{g.he().capitalize()} was placed in foster care on {g.date(g.day(-20, -2))} with {foster}. "
            f"For the initial health screening we need immunization records, the last well exam, current medications "
            f"and allergies. Per the placing agency {health}.\n\nCourt order and consent attached per your policy.\n\n"
            f"{cw}\n{g.pick('Ongoing Caseworker', 'Child Protective Services Specialist', 'Foster Care Case Manager')}\n{agency}\n"
            "CONFIDENTIAL: This communication contains information protected by child welfare confidentiality statutes."
        )
        return phi(
            g.pick(
                "Records request - child in care",
                f"Medical records request: {g.family.upper()}",
                "ROI request",
            ),
            body,
        )
    if v == 1:
        g.practice_sender("Medical Records")
        g.to = g.addr_of(cw, adom)
        meds = (
            g.rng.choice(DAILY_MEDS)
            if g.age() >= 5
            else g.rng.choice(
                [
                    ("none", "", "eczema (hydrocortisone 1% PRN)"),
                    ("iron drops 15 mg", "1 mL daily", "iron deficiency"),
                    ("none", "", "developmental delay - early intervention"),
                    ("albuterol neb 2.5 mg", "every 4 hrs as needed", "reactive airway disease"),
                ]
            )
        )
        summary = (
            f"PATIENT SUMMARY\n{g.formal()}  DOB {g.dob('us0')}  MRN {g.mrn()}\n\nAllergies: {g.rng.choice(ALLERGIES)[0]}\n"
            f"Medications: {meds[0]}{' - ' + meds[1] if meds[1] else ''}\nProblems: {meds[2]}\nLast well visit: {g.date(g.day(-300, -30), 'us0')}\n"
            f"Immunizations: {g.pick('up to date', 'due for ' + ', '.join(missing_for_age(g)))}\n"
        )
        body = f"{cw.split()[0]},\n\nRecords for case {case} attached as requested.\n\n" + g.sign(
            g.me, "Medical Records"
        )
        return phi(
            g.pick(f"RE: Case {case}", "Requested records", "Records - child in care"),
            body,
            attachments=[("summary.txt", "text/plain", txt(summary))],
            where=("attachment",),
        )
    g.parent_sender()
    g.to = f"{g.pick('records', 'office', 'manager')}@{g.prac.domain}"
    body = (
        f"To whom it may concern,\n\nI share joint legal custody of {g.given} {g.family} (DOB {g.dob()}) with "
        f"{g.pick('my ex', 'the other parent', g.other())}. I was told I can't see the portal. I want copies of {g.his()} records since "
        f"{g.date(g.day(-500, -200), 'long')} including {g.pick('the ADHD medication changes', 'the ER follow-up', 'the therapist referral', 'anything about ' + g.his() + ' asthma')}. "
        f"Parenting plan attached.\n\n{g.parent()}\n{g.home_address()}"
    )
    return phi(
        g.pick("Request for my child's records", "Custody - records access", "Records"), body
    )


def dental_sealant_consent(g: Gen) -> Mail:
    g.child(6, 12)
    school, _d, sdom = g.school()
    prog = g.pick(
        "SmileSpot School Sealant Program",
        "Healthy Smiles Mobile Dental",
        f"{g.prac.city} School-Based Dental",
        "Bright Bites Sealant Program",
    )
    pdom = f"{slug(prog.split()[0])}dental.example"
    teacher = f"{g.pick('Ms.', 'Mr.', 'Mrs.')} {g.us.last_name()}"
    coord = g.other()
    v = g.variant(4)
    if v == 0:
        g.parent_sender()
        g.to = g.addr_of(coord, pdom)
        answers = [
            ("Student name", g.patient()), ("Date of birth", g.dob()), ("School / teacher", f"{school} / {teacher}"),
            ("Medicaid/CHIP #", g.medicaid_id()), ("Heart condition?", g.pick("No", "Yes - VSD repaired 2019")),
            ("Allergies", g.pick("None", "latex", "penicillin")), ("Bleeding problems?", "No"),
            ("Consent", "YES, I give permission for screening, sealants and fluoride varnish"),
        ]  # fmt: skip
        body = (
            "Dental program consent form\n\n"
            + "\n".join(f"{k}: {val}" for k, val in answers)
            + f"\n\nParent signature: {g.parent()}  Date: {g.date(g.when_sent.date(), 'us0')}"
        )
        return phi(g.pick("Consent form", f"Dental consent - {g.given}", "dental form"), body)
    if v == 1:
        g.sender(coord, g.addr_of(coord, pdom))
        g.to_parent()
        teeth = ", ".join(f"#{t}" for t in sorted(g.rng.sample([3, 14, 19, 30, 2, 15, 18, 31], 4)))
        body = (
            f"Dear Parent/Guardian of {g.given} {g.family},\n\nToday at {school} your child received: dental screening, "
            f"fluoride varnish and sealants on teeth {teeth}.\n\n"
            f"{g.pick('URGENT: We saw signs of a possible abscess. Please see a dentist within 1 week.', 'Follow-up needed: cavities observed. Please schedule a dental visit.', 'No urgent needs found. Keep brushing twice a day!')}\n\n"
            f"Billed to: {g.insurer()} ID {g.medicaid_id()}\n\n{coord}, RDH\n{prog}"
        )
        return phi(
            g.pick(
                "Your child's dental visit at school",
                "Dental screening results",
                f"{prog} - results",
            ),
            body,
        )
    if v == 2:
        g.sender(coord, g.addr_of(coord, pdom))
        nurse = g.other()
        g.to = g.addr_of(nurse, sdom)
        kids = [
            (g.formal(), g.grade(), teacher, g.pick("Urgent", "Restorative needed"), g.dob("us0"))
        ]
        for _ in range(g.rng.randint(3, 6)):
            f_, l_ = g.us.first_name(), g.us.last_name()
            kids.append(
                (
                    f"{l_.upper()}, {f_.upper()}",
                    g.grade(),
                    teacher,
                    g.pick("No obvious problem", "Restorative needed", "Sealants placed"),
                    fmt_date(g.dob_date() + dt.timedelta(days=g.rng.randint(-200, 200)), "us0"),
                )
            )
        data = csv_bytes(("student", "grade", "teacher", "result", "dob"), kids)
        body = f"{nurse.split()[0]},\n\nResults for {teacher}'s class attached. One student needs urgent follow-up - please call the family.\n\n{coord}"
        return phi(
            "Sealant day results",
            body,
            attachments=[("sealant_results.csv", "text/csv", data)],
            where=("attachment",),
        )
    g.sender(coord, g.addr_of(coord, pdom))
    g.to = f"{g.pick('referrals', 'dental', 'frontdesk')}@{g.prac.domain}"
    body = (
        f"Referral from school sealant program: {g.name_as()}, DOB {g.dob()}, {school}. "
        f"Findings: {g.pick('gross decay #K, #L, swelling near #30', 'early childhood caries, 4 teeth', 'broken #8, pain on chewing')}. "
        f"Parent: {g.parent()} {g.parent_phone()}. No dental home on file - please help connect to a {g.pick('Medicaid', 'sliding-fee')} dentist.\n\n{coord}"
    )
    return phi(g.pick("Dental referral", f"Urgent dental need - {g.family}", "Referral"), body)


def lice_pinkeye_note(g: Gen) -> Mail:
    g.child(3, 12)
    school, _d, sdom = g.school()
    nurse = g.other()
    cond = g.rng.choice([
        ("conjunctivitis", "polymyxin B/trimethoprim eye drops 1 drop 4x daily for 5 days", "after 24 hours of drops"),
        ("head lice", "permethrin 1% rinse today and repeat in 9 days; nit combing", "the morning after the first treatment"),
        ("tinea corporis (ringworm)", "clotrimazole cream twice daily, keep covered", "right away if covered"),
        ("scabies", "permethrin 5% cream tonight, repeat in 1 week", "after the first treatment"),
    ])  # fmt: skip
    v = g.variant(5)
    if v == 4:
        g.practice_sender()
        g.to = g.addr_of(nurse, sdom)
        back = g.day(1, 2)
        subj = g.pick(
            f"{g.given} {g.family} - {cond[0].split(' (')[0]} - back {g.date(back, 'md')}",
            f"{g.family.upper()}, {g.given.upper()} ({g.dob('us')}) {cond[0]}",
            f"{g.nick()} {g.family} ({g.grade()}) - seen today for {cond[0].split(' (')[0]}",
        )
        body = (
            g.pick(
                "FYI - note to follow by fax.",
                "Mom asked us to let you know. Note is in the backpack.",
                "See subject. Thx",
            )
            + f"\n\n{g.me}\n{g.prac.name}"
        )
        return phi(subj, body, where=("subject",))
    if v == 0:
        g.practice_sender()
        g.to = g.addr_of(nurse, sdom)
        body = f"{g.name_as()} seen today for {cond[0]}. Treatment: {cond[1]}. May return {cond[2]}.\n{g.doctor()}"
        return phi(g.pick("school note", f"Note: {g.given} {g.family}", "Return to school"), body)
    if v == 1:
        g.sender(nurse, g.addr_of(nurse, sdom))
        g.to_parent()
        body = (
            f"Dear {g.parent_given},\n\nDuring a check today I found {g.pick('live lice', 'redness and discharge in both eyes', 'a round rash on the arm')} on {g.given}. "
            f"Please pick {g.him()} up {g.pick('at the end of the day', 'by 1 PM', 'as soon as possible')}. {g.he().capitalize()} may return after "
            f"{g.pick('treatment', 'being seen by a doctor or starting drops')}; please bring a note.\n\n{nurse}, RN\n{school}\n{g.grade()}"
            + g.school_disc()
        )
        return phi(
            g.pick(
                "Health office notice",
                f"{g.given} - nurse's office",
                "Please call the health office",
            ),
            body,
        )
    if v == 2:
        g.parent_sender()
        g.to = g.addr_of(nurse, sdom)
        body = f"Hi, {g.given} ({g.grade()}) was seen for {cond[0]} and started {cond[1].split(' ')[0]} last night. OK to come back {cond[2]}? Note attached.\n{g.parent_given}"
        att = txt(
            f"{g.prac.name}\n{g.date(g.when_sent.date(), 'us0')}\nRe: {g.patient()} DOB {g.dob('us0')}\nDiagnosis: {cond[0]}\nPlan: {cond[1]}\nReturn: {cond[2]}\n{g.doctor()}"
        )
        return phi(
            g.pick("Re: health office", f"{g.given} back tomorrow", "note from Dr"),
            body,
            attachments=[("school_note.txt", "text/plain", att)],
        )
    g.practice_box("portal")
    g.to_parent()
    return phi(
        f"{g.given} {g.family}: after-visit summary",
        f"After Visit Summary - {g.date(g.when_sent.date())}\nPatient: {g.patient()}  DOB: {g.dob()}\nReason for visit: {cond[0]}\nInstructions: {cond[1]}\nSchool: may return {cond[2]}.",
    )


def vision_hearing_referral(g: Gen) -> Mail:
    g.child(4, 14)
    school, _d, sdom = g.school()
    nurse = g.other()
    vision = g.rng.random() < 0.6
    if vision:
        res = f"R 20/{g.pick('40', '50', '63', '32')}  L 20/{g.pick('20', '40', '80', '25')} ({g.pick('Snellen', 'HOTV', 'Spot vision screener - refer astigmatism', 'Plusoptix - refer anisometropia')})"
        what, to = (
            "vision",
            g.pick("an eye doctor (optometrist or ophthalmologist)", "pediatric ophthalmology"),
        )
    else:
        res = f"{g.pick('Right', 'Left', 'Both')} ear - no response at {g.pick('1000, 2000, 4000 Hz', '4000 Hz', '2000 Hz')} at 20 dB; tympanogram {g.pick('flat (Type B)', 'normal')}"
        what, to = "hearing", g.pick("your child's doctor", "audiology")
    sid = g.student_id()
    v = g.variant(4)
    if v == 0:
        g.sender(nurse, g.addr_of(nurse, sdom))
        g.to_parent()
        body = (
            f"{g.school()[1]}\nSCHOOL {what.upper()} SCREENING REFERRAL\n\nStudent: {g.name_as()}   ID: {sid}   {g.grade()}\n"
            f"Screen date: {g.date(g.day(-10, -1))}\nResult: {res}\n\nYour child did not pass the {what} screening and should be seen by {to}. "
            "Please have the provider complete the bottom of this form and return it to the health office.\n\n"
            f"{nurse}, School Nurse" + g.school_disc()
        )
        return phi(
            g.pick(
                f"{what.capitalize()} screening referral",
                "Screening results - action needed",
                f"Referral for {g.given}",
            ),
            body,
        )
    if v == 1:
        g.parent_sender()
        g.to = f"{g.pick('referrals', 'frontdesk', 'nurse')}@{g.prac.domain}"
        body = f"Hello, {g.given}'s school says {g.he()} failed the {what} test ({res.split(' (')[0]}). Do we need a referral for {g.insurer()}? {g.his().capitalize()} DOB is {g.dob()}.\nThanks, {g.parent()}"
        return phi(g.pick("referral needed", f"{what} test at school", "Question"), body)
    if v == 2:
        g.practice_box("referrals")
        spec = g.pick(
            "Pediatric Eye Associates",
            "Children's Hospital Audiology",
            "ClearView Pediatric Ophthalmology",
            "Hear Well Kids Audiology",
        )
        g.to = f"intake@{slug(spec)}.example"
        rows = [
            ("Patient", g.formal()),
            ("DOB", g.dob()),
            ("MRN", g.mrn()),
            ("Reason", f"Failed school {what} screen: {res}"),
            ("Insurance", f"{g.insurer()} #{g.medicaid_id()}"),
            ("Parent", f"{g.parent()} {g.parent_phone()}"),
            ("Referring", g.doctor()),
        ]
        inner = (
            paras("Outgoing referral")
            + kv_table(rows)
            + paras("Please schedule and send consult note to our office.")
        )
        return phi(
            g.pick("Referral", f"New referral - {g.family}", "Outgoing referral"),
            html_page(f"{g.prac.name} Referral", inner, color="#3b6ea5"),
            html=True,
        )
    g.practice_sender()
    g.to = g.addr_of(nurse, sdom)
    body = (
        f"Returning the {what} referral form for {g.patient()} (student ID {sid}). Seen {g.date(g.day(-5, 0))}: {g.pick('glasses prescribed', 'referred to ophthalmology', 'fluid behind eardrum, recheck in 6 weeks', 'referred to audiology for full testing')}.\n\n"
        + g.sign(g.me)
    )
    return phi(
        g.pick("RE: screening referral", "Referral form completed", f"{what} referral - completed"),
        body,
    )


def psychologist_referral(g: Gen) -> Mail:
    g.child(5, 16)
    psy = g.pick(
        "Dr. " + str(g.us.last_name()),
        f"{g.us.first_name()} {g.us.last_name()}, PhD",
        f"{g.us.first_name()} {g.us.last_name()}, PsyD",
    )
    org = g.pick(
        "Bridges Child Psychology", "Evergreen Behavioral Health", "BrightPath Child & Family",
        "Mindful Kids Psychological Services", "Lakeside Pediatric Neuropsychology",
    )  # fmt: skip
    pdom = f"{slug(org.split()[0])}{g.pick('psych', 'childpsychology', 'behavioral', 'health')}.example"
    kind = g.variant(4)
    hi, lo = g.rng.randint(6, 9), g.rng.randint(1, 4)
    dx = (
        "ADHD, combined presentation",
        "ADHD, inattentive presentation, with comorbid anxiety",
        "Autism spectrum disorder, level 1, and ADHD",
        "Generalized anxiety disorder and specific learning disorder (reading)",
    )[kind]
    scores = [
        ("Vanderbilt - parent", f"inattentive {hi}/9, hyperactive {hi if kind in (0, 2) else lo}/9" if kind < 3 else f"inattentive {lo}/9, hyperactive {lo}/9"),
        ("Vanderbilt - teacher", f"inattentive {max(hi - 1, 6)}/9, hyperactive {g.rng.randint(5, 8) if kind in (0, 2) else lo}/9" if kind < 3 else f"inattentive {lo + 1}/9, hyperactive {lo}/9"),
        ("WISC-V FSIQ", str(g.rng.randint(84, 124))),
        ("SCARED", f"{g.rng.randint(28, 48) if kind in (1, 3) else g.rng.randint(8, 22)} (cutoff 25)"),
        ("ADOS-2", "autism classification" if kind == 2 else "not administered"),
        ("WIAT-4 reading", f"SS {g.rng.randint(72, 84) if kind == 3 else g.rng.randint(92, 112)}"),
    ]  # fmt: skip
    v = g.variant(3)
    g.sender(psy, g.addr_of(psy, pdom))
    g.to = f"{g.pick('referrals', 'drdesk', 'records')}@{g.prac.domain}"
    if v == 0:
        body = (
            f"Dear Dr. {g.st.last_name()},\n\nI completed a psychological evaluation of your patient {g.patient()} (DOB {g.dob()}) on "
            f"{g.date(g.day(-20, -3))}. Results support {dx}. I'm referring {g.him()} back for a medication evaluation; "
            f"{(g.pick('parents are open to a stimulant trial', 'family would prefer a non-stimulant first', 'please also consider sleep - onset insomnia') if kind < 3 else g.pick('family is asking about an SSRI', 'please consider sertraline alongside CBT'))}.\n\n"
            + "\n".join(f"  {k}: {val}" for k, val in scores[: g.rng.randint(2, 5)])
            + f"\n\nFull report to follow by fax.\n\n{psy}\nLicensed Psychologist"
        )
        return phi(
            g.pick(
                "Referral for medication evaluation",
                f"Evaluation results - {g.family}",
                "Shared patient",
            ),
            body,
        )
    if v == 1:
        report = (
            f"PSYCHOLOGICAL EVALUATION - SUMMARY\nName: {g.formal()}\nDOB: {g.dob('us0')}\nAge: {g.age()}\nGrade: {g.grade()}\n"
            f"Referral question: attention, behavior and school performance\n\nScores:\n"
            + "\n".join(f"- {k}: {val}" for k, val in scores)
            + f"\n\nDiagnostic impressions: {dx}\nRecommendations: medication evaluation with PCP; 504 plan; parent training; follow-up in 6 months.\n\n{psy}"
        )
        body = f"Hello,\n\nPlease see attached summary for your patient. Parent consent on file.\n\n{psy}\n{org}"
        return phi(
            g.pick("Evaluation summary", "Report attached", "Confidential report"),
            body,
            attachments=[("eval_summary.txt", "text/plain", txt(report))],
            where=("attachment",),
        )
    body = (
        f"Hi - quick note: I've been seeing {g.given} {g.family[0]}. ({g.dob('us')}) weekly for {g.pick('anxiety', 'school refusal', 'behavior')} since {g.date(g.day(-150, -60), 'short')}. "
        f"{g.pick('Mom reports new tics.', 'Panic symptoms worsening, PHQ-A ' + str(g.rng.randint(11, 19)) + ', no SI.', 'Parents asking about an SSRI.')} Could you see {g.him()} soon? "
        f"{g.parent()} will call to schedule.\n\n{psy}"
    )
    return phi(
        g.pick("Mutual patient", f"{g.given} {g.family[0]}.", "Request for appointment"), body
    )


def parent_fever_rash_thread(g: Gen) -> Mail:
    g.child(0, 10)
    temp = g.pick("102.4", "101.8", "103.1", "104", "100.9", "39.2 C")
    sx = g.pick(
        f"fever of {temp} since yesterday and a red bumpy rash on the chest", f"temp {temp}, pulling at ears, not sleeping",
        "a rash all over after starting amoxicillin 3 days ago", f"fever {temp} and sores in the mouth, won't drink much",
        "a sandpaper rash and sore throat", f"fever {temp} for 4 days and red eyes, cracked lips",
    )  # fmt: skip
    parent_msg = (
        f"{g.pick('Hi', 'Hello', 'Good morning')}, my {g.kid()} {g.given}{g.pick(' ' + g.family, '', ' (' + g.dob('us') + ')', ' ' + g.family + ' (DOB ' + g.dob() + ')')} has {sx}. "
        f"{g.pick('Gave Tylenol at 6am.', 'Motrin helped a little.', 'Should I bring ' + g.him() + ' in?', 'Is this an allergy?')} {g.pick('Thank you!', 'Please call me', '')}"
    )
    advice = g.pick(
        "With fever more than 3 days we'd like to see "
        + g.him()
        + " today. We have a 3:40 with "
        + g.doctor()
        + ".",
        "A rash after amoxicillin can be a viral rash or an allergy. Please stop the amoxicillin and send a photo through the portal.",
        "Please alternate acetaminophen and ibuprofen for comfort and push fluids. Go to the ER if fewer than 3 wet diapers in 24 hours.",
        "Fever with red eyes and cracked lips needs to be seen today - please come in at 2 PM.",
    )
    v = g.variant(4)
    if v == 0:
        g.practice_sender("RN")
        g.to_parent()
        body = f"Hi {g.parent_given},\n\n{advice}\n\n{g.me}, RN\nNurse Triage Line\n\nOn {g.stamp(g.when_sent - dt.timedelta(minutes=g.rng.randint(20, 200)))}, {g.parent()} <{g.parent_email()}> wrote:\n{quote(parent_msg)}"
        return phi(g.pick(f"RE: {g.given} sick", "RE: fever", "RE: Rash question"), body)
    if v == 1:
        g.parent_sender()
        g.to = f"{g.pick('nurse', 'triage', 'askanurse')}@{g.prac.domain}"
        return phi(
            g.pick("fever", f"{g.given} rash", "sick kid", "question"),
            parent_msg + f"\n\n{g.parent()}\n{g.parent_phone()}\nSent from my phone",
            where=("body",),
        )
    if v == 2:
        g.parent_sender()
        g.to = f"{g.pick('nurse', 'triage')}@{g.prac.domain}"
        prev = (
            f"From: {g.prac.name} Nurse Line\nSent: {g.stamp(g.when_sent - dt.timedelta(hours=g.rng.randint(3, 20)))}\n\n{advice}\n\n"
            + quote(parent_msg)
        )
        body = f"{g.pick('Update:', 'Hi again,')} {g.given} {g.pick('still has fever today', 'is drinking better but rash is spreading', 'threw up twice')}. {g.pick('Can we come in?', 'Is that normal?', 'We are heading in now.')}\n\n{g.parent_given}\n\n{prev}"
        return phi(g.pick("RE: RE: fever", f"Re: {g.given}", "RE: question"), body)
    g.practice_box("portal")
    g.to = f"{g.pick('triage-queue', 'nursepool')}@{g.prac.domain}"
    inner = kv_table(
        [
            ("From", f"{g.parent()} (proxy for {g.patient()})"),
            ("Patient DOB", g.dob()),
            ("Category", g.pick("Medical question", "Sick child", "Symptoms")),
            ("Received", g.stamp()),
        ]
    ) + paras(parent_msg)
    return phi(
        f"New patient message: {g.patient()}",
        html_page(f"{g.prac.software} Inbox", inner, "Respond within 1 business day."),
        html=True,
    )


# ------------------------------------------------------------------------- clean families
def district_vaccine_requirements(g: Gen) -> Mail:
    _s, district, sdom = g.school()
    coord = g.other()
    g.sender(f"{district} Health Services", f"healthservices@{sdom}")
    g.to = g.pick(f"families@{sdom}", f"all-parents@{sdom}", f"pediatric-partners@{sdom}")
    yr = g.when_sent.year
    reqs = [
        ("Kindergarten", "DTaP (5), IPV (4), MMR (2), Varicella (2), Hep B (3)"),
        ("7th grade", "Tdap (1), MenACWY (1)"),
        ("12th grade", "MenACWY booster (1 dose at/after age 16)"),
        ("Child care / Pre-K", "Age-appropriate per ACIP schedule"),
    ]
    comp = g.rng.randint(86, 96)
    v = g.variant(4)
    if v == 3:
        g.to = g.pick(f"nurses@{sdom}", f"health-office-staff@{sdom}")
        tmpl = (
            "Dear Parent/Guardian of {{STUDENT_FIRST}} {{STUDENT_LAST}},\n\nOur records show "
            "{{STUDENT_FIRST}} (ID {{STUDENT_ID}}, Grade {{GRADE}}) is missing: {{MISSING_LIST}}.\n"
            "Please provide proof of vaccination by {{EXCLUSION_DATE}}.\n\n{{NURSE_NAME}}, School Nurse"
        )
        body = (
            f"Nurses,\n\nThe exclusion letter template for this year is below. Run the mail merge "
            f"from the SIS report 'IMM-Missing' on {g.date(g.day(2, 8), 'dow')}; do not paste student "
            f"names into email.\n\n---- TEMPLATE ----\n{tmpl}\n------------------\n\n{coord}\n"
            "District Nurse Coordinator"
        )
        return clean(g.pick("Exclusion letter template", "Mail merge: immunization letters"), body)
    if v == 0:
        body = (
            f"{district.upper()}\n{yr}-{yr + 1} SCHOOL IMMUNIZATION REQUIREMENTS\n\n"
            + "\n".join(f"{a:<20}{b}" for a, b in reqs)
            + f"\n\nStudents without proof of vaccination or a valid exemption will be excluded starting "
            f"{g.date(g.day(20, 45), 'long')}. Last year {comp}% of kindergarteners districtwide were fully vaccinated.\n\n"
            f"Questions: {coord}, District Nurse Coordinator, {g.fmt_phone()}" + g.school_disc()
        )
        return clean(
            g.pick(
                "Immunization requirements for the new school year",
                f"{yr}-{yr + 1} vaccine requirements",
            ),
            body,
        )
    if v == 1:
        inner = (
            paras(
                "Dear Families,", "Please review the vaccines required for school entry this fall:"
            )
            + html_table(("Grade", "Required"), reqs)
            + paras(
                "Exemption forms are available from the school nurse. Student Name: ____________ Grade: ____ (tear-off for nurse's office)",
                f"Free vaccine clinics: {g.date(g.day(2, 12), 'dow')} and {g.date(g.day(13, 25), 'dow')}, 3-7 PM at the district office.",
            )
        )
        return clean(
            "Back-to-school vaccines: what your child needs",
            html_page(district, inner, color="#20577c"),
            html=True,
        )
    schools = [
        (
            f"{g.us.last_name()} {g.pick('Elementary', 'Middle', 'High')}",
            f"{g.rng.randint(78, 99)}%",
            str(g.rng.randint(0, 30)),
        )
        for _ in range(6)
    ]
    body = (
        f"Principals and nurses,\n\nCompliance by building as of {g.date(g.when_sent.date())} is below. Please follow up with families on your lists before the exclusion date.\n\n"
        + text_table(("School", "Compliant", "Pending"), schools)
        + f"\n\n{coord}"
    )
    return clean("Immunization compliance by school", body)


def pediatric_newsletter(g: Gen) -> Mail:
    g.practice_box(g.pick("newsletter", "news", "hello"))
    g.to = g.pick("undisclosed-recipients:;", f"families@{g.prac.domain}")
    newdoc = g.doctor()
    flu = g.day(10, 40)
    items = [
        (
            "Flu shots are here",
            f"Walk-in flu clinics start {g.date(flu, 'dow')}. Nasal spray available for ages 2-49 without asthma.",
        ),
        (
            "RSV protection for babies",
            "Ask us about nirsevimab (Beyfortus) for infants under 8 months this season.",
        ),
        (
            "Welcome",
            f"Please welcome {newdoc} to our team. {g.pick('Fluent in Spanish.', 'Special interest in adolescent medicine.', 'Joins us from ' + CHILDRENS + '.')}",
        ),
        (
            "Screen time tips",
            "The AAP recommends a family media plan - find a template at healthychildren.org.",
        ),
        (
            "Sports physicals",
            "Book now before fall sports - forms must be signed before the first practice.",
        ),
    ]
    items = g.rng.sample(items, g.rng.randint(3, 5))
    if g.rng.random() < 0.5:
        inner = "".join(f"<h3>{h(t)}</h3><p>{h(x)}</p>" for t, x in items)
        return clean(
            f"{g.prac.name} {g.pick('Family Newsletter', 'News', 'Monthly Update')} - {g.when_sent.strftime('%B %Y')}",
            html_page(
                g.prac.name,
                inner,
                "You are receiving this because you are a family of our practice. Unsubscribe.",
            ),
            html=True,
        )
    body = (
        "\n\n".join(f"** {t} **\n{x}" for t, x in items)
        + f"\n\n{g.prac.name} | {g.prac.phone} | {g.prac.address}, {g.prac.city}"
    )
    return clean(f"News from {g.prac.name}", body)


def back_to_school_hours(g: Gen) -> Mail:
    g.practice_box(g.pick("info", "frontdesk", "office"))
    g.to = g.pick(f"patients@{g.prac.domain}", "undisclosed-recipients:;")
    start, end = g.day(1, 5), g.day(20, 35)
    v = g.variant(3)
    if v == 0:
        body = (
            f"Back-to-school season is here! From {g.date(start, 'long')} through {g.date(end, 'long')}:\n\n"
            "  Mon-Thu  7:30 AM - 8:00 PM\n  Fri      7:30 AM - 5:00 PM\n  Sat      8:00 AM - 12:00 PM (sick visits and sports physicals)\n\n"
            "Forms: allow 3 business days for school, camp and sports forms. Bring the form with the parent section completed.\n\n"
            f"{g.prac.name}\n{g.prac.phone}"
        )
    elif v == 1:
        rows = [
            ("Mon-Thu", "7:30a-8:00p"),
            ("Friday", "7:30a-5:00p"),
            ("Saturday", "8:00a-noon"),
            ("Sunday", "Closed - call after-hours line"),
        ]
        body = html_page(
            "Extended back-to-school hours",
            paras("We're open late for school physicals and vaccines:")
            + html_table(("Day", "Hours"), rows)
            + paras(
                f"Sports physical nights: {g.date(g.day(3, 10), 'dow')} and {g.date(g.day(11, 20), 'dow')}.",
                "Form fee: $10 per form completed outside a visit.",
            ),
        )
        return clean(
            g.pick("Extended hours for back to school", "Our back-to-school schedule"),
            body,
            html=True,
        )
    else:
        body = f"Reminder: we close at noon on {g.date(g.day(5, 15), 'dow')} for staff training. Nurse line available at {g.prac.phone}. Walk-in sports physicals resume the following Monday."
    return clean(g.pick("Back-to-school hours", "Office hours update", "Schedule change"), body)


def car_seat_event(g: Gen) -> Mail:
    org = g.pick(
        "Safe Kids Coalition", f"{g.prac.city} Fire Department", g.prac.name,
        "Children's Hospital Injury Prevention", f"{g.prac.state} Highway Safety Office",
    )  # fmt: skip
    techs = [g.other() for _ in range(g.rng.randint(2, 4))]
    g.sender(org, f"events@{slug(org)[:24]}.example")
    g.to = g.pick(
        "community-list@lists.example", f"families@{g.prac.domain}", "undisclosed-recipients:;"
    )
    when = g.day(5, 30)
    loc = g.pick(
        "Fire Station 3 parking lot", f"{g.prac.name} parking lot", "Target on Main St",
        "Community Center", "County Library (north lot)",
    )  # fmt: skip
    pct = g.pick("46%", "59%", "73%", "52%")
    v = g.variant(4)
    if v == 0:
        body = "\n\n".join([
            "FREE CAR SEAT SAFETY CHECK",
            f"{g.date(when, 'dow')}, 9 AM - 1 PM, {loc}",
            "Certified Child Passenger Safety Technicians will check installation and fit. Bring "
            "your child and the car seat manual if you have it.",
            f"Studies find {pct} of car seats are installed or used incorrectly. Limited free "
            "seats for families who qualify (WIC or Medicaid card).",
            "Technicians on site: " + ", ".join(techs) + ".",
            f"Questions: {g.fmt_phone()}",
        ])  # fmt: skip
        return clean(g.pick("Car seat check event", "Free car seat check"), body)
    if v == 1:
        inner = paras(
            f"{g.date(when, 'dow')} | 9 AM - 1 PM | {loc}",
            "Is your child riding safely? Our certified technicians will check your seat in about "
            "20 minutes per vehicle.",
            f"{pct.capitalize()} of seats we see have at least one mistake - loose harness, wrong "
            "recline angle, or a child moved to a booster too soon.",
        ) + "<ul>" + "".join(
            f"<li>{h(x)}</li>"
            for x in ("Rear-facing as long as possible", "Harness snug at the collarbone",
                      "Booster until the seat belt fits (usually 4'9\")")
        ) + "</ul>" + paras("Appointments recommended; walk-ins welcome while slots last.")  # fmt: skip
        return clean(
            g.pick("Is your car seat installed right?", "Car seat safety event"),
            html_page("Car Seat Safety Check", inner, color="#c0392b"),
            html=True,
        )
    if v == 2:
        slots = [
            (f"{hh}:{mm:02d}", str(g.rng.randint(0, 4)))
            for hh, mm in ((9, 0), (9, 30), (10, 0), (10, 30), (11, 0), (11, 30), (12, 0))
        ]
        body = (
            f"Hi all,\n\nSlot availability for the {g.date(when, 'md')} check at {loc} is below. "
            f"We have {g.rng.randint(6, 20)} donated convertible seats and "
            f"{g.rng.randint(4, 15)} boosters.\n\n"
            + text_table(("Time", "Open slots"), slots)
            + f"\n\nVolunteer techs: {', '.join(techs)}\n\n{techs[0]}\nCPST-I"
        )
        return clean(g.pick("Slots for Saturday's check", "Car seat check - sign-up status"), body)
    body = (
        f"Thanks to everyone who came out to {loc}! Final numbers: {g.rng.randint(30, 90)} seats "
        f"checked, {g.rng.randint(40, 80)}% with at least one correctable error, "
        f"{g.rng.randint(5, 25)} seats replaced (mostly expired or recalled). Next event: "
        f"{g.date(g.day(30, 70), 'long')}.\n\n{org}"
    )
    return clean("Car seat check recap", body)


def concussion_policy_memo(g: Gen) -> Mail:
    league = g.pick(
        f"{g.prac.city} Youth Soccer Association", "Pop Warner", "Little League District 9",
        f"{g.prac.city} Parks & Rec Youth Sports", "Metro Youth Hockey", "Valley Girls Lacrosse",
    )  # fmt: skip
    ldom = f"{slug(league)[:18]}.example"
    director = g.other()
    g.sender(director, g.addr_of(director, ldom))
    g.to = g.pick("coaches@lists.example", "all-coaches@league.example", f"coaches@{ldom}")
    season = g.pick("fall", "spring", "winter")
    steps = [
        "Symptom-limited activity (daily activities)", "Light aerobic exercise",
        "Sport-specific exercise", "Non-contact training drills",
        "Full-contact practice after written clearance", "Return to competition",
    ]  # fmt: skip
    n_conc, n_teams = g.rng.randint(3, 19), g.rng.randint(40, 160)
    v = g.variant(4)
    if v == 0:
        body = (
            f"MEMO\nTo: All head and assistant coaches\nFrom: {director}, "
            f"{g.pick('Safety Director', 'League President', 'Director of Coaching')}\n"
            f"Re: Concussion policy for the {season} season\n\n"
            "Any player suspected of a concussion must be removed from play immediately and may "
            "not return the same day. Return requires written clearance from a licensed health "
            "care provider and completion of the graduated return-to-play steps:\n\n"
            + "\n".join(f"  {i}. {s_}" for i, s_ in enumerate(steps, 1))
            + f"\n\nAll coaches must complete the CDC HEADS UP training by "
            f"{g.date(g.day(5, 20), 'long')}. Last season we had {n_conc} reported concussions "
            f"across {n_teams} teams.\n\nClearance form: Player name ______________  Date of "
            "injury ________  Provider signature ____________"
        )
        return clean(g.pick("Concussion policy - please read", "Memo: concussion protocol"), body)
    if v == 1:
        rows = [
            (g.pick("U10", "U12", "U14", "14U", "Varsity"), g.date(g.day(2, 20), "md"), g.pick("6-8 PM", "9-11 AM", "5:30-7 PM"))
            for _ in range(4)
        ]  # fmt: skip
        body = (
            f"Coaches,\n\nBaseline ImPACT testing for players 10 and up is scheduled below at the "
            f"{g.pick('high school library', 'clubhouse', 'rec center computer lab')}. Players who "
            "miss their slot can test at any session. Results go to the athletic trainer only; "
            "coaches will not receive individual scores.\n\n"
            + text_table(("Division", "Date", "Time"), rows)
            + f"\n\n{director}\n{league}"
        )
        return clean(g.pick("Baseline testing dates", "ImPACT baseline schedule"), body)
    if v == 2:
        signs = (
            "Headache or pressure in the head", "Nausea or vomiting", "Balance problems or dizziness",
            "Bothered by light or noise", "Confusion or memory problems", "Just not feeling right",
        )  # fmt: skip
        inner = (
            paras(
                "Coaches and team parents,",
                f"As we start the {season} season, please review the signs of concussion. When in "
                "doubt, sit them out.",
            )
            + "<ul>"
            + "".join(f"<li>{h(x)}</li>" for x in signs)
            + "</ul>"
            + paras(
                "A player removed from play needs a signed return-to-play form from a health care "
                "provider before the next practice. Blank forms are on the league website.",
                f"Across the league we logged {n_conc} suspected concussions last {season}; "
                f"{g.rng.randint(1, n_conc)} were in players under 12.",
            )
        )
        return clean(
            "Concussion awareness - Heads Up",
            html_page(league, inner, f"{league} | Safety Committee", color="#214d2b"),
            html=True,
        )
    body = (
        f"Reminder for tonight's board meeting: we'll vote on adopting the state's updated "
        f"return-to-learn guidance and on requiring an athletic trainer at all {g.pick('tackle', 'checking', 'tournament')} "
        f"games. Draft policy and last year's injury summary ({n_conc} concussions, "
        f"{g.rng.randint(2, 9)} fractures, {g.rng.randint(5, 30)} sprains; no names) are in the "
        f"shared folder.\n\n{director}"
    )
    return clean("Board agenda: concussion policy vote", body)


def camp_health_policy(g: Gen) -> Mail:
    camp = g.pick(*CAMPS)
    nurse = g.other()
    g.sender(f"{camp}", f"office@{slug(camp.split('(')[0])}.example")
    g.to = g.pick("families@lists.example", "undisclosed-recipients:;")
    items = [
        "All medications (including vitamins) must arrive in original pharmacy containers and be "
        "handed to the health center at check-in.",
        "We are a nut-aware camp; please do not send snacks with peanuts or tree nuts.",
        "Daily tick checks are done at shower time. Consider permethrin-treated clothing.",
        f"Our health center is staffed 24/7 by a registered nurse ({nurse}, RN) with a "
        "pediatrician on call.",
        "Campers with fever over 100.4 F will be sent home and may return after 24 hours "
        "fever-free.",
        "Health forms and physician signatures are due 30 days before your session.",
        "Campers with asthma should bring two inhalers: one for the health center, one to carry.",
    ]
    items = g.rng.sample(items, g.rng.randint(4, 6))
    v = g.variant(4)
    if v == 0:
        return clean(
            f"{camp}: health and medication policy",
            html_page(
                f"{camp} Health Center",
                "<ul>" + "".join(f"<li>{h(x)}</li>" for x in items) + "</ul>",
                color="#2d7d46",
            ),
            html=True,
        )
    if v == 1:
        return clean(
            g.pick("Camp health policies", "Before you pack: health center info"),
            "Dear Camp Families,\n\n"
            + "\n".join(f"* {x}" for x in items)
            + f"\n\nSee you soon!\n{camp}",
        )
    if v == 2:
        form = (
            f"{camp.upper()} - MEDICATION AUTHORIZATION (blank form)\n\n"
            "Camper name: ______________________   Date of birth: ___/___/______\n"
            "Session: ______   Cabin: ______\n\nMedication | Dose | Time(s) | Reason\n"
            "__________ | ____ | _______ | ______\n__________ | ____ | _______ | ______\n\n"
            "Physician signature: __________________  Date: ________\n"
            "Parent/guardian signature: ____________  Date: ________\n"
        )
        body = (
            "Hello families,\n\nThe blank medication form is attached for anyone who still "
            "needs it. Completed forms go through the CampDoc portal, not email, please.\n\n"
            f"{nurse}, RN\nHealth Center Director"
        )
        return clean(
            "Blank medication form",
            body,
            attachments=[("medication_form_blank.txt", "text/plain", txt(form))],
        )
    qa = (
        ("Can my child keep their inhaler in the cabin?", "Yes, if the physician marks self-carry on the form."),
        ("Do you give ibuprofen?", "Only with the standing-order consent checked on the health form."),
        ("What about homesickness?", "Counselors and our camp social worker check in daily."),
        ("Who calls me if my child is sick?", "The nurse on duty, for anything beyond a bandage."),
    )  # fmt: skip
    body = "HEALTH CENTER FAQ\n\n" + "\n\n".join(f"Q: {q}\nA: {a}" for q, a in qa) + f"\n\n{camp}"
    return clean(g.pick("Health center FAQ", "Your questions, answered"), body)


def childcare_licensing_inspection(g: Gen) -> Mail:
    center = g.pick(
        "Little Sprouts Learning Center", "Tiny Tots Child Care", "Sunshine Montessori",
        "ABC Early Learning", "Rainbow Kids Academy",
    )  # fmt: skip
    inspector = g.other()
    agency = (
        f"{g.prac.state} "
        f"{g.pick('Office of Child Care Licensing', 'Department of Early Learning', 'Child Care Licensing Division')}"
    )
    adom = f"{slug(g.prac.state)}childcare.example"
    cdom = f"{slug(center)}.example"
    files = g.rng.randint(14, 60)
    miss = g.rng.randint(0, 5)
    v = g.variant(3)
    if v == 0:
        g.sender(inspector, g.addr_of(inspector, adom))
        g.to = f"director@{cdom}"
        body = (
            f"{agency}\nNOTICE OF ANNUAL INSPECTION\n\nFacility: {center}   License "
            f"#{g.digits(6)}\nWindow: week of {g.date(g.day(5, 25), 'long')}\nInspector: "
            f"{inspector}\n\nPlease have available: staff background checks and CPR/first aid "
            "certificates, child immunization certificates, medication administration logs, fire "
            "drill log, and sanitation records.\n\nThis is an unannounced-window visit; no "
            "response needed."
        )
        return clean("Notice of annual licensing inspection", body)
    if v == 1:
        g.sender(inspector, g.addr_of(inspector, adom))
        g.to = f"director@{cdom}"
        findings = [
            ("Child files reviewed", str(files)),
            ("Files missing current immunization certificate", str(miss)),
            ("Medication log complete", g.pick("Yes", "No - 1 entry unsigned")),
            ("Staff:child ratio (toddler room)", "1:4"),
            ("Safe sleep practices", g.pick("Compliant", "Corrective action - soft item in crib")),
        ]
        inner = (
            paras(f"Inspection summary for {center}, {g.date(g.day(-7, -1))}:")
            + html_table(("Item", "Finding"), findings)
            + paras(f"Corrections due within 30 days. - {inspector}, Licensing Specialist")
        )
        return clean("Inspection summary", html_page(agency, inner, color="#555"), html=True)
    director = g.other()
    g.sender(director, f"director@{cdom}")
    g.to = g.addr_of(inspector, adom)
    body = (
        f"{inspector.split()[0]},\n\nCorrective action plan for the {g.date(g.day(-14, -3), 'md')} "
        f"visit:\n\n1. Immunization certificates: the {miss or 2} files flagged are now complete; "
        "we added a monthly audit to the enrollment checklist.\n2. Medication log: staff "
        "retrained on co-signing; log now reviewed at close each day.\n3. Safe sleep: all "
        "infant-room blankets removed; sleep sacks only.\n\nPlease let me know if you need "
        f"photos.\n\n{director}\nDirector, {center}"
    )
    return clean(g.pick("Corrective action plan", "RE: Inspection summary"), body)


def parent_webinar_invite(g: Gen) -> Mail:
    topic = g.pick(
        "Navigating teen anxiety and social media", "Picky eaters: what's normal?",
        "Sleep training without tears", "ADHD: school supports and treatment options",
        "Vaping: what parents need to know", "Starting solids and allergy prevention",
    )  # fmt: skip
    speaker = g.doctor()
    host = g.pick(g.prac.name, f"{g.prac.city} PTA Council", "Children's Hospital Family Education")
    g.sender(host, f"events@{slug(host)[:20]}.example")
    g.to = g.pick("undisclosed-recipients:;", "parents@lists.example")
    when = g.day(5, 25)
    v = g.variant(3)
    if v == 0:
        body = (
            f"You're invited: {topic}\n\n{g.date(when, 'dow')} | 7:00-8:00 PM | Zoom\nSpeaker: "
            f"{speaker}\n\nBring your questions - we'll save 20 minutes for Q&A. "
            f"{g.pick('Spanish interpretation available.', 'Recording sent to all registrants.', 'Free; registration required.')}"
            "\n\nRegister: https://events.example/register\n\nThis session is educational and not "
            "a substitute for your child's own medical care."
        )
        return clean(g.pick(f"Parent webinar: {topic}", "Free parent education night"), body)
    if v == 1:
        agenda = [
            ("7:00", "Welcome"),
            ("7:05", f"{topic} - {speaker}"),
            ("7:35", f"Panel: a school counselor ({g.other()}) and a parent advocate"),
            ("7:50", "Q&A (anonymous questions via chat)"),
        ]
        inner = paras(f"Join us on {g.date(when, 'long')}.") + html_table(("Time", "Session"), agenda) + paras(
            "Please don't share details about your own child in the chat - talk to your "
            "pediatrician for individual advice.",
        )  # fmt: skip
        return clean(f"Webinar: {topic}", html_page(host, inner), html=True)
    body = (
        f"Starting in 1 hour: {topic} with {speaker}.\nJoin: https://zoom.example/j/{g.digits(10)}"
        f"  Passcode: {g.digits(6)}\n\n{g.rng.randint(40, 300)} parents registered - see you there!"
    )
    return clean(g.pick("Starting soon", f"Reminder: {topic} tonight"), body)


VFC = (
    ("Vaxelis (DTaP-IPV-Hib-HepB)", "63361-0243-10"), ("Pediarix", "58160-0811-52"), ("ProQuad", "00006-4171-00"),
    ("M-M-R II", "00006-4681-00"), ("Varivax", "00006-4827-00"), ("Havrix 720", "58160-0825-52"), ("Boostrix", "58160-0842-52"),
    ("MenQuadfi", "49281-0590-05"), ("Gardasil 9", "00006-4121-02"), ("Beyfortus 50 mg", "49281-0574-15"), ("Flulaval Trivalent", "19515-0810-52"),
)  # fmt: skip


def vaccine_supply_order(g: Gen) -> Mail:
    v = g.variant(3)
    pin = g.digits(6)
    items = g.rng.sample(VFC, g.rng.randint(4, 7))
    rows = [
        (
            n,
            ndc,
            str(g.rng.choice((10, 20, 30, 50))),
            f"{g.pick('U', 'X', 'A')}{g.digits(4)}{g.pick('AA', 'BC', 'XD')}",
        )
        for n, ndc in items
    ]
    if v == 0:
        g.sender("VTrckS Notification", "no-reply@vtrcks.example")
        g.to = f"vaccines@{g.prac.domain}"
        body = (
            f"VFC ORDER CONFIRMATION\nProvider PIN: {pin}\nOrder #: {g.digits(9)}\nStatus: Approved - ships {g.date(g.day(2, 6))}\n\n"
            + text_table(("Vaccine", "NDC", "Doses", "Lot"), rows)
            + "\n\nStore refrigerated vaccines at 2-8 C. Report excursions within 24 hours."
        )
        return clean(g.pick("VFC order approved", f"Order {pin} confirmation"), body)
    if v == 1:
        g.practice_sender("Vaccine Coordinator")
        g.to = g.pick("orders@mckesson-specialty.example", "vfc@statehealth.example")
        body = (
            f"Hi,\n\nPlease see our order for {g.prac.name} (PIN {pin}). Current inventory and temperature log (min 3.1 C / max 6.8 C, no excursions) attached.\n\n"
            + g.sign(g.me, "Vaccine Coordinator")
        )
        return clean(
            "Vaccine order and inventory",
            body,
            attachments=[
                (
                    "inventory.csv",
                    "text/csv",
                    csv_bytes(("vaccine", "ndc", "doses_requested", "lot_on_hand"), rows),
                )
            ],
        )
    g.sender("Sanofi Pasteur Customer Service", "vaccineorders@vaccineshoppe.example")
    g.to = f"vaccines@{g.prac.domain}"
    inner = (
        paras(f"Thank you for your order, {g.prac.name}.")
        + html_table(("Product", "NDC", "Qty", "Lot"), rows)
        + paras(
            f"Estimated delivery: {g.date(g.day(1, 4), 'dow')}. Signature required. Shipper contains cold packs."
        )
    )
    return clean(
        "Your order has shipped", html_page("Order shipped", inner, color="#005a9c"), html=True
    )


# ------------------------------------------------------------------------- registration
FAMILIES: dict[str, Callable[[Gen], Mail]] = {
    f.__name__: f
    for f in (
        immunization_record_to_school, school_exclusion_reply, sports_physical_summary,
        camp_medical_form, asthma_epipen_school_plan, school_504_iep_letter, daycare_return_note,
        wic_referral, lead_screening_followup, newborn_bilirubin_recheck, well_child_reminder,
        growth_weight_followup, adolescent_confidential_mixup, foster_care_records_request,
        dental_sealant_consent, lice_pinkeye_note, vision_hearing_referral, psychologist_referral,
        parent_fever_rash_thread,
        district_vaccine_requirements, pediatric_newsletter, back_to_school_hours, car_seat_event,
        concussion_policy_memo, camp_health_policy, childcare_licensing_inspection,
        parent_webinar_invite, vaccine_supply_order,
    )
}  # fmt: skip

SOURCE = Source("templates-s", "s", 19, 1900000, PRACTICE, "district-partner.example", "unseen-s")


def render(mail: Mail, g: Gen, seq: int) -> bytes:
    """The message as RFC 5322 bytes: from the sender and to the recipient the family chose,
    with a fixed Date in the practice's time zone and a fixed boundary."""
    msg = EmailMessage()
    domain = g.prac.domain
    if not g.from_addr:
        g.practice_sender()
    msg["From"] = formataddr((g.me, g.from_addr)) if g.me else g.from_addr
    msg["To"] = g.to or f"{slug(str(g.st.user_name()))}@{SOURCE.partner}"
    if g.cc:
        msg["Cc"] = g.cc
    msg["Subject"] = mail.subject
    tz = dt.timezone(dt.timedelta(hours=g.prac.utc))
    msg["Date"] = format_datetime(g.when_sent.replace(tzinfo=tz))
    msg["Message-ID"] = f"<{SOURCE.tag}-{seq}@{domain}>"
    for k, v in mail.headers.items():
        msg[k] = v
    return finish_message(msg, mail, SOURCE.tag, seq)


def build(out: Path, per_family: int, seed: int) -> list[dict[str, object]]:
    """Write this file's families into `out` (msg_s_NNNNN.eml) through this file's own
    `render`; return their manifest rows."""
    return build_source(out, per_family, seed, SOURCE, FAMILIES, Gen, render_mail=render)
