"""HTML text a mail client can show, but outside the plain text flow, never reaches an outsider
in clear: Outlook's conditional comments, text CSS puts on screen, text an HTML5 parser drops
but Word's renderer keeps, entity-encoded fallback content, and deeply nested srcdoc documents."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from html import escape

import pytest

from tests.support.leak import (
    BENIGN,
    PHI,
    NotInClear,
    b64,
    by_name,
    head,
)


def _html(body: str) -> bytes:
    document = f"<html><body><p>{BENIGN}</p>{body}</body></html>\r\n"
    return (
        head() + "Content-Type: text/html; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + b64(document.encode())
    ).encode()


def _entities(text: str) -> str:
    return "".join(f"&#{ord(c)};" for c in text)


def frameset_text() -> bytes:
    return (
        head() + "Content-Type: text/html; charset=utf-8\r\n\r\n"
        f"<html><frameset><frame src='about:blank'></frameset>{PHI}</html>\r\n"
    ).encode()


def _deep_srcdoc() -> str:
    inner = f"<p>{PHI}</p>"
    for _ in range(8):
        inner = f'<iframe srcdoc="{escape(inner, quote=True)}"></iframe>'
    return inner


#: The HTML each case hides the patient's text in, after a benign paragraph, by case name.
HIDDEN_HTML = {
    "outlook_conditional_comment": f"<!--[if mso]><p>{PHI}</p><![endif]-->",
    "plain_comment": f"<!-- {PHI} -->",
    "css_content": f"<style>p.n::before {{ content: '{PHI}'; }}</style><p class=n></p>",
    "css_attr": (
        "<style>.n::after { content: attr(data-note); }</style>"
        f"<span class=n data-note='{PHI}'></span>"
    ),
    "noembed_entities": f"<noembed><p>{_entities(PHI)}</p></noembed>",
    "deep_srcdoc": _deep_srcdoc(),
}
CASES: dict[str, Callable[[], bytes]] = {
    **{case: partial(_html, body) for case, body in HIDDEN_HTML.items()},
    **by_name(frameset_text),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hidden_html_text_is_not_delivered_in_clear(case: str, not_in_clear: NotInClear) -> None:
    """The outsider cannot read the patient's text, and the scanner flags the message."""
    not_in_clear(case, CASES[case]())
