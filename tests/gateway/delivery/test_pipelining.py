"""Delivery to a next hop that offers PIPELINING: MAIL, RCPT and DATA in one write (RFC 2920),
with every answer the command-by-command delivery gives."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme

from tests.support.gateway import make_settings, port_of, running_gateway

OK = 250
TRY_LATER = 451
NO_SUCH_USER = 550
SENDER = "desk@practice.example"
MESSAGE = (
    b"From: desk@practice.example\r\nTo: a@partner.example\r\nSubject: Hours\r\n"
    b"Message-ID: <pipe-%d@practice.example>\r\n\r\nClosed Friday.\r\n"
)


@dataclass
class Script:
    """What the next hop answers and what it saw: replies to come, per command, and the
    command verbs that arrived together in each read."""

    pipelining: bool
    tls: ssl.SSLContext | None = None
    tls_sessions: int = 0
    mail_replies: deque[str] = field(default_factory=deque)
    rcpt_replies: dict[str, deque[str]] = field(default_factory=dict)
    reads: list[list[str]] = field(default_factory=list)
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    connections: int = 0
    dropped_in_data: int = 0
    # Replies to DATA to follow with an unsolicited extra line (a next hop out of step).
    extra_after_data: int = 0


class ScriptedHop(asyncio.Protocol):
    """A small SMTP next hop that answers as its Script says and records each read."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.buf = bytearray()
        self.in_data = False
        self.mail_from: str | None = None
        self.rcpts: list[str] = []
        self.transport: asyncio.Transport | None = None
        self.secured = False
        # Between our 220 to STARTTLS and start_tls handing back the TLS transport, what the
        # client sends (its EHLO) waits here, so no reply goes out on the plain transport.
        self.upgrading = False
        self.held = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.script.connections += 1
        transport.write(b"220 hop.test ESMTP\r\n")

    def connection_lost(self, exc: Exception | None) -> None:
        if self.in_data:
            self.script.dropped_in_data += 1

    def data_received(self, data: bytes) -> None:
        if self.upgrading:
            self.held += data
            return
        self.buf += data
        verbs: list[str] = []
        while True:
            if self.in_data:
                end = self.buf.find(b"\r\n.\r\n")
                if end < 0:
                    break
                content = bytes(self.buf[: end + 2])
                del self.buf[: end + 5]
                self.in_data = False
                assert self.mail_from is not None
                self.script.messages.append((self.mail_from, self.rcpts, content))
                self.mail_from, self.rcpts = None, []
                self.reply("250 2.0.0 Ok: queued")
                continue
            end = self.buf.find(b"\r\n")
            if end < 0:
                break
            line = bytes(self.buf[:end]).decode()
            del self.buf[: end + 2]
            verbs.append(line[:4].upper())
            self.command(line)
        if verbs:
            self.script.reads.append(verbs)

    def command(self, line: str) -> None:
        verb, arg = line[:4].upper(), line[5:]
        if verb == "EHLO":
            extensions = ["250-hop.test", "250-8BITMIME", "250-SMTPUTF8"]
            if self.script.pipelining:
                extensions.append("250-PIPELINING")
            if self.script.tls is not None and not self.secured:
                extensions.append("250-STARTTLS")
            self.reply("\r\n".join([*extensions, "250 SIZE 10000000"]))
        elif verb == "MAIL":
            answer = self.script.mail_replies.popleft() if self.script.mail_replies else "250 Ok"
            if answer.startswith("250"):
                self.mail_from, self.rcpts = arg.split(">")[0].removeprefix("FROM:<"), []
            self.reply(answer)
        elif verb == "RCPT":
            address = arg.split(">")[0].removeprefix("TO:<")
            queued = self.script.rcpt_replies.get(address)
            answer = queued.popleft() if queued else "250 2.1.5 Ok"
            if self.mail_from is None:
                answer = "503 5.5.1 MAIL first"
            elif answer.startswith("250"):
                self.rcpts.append(address)
            self.reply(answer)
        elif verb == "DATA":
            if self.mail_from is None or not self.rcpts:
                self.reply("554 5.5.1 No valid recipients")
            else:
                self.in_data = True
                go_ahead = "354 End data with <CR><LF>.<CR><LF>"
                if self.script.extra_after_data:
                    # in the same write as the 354: written apart, the extra reply could reach
                    # the client after it had read the 354 and sent the content (a flaky test)
                    self.script.extra_after_data -= 1
                    go_ahead += "\r\n250 2.0.0 an answer nobody asked for"
                self.reply(go_ahead)
        elif line.upper() == "STARTTLS" and self.script.tls is not None:
            self.upgrading = True
            self.reply("220 2.0.0 Ready to start TLS")
            asyncio.get_running_loop().create_task(self.secure(self.script.tls))
        elif verb == "RSET":
            self.mail_from, self.rcpts = None, []
            self.reply("250 Ok")
        elif verb == "QUIT":
            self.reply("221 Bye")
            assert self.transport is not None
            self.transport.close()
        else:
            self.reply("250 Ok")

    async def secure(self, context: ssl.SSLContext) -> None:
        """Take the TLS handshake the client starts after our 220."""
        assert self.transport is not None
        upgraded = await asyncio.get_running_loop().start_tls(
            self.transport, self, context, server_side=True
        )
        assert isinstance(upgraded, asyncio.Transport)
        self.transport, self.secured, self.upgrading = upgraded, True, False
        self.script.tls_sessions += 1
        held, self.held = self.held, b""
        if held:
            self.data_received(held)

    def reply(self, text: str) -> None:
        assert self.transport is not None
        self.transport.write(text.encode() + b"\r\n")


