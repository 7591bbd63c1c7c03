"""SQLAlchemy engines for the stores: SQLite tuned for safe concurrent writers, or PostgreSQL.

Every store (audit log, quarantine, portal, patients) opens its database through
`make_engine`, states which SQLite pragmas it needs, and migrates its tables with
`prepare_schema` (through gateway.storage.migrate), which serialises start-up across processes.

On SQLite the engine issues BEGIN itself (pysqlite's own handling defers it and so never
takes the write lock up front). Whether a transaction starts IMMEDIATE (holding the write
lock from its first statement) or deferred is chosen per engine, and per transaction with
`write_tx` or the `READ_ONLY` execution option.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, overload

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from gateway.model import ConfigError, PhigateError

SQLITE_BUSY_TIMEOUT_S = 30.0
# Execution option that makes a SQLite transaction start deferred (read-only use), so a
# reader never takes the write lock that writers queue on.
READ_ONLY = "phigate_read_only"
# Connection-info flag that `write_tx` sets: this transaction starts BEGIN IMMEDIATE.
_WRITE = "phigate_write"
# Row ids that staff read out and type: no 0/O, 1/I to mix up; 5 bits a character.
_TYPABLE = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def typable_id(prefix: str, length: int) -> str:
    """A random row id staff can read out and type: `prefix` and `length` characters."""
    return prefix + "".join(secrets.choice(_TYPABLE) for _ in range(length))


def safe_url(url: str) -> str:
    """The URL as errors may show it: without its password."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url.split("@", 1)[-1]


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for other databases, memory or `file:` URIs)."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        return None
    db = parsed.database
    if (
        parsed.get_backend_name() != "sqlite"
        or not db
        or db == ":memory:"
        or db.startswith("file:")
    ):
        return None
    return Path(db)


def checked_url(url: str, setting: str | None) -> sa.URL:
    """Parse `url`, or raise ConfigError naming the setting and the schemes phigate opens."""
    where = f"{setting} " if setting else "database URL "
    hint = "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise ConfigError(f"{where}{safe_url(url)!r} is not a database URL ({hint})") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(f"{where}{safe_url(url)}: unknown scheme {parsed.drivername!r} ({hint})")
    return parsed


def utc(ts: datetime | None, error: type[PhigateError]) -> datetime:
    """`ts` (now when None) in UTC, the way every store keeps time; naive `ts` raises `error`.

    SQLite keeps datetimes without their offset, so stores write UTC and read back with
    `aware`; a naive timestamp is refused rather than guessed.
    """
    if ts is None:
        return datetime.now(UTC)
    if ts.tzinfo is None:
        raise error("timestamps must be timezone-aware")
    return ts.astimezone(UTC)


@overload
def aware(ts: datetime) -> datetime: ...
@overload
def aware(ts: None) -> None: ...
@overload
def aware(ts: datetime | None) -> datetime | None: ...
def aware(ts: datetime | None) -> datetime | None:
    """A stored timestamp as aware UTC (SQLite hands back naive ones; see `utc`)."""
    if ts is None or ts.tzinfo is not None:
        return ts
    return ts.replace(tzinfo=UTC)


def make_engine(
    url: str,
    *,
    synchronous: Literal["FULL", "NORMAL"] | None = None,
    secure_delete: bool = False,
    foreign_keys: bool = False,
    immediate: bool = True,
    setting: str | None = None,
) -> Engine:
    """An engine for `url`; on SQLite in WAL mode with a 30 s busy timeout and the pragmas asked for.

    `synchronous` sets `PRAGMA synchronous` (None keeps SQLite's default), `secure_delete`
    overwrites freed pages, `foreign_keys` enforces foreign keys. With `immediate`, every
    transaction starts BEGIN IMMEDIATE unless its connection carries `READ_ONLY`; without
    it, only `write_tx` transactions do. PostgreSQL gets a plain pre-pinging engine. A URL
    that is not SQLite or PostgreSQL (or whose driver is not installed) raises ConfigError
    naming `setting` (e.g. "audit.url"), never a traceback.
    """
    parsed = checked_url(url, setting)
    if parsed.get_backend_name() != "sqlite":
        try:
            return sa.create_engine(url, pool_pre_ping=True)
        except (sa.exc.ArgumentError, ImportError) as exc:
            where = f"{setting} " if setting else ""
            raise ConfigError(f"{where}{safe_url(url)}: cannot use this URL: {exc}") from None
    db = parsed.database
    if db and db != ":memory:" and not db.startswith("file:"):
        Path(db).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    pragmas: list[str] = []
    if synchronous is not None:
        pragmas.append(f"synchronous={synchronous}")
    if secure_delete:
        pragmas.append("secure_delete=ON")
    if foreign_keys:
        pragmas.append("foreign_keys=ON")
    pragmas.append(f"busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            _switch_to_wal(cur)
            for pragma in pragmas:
                cur.execute(f"PRAGMA {pragma}")
        finally:
            cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the database lock up front, so a read-then-write transaction cannot
        # act on a state another writer is about to change (readers stay unblocked in WAL).
        if conn.info.get(_WRITE):
            write = True
        elif conn.get_execution_options().get(READ_ONLY, False):
            write = False
        else:
            write = immediate
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _switch_to_wal(cur: Any) -> None:
    """`PRAGMA journal_mode=WAL`, waiting out another process's lock for the busy timeout.

    SQLite answers the switch with "database is locked" at once, without its busy handler,
    when another connection holds the write lock of a database still in rollback mode: two
    processes opening a new database together (two workers' first messages both opening the
    patient roster). That answered the message with a 451 instead of waiting a moment.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    pause = 0.01
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A read-write transaction: BEGIN IMMEDIATE on SQLite, a plain one on PostgreSQL."""
    with engine.connect() as conn:
        conn.info[_WRITE] = True
        try:
            with conn.begin():
                yield conn
        finally:
            conn.info.pop(_WRITE, None)


def advisory_lock(conn: Connection, key: int) -> None:
    """Take a transaction-scoped advisory lock on PostgreSQL (no-op elsewhere)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def prepare_schema(engine: Engine, lock_key: int, setup: Callable[[Connection], None]) -> None:
    """Run `setup` (create or migrate tables) in one write transaction under `lock_key`.

    The advisory lock makes processes that start at once take turns on PostgreSQL (SQLite's
    BEGIN IMMEDIATE already does). If setup fails, the engine is disposed and the error
    raised, so a store that cannot open leaves no connections behind.
    A database that cannot be reached or opened raises ConfigError naming its URL (one line,
    no traceback, for the command line and the start-up check).
    """
    try:
        with write_tx(engine) as conn:
            advisory_lock(conn, lock_key)
            setup(conn)
    except sa.exc.OperationalError as exc:
        engine.dispose()
        url = engine.url.render_as_string(hide_password=True)
        raise ConfigError(f"cannot open the database {url}: {first_line(exc)}") from None
    except BaseException:
        engine.dispose()
        raise


def first_line(exc: BaseException) -> str:
    """The first line of a database error's own message (the driver's, without SQL or links)."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__
