"""Delivery to the next hop: a bounded pool of reused aiosmtplib connections.

Nothing here answers 250 on its own: a message counts as delivered only when the next hop said
so after DATA. Each recipient is probed with the next hop while the client is still in its RCPT
phase (MAIL, RCPT, RSET on a pooled connection that goes straight back), so each gets the next
hop's own verdict; the real transaction opens only after the verdict, so no connection is held
while a message is scanned. To a next hop that offers PIPELINING a single copy's MAIL, RCPTs and
DATA go out in one write (RFC 2920), with the same answers as one by one. The final dot goes out
only if the client is still waiting for our answer (the `CommitGate` the session passes down). Anything uncertain becomes a 4xx, so the sending MTA keeps the message
and retries.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiosmtplib
import structlog
from aiosmtplib.email import quote_address

from gateway.config import TLS_ORDER, DeliverySettings, split_hostport
from gateway.delivery.outbox import Outbox
from gateway.delivery.probes import ProbeCache, ProbeConditions
from gateway.model import Delivery, Outcome, Reply

log = structlog.get_logger("phigate.relay")

_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})\s*")
_UNSAFE = re.compile(r"[^\x20-\x7e]")

Observer = Callable[[str, float], None]
_LINE_ENDINGS = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"(?m)^\.")
# An address that parseaddr would return as it is: no space, quote, comment, list or route
# characters, no angle brackets or controls. Anything else goes through aiosmtplib's quoting.
_PLAIN_ADDRESS = re.compile(r"[^\s\"(),:;<>\[\]\\\x00-\x1f\x7f]*")
# aiosmtplib's limits for one reply line and the characters no command argument may hold.
_MAX_REPLY_LINE = 8192
_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")


class CommitGate:
    """Says, just before the final dot goes to the next hop, whether the client still waits.

    Committing after the client gave up makes a duplicate: the client retries a message the next
    hop already has. So the dot goes out only while the client is connected and before the
    deadline, and once the SMTP side has answered on its own (`close`) it never goes out.
    """

    def __init__(self, client_present: Callable[[], bool], deadline: float) -> None:
        self._client_present = client_present
        self._deadline = deadline
        self._closed: str | None = None
        self.committed = False

    def close(self, reason: str) -> bool:
        """Forbid any later commit; False if a commit has already begun."""
        if self.committed:
            return False
        self._closed = reason
        return True

    def veto(self) -> str | None:
        """Why the final dot must not go out now, or None (and the commit counts as begun)."""
        if self.committed:
            return None  # one copy is out: the message is committed, its other copies follow
        if self._closed is not None:
            return self._closed
        if not self._client_present():
            return "client disconnected"
        if time.monotonic() > self._deadline:
            return "processing deadline passed"
        self.committed = True
        return None


def _clean(text: str, limit: int = 200) -> str:
    return _UNSAFE.sub(" ", text.replace("\r", " ").replace("\n", " ")).strip()[:limit]


def map_reply(code: int, message: str, *, default_status: str, prefix: str = "next hop: ") -> Reply:
    """Turn a next-hop reply into ours, keeping its class and any enhanced status code."""
    text = _clean(message)
    status = ""
    m = _ENHANCED.match(text)
    if m and m.group(1) == str(code)[0]:
        status = f"{m.group(1)}.{m.group(2)}.{m.group(3)}"
        text = text[m.end() :]
    if not status:
        status = f"{str(code)[0]}{default_status[1:]}" if code >= 400 else "2.0.0"
    return Reply(code, status, f"{prefix}{text}" if text else prefix.rstrip(": "))


class NextHopUnavailable(Exception):
    """The next hop could not be reached, or dropped or timed out the connection."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(str(reply))
        self.reply = reply


@dataclass
class Connection:
    """One connected, greeted next-hop session."""

    smtp: aiosmtplib.SMTP
    tls_level: str  # what was achieved: "none", "tls" or "verify"
    created: float = field(default_factory=time.monotonic)
    last_used: float = field(default_factory=time.monotonic)
    uses: int = 0


