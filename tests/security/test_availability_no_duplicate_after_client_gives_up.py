"""Availability: the next hop never gets a message whose client gave up before our answer."""

from __future__ import annotations

import smtplib
from pathlib import Path

import pytest

from gateway.config import load_settings
from gateway.model import ConfigError
from tests.support.availability import (
    MESSAGE,
    hold_after_verdict,
    hold_detection,
    processed,
    wait_until,
)
from tests.support.gateway import make_settings, port_of, running_gateway

OK = 250


def test_a_client_that_disconnects_during_the_scan_gets_nothing_delivered(
    tmp_path: Path, sink, client_for
):
    """A client hangs up while its message is scanned: the next hop receives nothing."""
    settings = make_settings(tmp_path, sink[1])
    with running_gateway(settings) as gw:
        held = hold_detection(gw)
        c = client_for(port_of(gw))
        c.reply()
        c.cmd("EHLO client.example")
        c.cmd("MAIL FROM:<desk@practice.example>")
        assert c.cmd("RCPT TO:<a@partner.example>")[0].startswith("250")
        assert c.cmd("DATA")[0].startswith("354")
        c.send_raw(MESSAGE + b".\r\n")
        assert held.entered.wait(20)
        # the client's own timeout fired: it hangs up, and will retry this message later
        c.file.close()
        c.sock.close()
        assert wait_until(lambda: not gw.handler.sessions), "the gateway saw the hang-up"
        held.release.set()
        assert wait_until(lambda: processed(gw) == 1), "the pipeline finished the message"
        # and the session's retry is then the only copy the next hop ever gets
        with smtplib.SMTP("127.0.0.1", port_of(gw), timeout=30) as s:
            s.sendmail("desk@practice.example", ["a@partner.example"], MESSAGE)
    assert len(sink[0].messages) == 1


@pytest.mark.parametrize("limit", [1])
def test_processing_past_the_deadline_gives_451_and_delivers_nothing(
    tmp_path: Path, sink, client_for, limit
):
    """Past smtp.processing_timeout the client gets 451 at once and the late verdict is dropped."""
    settings = make_settings(
        tmp_path,
        sink[1],
        smtp={"processing_timeout": limit},
        detection={"time_budget": limit / 2},
    )
    with running_gateway(settings) as gw:
        # The scan itself is bounded by time_budget; hold the step after the verdict instead.
        held = hold_after_verdict(gw, limit=limit + 2)
        with smtplib.SMTP("127.0.0.1", port_of(gw), timeout=30) as s:
            s.ehlo()
            s.mail("desk@practice.example")
            s.rcpt("a@partner.example")
            code, text = s.data(MESSAGE)
            assert (code, text[:5]) == (451, b"4.3.0")
            held.release.set()
            assert wait_until(lambda: processed(gw) == 1), "the late verdict was reached"
            assert s.noop()[0] == OK, "the session goes on"
    assert sink[0].messages == []


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"smtp": {"processing_timeout": 500}}, "600"),
        ({"smtp": {"processing_timeout": 200}, "delivery": {"command_timeout": 400}}, "600"),
        ({"smtp": {"processing_timeout": 20}}, "time_budget"),
    ],
)
def test_timeouts_the_client_cannot_wait_for_are_refused(overrides, named):
    """processing_timeout plus the next hop's DATA timeout must fit in a client's 10 minutes,
    and the scan's time budget must fit in processing_timeout."""
    with pytest.raises((ConfigError, ValueError), match=named):
        load_settings(None, overrides)
