"""The pickup notice a patient gets instead of the message: practice name, link, expiry, help.

It never carries PHI: the template only sees the practice's name, the link (which holds
the token), the expiry date and the help text, and its subject is fixed wording around the
practice name. It is rendered by the one notice renderer (gateway/notices/render.py): editable
templates looked up by file name in the site directories first and then in the shipped
`templates/notice` folder (`portal-notice.subject.j2`, `.txt.j2`, `.html.j2`), in Jinja2's
immutable sandbox with autoescaped HTML; a broken site template is logged with its file and
line and the shipped one is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.notices.render import notice_message, render_template_set
from gateway.portal.store import PortalItem

SHIPPED_NOTICE_TEMPLATES = Path(__file__).resolve().parent / "templates" / "notice"
NOTICE_NAME = "portal-notice"


def portal_link(portal_url: str, token: str) -> str:
    """The pickup link for a token: `<portal_url>/p/<token>`."""
    return f"{portal_url.rstrip('/')}/p/{token}"


def expiry_words(expires: datetime, timezone: str = "") -> str:
    """ "04 December 2026, 17:00 CST" in the practice's zone, or this machine's if none is set."""
    aware = expires if expires.tzinfo is not None else expires.replace(tzinfo=UTC)
    zone: tzinfo | None = None
    if timezone:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = None  # a bad setting must not stop the notice
    local = aware.astimezone(zone) if zone is not None else aware.astimezone()
    name = local.tzname() or ""
    if not name or name.startswith(("+", "-")):
        offset = local.strftime("%z")
        name = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    return f"{local.strftime('%d %B %Y, %H:%M')} {name}"


def render_portal_texts(
    variables: dict[str, Any], template_dirs: Sequence[Path] = ()
) -> tuple[str, str, str]:
    """Subject, text and HTML; site templates first, the shipped ones if those fail."""
    return render_template_set(NOTICE_NAME, SHIPPED_NOTICE_TEMPLATES, variables, template_dirs)


def render_portal_notice(
    item: PortalItem,
    *,
    practice_name: str,
    portal_url: str,
    help_text: str,
    to: str,
    from_addr: str,
    template_dirs: Sequence[Path] = (),
    asks_dob: bool = False,
    now: datetime | None = None,
    timezone: str = "",
) -> bytes:
    """A complete multipart/alternative pickup notice for `item` from `from_addr` to `to`.

    The expiry is shown in the practice's time zone (notices.timezone; empty: this machine's).
    """
    variables: dict[str, Any] = {
        "practice_name": practice_name,
        "link": portal_link(portal_url, item.token),
        "expires": expiry_words(item.expires, timezone),
        "help_text": help_text,
        "asks_dob": asks_dob,
    }
    return notice_message(
        render_portal_texts(variables, template_dirs),
        sender=from_addr,
        to=to,
        id_tag="phigate-portal",
        auto_submitted="auto-generated",
        now=now,
    )
