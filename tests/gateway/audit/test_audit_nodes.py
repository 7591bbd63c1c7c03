"""Several gateway nodes on one audit log: one chain serialised through the database, each
record naming its node, each node's end kept in its row and in its own anchor and witness.

Runs on SQLite and on the real PostgreSQL; a node that stopped is not a gap, while a deleted
record of it still is.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from gateway.audit import AuditLog
from gateway.audit.schema import SCHEMA
from gateway.storage.database import make_engine
from gateway.storage.migrate import alembic_config
from tests.support.audit import BASE_TS, audit_cli, make_entry, ref, run_sql

NODES = ("gw-a", "gw-b", "gw-c")


@pytest.fixture
def node_logs(audit_db_url: str, tmp_path: Path) -> Iterator[dict[str, AuditLog]]:
    """Three nodes' logs on one database, sharing the key, each with its own anchor file."""
    key = tmp_path / "keys" / "audit.key"
    anchors = tmp_path / "anchors" / "{node}.anchor"
    with ExitStack() as stack:
        logs = {
            n: stack.enter_context(AuditLog(audit_db_url, key, anchors, node_id=n)) for n in NODES
        }
        yield logs


def _reader(tmp_path: Path, url: str) -> AuditLog:
    """The read-only view `phigate audit verify` opens."""
    return AuditLog(
        url, tmp_path / "keys" / "audit.key", tmp_path / "anchors" / "{node}.anchor", read_only=True
    )


def _append_round_robin(logs: dict[str, AuditLog], order: str, start: int = 1) -> int:
    """Append one record per letter of `order` ("abca...") by that node; return the next i."""
    i = start
    for letter in order:
        log = logs[f"gw-{letter}"]
        log.append(make_entry(log, i))
        i += 1
    return i


def test_interleaved_nodes_make_one_chain_that_verifies_per_node(
    node_logs: dict[str, AuditLog], audit_db_url: str, tmp_path: Path
) -> None:
    """Records from three nodes interleave into one chain; verify names each node's share."""
    _append_round_robin(node_logs, "abcabcaab")
    with _reader(tmp_path, audit_db_url) as reader:
        report = reader.verify()
    assert report.ok, report.problems
    assert report.checked == 9
    shares = {s.node: (s.records, s.first_seq, s.last_seq, s.anchored_seq) for s in report.nodes}
    assert shares == {
        "gw-a": (4, 1, 8, 8),
        "gw-b": (3, 2, 9, 9),
        "gw-c": (2, 3, 6, 6),
    }
    for node in NODES:
        assert (tmp_path / "anchors" / f"{node}.anchor").is_file()
        assert (tmp_path / "anchors" / f"{node}.witness").is_file()


def test_a_stopped_node_is_not_a_gap(
    node_logs: dict[str, AuditLog], audit_db_url: str, tmp_path: Path
) -> None:
    """A node that stopped early ends where its anchor says; the others go on; all verify."""
    i = _append_round_robin(node_logs, "abc")
    node_logs["gw-c"].close()  # the node stops (its files and row stay)
    _append_round_robin(node_logs, "abab", start=i)
    with _reader(tmp_path, audit_db_url) as reader:
        report = reader.verify()
    assert report.ok, report.problems
    stopped = next(s for s in report.nodes if s.node == "gw-c")
    assert (stopped.last_seq, stopped.anchored_seq, stopped.file_seq) == (3, 3, 3)


def test_deleting_a_stopped_nodes_last_record_is_caught(
    node_logs: dict[str, AuditLog], audit_db_url: str, tmp_path: Path
) -> None:
    """The chain's tail was written by a node that then stopped: deleting it and rewinding the
    head is still caught, by that node's row and by its anchor file."""
    _append_round_robin(node_logs, "abc")
    run_sql(node_logs["gw-a"], "DELETE FROM audit_records WHERE seq = 3")
    run_sql(node_logs["gw-a"], "UPDATE audit_chain_head SET seq = 2")
    with _reader(tmp_path, audit_db_url) as reader:
        problems = reader.verify().problems
    assert [(p.seq, p.kind) for p in problems] == [(3, "truncated")]
    assert "node gw-c's anchor file records seq 3" in problems[0].detail
    assert "node gw-c's row records seq 3" in problems[0].detail


