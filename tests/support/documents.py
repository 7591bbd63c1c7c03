"""Office, OpenDocument and PDF files built from their parts, with text placed where a reader can
open it but the page does not show it: comments, tracked deletions, form fields, attachments."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
P = "http://schemas.openxmlformats.org/presentationml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOC = f"{REL}/officeDocument"


def zip_package(members: dict[str, bytes | str], *, stored_first: str = "") -> bytes:
    """A ZIP of `members` (text is UTF-8); `stored_first` goes first and uncompressed (ODF)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(
                zipfile.ZipInfo(stored_first), members[stored_first], zipfile.ZIP_STORED
            )
        for name, data in members.items():
            if name != stored_first:
                archive.writestr(name, data)
    return out.getvalue()


def add_members(package: bytes, extra: dict[str, bytes | str]) -> bytes:
    """The package with `extra` members added (or replaced)."""
    source = zipfile.ZipFile(io.BytesIO(package))
    members: dict[str, bytes | str] = {n: source.read(n) for n in source.namelist()}
    members.update(extra)
    return zip_package(members)


def runs(text: str, size: int = 3) -> str:
    """`text` as WordprocessingML runs of `size` characters, as editing leaves a paragraph."""
    return "".join(
        f'<w:r><w:t xml:space="preserve">{escape(text[i : i + size])}</w:t></w:r>'
        for i in range(0, len(text), size)
    )


def wp(text: str) -> str:
    """One WordprocessingML paragraph."""
    return f"<w:p>{runs(text)}</w:p>"


def docx(body: str, parts: dict[str, str] | None = None) -> bytes:
    """A DOCX whose document body is `body` (WordprocessingML), plus any other `parts`."""
    members: dict[str, bytes | str] = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="{PKG_REL}"><Relationship Id="rId1"'
            f' Type="{OFFICE_DOC}" Target="word/document.xml"/></Relationships>'
        ),
        "word/document.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}" xmlns:a="{A}"'
            ' xmlns:v="urn:schemas-microsoft-com:vml"'
            ' xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"'
            ' xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
            f"><w:body>{wp('Please see the referral below.')}{body}</w:body></w:document>"
        ),
    }
    members.update(parts or {})
    return zip_package(members)


def w_part(root: str, inner: str) -> str:
    """A WordprocessingML part (comments, footnotes, header ...) with root element `root`."""
    return f'<?xml version="1.0" encoding="UTF-8"?><w:{root} xmlns:w="{W}">{inner}</w:{root}>'


def core_properties(**fields: str) -> str:
    """docProps/core.xml with the given Dublin Core / OPC fields (title=, creator= ...)."""
    prefixes = {"title": "dc", "subject": "dc", "creator": "dc", "description": "dc"}
    inner = "".join(
        f"<{prefixes.get(k, 'cp')}:{k}>{escape(v)}</{prefixes.get(k, 'cp')}:{k}>"
        for k, v in fields.items()
    )
    return (
        '<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/'
        'package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:dcterms="http://purl.org/dc/terms/">'
        f"{inner}<dcterms:created>2026-11-16T09:30:00Z</dcterms:created></cp:coreProperties>"
    )


def custom_properties(name: str, value: str) -> str:
    """docProps/custom.xml with one text property."""
    return (
        '<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/'
        'officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/'
        'officeDocument/2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-'
        f'08002B2CF9AE}}" pid="2" name="{escape(name)}"><vt:lpwstr>{escape(value)}</vt:lpwstr>'
        "</property></Properties>"
    )


def a_paragraph(text: str) -> str:
    """One DrawingML paragraph, split into runs of three characters."""
    pieces = "".join(
        f"<a:r><a:t>{escape(text[i : i + 3])}</a:t></a:r>" for i in range(0, len(text), 3)
    )
    return f"<a:p>{pieces}</a:p>"


def shape(text: str) -> str:
    """A PresentationML shape holding `text`."""
    return (
        '<p:sp><p:nvSpPr><p:cNvPr id="2" name="Text"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr>'
        f"<p:spPr/><p:txBody><a:bodyPr/>{a_paragraph(text)}</p:txBody></p:sp>"
    )


def slide(shapes: str, root: str = "sld", attrs: str = "") -> str:
    """A slide (or notes slide, with root='notes') holding `shapes`."""
    return (
        f'<?xml version="1.0"?><p:{root} xmlns:p="{P}" xmlns:a="{A}" xmlns:r="{REL}"{attrs}>'
        f"<p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id='1' name=''/><p:cNvGrpSpPr/><p:nvPr/>"
        f"</p:nvGrpSpPr><p:grpSpPr/>{shapes}</p:spTree></p:cSld></p:{root}>"
    )


def pptx(slides: list[str], parts: dict[str, str] | None = None) -> bytes:
    """A PPTX with the given slide parts, plus any other `parts`."""
    members: dict[str, bytes | str] = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/ppt/presentation.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="{PKG_REL}"><Relationship Id="rId1"'
            f' Type="{OFFICE_DOC}" Target="ppt/presentation.xml"/></Relationships>'
        ),
        "ppt/presentation.xml": f'<?xml version="1.0"?><p:presentation xmlns:p="{P}"/>',
    }
    for number, body in enumerate(slides, start=1):
        members[f"ppt/slides/slide{number}.xml"] = body
    members.update(parts or {})
    return zip_package(members)


ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    ' xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"'
    ' xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"'
    ' xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"'
    ' xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"'
    ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
    ' xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
)
ODF_TYPES = {
    "odt": ("text", "application/vnd.oasis.opendocument.text"),
    "ods": ("spreadsheet", "application/vnd.oasis.opendocument.spreadsheet"),
    "odp": ("presentation", "application/vnd.oasis.opendocument.presentation"),
}


