"""Labelled mail from sources other than bench/corpus/generate.py, for leave-family-out evaluation.

Four sources, each independent of the detection rules and of the first generator:

* ``templates-b``: clinical and business mail shapes written for this file from scratch (letters
  in UK, German and Spanish style, nurse messages, OB and dialysis notes, DOCX and CSV
  attachments, names in Cyrillic, Greek, CJK and Arabic script ...), with people from Faker
  locales the first generator does not use;
* ``deidgate``: the labelled synthetic Safe-Harbor notes shipped in the `deidgate` package
  (PyPI), wrapped in mail as a clinician would forward them;
* ``cpython-email-tests``: the public test messages of CPython's ``email`` package
  (``Lib/test/test_email/data``), real-world-shaped mail with no PHI: clean;
* ``debian-changelogs``: the newest entry of each installed Debian package's
  ``changelog.Debian.gz``, sent as an upload announcement: real names, e-mail addresses and
  dates of public maintainers, no health information: clean.

Labels follow the shared corpus's rule: PHI is an identifiable person together with health
information or care context. Everything is produced by `build(out, per_family, seed)`
deterministically; the two public sources are skipped (with a note) where the files are absent.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import sysconfig
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import deidgate
import docx
from faker import Faker

from bench.corpus.generate import Mail, clean, phi

LOCALES = (
    "ru_RU", "el_GR", "ja_JP", "zh_CN", "ar_AA", "he_IL", "hi_IN", "ko_KR", "uk_UA", "bg_BG",
    "en_NZ", "en_IE", "es_MX", "pt_PT", "fr_CA", "de_AT", "no_NO", "sk_SK", "hr_HR", "id_ID",
)  # fmt: skip
CLINIC = "northside-health.example"
PROBLEMS = (
    "community-acquired pneumonia", "cellulitis of the left leg", "poorly controlled asthma",
    "new-onset seizures", "gestational diabetes", "lumbar disc herniation", "acute gout flare",
    "bipolar II disorder", "Crohn's disease flare", "hepatitis C, treatment-naive",
    "stage IIIA non-small-cell lung cancer", "alcohol use disorder", "anorexia nervosa",
)  # fmt: skip
MEDS = (
    "amoxicillin-clavulanate 875 mg BID", "prednisone 40 mg daily", "lamotrigine 100 mg",
    "colchicine 0.6 mg", "quetiapine 50 mg at night", "adalimumab 40 mg every 2 weeks",
    "naltrexone 50 mg", "enoxaparin 40 mg SC", "methotrexate 15 mg weekly", "buprenorphine 8 mg",
)  # fmt: skip


class Src:
    """Random sources for one message of this file's families."""

    def __init__(self, rng: random.Random, locale: str) -> None:
        self.rng = rng
        self.fake = Faker(locale)
        self.fake.seed_instance(rng.randrange(2**32))
        self.biz = Faker(rng.choice(("en_US", "en_GB", "en_CA")))
        self.biz.seed_instance(rng.randrange(2**32))

    def one(self, *options: str) -> str:
        return self.rng.choice(options)

    def name(self) -> str:
        return str(self.fake.name())

    def born(self) -> str:
        d = self.fake.date_of_birth(minimum_age=1, maximum_age=99)
        return d.strftime(self.one("%d/%m/%Y", "%Y-%m-%d", "%B %d, %Y", "%d %b %Y", "%m-%d-%y"))

    def day(self) -> str:
        return self.fake.date_this_year().strftime(self.one("%d/%m/%Y", "%Y-%m-%d", "%b %d"))

    def problem(self) -> str:
        return self.rng.choice(PROBLEMS)

    def med(self) -> str:
        return self.rng.choice(MEDS)

    def staff(self) -> str:
        return str(self.biz.name())

    def number(self, digits: int) -> str:
        return str(self.rng.randint(10 ** (digits - 1), 10**digits - 1))


# ------------------------------------------------------------------------- PHI families


def gp_letter_uk(s: Src) -> Mail:
    nhs = f"{s.number(3)} {s.number(3)} {s.number(4)}"
    return phi(
        s.one("Clinic letter", "Outpatient letter", "Letter to GP"),
        f"Dear Dr {s.biz.last_name()},\n\nRe: {s.name()}  DOB {s.born()}  NHS {nhs}\n\n"
        f"I reviewed this {s.rng.randint(19, 88)}-year-old in clinic today with {s.problem()}. "
        f"I have started {s.med()} and will see them again in {s.rng.randint(2, 12)} weeks.\n\n"
        f"Yours sincerely,\n{s.staff()}\nConsultant",
    )


