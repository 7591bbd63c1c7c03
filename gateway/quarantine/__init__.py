"""phigate's quarantine: held messages, encrypted at rest, with PHI-free metadata.

How it holds together:

- Each message gets its own random 256-bit data key and is sealed with AES-256-GCM
  (gateway.storage.sealed, the portal's format too).
  The plaintext is a small envelope: the SMTP sender and full recipient addresses
  (needed to release it) followed by the original bytes, so addresses never sit in
  clear metadata. The GCM associated data binds the ciphertext to its entry id and
  reference id.
- The data key is wrapped with AES key wrap (RFC 3394) under a master key from a 0600
  JSON key file kept apart from the database (`{"active": "q1", "keys": {...}}`,
  created if missing). Each row stores its master key id, so `rotate_master_key()`
  leaves old entries readable; `rewrap=True` (or `rewrap_all()`) moves them to the new
  key and `retire_master_key(id)` then drops the old one from the file.
- Metadata (ref id, dates, sender keyed hash, recipient domains, rule, reason, entity
  types and counts, size, status) lives in one SQLAlchemy table, `quarantine_entries`,
  migrated by its own Alembic history (gateway.storage.migrate) when a store opens.
  The ciphertext is a LargeBinary column of the same row, so `put()` returns
  once the transaction committed (SQLite runs with WAL and `synchronous=FULL`).
- `delete()` and `purge_expired()` crypto-shred: the wrapped key, nonce and ciphertext
  become NULL (SQLite also runs with `secure_delete=ON`). On PostgreSQL old row
  versions linger until VACUUM, so rotate with `rewrap=True` and retire the old master
  key to make such remnants unreadable.
- Anything wrong (wrong or missing master key, altered ciphertext, nonce or binding)
  fails closed with QuarantineKeyError or QuarantineIntegrityError.
"""

from gateway.quarantine.errors import (
    QuarantineError,
    QuarantineIntegrityError,
    QuarantineKeyError,
    QuarantineNotFound,
    QuarantineStateError,
)
from gateway.quarantine.store import (
    DELETED,
    HELD,
    RELEASED,
    QuarantinedMessage,
    QuarantineStore,
)

__all__ = [
    "DELETED",
    "HELD",
    "RELEASED",
    "QuarantineError",
    "QuarantineIntegrityError",
    "QuarantineKeyError",
    "QuarantineNotFound",
    "QuarantineStateError",
    "QuarantineStore",
    "QuarantinedMessage",
]
