"""Render notices from editable Jinja2 templates into a complete multipart message.

The one renderer for every notice phigate writes: the sender notices (`render_notice`) and the
portal's pickup notice (gateway/portal/notice.py) both render a template set here.

Templates are looked up by file name, first in the site directories and then in the
shipped `templates/` folder, so a site overrides one file by placing a file of the same
name in its directory (rspamd's local.d idea). Per kind there are three files:
`<kind>.subject.j2`, `<kind>.txt.j2` and `<kind>.html.j2` (HTML is autoescaped).
Templates run in Jinja2's immutable sandbox with StrictUndefined, because compliance
officers edit them. A broken site template never stops a notice: it is logged with its
file and line, and the shipped templates are used instead.
"""

from __future__ import annotations

import dataclasses
import logging
import traceback
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from gateway.model import PhigateError
from gateway.notices.context import INFO_KINDS, NOTICE_KINDS, NoticeContext, NoticeKind

_log = logging.getLogger("phigate.notices")

SHIPPED_TEMPLATES = Path(__file__).resolve().parent / "templates"

# Errors a template can raise while compiling or rendering in the sandbox.
TEMPLATE_FAILURES = (
    jinja2.TemplateError,
    TypeError,
    ValueError,
    ArithmeticError,
    LookupError,
    AttributeError,
)


class NoticeTemplateError(PhigateError):
    """A notice template cannot be compiled or rendered; the message names its file and line."""

    code = "notice-template-invalid"

    def __init__(self, message: str, *, filename: str | None, lineno: int | None) -> None:
        super().__init__(message)
        self.filename = filename
        self.lineno = lineno


def _where(exc: BaseException) -> tuple[str | None, int | None]:
    """The template file and line an error came from."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.filename or exc.name, exc.lineno
    if isinstance(exc, jinja2.TemplateNotFound):
        return str(exc.name), None
    # Jinja2 rewrites tracebacks so that template frames carry the template's file and line.
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return frame.filename, frame.lineno
    return None, None


def _error(exc: BaseException, template: str) -> NoticeTemplateError:
    filename, lineno = _where(exc)
    place = f"{filename or template}:{lineno}" if lineno else (filename or template)
    detail = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
    return NoticeTemplateError(
        f"notice template {place}: {type(exc).__name__}: {detail}",
        filename=filename or template,
        lineno=lineno,
    )


def template_environment(dirs: Sequence[Path]) -> ImmutableSandboxedEnvironment:
    """A sandboxed environment for officer-edited templates: strict, escaped HTML, site first."""
    return ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        undefined=jinja2.StrictUndefined,
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


def _render_parts(
    env: ImmutableSandboxedEnvironment, name: str, variables: Mapping[str, Any]
) -> tuple[str, str, str]:
    parts = []
    for suffix in ("subject", "txt", "html"):
        template = f"{name}.{suffix}.j2"
        try:
            parts.append(env.get_template(template).render(variables))
        except TEMPLATE_FAILURES as exc:
            raise _error(exc, template) from exc
    subject, text, html = parts
    return " ".join(subject.split()), text, html


def render_template_set(
    name: str,
    shipped: Path,
    variables: Mapping[str, Any],
    template_dirs: Sequence[Path] = (),
    ref_id: str = "",
) -> tuple[str, str, str]:
    """Subject, text and HTML from `<name>.subject.j2`, `.txt.j2` and `.html.j2`.

    The site directories are tried first (file by file, the `shipped` folder behind them); if
    a site template fails, that is logged with its file and line and the shipped ones are used.
    """
    site = [Path(d) for d in template_dirs]
    if site:
        try:
            return _render_parts(template_environment([*site, shipped]), name, variables)
        except NoticeTemplateError as exc:
            _log.error(
                "site notice template failed; using the shipped template",
                extra={
                    "code": exc.code,
                    "template": exc.filename,
                    "line": exc.lineno,
                    "error": str(exc),
                    "ref_id": ref_id,
                },
            )
    return _render_parts(template_environment([shipped]), name, variables)


def render_texts(
    kind: NoticeKind, context: NoticeContext, template_dirs: Sequence[Path] = ()
) -> tuple[str, str, str]:
    """Subject, text and HTML of a notice; site templates first, shipped ones if those fail."""
    if kind not in NOTICE_KINDS + INFO_KINDS:
        raise NoticeTemplateError(
            f"unknown notice kind {kind!r}; expected one of {NOTICE_KINDS + INFO_KINDS}",
            filename=None,
            lineno=None,
        )
    variables = {"kind": kind, **context.as_template_vars()}
    return render_template_set(kind, SHIPPED_TEMPLATES, variables, template_dirs, context.ref_id)


def notice_message(
    texts: tuple[str, str, str],
    *,
    sender: str,
    to: str,
    id_tag: str,
    auto_submitted: str,
    now: datetime | None = None,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """A complete multipart/alternative message (text + HTML) from rendered notice texts."""
    subject, text, html = texts
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = make_msgid(idstring=id_tag, domain=domain)
    msg["Auto-Submitted"] = auto_submitted
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    for part in msg.iter_parts():
        # set_content gives each new part its own MIME-Version; only the top level needs one.
        del part["MIME-Version"]
    return msg.as_bytes(policy=SMTP)


def render_notice(
    kind: NoticeKind,
    context: NoticeContext,
    *,
    postmaster: str,
    to: str,
    template_dirs: Sequence[Path] = (),
    now: datetime | None = None,
) -> bytes:
    """A complete multipart/alternative notice (text + HTML) from `postmaster` to `to`.

    A context without a help contact names the postmaster's address, so the sender always has
    someone to ask (unless the postmaster is the unconfigured default at localhost).
    """
    _name, address = parseaddr(postmaster)
    domain = address.rpartition("@")[2] or None
    if not context.help_contact and domain and domain.lower() != "localhost":
        context = dataclasses.replace(context, help_contact=address)
    return notice_message(
        render_texts(kind, context, template_dirs),
        sender=postmaster,
        to=to,
        id_tag="phigate-notice",
        auto_submitted="auto-replied",
        now=now,
        headers={"X-Phigate-Ref": context.ref_id},
    )
