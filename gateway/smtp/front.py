"""The SMTP front: a thin adapter from aiosmtpd to the Gateway.

aiosmtpd reads commands and DATA (ending it only on CRLF.CRLF), applies the size, line and
command limits, the idle timeout and AUTH's exchange. `GatewaySMTP` adds only what is SMTP's
and aiosmtpd lacks: enhanced status codes on every reply (`push`), per-client session limits
(`connection_made`), a pause limit during DATA (`data_received`), a session time limit,
draining, and passwords checked off the loop (`smtp_AUTH` with aiosmtpd's `authenticator`).
`GatewayHandler` checks what DATA holds (NUL, bare CR/LF, line length), turns SMTP events into
`Gateway` calls and a Verdict into a reply; the Gateway decides everything else.

aiosmtpd internals we still touch, each because no public hook exists:
- `_timeout_cb` (overridden): aiosmtpd drops a timed-out client without a word; we say 421 first.
- `smtp_DATA` (overridden): aiosmtpd reads DATA one line per `readuntil`, a coroutine round per
  line that cost more than the rest of a small message's relaying; ours reads it in chunks up to
  the next ".CRLF" (at most the stream limit each), with aiosmtpd's rules: ends only on
  CRLF.CRLF, size limit (552), line limit (500), dots unstuffed (RFC 5321 4.5.2).
- `StreamReader._limit` (asyncio's): raised during DATA only, see `smtp_DATA`.
- `_reset_timeout` (called, and overridden to move its timer only when the deadline comes
  sooner): aiosmtpd's one timer runs from the last command, so during DATA it would bound the
  whole transfer and while we process a message it would cut the client off; re-arming it
  makes it bound a pause in the transfer, and wait for our answer.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import structlog
from aiosmtpd.smtp import (
    MISSING,
    SMTP,
    AuthResult,
    LoginPassword,
    Session,
    _AuthMechAttr,
    syntax,
)
from aiosmtpd.smtp import Envelope as SmtpEnvelope

from gateway.delivery.relay import CommitGate
from gateway.model import Envelope, new_ref_id
from gateway.smtp.auth import (
    Admitted,
    AuthBusy,
    Doorman,
    LoginGuard,
    client_ip,
    in_networks,
    loggable_user,
)
from gateway.smtp.replies import enhance, too_long_reply

if TYPE_CHECKING:
    from gateway.app import Gateway

log = structlog.get_logger("phigate.smtp")

_LINE_ENDINGS = re.compile(rb"\r\n|\r|\n")
# aiosmtpd's own DATA refusals, answered in our words.
_TOO_MUCH_DATA = "552 Error: Too much mail data"
_END_OF_DATA = b"\r\n.\r\n"
# `<local@domain>` in plain dot-atoms (RFC 5322 3.2.3), which the email package's header parser
# returns unchanged; anything else (quotes, comments, routes, spaces, non-ASCII) goes to it.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATOM}(?:\.{_ATOM})*"
_PLAIN_ANGLE_ADDR = re.compile(rf"<({_DOT_ATOM}@{_DOT_ATOM})>")
_DATA_LINE_TOO_LONG = "500 Line too long (see RFC5321 4.5.3.1.6)"
# What the stream may buffer during DATA (asyncio's default stream limit); commands get one line.
DATA_BUFFER_BYTES = 64 * 1024


def content_problem(
    raw: bytes, line_limit: int, bare_newlines: str, longest: int | None = None
) -> tuple[str | None, bytes]:
    """Check DATA as aiosmtpd handed it over (unstuffed); return a refusal or the content.

    aiosmtpd ends DATA only on CRLF.CRLF, so a bare LF or CR never ends a message (the SMTP
    smuggling defence); a message that holds one is refused, or has its line endings made
    CRLF when `bare_newlines` is "normalize". A line counts up to its CRLF. `longest`, when
    known, bounds every line's length from above (the reader measured them before unstuffing),
    so a message within the limit by that bound is not split into lines a second time.
    """
    if (
        len(raw) > line_limit
        and (longest is None or longest > line_limit)
        and max(map(len, raw.split(b"\r\n"))) > line_limit
    ):
        return too_long_reply(line_limit), raw
    if b"\x00" in raw:
        return "554 5.6.0 Message contains NUL bytes; they are not allowed in mail", raw
    # Every CRLF holds one CR and one LF, so equal counts of all three mean no bare CR or LF:
    # three counts in C cost a tenth of the regex's scan with its look-arounds.
    crlf = raw.count(b"\r\n")
    if raw.count(b"\r") != crlf or raw.count(b"\n") != crlf:
        if bare_newlines == "reject":
            return (
                "554 5.6.0 Message contains a bare CR or LF; lines must end with CRLF"
                " (RFC 5321 2.3.8)",
                raw,
            )
        raw = _LINE_ENDINGS.sub(b"\r\n", raw)
    return None, raw


class GatewaySMTP(SMTP):
    """aiosmtpd's SMTP protocol with phigate's limits and safety rules."""

    def __init__(self, handler: GatewayHandler, **kwargs: Any) -> None:
        settings = handler.gateway.settings
        # The stream limit bounds one line: the text, CRLF and a stuffed dot.
        self.line_length_limit = settings.smtp.max_line_length + 3
        self.gateway_handler = handler
        self._settings = settings
        self._greeted = False
        self._plain_replies = False  # EHLO's and HELO's replies carry no enhanced codes
        self._held: list[str] = []  # EHLO's continuation lines, written with its last line
        self._in_auth = False
        self._data_phase: str | None = None  # "reading" after 354, "processing" in handle_DATA
        self._data_rearmed = 0.0
        self._busy = False  # a command line arrived and has no final reply yet
        self._draining = False
        self._client_gone = False
        self._admitted: Admitted | None = None
        self._trusted = False
        self._errors = 0
        self._auth_failures = 0
        self._pending_auth: tuple[str, LoginPassword] | None = None
        self._session_timer: asyncio.TimerHandle | None = None
        self._timeout_at = 0.0  # when the idle (or pause) limit runs out; see _reset_timeout
        # The last DATA's longest line before unstuffing, without its CRLF (read_data's).
        self._measured: list[int] = [-1]
        # aiosmtpd lists this instance's and the handler's members to build its command, AUTH
        # and hook tables on every connection; while it does, `__dir__` shows none on either,
        # and the same tables are set below from what was found once per class and handler
        # (a third of setting up a session).
        self._listing = False
        handler.listing = False
        try:
            super().__init__(handler, authenticator=self._note_credentials, **kwargs)
        finally:
            self._listing = True
            handler.listing = True
        commands, mechanisms = _session_tables(type(self))
        hooks, ehlo_version, handler_mechanisms = handler.session_tables()
        self._handle_hooks = hooks
        self._ehlo_hook_ver = ehlo_version
        self._smtp_methods = {command: getattr(self, name) for command, name in commands}
        auth = {m: _AuthMechAttr(getattr(self, name), True) for m, name in mechanisms}
        auth.update(handler_mechanisms)  # aiosmtpd's order: the handler's win
        for excluded in kwargs.get("auth_exclude_mechanism") or ():
            auth.pop(excluded, None)
        self._auth_methods = auth

    def __dir__(self) -> list[str]:
        """The command and AUTH mechanism methods only (none while aiosmtpd sets up).

        aiosmtpd finds them on every new connection by listing the instance's members
        (`inspect.getmembers`, which reads every attribute and runs every property); with the
        full list that cost about a tenth of relaying a small message.
        """
        return _protocol_names(type(self)) if getattr(self, "_listing", True) else []

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """See aiosmtpd; a plain `<local@domain>` skips the email package's header parser.

        That parser costs about a tenth of a millisecond per MAIL and RCPT; for a plain address
        it returns exactly the address between the brackets and the text after them.
        """
        m = _PLAIN_ANGLE_ADDR.match(arg)
        rest = arg[m.end() :].lstrip(" \t") if m is not None else ""
        if m is None or rest.startswith("("):  # the parser also eats a trailing comment
            return super()._getaddr(arg)
        address = m.group(1)
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return address, rest

    # -- connection lifecycle -------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Register the session, apply the per-client limits and start its time limits."""
        first = self.transport is None
        super().connection_made(transport)
        if not first:
            return  # STARTTLS: the same session goes on
        handler = self.gateway_handler
        gateway = handler.gateway
        handler.sessions.add(self)
        gateway.metrics.sessions(+1)
        self._session_timer = self.loop.call_later(
            self._settings.smtp.session_timeout, self._session_expired
        )
        ip = client_ip(transport.get_extra_info("peername"))
        self._trusted = in_networks(ip, gateway.networks)
        admitted = handler.doorman.admit(ip, self._trusted, self._settings.limits)
        if isinstance(admitted, str):
            gateway.metrics.error("client_limit")
            log.warning("smtp.client_limit", peer=_ip_text(ip), limit=admitted)
            if admitted == "stranger sessions":
                self._close("421 4.7.0 Too many connections, try again later")
            else:
                self._close("421 4.7.0 Too many connections from your address, try again later")
            return
        self._admitted = admitted
        if len(handler.sessions) > self._settings.smtp.max_sessions:
            # Too many clients at once: say so and hang up before the greeting is read.
            self._close("421 4.7.0 Too many connections, try again later")

    def connection_lost(self, error: Exception | None) -> None:
        """Forget the session and give its per-client counts back."""
        self._client_gone = True
        handler = self.gateway_handler
        if self in handler.sessions:
            handler.sessions.discard(self)
            handler.gateway.metrics.sessions(-1)
        if self._admitted is not None:
            handler.doorman.leave(self._admitted)
            self._admitted = None
        if self._session_timer is not None:
            self._session_timer.cancel()
        super().connection_lost(error)

    def eof_received(self) -> bool | None:
        """The client hung up; a message still being processed must not be committed."""
        self._client_gone = True
        result: bool | None = super().eof_received()
        return result

    def data_received(self, data: bytes) -> None:
        """Note a command in progress; during DATA, progress re-arms the pause limit."""
        if self._data_phase == "reading":
            now = self.loop.time()
            if now - self._data_rearmed >= 1.0:
                self._reset_timeout(self._settings.smtp.command_timeout)
                self._data_rearmed = now
        elif self._data_phase is None:
            self._busy = True
        super().data_received(data)

    def client_present(self) -> bool:
        """Whether the client is still connected and waiting for our answer."""
        return (
            not self._client_gone and self.transport is not None and not self.transport.is_closing()
        )

    def _reset_timeout(self, duration: float | None = None) -> None:
        """See aiosmtpd; the timer is moved only when the new deadline comes sooner.

        aiosmtpd cancels its timer and starts another on every command and reply (a handle and
        a heap entry each time, several per message); here a later deadline is only noted, and
        a timer that fires before it starts itself again for the rest.
        """
        deadline = self.loop.time() + (duration or self._timeout_duration)
        self._timeout_at = deadline
        handle = self._timeout_handle
        if handle is not None and not handle.cancelled() and handle.when() <= deadline:
            return
        if handle is not None:
            handle.cancel()
        self._timeout_handle = self.loop.call_at(deadline, self._timeout_due)

    def _timeout_due(self) -> None:
        if self.loop.time() < self._timeout_at:
            self._timeout_handle = self.loop.call_at(self._timeout_at, self._timeout_due)
            return
        self._timeout_cb()

    def _timeout_cb(self) -> None:
        # aiosmtpd just drops the line (no hook); say why first (RFC 5321 4.5.3.2).
        log.info("smtp.timeout", peer=_peer(self.session), data=self._data_phase)
        self._close("421 4.4.2 Timeout waiting for the client, closing connection")

    def _session_expired(self) -> None:
        log.info("smtp.session_timeout", peer=_peer(self.session))
        self._close("421 4.4.2 Session time limit exceeded, closing connection")

    def _close(self, reply: str | None = None) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if reply is not None and isinstance(self.transport, asyncio.WriteTransport):
            self.transport.write(reply.encode("ascii") + b"\r\n")
        self.transport.close()

    def drain(self) -> None:
        """Stop taking new transactions: idle sessions close now, busy ones after their reply."""
        self._draining = True
        if not self._busy and not self._has_envelope():
            self._close("421 4.3.2 Service shutting down, try again later")

    def _has_envelope(self) -> bool:
        return self.envelope is not None and self.envelope.mail_from is not None

    def may_relay(self) -> bool:
        """Trusted network or authenticated: such clients are not cut off after a few errors."""
        return self._trusted or bool(self.session is not None and self.session.authenticated)

    def longest_line(self) -> int | None:
        """An upper bound on the length of the last DATA's lines (no CRLF), None if unknown."""
        n = self._measured[0]
        return n if n >= 0 else None

    def processing(self) -> None:
        """The message is read: wait for our answer as long as processing and a commit may take."""
        self._data_phase = "processing"
        s = self._settings
        self._reset_timeout(s.smtp.processing_timeout + s.delivery.command_timeout + 30)

    # -- replies ------------------------------------------------------------------------
    async def push(self, status: Any) -> None:
        """Write a reply, with an enhanced status code where aiosmtpd left it out.

        After a command's final reply, a session with too many errors or a draining one closes.
        """
        if isinstance(status, bytes):
            status = status.decode("utf-8", "replace")
        if status == _TOO_MUCH_DATA:
            status = f"552 5.3.4 Message exceeds the size limit of {self.data_size_limit} bytes"
        elif status == _DATA_LINE_TOO_LONG:
            status = too_long_reply(self._settings.smtp.max_line_length)
        if not self._greeted:
            self._greeted = True
            await super().push(status)  # the greeting carries no enhanced code (RFC 2034)
            return
        if self._plain_replies and status[3:4] == "-":
            # EHLO's lines go out in one write with its last line, not one system call each.
            self._held.append(status)
            return
        line = status if self._plain_replies else enhance(status)
        if self._held:
            line = "\r\n".join([*self._held, line])
            self._held.clear()
        await super().push(line)
        if status[:3] in ("334", "354") or status[3:4] == "-":
            if status[:3] == "354":
                self._data_phase = "reading"
                self._data_rearmed = self.loop.time()
                self._reset_timeout(self._settings.smtp.command_timeout)
            return
        if self._data_phase is not None:
            self._data_phase = None
            self._reset_timeout()  # the idle limit again
        self._busy = False
        if status[:1] == "5" and not self._in_auth and not self.may_relay():
            self._errors += 1  # failed logins have their own limit
            if self._errors >= self._settings.limits.max_errors:
                log.warning("smtp.too_many_errors", peer=_peer(self.session), errors=self._errors)
                await super().push("421 4.7.0 Too many errors, closing connection")
                self._close()
                return
        if self._draining and not self._has_envelope():
            await super().push("421 4.3.2 Service shutting down, try again later")
            self._close()

    @contextmanager
    def _without_enhanced_codes(self) -> Iterator[None]:
        """Replies pushed inside the block go out as they are (RFC 2034: EHLO and HELO)."""
        self._plain_replies = True
        try:
            yield
        finally:
            self._plain_replies = False
            self._held.clear()  # a reply that never got its last line is not sent in part

    # -- commands -----------------------------------------------------------------------
    @syntax("EHLO hostname")
    async def smtp_EHLO(self, hostname: str) -> None:
        """See aiosmtpd; EHLO's replies carry no enhanced status codes (RFC 2034)."""
        with self._without_enhanced_codes():
            await super().smtp_EHLO(hostname)

    @syntax("HELO hostname")
    async def smtp_HELO(self, hostname: str) -> None:
        """See aiosmtpd; HELO's reply carries no enhanced status code (RFC 2034)."""
        with self._without_enhanced_codes():
            await super().smtp_HELO(hostname)

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA, reading the message in chunks rather than line by line."""
        if await self.check_helo_needed():
            return
        if await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        reader = self._reader
        # The stream limit (one line) also sets when asyncio pauses the socket: at twice it, so
        # every message over 2 KB paused reading on arrival and resumed it on the first read.
        # During DATA the buffer may hold more; read_data checks the lines itself.
        line_limit: int = reader._limit  # type: ignore[attr-defined]
        reader._limit = max(line_limit, DATA_BUFFER_BYTES)  # type: ignore[attr-defined]
        try:
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            content = await read_data(
                reader, self.data_size_limit, self.line_length_limit, self._measured
            )
        except asyncio.CancelledError:
            log.info("smtp.lost_during_data", peer=_peer(self.session))
            self._writer.close()
            raise
        finally:
            reader._limit = line_limit  # type: ignore[attr-defined]
        if isinstance(content, str):
            await self.push(content)  # aiosmtpd's words; push gives them our codes
            self._set_post_data_state()
            return
        self.envelope.content = content
        self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)

    @syntax("AUTH <mechanism>")
    async def smtp_AUTH(self, arg: str) -> None:
        """AUTH only where credentials are configured; guessing is slowed, capped and logged.

        aiosmtpd runs the exchange and hands the credentials to `_note_credentials`; the
        password check itself runs in a thread (`LoginGuard.check`), so slow hashes never
        stall other sessions.
        """
        self._in_auth = True
        try:
            await self._auth(arg)
        finally:
            self._in_auth = False

    async def _auth(self, arg: str) -> None:
        handler = self.gateway_handler
        store = handler.gateway.authenticator
        if store is None:
            await self.push("502 5.5.1 AUTH not available")
            return
        guard, limits = handler.logins, self._settings.limits
        key = self._admitted.key if self._admitted is not None else "unknown"
        if guard.locked(key):
            log.warning("auth.locked_out", peer=_peer(self.session))
            await self.push("454 4.7.0 Too many failed logins from your address, try later")
            self._close()
            return
        self._pending_auth = None
        await super().smtp_AUTH(arg)
        pending, self._pending_auth = self._pending_auth, None
        if pending is None:
            return
        mechanism, creds = pending
        assert self.session is not None
        user = creds.login.decode("utf-8", "replace")
        try:
            ok = await guard.check(store, user, creds.password.decode("utf-8", "replace"), limits)
        except AuthBusy:
            await self.push("454 4.7.0 Temporary authentication failure, try again later")
            return
        if ok:
            self.session.authenticated = True
            self.session.auth_data = creds
            self.session.login_data = creds.login
            log.info("auth.ok", peer=_peer(self.session), user=loggable_user(user))
            await self.push("235 2.7.0 Authentication successful")
            return
        self._auth_failures += 1
        recent = guard.failed(key, limits)
        # peer comes first in the line, so a user name can never pose as it (fail2ban reads it)
        log.warning(
            "auth.failed",
            peer=_peer(self.session),
            user=loggable_user(user),
            mechanism=mechanism,
            session_failures=self._auth_failures,
            address_failures=recent,
        )
        handler.gateway.metrics.error("auth_failed")
        await guard.hold(recent, limits)
        if guard.enough(key, self._auth_failures, limits):
            await self.push("421 4.7.0 Too many failed logins, closing connection")
            self._close()
            return
        await self.push("535 5.7.8 Authentication credentials invalid")

    @staticmethod
    def _note_credentials(
        server: SMTP, session: Session, envelope: SmtpEnvelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        # aiosmtpd's authenticator runs synchronously, on the event loop: note the credentials
        # and let smtp_AUTH check them in a thread and answer ("handled": aiosmtpd says nothing).
        if (
            isinstance(server, GatewaySMTP)
            and isinstance(auth_data, LoginPassword)
            and mechanism in ("PLAIN", "LOGIN")
        ):
            server._pending_auth = (mechanism, auth_data)
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False)


def _peer(session: Session | None) -> str:
    """The client's address for logs and records (IPv4-mapped IPv6 shown as IPv4)."""
    if session is None or not session.peer:
        return ""
    ip = client_ip(session.peer)
    if ip is not None:
        return str(ip)
    peer = session.peer
    return str(peer[0]) if isinstance(peer, tuple) else str(peer)


