"""ConsoleStore: console users, server-side sessions, lock-outs and the sender directory.

Sessions live in the database, so several console nodes on one database share them. A
session cookie's value is never stored, only its SHA-256. A login is refused, with the same
answer to the user whatever the reason, for an unknown or disabled user, a wrong password, a
wrong or replayed TOTP code, or while the account is locked after `max_failures` failures.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gateway.console.auth import (
    ROLES,
    hash_password,
    new_totp_secret,
    password_matches,
    totp_step,
)
from gateway.console.errors import ConsoleError, LoginRefused
from gateway.console.schema import SCHEMA, senders, sessions, users
from gateway.storage.database import aware, make_engine, write_tx
from gateway.storage.migrate import prepare

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD = 12


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class ConsoleUser:
    """One console user as listings show it (no hash, no secret)."""

    name: str
    role: str
    disabled: bool
    failed_logins: int
    locked_until: datetime | None
    created: datetime


@dataclass(frozen=True)
class ConsoleSession:
    """A signed-in session: who, their role, the CSRF token bound to it, when it ends."""

    user: str
    role: str
    csrf: str
    expires: datetime


class ConsoleStore:
    """The console's users, sessions and sender directory in one database."""

    def __init__(
        self,
        url: str,
        *,
        session_ttl: timedelta = timedelta(minutes=30),
        max_failures: int = 5,
        lockout: timedelta = timedelta(minutes=15),
    ) -> None:
        self._engine = make_engine(url, setting="console.url")
        prepare(self._engine, SCHEMA)
        self.session_ttl = session_ttl
        self.max_failures = max_failures
        self.lockout = lockout

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for tests and maintenance tools)."""
        return self._engine

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    # ------------------------------------------------------------------ users

    def add_user(self, name: str, password: str, role: str, now: datetime) -> str:
        """Create a user and return their new TOTP secret; ConsoleError if the name is taken,
        malformed, the role unknown or the password shorter than 12 characters."""
        if not _NAME.fullmatch(name):
            raise ConsoleError(
                f"user name {name!r}: 1-64 letters, digits, '.', '_', '@' or '-', "
                "starting with a letter or digit"
            )
        if role not in ROLES:
            raise ConsoleError(f"role {role!r}: must be one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise ConsoleError(f"password: at least {MIN_PASSWORD} characters")
        secret = new_totp_secret()
        with write_tx(self._engine) as conn:
            if conn.execute(sa.select(users.c.name).where(users.c.name == name)).first():
                raise ConsoleError(f"user {name} exists")
            conn.execute(
                users.insert().values(
                    name=name,
                    role=role,
                    password_hash=hash_password(password),
                    totp_secret=secret,
                    totp_last_step=0,
                    disabled=False,
                    failed_logins=0,
                    locked_until=None,
                    created=now,
                )
            )
        return secret

    def users(self) -> list[ConsoleUser]:
        """Every user, by name."""
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(users).order_by(users.c.name)).all()
        return [
            ConsoleUser(
                name=r.name,
                role=r.role,
                disabled=bool(r.disabled),
                failed_logins=int(r.failed_logins),
                locked_until=aware(r.locked_until),
                created=aware(r.created),
            )
            for r in rows
        ]

    def _update_user(self, name: str, **values: Any) -> None:
        with write_tx(self._engine) as conn:
            done = conn.execute(users.update().where(users.c.name == name).values(**values))
            if done.rowcount != 1:
                raise ConsoleError(f"no console user {name}")
            if values.get("disabled"):
                conn.execute(sessions.delete().where(sessions.c.user_name == name))

    def disable(self, name: str) -> None:
        """Disable a user and end their sessions."""
        self._update_user(name, disabled=True)

    def enable(self, name: str) -> None:
        """Enable a user again and clear their lock-out."""
        self._update_user(name, disabled=False, failed_logins=0, locked_until=None)

    def reset_totp(self, name: str) -> str:
        """Give a user a new TOTP secret (a lost phone) and return it."""
        secret = new_totp_secret()
        self._update_user(name, totp_secret=secret, totp_last_step=0)
        return secret

    def set_password(self, name: str, password: str) -> None:
        """Replace a user's password."""
        if len(password) < MIN_PASSWORD:
            raise ConsoleError(f"password: at least {MIN_PASSWORD} characters")
        self._update_user(name, password_hash=hash_password(password))

    def totp_secret(self, name: str) -> str:
        """A user's TOTP secret (for `user add` output and tests)."""
        with self._engine.connect() as conn:
            secret = conn.execute(
                sa.select(users.c.totp_secret).where(users.c.name == name)
            ).scalar_one_or_none()
        if secret is None:
            raise ConsoleError(f"no console user {name}")
        return str(secret)

    # ------------------------------------------------------------------ login

    def authenticate(self, name: str, password: str, code: str, now: datetime) -> str:
        """Check password and TOTP code; return the user's role or raise LoginRefused.

        Each failure counts toward the lock-out; a success resets the count. The code's time
        step must be newer than the last accepted one, so a code works once.
        """
        with write_tx(self._engine) as conn:
            row = conn.execute(sa.select(users).where(users.c.name == name)).first()
            if row is None:
                # Same work as a real check, so timing does not tell which names exist.
                password_matches(_DUMMY_HASH, password)
                raise LoginRefused("unknown user")
            if row.disabled:
                raise LoginRefused("disabled")
            locked = aware(row.locked_until)
            if locked is not None and locked > now:
                raise LoginRefused("locked")
            reason = None
            step = totp_step(row.totp_secret, code, now)
            if not password_matches(row.password_hash, password):
                reason = "wrong password"
            elif step is None:
                reason = "wrong code"
            elif step <= int(row.totp_last_step):
                reason = "replayed code"
            if reason is not None:
                failures = int(row.failed_logins) + 1
                values: dict[str, Any] = {"failed_logins": failures}
                if failures >= self.max_failures:
                    values = {"failed_logins": 0, "locked_until": now + self.lockout}
                    reason += "; now locked"
                conn.execute(users.update().where(users.c.name == name).values(**values))
        if reason is not None:
            raise LoginRefused(reason)
        with write_tx(self._engine) as conn:
            conn.execute(
                users.update()
                .where(users.c.name == name)
                .values(failed_logins=0, locked_until=None, totp_last_step=step)
            )
        return str(row.role)

    # ------------------------------------------------------------------ sessions

    def new_session(self, name: str, now: datetime) -> tuple[str, ConsoleSession]:
        """Start a session for `name`; return the cookie value (stored only hashed) and it."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        expires = now + self.session_ttl
        with write_tx(self._engine) as conn:
            role = conn.execute(sa.select(users.c.role).where(users.c.name == name)).scalar_one()
            conn.execute(sessions.delete().where(sessions.c.expires <= now))
            conn.execute(
                sessions.insert().values(
                    id_hash=_digest(token), user_name=name, created=now, expires=expires, csrf=csrf
                )
            )
        return token, ConsoleSession(name, str(role), csrf, expires)

    def session(self, token: str, now: datetime) -> ConsoleSession | None:
        """The live session for a cookie value, or None (unknown, expired, user disabled)."""
        if not token or len(token) > 128:
            return None
        query = (
            sa.select(sessions.c.user_name, sessions.c.csrf, sessions.c.expires, users.c.role)
            .join(users, users.c.name == sessions.c.user_name)
            .where(sessions.c.id_hash == _digest(token), users.c.disabled.is_(False))
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or aware(row.expires) <= now:
            return None
        return ConsoleSession(row.user_name, str(row.role), row.csrf, aware(row.expires))

    def end_session(self, token: str) -> None:
        """Sign out: the session is gone on every node."""
        with write_tx(self._engine) as conn:
            conn.execute(sessions.delete().where(sessions.c.id_hash == _digest(token)))

    # ------------------------------------------------------------------ sender directory

    def remember_sender(self, sender_hash: str, address: str, now: datetime) -> None:
        """Record which staff address a sender hash stands for (own domains only; the caller
        checks the domain)."""
        with write_tx(self._engine) as conn:
            conn.execute(senders.delete().where(senders.c.sender_hash == sender_hash))
            conn.execute(
                senders.insert().values(
                    sender_hash=sender_hash, address=address.lower(), updated=now
                )
            )

    def sender_address(self, sender_hash: str) -> str | None:
        """The staff address behind a sender hash, if the directory has it."""
        with self._engine.connect() as conn:
            value = conn.execute(
                sa.select(senders.c.address).where(senders.c.sender_hash == sender_hash)
            ).scalar_one_or_none()
        return None if value is None else str(value)


_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