class _ReplyReader(asyncio.Protocol):
    """Reads a known number of SMTP replies that arrive together (a pipelined batch).

    aiosmtplib's protocol parses one reply per command and drops what arrives while a parsed
    reply waits to be picked up, so it cannot read the replies to commands sent in one write.
    While a batch is out this takes the transport's place (`set_protocol`) and hands it back.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, wanted: int) -> None:
        self._buffer = bytearray()
        self._replies: list[aiosmtplib.SMTPResponse] = []
        self._wanted = wanted
        self._lines: list[bytes] = []
        self._done: asyncio.Future[None] = loop.create_future()
        self._extra = False  # something came after the wanted replies

    def data_received(self, data: bytes) -> None:
        """Split complete lines off and gather them into replies."""
        if self._done.done():
            self._extra = True
            return
        self._buffer.extend(data)
        start = 0
        while (end := self._buffer.find(b"\n", start)) != -1:
            line = bytes(self._buffer[start : end + 1])
            start = end + 1
            if len(line) > _MAX_REPLY_LINE:
                self._fail(aiosmtplib.SMTPResponseException(500, "Response too long"))
                return
            self._lines.append(line)
            if line[3:4] == b"-":
                continue
            try:
                code = int(line[:3])
            except ValueError:
                self._fail(aiosmtplib.SMTPResponseException(500, "Malformed SMTP response"))
                return
            text = b"\n".join(x[4:].strip(b" \t\r\n") for x in self._lines)
            self._lines = []
            self._replies.append(
                aiosmtplib.SMTPResponse(code, text.decode("utf-8", "surrogateescape"))
            )
        del self._buffer[:start]
        if len(self._replies) >= self._wanted:
            self._done.set_result(None)
        elif len(self._buffer) > _MAX_REPLY_LINE:
            self._fail(aiosmtplib.SMTPResponseException(500, "Response too long"))

    def eof_received(self) -> bool:
        self._fail(aiosmtplib.SMTPServerDisconnected("Unexpected EOF received"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(aiosmtplib.SMTPServerDisconnected("Connection lost"))

    def _fail(self, exc: Exception) -> None:
        if not self._done.done():
            self._done.set_exception(exc)
            self._done.exception()  # retrieved: nobody may be waiting any more

    async def replies(self, timeout: float) -> list[aiosmtplib.SMTPResponse]:
        """The replies read so far, once all that were wanted have come; a lost connection,
        a timeout or a malformed reply raises aiosmtplib's error, with what had come in
        `partial` (the caller needs to know whether MAIL was answered)."""
        try:
            await asyncio.wait_for(asyncio.shield(self._done), timeout)
        except TimeoutError:
            raise aiosmtplib.SMTPReadTimeoutError("Timed out waiting for server response") from None
        return self._replies

    @property
    def partial(self) -> list[aiosmtplib.SMTPResponse]:
        """The complete replies read so far."""
        return self._replies

    @property
    def clean(self) -> bool:
        """True when nothing beyond the wanted replies came (the connection is in step)."""
        return (
            not self._extra
            and not self._buffer
            and not self._lines
            and len(self._replies) == self._wanted
        )


async def _pipelined(
    conn: Connection, commands: list[bytes], timeout: float
) -> tuple[list[aiosmtplib.SMTPResponse], bool]:
    """Send `commands` in one write and read their replies in order (RFC 2920).

    Returns the replies and whether the connection is still in step. Raises aiosmtplib's
    SMTPServerDisconnected (or another SMTPException) when the batch could not go out or a
    reply did not come; the replies read before that are on the exception's `partial`.
    """
    smtp_protocol = conn.smtp.protocol
    transport = smtp_protocol.transport if smtp_protocol is not None else None
    if smtp_protocol is None or transport is None or transport.is_closing():
        raise _BatchFailed([], aiosmtplib.SMTPServerDisconnected("connection lost"))
    reader = _ReplyReader(asyncio.get_running_loop(), len(commands))
    transport.set_protocol(reader)
    try:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(b"".join(c + b"\r\n" for c in commands))
        try:
            replies = await reader.replies(timeout)
        except aiosmtplib.SMTPException as exc:
            raise _BatchFailed(list(reader.partial), exc) from None
        return replies, reader.clean
    finally:
        if not transport.is_closing():
            transport.set_protocol(smtp_protocol)


class _BatchFailed(Exception):
    """A pipelined batch lost its connection or a reply; `partial` holds the replies read."""

    def __init__(self, partial: list[aiosmtplib.SMTPResponse], cause: Exception) -> None:
        super().__init__(str(cause))
        self.partial = partial


def client_tls_context(level: str, ca_file: str | None = None) -> ssl.SSLContext:
    """An outbound TLS context: TLS 1.2+, AEAD ciphers; verifying only for level 'verify'."""
    if level == "verify":
        ctx = ssl.create_default_context(cafile=ca_file)
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:!aNULL:!MD5:!DSS")
    return ctx


def tls_satisfies(achieved: str, wanted: str) -> bool:
    """Whether a connection's TLS ("none", "tls" or "verify") meets a delivery's TLS level."""
    if wanted in ("none", "opportunistic"):
        return True
    if wanted == "require":
        return achieved in ("tls", "verify")
    return achieved == "verify"


class NextHopPool:
    """A bounded pool of reusable connections to one next hop."""

    def __init__(
        self,
        next_hop: str,
        settings: DeliverySettings,
        local_hostname: str,
        observe: Observer | None = None,
    ) -> None:
        self.host, self.port = split_hostport(next_hop)
        self.settings = settings
        self.local_hostname = local_hostname
        self._slots = asyncio.Semaphore(settings.pool_size)
        self._idle: list[Connection] = []
        self._observe = observe or (lambda _event, _seconds: None)
        self._closed = False

    async def acquire(self, tls_level: str) -> Connection:
        """Take an idle connection good enough for `tls_level`, or open a new one."""
        try:
            if self._slots.locked():
                await asyncio.wait_for(self._slots.acquire(), self.settings.connect_timeout)
            else:
                # A free slot is taken at once; wait_for would wrap that in a task and a timer.
                await self._slots.acquire()
        except TimeoutError:
            raise NextHopUnavailable(
                Reply(451, "4.4.5", "next hop busy: all connections in use, try again later")
            ) from None
        try:
            now = time.monotonic()
            while self._idle:
                conn = self._idle.pop()
                fresh = now - conn.last_used < self.settings.idle_timeout
                if fresh and conn.smtp.is_connected and tls_satisfies(conn.tls_level, tls_level):
                    return conn
                await self._close(conn)
            return await self._open(tls_level)
        except BaseException:
            self._slots.release()
            raise

    async def release(self, conn: Connection, reusable: bool) -> None:
        """Give a connection back; an unusable one is closed."""
        try:
            conn.uses += 1
            conn.last_used = time.monotonic()
            if (
                reusable
                and not self._closed
                and conn.smtp.is_connected
                and conn.uses < self.settings.max_messages_per_connection
            ):
                self._idle.append(conn)
            else:
                await self._close(conn)
        finally:
            self._slots.release()

    async def discard(self, conn: Connection) -> None:
        """Close a connection whose state is unknown."""
        await self.release(conn, reusable=False)

    async def close(self) -> None:
        """Close every idle connection (QUIT politely)."""
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            await self._close(conn, polite=True)

    async def _open(self, tls_level: str) -> Connection:
        smtp = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            local_hostname=self.local_hostname,
            timeout=self.settings.command_timeout,
            start_tls=False,
        )
        t0 = time.perf_counter()
        try:
            await smtp.connect(timeout=self.settings.connect_timeout)
            await smtp.ehlo()
        except aiosmtplib.SMTPConnectResponseError as exc:
            smtp.close()
            raise NextHopUnavailable(
                map_reply(exc.code if exc.code >= 400 else 451, exc.message, default_status="4.4.1")
                if exc.code < 500
                else Reply(451, "4.4.1", "next hop refused the connection, try again later")
            ) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            smtp.close()
            log.warning(
                "next_hop.unreachable",
                next_hop=f"{self.host}:{self.port}",
                error=type(exc).__name__,
            )
            raise NextHopUnavailable(
                Reply(451, "4.4.1", "next hop not reachable, try again later")
            ) from None
        achieved = "none"
        if tls_level != "none" and smtp.supports_extension("starttls"):
            try:
                await smtp.starttls(
                    tls_context=client_tls_context(
                        tls_level,
                        str(self.settings.tls_ca_file) if self.settings.tls_ca_file else None,
                    ),
                    server_hostname=self.host,
                )
                await smtp.ehlo()
                achieved = "verify" if tls_level == "verify" else "tls"
            except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
                smtp.close()
                if tls_level != "opportunistic":
                    raise NextHopUnavailable(
                        Reply(451, "4.7.5", "TLS to the next hop failed, try again later")
                    ) from None
                log.warning("next_hop.tls_failed_falling_back", error=type(exc).__name__)
                return await self._open("none")
        elif TLS_ORDER[tls_level] >= TLS_ORDER["require"]:
            smtp.close()
            raise NextHopUnavailable(
                Reply(451, "4.7.4", "next hop does not offer the TLS this message requires")
            )
        self._observe("connect", time.perf_counter() - t0)
        return Connection(smtp=smtp, tls_level=achieved)

    async def _close(self, conn: Connection, polite: bool = False) -> None:
        if polite and conn.smtp.is_connected:
            try:
                await asyncio.wait_for(conn.smtp.quit(), 2.0)
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                pass  # it is going away regardless
        conn.smtp.close()


def _quoted(address: str, encoding: str) -> bytes | None:
    """`<address>` for a plain address, as aiosmtplib's quote_address makes it, or None.

    aiosmtplib parses every MAIL and RCPT address with email.utils.parseaddr, a cost the size
    of the rest of a command; an address the envelope already holds plainly needs none of it.
    """
    if _PLAIN_ADDRESS.fullmatch(address) is None:
        return None
    return f"<{address}>".encode(encoding)


async def _mail(conn: Connection, sender: str, opts: list[str], encoding: str) -> None:
    """MAIL FROM, as aiosmtplib's SMTP.mail does it (SMTPSenderRefused on anything but 250)."""
    quoted = _quoted(sender, encoding)
    if quoted is None:
        await conn.smtp.mail(sender, options=opts, encoding=encoding)
        return
    options = [o.encode("ascii") for o in opts]
    response = await conn.smtp.execute_command(b"MAIL", b"FROM:" + quoted, *options)
    if response.code != 250:
        raise aiosmtplib.SMTPSenderRefused(response.code, response.message, sender)


