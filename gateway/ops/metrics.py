"""Prometheus metrics: messages by action, next-hop latency, errors, sessions, detection batches.

With several workers, each writes to a shared multiprocess directory and the supervisor serves
the sum. `PROMETHEUS_MULTIPROC_DIR` must be set before prometheus_client is first imported.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any


class Metrics:
    """The gateway's counters and histograms."""

    def __init__(self, node: str | None = None) -> None:
        # Not imported at the top: prometheus_client picks its multiprocess mode when first
        # imported, and the supervisor sets PROMETHEUS_MULTIPROC_DIR after this module loads.
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        multi = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        self.messages = Counter(
            "phigate_messages",
            "Messages processed, by action and reply class",
            ["action", "reply"],
            registry=self.registry,
        )
        self.next_hop = Histogram(
            "phigate_next_hop_seconds",
            "Next-hop latency by phase (connect, data)",
            ["phase"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.errors = Counter("phigate_errors", "Errors by kind", ["kind"], registry=self.registry)
        # How many messages each answer of a detection process held: 1 for a message scanned
        # alone, n for a batch of n that queued while the process was busy. Batches above 1
        # mean messages waited for a process; mostly 1 means the processes keep up.
        self.detection_batches = Counter(
            "phigate_detection_batches",
            "Answers of the detection processes, by how many messages the batch held",
            ["messages"],
            registry=self.registry,
        )
        self.active = Gauge(
            "phigate_sessions_active",
            "Open SMTP sessions",
            registry=self.registry,
            multiprocess_mode="livesum" if multi else "all",
        )

        # The node's name as a label, so dashboards over several nodes can tell them apart
        # (scrapers add their own target labels; this one survives federation and remote write).
        self.node = Gauge(
            "phigate_node_info",
            "This gateway node (node.id); always 1",
            ["node"],
            registry=self.registry,
            multiprocess_mode="max" if multi else "all",
        )
        if node is not None:
            self.node.labels(node=node).set(1)

        self.expiring = Gauge(
            "phigate_keys_expiring",
            "Certificates and keys expiring within 30 days, by kind",
            ["kind"],
            registry=self.registry,
            multiprocess_mode="max" if multi else "all",
        )

    def keys_expiring(self, kind: str, count: int) -> None:
        """Export how many keys of a kind expire soon."""
        self.expiring.labels(kind=kind).set(count)

    def message(self, action: str, code: int) -> None:
        """Count one message by action and reply class (2xx, 4xx, 5xx)."""
        self.messages.labels(action=action, reply=f"{code // 100}xx").inc()

    def observe(self, phase: str, seconds: float) -> None:
        """Record a next-hop latency."""
        self.next_hop.labels(phase=phase).observe(seconds)

    def detection_batch(self, messages: int) -> None:
        """Count one answer of a detection process that held ``messages`` messages."""
        self.detection_batches.labels(messages=str(messages)).inc()

    def error(self, kind: str) -> None:
        """Count an error."""
        self.errors.labels(kind=kind).inc()

    def sessions(self, delta: int) -> None:
        """Track open sessions."""
        self.active.inc(delta)


def renderer(registry: Any | None = None) -> Callable[[], tuple[bytes, str]]:
    """A function giving /metrics' body and content type: `registry`, or with a multiprocess
    dir the sum over every worker's files."""
    # Imported here for the same reason as in Metrics.
    from prometheus_client import (
        CONTENT_TYPE_LATEST,
        REGISTRY,
        CollectorRegistry,
        generate_latest,
        multiprocess,
    )

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    chosen = registry if registry is not None else REGISTRY

    def render() -> tuple[bytes, str]:
        return generate_latest(chosen), CONTENT_TYPE_LATEST

    return render
