"""Blind template source templates-k: machine-readable health data and health-IT mail.

Everyday outbound mail of a US internal-medicine practice and its IT, interface and billing
partners where the data rides in structured formats: HL7 v2 ADT and ORU messages pasted or
attached, FHIR R4 JSON, C-CDA XML, X12 837 and 835 segments, EHR report CSV exports with odd
column names, DICOM header dumps, interface-engine error alerts quoting the failing message, a
lab analyser's ASTM result file quoted in a thread, an eRx (NCPDP SCRIPT-like) error, a
scheduling webhook's JSON, a recall-list spreadsheet, an application log excerpt and a master
patient index merge request naming the patient in the subject. The clean families are hard
negatives around them: engine heartbeat and queue reports, EDI 999/TA1 acknowledgements with
control numbers only, a vendor's developer newsletter whose FHIR and HL7 examples carry obvious
placeholders, a clearinghouse enrolment letter with the practice's own NPI and TIN, an HL7
mapping spec listing field names only, EHR sprint release notes with ticket numbers and staff
names, aggregate claim-denial statistics by payer, server monitoring alerts, and a DICOM
conformance statement excerpt.

Written blind: its author read none of the detectors, gateway, docs, policies, detector tests
or the other template sources (only the `Mail`/`phi`/`clean` helpers, the generator helpers
and `build_source` of bench/corpus/unseen.py, and the two files that register sources).

Generated deterministically from the seed: people come from several Faker locales (some with
non-ASCII names), seeded from the source's random stream; every date is drawn from that stream
around a fixed base date, never from today. Each family is wholly PHI (one or more identified
patients with care information or identifiers) or wholly clean.

First figures, measured once before anything was changed (`bench/lofo_eval.py --per-family 30
--seed 7`, 2026-12-05, at commit eb4cec3): templates-k learned recall 0.6867, FPR 0.2481
(rules only: recall 0.6622, FPR 0.2481); worst PHI families dicom_header_dump 0.000,
erx_failure_notice 0.067, engine_error_alert 0.267, x12_835_remit 0.400, x12_837_snippet 0.467,
ehr_csv_export 0.667, astm_result_thread 0.733, scheduling_webhook 0.733, hl7_adt_pasted 0.967
(the other six at 1.000); clean families flagged fhir_dev_newsletter 1.000, hl7_mapping_spec
1.000, clearinghouse_enrollment 0.100, denial_statistics 0.067, dicom_conformance 0.067
(edi_999_ack, ehr_release_notes, engine_heartbeat and server_monitor_alert 0.000). Overall over
every source: learned recall 0.9648, FPR 0.0248, worst PHI family templates-k/dicom_header_dump
at 0.0. No label or template was changed after the run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from collections.abc import Callable
from pathlib import Path

from faker import Faker

from bench.corpus.generate import Mail, clean, phi
from bench.corpus.unseen import FakerGen, Source, build_source

PRACTICE = "lakeshore-internal-medicine.example"
PARTNER = "healthit-partners.example"
BASE = dt.date(2025, 6, 2)

PATIENT_LOCALES = (
    "en_US", "en_US", "en_US", "es_MX", "es_ES", "vi_VN", "pl_PL", "pt_BR", "de_DE", "fr_FR",
    "hi_IN", "zh_CN", "ko_KR", "ru_RU", "tr_TR",
)  # fmt: skip
STAFF_LOCALES = ("en_US", "en_US", "en_CA", "en_GB", "es_MX", "en_IN")

DX = (
    ("E11.9", "Type 2 diabetes mellitus without complications"),
    ("I10", "Essential (primary) hypertension"),
    ("F32.1", "Major depressive disorder, single episode, moderate"),
    ("J45.40", "Moderate persistent asthma, uncomplicated"),
    ("N18.31", "Chronic kidney disease, stage 3a"),
    ("C50.911", "Malignant neoplasm of unspecified site of right female breast"),
    ("B20", "Human immunodeficiency virus [HIV] disease"),
    ("F10.20", "Alcohol dependence, uncomplicated"),
    ("E03.9", "Hypothyroidism, unspecified"),
    ("M17.11", "Unilateral primary osteoarthritis, right knee"),
    ("G40.909", "Epilepsy, unspecified, not intractable"),
    ("I48.91", "Unspecified atrial fibrillation"),
    ("F41.1", "Generalized anxiety disorder"),
    ("K50.90", "Crohn's disease, unspecified, without complications"),
)
# LOINC, name, unit, low, high, drawn low, drawn high
LABS = (
    ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 4.0, 5.6, 5.0, 11.5),
    ("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 70, 99, 60, 310),
    ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.6, 1.3, 0.5, 4.2),
    ("3016-3", "Thyrotropin [Units/volume] in Serum or Plasma", "mIU/L", 0.4, 4.0, 0.1, 12.0),
    ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 12.0, 16.0, 7.0, 17.0),
    ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", 100, 199, 120, 320),
    ("6301-6", "INR in Platelet poor plasma by Coagulation assay", "{INR}", 0.8, 1.2, 0.9, 4.6),
    ("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 3.5, 5.1, 2.9, 6.2),
)
DRUGS = (
    ("metformin 500 mg oral tablet", "861007"),
    ("lisinopril 20 mg oral tablet", "314077"),
    ("sertraline 100 mg oral tablet", "312941"),
    ("levothyroxine 75 mcg oral tablet", "966224"),
    ("apixaban 5 mg oral tablet", "1364445"),
    ("albuterol 90 mcg/actuation inhaler", "745679"),
    ("insulin glargine 100 unit/mL pen", "847232"),
    ("buprenorphine-naloxone 8-2 mg film", "1010606"),
    ("emtricitabine-tenofovir 200-300 mg tablet", "476556"),
)
PAYERS = (
    ("Great Lakes Health Plan", "GLHP1"), ("Prairie Mutual Insurance", "60054"),
    ("Medicare Part B (J6)", "06102"), ("Heartland Medicaid MCO", "HMC22"),
    ("Keystone Commercial PPO", "KCP09"), ("Lakeside Employee Benefits Trust", "LEB71"),
)  # fmt: skip
CPT = ("99213", "99214", "99215", "99396", "93000", "36415", "83036", "G0439", "96127")
MODALITIES = (
    ("CT", "CT CHEST W/O CONTRAST"), ("MR", "MRI BRAIN W/WO CONTRAST"),
    ("US", "US ABDOMEN COMPLETE"), ("MG", "MAMMO SCREENING BILATERAL 3D"),
    ("DX", "XR KNEE 3 VIEWS RIGHT"), ("NM", "NM MYOCARDIAL PERFUSION SPECT"),
)  # fmt: skip
ENGINES = ("Mirth Connect", "Rhapsody", "Cloverleaf", "Corepoint", "Iguana")
EHRS = ("ChartHarbor", "MedLedger", "PracticeNest", "ClinixOne")
LAB_VENDORS = ("Northshore Reference Lab", "TriCounty Diagnostics", "Quantum Clinical Labs")


class Gen(FakerGen):
    """templates-k's generator: one patient (name, sex, birth date, MRN, US address) per message,
    and dates drawn from the random stream around a fixed base date."""

    patient_locales = PATIENT_LOCALES
    staff_locales = STAFF_LOCALES

    def __init__(self, rng: random.Random) -> None:
        super().__init__(rng)
        self.sex = rng.choice("FM")
        self.given = str(
            self.pt.first_name_female() if self.sex == "F" else self.pt.first_name_male()
        )
        self.family = str(self.pt.last_name())
        self.birth = BASE - dt.timedelta(days=rng.randint(18 * 365, 92 * 365))
        self.mrn = str(rng.randint(1_000_000, 99_999_999))
        self.us = Faker("en_US")
        self.us.seed_instance(rng.randrange(2**32))

    # people
    def patient(self) -> str:
        return f"{self.given} {self.family}"

    def hl7_name(self) -> str:
        return f"{self.family.upper()}^{self.given.upper()}"

    def other_patient(self) -> tuple[str, str, dt.date]:
        """Another patient for list-like exports: family, given, birth date."""
        f = Faker(self.rng.choice(PATIENT_LOCALES))
        f.seed_instance(self.rng.randrange(2**32))
        given = f.first_name()
        return str(f.last_name()), str(given), self.date_back(19 * 365, 90 * 365)

    def street(self) -> str:
        return str(self.us.street_address())

    def city_state_zip(self) -> tuple[str, str, str]:
        return str(self.us.city()), str(self.us.state_abbr()), str(self.us.zipcode())

    def us_phone(self) -> str:
        return f"({self.rng.randint(201, 989)}) {self.rng.randint(200, 989)}-{self.digits(4)}"

    # dates
    def date_near(self, before: int = 60, after: int = 20) -> dt.date:
        return BASE + dt.timedelta(days=self.rng.randint(-before, after))

    def date_back(self, low: int, high: int) -> dt.date:
        return BASE - dt.timedelta(days=self.rng.randint(low, high))

    def stamp(self, d: dt.date | None = None) -> str:
        """An HL7/X12-style timestamp yyyymmddHHMM[SS]."""
        d = d or self.date_near()
        return d.strftime("%Y%m%d") + f"{self.rng.randint(6, 19):02d}{self.rng.randint(0, 59):02d}"

    def human_date(self, d: dt.date) -> str:
        return d.strftime(self.pick("%m/%d/%Y", "%Y-%m-%d", "%b %d, %Y", "%m-%d-%Y"))

    # clinical
    def dx(self) -> tuple[str, str]:
        """A diagnosis fitting the patient's sex (no breast cancer for male patients)."""
        options = DX if self.sex == "F" else tuple(d for d in DX if d[0] != "C50.911")
        return self.rng.choice(options)

    def lab(self) -> tuple[str, str, str, str, str]:
        """LOINC, name, value, unit, reference range and flag as (code, name, value, unit, ref|flag)."""
        code, name, unit, lo, hi, dlo, dhi = self.rng.choice(LABS)
        v = self.rng.uniform(dlo, dhi)
        value = f"{v:.1f}" if dhi < 50 else f"{v:.0f}"
        flag = "H" if v > hi else "L" if v < lo else "N"
        return code, name, value, unit, f"{lo}-{hi}|{flag}"

    def npi(self) -> str:
        return self.pick("1", "2") + self.digits(9)

    def ctrl(self, n: int = 9) -> str:
        return self.digits(n)


