"""Every place of a PDF, DOCX, XLSX, PPTX, ODT, ODS or ODP file a reader can open is extracted:
one row per place, each a document whose only patient text sits in that place."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.workbook.defined_name import DefinedName

from detectors.extract import ExtractLimits, extract_message
from detectors.extract.documents import office_result
from detectors.extract.sniff import sniff
from tests.support.documents import (
    ODF_NS,
    A,
    P,
    a_paragraph,
    add_members,
    core_properties,
    custom_properties,
    docx,
    odf,
    pdf_with,
    pptx,
    runs,
    shape,
    slide,
    spans,
    w_part,
    wp,
    zip_package,
)
from tests.support.formats import text_pdf, with_attachment

SECRET = "Marisol Quintero-Abbott MRN 4471203"
CLEAN = "Thursday staff meeting moved to room 4"


# ---------------------------------------------------------------- DOCX places


def _docx_with(path: str, xml: str) -> bytes:
    """A document with an empty body and one more part, `xml`, at `path`."""
    return docx("", {path: xml})


def docx_body_runs() -> bytes:
    return docx(wp(SECRET))


def docx_comment() -> bytes:
    return _docx_with(
        "word/comments.xml",
        w_part("comments", f'<w:comment w:id="0" w:author="HP">{wp(SECRET)}</w:comment>'),
    )


def docx_tracked_insertion() -> bytes:
    return docx(f'<w:p><w:ins w:id="1" w:author="HP">{runs(SECRET)}</w:ins></w:p>')


def docx_tracked_deletion() -> bytes:
    deleted = "".join(
        f"<w:r><w:delText>{SECRET[i : i + 3]}</w:delText></w:r>" for i in range(0, len(SECRET), 3)
    )
    return docx(f'<w:p>{runs("Patient: ")}<w:del w:id="1" w:author="HP">{deleted}</w:del></w:p>')


def docx_moved_away() -> bytes:
    return docx(f'<w:p><w:moveFrom w:id="2" w:author="HP">{runs(SECRET)}</w:moveFrom></w:p>')


def docx_header() -> bytes:
    return _docx_with("word/header2.xml", w_part("hdr", wp(SECRET)))


def docx_footer() -> bytes:
    return _docx_with("word/footer1.xml", w_part("ftr", wp(SECRET)))


def docx_footnote() -> bytes:
    return _docx_with(
        "word/footnotes.xml",
        w_part("footnotes", f'<w:footnote w:id="1">{wp(SECRET)}</w:footnote>'),
    )


def docx_endnote() -> bytes:
    return _docx_with(
        "word/endnotes.xml",
        w_part("endnotes", f'<w:endnote w:id="1">{wp(SECRET)}</w:endnote>'),
    )


def docx_text_box() -> bytes:
    return docx(
        "<w:p><w:r><w:drawing><wp:anchor><a:graphic><a:graphicData><wps:wsp><wps:txbx>"
        f"<w:txbxContent>{wp(SECRET)}</w:txbxContent></wps:txbx></wps:wsp></a:graphicData>"
        "</a:graphic></wp:anchor></w:drawing></w:r></w:p>"
    )


def docx_vml_text_box() -> bytes:
    return docx(
        f"<w:p><w:r><w:pict><v:shape><v:textbox><w:txbxContent>{wp(SECRET)}</w:txbxContent>"
        "</v:textbox></v:shape></w:pict></w:r></w:p>"
    )


def docx_alt_text() -> bytes:
    return docx(
        f'<w:p><w:r><w:drawing><wp:inline><wp:docPr id="1" name="Picture 1" descr="{SECRET}"/>'
        "</wp:inline></w:drawing></w:r></w:p>"
    )


def docx_table_cell() -> bytes:
    return docx(f"<w:tbl><w:tr><w:tc>{wp('Name')}</w:tc><w:tc>{wp(SECRET)}</w:tc></w:tr></w:tbl>")


def docx_content_control() -> bytes:
    return docx(f"<w:sdt><w:sdtPr/><w:sdtContent>{wp(SECRET)}</w:sdtContent></w:sdt>")


def docx_core_title() -> bytes:
    return _docx_with("docProps/core.xml", core_properties(title=SECRET))


def docx_core_keywords() -> bytes:
    return _docx_with("docProps/core.xml", core_properties(keywords=SECRET))


def docx_core_description() -> bytes:
    return _docx_with("docProps/core.xml", core_properties(description=SECRET))


def docx_core_last_modified_by() -> bytes:
    return _docx_with("docProps/core.xml", core_properties(lastModifiedBy=SECRET))


def docx_custom_property() -> bytes:
    return _docx_with("docProps/custom.xml", custom_properties("Patient", SECRET))


def docx_glossary() -> bytes:
    return _docx_with(
        "word/glossary/document.xml",
        w_part(
            "glossaryDocument",
            f"<w:docParts><w:docPart><w:docPartBody>{wp(SECRET)}</w:docPartBody></w:docPart></w:docParts>",
        ),
    )


def docx_embedded_file() -> bytes:
    return _docx_with("word/embeddings/referral.csv", f"name,mrn\r\n{SECRET},x\r\n")


# ---------------------------------------------------------------- XLSX places


def _workbook() -> object:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Schedule"
    workbook.active["A1"] = CLEAN
    return workbook


def _saved(workbook: object) -> bytes:
    out = io.BytesIO()
    workbook.save(out)  # type: ignore[attr-defined]
    return out.getvalue()


def _workbook_with(path: str, xml: str) -> bytes:
    """The clean workbook with one more part, `xml`, at `path`."""
    return add_members(_saved(_workbook()), {path: xml})


def xlsx_hidden_sheet() -> bytes:
    workbook = _workbook()
    sheet = workbook.create_sheet("Other")  # type: ignore[attr-defined]
    sheet.sheet_state = "hidden"
    sheet["B3"] = SECRET
    return _saved(workbook)


def xlsx_very_hidden_sheet() -> bytes:
    workbook = _workbook()
    sheet = workbook.create_sheet("Other")  # type: ignore[attr-defined]
    sheet.sheet_state = "veryHidden"
    sheet["A1"] = SECRET
    return _saved(workbook)


def xlsx_hidden_row() -> bytes:
    workbook = _workbook()
    sheet = workbook.active  # type: ignore[attr-defined]
    sheet["A7"] = SECRET
    sheet.row_dimensions[7].hidden = True
    return _saved(workbook)


def xlsx_hidden_column() -> bytes:
    workbook = _workbook()
    sheet = workbook.active  # type: ignore[attr-defined]
    sheet["F2"] = SECRET
    sheet.column_dimensions["F"].hidden = True
    return _saved(workbook)


def xlsx_cell_comment() -> bytes:
    workbook = _workbook()
    workbook.active["A1"].comment = Comment(SECRET, "HP")  # type: ignore[attr-defined]
    return _saved(workbook)


def xlsx_threaded_comment() -> bytes:
    return _workbook_with(
        "xl/threadedComments/threadedComment1.xml",
        (
            '<?xml version="1.0"?><ThreadedComments xmlns="http://schemas.microsoft.com/'
            'office/spreadsheetml/2018/threadedcomments"><threadedComment ref="A1"'
            f' id="{{00000000-0000-0000-0000-000000000001}}"><text>{SECRET}</text>'
            "</threadedComment></ThreadedComments>"
        ),
    )


def xlsx_page_header() -> bytes:
    workbook = _workbook()
    workbook.active.oddHeader.center.text = SECRET  # type: ignore[attr-defined]
    return _saved(workbook)


def xlsx_page_footer() -> bytes:
    workbook = _workbook()
    workbook.active.oddFooter.left.text = SECRET  # type: ignore[attr-defined]
    return _saved(workbook)


def xlsx_defined_name() -> bytes:
    workbook = _workbook()
    workbook.defined_names["patient"] = DefinedName("patient", attr_text=f'"{SECRET}"')  # type: ignore[attr-defined]
    return _saved(workbook)


def xlsx_core_title() -> bytes:
    workbook = _workbook()
    workbook.properties.title = SECRET  # type: ignore[attr-defined]
    return _saved(workbook)


def xlsx_custom_property() -> bytes:
    workbook = _workbook()
    workbook.custom_doc_props.append(StringProperty(name="Patient", value=SECRET))  # type: ignore[attr-defined]
    return _saved(workbook)


def xlsx_shape_text() -> bytes:
    drawing = (
        '<?xml version="1.0"?><xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/'
        f'drawingml/2006/spreadsheetDrawing" xmlns:a="{A}"><xdr:twoCellAnchor><xdr:sp>'
        f"<xdr:txBody><a:bodyPr/>{a_paragraph(SECRET)}</xdr:txBody></xdr:sp>"
        "</xdr:twoCellAnchor></xdr:wsDr>"
    )
    return _workbook_with("xl/drawings/drawing1.xml", drawing)


def xlsx_embedded_file() -> bytes:
    return _workbook_with("xl/embeddings/list.csv", f"name\r\n{SECRET}\r\n")


# ---------------------------------------------------------------- PPTX places


def pptx_slide_text() -> bytes:
    return pptx([slide(shape(CLEAN)), slide(shape(SECRET))])


def pptx_hidden_slide() -> bytes:
    return pptx([slide(shape(SECRET), attrs=' show="0"')])


def pptx_grouped_shape() -> bytes:
    group = (
        "<p:grpSp><p:nvGrpSpPr><p:cNvPr id='5' name='g'/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>"
        f"<p:grpSpPr/>{shape(SECRET)}</p:grpSp>"
    )
    return pptx([slide(group)])


def pptx_table() -> bytes:
    table = (
        "<p:graphicFrame><a:graphic><a:graphicData><a:tbl><a:tr>"
        f"<a:tc><a:txBody>{a_paragraph('Name')}</a:txBody></a:tc>"
        f"<a:tc><a:txBody>{a_paragraph(SECRET)}</a:txBody></a:tc>"
        "</a:tr></a:tbl></a:graphicData></a:graphic></p:graphicFrame>"
    )
    return pptx([slide(table)])


def _clean_deck_with(path: str, xml: str) -> bytes:
    """A one-slide deck of clean text with one more part, `xml`, at `path`."""
    return pptx([slide(shape(CLEAN))], {path: xml})


def pptx_speaker_notes() -> bytes:
    return _clean_deck_with("ppt/notesSlides/notesSlide1.xml", slide(shape(SECRET), "notes"))


def pptx_comment() -> bytes:
    return _clean_deck_with(
        "ppt/comments/comment1.xml",
        f'<?xml version="1.0"?><p:cmLst xmlns:p="{P}"><p:cm authorId="0" idx="1">'
        f"<p:pos x='0' y='0'/><p:text>{SECRET}</p:text></p:cm></p:cmLst>",
    )


def pptx_modern_comment() -> bytes:
    return _clean_deck_with(
        "ppt/comments/modernComment_100_1.xml",
        '<?xml version="1.0"?><p188:cmLst xmlns:p188="http://schemas.microsoft.com/office/'
        f'powerpoint/2018/8/main" xmlns:a="{A}"><p188:cm id="{{1}}" authorId="{{2}}">'
        f"<p188:txBody><a:bodyPr/>{a_paragraph(SECRET)}</p188:txBody></p188:cm></p188:cmLst>",
    )


def pptx_smartart() -> bytes:
    return _clean_deck_with(
        "ppt/diagrams/data1.xml",
        '<?xml version="1.0"?><dgm:dataModel xmlns:dgm="http://schemas.openxmlformats.org/'
        f'drawingml/2006/diagram" xmlns:a="{A}"><dgm:ptLst><dgm:pt modelId="1"><dgm:t>'
        f"<a:bodyPr/>{a_paragraph(SECRET)}</dgm:t></dgm:pt></dgm:ptLst></dgm:dataModel>",
    )


def pptx_core_subject() -> bytes:
    return _clean_deck_with("docProps/core.xml", core_properties(subject=SECRET))


def pptx_embedded_file() -> bytes:
    return _clean_deck_with("ppt/embeddings/list.csv", f"name\r\n{SECRET}\r\n")


# ---------------------------------------------------------------- ODF places


def odt_spans() -> bytes:
    return odf("odt", f"<text:p>{spans(SECRET)}</text:p>")


def odt_table_cell() -> bytes:
    return odf(
        "odt",
        "<table:table><table:table-row><table:table-cell><text:p>Name</text:p></table:table-cell>"
        f"<table:table-cell><text:p>{spans(SECRET)}</text:p></table:table-cell>"
        "</table:table-row></table:table>",
    )


def odt_annotation() -> bytes:
    return odf(
        "odt",
        "<text:p>Noted<office:annotation><dc:creator>HP</dc:creator>"
        f"<text:p>{spans(SECRET)}</text:p></office:annotation>.</text:p>",
    )


def odt_tracked_deletion() -> bytes:
    return odf(
        "odt",
        '<text:tracked-changes><text:changed-region text:id="c1"><text:deletion>'
        "<office:change-info><dc:creator>HP</dc:creator></office:change-info>"
        f"<text:p>{spans(SECRET)}</text:p></text:deletion></text:changed-region>"
        '</text:tracked-changes><text:p>Patient: <text:change text:change-id="c1"/></text:p>',
    )


def odt_footnote() -> bytes:
    return odf(
        "odt",
        '<text:p>See<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation>'
        f"<text:note-body><text:p>{spans(SECRET)}</text:p></text:note-body></text:note>.</text:p>",
    )


def odt_text_box() -> bytes:
    return odf(
        "odt",
        f"<text:p><draw:frame><draw:text-box><text:p>{spans(SECRET)}</text:p></draw:text-box>"
        "</draw:frame></text:p>",
    )


def odt_header() -> bytes:
    return odf("odt", "", styles=f"<style:header><text:p>{spans(SECRET)}</text:p></style:header>")


def odt_footer() -> bytes:
    return odf(
        "odt", "", styles=f"<style:footer-left><text:p>{SECRET}</text:p></style:footer-left>"
    )


def odt_meta_title() -> bytes:
    return odf("odt", "", meta=f"<dc:title>{SECRET}</dc:title>")


def odt_meta_keyword() -> bytes:
    return odf("odt", "", meta=f"<meta:keyword>{SECRET}</meta:keyword>")


def odt_meta_user_defined() -> bytes:
    return odf(
        "odt", "", meta=f'<meta:user-defined meta:name="Patient">{SECRET}</meta:user-defined>'
    )


def odt_embedded_object() -> bytes:
    chart = (
        f'<?xml version="1.0"?><office:document-content {_ns()}><office:body><office:chart>'
        f"<text:p>{spans(SECRET)}</text:p></office:chart></office:body></office:document-content>"
    )
    return odf("odt", "", extra={"Object 1/content.xml": chart})


def odt_embedded_file() -> bytes:
    return odf("odt", "", extra={"Attachments/list.csv": f"name\r\n{SECRET}\r\n"})


def ods_cell() -> bytes:
    return odf(
        "ods",
        '<table:table table:name="Schedule"><table:table-row>'
        f"<table:table-cell><text:p>{spans(SECRET)}</text:p></table:table-cell>"
        "</table:table-row></table:table>",
    )


def ods_cell_annotation() -> bytes:
    return odf(
        "ods",
        '<table:table table:name="Schedule"><table:table-row><table:table-cell>'
        f"<office:annotation><text:p>{SECRET}</text:p></office:annotation>"
        "<text:p>ok</text:p></table:table-cell></table:table-row></table:table>",
    )


def ods_sheet_name() -> bytes:
    return odf("ods", f'<table:table table:name="{SECRET}"/>')


def odp_slide() -> bytes:
    return odf(
        "odp",
        f'<draw:page draw:name="p1"><draw:frame><draw:text-box><text:p>{spans(SECRET)}</text:p>'
        "</draw:text-box></draw:frame></draw:page>",
    )


def odp_notes() -> bytes:
    return odf(
        "odp",
        '<draw:page draw:name="p1"><presentation:notes><draw:frame><draw:text-box>'
        f"<text:p>{SECRET}</text:p></draw:text-box></draw:frame></presentation:notes></draw:page>",
    )


def _ns() -> str:

    return ODF_NS


# ---------------------------------------------------------------- PDF places


def pdf_field_value() -> bytes:
    return pdf_with(field=("patient", SECRET))


def pdf_field_tooltip() -> bytes:
    return pdf_with(tooltip=("patient", SECRET))


def pdf_sticky_note() -> bytes:
    return pdf_with(note=SECRET)


def pdf_free_text() -> bytes:
    return pdf_with(free_text=SECRET)


def pdf_annotation_author() -> bytes:
    return pdf_with(author=SECRET)


def pdf_rich_text() -> bytes:
    return pdf_with(rich=f'<body xmlns="http://www.w3.org/1999/xhtml"><p>{SECRET}</p></body>')


def pdf_embedded_file() -> bytes:
    return pdf_with(attachment=("list.csv", f"name\r\n{SECRET}\r\n".encode()))


def pdf_info_title() -> bytes:
    return pdf_with(info={"/Title": SECRET})


def pdf_info_custom_key() -> bytes:
    return pdf_with(info={"/PatientID": SECRET})


def pdf_xmp() -> bytes:
    xmp = (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description'
        ' rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description><rdf:Alt>'
        f'<rdf:li xml:lang="x-default">{SECRET}</rdf:li></rdf:Alt></dc:description>'
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )
    return pdf_with(xmp=xmp.encode())


def pdf_nested_bookmark() -> bytes:
    return pdf_with(outline=["Contents", "Referral", SECRET])


PLACES: dict[str, tuple[Callable[[], bytes], str]] = {}
for _kind, _builders in (
    ("docx", [docx_body_runs, docx_comment, docx_tracked_insertion, docx_tracked_deletion,
              docx_moved_away, docx_header, docx_footer, docx_footnote, docx_endnote,
              docx_text_box, docx_vml_text_box, docx_alt_text, docx_table_cell,
              docx_content_control, docx_core_title, docx_core_keywords, docx_core_description,
              docx_core_last_modified_by, docx_custom_property, docx_glossary,
              docx_embedded_file]),
    ("xlsx", [xlsx_hidden_sheet, xlsx_very_hidden_sheet, xlsx_hidden_row, xlsx_hidden_column,
              xlsx_cell_comment, xlsx_threaded_comment, xlsx_page_header, xlsx_page_footer,
              xlsx_defined_name, xlsx_core_title, xlsx_custom_property, xlsx_shape_text,
              xlsx_embedded_file]),
    ("pptx", [pptx_slide_text, pptx_hidden_slide, pptx_grouped_shape, pptx_table,
              pptx_speaker_notes, pptx_comment, pptx_modern_comment, pptx_smartart,
              pptx_core_subject, pptx_embedded_file]),
    ("odt", [odt_spans, odt_table_cell, odt_annotation, odt_tracked_deletion, odt_footnote,
             odt_text_box, odt_header, odt_footer, odt_meta_title, odt_meta_keyword,
             odt_meta_user_defined, odt_embedded_object, odt_embedded_file]),
    ("ods", [ods_cell, ods_cell_annotation, ods_sheet_name]),
    ("odp", [odp_slide, odp_notes]),
    ("pdf", [pdf_field_value, pdf_field_tooltip, pdf_sticky_note, pdf_free_text,
             pdf_annotation_author, pdf_rich_text, pdf_embedded_file, pdf_info_title,
             pdf_info_custom_key, pdf_xmp, pdf_nested_bookmark]),
):  # fmt: skip
    for _build in _builders:
        PLACES[_build.__name__] = (_build, _kind)


@pytest.mark.parametrize("place", sorted(PLACES))
def test_text_only_in_a_hidden_place_is_extracted(place: str) -> None:
    """The patient text in that one place comes out of the attachment, and nothing is unread."""
    build, kind = PLACES[place]
    name = f"referral.{kind}"
    result = extract_message(with_attachment(build(), name))
    text = result.text_of(f"attachment:{name}")
    assert SECRET in text, text
    assert result.unscannable == ()


@pytest.mark.parametrize("place", sorted(PLACES))
def test_each_document_is_sniffed_as_its_kind(place: str) -> None:
    """Each test document is read as the kind it is, whatever its name says."""
    build, kind = PLACES[place]
    assert sniff(build(), "attachment.bin", "application/octet-stream") == kind


# ---------------------------------------------------------------- negative rows


def test_clean_document_places_hold_only_their_own_text() -> None:
    """A DOCX with a benign comment, field code, tab stops and dated properties yields just its text."""
    document = docx(
        '<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>'
        "<w:r><w:instrText> MERGEFIELD Surname </w:instrText></w:r>" + runs(CLEAN) + "</w:p>",
        {
            "word/comments.xml": w_part(
                "comments", f'<w:comment w:id="0">{wp("Looks fine")}</w:comment>'
            ),
            "docProps/core.xml": core_properties(title="Staff rota"),
        },
    )
    result = office_result(document, "docx", ExtractLimits(), time.monotonic() + 30)
    sections = {f.suffix: f.text for f in result.fragments}
    assert sections == {
        "": f"Please see the referral below.\n{CLEAN}",
        " (comments)": "Looks fine",
        " (properties)": "title: Staff rota",
    }
    assert result.problems == () and result.embedded == ()


def test_text_box_stored_twice_is_read_once() -> None:
    """Word's DrawingML text box and its VML fallback give the text once, not twice."""
    box = f"<w:txbxContent>{wp(CLEAN)}</w:txbxContent>"
    document = docx(
        "<w:p><w:r><mc:AlternateContent xmlns:mc='http://schemas.openxmlformats.org/"
        f"markup-compatibility/2006'><mc:Choice Requires='wps'><wps:txbx>{box}</wps:txbx>"
        f"</mc:Choice><mc:Fallback><w:pict><v:textbox>{box}</v:textbox></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r></w:p>"
    )
    result = office_result(document, "docx", ExtractLimits(), time.monotonic() + 30)
    assert result.fragments[0].text.count(CLEAN) == 1


