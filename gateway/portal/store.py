"""PortalStore: messages waiting for pickup, encrypted at rest, with PHI-free metadata in SQL.

Each item is sealed like a quarantine entry (AES-256-GCM under a fresh data key that is
wrapped by a master key from a 0600 key file kept apart; rows carry the key id, so a
rotation leaves old items readable). The envelope holds the SMTP sender and the full
recipient address; the metadata holds only a keyed hash and a masked form of the address.

The link token is 256 random bits and only its SHA-256 is stored. The same tables keep the
verification state the web app needs (one-time codes as keyed hashes, sessions by hash,
failed-code counters and lock-outs per item), so the app holds no state of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from detectors.masking import mask_address
from gateway.portal.errors import (
    PortalError,
    PortalExpired,
    PortalIntegrityError,
    PortalNotFound,
)
from gateway.portal.schema import SCHEMA, codes, items, sessions
from gateway.storage.database import aware, typable_id, utc
from gateway.storage.keyfiles import KeyFile, keyed_hash
from gateway.storage.migrate import prepare
from gateway.storage.sealed import (
    SHREDDED,
    Sealed,
    SealedError,
    make_sealed_store_engine,
    open_sealed,
    seal,
)
from gateway.storage.stores import PORTAL_HASH_KEY, PORTAL_MASTER_KEY, portal_hash_key_path

_log = logging.getLogger("phigate.portal")

UNREAD = "unread"
READ = "read"
EXPIRED = "expired"
STATUSES = (UNREAD, READ, EXPIRED)

TOKEN_BYTES = 32  # 256 bits; secrets.token_urlsafe gives 43 characters
CODE_DIGITS = 6
_RECIPIENT_PURPOSE = b"phigate/portal/recipient-hash/v1"
_CODE_PURPOSE = b"phigate/portal/code/v1"


def new_item_id() -> str:
    """A random item id staff can quote: `P` and 16 characters (80 bits)."""
    return typable_id("P", 16)


def token_hash(token: str) -> str:
    """The stored form of a link token or session id (SHA-256; the values are 256-bit random)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _utc(now: datetime | None) -> datetime:
    return utc(now, PortalError)


def _binding(item_id: str) -> str:
    # The GCM associated data names the portal, so a quarantine ciphertext never opens here.
    return f"portal/{item_id}"


@dataclass(frozen=True)
class PortalItem:
    """What `put` hands back: the item id, the link token (shown once) and the expiry."""

    item_id: str
    token: str
    expires: datetime


@dataclass(frozen=True)
class PortalMeta:
    """One item's PHI-free metadata."""

    item_id: str
    ref_id: str
    created: datetime
    expires: datetime
    recipient_hash: str
    recipient_masked: str
    roster_id: str | None
    status: str
    views: int
    first_read: datetime | None
    size: int
    failed_codes: int
    locked_until: datetime | None
    key_id: str | None


@dataclass(frozen=True)
class PortalMessage:
    """One decrypted item: metadata, the original bytes, the sender and the recipient."""

    meta: PortalMeta
    raw: bytes
    mail_from: str
    recipient: str


