"""The pickup portal: a small Starlette app where a patient proves who they are and reads.

Flow: `/p/<token>` (the link from the notice) starts a pending session and redirects at
once to `/verify`, so the token sits in a URL exactly once. There the patient asks for a
one-time code (emailed through the injected `send_mail`) and enters it, plus their date of
birth when the practice's roster has one. A verified session (new id, new CSRF token) can
read `/message`, download `/attachment/<n>`, reply (`/reply`) and give consent to
unencrypted email (`/consent`). Every page carries strict security headers; every POST
checks a double-submit CSRF token bound to the session. All state lives in `PortalStore`.
"""

from __future__ import annotations

import email
import email.policy
import hmac
import inspect
import logging
import re
import ssl
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jinja2
import nh3
import uvicorn
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from detectors.config import Cloneable
from gateway.ops.tls import AEAD_CIPHERS
from gateway.portal.errors import PortalError, PortalExpired, PortalIntegrityError, PortalNotFound
from gateway.portal.store import PortalMessage, PortalSession, PortalStore

_log = logging.getLogger("phigate.portal")

PAGES = Path(__file__).resolve().parent / "templates" / "pages"
STATIC = Path(__file__).resolve().parent / "static"

SendMail = Callable[[str, bytes], None | Awaitable[None]]
AuditFn = Callable[[str, Mapping[str, Any], str | None], None]

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("strict-transport-security", "max-age=31536000; includeSubDomains"),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
)
# Downloads get no rights at all, should a browser ever render one in place.
DOWNLOAD_CSP = "sandbox; default-src 'none'"
_HTML_TAGS_DROPPED = {"img"}  # remote images are trackers, and the CSP blocks them anyway
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,128}$")
_FILENAME_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/]')


@dataclass(frozen=True)
class PortalRuntime(Cloneable):
    """How the portal app behaves (built from the `portal` settings); change it with `clone()`."""

    practice_name: str
    portal_from: str  # From: of codes and of the patient's replies
    practice_address: str  # where consent notices go
    help_text: str
    secure_cookies: bool = True
    code_ttl: timedelta = timedelta(minutes=10)
    session_ttl: timedelta = timedelta(minutes=30)
    max_failed_codes: int = 5
    lockout: timedelta = timedelta(minutes=15)
    max_codes_per_hour: int = 5
    max_reply_chars: int = 20_000
    max_form_bytes: int = 200_000

    @property
    def session_cookie(self) -> str:
        """The session cookie's name (`__Host-` only where browsers accept it: over TLS)."""
        return "__Host-pgportal" if self.secure_cookies else "pgportal"

    @property
    def csrf_cookie(self) -> str:
        """The CSRF cookie's name."""
        return "__Host-pgcsrf" if self.secure_cookies else "pgcsrf"


#: The consent scopes (gateway.patients.scopes) in words a patient understands.
PATIENT_SCOPE_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "appointment_reminders": "Appointment reminders: the time, your provider, and the "
        "clinic's address and phone",
        "billing": "Bills and statements: account and claim numbers and what a visit cost",
        "lab_results": "Test results, with diagnoses, medicines and procedures",
        "all_clinical": "All messages about your care and your bills (never your Social "
        "Security, card or bank numbers)",
    }
)


def scope_words(scope: str) -> str:
    """A consent scope as the patient reads it (its name if the portal has no words for it)."""
    return PATIENT_SCOPE_WORDS.get(scope, scope.replace("_", " "))


def duration_words(days: int) -> str:
    """'1 year', '6 months', '45 days'."""
    if days % 365 == 0:
        n, unit = days // 365, "year"
    elif days % 30 == 0:
        n, unit = days // 30, "month"
    else:
        n, unit = days, "day"
    return f"{n} {unit}{'' if n == 1 else 's'}"


def date_words(day: date) -> str:
    """'4 December 2027'."""
    return f"{day.day} {day.strftime('%B %Y')}"


@dataclass(frozen=True)
class ConsentChoices:
    """What the practice lets a patient choose on the consent page (portal.consent_scopes and
    portal.consent_days): the kinds of information, and how long the consent lasts."""

    scopes: tuple[str, ...] = ("appointment_reminders",)
    days: tuple[int, ...] = (365,)

    def __post_init__(self) -> None:
        if not self.scopes or not self.days or any(d < 1 for d in self.days):
            raise ValueError("consent choices need at least one scope and positive durations")


