"""Loopback fixtures: a programmable next-hop sink and an in-process gateway."""

from __future__ import annotations

import asyncio
import atexit
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as AioSMTP
from aiosmtpd.smtp import Envelope, Session

from gateway.app import Gateway
from gateway.config import Settings, load_settings
from gateway.ops.metrics import Metrics
from gateway.smtp.front import GatewayHandler, protocol_factory
from gateway.yamlconf import deep_merge
from tests.support import POLICIES
from tests.support.ports import free_port  # noqa: F401


@dataclass
class Received:
    """One message as the sink got it."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    at: float


@dataclass
class SinkHandler:
    """A next hop whose answers the test can program per recipient and for DATA."""

    messages: list[Received] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_reply: str | None = None
    data_delay: float = 0.0
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self,
        server: AioSMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        reply = self.rcpt_replies.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: AioSMTP, session: Session, envelope: Envelope) -> str:
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        if self.data_reply is not None:
            return self.data_reply
        content = envelope.original_content or b""
        assert isinstance(content, bytes)
        with self.lock:
            self.messages.append(
                Received(
                    envelope.mail_from or "", list(envelope.rcpt_tos), content, time.monotonic()
                )
            )
        return "250 2.0.0 Ok: queued"


class CountingSMTP(AioSMTP):
    """Counts connections so tests can see the pool reuse them."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.transport is None:
            handler = self.event_handler
            with handler.lock:
                handler.connections += 1
        super().connection_made(transport)


class SinkController(Controller):
    """The capturing next hop on loopback."""

    def factory(self) -> AioSMTP:
        return CountingSMTP(self.handler, **self.SMTP_kwargs)


@contextmanager
def running_sink(port: int | None = None) -> Iterator[tuple[SinkHandler, int, SinkController]]:
    """Start a sink and stop it afterwards."""
    handler = SinkHandler()
    port = port or free_port()
    ctl = SinkController(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    ctl.start()
    try:
        yield handler, port, ctl
    finally:
        ctl.stop()


class GatewayThread:
    """The real gateway (Gateway + GatewaySMTP on a socket) in a thread with its own loop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.gateway: Gateway | None = None
        self.handler: GatewayHandler | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.AbstractServer | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._start())
        except BaseException as exc:  # noqa: BLE001 - re-raised by start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        self.gateway = Gateway(self.settings, metrics=Metrics())
        handler = GatewayHandler(self.gateway)
        self.handler = handler
        loop = self.loop

        factory = protocol_factory(handler, loop)

        host, _, port = self.settings.listen.rpartition(":")
        self._server = await loop.create_server(factory, host=host, port=int(port))

    def start(self) -> GatewayThread:
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def call(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            if self.handler is not None:
                for s in list(self.handler.sessions):
                    s._close()
                if self.handler.background:
                    await asyncio.wait(self.handler.background, timeout=5)
                await self.handler.gateway.close()
                self.handler.gateway.close_audit()

        try:
            self.call(shutdown())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)


def short_tempdir() -> str:
    """A short-named temporary folder (for GNUPGHOME), removed when the test run ends."""
    path = tempfile.mkdtemp(prefix="pg", dir="/tmp")
    atexit.register(shutil.rmtree, path, True)
    return path


def make_settings(tmp: Path, next_hop_port: int, **overrides: Any) -> Settings:
    """Settings for a test gateway: its own port, audit files in tmp, no metrics port."""
    base: dict[str, Any] = {
        "listen": f"127.0.0.1:{free_port()}",
        "next_hop": f"127.0.0.1:{next_hop_port}",
        "audit": {"url": f"sqlite:///{tmp}/audit.db", "key_file": str(tmp / "audit.key")},
        "quarantine": {
            "url": f"sqlite:///{tmp}/quarantine.db",
            "master_key_file": str(tmp / "quarantine.key"),
        },
        "smime": {"store_dir": str(tmp / "certs")},
        "patients": {"url": f"sqlite:///{tmp}/patients.db", "key_file": str(tmp / "roster.key")},
        "portal": {
            "store_url": f"sqlite:///{tmp}/portal.db",
            "master_key_file": str(tmp / "portal.key"),
        },
        # gpg's agent socket lives in GNUPGHOME, which must stay short
        "pgp": {"home": short_tempdir()},
        "notices": {"postmaster": "postmaster@practice.example"},
        # The SMTP and relay tests are about the protocol; policy tests choose their own policy.
        "policy_file": str(POLICIES / "deliver-only.yaml"),
        "metrics": {"listen": None},
        "delivery": {"connect_timeout": 3, "command_timeout": 10},
    }

    return load_settings(None, deep_merge(base, overrides))


@contextmanager
def running_gateway(settings: Settings) -> Iterator[GatewayThread]:
    """Start a gateway thread and stop it afterwards."""
    gw = GatewayThread(settings).start()
    try:
        yield gw
    finally:
        gw.stop()


def gateway_port(settings: Settings) -> int:
    """The port a test gateway listens on."""
    return int(settings.listen.rpartition(":")[2])


def port_of(gw: GatewayThread) -> int:
    """The gateway's listening port."""
    return gateway_port(gw.settings)


class Client:
    """A raw SMTP client that shows every reply line exactly as sent."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.sock = socket.create_connection((host, port), timeout=20)
        self.file = self.sock.makefile("rb")

    def reply(self) -> list[str]:
        lines = []
        while True:
            line = self.file.readline()
            if not line:
                raise ConnectionError("server closed the connection")
            text = line.decode("utf-8").rstrip("\r\n")
            lines.append(text)
            if len(text) < 4 or text[3] != "-":
                return lines

    def cmd(self, line: str | bytes) -> list[str]:
        data = line if isinstance(line, bytes) else line.encode("utf-8")
        self.sock.sendall(data + b"\r\n")
        return self.reply()

    def greet(self, name: str = "client.example") -> list[str]:
        """Read the banner, say EHLO as `name` and return the EHLO reply."""
        self.reply()
        return self.cmd(f"EHLO {name}")

    def start_data(
        self, mail_from: str = "a@practice.example", rcpt: str = "b@partner.example"
    ) -> None:
        """Send MAIL, RCPT and DATA, each of which must be accepted."""
        assert self.cmd(f"MAIL FROM:<{mail_from}>")[0].startswith("250")
        assert self.cmd(f"RCPT TO:<{rcpt}>")[0].startswith("250")
        assert self.cmd("DATA")[0].startswith("354")

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
