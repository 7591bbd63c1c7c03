"""tests.support.ports: the ports tests give their own servers stay clear of outgoing
connections' source ports and of the other xdist workers."""

from __future__ import annotations

import itertools
import socket
from pathlib import Path

import pytest

from tests.support import ports


def _ephemeral() -> tuple[int, int]:
    lo, hi = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    return int(lo), int(hi)


def test_ports_are_below_the_ephemeral_range_and_never_repeat() -> None:
    """An outgoing connection never gets a source port below ip_local_port_range; and ports
    handed out one after another differ even while nothing binds them."""
    given = [ports.free_port() for _ in range(50)]
    assert len(set(given)) == 50
    low, _ = _ephemeral()
    assert all(10_000 <= p < low for p in given)


def test_a_port_in_use_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = held.getsockname()[1]
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            free = probe.getsockname()[1]
        monkeypatch.setattr(ports, "_walk", [(2, itertools.cycle([taken, free]))])
        assert ports.free_port() == free


def test_xdist_workers_draw_from_slices_that_do_not_overlap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "3")
    slices = []
    for worker in ("gw0", "gw1", "gw2"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        slices.append(set(ports._worker_slice()))
    assert all(len(s) > 1_000 for s in slices)
    assert (
        not (slices[0] & slices[1]) and not (slices[1] & slices[2]) and not (slices[0] & slices[2])
    )
    low, _ = _ephemeral()
    assert max(max(s) for s in slices) < low
