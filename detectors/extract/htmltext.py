"""HTML to plain text with the layout that recognizers need: blocks on lines, cells apart.

The HTML is parsed as a browser parses it (lexbor, an HTML5 parser, through selectolax), so
text that a browser re-parents (stray table text, content after `</html>`) is where a reader
sees it. Everything a mail client can show is kept, not only the text flow: SVG and MathML
text, `<object>` fallback content, `<noscript>`, `<template>` content, `<iframe srcdoc>`
documents, and the attributes people read (`alt`, `title`, `aria-label`, `placeholder`,
`value`, ...). Only script and style bodies are dropped. Scanning more than a reader sees is the
safe side for a DLP gateway; scanning less is a leak.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

_DROP = frozenset({"script", "style"})
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1",
        "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "legend", "li", "main", "nav", "ol",
        "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "title", "tr", "ul",
        "option", "select", "textarea", "noscript", "object", "svg", "math", "iframe", "template",
    }
)  # fmt: skip
_CELL = frozenset({"td", "th"})
_BREAK = frozenset({"br", "hr"})
# Attributes whose values a reader sees (tooltips, alternative text, filled-in fields).
_SHOWN_ATTRIBUTES = (
    "alt", "title", "aria-label", "aria-description", "placeholder", "value", "label",
    "summary", "abbr",
)  # fmt: skip
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# iframe srcdoc and template content are documents inside documents: bound the nesting.
_MAX_NESTING = 4
_MAX_HTML_CHARS = 20_000_000


def html_to_text(html: str) -> str:
    """Convert HTML to the text a reader can see, with blocks on new lines and cells apart."""
    out: list[str] = []
    _document_text(html[:_MAX_HTML_CHARS], out, 0)
    lines = []
    for line in "".join(out).split("\n"):
        cells = [c.strip(" ") for c in line.split("\t")]
        lines.append("\t".join(c for c in cells if c))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")


def _document_text(html: str, out: list[str], nesting: int) -> None:
    if not html.strip():
        return
    tree = LexborHTMLParser(html)
    root = tree.root
    if root is not None:
        _walk(root, out, nesting, in_pre=False)


def _walk(node: LexborNode, out: list[str], nesting: int, in_pre: bool) -> None:
    # An explicit stack: deep nesting in hostile HTML must not exhaust Python's recursion.
    stack: list[tuple[LexborNode, bool, bool]] = [(node, in_pre, False)]
    while stack:
        current, pre, closing = stack.pop()
        tag = current.tag or ""
        if closing:
            if tag in _BLOCK:
                out.append("\n")
            elif tag in _CELL:
                out.append("\t")
            continue
        if tag == "-text":
            text = current.text_content or ""
            out.append(text.replace("\r\n", "\n") if pre else _SPACES.sub(" ", text))
            continue
        if tag in _DROP or tag.startswith("-"):  # script/style bodies, comments, doctype
            continue
        if tag in _BLOCK or tag in _BREAK:
            out.append("\n")
        elif tag in _CELL:
            out.append("\t")
        _attributes(current, out, nesting)
        if tag == "template" and nesting < _MAX_NESTING:
            # lexbor keeps template content in a fragment that traversal does not enter.
            inner = current.html or ""
            inner = re.sub(r"^<template[^>]*>|</template>$", "", inner, flags=re.I)
            _document_text(inner, out, nesting + 1)
        stack.append((current, pre, True))
        child_pre = pre or tag in ("pre", "textarea")
        children = list(current.iter(include_text=True))
        for child in reversed(children):
            stack.append((child, child_pre, False))


def _attributes(node: LexborNode, out: list[str], nesting: int) -> None:
    attributes = node.attributes
    if not attributes:
        return
    for name in _SHOWN_ATTRIBUTES:
        value = attributes.get(name)
        if value and value.strip():
            out.append(" " + _SPACES.sub(" ", value) + " ")
    srcdoc = attributes.get("srcdoc")
    if srcdoc and nesting < _MAX_NESTING:
        out.append("\n")
        _document_text(srcdoc, out, nesting + 1)
        out.append("\n")
