"""The compliance officer's web console: a small Starlette app over the gateway's stores.

Sign-in takes a password and a TOTP code; the session lives in the console database (every
console node on it shares sessions) behind a `__Host-` cookie that is Secure, HttpOnly and
SameSite=Strict. Every POST carries the session's CSRF token. Roles: `admin` and `officer`
may act; an `auditor` reads, and every mutating route answers 403 for them. Every action is
an audit event (`console-*`, or `quarantine-*` for quarantine access, as the CLI records
it) whose details name the console user and the item, never PHI.

Pages: the dashboard (figures from gateway.reports), message trace (the audit records, with
every stage as recorded), quarantine (masked view, reveal, release, delete) and the sender
directory (a staff sender hash to its address, officers and admins only).
"""

from __future__ import annotations

import hashlib
import inspect
import io
import os
import re
import secrets
import tempfile
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from gateway.audit import AuditLog
from gateway.audit.events import record_event
from gateway.cli.keys import shown_address, smime_rows
from gateway.cli.pgp import PgpCommandFailed, import_pgp, pgp_rows, trust_pgp
from gateway.cli.policy import run_suite
from gateway.cli.quarantine import masked_view
from gateway.config import Settings
from gateway.console.errors import LoginRefused
from gateway.console.store import ConsoleSession, ConsoleStore
from gateway.keys.store import CertStore
from gateway.model import ConfigError, PhigateError
from gateway.patients.consent import METHODS, ConsentRegistry, parse_day
from gateway.patients.disclosure import DEFAULT_DISCLOSURE_VERSION
from gateway.patients.errors import PatientsError
from gateway.patients.roster import PatientRoster
from gateway.patients.scopes import SCOPES
from gateway.policy import shipped as shipped_policies
from gateway.policy.rules import parse_policy
from gateway.policy.trial import DRAFT_SOURCE, build_groups, try_message
from gateway.portal.app import SECURITY_HEADERS
from gateway.quarantine.errors import QuarantineError
from gateway.quarantine.store import HELD, QuarantineStore
from gateway.registry import Registry
from gateway.reports import (
    Integrity,
    ReportExtras,
    build_disclosures,
    build_report,
    fetch_records,
)
from gateway.reports.records import AuditRecord
from gateway.reports.render import bar_chart

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"

SEE_OTHER = 303
FORBIDDEN = 403
NOT_FOUND = 404
BAD_REQUEST = 400
ACTING_ROLES = frozenset({"admin", "officer"})
DASHBOARD_DAYS = 14
TRACE_DAYS = 7
TRACE_LIMIT = 200
MAX_POLICY_CHARS = 500_000
MAX_MESSAGE_BYTES = 10_000_000
_DRAFT_LINE = re.compile(re.escape(DRAFT_SOURCE) + r":(\d+):(\d+)")

Deliver = Callable[[bytes, str, Sequence[str]], "Awaitable[tuple[bool, str]] | tuple[bool, str]"]


@dataclass(frozen=True)
class ConsoleServices:
    """What the console works on: its own store, the audit log, the quarantine, a release path."""

    store: ConsoleStore
    audit: AuditLog
    quarantine: QuarantineStore | None = None
    deliver: Deliver | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    secure_cookies: bool = True
    settings: Settings | None = None  # the gateway's: its policy file, groups and detector
    registry: Registry | None = None
    suite_dir: Path | None = None  # the policy's example suite (suite.yaml)
    roster: PatientRoster | None = None
    consents: ConsentRegistry | None = None

    @property
    def session_cookie(self) -> str:
        """The session cookie's name (`__Host-` only over TLS, where browsers accept it)."""
        return "__Host-pgconsole" if self.secure_cookies else "pgconsole"

    @property
    def login_cookie(self) -> str:
        """The pre-login CSRF cookie's name."""
        return "__Host-pgconsole-login" if self.secure_cookies else "pgconsole-login"


Handler = Callable[[Request, ConsoleSession], Awaitable[Response]]


