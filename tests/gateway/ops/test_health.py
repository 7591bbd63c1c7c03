"""/healthz and /readyz over real HTTP: a real `phigate serve` with its audit log on the real
PostgreSQL, a real next hop, and each dependency made to fail in turn (and come back)."""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from gateway.config import Settings
from gateway.ops.health import Health, NodeState, serve_ops
from tests.support.db import PG_DSN
from tests.support.deploy import run_phigate
from tests.support.gateway import free_port, running_sink
from tests.support.process import PhigateProcess, serve_args

OK, UNAVAILABLE = 200, 503

pytestmark = pytest.mark.postgres


def _get(port: int, path: str) -> tuple[int, dict[str, Any]]:
    reply = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=15)
    return reply.status_code, json.loads(reply.text)


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database (not just a schema: the test refuses connections to it)."""
    name = f"phigate_ready_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            conn.execute(f'DROP DATABASE "{name}"')


def _allow_connections(name: str, allowed: bool) -> None:
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')


def test_readyz_names_each_dependency_that_fails(tmp_path: Path, pg_database: str) -> None:
    """Ready with everything up; 503 naming the next hop, then the audit database, then a
    quarantine folder that vanished; ready again once each is back. /healthz stays 200."""
    port, ops = free_port(), free_port()
    quarantine_dir = tmp_path / "q"
    quarantine_dir.mkdir()
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"audit: {{url: 'postgresql+psycopg://postgres@127.0.0.1:5432/{pg_database}',"
        f" key_file: {tmp_path}/keys/audit.key}}\n"
        f"quarantine: {{url: 'sqlite:///{quarantine_dir}/q.db',"
        f" master_key_file: {tmp_path}/keys/q.key}}\n"
        f"patients: {{url: 'sqlite:///{tmp_path}/patients.db', key_file: {tmp_path}/keys/r.key}}\n"
        f"metrics: {{listen: '127.0.0.1:{ops}'}}\n"
        "node: {id: gw-ready-1}\n"
        "detection: {detector: 'null'}\n"
    )
    sink_port = free_port()
    first_sink = ExitStack()
    first_sink.enter_context(running_sink(sink_port))
    with first_sink, ExitStack() as later:
        p = PhigateProcess(serve_args(port, sink_port, cfg), cwd=tmp_path)
        try:
            p.wait_port(port)
            assert _get(ops, "/healthz") == (
                OK,
                {"alive": True, "node": "gw-ready-1", "pid": p.proc.pid},
            )
            code, doc = _get(ops, "/readyz")
            assert (code, doc["ready"], doc["not_ready"]) == (OK, True, []), doc
            assert doc["node"] == "gw-ready-1" and len(doc["policy_sha256"]) == 64

            first_sink.close()  # the next hop goes away
            code, doc = _get(ops, "/readyz")
            assert (code, doc["ready"], doc["not_ready"]) == (UNAVAILABLE, False, ["next_hop"])
            assert str(sink_port) in doc["checks"]["next_hop"]
            assert _get(ops, "/healthz")[0] == OK  # alive, just not ready
            later.enter_context(running_sink(sink_port))  # and comes back
            assert _get(ops, "/readyz")[0] == OK

            _allow_connections(pg_database, False)
            code, doc = _get(ops, "/readyz")
            assert (code, doc["not_ready"]) == (UNAVAILABLE, ["audit.url"])
            assert "not currently accepting connections" in doc["checks"]["audit.url"]
            _allow_connections(pg_database, True)
            assert _get(ops, "/readyz")[0] == OK

            shutil.rmtree(quarantine_dir)
            code, doc = _get(ops, "/readyz")
            assert (code, doc["not_ready"]) == (UNAVAILABLE, ["quarantine.url"])
            quarantine_dir.mkdir()
            assert _get(ops, "/readyz")[0] == OK

            # The same port still serves the metrics, now labelled with the node.
            metrics = httpx.get(f"http://127.0.0.1:{ops}/metrics", timeout=15).text
            assert 'phigate_node_info{node="gw-ready-1"} 1.0' in metrics
        finally:
            assert p.stop() == 0


def test_readyz_is_503_until_a_policy_is_loaded(tmp_path: Path) -> None:
    """A node that has not loaded its policy is alive but not ready, and says so."""
    settings = Settings(
        next_hop="127.0.0.1:1",
        node={"id": "gw-nopolicy"},
        audit={"url": f"sqlite:///{tmp_path}/a.db"},
        quarantine={"url": f"sqlite:///{tmp_path}/q.db"},
        patients={"url": f"sqlite:///{tmp_path}/p.db"},
    )
    port = free_port()
    server = serve_ops(
        f"127.0.0.1:{port}", lambda: (b"", "text/plain"), Health(NodeState(settings))
    )
    try:
        assert _get(port, "/healthz")[0] == OK
        code, doc = _get(port, "/readyz")
        assert code == UNAVAILABLE
        assert doc["not_ready"] == ["next_hop", "policy"]
        assert doc["checks"]["policy"] == "no policy loaded"
    finally:
        server.shutdown()
        server.server_close()


def test_ops_server_binds_all_interfaces_when_asked(tmp_path: Path) -> None:
    """metrics.listen 0.0.0.0 (for probes from other hosts) answers on the host's address too."""
    settings = Settings(node={"id": "gw-any"})
    port = free_port()
    server = serve_ops(f"0.0.0.0:{port}", lambda: (b"", "text/plain"), Health(NodeState(settings)))
    try:
        assert server.server_address[0] == "0.0.0.0"
        assert _get(port, "/healthz")[1]["node"] == "gw-any"
    finally:
        server.shutdown()
        server.server_close()


def test_supervisor_answers_for_its_workers(tmp_path: Path) -> None:
    """With two workers the supervisor serves the probes: ready names the workers check, the
    node's heartbeat row carries the policy hash, and the summed metrics carry the node."""
    port, ops = free_port(), free_port()
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"audit: {{url: 'sqlite:///{tmp_path}/audit.db', key_file: {tmp_path}/keys/audit.key}}\n"
        f"quarantine: {{url: 'sqlite:///{tmp_path}/q.db', master_key_file: {tmp_path}/keys/q.key}}\n"
        f"patients: {{url: 'sqlite:///{tmp_path}/p.db', key_file: {tmp_path}/keys/r.key}}\n"
        f"metrics: {{listen: '127.0.0.1:{ops}'}}\n"
        "node: {id: gw-super, heartbeat_seconds: 0.5}\n"
        "detection: {detector: 'null'}\n"
    )
    with running_sink() as (_handler, sink_port, _ctl):
        p = PhigateProcess(serve_args(port, sink_port, cfg, "--workers", "2"), cwd=tmp_path)
        try:
            p.wait_port(port)
            code, doc = _get(ops, "/readyz")
            assert (code, doc["checks"]["workers"], doc["node"]) == (OK, "ok", "gw-super"), doc
            status = run_phigate("status", "--config", str(cfg), "--json")
            for _ in range(50):  # the workers' first heartbeats
                if json.loads(status.stdout)["nodes"]:
                    break
                time.sleep(0.1)
                status = run_phigate("status", "--config", str(cfg), "--json")
            (node,) = json.loads(status.stdout)["nodes"]
            assert (node["node"], node["state"]) == ("gw-super", "up")
            assert node["policy_sha256"] == doc["policy_sha256"]
            metrics = httpx.get(f"http://127.0.0.1:{ops}/metrics", timeout=15).text
            assert 'phigate_node_info{node="gw-super"} 1.0' in metrics
        finally:
            assert p.stop() == 0
