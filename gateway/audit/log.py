"""AuditLog: appends HMAC-chained records through SQLAlchemy and verifies the chain."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from gateway.audit.anchor import AnchorFile, AnchorUnreadable, WitnessFile, default_witness_path
from gateway.audit.entry import (
    GENESIS_MAC,
    PENDING_ACTION,
    AuditEntry,
    PreparedEntry,
    canonical_ts,
    prepare_entry,
    record_mac,
)
from gateway.audit.errors import AuditError
from gateway.audit.keys import SENDER_HASH_PURPOSE, KeyFile
from gateway.audit.schema import JSON_COLUMNS, SCHEMA, chain_head, records
from gateway.audit.verify import AnchorState, VerifyReport, WitnessState, analyse
from gateway.model import ConfigError
from gateway.storage.database import READ_ONLY, first_line, make_engine, safe_url, sqlite_path
from gateway.storage.keyfiles import keyed_hash
from gateway.storage.migrate import prepare

_log = logging.getLogger("phigate.audit")


def default_anchor_path(key_file: Path) -> Path:
    """The anchor file's default place: beside the key, same stem, `.anchor` suffix."""
    return key_file.with_name(key_file.stem + ".anchor")


# Built once: SQLAlchemy's compiled cache then finds them by identity, with no per-call
# statement construction or cache-key generation (which cost more than the insert itself).
_SELECT_HEAD_FOR_UPDATE = (
    sa.select(chain_head.c.seq, chain_head.c.mac).where(chain_head.c.id == 1).with_for_update()
)
_INSERT_RECORDS = records.insert()
_UPDATE_HEAD = (
    chain_head.update()
    .where(chain_head.c.id == 1)
    .values(seq=sa.bindparam("head_seq"), mac=sa.bindparam("head_mac"))
)


def _row_dict(row: sa.Row[Any]) -> dict[str, Any]:
    return dict(row._mapping)


def _incomplete_query(query: sa.Select[Any] | None = None) -> sa.Select[Any]:
    """Pending records of a message that no later final record (same ref id) completes."""
    done = records.alias("done")
    completed = (
        sa.select(done.c.seq)
        .where(
            done.c.ref_id == records.c.ref_id,
            done.c.seq > records.c.seq,
            done.c.action != PENDING_ACTION,
        )
        .exists()
    )
    base = query if query is not None else sa.select(records.c.seq, records.c.ref_id)
    return base.where(records.c.action == PENDING_ACTION, ~completed)