# ------------------------------------------------------------------------- PHI families


def _pid(g: Gen, sep: str = "|") -> str:
    city, state, zipc = g.city_state_zip()
    return (
        f"PID|1||{g.mrn}^^^LIM^MR~{g.digits(3)}-{g.digits(2)}-{g.digits(4)}^^^SSA^SS||"
        f"{g.hl7_name()}^{g.pick('', 'A', 'M')}||{g.birth:%Y%m%d}|{g.sex}|||"
        f"{g.street()}^^{city}^{state}^{zipc}^USA||{g.us_phone()}|||"
        f"{g.pick('S', 'M', 'W', 'D')}||{g.digits(9)}"
    ).replace("|", sep)


def hl7_adt_pasted(g: Gen) -> Mail:
    event = g.pick("A04", "A08", "A31", "A28")
    ts = g.stamp()
    code, desc = g.dx()
    segs = [
        f"MSH|^~\\&|{g.pick(*EHRS).upper()}|LIM|{g.pick(*ENGINES).split()[0].upper()}|HIE|{ts}||"
        f"ADT^{event}|{g.ctrl(10)}|P|2.5.1",
        f"EVN|{event}|{ts}",
        _pid(g),
        f"PV1|1|O|IM^{g.rng.randint(1, 12)}^1||||{g.npi()}^{g.st.last_name().upper()}^"
        f"{g.st.first_name().upper()}|||||||||||{g.digits(8)}",
        f"DG1|1|I10|{code}^{desc}^I10||{ts[:8]}|W",
    ]
    msg = "\n".join(segs)
    intro = g.pick(
        'The HIE rejected the registration below twice this morning (AR, "PID-11 invalid"). '
        "Could you check the address on the chart and resend? Raw message:",
        "Pasting the ADT that is stuck in our outbound queue. Can your side tell us why it "
        "never produced an ACK?",
        f"Hi {g.st.first_name()}, as discussed on the call - here is the A{event[1:]} for the "
        "chart that is not showing in the portal:",
    )
    body = (
        f"{intro}\n\n{msg}\n\nThanks,\n{g.staff()}\nInterface Analyst, Lakeshore Internal Medicine"
    )
    return phi(
        g.pick(
            f"ADT^{event} rejected by HIE - please review",
            "Stuck ADT in outbound queue",
            "RE: registration not flowing to portal",
        ),
        body,
    )


