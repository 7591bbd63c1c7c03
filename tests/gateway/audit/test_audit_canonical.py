"""orjson canonical JSON: the stored columns and MACs are byte for byte those of the old path."""

from __future__ import annotations

import enum
import hashlib
import json
import math
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import sqlalchemy as sa

from bench import audit_legacy
from gateway.audit import AuditEntry, AuditEntryRejected, AuditLog
from gateway.audit.entry import canonical_bytes, canonical_json, entry_columns, record_mac
from gateway.audit.schema import records
from tests.support.audit import BASE_TS, make_entry

KEY = bytes(range(32))
WORDS = ["ok", "Zoë", "日本語", "emoji 😀", "tab\there", 'quo"te', "back\\slash", "\x00\x1f\x7f"]
WORDS += ["\u2028line", "/slash", "", "ﬁ ligature", "\ufeffbom"]


class Level(enum.IntEnum):
    """An int subclass, as a caller might pass in a stage."""

    LOW = 1


class Tag(str):
    """A str subclass, as a caller might pass as a key or value."""


def _float(rng: random.Random) -> float:
    """Floats of every magnitude, the small ones orjson spells differently among them."""
    exp = rng.randint(-330, 308)
    value = rng.random() * 10.0**exp if exp > -300 else rng.random() * 1e-300
    return rng.choice([value, -value, 0.0, -0.0, 0.1, 1e-5, 1e16, float(rng.randint(0, 99))])


def _scalar(rng: random.Random) -> Any:
    """A random JSON scalar, including big ints and subclasses."""
    pick = rng.randrange(9)
    if pick == 0:
        return rng.choice(WORDS)
    if pick == 1:
        return _float(rng)
    if pick == 2:
        return rng.choice([0, -1, 2**63 - 1, -(2**63), 2**64, -(2**70), rng.randint(-9, 10**9)])
    if pick == 3:
        return rng.choice([True, False, None])
    if pick == 4:
        return Level.LOW
    if pick == 5:
        return Tag(rng.choice(WORDS))
    return "".join(
        chr(rng.choice([rng.randint(32, 0x2FF), rng.randint(0xE000, 0x1F6FF)])) for _ in range(5)
    )