def test_rewinding_a_nodes_row_too_is_caught_by_its_anchor_file(
    node_logs: dict[str, AuditLog], audit_db_url: str, tmp_path: Path
) -> None:
    """Whoever can edit the database can also put back an older (authentic) row for the node;
    the anchor file outside the database still says where the node ended."""
    log_c = node_logs["gw-c"]
    log_c.append(make_entry(log_c, 1))
    with log_c.engine.connect() as conn:
        old_row = dict(
            conn.execute(sa.text("SELECT * FROM audit_nodes WHERE node_id = 'gw-c'")).one()._mapping
        )
    log_c.append(make_entry(log_c, 2))
    run_sql(log_c, "DELETE FROM audit_records WHERE seq = 2")
    run_sql(log_c, "UPDATE audit_chain_head SET seq = 1")
    run_sql(
        log_c,
        "UPDATE audit_nodes SET last_seq = :last_seq, last_mac = :last_mac, "
        "last_ref_id = :last_ref_id, node_mac = :node_mac WHERE node_id = 'gw-c'",
        **{k: old_row[k] for k in ("last_seq", "last_mac", "last_ref_id", "node_mac")},
    )
    with _reader(tmp_path, audit_db_url) as reader:
        problems = reader.verify().problems
    assert [(p.seq, p.kind) for p in problems] == [(2, "truncated")]
    assert "node gw-c's anchor file records seq 2" in problems[0].detail


def test_moving_a_record_to_another_node_breaks_its_mac(node_logs: dict[str, AuditLog]) -> None:
    """The node id is MACed: relabelling a record (or clearing its node) is an edit."""
    _append_round_robin(node_logs, "ab")
    run_sql(node_logs["gw-a"], "UPDATE audit_records SET node_id = 'gw-b' WHERE seq = 1")
    run_sql(node_logs["gw-a"], "UPDATE audit_records SET node_id = NULL WHERE seq = 2")
    problems = node_logs["gw-a"].verify().problems
    assert [(p.seq, p.ref_id, p.kind) for p in problems] == [
        (1, ref(1), "edited"),
        (2, ref(2), "edited"),
    ]


def test_a_forged_node_row_is_named(node_logs: dict[str, AuditLog]) -> None:
    """A node row edited in the database fails its MAC and is reported for that node."""
    _append_round_robin(node_logs, "ab")
    run_sql(node_logs["gw-a"], "UPDATE audit_nodes SET last_seq = 1 WHERE node_id = 'gw-b'")
    problems = node_logs["gw-a"].verify().problems
    assert [(p.node, p.kind) for p in problems] == [("gw-b", "edited")]


def test_missing_anchor_of_one_node_is_named(
    node_logs: dict[str, AuditLog], audit_db_url: str, tmp_path: Path
) -> None:
    """Each node's anchor is checked: one deleted anchor file is reported for its node."""
    _append_round_robin(node_logs, "abc")
    (tmp_path / "anchors" / "gw-b.anchor").unlink()
    with _reader(tmp_path, audit_db_url) as reader:
        problems = reader.verify().problems
    assert [(p.node, p.kind) for p in problems] == [("gw-b", "truncated")]
    assert "node gw-b's anchor file is missing" in problems[0].detail


# ----------------------------------------------------------------------- a log from before