class _Console:
    """The routes, sharing the services and the template environment."""

    def __init__(self, services: ConsoleServices) -> None:
        self.s = services
        self.pages = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )

    # ------------------------------------------------------------------ plumbing

    def html(self, name: str, code: int = 200, **values: Any) -> Response:
        body = self.pages.get_template(name).render(**values)
        return _secured(HTMLResponse(body, status_code=code))

    def cookie(self, resp: Response, name: str, value: str, max_age: int | None) -> None:
        resp.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            secure=self.s.secure_cookies,
            httponly=True,
            samesite="strict",
        )

    async def audit(self, action: str, who: str, **details: Any) -> None:
        """Append one console event; the details name the user and the item, never PHI."""
        await run_in_threadpool(
            record_event, self.s.audit, action, {"by": who, **details}, actor=who
        )

    def page(
        self, handler: Handler, *, acting: bool = False, roles: frozenset[str] = frozenset()
    ) -> Callable[[Request], Awaitable[Response]]:
        """Wrap a handler: a live session or the login page; CSRF on POST; roles (403)."""

        async def endpoint(request: Request) -> Response:
            now = self.s.clock()
            token = request.cookies.get(self.s.session_cookie, "")
            session = await run_in_threadpool(self.s.store.session, token, now)
            if session is None:
                if request.method == "GET":
                    return _secured(RedirectResponse("/login", status_code=SEE_OTHER))
                return self.html("error.html", FORBIDDEN, session=None, message="Sign in first.")
            needed = ACTING_ROLES if acting else roles
            if needed and session.role not in needed:
                await self.audit(
                    "console-denied", session.user, path=request.url.path, role=session.role
                )
                return self.html(
                    "error.html",
                    FORBIDDEN,
                    session=session,
                    message=f"The {session.role} role may not do this.",
                )
            if request.method == "POST":
                form = await request.form()
                sent = str(form.get("csrf", ""))
                if not secrets.compare_digest(sent.encode(), session.csrf.encode()):
                    return self.html(
                        "error.html", FORBIDDEN, session=session, message="Form expired; reload."
                    )
            return await handler(request, session)

        return endpoint

    # ------------------------------------------------------------------ login

    async def login_form(self, request: Request) -> Response:
        token = secrets.token_urlsafe(32)
        resp = self.html("login.html", session=None, csrf=token, error=None)
        self.cookie(resp, self.s.login_cookie, token, 600)
        return resp

    async def login(self, request: Request) -> Response:
        form = await request.form()
        expected = request.cookies.get(self.s.login_cookie, "")
        sent = str(form.get("csrf", ""))
        if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
            return self.html("error.html", FORBIDDEN, session=None, message="Form expired.")
        name = str(form.get("user", "")).strip()[:64]
        password = str(form.get("password", ""))
        code = str(form.get("code", ""))
        now = self.s.clock()
        try:
            await run_in_threadpool(self.s.store.authenticate, name, password, code, now)
        except LoginRefused as exc:
            # A name no user has is kept out of the record: it may be a password typed into
            # the wrong field, so the record says only that an unknown name was tried.
            who = name if exc.reason != "unknown user" else "(unknown name)"
            await self.audit("console-login-failed", who or "-", reason=exc.reason)
            token = secrets.token_urlsafe(32)
            resp = self.html(
                "login.html",
                FORBIDDEN,
                session=None,
                csrf=token,
                error="Sign-in failed: check your name, password and code. "
                "Repeated failures lock the account.",
            )
            self.cookie(resp, self.s.login_cookie, token, 600)
            return resp
        token, session = await run_in_threadpool(self.s.store.new_session, name, now)
        await self.audit("console-login", name, role=session.role)
        resp = _secured(RedirectResponse("/", status_code=SEE_OTHER))
        self.cookie(resp, self.s.session_cookie, token, None)
        resp.delete_cookie(self.s.login_cookie, path="/", secure=self.s.secure_cookies)
        return resp

    async def logout(self, request: Request, session: ConsoleSession) -> Response:
        token = request.cookies.get(self.s.session_cookie, "")
        await run_in_threadpool(self.s.store.end_session, token)
        await self.audit("console-logout", session.user)
        resp = _secured(RedirectResponse("/login", status_code=SEE_OTHER))
        resp.delete_cookie(self.s.session_cookie, path="/", secure=self.s.secure_cookies)
        return resp

    # ------------------------------------------------------------------ dashboard

    async def dashboard(self, request: Request, session: ConsoleSession) -> Response:
        days = _int(request.query_params.get("days"), DASHBOARD_DAYS, 1, 366)
        now = self.s.clock()
        until = datetime.combine(now.date() + timedelta(days=1), time(), UTC)
        since = until - timedelta(days=days)
        records, integrity = await run_in_threadpool(self._records_verified, since, until)
        extra = ReportExtras(integrity=integrity, generated_at=now)
        report = build_report(records, since, until, extra)
        by_day = []
        for i in range(days):
            start = since + timedelta(days=i)
            day = build_report(records, start, start + timedelta(days=1), extra)
            by_day.append((start.date().isoformat(), day.messages))
        charts = [
            Markup(bar_chart("Messages by action", report.by_action, width=560)),
            Markup(bar_chart("Messages by rule", report.by_rule, width=560)),
            Markup(bar_chart("PHI types found", _entity_tally(records, since, until), width=560)),
            Markup(_day_chart("Messages per day", by_day)),
        ]
        monitor = _monitor_rows(records, since, until)
        await self.audit("console-view", session.user, page="dashboard")
        return self.html("dashboard.html", session=session, report=report, charts=charts,
                         days=days, by_day=by_day, monitor=monitor)  # fmt: skip

    def _records_verified(
        self, since: datetime, until: datetime
    ) -> tuple[list[AuditRecord], Integrity]:
        result = self.s.audit.verify()
        integrity = Integrity(result.ok, result.checked, tuple(str(p) for p in result.problems))
        return fetch_records(self.s.audit.engine, since, until), integrity

    # ------------------------------------------------------------------ trace

    async def trace(self, request: Request, session: ConsoleSession) -> Response:
        q = request.query_params
        query = {k: q.get(k, "").strip() for k in ("ref", "message_id", "sender", "domain", "day")}
        results: list[dict[str, Any]] | None = None
        error = None
        if any(query.values()):
            try:
                results = await run_in_threadpool(self._search, query)
            except ValueError as exc:
                error = str(exc)
            await self.audit(
                "console-trace",
                session.user,
                by_fields=sorted(k for k, v in query.items() if v),
                found=len(results or ()),
            )
        return self.html("trace.html", session=session, query=query, results=results, error=error)

    def _search(self, query: Mapping[str, str]) -> list[dict[str, Any]]:
        log = self.s.audit
        if query["ref"] or query["message_id"]:
            rows = log.records(
                TRACE_LIMIT,
                ref_id=query["ref"] or None,
                message_id=query["message_id"] or None,
            )
            recs = [AuditRecord.from_row(r) for r in rows]
        else:
            if query["day"]:
                try:
                    day = date.fromisoformat(query["day"])
                except ValueError:
                    raise ValueError(f"date {query['day']!r}: use YYYY-MM-DD") from None
                since = datetime.combine(day, time(), UTC)
                until = since + timedelta(days=1)
            else:
                until = self.s.clock() + timedelta(minutes=1)
                since = until - timedelta(days=TRACE_DAYS)
            recs = list(reversed(fetch_records(log.engine, since, until)))
        if query["sender"]:
            hashes = log.keyed_hashes(query["sender"].strip().lower())
            hashes |= log.keyed_hashes(query["sender"].strip())
            recs = [r for r in recs if r.sender_hash in hashes]
        if query["domain"]:
            domain = query["domain"].lower().lstrip("@")
            recs = [r for r in recs if domain in r.recipient_domains]
        return [_trace_row(r) for r in recs if not r.is_event][:TRACE_LIMIT]

    async def trace_one(self, request: Request, session: ConsoleSession) -> Response:
        ref = request.path_params["ref"]
        rows = await run_in_threadpool(self.s.audit.records, 50, ref_id=ref)
        await self.audit("console-trace", session.user, ref=ref, found=len(rows))
        if not rows:
            return self.html(
                "error.html", NOT_FOUND, session=session,
                message=f"No audit record has reference ID {ref}.",
            )  # fmt: skip
        records = [_trace_row(AuditRecord.from_row(r)) for r in reversed(rows)]
        return self.html("trace_one.html", session=session, ref=ref, records=records)

    # ------------------------------------------------------------------ quarantine

    def _quarantine(self) -> QuarantineStore:
        if self.s.quarantine is None:
            raise QuarantineError("the console has no quarantine store configured")
        return self.s.quarantine

    async def quarantine_list(self, request: Request, session: ConsoleSession) -> Response:
        status = request.query_params.get("status") or HELD
        rows = await run_in_threadpool(self._quarantine().list, status, 200)
        await self.audit("console-view", session.user, page="quarantine", status=status)
        return self.html("quarantine.html", session=session, rows=rows, status=status)

    async def quarantine_show(self, request: Request, session: ConsoleSession) -> Response:
        entry_id = request.path_params["entry_id"]
        store = self._quarantine()
        meta = await run_in_threadpool(store.meta, entry_id)
        await self.audit("quarantine-show", session.user, entry=entry_id)
        held = await run_in_threadpool(store.get, entry_id)
        return self.html(
            "quarantine_one.html", session=session, meta=meta, lines=masked_view(held.raw),
            revealed=None, notice=request.query_params.get("notice"),
        )  # fmt: skip

    async def quarantine_reveal(self, request: Request, session: ConsoleSession) -> Response:
        entry_id = request.path_params["entry_id"]
        store = self._quarantine()
        meta = await run_in_threadpool(store.meta, entry_id)
        await self.audit("quarantine-reveal", session.user, entry=entry_id)
        held = await run_in_threadpool(store.get, entry_id)
        text = held.raw.decode("utf-8", "replace")
        return self.html(
            "quarantine_one.html", session=session, meta=meta, lines=masked_view(held.raw),
            revealed=text, notice=None,
        )  # fmt: skip

    async def quarantine_release(self, request: Request, session: ConsoleSession) -> Response:
        entry_id = request.path_params["entry_id"]
        store = self._quarantine()
        meta = await run_in_threadpool(store.meta, entry_id)
        if meta["status"] != HELD:
            return self.html(
                "error.html", BAD_REQUEST, session=session,
                message=f"Entry {entry_id} is {meta['status']}; only held entries are released.",
            )  # fmt: skip
        if self.s.deliver is None:
            return self.html(
                "error.html", BAD_REQUEST, session=session,
                message="No next hop is configured for releases.",
            )  # fmt: skip
        await self.audit("quarantine-release", session.user, entry=entry_id)
        held = await run_in_threadpool(store.get, entry_id)
        try:
            result = self.s.deliver(held.raw, held.mail_from, held.recipients)
            ok, reply = await result if inspect.isawaitable(result) else result
        except (PhigateError, OSError) as exc:
            ok, reply = False, f"{type(exc).__name__}"
        if not ok:
            await self.audit("quarantine-release-failed", session.user, entry=entry_id)
            return self.html(
                "error.html", 502, session=session,
                message=f"Release failed; the message is still held. Next hop: {reply}",
            )  # fmt: skip
        await run_in_threadpool(store.mark_released, entry_id)
        return _secured(
            RedirectResponse(f"/quarantine/{entry_id}?notice=released", status_code=SEE_OTHER)
        )

    async def quarantine_delete(self, request: Request, session: ConsoleSession) -> Response:
        entry_id = request.path_params["entry_id"]
        store = self._quarantine()
        await run_in_threadpool(store.meta, entry_id)
        await self.audit("quarantine-delete", session.user, entry=entry_id)
        await run_in_threadpool(store.delete, entry_id)
        return _secured(RedirectResponse("/quarantine?status=deleted", status_code=SEE_OTHER))

    # ------------------------------------------------------------------ policy

    def _policy_parts(self) -> tuple[Settings, Registry, Path]:
        if self.s.settings is None or self.s.registry is None:
            raise ConfigError("the console was started without the gateway's settings")
        settings = self.s.settings
        return settings, self.s.registry, shipped_policies.resolve(settings.policy_file)

    def _check_draft(self, text: str) -> None:
        settings, registry, _ = self._policy_parts()
        groups = build_groups(settings, None)
        parse_policy(text, DRAFT_SOURCE, registry.names("action"), groups.names())

    def _policy_page(
        self, session: ConsoleSession, text: str, code: int = 200, **extra: Any
    ) -> Response:
        _, _, path = self._policy_parts()
        values: dict[str, Any] = {
            "path": str(path), "error": None, "error_line": None, "checked": False,
            "trial": None, "suite": None, "applied": None, "message": "",
        }  # fmt: skip
        values.update(extra)
        lines = text.splitlines()
        return self.html("policy.html", code, session=session, text=text, lines=lines, **values)

    def _draft_problem(self, text: str) -> dict[str, Any] | None:
        """None if the draft is a valid policy, else the error and the line it names."""
        if len(text) > MAX_POLICY_CHARS:
            return {"error": f"the policy is longer than {MAX_POLICY_CHARS} characters"}
        try:
            self._check_draft(text)
        except ConfigError as exc:
            found = _DRAFT_LINE.search(str(exc))
            return {"error": str(exc), "error_line": int(found.group(1)) if found else None}
        return None

    async def policy_show(self, request: Request, session: ConsoleSession) -> Response:
        _, _, path = self._policy_parts()
        text = await run_in_threadpool(path.read_text, encoding="utf-8")
        await self.audit("console-view", session.user, page="policy")
        return self._policy_page(session, text)

    async def policy_check(self, request: Request, session: ConsoleSession) -> Response:
        text = _text(await request.form(), "policy")
        problem = await run_in_threadpool(self._draft_problem, text)
        await self.audit("console-policy-check", session.user, ok=problem is None)
        if problem:
            return self._policy_page(session, text, 422, **problem)
        return self._policy_page(session, text, checked=True)

    async def policy_trial(self, request: Request, session: ConsoleSession) -> Response:
        form = await request.form()
        text = _text(form, "policy")
        upload = form.get("upload")
        raw = b""
        if upload is not None and not isinstance(upload, str):
            raw = await upload.read(MAX_MESSAGE_BYTES + 1)
        message = _text(form, "message")
        if not raw:
            raw = message.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
        if not raw.strip() or len(raw) > MAX_MESSAGE_BYTES:
            return self._policy_page(
                session, text, 422, message=message,
                error="paste a message (headers, blank line, body) or upload a .eml file",
            )  # fmt: skip
        problem = await run_in_threadpool(self._draft_problem, text)
        if problem:
            return self._policy_page(session, text, 422, message=message, **problem)
        settings, registry, _ = self._policy_parts()
        try:
            report = await run_in_threadpool(
                lambda: try_message(settings, registry, raw, policy_text=text)
            )
        except PhigateError as exc:
            return self._policy_page(session, text, 422, message=message, error=str(exc))
        # The message itself may be PHI: the record says only that a trial ran.
        await self.audit("console-policy-trial", session.user, recipients=len(report.recipients))
        return self._policy_page(session, text, message=message, trial=report)

    async def policy_suite(self, request: Request, session: ConsoleSession) -> Response:
        text = _text(await request.form(), "policy")
        problem = await run_in_threadpool(self._draft_problem, text)
        if problem:
            return self._policy_page(session, text, 422, **problem)
        if self.s.suite_dir is None:
            return self._policy_page(session, text, 422, error="no example suite is configured")
        out = await run_in_threadpool(self._run_suite, text)
        await self.audit("console-policy-suite", session.user, passed="0 failed" in out)
        return self._policy_page(session, text, suite=out)

    def _run_suite(self, text: str) -> str:
        settings, registry, _ = self._policy_parts()
        assert self.s.suite_dir is not None
        out = io.StringIO()
        with tempfile.TemporaryDirectory(prefix="phigate-console-") as tmp:
            draft = Path(tmp) / "draft.yaml"
            draft.write_text(text, encoding="utf-8")
            try:
                run_suite(self.s.suite_dir, settings, draft, out, registry)
            except PhigateError as exc:
                out.write(f"{exc}\n")
        return out.getvalue()

    async def policy_apply(self, request: Request, session: ConsoleSession) -> Response:
        text = _text(await request.form(), "policy")
        problem = await run_in_threadpool(self._draft_problem, text)
        if problem:
            await self.audit("console-policy-refused", session.user)
            return self._policy_page(session, text, 422, **problem)
        _, _, path = self._policy_parts()
        if _is_shipped(path):
            return self._policy_page(
                session, text, 409,
                error=f"{path} is a shipped policy and stays untouched: set policy_file to a "
                "site file (e.g. policies/local.yaml beside the config) and edit that",
            )  # fmt: skip
        old_hash, new_hash, kept = await run_in_threadpool(
            _replace_policy, path, text, self.s.clock()
        )
        await self.audit(
            "console-policy-apply", session.user,
            file=str(path), old_sha256=old_hash, new_sha256=new_hash, kept=kept,
        )  # fmt: skip
        return self._policy_page(session, text, applied=kept)

    # ------------------------------------------------------------------ patients

    def _patients(self) -> tuple[PatientRoster, ConsentRegistry]:
        if self.s.roster is None or self.s.consents is None:
            raise ConfigError("the console has no patient roster and consent registry configured")
        return self.s.roster, self.s.consents

    def _patients_page(self, session: ConsoleSession, code: int = 200, **extra: Any) -> Response:
        roster, consents = self._patients()
        q = extra.pop("q", "")
        everything = consents.list(at=self.s.clock())
        if q:
            ids = set(roster.ids_by_email(q)) if "@" in q else {q}
            everything = [c for c in everything if c.roster_id in ids or c.consent_id == q]
        now = self.s.clock()
        rows = [
            {"c": c, "status": c.status(now), "scopes": ", ".join(c.scopes)}
            for c in everything[:500]
        ]
        values: dict[str, Any] = {
            "q": q, "rows": rows, "error": None, "notice": None, "errors": (),
            "methods": METHODS, "scopes": sorted(SCOPES), "patients": roster.count(),
        }  # fmt: skip
        values.update(extra)
        return self.html("patients.html", code, session=session, **values)

    async def patients(self, request: Request, session: ConsoleSession) -> Response:
        q = request.query_params.get("q", "").strip()
        await self.audit("console-consent-search" if q else "console-view", session.user,
                         page="patients")  # fmt: skip
        return await run_in_threadpool(lambda: self._patients_page(session, q=q))

    async def consent_add(self, request: Request, session: ConsoleSession) -> Response:
        _, consents = self._patients()
        form = await request.form()
        roster_id = _text(form, "roster_id").strip()
        method = _text(form, "method")
        try:
            consent_id = await run_in_threadpool(
                lambda: consents.add(
                    _text(form, "address").strip(),
                    roster_id,
                    method=method,
                    recorded_by=session.user,
                    disclosure_version=DEFAULT_DISCLOSURE_VERSION,
                    scope=[str(s) for s in form.getlist("scope")],
                    expires=parse_day(_text(form, "expires")),
                )
            )
        except PatientsError as exc:
            return self._patients_page(session, 422, error=str(exc))
        await self.audit(
            "consent-granted", session.user,
            consent_id=consent_id, roster_id=roster_id, method=method,
        )  # fmt: skip
        return self._patients_page(session, notice=f"Consent {consent_id} recorded.")

    async def consent_revoke(self, request: Request, session: ConsoleSession) -> Response:
        _, consents = self._patients()
        form = await request.form()
        consent_id = _text(form, "consent_id")
        try:
            revoked = await run_in_threadpool(
                lambda: consents.revoke(
                    consent_id, at=self.s.clock(), reason=_text(form, "reason"), by=session.user
                )
            )
        except PatientsError as exc:
            return self._patients_page(session, 422, error=str(exc))
        await self.audit(
            "consent-revoked", session.user, consent_id=consent_id, roster_id=revoked.roster_id
        )
        return self._patients_page(session, notice=f"Consent {consent_id} revoked.")

    async def patients_import(self, request: Request, session: ConsoleSession) -> Response:
        roster, consents = self._patients()
        form = await request.form()
        kind = _text(form, "kind")
        upload = form.get("file")
        if kind not in ("roster", "consents") or upload is None or isinstance(upload, str):
            return self._patients_page(session, 422, error="choose a CSV file to import")
        data = await upload.read(MAX_MESSAGE_BYTES + 1)
        if len(data) > MAX_MESSAGE_BYTES:
            return self._patients_page(session, 422, error="the file is too large")

        def run() -> tuple[bool, tuple[Any, ...], int]:
            with tempfile.TemporaryDirectory(prefix="phigate-console-") as tmp:
                path = Path(tmp) / "import.csv"
                path.write_bytes(data)
                if kind == "roster":
                    r = roster.import_csv(path)
                    return r.ok and r.applied, r.errors, len(r.added) + len(r.updated)
                c = consents.import_csv(path)
                return c.ok, c.errors, len(c.added)

        try:
            ok, errors, count = await run_in_threadpool(run)
        except PatientsError as exc:
            return self._patients_page(session, 422, error=str(exc))
        await self.audit(
            f"console-import-{kind}", session.user, ok=ok, rows=count, bad_rows=len(errors)
        )
        if not ok:
            return self._patients_page(
                session, 422, error=f"nothing imported: {len(errors)} bad row(s)",
                errors=[str(e) for e in errors],
            )  # fmt: skip
        return self._patients_page(session, notice=f"Imported {count} {kind} row(s).")

    async def disclosures(self, request: Request, session: ConsoleSession) -> Response:
        roster, _ = self._patients()
        roster_id = request.query_params.get("patient", "").strip()
        report = None
        error = None
        if roster_id:
            known = await run_in_threadpool(roster.exists, roster_id)
            if not known:
                error = f"No patient with roster id {roster_id} is on the roster."
            else:
                report = await run_in_threadpool(self._disclosures, roster_id)
            await self.audit("console-disclosures", session.user, roster_id=roster_id, known=known)
        return self.html(
            "disclosures.html", 404 if error else 200,
            session=session, patient=roster_id, report=report, error=error,
        )  # fmt: skip

    def _disclosures(self, roster_id: str) -> Any:
        log = self.s.audit
        result = log.verify()
        integrity = Integrity(result.ok, result.checked, tuple(str(p) for p in result.problems))
        messages = fetch_records(log.engine, None, None, findings_contain=f'"{roster_id}"')
        consents = fetch_records(log.engine, None, None, actions=["consent-exception"])
        extra = ReportExtras(integrity=integrity, generated_at=self.s.clock())
        return build_disclosures([*messages, *consents], roster_id, None, None, extra)

    # ------------------------------------------------------------------ keys

    def _key_rows(self) -> tuple[list[dict[str, Any]], list[str]]:
        settings, _, _ = self._policy_parts()
        rows: list[dict[str, Any]] = []
        notes: list[str] = []
        try:
            rows += smime_rows(CertStore.from_settings(settings.smime))
        except (PhigateError, OSError) as exc:
            notes.append(
                f"S/MIME certificates: not listed ({getattr(exc, 'code', type(exc).__name__)})"
            )
        if settings.pgp.home.exists():
            try:
                rows += pgp_rows(settings.pgp.home)
            except (PhigateError, OSError) as exc:
                notes.append(
                    f"OpenPGP keys: not listed ({getattr(exc, 'code', type(exc).__name__)})"
                )
        for row in rows:
            row["shown"] = shown_address(settings, str(row.get("address", "")))
        return rows, notes

    def _keys_page(self, session: ConsoleSession, code: int = 200, **extra: Any) -> Response:
        rows, notes = self._key_rows()
        values: dict[str, Any] = {"rows": rows, "notes": notes, "error": None, "notice": None}
        values.update(extra)
        return self.html("keys.html", code, session=session, **values)

    async def keys(self, request: Request, session: ConsoleSession) -> Response:
        await self.audit("console-view", session.user, page="keys")
        return await run_in_threadpool(self._keys_page, session)

    async def keys_import(self, request: Request, session: ConsoleSession) -> Response:
        settings, _, _ = self._policy_parts()
        form = await request.form()
        kind = _text(form, "kind")
        upload = form.get("file")
        if kind not in ("smime", "pgp") or upload is None or isinstance(upload, str):
            return self._keys_page(session, 422, error="choose a certificate or key file")
        data = await upload.read(MAX_MESSAGE_BYTES + 1)
        password = _text(form, "password").encode("utf-8") or None

        def run() -> str:
            with tempfile.TemporaryDirectory(prefix="phigate-console-") as tmp:
                # The error messages name the file as the officer chose it.
                name = re.sub(r"[^A-Za-z0-9._-]", "_", upload.filename or "upload")[:80]
                path = Path(tmp) / (name.lstrip(".") or "upload")
                path.write_bytes(data)
                if kind == "pgp":
                    return import_pgp(settings.pgp.home, path)
                result = CertStore.from_settings(settings.smime).import_file(path, password)
                return (
                    f"imported {len(result.added)} certificate(s), {len(result.unchanged)} "
                    f"already present, {result.intermediates} CA certificate(s)"
                )

        try:
            summary = await run_in_threadpool(run)
        except (PhigateError, PgpCommandFailed) as exc:
            return self._keys_page(session, 422, error=str(exc))
        await self.audit(f"console-keys-import-{kind}", session.user, summary=summary)
        return await run_in_threadpool(lambda: self._keys_page(session, notice=summary))

    async def keys_trust(self, request: Request, session: ConsoleSession) -> Response:
        settings, _, _ = self._policy_parts()
        form = await request.form()
        fpr, address = _text(form, "fingerprint").strip(), _text(form, "address").strip()
        try:
            summary = await run_in_threadpool(trust_pgp, settings.pgp.home, fpr, address)
        except (PhigateError, PgpCommandFailed) as exc:
            return self._keys_page(session, 422, error=str(exc))
        await self.audit("console-keys-trust", session.user, fingerprint=fpr)
        return await run_in_threadpool(lambda: self._keys_page(session, notice=summary))

    async def keys_decide(self, request: Request, session: ConsoleSession) -> Response:
        settings, _, _ = self._policy_parts()
        form = await request.form()
        fpr = _text(form, "fingerprint").strip()
        approve = _text(form, "decision") == "approve"
        try:
            entry = await run_in_threadpool(
                lambda: CertStore.from_settings(settings.smime).decide(fpr, approve=approve)
            )
        except PhigateError as exc:
            return self._keys_page(session, 422, error=str(exc))
        verb = "approve" if approve else "reject"
        await self.audit(f"keys-{verb}", session.user, kind="smime", fingerprint=entry.fingerprint)
        return await run_in_threadpool(
            lambda: self._keys_page(session, notice=f"{entry.fingerprint[:16]} {verb}d.")
        )

    # ------------------------------------------------------------------ senders

    async def senders(self, request: Request, session: ConsoleSession) -> Response:
        wanted = request.query_params.get("hash", "").strip().lower()
        address = None
        if wanted:
            address = await run_in_threadpool(self.s.store.sender_address, wanted)
            await self.audit(
                "console-sender-lookup", session.user, sender_hash=wanted, found=bool(address)
            )
        return self.html("senders.html", session=session, wanted=wanted, address=address)

    # ------------------------------------------------------------------ errors

    async def not_found(self, request: Request, exc: Exception) -> Response:
        return self.html("error.html", NOT_FOUND, session=None, message="No such page.")

    async def phigate_error(self, request: Request, exc: Exception) -> Response:
        code = getattr(exc, "code", "error")
        status = NOT_FOUND if "not-found" in code or "notfound" in code else BAD_REQUEST
        return self.html("error.html", status, session=None, message=f"{code}: {exc}")


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _is_shipped(path: Path) -> bool:
    try:
        root = shipped_policies.shipped_root().resolve()
    except FileNotFoundError:
        return False
    return path.resolve().is_relative_to(root)