def arztbrief_latin1(s: Src) -> Mail:
    m = phi(
        s.one("Arztbrief", "Entlassungsbrief", "Kurzbrief"),
        f"Sehr geehrter Herr Kollege,\n\nwir berichten über {s.name()}, geboren am {s.born()}, "
        f"stationär vom {s.day()} bis {s.day()}.\nDiagnosen: {s.problem()}.\n"
        f"Medikation bei Entlassung: {s.med()}.\nWiedervorstellung bei Beschwerden.\n\n"
        f"Mit kollegialen Grüßen\nOberärztin {s.biz.last_name()}",
    )
    m.charset = s.one("iso-8859-1", "iso-8859-15", "windows-1252")
    return m


def cita_especialista(s: Src) -> Mail:
    return phi(
        s.one("Solicitud de cita", "Cita con especialista"),
        f"Buenos días,\n\nSolicito una cita de {s.one('cardiología', 'neurología', 'reumatología')} "
        f"para el paciente {s.name()} (fecha de nacimiento {s.born()}), con diagnóstico de "
        f"{s.problem()}. Teléfono de contacto: {s.fake.phone_number()}.\n\nGracias,\n{s.staff()}",
    )


def nurse_callback_note(s: Src) -> Mail:
    first, last = s.fake.first_name(), s.fake.last_name()
    return phi(
        s.one("callback", "pls call", "msg for Dr"),
        s.one(
            f"pls call back {first} {last} re her potassium, 6.2 this am. she is on {s.med()}. "
            f"cb {s.fake.phone_number()}",
            f"{last}, {first} called - {s.problem()} getting worse since yesterday, wants to know "
            f"if she should double the {s.med()}. # {s.fake.phone_number()}",
            f"Mr {last} rang: still has fevers after 3 days of {s.med()}. Please advise.",
        ),
    )


def ward_handover(s: Src) -> Mail:
    rows = "\n".join(
        f"Bed {s.rng.randint(1, 30)}: {s.fake.last_name()}, {s.rng.randint(20, 95)}{s.one('M', 'F')} "
        f"- {s.problem()}; {s.one('NBM', 'obs 4-hourly', 'IV abx day 2', 'for discharge')}"
        for _ in range(s.rng.randint(3, 6))
    )
    return phi(s.one("Handover", "Night handover", "Ward list"), f"Handover for tonight:\n{rows}")


def covid_result(s: Src) -> Mail:
    return phi(
        s.one("Test result", "PCR result", "Your COVID-19 test"),
        f"Name: {s.name()}\nDate of birth: {s.born()}\nSpecimen collected: {s.day()}\n"
        f"Test: SARS-CoV-2 RNA (PCR)\nResult: {s.one('DETECTED', 'POSITIVE', 'NOT DETECTED')}\n"
        "Please isolate as advised and contact us if symptoms worsen.",
    )


def allergy_alert(s: Src) -> Mail:
    return phi(
        s.one("ALLERGY ALERT", "Important - allergy", "Anaphylaxis history"),
        f"Please note before tomorrow's procedure: {s.name()} had anaphylaxis to "
        f"{s.one('penicillin', 'latex', 'iodinated contrast', 'cefazolin')} in {s.rng.randint(1995, 2024)}. "
        f"Chart updated. Premedication with {s.med()} per anaesthesia.",
    )


def obstetric_note(s: Src) -> Mail:
    return phi(
        s.one("ANC review", "OB follow-up", "Antenatal note"),
        f"{s.name()}, G{s.rng.randint(1, 5)}P{s.rng.randint(0, 3)} at {s.rng.randint(12, 40)}+"
        f"{s.rng.randint(0, 6)} weeks, EDD {s.day()}. BP {s.rng.randint(120, 165)}/"
        f"{s.rng.randint(70, 110)}, urine protein {s.one('nil', '1+', '2+')}. "
        f"Plan: {s.one('growth scan', 'GTT', 'admit for monitoring', 'aspirin 150 mg')}.",
    )


def physio_csv(s: Src) -> Mail:
    sep = s.one(",", ";", "\t", "|")
    head = sep.join(("patient", "born", "condition", "pain_0_10", "next_session"))
    rows = [
        sep.join((s.name(), s.born(), s.problem(), str(s.rng.randint(0, 10)), s.day()))
        for _ in range(s.rng.randint(3, 7))
    ]
    data = ("\n".join([head, *rows]) + "\n").encode(s.one("utf-8", "utf-8-sig", "utf-16"))
    return phi(
        s.one("weekly physio list", "caseload export", "PT roster"),
        f"Caseload attached.\n\n{s.staff()}",
        where=("attachment",),
        attachments=[
            ("caseload.csv", s.one("text/csv", "text/plain", "application/octet-stream"), data)
        ],
    )


