"""PDF to text: the text layer, OCR of scanned pages, and every other place a reader can open.

Sections, each reported under its own origin suffix: "" (the text layer), " (ocr)",
" (form fields)" (AcroForm and widget names, tooltips, values, options), " (annotations)"
(comments, FreeText, popups, rich text, authors, attachment descriptions), " (bookmarks)"
(the outline, nested) and " (properties)" (document information and XMP metadata). Files
attached to the PDF (the EmbeddedFiles name tree, FileAttachment annotations) are handed back
as `embedded` for the walker to scan.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from typing import Any

from pypdf import PdfReader

from .docparts import DocumentText
from .htmltext import html_to_text
from .model import AttachmentProblem, AttachmentResult, ExtractLimits, Fragment, UnscannableContent
from .ocr import OcrEngine
from .xmlsafe import localname, parse_xml

# pypdf's warnings quote raw bytes of the file, which may be PHI: keep them out of every log.
_PYPDF_LOG = logging.getLogger("pypdf")
_PYPDF_LOG.setLevel(logging.CRITICAL + 1)
_PYPDF_LOG.propagate = False

# A page with fewer visible characters than this in its text layer is treated as scanned.
_MIN_TEXT_LAYER_CHARS = 16
# Images smaller than this (both sides, pixels) are decorations, not scanned pages.
_MIN_OCR_SIDE = 32
# Objects visited for forms, annotations, attachments and bookmarks; trees may be cyclic.
_MAX_OBJECTS = 200_000
_MAX_TREE_DEPTH = 64
# Metadata keys that never say anything about a patient (dates, file identifiers, formats).
_DULL_METADATA = frozenset(
    {"creationdate", "moddate", "trapped", "createdate", "modifydate", "metadatadate",
     "documentid", "instanceid", "originaldocumentid", "format", "versionid", "renditionclass",
     "pdfversion", "when", "action", "softwareagent", "changed", "parameters"}
)  # fmt: skip


def pdf_result(
    data: bytes, limits: ExtractLimits, ocr: OcrEngine, deadline: float
) -> AttachmentResult:
    """Extract a PDF's text layer, OCR its image-only pages, and read its forms, annotations,
    attachments, bookmarks and metadata; encrypted or broken PDFs raise."""
    problems: list[AttachmentProblem] = []
    page_texts: list[str] = []
    scanned: list[Any] = []
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Many PDFs are "encrypted" only to set permissions, with an empty user password.
            if not reader.decrypt(""):
                raise UnscannableContent("encrypted-pdf", "PDF needs a password")
        budget = limits.max_total_text_chars
        for number, page in enumerate(reader.pages, start=1):
            if time.monotonic() > deadline:
                problems.append(
                    AttachmentProblem("", "budget-exhausted", f"stopped before page {number}")
                )
                break
            text = page.extract_text() or ""
            page_texts.append(text)
            budget -= len(text)
            if len("".join(text.split())) < _MIN_TEXT_LAYER_CHARS:
                scanned.append(page)
            if budget < 0:
                problems.append(
                    AttachmentProblem("", "too-large", f"text limit reached at page {number}")
                )
                break
    except UnscannableContent:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on hostile input; recorded
        raise UnscannableContent("corrupt", f"PDF unreadable ({type(exc).__name__})") from exc
    fragments = []
    text_layer = "\n\n".join(t for t in page_texts if t.strip())
    if text_layer:
        fragments.append(Fragment("", text_layer, "pdf"))
    if scanned:
        ocr_text, ocr_problems = _ocr_pages(scanned, limits, ocr, deadline)
        problems.extend(ocr_problems)
        if ocr_text.strip():
            fragments.append(Fragment(" (ocr)", ocr_text, "ocr"))
    left = max(1, limits.max_total_text_chars - sum(len(f.text) for f in fragments))
    extras = DocumentText("pdf", limits.clone(max_total_text_chars=left), deadline)
    _PdfParts(reader, extras).read()
    rest = extras.result()
    return AttachmentResult(
        (*fragments, *rest.fragments), (*problems, *rest.problems), rest.embedded
    )


class _PdfParts:
    """Everything outside the text layer of one PDF, read into a DocumentText."""

    def __init__(self, reader: Any, out: DocumentText) -> None:
        self.reader = reader
        self.out = out
        self.seen: set[tuple[int, int]] = set()
        self.visits = 0

    def read(self) -> None:
        for step, where in (
            (self.info, "properties"),
            (self.xmp, "XMP metadata"),
            (self.form, "form fields"),
            (self.annotations, "annotations"),
            (self.attachments, "attachments"),
            (self.bookmarks, "bookmarks"),
        ):
            if self.out.out_of_time(where):
                return
            try:
                step()
            except UnscannableContent as exc:
                self.out.problem(exc.reason, f"{where}: {exc.detail}")
            except RecursionError:
                self.out.problem("too-deep", f"{where} nested too deep")
            except Exception as exc:  # noqa: BLE001 - pypdf raises many types on hostile input
                # Fail closed: what could not be read is reported, so the policy holds it.
                self.out.problem("corrupt", f"{where} unreadable ({type(exc).__name__})")

    # ------------------------------------------------------------ helpers

    def visit(self, obj: Any) -> Any | None:
        """The object behind a reference, or None once seen (cycles) or past the bound."""
        self.visits += 1
        if self.visits > _MAX_OBJECTS:
            raise UnscannableContent("too-many-parts", "PDF object trees beyond the bound")
        if self.visits % 256 == 0 and time.monotonic() > self.out.deadline:
            raise UnscannableContent("budget-exhausted", "no time left")
        ref = getattr(obj, "indirect_reference", None)
        if ref is None and hasattr(obj, "idnum"):
            ref = obj
        resolved = obj.get_object() if hasattr(obj, "get_object") else obj
        if ref is None:
            ref = getattr(resolved, "indirect_reference", None)
        if ref is not None:
            key = (int(ref.idnum), int(ref.generation))
            if key in self.seen:
                return None
            self.seen.add(key)
        return resolved

    @staticmethod
    def resolve(obj: Any) -> Any:
        return obj.get_object() if hasattr(obj, "get_object") else obj

    def text(self, value: Any) -> str:
        """A PDF value as text: strings, byte strings, numbers and arrays of them; not names."""
        value = self.resolve(value)
        if value is None:
            return ""
        if isinstance(value, bytes):
            return value.decode("latin-1")
        if isinstance(value, str):
            return "" if value.startswith("/") and type(value).__name__ == "NameObject" else value
        if isinstance(value, list | tuple):
            return "; ".join(t for t in (self.text(v) for v in value[:10_000]) if t)
        if hasattr(value, "get_data"):  # a text stream (rich text may come as one)
            return value.get_data()[: self.out.limits.max_part_bytes].decode("utf-8", "replace")
        if isinstance(value, int | float):
            return str(value)
        return ""

    def rich(self, value: Any) -> str:
        """Rich text (XHTML in /RC or /RV) as plain text."""
        text = self.text(value)
        return html_to_text(text) if text.strip() else ""

    def catalog(self) -> Any:
        return self.resolve(self.reader.trailer["/Root"])

    # ------------------------------------------------------------ sections

    def info(self) -> None:
        info = self.resolve(self.reader.trailer.get("/Info"))
        if not hasattr(info, "items"):
            return
        lines = []
        for key, value in info.items():
            name = str(key).lstrip("/")
            if _dull(name):
                continue
            shown = self.text(value)
            if shown.strip():
                lines.append(f"{name}: {shown}")
        self.out.add(" (properties)", lines)

    def xmp(self) -> None:
        stream = self.resolve(self.catalog().get("/Metadata"))
        if stream is None or not hasattr(stream, "get_data"):
            return
        data = stream.get_data()
        if len(data) > self.out.limits.max_part_bytes:
            raise UnscannableContent("too-large", "XMP metadata beyond the part size limit")
        root = parse_xml(data.strip(b"\x00 \t\r\n"), "XMP metadata")
        lines = []
        for element in root.iter():
            name = localname(element)
            for key, value in element.attrib.items():
                label = key.rsplit("}", 1)[-1]
                if "rdf-syntax" in key or "XML/1998" in key or _dull(label):
                    continue
                if value.strip():
                    lines.append(f"{label}: {value.strip()}")
            text = (element.text or "").strip()
            if not text or len(element):
                continue
            owner = element
            while localname(owner) in ("li", "Alt", "Seq", "Bag") and owner.getparent() is not None:
                owner = owner.getparent()
            label = localname(owner) or name
            if not _dull(label):
                lines.append(f"{label}: {text}")
        self.out.add(" (properties)", lines)

    def form(self) -> None:
        form = self.resolve(self.catalog().get("/AcroForm"))
        if not hasattr(form, "get"):
            return
        fields = self.resolve(form.get("/Fields")) or []
        for field in list(fields):
            self.field(field, 0)

    def field(self, obj: Any, depth: int) -> None:
        field = self.visit(obj)
        if field is None or not hasattr(field, "get") or depth > _MAX_TREE_DEPTH:
            return
        parts = []
        for key in ("/T", "/TU", "/TM"):
            name = self.text(field.get(key))
            if name.strip() and name not in parts:
                parts.append(name)
        value = self.text(field.get("/V"))
        rich = self.rich(field.get("/RV"))
        default = self.text(field.get("/DV"))
        options = self.text(field.get("/Opt"))
        shown = [v for v in (value, rich, default, options) if v.strip()]
        if parts or shown:
            self.out.add(" (form fields)", [": ".join([" / ".join(parts), *shown]).strip(": ")])
        for kid in list(self.resolve(field.get("/Kids")) or []):
            self.field(kid, depth + 1)

    def annotations(self) -> None:
        for page in self.reader.pages:
            annots = self.resolve(page.get("/Annots")) or []
            for ref in list(annots):
                annot = self.resolve(ref)
                if not hasattr(annot, "get"):
                    continue
                if annot.get("/Subtype") == "/Widget" or annot.get("/FT") is not None:
                    self.field(ref, 0)  # a widget is (part of) a form field
                    continue
                if self.visit(ref) is None:
                    continue
                self.annotation(annot)

    def annotation(self, annot: Any) -> None:
        said = [
            self.text(annot.get("/T")),
            self.text(annot.get("/Subj")),
            self.text(annot.get("/Contents")),
            self.rich(annot.get("/RC")),
        ]
        line = " ".join(s.strip() for s in said if s.strip())
        if line:
            self.out.add(" (annotations)", [line])
        spec = annot.get("/FS")
        if annot.get("/Subtype") == "/FileAttachment" and spec is not None:
            self.file_spec(spec)

    def file_spec(self, obj: Any) -> None:
        spec = self.visit(obj)
        if spec is None:
            return
        if isinstance(spec, str):
            return  # a path to a file outside the PDF: nothing inside to read
        name = self.text(spec.get("/UF")) or self.text(spec.get("/F")) or "attachment"
        description = self.text(spec.get("/Desc"))
        if description.strip():
            self.out.add(" (annotations)", [description])
        files = self.resolve(spec.get("/EF"))
        if not hasattr(files, "get"):
            return
        stream = self.resolve(files.get("/UF") or files.get("/F"))
        if stream is None or not hasattr(stream, "get_data"):
            return
        declared = int(self.resolve(stream.get("/Length", 0)) or 0)
        if declared > self.out.limits.max_part_bytes:
            self.out.problem("too-large", "embedded file beyond the part size limit")
            return
        self.out.embed(name.replace("\\", "/").rsplit("/", 1)[-1], stream.get_data())

    def attachments(self) -> None:
        names = self.resolve(self.catalog().get("/Names"))
        if not hasattr(names, "get"):
            return
        tree = names.get("/EmbeddedFiles")
        if tree is not None:
            for spec in self.name_tree(tree, 0):
                self.file_spec(spec)

    def name_tree(self, obj: Any, depth: int) -> Iterator[Any]:
        node = self.visit(obj)
        if node is None or not hasattr(node, "get") or depth > _MAX_TREE_DEPTH:
            return
        pairs = list(self.resolve(node.get("/Names")) or [])
        for index in range(1, len(pairs), 2):
            yield pairs[index]
        for kid in list(self.resolve(node.get("/Kids")) or []):
            yield from self.name_tree(kid, depth + 1)

    def bookmarks(self) -> None:
        catalog = self.catalog()
        outlines = self.resolve(catalog.get("/Outlines"))
        if not hasattr(outlines, "get"):
            return
        lines: list[str] = []
        self.outline(outlines.get("/First"), 0, lines)
        self.out.add(" (bookmarks)", lines)

    def outline(self, first: Any, depth: int, lines: list[str]) -> None:
        item_ref = first
        while item_ref is not None and depth <= _MAX_TREE_DEPTH:
            item = self.visit(item_ref)
            if item is None or not hasattr(item, "get"):
                return
            title = self.text(item.get("/Title"))
            if title.strip():
                lines.append("  " * min(depth, 8) + title.strip())
            child = item.get("/First")
            if child is not None:
                self.outline(child, depth + 1, lines)
            item_ref = item.get("/Next")


def _dull(label: str) -> bool:
    return label.lower() in _DULL_METADATA


def _ocr_pages(
    pages: list[Any], limits: ExtractLimits, ocr: OcrEngine, deadline: float
) -> tuple[str, list[AttachmentProblem]]:
    texts: list[str] = []
    problems: list[AttachmentProblem] = []
    done = 0
    for page in pages:
        try:
            images = list(_page_images(page, 0))
        except Exception as exc:  # noqa: BLE001 - malformed resources; recorded, not skipped
            problems.append(
                AttachmentProblem(
                    " (ocr)", "corrupt", f"page images unreadable ({type(exc).__name__})"
                )
            )
            continue
        if not images:
            continue
        if not limits.ocr_enabled:
            problems.append(
                AttachmentProblem(" (ocr)", "ocr-unavailable", "image-only pages and OCR disabled")
            )
            break
        if done >= limits.ocr_max_pages:
            problems.append(
                AttachmentProblem(
                    " (ocr)", "too-large", f"more than {limits.ocr_max_pages} scanned pages"
                )
            )
            break
        done += 1
        for image in images:
            timeout = min(limits.ocr_timeout_s, deadline - time.monotonic())
            try:
                texts.append(ocr.image_to_text(image, timeout))
            except UnscannableContent as exc:
                problems.append(AttachmentProblem(" (ocr)", exc.reason, exc.detail))
                return "\n".join(texts), problems
    return "\n".join(texts), problems


def _page_images(container: Any, depth: int) -> Iterator[bytes]:
    resources = container.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    if not resources or depth > 3:
        return
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not xobjects:
        return
    for ref in xobjects.values():
        obj = ref.get_object()
        subtype = obj.get("/Subtype")
        if subtype == "/Form":
            yield from _page_images(obj, depth + 1)
        elif subtype == "/Image":
            image = _pdf_image_bytes(obj)
            if image is not None:
                yield image


def _pdf_image_bytes(obj: Any) -> bytes | None:
    """The image as bytes tesseract can read (JPEG, JPEG 2000, TIFF or PNM), or None."""
    width, height = int(obj.get("/Width", 0)), int(obj.get("/Height", 0))
    if width < _MIN_OCR_SIDE and height < _MIN_OCR_SIDE:
        return None
    filters = obj.get("/Filter")
    names = (
        [str(f) for f in filters]
        if isinstance(filters, list)
        else ([str(filters)] if filters else [])
    )
    last = names[-1] if names else ""
    if last == "/JBIG2Decode":
        raise UnscannableContent("unknown-type", "JBIG2 page image")
    data: bytes = obj.get_data()
    if last in ("/DCTDecode", "/DCT", "/JPXDecode", "/CCITTFaxDecode", "/CCF"):
        return data
    return _pnm(obj, data, width, height)


def _pnm(obj: Any, data: bytes, width: int, height: int) -> bytes:
    bpc = int(obj.get("/BitsPerComponent", 1 if obj.get("/ImageMask") else 8))
    space = obj.get("/ColorSpace")
    space = space.get_object() if space is not None else None
    family = str(space[0]) if isinstance(space, list) else str(space or "/DeviceGray")
    components = {"/DeviceRGB": 3, "/CalRGB": 3, "/DeviceCMYK": 4, "/Lab": 3}.get(family, 1)
    if family == "/ICCBased" and isinstance(space, list):
        components = int(space[1].get_object().get("/N", 1))
    if bpc == 1 and components == 1:
        row = (width + 7) // 8
        body = _fit(data, row * height)
        decode = obj.get("/Decode")
        inverted = decode is not None and [int(v) for v in decode][:2] == [1, 0]
        if not inverted:
            # PDF gray: 0 is black; PBM: 1 is black.
            body = body.translate(_INVERT)
        return b"P4\n%d %d\n" % (width, height) + body
    if bpc == 16:
        data = data[0::2]
        bpc = 8
    if bpc != 8:
        raise UnscannableContent("unknown-type", f"{bpc}-bit page image")
    if family == "/Indexed" and isinstance(space, list):
        return _indexed_to_gray(space, data, width, height)
    if components == 3:
        return b"P6\n%d %d\n255\n" % (width, height) + _fit(data, width * height * 3)
    if components == 4:
        # Scanned text is black ink: the K channel alone reads well enough.
        black = _fit(data, width * height * 4)[3::4]
        return b"P5\n%d %d\n255\n" % (width, height) + black.translate(_INVERT)
    return b"P5\n%d %d\n255\n" % (width, height) + _fit(data, width * height)


def _indexed_to_gray(space: list[Any], data: bytes, width: int, height: int) -> bytes:
    base = space[1].get_object() if hasattr(space[1], "get_object") else space[1]
    lookup = space[3].get_object() if hasattr(space[3], "get_object") else space[3]
    palette = (
        lookup.get_data()
        if hasattr(lookup, "get_data")
        else bytes(lookup, "latin-1")
        if isinstance(lookup, str)
        else bytes(lookup)
    )
    step = (
        3
        if str(base if not isinstance(base, list) else base[0]) in ("/DeviceRGB", "/CalRGB")
        else 1
    )
    table = bytearray(range(256))
    for index in range(min(256, len(palette) // step)):
        entry = palette[index * step : index * step + step]
        table[index] = (
            (entry[0] * 30 + entry[1] * 59 + entry[2] * 11) // 100 if step == 3 else entry[0]
        )
    return b"P5\n%d %d\n255\n" % (width, height) + _fit(data, width * height).translate(
        bytes(table)
    )


def _fit(data: bytes, size: int) -> bytes:
    return data[:size] if len(data) >= size else data + b"\x00" * (size - len(data))


_INVERT = bytes(255 - i for i in range(256))
