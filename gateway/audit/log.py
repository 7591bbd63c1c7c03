"""AuditLog: appends HMAC-chained records through SQLAlchemy and verifies the chain."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.compiler import SQLCompiler

from gateway.audit.anchor import (
    NODE_PLACEHOLDER,
    AnchorFile,
    AnchorUnreadable,
    WitnessFile,
    default_witness_path,
    for_node,
    node_row_mac,
)
from gateway.audit.entry import (
    GENESIS_MAC,
    LEGACY_NODE,
    PENDING_ACTION,
    AuditEntry,
    PreparedEntry,
    canonical_ts,
    prepare_entry,
    record_mac,
)
from gateway.audit.errors import AuditError
from gateway.audit.keys import SENDER_HASH_PURPOSE, KeyFile, KeyRing, derive_subkey
from gateway.audit.schema import JSON_COLUMNS, SCHEMA, chain_head, nodes, records
from gateway.audit.verify import (
    AnchorState,
    NodeFiles,
    NodeRow,
    NodeSummary,
    VerifyReport,
    WitnessState,
    analyse,
)
from gateway.config import default_node_id
from gateway.model import ConfigError
from gateway.storage.database import (
    READ_ONLY,
    aware,
    first_line,
    make_engine,
    safe_url,
    sqlite_path,
)
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
_NODE_END: dict[str, Any] = {
    "last_seq": sa.bindparam("n_seq"),
    "last_mac": sa.bindparam("n_mac"),
    "last_ref_id": sa.bindparam("n_ref"),
    "key_id": sa.bindparam("n_key"),
    "node_mac": sa.bindparam("n_node_mac"),
}
_UPDATE_NODE_END = nodes.update().where(nodes.c.node_id == sa.bindparam("n_id")).values(_NODE_END)
_INSERT_NODE_END = nodes.insert().values(node_id=sa.bindparam("n_id"), **_NODE_END)


class _DriverStatement:
    """A Core statement compiled once for one dialect, run on the DBAPI cursor directly.

    The SQL text, the bound constants and the bind processors (SQLite's datetime to text) are
    the ones SQLAlchemy itself would use, so the stored bytes are the same; what it skips is
    SQLAlchemy's per-execution work (execution context, events, result objects), which on a
    group commit of a few records costs more than the database does.
    """

    def __init__(self, statement: sa.ClauseElement, dialect: sa.Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.sql = str(compiled)
        self._constants = {
            k: v for k, v in compiled.construct_params(_check=False).items() if v is not None
        }
        self._order = tuple(compiled.positiontup or ()) if compiled.positional else None
        self._processors: dict[str, Callable[[Any], Any]] = {}
        for name, process in compiled._bind_processors.items():
            if not callable(process):  # only tuple-typed binds have several; none here
                raise TypeError(f"bind {name}: a tuple type is not supported")
            self._processors[name] = process

    def params(self, values: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """The DBAPI parameters for `values` (bind names to Python values)."""
        merged = {**self._constants, **values} if self._constants else dict(values)
        for name, process in self._processors.items():
            if name in merged:
                merged[name] = process(merged[name])
        if self._order is None:
            return merged
        return tuple(merged[name] for name in self._order)


@dataclass(frozen=True)
class _DriverStatements:
    """The group commit's statements for one dialect."""

    select_head: _DriverStatement
    insert_records: _DriverStatement
    update_head: _DriverStatement
    update_node_end: _DriverStatement
    insert_node_end: _DriverStatement

    @classmethod
    def compile(cls, dialect: sa.Dialect) -> _DriverStatements:
        """Compile every statement for `dialect`."""
        return cls(
            _DriverStatement(_SELECT_HEAD_FOR_UPDATE, dialect),
            _DriverStatement(_INSERT_RECORDS, dialect),
            _DriverStatement(_UPDATE_HEAD, dialect),
            _DriverStatement(_UPDATE_NODE_END, dialect),
            _DriverStatement(_INSERT_NODE_END, dialect),
        )


@dataclass(frozen=True)
class NodeStatus:
    """A node's row as `phigate status` shows it: its heartbeat, policy and last record."""

    node: str
    heartbeat_at: datetime | None
    started_at: datetime | None
    policy_hash: str | None
    policy_loaded_at: datetime | None
    pid: int | None
    listen: str | None
    last_seq: int | None
    last_ref_id: str | None


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
        node_id: str | None = None,
    ) -> None:
        self._pending_anchor: tuple[Any, int, str, str] | None = None
        # The sender-hash HMACs, keyed once per key id, for the ring they were made from: a
        # rotation (or any change of the key file) gives a new ring object, so a new cache.
        self._hashers: tuple[KeyRing, dict[str, hmac.HMAC]] | None = None
        self._driver: _DriverStatements | None = None
        self.node_id = node_id or default_node_id()
        self._keys = KeyFile(Path(key_file))
        template = (
            Path(anchor_file) if anchor_file is not None else default_anchor_path(Path(key_file))
        )
        # With `{node}` in the anchor path each node keeps its own anchor and witness there
        # (a directory every node and `audit verify` can read); without it, one pair for all.
        self._anchor_template = template
        self._witness_template = (
            Path(witness_file) if witness_file is not None else default_witness_path(template)
        )
        self.per_node_files = NODE_PLACEHOLDER in str(template)
        anchor_path = for_node(template, self.node_id)
        self._anchor = AnchorFile(anchor_path)
        self._witness = WitnessFile(for_node(self._witness_template, self.node_id))
        self._has_nodes = True
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
                inspector = sa.inspect(conn)
                present = inspector.has_table(records.name) and inspector.has_table(chain_head.name)
                # A log no node-aware gateway has opened yet (verify never migrates).
                self._has_nodes = present and inspector.has_table(nodes.name)
        except sa.exc.SQLAlchemyError as exc:
            engine.dispose()
            raise AuditError(
                f"cannot open audit database {safe_url(url)}: {first_line(exc)}"
            ) from None
        if not present:
            engine.dispose()
            raise AuditError(f"no audit log in {safe_url(url)} (its tables do not exist)")
        if not self.per_node_files and not self._anchor.path.exists():
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

    def _ring_hashers(self) -> tuple[KeyRing, dict[str, hmac.HMAC]]:
        """The current ring and, per key id, an HMAC already keyed with its sender-hash subkey.

        Deriving the subkey and keying an HMAC cost more than hashing a short value, and every
        message hashes its sender and Message-ID; copying a keyed HMAC skips both.
        """
        ring = self._keys.ring()
        cached = self._hashers
        if cached is None or cached[0] is not ring:
            hashers = {
                key_id: hmac.new(derive_subkey(key, SENDER_HASH_PURPOSE), digestmod=hashlib.sha256)
                for key_id, key in ring.keys.items()
            }
            cached = self._hashers = (ring, hashers)
        return cached

    def keyed_hash(self, value: str) -> str:
        """HMAC-SHA256 of the lower-cased value under a subkey of the active key, as hex."""
        ring, hashers = self._ring_hashers()
        h = hashers[ring.active].copy()
        h.update(value.lower().encode())
        return h.hexdigest()

    def keyed_hashes(self, value: str) -> set[str]:
        """keyed_hash of `value` under every key in the ring (to find records made before a
        rotation)."""
        data = value.lower().encode()
        out: set[str] = set()
        for base in self._ring_hashers()[1].values():
            h = base.copy()
            h.update(data)
            out.add(h.hexdigest())
        return out

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
        driver = self._driver
        if driver is None:
            driver = self._driver = _DriverStatements.compile(self._engine.dialect)
        rows: list[dict[str, Any]] = []
        # SQLAlchemy still opens and commits the transaction (SQLite's BEGIN IMMEDIATE, the
        # pool); the statements inside go to the driver's cursor (see _DriverStatement).
        with self._engine.begin() as conn:
            dbapi_conn = conn.connection.dbapi_connection
            assert dbapi_conn is not None
            cursor = dbapi_conn.cursor()
            dbapi_error = self._engine.dialect.loaded_dbapi.Error
            s = driver.select_head
            try:
                s = driver.select_head
                cursor.execute(s.sql, s.params({}))
                head = cursor.fetchone()
                if head is None:
                    raise AuditError("the audit chain head row is missing")
                seq, mac = int(head[0]), str(head[1])
                node = self.node_id
                for p in prepared:
                    seq += 1
                    row = {
                        **p.columns,
                        "seq": seq,
                        "key_id": key_id,
                        "prev_mac": mac,
                        "node_id": node,
                    }
                    mac = row["mac"] = record_mac(key, seq, row)
                    rows.append(row)
                s = driver.insert_records
                params: list[Any] = [s.params(row) for row in rows]
                cursor.executemany(s.sql, params)
                s = driver.update_head
                cursor.execute(s.sql, s.params({"head_seq": seq, "head_mac": mac}))
                ref = rows[-1]["ref_id"]
                end = {
                    "n_id": node,
                    "n_seq": seq,
                    "n_mac": mac,
                    "n_ref": ref,
                    "n_key": key_id,
                    "n_node_mac": node_row_mac(key, node, seq, mac, ref, key_id),
                }
                # The head lock above serialises every writer, so update-then-insert cannot
                # race.
                s = driver.update_node_end
                cursor.execute(s.sql, s.params(end))
                if cursor.rowcount == 0:
                    s = driver.insert_node_end
                    cursor.execute(s.sql, s.params(end))
            except dbapi_error as exc:
                # Raise as SQLAlchemy would have: wrapped, and with a lost connection
                # invalidated so the pool never hands it out again.
                lost = self._engine.dialect.is_disconnect(exc, dbapi_conn, cursor)
                if lost:
                    conn.invalidate(exc)
                raise sa.exc.DBAPIError.instance(
                    s.sql, None, exc, dbapi_error, connection_invalidated=lost
                ) from exc
            finally:
                cursor.close()
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
        # Read the anchors before the database snapshot: appends write them after commit, so
        # the snapshot can never be older than an anchor read here.
        if self.per_node_files:
            with self._read() as conn:
                names = self._writers(conn)
            files = [self._files(name) for name in names]
        else:
            files = [
                NodeFiles(
                    None, self._anchor_state(self._anchor), self._witness_state(self._witness)
                )
            ]
        with self._read() as conn:
            head_row = conn.execute(
                sa.select(chain_head.c.seq, chain_head.c.mac).where(chain_head.c.id == 1)
            ).one_or_none()
            head = None if head_row is None else (int(head_row.seq), str(head_row.mac))
            node_rows = self._node_rows(conn, ring)
            result = conn.execution_options(yield_per=1000).execute(
                self._select_records().order_by(records.c.seq)
            )
            report = analyse((_row_dict(r) for r in result), ring, files, head, node_rows)
            pending = _incomplete_query().order_by(records.c.seq)
            incomplete = [(int(r.seq), str(r.ref_id)) for r in conn.execute(pending)]
            summaries = self._summaries(conn, node_rows, files)
        return replace(report, incomplete=incomplete, nodes=summaries)

    @staticmethod
    def _anchor_state(anchor: AnchorFile) -> AnchorState:
        try:
            return AnchorState(anchor.read())
        except AnchorUnreadable as exc:
            return AnchorState(None, error=f"unreadable: {exc}")

    @staticmethod
    def _witness_state(witness: WitnessFile) -> WitnessState:
        try:
            return WitnessState(witness.read())
        except AnchorUnreadable as exc:
            return WitnessState(None, error=f"unreadable: {exc}")

    def _files(self, node: str) -> NodeFiles:
        """One node's anchor and witness, read from their per-node paths."""
        return NodeFiles(
            node,
            self._anchor_state(AnchorFile(for_node(self._anchor_template, node))),
            self._witness_state(WitnessFile(for_node(self._witness_template, node))),
        )

    def _select_records(self) -> sa.Select[Any]:
        """Every record column (a log not yet migrated to node ids has no node_id column)."""
        if self._has_nodes:
            return sa.select(records)
        return sa.select(*[c for c in records.c if c.name != "node_id"])

    def _writers(self, conn: Connection) -> list[str]:
        """Every node that ever appended: its row's name, or the node id its records carry."""
        if not self._has_nodes:
            return []
        named = conn.execute(
            sa.select(nodes.c.node_id).where(nodes.c.last_seq.is_not(None))
        ).scalars()
        seen = conn.execute(
            sa.select(records.c.node_id).where(records.c.node_id.is_not(None)).distinct()
        ).scalars()
        return sorted({*named, *seen})

    def _node_rows(self, conn: Connection, ring: Any) -> list[NodeRow]:
        """Each node's row saying where its appends ended, with its MAC checked."""
        if not self._has_nodes:
            return []
        out: list[NodeRow] = []
        query = sa.select(nodes).where(nodes.c.last_seq.is_not(None)).order_by(nodes.c.node_id)
        for r in conn.execute(query):
            key = ring.key(r.key_id)
            authentic = key is not None and hmac.compare_digest(
                node_row_mac(key, r.node_id, int(r.last_seq), r.last_mac, r.last_ref_id, r.key_id),
                r.node_mac or "",
            )
            out.append(NodeRow(r.node_id, int(r.last_seq), r.last_mac, r.last_ref_id, authentic))
        return out

    def _summaries(
        self, conn: Connection, node_rows: Sequence[NodeRow], files: Sequence[NodeFiles]
    ) -> list[NodeSummary]:
        """Per node: how many records, which seqs, and where its row and anchor say it ended."""
        counts = (
            sa.func.count().label("n"),
            sa.func.min(records.c.seq).label("lo"),
            sa.func.max(records.c.seq).label("hi"),
        )
        if self._has_nodes:
            query = sa.select(records.c.node_id.label("node"), *counts).group_by(records.c.node_id)
        else:  # every record predates node ids
            query = sa.select(sa.literal(None, sa.String()).label("node"), *counts)
        rows = {(r.node or LEGACY_NODE): r for r in conn.execute(query) if r.n}
        anchored = {r.node: r.seq for r in node_rows}
        in_files = {
            f.node: f.anchor.anchor.seq for f in files if f.node and f.anchor.anchor is not None
        }
        out: list[NodeSummary] = []
        for name in sorted({*rows, *anchored}):
            r = rows.get(name)
            last = int(r.hi) if r is not None else None
            ref = (
                conn.execute(sa.select(records.c.ref_id).where(records.c.seq == last)).scalar()
                if last is not None
                else None
            )
            out.append(
                NodeSummary(
                    node=name,
                    records=int(r.n) if r is not None else 0,
                    first_seq=int(r.lo) if r is not None else None,
                    last_seq=last,
                    last_ref_id=ref,
                    anchored_seq=anchored.get(name),
                    file_seq=in_files.get(name),
                )
            )
        return out

    def heartbeat(
        self,
        *,
        started_at: datetime,
        policy_hash: str | None,
        policy_loaded_at: datetime | None,
        pid: int,
        listen: str,
        now: datetime | None = None,
    ) -> None:
        """Write this node's heartbeat row (its policy version, pid and address)."""
        values = {
            "started_at": started_at,
            "heartbeat_at": now or datetime.now(UTC),
            "policy_hash": policy_hash,
            "policy_loaded_at": policy_loaded_at,
            "pid": pid,
            "listen": listen,
        }
        update = nodes.update().where(nodes.c.node_id == self.node_id).values(values)
        try:
            with self._engine.begin() as conn:
                if conn.execute(update).rowcount == 0:
                    conn.execute(nodes.insert().values(node_id=self.node_id, **values))
        except sa.exc.IntegrityError:
            # Another worker of this node inserted the row first; update it instead.
            with self._engine.begin() as conn:
                conn.execute(update)

    def ping(self) -> None:
        """Run one trivial query (readiness: the audit store answers)."""
        with self._engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

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
        base = self._select_records()
        query = _incomplete_query(base) if incomplete else base
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