@dataclass(frozen=True)
class ConsentTerms:
    """What the patient chose: the scopes, and the last day the consent is valid."""

    scopes: tuple[str, ...]
    expires: date


@dataclass(frozen=True)
class RecordedConsent:
    """A consent as the registry recorded it, shown back to the patient."""

    consent_id: str
    scopes: tuple[str, ...]
    expires: date


@dataclass(frozen=True)
class DisclosureBlock:
    """A paragraph of the disclosure text, or a numbered list, reflowed (no hard line breaks)."""

    text: str = ""
    items: tuple[str, ...] = ()


_ITEM = re.compile(r"^(?:\d{1,2}[.)]|[-*])\s+")


def reflow(text: str) -> tuple[DisclosureBlock, ...]:
    """The disclosure's paragraphs and numbered items with the file's line breaks joined, so a
    phone's screen wraps them (the accepted text and its hash are unchanged)."""
    blocks: list[DisclosureBlock] = []
    for para in re.split(r"\n\s*\n", text.strip()):
        items: list[str] = []
        lines: list[str] = []
        for line in para.splitlines():
            stripped = line.strip()
            if not stripped:
                continue
            if _ITEM.match(stripped):
                items.append(_ITEM.sub("", stripped))
            elif items:
                items[-1] += " " + stripped
            else:
                lines.append(stripped)
        if lines:
            blocks.append(DisclosureBlock(text=" ".join(lines)))
        if items:
            blocks.append(DisclosureBlock(items=tuple(items)))
    return tuple(blocks)


@dataclass(frozen=True)
class PortalServices:
    """What the portal needs from the rest of phigate, injected by the composition root.

    - `send_mail(to, raw)`: deliver an RFC 5322 message (sync or async).
    - `audit(action, details, ref_id)`: one PHI-free `portal-*` event.
    - `has_dob(roster_id)` / `verify_dob(roster_id, dob)`: the roster's second factor.
    - `disclosure()`: the current consent disclosure as (version, text).
    - `record_consent(roster_id, address, version, terms)`: store a consent with the scopes and
      expiry the patient chose, and return it as recorded.
    - `consent_choices`: the scopes and durations the practice lets patients choose from.
    """

    send_mail: SendMail
    audit: AuditFn
    has_dob: Callable[[str], bool] = field(default=lambda _rid: False)
    verify_dob: Callable[[str, date], bool] = field(default=lambda _rid, _dob: False)
    disclosure: Callable[[], tuple[str, str]] | None = None
    record_consent: Callable[[str | None, str, str, ConsentTerms], RecordedConsent] | None = None
    consent_choices: ConsentChoices = ConsentChoices()


class SecurityHeaders:
    """ASGI middleware that puts the security headers on every response, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                for name, value in SECURITY_HEADERS:
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass(frozen=True)
class _Attachment:
    index: int
    filename: str
    content_type: str
    size: str
    data: bytes


def _human_size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def _attachments(msg: email.message.EmailMessage) -> list[_Attachment]:
    out: list[_Attachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if part.get_content_disposition() != "attachment" and not name:
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        out.append(
            _Attachment(
                index=len(out),
                filename=name or f"attachment-{len(out) + 1}",
                content_type=part.get_content_type(),
                size=_human_size(len(data)),
                data=data,
            )
        )
    return out


def _body(msg: email.message.EmailMessage) -> tuple[Markup | None, str]:
    part = msg.get_body(preferencelist=("html", "plain"))
    if part is None:
        return None, ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return None, ""
    if part.get_content_type() == "text/html":
        tags = set(nh3.ALLOWED_TAGS) - _HTML_TAGS_DROPPED
        clean = nh3.clean(content, tags=tags, url_schemes={"http", "https", "mailto"})
        return Markup(clean), ""
    return None, content


def _one_line(value: object) -> str:
    return " ".join(str(value or "").split())


def _content_disposition(filename: str) -> str:
    safe = _FILENAME_UNSAFE.sub("_", filename) or "attachment"
    ascii_name = safe.encode("ascii", "replace").decode().replace("?", "_")
    quoted = urllib.parse.quote(safe, safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quoted}"


def build_reply(
    opened: PortalMessage, text: str, *, portal_from: str, now: datetime | None = None
) -> bytes:
    """The patient's reply as an RFC 5322 message to the original sender, threaded."""
    original = email.message_from_bytes(opened.raw, policy=email.policy.default)
    domain = parseaddr(portal_from)[1].rpartition("@")[2] or None
    msg = EmailMessage()
    msg["From"] = portal_from
    msg["To"] = opened.mail_from
    msg["Reply-To"] = opened.recipient
    subject = _one_line(original.get("Subject", ""))
    if subject and not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    msg["Subject"] = subject or "Secure reply from your patient"
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = make_msgid(idstring="phigate-portal-reply", domain=domain)
    parent = _one_line(original.get("Message-ID", ""))
    if parent:
        msg["In-Reply-To"] = parent
        refs = _one_line(original.get("References", ""))
        msg["References"] = f"{refs} {parent}".strip()
    msg["X-Phigate-Ref"] = opened.meta.ref_id
    msg["X-Phigate-Portal-Item"] = opened.meta.item_id
    msg.set_content(
        f"{text}\n\n-- \nSent securely through the patient portal by {opened.recipient}.\n"
    )
    return msg.as_bytes(policy=email.policy.SMTP)


