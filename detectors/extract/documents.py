"""Office and print formats to text: PDF (with OCR of scanned pages), DOCX, XLSX and RTF."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import time
from collections.abc import Iterator
from typing import Any

from .model import AttachmentResult, ExtractLimits, Fragment, Problem, UnscannableContent
from .ocr import OcrEngine

# pypdf's warnings quote raw bytes of the file, which may be PHI: keep them out of every log.
_PYPDF_LOG = logging.getLogger("pypdf")
_PYPDF_LOG.setLevel(logging.CRITICAL + 1)
_PYPDF_LOG.propagate = False

# A page with fewer visible characters than this in its text layer is treated as scanned.
_MIN_TEXT_LAYER_CHARS = 16
# Images smaller than this (both sides, pixels) are decorations, not scanned pages.
_MIN_OCR_SIDE = 32


# ---------------------------------------------------------------- PDF


def pdf_result(
    data: bytes, limits: ExtractLimits, ocr: OcrEngine, deadline: float
) -> AttachmentResult:
    """Extract a PDF's text layer, OCR its image-only pages; encrypted or broken PDFs raise."""
    from pypdf import PdfReader

    problems: list[Problem] = []
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
                problems.append(Problem("", "budget-exhausted", f"stopped before page {number}"))
                break
            text = page.extract_text() or ""
            page_texts.append(text)
            budget -= len(text)
            if len("".join(text.split())) < _MIN_TEXT_LAYER_CHARS:
                scanned.append(page)
            if budget < 0:
                problems.append(Problem("", "too-large", f"text limit reached at page {number}"))
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
    return AttachmentResult(tuple(fragments), tuple(problems))


def _ocr_pages(
    pages: list[Any], limits: ExtractLimits, ocr: OcrEngine, deadline: float
) -> tuple[str, list[Problem]]:
    texts: list[str] = []
    problems: list[Problem] = []
    done = 0
    for page in pages:
        try:
            images = list(_page_images(page, 0))
        except Exception as exc:  # noqa: BLE001 - malformed resources; recorded, not skipped
            problems.append(
                Problem(" (ocr)", "corrupt", f"page images unreadable ({type(exc).__name__})")
            )
            continue
        if not images:
            continue
        if not limits.ocr_enabled:
            problems.append(
                Problem(" (ocr)", "ocr-unavailable", "image-only pages and OCR disabled")
            )
            break
        if done >= limits.ocr_max_pages:
            problems.append(
                Problem(" (ocr)", "too-large", f"more than {limits.ocr_max_pages} scanned pages")
            )
            break
        done += 1
        for image in images:
            timeout = min(limits.ocr_timeout_s, deadline - time.monotonic())
            try:
                texts.append(ocr.image_to_text(image, timeout))
            except UnscannableContent as exc:
                problems.append(Problem(" (ocr)", exc.reason, exc.detail))
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


# ---------------------------------------------------------------- DOCX


