"""Deciding what an attachment is: magic bytes first, then the name, then the MIME type."""

from __future__ import annotations

import csv
import io
import lzma
import re
import zipfile
import zlib

from .model import UnscannableContent
from .textcodec import decode_document, looks_like_text
from .xmlsafe import attribute, localname, parse_xml

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"BM", "bmp"),
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")

_TEXT_EXTENSIONS = {
    "csv": "csv",
    "tsv": "csv",
    "txt": "plain",
    "text": "plain",
    "log": "plain",
    "md": "plain",
    "ics": "plain",
    "vcs": "plain",
    "vcf": "plain",
    "eml": "message",
    "htm": "html",
    "html": "html",
    "xhtml": "html",
    "rtf": "rtf",
    "hl7": "hl7",
    "json": "json",
    "xml": "xml",
    "cda": "xml",
    "ccd": "xml",
}
_MIME_KINDS = {
    "application/pdf": "pdf",
    "application/zip": "zip",
    "application/x-zip-compressed": "zip",
    "text/csv": "csv",
    "text/tab-separated-values": "csv",
    "text/html": "html",
    "text/rtf": "rtf",
    "application/rtf": "rtf",
    "application/hl7-v2": "hl7",
    "x-application/hl7-v2+er7": "hl7",
    "application/fhir+json": "json",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/fhir+xml": "xml",
    "message/rfc822": "message",
}


def extension(name: str) -> str:
    """The lower-case extension of a file name, without the dot."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


def sniff(data: bytes, name: str, content_type: str) -> str:
    """Classify an attachment as pdf, zip, docx, xlsx, pptx, odt, ods, odp, image, ole,
    ole-encrypted, rtf, hl7, json, xml, html, csv, plain, message, or unknown."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_flavour(data)
    for magic, _fmt in _IMAGE_MAGIC:
        if head.startswith(magic):
            if magic == b"BM" and not _plausible_bmp(head):
                break
            return "image"
    if head.startswith(_OLE_MAGIC):
        return "ole-encrypted" if _ENCRYPTED_PACKAGE in data[:65536] else "ole"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n\x0b")
    if stripped.startswith(b"{\\rtf"):
        return "rtf"
    if stripped.startswith(b"MSH") and len(stripped) > 3:
        return "hl7"
    if not looks_like_text(data):
        return "unknown"
    by_name = _TEXT_EXTENSIONS.get(extension(name))
    if by_name and by_name != "plain":
        return by_name
    by_mime = _MIME_KINDS.get(content_type)
    if by_mime and by_mime not in ("pdf", "zip", "plain"):
        return by_mime
    if stripped.startswith(b"<?xml") or b"<ClinicalDocument" in head:
        return "xml"
    if stripped[:1] == b"{" and b'"resourceType"' in data[:4096]:
        return "json"
    if stripped[:5].lower() in (b"<!doc", b"<html"):
        return "html"
    # Never trust the declared type: a semicolon CSV sent as application/vnd.ms-excel, as
    # application/octet-stream or named .txt is read as the table it is.
    if csv_dialect(decode_document(data[:_CSV_SAMPLE])) is not None:
        return "csv"
    return "plain"


_CSV_SAMPLE = 16384
_CSV_DELIMITERS = ",;\t|"


def csv_dialect(text: str) -> type[csv.Dialect] | None:
    """The CSV dialect of a text that is a table (2+ rows of 2+ cells alike), else None.

    csv.Sniffer guesses the delimiter and quoting; the guess counts only when most rows of the
    sample then have the first row's number of cells, so prose with commas is no table.
    """
    sample = text[:_CSV_SAMPLE]
    lines = [ln for ln in sample.splitlines()[:40] if ln.strip()]
    if len(lines) < 2:
        return None
    if len(sample) == _CSV_SAMPLE and len(lines) > 2:
        lines = lines[:-1]  # the last line of a cut sample is partial
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters=_CSV_DELIMITERS)
    except csv.Error:
        return None
    rows = list(csv.reader(lines, dialect))
    width = len(rows[0])
    if width < 2:
        return None
    alike = sum(1 for r in rows if len(r) == width)
    # Prose has commas too: a comma table needs three rows alike, others two.
    least = 3 if dialect.delimiter == "," else 2
    return dialect if alike >= least and alike * 5 >= len(rows) * 4 else None


def _plausible_bmp(head: bytes) -> bool:
    # "BM" also starts ordinary text; a real BMP has a known DIB header size at offset 14.
    return len(head) >= 18 and int.from_bytes(head[14:18], "little") in (12, 40, 52, 56, 108, 124)


