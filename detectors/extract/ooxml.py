"""Office Open XML (DOCX, XLSX, PPTX) to text: everything a reader can open, not just the body.

The package's XML parts are read directly (entity expansion off, sizes bounded) so that nothing
a library chooses to skip is missed. Sections, each reported under its own origin suffix:

- "" (the document): body text with tables laid out (cells tab-separated, rows on lines),
  inserted text, text boxes (DrawingML and VML), alt text, headers and footers (DOCX); every
  sheet including hidden ones, hidden rows and columns (XLSX); slides with tables and grouped
  shapes (PPTX).
- " (deleted text)": paragraphs as they read before tracked changes, where text was deleted or
  moved away; a reader can show it with one click.
- " (comments)", " (notes)" (footnotes, endnotes, speaker notes), " (glossary)",
  " (headers and footers)" (XLSX), " (drawings)" (charts, SmartArt, shapes on a sheet),
  " (properties)" (core, extended and custom properties, sheet and defined names).

Files under */embeddings/ are handed back as `embedded` for the walker to scan.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import time
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import unescape

import openpyxl

from .archive import Package
from .docparts import DocumentText, read_package
from .model import AttachmentProblem, ExtractLimits, UnscannableContent
from .xmlsafe import attribute, localname, parse_xml

# Elements whose text a reader does not see as text: field codes, and every property element
# (rPr, pPr, tblPr, sectPr, bodyPr ...), whose children describe formatting.
_NEVER = frozenset({"instrText", "delInstrText", "fldData", "tblGrid", "extLst"})
_CURRENT_ONLY = frozenset({"ins", "moveTo"})
_ORIGINAL_ONLY = frozenset({"del", "moveFrom"})
# Elements after which a new line starts: paragraphs, chart points, comments and their replies.
_BLOCKS = frozenset({"p", "pt", "cm", "comment", "threadedComment", "reply"})
_ALT_TEXT_OWNERS = frozenset({"docPr", "cNvPr"})
_MAX_TEXT_BOXES = 10_000


class _Render:
    """Text of one XML part in one view: as it reads now, or as it read before tracked changes."""

    def __init__(self, *, original: bool = False, chart: bool = False) -> None:
        self.original = original
        self.chart = chart
        self.lines: list[str] = []
        self.buf: list[str] = []
        self.boxes: list[Any] = []
        self.alt_text: list[str] = []
        self.has_deletions = False

    def flush(self) -> None:
        if self.buf:
            self.lines.append("".join(self.buf))
            self.buf = []

    def walk(self, element: Any) -> None:
        name = localname(element)
        if not name or name in _NEVER or (name.endswith("Pr") and name not in _ALT_TEXT_OWNERS):
            return
        if name in _ORIGINAL_ONLY or name == "delText":
            if not self.original:
                self.has_deletions = True
                return
        elif name in _CURRENT_ONLY and self.original:
            return
        if name == "txbxContent":
            self.boxes.append(element)
            return
        if name in _ALT_TEXT_OWNERS:
            shown = " ".join(
                v for v in (attribute(element, "title"), attribute(element, "descr")) if v
            )
            if shown.strip():
                self.alt_text.append(shown)
            return
        if name == "tbl":
            self.table(element)
            return
        block = name in _BLOCKS
        if block:
            self.flush()
        if name in ("t", "text", "delText") or (name == "v" and self.chart):
            if element.text:
                self.buf.append(element.text)
        elif name in ("tab", "ptab"):
            self.buf.append("\t")
        elif name in ("br", "cr"):
            self.flush()
        elif name == "noBreakHyphen":
            self.buf.append("-")
        for child in element:
            self.walk(child)
        if block:
            self.flush()

    def table(self, element: Any) -> None:
        self.flush()
        for row in _descendants(element, "tr"):
            cells = []
            for cell in _descendants(row, "tc"):
                inner = _Render(original=self.original, chart=self.chart)
                for child in cell:
                    inner.walk(child)
                inner.flush()
                self.boxes.extend(inner.boxes)
                self.alt_text.extend(inner.alt_text)
                self.has_deletions = self.has_deletions or inner.has_deletions
                cells.append(" ".join(x.strip() for x in inner.lines if x.strip()))
            if any(cells):
                self.lines.append("\t".join(c.replace("\t", " ") for c in cells))

    def finish(self) -> list[str]:
        """Every line: the flow first, then text boxes (each once), then alt text."""
        self.flush()
        lines = list(self.lines)
        seen: set[str] = set()
        done = 0
        while self.boxes and done < _MAX_TEXT_BOXES:
            box = self.boxes.pop(0)
            done += 1
            inner = _Render(original=self.original, chart=self.chart)
            for child in box:
                inner.walk(child)
            inner.flush()
            # Word stores each text box twice (DrawingML and a VML fallback): read both, keep one.
            text = "\n".join(inner.lines)
            if text not in seen:
                seen.add(text)
                lines.extend(inner.lines)
            self.boxes.extend(inner.boxes)
            self.alt_text.extend(inner.alt_text)
            self.has_deletions = self.has_deletions or inner.has_deletions
        lines.extend(dict.fromkeys(self.alt_text))
        return lines


def _descendants(element: Any, wanted: str) -> Iterator[Any]:
    """Children named `wanted`, looking through wrappers (content controls, custom XML)."""
    for child in element:
        name = localname(child)
        if name == wanted:
            yield child
        elif name and name not in ("tbl", "tr", "tc") and not name.endswith("Pr"):
            yield from _descendants(child, wanted)


def _views(root: Any, *, chart: bool = False) -> tuple[list[str], list[str]]:
    """The part's lines as it reads now, and the lines that only its pre-change view holds."""
    current = _Render(chart=chart)
    current.walk(root)
    lines = current.finish()
    if not current.has_deletions:
        return lines, []
    before = _Render(original=True, chart=chart)
    before.walk(root)
    shown = set(lines)
    return lines, [line for line in before.finish() if line not in shown]


