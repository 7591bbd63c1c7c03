"""Client addresses parsed once are the same addresses, asked again in any order."""

from __future__ import annotations

import ipaddress

import pytest

from gateway.smtp.auth import client_ip

CASES = [
    (("192.0.2.7", 25), ipaddress.ip_address("192.0.2.7")),
    (("::ffff:192.0.2.7", 25, 0, 0), ipaddress.ip_address("192.0.2.7")),
    (("fe80::1%eth0", 25, 0, 2), ipaddress.ip_address("fe80::1")),
    (("2001:db8::1", 25, 0, 0), ipaddress.ip_address("2001:db8::1")),
    (("not-an-address", 25), None),
    (("", 25), None),
    ((None, 25), None),
    ("/run/phigate.sock", None),
]


@pytest.mark.parametrize("rounds", [1, 3])
def test_client_ip_answers_the_same_each_time(rounds: int):
    """Repeated and interleaved lookups give each peer its own address (or None)."""
    for _ in range(rounds):
        for peer, expected in CASES:
            assert client_ip(peer) == expected
        for peer, expected in reversed(CASES):
            assert client_ip(peer) == expected
