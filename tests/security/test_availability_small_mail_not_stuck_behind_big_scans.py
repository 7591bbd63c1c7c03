"""Regression: small mail is answered while big messages are still being scanned, and a scan that
outruns detection.time_budget ends as unscannable (never out in clear) instead of holding the message.

Before, every scan shared one pool of two threads: a few slow big messages (PDFs) made all other
mail wait, and a scan took as long as it took.
"""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gateway.app import Gateway
from gateway.components import default_registry
from gateway.model import Detection, Envelope, ParsedMessage
from gateway.ops.metrics import Metrics
from gateway.smtp.front import GatewayHandler, protocol_factory
from tests.support.gateway import (
    GatewayThread,
    SinkHandler,
    gateway_port,
    make_settings,
    running_sink,
)
from tests.support.leak import GROUPS, OUTSIDER, REPO, SENDER

BIG = 300 * 1024


class SlowForBigMessages:
    """A test detector: clean verdicts at once for small mail; big mail waits for `release`."""

    name = "phi"

    def __init__(self, *_args: Any) -> None:
        self.release = threading.Event()
        self.scanning = threading.Semaphore(0)

    def detect(self, message: ParsedMessage, envelope: Envelope) -> Detection:
        if len(message.raw) >= BIG:
            self.scanning.release()
            self.release.wait(60)
        return Detection(summary={"phi": False}, reasons=("test detector",))


class _Gateway(GatewayThread):
    """The real gateway on loopback, with the test detector in its registry."""

    def __init__(self, settings: Any, detector: SlowForBigMessages) -> None:
        super().__init__(settings)
        self.detector = detector

    async def _start(self) -> None:
        registry = default_registry()
        # The shipped components (listing the detectors loads them), with this test's detector
        # in place of the real one.
        assert "phi" in registry.names("detector")
        registry._factories[("detector", "phi")] = lambda *_a: self.detector
        self.gateway = Gateway(self.settings, registry=registry, metrics=Metrics())
        self.handler = GatewayHandler(self.gateway)
        host, _, port = self.settings.listen.rpartition(":")
        self._server = await self.loop.create_server(
            protocol_factory(self.handler, self.loop), host=host, port=int(port)
        )


@contextmanager
def _running(
    tmp_path: Path, **overrides: Any
) -> Iterator[tuple[_Gateway, SinkHandler, SlowForBigMessages]]:
    detector = SlowForBigMessages()
    with running_sink() as (sink, port, _ctl):
        settings = make_settings(
            tmp_path,
            port,
            policy_file=str(REPO / "policies" / "default.yaml"),
            groups=GROUPS,
            **overrides,
        )
        gw = _Gateway(settings, detector).start()
        try:
            yield gw, sink, detector
        finally:
            detector.release.set()
            gw.stop()


def _message(subject: str, size: int = 0) -> bytes:
    body = ("Office news, nothing about patients.\r\n" + "x" * 70 + "\r\n") * (size // 110 + 1)
    return (
        f"From: {SENDER}\r\nTo: {OUTSIDER}\r\nSubject: {subject}\r\n\r\n".encode()
        + body.encode()[: max(size, 40)]
    )


def _send(gw: GatewayThread, raw: bytes, timeout: float = 120) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", gateway_port(gw.settings), timeout=timeout) as s:
        s.ehlo()
        s.mail(SENDER)
        s.rcpt(OUTSIDER)
        try:
            return s.data(raw)
        except smtplib.SMTPDataError as exc:
            return exc.smtp_code, exc.smtp_error


def test_small_message_passes_while_big_ones_scan(tmp_path: Path):
    """With four big messages stuck in their scans, a small clean one still gets 250 and leaves."""
    with _running(tmp_path) as (gw, sink, detector):
        pool = ThreadPoolExecutor(4)
        big = [pool.submit(_send, gw, _message(f"big {i}", BIG)) for i in range(4)]
        for _ in range(2):  # both threads for big mail are busy scanning
            assert detector.scanning.acquire(timeout=60)
        code, _reply = _send(gw, _message("small"), timeout=60)
        assert code == 250
        assert [m.content for m in sink.messages if b"Subject: small" in m.content]
        assert not any(f.done() for f in big)  # the big ones were still scanning
        detector.release.set()
        assert [f.result(timeout=120)[0] for f in big] == [250] * 4
        pool.shutdown()


def test_scan_past_the_time_budget_is_unscannable_and_not_sent_in_clear(tmp_path: Path):
    """A scan that outruns detection.time_budget makes the message unscannable: held, not delivered."""
    with _running(tmp_path, detection={"time_budget": 1.0}, smtp={"processing_timeout": 20.0}) as (
        gw,
        sink,
        _detector,
    ):
        code, reply = _send(gw, _message("big and slow", BIG))
        assert code == 250, reply
        assert not [m for m in sink.messages if OUTSIDER in m.rcpt_tos]
        ref = reply.decode().rsplit("ref ", 1)[1].rstrip(")")
        records = gw.gateway.audit.records(ref_id=ref) if gw.gateway else []
        final = [r for r in records if r["action"] != "message-pending"]
        assert final and final[0]["findings_summary"]["unscannable"] == [
            {"part": "message", "reason": "time-budget"}
        ]
