"""The engine and timestamp helpers shared by the roster and the consent registry."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from gateway.patients.errors import PatientsError
from gateway.storage import database as storage


def make_engine(url: str) -> Engine:
    """An engine for `url`; on SQLite with full sync and foreign keys, and only writes IMMEDIATE."""
    return storage.make_engine(url, synchronous="FULL", foreign_keys=True, immediate=False)


def utc(ts: datetime) -> datetime:
    """`ts` in UTC; naive timestamps are refused rather than guessed."""
    if ts.tzinfo is None:
        raise PatientsError("timestamps must be timezone-aware")
    return ts.astimezone(UTC)


def aware(ts: datetime) -> datetime:
    """A stored timestamp as aware UTC (SQLite hands back naive ones)."""
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)