def _replace_policy(path: Path, text: str, now: datetime) -> tuple[str, str, str]:
    """Keep the old policy in `.history/` beside it, then swap the new one in atomically
    (temp file, fsync, rename), so the gateway's file watcher reloads a whole file."""
    old = path.read_bytes()
    new = text.encode("utf-8")
    history = path.parent / ".history"
    history.mkdir(mode=0o750, exist_ok=True)
    kept = history / f"{path.stem}.{now.strftime('%Y%m%dT%H%M%S%fZ')}{path.suffix}"
    kept.write_bytes(old)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(new)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return hashlib.sha256(old).hexdigest(), hashlib.sha256(new).hexdigest(), str(kept)


def _secured(resp: Response) -> Response:
    for name, value in SECURITY_HEADERS:
        resp.headers[name] = value
    return resp


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        n = int(value) if value else default
    except ValueError:
        return default
    return min(max(n, low), high)


def _entity_tally(
    records: Sequence[AuditRecord], since: datetime, until: datetime
) -> tuple[tuple[str, int], ...]:
    counts: dict[str, int] = {}
    for r in records:
        if r.is_event or not since <= r.ts < until:
            continue
        for kind, n in r.entities.items():
            counts[kind] = counts.get(kind, 0) + n
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _monitor_rows(
    records: Sequence[AuditRecord], since: datetime, until: datetime
) -> list[tuple[str, str, int, str]]:
    """Rules in monitor mode: what each would have done in the period, how often, and when
    last (rule, would-be action, messages, last day), most frequent first. Nothing was
    applied: the messages went as before the rule existed."""
    counts: dict[tuple[str, str], int] = {}
    last: dict[tuple[str, str], datetime] = {}
    for r in records:
        if r.is_event or not r.monitor or not since <= r.ts < until:
            continue
        for rule in r.rules or ("(no rule)",):
            key = (rule, r.action)
            counts[key] = counts.get(key, 0) + 1
            last[key] = max(last.get(key, r.ts), r.ts)
    rows = [
        (rule, action, n, last[(rule, action)].date().isoformat())
        for (rule, action), n in counts.items()
    ]
    return sorted(rows, key=lambda row: (-row[2], row[0], row[1]))