class _Reader:
    """One OOXML package being read into a DocumentText."""

    def __init__(self, package: Package, out: DocumentText) -> None:
        self.package = package
        self.out = out

    def xml(self, name: str) -> Any | None:
        data = self.package.read(name)
        if data is None:
            return None
        return parse_xml(data, posixpath.basename(name))

    def members(self, pattern: str) -> list[str]:
        """Member names matching `pattern` (case-insensitive), in natural order (2 before 10)."""
        regex = re.compile(pattern, re.IGNORECASE)
        return sorted((n for n in self.package.names if regex.fullmatch(n)), key=_natural)

    def part(self, name: str, suffix: str, *, chart: bool = False) -> None:
        """Add one part's text to `suffix` and its deleted text to ' (deleted text)'."""
        if self.out.out_of_time(posixpath.basename(name)):
            return
        root = self.xml(name)
        if root is None:
            return
        lines, deleted = _views(root, chart=chart)
        self.out.add(suffix, lines)
        self.out.add(" (deleted text)", deleted)

    def parts(self, pattern: str, suffix: str, *, chart: bool = False) -> None:
        for name in self.members(pattern):
            self.part(name, suffix, chart=chart)

    def main_part(self, default: str) -> str:
        """The main document part named by the package relationships, else `default`."""
        root = self.xml("_rels/.rels")
        if root is not None:
            for rel in root.iter():
                if localname(rel) == "Relationship" and attribute(rel, "Type").endswith(
                    "/officeDocument"
                ):
                    target = attribute(rel, "Target").lstrip("/")
                    if target and self.package.has(target):
                        return target
        return default

    def properties(self) -> None:
        """Core, extended (app) and custom document properties as 'name: value' lines."""
        lines: list[str] = []
        core = self.xml("docProps/core.xml")
        if core is not None:
            for element in core:
                name = localname(element)
                if name in _CORE_FIELDS and (element.text or "").strip():
                    lines.append(f"{name}: {element.text.strip()}")
        app = self.xml("docProps/app.xml")
        if app is not None:
            for element in app:
                name = localname(element)
                if name in ("Company", "Manager", "HyperlinkBase") and (element.text or "").strip():
                    lines.append(f"{name}: {element.text.strip()}")
                elif name == "TitlesOfParts":
                    titles = [
                        t.text.strip()
                        for t in element.iter()
                        if localname(t) == "lpstr" and (t.text or "").strip()
                    ]
                    if titles:
                        lines.append("Titles: " + "; ".join(titles))
        custom = self.xml("docProps/custom.xml")
        if custom is not None:
            for prop in custom:
                if localname(prop) != "property":
                    continue
                value = " ".join(
                    (v.text or "").strip()
                    for v in prop.iter()
                    if v is not prop and (v.text or "").strip()
                )
                if value:
                    lines.append(f"{attribute(prop, 'name')}: {value}")
        self.out.add(" (properties)", lines)

    def embeddings(self) -> None:
        for name in self.members(r"[^/]+/embeddings/.+"):
            data = self.package.read(name)
            if data is not None:
                self.out.embed(posixpath.basename(name), data)


# Text fields of docProps/core.xml; dates and revision numbers say nothing about a patient.
_CORE_FIELDS = frozenset(
    {"title", "subject", "creator", "keywords", "description", "lastModifiedBy", "category",
     "contentStatus", "identifier", "language"}
)  # fmt: skip


def _natural(name: str) -> list[Any]:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name)]


def _drawings(reader: _Reader, folder: str) -> None:
    reader.parts(rf"{folder}/charts/chart[^/]*\.xml", " (drawings)", chart=True)
    reader.parts(rf"{folder}/diagrams/data[^/]*\.xml", " (drawings)")


def _read_document(
    package: Package,
    out: DocumentText,
    default_main: str,
    parts: tuple[tuple[str, str], ...],
    *,
    main_text: bool,
) -> None:
    """Read the main part (when it holds text), each (pattern below its folder, suffix) of
    `parts`, then drawings, properties and embedded files."""
    reader = _Reader(package, out)
    main = reader.main_part(default_main)
    folder = posixpath.dirname(main) or posixpath.dirname(default_main)
    if main_text:
        reader.part(main, "")
    for pattern, suffix in parts:
        reader.parts(rf"{folder}/{pattern}", suffix)
    _drawings(reader, folder)
    reader.properties()
    reader.embeddings()


