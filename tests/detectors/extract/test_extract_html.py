"""HTML text extraction: everything a mail client can show is read, within bounded work."""

from __future__ import annotations

import time
from html import escape

import pytest

from detectors.extract.htmltext import html_to_text

PHI = "Jane Roe MRN 4471203"


@pytest.mark.parametrize(
    "html",
    [
        f"<p>hi</p><svg><text x='0' y='20'>{PHI}</text></svg>",
        f"<svg><title>{PHI}</title></svg>",
        f"<math><mi>{PHI}</mi></math>",
        f"<object data='x.pdf'><p>{PHI}</p></object>",
        f"<noscript><p>{PHI}</p></noscript>",
        f"<template><p>{PHI}</p></template>",
        f"<iframe srcdoc='<p>{PHI}</p>'></iframe>",
        f"<iframe><p>{PHI}</p></iframe>",
        f"<noembed><p>{PHI}</p></noembed>",
        f"<noframes><p>{PHI}</p></noframes>",
        f"<img src='cid:x' alt='{PHI}'>",
        f"<span title='{PHI}'>x</span>",
        f"<button aria-label='{PHI}'>x</button>",
        f"<input placeholder='{PHI}'>",
        f"<input type='hidden' value='{PHI}'>",
        f"<select><option>{PHI}</option></select>",
        f"<table>{PHI}<tr><td>a</td></tr></table>",
        f"<html><body>x</body></html>{PHI}",
        f"<p style='display:none'>{PHI}</p>",
        f"<p style='font-size:0;color:#fff'>{PHI}</p>",
    ],
    ids=[
        "svg-text", "svg-title", "mathml", "object-fallback", "noscript", "template",
        "iframe-srcdoc", "iframe-fallback", "noembed", "noframes", "alt", "title", "aria-label",
        "placeholder", "hidden-value", "option", "table-stray-text", "after-html",
        "display-none", "font-size-zero",
    ],
)  # fmt: skip
def test_text_a_client_can_show_is_extracted(html: str) -> None:
    """Text in each place a reader (or a reader's client) can see comes out whole."""
    assert PHI in html_to_text(html)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # Outlook renders conditional comments; other comments are scanned too
        (f"<p>hi</p><!--[if mso]><p>{PHI}</p><![endif]-->", PHI),
        (f"<p>hi</p><!-- {PHI} -->", PHI),
        # CSS can put text on screen: content strings (with escapes) and attr()
        (f"<style>p::before{{content:'{PHI}'}}</style><p>x</p>", PHI),
        ("<style>p::before{content:'Jane Roe; MRN 4471203'}</style><p>x</p>", "Jane Roe; MRN"),
        ('<style>b::after{content:"\\4A ane Roe"}</style><b>x</b>', "Jane Roe"),
        (f"<style>.a::before{{content:attr(data-x)}}</style><p class=a data-x='{PHI}'>x</p>", PHI),
        (f"<p style=\"content:'{PHI}'\">x</p>", PHI),
        # text an HTML5 parser drops but Word's renderer (Outlook) may keep
        (f"<frameset><frame src=x></frameset>{PHI}", PHI),
        # entities are decoded wherever the parser leaves them raw
        ("<noembed><p>J&#97;ne Roe</p></noembed>", "Jane Roe"),
    ],
    ids=[
        "conditional-comment", "comment", "css-content", "css-content-semicolon", "css-escape", "css-attr",
        "inline-css-content", "frameset-text", "raw-text-entities",
    ],
)  # fmt: skip
def test_text_outside_the_text_flow_is_extracted(html: str, expected: str) -> None:
    """Comments, CSS-generated text and text the HTML5 tree drops are scanned as well."""
    assert expected in html_to_text(html)


def test_script_and_style_rules_are_dropped() -> None:
    """Script bodies and the style rules themselves are not text."""
    text = html_to_text(
        "<style>p { color: red; font-family: Calibri }</style><script>var mrn = 'SCRIPT';</script>"
        "<p>visible</p>"
    )
    assert text == "visible"


def test_layout_keeps_blocks_on_lines_and_cells_apart() -> None:
    """Blocks end lines, cells are tab-separated, and nothing is repeated at the end."""
    html = (
        "<div>Dear Ms. Roe,</div><table><tr><th>Name</th><th>DOB</th></tr>"
        "<tr><td>Jane Roe</td><td>03/14/1985</td></tr></table><p>Thanks</p>"
    )
    assert html_to_text(html).splitlines() == [
        "Dear Ms. Roe,",
        "",
        "Name\tDOB",
        "",
        "Jane Roe\t03/14/1985",
        "",
        "Thanks",
    ]


def test_outlook_markup_adds_no_noise() -> None:
    """Word's conditional comments, VML and style blocks yield no text of their own."""
    html = (
        "<html><head><!--[if gte mso 9]><xml><o:shapedefaults v:ext='edit' spidmax='1026' />"
        "</xml><![endif]--><style><!-- p.MsoNormal {margin:0in;} --></style></head>"
        "<body><p class=MsoNormal>Meeting moved to Thursday<o:p></o:p></p></body></html>"
    )
    assert html_to_text(html) == "Meeting moved to Thursday"


def test_nested_documents_beyond_the_limit_are_still_scanned() -> None:
    """srcdoc inside srcdoc past the nesting bound is read as source text, not dropped."""
    html = f"<p>{PHI}</p>"
    for _ in range(8):
        quoted = escape(html, quote=True)
        html = f'<iframe srcdoc="{quoted}"></iframe>'
    assert PHI in html_to_text(html)


@pytest.mark.parametrize(
    "html",
    [
        "<div>" * 200_000 + PHI,
        "<x/>" * 100_000 + "<div></div>" * 100_000 + PHI,
        "<svg>"
        + "<g/>" * 50_000
        + "<foreignObject>"
        + "<x/>" * 50_000
        + "<div></div>" * 50_000
        + PHI,
    ],
    ids=["nested-divs", "self-closed-html", "foreign-object"],
)
def test_hostile_nesting_is_bounded_and_still_scanned(html: str) -> None:
    """Nesting that makes HTML5 tree building quadratic is read from the source in time."""
    started = time.monotonic()
    text = html_to_text(html)
    assert time.monotonic() - started < 10
    assert PHI in text