def _day_chart(title: str, by_day: Sequence[tuple[str, int]], width: int = 560) -> str:
    """Messages per day as a column chart in inline SVG (the trend)."""
    height, top, bottom = 180, 28, 30
    peak = max((n for _, n in by_day), default=0) or 1
    col = (width - 20) / max(len(by_day), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    span = height - top - bottom
    for i, (day, n) in enumerate(by_day):
        h = round(span * n / peak)
        x = 10 + i * col
        parts.append(
            f'<rect x="{x:.1f}" y="{top + span - h}" width="{max(col - 4, 1):.1f}" height="{h}" '
            f'fill="#3b6ea5"><title>{day}: {n}</title></rect>'
        )
    if by_day:
        parts.append(f'<text x="10" y="{height - 8}" font-size="11">{by_day[0][0]}</text>')
        parts.append(
            f'<text x="{width - 10}" y="{height - 8}" font-size="11" text-anchor="end">'
            f"{by_day[-1][0]}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _trace_row(r: AuditRecord) -> dict[str, Any]:
    return {
        "seq": r.seq,
        "ref": r.ref_id,
        "ts": r.ts.isoformat(timespec="seconds"),
        "action": r.action,
        "rules": ", ".join(r.rules) or "-",
        "domains": ", ".join(r.recipient_domains) or "-",
        "entities": ", ".join(f"{k}×{v}" for k, v in sorted(r.entities.items())) or "-",
        "sender": r.sender_hash[:12],
        "size": r.size,
        "stages": [_stage_view(s) for s in r.stages],
    }


def _stage_view(stage: Mapping[str, Any]) -> dict[str, Any]:
    extra = {k: v for k, v in stage.items() if k not in ("stage", "outcome", "reason")}
    return {
        "stage": str(stage.get("stage", "")),
        "outcome": str(stage.get("outcome", "")),
        "reason": str(stage.get("reason", "")),
        "extra": extra,
    }


def create_app(services: ConsoleServices) -> Starlette:
    """The console as an ASGI app."""
    c = _Console(services)
    routes = [
        Route("/login", c.login_form, methods=["GET"]),
        Route("/login", c.login, methods=["POST"]),
        Route("/logout", c.page(c.logout), methods=["POST"]),
        Route("/", c.page(c.dashboard), methods=["GET"]),
        Route("/trace", c.page(c.trace), methods=["GET"]),
        Route("/trace/{ref}", c.page(c.trace_one), methods=["GET"]),
        Route("/quarantine", c.page(c.quarantine_list), methods=["GET"]),
        Route("/quarantine/{entry_id}", c.page(c.quarantine_show), methods=["GET"]),
        Route(
            "/quarantine/{entry_id}/reveal",
            c.page(c.quarantine_reveal, acting=True),
            methods=["POST"],
        ),
        Route(
            "/quarantine/{entry_id}/release",
            c.page(c.quarantine_release, acting=True),
            methods=["POST"],
        ),
        Route(
            "/quarantine/{entry_id}/delete",
            c.page(c.quarantine_delete, acting=True),
            methods=["POST"],
        ),
        Route("/policy", c.page(c.policy_show), methods=["GET"]),
        Route("/policy/check", c.page(c.policy_check), methods=["POST"]),
        Route("/policy/trial", c.page(c.policy_trial), methods=["POST"]),
        Route("/policy/suite", c.page(c.policy_suite), methods=["POST"]),
        Route("/policy/apply", c.page(c.policy_apply, acting=True), methods=["POST"]),
        Route("/patients", c.page(c.patients), methods=["GET"]),
        Route("/patients/consent", c.page(c.consent_add, acting=True), methods=["POST"]),
        Route("/patients/revoke", c.page(c.consent_revoke, acting=True), methods=["POST"]),
        Route("/patients/import", c.page(c.patients_import, acting=True), methods=["POST"]),
        Route("/disclosures", c.page(c.disclosures), methods=["GET"]),
        Route("/keys", c.page(c.keys), methods=["GET"]),
        Route("/keys/import", c.page(c.keys_import, acting=True), methods=["POST"]),
        Route("/keys/trust", c.page(c.keys_trust, acting=True), methods=["POST"]),
        Route("/keys/decide", c.page(c.keys_decide, acting=True), methods=["POST"]),
        Route("/senders", c.page(c.senders, roles=ACTING_ROLES), methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={404: c.not_found, PhigateError: c.phigate_error},
    )