async def _rcpt(conn: Connection, recipient: str, encoding: str) -> aiosmtplib.SMTPResponse:
    """RCPT TO, as aiosmtplib's SMTP.rcpt does it (SMTPRecipientRefused unless 250 or 251)."""
    quoted = _quoted(recipient, encoding)
    if quoted is None:
        return await conn.smtp.rcpt(recipient, encoding=encoding)
    response = await conn.smtp.execute_command(b"RCPT", b"TO:" + quoted)
    if response.code not in (250, 251):
        raise aiosmtplib.SMTPRecipientRefused(response.code, response.message, recipient)
    return response


def _mail_options(
    conn: Connection, size: int, smtputf8: bool, body_8bit: bool
) -> tuple[list[str], str]:
    opts: list[str] = []
    if conn.smtp.supports_extension("size"):
        opts.append(f"SIZE={size}")
    if body_8bit and conn.smtp.supports_extension("8bitmime"):
        opts.append("BODY=8BITMIME")
    encoding = "ascii"
    if smtputf8:
        if not conn.smtp.supports_extension("smtputf8"):
            raise NextHopUnavailable(
                Reply(553, "5.6.7", "the next hop does not support SMTPUTF8 addresses")
            )
        opts.append("SMTPUTF8")
        encoding = "utf-8"
    return opts, encoding


