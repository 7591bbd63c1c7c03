"""A policy change reaches every node (their file watch reloads it), and `phigate status`
shows each node's policy version move to the new file's SHA-256; a broken edit is refused
and every node keeps, and reports, the version it runs."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.audit.log import node_status
from tests.support import POLICIES
from tests.support.db import database_url
from tests.support.deploy import run_phigate
from tests.support.gateway import free_port, running_sink
from tests.support.process import PhigateProcess, serve_args

pytestmark = pytest.mark.postgres

NODES = ("gw-p1", "gw-p2")


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL schema both nodes share."""
    with database_url("postgresql", tmp_path, "policy_version") as url:
        yield url


def _config(tmp: Path, url: str, node: str, policy: Path) -> Path:
    cfg = tmp / f"{node}.yaml"
    cfg.write_text(
        f"node:\n  id: {node}\n  heartbeat_seconds: 0.3\n"
        # A reload retires the old configuration after drain_timeout; keep the stop short.
        "drain_timeout: 1\n"
        f"policy_file: '{policy}'\n"
        f"audit:\n  url: '{url}'\n  key_file: '{tmp}/keys/audit.key'\n"
        f"quarantine:\n  url: '{url}'\n  master_key_file: '{tmp}/keys/quarantine.key'\n"
        f"patients:\n  url: '{url}'\n  key_file: '{tmp}/keys/roster.key'\n"
        "detection:\n  detector: 'null'\n"
        "metrics:\n  listen: null\n"
    )
    return cfg


def _versions(url: str) -> dict[str, str | None]:
    """Each node's policy version as its heartbeat row says (what `phigate status` reads)."""
    return {n.node: n.policy_hash for n in node_status(url)[1]}


def _wait_for(url: str, expected: dict[str, str], timeout: float = 30) -> dict[str, str | None]:
    deadline = time.monotonic() + timeout
    seen = _versions(url)
    while seen != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        seen = _versions(url)
    return seen


def test_policy_change_shows_on_every_node(tmp_path: Path, pg_url: str) -> None:
    """Both nodes report the site policy's hash; after an edit, the new hash; after a broken
    edit, still the last good one."""
    policy = tmp_path / "local.yaml"
    first = (POLICIES / "default.yaml").read_bytes()
    policy.write_bytes(first)
    configs = {n: _config(tmp_path, pg_url, n, policy) for n in NODES}
    processes: list[PhigateProcess] = []
    with running_sink() as (_handler, sink_port, _ctl):
        try:
            # The first node creates the keys and the schema; the second joins at once.
            for n in NODES:
                processes.append(
                    PhigateProcess(serve_args(free_port(), sink_port, configs[n]), cwd=tmp_path)
                )
                if n == NODES[0]:
                    processes[-1].wait_event("serving", timeout=60)
            processes[-1].wait_event("serving", timeout=60)
            old = hashlib.sha256(first).hexdigest()
            assert _wait_for(pg_url, dict.fromkeys(NODES, old)) == dict.fromkeys(NODES, old)

            second = first + b"\n# reviewed 2026-12-04 by the privacy officer\n"
            policy.write_bytes(second)
            new = hashlib.sha256(second).hexdigest()
            assert _wait_for(pg_url, dict.fromkeys(NODES, new)) == dict.fromkeys(NODES, new)

            policy.write_bytes(second + b"rules: [this is not a rule\n")
            for p in processes:
                p.wait_event("reload.rejected", timeout=30)
            time.sleep(1.0)  # a few heartbeats after the refusal
            done = run_phigate("status", "--config", str(configs[NODES[0]]), "--json")
            assert done.returncode == 0, done.stderr
            shown = {n["node"]: n["policy_sha256"] for n in json.loads(done.stdout)["nodes"]}
            assert shown == dict.fromkeys(NODES, new)
        finally:
            for p in processes:
                p.stop()
