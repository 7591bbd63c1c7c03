"""OpenDocument (ODT, ODS, ODP) to text: everything a reader can open, not just the body.

Sections, each reported under its own origin suffix:

- "" (the document): content.xml's paragraphs, headings, lists, text boxes and alt text, with
  tables laid out (cells tab-separated, rows on lines; a spreadsheet's tables as sheets).
- " (comments)" (office:annotation), " (notes)" (footnotes, endnotes, speaker notes),
  " (deleted text)" (tracked deletions: a reader can show them), " (headers and footers)"
  (styles.xml master pages), " (properties)" (meta.xml, user-defined fields included) and
  " (embedded objects)" (Object N/content.xml of charts and other embedded documents).

Other files inside the package (an OLE object, an attached file) are handed back as `embedded`;
pictures, thumbnails and settings are not. A password-protected document raises.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from .archive import Package
from .docparts import DocumentText, read_package
from .model import ExtractLimits, UnscannableContent
from .xmlsafe import attribute, localname, parse_xml

# Containers of text that is not part of the flow; each is read into its own section.
_ASIDE = {
    "annotation": " (comments)",
    "note": " (notes)",
    "notes": " (notes)",
    "tracked-changes": " (deleted text)",
}
# Never text a reader sees: styles, macros, form definitions, a note's number, change metadata.
_NEVER = frozenset(
    {"automatic-styles", "font-face-decls", "scripts", "forms", "event-listeners",
     "note-citation", "change-info", "annotation-end", "sequence-decls", "variable-decls",
     "user-field-decls", "settings"}
)  # fmt: skip
_BLOCKS = frozenset({"p", "h", "title", "desc", "list-header"})
_SPACES = re.compile(r"\s+")
_MAX_ASIDES = 100_000
_HEADERS_FOOTERS = frozenset(
    {"header", "footer", "header-left", "footer-left", "header-first", "footer-first"}
)
# Members of a package that hold no document text of their own (or are read elsewhere).
_NOT_EMBEDDED = re.compile(
    r"(mimetype|manifest\.rdf|layout-cache|(.*/)?(content|styles|meta|settings)\.xml"
    r"|(META-INF|Thumbnails|Pictures|Configurations2|ObjectReplacements|Basic|Dialogs)/.*)",
    re.IGNORECASE,
)
_META_FIELDS = frozenset(
    {"title", "subject", "keyword", "description", "initial-creator", "creator", "user-defined",
     "printed-by"}
)  # fmt: skip


class _Render:
    """Text of one ODF XML tree; asides (comments, notes, deletions) are kept apart."""

    def __init__(self, *, sheets: bool = False) -> None:
        self.sheets = sheets
        self.lines: list[str] = []
        self.buf: list[str] = []
        self.asides: list[tuple[str, Any]] = []

    def flush(self) -> None:
        if self.buf:
            line = "".join(self.buf)
            if line.strip():
                self.lines.append(line)
            self.buf = []

    def text(self, value: str | None) -> None:
        if value:
            self.buf.append(_SPACES.sub(" ", value))

    def walk(self, element: Any, in_paragraph: bool) -> None:
        name = localname(element)
        if not name or name in _NEVER:
            return
        if name in _ASIDE:
            self.asides.append((_ASIDE[name], element))
            return
        if name == "table":
            self.table(element)
            return
        block = name in _BLOCKS
        if block:
            self.flush()
            in_paragraph = True
        if name == "s":
            count = attribute(element, "c")
            self.buf.append(" " * min(int(count) if count.isdigit() else 1, 100))
        elif name == "tab":
            self.buf.append("\t")
        elif name == "line-break":
            self.flush()
        if in_paragraph:
            self.text(element.text)
        for child in element:
            self.walk(child, in_paragraph)
            if in_paragraph:
                self.text(child.tail)
        if block:
            self.flush()

    def table(self, element: Any) -> None:
        self.flush()
        if self.sheets:
            self.lines.append(f"Sheet: {attribute(element, 'name')}")
        for row in _rows(element):
            cells = []
            for cell in row:
                if localname(cell) not in ("table-cell", "covered-table-cell"):
                    continue
                inner = _Render()
                for child in cell:
                    inner.walk(child, False)
                inner.flush()
                self.asides.extend(inner.asides)
                cells.append(" ".join(x.strip() for x in inner.lines if x.strip()))
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                self.lines.append("\t".join(c.replace("\t", " ") for c in cells))


def _rows(table: Any) -> list[Any]:
    """A table's rows, looking through header-row, row-group and similar wrappers."""
    rows = []
    for child in table:
        name = localname(child)
        if name == "table-row":
            rows.append(child)
        elif name.startswith("table-") and name.endswith(("rows", "row-group")):
            rows.extend(_rows(child))
    return rows


