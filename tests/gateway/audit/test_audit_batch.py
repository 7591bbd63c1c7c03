"""append_many: a batch is one transaction whose records are exactly those of single appends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.audit import AuditEntryRejected, AuditLog, prepare_entry
from tests.support.audit import counting_commits, fill, make_entry, ref, run_sql, summary, swap_seqs


def test_batch_writes_the_same_records_as_single_appends(
    audit_log: AuditLog, audit_key_file: Path, tmp_path: Path
) -> None:
    """Seven entries appended as one batch store every field, MAC and link as seven appends do."""
    singles = AuditLog(
        f"sqlite:///{tmp_path}/singles.db", audit_key_file, anchor_file=tmp_path / "singles.anchor"
    )
    try:
        for i in range(1, 8):
            singles.append(make_entry(singles, i))
        expected = singles.records(limit=20)
    finally:
        singles.close()
    seqs = audit_log.append_many([make_entry(audit_log, i) for i in range(1, 8)])
    assert seqs == [1, 2, 3, 4, 5, 6, 7]
    assert audit_log.records(limit=20) == expected
    assert len({r["mac"] for r in expected}) == 7
    report = audit_log.verify()
    assert (report.ok, report.checked) == (True, 7)


def test_batches_and_singles_interleave_into_one_chain(audit_log: AuditLog) -> None:
    """Singles, a batch, prepared entries and a single again continue one numbered chain."""
    fill(audit_log, 2)
    assert audit_log.append_many([make_entry(audit_log, i) for i in (3, 4, 5)]) == [3, 4, 5]
    prepared = [prepare_entry(make_entry(audit_log, i)) for i in (6, 7)]
    assert audit_log.append_many(prepared) == [6, 7]
    assert audit_log.append(make_entry(audit_log, 8)) == 8
    rows = list(reversed(audit_log.records(limit=20)))
    assert [r["ref_id"] for r in rows] == [ref(i) for i in range(1, 9)]
    assert all(b["prev_mac"] == a["mac"] for a, b in zip(rows, rows[1:], strict=False))
    assert audit_log.verify().ok


def test_a_batch_is_one_transaction(audit_log: AuditLog) -> None:
    """Ten entries take one committed transaction; an empty batch takes none and returns no seqs."""
    with counting_commits(audit_log) as counter:
        audit_log.append_many([make_entry(audit_log, i) for i in range(1, 11)])
        assert audit_log.append_many([]) == []
    assert counter.commits == 1
    assert len(audit_log.records(limit=20)) == 10


def test_anchor_names_the_last_record_of_a_batch(audit_log: AuditLog, audit_key_file: Path) -> None:
    """After a batch the anchor file holds the batch's last seq, MAC and ref id."""
    audit_log.append_many([make_entry(audit_log, i) for i in range(1, 6)])
    doc = json.loads(audit_key_file.with_name("audit.anchor").read_text())
    newest = audit_log.records(limit=1)[0]
    assert (doc["seq"], doc["mac"], doc["ref_id"]) == (5, newest["mac"], ref(5))


def test_edit_in_the_middle_of_a_batch_is_caught(audit_log: AuditLog) -> None:
    """Changing a field of the third record of a five-record batch is reported as that edit."""
    audit_log.append_many([make_entry(audit_log, i) for i in range(1, 6)])
    run_sql(audit_log, "UPDATE audit_records SET action = 'deliver' WHERE seq = 3")
    assert summary(audit_log) == [(3, ref(3), "edited")]


def test_deletion_in_the_middle_of_a_batch_is_caught(audit_log: AuditLog) -> None:
    """Deleting the third record of a five-record batch is reported as that deletion."""
    audit_log.append_many([make_entry(audit_log, i) for i in range(1, 6)])
    run_sql(audit_log, "DELETE FROM audit_records WHERE seq = 3")
    assert [(s, k) for s, _r, k in summary(audit_log)] == [(3, "deleted")]


def test_swapping_two_records_of_a_batch_is_caught(audit_log: AuditLog) -> None:
    """Swapping the stored seqs of two records inside a batch is reported, not accepted."""
    audit_log.append_many([make_entry(audit_log, i) for i in range(1, 6)])
    swap_seqs(audit_log, 2, 4)
    assert summary(audit_log) == [(2, ref(4), "reordered"), (4, ref(2), "reordered")]


def test_a_rejected_entry_commits_none_of_its_batch(audit_log: AuditLog) -> None:
    """A batch holding one PHI-bearing entry is refused whole and the chain goes on unharmed."""
    fill(audit_log, 2)
    bad = make_entry(audit_log, 4, recipient_domains=("jane.doe@lab.example",))
    with counting_commits(audit_log) as counter:
        with pytest.raises(AuditEntryRejected) as info:
            audit_log.append_many([make_entry(audit_log, 3), bad, make_entry(audit_log, 5)])
    assert "jane.doe" not in str(info.value)
    assert counter.commits == 0
    assert [r["seq"] for r in audit_log.records()] == [2, 1]
    assert audit_log.append(make_entry(audit_log, 3)) == 3
    assert audit_log.verify().ok


def test_a_database_error_rolls_the_whole_batch_back(audit_log: AuditLog) -> None:
    """A batch that collides with a planted row fails whole, and the chain head does not move."""
    fill(audit_log, 1)
    run_sql(
        audit_log,
        "INSERT INTO audit_records SELECT 3, ref_id, ts, message_id, sender_hash, "
        "recipient_domains, size, stages, action, next_hop_reply, timings, findings_summary, "
        "key_id, prev_mac, mac, node_id FROM audit_records WHERE seq = 1",
    )
    with pytest.raises(Exception, match="(?i)unique|duplicate") as info:
        audit_log.append_many([make_entry(audit_log, i) for i in (2, 3, 4)])
    assert type(info.value).__name__ == "IntegrityError"
    run_sql(audit_log, "DELETE FROM audit_records WHERE seq = 3")
    assert [r["seq"] for r in audit_log.records()] == [1]
    assert audit_log.append_many([make_entry(audit_log, i) for i in (2, 3)]) == [2, 3]
    assert audit_log.verify().ok
