"""Extraction from attachments: PDF, DOCX, XLSX, CSV, RTF, HL7, FHIR, C-CDA, ZIP and OCR."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from email.mime.text import MIMEText

import docx
import openpyxl
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from detectors.extract import Extraction, ExtractLimits, TesseractOcr, TextPart, extract_message
from tests.support.formats import (
    CCDA,
    HL7,
    png_of,
    scanned_pdf,
    text_pdf,
    with_attachment,
    zip_of,
)


def _tesseract_is_installed() -> None:
    # make test apt-installs tesseract-ocr: a missing binary is a broken set-up, not a skip.
    assert shutil.which("tesseract"), (
        "tesseract is not installed (make test installs tesseract-ocr)"
    )


needs_tesseract = pytest.mark.usefixtures("_require_tesseract")


@pytest.fixture
def _require_tesseract() -> None:
    _tesseract_is_installed()


def content_parts(result: Extraction, label: str) -> list[TextPart]:
    """The TextParts of an attachment other than the one holding its file name."""
    return [p for p in result.parts if p.part == label and not p.origin.endswith(" (file name)")]


def clinical_lines(raw: bytes, name: str, kind: str) -> list[str]:
    """The lines extracted from attachment `name` of `raw`, which must be read as `kind`."""
    (part,) = content_parts(extract_message(raw), f"attachment:{name}")
    assert part.kind == kind
    return part.text.splitlines()


def missing(expected: list[str], lines: list[str]) -> list[str]:
    """The expected lines that are not among ``lines`` (none when all were extracted)."""
    return [line for line in expected if line not in lines]


def document_part(result: Extraction, name: str) -> TextPart:
    """The one TextPart of attachment `name` holding its document text (not comments, notes,
    properties and the like, which have origins of their own)."""
    (part,) = [p for p in result.parts if p.part == f"attachment:{name}" and p.origin == name]
    return part


# ---------------------------------------------------------------- PDF


def test_pdf_text_layer_is_extracted() -> None:
    """A PDF's text layer comes out under attachment:<name> with kind pdf."""
    pdf = text_pdf(
        ["Patient: WEST, LEWIS", "DOB: 12/05/1941  MRN: E4407425", "Glucose, fasting 138 mg/dL"]
    )
    result = extract_message(with_attachment(pdf, "lab.pdf", "application/pdf"))
    (part,) = content_parts(result, "attachment:lab.pdf")
    assert part.kind == "pdf" and part.origin == "lab.pdf"
    assert "Patient: WEST, LEWIS" in part.text and "MRN: E4407425" in part.text
    assert result.unscannable == ()


def test_encrypted_pdf_is_unscannable() -> None:
    """A PDF that needs a password is reported encrypted-pdf, not passed as empty."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf(["MRN E1"]))))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    result = extract_message(with_attachment(out.getvalue(), "locked.pdf", "application/pdf"))
    assert [(u.part, u.reason) for u in result.unscannable] == [
        ("attachment:locked.pdf", "encrypted-pdf")
    ]


def test_pdf_encrypted_with_empty_user_password_is_read() -> None:
    """A permissions-only PDF (empty user password) is decrypted and scanned."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf(["MRN E7777777"]))))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    result = extract_message(with_attachment(out.getvalue(), "perm.pdf", "application/pdf"))
    assert "MRN E7777777" in result.text_of("attachment:perm.pdf")


@needs_tesseract
@pytest.mark.parametrize("encoding", ["flate-gray", "jpeg", "1bit", "rgb"])
def test_image_only_pdf_is_ocred(encoding: str) -> None:
    """A scanned fax (one image per page, no text layer) is OCRed into an ocr part."""
    pdf = scanned_pdf(["Patient Jane Roe", "MRN E4407425"], encoding)
    result = extract_message(with_attachment(pdf, "fax.pdf", "application/pdf"))
    (part,) = content_parts(result, "attachment:fax.pdf")
    assert part.kind == "ocr" and part.origin == "fax.pdf (ocr)"
    assert "E4407425" in part.text and "Jane Roe" in part.text