class Transaction:
    """An open MAIL FROM on one pooled connection, taking recipients one by one."""

    def __init__(
        self,
        pool: NextHopPool,
        conn: Connection,
        mail_from: str,
        encoding: str,
        *,
        data_started: bool = False,
    ) -> None:
        self.pool = pool
        self.conn = conn
        self.mail_from = mail_from
        self.encoding = encoding
        self.accepted: list[str] = []
        self.done = False
        # True when DATA went out pipelined and the next hop answered 354: only the content
        # and its dot are left to send.
        self.data_started = data_started

    def fits(self, delivery: Delivery) -> bool:
        """True when a copy can go out on this transaction as it stands."""
        return (
            not self.done
            and delivery.mail_from == self.mail_from
            and sorted(delivery.recipients) == sorted(self.accepted)
            and tls_satisfies(self.conn.tls_level, delivery.tls)
        )

    async def rcpt(self, address: str) -> Reply:
        """Offer one recipient; return the next hop's verdict mapped to our reply."""
        try:
            _check_encodable(address, self.encoding)
            response = await _rcpt(self.conn, address, self.encoding)
        except NextHopUnavailable:
            raise
        except aiosmtplib.SMTPRecipientRefused as exc:
            return map_reply(
                exc.code, exc.message, default_status="4.1.0" if exc.code < 500 else "5.1.0"
            )
        except (aiosmtplib.SMTPException, OSError):
            await self._fail()
            raise NextHopUnavailable(
                Reply(451, "4.4.2", "lost the connection to the next hop, try again later")
            ) from None
        except BaseException:
            await self._fail()  # the connection's state is unknown; never keep its slot
            raise
        self.accepted.append(address)
        return map_reply(response.code, response.message, default_status="2.1.5")

    async def data(self, content: bytes, gate: CommitGate | None = None) -> Reply:
        """Send the content; the reply is the next hop's, mapped; a 4xx or lost link is 451.

        The final dot, which commits the message at the next hop, goes out only if the `gate`
        allows it (no gate: no client waits, as for a quarantine release); otherwise the
        connection is closed without it, which makes the next hop drop the transaction
        (RFC 5321 3.8), and the answer is 451.
        """
        t0 = time.perf_counter()
        smtp = self.conn.smtp
        timeout = self.pool.settings.command_timeout
        try:
            if not self.data_started:
                start = await smtp.execute_command(b"DATA", timeout=timeout)
                if start.code != 354:
                    raise aiosmtplib.SMTPDataError(start.code, start.message)
            protocol = smtp.protocol
            if protocol is None:
                raise aiosmtplib.SMTPServerDisconnected("connection lost")
            # The gate is asked right before the content goes out with its final dot, in one
            # write (nothing awaits in between, so it is the same instant as asking between
            # them, one system call fewer); vetoed, the content never leaves.
            reason = gate.veto() if gate is not None else None
            if reason is not None:
                log.warning("deliver.not_committed", reason=reason)
                await self._fail()
                return Reply(451, "4.3.2", f"not delivered: {reason}, try again later")
            # The reply to the dot must not be dropped as unsolicited by aiosmtplib.
            protocol._response_pending = True
            protocol.write(_for_data(content) + b".\r\n")
            response = await protocol.read_response(timeout=timeout)
            if response.code != 250:
                raise aiosmtplib.SMTPDataError(response.code, response.message)
        except aiosmtplib.SMTPDataError as exc:
            await self._finish(reusable=True)
            if exc.code >= 500:
                return map_reply(exc.code, exc.message, default_status="5.0.0")
            return map_reply(451, exc.message, default_status="4.3.0")
        except (aiosmtplib.SMTPException, OSError):
            # The next hop may or may not have the message: 451 risks a duplicate, never a loss.
            await self._fail()
            return Reply(451, "4.4.2", "next hop connection lost during DATA, try again later")
        except BaseException:
            await self._fail()
            raise
        finally:
            self.pool._observe("data", time.perf_counter() - t0)
        await self._finish(reusable=True)
        return map_reply(response.code, response.message, default_status="2.0.0")

    async def abort(self) -> None:
        """Give up this transaction (RSET) and return the connection."""
        if self.done:
            return
        try:
            await asyncio.wait_for(self.conn.smtp.rset(), 5.0)
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            await self._fail()
            return
        await self._finish(reusable=True)

    async def _finish(self, reusable: bool) -> None:
        if not self.done:
            self.done = True
            await self.pool.release(self.conn, reusable)

    async def _fail(self) -> None:
        await self._finish(reusable=False)