@dataclass(frozen=True)
class PortalSession:
    """A browser session bound to one item; `verified` once the code (and DOB) matched."""

    item_id: str
    created: datetime
    expires: datetime
    verified: bool
    csrf: str


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of one code attempt."""

    ok: bool
    failed_codes: int
    locked_until: datetime | None
    just_locked: bool


class PortalStore:
    """Holds messages for pickup, encrypted at rest, plus the portal's verification state."""

    def __init__(
        self, url: str, master_key_file: Path, *, hash_key_file: Path | None = None
    ) -> None:
        self._keys = KeyFile(Path(master_key_file), PORTAL_MASTER_KEY)
        self._keys.ensure()
        self._hash_keys = KeyFile(
            Path(hash_key_file) if hash_key_file else portal_hash_key_path(Path(master_key_file)),
            PORTAL_HASH_KEY,
        )
        self._hash_keys.ensure()
        self._engine = make_sealed_store_engine(url)
        prepare(self._engine, SCHEMA)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for tests and maintenance tools)."""
        return self._engine

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def keyed_hash(self, value: str, purpose: bytes = _RECIPIENT_PURPOSE) -> str:
        """HMAC-SHA256 of the lower-cased value under a purpose-bound subkey, as hex."""
        return keyed_hash(self._hash_keys.ring().active_key, purpose, value.strip().lower())

    # -- items ------------------------------------------------------------------------------

    def put(
        self,
        raw: bytes,
        *,
        ref_id: str,
        mail_from: str,
        recipient: str,
        roster_id: str | None,
        expires: datetime,
        now: datetime | None = None,
    ) -> PortalItem:
        """Encrypt and store one message for one recipient; return only once committed."""
        if not recipient or "@" not in recipient:
            raise PortalError("a portal item needs one recipient address")
        created = _utc(now)
        until = _utc(expires)
        if until <= created:
            raise PortalError("a portal item must expire after it is created")
        ring = self._keys.ring()
        item_id = new_item_id()
        token = secrets.token_urlsafe(TOKEN_BYTES)
        sealed = seal(
            raw,
            mail_from=mail_from,
            recipients=[recipient],
            binding=_binding(item_id),
            ref_id=ref_id,
            key_id=ring.active,
            master_key=ring.active_key,
        )
        row = {
            "id": item_id,
            "ref_id": ref_id,
            "token_hash": token_hash(token),
            "created": created,
            "expires": until,
            "recipient_hash": self.keyed_hash(recipient),
            "recipient_masked": mask_address(recipient),
            "roster_id": roster_id,
            "status": UNREAD,
            "views": 0,
            "first_read": None,
            "size": len(raw),
            "failed_codes": 0,
            "locked_until": None,
            **sealed.columns(),
        }
        with self._engine.begin() as conn:
            conn.execute(items.insert().values(**row))
        _log.info("portal item stored", extra={"item": item_id, "ref_id": ref_id})
        return PortalItem(item_id=item_id, token=token, expires=until)

    def find(self, token: str, now: datetime | None = None) -> PortalMeta:
        """The metadata of the item a link token belongs to; PortalExpired past its expiry."""
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(*self._meta_columns()).where(items.c.token_hash == token_hash(token))
            ).one_or_none()
        if row is None:
            raise PortalNotFound("no portal item for this link")
        return self._live(self._meta(row), _utc(now))

    def meta(self, item_id: str) -> PortalMeta:
        """One item's metadata, without decrypting anything."""
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(*self._meta_columns()).where(items.c.id == item_id)
            ).one_or_none()
        if row is None:
            raise PortalNotFound(f"no portal item {item_id}")
        return self._meta(row)

    def open(self, token: str, now: datetime | None = None) -> PortalMessage:
        """Decrypt the item a link token belongs to (PortalNotFound / PortalExpired otherwise)."""
        return self.get(self.find(token, now).item_id, now)

    def get(self, item_id: str, now: datetime | None = None) -> PortalMessage:
        """Decrypt one item; fail closed on any key or integrity mismatch."""
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(
                    *self._meta_columns(), items.c.wrapped_key, items.c.nonce, items.c.ciphertext
                ).where(items.c.id == item_id)
            ).one_or_none()
        if row is None:
            raise PortalNotFound(f"no portal item {item_id}")
        meta = self._live(self._meta(row), _utc(now))
        if row.ciphertext is None or row.key_id is None:
            raise PortalExpired(f"portal item {item_id} was shredded")
        master = self._keys.ring().keys.get(row.key_id)
        if master is None:
            raise PortalIntegrityError(
                f"portal item {item_id} is wrapped under master key {row.key_id}, which "
                f"{self._keys.path} does not hold"
            )
        try:
            opened = open_sealed(
                Sealed.from_row(row),
                binding=_binding(item_id),
                ref_id=row.ref_id,
                master_key=master,
            )
        except SealedError:
            raise PortalIntegrityError(
                f"portal item {item_id}: key or ciphertext does not open; refusing to show it"
            ) from None
        return PortalMessage(meta, opened.raw, opened.mail_from, opened.recipients[0])

    def mark_read(self, item_id: str, now: datetime | None = None) -> PortalMeta:
        """Count one view; the first one turns `unread` into `read`."""
        when = _utc(now)
        with self._engine.begin() as conn:
            conn.execute(
                items.update()
                .where(items.c.id == item_id, items.c.status != EXPIRED)
                .values(
                    views=items.c.views + 1,
                    status=READ,
                    first_read=sa.func.coalesce(items.c.first_read, when),
                )
            )
        return self.meta(item_id)

    def expire_old(self, now: datetime | None = None) -> int:
        """Crypto-shred every item past its expiry and end its sessions; return how many."""
        when = _utc(now)
        with self._engine.begin() as conn:
            gone = [
                r.id
                for r in conn.execute(
                    sa.select(items.c.id).where(items.c.expires <= when, items.c.status != EXPIRED)
                )
            ]
            if gone:
                conn.execute(
                    items.update().where(items.c.id.in_(gone)).values(status=EXPIRED, **SHREDDED)
                )
                conn.execute(sessions.delete().where(sessions.c.item_id.in_(gone)))
                conn.execute(codes.delete().where(codes.c.item_id.in_(gone)))
            conn.execute(sessions.delete().where(sessions.c.expires <= when))
            conn.execute(codes.delete().where(codes.c.expires <= when))
        if gone:
            _log.info("portal items expired", extra={"count": len(gone)})
        return len(gone)

    def rotate_master_key(self) -> str:
        """Make a fresh master key active; older items stay readable under their key id."""
        return self._keys.rotate()

    # -- one-time codes and lock-out ----------------------------------------------------------

    def issue_code(self, item_id: str, ttl: timedelta, now: datetime | None = None) -> str:
        """A fresh six-digit code for the item; earlier unused codes stop working."""
        when = _utc(now)
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        with self._engine.begin() as conn:
            conn.execute(
                codes.update()
                .where(codes.c.item_id == item_id, codes.c.used.is_(False))
                .values(used=True)
            )
            conn.execute(
                codes.insert().values(
                    item_id=item_id,
                    code_hash=self._code_hash(item_id, code),
                    created=when,
                    expires=when + ttl,
                    used=False,
                )
            )
        return code

    def codes_sent_since(self, item_id: str, since: datetime) -> int:
        """How many codes were issued for the item since `since` (to limit mail floods)."""
        with self._engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(codes)
                    .where(codes.c.item_id == item_id, codes.c.created >= _utc(since))
                ).scalar_one()
            )

    def check_code(
        self,
        item_id: str,
        code: str,
        *,
        second_factor_ok: bool = True,
        max_failed: int,
        lockout: timedelta,
        now: datetime | None = None,
    ) -> CodeCheck:
        """Try a code (and the second factor's outcome); count failures and lock at `max_failed`.

        A locked item refuses every attempt, right or wrong, until the lock ends. A matching
        code is spent even when the second factor fails, so each code gets one real try.
        """
        when = _utc(now)
        given = self._code_hash(item_id, code.strip())
        with self._engine.begin() as conn:
            row = conn.execute(
                sa.select(items.c.failed_codes, items.c.locked_until)
                .where(items.c.id == item_id)
                .with_for_update()
            ).one_or_none()
            if row is None:
                raise PortalNotFound(f"no portal item {item_id}")
            locked = aware(row.locked_until)
            failed = int(row.failed_codes)
            if locked is not None and locked > when:
                return CodeCheck(False, failed, locked, just_locked=False)
            if locked is not None:
                failed = 0  # the lock ran out: a fresh allowance
            live = conn.execute(
                sa.select(codes.c.id, codes.c.code_hash).where(
                    codes.c.item_id == item_id,
                    codes.c.used.is_(False),
                    codes.c.expires > when,
                )
            ).all()
            match = None
            for c in live:
                # Compare every live code in constant time, and do not stop at the first.
                if hmac.compare_digest(c.code_hash, given):
                    match = c.id
            if match is not None:
                conn.execute(codes.update().where(codes.c.id == match).values(used=True))
            if match is not None and second_factor_ok:
                conn.execute(
                    items.update()
                    .where(items.c.id == item_id)
                    .values(failed_codes=0, locked_until=None)
                )
                return CodeCheck(True, 0, None, just_locked=False)
            failed += 1
            new_lock = when + lockout if failed >= max_failed else None
            conn.execute(
                items.update()
                .where(items.c.id == item_id)
                .values(failed_codes=failed, locked_until=new_lock)
            )
            if new_lock is not None:
                conn.execute(
                    codes.update()
                    .where(codes.c.item_id == item_id, codes.c.used.is_(False))
                    .values(used=True)
                )
            return CodeCheck(False, failed, new_lock, just_locked=new_lock is not None)

    def locked_until(self, item_id: str, now: datetime | None = None) -> datetime | None:
        """When the item's lock-out ends, or None if it is not locked now."""
        until = self.meta(item_id).locked_until
        return until if until is not None and until > _utc(now) else None

    # -- sessions -----------------------------------------------------------------------------

    def new_session(
        self, item_id: str, ttl: timedelta, *, verified: bool = False, now: datetime | None = None
    ) -> tuple[str, PortalSession]:
        """Start a session for the item; return the cookie value (stored only as a hash)."""
        when = _utc(now)
        sid = secrets.token_urlsafe(TOKEN_BYTES)
        session = PortalSession(
            item_id=item_id,
            created=when,
            expires=when + ttl,
            verified=verified,
            csrf=secrets.token_urlsafe(TOKEN_BYTES),
        )
        with self._engine.begin() as conn:
            conn.execute(
                sessions.insert().values(
                    id_hash=token_hash(sid),
                    item_id=item_id,
                    created=session.created,
                    expires=session.expires,
                    verified=verified,
                    csrf=session.csrf,
                )
            )
        return sid, session

    def session(self, sid: str, now: datetime | None = None) -> PortalSession | None:
        """The live session for a cookie value, or None if unknown or expired."""
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(sessions).where(sessions.c.id_hash == token_hash(sid))
            ).one_or_none()
        if row is None:
            return None
        expires = aware(row.expires)
        if expires <= _utc(now):
            return None
        created = aware(row.created)
        return PortalSession(row.item_id, created, expires, bool(row.verified), row.csrf)

    def end_session(self, sid: str) -> None:
        """Forget one session."""
        with self._engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.id_hash == token_hash(sid)))

    def promote_session(
        self, sid: str, ttl: timedelta, now: datetime | None = None
    ) -> tuple[str, PortalSession]:
        """Replace a pending session by a verified one with a new id and CSRF token."""
        old = self.session(sid, now)
        if old is None:
            raise PortalNotFound("no such session")
        self.end_session(sid)
        return self.new_session(old.item_id, ttl, verified=True, now=now)

    # -- internals ----------------------------------------------------------------------------

    def _code_hash(self, item_id: str, code: str) -> str:
        return self.keyed_hash(f"{item_id}:{code}", _CODE_PURPOSE)

    @staticmethod
    def _live(meta: PortalMeta, when: datetime) -> PortalMeta:
        if meta.status == EXPIRED or meta.expires <= when:
            raise PortalExpired(
                f"portal item {meta.item_id} has expired", item_id=meta.item_id, ref_id=meta.ref_id
            )
        return meta

    @staticmethod
    def _meta_columns() -> tuple[sa.Column[Any], ...]:
        c = items.c
        return (
            c.id,
            c.ref_id,
            c.created,
            c.expires,
            c.recipient_hash,
            c.recipient_masked,
            c.roster_id,
            c.status,
            c.views,
            c.first_read,
            c.size,
            c.failed_codes,
            c.locked_until,
            c.key_id,
        )

    @staticmethod
    def _meta(row: sa.Row[Any]) -> PortalMeta:
        created = aware(row.created)
        expires = aware(row.expires)
        return PortalMeta(
            item_id=row.id,
            ref_id=row.ref_id,
            created=created,
            expires=expires,
            recipient_hash=row.recipient_hash,
            recipient_masked=row.recipient_masked,
            roster_id=row.roster_id,
            status=row.status,
            views=int(row.views),
            first_read=aware(row.first_read),
            size=int(row.size),
            failed_codes=int(row.failed_codes),
            locked_until=aware(row.locked_until),
            key_id=row.key_id,
        )