def test_image_only_pdf_with_ocr_disabled_is_unscannable() -> None:
    """When OCR is off, a scanned PDF is reported ocr-unavailable instead of passing as empty."""
    pdf = scanned_pdf(["MRN E4407425"])
    result = extract_message(with_attachment(pdf, "fax.pdf"), ExtractLimits(ocr_enabled=False))
    assert [u.reason for u in result.unscannable] == ["ocr-unavailable"]


# ---------------------------------------------------------------- images


@needs_tesseract
def test_png_attachment_is_ocred() -> None:
    """A PNG attachment is OCRed; its part is attachment:<name> and origin says (ocr)."""
    result = extract_message(with_attachment(png_of(["DOB 03/14/1985"]), "scan.png", "image/png"))
    (part,) = content_parts(result, "attachment:scan.png")
    assert (part.part, part.origin, part.kind) == ("attachment:scan.png", "scan.png (ocr)", "ocr")
    assert "03/14/1985" in part.text


def test_missing_tesseract_is_ocr_unavailable() -> None:
    """Without a tesseract binary an image is reported ocr-unavailable."""
    message = with_attachment(png_of(["x"]), "scan.png", "image/png")
    result = extract_message(message, ocr=TesseractOcr(binary="/nonexistent/tesseract"))
    assert [(u.part, u.reason) for u in result.unscannable] == [
        ("attachment:scan.png", "ocr-unavailable")
    ]


def test_ocr_that_hangs_is_killed_and_reported(tmp_path: pytest.TempPathFactory) -> None:
    """An OCR run past its timeout is killed and reported ocr-timeout."""
    fake = tmp_path / "tesseract"  # type: ignore[operator]
    fake.write_text("#!/bin/sh\nexec sleep 60\n")
    fake.chmod(0o755)
    message = with_attachment(png_of(["x"]), "scan.png", "image/png")
    result = extract_message(
        message, ExtractLimits(ocr_timeout_s=0.5), ocr=TesseractOcr(binary=str(fake))
    )
    assert [u.reason for u in result.unscannable] == ["ocr-timeout"]


def test_tracking_pixel_is_not_ocred() -> None:
    """A 1x1 image is skipped without running OCR (no binary needed, nothing reported)."""
    out = io.BytesIO()
    Image.new("L", (1, 1), 255).save(out, "GIF")
    message = with_attachment(out.getvalue(), "pixel.gif", "image/gif")
    result = extract_message(message, ocr=TesseractOcr(binary="/nonexistent/tesseract"))
    assert result.unscannable == ()


# ---------------------------------------------------------------- office


def test_docx_paragraphs_tables_headers_and_footers() -> None:
    """DOCX text comes from paragraphs, table rows (cells tab-separated), headers and footers."""
    document = docx.Document()
    document.add_paragraph("Referral for Jane Roe")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "DOB", "03/14/1985"
    table.cell(1, 0).text, table.cell(1, 1).text = "Diagnosis", "Chest pain on breathing"
    document.sections[0].header.paragraphs[0].text = "MRN E9990001"
    document.sections[0].footer.paragraphs[0].text = "Member ID W224654897"
    out = io.BytesIO()
    document.save(out)
    result = extract_message(with_attachment(out.getvalue(), "Consult request.docx"))
    part = document_part(result, "Consult request.docx")
    lines = part.text.splitlines()
    assert part.kind == "docx"
    assert "Referral for Jane Roe" in lines
    assert "DOB\t03/14/1985" in lines
    assert "Diagnosis\tChest pain on breathing" in lines
    assert "MRN E9990001" in lines and "Member ID W224654897" in lines


