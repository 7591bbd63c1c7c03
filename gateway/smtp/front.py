"""The SMTP front: a thin adapter from aiosmtpd to the pipeline.

`GatewaySMTP` hardens aiosmtpd's protocol (strict end-of-data, limits, enhanced status codes,
no internals in error replies, session time limit, draining). `GatewayHandler` turns SMTP
events into pipeline calls and a Verdict into a reply; it holds no business logic.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import structlog
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, Session, syntax
from aiosmtpd.smtp import Envelope as SmtpEnvelope

from gateway.delivery.relay import CommitGate, commit_gate
from gateway.model import Envelope, new_ref_id
from gateway.smtp.auth import (
    AuthThrottle,
    ClientLimiter,
    CredentialStore,
    client_ip,
    client_key,
    in_networks,
    loggable_user,
)

if TYPE_CHECKING:
    from gateway.app import Gateway

log = structlog.get_logger("phigate.smtp")

T = TypeVar("T")

# A plain dot-atom address in angle brackets (no quoting, comments or route), e.g. <a.b@c.example>.
_SIMPLE_ANGLE_ADDR = re.compile(
    r"^\s*<([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)>(.*)$",
    re.S,
)
_HAS_ENHANCED = re.compile(r"^\d{3}[ -][245]\.\d{1,3}\.\d{1,3}(\s|$)")
_STATUS_LINE = re.compile(r"^(\d{3})([ -])(.*)$", re.S)

# Default enhanced status codes (RFC 3463) for replies aiosmtpd writes without one.
_BY_CODE = {
    "211": "2.0.0",
    "214": "2.0.0",
    "220": "2.0.0",
    "221": "2.0.0",
    "235": "2.7.0",
    "250": "2.0.0",
    "251": "2.1.5",
    "252": "2.5.0",
    "421": "4.4.2",
    "450": "4.2.0",
    "451": "4.3.0",
    "452": "4.3.1",
    "454": "4.7.0",
    "500": "5.5.2",
    "501": "5.5.4",
    "502": "5.5.1",
    "503": "5.5.1",
    "504": "5.5.4",
    "530": "5.7.0",
    "534": "5.7.9",
    "535": "5.7.8",
    "538": "5.7.11",
    "550": "5.0.0",
    "552": "5.3.4",
    "553": "5.1.3",
    "554": "5.0.0",
    "555": "5.5.4",
}
_BY_COMMAND = {("250", "MAIL"): "2.1.0", ("250", "RCPT"): "2.1.5"}
# Replies that carry no enhanced code: the greeting, HELO/EHLO, AUTH challenges, DATA's go-ahead.
_RAW_COMMANDS = {"GREETING", "EHLO", "HELO"}

# aiosmtpd's stock texts that deserve a clearer answer.
_REWRITE = {
    "552 Error: Too much mail data": "552 5.3.4 Message too big",
    "530 Must issue a STARTTLS command first": "530 5.7.0 Must issue a STARTTLS command first",
    "554 Command refused due to lack of security": "554 5.7.0 Command refused: TLS handshake failed",
    "500 Command line too long": "500 5.5.6 Command line too long",
}


def enhance(line: str, command: str | None) -> str:
    """Give a reply line an enhanced status code if it lacks one (RFC 2034)."""
    if line in _REWRITE:
        return _REWRITE[line]
    if command in _RAW_COMMANDS or _HAS_ENHANCED.match(line):
        return line
    m = _STATUS_LINE.match(line)
    if not m:
        return line
    code, sep, text = m.groups()
    if code in ("334", "354"):
        return line
    status = _BY_COMMAND.get((code, command or "")) or _BY_CODE.get(code)
    if status is None:
        status = f"{code[0]}.0.0"
    return f"{code}{sep}{status} {text}".rstrip()


class GatewaySMTP(SMTP):
    """aiosmtpd's SMTP protocol with phigate's limits and safety rules."""

    def __init__(self, handler: GatewayHandler, **kwargs: Any) -> None:
        settings = handler.gateway.settings.smtp
        # The stream limit bounds one line: the text, CRLF and a stuffed dot.
        self.line_length_limit = settings.max_line_length + 3
        self._command: str | None = "GREETING"
        self._draining = False
        self._in_transaction = False
        self._client_gone = False
        self._limit_key: str | None = None  # set once admitted by the client limiter
        self._stranger = False
        self._trusted = False
        self._errors = 0
        self._auth_failures = 0
        self._pending_auth: tuple[str, LoginPassword] | None = None
        self.gateway_handler = handler
        super().__init__(handler, **kwargs)
        for name, method in list(self._smtp_methods.items()):
            self._smtp_methods[name] = self._tracked(name, method)
        self._session_timer: asyncio.TimerHandle | None = None

    def _tracked(
        self, name: str, method: Callable[[str | None], Awaitable[None]]
    ) -> Callable[[str | None], Awaitable[None]]:
        async def run(arg: str | None) -> None:
            self._command = name
            try:
                await method(arg)
            finally:
                self._command = None
            if self._errors >= self.gateway_handler.gateway.settings.limits.max_errors:
                log.warning("smtp.too_many_errors", peer=_peer(self.session), errors=self._errors)
                await self.push("421 4.7.0 Too many errors, closing connection")
                self._close()
                return
            if self._draining and not self._in_transaction and not self._has_envelope():
                await self.push("421 4.3.2 Service shutting down, try again later")
                self._close()

        return run

    # -- connection lifecycle -------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Register the session, apply the per-client limits and start its time limits."""
        first = self.transport is None
        super().connection_made(transport)
        if not first:
            return
        handler = self.gateway_handler
        gateway = handler.gateway
        handler.sessions.add(self)
        gateway.metrics.sessions(+1)
        self._session_timer = self.loop.call_later(
            gateway.settings.smtp.session_timeout, self._session_expired
        )
        ip = client_ip(transport.get_extra_info("peername"))
        self._trusted = in_networks(ip, gateway.networks)
        limits = gateway.settings.limits
        key = client_key(ip)
        refusal = handler.limiter.admit(
            key,
            max_sessions=(
                limits.trusted_sessions_per_client if self._trusted else limits.sessions_per_client
            ),
            per_minute=(
                limits.trusted_connections_per_minute
                if self._trusted
                else limits.connections_per_minute
            ),
        )
        if refusal is not None:
            gateway.metrics.error("client_limit")
            log.warning("smtp.client_limit", peer=_ip_text(ip), limit=refusal)
            self._close("421 4.7.0 Too many connections from your address, try again later")
            return
        self._limit_key = key
        if not self._trusted:
            if handler.strangers >= limits.stranger_sessions:
                gateway.metrics.error("client_limit")
                log.warning("smtp.client_limit", peer=_ip_text(ip), limit="stranger sessions")
                self._close("421 4.7.0 Too many connections, try again later")
                return
            handler.strangers += 1
            self._stranger = True
        if len(handler.sessions) > gateway.settings.smtp.max_sessions:
            # Too many clients at once: say so and hang up before the greeting is read.
            self._close("421 4.7.0 Too many connections, try again later")

    def connection_lost(self, error: Exception | None) -> None:
        """Forget the session and give its per-client counts back."""
        self._client_gone = True
        handler = self.gateway_handler
        if self in handler.sessions:
            handler.sessions.discard(self)
            handler.gateway.metrics.sessions(-1)
        if self._limit_key is not None:
            handler.limiter.release(self._limit_key)
            self._limit_key = None
        if self._stranger:
            handler.strangers -= 1
            self._stranger = False
        if self._session_timer is not None:
            self._session_timer.cancel()
        super().connection_lost(error)

    def eof_received(self) -> bool | None:
        """The client hung up; a message still being processed must not be committed."""
        self._client_gone = True
        result: bool | None = super().eof_received()
        return result

    def client_present(self) -> bool:
        """Whether the client is still connected and waiting for our answer."""
        return (
            not self._client_gone and self.transport is not None and not self.transport.is_closing()
        )

    def _timeout_cb(self) -> None:
        # aiosmtpd just drops the line; say why first (RFC 5321 4.5.3.2).
        log.info("smtp.timeout", peer=_peer(self.session), command=self._command)
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
        if not self._in_transaction and not self._has_envelope() and self._command is None:
            self._close("421 4.3.2 Service shutting down, try again later")

    def _has_envelope(self) -> bool:
        return self.envelope is not None and self.envelope.mail_from is not None

    def may_relay(self) -> bool:
        """Trusted network or authenticated: such clients are not cut off after a few errors."""
        return self._trusted or bool(self.session is not None and self.session.authenticated)

    # -- replies ------------------------------------------------------------------------
    async def push(self, status: Any) -> None:
        """Write a reply, adding an enhanced status code where aiosmtpd left it out."""
        if isinstance(status, bytes):
            status = status.decode("utf-8", "replace")
        await super().push(enhance(status, self._command))
        if self._command == "GREETING":
            self._command = None
        elif status[:1] == "5" and self._command != "AUTH" and not self.may_relay():
            self._errors += 1  # failed logins have their own limit

    async def handle_exception(self, error: Exception) -> str:
        """Never answer 500 with internals: log it and ask the client to retry."""
        return await self.gateway_handler.handle_exception(error)

    # -- commands -----------------------------------------------------------------------
    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """A fast path for the everyday `<local@domain>`; anything else goes to aiosmtpd's parser.

        aiosmtpd's parser builds a class on every call and runs the full RFC 5322 grammar,
        which costs more than the rest of the command.
        """
        m = _SIMPLE_ANGLE_ADDR.match(arg)
        if m is not None:
            addr = m.group(1)
            if self.local_part_limit and len(addr.rpartition("@")[0]) > self.local_part_limit:
                return None, None
            return addr, m.group(2).lstrip()
        result: tuple[str | None, str | None] = super()._getaddr(arg)
        return result

    async def smtp_AUTH(self, arg: str) -> None:
        """AUTH only where credentials are configured; guessing is slowed, capped and logged.

        aiosmtpd parses the exchange; the password check itself runs in a thread
        (`GatewayHandler.check_password`), so slow hashes never stall other sessions.
        """
        handler = self.gateway_handler
        store = handler.gateway.authenticator
        if store is None:
            await self.push("502 5.5.1 AUTH not available")
            return
        key = self._limit_key or "unknown"
        if handler.auth_throttle.locked(key):
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
            ok = await handler.check_password(
                store, user, creds.password.decode("utf-8", "replace")
            )
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
        limits = handler.gateway.settings.limits
        self._auth_failures += 1
        recent = handler.auth_throttle.failed(
            key,
            window=limits.auth_window,
            lockout_after=limits.auth_failures_before_lockout,
            lockout=limits.auth_lockout,
        )
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
        delay = handler.auth_throttle.delay(
            recent,
            after=limits.auth_failures_before_delay,
            base=limits.auth_base_delay,
            cap=limits.auth_max_delay,
        )
        if delay:
            await asyncio.sleep(delay)
        if self._auth_failures >= limits.auth_failures_per_session or handler.auth_throttle.locked(
            key
        ):
            await self.push("421 4.7.0 Too many failed logins, closing connection")
            self._close()
            return
        await self.push("535 5.7.8 Authentication credentials invalid")

    def _authenticate(self, mechanism: str, auth_data: Any) -> AuthResult:
        # aiosmtpd calls this synchronously, on the event loop; note the credentials and let
        # smtp_AUTH check them in a thread and answer ("handled": aiosmtpd says nothing).
        if isinstance(auth_data, LoginPassword) and mechanism in ("PLAIN", "LOGIN"):
            self._pending_auth = (mechanism, auth_data)
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False)

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        """Read the message strictly: only CRLF.CRLF ends it; limits and line endings enforced."""
        if await self.check_helo_needed():
            return
        if await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 5.5.1 Error: need RCPT command")
            return
        if arg:
            await self.push("501 5.5.4 Syntax: DATA")
            return
        all_settings = self.gateway_handler.gateway.settings
        settings = all_settings.smtp
        self._in_transaction = True
        try:
            self._reset_timeout(settings.command_timeout)
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            problem = await self._read_data(
                settings.max_message_size, settings.max_line_length, settings.command_timeout
            )
            if problem is not None:
                self._set_post_data_state()
                await self.push(problem)
                return
            # While we work the client waits; handle_DATA answers within processing_timeout,
            # or after the next hop's answer to a commit that began before it.
            self._reset_timeout(
                settings.processing_timeout + all_settings.delivery.command_timeout + 30
            )
            status = await self._call_handler_hook("DATA")
            self._set_post_data_state()
            await self.push(status)
            self._reset_timeout()
        finally:
            self._in_transaction = False

    async def _read_data(self, size_limit: int, line_limit: int, pause_limit: float) -> str | None:
        chunks: list[bytes] = []
        total = 0
        too_big = too_long = bare = nul = False
        fragments: list[bytes] = []
        armed = self.loop.time()
        while self.transport is not None:
            try:
                line = await self._reader.readuntil(b"\r\n")
            except asyncio.LimitOverrunError as exc:
                too_long = True
                line = await self._reader.read(exc.consumed)
            now = self.loop.time()
            if now - armed >= 1.0:
                # the timeout bounds a pause in the transfer, not the whole transfer
                self._reset_timeout(pause_limit)
                armed = now
            if not fragments and line == b".\r\n":
                break
            total += len(line)
            if total > size_limit:
                too_big = True
            fragments.append(line)
            if not line.endswith(b"\r\n"):
                continue
            whole = b"".join(fragments) if len(fragments) > 1 else fragments[0]
            fragments.clear()
            body = whole[:-2]
            if b"\n" in body or b"\r" in body:
                bare = True
            if b"\x00" in body:
                nul = True
            if len(body) > line_limit + (1 if body.startswith(b".") else 0):
                too_long = True
            if too_big or too_long:
                chunks.clear()
                continue
            chunks.append(whole[1:] if whole.startswith(b".") else whole)
        else:
            raise ConnectionResetError("connection lost during DATA")
        if too_big:
            return f"552 5.3.4 Message exceeds the size limit of {size_limit} bytes"
        if too_long:
            return (
                f"554 5.6.0 A line is longer than {line_limit} octets (RFC 5322 2.1.1);"
                " encode the message with quoted-printable or base64"
            )
        if nul:
            return "554 5.6.0 Message contains NUL bytes; they are not allowed in mail"
        raw = b"".join(chunks)
        if bare:
            if self.gateway_handler.gateway.settings.smtp.bare_newlines == "reject":
                return "554 5.6.0 Message contains a bare CR or LF; lines must end with CRLF (RFC 5321 2.3.8)"
            raw = re.sub(rb"\r\n|\r|\n", b"\r\n", raw)
        assert self.envelope is not None
        self.envelope.content = raw
        self.envelope.original_content = raw
        return None


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


