"""Patient text a reader can open inside an attached document, but that is not on its pages,
never reaches an outsider in clear: a PDF form field's value or a file attached to the PDF, a
DOCX comment or tracked deletion, an XLSX hidden sheet or cell comment, PPTX speaker notes and
an ODT comment, each written in the short runs editing leaves behind."""

from __future__ import annotations

import email
import email.policy
import io
from collections.abc import Callable, Iterator
from email.message import Message

import openpyxl
import pytest
from openpyxl.comments import Comment

from tests.support.documents import (
    docx,
    odf,
    pdf_with,
    pptx,
    shape,
    slide,
    spans,
    w_part,
    wp,
)
from tests.support.leak import (
    BENIGN,
    OUTSIDER,
    PHI,
    NotInClear,
    Outcome,
    b64,
    head,
)


def _with(document: bytes, filename: str) -> bytes:
    boundary = "doc-boundary"
    return (
        head(extra=f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n')
        + f"\r\n--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{BENIGN}\r\n"
        f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
        f'Content-Disposition: attachment; filename="{filename}"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{b64(document)}--{boundary}--\r\n"
    ).encode()


def _xlsx(build: Callable[[object], None]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Schedule"
    workbook.active["A1"] = BENIGN
    build(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _hidden_sheet(workbook: object) -> None:
    sheet = workbook.create_sheet("Other")  # type: ignore[attr-defined]
    sheet.sheet_state = "hidden"
    for row, chunk in enumerate(PHI.split(". "), start=1):
        sheet.cell(row=row, column=1, value=chunk)


def _cell_comment(workbook: object) -> None:
    workbook.active["A1"].comment = Comment(PHI, "HP")  # type: ignore[attr-defined]


DOCUMENTS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "pdf_form_field_value": ("intake.pdf", lambda: pdf_with(field=("patient", PHI))),
    "pdf_embedded_file": (
        "packet.pdf",
        lambda: pdf_with(attachment=("intake.txt", PHI.encode())),
    ),
    "docx_comment": (
        "referral.docx",
        lambda: docx(
            "",
            {"word/comments.xml": w_part("comments", f'<w:comment w:id="0">{wp(PHI)}</w:comment>')},
        ),
    ),
    "docx_tracked_deletion": (
        "referral.docx",
        lambda: docx(
            '<w:p><w:del w:id="1" w:author="HP">'
            + "".join(
                f'<w:r><w:delText xml:space="preserve">{PHI[i : i + 3]}</w:delText></w:r>'
                for i in range(0, len(PHI), 3)
            )
            + "</w:del></w:p>"
        ),
    ),
    "xlsx_hidden_sheet": ("schedule.xlsx", lambda: _xlsx(_hidden_sheet)),
    "xlsx_cell_comment": ("schedule.xlsx", lambda: _xlsx(_cell_comment)),
    "pptx_speaker_notes": (
        "rounds.pptx",
        lambda: pptx(
            [slide(shape("Morning rounds"))],
            {"ppt/notesSlides/notesSlide1.xml": slide(shape(PHI), "notes")},
        ),
    ),
    "pptx_slide_runs": ("rounds.pptx", lambda: pptx([slide(shape(PHI))])),
    "odt_comment": (
        "letter.odt",
        lambda: odf(
            "odt",
            "<text:p>Noted<office:annotation><dc:creator>HP</dc:creator>"
            f"<text:p>{spans(PHI)}</text:p></office:annotation>.</text:p>",
        ),
    ),
}
CASES: dict[str, Callable[[], bytes]] = {
    case: (lambda name=name, build=build: _with(build(), name))
    for case, (name, build) in DOCUMENTS.items()
}


def _leaves(message: Message) -> Iterator[bytes]:
    for part in message.walk():
        if not part.is_multipart():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                yield payload


def document_delivered(outcome: Outcome, address: str, document: bytes) -> bool:
    """Whether `address` got the document itself in clear (so it can open every place of it)."""
    for content in outcome.to(address):
        message = email.message_from_bytes(content, policy=email.policy.compat32)
        if any(document in leaf for leaf in _leaves(message)):
            return True
    return False


@pytest.mark.parametrize("case", sorted(CASES))
def test_hidden_document_text_is_not_delivered_in_clear(
    case: str, not_in_clear: NotInClear
) -> None:
    """The outsider gets neither the patient's text nor the document, and the scanner flags it."""
    name, build = DOCUMENTS[case]
    document = build()
    outcome = not_in_clear(case, _with(document, name))
    assert not document_delivered(outcome, OUTSIDER, document)