class Relay:
    """Delivers copies to the next hop, or to the demo outbox when the next hop is down."""

    def __init__(
        self, pool: NextHopPool, outbox: Outbox | None = None, probes: ProbeCache | None = None
    ) -> None:
        self.pool = pool
        self.outbox = outbox
        self.probes = probes if probes is not None else ProbeCache(pool.settings.probe_cache_ttl)

    async def begin(
        self,
        mail_from: str,
        *,
        size: int = 0,
        smtputf8: bool = False,
        body_8bit: bool = False,
        tls: str = "opportunistic",
    ) -> Transaction:
        """Open a transaction (MAIL FROM) on a pooled connection; retry once on a stale one."""
        for attempt in (1, 2):
            conn = await self.pool.acquire(tls)
            released = False
            try:
                opts, encoding = _mail_options(conn, size, smtputf8, body_8bit)
                _check_encodable(mail_from, encoding)
                try:
                    await _mail(conn, mail_from, opts, encoding)
                except aiosmtplib.SMTPSenderRefused as exc:
                    released = True
                    await self.pool.release(conn, reusable=True)
                    if exc.code >= 500:
                        raise NextHopUnavailable(
                            map_reply(exc.code, exc.message, default_status="5.1.0")
                        ) from None
                    raise NextHopUnavailable(
                        map_reply(451, exc.message, default_status="4.1.0")
                    ) from None
                except (aiosmtplib.SMTPException, OSError):
                    released = True
                    await self.pool.discard(conn)
                    if attempt == 1 and conn.uses > 0:
                        continue  # an idle connection the next hop had closed: try a fresh one
                    raise NextHopUnavailable(
                        Reply(451, "4.4.2", "lost the connection to the next hop, try again later")
                    ) from None
            except NextHopUnavailable:
                if not released:
                    released = True
                    await self.pool.release(conn, reusable=True)
                raise
            except BaseException:
                # Whatever went wrong, the slot goes back: a leaked slot is lost for good.
                if not released:
                    await self.pool.discard(conn)
                raise
            return Transaction(self.pool, conn, mail_from, encoding)
        raise AssertionError("unreachable")

    def cached_probe(
        self,
        mail_from: str,
        rcpt: str,
        *,
        smtputf8: bool = False,
        body_8bit: bool = False,
        tls: str = "opportunistic",
    ) -> Reply | None:
        """The next hop's answer `probe` would reuse from the cache now, or None (no I/O)."""
        return self.probes.get(mail_from, rcpt, ProbeConditions(tls, smtputf8, body_8bit))

    async def probe(
        self,
        mail_from: str,
        rcpt: str,
        *,
        size: int = 0,
        smtputf8: bool = False,
        body_8bit: bool = False,
        tls: str = "opportunistic",
    ) -> Reply:
        """Ask the next hop about one recipient (MAIL, RCPT, RSET) and give the connection back.

        The answer is the next hop's own; the connection is held for three round trips only,
        never while the client sends its message or while it is scanned. A positive answer the
        next hop gave a moment ago under the same conditions is reused (`ProbeCache`).
        """
        conditions = ProbeConditions(tls, smtputf8, body_8bit)
        cached = self.probes.get(mail_from, rcpt, conditions)
        if cached is not None:
            return cached
        try:
            tx = await self.begin(
                mail_from, size=size, smtputf8=smtputf8, body_8bit=body_8bit, tls=tls
            )
        except NextHopUnavailable as exc:
            if self.outbox is not None and exc.reply.status.startswith("4.4."):
                return Reply(250, "2.1.5", "OK (next hop down: the demo outbox will capture it)")
            return exc.reply
        try:
            reply = await tx.rcpt(rcpt)
        except NextHopUnavailable as exc:
            return exc.reply
        finally:
            await tx.abort()
        self.probes.put(mail_from, rcpt, conditions, reply)
        return reply

    async def deliver(
        self, deliveries: tuple[Delivery, ...], ref_id: str, gate: CommitGate | None = None
    ) -> Outcome:
        """All copies get their recipients accepted before any DATA is sent; see `commit`."""
        if not deliveries:
            return Outcome(reply=Reply(250, "2.0.0", f"Ok: nothing to deliver (ref {ref_id})"))
        opened: list[tuple[Delivery, Transaction]] = []
        try:
            if len(deliveries) == 1:
                tx = await self._pipelined_begin(deliveries[0])
                if tx is not None:
                    return await self.commit([(deliveries[0], tx)], ref_id, gate)
            for d in deliveries:
                tx = await self.begin(
                    d.mail_from,
                    size=len(d.content),
                    tls=d.tls,
                    smtputf8=_needs_utf8(d),
                    body_8bit=_is_8bit(d.content),
                )
                opened.append((d, tx))
                for rcpt in d.recipients:
                    reply = await tx.rcpt(rcpt)
                    if not reply.ok:
                        self.probes.forget(d.mail_from, rcpt)
                        raise NextHopUnavailable(
                            reply if reply.code >= 500 else Reply(451, reply.status, reply.text)
                        )
        except NextHopUnavailable as exc:
            for _, tx in opened:
                await tx.abort()
            if self.outbox is not None and exc.reply.status.startswith("4.4."):
                return await self._to_outbox(deliveries, ref_id, gate)
            return Outcome(reply=_with_ref(exc.reply, ref_id), next_hop_reply=str(exc.reply))
        return await self.commit(opened, ref_id, gate)

    async def _pipelined_begin(self, d: Delivery) -> Transaction | None:
        """MAIL, every RCPT and DATA in one write when the next hop offers PIPELINING (RFC
        2920), the replies read in order; a transaction whose DATA got 354, or None when the
        next hop does not pipeline (the caller then goes command by command).

        The outcomes are those of `begin`, `Transaction.rcpt` and `Transaction.data` one by
        one: a refused MAIL or recipient raises NextHopUnavailable with the same reply, and
        nothing of the content leaves. When the next hop answered DATA with 354 although the
        transaction is refused, the connection is closed without the dot, which drops the
        transaction (RFC 5321 3.8); otherwise an open transaction is RSET and reused.
        """
        for attempt in (1, 2):
            conn = await self.pool.acquire(d.tls)
            if not conn.smtp.supports_extension("pipelining"):
                await self.pool.release(conn, reusable=True)
                return None
            try:
                opts, encoding = _mail_options(
                    conn, len(d.content), _needs_utf8(d), _is_8bit(d.content)
                )
                commands = [
                    b" ".join(
                        [b"MAIL FROM:" + _command_address(d.mail_from, encoding)]
                        + [o.encode("ascii") for o in opts]
                    ),
                    *(b"RCPT TO:" + _command_address(r, encoding) for r in d.recipients),
                    b"DATA",
                ]
            except NextHopUnavailable:
                await self.pool.release(conn, reusable=True)  # nothing was sent
                raise
            except BaseException:
                await self.pool.discard(conn)
                raise
            reused = conn.uses > 0
            try:
                replies, in_step = await _pipelined(
                    conn, commands, self.pool.settings.command_timeout
                )
            except _BatchFailed as exc:
                await self.pool.discard(conn)
                if not exc.partial and attempt == 1 and reused:
                    continue  # an idle connection the next hop had closed: try a fresh one
                raise NextHopUnavailable(
                    Reply(451, "4.4.2", "lost the connection to the next hop, try again later")
                ) from None
            except BaseException:
                await self.pool.discard(conn)  # its state is unknown; never keep its slot
                raise
            n = len(d.recipients)
            # (more replies than commands only when out of step: `in_step` is then False)
            mail, rcpts, data = replies[0], replies[1 : 1 + n], replies[1 + n]
            tx = Transaction(self.pool, conn, d.mail_from, encoding, data_started=True)
            refusal = _mail_refusal(mail) or self._rcpt_refusal(d, rcpts)
            if refusal is None and data.code != 354:
                refusal = _data_refusal(data)
            if refusal is None and in_step:
                tx.accepted.extend(d.recipients)
                return tx
            if data.code == 354 or not in_step:
                await tx._fail()  # in DATA (or out of step): only closing drops it
            elif mail.code == 250:
                await tx.abort()
            else:
                await tx._finish(reusable=True)  # no transaction was opened
            raise NextHopUnavailable(
                refusal
                or Reply(451, "4.4.2", "the next hop's replies were out of step, try again later")
            )
        raise AssertionError("unreachable")

    def _rcpt_refusal(self, d: Delivery, replies: list[aiosmtplib.SMTPResponse]) -> Reply | None:
        """The first refused recipient's reply as `deliver` answers it (451 for a 4xx)."""
        for rcpt, response in zip(d.recipients, replies, strict=True):
            if response.code in (250, 251):
                continue
            self.probes.forget(d.mail_from, rcpt)
            reply = map_reply(
                response.code,
                response.message,
                default_status="4.1.0" if response.code < 500 else "5.1.0",
            )
            return reply if reply.code >= 500 else Reply(451, reply.status, reply.text)
        return None

    async def commit(
        self,
        opened: list[tuple[Delivery, Transaction]],
        ref_id: str,
        gate: CommitGate | None = None,
    ) -> Outcome:
        """Send DATA on every open transaction; 250 only if every copy was accepted.

        The `gate` (the SMTP session's) decides whether the final dot may still go out.
        """
        replies: list[Reply] = []
        for d, tx in opened:
            replies.append(await tx.data(d.content, gate))
        worst = _worst(replies)
        if not worst.ok and any(r.ok for r in replies):
            log.error(
                "deliver.partial",
                ref_id=ref_id,
                accepted=sum(r.ok for r in replies),
                refused=sum(not r.ok for r in replies),
            )
        per_rcpt = {
            rcpt: str(r) for (d, _), r in zip(opened, replies, strict=True) for rcpt in d.recipients
        }
        if worst.ok:
            reply = Reply(250, "2.0.0", f"Ok: delivered (ref {ref_id})")
        else:
            reply = _with_ref(worst, ref_id)
        return Outcome(
            reply=reply, next_hop_reply="; ".join(str(r) for r in replies), per_recipient=per_rcpt
        )

    async def _to_outbox(
        self, deliveries: tuple[Delivery, ...], ref_id: str, gate: CommitGate | None
    ) -> Outcome:
        assert self.outbox is not None
        reason = gate.veto() if gate is not None else None
        if reason is not None:
            log.warning("deliver.not_committed", reason=reason)
            return Outcome(
                reply=_with_ref(Reply(451, "4.3.2", f"not delivered: {reason}"), ref_id),
                next_hop_reply=None,
            )
        paths = [await asyncio.to_thread(self.outbox.store, d, ref_id) for d in deliveries]
        log.info("deliver.outbox", ref_id=ref_id, files=[p.name for p in paths])
        return Outcome(
            reply=Reply(
                250, "2.0.0", f"Ok: next hop down, captured in {self.outbox.path} (ref {ref_id})"
            ),
            next_hop_reply=f"outbox:{','.join(p.name for p in paths)}",
        )