# ---------------------------------------------------------------- DOCX


# Parts of a word-processing document besides the main one: (pattern below its folder, suffix).
_DOCX_PARTS = (
    (r"header\d*\.xml", ""),
    (r"footer\d*\.xml", ""),
    (r"comments[^/]*\.xml", " (comments)"),
    (r"(footnotes|endnotes)\.xml", " (notes)"),
    (r"glossary/document\.xml", " (glossary)"),
)


def docx_read(package: Package, out: DocumentText) -> None:
    """See the module docstring: a word-processing document."""
    _read_document(package, out, "word/document.xml", _DOCX_PARTS, main_text=True)


# ---------------------------------------------------------------- XLSX


def xlsx_read(package: Package, data: bytes, out: DocumentText) -> None:
    """See the module docstring: a workbook."""
    reader = _Reader(package, out)
    text, problems = xlsx_text(data, out.limits.max_total_text_chars, out.deadline)
    out.add("", text.split("\n"))
    out.problems.extend(problems)
    for name in reader.members(r"xl/(.*/)?[^/]*comment[^/]*\.xml"):
        if out.out_of_time("comments"):
            return
        root = reader.xml(name)
        if root is None:
            continue
        for comment in root.iter():
            if localname(comment) in ("comment", "threadedComment"):
                inner = _Render()
                for child in comment:
                    inner.walk(child)
                said = " ".join(x.strip() for x in inner.finish() if x.strip())
                if said:
                    out.add(" (comments)", [f"{attribute(comment, 'ref')}: {said}"])
    for name in reader.members(r"xl/worksheets/[^/]*\.xml"):
        if out.out_of_time("headers and footers"):
            return
        sheet = package.read(name) or b""
        out.add(" (headers and footers)", _header_footer_lines(sheet))
    reader.parts(r"xl/drawings/drawing[^/]*\.xml", " (drawings)")
    _drawings(reader, "xl")
    workbook = reader.xml("xl/workbook.xml")
    if workbook is not None:
        lines = []
        for element in workbook.iter():
            name = localname(element)
            if name == "sheet":
                lines.append(f"Sheet name: {attribute(element, 'name')}")
            elif name == "definedName":
                lines.append(f"Defined name {attribute(element, 'name')}: {element.text or ''}")
        out.add(" (properties)", lines)
    reader.properties()
    reader.embeddings()


_HEADER_FOOTER = re.compile(
    rb"<(?:[\w.-]+:)?(?:odd|even|first)(?:Header|Footer)\b[^>]*>([^<]*)<", re.IGNORECASE
)
_HF_CODES = re.compile(r'&(?:"[^"]*"|K[0-9A-Fa-f]{6}|K\d\d[+-]\d{3}|\d+|[A-Za-z])')


def _header_footer_lines(sheet: bytes) -> list[str]:
    """Page headers and footers of a sheet, formatting codes (&L, &"Arial,Bold", &P) removed."""
    lines = []
    for raw in _HEADER_FOOTER.findall(sheet):
        text = unescape(raw.decode("utf-8", "replace"), {"&quot;": '"', "&apos;": "'"})
        text = _HF_CODES.sub(" ", text.replace("&&", "\x00")).replace("\x00", "&")
        text = " ".join(text.split())
        if text:
            lines.append(text)
    return lines


def xlsx_text(data: bytes, max_chars: int, deadline: float) -> tuple[str, list[AttachmentProblem]]:
    """Each sheet as tab-separated rows, header row included, values as shown in Excel."""
    lines: list[str] = []
    problems: list[AttachmentProblem] = []
    used = 0
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            # Every sheet, hidden and very hidden ones too: a reader can unhide them.
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
                            AttachmentProblem(
                                "", "too-large", f"text limit reached at row {number}"
                            )
                        )
                        return "\n".join(lines), problems
                    if number % 1000 == 0 and time.monotonic() > deadline:
                        problems.append(
                            AttachmentProblem("", "budget-exhausted", f"stopped at row {number}")
                        )
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


# ---------------------------------------------------------------- PPTX


# Parts of a presentation (the main part holds no text of its own).
_PPTX_PARTS = (
    (r"slides/slide[^/]*\.xml", ""),
    (r"notesSlides/[^/]*\.xml", " (notes)"),
    (r"comments/[^/]*\.xml", " (comments)"),
)


def pptx_read(package: Package, out: DocumentText) -> None:
    """See the module docstring: a presentation."""
    _read_document(package, out, "ppt/presentation.xml", _PPTX_PARTS, main_text=False)


def ooxml_result(data: bytes, kind: str, limits: ExtractLimits, deadline: float) -> DocumentText:
    """Read a DOCX, XLSX or PPTX package into sections; broken or hostile packages raise."""

    def read(package: Package, out: DocumentText) -> None:
        if kind == "docx":
            docx_read(package, out)
        elif kind == "xlsx":
            xlsx_read(package, data, out)
        else:
            pptx_read(package, out)

    return read_package(data, kind, limits, deadline, read)
