"""SMTP AUTH for relaying clients: PLAIN/LOGIN over TLS against hashed passwords.

The credential file has one `user:hash` per line; hashes are argon2 ($argon2id$...) or
bcrypt ($2b$...). `phigate passwd USER` prints such a line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bcrypt
import structlog
from aiosmtpd.smtp import AuthResult, LoginPassword
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gateway.errors import ConfigError

log = structlog.get_logger("phigate.auth")
_hasher = PasswordHasher()
# Verifying against this keeps the time of a failed login the same for unknown users.
_DUMMY_HASH = _hasher.hash("phigate-dummy-password")


def hash_password(password: str) -> str:
    """An argon2id hash for the credential file."""
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Check a password against an argon2 or bcrypt hash."""
    if stored.startswith("$argon2"):
        try:
            return _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    if stored.startswith(("$2a$", "$2b$", "$2y$")):
        try:
            return bcrypt.checkpw(password.encode("utf-8"), stored.encode("ascii"))
        except ValueError:
            return False
    return False


class CredentialStore:
    """Users and their password hashes, read from a file."""

    def __init__(self, users: dict[str, str]) -> None:
        self._users = users

    @classmethod
    def load(cls, path: Path) -> CredentialStore:
        """Read `user:hash` lines; a bad line is an error naming the file and line."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read credentials: {exc}") from None
        users: dict[str, str] = {}
        for n, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            user, sep, stored = line.partition(":")
            if not sep or not user or not stored.startswith(("$argon2", "$2a$", "$2b$", "$2y$")):
                raise ConfigError(f"{path}:{n}: expected user:argon2-or-bcrypt-hash")
            if user in users:
                raise ConfigError(f"{path}:{n}: user {user!r} appears twice")
            users[user] = stored
        return cls(users)

    def check(self, user: str, password: str) -> bool:
        """True when the user exists and the password matches."""
        stored = self._users.get(user)
        if stored is None:
            verify_password(_DUMMY_HASH, password)
            return False
        return verify_password(stored, password)

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """aiosmtpd authenticator: PLAIN and LOGIN only."""
        if mechanism not in ("PLAIN", "LOGIN") or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        ok = self.check(user, auth_data.password.decode("utf-8", "replace"))
        if not ok:
            log.warning("auth.failed", mechanism=mechanism)
        return AuthResult(success=ok, handled=False, auth_data=auth_data)
