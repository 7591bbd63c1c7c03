"""Availability: one address, or clients that may not relay, can never take every SMTP slot."""

from __future__ import annotations

import smtplib
import socket
from pathlib import Path

from tests.support.availability import MESSAGE, wait_until
from tests.support.gateway import Client, make_settings, port_of, running_gateway

OK = 250
STRANGER = "127.0.0.1"  # loopback, but left out of access.networks below
PRACTICE = "127.0.0.2"  # the practice's own mail server
ACCESS = {"networks": [f"{PRACTICE}/32"]}


class ClientFrom(Client):
    """A raw SMTP client bound to a chosen loopback source address."""

    def __init__(self, port: int, source: str) -> None:
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout=20, source_address=(source, 0)
        )
        self.file = self.sock.makefile("rb")

    def close(self) -> None:
        self.file.close()
        super().close()


def _greeting(port: int, source: str) -> tuple[ClientFrom, str]:
    c = ClientFrom(port, source)
    try:
        return c, c.reply()[0]
    except ConnectionError:
        return c, ""


def _practice_can_send(port: int) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30, source_address=(PRACTICE, 0)) as s:
        s.ehlo()
        s.mail("desk@practice.example")
        assert s.rcpt("p@partner.example")[0] == OK
        assert s.data(MESSAGE)[0] == OK


def test_idle_sessions_from_one_address_are_capped_and_the_practice_still_gets_in(
    tmp_path: Path, sink
):
    """Past the default per-address session limit a stranger gets 421 4.7.0; the practice relays."""
    settings = make_settings(tmp_path, sink[1], access=ACCESS)
    opened: list[ClientFrom] = []
    with running_gateway(settings) as gw:
        try:
            refused = ""
            for _ in range(50):  # bounded: the default limit is far below this
                c, greeting = _greeting(port_of(gw), STRANGER)
                opened.append(c)
                if not greeting.startswith("220"):
                    refused = greeting
                    break
            assert refused.startswith("421 4.7.0"), "one address may not hold every session"
            assert len(opened) - 1 < 50
            _practice_can_send(port_of(gw))
            for c in opened:
                c.close()
            assert wait_until(lambda: not gw.handler.sessions)
            c, greeting = _greeting(port_of(gw), STRANGER)
            opened.append(c)
            assert greeting.startswith("220"), "closed sessions give their slots back"
        finally:
            for c in opened:
                c.close()
    assert len(sink[0].messages) == 1


def test_a_connection_flood_from_one_address_is_refused(tmp_path: Path, sink):
    """Past the default connection rate a stranger gets 421 4.7.0, even with nothing left open."""
    settings = make_settings(tmp_path, sink[1], access=ACCESS)
    with running_gateway(settings) as gw:
        greetings = []
        for _ in range(200):  # bounded: the default rate limit is far below this
            c, greeting = _greeting(port_of(gw), STRANGER)
            c.cmd("QUIT") if greeting.startswith("220") else None
            c.close()
            greetings.append(greeting)
            if not greeting.startswith("220"):
                break
        assert greetings[-1].startswith("421 4.7.0"), greetings[-1]
        _practice_can_send(port_of(gw))


def test_strangers_together_cannot_take_the_practices_slots(tmp_path: Path, sink):
    """Clients outside access.networks share limits.stranger_sessions; the practice still gets in."""
    settings = make_settings(tmp_path, sink[1], access=ACCESS, limits={"stranger_sessions": 3})
    opened: list[ClientFrom] = []
    with running_gateway(settings) as gw:
        try:
            for source in ("127.0.0.3", "127.0.0.4", "127.0.0.5"):
                c, greeting = _greeting(port_of(gw), source)
                opened.append(c)
                assert greeting.startswith("220")
            c, greeting = _greeting(port_of(gw), "127.0.0.6")
            opened.append(c)
            assert greeting.startswith("421 4.7.0")
            _practice_can_send(port_of(gw))
        finally:
            for c in opened:
                c.close()


def test_a_client_that_may_not_relay_is_disconnected_after_a_few_refusals(tmp_path: Path, sink):
    """Without relay rights or AUTH, the third refused command ends the session with 421 4.7.0."""
    settings = make_settings(tmp_path, sink[1], access=ACCESS)
    with running_gateway(settings) as gw:
        c, greeting = _greeting(port_of(gw), STRANGER)
        try:
            assert greeting.startswith("220")
            c.cmd("EHLO stranger.example")
            for n in range(3):
                assert c.cmd(f"MAIL FROM:<spam{n}@stranger.example>")[0].startswith("554 5.7.1")
            c.sock.settimeout(10)  # the old gateway just waited for more
            assert c.reply()[0].startswith("421 4.7.0")
            assert c.file.readline() == b""
        finally:
            c.close()
    assert sink[0].messages == []
