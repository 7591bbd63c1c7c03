"""HTML to plain text with the layout that recognizers need: blocks on lines, cells apart.

The HTML is parsed as a browser parses it (lexbor, an HTML5 parser, through selectolax), so
text that a browser re-parents (stray table text, content after `</html>`) is where a reader
sees it. Everything a mail client can show is kept, not only the text flow: SVG and MathML
text, `<object>` fallback content, `<noscript>`, `<template>` content, `<iframe srcdoc>`
documents, comments (Outlook renders `<!--[if mso]>` blocks), text that CSS `content:` puts
on screen, and the attributes people read (`alt`, `title`, `aria-label`, `placeholder`,
`value`, ...). Only script bodies and the rest of style sheets are dropped.

A browser is not the only reader: Outlook renders with Word's engine, which keeps text that an
HTML5 parser throws away (text inside `<frameset>`, in a bogus comment). So every run of text
in the source that the parse did not produce is added at the end as well. Scanning more than a
reader sees is the safe side for a DLP gateway; scanning less is a leak.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1",
        "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "legend", "li", "main", "nav", "ol",
        "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "title", "tr", "ul",
        "option", "select", "textarea", "noscript", "object", "svg", "math", "iframe", "template",
        "noembed", "noframes", "style",
    }
)  # fmt: skip
_CELL = frozenset({"td", "th"})
_BREAK = frozenset({"br", "hr"})
# Elements whose content the parser keeps as raw text although other readers render it as HTML
# (an iframe's fallback, noembed/noframes, noscript when parsed with scripting on).
_REPARSED = frozenset({"iframe", "noembed", "noframes", "noscript"})
# Attributes whose values a reader sees (tooltips, alternative text, filled-in fields).
_SHOWN_ATTRIBUTES = (
    "alt", "title", "aria-label", "aria-description", "placeholder", "value", "label",
    "summary", "abbr",
)  # fmt: skip
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# iframe srcdoc, template content and comments are documents inside documents: bound nesting.
_MAX_NESTING = 4
_MAX_UNESCAPES = 64
# Past this size, or past this element depth, the HTML5 tree is not built (its construction
# costs grow with depth times elements); the text is read from the source instead.
_MAX_HTML_CHARS = 30_000_000
_MAX_DEPTH = 512
# Characters searched when a source run is looked for inside the shown text (a merged text node);
# past this budget, unmatched runs are kept without looking (scanning twice is the safe side).
_SUBSTRING_BUDGET = 100_000_000

# CSS: `content: "..."` puts text on screen; `content: attr(x)` shows the attribute x.
_CSS_CONTENT = re.compile(
    r"""content\s*:\s*((?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^;}"'])*)""",
    re.IGNORECASE | re.DOTALL,
)
_CSS_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'', re.DOTALL)
_CSS_ATTR = re.compile(r"attr\(\s*([A-Za-z_][\w.:-]*)", re.IGNORECASE)
_CSS_ESCAPE = re.compile(r"\\([0-9A-Fa-f]{1,6})[ \t\r\n\f]?|\\(.)", re.DOTALL)