def referral_docx(s: Src) -> Mail:
    doc = docx.Document()
    doc.add_heading("Referral", level=1)
    doc.add_paragraph(f"Patient: {s.name()}")
    doc.add_paragraph(f"Date of birth: {s.born()}")
    doc.add_paragraph(f"Reason for referral: {s.problem()}. Current treatment {s.med()}.")
    buf = io.BytesIO()
    doc.save(buf)
    return phi(
        s.one("Referral attached", "New referral", "Please see attached referral"),
        f"Please find the referral attached.\n\n{s.staff()}",
        where=("attachment",),
        attachments=[
            (
                "referral.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                buf.getvalue(),
            )
        ],
    )


def vaccine_reaction(s: Src) -> Mail:
    return phi(
        s.one("Adverse event following immunisation", "Vaccine reaction report"),
        f"Reporting an adverse event: {s.name()}, born {s.born()}, received "
        f"{s.one('MMR', 'HPV dose 2', 'influenza vaccine', 'Tdap')} on {s.day()} and developed "
        f"{s.one('urticaria', 'syncope', 'a febrile seizure', 'injection-site cellulitis')} within "
        f"{s.rng.randint(1, 48)} hours. Lot {s.number(6)}. Recovered.",
    )


def dialysis_schedule(s: Src) -> Mail:
    rows = "\n".join(
        f"Chair {i}: {s.name()} - {s.one('MWF', 'TTS')} {s.rng.randint(6, 14)}:00, dry weight "
        f"{s.rng.randint(48, 110)}.{s.rng.randint(0, 9)} kg"
        for i in range(1, s.rng.randint(3, 6))
    )
    return phi(s.one("Dialysis schedule", "HD chair assignments"), f"Next week's chairs:\n{rows}")


def hospice_family_update(s: Src) -> Mail:
    return phi(
        s.one("Update on your mother", "Update from the hospice team", "How your father is doing"),
        f"Dear {s.name()},\n\n{s.fake.first_name()} had a comfortable night. We increased the "
        f"morphine to {s.rng.randint(5, 20)} mg every 4 hours for breathlessness and she is eating "
        f"a little. The chaplain will visit on {s.day()}.\n\nWarm regards,\n{s.staff()}, hospice nurse",
    )


def fax_cover_html(s: Src) -> Mail:
    return phi(
        s.one("Fax: prescription", "eFax - 3 pages"),
        f"<html><body><h2>FAX COVER</h2><p>To: {s.one('Main St Pharmacy', 'Care Pharmacy')}</p>"
        f"<p>RE: <b>{s.name()}</b>, DOB {s.born()}</p><p>Rx: {s.med()}, dispense 30, refills 2. "
        f"Indication: {s.problem()}.</p><p>CONFIDENTIAL</p></body></html>",
        html=True,
    )


def eligibility_check(s: Src) -> Mail:
    return phi(
        s.one("Eligibility check", "Benefits verification"),
        f"Please verify coverage before the {s.one('MRI', 'sleep study', 'colonoscopy')}:\n"
        f"Subscriber: {s.name()}\nDOB: {s.born()}\nMember ID: {s.one('XJG', 'WQP', 'ABC')}{s.number(9)}\n"
        f"Group: {s.number(6)}\nProcedure date: {s.day()}",
    )


def patient_writes_in(s: Src) -> Mail:
    who = s.name()
    return phi(
        s.one("question about my rash", "medication question", "still sick"),
        f"Hello, this is {who}. {s.one('My', 'The')} {s.problem()} is not getting better and the "
        f"{s.med()} makes me dizzy. Can I stop it? My date of birth is {s.born()}.\n\nThanks\n{who}",
    )


def critical_lab_call(s: Src) -> Mail:
    return phi(
        s.one("CRITICAL VALUE", "Critical lab - action needed"),
        f"Critical result for {s.name()} (MRN {s.number(7)}): "
        f"{s.one('potassium 6.8 mmol/L', 'troponin I 2.4 ng/mL', 'glucose 38 mg/dL', 'sodium 118')}. "
        f"Called to {s.staff()} at {s.rng.randint(0, 23):02d}:{s.rng.randint(0, 59):02d}, read back.",
    )