def test_deleted_text_keeps_its_own_section() -> None:
    """A replaced date reads as the new one in the document and the old one in deleted text."""
    document = docx(
        '<w:p><w:r><w:t xml:space="preserve">DOB 03/1</w:t></w:r><w:del w:id="1"><w:r>'
        '<w:delText>4</w:delText></w:r></w:del><w:ins w:id="2"><w:r><w:t>5</w:t></w:r></w:ins>'
        "<w:r><w:t>/1962</w:t></w:r></w:p>"
    )
    result = office_result(document, "docx", ExtractLimits(), time.monotonic() + 30)
    sections = {f.suffix: f.text.splitlines() for f in result.fragments}
    assert "DOB 03/15/1962" in sections[""]
    assert sections[" (deleted text)"] == ["DOB 03/14/1962"]


def test_ods_table_keeps_rows_and_cells_apart() -> None:
    """An ODS sheet comes out as 'Sheet:' then tab-separated rows."""
    sheet = odf(
        "ods",
        '<table:table table:name="Gaps"><table:table-row>'
        "<table:table-cell><text:p>Name</text:p></table:table-cell>"
        "<table:table-cell><text:p>DOB</text:p></table:table-cell></table:table-row>"
        "<table:table-row><table:table-cell><text:p>Roe, Jane</text:p></table:table-cell>"
        "<table:table-cell><text:p>03/14/1985</text:p></table:table-cell>"
        '<table:table-cell table:number-columns-repeated="1000"/></table:table-row></table:table>',
    )
    result = office_result(sheet, "ods", ExtractLimits(), time.monotonic() + 30)
    assert result.fragments[0].text.splitlines() == [
        "Please see the note below.",
        "Sheet: Gaps",
        "Name\tDOB",
        "Roe, Jane\t03/14/1985",
    ]


