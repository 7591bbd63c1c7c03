"""Loopback ports for servers a test starts itself, safe from the two races of `bind(0)`.

A port found free by binding to port 0 and closing comes from the kernel's ephemeral range. It is
free only at that moment. Before the server binds it, either of two things can take it:
- an outgoing connection of any test, as its source port;
- another xdist worker's server, given the same port.
Both were seen as failures: "address already in use", and a client that reached another test's
sink instead of the gateway it started.

So ports come from below the ephemeral range (`ip_local_port_range`), where no outgoing
connection is given a source port. Each xdist worker walks a slice of its own, in order, so no two
calls in one run hand out the same port until a slice wraps round. A port still in use (a server
of an earlier test, or another program) is skipped.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
from pathlib import Path

LOOPBACK = "127.0.0.1"
# Ports below this are left to system services and to what the tests bind by number.
_FLOOR = 10_000


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


def _worker_slice() -> range:
    """This process's share of the ports between _FLOOR and the ephemeral range."""
    top = max(_ephemeral_start(), _FLOOR + 1_000)
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(name[2:]) if name.startswith("gw") and name[2:].isdigit() else 0
    count = max(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1), index + 1)
    width = (top - _FLOOR) // count
    lo = _FLOOR + index * width
    return range(lo, lo + width)


_ports = threading.Lock()
_walk: list[tuple[int, itertools.cycle[int]]] = []


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port on ``host`` that nobody holds now and no other caller in this run is given."""
    with _ports:
        if not _walk:
            share = _worker_slice()
            # where in the slice a process starts: the ports an earlier run left in TIME_WAIT
            # are skipped anyway, but need not be tried first
            start = os.getpid() % len(share)
            _walk.append((len(share), itertools.cycle([*share[start:], *share[:start]])))
        size, walk = _walk[0]
        for _ in range(size):
            port = next(walk)
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                try:
                    probe.bind((host, port))
                except OSError:
                    continue
            return port
    raise OSError("no free port below the ephemeral range")