# The source scan: a deliberately simple tokenizer that never loses text. `[^<>]` bounds each
# tag match by the next `<`, which keeps the scan linear on hostile input.
_SCRIPT = re.compile(r"<script\b[^>]*>.*?(?:</script\s*>|$)", re.IGNORECASE | re.DOTALL)
_STYLE = re.compile(r"<style\b[^>]*>(.*?)(?:</style\s*>|$)", re.IGNORECASE | re.DOTALL)
_MARKUP = re.compile(
    r"<!--|-->|--!>|<!\[endif\]|\[if [^\]<>]{0,200}\]>?|<!\[CDATA\[|\]\]>|<[A-Za-z/!?][^<>]*>",
    re.IGNORECASE,
)
_CONDITIONAL = re.compile(r"^\s*\[if [^\]]*\]>|<!\[endif\]\s*$", re.IGNORECASE)
_WORDY = re.compile(r"\w")
_TAG_OPEN = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^<>]*?(/?)>")
# Inside SVG/MathML, these start tags return to HTML parsing (breakouts, integration points).
_FOREIGN_EXITS = frozenset(
    {
        "b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em",
        "embed", "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "i", "img", "li", "listing",
        "menu", "meta", "nobr", "ol", "p", "pre", "ruby", "s", "small", "span", "strong",
        "strike", "sub", "sup", "table", "tt", "u", "ul", "var", "font", "foreignobject",
        "desc", "title", "mi", "mo", "mn", "ms", "mtext", "annotation-xml",
    }
)  # fmt: skip
_VOID = frozenset(
    {
        "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image",
        "img", "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
    }
)  # fmt: skip
# Elements whose start tag closes an open one of their kind: they do not deepen the tree.
_SELF_CLOSING_KIND = frozenset(
    {
        "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "tbody", "thead",
        "tfoot", "colgroup", "caption", "rb", "rt", "rp", "rtc", "html", "head", "body",
    }
)  # fmt: skip


@dataclass
class _Run:
    """One conversion: the output, the texts the parse produced, and CSS-referenced attributes."""

    out: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    css_attributes: frozenset[str] = frozenset()

    def text(self, value: str) -> None:
        self.out.append(value)
        key = _key(value)
        if key:
            self.seen.add(key)


def html_to_text(html: str) -> str:
    """Convert HTML to the text a reader can see, with blocks on new lines and cells apart."""
    if len(html) > _MAX_HTML_CHARS or _too_deep(html):
        return _layout(_source_text(html, set()))
    run = _Run(css_attributes=frozenset(m.lower() for m in _CSS_ATTR.findall(html)))
    _document_text(html, run, 0)
    shown = _layout("".join(run.out))
    residue = _source_text(html, run.seen, shown)
    return (shown + "\n\n" + residue).strip("\n") if residue else shown