@contextmanager
def scripted_hop(
    pipelining: bool, tls: ssl.SSLContext | None = None
) -> Iterator[tuple[Script, int]]:
    """A ScriptedHop on a free loopback port, served from its own thread."""
    script = Script(pipelining=pipelining, tls=tls)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: list[asyncio.Server] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(
            loop.create_server(lambda: ScriptedHop(script), "127.0.0.1", 0)
        )
        holder.append(server)
        started.set()
        loop.run_forever()
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield script, holder[0].sockets[0].getsockname()[1]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def send(port: int, rcpts: list[str], n: int = 0) -> tuple[dict[str, int], int, bytes]:
    """One message to the gateway; the refused recipients, DATA's code and text."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo()
        s.mail(SENDER)
        refused = {}
        for r in rcpts:
            code, _ = s.rcpt(r)
            if code != OK:
                refused[r] = code
        if len(refused) == len(rcpts):
            return refused, 0, b""
        code, text = s.data(MESSAGE % n)
        return refused, code, text


def dropped(script: Script) -> int:
    """How many transactions the next hop saw cut off in DATA, once the close has reached it
    (its thread may see the close after the gateway has answered)."""
    deadline = time.monotonic() + 10
    while script.dropped_in_data == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    return script.dropped_in_data


def batched(script: Script) -> list[list[str]]:
    """The reads that carried more than one command."""
    return [verbs for verbs in script.reads if len(verbs) > 1]


def test_mail_rcpt_and_data_go_out_in_one_write(tmp_path: Path) -> None:
    """To a next hop offering PIPELINING, MAIL, both RCPTs and DATA arrive in one read, and the
    message is delivered with a 250 to the client only after the next hop's 250."""
    with scripted_hop(pipelining=True) as (script, port):
        with running_gateway(make_settings(tmp_path, port)) as gw:
            refused, code, text = send(port_of(gw), ["a@partner.example", "b@partner.example"])
    assert (refused, code) == ({}, OK)
    assert b"ref PG-" in text
    assert ["MAIL", "RCPT", "RCPT", "DATA"] in batched(script)
    assert [(m[0], m[1]) for m in script.messages] == [
        (SENDER, ["a@partner.example", "b@partner.example"])
    ]
    assert script.messages[0][2] == MESSAGE % 0