def nonlatin_referral(s: Src) -> Mail:
    return phi(
        s.one("Referral", "Transfer of care", "Consult request"),
        f"Referral for {s.name()} (born {s.born()}) — {s.problem()}. Interpreter needed: "
        f"{s.one('Russian', 'Greek', 'Japanese', 'Mandarin', 'Arabic', 'Hebrew', 'Hindi', 'Korean')}. "
        f"Current medication {s.med()}.\n\n{s.staff()}",
    )


# ------------------------------------------------------------------------- clean families


def payroll_notice(s: Src) -> Mail:
    return clean(
        s.one("Payroll calendar", "Pay date change"),
        f"Hi all, because of the holiday payroll will run on {s.day()}. Timesheets are due to "
        f"{s.staff()} by noon the day before. Direct deposit questions: {s.biz.phone_number()}.",
    )


def call_invite(s: Src) -> Mail:
    return clean(
        s.one("Invitation: ops sync", "Weekly managers call", "Updated invitation"),
        f"{s.staff()} has invited you to a meeting on {s.day()} at {s.rng.randint(8, 17)}:00.\n"
        f"Join by phone {s.biz.phone_number()}, PIN {s.number(6)}#\nAttendees: {s.staff()}, "
        f"{s.staff()}, {s.staff()}",
    )


def equipment_service(s: Src) -> Mail:
    return clean(
        s.one("Service visit confirmation", "Preventive maintenance due"),
        f"Our engineer will service the {s.one('autoclave', 'ECG cart', 'spirometer', 'X-ray unit')} "
        f"serial {s.one('SN', 'S/N ')}{s.number(8)} at {s.biz.street_address()}, {s.biz.city()} on "
        f"{s.day()}. Contact {s.staff()} to reschedule.",
    )


def shipping_notice(s: Src) -> Mail:
    return clean(
        s.one("Your order has shipped", "Delivery update"),
        f"Order {s.number(8)} ({s.rng.randint(2, 40)} boxes of exam gloves, size M) ships to "
        f"{s.biz.street_address()}, {s.biz.city()} {s.biz.postcode()}. Tracking 1Z{s.number(9)}.",
    )


def journal_toc(s: Src) -> Mail:
    items = "\n".join(
        f"- {s.one('Outcomes of', 'Trends in', 'A randomized trial of')} {s.med().split()[0]} in "
        f"{s.problem()} ({s.biz.last_name()} et al.)"
        for _ in range(4)
    )
    return clean(
        s.one("This week's table of contents", "New issue online"), f"In this issue:\n{items}"
    )


def formulary_update(s: Src) -> Mail:
    return clean(
        s.one("Formulary changes", "P&T committee decisions"),
        f"Effective {s.day()}: {s.med()} moves to tier 2; {s.med()} requires step therapy for "
        f"{s.problem()}. Full list on the intranet.",
    )


def guideline_summary(s: Src) -> Mail:
    return clean(
        s.one("Guideline summary", "Clinical pearl of the week"),
        f"Updated guidance for {s.problem()}: first-line therapy is {s.med()}; reassess at "
        f"{s.rng.randint(2, 12)} weeks. Screening is recommended from age {s.rng.randint(18, 50)}.",
    )


def staff_birthday(s: Src) -> Mail:
    return clean(
        s.one("Birthdays this month", "Cake in the break room"),
        f"Happy birthday to {s.staff()} ({s.day()}) and {s.staff()} ({s.day()})! Cake at 3 pm.",
    )


def accreditation_survey(s: Src) -> Mail:
    return clean(
        s.one("Survey readiness", "Joint Commission visit"),
        f"Surveyors may ask about hand hygiene, medication reconciliation and fall-risk "
        f"assessment. Please review the policies with {s.staff()} before {s.day()}.",
    )


def lab_contract(s: Src) -> Mail:
    rows = "\n".join(
        f"{t}: ${s.rng.randint(4, 90)}.00"
        for t in s.rng.sample(("CBC", "CMP", "HbA1c", "lipid panel", "TSH", "PSA", "urinalysis"), 4)
    )
    return clean(
        s.one("Lab pricing proposal", "Reference lab contract"), f"Proposed prices:\n{rows}"
    )


# ------------------------------------------------------------------------- public sources


def _deidgate_notes() -> list[str]:
    seed = Path(deidgate.__file__).parent / "data" / "safeharbor_seed.jsonl"
    return [json.loads(line)["text"] for line in seed.read_text().splitlines() if line.strip()]


