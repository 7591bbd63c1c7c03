"""phigate's next-hop delivery alone: `Relay.deliver`'s CPU per message, with and without
PIPELINING at the next hop.

The relay runs in this process; two sinks (bench/relay.py's, one offering PIPELINING and one
not) run in processes of their own, so the CPU counted is the relay's and its event loop's
only. Runs alternate between the sinks; the median of ``--repeat`` runs is printed, then JSON.

    .venv/bin/python bench/relay_delivery.py --messages 3000 --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

if str(Path(__file__).resolve().parent.parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import relay as relay_bench  # noqa: E402
from bench.relay import (  # noqa: E402
    LOOPBACK,
    BenchError,
    ManagedProcess,
    build_message,
    children_stopped_on_sigterm,
    free_port,
    progress,
)
from gateway.config import DeliverySettings  # noqa: E402
from gateway.delivery.relay import NextHopPool, Relay  # noqa: E402
from gateway.model import Delivery  # noqa: E402


async def delivery_cpu_us(port: int, messages: int, concurrency: int, size: int) -> float:
    """CPU microseconds per message that phigate's Relay spends delivering `messages` copies
    to the sink at `port` over `concurrency` concurrent callers (after a warm-up)."""
    pool = NextHopPool(f"{LOOPBACK}:{port}", DeliverySettings(), "bench.invalid")
    relay = Relay(pool)
    copy = Delivery(
        "bench-sender@clinic.example", ("bench-recipient@partner.example",), build_message(size, 0)
    )

    async def caller(count: int) -> None:
        for _ in range(count):
            outcome = await relay.deliver((copy,), "PG-BENCH")
            if outcome.reply.code != 250:
                raise BenchError(f"delivery failed: {outcome.reply}")

    await asyncio.gather(*(caller(20) for _ in range(concurrency)))
    start = time.process_time()
    await asyncio.gather(*(caller(messages // concurrency) for _ in range(concurrency)))
    spent = time.process_time() - start
    await pool.close()
    return spent / (messages // concurrency * concurrency) * 1e6


def run(args: argparse.Namespace) -> int:
    """Relay.deliver's CPU per message to a sink with and without PIPELINING, alternating."""
    me = [sys.executable, str(Path(relay_bench.__file__).resolve())]
    results: dict[str, list[float]] = {"pipelining": [], "one_by_one": []}
    with tempfile.TemporaryDirectory(prefix="phigate-bench-", dir=args.work_dir) as tmp:
        ports = {"pipelining": free_port(), "one_by_one": free_port()}
        sinks = [
            ManagedProcess(
                name,
                [*me, "_sink", "--port", str(port)]
                + ([] if name == "pipelining" else ["--no-pipelining"]),
                Path(tmp) / f"sink-{name}.log",
            )
            for name, port in ports.items()
        ]
        try:
            for sink, port in zip(sinks, ports.values(), strict=True):
                sink.wait_ready(port, 1)
            for run in range(args.repeat):
                for name, port in ports.items():
                    us = asyncio.run(
                        delivery_cpu_us(port, args.messages, args.concurrency, args.size)
                    )
                    progress(f"delivery run {run + 1}/{args.repeat} {name}: {us:.1f} us/msg")
                    results[name].append(us)
        finally:
            for sink in sinks:
                sink.stop()
    medians = {name: round(statistics.median(v), 1) for name, v in results.items()}
    print(
        f"# Relay.deliver CPU per message, {args.messages} x {args.repeat} run(s), "
        f"{args.size} bytes, {args.concurrency} callers"
    )
    for name, value in medians.items():
        print(f"{name:12} {value:8.1f} us")
    print(json.dumps({"delivery_cpu_us": medians, "runs": results}))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000, help="copies per timed run")
    parser.add_argument("--concurrency", type=int, default=10, help="concurrent callers")
    parser.add_argument("--size", type=int, default=5120, help="payload bytes per message")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per sink; median")
    parser.add_argument("--work-dir", default=None, help="where the sinks' logs go")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    with children_stopped_on_sigterm():
        sys.exit(main())