def hl7_oru_attachment(g: Gen) -> Mail:
    lab_name = g.pick(*LAB_VENDORS)
    ts = g.stamp()
    sep = g.pick("\r", "\r\n", "\n")
    segs = [
        f"MSH|^~\\&|LIS|{lab_name.split()[0].upper()}|EHR|LIM|{ts}||ORU^R01|{g.ctrl(12)}|P|2.3",
        _pid(g),
        f"ORC|RE|{g.ctrl(8)}|{g.ctrl(8)}",
        f"OBR|1|{g.ctrl(8)}|{g.ctrl(8)}|CMP^Metabolic panel|||{ts}|||||||||"
        f"{g.npi()}^{g.st.last_name().upper()}",
    ]
    for i in range(1, g.rng.randint(3, 6)):
        code, name, value, unit, rf = g.lab()
        ref, flag = rf.split("|")
        segs.append(f"OBX|{i}|NM|{code}^{name}^LN||{value}|{unit}|{ref}|{flag}|||F|||{ts}")
    if g.variant(3) == 0:
        segs.append(f"NTE|1||Specimen slightly hemolyzed. Called to {g.staff()} {ts[8:]}")
    data = sep.join(segs).encode("utf-8")
    fname = g.pick(f"ORU_{g.ctrl(6)}.hl7", f"resend_{ts[:8]}.txt", "result_message.hl7")
    body = g.pick(
        f"Attached is the result message you asked us to resend from {lab_name}. It failed at "
        "your engine with a segment-order error last night.",
        "Please see the attached HL7 file - the OBX units look wrong after the upgrade. Can you "
        "confirm the mapping before we go live?",
        f"Resending as requested. Control ID in the MSH matches ticket INC{g.ctrl(7)}.",
    )
    return phi(
        g.pick("Result resend", "ORU file for review", f"Re: INC{g.ctrl(7)} result interface"),
        body + f"\n\n{g.staff()}\n{lab_name} - Client Interfaces",
        where=("attachment",),
        attachments=[(fname, g.pick("application/hl7-v2", "text/plain"), data)],
    )


def fhir_bundle_attachment(g: Gen) -> Mail:
    city, state, zipc = g.city_state_zip()
    code, desc = g.dx()
    lcode, lname, value, unit, _ = g.lab()
    pid = f"pt-{g.ctrl(6)}"
    when = g.date_near()
    patient = {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.3.7721.1", "value": g.mrn}],
        "name": [{"family": g.family, "given": [g.given]}],
        "gender": "female" if g.sex == "F" else "male",
        "birthDate": g.birth.isoformat(),
        "address": [{"line": [g.street()], "city": city, "state": state, "postalCode": zipc}],
        "telecom": [{"system": "phone", "value": g.us_phone()}],
    }
    cond = {
        "resourceType": "Condition",
        "subject": {"reference": f"Patient/{pid}"},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": code,
                             "display": desc}]},
        "recordedDate": when.isoformat(),
    }  # fmt: skip
    obs = {
        "resourceType": "Observation",
        "status": "final",
        "subject": {"reference": f"Patient/{pid}"},
        "code": {"coding": [{"system": "http://loinc.org", "code": lcode, "display": lname}]},
        "valueQuantity": {"value": float(value), "unit": unit},
        "effectiveDateTime": when.isoformat(),
    }
    entries = [patient, cond, obs] if g.variant(2) else [patient, obs]
    bundle = {
        "resourceType": "Bundle",
        "type": g.pick("collection", "transaction"),
        "entry": [{"resource": r} for r in entries],
    }
    data = json.dumps(bundle, indent=g.rng.choice((1, 2)), ensure_ascii=g.variant(2) == 0)
    body = g.pick(
        "Attached is the bundle our $export job produced for the chart that fails validation "
        "on your endpoint (HTTP 422). Could your team look at it?",
        "Sample payload from production as requested - this is the one the care-gap app "
        "refuses to ingest.",
        f"Per ticket {g.pick('SUP', 'FHIR', 'API')}-{g.ctrl(5)}, the JSON file is attached.",
    )
    return phi(
        g.pick("FHIR bundle failing validation", "Payload for ticket", "Export sample (prod)"),
        body + f"\n\n{g.staff()}\nIntegration Engineer",
        where=("attachment",),
        attachments=[(f"bundle_{g.ctrl(5)}.json", "application/fhir+json", data.encode())],
    )


def ccda_excerpt(g: Gen) -> Mail:
    code, desc = g.dx()
    city, state, zipc = g.city_state_zip()
    drug, rx = g.rng.choice(DRUGS)
    xml = (
        "<recordTarget>\n  <patientRole>\n"
        f'    <id extension="{g.mrn}" root="2.16.840.1.113883.3.7721.1"/>\n'
        f'    <addr use="HP"><streetAddressLine>{g.street()}</streetAddressLine>'
        f"<city>{city}</city><state>{state}</state><postalCode>{zipc}</postalCode></addr>\n"
        "    <patient>\n"
        f'      <name use="L"><given>{g.given}</given><family>{g.family}</family></name>\n'
        f'      <administrativeGenderCode code="{g.sex}" codeSystem="2.16.840.1.113883.5.1"/>\n'
        f'      <birthTime value="{g.birth:%Y%m%d}"/>\n'
        "    </patient>\n  </patientRole>\n</recordTarget>\n...\n"
        '<section>\n  <code code="11450-4" codeSystem="2.16.840.1.113883.6.1" '
        'displayName="Problem list"/>\n'
        f'  <entry><observation><value xsi:type="CD" code="{code}" '
        f'codeSystem="2.16.840.1.113883.6.90" displayName="{desc}"/></observation></entry>\n'
        "</section>\n"
        '<section>\n  <code code="10160-0" displayName="Medications"/>\n'
        f'  <entry><substanceAdministration><consumable><manufacturedMaterial><code code="{rx}" '
        f'displayName="{drug}"/></manufacturedMaterial></consumable></substanceAdministration>'
        "</entry>\n</section>"
    )
    body = g.pick(
        "The referral CCD we sent to the cardiology group is being rejected by their Direct "
        "inbox. Excerpt of the document below (header and problems section):",
        "Here is the part of the C-CDA where the problem list is coded - is the "
        "codeSystem OID right for ICD-10-CM?",
    )
    return phi(
        g.pick("C-CDA rejected by Direct recipient", "CCD problem section question"),
        f"{body}\n\n{xml}\n\n{g.staff()}\nHIM / Interoperability",
    )