def deidgate_notes(s: Src) -> Mail:
    notes = s.rng.sample(_deidgate_notes(), s.rng.randint(1, 3))
    return phi(
        s.one("FW: chart excerpt", "note for review", "Fwd: from the EHR"),
        s.one("Forwarding the excerpt below.\n\n", "See below.\n\n", "")
        + "\n".join(notes)
        + f"\n\n{s.staff()}",
    )


def cpython_email_tests() -> list[bytes]:
    """The test messages of the interpreter's own `email` package (empty where not installed)."""
    folder = Path(sysconfig.get_paths()["stdlib"]) / "test" / "test_email" / "data"
    return [p.read_bytes() for p in sorted(folder.glob("msg_*.txt"))]


def debian_changelogs(limit: int, rng: random.Random) -> Iterator[bytes]:
    """Upload announcements from the newest entry of installed packages' Debian changelogs."""
    files = sorted(Path("/usr/share/doc").glob("*/changelog.Debian.gz"))
    rng.shuffle(files)
    made = 0
    for f in files:
        if made >= limit:
            return
        try:
            text = gzip.decompress(f.read_bytes()).decode("utf-8", errors="replace")
        except (OSError, EOFError):
            continue
        entry = text.split("\n\n -- ", 1)
        if len(entry) < 2:
            continue
        head, tail = entry[0], entry[1].split("\n", 1)[0]
        first = head.split("\n", 1)[0]
        maint = tail.split("  ")[0]
        msg = EmailMessage()
        msg["From"] = "Debian FTP Masters <ftpmaster@ftp-master.debian.example>"
        msg["To"] = "debian-changes@lists.debian.example"
        msg["Subject"] = f"Accepted {first[:60]}"
        msg.set_content(f"Changed-By: {maint}\n\n{head[:3000]}\n\n -- {tail}\n")
        made += 1
        yield msg.as_bytes(policy=SMTP)


FAMILIES: dict[str, tuple[str, Callable[[Src], Mail]]] = {
    f.__name__: ("templates-b", f)
    for f in (
        gp_letter_uk, arztbrief_latin1, cita_especialista, nurse_callback_note, ward_handover,
        covid_result, allergy_alert, obstetric_note, physio_csv, referral_docx, vaccine_reaction,
        dialysis_schedule, hospice_family_update, fax_cover_html, eligibility_check,
        patient_writes_in, critical_lab_call, nonlatin_referral,
        payroll_notice, call_invite, equipment_service, shipping_notice, journal_toc,
        formulary_update, guideline_summary, staff_birthday, accreditation_survey, lab_contract,
    )
}  # fmt: skip
FAMILIES["deidgate_notes"] = ("deidgate", deidgate_notes)


def render(mail: Mail, s: Src, seq: int) -> bytes:
    """The message as RFC 5322 bytes (plain, legacy-charset QP, HTML, with attachments)."""
    msg = EmailMessage()
    msg["From"] = f"{s.staff()} <{s.biz.user_name()}@{CLINIC}>"
    msg["To"] = (
        f"{s.biz.user_name()}@{s.one('partner.example', 'mail.example', 'hospital.example')}"
    )
    msg["Subject"] = mail.subject
    msg["Message-ID"] = f"<ind-{seq}@{CLINIC}>"
    if mail.html:
        msg.set_content(mail.body, subtype="html")
    elif mail.charset != "utf-8":
        msg.set_content(
            mail.body.encode(mail.charset, errors="replace"),
            maintype="text",
            subtype="plain",
            cte="quoted-printable",
        )
        msg.replace_header("Content-Type", f"text/plain; charset={mail.charset}")
    else:
        msg.set_content(mail.body)
    for name, ctype, data in mail.attachments:
        main, _, sub = ctype.partition("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return msg.as_bytes(policy=SMTP)


def build(out: Path, per_family: int, seed: int) -> list[dict[str, object]]:
    """Write this file's families into `out` (msg_b_NNNNN.eml); return their manifest rows."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []

    def keep(raw: bytes, label: str, family: str, source: str) -> None:
        name = f"msg_b_{len(rows) + 1:05d}.eml"
        (out / name).write_bytes(raw)
        rows.append({"file": name, "label": label, "category": family, "source": source})

    for family, (source, make) in FAMILIES.items():
        for _ in range(per_family):
            s = Src(rng, rng.choice(LOCALES))
            mail = make(s)
            keep(render(mail, s, len(rows) + 1), mail.label, family, source)
    for raw in cpython_email_tests():
        keep(raw, "clean", "cpython_email_tests", "cpython-email-tests")
    for raw in debian_changelogs(max(per_family, 40), rng):
        keep(raw, "clean", "debian_changelogs", "debian-changelogs")
    return rows
