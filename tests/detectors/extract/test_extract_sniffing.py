"""Content over labels: attachments read by what they are, bodies by the charset their bytes are in."""

from __future__ import annotations

import io
import quopri

import docx
import openpyxl
import pytest

from detectors.config import DetectorConfig
from detectors.engine import PhiEngine
from detectors.extract import Extraction, TextPart, extract_message
from detectors.extract.sniff import csv_dialect, sniff
from tests.support.formats import text_pdf, with_attachment

SEMICOLON_CSV = (
    "\ufeffNachname;Vorname;Geburtsdatum;Diagnose\r\n"
    "Müller;Jürgen;14.03.1961;Diabetes mellitus Typ 2\r\n"
    "Kowalczyk;Zofia;02.11.1975;Hypertonie\r\n"
    '"van der Berg";"Anna; Maria";30.06.1988;Asthma\r\n'
).encode("utf-8")


def attachment_parts(result: Extraction) -> list[TextPart]:
    """The text parts that came out of the attachment's content (not its file name)."""
    return [
        p
        for p in result.parts
        if p.part.startswith("attachment:") and not p.origin.endswith("(file name)")
    ]


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("export.xls", "application/vnd.ms-excel"),
        ("export.dat", "application/octet-stream"),
        ("liste.txt", "text/plain"),
    ],
)
def test_semicolon_csv_with_bom_is_read_as_a_table(name: str, mime: str) -> None:
    """A semicolon CSV with a BOM comes out as kind csv whatever it is declared as, one row a line
    and its cells tab-separated so each is read under its column's header."""
    (part,) = attachment_parts(extract_message(with_attachment(SEMICOLON_CSV, name, mime)))
    assert part.kind == "csv"
    lines = part.text.splitlines()
    assert lines[0] == "Nachname\tVorname\tGeburtsdatum\tDiagnose"
    assert lines[1] == "Müller\tJürgen\t14.03.1961\tDiabetes mellitus Typ 2"
    assert lines[3] == "van der Berg\tAnna; Maria\t30.06.1988\tAsthma"


def test_semicolon_csv_cells_are_found_under_their_headers() -> None:
    """A birth date in a semicolon CSV sent as a spreadsheet is a DOB (read under its header)."""
    raw = with_attachment(SEMICOLON_CSV.replace(b"Geburtsdatum", b"DOB"), "x.xls")
    findings, _ = PhiEngine(DetectorConfig()).analyze(extract_message(raw).parts)
    assert {f.entity for f in findings if f.part == "attachment:x.xls"} >= {"DOB"}


@pytest.mark.parametrize(
    "text",
    [
        "Hello Ann, thanks for the note.\nSee you Monday, Bob\n",
        "one line only; no table here",
        "Dear team,\nplease find the minutes attached.\nBest, Ann\n",
    ],
)
def test_prose_is_not_a_table(text: str) -> None:
    """Prose with commas or semicolons is not taken for a CSV."""
    assert csv_dialect(text) is None
    assert sniff(text.encode(), "note.txt", "text/plain") == "plain"


def _docx_bytes(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _xlsx_bytes(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (text_pdf(["Patient Jane Roe MRN 4471203"]), "Jane Roe"),
        (_docx_bytes("Referral for Jane Roe, MRN 4471203"), "Jane Roe"),
        (_xlsx_bytes([["Patient", "MRN"], ["Jane Roe", "4471203"]]), "Jane Roe"),
    ],
    ids=["pdf", "docx", "xlsx"],
)
@pytest.mark.parametrize("name", ["scan.bin", "attachment", "report.txt"])
def test_documents_sent_as_octet_stream_are_read_by_content(
    data: bytes, needle: str, name: str
) -> None:
    """A PDF, DOCX or XLSX declared application/octet-stream (or named .txt) is opened as what it is."""
    parts = attachment_parts(extract_message(with_attachment(data, name)))
    assert any(needle in p.text for p in parts)


def _qp_message(body: str, encoding: str, label: str | None, subject: str = "note") -> bytes:
    charset = f'; charset="{label}"' if label else ""
    payload = quopri.encodestring(body.encode(encoding)).decode("ascii")
    return (
        f"From: a@clinic.example\r\nTo: b@lab.example\r\nSubject: {subject}\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain{charset}\r\n"
        f"Content-Transfer-Encoding: quoted-printable\r\n\r\n{payload}\r\n"
    ).encode("ascii")


@pytest.mark.parametrize(
    ("body", "encoding", "label"),
    [
        ("Patient: Иванов Сергей Петрович, дата рождения 12.03.1961", "cp1251", "iso-8859-1"),
        ("Patient: Иванов Сергей Петрович, дата рождения 12.03.1961", "koi8_r", None),
        ("Pacjent: Łukasz Wójcik, ul. Źródlana 5, Kraków", "cp1250", "iso-8859-1"),
        ("Pacjentka Zofia Żółkiewska, zażółć gęślą jaźń", "iso8859_2", "iso-8859-2"),
        ("Ασθενής Γεώργιος Παπαδόπουλος, τηλέφωνο 2101234567", "iso8859_7", "us-ascii"),
        ("Patient José Muñoz, née Bégin, Zürich", "cp1252", "utf-8"),
        ("Patient José Muñoz, née Bégin, Zürich", "utf-8", "iso-8859-1"),
        ("Patient José Muñoz, née Bégin, Zürich", "cp1252", None),
        ("¿Cómo está la señora Pérez? ¡Gracias! Precio £50", "cp1252", "windows-1252"),
    ],
)
def test_quoted_printable_bodies_in_legacy_charsets(
    body: str, encoding: str, label: str | None
) -> None:
    """Names in a QP body come out as written, whatever charset the bytes are in and whatever
    (wrong or missing) charset the part declares."""
    result = extract_message(_qp_message(body, encoding, label))
    assert result.text_of("body").strip() == body
    assert not [u for u in result.unscannable if u.reason == "bad-charset"]


def test_phi_only_in_the_subject() -> None:
    """A surname with an initial and an ISO birth date in the subject alone make the mail PHI."""
    raw = _qp_message(
        "Please see the attached.", "ascii", "us-ascii", "Kowalski J. 1957-03-02 MRI report"
    )
    findings, decision = PhiEngine(DetectorConfig()).analyze(extract_message(raw).parts)
    subject = {f.entity for f in findings if f.part == "subject"}
    assert {"DOB", "PATIENT_NAME"} <= subject
    assert decision.phi