def docx_text(data: bytes) -> str:
    """Paragraphs and tables in document order, then text boxes, headers and footers."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []

        def blocks(container: Any, out: list[str]) -> None:
            for block in container.iter_inner_content():
                if isinstance(block, Paragraph):
                    out.append(block.text)
                elif isinstance(block, Table):
                    table_lines(block, out)

        def table_lines(table: Table, out: list[str]) -> None:
            for row in table.rows:
                cells: list[str] = []
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # merged cells repeat the same element
                        continue
                    seen.add(id(cell._tc))
                    inner: list[str] = []
                    blocks(cell, inner)
                    cells.append(" ".join(x.strip() for x in inner if x.strip()))
                out.append("\t".join(cells))

        blocks(document, lines)
        body = document.element.body
        namespace = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
        for box in body.iter(f"{namespace}txbxContent"):
            for paragraph in box.iter(f"{namespace}p"):
                lines.append("".join(t.text or "" for t in paragraph.iter(f"{namespace}t")))
        seen_parts: set[int] = set()
        for section in document.sections:
            for hf in (
                section.header,
                section.first_page_header,
                section.even_page_header,
                section.footer,
                section.first_page_footer,
                section.even_page_footer,
            ):
                if hf.is_linked_to_previous:
                    continue
                key = id(hf.part)
                if key in seen_parts:
                    continue
                seen_parts.add(key)
                blocks(hf, lines)
    except UnscannableContent:
        raise
    except Exception as exc:  # noqa: BLE001 - python-docx/lxml raise many types on bad files
        raise UnscannableContent("corrupt", f"DOCX unreadable ({type(exc).__name__})") from exc
    return "\n".join(line for line in lines if line.strip())


# ---------------------------------------------------------------- XLSX


def xlsx_text(data: bytes, max_chars: int, deadline: float) -> tuple[str, list[Problem]]:
    """Each sheet as tab-separated rows, header row included, values as shown in Excel."""
    import openpyxl

    lines: list[str] = []
    problems: list[Problem] = []
    used = 0
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                lines.append(f"Sheet: {sheet.title}")
                if hasattr(sheet, "reset_dimensions"):
                    # Some writers store a wrong <dimension>; read every row that exists.
                    sheet.reset_dimensions()
                for number, row in enumerate(sheet.iter_rows(), start=1):
                    values = [_cell_text(cell) for cell in row]
                    while values and not values[-1]:
                        values.pop()
                    if not values:
                        continue
                    line = "\t".join(values)
                    lines.append(line)
                    used += len(line) + 1
                    if used > max_chars:
                        problems.append(
                            Problem("", "too-large", f"text limit reached at row {number}")
                        )
                        return "\n".join(lines), problems
                    if number % 1000 == 0 and time.monotonic() > deadline:
                        problems.append(Problem("", "budget-exhausted", f"stopped at row {number}"))
                        return "\n".join(lines), problems
        finally:
            workbook.close()
    except UnscannableContent:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on bad files
        raise UnscannableContent("corrupt", f"XLSX unreadable ({type(exc).__name__})") from exc
    return "\n".join(lines), problems


_ZERO_PAD = re.compile(r"^0+$")
_DATE_TOKENS = re.compile(
    r"yyyy|yy|mmmm|mmm|mm|m|dd|d|hh|h|ss|am/pm|\"[^\"]*\"|\\.|.", re.IGNORECASE
)


def _cell_text(cell: Any) -> str:
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    fmt = str(getattr(cell, "number_format", "General") or "General")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return _format_date(value, fmt)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, int) and _ZERO_PAD.match(fmt):
        # "00000000" keeps the leading zeros of an MRN or ZIP stored as a number.
        return str(value).zfill(len(fmt))
    return str(value).replace("\t", " ").replace("\r\n", " ").replace("\n", " ")


def _format_date(value: dt.datetime | dt.date | dt.time, fmt: str) -> str:
    if isinstance(value, dt.time):
        return value.isoformat()
    lowered = fmt.lower()
    if "y" not in lowered or "d" not in lowered:
        if isinstance(value, dt.datetime) and value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    out = []
    day = value.day
    for token in _DATE_TOKENS.findall(fmt.split(";")[0]):
        t = token.lower()
        if t == "yyyy":
            out.append(f"{value.year:04d}")
        elif t == "yy":
            out.append(f"{value.year % 100:02d}")
        elif t == "mmmm":
            out.append(value.strftime("%B"))
        elif t == "mmm":
            out.append(value.strftime("%b"))
        elif t == "mm":
            out.append(f"{value.month:02d}")
        elif t == "m":
            out.append(str(value.month))
        elif t == "dd":
            out.append(f"{day:02d}")
        elif t == "d":
            out.append(str(day))
        elif t in ("hh", "h", "ss", "am/pm") or token.startswith("["):
            continue
        elif token.startswith('"'):
            out.append(token.strip('"'))
        elif token.startswith("\\"):
            out.append(token[1:])
        else:
            out.append(token)
    return "".join(out).strip(" :")


# ---------------------------------------------------------------- RTF

_RTF_TOKEN = re.compile(
    r"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\([^a-zA-Z])|([{}])|[\r\n]+|([^\\{}\r\n]+)"
)
# Destinations whose text is not document content.
_RTF_SKIP = frozenset(
    {"fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "datastore", "themedata",
     "colorschememapping", "latentstyles", "listtable", "listoverridetable", "rsidtbl", "generator",
     "xmlnstbl", "mmathPr", "fldinst", "bkmkstart", "bkmkend", "filetbl", "revtbl", "pgdsctbl",
     "objdata", "blipuid", "shppict", "nonshppict", "wgrffmtfilter", "template", "passwordhash"}
)  # fmt: skip
_RTF_BREAKS = {
    "par": "\n",
    "line": "\n",
    "sect": "\n",
    "page": "\n",
    "row": "\n",
    "tab": "\t",
    "cell": "\t",
}
_RTF_CHARS = {
    "emdash": "\u2014", "endash": "\u2013", "bullet": "\u2022", "lquote": "\u2018",
    "rquote": "\u2019", "ldblquote": "\u201c", "rdblquote": "\u201d", "emspace": " ",
    "enspace": " ", "qmspace": " ", "~": "\u00a0", "_": "-", "-": "",
}  # fmt: skip


def rtf_to_text(rtf: str) -> str:
    """Strip RTF to its visible text: groups, hex and \\u escapes, code page from \\ansicpg."""
    out: list[str] = []
    stack: list[tuple[bool, int]] = []
    skip = False
    uc = 1  # characters to drop after a \uN escape
    pending_skip = 0
    codepage = "cp1252"
    hex_run = bytearray()

    def flush_hex() -> None:
        if hex_run:
            if not skip:
                out.append(hex_run.decode(codepage, errors="replace"))
            hex_run.clear()

    for match in _RTF_TOKEN.finditer(rtf):
        word, arg, hexcode, symbol, brace, text = match.groups()
        if hexcode is None:
            flush_hex()
        if pending_skip and (text or hexcode or symbol):
            # The ANSI fallback after \uN: drop `uc` characters.
            if text:
                take = min(pending_skip, len(text))
                text = text[take:]
                pending_skip -= take
            else:
                pending_skip -= 1
                continue
        if brace == "{":
            stack.append((skip, uc))
            if len(stack) > 512:
                raise UnscannableContent("too-deep", "RTF nesting too deep")
        elif brace == "}":
            skip, uc = stack.pop() if stack else (False, 1)
        elif symbol is not None:
            if symbol == "*":
                skip = True
            elif symbol in "\\{}":
                if not skip:
                    out.append(symbol)
            elif symbol in _RTF_CHARS and not skip:
                out.append(_RTF_CHARS[symbol])
            elif symbol in "\r\n" and not skip:
                out.append("\n")
        elif hexcode is not None:
            hex_run.append(int(hexcode, 16))
        elif word is not None:
            if word in _RTF_SKIP:
                skip = True
            elif word == "ansicpg" and arg:
                codepage = f"cp{arg}" if _codec_exists(f"cp{arg}") else "cp1252"
            elif word == "uc" and arg:
                uc = max(0, int(arg))
            elif word == "u" and arg:
                if not skip:
                    code = int(arg)
                    out.append(
                        chr(code + 65536 if code < 0 else code) if -32768 <= code < 65536 else ""
                    )
                pending_skip = uc
            elif not skip:
                if word in _RTF_BREAKS:
                    out.append(_RTF_BREAKS[word])
                elif word in _RTF_CHARS:
                    out.append(_RTF_CHARS[word])
        elif text and not skip:
            out.append(text)
    flush_hex()
    lines = [line.strip() for line in "".join(out).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _codec_exists(name: str) -> bool:
    import codecs

    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


# ---------------------------------------------------------------- Office and ODF, one entry point

OFFICE_KINDS = frozenset({"docx", "xlsx", "pptx", "odt", "ods", "odp"})


def office_result(
    data: bytes, kind: str, limits: ExtractLimits, deadline: float
) -> AttachmentResult:
    """Text of an Office Open XML or OpenDocument file of `kind` (one of OFFICE_KINDS).

    Fragments carry the visible text and everything a reader can open (comments, tracked
    changes, headers, footers, properties); `embedded` carries files inside it.
    """
    from .archive import check_container

    check_container(data, limits)
    if kind == "docx":
        text = docx_text(data)
        return AttachmentResult((Fragment("", text, "docx"),) if text.strip() else (), ())
    if kind == "xlsx":
        text, problems = xlsx_text(data, limits.max_total_text_chars, deadline)
        return AttachmentResult((Fragment("", text, "xlsx"),) if text else (), tuple(problems))
    raise UnscannableContent("unknown-type", f"{kind} documents are not read yet")
