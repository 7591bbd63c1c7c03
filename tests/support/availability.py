"""Helpers for the availability regressions: a detector the test holds, and waiting on counters."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from gateway.model import Detection
from tests.support.gateway import GatewayThread

MESSAGE = b"From: desk@practice.example\r\nSubject: Hours\r\n\r\nClosed Friday.\r\n"


class HeldDetector:
    """A detector that finds nothing, but only once the test lets it go (at most `limit` s)."""

    name = "held"

    def __init__(self, limit: float = 30.0) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.limit = limit
        self.calls = 0

    def detect(self, message: Any, envelope: Any) -> Detection:
        self.calls += 1
        self.entered.set()
        self.release.wait(self.limit)
        return Detection()


def hold_detection(gw: GatewayThread, limit: float = 30.0) -> HeldDetector:
    """Make the running gateway's scan wait for the test."""
    detector = HeldDetector(limit)
    assert gw.gateway is not None
    gw.gateway.pipeline.detector = detector
    return detector


class HeldStep:
    """Holds the message after its verdict, before anything is stored or handed on (the pending
    audit record's step), without blocking the event loop; at most `limit` seconds."""

    def __init__(self, gw: GatewayThread, limit: float = 30.0) -> None:
        assert gw.gateway is not None
        self.release = threading.Event()
        self.limit = limit
        self._inner = gw.gateway.pipeline._before_act

    async def __call__(self, verdict: Any) -> None:
        await asyncio.to_thread(self.release.wait, self.limit)
        if self._inner is not None:
            await self._inner(verdict)


def hold_after_verdict(gw: GatewayThread, limit: float = 30.0) -> HeldStep:
    """Make the running gateway wait for the test between its verdict and the commit."""
    held = HeldStep(gw, limit)
    assert gw.gateway is not None
    gw.gateway.pipeline._before_act = held
    return held


def processed(gw: GatewayThread) -> int:
    """Messages the gateway has finished with (any action, any reply)."""
    assert gw.gateway is not None
    total = 0.0
    for metric in gw.gateway.metrics.registry.collect():
        if metric.name == "phigate_messages":
            total += sum(s.value for s in metric.samples if s.name.endswith("_total"))
    return int(total)


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll a condition for at most `timeout` seconds; True once it holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()
