"""Gateway.in_flight: the messages a worker is processing, which its audit writer reads to batch
the records that are on their way (gateway/audit/writer.py)."""

from __future__ import annotations

import smtplib
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from gateway.model import ConfigError, Envelope
from tests.support.gateway import (
    GatewayThread,
    SinkHandler,
    make_settings,
    port_of,
    running_gateway,
)

MESSAGE = (
    b"From: a@practice.example\r\nTo: b@partner.example\r\nSubject: supplies\r\n\r\n"
    b"Two more boxes of printer paper, please.\r\n"
)


def _send(port: int, out: dict[str, Any]) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        try:
            s.sendmail("a@practice.example", ["b@partner.example"], MESSAGE)
            out["code"] = 250
        except smtplib.SMTPResponseException as exc:
            out["code"] = exc.smtp_code


def _held_count(gateway: GatewayThread, sink: tuple[SinkHandler, int], reply: str | None) -> tuple:
    """Send one message that the next hop holds for a while (then answers ``reply``); return
    the count seen while it was held, the client's reply code and the count afterwards."""
    handler = sink[0]
    handler.data_delay = 0.5
    handler.data_reply = reply
    gw = gateway.gateway
    assert gw is not None
    out: dict[str, Any] = {}
    sender = threading.Thread(target=_send, args=(port_of(gateway), out))
    sender.start()
    seen = 0
    deadline = time.monotonic() + 20
    while sender.is_alive() and time.monotonic() < deadline:
        seen = max(seen, gw.in_flight)
        time.sleep(0.005)
    sender.join(30)
    return seen, out.get("code"), gw.in_flight


def test_a_message_counts_while_it_is_processed(
    gateway: GatewayThread, sink: tuple[SinkHandler, int]
) -> None:
    assert _held_count(gateway, sink, None) == (1, 250, 0)


def test_a_refused_message_stops_counting(
    gateway: GatewayThread, sink: tuple[SinkHandler, int]
) -> None:
    seen, code, after = _held_count(gateway, sink, "554 5.7.1 not here")
    assert (seen, after) == (1, 0)
    assert code is not None and code >= 500


def test_a_failing_pipeline_stops_counting(
    gateway: GatewayThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = gateway.gateway
    assert gw is not None

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a stage failed")

    monkeypatch.setattr(gw.pipeline, "run", broken)
    env = Envelope(mail_from="a@practice.example", rcpt_tos=("b@partner.example",))
    with pytest.raises(RuntimeError, match="a stage failed"):
        gateway.call(gw.process(env, MESSAGE))
    assert gw.in_flight == 0


def test_records_in_flight_share_a_commit_as_configured(
    tmp_path: Path, sink: tuple[SinkHandler, int]
) -> None:
    """audit.group_commit_wait_ms and audit.group_commit_records reach the writer: with two
    messages in flight at once, the second sent a tenth of a second after the first, each record
    waits (up to a second here) for the other message's, so the two pending records share one
    commit and the two final ones another. With the writer's own wait of a few milliseconds the
    first message's pending record would be committed alone."""
    handler = sink[0]
    handler.data_delay = 0.3  # both messages are still in flight when the first final record comes
    settings = make_settings(
        tmp_path, sink[1], audit={"group_commit_wait_ms": 1000, "group_commit_records": 2}
    )
    assert (settings.audit.group_commit_wait_ms, settings.audit.group_commit_records) == (1000, 2)
    with running_gateway(settings) as gateway:
        outs: list[dict[str, Any]] = [{}, {}]
        senders = [threading.Thread(target=_send, args=(port_of(gateway), out)) for out in outs]
        for t in senders:
            t.start()
            time.sleep(0.1)  # the second message's records come a tenth of a second later
        for t in senders:
            t.join(60)
        assert [out.get("code") for out in outs] == [250, 250]
        gw = gateway.gateway
        assert gw is not None
        stats = gw.audit_writer.stats
    assert stats.committed == 4  # a pending and a final record for each message
    assert (stats.batches, stats.largest_batch) == (2, 2)


def test_group_commit_settings_out_of_range_are_refused(tmp_path: Path) -> None:
    """A record count below one or a negative wait is a clear configuration error, naming it."""
    for audit, name in (
        ({"group_commit_records": 0}, "group_commit_records"),
        ({"group_commit_wait_ms": -1}, "group_commit_wait_ms"),
    ):
        refused = rf"audit\.{name}: Input should be greater than or equal"
        with pytest.raises(ConfigError, match=refused):
            make_settings(tmp_path, 25, audit=audit)
