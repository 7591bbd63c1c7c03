"""phigate's tamper-evident audit log: HMAC-SHA256-chained records, one per message.

How it holds together:

- Each record stores the key id it was MACed under and the previous record's MAC;
  its MAC is HMAC-SHA256(key[key_id], canonical JSON of seq, every field, key id and
  previous MAC). The keys live in a 0600 JSON key file, never in the database, and
  `rotate_key()` adds a new active key while old ones stay for verification.
- Appends are one short transaction that locks the one-row `audit_chain_head`
  (`SELECT ... FOR UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite), so any number
  of threads and worker processes keep one linear chain.
- `append_many()` chains a batch in one such transaction, exactly as that many single
  appends would; `AuditWriter` (writer.py) groups concurrent asyncio callers into such
  batches, so they share one commit, one fsync and one anchor update.
- After each commit the anchor file beside the key (temp file, fsync, rename) records
  the newest seq, MAC and ref id under its own MAC, so deleting the last records is
  caught even when the chain head row is rewound too.
- `verify()` names each problem by seq and ref id: edited, deleted, inserted,
  reordered, truncated or unknown-key.
- Entries hold no raw PHI: the sender only as `keyed_hash()`, recipients only as
  domains, and keys such as "text" or "matched_text" are refused in stage data.
- The schema comes from Alembic revisions in `gateway/storage/migrations`, applied with
  `upgrade head` whenever an AuditLog opens. For PostgreSQL, a schema other than
  `public` is chosen in the URL: `...?options=-csearch_path%3Dmyschema`.
"""

from gateway.audit.entry import AuditEntry, PreparedEntry, prepare_entry
from gateway.audit.errors import AuditEntryRejected, AuditError, AuditKeyError
from gateway.audit.log import AuditLog
from gateway.audit.verify import Problem, ProblemKind, VerifyReport
from gateway.audit.writer import AuditWriter, AuditWriterClosed, WriterStats

__all__ = [
    "AuditEntry",
    "AuditEntryRejected",
    "AuditError",
    "AuditKeyError",
    "AuditLog",
    "AuditWriter",
    "AuditWriterClosed",
    "PreparedEntry",
    "Problem",
    "ProblemKind",
    "VerifyReport",
    "WriterStats",
    "prepare_entry",
]
