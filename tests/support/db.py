"""Database URLs for store tests: SQLite in a temp dir, or PostgreSQL in a throw-away schema.

A store fixture takes `params=BACKENDS` and yields from `database_url`, so each test runs
on both backends. On PostgreSQL (127.0.0.1:5432, database `test`, shared with other tests)
the URL selects a fresh schema through `search_path`, and the schema is dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextmanager
def database_url(backend: str, tmp_path: Path, name: str) -> Iterator[str]:
    """A URL for an empty database called `name` on `backend` ("sqlite" or "postgresql")."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/var/{name}.db"
        return
    schema = f"{name}_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