def x12_837_snippet(g: Gen) -> Mail:
    payer, pid = g.rng.choice(PAYERS)
    city, state, zipc = g.city_state_zip()
    code, desc = g.dx()
    dos = g.date_near()
    cpt = g.rng.choice(CPT)
    charge = g.rng.randint(85, 420)
    segs = [
        f"NM1*85*2*LAKESHORE INTERNAL MEDICINE*****XX*{g.npi()}~",
        f"SBR*P*18*{g.ctrl(6)}******{g.pick('CI', 'MB', 'MC')}~",
        f"NM1*IL*1*{g.family.upper()}*{g.given.upper()}****MI*{g.pick('GLH', 'W', 'MB')}{g.ctrl(9)}~",
        f"N3*{g.street().upper()}~",
        f"N4*{city.upper()}*{state}*{zipc}~",
        f"DMG*D8*{g.birth:%Y%m%d}*{g.sex}~",
        f"NM1*PR*2*{payer.upper()}*****PI*{pid}~",
        f"CLM*{g.mrn}-{g.ctrl(3)}*{charge}***11:B:1*Y*A*Y*Y~",
        f"HI*ABK:{code.replace('.', '')}~",
        f"SV1*HC:{cpt}*{charge}*UN*1***1~",
        f"DTP*472*D8*{dos:%Y%m%d}~",
    ]
    body = g.pick(
        f"Hi, {payer} keeps rejecting this claim at the front end (277CA: A7 - subscriber "
        "date of birth). Loop 2010BA from the 837P we sent:",
        "Can you check why the clearinghouse scrubber flags the HI segment on this one? "
        "Snippet below.",
        "Claim detail from the batch that bounced yesterday - see the subscriber loop:",
    )
    return phi(
        g.pick("837P rejection - subscriber loop", "Clearinghouse edit on HI segment",
               f"Rejected claim, batch {g.ctrl(6)}"),
        f"{body}\n\n" + "\n".join(segs) + f"\n\n{g.staff()}\nBilling Office",
    )  # fmt: skip


def x12_835_remit(g: Gen) -> Mail:
    payer, pid = g.rng.choice(PAYERS)
    paid = g.rng.randint(0, 180)
    billed = paid + g.rng.randint(30, 240)
    dos = g.date_near()
    segs = [
        f"ISA*00*          *00*          *ZZ*{pid:<15}*ZZ*LIMCLINIC       *"
        f"{dos:%y%m%d}*1200*^*00501*{g.ctrl(9)}*0*P*:~",
        f"BPR*I*{paid}*C*ACH*CCP*01*{g.ctrl(9)}*DA*{g.ctrl(10)}~",
        f"TRN*1*{g.ctrl(12)}*1{g.ctrl(9)}~",
        f"N1*PR*{payer.upper()}~",
        f"CLP*{g.mrn}-{g.ctrl(3)}*{g.pick('1', '4', '22')}*{billed}*{paid}**12*{g.ctrl(14)}*11*1~",
        f"NM1*QC*1*{g.family.upper()}*{g.given.upper()}****MI*{g.pick('PM', 'HM', 'K')}{g.ctrl(9)}~",
        f"DTM*232*{dos:%Y%m%d}~",
        f"SVC*HC:{g.rng.choice(CPT)}*{billed}*{paid}**1~",
        f"CAS*{g.pick('CO', 'PR')}*{g.pick('45', '50', '197', '16')}*{billed - paid}~",
    ]
    data = "\n".join(segs).encode()
    body = g.pick(
        "The ERA attached posts a zero payment for this patient's visit but the EOB on the "
        "portal shows paid. Which is right?",
        "Please review the remittance file attached - CAS adjustment looks wrong for the "
        "claim in the CLP segment.",
    )
    return phi(
        g.pick("835 ERA discrepancy", "Remit file - adjustment question"),
        f"{body}\n\n{g.staff()}\nPayment Posting",
        where=("attachment",),
        attachments=[(f"era_{g.ctrl(6)}.835.txt", "text/plain", data)],
    )


def ehr_csv_export(g: Gen) -> Mail:
    cols = g.pick(
        "pt_nm_last,pt_nm_first,brth_dt,chart_no,enc_dt,dx_primary,dx_desc,attending",
        "LNAME,FNAME,DOB_YYYYMMDD,MRN_INT,SVC_DATE,ICD10,DESCRIPTION,RENDERING_PROV",
        "surname;given;born;ehr_id;seen;code;problem;clinician",
    )
    delim = ";" if ";" in cols else ","
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delim, lineterminator="\n")
    w.writerow(cols.split(delim))
    people = [(g.family, g.given, g.birth)] + [
        g.other_patient() for _ in range(g.rng.randint(2, 7))
    ]
    for fam, giv, born in people:
        code, desc = g.dx()
        w.writerow([fam, giv, born.strftime("%Y%m%d" if "YYYY" in cols else "%m/%d/%Y"),
                    g.rng.randint(1_000_000, 9_999_999), g.date_near().isoformat(), code, desc,
                    g.doctor()])  # fmt: skip
    name = g.pick("rpt_enc_dx_export.csv", "QueryResult_0412.csv", "export (3).csv")
    body = g.pick(
        "Attached is the output of the encounter/diagnosis report we built in the EHR. The "
        "numbers don't match the quality dashboard - can you compare?",
        "Here's the export for the registry submission test. Only a handful of rows so far.",
    )
    return phi(
        g.pick("EHR report export", "Report output for comparison", "Registry test extract"),
        f"{body}\n\n{g.staff()}",
        where=("attachment",),
        attachments=[(name, "text/csv", buf.getvalue().encode("utf-8"))],
    )