def _layout(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        cells = [c.strip(" ") for c in line.split("\t")]
        lines.append("\t".join(c for c in cells if c))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")


def _key(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _document_text(html: str, run: _Run, nesting: int) -> None:
    if not html.strip():
        return
    tree = LexborHTMLParser(html)
    root = tree.root
    if root is not None:
        _walk(root, run, nesting)


def _nested(html: str, run: _Run, nesting: int) -> None:
    """A document inside the document (srcdoc, template, comment, raw-text fallback)."""
    run.out.append("\n")
    if nesting < _MAX_NESTING:
        _document_text(html, run, nesting + 1)
    else:
        # Too deep to parse again: still scan its text, read straight from the source after
        # undoing every level of escaping (a srcdoc inside a srcdoc is escaped once per level).
        for _ in range(_MAX_UNESCAPES):
            unescaped = html_lib.unescape(html)
            if unescaped == html:
                break
            html = unescaped
        run.text(_source_text(html, set()))
    run.out.append("\n")


def _walk(node: LexborNode, run: _Run, nesting: int) -> None:
    # An explicit stack: deep nesting in hostile HTML must not exhaust Python's recursion.
    stack: list[tuple[LexborNode, bool, bool]] = [(node, False, False)]
    while stack:
        current, pre, closing = stack.pop()
        tag = current.tag or ""
        if closing:
            if tag in _BLOCK:
                run.out.append("\n")
            elif tag in _CELL:
                run.out.append("\t")
            continue
        if tag == "-text":
            text = current.text_content or ""
            parent = current.parent
            parent_tag = (parent.tag or "") if parent is not None else ""
            if parent_tag == "style":
                _css_text(text, run)
            elif parent_tag in _REPARSED and "<" in text:
                _nested(text, run, nesting)
            else:
                run.text(text.replace("\r\n", "\n") if pre else _SPACES.sub(" ", text))
            continue
        if tag == "-comment":
            # Outlook renders `<!--[if mso]>...<![endif]-->`: scan what it would show.
            comment = _CONDITIONAL.sub(" ", current.comment_content or "")
            if comment.strip():
                _nested(comment, run, nesting)
            continue
        if tag == "script" or tag.startswith("-"):  # script bodies, doctype
            continue
        if tag in _BLOCK or tag in _BREAK:
            run.out.append("\n")
        elif tag in _CELL:
            run.out.append("\t")
        _attributes(current, run, nesting)
        if tag == "template":
            # lexbor keeps template content in a fragment that traversal does not enter.
            inner = current.html or ""
            inner = re.sub(r"^<template[^>]*>|</template>$", "", inner, flags=re.I)
            _nested(inner, run, nesting)
        stack.append((current, pre, True))
        child_pre = pre or tag in ("pre", "textarea")
        children = list(current.iter(include_text=True))
        for child in reversed(children):
            stack.append((child, child_pre, False))


def _attributes(node: LexborNode, run: _Run, nesting: int) -> None:
    attributes = node.attributes
    if not attributes:
        return
    for name in _SHOWN_ATTRIBUTES:
        value = attributes.get(name)
        if value and value.strip():
            run.text(" " + _SPACES.sub(" ", value) + " ")
    for name in run.css_attributes:
        value = attributes.get(name)
        if name not in _SHOWN_ATTRIBUTES and value and value.strip():
            run.text(" " + _SPACES.sub(" ", value) + " ")
    style = attributes.get("style")
    if style and "content" in style.lower():
        _css_text(style, run)
    srcdoc = attributes.get("srcdoc")
    if srcdoc:
        _nested(srcdoc, run, nesting)


def _css_text(css: str, run: _Run) -> None:
    """The strings a style sheet puts on screen through `content:` declarations."""
    shown = []
    for declaration in _CSS_CONTENT.findall(css):
        for double, single in _CSS_STRING.findall(declaration):
            text = _CSS_ESCAPE.sub(_css_unescape, double or single)
            if text.strip():
                shown.append(text)
    if shown:
        run.text("\n" + " ".join(shown) + "\n")


def _css_unescape(match: re.Match[str]) -> str:
    if match.group(1):
        code = int(match.group(1), 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    return "" if match.group(2) == "\n" else match.group(2)


def _source_text(html: str, seen: set[str], shown: str = "") -> str:
    """The runs of text in the raw source that are not in `seen` (nor inside `shown`), one a line.

    With an empty `seen`, this is all the text of the source: a tag-stripping reading used when
    the HTML is too big or too deep to build a tree, and for what a parser left out.
    """
    source = _SCRIPT.sub(" ", html)
    styles: list[str] = []

    def style_strings(match: re.Match[str]) -> str:
        styles.append(match.group(1))
        return " "

    source = _STYLE.sub(style_strings, source)
    runs: list[str] = []
    if not seen:
        css = _Run()
        for sheet in styles:
            _css_text(sheet, css)
        runs.extend(t.strip() for t in css.out if t.strip())
    flat = _key(shown)
    budget = _SUBSTRING_BUDGET
    for piece in _MARKUP.split(source):
        if not _WORDY.search(piece):
            continue
        text = _key(html_lib.unescape(piece))
        if not text or text in seen:
            continue
        if seen and budget > 0:
            budget -= len(flat)
            if text in flat:
                continue
        runs.append(text)
    return "\n".join(runs)


def _too_deep(html: str) -> bool:
    """Whether the tree would nest deeper than _MAX_DEPTH (a cheap over-estimate).

    Follows the parser just enough: `<x/>` opens an element in HTML but not in SVG or MathML,
    and an HTML tag or an integration point inside SVG/MathML is HTML again.
    """
    depth = 0
    foreign = False
    for match in _TAG_OPEN.finditer(html):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if name in ("svg", "math"):
            foreign = not closing and not self_closing
        elif foreign and name in _FOREIGN_EXITS:
            foreign = False
        if name in _VOID or name in _SELF_CLOSING_KIND:
            continue
        if closing:
            depth = max(0, depth - 1)
            continue
        if self_closing and (foreign or name in ("svg", "math")):
            continue
        depth += 1
        if depth > _MAX_DEPTH:
            return True
    return False
