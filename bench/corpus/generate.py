"""Generate a labelled mail corpus in many families, for evaluation on mail nobody tuned for.

Every family is a way practices really write mail (a referral, a scheduling request, a pasted
EHR note, a pharma meeting invitation, a recall notice ...), filled with synthetic people from
many Faker locales, in several encodings (UTF-8, quoted-printable Latin-1 and Windows-1250,
base64, HTML) and with attachments whose declared type is sometimes wrong. The label says
whether the message holds PHI (an identifiable patient together with health information or care
context); `family` lets an evaluation hold whole families out.

    .venv/bin/python bench/corpus/generate.py OUT_DIR [--per-family 40] [--seed 7]

It writes OUT_DIR/msg_NNNNN.eml and OUT_DIR/manifest.jsonl (the shared corpus's format:
file, label, category = family, plus source and where). Nothing here is real PHI.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

from faker import Faker

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.pdf import build_pdf  # noqa: E402

LOCALES = (
    "en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "pt_BR", "en_IN",
    "en_AU", "en_CA", "sv_SE", "tr_TR", "vi_VN", "cs_CZ", "hu_HU", "fi_FI", "da_DK", "ro_RO",
)  # fmt: skip
PRACTICE = "practice.example"
CONDITIONS = (
    ("type 2 diabetes mellitus", "E11.9"), ("essential hypertension", "I10"),
    ("major depressive disorder, recurrent", "F33.1"), ("asthma, moderate persistent", "J45.40"),
    ("chronic kidney disease stage 3", "N18.30"), ("atrial fibrillation", "I48.91"),
    ("hypothyroidism", "E03.9"), ("generalized anxiety disorder", "F41.1"),
    ("osteoarthritis of the right knee", "M17.11"), ("COPD with exacerbation", "J44.1"),
    ("iron deficiency anemia", "D50.9"), ("migraine without aura", "G43.009"),
)  # fmt: skip
DRUGS = (
    "metformin 500 mg", "lisinopril 10 mg", "sertraline 50 mg", "atorvastatin 20 mg",
    "levothyroxine 75 mcg", "apixaban 5 mg", "albuterol HFA", "insulin glargine 20 units",
    "amlodipine 5 mg", "escitalopram 10 mg",
)  # fmt: skip
LABS = ("HbA1c 8.4%", "eGFR 52", "TSH 6.1", "LDL 162 mg/dL", "INR 2.9", "hemoglobin 9.8 g/dL")
SPECIALTIES = (
    "cardiology", "endocrinology", "behavioral health", "nephrology", "orthopedics",
    "pulmonology", "oncology", "gastroenterology", "dermatology", "neurology",
)  # fmt: skip


@dataclass
class Mail:
    """One generated message before encoding."""

    subject: str
    body: str
    label: str
    where: tuple[str, ...] = ("body",)
    html: bool = False
    charset: str = "utf-8"
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # name, type, data
    headers: dict[str, str] = field(default_factory=dict)


def phi(subject: str, body: str, **extra: Any) -> Mail:
    """A message of a PHI family (the PHI is in the body unless `where` says otherwise)."""
    return Mail(subject, body, "phi", **extra)


def clean(subject: str, body: str, **extra: Any) -> Mail:
    """A message of a clean family."""
    return Mail(subject, body, "clean", (), **extra)


@dataclass
class Ctx:
    """Random sources for one message."""

    rng: random.Random
    fake: Faker
    staff: Faker

    def patient(self) -> str:
        return self.fake.name()

    def dob(self, iso: bool = False) -> str:
        d = self.fake.date_of_birth(minimum_age=2, maximum_age=95)
        return d.isoformat() if iso else d.strftime(self.rng.choice(("%m/%d/%Y", "%d.%m.%Y")))

    def mrn(self) -> str:
        return self.rng.choice(("MRN ", "MR# ", "Chart ", "Patient ID ")) + str(
            self.rng.randint(1_000_000, 99_999_999)
        )

    def condition(self) -> tuple[str, str]:
        return self.rng.choice(CONDITIONS)

    def doctor(self) -> str:
        return "Dr. " + self.staff.last_name()

    def sign(self) -> str:
        return f"\n\n{self.staff.name()}\n{self.rng.choice(('Front desk', 'Care coordinator', 'RN', 'Billing office'))}\nExample Family Practice"


# ------------------------------------------------------------------------ PHI families


def referral(c: Ctx) -> Mail:
    cond, code = c.condition()
    p = c.patient()
    return phi(
        f"Referral: {p}",
        f"Dear colleague,\n\nI am referring {p} (DOB {c.dob()}) to {c.rng.choice(SPECIALTIES)} "
        f"for evaluation of {cond} ({code}). Current medication: {c.rng.choice(DRUGS)} daily.\n"
        f"Recent labs: {c.rng.choice(LABS)}.\n\nThank you,\n{c.doctor()}",
        where=("subject", "body"),
    )


def scheduling_specialty(c: Ctx) -> Mail:
    p = c.patient()
    spec = c.rng.choice(SPECIALTIES)
    return phi(
        "Appointment request",
        f"Hello,\n\nCould you please schedule {p} at your {spec} clinic in the next two weeks? "
        f"The reason for the visit is a follow-up of {c.condition()[0]}. The patient prefers "
        f"mornings and can be reached at {c.fake.phone_number()}.{c.sign()}",
    )


def subject_only_iso_dob(c: Ctx) -> Mail:
    last = c.fake.last_name()
    initial = c.fake.first_name()[0]
    return phi(
        f"{last} {initial}. {c.dob(iso=True)} - {c.rng.choice(('labs', 'MRI report', 'biopsy result'))}",
        f"See attached.{c.sign()}",
        where=("subject",),
        attachments=[("report.pdf", "application/pdf", _tiny_pdf("Report attached."))],
    )


def ehr_note_sparse(c: Ctx) -> Mail:
    note = (
        f"{c.mrn()}\nS: Pt reports worsening dyspnea on exertion x2 wks, orthopnea, 3-pillow.\n"
        "O: BP 152/94, HR 102 irreg, SpO2 93% RA, bibasilar crackles, 2+ pitting edema.\n"
        "A: Decompensated HFrEF vs new AF with RVR.\n"
        "P: Furosemide 40 IV, rate control, echo, BNP, trop x2, cardiology consult.\n"
    )
    return phi("FW: note from this morning", f"Forwarding for your review.\n\n{note}")


def ehr_note_address_only(c: Ctx) -> Mail:
    return phi(
        "Home visit summary",
        f"Visit at {c.fake.street_address()}, {c.fake.city()}.\n"
        "Pt alert, oriented x3. Wound on L heel stage 2, 2x3 cm, granulating. Dressing changed, "
        f"continue {c.rng.choice(DRUGS)}. Family educated on offloading.{c.sign()}",
    )


def lab_result_to_patient(c: Ctx) -> Mail:
    p = c.patient()
    return phi(
        "Your recent lab results",
        f"Dear {p},\n\nYour results from last week are back: {c.rng.choice(LABS)}. "
        f"Dr. {c.staff.last_name()} would like to adjust your {c.rng.choice(DRUGS)}. "
        f"Please call us to schedule a follow-up.{c.sign()}",
    )


def legacy_charset_qp(c: Ctx) -> Mail:
    p = c.patient()
    m = phi(
        f"Befund {p}",
        f"Sehr geehrte Kollegin,\n\nanbei der Befund von {p}, geb. {c.dob()}: "
        f"Diagnose {c.condition()[0]} ({c.condition()[1]}), Therapie mit {c.rng.choice(DRUGS)}.\n"
        f"Mit freundlichen Grüßen\n{c.doctor()}",
        where=("subject", "body"),
    )
    m.charset = c.rng.choice(("iso-8859-1", "windows-1250", "iso-8859-2"))
    return m


def csv_wrong_type(c: Ctx) -> Mail:
    rows = ["Name;DOB;Diagnosis;Phone"] + [
        f"{c.patient()};{c.dob()};{c.condition()[0]};{c.fake.phone_number()}" for _ in range(5)
    ]
    data = ("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8")
    ctype = c.rng.choice(("application/vnd.ms-excel", "application/octet-stream"))
    return phi(
        "List for tomorrow",
        f"Attached is tomorrow's list.{c.sign()}",
        where=("attachment",),
        attachments=[("list.csv", ctype, data)],
    )


def zip_of_csv(c: Ctx) -> Mail:
    rows = ["patient,dob,mrn,result"] + [
        f"{c.patient()},{c.dob()},{c.rng.randint(10**6, 10**7)},{c.rng.choice(LABS)}"
        for _ in range(4)
    ]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("results.csv", "\n".join(rows))
    return phi(
        "results export",
        f"Zipped export attached.{c.sign()}",
        where=("attachment",),
        attachments=[("export.zip", "application/zip", buf.getvalue())],
    )


def intl_patient_phone(c: Ctx) -> Mail:
    p = c.patient()
    return phi(
        "Patient travelling - continuity of care",
        f"{p} will be abroad until next month and can be reached at {c.fake.phone_number()}, "
        f"{c.fake.address().replace(chr(10), ', ')}. Please arrange a refill of "
        f"{c.rng.choice(DRUGS)} for their {c.condition()[0]}.{c.sign()}",
    )


def device_id_clinical(c: Ctx) -> Mail:
    udi = f"(01)0{c.rng.randint(10**12, 10**13 - 1)}(17)2{c.rng.randint(10**4, 10**5 - 1)}(21)SN{c.rng.randint(10**5, 10**6)}"
    return phi(
        "Pump alarm follow-up",
        f"Insulin pump UDI {udi} alarmed twice overnight (occlusion). BG 312 at 03:00, "
        f"corrected. Patient {c.patient()} advised to change infusion set.{c.sign()}",
    )


def billing_member_id(c: Ctx) -> Mail:
    return phi(
        "Claim denial question",
        f"Member ID {c.rng.choice('ABCDEFGHJK')}{c.rng.randint(10**8, 10**9)} for {c.patient()}, "
        f"DOS {c.fake.date_this_year().strftime('%m/%d/%Y')}, CPT 99214 with {c.condition()[1]} "
        f"was denied. Can you resubmit with the corrected modifier?{c.sign()}",
    )


def prior_auth(c: Ctx) -> Mail:
    p = c.patient()
    return phi(
        f"Prior authorization - {p}",
        f"Requesting prior authorization for {c.rng.choice(DRUGS)} for {p}, DOB {c.dob()}. "
        f"Failed first-line therapy; diagnosis {c.condition()[1]}.{c.sign()}",
        where=("subject", "body"),
    )


def html_discharge(c: Ctx) -> Mail:
    p = c.patient()
    return phi(
        "Discharge summary",
        f"<table><tr><td>Patient</td><td>{p}</td></tr><tr><td>DOB</td><td>{c.dob()}</td></tr>"
        f"<tr><td>Discharge diagnosis</td><td>{c.condition()[0]}</td></tr></table>"
        f"<p>Follow up with {c.doctor()} in 7 days. Continue {c.rng.choice(DRUGS)}.</p>",
        html=True,
    )


def mental_health_note(c: Ctx) -> Mail:
    first = c.fake.first_name()
    return phi(
        "session notes",
        f"{first} {c.fake.last_name()} attended today's session. Reports passive SI without plan, "
        f"sleep 4 h/night, PHQ-9 19. Safety plan reviewed; increase to "
        f"{c.rng.choice(('sertraline 100 mg', 'escitalopram 20 mg'))}.{c.sign()}",
    )


def pediatric_vaccine(c: Ctx) -> Mail:
    child = c.fake.first_name() + " " + c.fake.last_name()
    return phi(
        "Immunization record",
        f"Attached please find the immunization record for {child}, born {c.dob()}: "
        "DTaP #4, IPV #3, MMR #1 given today; next due at 4 years.{}".format(c.sign()),
    )


def pharmacy_refill(c: Ctx) -> Mail:
    return phi(
        "Refill request",
        f"Pharmacy request: refill {c.rng.choice(DRUGS)} #90 for {c.patient()}, "
        f"phone {c.fake.phone_number()}. Last fill 88 days ago.{c.sign()}",
    )


def imaging_report(c: Ctx) -> Mail:
    return phi(
        "CT report",
        f"EXAM: CT chest with contrast\nPATIENT: {c.patient()}  {c.mrn()}\n"
        "FINDINGS: 1.4 cm spiculated nodule RUL. No adenopathy.\n"
        "IMPRESSION: Suspicious for primary malignancy; recommend PET-CT.",
    )


def base64_body(c: Ctx) -> Mail:
    m = referral(c)
    m.headers["X-Encode"] = "base64"
    return m


def quoted_reply(c: Ctx) -> Mail:
    inner = lab_result_to_patient(c)
    quoted = "\n".join("> " + line for line in inner.body.splitlines())
    return phi(
        "Re: question",
        f"Thanks, forwarding to the nurse line.\n\nOn Monday someone wrote:\n{quoted}",
    )


def therapy_plan_pt(c: Ctx) -> Mail:
    return phi(
        "PT plan of care",
        f"Plan of care for {c.patient()}: s/p right TKA, ROM 5-95, gait with walker. "
        f"Goals: ROM 0-115 in 6 weeks. Frequency 3x/week.{c.sign()}",
    )


def dental_chart(c: Ctx) -> Mail:
    return phi(
        "Dental referral",
        f"Referring {c.patient()} (DOB {c.dob()}) for extraction of #30, "
        f"periapical abscess; on {c.rng.choice(('warfarin', 'apixaban 5 mg'))}.{c.sign()}",
    )


def email_only_identifier(c: Ctx) -> Mail:
    return phi(
        "Portal message forwarded",
        f'From the portal ({c.fake.free_email()}): "my blood sugars have been over 300 since the '
        f'new dose of {c.rng.choice(DRUGS)}, should I go to the ER?" Please call back.{c.sign()}',
    )


def url_identifier(c: Ctx) -> Mail:
    pid = c.rng.randint(10**6, 10**7)
    return phi(
        "chart link",
        f"https://ehr.{PRACTICE}/chart/{pid} - biopsy came back positive for melanoma, "
        f"margin 0.5 mm. Needs wide excision; please call the patient today.{c.sign()}",
    )


def non_us_ids(c: Ctx) -> Mail:
    nhs = f"{c.rng.randint(100, 999)} {c.rng.randint(100, 999)} {c.rng.randint(1000, 9999)}"
    return phi(
        "Transfer of care",
        f"{c.patient()}, NHS number {nhs}, postcode {c.fake.postcode()}, is transferring to "
        f"your practice. Active problems: {c.condition()[0]}.{c.sign()}",
    )


def xlsx_like_list(c: Ctx) -> Mail:
    rows = "\n".join(f"{c.patient()}\t{c.dob()}\t{c.condition()[0]}" for _ in range(6))
    return phi(
        "no-show list",
        f"Patients who missed appointments this week:\n{rows}{c.sign()}",
    )


# ------------------------------------------------------------------------ clean families


def pharma_meeting(c: Ctx) -> Mail:
    return clean(
        "Lunch and learn: new GLP-1 data",
        f"Join {c.doctor()} and our medical science liaison for a lunch and learn on "
        f"semaglutide and tirzepatide outcomes data, Thursday at noon in the conference room. "
        f"Lunch provided by {c.staff.company()}.",
    )


def supply_invoice_ndc(c: Ctx) -> Mail:
    ndc = f"{c.rng.randint(10000, 99999)}-{c.rng.randint(100, 999)}-{c.rng.randint(10, 99)}"
    return clean(
        f"Invoice {c.rng.randint(100000, 999999)}",
        f"Invoice for NDC {ndc} lidocaine 1% 20 mL x 25, ship to {c.staff.street_address()}, "
        f"{c.staff.city()}. Total due net 30. Remit to {c.staff.company()}.",
        attachments=[("invoice.pdf", "application/pdf", _tiny_pdf(f"Invoice NDC {ndc} qty 25"))],
    )


def recall_notice(c: Ctx) -> Mail:
    return clean(
        "URGENT: voluntary product recall",
        f"{c.staff.company()} is voluntarily recalling insulin pen needles, lot "
        f"{c.rng.randint(10**6, 10**7)}{c.rng.choice('ABC')}, expiry 2027-03. Please quarantine "
        "affected stock and return it using the enclosed form. No adverse events have been reported.",
    )


def cme_conference(c: Ctx) -> Mail:
    return clean(
        "Register now: regional cardiology update",
        f"Speakers include {c.doctor()} and {c.doctor()}. Topics: atrial fibrillation "
        "management, heart failure guidelines, hypertension in 2027. 6 CME credits.",
    )


def aggregate_stats(c: Ctx) -> Mail:
    return clean(
        "Quality dashboard - November",
        f"Diabetes control: 71% of patients with HbA1c < 8% (target 70%). Hypertension control "
        f"64%. Depression screening 88%. {c.rng.randint(1200, 3000)} visits this month.",
    )


def it_notice(c: Ctx) -> Mail:
    return clean(
        "EHR downtime Saturday",
        f"The EHR will be unavailable Saturday 22:00-02:00 for an upgrade. Contact "
        f"{c.staff.name()} at {c.staff.phone_number()} with questions.",
    )


def hr_benefits(c: Ctx) -> Mail:
    return clean(
        "Open enrollment reminder",
        "Open enrollment for health, dental and vision plans closes on the 15th. The flexible "
        f"spending account limit rises next year. Questions: {c.staff.name()}, HR.",
    )


def staff_schedule(c: Ctx) -> Mail:
    rows = "\n".join(
        f"{c.staff.first_name()} {c.staff.last_name()} - {d}" for d in ("Mon", "Tue", "Wed")
    )
    return clean("Front desk schedule", f"Next week's schedule:\n{rows}")


def vendor_marketing(c: Ctx) -> Mail:
    return clean(
        "Cut no-shows by 30% with automated reminders",
        f"{c.staff.company()} helps practices send appointment reminders by text and email. "
        "Book a demo today.",
    )


def physician_directory(c: Ctx) -> Mail:
    docs = "\n".join(
        f"{c.doctor()}, {c.rng.choice(SPECIALTIES)}, {c.staff.phone_number()}" for _ in range(4)
    )
    return clean("Updated referral directory", f"New specialists accepting referrals:\n{docs}")


def research_abstract(c: Ctx) -> Mail:
    return clean(
        "Abstract accepted",
        "Our abstract 'Outcomes of SGLT2 inhibitors in 412 patients with chronic kidney disease' "
        "was accepted. Mean eGFR decline was 1.2 mL/min/yr lower in the treated group.",
    )


def facilities(c: Ctx) -> Mail:
    return clean(
        "Parking lot resurfacing",
        f"The east lot at {c.staff.street_address()} will be closed Friday. Please park on level 2.",
    )


def board_minutes(c: Ctx) -> Mail:
    return clean(
        "Board minutes",
        f"Present: {c.staff.name()}, {c.staff.name()}, {c.staff.name()}. Approved the budget, "
        "discussed the new diabetes education program and the hiring of two nurses.",
    )


def drug_shortage(c: Ctx) -> Mail:
    return clean(
        "Drug shortage update",
        "Amoxicillin oral suspension remains on shortage. Consider cefdinir or azithromycin per "
        "guidelines. Albuterol HFA supply has recovered.",
    )


def job_posting(c: Ctx) -> Mail:
    return clean(
        "Now hiring: medical assistant",
        f"We are hiring a full-time medical assistant. Contact {c.staff.name()} at "
        f"{c.staff.company_email()}.",
    )


def patient_education_newsletter(c: Ctx) -> Mail:
    return clean(
        "Winter wellness newsletter",
        "Flu shots are available now. Tips for managing blood pressure over the holidays, and a "
        "recipe for a heart-healthy soup.",
        html=True,
    )


# ------------------------------------------------------------------------ more families (issue 10)
# Written as further real-world mail shapes, each with a few phrasings so that no one wording
# stands for the family.

PAYERS = ("Aetna", "Cigna", "Humana", "UnitedHealthcare", "Blue Cross", "Molina", "Medicare")


def _pick(c: Ctx, *options: str) -> str:
    return c.rng.choice(options)


def eob_remittance(c: Ctx) -> Mail:
    p = c.patient()
    dos = c.fake.date_this_year().strftime("%m/%d/%Y")
    billed = c.rng.randint(90, 900)
    paid = round(billed * c.rng.uniform(0.3, 0.9), 2)
    cpt = c.rng.choice(("99213", "99214", "93000", "80053", "36415", "90834"))
    head = _pick(c, "Remittance advice", "ERA detail", "EOB question", "Payment posted")
    return phi(
        f"{head} - claim {c.rng.randint(10**9, 10**10)}",
        f"{c.rng.choice(PAYERS)} remittance, check/EFT {c.rng.randint(10**5, 10**6)}\n"
        f"Patient: {p}    Acct {c.rng.randint(10**4, 10**6)}\n"
        f"DOS {dos}  {cpt}  billed ${billed}.00  allowed ${paid}  paid ${paid}\n"
        f"Adj reason CO-45; dx {c.condition()[1]}\n"
        f"{_pick(c, 'Please post and close.', 'Patient responsibility is the copay only.', 'Secondary to be billed.')}"
        f"{c.sign()}",
    )


def nursing_home_transfer(c: Ctx) -> Mail:
    p = c.patient()
    cond = c.condition()[0]
    room = f"{c.rng.randint(1, 3)}{c.rng.randint(10, 40)}{c.rng.choice('AB')}"
    return phi(
        _pick(c, "Transfer to ED", "Resident transfer form", "Interfacility transfer"),
        f"Transferring resident {p}, room {room}, DOB {c.dob()}, to the emergency department "
        f"for {_pick(c, 'acute confusion', 'fall with hip pain', 'fever and hypoxia', 'chest pain')}.\n"
        f"History: {cond}. Meds: {c.rng.choice(DRUGS)}, {c.rng.choice(DRUGS)}.\n"
        f"Code status: {_pick(c, 'DNR/DNI', 'Full code')}. Allergies: "
        f"{_pick(c, 'PCN', 'NKDA', 'sulfa')}. POA is the daughter.{c.sign()}",
    )


def school_nurse_note(c: Ctx) -> Mail:
    child = f"{c.fake.first_name()} {c.fake.last_name()}"
    grade = c.rng.randint(1, 12)
    event = _pick(
        c,
        "used the albuterol inhaler twice before recess with wheezing",
        "had a blood glucose of 54 and was given juice per the diabetes care plan",
        "was seen for a seizure lasting 2 minutes; rescue medication not needed",
        "needs the EpiPen order renewed for the peanut allergy",
    )
    return phi(
        _pick(c, "Note from the school nurse", "Health office update", "Student health"),
        f"Dear parent/guardian,\n\n{child} (grade {grade}) {event} today. Please call the health "
        f"office at {c.staff.phone_number()} or send an updated plan from the pediatrician.\n\n"
        f"{c.staff.name()}, RN\nSchool Nurse",
    )


def lab_requisition(c: Ctx) -> Mail:
    p = c.patient()
    tests = ", ".join(
        c.rng.sample(("CBC", "CMP", "lipid panel", "TSH", "HbA1c", "UA", "PSA", "BMP"), 3)
    )
    return phi(
        _pick(c, "Lab order", "Requisition", "Standing order - labs"),
        f"Lab requisition\nName: {p}\nDOB: {c.dob()}\nTests: {tests}\n"
        f"Dx: {c.condition()[1]}\n{_pick(c, 'Fasting.', 'Non-fasting.', 'Draw before next visit.')}"
        f"\nOrdering: {c.doctor()}",
    )


def telehealth_link(c: Ctx) -> Mail:
    p = c.patient()
    code = "".join(c.rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(10))
    reason = _pick(
        c, "medication check for anxiety", "follow-up of your blood pressure",
        "review of your sleep study", "ADHD medication follow-up", "wound check photos",
    )  # fmt: skip
    return phi(
        _pick(c, "Your video visit", "Telehealth appointment link", "Virtual visit tomorrow"),
        f"Hi {p.split()[0]},\n\nYour video visit with {c.doctor()} is tomorrow at "
        f"{c.rng.randint(8, 16)}:{c.rng.choice(('00', '15', '30', '45'))}. Reason: {reason}.\n"
        f"Join here: https://telehealth.{PRACTICE}/v/{code}\n\nThank you,\nExample Family Practice",
    )


def radiology_scheduling(c: Ctx) -> Mail:
    p = c.patient()
    exam = _pick(
        c, "MRI lumbar spine w/o contrast", "CT abdomen/pelvis with contrast",
        "bilateral screening mammogram", "US thyroid", "DEXA scan", "MRI brain with and without",
    )  # fmt: skip
    why = _pick(c, "radiculopathy L5", "RLQ pain, r/o appendicitis", "palpable nodule",
                "postmenopausal, on steroids", "new onset headaches")  # fmt: skip
    return phi(
        "Imaging scheduling",
        f"Please schedule {p}, DOB {c.dob()}, for {exam}. Indication: {why}. "
        f"{_pick(c, 'Claustrophobic - may need sedation.', 'Creatinine 0.9 last month.', 'Prefers Saturdays.')}"
        f"{c.sign()}",
    )


def home_health_order(c: Ctx) -> Mail:
    p = c.patient()
    return phi(
        _pick(c, "Home health referral", "HH order", "Home care orders"),
        f"Home health orders for {p}\nAddress: {c.fake.street_address()}, {c.fake.city()}\n"
        f"SN eval and treat, {_pick(c, 'PT 2x/wk x 4 wks', 'OT 1x/wk x 6 wks', 'wound care daily')}.\n"
        f"Homebound due to {c.condition()[0]}. Face-to-face done {c.fake.date_this_year().strftime('%m/%d')}."
        f"{c.sign()}",
    )


def workers_comp_claim(c: Ctx) -> Mail:
    p = c.patient()
    part = _pick(c, "left shoulder", "lumbar spine", "right wrist", "left knee")
    return phi(
        f"WC claim {c.rng.randint(10**6, 10**7)}",
        f"Claimant: {p}\nEmployer: {c.staff.company()}\nDOI: {c.fake.date_this_year().strftime('%m/%d/%Y')}\n"
        f"Injury: {part} strain lifting boxes. Work status: modified duty, no lifting over "
        f"{c.rng.choice((10, 15, 20))} lbs for 2 weeks. Next visit in 14 days.{c.sign()}",
    )


def insurance_appeal(c: Ctx) -> Mail:
    p = c.patient()
    member = f"{c.rng.choice('WXYZ')}{c.rng.randint(10**8, 10**9)}"
    return phi(
        _pick(c, "Appeal of denied claim", "Level 1 appeal", "Request for reconsideration"),
        f"To the appeals department,\n\nWe appeal the denial of {c.rng.choice(DRUGS)} for our "
        f"patient {p}, member {member}. The patient has {c.condition()[0]} and failed two prior "
        "therapies; the requested treatment is medically necessary. Records are enclosed.\n\n"
        f"Sincerely,\n{c.doctor()}",
    )


def coroner_request(c: Ctx) -> Mail:
    p = c.patient()
    return phi(
        _pick(c, "Records request - decedent", "Medical examiner request", "Death certificate"),
        f"The county medical examiner requests records for the decedent {p}, DOB {c.dob()}, "
        f"date of death {c.fake.date_this_year().strftime('%m/%d/%Y')}. Please include the "
        f"problem list ({c.condition()[0]}) and medication list to complete the death "
        f"certificate.{c.sign()}",
    )


def pharma_rep_visit(c: Ctx) -> Mail:
    return clean(
        _pick(c, "Rep visit notes", "Samples dropped off", "Sales call recap"),
        f"{c.staff.name()} from {c.staff.company()} stopped by and met {c.doctor()} and "
        f"{c.doctor()}. Left samples of {c.rng.choice(DRUGS)} and "
        f"{c.rng.choice(DRUGS)}; discussed formulary status for {c.condition()[0]}. "
        "Next visit in a month.",
    )


def drug_price_list(c: Ctx) -> Mail:
    rows = "\n".join(
        f"{d}\tNDC {c.rng.randint(10000, 99999)}-{c.rng.randint(100, 999)}-{c.rng.randint(10, 99)}"
        f"\t${c.rng.randint(3, 400)}.{c.rng.randint(10, 99)}"
        for d in c.rng.sample(DRUGS, 5)
    )
    return clean(
        _pick(c, "Q3 price list", "Updated contract pricing", "Wholesaler price changes"),
        f"Contract prices effective next month:\n{rows}\nQuestions: {c.staff.company_email()}",
    )


def payer_policy_bulletin(c: Ctx) -> Mail:
    cond, code = c.condition()
    return clean(
        _pick(c, "Provider bulletin", "Coverage policy update", "Medical policy change"),
        f"{c.rng.choice(PAYERS)} will require prior authorization for CPT 9{c.rng.randint(1000, 9999)} "
        f"when billed with {code} ({cond}) starting the first of next quarter. Providers may "
        "submit requests through the portal. This bulletin contains no member information.",
    )


def trial_recruitment_ad(c: Ctx) -> Mail:
    cond = c.condition()[0]
    return clean(
        _pick(c, "Now enrolling", "Clinical trial opportunity", "Study recruitment"),
        f"Do you have patients with {cond}? Our phase 3 study of a once-weekly therapy is "
        f"enrolling adults 18-75. Contact the study coordinator {c.staff.name()} at "
        f"{c.staff.phone_number()}. Compensation for time and travel is available.",
    )


def staff_vaccination_clinic(c: Ctx) -> Mail:
    return clean(
        _pick(
            c, "Staff flu shot clinic", "Employee vaccination day", "COVID booster clinic for staff"
        ),
        f"Employee health will hold a vaccination clinic on {c.rng.choice(('Tuesday', 'Wednesday'))} "
        f"from 7 to 10 in room {c.rng.randint(100, 400)}. Bring your badge. Declination forms are "
        f"due by Friday to {c.staff.name()}.",
    )


FAMILIES: dict[str, Callable[[Ctx], Mail]] = {
    f.__name__: f
    for f in (
        referral, scheduling_specialty, subject_only_iso_dob, ehr_note_sparse,
        ehr_note_address_only, lab_result_to_patient, legacy_charset_qp, csv_wrong_type,
        zip_of_csv, intl_patient_phone, device_id_clinical, billing_member_id, prior_auth,
        html_discharge, mental_health_note, pediatric_vaccine, pharmacy_refill, imaging_report,
        base64_body, quoted_reply, therapy_plan_pt, dental_chart, email_only_identifier,
        url_identifier, non_us_ids, xlsx_like_list,
        pharma_meeting, supply_invoice_ndc, recall_notice, cme_conference, aggregate_stats,
        it_notice, hr_benefits, staff_schedule, vendor_marketing, physician_directory,
        research_abstract, facilities, board_minutes, drug_shortage, job_posting,
        patient_education_newsletter,
        eob_remittance, nursing_home_transfer, school_nurse_note, lab_requisition,
        telehealth_link, radiology_scheduling, home_health_order, workers_comp_claim,
        insurance_appeal, coroner_request,
        pharma_rep_visit, drug_price_list, payer_policy_bulletin, trial_recruitment_ad,
        staff_vaccination_clinic,
    )
}  # fmt: skip


def _tiny_pdf(text: str) -> bytes:
    """A one-page PDF whose text layer says `text` (ASCII only)."""
    safe = text.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 12 Tf 72 720 Td ({safe}) Tj ET".encode()
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def render(mail: Mail, c: Ctx, seq: int) -> bytes:
    """The message as RFC 5322 bytes, in the encoding the family asks for."""
    msg = EmailMessage()
    msg["From"] = f"{c.staff.name()} <{c.staff.user_name()}@{PRACTICE}>"
    msg["To"] = (
        f"{c.fake.user_name()}@{c.rng.choice(('partner.example', 'gmail.example', 'clinic.example'))}"
    )
    msg["Subject"] = mail.subject
    msg["Message-ID"] = f"<gen-{seq}@{PRACTICE}>"
    for name, value in mail.headers.items():
        if not name.startswith("X-Encode"):
            msg[name] = value
    cte = "base64" if mail.headers.get("X-Encode") == "base64" else None
    if mail.html:
        msg.set_content(mail.body, subtype="html", charset=mail.charset)
    elif mail.charset != "utf-8":
        msg.set_content(
            mail.body.encode(mail.charset, errors="replace"),
            maintype="text",
            subtype="plain",
            cte="quoted-printable",
        )
        msg.replace_header("Content-Type", f"text/plain; charset={mail.charset}")
    else:
        msg.set_content(mail.body, cte=cte) if cte else msg.set_content(mail.body)
    for name, ctype, data in mail.attachments:
        main, _, sub = ctype.partition("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return msg.as_bytes(policy=SMTP)


def generate(out: Path, per_family: int, seed: int) -> int:
    """Write the corpus; return the number of messages."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    lines = []
    seq = 0
    for family, make in FAMILIES.items():
        for _ in range(per_family):
            seq += 1
            fake = Faker(rng.choice(LOCALES))
            fake.seed_instance(rng.randrange(2**32))
            staff = Faker("en_US")
            staff.seed_instance(rng.randrange(2**32))
            ctx = Ctx(rng, fake, staff)
            mail = make(ctx)
            name = f"msg_{seq:05d}.eml"
            (out / name).write_bytes(render(mail, ctx, seq))
            lines.append(
                json.dumps(
                    {
                        "file": name,
                        "label": mail.label,
                        "category": family,
                        "where": list(mail.where) if mail.label == "phi" else [],
                        "source": f"bench/corpus/generate.py:{fake.locales[0] if hasattr(fake, 'locales') else ''}",
                    }
                )
            )
    (out / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    return seq


def main() -> int:
    """Command line: OUT_DIR [--per-family N] [--seed S]."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--per-family", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    n = generate(args.out, args.per_family, args.seed)
    print(f"{n} messages in {len(FAMILIES)} families written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
