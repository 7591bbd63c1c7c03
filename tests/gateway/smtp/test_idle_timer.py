"""The idle limit counts from the last command: a moved deadline is kept, a passed one still closes."""

from __future__ import annotations

import time
from pathlib import Path

from tests.support.gateway import make_settings, port_of, running_gateway

OK = 250
IDLE_LIMIT_S = 1


def test_commands_inside_the_idle_limit_keep_the_session_open(tmp_path: Path, sink, client_for):
    """NOOPs 0.6 s apart outlive the first idle deadline, and the silence after them ends in 421."""
    settings = make_settings(tmp_path, sink[1], smtp={"idle_timeout": IDLE_LIMIT_S})
    with running_gateway(settings) as gw:
        c = client_for(port_of(gw))
        c.greet()
        # Each NOOP comes before the idle limit since the one before runs out, but the later
        # ones come after the limit counted from the greeting: the timer that fires at that
        # first deadline must start again for the rest instead of closing the session.
        for _ in range(4):
            time.sleep(0.6 * IDLE_LIMIT_S)
            assert c.cmd("NOOP")[0].startswith(str(OK))
        c.sock.settimeout(IDLE_LIMIT_S + 10)
        assert c.file.readline().startswith(b"421 4.4.2")
        assert c.file.readline() == b""