def _ip_text(ip: object) -> str:
    return "" if ip is None else str(ip)


class GatewayHandler:
    """aiosmtpd handler hooks: each asks the Gateway and turns its answer into a reply.

    It outlives reloads (the Gateway is swapped under it), so the per-client counters and the
    password-check threads live here.
    """

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.sessions: set[GatewaySMTP] = set()
        self.background: set[asyncio.Future[Any]] = set()
        self.doorman = Doorman()
        self.logins = LoginGuard(gateway.settings.limits.auth_threads)
        # False while a session sets up (see `__dir__`); the tables it takes instead.
        self.listing = True
        self._session_tables: (
            tuple[dict[str, Callable[..., Any]], str | None, dict[str, _AuthMechAttr]] | None
        ) = None

    def close(self) -> None:
        """Stop the password-check threads."""
        self.logins.close()

    def __dir__(self) -> list[str]:
        """The hook and AUTH mechanism methods only (aiosmtpd lists them on every connection),
        none while a session sets up (it takes `session_tables` instead)."""
        return _protocol_names(type(self)) if getattr(self, "listing", True) else []

    def session_tables(
        self,
    ) -> tuple[dict[str, Callable[..., Any]], str | None, dict[str, _AuthMechAttr]]:
        """aiosmtpd's per-session tables of this handler, made once by aiosmtpd's own rules
        (`SMTP.__init__`): the `handle_*` hooks by name, which `handle_EHLO` form it has
        ("new": five parameters), and its `auth_*` mechanisms. Sessions share them (aiosmtpd
        only reads them)."""
        tables = self._session_tables
        if tables is None:
            names = _protocol_names(type(self))
            hooks = {
                n.replace("handle_", ""): getattr(self, n) for n in names if n.startswith("handle_")
            }
            ehlo = hooks.get("EHLO")
            version = None
            if ehlo is not None:
                version = {4: "old", 5: "new"}[len(inspect.signature(ehlo).parameters)]
            mechanisms = {
                getattr(getattr(self, n), "__auth_mechanism_name__", None)
                or n.replace("auth_", "").replace("__", "-"): _AuthMechAttr(getattr(self, n), False)
                for n in names
                if n.startswith("auth_")
            }
            tables = self._session_tables = (hooks, version, mechanisms)
        return tables

    async def handle_EHLO(
        self,
        server: GatewaySMTP,
        session: Session,
        envelope: SmtpEnvelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        """Advertise PIPELINING and ENHANCEDSTATUSCODES; hide AUTH where it is off."""
        session.host_name = hostname
        out = [r for r in responses if r != "250 HELP"]
        if self.gateway.authenticator is None:
            out = [r for r in out if not r.startswith("250-AUTH")]
        return [*out, "250-PIPELINING", "250-ENHANCEDSTATUSCODES", "250 HELP"]

    async def handle_MAIL(
        self,
        server: GatewaySMTP,
        session: Session,
        envelope: SmtpEnvelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        """Refuse anyone who may not relay, and senders the next hop could not be sent."""
        refusal = self.gateway.access_refusal(session.peer, bool(session.authenticated))
        if refusal is not None:
            self.gateway.metrics.error("relay_denied")
            log.warning("smtp.relay_denied", peer=_peer(session))
            return str(refusal)
        problem = self.gateway.sender_problem(address, bool(envelope.smtp_utf8))
        if problem is not None:
            return str(problem)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self,
        server: GatewaySMTP,
        session: Session,
        envelope: SmtpEnvelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Answer with the Gateway's verdict on the recipient (the next hop's own, if asked)."""
        refusal = self.gateway.access_refusal(session.peer, bool(session.authenticated))
        if refusal is not None:
            return str(refusal)
        mail_from = envelope.mail_from or ""
        accepted = len(envelope.rcpt_tos)
        options = [o.upper() for o in envelope.mail_options]
        reply = self.gateway.recipient_reply_now(
            mail_from, address, accepted=accepted, mail_options=options
        )
        if reply is None:
            check = self.gateway.check_recipient(
                mail_from, address, accepted=accepted, mail_options=options
            )
            # A client that hangs up cancels us; the probe finishes anyway, so the pool stays
            # sound.
            reply = await asyncio.shield(asyncio.ensure_future(check))
        if reply.ok:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        return str(reply)

    async def handle_RSET(
        self, server: GatewaySMTP, session: Session, envelope: SmtpEnvelope
    ) -> str:
        """See aiosmtpd; nothing is open at the next hop between commands."""
        return "250 2.0.0 OK"

    async def handle_DATA(
        self, server: GatewaySMTP, session: Session, envelope: SmtpEnvelope
    ) -> str:
        """Run the message through the Gateway; 250 only after the next hop accepted it.

        The Gateway runs it as a task of its own, so a client that hangs up cannot interrupt a
        delivery half-way; the session's `CommitGate` keeps the final dot from going to the next
        hop once the client is gone or the processing deadline has passed.
        """
        raw = envelope.original_content or b""
        assert isinstance(raw, bytes)
        smtp = self.gateway.settings.smtp
        problem, raw = content_problem(
            raw, smtp.max_line_length, smtp.bare_newlines, server.longest_line()
        )
        if problem is not None:
            return problem
        server.processing()
        options = [o.upper() for o in envelope.mail_options]
        env = Envelope(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            peer=_peer(session),
            helo=session.host_name,
            authenticated_as=_login(session),
            tls=session.ssl is not None,
            smtputf8="SMTPUTF8" in options,
            body_8bit="BODY=8BITMIME" in options,
        )
        limit = smtp.processing_timeout
        gate = CommitGate(server.client_present, time.monotonic() + limit)
        task = asyncio.ensure_future(self.gateway.process(env, raw, gate))
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        try:
            verdict = await asyncio.wait_for(asyncio.shield(task), limit)
        except TimeoutError:
            if gate.close("processing took too long"):
                self.gateway.metrics.error("processing_timeout")
                log.error("smtp.processing_timeout", peer=_peer(session), seconds=limit)
                return f"451 4.3.0 Processing took too long, try again later (ref {new_ref_id()})"
            verdict = await asyncio.shield(task)  # the commit has begun: wait for its answer
        return str(verdict.reply)

    async def handle_exception(self, error: Exception) -> str:
        """Never answer 500 with internals: log the type only and ask the client to retry."""
        self.gateway.metrics.error("smtp_exception")
        log.error("smtp.exception", error_type=type(error).__name__, exc_info=error)
        return f"451 4.3.0 Temporary failure, try again later (ref {new_ref_id()})"


# aiosmtpd counts handle_EHLO's parameters with inspect.signature on every new connection (to
# tell its old 4-argument hook from the 5-argument one); a signature stored on the function is
# returned as it is, a third of the cost of working it out each time.
GatewayHandler.handle_EHLO.__signature__ = inspect.signature(  # type: ignore[attr-defined]
    GatewayHandler.handle_EHLO
)

_PROTOCOL_NAMES: dict[str, list[str]] = {}


_SESSION_TABLES: dict[type, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {}


def _session_tables(cls: type) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(command, method name) and (AUTH mechanism, method name) pairs of a protocol class, by
    aiosmtpd's own rules (`SMTP.__init__`): `smtp_NAME` answers NAME; `auth_NAME` offers the
    mechanism its `__auth_mechanism_name__` names, else NAME with `__` read as `-`."""
    tables = _SESSION_TABLES.get(cls)
    if tables is None:
        names = _protocol_names(cls)
        commands = [(n.replace("smtp_", ""), n) for n in names if n.startswith("smtp_")]
        mechanisms = [
            (
                getattr(getattr(cls, n), "__auth_mechanism_name__", None)
                or n.replace("auth_", "").replace("__", "-"),
                n,
            )
            for n in names
            if n.startswith("auth_")
        ]
        tables = _SESSION_TABLES[cls] = (commands, mechanisms)
    return tables


def _protocol_names(cls: type) -> list[str]:
    """The names aiosmtpd looks for on a class: smtp_* commands, auth_* mechanisms, handle_* hooks."""
    key = f"{cls.__module__}.{cls.__qualname__}"
    names = _PROTOCOL_NAMES.get(key)
    if names is None:
        names = [name for name in dir(cls) if name.startswith(("smtp_", "auth_", "handle_"))]
        _PROTOCOL_NAMES[key] = names
    return list(names)


async def read_data(
    reader: asyncio.StreamReader,
    size_limit: int | None,
    line_limit: int,
    measured: list[int] | None = None,
) -> bytes | str:
    """Read DATA up to CRLF.CRLF; the content unstuffed, or aiosmtpd's refusal.

    `reader`'s stream limit bounds each chunk, so memory stays bounded; past `size_limit` the
    rest is read and dropped, and the answer is 552 once the client has finished (RFC 5321
    4.2.5), as aiosmtpd does. A line counts with its CRLF and a stuffed dot, as in aiosmtpd.
    `measured[0]`, if given, is set to the longest line without its CRLF (before unstuffing,
    so no unstuffed line is longer), or -1 when the content was not measured.
    """
    if measured is not None:
        measured[0] = -1
    chunks: list[bytes] = []
    total = 0
    too_much = False
    tail = b"\r\n"  # the last bytes read: DATA's own line end at first
    while True:
        # Reading up to CRLF.CRLF takes a message in a few chunks (the stream limit bounds
        # each), where reading up to ".CRLF" stopped at every line ending with a dot. The end
        # can straddle two reads, so when what was read ends with its start, the rest of it is
        # read on its own first.
        k = _end_started(tail)
        try:
            if k:
                chunk = await reader.readexactly(len(_END_OF_DATA) - k)
                ends = chunk == _END_OF_DATA[k:]
            else:
                chunk = await reader.readuntil(_END_OF_DATA)
                ends = True
        except asyncio.LimitOverrunError as exc:
            chunk = await reader.readexactly(exc.consumed)
            ends = False
        total += len(chunk)
        # The last three bytes read are the ".CRLF" of the end, not content.
        if size_limit and total - 3 > size_limit:
            too_much = True
            chunks.clear()
        elif chunk:
            chunks.append(chunk)
        if ends:
            break
        tail = (tail + chunk)[-4:]
    if too_much:
        return _TOO_MUCH_DATA
    data = b"".join(chunks)[:-3]
    longest, longest_text = _line_lengths(data)
    if longest > line_limit:
        return _DATA_LINE_TOO_LONG
    if measured is not None:
        measured[0] = longest_text
    if data.startswith(b"."):
        data = data[1:]
    return data.replace(b"\r\n.", b"\r\n")


def _end_started(tail: bytes) -> int:
    """How many bytes of CRLF.CRLF `tail` ends with (the longest such start), or 0."""
    for k in (4, 3, 2, 1):
        if tail.endswith(_END_OF_DATA[:k]):
            return k
    return 0


def _line_lengths(data: bytes) -> tuple[int, int]:
    """The longest line's length with its CRLF, and the longest line's text alone."""
    lengths = list(map(len, data.split(b"\r\n")))
    return max(max(lengths[:-1], default=-2) + 2, lengths[-1]), max(lengths)


def _login(session: Session) -> str | None:
    data = session.auth_data
    if isinstance(data, AuthResult):
        data = data.auth_data
    login = getattr(data, "login", None)
    if isinstance(login, bytes):
        return login.decode("utf-8", "replace")
    return login if isinstance(login, str) else None


def protocol_factory(
    handler: GatewayHandler, loop: asyncio.AbstractEventLoop
) -> Callable[[], GatewaySMTP]:
    """Builds one GatewaySMTP per connection, from the settings in force at that moment."""

    def factory() -> GatewaySMTP:
        current = handler.gateway
        s = current.settings.smtp
        return GatewaySMTP(
            handler,
            data_size_limit=s.max_message_size,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=s.hostname,
            ident="phigate ESMTP",
            tls_context=current.tls_context,
            require_starttls=s.require_starttls,
            timeout=s.idle_timeout,
            auth_require_tls=True,
            loop=loop,
        )

    return factory
