"""The portal store: nothing readable at rest, token kept only as a hash, codes and lock-out."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from gateway.portal import (
    EXPIRED,
    READ,
    UNREAD,
    PortalError,
    PortalExpired,
    PortalIntegrityError,
    PortalNotFound,
    PortalStore,
)
from gateway.portal.schema import codes, items, sessions
from gateway.portal.store import CodeCheck
from tests.support.portal import PLANTED, RAW, RECIPIENT, ROSTER_ID, SENDER, T0, put

LOCKOUT = timedelta(minutes=15)


def _dump(store: PortalStore) -> bytes:
    """Every byte of every portal table, as an attacker with the database would see it."""
    out = []
    with store.engine.connect() as conn:
        for table in (items, codes, sessions):
            for row in conn.execute(sa.select(table)):
                for value in row:
                    out.append(value if isinstance(value, bytes) else str(value).encode())
    return b"\x00".join(out)


def test_round_trip_by_token(portal_store: PortalStore) -> None:
    """open(token) returns the original bytes, sender, recipient and the metadata."""
    item = put(portal_store)
    opened = portal_store.open(item.token, now=T0)
    assert opened.raw == RAW
    assert opened.mail_from == SENDER
    assert opened.recipient == RECIPIENT
    meta = opened.meta
    assert meta.item_id == item.item_id
    assert meta.ref_id == "PG-20261128-PORTAL01"
    assert meta.roster_id == ROSTER_ID
    assert meta.status == UNREAD
    assert meta.views == 0
    assert meta.created == T0
    assert meta.expires == T0 + timedelta(days=14) == item.expires
    # "j.doughberry.family" keeps its first letter, and the domain stays.
    assert meta.recipient_masked == "j***@gmail.example"
    assert meta.key_id == "q1"


def test_no_plaintext_at_rest(portal_store: PortalStore) -> None:
    """Neither the message, the addresses nor the token are readable in the database."""
    item = put(portal_store)
    portal_store.new_session(item.item_id, timedelta(minutes=5), now=T0)
    code = portal_store.issue_code(item.item_id, timedelta(minutes=10), now=T0)
    dump = _dump(portal_store)
    for secret in (*PLANTED, SENDER, "potassium", item.token):
        assert secret.encode() not in dump, secret
    assert f":{code}".encode() not in dump
    meta = portal_store.meta(item.item_id)
    assert meta.recipient_hash == portal_store.keyed_hash(RECIPIENT.upper())
    assert meta.recipient_hash != hashlib.sha256(RECIPIENT.encode()).hexdigest()


def test_token_is_long_random_and_stored_as_hash(portal_store: PortalStore) -> None:
    """Tokens carry at least 128 bits, differ per item, and only their SHA-256 is stored."""
    a, b = put(portal_store), put(portal_store)
    assert a.token != b.token and a.item_id != b.item_id
    assert len(a.token) >= 22  # 22 base64url characters = 132 bits
    with portal_store.engine.connect() as conn:
        stored = conn.execute(
            sa.select(items.c.token_hash).where(items.c.id == a.item_id)
        ).scalar_one()
    assert stored == hashlib.sha256(a.token.encode()).hexdigest()
    with pytest.raises(PortalNotFound):
        portal_store.find(a.token[:-1] + ("A" if a.token[-1] != "A" else "B"), now=T0)
    with pytest.raises(PortalNotFound):
        portal_store.find(stored, now=T0)


def test_key_files_are_private_and_apart(portal_store: PortalStore, tmp_path: Path) -> None:
    """The master key and the hash key are separate 0600 files, not in the database."""
    master = tmp_path / "keys" / "portal.key"
    hashkey = tmp_path / "keys" / "portal-hash.key"
    for path in (master, hashkey):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key_hex = next(iter(json.loads(master.read_text())["keys"].values()))
    put(portal_store)
    assert key_hex.encode() not in _dump(portal_store)
    assert bytes.fromhex(key_hex) not in _dump(portal_store)


def test_rotation_keeps_old_items_readable(portal_store: PortalStore) -> None:
    """After a master-key rotation new items use the new key id and old ones still open."""
    old = put(portal_store)
    new_id = portal_store.rotate_master_key()
    new = put(portal_store)
    assert new_id == "q2"
    assert portal_store.meta(old.item_id).key_id == "q1"
    assert portal_store.meta(new.item_id).key_id == "q2"
    assert portal_store.open(old.token, now=T0).raw == RAW
    assert portal_store.open(new.token, now=T0).raw == RAW


def test_wrong_master_key_fails_closed(portal_db_url: str, tmp_path: Path) -> None:
    """A store opened with another master key file refuses to decrypt instead of guessing."""
    first = PortalStore(portal_db_url, tmp_path / "a" / "portal.key")
    try:
        item = put(first)
    finally:
        first.close()
    other = PortalStore(portal_db_url, tmp_path / "b" / "portal.key")
    try:
        with pytest.raises(PortalIntegrityError):
            other.get(item.item_id, now=T0)
    finally:
        other.close()


def test_altered_ciphertext_fails_closed(portal_store: PortalStore) -> None:
    """Flipping one ciphertext byte makes the item refuse to open."""
    item = put(portal_store)
    with portal_store.engine.begin() as conn:
        ct = conn.execute(
            sa.select(items.c.ciphertext).where(items.c.id == item.item_id)
        ).scalar_one()
        bad = bytes([ct[0] ^ 1]) + ct[1:]
        conn.execute(items.update().where(items.c.id == item.item_id).values(ciphertext=bad))
    with pytest.raises(PortalIntegrityError):
        portal_store.open(item.token, now=T0)


def test_mark_read_counts_views(portal_store: PortalStore) -> None:
    """The first view turns unread into read; every view counts."""
    item = put(portal_store)
    first = portal_store.mark_read(item.item_id, now=T0 + timedelta(hours=1))
    second = portal_store.mark_read(item.item_id, now=T0 + timedelta(hours=2))
    assert (first.status, first.views) == (READ, 1)
    assert (second.status, second.views) == (READ, 2)
    assert second.first_read == T0 + timedelta(hours=1)


def test_expiry_refuses_and_expire_old_shreds(portal_store: PortalStore) -> None:
    """Past its expiry an item will not open, and expire_old shreds it and its sessions."""
    item = put(portal_store, expires=T0 + timedelta(days=1))
    keep = put(portal_store, expires=T0 + timedelta(days=3))
    portal_store.new_session(item.item_id, timedelta(days=5), now=T0)
    later = T0 + timedelta(days=2)
    with pytest.raises(PortalExpired):
        portal_store.open(item.token, now=later)
    assert portal_store.expire_old(now=later) == 1
    assert portal_store.expire_old(now=later) == 0
    meta = portal_store.meta(item.item_id)
    assert meta.status == EXPIRED and meta.key_id is None
    with portal_store.engine.connect() as conn:
        row = conn.execute(sa.select(items).where(items.c.id == item.item_id)).one()
        left = conn.execute(
            sa.select(sa.func.count())
            .select_from(sessions)
            .where(sessions.c.item_id == item.item_id)
        ).scalar_one()
    assert row.ciphertext is None and row.wrapped_key is None and row.nonce is None
    assert left == 0
    with pytest.raises(PortalExpired):
        portal_store.find(item.token, now=T0)
    assert portal_store.open(keep.token, now=later).raw == RAW


def test_put_refuses_bad_input(portal_store: PortalStore) -> None:
    """No recipient, or an expiry in the past, is refused before anything is stored."""
    with pytest.raises(PortalError):
        put(portal_store, recipient="")
    with pytest.raises(PortalError):
        put(portal_store, expires=T0 - timedelta(seconds=1))


def _check(
    store: PortalStore, item_id: str, code: str, minutes: int = 0, second_factor_ok: bool = True
) -> CodeCheck:
    return store.check_code(
        item_id,
        code,
        second_factor_ok=second_factor_ok,
        max_failed=5,
        lockout=LOCKOUT,
        now=T0 + timedelta(minutes=minutes),
    )


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_code_is_single_use(portal_store: PortalStore) -> None:
    """A right code works once; the same code a second time fails."""
    item = put(portal_store)
    code = portal_store.issue_code(item.item_id, timedelta(minutes=10), now=T0)
    assert len(code) == 6 and code.isdigit()
    assert _check(portal_store, item.item_id, code).ok
    assert not _check(portal_store, item.item_id, code).ok


def test_code_expires(portal_store: PortalStore) -> None:
    """A code is refused once its ten minutes are over."""
    item = put(portal_store)
    code = portal_store.issue_code(item.item_id, timedelta(minutes=10), now=T0)
    assert not _check(portal_store, item.item_id, code, minutes=11).ok


def test_new_code_voids_the_old_one(portal_store: PortalStore) -> None:
    """Asking for a new code makes the earlier one useless."""
    item = put(portal_store)
    old = portal_store.issue_code(item.item_id, timedelta(minutes=10), now=T0)
    new = portal_store.issue_code(item.item_id, timedelta(minutes=10), now=T0)
    if old != new:
        assert not _check(portal_store, item.item_id, old).ok
    assert _check(portal_store, item.item_id, new).ok


def test_failed_second_factor_spends_the_code(portal_store: PortalStore) -> None:
    """A right code with a wrong date of birth fails and the code cannot be retried."""
    item = put(portal_store)
    code = portal_store.issue_code(item.item_id, timedelta(minutes=10), now=T0)
    result = _check(portal_store, item.item_id, code, second_factor_ok=False)
    assert not result.ok and result.failed_codes == 1
    assert not _check(portal_store, item.item_id, code).ok


def test_lockout_after_five_failures(portal_store: PortalStore) -> None:
    """Five wrong codes lock the item for 15 minutes, even against the right code."""
    item = put(portal_store)
    code = portal_store.issue_code(item.item_id, timedelta(minutes=60), now=T0)
    results = [_check(portal_store, item.item_id, _wrong(code)) for _ in range(5)]
    assert [r.failed_codes for r in results] == [1, 2, 3, 4, 5]
    assert [r.just_locked for r in results] == [False, False, False, False, True]
    assert results[-1].locked_until == T0 + LOCKOUT
    fresh = portal_store.issue_code(item.item_id, timedelta(minutes=60), now=T0)
    during = _check(portal_store, item.item_id, fresh, minutes=14)
    assert not during.ok and not during.just_locked
    assert portal_store.locked_until(item.item_id, now=T0 + timedelta(minutes=14))
    assert portal_store.locked_until(item.item_id, now=T0 + timedelta(minutes=16)) is None
    after = portal_store.issue_code(item.item_id, timedelta(minutes=60), now=T0 + LOCKOUT)
    assert _check(portal_store, item.item_id, after, minutes=16).ok


def test_lockout_is_per_item(portal_store: PortalStore) -> None:
    """Failures on one item do not lock another."""
    a, b = put(portal_store), put(portal_store)
    for _ in range(5):
        _check(portal_store, a.item_id, "000000x")
    code = portal_store.issue_code(b.item_id, timedelta(minutes=10), now=T0)
    assert _check(portal_store, b.item_id, code).ok


def test_sessions_expire_and_rotate(portal_store: PortalStore) -> None:
    """Sessions end at their expiry; promotion replaces the id and the CSRF token."""
    item = put(portal_store)
    sid, session = portal_store.new_session(item.item_id, timedelta(minutes=30), now=T0)
    assert portal_store.session(sid, now=T0 + timedelta(minutes=29)) == session
    assert portal_store.session(sid, now=T0 + timedelta(minutes=30)) is None
    new_sid, promoted = portal_store.promote_session(sid, timedelta(minutes=30), now=T0)
    assert new_sid != sid and promoted.verified and promoted.csrf != session.csrf
    assert portal_store.session(sid, now=T0) is None
    assert portal_store.session(new_sid, now=T0) == promoted
