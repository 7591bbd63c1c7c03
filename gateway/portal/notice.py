"""The pickup notice a patient gets instead of the message: practice name, link, expiry, help.

It never carries PHI: the template only sees the practice's name, the link (which holds
the token), the expiry date and the help text, and its subject is fixed wording around the
practice name. Templates are editable, looked up by file name in the site directories
first and then in the shipped `templates/notice` folder (`portal-notice.subject.j2`,
`.txt.j2`, `.html.j2`), and run in Jinja2's immutable sandbox with autoescaped HTML. A
broken site template is logged with its file and line and the shipped one is used.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from gateway.notices.render import TEMPLATE_FAILURES, NoticeTemplateError, template_environment
from gateway.portal.store import PortalItem

_log = logging.getLogger("phigate.portal")

SHIPPED_NOTICE_TEMPLATES = Path(__file__).resolve().parent / "templates" / "notice"
NOTICE_NAME = "portal-notice"


def portal_link(portal_url: str, token: str) -> str:
    """The pickup link for a token: `<portal_url>/p/<token>`."""
    return f"{portal_url.rstrip('/')}/p/{token}"


def _render(dirs: Sequence[Path], variables: dict[str, Any]) -> tuple[str, str, str]:
    out = []
    for suffix in ("subject", "txt", "html"):
        name = f"{NOTICE_NAME}.{suffix}.j2"
        try:
            out.append(template_environment(dirs).get_template(name).render(variables))
        except TEMPLATE_FAILURES as exc:
            line = getattr(exc, "lineno", None)
            where = f"{name}:{line}" if line else name
            raise NoticeTemplateError(
                f"portal notice template {where}: {type(exc).__name__}: {exc}",
                filename=name,
                lineno=line,
            ) from exc
    subject, text, html = out
    return " ".join(subject.split()), text, html


def render_portal_texts(
    variables: dict[str, Any], template_dirs: Sequence[Path] = ()
) -> tuple[str, str, str]:
    """Subject, text and HTML; site templates first, the shipped ones if those fail."""
    site = [Path(d) for d in template_dirs]
    if site:
        try:
            return _render([*site, SHIPPED_NOTICE_TEMPLATES], variables)
        except NoticeTemplateError as exc:
            _log.error(
                "site portal notice template failed; using the shipped template",
                extra={"code": exc.code, "template": exc.filename, "line": exc.lineno},
            )
    return _render([SHIPPED_NOTICE_TEMPLATES], variables)


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
) -> bytes:
    """A complete multipart/alternative pickup notice for `item` from `from_addr` to `to`."""
    variables: dict[str, Any] = {
        "practice_name": practice_name,
        "link": portal_link(portal_url, item.token),
        "expires": item.expires.astimezone(UTC).strftime("%d %B %Y, %H:%M UTC"),
        "help_text": help_text,
        "asks_dob": asks_dob,
    }
    subject, text, html = render_portal_texts(variables, template_dirs)
    domain = parseaddr(from_addr)[1].rpartition("@")[2] or None
    msg = EmailMessage()
    msg["From"] = from_addr
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = make_msgid(idstring="phigate-portal", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    for part in msg.iter_parts():
        del part["MIME-Version"]
    return msg.as_bytes(policy=SMTP)
