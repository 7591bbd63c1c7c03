"""The group commit's driver-level statements store what SQLAlchemy's own insert stores."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gateway.audit import AuditLog
from gateway.audit.schema import records
from tests.support.audit import fill, make_entry, run_sql

COLUMNS = [c.name for c in records.c if c.name != "seq"]
AS_TEXT = ", ".join(f"CAST({name} AS TEXT)" for name in COLUMNS)


def stored_text(log: AuditLog, seq: int) -> tuple[str | None, ...]:
    """Every stored column of record `seq` but seq itself, as the database renders it as text."""
    with log.engine.connect() as conn:
        row = conn.execute(
            sa.text(f"SELECT {AS_TEXT} FROM audit_records WHERE seq = :seq"), {"seq": seq}
        ).one()
    return tuple(row)


def test_stored_columns_match_sqlalchemys_insert(audit_log: AuditLog) -> None:
    """A record appended through the cursor and a copy of it written by SQLAlchemy's Core
    insert (values read back through SQLAlchemy) are stored identically, ts included."""
    audit_log.append_many([make_entry(audit_log, i) for i in (1, 2)])
    with audit_log.engine.begin() as conn:
        row = dict(conn.execute(sa.select(records).where(records.c.seq == 2)).one()._mapping)
        conn.execute(records.insert(), {**row, "seq": 1000})
    assert stored_text(audit_log, 1000) == stored_text(audit_log, 2)
    run_sql(audit_log, "DELETE FROM audit_records WHERE seq = 1000")
    assert audit_log.verify().ok


def test_database_errors_stay_sqlalchemy_errors(audit_log: AuditLog) -> None:
    """A driver error in the group commit reaches callers as SQLAlchemy's wrapped exception."""
    fill(audit_log, 1)
    run_sql(audit_log, "UPDATE audit_chain_head SET seq = 0 WHERE id = 1")
    with pytest.raises(sa.exc.IntegrityError):
        audit_log.append(make_entry(audit_log, 2))
    run_sql(audit_log, "UPDATE audit_chain_head SET seq = 1 WHERE id = 1")
    assert audit_log.append(make_entry(audit_log, 2)) == 2