def dicom_header_dump(g: Gen) -> Mail:
    mod, desc = g.rng.choice(MODALITIES)
    d = g.date_near()
    uid = f"1.2.840.{g.digits(6)}.{g.digits(4)}.{g.digits(8)}"
    lines = [
        f"(0008,0020) DA StudyDate                 [{d:%Y%m%d}]",
        f"(0008,0060) CS Modality                  [{mod}]",
        f"(0008,1030) LO StudyDescription          [{desc}]",
        f"(0008,0090) PN ReferringPhysicianName    [{g.st.last_name().upper()}^{g.st.first_name().upper()}]",
        f"(0010,0010) PN PatientName               [{g.hl7_name()}]",
        f"(0010,0020) LO PatientID                 [{g.mrn}]",
        f"(0010,0030) DA PatientBirthDate          [{g.birth:%Y%m%d}]",
        f"(0010,0040) CS PatientSex                [{g.sex}]",
        f"(0020,000d) UI StudyInstanceUID          [{uid}]",
        f"(0008,0050) SH AccessionNumber           [{g.pick('ACC', 'RAD', '')}{g.ctrl(8)}]",
    ]
    body = g.pick(
        "This study never made it to the PACS worklist. dcmdump of the first image:",
        f"The {mod} images from the outside hospital CD are failing to import - header below. "
        "Is the PatientID clash with our MRN the reason?",
    )
    return phi(
        g.pick("Study not routing to PACS", "CD import failing - DICOM header", f"{mod} import"),
        f"{body}\n\n" + "\n".join(lines) + f"\n\n{g.staff()}\nPACS administrator",
    )


def engine_error_alert(g: Gen) -> Mail:
    eng = g.pick(*ENGINES)
    chan = g.pick("ADT_OUT_HIE", "ORM_to_LabCorp_like", "SIU_Portal", "VXU_StateIIS")
    ts = g.stamp()
    quoted = "\n".join(
        [
            f"MSH|^~\\&|EHR|LIM|IIS|STATE|{ts}||{g.pick('ADT^A08', 'VXU^V04', 'SIU^S12')}|"
            f"{g.ctrl(10)}|P|2.5.1",
            _pid(g),
            f"RXA|0|1|{ts}||{g.pick('208^COVID-19 mRNA', '141^Influenza', '33^Pneumococcal')}^CVX|0.5|mL",
        ]
    )
    body = (
        f"*** {eng} ALERT ***\nChannel: {chan}\nSeverity: ERROR\nTime: {ts}\n"
        f"Error: {g.pick('Destination returned AE: Invalid value in PID-7', 'Timeout after 30000 ms', 'Required field PID-8 missing')}\n"
        f"Retries: {g.rng.randint(1, 5)}/5 - message moved to error queue\n\n"
        f"Message content:\n{quoted}\n\n-- automated notification, do not reply"
    )
    if g.variant(2):
        body = (
            f"{g.st.first_name()}, this one came in overnight - can your team look?\n\n"
            + "\n".join("> " + ln for ln in body.splitlines())
        )
    return phi(f"[{eng}] ERROR on channel {chan}", body)


def erx_failure_notice(g: Gen) -> Mail:
    drug, rx = g.rng.choice(DRUGS)
    store = f"{g.us.city()} Community Pharmacy"
    body = (
        f"ePrescribing transaction error\n\nMessage type: NewRx  Status: Error "
        f"{g.pick('600', '601', '602', '900')}\nDescription: "
        f"{g.pick('Patient not found at pharmacy', 'Prescriber not enabled for EPCS', 'Drug description exceeds length')}\n"
        f"Sent: {g.stamp()}\n\n"
        f"<Patient><HumanPatient><Name><LastName>{g.family}</LastName><FirstName>{g.given}"
        f"</FirstName></Name><Gender>{g.sex}</Gender><DateOfBirth><Date>{g.birth.isoformat()}"
        f"</Date></DateOfBirth></HumanPatient></Patient>\n"
        f"<MedicationPrescribed><DrugDescription>{drug}</DrugDescription><DrugCoded>"
        f"<Code>{rx}</Code><Qualifier>SBD</Qualifier></DrugCoded><Quantity><Value>"
        f"{g.rng.choice((30, 60, 90))}</Value></Quantity><Sig>take 1 by mouth "
        f"{g.pick('daily', 'twice daily', 'at bedtime')}</Sig></MedicationPrescribed>\n"
        f"<Pharmacy><StoreName>{store}</StoreName><NCPDPID>{g.ctrl(7)}</NCPDPID></Pharmacy>\n\n"
        "Please correct and resend, or call the pharmacy."
    )
    return phi(
        g.pick("eRx error - NewRx not delivered", "Surescripts-style error notification",
               "Prescription transmission failed"),
        body,
    )  # fmt: skip


def scheduling_webhook(g: Gen) -> Mail:
    code, desc = g.dx()
    when = g.date_near(5, 40)
    payload = {
        "event": g.pick("appointment.booked", "appointment.rescheduled", "appointment.cancelled"),
        "id": f"evt_{g.ctrl(10)}",
        "data": {
            "appointment": {
                "start": f"{when.isoformat()}T{g.rng.randint(8, 16):02d}:{g.pick('00', '20', '40')}:00-05:00",
                "visit_type": g.pick("FOLLOWUP_30", "NEW_PT_60", "TELEHEALTH_20"),
                "reason": g.pick(f"f/u {desc.lower()}", f"{code} med check", "lab review"),
                "provider": g.doctor(),
            },
            "patient": {
                "first_name": g.given,
                "last_name": g.family,
                "dob": g.birth.isoformat(),
                "phone": g.us_phone(),
                "email": f"{g.us.user_name()}@{g.pick('gmail.com', 'yahoo.com', 'outlook.com')}",
                "external_id": g.mrn,
            },
        },
    }
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    intro = g.pick(
        "The webhook below returned 500 from our listener, so the slot never reached the EHR:",
        "Example payload that your scheduling widget sent us - the reason field is being "
        "truncated.",
    )
    if g.variant(2):
        return phi(
            "Webhook delivery failure",
            f"<p>{intro}</p><pre>{text}</pre><p>{g.staff()}</p>",
            html=True,
        )
    return phi(
        g.pick("Webhook payload example", "Failed webhook"), f"{intro}\n\n{text}\n\n{g.staff()}"
    )