def test_xlsx_rows_keep_the_header_row_and_display_values() -> None:
    """XLSX rows become tab-joined lines after the header row; dates and zero-padded IDs as shown."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Gaps"
    sheet.append(["Patient Name", "DOB", "MRN"])
    sheet.append(["Koivu, Markus", dt.datetime(1991, 7, 30), 1234567])
    sheet["B2"].number_format = "mm/dd/yyyy"
    sheet["C2"].number_format = "00000000"
    out = io.BytesIO()
    workbook.save(out)
    result = extract_message(with_attachment(out.getvalue(), "gaps.xlsx"))
    part = document_part(result, "gaps.xlsx")
    lines = part.text.splitlines()
    assert lines == ["Sheet: Gaps", "Patient Name\tDOB\tMRN", "Koivu, Markus\t07/30/1991\t01234567"]


def test_csv_attachment_is_kept_verbatim() -> None:
    """A CSV attachment is scanned as its text, kind csv (its CRLF line ends as LF)."""
    data = b"name,dob,mrn\r\nRoe, Jane,03/14/1985,E1234567\r\n"
    result = extract_message(with_attachment(data, "list.csv", "text/csv"))
    (part,) = content_parts(result, "attachment:list.csv")
    assert part.kind == "csv" and part.text == "name,dob,mrn\nRoe, Jane,03/14/1985,E1234567\n"


def test_rtf_is_stripped_to_text() -> None:
    """RTF control words, font tables and hidden destinations go; hex and unicode escapes decode."""
    rtf = (
        rb"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}{\*\generator Riched20;}"
        rb"{\info{\author Dr Who}}\f0 Patient: J\'fcrgen M\u252?ller\par "
        rb"DOB: 01/02/1960\tab MRN E1234567\par}"
    )
    result = extract_message(with_attachment(rtf, "letter.rtf", "application/rtf"))
    (part,) = content_parts(result, "attachment:letter.rtf")
    assert part.kind == "rtf"
    assert part.text.splitlines() == ["Patient: Jürgen Müller", "DOB: 01/02/1960\tMRN E1234567"]


def test_encrypted_office_document_is_unscannable() -> None:
    """A password-protected DOCX (an OLE container with EncryptedPackage) is reported."""
    data = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le")
    )
    result = extract_message(with_attachment(data, "secret.docx"))
    assert [u.reason for u in result.unscannable] == ["encrypted-document"]


# ---------------------------------------------------------------- clinical formats


FHIR_BUNDLE = {
    "resourceType": "Bundle",
    "entry": [
        {
            "resource": {
                "resourceType": "Patient",
                "name": [{"family": "Roe", "given": ["Jane"]}],
                "birthDate": "1985-03-14",
                "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": "E1234567"}],
                "telecom": [{"system": "phone", "value": "217-555-0101"}],
                "address": [{"line": ["12 Main St"], "city": "Springfield", "postalCode": "62701"}],
            }
        },
        {
            "resource": {
                "resourceType": "Observation",
                "code": {"coding": [{"code": "2951-2", "display": "Sodium"}]},
                "valueQuantity": {"value": 140, "unit": "mmol/L"},
            }
        },
        {
            "resource": {
                "resourceType": "Condition",
                "code": {
                    "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.9"}]
                },
                "subject": {"reference": "Patient/1"},
            }
        },
    ],
}


@pytest.mark.parametrize(
    ("raw", "name", "kind", "expected"),
    [
        # PID/PV1/OBX/DG1 fields are rendered as "label: value" lines for context.
        pytest.param(
            with_attachment(HL7.encode(), "oru.hl7"),
            "oru.hl7",
            "hl7",
            [
                "MRN: E1234567 CLINIC MR",
                "Patient name: Jane Q Roe (Roe, Jane)",
                "DOB: 1985-03-14 (03/14/1985)",
                "SSN: 123-45-6789",
                "Phone (home): (217)555-0101",
                "Address: 12 Main St Springfield IL 62701",
                "Observation: 2951-2 Sodium LN",
                "Result: 140",
                "Diagnosis: E11.9 Type 2 diabetes mellitus I10",
            ],
            id="hl7",
        ),
        # Patient, Observation and Condition resources of a FHIR bundle give labelled lines.
        pytest.param(
            with_attachment(
                json.dumps(FHIR_BUNDLE).encode(), "bundle.json", "application/fhir+json"
            ),
            "bundle.json",
            "fhir",
            [
                "Patient name: Jane Roe (Roe, Jane)",
                "DOB: 1985-03-14",
                "MRN: E1234567",
                "Phone: 217-555-0101",
                "Address: 12 Main St, Springfield 62701",
                "Observation: Sodium (2951-2)",
                "Result: 140 mmol/L",
                "Diagnosis: (E11.9)",
            ],
            id="fhir",
        ),
        # C-CDA yields labelled patient data, section titles and narrative table rows.
        pytest.param(
            with_attachment(CCDA, "ccd.xml", "application/xml"),
            "ccd.xml",
            "ccda",
            [
                "Patient ID: E1234567",
                "Patient name: Jane Roe",
                "DOB: 1985-03-14 (03/14/1985)",
                "Section: Problems",
                "Type 2 diabetes mellitus\tE11.9",
            ],
            id="ccda",
        ),
    ],
)
def test_clinical_formats_become_labelled_lines(
    raw: bytes, name: str, kind: str, expected: list[str]
) -> None:
    """HL7 v2, FHIR and C-CDA attachments are read as their kind into labelled lines."""
    assert missing(expected, clinical_lines(raw, name, kind)) == []


# ---------------------------------------------------------------- ZIP


def test_zip_members_and_nested_zips_are_extracted() -> None:
    """ZIP members (and a zip inside it) are labelled with the outer archive's name."""
    inner = zip_of({"deep/notes.txt": b"Jane Roe MRN E2020202"})
    outer = zip_of(
        {"patients.csv": b"name,mrn\nRoe Jane,E1010101\n", "inner.zip": inner, "dir/": b""}
    )
    result: Extraction = extract_message(with_attachment(outer, "report.zip", "application/zip"))
    parts = {p.origin: p for p in result.parts if p.part == "attachment:report.zip"}
    assert parts["report.zip/patients.csv"].kind == "csv"
    assert "E1010101" in parts["report.zip/patients.csv"].text
    assert "E2020202" in parts["report.zip/inner.zip/deep/notes.txt"].text
    assert result.unscannable == ()


