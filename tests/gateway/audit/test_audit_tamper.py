"""Security regression: every kind of tampering with the audit log is found and named."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.audit import AuditLog
from tests.support.audit import fetch_row, fill, ref, run_sql, summary, swap_seqs

FORGED_MAC = "ab" * 32
COLUMNS = (
    "ref_id, ts, message_id, sender_hash, recipient_domains, size, stages, action, "
    "next_hop_reply, timings, findings_summary, key_id, prev_mac, mac, node_id"
)


def _insert_forged(log: AuditLog, seq: int, prev_mac: str, ref_id: str = "PG-FORGED") -> None:
    """Insert a row as an attacker without the key would: plausible fields, made-up MAC."""
    row = fetch_row(log, 2)
    row.update(seq=seq, ref_id=ref_id, prev_mac=prev_mac, mac=FORGED_MAC, size=4242)
    run_sql(
        log,
        f"INSERT INTO audit_records (seq, {COLUMNS}) VALUES (:seq, "
        + ", ".join(f":{c.strip()}" for c in COLUMNS.split(","))
        + ")",
        **row,
    )


def _overwrite(log: AuditLog, seq: int, row: dict[str, object]) -> None:
    """Replace every column but seq of record `seq` with `row`'s values."""
    sets = ", ".join(f"{c.strip()} = :{c.strip()}" for c in COLUMNS.split(","))
    run_sql(log, f"UPDATE audit_records SET {sets} WHERE seq = :target", **row, target=seq)


def test_intact_log_verifies(audit_log: AuditLog) -> None:
    """An untouched log verifies with every record checked and no problem."""
    fill(audit_log, 5)
    report = audit_log.verify()
    assert (report.ok, report.checked, report.problems) == (True, 5, [])


def test_empty_log_verifies(audit_log: AuditLog) -> None:
    """A log with no records yet is intact."""
    report = audit_log.verify()
    assert (report.ok, report.checked) == (True, 0)


def test_edited_field_is_named(audit_log: AuditLog) -> None:
    """Changing one field of a middle record is reported as that record, edited."""
    fill(audit_log, 5)
    run_sql(audit_log, "UPDATE audit_records SET size = 1 WHERE seq = 3")
    report = audit_log.verify()
    assert not report.ok
    assert [(p.seq, p.ref_id, p.kind) for p in report.problems] == [(3, ref(3), "edited")]
    assert "MAC mismatch" in report.problems[0].detail
    assert str(report.problems[0]).startswith(f"seq 3 (ref {ref(3)}): edited: MAC mismatch")


def test_edited_stage_reason_is_named(audit_log: AuditLog) -> None:
    """Rewriting a stage's conclusion inside the JSON column is caught."""
    fill(audit_log, 4)
    stages = json.loads(fetch_row(audit_log, 2)["stages"])
    stages[2]["outcome"] = "deliver"
    run_sql(
        audit_log,
        "UPDATE audit_records SET stages = :s WHERE seq = 2",
        s=json.dumps(stages, sort_keys=True, separators=(",", ":")),
    )
    assert summary(audit_log) == [(2, ref(2), "edited")]


def test_edited_timestamp_is_named(audit_log: AuditLog) -> None:
    """Moving a record's time by one microsecond is caught."""
    fill(audit_log, 4)
    ts = fetch_row(audit_log, 4)["ts"]
    run_sql(
        audit_log, "UPDATE audit_records SET ts = :ts WHERE seq = 4", ts=ts.replace(microsecond=0)
    )
    assert summary(audit_log) == [(4, ref(4), "edited")]


def test_edited_mac_column_is_named_once(audit_log: AuditLog) -> None:
    """Overwriting a record's MAC is reported on that record only, not on its successor too."""
    fill(audit_log, 5)
    run_sql(audit_log, "UPDATE audit_records SET mac = :m WHERE seq = 3", m=FORGED_MAC)
    assert summary(audit_log) == [(3, ref(3), "edited")]


def test_deleted_middle_record_is_named(audit_log: AuditLog) -> None:
    """Deleting a middle record reports its seq as deleted, naming the record that follows."""
    fill(audit_log, 5)
    run_sql(audit_log, "DELETE FROM audit_records WHERE seq = 3")
    report = audit_log.verify()
    assert [(p.seq, p.ref_id, p.kind) for p in report.problems] == [(3, None, "deleted")]
    assert ref(4) in report.problems[0].detail


