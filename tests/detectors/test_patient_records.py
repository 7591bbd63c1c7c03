"""Patient records in machine formats (issue 10, the class templates-k found): HL7 v2 and ASTM
segments, X12 claim loops, DICOM dumps, FHIR, CDA and NCPDP records, webhooks and CSV exports
name their patient by field, with few of the words prose PHI has. Each is PHI by the hand rules
alone. Their examples in specifications and newsletters (EVERYMAN^ADAM, a Patient "Example") name
nobody, and neither does what other recognizers read inside them.

The examples are written from the standards, not from any corpus template.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from detectors.engine import PhiEngine
from detectors.extract import extract_message
from detectors.findings import Finding
from tests.detectors.test_care_mail_classes import rules_phi

RECORDS = [
    pytest.param(
        "Interface rejected this ADT, please fix the visit number:\n\n"
        "MSH|^~\\&|EHR|CLINIC|ADT|HOSP|202611021200||ADT^A04|MSG0001|P|2.5.1\n"
        "PID|1||4471902^^^CLINIC^MR||KOWALCZYK^MARTA^J||19570314|F|||88 Birch Ln^^Dayton^OH\n"
        "PV1|1|O|CARD^^^CLINIC",
        "KOWALCZYK",
        id="hl7-adt-segments",
    ),
    pytest.param(
        "2026-11-02 03:11:09 ERROR channel LAB-IN: MSH|^~\\&|A|B|C|D|20261102||ORU^R01|9|P|2.3"
        "\\rPID|1||A99812^^^H^MR||NGUYEN^THI BICH||19800229|F\\rOBR|1||",
        "NGUYEN",
        id="hl7-in-a-log-line-with-written-out-returns",
    ),
    pytest.param(
        "Pasted from the engine (its returns were lost):\nMSH|^~\\&|A|B|C|D|20261102||ADT^A01|9|P"
        "|2.3EVN|A01|20261102PID|1||A99812^^^H^MR||ADEYEMI^FOLA||19800229|FPV1|1|I",
        "ADEYEMI",
        id="hl7-segments-glued-together",
    ),
    pytest.param(
        "Analyser upload stuck, frames below:\n1H|\\^&|||cobas\n2P|1||PT-20931||OKAFOR^CHIDI||"
        "19731104|M\n3O|1|S1||^^^GLU",
        "OKAFOR",
        id="astm-patient-record",
    ),
    pytest.param(
        "Can you see why this 837 bounced?\n\nNM1*85*2*VALLEY CLINIC*****XX*1234567893~"
        "NM1*IL*1*FERREIRA*LUCAS*M***MI*W882193377~N3*12 OAK ST~DMG*D8*19650921*M~",
        "FERREIRA",
        id="x12-subscriber-loop",
    ),
    pytest.param(
        "Remit line that did not post:\nCLP*ACCT99812*1*200*150**12*CLAIM123~"
        "NM1*QC*1*BRANDT*OSKAR****MI*H77123981~",
        "BRANDT",
        id="x12-835-patient",
    ),
    pytest.param(
        "Header of the study that will not route:\n"
        "(0008,0060) CS [MR]                 #   2, 1 Modality\n"
        "(0010,0010) PN [HAUGEN^INGRID]      #  14, 1 PatientName\n"
        "(0010,0020) LO [MR88213]            #   8, 1 PatientID\n"
        "(0010,0030) DA [19490702]           #   8, 1 PatientBirthDate",
        "HAUGEN",
        id="dcmdump",
    ),
    pytest.param(
        "pydicom says:\n(0010, 0010) Patient's Name        PN: 'Salo^Aino'\n"
        "(0010, 0020) Patient ID            LO: '2231987'\n"
        "(0010, 0030) Patient's Birth Date  DA: '19880415'",
        "Salo",
        id="pydicom-dump",
    ),
    pytest.param(
        'POST failed with 422:\n{"resourceType": "Patient", "identifier": [{"system": '
        '"urn:oid:1.2.3", "value": "MRN-0048213"}], "name": [{"family": "Oyelaran", "given": '
        '["Tunde"]}], "birthDate": "1971-08-30"}',
        "Oyelaran",
        id="fhir-patient-json",
    ),
    pytest.param(
        "Surescripts error 900 on:\n<NewRx><Patient><HumanPatient><Name><LastName>Delacroix"
        "</LastName><FirstName>Amelie</FirstName></Name><DateOfBirth><Date>1992-03-17</Date>"
        "</DateOfBirth></HumanPatient></Patient></NewRx>",
        "Delacroix",
        id="ncpdp-script-xml",
    ),
    pytest.param(
        'CCD fragment:\n<recordTarget><patientRole><id extension="887123" root="2.16.840.1"/>'
        "<patient><name><given>Ravi</given><family>Menon</family></name><birthTime "
        'value="19540210"/></patient></patientRole></recordTarget>',
        "Menon",
        id="cda-record-target",
    ),
    pytest.param(
        'Webhook returned 500:\n{"event": "appointment.created", "patient": {"first_name": '
        '"Grace", "last_name": "Whitfield", "dob": "1983-05-06"}}',
        "Whitfield",
        id="webhook-patient-object",
    ),
    pytest.param(
        'audit: user=jsmith action=chart_view patient_name="Maria Lopez" dob=1980-02-03 ok=1',
        "Lopez",
        id="log-key-value-pairs",
    ),
    pytest.param(
        "ERROR routing study: PatientName=LOPEZ^MARIA PatientBirthDate=19800203 Modality=CT",
        "LOPEZ",
        id="dicom-keywords-on-one-log-line",
    ),
    pytest.param(
        'Retry this one:\n{"patient": {"first_name": "建", "last_name": "易", "dob": "1986-07-01"}}',
        "易",
        id="one-character-names",
    ),
]


def _name_found(findings: list[Finding], body: str, name: str) -> bool:
    return any(
        f.entity == "PATIENT_NAME" and name in body[f.start : f.end]
        for f in findings
        if f.part == "body"
    )


@pytest.mark.parametrize(("body", "name"), RECORDS)
def test_a_record_names_its_patient(engine: PhiEngine, body: str, name: str) -> None:
    """The record's patient is found by field, and the message is PHI by the rules alone."""
    phi, findings = rules_phi(engine, body, "Interface error")
    assert phi, [f.describe() for f in findings]
    assert _name_found(findings, body, name), [f.describe() for f in findings]
    assert any(f.entity == "PATIENT_RECORD" for f in findings)


