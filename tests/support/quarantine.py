"""The planted test message and row helpers for the quarantine tests.

The `quarantine_db_url`, `master_key_file` and `store` fixtures are in tests/conftest.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from gateway.quarantine import QuarantineStore
from gateway.quarantine.schema import entries

T0 = datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC)

# PHI planted in the test message; none of it may be readable at rest or in metadata.
SSN = "123-45-6789"
PATIENT = "Janette Doughberry"
RECIPIENT = "j.doughberry.family@gmail.example"
SUBJECT = f"Labs for {PATIENT}"
BODY_LINE = f"Patient {PATIENT}, SSN {SSN}, potassium 5.9 mmol/L."
SENDER = "dr.who@clinic.example"

RAW = (
    f"From: Dr. Who <{SENDER}>\r\n"
    f"To: Lab <lab@lab.example>, {RECIPIENT}\r\n"
    f"Subject: {SUBJECT}\r\n"
    "Date: Sat, 28 Nov 2026 09:00:00 +0000\r\n"
    "Message-ID: <q1.test@clinic.example>\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/mixed; boundary="b1"\r\n'
    "\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    f"{BODY_LINE}\r\n"
    "--b1\r\n"
    'Content-Type: application/pdf; name="Doughberry_labs.pdf"\r\n'
    'Content-Disposition: attachment; filename="Doughberry_labs.pdf"\r\n'
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjQK\r\n"
    "--b1--\r\n"
).encode()
PLANTED = (SSN, PATIENT, "Doughberry", RECIPIENT, SUBJECT, BODY_LINE)
RECIPIENTS = ("lab@lab.example", RECIPIENT)
SUMMARY = {
    "phi": True,
    "entities": {"US_SSN": 1, "PERSON": 2},
    "parts": [{"part": "body", "entities": {"US_SSN": 1, "PERSON": 1}}],
}


def put(store: QuarantineStore, raw: bytes = RAW, **changes: Any) -> str:
    """Quarantine the test message (keyword arguments replace put()'s arguments)."""
    kwargs: dict[str, Any] = {
        "ref_id": "PG-20261128-TESTREF1",
        "sender_hash": "ab" * 32,
        "recipients": RECIPIENTS,
        "recipient_domains": ("lab.example", "gmail.example"),
        "rule": "phi-to-external",
        "reason": "US_SSN, PERSON in body",
        "summary": SUMMARY,
        "mail_from": SENDER,
        "now": T0,
    }
    kwargs.update(changes)
    return store.put(raw, **kwargs)


def row(store: QuarantineStore, entry_id: str) -> dict[str, Any]:
    """One stored row, every column, as the database holds it."""
    with store.engine.connect() as conn:
        r = conn.execute(sa.select(entries).where(entries.c.id == entry_id)).one()
    return dict(r._mapping)


def update_row(store: QuarantineStore, entry_id: str, **values: Any) -> None:
    """Change a stored row directly, as an attacker with database access would."""
    with store.engine.begin() as conn:
        conn.execute(entries.update().where(entries.c.id == entry_id).values(**values))
