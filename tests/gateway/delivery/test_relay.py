"""Delivery to the next hop: per-recipient answers, reply mapping, pooling and flapping."""

from __future__ import annotations

import smtplib
from pathlib import Path

import pytest

from tests.support.gateway import free_port, make_settings, port_of, running_gateway, running_sink

OK = 250

MESSAGE = (
    b"From: desk@practice.example\r\nTo: a@partner.example\r\nSubject: Hours\r\n"
    b"Message-ID: <relay-%d@practice.example>\r\n\r\nClosed Friday.\r\n"
)


def _send(port: int, rcpts: list[str], n: int = 0) -> tuple[dict, int, bytes]:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo()
        s.mail("desk@practice.example")
        refused = {}
        for r in rcpts:
            code, text = s.rcpt(r)
            if code != OK:
                refused[r] = (code, text)
        if len(refused) == len(rcpts):
            return refused, 0, b""
        code, text = s.data(MESSAGE % n)
        return refused, code, text


@pytest.mark.parametrize(
    ("next_hop_reply", "expected_code", "expected_status"),
    [
        ("550 5.1.1 No such user here", 550, b"5.1.1"),
        ("553 mailbox name not allowed", 553, b"5.1.0"),
        ("450 4.2.1 Mailbox busy", 450, b"4.2.1"),
        ("452 4.3.1 Insufficient storage", 452, b"4.3.1"),
    ],
)
def test_each_recipient_gets_the_next_hops_own_answer(
    gateway, sink, next_hop_reply, expected_code, expected_status
):
    """A refused recipient gets the next hop's code and status; the others are delivered."""
    handler, _ = sink
    handler.rcpt_replies["gone@partner.example"] = next_hop_reply
    refused, code, _ = _send(port_of(gateway), ["ok@partner.example", "gone@partner.example"])
    assert code == OK
    assert refused["gone@partner.example"][0] == expected_code
    assert refused["gone@partner.example"][1].startswith(expected_status)
    assert [m.rcpt_tos for m in handler.messages] == [["ok@partner.example"]]


@pytest.mark.parametrize(
    ("data_reply", "expected_code", "expected_status"),
    [
        ("451 4.3.0 Queue write error", 451, b"4.3.0"),
        ("452 Insufficient system storage", 451, b"4.3.0"),
        ("554 5.7.1 Message rejected as spam", 554, b"5.7.1"),
        ("552 Message too large", 552, b"5.0.0"),
    ],
)
def test_data_replies_map_4xx_to_451_and_keep_5xx(
    gateway, sink, data_reply, expected_code, expected_status
):
    """A next-hop 4xx after DATA gives 451; a 5xx gives the matching 5xx."""
    handler, _ = sink
    handler.data_reply = data_reply
    _, code, text = _send(port_of(gateway), ["a@partner.example"])
    assert code == expected_code
    assert text.startswith(expected_status)
    assert b"ref PG-" in text


def test_next_hop_down_gives_451_and_nothing_is_accepted(tmp_path: Path):
    """With nothing listening at the next hop, RCPT answers 451 4.4.1."""
    settings = make_settings(tmp_path, free_port())
    with running_gateway(settings) as gw:
        refused, code, _ = _send(port_of(gw), ["a@partner.example"])
    assert refused["a@partner.example"][0] == 451
    assert refused["a@partner.example"][1].startswith(b"4.4.1")
    assert code == 0


def test_next_hop_timeout_gives_451(tmp_path: Path, sink):
    """A next hop that does not answer DATA in time gives 451, never 250."""
    handler, port = sink
    handler.data_delay = 3
    settings = make_settings(tmp_path, port, delivery={"command_timeout": 1})
    with running_gateway(settings) as gw:
        _, code, text = _send(port_of(gw), ["a@partner.example"])
    assert code == 451
    assert text.startswith(b"4.4.2")


def test_connections_to_the_next_hop_are_reused(gateway, sink):
    """Five messages in a row travel over one pooled connection."""
    handler, _ = sink
    before = handler.connections  # aiosmtpd's Controller connects once itself at start-up
    for n in range(5):
        _, code, _ = _send(port_of(gateway), ["a@partner.example"], n)
        assert code == OK
    assert len(handler.messages) == 5
    assert handler.connections - before == 1


def test_no_loss_and_no_duplicates_while_the_next_hop_flaps(tmp_path: Path):
    """Messages refused while the next hop is down are accepted once it is back, exactly once."""
    port = free_port()
    settings = make_settings(tmp_path, port)
    delivered: dict[int, int] = {}
    with running_gateway(settings) as gw:
        pending = list(range(12))
        for round_no in range(4):
            up = round_no % 2 == 1
            if up:
                with running_sink(port) as (handler, _, _ctl):
                    still = []
                    for n in pending:
                        _, code, _ = _send(port_of(gw), ["a@partner.example"], n)
                        if code != OK:
                            still.append(n)
                    for m in handler.messages:
                        tag = int(m.content.split(b"<relay-")[1].split(b"@")[0])
                        delivered[tag] = delivered.get(tag, 0) + 1
                    pending = still
            else:
                for n in pending[:3]:
                    refused, code, _ = _send(port_of(gw), ["a@partner.example"], n)
                    assert code != OK and refused, (
                        "nothing may be accepted while the next hop is down"
                    )
    assert pending == []
    assert delivered == {n: 1 for n in range(12)}


def test_a_stale_pooled_connection_is_replaced(gateway, sink):
    """When the next hop drops an idle pooled connection, the next message still goes through."""
    handler, port = sink
    _, code, _ = _send(port_of(gateway), ["a@partner.example"], 1)
    assert code == OK

    async def kill_idle() -> None:
        for conn in gateway.handler.gateway.pool._idle:
            conn.smtp.transport.close()

    gateway.call(kill_idle())
    _, code, _ = _send(port_of(gateway), ["a@partner.example"], 2)
    assert code == OK
    assert len(handler.messages) == 2


def test_demo_outbox_captures_mail_when_no_next_hop_answers(tmp_path: Path):
    """In demo mode, mail for a dead next hop is written durably to the outbox, then 250."""
    outbox = tmp_path / "outbox"
    settings = make_settings(tmp_path, free_port(), delivery={"outbox": str(outbox)})
    with running_gateway(settings) as gw:
        _, code, text = _send(port_of(gw), ["a@partner.example", "b@partner.example"], 7)
    assert code == OK
    files = list(outbox.glob("*.eml"))
    assert len(files) == 1
    data = files[0].read_bytes()
    assert (MESSAGE % 7) in data
    assert b"X-Phigate-Envelope-To: <b@partner.example>" in data
    ref = text.decode().rsplit("ref ", 1)[1].rstrip(")")
    assert files[0].name == f"{ref}.eml"