def _code_mail(settings: PortalRuntime, to: str, code: str) -> bytes:
    minutes = int(settings.code_ttl.total_seconds() // 60)
    msg = EmailMessage()
    msg["From"] = settings.portal_from
    msg["To"] = to
    msg["Subject"] = f"Your code for {settings.practice_name}"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(idstring="phigate-portal-code")
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(
        f"Your code is: {code}\n\nIt works for {minutes} minutes and only once.\n"
        f"If you did not ask for it, you can ignore this email.\n\n"
        f"Need help? {settings.help_text}\n"
    )
    return msg.as_bytes(policy=email.policy.SMTP)


def _consent_mail(settings: PortalRuntime, consent_id: str, version: str, ref_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = settings.portal_from
    msg["To"] = settings.practice_address
    msg["Subject"] = "A patient accepted unencrypted email"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(idstring="phigate-portal-consent")
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Phigate-Ref"] = ref_id
    msg.set_content(
        "A patient accepted unencrypted email through the secure portal.\n\n"
        f"Consent id: {consent_id}\nDisclosure version: {version}\nReference: {ref_id}\n\n"
        "Look the consent up in phigate's consent register for details.\n"
    )
    return msg.as_bytes(policy=email.policy.SMTP)


def create_app(
    store: PortalStore,
    settings: PortalRuntime,
    services: PortalServices,
    *,
    clock: Callable[[], datetime] | None = None,
) -> Starlette:
    """The portal as a Starlette app (serve it with `portal_server` / `run_portal`)."""
    now = clock or (lambda: datetime.now(UTC))
    pages = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PAGES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    async def call(fn: Callable[..., Any], *args: Any) -> Any:
        result = await run_in_threadpool(fn, *args)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def audit(
        action: str, meta_item: str, ref_id: str, roster_id: str | None, **extra: Any
    ) -> None:
        details = {"item": meta_item, "ref": ref_id, "roster_id": roster_id, **extra}
        await call(services.audit, action, details, ref_id)

    async def needs_dob(roster_id: str | None) -> bool:
        if roster_id is None:
            return False
        return bool(await run_in_threadpool(services.has_dob, roster_id))

    def page(
        name: str,
        status: int = 200,
        session: PortalSession | None = None,
        **variables: Any,
    ) -> HTMLResponse:
        html = pages.get_template(name).render(
            practice_name=settings.practice_name,
            help_text=settings.help_text,
            signed_in=bool(session and session.verified),
            csrf=session.csrf if session else "",
            **variables,
        )
        return HTMLResponse(html, status_code=status)

    def notice(heading: str, *lines: str, status: int = 200, **kw: Any) -> HTMLResponse:
        kw.setdefault("next_url", None)
        kw.setdefault("next_label", "")
        return page("notice.html.j2", status, heading=heading, lines=lines, **kw)

    def set_session_cookies(resp: Response, sid: str, session: PortalSession) -> None:
        max_age = int((session.expires - session.created).total_seconds())
        for name, value in ((settings.session_cookie, sid), (settings.csrf_cookie, session.csrf)):
            resp.set_cookie(
                name,
                value,
                max_age=max_age,
                path="/",
                secure=settings.secure_cookies,
                httponly=True,
                samesite="strict",
            )

    def clear_cookies(resp: Response) -> None:
        for name in (settings.session_cookie, settings.csrf_cookie):
            resp.delete_cookie(
                name, path="/", secure=settings.secure_cookies, httponly=True, samesite="strict"
            )

    async def current(request: Request) -> tuple[str, PortalSession] | None:
        sid = request.cookies.get(settings.session_cookie, "")
        if not sid or len(sid) > 128:
            return None
        session = await run_in_threadpool(store.session, sid, now())
        return (sid, session) if session else None

    def session_gone() -> HTMLResponse:
        resp = notice(
            "Your session has ended",
            "For your privacy, sessions end after a short time.",
            "Please open the link in the email from us again.",
            status=401,
        )
        clear_cookies(resp)
        return resp

    async def checked_form(request: Request, session: PortalSession) -> Mapping[str, Any] | None:
        """The POSTed form, or None unless its CSRF token matches the cookie and the session."""
        length = request.headers.get("content-length")
        if length is None or not length.isdigit() or int(length) > settings.max_form_bytes:
            return None
        form = await request.form(max_files=0, max_fields=20)
        sent = str(form.get("csrf", ""))
        cookie = request.cookies.get(settings.csrf_cookie, "")
        ok = hmac.compare_digest(sent.encode(), cookie.encode()) & hmac.compare_digest(
            sent.encode(), session.csrf.encode()
        )
        return form if ok and sent else None

    def csrf_failed() -> HTMLResponse:
        return notice(
            "Please try again",
            "This form is out of date. Go back, reload the page and try again.",
            status=403,
        )

    async def verified(request: Request) -> tuple[str, PortalSession] | Response:
        cur = await current(request)
        if cur is None:
            return session_gone()
        if not cur[1].verified:
            return RedirectResponse("/verify", status_code=303)
        return cur

    async def unverified(request: Request) -> tuple[str, PortalSession] | Response:
        cur = await current(request)
        if cur is None:
            return session_gone()
        if cur[1].verified:
            return RedirectResponse("/message", status_code=303)
        return cur

    async def posted(
        request: Request,
        guard: Callable[[Request], Awaitable[tuple[str, PortalSession] | Response]],
    ) -> tuple[str, PortalSession, Mapping[str, Any]] | Response:
        """The session `guard` lets through and its CSRF-checked form, or the response why not."""
        cur = await guard(request)
        if isinstance(cur, Response):
            return cur
        form = await checked_form(request, cur[1])
        if form is None:
            return csrf_failed()
        return cur[0], cur[1], form

    async def load(session: PortalSession) -> PortalMessage | Response:
        try:
            return await run_in_threadpool(store.get, session.item_id, now())
        except PortalExpired:
            return notice(
                "This message has expired",
                "For your privacy, secure messages are deleted after a while.",
                "Please contact us if you still need it.",
                status=410,
            )
        except PortalIntegrityError:
            _log.error("portal item does not open", extra={"item": session.item_id})
            return notice(
                "We cannot show this message",
                "Something went wrong on our side. Please contact us.",
                status=500,
            )

    async def verified_message(
        request: Request,
    ) -> tuple[PortalSession, PortalMessage, EmailMessage] | Response:
        """The verified session's message and its parse, or the response that says why not."""
        cur = await verified(request)
        if isinstance(cur, Response):
            return cur
        session = cur[1]
        opened = await load(session)
        if isinstance(opened, Response):
            return opened
        msg = email.message_from_bytes(opened.raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return session, opened, msg

    # -- routes -------------------------------------------------------------------------------

    async def home(request: Request) -> Response:
        return notice(
            "Secure messages",
            "To read a secure message, open the link in the email we sent you.",
        )

    async def pickup(request: Request) -> Response:
        token = request.path_params["token"]
        if not _TOKEN_SHAPE.match(token):
            return notice("This link does not work", "Please check the link.", status=404)
        try:
            meta = await run_in_threadpool(store.find, token, now())
        except PortalNotFound:
            return notice(
                "This link does not work",
                "Please check that you opened the whole link from the email.",
                status=404,
            )
        except PortalExpired as exc:
            await call(
                services.audit,
                "portal-expired",
                {"item": exc.item_id, "ref": exc.ref_id},
                exc.ref_id or None,
            )
            return notice(
                "This message has expired",
                "For your privacy, secure messages are deleted after a while.",
                "Please contact us if you still need it.",
                status=410,
            )
        sid, session = await run_in_threadpool(
            lambda: store.new_session(meta.item_id, settings.session_ttl, now=now())
        )
        resp = RedirectResponse("/verify", status_code=303)
        set_session_cookies(resp, sid, session)
        return resp

    async def verify_page(
        session: PortalSession, *, error: str = "", sent: bool = False, status: int = 200
    ) -> Response:
        meta = await run_in_threadpool(store.meta, session.item_id)
        locked = meta.locked_until is not None and meta.locked_until > now()
        if locked:
            minutes = int(settings.lockout.total_seconds() // 60)
            return notice(
                "Too many wrong codes",
                f"For your safety, this message is locked for {minutes} minutes.",
                "Please try again later, or contact us.",
                status=429,
            )
        asks_dob = await needs_dob(meta.roster_id)
        return page(
            "verify.html.j2",
            status,
            session,
            masked=meta.recipient_masked,
            sent=sent,
            error=error,
            asks_dob=asks_dob,
            code_minutes=int(settings.code_ttl.total_seconds() // 60),
        )

    async def verify_get(request: Request) -> Response:
        cur = await unverified(request)
        if isinstance(cur, Response):
            return cur
        return await verify_page(cur[1], sent=request.query_params.get("sent") == "1")

    async def send_code(request: Request) -> Response:
        got = await posted(request, unverified)
        if isinstance(got, Response):
            return got
        _sid, session, _form = got
        item_id = session.item_id
        if await run_in_threadpool(store.locked_until, item_id, now()):
            return await verify_page(session)
        recent = await run_in_threadpool(
            store.codes_sent_since, item_id, now() - timedelta(hours=1)
        )
        if recent >= settings.max_codes_per_hour:
            return await verify_page(
                session,
                error="We have sent several codes already. Please use the newest one, "
                "or wait an hour.",
                sent=True,
                status=429,
            )
        try:
            opened = await run_in_threadpool(store.get, item_id, now())
        except PortalError:
            return session_gone()
        code = await run_in_threadpool(store.issue_code, item_id, settings.code_ttl, now())
        await call(
            services.send_mail, opened.recipient, _code_mail(settings, opened.recipient, code)
        )
        return RedirectResponse("/verify?sent=1", status_code=303)

    async def verify_post(request: Request) -> Response:
        got = await posted(request, unverified)
        if isinstance(got, Response):
            return got
        sid, session, form = got
        meta = await run_in_threadpool(store.meta, session.item_id)
        second_ok = True
        if meta.roster_id is not None and await needs_dob(meta.roster_id):
            try:
                dob = date.fromisoformat(str(form.get("dob", "")).strip())
            except ValueError:
                second_ok = False
            else:
                second_ok = bool(await run_in_threadpool(services.verify_dob, meta.roster_id, dob))
        code = str(form.get("code", ""))
        result = await run_in_threadpool(
            lambda: store.check_code(
                meta.item_id,
                code if code.isdigit() else "-",
                second_factor_ok=second_ok,
                max_failed=settings.max_failed_codes,
                lockout=settings.lockout,
                now=now(),
            )
        )
        if result.ok:
            new_sid, new_session = await run_in_threadpool(
                lambda: store.promote_session(sid, settings.session_ttl, now())
            )
            resp = RedirectResponse("/message", status_code=303)
            set_session_cookies(resp, new_sid, new_session)
            return resp
        if result.locked_until is not None and not result.just_locked:
            return await verify_page(session)
        await audit(
            "portal-code-failed",
            meta.item_id,
            meta.ref_id,
            meta.roster_id,
            failed=result.failed_codes,
        )
        if result.just_locked:
            await audit(
                "portal-locked",
                meta.item_id,
                meta.ref_id,
                meta.roster_id,
                minutes=int(settings.lockout.total_seconds() // 60),
            )
            return await verify_page(session)
        left = settings.max_failed_codes - result.failed_codes
        return await verify_page(
            session,
            error=f"That did not match. Please check and try again ({left} tries left).",
            sent=True,
            status=400,
        )

    async def message(request: Request) -> Response:
        shown = await verified_message(request)
        if isinstance(shown, Response):
            return shown
        session, _opened, msg = shown
        meta = await run_in_threadpool(store.mark_read, session.item_id, now())
        html_body, text_body = _body(msg)
        await audit("portal-view", meta.item_id, meta.ref_id, meta.roster_id, views=meta.views)
        return page(
            "message.html.j2",
            200,
            session,
            sender=_one_line(msg.get("From", "")) or settings.practice_name,
            subject=_one_line(msg.get("Subject", "")),
            date=_one_line(msg.get("Date", "")),
            expires=meta.expires.strftime("%d %B %Y"),
            html_body=html_body,
            text_body=text_body,
            attachments=_attachments(msg),
            max_reply=settings.max_reply_chars,
        )

    async def attachment(request: Request) -> Response:
        shown = await verified_message(request)
        if isinstance(shown, Response):
            return shown
        _session, opened, msg = shown
        found = _attachments(msg)
        index = int(request.path_params["index"])
        if index >= len(found):
            return notice("No such attachment", status=404)
        att = found[index]
        meta = opened.meta
        await audit(
            "portal-download",
            meta.item_id,
            meta.ref_id,
            meta.roster_id,
            attachment=index,
            content_type=att.content_type,
        )
        return Response(
            att.data,
            media_type=att.content_type,
            headers={
                "content-disposition": _content_disposition(att.filename),
                "content-security-policy": DOWNLOAD_CSP,
            },
        )

    async def reply(request: Request) -> Response:
        got = await posted(request, verified)
        if isinstance(got, Response):
            return got
        _sid, session, form = got
        text = str(form.get("reply", "")).strip()
        if not text or len(text) > settings.max_reply_chars:
            return notice(
                "Your reply was not sent",
                f"Please write a reply of up to {settings.max_reply_chars} characters.",
                status=400,
                next_url="/message",
                next_label="Back to the message",
            )
        opened = await load(session)
        if isinstance(opened, Response):
            return opened
        raw = build_reply(opened, text, portal_from=settings.portal_from, now=now())
        await call(services.send_mail, opened.mail_from, raw)
        meta = opened.meta
        await audit("portal-reply", meta.item_id, meta.ref_id, meta.roster_id, size=len(raw))
        return RedirectResponse("/sent", status_code=303)

    async def sent(request: Request) -> Response:
        cur = await verified(request)
        if isinstance(cur, Response):
            return cur
        return page(
            "notice.html.j2",
            200,
            cur[1],
            heading="Your reply was sent",
            lines=(f"{settings.practice_name} will get your reply securely.",),
            next_url="/message",
            next_label="Back to the message",
        )

    choices = services.consent_choices

    def consent_page(session: PortalSession, version: str, text: str, **kw: Any) -> HTMLResponse:
        today = now().date()
        return page(
            "consent.html.j2",
            kw.pop("status", 200),
            session,
            version=version,
            disclosure=reflow(text),
            scopes=[(name, scope_words(name)) for name in choices.scopes],
            durations=[
                (days, duration_words(days), date_words(today + timedelta(days=days)))
                for days in choices.days
            ],
            chosen_scopes=kw.pop("chosen_scopes", choices.scopes[:1]),
            chosen_days=kw.pop("chosen_days", choices.days[-1]),
            problem=kw.pop("problem", ""),
            **kw,
        )

    def chosen_terms(form: Any) -> ConsentTerms | None:
        """The scopes and duration the form chose, if all are among the practice's choices."""
        picked = tuple(dict.fromkeys(str(v) for v in form.getlist("scope")))
        days = str(form.get("days", ""))
        if not picked or any(p not in choices.scopes for p in picked):
            return None
        if not days.isdigit() or int(days) not in choices.days:
            return None
        return ConsentTerms(picked, now().date() + timedelta(days=int(days)))

    async def consent_get(request: Request) -> Response:
        cur = await verified(request)
        if isinstance(cur, Response):
            return cur
        if services.disclosure is None or services.record_consent is None:
            return notice("Not available", "Please contact us to change how we email you.")
        version, text = await run_in_threadpool(services.disclosure)
        return consent_page(cur[1], version, text)

    async def consent_post(request: Request) -> Response:
        cur = await verified(request)
        if isinstance(cur, Response):
            return cur
        _sid, session = cur
        if services.disclosure is None or services.record_consent is None:
            return notice("Not available", "Please contact us to change how we email you.")
        form = await checked_form(request, session)
        if form is None:
            return csrf_failed()
        version, text = await run_in_threadpool(services.disclosure)
        terms = chosen_terms(form)
        if form.get("accept") != "yes" or not hmac.compare_digest(
            str(form.get("version", "")).encode(), version.encode()
        ):
            return notice(
                "Nothing was changed",
                "Please read the text again and tick the box to agree.",
                status=400,
                next_url="/consent",
                next_label="Back",
            )
        if terms is None:
            return consent_page(
                session,
                version,
                text,
                status=400,
                problem="Nothing was changed: please choose at least one kind of message and "
                "how long the consent lasts.",
            )
        opened = await load(session)
        if isinstance(opened, Response):
            return opened
        meta = opened.meta
        record = services.record_consent
        recorded = await run_in_threadpool(record, meta.roster_id, opened.recipient, version, terms)
        await call(
            services.send_mail,
            settings.practice_address,
            _consent_mail(settings, recorded.consent_id, version, meta.ref_id),
        )
        await audit(
            "portal-consent",
            meta.item_id,
            meta.ref_id,
            meta.roster_id,
            consent_id=recorded.consent_id,
            version=version,
            scopes=",".join(recorded.scopes),
            expires=recorded.expires.isoformat(),
        )
        return page(
            "consent-recorded.html.j2",
            200,
            session,
            consent_id=recorded.consent_id,
            scopes=[scope_words(s) for s in recorded.scopes],
            expires=date_words(recorded.expires),
            version=version,
        )

    async def logout(request: Request) -> Response:
        cur = await current(request)
        if cur is not None:
            if await checked_form(request, cur[1]) is None:
                return csrf_failed()
            await run_in_threadpool(store.end_session, cur[0])
        resp = notice("You are signed out", "You can close this page now.")
        clear_cookies(resp)
        return resp

    routes = [
        Route("/", home),
        # Browsers ask for it on every site; answer quietly instead of with a 404 page.
        Route("/favicon.ico", lambda _request: Response(status_code=204)),
        Route("/p/{token}", pickup),
        Route("/verify", verify_get, methods=["GET"]),
        Route("/verify", verify_post, methods=["POST"]),
        Route("/verify/send", send_code, methods=["POST"]),
        Route("/message", message),
        Route("/attachment/{index:int}", attachment),
        Route("/reply", reply, methods=["POST"]),
        Route("/sent", sent),
        Route("/consent", consent_get, methods=["GET"]),
        Route("/consent", consent_post, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(SecurityHeaders)
    return app


class RedactPickupPaths(logging.Filter):
    """Redacts link tokens (`/p/<token>`) and query strings from uvicorn access records.

    The server runs with the access log off; this filter is the second line of defence for
    whoever turns it on or attaches a handler to `uvicorn.access` anyway.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """See logging.Filter."""
        if isinstance(record.args, tuple) and len(record.args) >= 3:
            args = list(record.args)
            path = str(args[2]).split("?", 1)[0]
            args[2] = "/p/[redacted]" if path.startswith("/p/") else path
            record.args = tuple(args)
        return True


def _install_access_redaction() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactPickupPaths) for f in access.filters):
        access.addFilter(RedactPickupPaths())


def portal_server(
    app: Starlette,
    *,
    host: str,
    port: int,
    certfile: Path | None = None,
    keyfile: Path | None = None,
) -> uvicorn.Server:
    """A uvicorn server for the portal with the access log off (URLs once held the token)."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        ssl_certfile=str(certfile) if certfile else None,
        ssl_keyfile=str(keyfile) if keyfile else None,
        ssl_version=ssl.PROTOCOL_TLS_SERVER,
        # AEAD suites with forward secrecy only, as on the SMTP side (uvicorn's default
        # "TLSv1" list lets TLS 1.2 CBC suites through).
        ssl_ciphers=AEAD_CIPHERS,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        log_config=None,
        lifespan="off",
    )
    _install_access_redaction()
    return uvicorn.Server(config)


def run_portal(
    store: PortalStore,
    settings: PortalRuntime,
    services: PortalServices,
    *,
    host: str,
    port: int,
    certfile: Path,
    keyfile: Path,
) -> None:
    """Serve the portal over TLS until interrupted (`phigate portal --listen --cert --key`)."""
    app = create_app(store, settings.clone(secure_cookies=True), services)
    portal_server(app, host=host, port=port, certfile=certfile, keyfile=keyfile).run()
