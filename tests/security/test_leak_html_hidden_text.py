"""HTML text a mail client can show, but outside the plain text flow, never reaches an outsider
in clear: Outlook's conditional comments, text CSS puts on screen, text an HTML5 parser drops
but Word's renderer keeps, entity-encoded fallback content, and deeply nested srcdoc documents."""

from __future__ import annotations

from html import escape

import pytest

from tests.support.leak import (
    BENIGN,
    MRN,
    OUTSIDER,
    PHI,
    SURNAME,
    DefaultPolicyGateway,
    b64,
    by_name,
    head,
)
from tests.support.readable import assert_not_delivered_in_clear


def _html(body: str) -> bytes:
    document = f"<html><body><p>{BENIGN}</p>{body}</body></html>\r\n"
    return (
        head() + "Content-Type: text/html; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + b64(document.encode())
    ).encode()


def _entities(text: str) -> str:
    return "".join(f"&#{ord(c)};" for c in text)


def outlook_conditional_comment() -> bytes:
    return _html(f"<!--[if mso]><p>{PHI}</p><![endif]-->")


def plain_comment() -> bytes:
    return _html(f"<!-- {PHI} -->")


def css_content() -> bytes:
    return _html(f"<style>p.n::before {{ content: '{PHI}'; }}</style><p class=n></p>")


def css_attr() -> bytes:
    return _html(
        "<style>.n::after { content: attr(data-note); }</style>"
        f"<span class=n data-note='{PHI}'></span>"
    )


def frameset_text() -> bytes:
    return (
        head() + "Content-Type: text/html; charset=utf-8\r\n\r\n"
        f"<html><frameset><frame src='about:blank'></frameset>{PHI}</html>\r\n"
    ).encode()


def noembed_entities() -> bytes:
    return _html(f"<noembed><p>{_entities(PHI)}</p></noembed>")


def deep_srcdoc() -> bytes:
    inner = f"<p>{PHI}</p>"
    for _ in range(8):
        inner = f'<iframe srcdoc="{escape(inner, quote=True)}"></iframe>'
    return _html(inner)


CASES = by_name(
    outlook_conditional_comment,
    plain_comment,
    css_content,
    css_attr,
    frameset_text,
    noembed_entities,
    deep_srcdoc,
)


@pytest.mark.parametrize("case", sorted(CASES))
def test_hidden_html_text_is_not_delivered_in_clear(
    case: str, leak_gateway: DefaultPolicyGateway, scanned: dict[str, dict]
) -> None:
    """The outsider cannot read the patient's text, and the scanner flags the message."""
    outcome = leak_gateway.send(CASES[case](), [OUTSIDER])
    assert_not_delivered_in_clear(outcome, scanned[case], MRN, SURNAME)