class AuditLog:
    """A tamper-evident audit log: one HMAC-chained record per message.

    With `read_only` (verify, show) nothing is created or migrated: the key file, the anchor
    file and the database must all exist, and AuditError names the one that does not.
    """

    def __init__(
        self,
        url: str,
        key_file: Path,
        anchor_file: Path | None = None,
        *,
        witness_file: Path | None = None,
        read_only: bool = False,
    ) -> None:
        self._pending_anchor: tuple[Any, int, str, str] | None = None
        self._keys = KeyFile(Path(key_file))
        anchor_path = (
            Path(anchor_file) if anchor_file is not None else default_anchor_path(Path(key_file))
        )
        self._anchor = AnchorFile(anchor_path)
        self._witness = WitnessFile(
            Path(witness_file) if witness_file is not None else default_witness_path(anchor_path)
        )
        if read_only:
            self._engine = self._open_existing(url)
            return
        self._keys.ensure()
        anchor_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._engine = make_engine(url, foreign_keys=True, setting="audit.url")
        try:
            prepare(self._engine, SCHEMA)
        except sa.exc.SQLAlchemyError as exc:
            raise ConfigError(
                f"audit.url {safe_url(url)}: cannot open the audit log: {first_line(exc)}"
            ) from None
        self._start_anchor()

    def _open_existing(self, url: str) -> Engine:
        """Open an existing log for reading; refuse (naming it) whatever is missing."""
        self._keys.ring()  # AuditKeyError naming the file when it is missing or malformed
        path = sqlite_path(url)
        if path is not None and not path.exists():
            raise AuditError(f"audit database {path} does not exist")
        engine = make_engine(url, foreign_keys=True, setting="audit.url")
        try:
            with engine.connect() as conn:
                present = sa.inspect(conn).has_table(records.name) and sa.inspect(conn).has_table(
                    chain_head.name
                )
        except sa.exc.SQLAlchemyError as exc:
            engine.dispose()
            raise AuditError(
                f"cannot open audit database {safe_url(url)}: {first_line(exc)}"
            ) from None
        if not present:
            engine.dispose()
            raise AuditError(f"no audit log in {safe_url(url)} (its tables do not exist)")
        if not self._anchor.path.exists():
            engine.dispose()
            raise AuditError(
                f"audit anchor file {self._anchor.path} does not exist "
                "(give --anchor-file if it lives elsewhere)"
            )
        return engine

    def _start_anchor(self) -> None:
        """A new, empty log gets its anchor and witness at once, so that later a missing
        anchor always means a lost or deleted one."""
        if self._anchor.path.exists():
            return
        with self._engine.connect() as conn:
            head = conn.execute(sa.select(chain_head.c.seq).where(chain_head.c.id == 1)).scalar()
        if head == 0:
            self._anchor.advance(self._keys.ring(), 0, GENESIS_MAC, "")
            if not self._witness.path.exists():
                self._witness.append(0, GENESIS_MAC, "")

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for tests and maintenance tools)."""
        return self._engine

    def keyed_hash(self, value: str) -> str:
        """HMAC-SHA256 of the lower-cased value under a subkey of the active key, as hex."""
        return keyed_hash(self._keys.ring().active_key, SENDER_HASH_PURPOSE, value.lower())

    def keyed_hashes(self, value: str) -> set[str]:
        """keyed_hash of `value` under every key in the ring (to find records made before a
        rotation)."""
        ring = self._keys.ring()
        return {keyed_hash(key, SENDER_HASH_PURPOSE, value.lower()) for key in ring.keys.values()}

    def append(self, entry: AuditEntry) -> int:
        """Chain one record onto the log in a single short transaction; return its seq."""
        return self.append_many([entry])[0]

    def append_many(
        self, entries: Sequence[AuditEntry | PreparedEntry], *, anchor: bool = True
    ) -> list[int]:
        """Chain the entries in order in one transaction and one anchor update; return their seqs.

        The records are exactly those that `append` called on each entry in turn would
        write. It is all or nothing: a rejected entry or a database error commits none.
        With `anchor=False` the anchor update waits for `flush_anchor()`, so a caller can
        release its waiters as soon as the records are committed.
        """
        prepared = [e if isinstance(e, PreparedEntry) else prepare_entry(e) for e in entries]
        if not prepared:
            return []
        ring = self._keys.ring()
        key_id, key = ring.active, ring.active_key
        rows: list[dict[str, Any]] = []
        with self._engine.begin() as conn:
            head = conn.execute(_SELECT_HEAD_FOR_UPDATE).one()
            seq, mac = int(head.seq), str(head.mac)
            for p in prepared:
                seq += 1
                row = {**p.columns, "seq": seq, "key_id": key_id, "prev_mac": mac}
                mac = row["mac"] = record_mac(key, seq, row)
                rows.append(row)
            conn.execute(_INSERT_RECORDS, rows)
            conn.execute(_UPDATE_HEAD, {"head_seq": seq, "head_mac": mac})
        self._pending_anchor = (ring, seq, mac, rows[-1]["ref_id"])
        if anchor:
            self.flush_anchor()
        return [r["seq"] for r in rows]

    def flush_anchor(self) -> None:
        """Write the anchor for the newest committed batch, if one is waiting."""
        pending, self._pending_anchor = self._pending_anchor, None
        if pending is None:
            return
        ring, seq, mac, ref_id = pending
        try:
            self._anchor.advance(ring, seq, mac, ref_id)
            self._witness.append(seq, mac, ref_id)
        except OSError as exc:
            # The records are committed, so failing the append now would make the caller
            # retry and log the messages twice; a lagging anchor only weakens tail checks
            # until the next append, so say so loudly and go on.
            _log.error(
                "audit anchor not updated (seq %d): %s: %s",
                seq,
                type(exc).__name__,
                exc.strerror,
            )

    def verify(self) -> VerifyReport:
        """Check every record's MAC and chain link, the chain head and the anchor file."""
        ring = self._keys.ring()
        # Read the anchor before the database snapshot: appends write it after commit, so
        # the snapshot can never be older than the anchor read here.
        try:
            anchor_state = AnchorState(self._anchor.read())
        except AnchorUnreadable as exc:
            anchor_state = AnchorState(None, error=f"unreadable: {exc}")
        try:
            witness = WitnessState(self._witness.read())
        except AnchorUnreadable as exc:
            witness = WitnessState(None, error=f"unreadable: {exc}")
        with self._read() as conn:
            head_row = conn.execute(
                sa.select(chain_head.c.seq, chain_head.c.mac).where(chain_head.c.id == 1)
            ).one_or_none()
            head = None if head_row is None else (int(head_row.seq), str(head_row.mac))
            result = conn.execution_options(yield_per=1000).execute(
                sa.select(records).order_by(records.c.seq)
            )
            report = analyse((_row_dict(r) for r in result), ring, anchor_state, head, witness)
            pending = _incomplete_query().order_by(records.c.seq)
            incomplete = [(int(r.seq), str(r.ref_id)) for r in conn.execute(pending)]
        return replace(report, incomplete=incomplete)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A read-only transaction that sees one consistent snapshot."""
        with self._engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            else:
                conn = conn.execution_options(**{READ_ONLY: True})
            with conn.begin():
                yield conn

    def rotate_key(self) -> str:
        """Add a new key id and make it active; records under older keys still verify."""
        return self._keys.rotate()

    def records(
        self,
        limit: int = 50,
        *,
        ref_id: str | None = None,
        message_id: str | None = None,
        incomplete: bool = False,
    ) -> list[dict[str, Any]]:
        """The newest `limit` records, newest first, as JSON-ready dicts; optionally only those
        with a reference ID, with a Message-ID (given in clear, matched by its keyed hash), or
        only pending records that no final record completes."""
        query = _incomplete_query(sa.select(records)) if incomplete else sa.select(records)
        if ref_id is not None:
            query = query.where(records.c.ref_id == ref_id)
        if message_id is not None:
            query = query.where(records.c.message_id.in_(sorted(self.keyed_hashes(message_id))))
        with self._read() as conn:
            rows = conn.execute(query.order_by(records.c.seq.desc()).limit(limit)).all()
        out: list[dict[str, Any]] = []
        for r in rows:
            d = _row_dict(r)
            d["ts"] = canonical_ts(d["ts"])
            for name in JSON_COLUMNS:
                d[name] = json.loads(d[name])
            out.append(d)
        return out

    def close(self) -> None:
        """Write any waiting anchor and release the database connections."""
        self.flush_anchor()
        self._engine.dispose()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