class AuthBusy(Exception):
    """Too many password checks are waiting already."""


class GatewayHandler:
    """aiosmtpd handler hooks: access control, recipient checks, and the pipeline for DATA.

    It outlives reloads (the Gateway is swapped under it), so the per-client counters and the
    password-check threads live here.
    """

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.sessions: set[GatewaySMTP] = set()
        self.background: set[asyncio.Future[Any]] = set()
        self.limiter = ClientLimiter()
        self.auth_throttle = AuthThrottle()
        self.strangers = 0
        limits = gateway.settings.limits
        self._auth_pool = ThreadPoolExecutor(
            max_workers=limits.auth_threads, thread_name_prefix="phigate-auth"
        )
        self._auth_waiting = 0

    async def check_password(self, store: CredentialStore, user: str, password: str) -> bool:
        """Check a password in a thread; raise AuthBusy when too many checks wait already."""
        if self._auth_waiting >= self.gateway.settings.limits.auth_queue:
            raise AuthBusy()
        self._auth_waiting += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._auth_pool, store.check, user, password)
        finally:
            self._auth_waiting -= 1

    def close(self) -> None:
        """Stop the password-check threads."""
        self._auth_pool.shutdown(wait=False, cancel_futures=True)

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
        """Refuse anyone who may not relay, and addresses the next hop could not be sent."""
        refusal = self._access_refusal(session)
        if refusal is not None:
            self.gateway.metrics.error("relay_denied")
            log.warning("smtp.relay_denied", peer=_peer(session))
            return refusal
        if address:
            problem = _address_problem(address, bool(envelope.smtp_utf8), "5.1.7", "sender")
            if problem is not None:
                return problem
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
        """Ask the next hop about the recipient now, so each gets the next hop's own answer."""
        refusal = self._access_refusal(session)
        if refusal is not None:
            return refusal
        if address.lower() != "postmaster":
            problem = _address_problem(address, bool(envelope.smtp_utf8), "5.1.3", "recipient")
            if problem is not None:
                return problem
        if len(envelope.rcpt_tos) >= self.gateway.settings.smtp.max_recipients:
            return "452 4.5.3 Too many recipients; send the rest in another transaction"
        options = [o.upper() for o in envelope.mail_options]
        reply = await _shielded(
            self.gateway.relay.probe(
                envelope.mail_from or "",
                address,
                size=_size_option(envelope.mail_options),
                smtputf8="SMTPUTF8" in options,
                body_8bit="BODY=8BITMIME" in options,
                tls=self.gateway.settings.delivery.tls,
            )
        )
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
        """Run the pipeline and answer with its verdict; 250 only after the next hop accepted.

        The pipeline runs as its own task, so a client that hangs up cannot interrupt a
        delivery half-way; its `CommitGate` keeps the final dot from going to the next hop once
        the client is gone or the processing deadline has passed.
        """
        raw = envelope.original_content or b""
        assert isinstance(raw, bytes)
        env = Envelope(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            peer=_peer(session),
            helo=session.host_name,
            authenticated_as=_login(session),
            tls=session.ssl is not None,
            smtputf8="SMTPUTF8" in (o.upper() for o in envelope.mail_options),
            body_8bit="BODY=8BITMIME" in (o.upper() for o in envelope.mail_options),
        )
        limit = self.gateway.settings.smtp.processing_timeout
        gate = CommitGate(server.client_present, time.monotonic() + limit)
        token = commit_gate.set(gate)
        try:
            task = asyncio.ensure_future(self.gateway.process(env, raw, None))
        finally:
            commit_gate.reset(token)
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
        """Log the surprise with its type only, and ask the client to try again later."""
        self.gateway.metrics.error("smtp_exception")
        log.error("smtp.exception", error_type=type(error).__name__, exc_info=error)
        return f"451 4.3.0 Temporary failure, try again later (ref {new_ref_id()})"

    def _access_refusal(self, session: Session) -> str | None:
        if session.authenticated:
            return None
        if in_networks(client_ip(session.peer), self.gateway.networks):
            return None
        if self.gateway.authenticator is not None:
            return "530 5.7.0 Authentication required"
        return "554 5.7.1 Relay access denied"