def test_encrypted_opendocument_is_unscannable() -> None:
    """An ODT whose manifest says its parts are encrypted is reported encrypted-document."""
    result = extract_message(with_attachment(odf("odt", "", encrypted=True), "locked.odt"))
    assert [u.reason for u in result.unscannable] == ["encrypted-document"]


def test_xml_with_a_dtd_is_refused() -> None:
    """A document part declaring entities (a billion-laughs bomb) is refused, not expanded."""
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body></w:document>"
    )
    document = add_members(docx(""), {"word/document.xml": bomb})
    result = extract_message(with_attachment(document, "bomb.docx"))
    assert [u.reason for u in result.unscannable] == ["unsafe-xml"]


def test_declared_type_and_name_do_not_decide_the_kind() -> None:
    """A plain ZIP named .pptx and sent as a presentation is still sniffed as a ZIP."""
    archive = zip_package({"notes.txt": CLEAN})
    assert (
        sniff(
            archive,
            "slides.pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        )
        == "zip"
    )


def test_too_many_embedded_files_are_reported() -> None:
    """A document carrying more files than the bound reports too-many-parts instead of skipping."""
    members = {f"word/embeddings/f{i}.csv": "a,b\r\n" for i in range(70)}
    result = office_result(docx("", members), "docx", ExtractLimits(), time.monotonic() + 30)
    assert len(result.embedded) == 64
    assert [p.reason for p in result.problems] == ["too-many-parts"]


def test_clean_pdf_without_extras_has_only_its_text_layer() -> None:
    """A plain PDF with no forms, notes, files or bookmarks gives no extra sections."""

    result = extract_message(with_attachment(text_pdf([CLEAN]), "memo.pdf"))
    origins = {p.origin for p in result.parts if p.part == "attachment:memo.pdf"}
    assert origins == {"memo.pdf", "memo.pdf (file name)"}
    assert result.unscannable == ()
