"""A small roster for the roster and consent tests.

The `patients_url`, `roster_key`, `roster` and `registry` fixtures are in tests/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

# Four patients; Ana and Ben share their parent's mailbox.
ROSTER_CSV = """roster_id,name,dob,mrn,email
R-100,"Smith, John Quincy",1961-04-12,00012345,John.Smith@Gmail.com;jsmith@work.example
R-101,José Núñez-García,4/12/1961,A-77,jose@example.org
R-102,Ana Lee,2015-09-03,555,lee.family@example.net
R-103,Ben Lee,2017-01-30,556,lee.family@example.net
"""


def stored_cells(engine: sa.Engine, *tables: str) -> list[str]:
    """Every value stored in these tables, as lower-case text, to search for clear identifiers."""
    with engine.connect() as conn:
        return [
            str(v).lower()
            for table in tables
            for row in conn.execute(sa.text(f"SELECT * FROM {table}"))
            for v in row
        ]


def write_csv(directory: Path, text: str, name: str = "in.csv") -> Path:
    """Write `text` as a CSV file in `directory` and return its path."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path
