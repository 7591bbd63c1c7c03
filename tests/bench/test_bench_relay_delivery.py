"""Smoke tests for bench/relay_delivery.py (Relay.deliver alone) and the sink it uses."""

from __future__ import annotations

import asyncio
import json

import aiosmtplib

from bench.relay import SinkCounters, SinkProtocol
from tests.support.bench import run_script


def test_delivery_mode_measures_both_sinks() -> None:
    """Both sinks (with and without PIPELINING) get every copy delivered and a CPU figure."""
    proc = run_script(
        "relay_delivery.py",
        "--messages",
        "60",
        "--concurrency",
        "3",
        "--repeat",
        "1",
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(result["delivery_cpu_us"]) == {"pipelining", "one_by_one"}
    assert all(v > 0 for v in result["delivery_cpu_us"].values())


def test_the_sink_offers_pipelining_only_when_asked() -> None:
    """The sink's EHLO lists PIPELINING by default and not with pipelining=False."""

    async def offers(pipelining: bool) -> bool:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SinkProtocol(SinkCounters(), pipelining), "127.0.0.1", 0
        )
        port = server.sockets[0].getsockname()[1]
        try:
            async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as client:
                return client.supports_extension("pipelining")
        finally:
            server.close()

    assert asyncio.run(offers(True)) is True
    assert asyncio.run(offers(False)) is False
