"""PatientRoster: the practice's patients as keyed hashes, for matching mail to patients.

Lookups take what a message or a form carries (an MRN, a name and date of birth, an address)
and return a roster id such as ``R-000123``, never a name. An identifier that does not parse
simply matches nothing; ambiguous matches (two entries share an address or a name and date of
birth) return None from the single-id lookups, because guessing would misattribute mail.

Import semantics (`import_csv`):

- Columns: ``roster_id`` (optional), ``name`` *or* ``first_name`` + ``last_name``, ``dob``,
  ``mrn``, ``email`` (several separated by ``;``). Header names are case-insensitive; an
  unknown column is an error, not ignored. Files are UTF-8 (a BOM is allowed).
- Every row is checked first. Bad rows are reported by line number and field, without their
  values. Unless ``skip_bad=True`` nothing is written when any row is bad; with it the good
  rows are written, in one transaction.
- A row whose ``roster_id`` exists **replaces** that entry's identifiers (name, date of
  birth, MRN and addresses become exactly the row's). A row without a ``roster_id`` updates
  the entry that already has its MRN, else the single entry with its name and date of birth,
  else gets the next free ``R-NNNNNN``: re-importing the same export keeps its ids stable.
  Entries missing from a file are left alone (an import never deletes).
- An MRN belongs to one entry only; an address may be shared (a parent's mailbox).

Keys: identifiers are stored under the active roster key and matched under every key of the
ring (see gateway.patients.keys), so a key rotation never stops a lookup; `rehash_csv`
re-imports an export under the active key.
"""

from __future__ import annotations

import contextlib
import csv
import hmac
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.pool import PoolProxiedConnection

from gateway.patients.db import aware, open_store
from gateway.patients.errors import (
    InvalidIdentifier,
    PatientsError,
    RosterImportError,
    RosterNotFound,
)
from gateway.patients.keys import ROSTER_KEY, IdentifierHasher, roster_key_file
from gateway.patients.normalize import (
    NameKey,
    name_key,
    normalize_email,
    normalize_mrn,
    parse_dob,
)
from gateway.patients.schema import SCHEMA, identifiers, roster
from gateway.storage.database import advisory_lock, make_engine, write_tx
from gateway.storage.keyfiles import KeyFile

_PG_LOCK = SCHEMA.lock_key  # serialises roster imports and schema migration across processes
_ROSTER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_T = TypeVar("_T")
_GENERATED_ID = re.compile(r"R-(\d{6,})")
# Hashes per IN list of a batched lookup (far under SQLite's and PostgreSQL's bound-parameter caps).
_IN_CHUNK = 500
# The message-time lookup (PatientRoster.match), built once: building the statement for every
# message cost more than the query itself. Both columns, so the (kind, hash) index serves it.
_OWNERS = sa.select(identifiers.c.kind, identifiers.c.hash, identifiers.c.roster_id).where(
    identifiers.c.kind.in_(sa.bindparam("kinds", expanding=True)),
    identifiers.c.hash.in_(sa.bindparam("digests", expanding=True)),
)
ROSTER_COLUMNS = ("roster_id", "name", "first_name", "last_name", "dob", "mrn", "email")

NAME, DOB, MRN, EMAIL = "name", "dob", "mrn", "email"


def _owners_of(
    asked: set[tuple[str, str]], rows: Callable[[list[str], list[str]], Iterable[Any]]
) -> dict[tuple[str, str], set[str]]:
    """`PatientRoster._owners` over ``rows(kinds, digests)``, the (kind, hash, roster_id) rows
    whose kind and hash are among those given, asked for in chunks of `_IN_CHUNK` digests."""
    owners: dict[tuple[str, str], set[str]] = {}
    kinds = sorted({kind for kind, _d in asked})
    digests = sorted({d for _kind, d in asked})
    for k in range(0, len(digests), _IN_CHUNK):
        for kind, digest, rid in rows(kinds, digests[k : k + _IN_CHUNK]):
            if (kind, digest) in asked:
                owners.setdefault((kind, digest), set()).add(rid)
    return owners