def _worst(replies: list[Reply]) -> Reply:
    # a permanent failure outranks a temporary one, which outranks success
    return max(replies, key=lambda r: (r.code >= 500, r.code >= 400, r.code))


def _with_ref(reply: Reply, ref_id: str) -> Reply:
    return Reply(reply.code, reply.status, f"{reply.text} (ref {ref_id})")


def _check_encodable(address: str, encoding: str) -> None:
    """Refuse an address the next hop cannot be sent as it stands (no exception mid-command)."""
    try:
        address.encode(encoding)
    except UnicodeEncodeError:
        if encoding == "ascii":
            raise NextHopUnavailable(
                Reply(553, "5.6.7", "a non-ASCII address needs SMTPUTF8")
            ) from None
        raise NextHopUnavailable(Reply(501, "5.1.7", "bad address syntax")) from None


def _for_data(content: bytes) -> bytes:
    """The content as DATA carries it: CRLF line endings, a final CRLF, leading dots doubled."""
    # Mail that came in over SMTP already has CRLF only, and most has no line starting with a
    # dot: counting and searching in C is cheaper than a regex pass that copies the content.
    lf = content.count(b"\n")
    body = content
    if lf != content.count(b"\r") or lf != content.count(b"\r\n"):
        body = _LINE_ENDINGS.sub(b"\r\n", content)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    if body.startswith(b".") or b"\n." in body:
        return _LEADING_DOT.sub(b"..", body)
    return body


