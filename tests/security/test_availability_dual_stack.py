"""Dual stack: with `listen: "[::]:PORT"`, IPv4 clients (seen as ::ffff:a.b.c.d) are matched
against IPv4 networks, for relaying and for the per-client limits."""

from __future__ import annotations

import ipaddress
import smtplib
import socket
from pathlib import Path

import pytest

from gateway.smtp.auth import client_ip, client_key, in_networks
from tests.support.gateway import free_port
from tests.support.process import PhigateProcess

OK = 250
MESSAGE = b"From: desk@practice.example\r\nSubject: Hours\r\n\r\nClosed Friday.\r\n"


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.parametrize(
    ("peer", "network", "inside"),
    [
        (("::ffff:127.0.0.1", 25, 0, 0), "127.0.0.0/8", True),
        (("::ffff:10.9.1.2", 25, 0, 0), "10.9.0.0/16", True),
        (("::ffff:10.8.1.2", 25, 0, 0), "10.9.0.0/16", False),
        (("::1", 25, 0, 0), "::1/128", True),
        (("::1", 25, 0, 0), "127.0.0.0/8", False),
        (("10.9.1.2", 25), "10.9.0.0/16", True),
        (("fe80::1%eth0", 25, 0, 2), "fe80::/10", True),
    ],
)
def test_an_ipv4_mapped_client_matches_ipv4_networks(peer, network, inside):
    """An IPv4-mapped peer address is matched as the IPv4 address it carries."""
    assert in_networks(client_ip(peer), [ipaddress.ip_network(network)]) is inside


def test_limits_count_an_ipv4_mapped_client_as_its_ipv4_address():
    """The same IPv4 client counts once, whichever socket family it came in on."""
    assert client_key(client_ip(("::ffff:192.0.2.7", 25, 0, 0))) == "192.0.2.7"
    assert client_key(client_ip(("192.0.2.7", 25))) == "192.0.2.7"
    # IPv6 clients are counted by /64, so one host cannot dodge the limit by changing addresses
    assert client_key(client_ip(("2001:db8::1", 25, 0, 0))) == client_key(
        client_ip(("2001:db8::ffff", 25, 0, 0))
    )


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback here")
def test_a_dual_stack_listener_relays_for_ipv4_and_ipv6_loopback(tmp_path: Path, sink):
    """`phigate serve --listen [::]:PORT` relays for 127.0.0.1 and ::1 (the default networks)."""
    port = free_port()
    cfg = tmp_path / "phigate.yaml"
    cfg.write_text(
        f'audit: {{url: "sqlite:///{tmp_path}/audit.db", key_file: "{tmp_path}/audit.key"}}\n'
        "metrics: {listen: null}\n"
    )
    p = PhigateProcess(
        ["--listen", f"[::]:{port}", "--next-hop", f"127.0.0.1:{sink[1]}", "--config", str(cfg)],
        cwd=tmp_path,
    )
    try:
        p.wait_port(port)
        for host in ("127.0.0.1", "::1"):
            with smtplib.SMTP(host, port, timeout=30) as s:
                s.ehlo()
                code, text = s.mail("desk@practice.example")
                assert code == OK, (host, text)
                assert s.rcpt("p@partner.example")[0] == OK
                assert s.data(MESSAGE)[0] == OK
    finally:
        p.stop()
    assert len(sink[0].messages) == 2