def test_encrypted_zip_member_is_unscannable() -> None:
    """A password-protected ZIP member is reported encrypted-zip with its path."""
    data = bytearray(zip_of({"secret.csv": b"MRN E1"}))
    # Set the "encrypted" flag in the local and the central header, as a real encrypted zip has.
    data[6] |= 0x01
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 0x01
    result = extract_message(with_attachment(bytes(data), "locked.zip", "application/zip"))
    assert [(u.part, u.origin, u.reason) for u in result.unscannable] == [
        ("attachment:locked.zip", "locked.zip/secret.csv", "encrypted-zip")
    ]


def test_octet_stream_is_sniffed_by_magic_bytes() -> None:
    """A PDF sent as application/octet-stream with a .dat name is still read as a PDF."""
    result = extract_message(with_attachment(text_pdf(["MRN E4545454"]), "export.dat"))
    assert "MRN E4545454" in result.text_of("attachment:export.dat")


def test_unknown_binary_is_unscannable() -> None:
    """Binary bytes of no known type are reported unknown-type."""
    blob = bytes(range(256)) * 8
    result = extract_message(with_attachment(blob, "blob.bin"))
    assert [(u.part, u.reason) for u in result.unscannable] == [
        ("attachment:blob.bin", "unknown-type")
    ]


def test_eml_inside_a_zip_is_walked_under_the_zip_label() -> None:
    """A forwarded .eml inside a ZIP keeps the archive's label; the inner path is in origin."""
    inner = MIMEText("Patient Jane Roe, MRN E3131313")
    inner["Subject"] = "FW: Jane Roe"
    archive = zip_of({"mail/fwd.eml": inner.as_bytes()})
    result = extract_message(with_attachment(archive, "mails.zip", "application/zip"))
    parts = {p.origin: p for p in result.parts if p.part == "attachment:mails.zip"}
    assert "Subject: FW: Jane Roe" in parts["mails.zip/mail/fwd.eml/header"].text
    assert any(
        "E3131313" in p.text and o.startswith("mails.zip/mail/fwd.eml/") for o, p in parts.items()
    )


def test_attachment_and_member_file_names_are_scanned() -> None:
    """File names of attachments and archive members are text parts too: they name patients."""
    archive = zip_of({"Roe_Jane_1985-03-14.csv": b"x"})
    result = extract_message(with_attachment(archive, "Roe Jane labs.zip", "application/zip"))
    names = {p.origin: p.text for p in result.parts if p.origin.endswith(" (file name)")}
    assert names == {
        "Roe Jane labs.zip (file name)": "Roe Jane labs.zip",
        "Roe Jane labs.zip/Roe_Jane_1985-03-14.csv (file name)": "Roe_Jane_1985-03-14.csv",
    }
