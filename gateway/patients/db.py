"""The engine and timestamp helpers shared by the roster and the consent registry."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from gateway.patients.errors import PatientsError
from gateway.patients.schema import SCHEMA
from gateway.storage import database as storage
from gateway.storage.migrate import prepare


def make_engine(url: str) -> Engine:
    """An engine for `url`; on SQLite with full sync and foreign keys, and only writes IMMEDIATE."""
    return storage.make_engine(url, synchronous="FULL", foreign_keys=True, immediate=False)


def open_store(url: str) -> Engine:
    """`make_engine(url)` with the patients tables migrated to the newest revision."""
    engine = make_engine(url)
    prepare(engine, SCHEMA)
    return engine


def utc(ts: datetime) -> datetime:
    """`ts` in UTC; naive timestamps are refused rather than guessed."""
    if ts.tzinfo is None:
        raise PatientsError("timestamps must be timezone-aware")
    return ts.astimezone(UTC)


def aware(ts: datetime) -> datetime:
    """A stored timestamp as aware UTC (SQLite hands back naive ones)."""
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)