# The content type of an Office Open XML package's main part names the kind of document.
_OOXML_MAIN_TYPES = (
    ("wordprocessingml.document.main+xml", "docx"),
    ("wordprocessingml.template.main+xml", "docx"),
    ("ms-word.document.macroenabled.main+xml", "docx"),
    ("ms-word.template.macroenabledtemplate.main+xml", "docx"),
    ("spreadsheetml.sheet.main+xml", "xlsx"),
    ("spreadsheetml.template.main+xml", "xlsx"),
    ("ms-excel.sheet.macroenabled.main+xml", "xlsx"),
    ("ms-excel.template.macroenabled.main+xml", "xlsx"),
    ("presentationml.presentation.main+xml", "pptx"),
    ("presentationml.slideshow.main+xml", "pptx"),
    ("presentationml.template.main+xml", "pptx"),
    ("ms-powerpoint.presentation.macroenabled.main+xml", "pptx"),
    ("ms-powerpoint.slideshow.macroenabled.main+xml", "pptx"),
    ("ms-powerpoint.template.macroenabled.main+xml", "pptx"),
)
# The `mimetype` member (or the manifest's root entry) of an OpenDocument package.
_ODF_TYPES = (
    ("application/vnd.oasis.opendocument.text", "odt"),
    ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
    ("application/vnd.oasis.opendocument.presentation", "odp"),
)
_SNIFF_READ = 1024 * 1024


def _zip_flavour(data: bytes) -> str:
    """docx, xlsx, pptx, odt, ods or odp from the package's own declarations, else zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {i.filename.lower(): i for i in archive.infolist()}

            def head(name: str) -> bytes:
                info = members.get(name.lower())
                if info is None or info.flag_bits & 0x1:
                    return b""
                with archive.open(info) as stream:
                    return stream.read(_SNIFF_READ)

            content_types = head("[Content_Types].xml")
            relationships = head("_rels/.rels")
            mimetype = head("mimetype").strip()
            manifest = head("META-INF/manifest.xml") if not mimetype else b""
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, RuntimeError):
        return "zip"
    except (zlib.error, lzma.LZMAError):
        return "zip"
    ooxml = _ooxml_kind(content_types, relationships)
    if ooxml:
        return ooxml
    if not mimetype and manifest:
        match = re.search(
            rb'manifest:full-path="/"[^>]*manifest:media-type="([^"]*)"'
            rb'|manifest:media-type="([^"]*)"[^>]*manifest:full-path="/"',
            manifest,
        )
        if match:
            mimetype = (match.group(1) or match.group(2) or b"").strip()
    declared = mimetype.decode("ascii", "replace").lower()
    for prefix, kind in _ODF_TYPES:
        # Templates (-template) and a master document (text-master) are the same kind to read.
        if declared.startswith(prefix):
            return kind
    # A package without its declarations still opens in some readers: go by the part names.
    if "word/document.xml" in members:
        return "docx"
    if "xl/workbook.xml" in members:
        return "xlsx"
    if "ppt/presentation.xml" in members:
        return "pptx"
    return "zip"


def _ooxml_kind(content_types: bytes, relationships: bytes) -> str:
    """The kind the main part's declared content type names ('' when none or unreadable)."""
    if not content_types:
        return ""
    try:
        types = parse_xml(content_types, "[Content_Types].xml")
        rels = parse_xml(relationships, "_rels/.rels") if relationships else None
    except UnscannableContent:
        return ""
    main = ""
    for rel in rels.iter() if rels is not None else ():
        if attribute(rel, "Type").endswith("/officeDocument"):
            main = "/" + attribute(rel, "Target").lstrip("/")
            break
    declared = {
        attribute(o, "PartName").lower(): attribute(o, "ContentType").lower()
        for o in types.iter()
        if localname(o) == "Override"
    }
    # The main part decides, as it does for Office; without one, a single candidate does.
    candidates = [declared[main.lower()]] if main.lower() in declared else list(declared.values())
    kinds = {kind for ct in candidates for marker, kind in _OOXML_MAIN_TYPES if ct.endswith(marker)}
    return kinds.pop() if len(kinds) == 1 else ""


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or BMP from its header, or None when unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith((b"GIF87a", b"GIF89a")) and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data.startswith(b"BM") and len(data) >= 26:
        return (
            abs(int.from_bytes(data[18:22], "little", signed=True)),
            abs(int.from_bytes(data[22:26], "little", signed=True)),
        )
    return None
