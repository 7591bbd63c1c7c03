"""QuarantineStore: encrypted-at-rest held messages with PHI-free metadata in SQL."""

from __future__ import annotations

import builtins
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gateway.ops.logs import is_forbidden
from gateway.quarantine.errors import (
    QuarantineError,
    QuarantineIntegrityError,
    QuarantineKeyError,
    QuarantineNotFound,
    QuarantineStateError,
)
from gateway.quarantine.keys import MasterKeyFile
from gateway.quarantine.schema import SCHEMA, entries
from gateway.storage.database import aware, typable_id, utc
from gateway.storage.keyfiles import KeyRing
from gateway.storage.migrate import prepare
from gateway.storage.sealed import (
    SHREDDED,
    Opened,
    Sealed,
    SealedIntegrityError,
    SealedKeyError,
    make_sealed_store_engine,
    open_sealed,
    rewrap,
    seal,
)

_log = logging.getLogger("phigate.quarantine")

HELD = "held"
RELEASED = "released"
DELETED = "deleted"
STATUSES = (HELD, RELEASED, DELETED)


def new_entry_id() -> str:
    """A random entry id an officer can type: `Q` and 16 characters (80 bits)."""
    return typable_id("Q", 16)


def _check_summary(value: Any, path: str = "summary") -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            # A key that could carry matched text (the logs' one list) has no place in clear
            # metadata.
            if is_forbidden(k):
                raise QuarantineError(f"{path} key {k!r} could carry raw PHI; refused")
            _check_summary(v, f"{path}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check_summary(v, f"{path}[{i}]")


def _entity_counts(summary: Mapping[str, Any]) -> dict[str, int]:
    """Entity types and counts from a detection summary (`{"entities": {...}}`) or a flat one."""
    source = summary.get("entities", summary)
    if not isinstance(source, Mapping):
        return {}
    return {str(k): int(v) for k, v in source.items() if isinstance(v, int | float)}


def _utc(now: datetime | None) -> datetime:
    return utc(now, QuarantineError)


@dataclass(frozen=True)
class QuarantinedMessage:
    """One decrypted entry: metadata, the original bytes and its SMTP envelope."""

    meta: dict[str, Any]
    raw: bytes
    mail_from: str
    recipients: tuple[str, ...]


class QuarantineStore:
    """Holds messages encrypted (AES-256-GCM, per-message data key wrapped by a master key)."""

    def __init__(self, url: str, master_key_file: Path, retention_days: int = 30) -> None:
        if retention_days < 1:
            raise QuarantineError(f"retention_days must be at least 1, not {retention_days}")
        self.retention = timedelta(days=retention_days)
        self._keys = MasterKeyFile(Path(master_key_file))
        self._keys.ensure()
        self._engine = make_sealed_store_engine(url)
        prepare(self._engine, SCHEMA)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for tests and maintenance tools)."""
        return self._engine

    @property
    def master_key_file(self) -> Path:
        """Where the master keys live."""
        return self._keys.path

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def put(
        self,
        raw: bytes,
        *,
        ref_id: str,
        sender_hash: str,
        recipients: Sequence[str],
        recipient_domains: Sequence[str],
        rule: str,
        reason: str,
        summary: Mapping[str, Any],
        mail_from: str = "",
        now: datetime | None = None,
    ) -> str:
        """Encrypt and store one message; return its entry id only once the commit is durable."""
        if not recipients:
            raise QuarantineError("a quarantined message needs at least one recipient")
        _check_summary(summary)
        summary_json = json.dumps(summary, sort_keys=True, separators=(",", ":"), default=str)
        ring = self._keys.ring()
        created = _utc(now)
        entry_id = new_entry_id()
        sealed = seal(
            raw,
            mail_from=mail_from,
            recipients=recipients,
            binding=entry_id,
            ref_id=ref_id,
            key_id=ring.active,
            master_key=ring.active_key,
        )
        row = {
            "id": entry_id,
            "ref_id": ref_id,
            "created": created,
            "expires": created + self.retention,
            "sender_hash": sender_hash,
            "recipient_domains": json.dumps(sorted({d.lower() for d in recipient_domains})),
            "recipient_count": len(recipients),
            "rule": rule,
            "reason": reason,
            "summary": summary_json,
            "size": len(raw),
            "status": HELD,
            "status_changed": None,
            **sealed.columns(),
        }
        with self._engine.begin() as conn:
            conn.execute(entries.insert().values(**row))
        _log.info("quarantined", extra={"entry_id": entry_id, "ref_id": ref_id, "rule": rule})
        return entry_id

    def list(self, status: str | None = None, limit: int = 50) -> builtins.list[dict[str, Any]]:
        """Metadata of the newest entries (never message content), optionally by status."""
        if status is not None and status not in STATUSES:
            raise QuarantineError(f"unknown status {status!r}; expected one of {STATUSES}")
        query = sa.select(*self._meta_columns()).order_by(
            entries.c.created.desc(), entries.c.id.desc()
        )
        if status is not None:
            query = query.where(entries.c.status == status)
        with self._engine.connect() as conn:
            rows = conn.execute(query.limit(limit)).all()
        return [self._meta(r) for r in rows]

    def meta(self, entry_id: str) -> dict[str, Any]:
        """One entry's metadata, without decrypting anything."""
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(*self._meta_columns()).where(entries.c.id == entry_id)
            ).one_or_none()
        if row is None:
            raise QuarantineNotFound(f"no quarantine entry {entry_id}")
        return self._meta(row)

    def get(self, entry_id: str) -> QuarantinedMessage:
        """Decrypt one entry; fail closed (QuarantineKeyError/IntegrityError) on any mismatch."""
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(
                    *self._meta_columns(),
                    entries.c.wrapped_key,
                    entries.c.nonce,
                    entries.c.ciphertext,
                ).where(entries.c.id == entry_id)
            ).one_or_none()
        if row is None:
            raise QuarantineNotFound(f"no quarantine entry {entry_id}")
        if row.status == DELETED or row.ciphertext is None:
            raise QuarantineStateError(f"quarantine entry {entry_id} was deleted (shredded)")
        opened = self._open(row)
        return QuarantinedMessage(self._meta(row), opened.raw, opened.mail_from, opened.recipients)

    def mark_released(self, entry_id: str, now: datetime | None = None) -> None:
        """Record that a held entry was delivered; the ciphertext stays until it expires."""
        self._transition(entry_id, HELD, RELEASED, now=now, shred=False)

    def delete(self, entry_id: str, now: datetime | None = None) -> None:
        """Crypto-shred one entry: drop its wrapped data key and ciphertext, keep the metadata."""
        self._transition(entry_id, None, DELETED, now=now, shred=True)

    def purge_expired(self, now: datetime | None = None) -> int:
        """Shred every entry past its expiry; return how many were shredded."""
        when = _utc(now)
        with self._engine.begin() as conn:
            result = conn.execute(
                entries.update()
                .where(entries.c.expires <= when, entries.c.status != DELETED)
                .values(status=DELETED, status_changed=when, **SHREDDED)
            )
        count = int(result.rowcount or 0)
        if count:
            _log.info("quarantine purged", extra={"count": count})
        return count

    def rotate_master_key(self, *, rewrap: bool = False) -> str:
        """Make a fresh master key active; with `rewrap`, move every live entry's data key to it."""
        new_id = self._keys.rotate()
        if rewrap:
            self.rewrap_all()
        return new_id

    def rewrap_all(self) -> int:
        """Re-wrap every live entry's data key under the active master key; return how many."""
        ring = self._keys.ring()
        moved = 0
        with self._engine.begin() as conn:
            rows = conn.execute(
                sa.select(entries.c.id, entries.c.key_id, entries.c.wrapped_key).where(
                    entries.c.wrapped_key.is_not(None), entries.c.key_id != ring.active
                )
            ).all()
            for r in rows:
                old = self._master(ring, r)
                try:
                    wrapped = rewrap(
                        r.wrapped_key, old_key=old, old_id=r.key_id, new_key=ring.active_key
                    )
                except SealedKeyError:
                    raise QuarantineKeyError(
                        f"quarantine entry {r.id}: master key {r.key_id} does not unwrap its "
                        "data key"
                    ) from None
                conn.execute(
                    entries.update()
                    .where(entries.c.id == r.id)
                    .values(key_id=ring.active, wrapped_key=wrapped)
                )
                moved += 1
        return moved

    def retire_master_key(self, key_id: str) -> None:
        """Remove an old master key from the key file once no live entry is wrapped under it."""
        with self._engine.connect() as conn:
            in_use = conn.execute(
                sa.select(sa.func.count())
                .select_from(entries)
                .where(entries.c.key_id == key_id, entries.c.wrapped_key.is_not(None))
            ).scalar_one()
        if in_use:
            raise QuarantineKeyError(
                f"master key {key_id} still wraps {in_use} entries; rewrap them first"
            )
        self._keys.retire(key_id)

    # -- internals --------------------------------------------------------------------------

    @staticmethod
    def _meta_columns() -> tuple[sa.Column[Any], ...]:
        c = entries.c
        return (
            c.id,
            c.ref_id,
            c.created,
            c.expires,
            c.sender_hash,
            c.recipient_domains,
            c.recipient_count,
            c.rule,
            c.reason,
            c.summary,
            c.size,
            c.status,
            c.status_changed,
            c.key_id,
        )

    @staticmethod
    def _meta(row: sa.Row[Any]) -> dict[str, Any]:
        summary = json.loads(row.summary)
        return {
            "id": row.id,
            "ref_id": row.ref_id,
            "created": aware(row.created),
            "expires": aware(row.expires),
            "sender_hash": row.sender_hash,
            "recipient_domains": json.loads(row.recipient_domains),
            "recipient_count": row.recipient_count,
            "rule": row.rule,
            "reason": row.reason,
            "entities": _entity_counts(summary),
            "summary": summary,
            "size": row.size,
            "status": row.status,
            "status_changed": aware(row.status_changed),
            "key_id": row.key_id,
        }

    def _master(self, ring: KeyRing, row: sa.Row[Any]) -> bytes:
        """The master key a row is wrapped under, or QuarantineKeyError naming the key file."""
        master = ring.keys.get(row.key_id)
        if master is None:
            raise QuarantineKeyError(
                f"quarantine entry {row.id} is wrapped under master key {row.key_id}, "
                f"which {self._keys.path} does not hold"
            )
        return master

    def _open(self, row: sa.Row[Any]) -> Opened:
        master = self._master(self._keys.ring(), row)
        try:
            return open_sealed(
                Sealed.from_row(row), binding=row.id, ref_id=row.ref_id, master_key=master
            )
        except SealedKeyError as exc:
            raise QuarantineKeyError(f"quarantine entry {row.id}: {exc}") from None
        except SealedIntegrityError as exc:
            raise QuarantineIntegrityError(f"quarantine entry {row.id}: {exc}") from None

    def _transition(
        self,
        entry_id: str,
        required: str | None,
        target: str,
        *,
        now: datetime | None,
        shred: bool,
    ) -> None:
        when = _utc(now)
        with self._engine.begin() as conn:
            current = conn.execute(
                sa.select(entries.c.status).where(entries.c.id == entry_id).with_for_update()
            ).scalar_one_or_none()
            if current is None:
                raise QuarantineNotFound(f"no quarantine entry {entry_id}")
            if current == DELETED:
                raise QuarantineStateError(f"quarantine entry {entry_id} was already deleted")
            if required is not None and current != required:
                raise QuarantineStateError(
                    f"quarantine entry {entry_id} is {current}, not {required}"
                )
            values: dict[str, Any] = {"status": target, "status_changed": when}
            if shred:
                values.update(SHREDDED)
            conn.execute(entries.update().where(entries.c.id == entry_id).values(**values))
        _log.info("quarantine %s", target, extra={"entry_id": entry_id})