def recall_list_sheet(g: Gen) -> Mail:
    kind = g.pick("Colonoscopy 10y", "Mammogram", "Diabetic eye exam", "A1c overdue", "DEXA")
    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t", lineterminator="\r\n")
    w.writerow(["Patient Name", "Birth Date", "Home Phone", "Recall", "Last Done", "Notes"])
    people = [(g.family, g.given, g.birth)] + [
        g.other_patient() for _ in range(g.rng.randint(3, 9))
    ]
    for fam, giv, born in people:
        w.writerow([f"{fam}, {giv}", born.strftime("%m/%d/%Y"), g.us_phone(), kind,
                    g.date_back(300, 4000).strftime("%m/%d/%Y"),
                    g.pick("", "left VM", "prefers Spanish", "declined x1")])  # fmt: skip
    body = g.pick(
        f"Hi, attached is this month's {kind} recall list for the call campaign. Please "
        "upload to the dialer by Friday.",
        "Recall sheet attached (saved from Excel as tab-delimited).",
    )
    return phi(
        g.pick(f"{kind} recall list", "Recall list for outreach", "Monthly recall sheet"),
        f"{body}\n\n{g.staff()}\nCare Coordination",
        where=("attachment",),
        attachments=[(f"recall_{BASE:%Y%m}.xls.txt", "text/tab-separated-values",
                      buf.getvalue().encode("utf-8"))],
    )  # fmt: skip


def app_log_excerpt(g: Gen) -> Mail:
    code, desc = g.dx()
    ts = g.date_near()
    t = f"{ts.isoformat()}T{g.rng.randint(0, 23):02d}:{g.rng.randint(0, 59):02d}"
    lines = [
        f"{t}:01.112Z INFO  [portal-api] GET /v2/patients/{g.mrn} 200 41ms",
        f'{t}:01.140Z DEBUG [portal-api] patient loaded name="{g.patient()}" '
        f"dob={g.birth.isoformat()} mrn={g.mrn}",
        f'{t}:01.188Z DEBUG [portal-api] problems=[{code} "{desc}"]',
        f"{t}:01.203Z ERROR [portal-api] NullReferenceException in "
        "ProblemListSerializer.Map() at line 212",
    ]
    body = g.pick(
        "Log excerpt from the portal API around the crash - note DEBUG logging is still on in "
        "prod, which is a separate problem.",
        "Here's what the app server logged when the patient tried to open the problem list:",
    )
    return phi(
        g.pick("Portal crash - log excerpt", f"BUG-{g.ctrl(4)}: problem list 500"),
        f"{body}\n\n" + "\n".join(lines) + f"\n\n{g.staff()}\nIT Support",
    )


def mpi_merge_request(g: Gen) -> Mail:
    other = str(g.rng.randint(1_000_000, 99_999_999))
    subject = g.pick(
        f"Duplicate chart merge: {g.family.upper()}, {g.given} MRN {g.mrn} / {other}",
        f"MPI merge request - {g.patient()} ({g.birth:%m/%d/%Y})",
    )
    body = (
        f"Please merge the two records below; the second was created at the front desk when "
        f"the patient's insurance card was scanned.\n\nSurviving MRN: {g.mrn}\n"
        f"Non-surviving MRN: {other}\nDOB on both: {g.human_date(g.birth)}\n"
        f"Open orders on non-surviving chart: {g.rng.randint(0, 3)}\n\n{g.staff()}\nHIM"
    )
    return phi(subject, body, where=("subject", "body"))


def astm_result_thread(g: Gen) -> Mail:
    d = g.date_near()
    recs = [
        f"H|\\^&|||{g.pick('Cobas', 'Architect', 'DxC', 'Atellica')}^{g.ctrl(5)}|||||||P|1|{d:%Y%m%d}",
        f"P|1||{g.mrn}||{g.hl7_name()}||{g.birth:%Y%m%d}|{g.sex}",
        f"O|1|{g.ctrl(10)}||^^^{g.pick('CMP', 'LIPID', 'A1C', 'TSH')}|R||||||N",
    ]
    for i in range(1, g.rng.randint(2, 5)):
        code, name, value, unit, rf = g.lab()
        ref, flag = rf.split("|")
        recs.append(f"R|{i}|^^^{code}|{value}|{unit}|{ref}|{flag}||F||||{d:%Y%m%d}")
    recs.append("L|1|N")
    quoted = "\n".join("> " + r for r in recs)
    body = (
        f"Adding {g.pick('the LIS vendor', 'our field engineer')} - the analyser is still "
        "sending the patient name in the wrong field. See the file from this morning quoted "
        f"below.\n\n{g.staff()}\n\nOn {d:%a, %b %d, %Y}, {g.staff()} wrote:\n"
        f"> Result file from the chemistry analyser:\n>\n{quoted}"
    )
    return phi(g.pick("RE: analyser result file", "RE: RE: ASTM field mapping"), body,
               where=("quoted",))  # fmt: skip


# ------------------------------------------------------------------------ clean families


def engine_heartbeat(g: Gen) -> Mail:
    eng = g.pick(*ENGINES)
    d = g.date_near()
    rows = []
    for chan in ("ADT_OUT_HIE", "ORU_IN_LAB", "SIU_Portal", "VXU_StateIIS", "DFT_Billing"):
        rec = g.rng.randint(200, 9000)
        rows.append(
            f"{chan:<14} received {rec:>5}  sent {rec - g.rng.randint(0, 4):>5}  "
            f"errored {g.rng.randint(0, 4):>2}  queued {g.rng.randint(0, 30):>3}"
        )
    body = g.pick(
        f"{eng} daily statistics for {d:%m/%d/%Y} (host {g.pick('ie01', 'ie-prod-2')}."
        f"{PRACTICE})\n\n" + "\n".join(rows) + "\n\nAll channels STARTED. Heartbeat OK.",
        f"Planned downtime: the interface engine will be stopped {d:%A %m/%d} from 22:00 to "
        f"23:30 CT for the {eng} {g.rng.randint(3, 4)}.{g.rng.randint(0, 12)} upgrade. Inbound "
        "results will queue at the lab and replay automatically.\n\nCurrent queue depths:\n"
        + "\n".join(rows)
        + f"\n\nContact: {g.staff()}, on-call {g.phone()}",
    )
    return clean(g.pick(f"[{eng}] daily stats", "Interface engine downtime notice"), body)