EXAMPLES = [
    pytest.param(
        "Spec v2 example (do not load):\nPID|1||123456^^^HOSP^MR||EVERYMAN^ADAM^A^III||19610615|M",
        id="hl7-spec-example",
    ),
    pytest.param(
        'Sample request body (sandbox):\n{"resourceType": "Patient", "name": [{"family": '
        '"Doe", "given": ["Jane"]}], "birthDate": "1961-04-12", "identifier": [{"value": '
        '"40001873"}]}',
        id="fhir-sandbox-doe",
    ),
    pytest.param(
        "Anonymiser check:\n(0010,0010) PN [ANONYMOUS]  # PatientName\n"
        "(0010,0030) DA [19550302]  # PatientBirthDate",
        id="anonymised-dicom",
    ),
    pytest.param(
        "Test claim:\nNM1*QC*1*TEST*PATIENT****MI*ZZ88123456~DMG*D8*19700101*F~",
        id="x12-test-patient",
    ),
]


@pytest.mark.parametrize("body", EXAMPLES)
def test_an_example_record_names_nobody(engine: PhiEngine, body: str) -> None:
    """A placeholder patient gives no finding, nor do the birth date and ids beside it."""
    phi, findings = rules_phi(engine, body, "Integration notes")
    assert not phi, [f.describe() for f in findings]
    kinds = {f.entity for f in findings}
    assert not kinds & {"PATIENT_NAME", "DOB", "MRN", "MEMBER_ID", "PATIENT_RECORD"}, kinds