class _Lookups:
    """`PatientRoster.match`'s query on one database connection of its own, written for the
    driver: a reading roster (a detection process's) asks it for nearly every message, and
    SQLAlchemy's work around each statement (a connection from the pool, a transaction, the
    expanding IN lists compiled anew) cost ten times the query itself.

    Each lookup is one SELECT ended by a rollback, so no transaction stays open between
    messages (on SQLite the connection is in autocommit: a read never takes the write lock).
    A connection that fails is dropped, and the lookup tried once more on a fresh one; a second
    failure is raised (the scan then fails, and the message is answered 451). No lock guards the
    kept connection: it serves one thread at a time (a detection process asks from its one
    thread).
    """

    _MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.mark = self._MARKS[engine.dialect.paramstyle]
        self._conn: PoolProxiedConnection | None = None

    @classmethod
    def supports(cls, engine: sa.Engine) -> bool:
        """Whether the engine's driver takes positional parameters this class can write."""
        return engine.dialect.paramstyle in cls._MARKS

    def owners(self, asked: set[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
        """As `PatientRoster._owners`, with this class's query."""

        def rows(kinds: list[str], digests: list[str]) -> Iterable[Any]:
            sql = (
                f"SELECT kind, hash, roster_id FROM {identifiers.name} WHERE kind IN "
                f"({self._marks(len(kinds))}) AND hash IN ({self._marks(len(digests))})"
            )
            return self._rows(sql, (*kinds, *digests))

        return _owners_of(asked, rows)

    def _marks(self, n: int) -> str:
        return ", ".join([self.mark] * n)

    def _rows(self, sql: str, params: tuple[str, ...]) -> list[Any]:
        for attempt in (1, 2):
            fresh = self._conn is None
            conn = self._conn = self._conn or self.engine.raw_connection()
            try:
                cur = conn.cursor()
                try:
                    cur.execute(sql, params)
                    rows = list(cur.fetchall())
                finally:
                    cur.close()
                conn.rollback()
                return rows
            except Exception:
                self._drop()
                if fresh or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.invalidate()

    def close(self) -> None:
        """Give the connection back."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


@dataclass(frozen=True)
class RowError:
    """One problem with one input row: its line number, the field, and what is wrong."""

    line: int
    field: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.problem}"


@dataclass(frozen=True)
class ImportReport:
    """What an import did: ids added and updated, bad rows, and whether anything was written."""

    rows: int
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    errors: tuple[RowError, ...] = ()
    applied: bool = False

    @property
    def ok(self) -> bool:
        """True when every row was good."""
        return not self.errors

    @property
    def bad_lines(self) -> tuple[int, ...]:
        """The line numbers of bad rows, in order, each once."""
        return tuple(sorted({e.line for e in self.errors}))


@dataclass(frozen=True)
class RosterEntry:
    """What the roster can say about an entry without clear identifiers."""

    roster_id: str
    has_dob: bool
    names: int
    mrns: int
    emails: int
    created: datetime
    updated: datetime


@dataclass(frozen=True)
class _Row:
    line: int
    roster_id: str | None
    name: NameKey
    dob: date | None
    mrn: str | None
    emails: tuple[str, ...] = field(default=())


def _cell(record: Mapping[str, str | None], key: str) -> str:
    return (record.get(key) or "").strip()


def _optional(
    line: int,
    record: Mapping[str, str | None],
    key: str,
    parse: Callable[[str], _T],
    errors: list[RowError],
) -> _T | None:
    """The parsed cell, or None when it is empty or bad (a bad one adds to `errors`)."""
    if not (raw := _cell(record, key)):
        return None
    try:
        return parse(raw)
    except InvalidIdentifier as exc:
        errors.append(RowError(line, key, str(exc)))
        return None


@dataclass(frozen=True)
class RosterMatches:
    """What `PatientRoster.match` found: each value asked for that has a single roster id."""

    mrns: Mapping[str, str] = field(default_factory=dict)
    name_dobs: Mapping[tuple[str, str], str] = field(default_factory=dict)
    emails: Mapping[str, str] = field(default_factory=dict)


def _parse_row(line: int, record: Mapping[str, str | None]) -> _Row | list[RowError]:
    errors: list[RowError] = []
    roster_id = _cell(record, "roster_id") or None
    if roster_id is not None and not _ROSTER_ID.fullmatch(roster_id):
        errors.append(RowError(line, "roster_id", "must be 1-32 letters, digits, '.', '_', '-'"))
    key: NameKey | None = None
    try:
        if "first_name" in record or "last_name" in record:
            first, last = _cell(record, "first_name"), _cell(record, "last_name")
            if not first or not last:
                raise InvalidIdentifier("first_name and last_name are both required")
            key = name_key(first, last)
        else:
            full = _cell(record, "name")
            if not full:
                raise InvalidIdentifier("missing")
            key = name_key(full)
    except InvalidIdentifier as exc:
        errors.append(RowError(line, "name", str(exc)))
    dob = _optional(line, record, "dob", parse_dob, errors)
    mrn = _optional(line, record, "mrn", normalize_mrn, errors)
    emails: list[str] = []
    for n, part in enumerate(_cell(record, "email").split(";"), 1):
        if not part.strip():
            continue
        try:
            address = normalize_email(part)
        except InvalidIdentifier as exc:
            errors.append(RowError(line, "email", f"address {n}: {exc}"))
            continue
        if address not in emails:
            emails.append(address)
    if errors or key is None:
        return errors
    return _Row(line, roster_id, key, dob, mrn, tuple(emails))


def read_csv_records(path: Path, columns: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV file as (first line number, {column: value}); header problems raise."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise RosterImportError(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise RosterImportError(f"cannot read {path}: {exc.strerror}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise RosterImportError(f"{path} is empty (no header line)") from None
    except csv.Error as exc:
        raise RosterImportError(f"{path}: line 1: {exc}") from None
    names = [h.strip().lower() for h in header]
    unknown = [h for h in names if h not in columns]
    if unknown:
        raise RosterImportError(
            f"{path}: line 1: unknown column(s) {unknown}; expected some of {list(columns)}"
        )
    dupes = sorted({h for h in names if names.count(h) > 1})
    if dupes:
        raise RosterImportError(f"{path}: line 1: duplicate column(s) {dupes}")
    out: list[tuple[int, dict[str, str]]] = []
    last_line = reader.line_num
    while True:
        start = last_line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise RosterImportError(f"{path}: line {start}: {exc}") from None
        last_line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        record = dict(zip(names, cells, strict=False))
        if len(cells) != len(names):
            record["__width__"] = f"row has {len(cells)} fields, the header has {len(names)}"
        out.append((start, record))
    return out


def full_width(
    records: Iterable[tuple[int, Mapping[str, str]]], errors: list[RowError]
) -> Iterator[tuple[int, Mapping[str, str]]]:
    """The records whose width matches the header; each other one adds a "row" error."""
    for line, record in records:
        if "__width__" in record:
            errors.append(RowError(line, "row", record["__width__"]))
        else:
            yield line, record


def _name_dob(key: NameKey, dob: date) -> str:
    """The normalised identifier a name with its date of birth is hashed as."""
    return f"{key.key()}|{dob.isoformat()}"


def _or_none(parse: Callable[[str], _T], value: str) -> _T | None:
    """``parse(value)``, or None when it is no valid identifier."""
    try:
        return parse(value)
    except InvalidIdentifier:
        return None


class PatientRoster:
    """The roster: keyed hashes of names with dates of birth, MRNs and addresses, by roster id."""

    def __init__(self, url: str, key_file: Path, *, prepare: bool = True) -> None:
        """Open the roster at `url` with the key ring in `key_file`.

        ``prepare`` (the default) creates the key file if it is missing and migrates the tables.
        Without it the roster only reads: a detection process's roster, which the worker that
        started the process has already prepared. A missing key file is then an error at the
        first lookup (RosterKeyError), never a new key.
        """
        self._lookups: _Lookups | None = None
        if prepare:
            self.keys = roster_key_file(Path(key_file))
            self.engine = open_store(url)
        else:
            self.keys = KeyFile(Path(key_file), ROSTER_KEY)
            # Lookups only: on SQLite a plain BEGIN, which never takes the write lock (an
            # import in progress does not hold them up, nor they each other).
            self.engine = make_engine(url, immediate=False)
            if _Lookups.supports(self.engine):
                self._lookups = _Lookups(self.engine)
        self._hasher = IdentifierHasher(self.keys)

    def close(self) -> None:
        """Release the database connections."""
        if self._lookups is not None:
            self._lookups.close()
        self.engine.dispose()

    # -- hashing ------------------------------------------------------------------------
    # `_x_hash` is what a write stores (the active key); `_x_hashes` is what a lookup matches
    # (every key of the ring, so hashes stored before a rotation still match).

    def _name_hash(self, key: NameKey, dob: date) -> str:
        return self._name_hashes(key, dob)[0]

    def _name_hashes(self, key: NameKey, dob: date) -> tuple[str, ...]:
        return self._hasher.digests(NAME, _name_dob(key, dob))

    def _dob_hash(self, dob: date) -> str:
        return self._hasher.digest(DOB, dob.isoformat())

    def _mrn_hash(self, mrn: str) -> str:
        return self._hasher.digest(MRN, mrn)

    def _mrn_hashes(self, mrn: str) -> tuple[str, ...]:
        return self._hasher.digests(MRN, mrn)

    def _email_hash(self, normalised: str) -> str:
        return self._hasher.digest(EMAIL, normalised)

    def address_hash(self, address: str) -> str:
        """The keyed hash of an address to store (active key); InvalidIdentifier if not one."""
        return self._email_hash(normalize_email(address))

    def address_hashes(self, address: str) -> tuple[str, ...]:
        """The address's hash under every roster key, the active one first (what to match)."""
        return self._hasher.digests(EMAIL, normalize_email(address))

    # -- import -------------------------------------------------------------------------

    def import_csv(self, path: Path, *, skip_bad: bool = False) -> ImportReport:
        """Import a roster CSV file (see the module docstring for columns and semantics)."""
        records = read_csv_records(Path(path), ROSTER_COLUMNS)
        if records:
            names = set(records[0][1]) - {"__width__"}
            if "name" in names and ({"first_name", "last_name"} & names):
                raise RosterImportError(f"{path}: line 1: use either name or first_name+last_name")
            if "name" not in names and not {"first_name", "last_name"} <= names:
                raise RosterImportError(
                    f"{path}: line 1: a name column (name, or first_name and last_name) is required"
                )
        return self.import_records(records, skip_bad=skip_bad)

    def import_records(
        self, records: Iterable[tuple[int, Mapping[str, str]]], *, skip_bad: bool = False
    ) -> ImportReport:
        """Import (line number, {column: value}) records with the same rules as `import_csv`."""
        return self._import(records, skip_bad)[0]

    def rehash_csv(self, path: Path, *, skip_bad: bool = False) -> tuple[ImportReport, list[str]]:
        """Import a roster export under the active key (as `import_csv`: every entry in it gets
        its hashes anew) and return the report with the normalised addresses of the rows
        written, so the consents on them can move to the active key too."""
        report, written = self._import(read_csv_records(Path(path), ROSTER_COLUMNS), skip_bad)
        return report, sorted({e for row in written for e in row.emails})

    def _import(
        self, records: Iterable[tuple[int, Mapping[str, str]]], skip_bad: bool
    ) -> tuple[ImportReport, list[_Row]]:
        items = list(records)
        errors: list[RowError] = []
        parsed: list[_Row] = []
        for line, record in full_width(items, errors):
            result = _parse_row(line, record)
            if isinstance(result, _Row):
                parsed.append(result)
            else:
                errors.extend(result)
        with write_tx(self.engine) as conn:
            advisory_lock(conn, _PG_LOCK)
            resolved, conflict_errors = self._resolve(conn, parsed)
            errors.extend(conflict_errors)
            errors.sort(key=lambda e: e.line)
            if errors and not skip_bad:
                return ImportReport(rows=len(items), errors=tuple(errors), applied=False), []
            added, updated = self._write(conn, resolved)
        report = ImportReport(
            rows=len(items),
            added=tuple(added),
            updated=tuple(updated),
            errors=tuple(errors),
            applied=bool(added or updated),
        )
        return report, [row for _rid, row in resolved]

    def _ids_for(self, conn: Connection, kind: str, digests: Sequence[str]) -> set[str]:
        rows = conn.execute(
            sa.select(identifiers.c.roster_id)
            .where(identifiers.c.kind == kind, identifiers.c.hash.in_(digests))
            .distinct()
        )
        return {r[0] for r in rows}

    def _resolve(
        self, conn: Connection, rows: list[_Row]
    ) -> tuple[list[tuple[str, _Row]], list[RowError]]:
        errors: list[RowError] = []
        existing = {r[0] for r in conn.execute(sa.select(roster.c.roster_id))}
        taken_ids: dict[str, int] = {}
        taken_mrns: dict[str, int] = {}
        out: list[tuple[str, _Row]] = []
        pending_new: list[_Row] = []
        for row in rows:
            rid = row.roster_id
            mrn_owners = self._ids_for(conn, MRN, self._mrn_hashes(row.mrn)) if row.mrn else set()
            if rid is None:
                if mrn_owners:
                    rid = sorted(mrn_owners)[0]
                elif row.dob is not None:
                    same = self._ids_for(conn, NAME, self._name_hashes(row.name, row.dob))
                    rid = sorted(same)[0] if len(same) == 1 else None
            if rid is not None and rid in taken_ids:
                errors.append(
                    RowError(row.line, "roster_id", f"duplicate (first on line {taken_ids[rid]})")
                )
                continue
            if row.mrn is not None:
                if row.mrn in taken_mrns:
                    errors.append(
                        RowError(
                            row.line, "mrn", f"duplicate (first on line {taken_mrns[row.mrn]})"
                        )
                    )
                    continue
                if mrn_owners - {rid}:
                    errors.append(
                        RowError(row.line, "mrn", "already belongs to another roster entry")
                    )
                    continue
                taken_mrns[row.mrn] = row.line
            if rid is None:
                pending_new.append(row)
            else:
                taken_ids[rid] = row.line
                out.append((rid, row))
        next_n = 1 + max(
            (int(m[1]) for i in existing | set(taken_ids) if (m := _GENERATED_ID.fullmatch(i))),
            default=0,
        )
        for row in pending_new:
            while (new_id := f"R-{next_n:06d}") in existing or new_id in taken_ids:
                next_n += 1
            taken_ids[new_id] = row.line
            out.append((new_id, row))
        out.sort(key=lambda item: item[1].line)
        return out, errors

    def _write(self, conn: Connection, rows: list[tuple[str, _Row]]) -> tuple[list[str], list[str]]:
        now = datetime.now(UTC)
        existing = {r[0] for r in conn.execute(sa.select(roster.c.roster_id))}
        added: list[str] = []
        updated: list[str] = []
        for rid, row in rows:
            dob_hash = self._dob_hash(row.dob) if row.dob else None
            if rid in existing:
                conn.execute(
                    roster.update()
                    .where(roster.c.roster_id == rid)
                    .values(dob_hash=dob_hash, updated=now)
                )
                conn.execute(identifiers.delete().where(identifiers.c.roster_id == rid))
                updated.append(rid)
            else:
                conn.execute(
                    roster.insert().values(
                        roster_id=rid, dob_hash=dob_hash, created=now, updated=now
                    )
                )
                added.append(rid)
            hashes: list[tuple[str, str]] = []
            if row.dob is not None:
                hashes.append((NAME, self._name_hash(row.name, row.dob)))
            if row.mrn is not None:
                hashes.append((MRN, self._mrn_hash(row.mrn)))
            hashes.extend((EMAIL, self._email_hash(e)) for e in row.emails)
            if hashes:
                conn.execute(
                    identifiers.insert(),
                    [{"roster_id": rid, "kind": k, "hash": h} for k, h in hashes],
                )
        return added, updated

    # -- lookups ------------------------------------------------------------------------

    def _lookup(self, kind: str, digests: Sequence[str]) -> set[str]:
        with self.engine.connect() as conn:
            return self._ids_for(conn, kind, digests)

    @staticmethod
    def _single(ids: set[str]) -> str | None:
        return next(iter(ids)) if len(ids) == 1 else None

    def by_mrn(self, mrn: str) -> str | None:
        """The roster id with this MRN, or None."""
        try:
            digests = self._mrn_hashes(normalize_mrn(mrn))
        except InvalidIdentifier:
            return None
        return self._single(self._lookup(MRN, digests))

    def by_name_dob(self, name: str, dob: str | date) -> str | None:
        """The single roster id with this name (any supported order) and date of birth, or None."""
        try:
            digests = self._name_hashes(name_key(name), parse_dob(dob))
        except InvalidIdentifier:
            return None
        return self._single(self._lookup(NAME, digests))

    def match(
        self,
        mrns: Iterable[str],
        name_dobs: Iterable[tuple[str, str]],
        emails: Iterable[str] = (),
    ) -> RosterMatches:
        """`by_mrn`, `by_name_dob` and `by_email` for many values at once: one connection and one
        query per kind, where asking one by one took a connection per pair (a message with five
        names and three dates is fifteen). Keeps the values that have a single roster id."""
        # Each distinct value is normalised once: a table's names and dates of birth pair up
        # by the hundred, and the pairs repeat the same few names and dates.
        mrn_norm: dict[str, str] = {}
        for mrn in set(mrns):
            try:
                mrn_norm[mrn] = normalize_mrn(mrn)
            except InvalidIdentifier:
                continue
        keys: dict[str, NameKey | None] = {}
        births: dict[str, date | None] = {}
        pair_norm: dict[tuple[str, str], str] = {}
        for name, dob in set(name_dobs):
            if name not in keys:
                keys[name] = _or_none(name_key, name)
            if dob not in births:
                births[dob] = _or_none(parse_dob, dob)
            key, born = keys[name], births[dob]
            if key is not None and born is not None:
                pair_norm[name, dob] = _name_dob(key, born)
        mail_norm: dict[str, str] = {}
        for address in set(emails):
            try:
                mail_norm[address] = normalize_email(address)
            except InvalidIdentifier:
                continue
        hashed = {
            kind: self._hasher.digests_many(kind, wanted.values()) if wanted else {}
            for kind, wanted in ((MRN, mrn_norm), (NAME, pair_norm), (EMAIL, mail_norm))
        }
        mrn_digests = {v: hashed[MRN][n] for v, n in mrn_norm.items()}
        name_digests = {v: hashed[NAME][n] for v, n in pair_norm.items()}
        mail_digests = {v: hashed[EMAIL][n] for v, n in mail_norm.items()}
        if not mrn_digests and not name_digests and not mail_digests:
            return RosterMatches()
        asked = ((MRN, mrn_digests), (NAME, name_digests), (EMAIL, mail_digests))
        pairs = {(kind, d) for kind, wanted in asked for ds in wanted.values() for d in ds}
        if self._lookups is not None:
            owners = self._lookups.owners(pairs)
        else:
            with self.engine.connect() as conn:
                owners = self._owners(conn, pairs)

        def singles(kind: str, wanted: Mapping[_T, tuple[str, ...]]) -> dict[_T, str]:
            found = {
                v: self._single(set().union(*(owners.get((kind, d), set()) for d in ds)))
                for v, ds in wanted.items()
            }
            return {v: rid for v, rid in found.items() if rid is not None}

        return RosterMatches(
            singles(MRN, mrn_digests), singles(NAME, name_digests), singles(EMAIL, mail_digests)
        )

    @staticmethod
    def _owners(conn: Connection, asked: set[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
        """Each (kind, digest) of ``asked`` that the roster holds, with the ids holding it: one
        query for every kind (a digest is looked up with its kind, so kinds never mix)."""
        return _owners_of(
            asked,
            lambda kinds, digests: conn.execute(_OWNERS, {"kinds": kinds, "digests": digests}),
        )

    def ids_by_email(self, address: str) -> tuple[str, ...]:
        """Every roster id that lists this address (a shared family mailbox gives several)."""
        try:
            digests = self.address_hashes(address)
        except InvalidIdentifier:
            return ()
        return tuple(sorted(self._lookup(EMAIL, digests)))

    def by_email(self, address: str) -> str | None:
        """The roster id whose address this is, or None (also when several entries share it)."""
        ids = self.ids_by_email(address)
        return ids[0] if len(ids) == 1 else None

    def is_roster_address(self, address: str) -> bool:
        """True when any roster entry lists this address."""
        return bool(self.ids_by_email(address))

    def is_address_of(self, roster_id: str, address: str) -> bool:
        """True when the entry `roster_id` lists this address."""
        return roster_id in self.ids_by_email(address)

    def _dob_hash_of(self, roster_id: str) -> tuple[bool, str | None]:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(roster.c.dob_hash).where(roster.c.roster_id == roster_id)
            ).first()
        return (row is not None, row[0] if row is not None else None)

    def has_dob(self, roster_id: str) -> bool:
        """True when the entry exists and has a date of birth (the portal's second factor)."""
        return self._dob_hash_of(roster_id)[1] is not None

    def verify_dob(self, roster_id: str, dob: str | date) -> bool:
        """True when `dob` is this entry's date of birth (constant-time compare)."""
        _found, stored = self._dob_hash_of(roster_id)
        try:
            given = self._hasher.digests(DOB, parse_dob(dob).isoformat())
        except InvalidIdentifier:
            return False
        # Every key's digest is compared (constant time each, and no early exit).
        return stored is not None and sum(hmac.compare_digest(stored, g) for g in given) > 0

    def exists(self, roster_id: str) -> bool:
        """True when the roster has this id."""
        return self._dob_hash_of(roster_id)[0]

    def count(self) -> int:
        """How many entries the roster holds."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(roster)).scalar_one())

    def entry(self, roster_id: str) -> RosterEntry:
        """What is stored about one entry (counts only); raises RosterNotFound."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(roster).where(roster.c.roster_id == roster_id)).first()
            if row is None:
                raise RosterNotFound(f"no roster entry {roster_id!r}")
            counts: dict[str, int] = dict(
                conn.execute(  # type: ignore[arg-type]
                    sa.select(identifiers.c.kind, sa.func.count())
                    .where(identifiers.c.roster_id == roster_id)
                    .group_by(identifiers.c.kind)
                ).all()
            )
        return RosterEntry(
            roster_id=roster_id,
            has_dob=row.dob_hash is not None,
            names=int(counts.get(NAME, 0)),
            mrns=int(counts.get(MRN, 0)),
            emails=int(counts.get(EMAIL, 0)),
            created=aware(row.created),
            updated=aware(row.updated),
        )


__all__ = [
    "ImportReport",
    "PatientRoster",
    "PatientsError",
    "RosterEntry",
    "RowError",
]