def test_a_next_hop_without_pipelining_gets_one_command_at_a_time(tmp_path: Path) -> None:
    """Without PIPELINING in its EHLO reply, every read the next hop sees holds one command."""
    with scripted_hop(pipelining=False) as (script, port):
        with running_gateway(make_settings(tmp_path, port)) as gw:
            _, code, _ = send(port_of(gw), ["a@partner.example"])
    assert code == OK
    assert batched(script) == []
    assert len(script.messages) == 1


@pytest.mark.parametrize(
    ("refusal", "expected"),
    [("550 5.1.1 No such user here", NO_SUCH_USER), ("450 4.2.1 Mailbox busy", TRY_LATER)],
)
def test_a_recipient_refused_in_the_batch_fails_the_message_and_sends_nothing(
    tmp_path: Path, refusal: str, expected: int
) -> None:
    """A recipient the next hop accepted when probed but refuses in the pipelined batch (its
    DATA already answered 354 for the other one) gets the next hop's 5xx, or 451 for a 4xx;
    no content or dot leaves, the transaction is dropped by closing, and the next message
    goes through."""
    with scripted_hop(pipelining=True) as (script, port):
        script.rcpt_replies["b@partner.example"] = deque(["250 2.1.5 Ok", refusal])
        with running_gateway(make_settings(tmp_path, port)) as gw:
            _, code, text = send(port_of(gw), ["a@partner.example", "b@partner.example"])
            assert (code, script.messages, dropped(script)) == (expected, [], 1)
            assert b"ref PG-" in text
            _, code, _ = send(port_of(gw), ["a@partner.example"], 1)
    assert code == OK
    assert [m[1] for m in script.messages] == [["a@partner.example"]]


def test_a_4xx_to_mail_in_the_batch_gives_451_and_keeps_the_connection(tmp_path: Path) -> None:
    """MAIL refused with a 4xx in the batch (the RCPT and DATA behind it refused as out of
    sequence) answers 451 and delivers nothing; the connection stays in step for the next."""
    with scripted_hop(pipelining=True) as (script, port):
        # the first MAIL is the recipient probe's, the second the delivery's
        script.mail_replies.extend(["250 Ok", "452 4.3.1 Insufficient system storage"])
        with running_gateway(make_settings(tmp_path, port)) as gw:
            _, code, text = send(port_of(gw), ["a@partner.example"])
            assert (code, script.messages) == (TRY_LATER, [])
            assert text.startswith(b"4.3.1")
            _, code, _ = send(port_of(gw), ["a@partner.example"], 1)
    assert code == OK
    assert len(script.messages) == 1
    assert script.connections == 1


def test_pipelining_over_starttls(tmp_path: Path) -> None:
    """With TLS required to the next hop, the batch goes out after STARTTLS, on the TLS
    session, and the message is delivered."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with scripted_hop(pipelining=True, tls=context) as (script, port):
        settings = make_settings(tmp_path, port, delivery={"tls": "require"})
        with running_gateway(settings) as gw:
            refused, code, _ = send(port_of(gw), ["a@partner.example"])
    assert (refused, code) == ({}, OK)
    assert script.tls_sessions == 1
    assert ["MAIL", "RCPT", "DATA"] in batched(script)
    assert len(script.messages) == 1


def test_a_next_hop_out_of_step_gets_no_content(tmp_path: Path) -> None:
    """A reply beyond those the batch asked for means the next hop is out of step: 451, the
    connection closed without the content or the dot, and the next message goes out on a new
    connection."""
    with scripted_hop(pipelining=True) as (script, port):
        script.extra_after_data = 1
        with running_gateway(make_settings(tmp_path, port)) as gw:
            _, code, _ = send(port_of(gw), ["a@partner.example"])
            assert (code, script.messages, dropped(script)) == (TRY_LATER, [], 1)
            _, code, _ = send(port_of(gw), ["a@partner.example"], 1)
    assert code == OK
    assert len(script.messages) == 1
    assert script.connections == 2