def _value(rng: random.Random, depth: int = 0) -> Any:
    """A random nested value: dicts (some as MappingProxyType), lists and tuples."""
    if depth > 2 or rng.random() < 0.4:
        return _scalar(rng)
    if rng.random() < 0.5:
        keys = [rng.choice(WORDS + ["a", "B", "é", "z", "stage"]) for _ in range(rng.randint(0, 4))]
        d = {(Tag(k) if rng.random() < 0.1 else k): _value(rng, depth + 1) for k in keys}
        return MappingProxyType(d) if rng.random() < 0.2 else d
    items = [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return tuple(items) if rng.random() < 0.5 else items


def random_entry(rng: random.Random, i: int) -> AuditEntry:
    """An entry with random stages, timings and findings summary."""
    return AuditEntry(
        ref_id=f"PG-{i:06d}-{rng.choice(WORDS[:4])}",
        ts=BASE_TS + timedelta(microseconds=rng.randint(0, 10**12)),
        message_id=rng.choice([None, f"<{i}@clinic.example>", "Zoë <x>"]),
        sender_hash=hashlib.sha256(str(i).encode()).hexdigest(),
        recipient_domains=tuple(rng.sample(["lab.example", "münchen.example", "b.example"], 2)),
        size=rng.choice([0, 5120, 2**63 - 1, 2**64 + 7]),
        stages=tuple({"stage": "s", "n": _value(rng)} for _ in range(rng.randint(0, 3))),
        action=rng.choice(["deliver", "quarantine", "message-pending"]),
        next_hop_reply=rng.choice([None, "250 2.0.0 Ok", "250 Zoë ✓"]),
        timings={f"t{k}": _float(rng) for k in range(rng.randint(0, 4))},
        findings_summary={"entities": {"US_SSN": rng.randint(0, 3)}, "x": _value(rng)},
    )


def test_columns_and_macs_match_the_old_path_on_many_random_entries() -> None:
    """For 3,000 random entries (non-ASCII, floats of every size, big ints, subclasses,
    nesting) the stored columns and the v1 and v2 MACs are those json.dumps produced."""
    rng = random.Random(14)
    for i in range(3000):
        entry = random_entry(rng, i)
        try:
            old = audit_legacy.entry_columns(entry)
        except AuditEntryRejected:
            with pytest.raises(AuditEntryRejected):
                entry_columns(entry)
            continue
        new = entry_columns(entry)
        assert new == old, i
        for node in (None, "node-ä"):
            row = {**new, "key_id": "k1", "prev_mac": "0" * 64, "node_id": node}
            assert record_mac(KEY, i, row) == audit_legacy.record_mac(KEY, i, row), i


@pytest.mark.parametrize(
    "value",
    [
        [1e-5, 9.99e-5, 1e-4, 1e-7, 1e16, 1.5e300, 5e-324, -0.0, 0.1],
        {"é": 1, "\uffff": 2, "😀": 3, "a": [None, True, "\x00\u2028"]},
        [2**63 - 1, -(2**63), 2**64 - 1],
        "\ud800",  # a lone surrogate: orjson refuses it, the reference path answers
    ],
)
def test_canonical_bytes_is_the_reference_or_falls_back_to_it(value: Any) -> None:
    """canonical_bytes never differs from json.dumps for the values it is given, edge cases too."""
    try:
        expected = canonical_json(value).encode()
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            canonical_bytes(value)
        return
    if isinstance(value, list) and isinstance(value[0], float):
        # Floats go through entry_columns, which sends small ones to the reference path.
        entry_json = entry_columns(_with_timings({f"t{i}": v for i, v in enumerate(value)}))
        assert entry_json["timings"] == canonical_json({f"t{i}": v for i, v in enumerate(value)})
        return
    assert canonical_bytes(value) == expected


def _with_timings(timings: dict[str, float]) -> AuditEntry:
    """A minimal valid entry with these timings."""
    return AuditEntry(
        ref_id="PG-1",
        ts=datetime(2026, 1, 1, tzinfo=UTC),
        message_id=None,
        sender_hash="a" * 64,
        recipient_domains=(),
        size=0,
        stages=(),
        action="deliver",
        next_hop_reply=None,
        timings=timings,
    )


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_are_still_refused(bad: float) -> None:
    """NaN and infinity anywhere are refused (orjson would have written null)."""
    with pytest.raises(AuditEntryRejected):
        entry_columns(_with_timings({"parse": bad}))
    nested = replace(_with_timings({}), stages=({"stage": "x", "n": [1, {"y": bad}]},))
    with pytest.raises(AuditEntryRejected):
        entry_columns(nested)


def test_forbidden_key_and_lone_surrogate_are_refused() -> None:
    """A lone surrogate (no UTF-8 form) is refused, and the allowed-key cache never lets a
    content-bearing key through, in any case or nesting."""
    entry_columns(_with_timings({"parse": 1.0}))
    bad = replace(_with_timings({}), stages=({"stage": "x", "d": "\ud800"},))
    with pytest.raises(AuditEntryRejected):
        entry_columns(bad)
    for key in ("text", "Text", Tag("matched_text")):
        bad = replace(_with_timings({}), stages=({"stage": "x", "d": {key: "v"}},))
        with pytest.raises(AuditEntryRejected):
            entry_columns(bad)


def test_log_written_by_the_old_path_verifies_and_continues(
    audit_db_url: str, audit_key_file: Path
) -> None:
    """Records chained by the old path, then by today's, make one log that verifies (SQLite and
    PostgreSQL); the stored text of an old and a new record of the same entry is identical."""
    log = AuditLog(audit_db_url, audit_key_file)
    try:
        audit_legacy.legacy_append_many(log, [make_entry(log, i) for i in range(1, 4)])
        log.flush_anchor()
        log.append_many([make_entry(log, i) for i in range(1, 4)])
        report = log.verify()
        assert report.ok, report.problems
        assert report.checked == 6
        with log.engine.connect() as conn:
            rows = conn.execute(sa.select(records).order_by(records.c.seq)).all()
        for old, new in zip(rows[:3], rows[3:], strict=True):
            for column in ("stages", "timings", "findings_summary", "recipient_domains"):
                assert getattr(old, column) == getattr(new, column)
        assert json.loads(rows[0].stages) == json.loads(rows[3].stages)
    finally:
        log.close()