@pytest.mark.parametrize(
    ("records", "sql", "expected"),
    [
        # Deleting the first records reports their seqs as deleted (no ref survives them).
        pytest.param(
            4,
            "DELETE FROM audit_records WHERE seq <= 2",
            [(1, None, "deleted"), (2, None, "deleted")],
            id="first-records-deleted",
        ),
        # Deleting the last record is truncation, named with its seq and ref from the anchor.
        pytest.param(
            5,
            "DELETE FROM audit_records WHERE seq = 5",
            [(5, ref(5), "truncated")],
            id="last-record-truncated",
        ),
        # A key id the key file lacks is reported as unknown-key.
        pytest.param(
            4,
            "UPDATE audit_records SET key_id = 'k99' WHERE seq = 3",
            [(3, ref(3), "unknown-key")],
            id="unknown-key-id",
        ),
    ],
)
def test_one_sql_edit_is_named(
    audit_log: AuditLog, records: int, sql: str, expected: list[tuple[int, str | None, str]]
) -> None:
    """One SQL edit of a filled log is reported at the right seq with the right problem."""
    fill(audit_log, records)
    run_sql(audit_log, sql)
    assert summary(audit_log) == expected


def test_inserted_record_after_the_end_is_named(audit_log: AuditLog) -> None:
    """A forged record appended with a correct link but no valid MAC is reported as inserted."""
    fill(audit_log, 5)
    _insert_forged(audit_log, 6, prev_mac=fetch_row(audit_log, 5)["mac"])
    assert summary(audit_log) == [(6, "PG-FORGED", "inserted")]


def test_inserted_record_with_stray_seq_is_named(audit_log: AuditLog) -> None:
    """A forged record with a seq far past the end is inserted, and the gap is not 'deleted'."""
    fill(audit_log, 5)
    _insert_forged(audit_log, 1000, prev_mac=FORGED_MAC)
    assert summary(audit_log) == [(1000, "PG-FORGED", "inserted")]


def test_inserted_record_with_renumbering_is_named(audit_log: AuditLog) -> None:
    """Making room in the middle by renumbering reports the forgery and the renumbered run."""
    fill(audit_log, 5)
    # Two steps so that PostgreSQL's per-row unique check never sees a collision.
    run_sql(audit_log, "UPDATE audit_records SET seq = seq + 1000 WHERE seq >= 3")
    run_sql(audit_log, "UPDATE audit_records SET seq = seq - 999 WHERE seq >= 1000")
    _insert_forged(audit_log, 3, prev_mac=fetch_row(audit_log, 2)["mac"])
    report = audit_log.verify()
    assert [(p.seq, p.ref_id, p.kind) for p in report.problems] == [
        (3, "PG-FORGED", "inserted"),
        (4, ref(3), "reordered"),
    ]
    assert "seqs 4..6" in report.problems[1].detail


def test_replayed_copy_is_named(audit_log: AuditLog) -> None:
    """A genuine record copied to a new seq is reported as an inserted copy."""
    fill(audit_log, 5)
    row = fetch_row(audit_log, 2)
    row.update(seq=6)
    run_sql(
        audit_log,
        f"INSERT INTO audit_records (seq, {COLUMNS}) VALUES (:seq, "
        + ", ".join(f":{c.strip()}" for c in COLUMNS.split(","))
        + ")",
        **row,
    )
    report = audit_log.verify()
    assert [(p.seq, p.ref_id, p.kind) for p in report.problems] == [(6, ref(2), "inserted")]
    assert "copy of the record at seq 2" in report.problems[0].detail


def _swap_contents(log: AuditLog, a: int, b: int) -> None:
    """Exchange everything but the seq numbers of records a and b."""
    row_a, row_b = fetch_row(log, a), fetch_row(log, b)
    _overwrite(log, a, row_b)
    _overwrite(log, b, row_a)


def _swap_timestamps(log: AuditLog, a: int, b: int) -> None:
    """Exchange the timestamps of records a and b."""
    ts_a, ts_b = fetch_row(log, a)["ts"], fetch_row(log, b)["ts"]
    run_sql(log, "UPDATE audit_records SET ts = :ts WHERE seq = :seq", ts=ts_b, seq=a)
    run_sql(log, "UPDATE audit_records SET ts = :ts WHERE seq = :seq", ts=ts_a, seq=b)