def spans(text: str) -> str:
    """`text` split into text:span elements of three characters, as editing leaves it."""
    return "".join(
        f"<text:span>{escape(text[i : i + 3])}</text:span>" for i in range(0, len(text), 3)
    )


def odf(
    kind: str,
    body: str,
    *,
    styles: str = "",
    meta: str = "",
    extra: dict[str, bytes | str] | None = None,
    encrypted: bool = False,
) -> bytes:
    """An ODT/ODS/ODP package whose office:body child holds `body`."""
    element, mimetype = ODF_TYPES[kind]
    encryption = (
        '<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="AA==">'
        '<manifest:algorithm manifest:algorithm-name="Blowfish CFB"'
        ' manifest:initialisation-vector="AA=="/></manifest:encryption-data>'
        if encrypted
        else ""
    )
    members: dict[str, bytes | str] = {
        "mimetype": mimetype,
        "META-INF/manifest.xml": (
            f'<?xml version="1.0"?><manifest:manifest {ODF_NS}>'
            f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
            f"{encryption}</manifest:file-entry></manifest:manifest>"
        ),
        "content.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS}>'
            f"<office:body><office:{element}><text:p>Please see the note below.</text:p>"
            f"{body}</office:{element}></office:body></office:document-content>"
        ),
    }
    if styles:
        members["styles.xml"] = (
            f'<?xml version="1.0"?><office:document-styles {ODF_NS}><office:master-styles>'
            f'<style:master-page style:name="Standard">{styles}</style:master-page>'
            "</office:master-styles></office:document-styles>"
        )
    if meta:
        members["meta.xml"] = (
            f'<?xml version="1.0"?><office:document-meta {ODF_NS}><office:meta>{meta}'
            "<meta:creation-date>2026-11-16T09:30:00</meta:creation-date>"
            "</office:meta></office:document-meta>"
        )
    members.update(extra or {})
    return zip_package(members, stored_first="mimetype")


def pdf_with(**build: object) -> bytes:
    """A one-page blank PDF changed by pypdf's writer: see the keyword arguments below.

    field=(name, value) adds a text form field; tooltip=(name, tip) a field with a tooltip;
    note=text a sticky-note annotation; free_text=text a FreeText annotation; author=name a
    note's author; rich=xhtml a note's rich text; attachment=(name, data) an embedded file;
    info={key: value} document information; xmp=xml metadata; outline=[titles] nested bookmarks.
    """
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)

    def annotation(entries: dict[str, object]) -> None:
        annot = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (72, 600, 300, 640)]),
            }
        )
        for key, value in entries.items():
            annot[NameObject(key)] = value  # type: ignore[assignment]
        ref = writer._add_object(annot)
        annots = page.get("/Annots")
        if annots is None:
            page[NameObject("/Annots")] = ArrayObject([ref])
        else:
            annots.append(ref)  # type: ignore[attr-defined]

    def form_field(entries: dict[str, object]) -> None:
        field = DictionaryObject(
            {
                NameObject("/FT"): NameObject("/Tx"),
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Widget"),
                NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (72, 700, 300, 720)]),
                NameObject("/P"): page.indirect_reference,
            }
        )
        for key, value in entries.items():
            field[NameObject(key)] = value  # type: ignore[assignment]
        ref = writer._add_object(field)
        page.setdefault(NameObject("/Annots"), ArrayObject()).append(ref)  # type: ignore[attr-defined]
        root = writer._root_object
        if "/AcroForm" not in root:
            root[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): ArrayObject()})
        root["/AcroForm"]["/Fields"].append(ref)  # type: ignore[index]

    if "field" in build:
        name, value = build["field"]  # type: ignore[misc]
        form_field({"/T": TextStringObject(name), "/V": TextStringObject(value)})
    if "tooltip" in build:
        name, tip = build["tooltip"]  # type: ignore[misc]
        form_field({"/T": TextStringObject(name), "/TU": TextStringObject(tip)})
    if "note" in build:
        annotation({"/Subtype": NameObject("/Text"), "/Contents": TextStringObject(build["note"])})
    if "free_text" in build:
        annotation(
            {
                "/Subtype": NameObject("/FreeText"),
                "/Contents": TextStringObject(build["free_text"]),
                "/DA": TextStringObject("/Helv 12 Tf 0 g"),
            }
        )
    if "author" in build:
        annotation(
            {
                "/Subtype": NameObject("/Text"),
                "/T": TextStringObject(build["author"]),
                "/Contents": TextStringObject("see me"),
            }
        )
    if "rich" in build:
        annotation({"/Subtype": NameObject("/Text"), "/RC": TextStringObject(build["rich"])})
    if "attachment" in build:
        name, data = build["attachment"]  # type: ignore[misc]
        writer.add_attachment(name, data)
    if "info" in build:
        writer.add_metadata(build["info"])  # type: ignore[arg-type]
    if "xmp" in build:
        writer.xmp_metadata = build["xmp"]  # type: ignore[assignment]
    if "outline" in build:
        parent = None
        for title in build["outline"]:  # type: ignore[attr-defined]
            parent = writer.add_outline_item(title=title, page_number=0, parent=parent)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