def _needs_utf8(d: Delivery) -> bool:
    return not (d.mail_from.isascii() and all(r.isascii() for r in d.recipients))


def _is_8bit(content: bytes) -> bool:
    return not content.isascii()


def _command_address(address: str, encoding: str) -> bytes:
    """`<address>` for MAIL or RCPT as aiosmtplib would send it; a 553 or 501 the next hop
    would not be asked about (`_check_encodable`) and no control characters."""
    _check_encodable(address, encoding)
    quoted = _quoted(address, encoding)
    if quoted is None:
        try:
            quoted = quote_address(address).encode(encoding)
        except (ValueError, UnicodeEncodeError):
            raise NextHopUnavailable(Reply(501, "5.1.7", "bad address syntax")) from None
    if _CONTROL.search(quoted):
        raise NextHopUnavailable(Reply(501, "5.1.7", "bad address syntax"))
    return quoted


def _mail_refusal(response: aiosmtplib.SMTPResponse) -> Reply | None:
    """A refused MAIL FROM as `Relay.begin` answers it: a 5xx kept, a 4xx as 451."""
    if response.code == 250:
        return None
    if response.code >= 500:
        return map_reply(response.code, response.message, default_status="5.1.0")
    return map_reply(451, response.message, default_status="4.1.0")


def _data_refusal(response: aiosmtplib.SMTPResponse) -> Reply:
    """DATA refused as `Transaction.data` answers it: a 5xx kept, anything else as 451."""
    if response.code >= 500:
        return map_reply(response.code, response.message, default_status="5.0.0")
    return map_reply(451, response.message, default_status="4.3.0")