def test_a_practitioner_is_no_patient(engine: PhiEngine) -> None:
    """A FHIR Practitioner's name is a clinician's, not a patient's."""
    body = (
        'Directory sync payload:\n{"resourceType": "Practitioner", "identifier": [{"value": '
        '"1234567893"}], "name": [{"family": "Lindqvist", "given": ["Maja"]}]}'
    )
    _, findings = rules_phi(engine, body, "Directory sync")
    assert not any(f.recognizer == "patient_record" for f in findings)


def test_a_staff_list_with_birth_dates_is_no_patient_table(engine: PhiEngine) -> None:
    """Names with birth dates and employee numbers, and nothing of care: not patients."""
    body = (
        "last_name,first_name,birth_date,employee_no,start_date\n"
        "Marsh,Kelly,04/12/1988,E20331,2024-01-08\n"
        "Osei,Kwame,11/30/1979,E20417,2023-06-19\n"
    )
    _, findings = rules_phi(engine, body, "HR export")
    assert not any(f.recognizer == "patient_record" for f in findings)


def test_a_log_without_a_patient_key_names_no_patient(engine: PhiEngine) -> None:
    """A user's own sign-in record with a birth date is no patient's."""
    body = "signup: user_name=kmarsh dob=1988-04-12 plan=pro status=active"
    _, findings = rules_phi(engine, body, "Signup log")
    assert not any(f.recognizer == "patient_record" for f in findings)


def test_prose_with_commas_is_no_table(engine: PhiEngine) -> None:
    """A sentence that starts with 'Patient' and holds commas is not a header row."""
    body = (
        "Patient, family and carer feedback, all of it anonymous, is summarised below.\n"
        "Waiting times, parking, and the phone line were the top three themes, again.\n"
    )
    _, findings = rules_phi(engine, body, "Feedback summary")
    assert not any(f.recognizer == "patient_record" for f in findings)


def test_form_labels_outside_dicom_are_not_read_as_tags(engine: PhiEngine) -> None:
    """'Patient's Name:' on a blank form is a label; only DICOM text makes it a tag."""
    body = "Please complete the form:\nPatient's Name: ____________\nPatient ID: ________\n"
    _, findings = rules_phi(engine, body, "Form")
    assert not any(f.recognizer == "patient_record" for f in findings)


def test_a_mapping_spec_names_no_patient(engine: PhiEngine) -> None:
    """Field names of a spec ('Patient Identifier List') are no patient's name."""
    body = (
        "Segment  Name                     Type  Target\n"
        "PID-3    Patient Identifier List  CX    patient.mrn\n"
        "PID-5    Patient Name             XPN   patient.name_last\n"
        "PID-7    Date/Time of Birth       TS    patient.birth_date\n"
    )
    _, findings = rules_phi(engine, body, "Mapping spec")
    assert not any(f.entity == "PATIENT_NAME" for f in findings), [f.describe() for f in findings]


def test_an_export_with_abbreviated_headers_sent_as_octet_stream(engine: PhiEngine) -> None:
    """A report export whose headers are abbreviations (pt_nm_last, brth_dt, chart_no), attached
    with a generic type: its rows are patients with their birth dates and diagnoses."""
    msg = EmailMessage()
    msg["From"] = "reports@clinic.example"
    msg["To"] = "vendor@partner.example"
    msg["Subject"] = "Report output for comparison"
    msg.set_content("The numbers don't match the dashboard - can you compare?\n\nTom")
    rows = (
        "pt_nm_last;pt_nm_first;brth_dt;chart_no;enc_dt;dx_primary\r\n"
        "Zielinska;Hanna;09.02.1959;7139459;2026-05-19;J45.40\r\n"
        "Abernathy;Cole;10/31/1952;1904720;2026-05-10;F41.1\r\n"
    )
    msg.add_attachment(
        rows.encode("utf-8-sig"),
        maintype="application",
        subtype="octet-stream",
        filename="export (3).dat",
    )
    extraction = extract_message(msg.as_bytes())
    findings, decision = engine.analyze(extraction.parts)
    assert decision.phi, decision.reasons
    table = [f for f in findings if f.recognizer == "patient_record"]
    assert {"PATIENT_NAME", "DOB", "MRN"} <= {f.entity for f in table}, [
        f.describe() for f in table
    ]
