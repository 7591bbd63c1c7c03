"""HTML to plain text with the layout that recognizers need: blocks on lines, cells apart."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "template", "svg", "math", "object", "iframe"})
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1",
        "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "legend", "li", "main", "nav", "ol",
        "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "title", "tr", "ul",
        "option", "select", "textarea",
    }
)  # fmt: skip
_CELL = frozenset({"td", "th"})
_VOID_BREAK = frozenset({"br", "hr"})
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip_depth = 0
        self._pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip_depth += 1
            return
        if tag in _BLOCK or tag in _VOID_BREAK:
            self.out.append("\n")
        elif tag in _CELL:
            self.out.append("\t")
        if tag == "pre":
            self._pre_depth += 1
        if tag == "input" and not self._skip_depth:
            # Filled-in form fields carry values that are not in the text flow.
            value = dict(attrs).get("value")
            if value:
                self.out.append(" " + value + " ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            return
        self.handle_starttag(tag, attrs)
        if tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
        if tag in _BLOCK:
            self.out.append("\n")
        elif tag in _CELL:
            self.out.append("\t")

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._pre_depth:
            self.out.append(data.replace("\r\n", "\n"))
        else:
            self.out.append(_SPACES.sub(" ", data))


def html_to_text(html: str) -> str:
    """Convert HTML to text: drop script/style, put blocks on new lines and cells apart."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    raw = "".join(collector.out)
    lines = []
    for line in raw.split("\n"):
        cells = [c.strip(" ") for c in line.split("\t")]
        lines.append("\t".join(c for c in cells if c))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")