def edi_999_ack(g: Gen) -> Mail:
    d = g.date_near()
    ctl = g.ctrl(9)
    seg = [
        f"ISA*00*          *00*          *ZZ*CLEARHOUSE     *ZZ*LIMCLINIC      *{d:%y%m%d}*"
        f"{g.rng.randint(0, 23):02d}{g.rng.randint(0, 59):02d}*^*00501*{ctl}*0*P*:~",
        f"GS*FA*CLEARHOUSE*LIMCLINIC*{d:%Y%m%d}*1015*{g.ctrl(4)}*X*005010X231A1~",
        "ST*999*0001*005010X231A1~",
        f"AK1*HC*{g.ctrl(4)}*005010X222A1~",
        f"AK2*837*{g.ctrl(4)}*005010X222A1~",
        "IK5*A~",
        f"AK9*{g.pick('A', 'P')}*{g.rng.randint(1, 3)}*{g.rng.randint(1, 3)}*{g.rng.randint(1, 3)}~",
        f"SE*6*0001~\nGE*1*{g.ctrl(4)}~\nIEA*1*{ctl}~",
    ]
    if g.variant(3) == 0:
        seg = [f"TA1*{ctl}*{d:%y%m%d}*1015*A*000~"]
    body = g.pick(
        "Acknowledgement for yesterday's batch attached below for your records - accepted, no "
        "errors.",
        f"FYI the 999 for interchange {ctl} came back. Nothing to action.",
    )
    return clean(
        g.pick("999 acknowledgement", f"Batch {ctl} acknowledged", "TA1/999 received"),
        f"{body}\n\n" + "\n".join(seg) + f"\n\n{g.staff()}\nBilling Office",
    )


def fhir_dev_newsletter(g: Gen) -> Mail:
    vendor = g.pick(*EHRS)
    ex = json.dumps(
        {
            "resourceType": "Patient",
            "id": "example",
            "name": [{"family": g.pick("Example", "Doe", "Test"), "given": [g.pick("Patient", "John", "Jane")]}],
            "birthDate": g.pick("1900-01-01", "2000-01-01", "YYYY-MM-DD"),
            "identifier": [{"system": "urn:oid:1.2.3.4", "value": g.pick("12345", "000000", "XXXXXX")}],
        },
        indent=2,
    )  # fmt: skip
    hl7 = f"PID|1||{g.pick('123456', '000000')}^^^MRN||{g.pick('DOE^JOHN', 'EXAMPLE^PATIENT', 'TEST^TEST')}||19000101|U"
    body = (
        f"{vendor} Developer Digest - {g.date_near():%B %Y}\n\n"
        f"What's new\n- R4 Patient $match now GA (ticket DEV-{g.ctrl(4)})\n"
        f"- Bulk $export rate limit raised to {g.rng.randint(2, 10)} jobs/hour\n"
        f"- Sandbox reset every {g.pick('Sunday', 'Saturday')} 02:00 UTC\n\n"
        "Sample request body (synthetic data, sandbox only):\n"
        f"{ex}\n\nLegacy v2 feed example:\n{hl7}\n\n"
        f"Questions? Reply to {g.staff()}, Developer Relations.\n"
        f"You receive this because you registered an app in the {vendor} sandbox."
    )
    return clean(g.pick(f"{vendor} Developer Digest", "FHIR API newsletter"), body)


def clearinghouse_enrollment(g: Gen) -> Mail:
    payer, pid = g.rng.choice(PAYERS)
    body = (
        f"Dear {g.staff()},\n\nYour ERA/EFT enrolment with {payer} (payer ID {pid}) has been "
        f"{g.pick('approved', 'submitted', 'received and is pending')}.\n\n"
        f"Practice: Lakeshore Internal Medicine, LLC\nGroup NPI: {g.npi()}\n"
        f"TIN: {g.digits(2)}-{g.digits(7)}\nSubmitter ID: LIM{g.ctrl(5)}\n"
        f"Effective date: {g.date_near(0, 45):%m/%d/%Y}\n\n"
        "835 files will begin arriving in your mailbox within two payment cycles. Please "
        "do not change bank details during this period.\n\n"
        f"{g.staff()}\nEnrollment Services, {g.company()}\n{g.phone()}"
    )
    return clean(g.pick("ERA enrolment confirmation", f"{payer} EFT/ERA enrollment"), body)


def hl7_mapping_spec(g: Gen) -> Mail:
    rows = [
        ("PID-3", "Patient Identifier List", "CX", "patient.mrn", "R"),
        ("PID-5", "Patient Name", "XPN", "patient.name_last / name_first", "R"),
        ("PID-7", "Date/Time of Birth", "TS", "patient.birth_date", "R"),
        ("PID-8", "Administrative Sex", "IS", "patient.sex (table 0001)", "RE"),
        ("PID-11", "Patient Address", "XAD", "patient.address_*", "RE"),
        ("PV1-7", "Attending Doctor", "XCN", "encounter.attending_npi", "RE"),
        ("OBX-3", "Observation Identifier", "CE", "result.loinc", "R"),
        ("OBX-5", "Observation Value", "varies", "result.value", "R"),
        ("DG1-3", "Diagnosis Code", "CE", "diagnosis.icd10", "O"),
    ]
    g.rng.shuffle(rows)
    table = "\n".join(f"{a:<7} {b:<26} {c:<7} {d:<34} {e}" for a, b, c, d, e in rows)
    body = (
        f"Attached below is v{g.rng.randint(1, 4)}.{g.rng.randint(0, 9)} of the inbound "
        f"mapping spec for the {g.pick(*LAB_VENDORS)} interface. Field names only, no sample "
        f"data yet.\n\nSegment Name                       Type    Target column"
        f"                      Usage\n{table}\n\nOpen question for {g.staff()}: do we "
        "store PID-3 repetitions beyond the first?\n\n"
        f"{g.staff()}\nIntegration Team"
    )
    return clean(g.pick("HL7 mapping spec - draft", "Interface spec for review"), body)