def node_status(url: str) -> tuple[int, list[NodeStatus]]:
    """The chain head's seq and every node's row, by node id, read without the audit key
    (status needs no secret); AuditError naming what is missing."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise AuditError(f"audit database {path} does not exist")
    engine = make_engine(url, setting="audit.url")
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            if not inspector.has_table(chain_head.name):
                raise AuditError(f"no audit log in {safe_url(url)} (its tables do not exist)")
            head = conn.execute(sa.select(chain_head.c.seq).where(chain_head.c.id == 1)).scalar()
            rows = (
                conn.execute(sa.select(nodes).order_by(nodes.c.node_id)).all()
                if inspector.has_table(nodes.name)
                else []
            )
    except sa.exc.SQLAlchemyError as exc:
        raise AuditError(f"cannot read audit database {safe_url(url)}: {first_line(exc)}") from None
    finally:
        engine.dispose()
    return int(head or 0), [
        NodeStatus(
            node=r.node_id,
            heartbeat_at=aware(r.heartbeat_at),
            started_at=aware(r.started_at),
            policy_hash=r.policy_hash,
            policy_loaded_at=aware(r.policy_loaded_at),
            pid=r.pid,
            listen=r.listen,
            last_seq=r.last_seq,
            last_ref_id=r.last_ref_id,
        )
        for r in rows
    ]