_ADDRESS = re.compile(r"^[^\s<>()\[\]\\,;:\x00-\x1f\x7f]+@[^\s<>()\[\]\\,;:@\x00-\x1f\x7f]+$")


def _plausible_address(address: str) -> bool:
    """A mailbox the next hop can be asked about: local@domain, no spaces or controls."""
    return len(address) <= 320 and _ADDRESS.match(address) is not None


def _address_problem(address: str, smtputf8: bool, status: str, role: str) -> str | None:
    """Why an address cannot go on as given, as a reply; None if it can.

    Non-ASCII needs SMTPUTF8 (RFC 6531 3.5: 553 5.6.7); bytes that were not UTF-8 reach us as
    surrogates and are a syntax error, like any other address the next hop cannot be sent.
    """
    try:
        address.encode("utf-8")
    except UnicodeEncodeError:
        return f"501 {status} Bad {role} address syntax (not UTF-8)"
    if not address.isascii() and not smtputf8:
        return f"553 5.6.7 A non-ASCII {role} address needs SMTPUTF8"
    if not _plausible_address(address):
        return f"501 {status} Bad {role} address syntax"
    return None


def _login(session: Session) -> str | None:
    data = session.auth_data
    if isinstance(data, AuthResult):
        data = data.auth_data
    login = getattr(data, "login", None)
    if isinstance(login, bytes):
        return login.decode("utf-8", "replace")
    return login if isinstance(login, str) else None


def _size_option(options: list[str]) -> int:
    for opt in options:
        if opt.upper().startswith("SIZE="):
            value = opt[5:]
            if value.isdigit():
                return int(value)
    return 0


async def _shielded(coro: Awaitable[T]) -> T:
    """Let a started delivery finish even if the client hangs up, so the pool stays sound."""
    task = asyncio.ensure_future(coro)
    return await asyncio.shield(task)


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
            authenticator=current.authenticator,
            auth_require_tls=True,
            loop=loop,
        )

    return factory