@pytest.mark.parametrize(
    ("swap", "refs_at_2_and_4", "detail"),
    [(_swap_contents, (4, 2), "place it at seq 4"), (_swap_timestamps, (2, 4), "timestamp")],
    ids=["contents", "timestamps"],
)
def test_swapped_records_are_reordered(
    audit_log: AuditLog,
    swap: Callable[[AuditLog, int, int], None],
    refs_at_2_and_4: tuple[int, int],
    detail: str,
) -> None:
    """Swapping two records' contents or timestamps reports both positions as reordered."""
    fill(audit_log, 5)
    swap(audit_log, 2, 4)
    report = audit_log.verify()
    first, second = refs_at_2_and_4
    assert [(p.seq, p.ref_id, p.kind) for p in report.problems] == [
        (2, ref(first), "reordered"),
        (4, ref(second), "reordered"),
    ]
    assert detail in report.problems[0].detail


def test_swapped_seqs_are_reordered(audit_log: AuditLog) -> None:
    """Swapping the seq numbers of two adjacent records reports both as reordered."""
    fill(audit_log, 5)
    swap_seqs(audit_log, 2, 3)
    assert summary(audit_log) == [(2, ref(3), "reordered"), (3, ref(2), "reordered")]


def test_truncation_with_rewound_chain_head_is_caught_by_anchor(audit_log: AuditLog) -> None:
    """Cutting the tail and rewinding the chain head to match still trips the anchor file."""
    fill(audit_log, 5)
    mac3 = fetch_row(audit_log, 3)["mac"]
    run_sql(audit_log, "DELETE FROM audit_records WHERE seq > 3")
    run_sql(audit_log, "UPDATE audit_chain_head SET seq = 3, mac = :m", m=mac3)
    report = audit_log.verify()
    assert [(p.seq, p.ref_id, p.kind) for p in report.problems] == [
        (4, None, "truncated"),
        (5, ref(5), "truncated"),
    ]
    assert "anchor file records seq 5" in report.problems[0].detail


def test_missing_anchor_is_reported(audit_log: AuditLog, audit_key_file: Path) -> None:
    """Deleting the anchor file along with the tail is still reported."""
    fill(audit_log, 3)
    audit_key_file.with_name("audit.anchor").unlink()
    run_sql(audit_log, "DELETE FROM audit_records WHERE seq = 3")
    problems = audit_log.verify().problems
    assert [(p.seq, p.kind) for p in problems] == [(2, "truncated"), (3, "truncated")]
    assert "anchor file is missing" in problems[0].detail


def test_forged_anchor_is_reported(audit_log: AuditLog, audit_key_file: Path) -> None:
    """An anchor file edited to claim an earlier seq fails its own MAC."""
    fill(audit_log, 3)
    anchor_path = audit_key_file.with_name("audit.anchor")
    doc = json.loads(anchor_path.read_text())
    doc["seq"] = 2
    anchor_path.write_text(json.dumps(doc))
    run_sql(audit_log, "DELETE FROM audit_records WHERE seq = 3")
    run_sql(audit_log, "UPDATE audit_chain_head SET seq = 2")
    problems = audit_log.verify().problems
    # The node's row in the database (not rewound here) still says where its appends ended.
    assert [(p.seq, p.kind) for p in problems] == [(2, "truncated"), (3, "truncated")]
    assert "MAC does not verify" in problems[0].detail
    assert "row records seq 3" in problems[1].detail


def test_key_id_switched_to_another_key_is_edited(audit_log: AuditLog) -> None:
    """Relabelling a record with another existing key id is reported as edited."""
    fill(audit_log, 2)
    audit_log.rotate_key()
    run_sql(audit_log, "UPDATE audit_records SET key_id = 'k2' WHERE seq = 1")
    problems = audit_log.verify().problems
    assert [(p.seq, p.ref_id, p.kind) for p in problems] == [(1, ref(1), "edited")]
    assert "key id changed" in problems[0].detail


def test_other_key_file_fails_every_record(
    audit_log: AuditLog, audit_db_url: str, tmp_path: Path
) -> None:
    """Verifying with a different key file of the same key id finds no record authentic."""
    fill(audit_log, 3)
    other = AuditLog(
        audit_db_url, tmp_path / "other" / "audit.key", anchor_file=tmp_path / "anchor"
    )
    try:
        report = other.verify()
    finally:
        other.close()
    assert not report.ok
    assert {p.seq for p in report.problems if p.kind in ("edited", "inserted")} == {1, 2, 3}