def _render(root: Any, *, sheets: bool = False) -> dict[str, list[str]]:
    """Every section of one tree: '' for the flow, then one list per aside section."""
    main = _Render(sheets=sheets)
    main.walk(root, False)
    main.flush()
    sections: dict[str, list[str]] = {"": main.lines}
    queue = list(main.asides)
    done = 0
    while queue and done < _MAX_ASIDES:
        suffix, element = queue.pop(0)
        done += 1
        if suffix == " (deleted text)":
            # Only deletions hold text here; insertions are already in the flow.
            targets = [e for e in element.iter() if localname(e) == "deletion"]
        else:
            targets = [element]
        for target in targets:
            inner = _Render()
            for child in target:
                inner.walk(child, False)
            inner.flush()
            queue.extend(inner.asides)
            said = " ".join(x.strip() for x in inner.lines if x.strip())
            if said:
                sections.setdefault(suffix, []).append(said)
    return sections


def odf_result(data: bytes, kind: str, limits: ExtractLimits, deadline: float) -> DocumentText:
    """Read an ODT, ODS or ODP package into sections; encrypted or hostile packages raise."""
    return read_package(
        data, kind, limits, deadline, lambda package, out: _read(package, kind, out)
    )


def _xml(package: Package, name: str) -> Any | None:
    data = package.read(name)
    return None if data is None else parse_xml(data, posixpath.basename(name))


def _read(package: Package, kind: str, out: DocumentText) -> None:
    manifest = _xml(package, "META-INF/manifest.xml")
    if manifest is not None and any(localname(e) == "encryption-data" for e in manifest.iter()):
        raise UnscannableContent("encrypted-document", "password-protected OpenDocument file")
    content = _xml(package, "content.xml")
    if content is None:
        raise UnscannableContent("corrupt", "OpenDocument file without content.xml")
    for suffix, lines in _render(content, sheets=kind == "ods").items():
        out.add(suffix, lines)
    if out.out_of_time("styles"):
        return
    styles = _xml(package, "styles.xml")
    if styles is not None:
        for element in styles.iter():
            if localname(element) in _HEADERS_FOOTERS:
                for suffix, lines in _render(element).items():
                    out.add(" (headers and footers)" if suffix == "" else suffix, lines)
    meta = _xml(package, "meta.xml")
    if meta is not None:
        lines = []
        for element in meta.iter():
            name = localname(element)
            value = " ".join((element.text or "").split())
            if name in _META_FIELDS and value:
                label = attribute(element, "name") if name == "user-defined" else name
                lines.append(f"{label}: {value}")
            elif name == "template" and attribute(element, "title"):
                lines.append(f"template: {attribute(element, 'title')}")
        out.add(" (properties)", lines)
    for name in sorted(package.names):
        if out.out_of_time(posixpath.basename(name)):
            return
        folder = posixpath.dirname(name)
        if folder and posixpath.basename(name).lower() == "content.xml":
            root = _xml(package, name)
            if root is not None:
                for suffix, lines in _render(root).items():
                    out.add(" (embedded objects)" if suffix == "" else suffix, lines)
        elif not _NOT_EMBEDDED.fullmatch(name):
            data = package.read(name)
            if data:
                out.embed(posixpath.basename(name), data)
