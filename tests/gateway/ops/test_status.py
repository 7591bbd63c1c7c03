"""`phigate status` from the heartbeat rows, on SQLite and PostgreSQL: live nodes up, a silent
one stale, each with its policy version and newest audit record."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.audit import AuditLog
from tests.support.audit import make_entry
from tests.support.cli import phigate

POLICY_A, POLICY_B = "a" * 64, "b" * 64


def _beat(log: AuditLog, ago: float, policy: str, pid: int) -> None:
    # Ages count from the real clock, which `phigate status` compares with.
    now = datetime.now(UTC)
    log.heartbeat(
        started_at=now - timedelta(hours=1),
        policy_hash=policy,
        policy_loaded_at=now - timedelta(minutes=5),
        pid=pid,
        listen="127.0.0.1:10025",
        now=now - timedelta(seconds=ago),
    )


@pytest.fixture
def nodes(audit_db_url: str, tmp_path: Path) -> str:
    """Three nodes: two beating now (one on an older policy), one silent for ten minutes."""
    key = tmp_path / "keys" / "audit.key"
    logs = {n: AuditLog(audit_db_url, key, node_id=n) for n in ("gw-1", "gw-2", "gw-3")}
    try:
        logs["gw-1"].append(make_entry(logs["gw-1"], 1))
        logs["gw-3"].append(make_entry(logs["gw-3"], 2))
        _beat(logs["gw-1"], 2, POLICY_A, 101)
        _beat(logs["gw-2"], 5, POLICY_B, 202)
        _beat(logs["gw-3"], 600, POLICY_A, 303)
        _beat(logs["gw-1"], 1, POLICY_A, 102)  # a second beat replaces the first
    finally:
        for log in logs.values():
            log.close()
    return audit_db_url


def test_status_json_shows_each_node(nodes: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Up within stale_after, STALE beyond it; policy, pid and newest record per node."""
    assert phigate(["status", "--url", nodes, "--json", "--stale-after", "60"]) == 0
    doc = json.loads(capsys.readouterr().out)
    got = {
        n["node"]: (n["state"], n["policy_sha256"], n["pid"], n["last_seq"]) for n in doc["nodes"]
    }
    assert got == {
        "gw-1": ("up", POLICY_A, 102, 1),
        "gw-2": ("up", POLICY_B, 202, None),
        "gw-3": ("STALE", POLICY_A, 303, 2),
    }
    assert doc["audit_head"] == 2
    assert doc["policies_agree"] is False  # the live nodes run two policies


def test_status_text_warns_when_policies_differ(
    nodes: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The table names each node's state and policy, and warns about mixed policies."""
    assert phigate(["status", "--url", nodes, "--stale-after", "60"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "audit head: seq 2; 3 node(s); stale after 60 s"
    rows = {line.split()[0]: line for line in out[1:4]}
    assert rows["gw-3"].split()[1] == "STALE"
    assert f"policy {POLICY_B[:12]}" in rows["gw-2"]
    assert "last record seq 1" in rows["gw-1"]
    assert out[-1].startswith("warning: the running nodes do not all run the same policy")


def test_status_names_a_missing_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No audit database: exit 2 with the path, nothing created."""
    url = f"sqlite:///{tmp_path}/none.db"
    assert phigate(["status", "--url", url]) == 2
    assert f"{tmp_path}/none.db does not exist" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()
