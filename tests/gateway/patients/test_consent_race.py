"""A revoked consent used in a race with a delivery: a use never follows a committed revoke."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gateway.patients import ConsentRegistry, ConsentUse
from gateway.patients.consent import REVOKED

ADDRESS = "john.smith@gmail.com"
JOIN_S = 60


def grant(registry: ConsentRegistry) -> str:
    """Record an all-clinical consent for John Smith's address."""
    return registry.add(
        ADDRESS,
        "R-100",
        obtained_at=datetime(2026, 1, 5, tzinfo=UTC),
        method="portal",
        recorded_by="portal",
        disclosure_version="unencrypted-email-v1",
        scope=["all_clinical"],
        expires=date(2099, 1, 1),
    )


def waiting_on_lock(registry: ConsentRegistry) -> bool:
    """True when (on PostgreSQL) some backend is blocked on a row lock; False on SQLite."""
    if registry.engine.dialect.name != "postgresql":
        return False
    with registry.engine.connect() as conn:
        n = conn.execute(
            sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        ).scalar_one()
    return int(n) > 0


def test_use_waits_for_an_uncommitted_revoke_and_then_refuses(
    registry: ConsentRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A delivery that checks while a revoke is in flight sees the revoke once it commits."""
    cid = grant(registry)
    inside = threading.Event()
    release = threading.Event()
    original = ConsentRegistry._append

    def paused_append(
        conn: Connection, consent_id: str, seq: int, kind: str, at: datetime, by: str,
        payload: Mapping[str, Any],
    ) -> None:  # fmt: skip
        original(conn, consent_id, seq, kind, at, by, payload)
        if kind == REVOKED:
            inside.set()
            assert release.wait(JOIN_S)

    monkeypatch.setattr(ConsentRegistry, "_append", staticmethod(paused_append))
    revoker = threading.Thread(
        target=registry.revoke,
        args=(cid,),
        kwargs={"at": datetime.now(UTC), "reason": "patient withdrew", "by": "amy"},
    )
    revoker.start()
    assert inside.wait(JOIN_S)
    result: list[ConsentUse | None] = []
    user = threading.Thread(
        target=lambda: result.append(
            registry.check_and_use(ADDRESS, ["DIAGNOSIS"], datetime.now(UTC), "PG-race")
        )
    )
    user.start()
    # Give the delivery time to reach the lock (observed directly on PostgreSQL).
    for _ in range(200):
        if waiting_on_lock(registry) or not user.is_alive():
            break
        time.sleep(0.01)
    assert user.is_alive()
    release.set()
    revoker.join(JOIN_S)
    user.join(JOIN_S)
    assert result == [None]
    assert [e.kind for e in registry.history(cid)] == ["granted", "revoked"]


def race_once(registry: ConsentRegistry, cid: str, ref: str) -> ConsentUse | None:
    """Start a revoke and a use of `cid` at the same moment; return what the use got."""
    barrier = threading.Barrier(2)
    got: list[ConsentUse | None] = []

    def revoke() -> None:
        barrier.wait()
        registry.revoke(cid, at=datetime.now(UTC), reason="withdrawn", by="amy")

    def use() -> None:
        barrier.wait()
        got.append(registry.check_and_use(ADDRESS, ["LAB_RESULT"], datetime.now(UTC), ref))

    threads = [threading.Thread(target=revoke), threading.Thread(target=use)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_S)
    assert len(got) == 1
    return got[0]


def test_concurrent_revokes_and_uses_never_leave_a_use_after_a_revoke(
    registry: ConsentRegistry,
) -> None:
    """In many two-thread races, either the use lands before the revoke or it is refused."""
    outcomes: list[tuple[str, ConsentUse | None]] = []
    for i in range(12):
        cid = grant(registry)
        outcomes.append((cid, race_once(registry, cid, f"PG-{i}")))
    for cid, use_result in outcomes:
        kinds = [e.kind for e in registry.history(cid)]
        assert kinds[-1] == "revoked"
        if use_result is None or use_result.consent_id != cid:
            assert "used" not in kinds
        else:
            assert kinds == ["granted", "used", "revoked"]
    # Every consent ends revoked, so no later delivery may use any of them.
    assert registry.check_and_use(ADDRESS, ["LAB_RESULT"], datetime.now(UTC), "PG-late") is None
