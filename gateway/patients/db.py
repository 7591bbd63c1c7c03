"""The engine and timestamp helpers shared by the roster and the consent registry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from gateway.patients.errors import PatientsError
from gateway.patients.schema import SCHEMA
from gateway.storage import database as storage
from gateway.storage.database import aware
from gateway.storage.migrate import prepare

__all__ = ["aware", "make_engine", "open_store", "utc"]


def make_engine(url: str) -> Engine:
    """An engine for `url`; on SQLite with full sync and foreign keys, and only writes IMMEDIATE."""
    return storage.make_engine(url, synchronous="FULL", foreign_keys=True, immediate=False)


def open_store(url: str) -> Engine:
    """`make_engine(url)` with the patients tables migrated to the newest revision."""
    engine = make_engine(url)
    prepare(engine, SCHEMA)
    return engine


def utc(ts: datetime) -> datetime:
    """`ts` in UTC; naive timestamps are refused (PatientsError) rather than guessed."""
    return storage.utc(ts, PatientsError)