def ehr_release_notes(g: Gen) -> Mail:
    vendor = g.pick(*EHRS)
    items = [
        f"{g.pick('EHR', 'RCM', 'PORT')}-{g.ctrl(4)} {t} ({g.staff()})"
        for t in g.rng.sample(
            [
                "Fix: ADT A08 no longer overwrites PID-13 when blank",
                "New: 999 acknowledgements shown on the batch screen",
                "Fix: CCD export encodes ICD-10-CM OID correctly",
                "Perf: problem list loads 40% faster",
                "New: FHIR Observation search by LOINC code",
                "Fix: recall letters respect patient language preference",
                "Chore: upgrade TLS libraries on interface host",
            ],
            4,
        )
    ]
    body = (
        f"{vendor} release {g.rng.randint(23, 25)}.{g.rng.randint(1, 12)} - sprint "
        f"{g.rng.randint(40, 99)} notes\nDeploy window: {g.date_near(0, 14):%m/%d} 21:00 CT\n\n"
        + "\n".join("- " + i for i in items)
        + f"\n\nQA sign-off: {g.staff()}\nRelease manager: {g.staff()}"
    )
    return clean(g.pick(f"{vendor} release notes", "Sprint release summary"), body)


def denial_statistics(g: Gen) -> Mail:
    lines = []
    for payer, _ in g.rng.sample(PAYERS, 4):
        n = g.rng.randint(300, 3000)
        den = g.rng.randint(8, int(n * 0.15))
        lines.append(
            f"{payer:<34} {n:>5} claims  {den:>4} denied ({den / n:.1%})  top CARC "
            f"{g.pick('CO-16', 'CO-97', 'CO-197', 'PR-204', 'CO-50')}"
        )
    body = (
        f"Q{g.rng.randint(1, 4)} denial summary by payer (all locations):\n\n"
        + "\n".join(lines)
        + f"\n\nMost-denied CPT: {g.rng.choice(CPT)}; most frequent diagnosis on denied "
        f"claims: {g.dx()[0]}. No patient-level data in this report.\n\n{g.staff()}\n"
        "Revenue Cycle Analyst"
    )
    return clean(g.pick("Quarterly denial statistics", "Denials by payer - summary"), body)


VOLUMES = ("/var/lib/mysql", "D:\\DICOM", "/opt/engine/data", "/srv/fhir")


def server_monitor_alert(g: Gen) -> Mail:
    host = g.pick("ehr-db01", "ie-prod-2", "pacs-arch01", "fhir-gw02")
    size = g.rng.choice((500, 1000, 2000, 4000))
    used = g.rng.randint(86, 99)
    body = (
        f"PROBLEM: Disk space low on {host}.{PRACTICE}\nHost: {host} "
        f"(10.{g.rng.randint(0, 40)}.{g.rng.randint(0, 255)}.{g.rng.randint(2, 254)})\n"
        f"Volume: {g.pick(*VOLUMES)}  "
        f"{used}% used of {size} GB\n"
        f"Triggered: {g.date_near():%Y-%m-%d} {g.rng.randint(0, 23):02d}:{g.rng.randint(0, 59):02d}\n"
        f"Load avg: {g.rng.uniform(0.1, 9):.2f}  Uptime: {g.rng.randint(2, 300)} days\n\n"
        f"Acknowledged by: {g.staff()}\nTicket: INC{g.ctrl(7)}"
    )
    return clean(f"PROBLEM: {host} disk {used}%", body)


def dicom_conformance(g: Gen) -> Mail:
    body = (
        f"From the {g.pick('archive', 'modality', 'viewer')} vendor's DICOM Conformance "
        f"Statement, rev {g.rng.randint(1, 9)}.{g.rng.randint(0, 9)}, section 4.2:\n\n"
        "SOP Class                         UID                            Role\n"
        "CT Image Storage                  1.2.840.10008.5.1.4.1.1.2      SCU/SCP\n"
        "MR Image Storage                  1.2.840.10008.5.1.4.1.1.4      SCU/SCP\n"
        "Digital Mammography X-Ray Image   1.2.840.10008.5.1.4.1.1.1.2    SCP\n"
        "Modality Worklist Find            1.2.840.10008.5.1.4.31         SCP\n\n"
        "Transfer syntaxes: Implicit VR Little Endian, Explicit VR Little Endian, JPEG 2000.\n"
        "Worklist matching keys: PatientName (0010,0010), PatientID (0010,0020), "
        "ScheduledProcedureStepStartDate.\n\n"
        f"Our AE title: LIM_{g.pick('PACS', 'ARCH')}  port {g.pick('104', '11112', '4242')}\n"
        f"Please configure the new {g.pick('ultrasound', 'DEXA', 'X-ray')} unit accordingly.\n\n"
        f"{g.staff()}\nImaging IT"
    )
    return clean(g.pick("DICOM conformance - config", "AE setup for new modality"), body)


FAMILIES: dict[str, Callable[[Gen], Mail]] = {
    "hl7_adt_pasted": hl7_adt_pasted,
    "hl7_oru_attachment": hl7_oru_attachment,
    "fhir_bundle_attachment": fhir_bundle_attachment,
    "ccda_excerpt": ccda_excerpt,
    "x12_837_snippet": x12_837_snippet,
    "x12_835_remit": x12_835_remit,
    "ehr_csv_export": ehr_csv_export,
    "dicom_header_dump": dicom_header_dump,
    "engine_error_alert": engine_error_alert,
    "erx_failure_notice": erx_failure_notice,
    "scheduling_webhook": scheduling_webhook,
    "recall_list_sheet": recall_list_sheet,
    "app_log_excerpt": app_log_excerpt,
    "mpi_merge_request": mpi_merge_request,
    "astm_result_thread": astm_result_thread,
    "engine_heartbeat": engine_heartbeat,
    "edi_999_ack": edi_999_ack,
    "fhir_dev_newsletter": fhir_dev_newsletter,
    "clearinghouse_enrollment": clearinghouse_enrollment,
    "hl7_mapping_spec": hl7_mapping_spec,
    "ehr_release_notes": ehr_release_notes,
    "denial_statistics": denial_statistics,
    "server_monitor_alert": server_monitor_alert,
    "dicom_conformance": dicom_conformance,
}

SOURCE = Source("templates-k", "k", 11, 1100000, PRACTICE, PARTNER, "unseen-k")


def build(out: Path, per_family: int, seed: int) -> list[dict[str, object]]:
    """Write this file's families into `out` (msg_k_NNNNN.eml); return their manifest rows."""
    return build_source(out, per_family, seed, SOURCE, FAMILIES, Gen)
