"""The pickup notice: practice name, link with the token, expiry, help, and never any PHI."""

from __future__ import annotations

import email
import email.policy
import logging
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from gateway.portal import PortalItem, render_portal_notice
from tests.support.portal import PLANTED, RECIPIENT

TOKEN = "k3J9v0Qm2xZpL8aWcR4tYb7nE1sUd6hFgH5jKqP0oIw"
ITEM = PortalItem(
    item_id="PABCDEFGH23456789", token=TOKEN, expires=datetime(2026, 12, 12, 9, 30, tzinfo=UTC)
)


def _render(
    template_dirs: tuple[Path, ...] = (),
    practice: str = "Riverside Family Practice",
    from_addr: str = "Riverside <portal@clinic.example>",
    asks_dob: bool = False,
) -> EmailMessage:
    raw = render_portal_notice(
        ITEM,
        practice_name=practice,
        portal_url="https://portal.clinic.example/",
        help_text="Call 555-0100.",
        to=RECIPIENT,
        from_addr=from_addr,
        template_dirs=template_dirs,
        asks_dob=asks_dob,
    )
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _texts(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def test_notice_has_link_expiry_and_help() -> None:
    """Both parts carry the practice name, the link with the token, the expiry and the help."""
    msg = _render()
    assert msg["Subject"] == "You have a secure message from Riverside Family Practice"
    assert msg["To"] == RECIPIENT
    text, html = _texts(msg)
    link = f"https://portal.clinic.example/p/{TOKEN}"
    for part in (text, html):
        assert link in part
        assert "Riverside Family Practice" in part
        assert "12 December 2026" in part
        assert "Call 555-0100." in part
    assert f'href="{link}"' in html


def test_notice_carries_no_phi() -> None:
    """Nothing from the held message reaches the notice (it is never given any)."""
    raw = render_portal_notice(
        ITEM,
        practice_name="Riverside Family Practice",
        portal_url="https://portal.clinic.example",
        help_text="Call 555-0100.",
        to="patient@mail.example",
        from_addr="portal@clinic.example",
    )
    for secret in PLANTED:
        assert secret.encode() not in raw


def test_practice_name_is_escaped_in_html() -> None:
    """A practice name with markup is escaped in the HTML part (autoescape)."""
    _text, html = _texts(_render(practice="Smith & <b>Jones</b>"))
    assert "Smith &amp; &lt;b&gt;Jones&lt;/b&gt;" in html
    assert "<b>Jones</b>" not in html


def test_site_template_overrides_by_file_name(tmp_path: Path) -> None:
    """A site file with the shipped name replaces only that part."""
    (tmp_path / "portal-notice.subject.j2").write_text("Secure mail waiting: {{ practice_name }}\n")
    msg = _render((tmp_path,))
    assert msg["Subject"] == "Secure mail waiting: Riverside Family Practice"
    text, _html = _texts(msg)
    assert TOKEN in text  # the shipped text part still renders


def test_broken_site_template_falls_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A site template that fails is logged with its name and the shipped one is used."""
    (tmp_path / "portal-notice.txt.j2").write_text("Hello {{ no_such_variable }}\n")
    with caplog.at_level(logging.ERROR, logger="phigate.portal"):
        msg = _render((tmp_path,))
    text, _html = _texts(msg)
    assert TOKEN in text and "Hello" in text
    assert any(
        str(getattr(r, "template", "")).endswith("portal-notice.txt.j2") for r in caplog.records
    )


def test_sandbox_blocks_unsafe_attribute_access(tmp_path: Path) -> None:
    """A site template cannot reach Python internals; the shipped template is used instead."""
    (tmp_path / "portal-notice.txt.j2").write_text("{{ ''.__class__.__mro__ }}\n")
    text, _html = _texts(_render((tmp_path,)))
    assert "object" not in text and TOKEN in text


def test_sentences_are_separated_when_the_date_of_birth_is_asked() -> None:
    """The DOB sentence follows the code sentence with a space in both parts, never 'you.We'."""
    msg = _render(from_addr="portal@clinic.example", asks_dob=True)
    for part in _texts(msg):
        words = " ".join(part.split())
        assert "you.We" not in words
        assert "prove it is you. We will also ask for your date of birth." in words


def test_expiry_is_shown_in_the_practices_time_zone() -> None:
    """notices.timezone moves the expiry into the practice's zone and names it (issue 11)."""
    raw = render_portal_notice(
        ITEM,
        practice_name="Riverside Family Practice",
        portal_url="https://portal.clinic.example/",
        help_text="Call 555-0100.",
        to=RECIPIENT,
        from_addr="portal@clinic.example",
        timezone="America/Chicago",
    )
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    text, html = _texts(msg)
    # 09:30 UTC on 12 December is 03:30 in Chicago (CST, UTC-6, in winter).
    assert "12 December 2026, 03:30 CST" in text and "12 December 2026, 03:30 CST" in html
    assert "UTC" not in text
