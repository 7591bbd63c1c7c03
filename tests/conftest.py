"""Shared fixtures: a capturing next hop and a real gateway, both on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.gateway import (
    GatewayThread,
    SinkHandler,
    gateway_port,
    make_settings,
    running_gateway,
    running_sink,
)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def sink() -> Iterator[tuple[SinkHandler, int]]:
    """A capturing next hop on a free loopback port."""
    with running_sink() as (handler, port, _ctl):
        yield handler, port


@pytest.fixture
def gateway(tmp_path: Path, sink: tuple[SinkHandler, int]) -> Iterator[GatewayThread]:
    """A gateway relaying to the sink, with default settings."""
    settings = make_settings(tmp_path, sink[1])
    with running_gateway(settings) as gw:
        yield gw


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

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


@pytest.fixture
def client_for():
    """Open raw SMTP clients to a port; all are closed at the end."""
    opened: list[Client] = []

    def open_client(port: int) -> Client:
        c = Client(port)
        opened.append(c)
        return c

    yield open_client
    for c in opened:
        c.close()


def port_of(gw: GatewayThread) -> int:
    """The gateway's listening port."""
    return gateway_port(gw.settings)