def _v1_mac(key: bytes, seq: int, row: dict[str, object]) -> str:
    """The record MAC as docs/audit.md describes the first format (no node id)."""
    payload = json.dumps(
        [
            "phigate-audit-record-v1",
            seq,
            row["ref_id"],
            f"2026-11-28T09:00:{seq:02d}.123456Z",
            row["message_id"],
            row["sender_hash"],
            row["recipient_domains"],
            row["size"],
            row["stages"],
            row["action"],
            row["next_hop_reply"],
            row["timings"],
            row["findings_summary"],
            row["key_id"],
            row["prev_mac"],
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def _legacy_log(url: str, key_file: Path, n: int) -> None:
    """A log as the first schema revision held it: n records in the v1 form, no node ids."""
    key = bytes.fromhex("11" * 32)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(json.dumps({"active": "k1", "keys": {"k1": key.hex()}}))
    key_file.chmod(0o600)
    engine = make_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(SCHEMA, conn), "0001_audit_initial")
    prev = "0" * 64
    with engine.begin() as conn:
        for seq in range(1, n + 1):
            row: dict[str, object] = {
                "ref_id": ref(seq),
                "message_id": None,
                "sender_hash": "ab" * 32,
                "recipient_domains": '["lab.example"]',
                "size": 100 + seq,
                "stages": "[]",
                "action": "deliver",
                "next_hop_reply": "250 ok",
                "timings": "{}",
                "findings_summary": "{}",
                "key_id": "k1",
                "prev_mac": prev,
            }
            mac = _v1_mac(key, seq, row)
            conn.execute(
                sa.text(
                    "INSERT INTO audit_records (seq, ref_id, ts, message_id, sender_hash, "
                    "recipient_domains, size, stages, action, next_hop_reply, timings, "
                    "findings_summary, key_id, prev_mac, mac) VALUES (:seq, :ref_id, :ts, "
                    ":message_id, :sender_hash, :recipient_domains, :size, :stages, :action, "
                    ":next_hop_reply, :timings, :findings_summary, :key_id, :prev_mac, :mac)"
                ),
                {**row, "seq": seq, "ts": BASE_TS.replace(second=seq), "mac": mac},
            )
            prev = mac
        conn.execute(sa.text("UPDATE audit_chain_head SET seq = :s, mac = :m"), {"s": n, "m": prev})
    engine.dispose()


def test_a_log_from_before_node_ids_verifies_before_and_after_migration(
    audit_db_url: str, tmp_path: Path
) -> None:
    """Records written before node ids verify as node "default", unmigrated (verify never
    migrates) and migrated, with new records of a named node chained after them."""
    key_file = tmp_path / "keys" / "audit.key"
    _legacy_log(audit_db_url, key_file, 3)
    anchor = tmp_path / "legacy.anchor"
    with AuditLog(audit_db_url, key_file, anchor, node_id="gw-new") as log:
        # Opening for writing migrates; the new node's records follow the old ones.
        log.append(make_entry(log, 4))
        report = log.verify()
    assert report.ok, report.problems
    assert {s.node: (s.records, s.last_seq) for s in report.nodes} == {
        "default": (3, 3),
        "gw-new": (1, 4),
    }


def test_an_unmigrated_old_log_still_verifies_read_only(audit_db_url: str, tmp_path: Path) -> None:
    """`audit verify` on a log no new gateway has opened: nothing migrated, chain intact except
    for the anchor it never had here."""
    key_file = tmp_path / "keys" / "audit.key"
    _legacy_log(audit_db_url, key_file, 2)
    anchor = tmp_path / "keys" / "audit.anchor"
    anchor.write_text("{}")  # unreadable as an anchor: the tail check says so, nothing else
    with AuditLog(audit_db_url, key_file, anchor, read_only=True) as log:
        problems = log.verify().problems
    assert [(p.seq, p.kind) for p in problems] == [(2, "truncated")]
    engine = make_engine(audit_db_url)
    with engine.connect() as conn:
        assert not sa.inspect(conn).has_table("audit_nodes")
    engine.dispose()


def test_verify_cli_reports_each_node(
    node_logs: dict[str, AuditLog], tmp_path: Path, audit_db_url: str
) -> None:
    """`phigate audit verify` prints one line per node, the stopped one included."""
    _append_round_robin(node_logs, "abcab")
    node_logs["gw-c"].close()
    done = audit_cli(
        "verify",
        "--url",
        audit_db_url,
        "--key-file",
        str(tmp_path / "keys" / "audit.key"),
        "--anchor-file",
        str(tmp_path / "anchors" / "{node}.anchor"),
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "audit log intact: 5 records verified"
    assert "node gw-a: 2 records, seq 1..4, ends at seq 4 (ref PG-20261128-T00004): intact" in lines
    assert "node gw-c: 1 records, seq 3..3, ends at seq 3 (ref PG-20261128-T00003): intact" in lines
