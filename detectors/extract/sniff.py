"""Deciding what an attachment is: magic bytes first, then the name, then the MIME type."""

from __future__ import annotations

import io
import zipfile

from .textcodec import looks_like_text

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
    """Classify an attachment as pdf, zip, docx, xlsx, image, ole, ole-encrypted, rtf, hl7,
    json, xml, html, csv, plain, message, or unknown."""
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
    if by_name:
        return by_name
    by_mime = _MIME_KINDS.get(content_type)
    if by_mime and by_mime not in ("pdf", "zip"):
        return by_mime
    if stripped.startswith(b"<?xml") or b"<ClinicalDocument" in head:
        return "xml"
    if stripped[:1] == b"{" and b'"resourceType"' in data[:4096]:
        return "json"
    if stripped[:5].lower() in (b"<!doc", b"<html"):
        return "html"
    if content_type.startswith("text/") or content_type in ("", "application/octet-stream"):
        return "plain"
    return "plain"


def _plausible_bmp(head: bytes) -> bool:
    # "BM" also starts ordinary text; a real BMP has a known DIB header size at offset 14.
    return len(head) >= 18 and int.from_bytes(head[14:18], "little") in (12, 40, 52, 56, 108, 124)


def _zip_flavour(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return "zip"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return "zip"


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
